#!/usr/bin/env bash
# why — both ends of a path: a forward drop on c1n2 for what arrives from cluster2 on port
# 5000 is named by c1n2's own report (node, table, chain and the handle `nft -a` prints),
# by c2n1's /v1/matrix cause for c2n1 -> c1n2 (fetched with c1n2's row), and by
# `podreach why 10.244.1.5:5000` on c2n1 (blocked, the hop c1n2 with that handle, exit 1);
# the healthy path traces through both nodes with exit 0, and the drop is gone from all three
# within seconds of the rule's removal. Bad input exits 2, an absent agent 3.
# Agents learn each other from --peers; WHY_DISCOVERY=kubernetes (e2e/why_k8s) has them watch
# two real kube-apiservers instead, each cluster's Nodes through an Istio-shaped remote secret.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

common=(--interval 1 --timeout 0.5 --probe-port 9750,5000)
if [[ ${WHY_DISCOVERY:-peers} == kubernetes ]]; then
    # shellcheck source=tests/lab/kubeapi.sh
    source "$E2E_REPO_ROOT/tests/lab/kubeapi.sh"
    if ! missing=$(kubeapi_have); then
        echo "skipped: $missing (bash tests/k8s/build-k8s.sh builds them)"
        exit 77
    fi
    e2e_setup
    kubeapi_up cluster1 172.18.0.1 6443 0 || fail "cluster1's API server did not come up"
    kubeapi_up cluster2 172.18.0.1 6444 1 || fail "cluster2's API server did not come up"
    for c in cluster1 cluster2; do
        kubeapi_rbac "$c" || fail "RBAC on $c"
        kubeapi_kubeconfig "$c" podreach "$(kubeapi_token "$c" podreach)" >"$LAB_DIR/$c-agent.kubeconfig"
    done
    for n in c1n1 c1n2 c2n1 c2n2; do
        kubeapi_node "$(lab_cluster_of "$n")" "$n" "$(lab_node_ip "$n")" "$(lab_pod_cidr "$n")" ||
            fail "creating Node $n"
    done
    kubeapi_remote_secret cluster2 cluster1 || fail "remote secret for cluster2 in cluster1"
    kubeapi_remote_secret cluster1 cluster2 || fail "remote secret for cluster1 in cluster2"
    for n in c1n1 c1n2 c2n1 c2n2; do
        pr_agent "$n" --kubeconfig "$LAB_DIR/$(lab_cluster_of "$n")-agent.kubeconfig" \
            --remote-secrets podreach "${common[@]}"
    done
else
    e2e_setup
    pr_agent c1n1 --peers 172.18.0.4 "${common[@]}"
    pr_agent c1n2 --peers 172.18.0.4 "${common[@]}"
    pr_agent c2n1 --peers 172.18.0.2 "${common[@]}"
    pr_agent c2n2 --peers 172.18.0.2 "${common[@]}"
fi
# A listener on c1n2's idle pod, so that the healthy path answers.
_lab_server c1n2-idle v3 idle-c1n2
_lab_wait_server c1n2-idle || fail "no listener on 10.244.1.5:5000"
wait_ready c2n1
wait_ready c1n2

why_c2n1() { lab_node_exec c2n1 "$PODREACH" why "$@"; }
status_c1n2() { host_curl http://172.18.0.3:9750/v1/status; }
inbound_drops() { # "table chain handle" of each inbound drop in c1n2's report, port 5000
    json_get "$(status_c1n2)" "' '.join(sorted(set('%s/%s/%s' % (f['table'], f['chain'], f['handle']) for f in j['firewall'] if f.get('direction') == 'in' and f['verdict'] == 'drop' and f['dport'] == 5000)))"
}

# ---- healthy: both nodes traced, exit 0 --------------------------------------------------------
wait_until 15 eval 'why_c2n1 10.244.1.5:5000 >/dev/null' ||
    fail "healthy path not open: $(why_c2n1 10.244.1.5:5000)"
assert_exit 0 why_c2n1 10.244.1.5:5000 --output json
assert_eq "open" "$(json_get "$OUT" 'j["verdict"]')" "verdict open"
assert_eq "c1n2 c2n1" "$(json_get "$OUT" '" ".join(sorted(set(h["node"] for h in j["hops"])))')" \
    "the hops cover this node and the owner"
assert_eq "open" "$(json_get "$OUT" 'j["probe"]["result"]')" "the live probe answers"
assert_contains "$(json_get "$OUT" '[h["message"] for h in j["hops"] if h["stage"] == "nat"]')" \
    "leaves as 172.18.0.4" "NAT: kindnet's masquerade, the source that leaves"
assert_eq "" "$(inbound_drops)" "no inbound drop made up on a healthy node"

# ---- a forward drop on c1n2 for cluster2's traffic to port 5000 ------------------------------
lab_node_exec c1n2 iptables-nft -I FORWARD -d 10.244.0.0/16 -p tcp --dport 5000 -j DROP
handle=$(lab_node_exec c1n2 nft -a list chain ip filter FORWARD | grep 'dport 5000' |
    sed 's/.*# handle //' | head -n1)
[[ $handle =~ ^[0-9]+$ ]] || fail "no handle: $(lab_node_exec c1n2 nft -a list chain ip filter FORWARD)"
wait_until 10 eval '[[ $(inbound_drops) == "ip filter/FORWARD/$handle" ]]' ||
    fail "c1n2 does not name its drop: $(inbound_drops)"
pass_check "c1n2's own report: ip filter FORWARD handle $handle"
assert_contains "$(json_get "$(status_c1n2)" '[p["message"] for p in j["problems"] if p["code"] == "firewall-drop"]')" \
    "on c1n2: 172.18.0.4/32 -> 10.244.1.0/24 port 5000 (from node c2n1 of cluster2)" \
    "firewall-drop names the node, the source (c2n1's masqueraded address) and the port"

matrix_cause() { # the cause c2n1's /v1/matrix gives for c2n1 -> c1n2, "none" when no failure
    json_get "$(host_curl http://172.18.0.4:9750/v1/matrix)" "next((str(f['cause']) for f in j['failures'] if j['nodes'][f['from']]['node'] == 'c2n1' and j['nodes'][f['to']]['node'] == 'c1n2'), 'none')"
}
wait_until 20 eval '[[ $(matrix_cause) == "c1n2: ip filter FORWARD handle $handle drops it (forward)" ]]' ||
    fail "c2n1's matrix does not name c1n2's drop: $(matrix_cause)"
pass_check "c2n1's /v1/matrix: the pair's cause names c1n2 and handle $handle"

assert_exit 1 why_c2n1 10.244.1.5:5000
first=$(head -n1 <<<"$OUT")
assert_contains "$first" "blocked at c1n2 (cluster1)" "the text's first line names the node"
assert_contains "$first" "ip filter FORWARD handle $handle" "... and the handle"
assert_exit 1 why_c2n1 10.244.1.5:5000 --output json
assert_eq "blocked" "$(json_get "$OUT" 'j["verdict"]')" "verdict blocked"
assert_eq "c1n2 forward drop ip filter FORWARD $handle" \
    "$(json_get "$OUT" '[" ".join(str(h[k]) for k in ("node", "hook", "verdict", "table", "chain", "handle")) for h in j["hops"] if h["verdict"] == "drop"][0]')" \
    "the blocking hop: c1n2, forward, handle $handle"
assert_exit 1 why_c2n1 10.244.1.5:9750 --output json   # another port: not dropped, nothing listens
assert_eq "unknown refused" "$(json_get "$OUT" 'j["verdict"] + " " + j["probe"]["result"]')" \
    "port 9750 is not blocked: the pod refuses (no listener), verdict unknown"
why_c2n1 10.244.1.5:5000 | sed 's/^/    | /' || true

# A client that leaves before the answer (the probe takes its 0.5 s): the agent carries on.
host_curl --max-time 0.1 'http://172.18.0.4:9750/v1/why?dst=10.244.1.5:5000' >/dev/null || true
sleep 1
host_curl -f -o /dev/null http://172.18.0.4:9750/readyz || fail "c2n1's agent after a client left"
assert_exit 1 why_c2n1 10.244.1.5:5000
pass_check "a client gone before its answer: the agent carries on"

# ---- cleared within seconds -----------------------------------------------------------------
lab_node_exec c1n2 iptables-nft -D FORWARD -d 10.244.0.0/16 -p tcp --dport 5000 -j DROP
wait_until 5 eval '[[ -z $(inbound_drops) ]]' || fail "c1n2 still reports: $(inbound_drops)"
pass_check "c1n2's report cleared"
wait_until 5 eval 'why_c2n1 10.244.1.5:5000 >/dev/null' || fail "why still fails"
pass_check "why open again"
wait_until 10 eval '[[ $(matrix_cause) == none ]]' || fail "the matrix still fails: $(matrix_cause)"
pass_check "the matrix pair clears"

# ---- input ------------------------------------------------------------------------------------
assert_exit 2 why_c2n1 10.244.1.5:99999
assert_exit 2 why_c2n1 not-an-ip
assert_exit 2 why_c2n1 10.244.1.5:5000 --src 1.2.3.4   # not a pod or address of c2n1
assert_exit 2 why_c2n1 10.244.1.5:5000 --output yaml
assert_exit 3 why_c2n1 10.244.1.5:5000 --agent http://127.0.0.1:9
assert_contains "$(host_curl -i 'http://172.18.0.4:9750/v1/why?dst=10.244.1.5:5000%0a')" "400" \
    "/v1/why refuses a bad dst"

# ---- stopped while a trace waits: answered 503, exits 0 (and no sanitizer report) -------------
lab_node_exec c1n2 iptables-nft -I FORWARD -d 10.244.0.0/16 -p tcp --dport 5000 -j DROP
why_c2n1 10.244.1.5:5000 >"$LAB_DIR/why-stopped.out" 2>&1 &
why_pid=$!
sleep 0.2
kill -TERM "$(agent_pid c2n1)"
wait_until 5 eval '! _lab_alive "$(agent_pid c2n1)"' || fail "c2n1's agent did not stop"
rc=0
wait "$(agent_pid c2n1)" || rc=$?
assert_eq 0 "$rc" "c2n1's agent exits 0 with a trace waiting"
rc=0
wait "$why_pid" || rc=$?
[[ $rc == 3 || $rc == 1 ]] || fail "why while the agent stops: exit $rc: $(cat "$LAB_DIR/why-stopped.out")"
pass_check "the agent stopped with a trace waiting (why: exit $rc)"
