#!/usr/bin/env bash
# agent_hostile — fake peers on the bridge advertising a default route, the bridge subnet, a
# range overlapping the local cluster, garbage JSON, a 10 MB body, or never finishing their
# answer: all refused, the agent stays healthy and the good routes stay. Peers aiming the
# probes at loopback, the metadata address or the local cluster's pods: nothing probed there.
# X-Podreach-Peer that is not plain digits: refused. The peer token: proven, never sent.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup

# A namespace on the bridge holding one address per hostile mode.
fake=$LAB-fake
ip netns add "$fake"
ip link add fk0 netns "$fake" type veth peer name v-fake netns "$LAB-host"
lab_node_exec host ip link set v-fake master br0 up
ip -n "$fake" link set lo up
ip -n "$fake" link set fk0 up
modes=(default-route bridge overlap garbage huge hang good scan-invalid scan-local)
declare -A ip_of
for i in "${!modes[@]}"; do
    ip_of[${modes[$i]}]=172.18.0.$((20 + i))
    ip -n "$fake" addr add "${ip_of[${modes[$i]}]}/16" dev fk0
    ip netns exec "$fake" python3 "$(repo_root)/tests/lab/fakepeer.py" \
        "${ip_of[${modes[$i]}]}" 9750 "${modes[$i]}" >/dev/null 2>&1 &
done
# Listeners where a scanner would aim: c2n1's loopback (as scan-invalid's probe_addrs say) and
# the local curl pod on the probe port (as scan-local's pod_ips say). Each logs a connection.
listen() { # NS IP PORT LOG
    ip netns exec "$1" python3 -c 'import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(64)
while True:
    c, a = s.accept(); open(sys.argv[3], "a").write("%s\n" % a[0]); c.close()' "$2" "$3" "$4" &
}
listen "$(lab_ns c2n1)" 127.0.0.1 2222 "$LAB_DIR/probed-loopback"
listen "$LAB-c2n1-curl" 10.245.0.7 9750 "$LAB_DIR/probed-localpod"
listening() { [[ $(ip netns exec "$1" ss -Hltn "sport = :$2") == *LISTEN* ]]; }
wait_until 15 listening "$(lab_ns c2n1)" 2222 || fail "loopback listener did not start"
wait_until 15 listening "$LAB-c2n1-curl" 9750 || fail "pod listener did not start"
for m in "${modes[@]}"; do
    wait_until 5 lab_node_exec c2n1 bash -c "exec 3<>/dev/tcp/${ip_of[$m]}/9750" 2>/dev/null ||
        fail "fake peer $m did not start"
done

seeds=172.18.0.2
for m in "${modes[@]}"; do seeds+=",${ip_of[$m]}"; done
pr_agent c1n1 --peers 172.18.0.4 --interval 1
pr_agent c2n1 --peers "$seeds" --interval 1 --timeout 0.5
wait_ready c2n1

status_of() { host_curl http://172.18.0.4:9750/v1/status; }
settled() {
    local s
    s=$(status_of) || return 1
    [[ $(json_get "$s" '" ".join(sorted(p["state"] for p in j["peers"]))') == \
        "invalid invalid invalid refused unreachable up up up up up" ]]
}
wait_until 25 settled || fail "peers did not settle: $(json_get "$(status_of)" '[(p["address"],p["state"],p["error"]) for p in j["peers"]]')"
pass_check "garbage, 10 MB and scan-invalid are invalid, the default route refused, the hanging one unreachable, the rest answered"

s=$(status_of)
codes=$(json_get "$s" '" ".join(sorted(set(p["code"] for p in j["problems"])))')
for c in cidr-rejected pod-cidr-overlap peer-invalid peer-unreachable; do
    assert_contains "$codes" "$c" "problem $c reported"
done
assert_eq "10.244.0.0/24 via 172.18.0.2 dev eth0 
10.246.0.0/24 via 172.18.0.26 dev eth0 " "$(owned_routes c2n1)" \
    "only the good routes are installed"
assert_not_contains "$(routes_of c2n1)" "default via 172.18.0.20" "no hostile default route"
assert_contains "$(json_get "$s" '[p["error"] for p in j["peers"] if p["address"] == "172.18.0.20:9750"]')" \
    "broader than one node's share" "0.0.0.0/0 is broader than a node's share"
assert_contains "$(json_get "$s" '[p["error"] for p in j["peers"] if p["address"] == "172.18.0.27:9750"]')" \
    "is outside the node's pod CIDRs" "scan-invalid: pod IP 127.0.0.1 refused"

# ---- the agent as a scanner --------------------------------------------------------------
# Two full probe rounds after every peer settled (a round's results replace the last).
rounds() { json_get "$(status_of)" 'sorted(p["target"] for p in j["probes"])'; }
probed() { host_curl http://172.18.0.4:9750/metrics |
    awk '/^podreach_probe_results_total/ {n += $2} END {print n + 0}'; }
wait_until 20 eval '[[ $(rounds) == *"10.246.0.5:9750"* ]]' ||
    fail "the good peer's pod is never probed: $(rounds)"
first=$(probed)
ntargets=$(host_curl http://172.18.0.4:9750/metrics | awk '/^podreach_probe_targets / {print $2}')
wait_until 20 eval '(( $(probed) >= first + 2 * ntargets ))' || fail "no two more probe rounds"
targets=$(rounds)
assert_contains "$targets" "10.246.0.5:9750" "the good peer's pod is probed"
for t in 127.0.0.1 169.254.169.254 10.245.0. 172.18.0.1: 10.247.0.5; do
    assert_not_contains "$targets" "'$t" "no probe of $t"
done
touch "$LAB_DIR/probed-loopback"
assert_eq "" "$(<"$LAB_DIR/probed-loopback")" "nothing connected to c2n1's loopback"
touch "$LAB_DIR/probed-localpod"
# c1n1 probes this pod, rightly (from cluster1); c2n1 (its gateway .1, its node IP) must not.
assert_not_contains "$(<"$LAB_DIR/probed-localpod")" "10.245.0.1" "c2n1 never probed its local pod"
assert_not_contains "$(<"$LAB_DIR/probed-localpod")" "172.18.0.4" "... from its node IP either"

assert_eq "ok" "$(host_curl http://172.18.0.4:9750/healthz)" "agent healthy"
kill -0 "$(agent_pid c2n1)" || fail "agent died"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$(agent_pid c2n1)/status")
echo "# agent RSS after the hostile peers: ${rss} kB (ASan build)"

out=$(lab_curl c2n1-curl "$LAB_HELLO_URL")
assert_contains "$out" "Hello version: v1" "curl still reaches helloworld"

# ---- X-Podreach-Peer: a port, digits only --------------------------------------------------
# (A plain space around the value is HTTP's optional whitespace, which libmicrohttpd strips; a
# vertical tab or form feed is not, and strtol skipped them.)
for h in "+1" $'\v9750' $'\f9750' "-1" "0" "65536" "0x10" "12a"; do
    assert_eq "400" "$(ip netns exec "$fake" curl -s --max-time 3 -o /dev/null -w '%{http_code}' \
        --interface 172.18.0.26 -H "X-Podreach-Peer: $h" http://172.18.0.4:9750/v1/node)" \
        "X-Podreach-Peer ${h@Q} is refused"
done
assert_not_contains "$(host_curl http://172.18.0.4:9750/v1/peers)" "172.18.0.26:1\"" "and not learned"

# ---- the peer token --------------------------------------------------------------------------
echo "s3cret" >"$LAB_DIR/token"
# A recording fake peer as a seed (more trusted than any candidate), and c1n1 without a token.
ip -n "$fake" addr add 172.18.0.34/16 dev fk0
ip netns exec "$fake" python3 "$(repo_root)/tests/lab/fakepeer.py" 172.18.0.34 9750 record \
    "$LAB_DIR/recorded" >/dev/null 2>&1 &
wait_until 5 lab_node_exec c2n2 bash -c "exec 3<>/dev/tcp/172.18.0.34/9750" 2>/dev/null ||
    fail "recording peer did not start"
pr_agent c2n2 --peers 172.18.0.34,172.18.0.2 --interval 1 --peer-token-file "$LAB_DIR/token"
wait_ready c2n2
assert_eq "401" "$(host_curl -o /dev/null -w '%{http_code}' http://172.18.0.5:9750/v1/node)" \
    "/v1/node without the token is 401"
assert_eq "200" "$(host_curl -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer s3cret' \
    http://172.18.0.5:9750/v1/node)" "with the token 200 (a person may send it)"
assert_eq "200" "$(host_curl -o /dev/null -w '%{http_code}' http://172.18.0.5:9750/v1/status)" \
    "/v1/status stays open for people"
unsigned() {
    [[ $(json_get "$(host_curl http://172.18.0.5:9750/v1/status)" \
        '" ".join(sorted(p["state"] for p in j["peers"]))') == "invalid invalid" ]]
}
wait_until 20 unsigned || fail "unsigned peers not refused: $(host_curl http://172.18.0.5:9750/v1/status)"
assert_contains "$(host_curl http://172.18.0.5:9750/v1/status)" "not signed with the peer token" \
    "answers without the token's mac are refused"
wait_until 5 eval '(( $(grep -c . "$LAB_DIR/recorded") >= 2 ))' || fail "nothing recorded"
rec=$(<"$LAB_DIR/recorded")
assert_not_contains "$rec" "s3cret" "the token never reached the recording peer"
assert_contains "$rec" '"Authorization", "Podreach-HMAC nonce=' "it got a mac over a nonce instead"
assert_eq "0" "$(route_count c2n2)" "no route from peers without the token"
# A peer with the token: proven both ways, learned, routed.
kill -TERM "$(agent_pid c1n1)"
wait_until 5 eval '! kill -0 $(agent_pid c1n1) 2>/dev/null' || fail "c1n1's agent ignored SIGTERM"
pr_agent c1n1 --peers 172.18.0.5 --interval 1 --peer-token-file "$LAB_DIR/token"
wait_until 20 eval '[[ $(owned_routes c2n2) == *"10.244.0.0/24 via 172.18.0.2 dev eth0"* ]]' ||
    fail "c2n2 got no route from the token peer: $(host_curl http://172.18.0.5:9750/v1/status)"
pass_check "two agents with the token learn each other (mac both ways)"
wait_until 20 eval '[[ $(owned_routes c1n1) == *"10.245.1.0/24 via 172.18.0.5 dev eth0"* ]]' ||
    fail "c1n1 got no route from c2n2"
pass_check "and c1n1 routes c2n2's pods"
