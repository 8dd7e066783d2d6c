#!/usr/bin/env bash
# agent_converge — agents on all four nodes, each seeded with one node of the other cluster
# only, converge to the full set of routes; curl from cluster2 reaches helloworld; the HTTP
# endpoint answers from the docker host; a deleted route comes back at once (not on the
# 60 s resync); kill -9 and restart changes no route; SIGTERM leaves the routes.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup

common=(--interval 1 --resync 60)
pr_agent c1n1 --peers 172.18.0.4 "${common[@]}"
pr_agent c1n2 --peers 172.18.0.4 "${common[@]}"
pr_agent c2n1 --peers 172.18.0.2 "${common[@]}"
pr_agent c2n2 --peers 172.18.0.2 "${common[@]}"
for n in c1n1 c1n2 c2n1 c2n2; do wait_ready "$n"; done

all_routed() { for n in c1n1 c1n2 c2n1 c2n2; do [[ $(route_count "$n") == 2 ]] || return 1; done; }
wait_until 20 all_routed || fail "no convergence: $(for n in c1n1 c1n2 c2n1 c2n2; do echo "$n:"; owned_routes "$n"; done)"
pass_check "all four nodes have both remote routes (proto 152)"
assert_eq "10.244.0.0/24 via 172.18.0.2 dev eth0 
10.244.1.0/24 via 172.18.0.3 dev eth0 " "$(owned_routes c2n1)" "c2n1's routes"

out=$(lab_curl c2n1-curl "$LAB_HELLO_URL")
assert_contains "$out" "Hello version: v1" "curl from cluster2's pod reaches helloworld"
assert_eq "HTTP 200" "$(tail -n1 <<<"$out")" "... with 200"

# ---- the HTTP endpoint, from the docker host ------------------------------------------------
peers_up() { [[ $(json_get "$(host_curl http://172.18.0.4:9750/v1/peers)" \
    'sum(p["state"]=="up" for p in j["peers"])') == 3 ]]; }
wait_until 10 peers_up || fail "c2n1 does not know 3 peers: $(host_curl http://172.18.0.4:9750/v1/peers)"
pass_check "c2n1 learned all 3 other nodes from one seed"
status=$(host_curl http://172.18.0.4:9750/v1/status)
assert_eq "cluster2 c2n1 enforce" "$(json_get "$status" 'j["cluster"]+" "+j["node"]+" "+j["mode"]')" "status"
assert_eq "True" "$(json_get "$status" 'all(r["state"] in ("ok","installed") and r["owned"] for r in j["routes"])')" "routes ok"
assert_eq "0" "$(json_get "$status" 'len([p for p in j["problems"] if p["severity"]=="error"])')" "no errors: $(json_get "$status" '[p["message"] for p in j["problems"] if p["severity"]=="error"]')"
node=$(host_curl http://172.18.0.4:9750/v1/node)
assert_eq "10.245.0.7" "$(json_get "$node" '",".join(j["pod_ips"])')" "/v1/node lists the curl pod"
assert_contains "$(json_get "$node" 'j["probe_addrs"]')" "172.18.0.4:9750" "probe address"
assert_contains "$(host_curl http://172.18.0.4:9750/)" "remote pod CIDRs (2)" "/ is the text report"
assert_eq "ok" "$(host_curl http://172.18.0.4:9750/healthz)" "/healthz"
assert_eq "405" "$(host_curl -o /dev/null -w '%{http_code}' -X POST http://172.18.0.4:9750/)" "POST is 405"
assert_eq "404" "$(host_curl -o /dev/null -w '%{http_code}' http://172.18.0.4:9750/nope)" "unknown path 404"
assert_eq "200" "$(host_curl -o /dev/null -w '%{http_code}' -I http://172.18.0.4:9750/v1/status)" "HEAD"
metrics=$(host_curl http://172.18.0.4:9750/metrics)
assert_contains "$metrics" 'podreach_peers{state="up"} 3' "metrics: peers up"
assert_contains "$metrics" 'podreach_build_info{version=' "metrics: build info"
if command -v promtool >/dev/null; then
    promtool check metrics <<<"$metrics" || fail "promtool check metrics failed"
    pass_check "promtool check metrics accepts /metrics"
else
    fail "promtool not installed (tests/deps.sh installs prometheus)"
fi

# ---- a deleted owned route comes back from the kernel's notification ---------------------
lab_node_exec c2n1 ip route del 10.244.0.0/24
wait_until 2 eval '[[ $(route_count c2n1) == 2 ]]' || fail "route not repaired within 2 s"
pass_check "deleted route repaired well before the 60 s resync"
wait_until 2 grep -q "repaired .* ms after the deletion" "$LAB_DIR/agent-c2n1.log" ||
    fail "no repair logged"
grep -o "repaired .* ms after the deletion" "$LAB_DIR/agent-c2n1.log" | tail -n1

# ---- kill -9, restart: the new agent adopts the routes, not one netlink change -----------
kill -9 "$(agent_pid c2n1)"
wait_until 5 eval '! kill -0 $(agent_pid c2n1) 2>/dev/null' || fail "agent did not die"
mon="$LAB_DIR/monitor.log"
lab_node_exec c2n1 ip -4 monitor route >"$mon" 2>&1 &
monpid=$!
# The monitor is listening once it shows a first marker (re-added until it does); a second
# marks the end. Between them it must show nothing.
mon_ready() {
    lab_node_exec c2n1 ip route del 10.98.0.0/24 2>/dev/null
    lab_node_exec c2n1 ip route add 10.98.0.0/24 via 172.18.0.9
    grep -q 10.98.0.0 "$mon"
}
wait_until 5 mon_ready || fail "ip monitor is not listening"
pr_agent c2n1 --peers 172.18.0.2 "${common[@]}"
wait_ready c2n1
wait_until 10 peers_up || fail "restarted agent did not find its peers"
# The reconcile that knows all peers (the one that would change something) is done when
# the status shows both routes adopted.
adopted() { [[ $(json_get "$(host_curl http://172.18.0.4:9750/v1/status)" \
    'sum(r["state"]=="ok" and r["owned"] for r in j["routes"])') == 2 ]]; }
wait_until 10 adopted || fail "restarted agent did not adopt both routes"
lab_node_exec c2n1 ip route add 10.99.0.0/24 via 172.18.0.9
wait_until 5 grep -q 10.99.0.0 "$mon" || fail "ip monitor saw nothing at all"
kill "$monpid" 2>/dev/null; wait "$monpid" 2>/dev/null || true
assert_eq "" "$(grep -v -e '10\.98\.0\.0/24' -e '10\.99\.0\.0/24' "$mon")" \
    "restart changed no route"
lab_node_exec c2n1 ip route del 10.98.0.0/24
lab_node_exec c2n1 ip route del 10.99.0.0/24

# ---- SIGTERM leaves the routes ------------------------------------------------------------------
kill -TERM "$(agent_pid c2n2)"
wait_until 5 eval '! kill -0 $(agent_pid c2n2) 2>/dev/null' || fail "agent ignored SIGTERM"
assert_eq 2 "$(route_count c2n2)" "routes stay after SIGTERM"
assert_contains "$(<"$LAB_DIR/agent-c2n2.log")" "leaving 2 owned routes in place" "and it says so"

# ---- a node whose IP changed gets its route moved --------------------------------------------
lab_node_exec c1n1 ip addr add 172.18.0.12/16 dev eth0
kill -TERM "$(agent_pid c1n1)"
wait_until 5 eval '! kill -0 $(agent_pid c1n1) 2>/dev/null' || fail "c1n1's agent ignored SIGTERM"
pr_agent c1n1 --peers 172.18.0.4 "${common[@]}" --node-ip 172.18.0.12
wait_until 10 eval '[[ $(owned_routes c2n1) == *"10.244.0.0/24 via 172.18.0.12 dev eth0"* ]]' ||
    fail "route not moved: $(owned_routes c2n1)"
pass_check "c1n1's new node IP: c2n1's route to 10.244.0.0/24 moved to via 172.18.0.12"
out=$(lab_curl c2n1-curl "$LAB_HELLO_URL")
assert_contains "$out" "Hello version: v1" "curl still reaches helloworld"
