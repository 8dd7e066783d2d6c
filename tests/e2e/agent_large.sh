#!/usr/bin/env bash
# agent_large — a remote cluster of 5,000 Nodes (one /24 each; tests/lab/nodesapi.py serves
# the list and the watch) and an agent in enforce mode on c2n1: every route installed, peak RSS
# at most 64 MiB (the release build: ASan's shadow memory would measure ASan), no EEXIST storm
# (the burst is one log line, not one per route), /healthz answering throughout. Then 5,000
# Nodes x 16 pod CIDRs (the sanitizer build): refused past the bounds, one cidr-rejected
# error naming the cluster, no route, the agent healthy and ready. Last, a Node whose
# InternalIP changes every 10 ms for 12 s: its route moves at most once per 10 s, logged as
# "moved", never counted as a repair.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lab/nodesapi.sh
source "$E2E_REPO_ROOT/tests/lab/nodesapi.sh"

e2e_setup

make -s -C "$E2E_REPO_ROOT" -j2 build/podreach >/dev/null || fail "release build"
release=$E2E_REPO_ROOT/build/podreach
ns=$(lab_ns c2n1)
api=$LAB_DIR/api
nodesapi_up "$api" "$ns" cluster2 6443 --nodes 2 --ip-base 172.18.0.4 --cidr-base 10.245.0.0 ||
    fail "local API"

# /healthz from the docker host every 0.1 s (a 5 s timeout: on a loaded 2-core machine a
# reconcile of 5,000 routes has taken up to 2 s of wall time),
# inside the host namespace so that the lab's teardown ends it.
poll_healthz() {
    lab_node_exec host bash -c 'while :; do curl -s -o /dev/null -m 5 -w "%{http_code}\n" \
        http://172.18.0.4:9750/healthz; sleep 0.1; done' >"$LAB_DIR/healthz-$1" 2>/dev/null &
}
# healthz_bad FILE — answers other than 200 once the agent first answered.
healthz_bad() { awk '$1 == 200 { up = 1 } up && $1 != 200' "$1" | grep -c . || true; }
agent() { # agent BINARY — the agent on c2n1 watching cluster2 (local) and cluster1 (remote)
    PODREACH=$1 pr_agent c2n1 --kubeconfig "$api/cluster2.kubeconfig" \
        --remote-kubeconfig "cluster1=$api/cluster1.kubeconfig" --remote-secrets "" \
        --service-cidr 10.97.0.0/16
}
stop_agent() {
    local pid t0=$SECONDS
    pid=$(agent_pid c2n1)
    kill "$pid" 2>/dev/null || true
    # SIGTERM ends it at once: nothing to withdraw at exit (80,000 CIDRs once took 18 s).
    wait_until 5 eval '! kill -0 '"$pid"' 2>/dev/null' ||
        fail "agent did not stop: $(tail -n 5 "$LAB_DIR/agent-c2n1.log")"
    echo "    # the agent stopped in $((SECONDS - t0)) s"
}

# ---- 5,000 Nodes, one /24 each ---------------------------------------------------------
nodesapi_up "$api" "$ns" cluster1 6444 --nodes 5000 --cidrs 1 --prefix 24 || fail "remote API"
poll_healthz big
agent "$release"
wait_until 90 eval '[[ $(route_count c2n1) == 5000 ]]' ||
    fail "not settled: $(route_count c2n1) routes; $(tail -n 5 "$LAB_DIR/agent-c2n1.log")"
pass_check "5,000 Nodes: 5,000 routes installed"
sleep 2
pid=$(agent_pid c2n1)
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
((hwm <= 65536)) || fail "peak RSS $hwm KiB, more than 64 MiB"
pass_check "peak RSS $((hwm / 1024)) MiB (at most 64)"
log=$(<"$LAB_DIR/agent-c2n1.log")
assert_not_contains "$log" "File exists" "no EEXIST"
lines=$(grep -c 'info: added ' <<<"$log" || true)
((lines <= 10)) || fail "$lines 'added' log lines for one burst"
assert_contains "$log" "info: added " "the burst logged in a line or a few ($lines)"
assert_eq 0 "$(healthz_bad "$LAB_DIR/healthz-big")" "/healthz answered 200 throughout"
((lines = $(grep -c . "$LAB_DIR/healthz-big"))) && ((lines >= 5)) || fail "too few /healthz polls"
stop_agent
nodesapi_down
ip -n "$ns" -4 route flush proto 152

# ---- 5,000 Nodes x 16 pod CIDRs: past the bounds --------------------------------------
nodesapi_up "$api" "$ns" cluster2 6443 --nodes 2 --ip-base 172.18.0.4 --cidr-base 10.245.0.0 ||
    fail "local API"
nodesapi_up "$api" "$ns" cluster1 6444 --nodes 5000 --cidrs 16 --prefix 28 || fail "remote API"
poll_healthz bounds
agent "$PODREACH"
status() { host_curl --max-time 10 http://172.18.0.4:9750/v1/status || true; }
rejected() {
    local s
    s=$(status)
    [[ -n $s ]] || return 0
    json_get "$s" '"".join(p["message"] for p in j["problems"] if p["code"] == "cidr-rejected")'
}
got=
wait_until 120 eval 'got=$(rejected); [[ $got == *"5000 Nodes (80000 pod CIDRs) not routed"* ]]' ||
    fail "no cidr-rejected: $got; $(tail -n 5 "$LAB_DIR/agent-c2n1.log")"
assert_contains "$got" "cluster cluster1: " "the problem names the cluster"
assert_contains "$got" "more than 4 pod CIDRs per Node" "and the bound"
wait_until 20 eval 's=$(status); [[ -n $s ]]' || fail "no /v1/status"
assert_eq 1 "$(json_get "$s" 'sum(p["code"] == "cidr-rejected" for p in j["problems"])')" \
    "one problem, not one per Node"
sleep 2
assert_eq 0 "$(route_count c2n1)" "nothing routed"
assert_eq 200 "$(host_curl -o /dev/null -w '%{http_code}' http://172.18.0.4:9750/readyz)" \
    "the agent is ready"
assert_eq 0 "$(healthz_bad "$LAB_DIR/healthz-bounds")" "/healthz answered throughout"
stop_agent
ip -n "$ns" -4 route flush proto 152
nodesapi_down

# ---- a flapping Node ---------------------------------------------------------------------
nodesapi_up "$api" "$ns" cluster2 6443 --nodes 2 --ip-base 172.18.0.4 --cidr-base 10.245.0.0 ||
    fail "local API"
nodesapi_up "$api" "$ns" cluster1 6444 --nodes 10 --flap 10 --flap-for 12 || fail "remote API"
lab_node_exec c2n1 ip -4 monitor route >"$LAB_DIR/monitor" 2>/dev/null &
: >"$LAB_DIR/agent-c2n1.log"
agent "$PODREACH"
wait_until 30 eval '[[ $(route_count c2n1) == 10 ]]' || fail "flapping cluster not routed"
sleep 13
changes=$(grep -c '10\.128\.0\.0/24' "$LAB_DIR/monitor" || true)
((changes >= 2 && changes <= 4)) || fail "the flapping Node's route changed $changes times in 13 s"
pass_check "a Node flapping every 10 ms for 12 s: its route changed $changes times"
moved=$(grep -c 'Node n00000 moved from' "$LAB_DIR/agent-c2n1.log" || true)
((moved >= 1 && moved <= 3)) || fail "$moved moves logged"
assert_contains "$(<"$LAB_DIR/agent-c2n1.log")" "info: moved 10.128.0.0/24 via" "logged as moved"
assert_not_contains "$(<"$LAB_DIR/agent-c2n1.log")" "10.128.0.0/24 via 172.18.100.1 dev eth0 proto 152: node" \
    "never as deleted"
assert_eq 10 "$(host_curl http://172.18.0.4:9750/metrics | awk '$1 == "podreach_route_repairs_total" { print $2 }')" \
    "repairs: the 10 installs, no move"
stop_agent
