#!/usr/bin/env bash
# agent_retry — a route change the kernel refuses is retried with backoff; meanwhile the agent
# is not ready and its report says what the kernel answered; once the kernel accepts, the
# routes are back and the agent is ready again.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup

pr_agent c2n1 --remote "$(pr_remotes c2n1)" --node-ip 172.18.0.4 --interval 1 --resync 60
wait_ready c2n1
wait_until 10 eval '[[ $(route_count c2n1) == 2 ]]' || fail "routes not installed"
pass_check "both remote routes installed"

# From inside the node: with eth0 down the bridge is unreachable from the docker host.
local_get() { lab_node_exec c2n1 curl -s --max-time 2 "$@" "http://127.0.0.1:9750$1"; }
ready_code() { lab_node_exec c2n1 curl -s --max-time 2 -o /dev/null -w '%{http_code}' \
    http://127.0.0.1:9750/readyz; }

# Admin down removes every route via eth0 and the subnet route with them: re-adding a route
# via 172.18.0.2 is refused ("Nexthop has invalid gateway") until the link is back.
lab_node_exec c2n1 ip link set eth0 down
wait_until 10 eval '[[ $(ready_code) == 503 ]]' || fail "agent still ready: $(ready_code)"
pass_check "refused route changes: /readyz answers 503"
status=$(lab_node_exec c2n1 curl -s --max-time 2 http://127.0.0.1:9750/v1/status)
assert_contains "$(json_get "$status" '[p["message"] for p in j["problems"] if p["code"]=="route-missing"]')" \
    "enforce failed: " "the problem names what the kernel answered"
assert_eq 0 "$(route_count c2n1)" "no route while the kernel refuses"
tries() { grep -c 'retrying in' "$LAB_DIR/agent-c2n1.log" || true; }
assert_contains "$(<"$LAB_DIR/agent-c2n1.log")" "not ready: the kernel refused 2 route changes" \
    "the log says so"
# Retries go on with backoff (0.1 s, 0.2 s, ...): the reconcile counter keeps growing without
# any event from the kernel.
recs() { lab_node_exec c2n1 curl -s --max-time 2 http://127.0.0.1:9750/metrics |
    awk '$1=="podreach_reconciles_total"{print $2}'; }
r0=$(recs)
# The backoff doubles from 0.1 s: three more retries may take 1.6 + 3.2 + 6.4 s.
wait_until 25 eval '(( $(recs) >= r0 + 3 ))' || fail "no retries: reconciles $r0 -> $(recs)"
pass_check "retried with backoff ($r0 -> $(recs) reconciles)"

lab_node_exec c2n1 ip link set eth0 up
wait_until 10 eval '[[ $(route_count c2n1) == 2 ]]' || fail "routes not back: $(owned_routes c2n1)"
wait_until 10 eval '[[ $(ready_code) == 200 ]]' || fail "agent not ready again"
pass_check "the kernel accepts again: both routes back, /readyz 200"
assert_contains "$(tail -n 5 "$LAB_DIR/agent-c2n1.log")" "ready:" "the log says ready"
