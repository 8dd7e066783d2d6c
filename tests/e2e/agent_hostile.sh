#!/usr/bin/env bash
# agent_hostile — fake peers on the bridge advertising a default route, the bridge subnet, a
# range overlapping the local cluster, garbage JSON, a 10 MB body, or never finishing their
# answer: all refused, the agent stays healthy and the good routes stay. Also the peer token.
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
modes=(default-route bridge overlap garbage huge hang good)
declare -A ip_of
for i in "${!modes[@]}"; do
    ip_of[${modes[$i]}]=172.18.0.$((20 + i))
    ip -n "$fake" addr add "${ip_of[${modes[$i]}]}/16" dev fk0
    ip netns exec "$fake" python3 "$(repo_root)/tests/lab/fakepeer.py" \
        "${ip_of[${modes[$i]}]}" 9750 "${modes[$i]}" >/dev/null 2>&1 &
done
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
        "invalid invalid unreachable up up up up up" ]]
}
wait_until 15 settled || fail "peers did not settle: $(json_get "$(status_of)" '[(p["address"],p["state"],p["error"]) for p in j["peers"]]')"
pass_check "garbage and 10 MB are invalid, the hanging one unreachable, the rest answered"

s=$(status_of)
codes=$(json_get "$s" '" ".join(sorted(set(p["code"] for p in j["problems"])))')
for c in cidr-rejected pod-cidr-overlap peer-invalid peer-unreachable; do
    assert_contains "$codes" "$c" "problem $c reported"
done
assert_eq "10.244.0.0/24 via 172.18.0.2 dev eth0 
10.246.0.0/24 via 172.18.0.26 dev eth0 " "$(owned_routes c2n1)" \
    "only the good routes are installed"
assert_not_contains "$(routes_of c2n1)" "default via 172.18.0.20" "no hostile default route"
assert_eq "ok" "$(host_curl http://172.18.0.4:9750/healthz)" "agent healthy"
kill -0 "$(agent_pid c2n1)" || fail "agent died"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$(agent_pid c2n1)/status")
echo "# agent RSS after the hostile peers: ${rss} kB (ASan build)"

out=$(lab_curl c2n1-curl "$LAB_HELLO_URL")
assert_contains "$out" "Hello version: v1" "curl still reaches helloworld"

# ---- the peer token --------------------------------------------------------------------------
echo "s3cret" >"$LAB_DIR/token"
pr_agent c2n2 --peers 172.18.0.2 --interval 1 --peer-token-file "$LAB_DIR/token"
wait_ready c2n2
assert_eq "401" "$(host_curl -o /dev/null -w '%{http_code}' http://172.18.0.5:9750/v1/node)" \
    "/v1/node without the token is 401"
assert_eq "200" "$(host_curl -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer s3cret' \
    http://172.18.0.5:9750/v1/node)" "with the token 200"
assert_eq "200" "$(host_curl -o /dev/null -w '%{http_code}' http://172.18.0.5:9750/v1/status)" \
    "/v1/status stays open for people"
# c1n1 has no token: c2n2 sends one it does not check, c1n1's answers are fine; but c1n1 asking
# c2n2 gets 401, so c2n2 never learns from it — only from its own seed.
wait_until 10 eval '[[ $(route_count c2n2) -ge 1 ]]' || fail "c2n2 got no route from its seed"
pass_check "a token-protected agent still learns from its seed"
