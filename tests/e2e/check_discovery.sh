#!/usr/bin/env bash
# e2e-timeout: 900
# check_discovery — `podreach check --discovery kubernetes` lists the Nodes of every cluster once
# (two real kube-apiservers, Istio-shaped remote secrets) and reports, then enforces, the remote
# pod CIDRs with clusters[] filled; in a pod (service account, KUBERNETES_SERVICE_HOST, no flag)
# too. No remote node is an error (exit 1), no pod CIDR a configuration error (exit 2). Stale
# owned routes (proto 152, a hand-added one and one whose Node was deleted while no agent ran)
# go — in check --mode enforce and within seconds of an agent's start — once every API has been
# listed, and stay while one API is down.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lab/kubeapi.sh
source "$E2E_REPO_ROOT/tests/lab/kubeapi.sh"

kubeapi_need
e2e_setup

kubeapi_lab || fail "the two API servers"
kubeapi_remote_secret cluster2 cluster1 || fail "remote secret for cluster2 in cluster1"
kubeapi_remote_secret cluster1 cluster2 || fail "remote secret for cluster1 in cluster2"
pass_check "two kube-apiservers, four Nodes, a remote secret in each cluster"

# kcheck NODE ARGS — check with the node's cluster's kubeconfig; nothing typed about the others
# (SECRETS=, CNI= and NAME= override --remote-secrets, --cni-conf-dir and --node-name).
kcheck() {
    local node=$1
    shift
    lab_node_exec "$node" "$PODREACH" check --cluster "$(lab_cluster_of "$node")" \
        --node-name "${NAME:-$node}" --kubeconfig "$LAB_DIR/$(lab_cluster_of "$node")-agent.kubeconfig" \
        --remote-secrets "${SECRETS-podreach}" --cni-conf-dir "${CNI:-$(lab_cni_dir "$node")}" "$@"
}
states() { json_get "$OUT" '" ".join("%s=%s" % (r["dst"], r["state"]) for r in j["routes"])'; }
codes() { json_get "$OUT" '" ".join(sorted(set(p["code"] for p in j["problems"])))'; }

# ---- report, then enforce -------------------------------------------------------------------
before=$(routes_of c2n1)
assert_exit 1 kcheck c2n1 --output json
assert_eq "10.244.0.0/24=missing 10.244.1.0/24=missing" "$(states)" "the remote CIDRs from cluster1's API"
assert_eq "cluster2 kubernetes synced 2|cluster1 kubernetes synced 2" \
    "$(json_get "$OUT" '"|".join("%s %s %s %d" % (c["name"], c["source"], c["state"], c["nodes"]) for c in j["clusters"])')" \
    "clusters[] filled"
assert_eq "$before" "$(routes_of c2n1)" "report mode changes nothing"
assert_exit 0 kcheck c2n1 --mode enforce --output json
assert_eq "10.244.0.0/24=installed 10.244.1.0/24=installed" "$(states)" "check --mode enforce installs them"
assert_contains "$(owned_routes c2n1)" "10.244.1.0/24 via 172.18.0.3 dev eth0" "in the kernel"
assert_exit 0 kcheck c2n1
assert_contains "$OUT" "cluster1" "the text report names the clusters"

# ---- as `kubectl exec ... podreach check` in a pod: everything from the environment -------------
sa=$LAB_DIR/c2n2-sa
mkdir -p "$sa"
kubeapi_token cluster2 podreach >"$sa/token"
cp "$LAB_DIR/kube-cluster2/ca.crt" "$sa/ca.crt"
podcheck() {
    lab_node_exec c2n2 env KUBERNETES_SERVICE_HOST=172.18.0.1 KUBERNETES_SERVICE_PORT=6444 \
        PODREACH_KUBE_SA_DIR="$sa" POD_NAMESPACE=podreach NODE_NAME=c2n2 PODREACH_CLUSTER=cluster2 \
        PODREACH_CNI_CONF_DIR="$(lab_cni_dir c2n2)" "$PODREACH" check "$@"
}
assert_exit 1 podcheck --output json
assert_eq "10.244.0.0/24=missing 10.244.1.0/24=missing" "$(states)" "in a pod: the service account's view"
assert_exit 0 podcheck --mode enforce
assert_contains "$(owned_routes c2n2)" "10.244.0.0/24 via 172.18.0.2 dev eth0" "and enforce there"

# ---- nothing to check is never a silent 0 --------------------------------------------------------
SECRETS="" assert_exit 1 kcheck c2n1 --output json
# No remote cluster configured and every source listed: the routes installed above are stale
# by this configuration (reported; report mode removes nothing).
assert_eq "no-probe-targets route-stale" "$(codes)" "no remote cluster: no-probe-targets (error)"
assert_contains "$(owned_routes c2n1)" "10.244.0.0/24 via 172.18.0.2" "report mode keeps them"
CNI=$LAB_DIR/none NAME=c2n9 assert_exit 2 kcheck c2n1
assert_contains "$ERR" "Node c2n9 no spec.podCIDRs" "no pod CIDR anywhere: exit 2, named"

# ---- stale owned routes in check ------------------------------------------------------------------
lab_node_exec c2n1 ip route add 10.244.7.0/24 via 172.18.0.3 proto 152
assert_exit 0 kcheck c2n1 --output json
assert_eq "route-stale" "$(codes | tr ' ' '\n' | grep route-stale)" "a stray proto-152 route: route-stale"
assert_contains "$(json_get "$OUT" '[p["fix"] for p in j["problems"] if p["code"]=="route-stale"][0]')" \
    "ip route del 10.244.7.0/24 via 172.18.0.3 dev eth0 proto 152" "with the fix"
assert_contains "$(owned_routes c2n1)" "10.244.7.0/24" "report mode leaves it"
assert_exit 0 kcheck c2n1 --mode enforce
assert_not_contains "$(owned_routes c2n1)" "10.244.7.0/24" "check --mode enforce removes it"
assert_contains "$ERR" "removed 10.244.7.0/24 via 172.18.0.3 dev eth0 proto 152: stale" "and says so"
assert_contains "$(owned_routes c2n1)" "10.244.0.0/24 via 172.18.0.2" "the live routes stay"

# ---- one API down: nothing is removed --------------------------------------------------------------
# c1n1: a Node of cluster2 routed, then deleted while no agent runs; and a stray route.
kubeapi_node cluster2 c2n3 172.18.0.6 10.245.2.0/24 || fail "creating Node c2n3"
assert_exit 0 kcheck c1n1 --mode enforce
assert_contains "$(owned_routes c1n1)" "10.245.2.0/24 via 172.18.0.6" "c2n3 routed by check"
kubeapi_kubectl cluster2 delete node c2n3 >/dev/null || fail "deleting Node c2n3"
lab_node_exec c1n1 ip route add 10.245.7.0/24 via 172.18.0.5 proto 152
kubeapi_stop cluster2
assert_exit 1 kcheck c1n1 --mode enforce --output json
assert_contains "$(codes)" "api-unreachable" "cluster2's API down: api-unreachable (an error to check)"
assert_contains "$(owned_routes c1n1)" "10.245.2.0/24 via 172.18.0.6" "check removes nothing while an API is down"
assert_contains "$(owned_routes c1n1)" "10.245.7.0/24 via 172.18.0.5" "... not the stray route either"
assert_contains "$(owned_routes c1n1)" "10.245.0.0/24 via 172.18.0.4" "... nor the live ones"

# The agent, started while cluster2's API is down: nothing goes; the API back: both go at once.
agent() {
    ip netns exec "$(lab_ns c1n1)" "$PODREACH" agent --cluster cluster1 --node-name c1n1 \
        --mode enforce --interval 1 --kubeconfig "$LAB_DIR/cluster1-agent.kubeconfig" \
        --remote-secrets podreach --cni-conf-dir "$(lab_cni_dir c1n1)" \
        >>"$LAB_DIR/agent-c1n1.log" 2>&1 </dev/null &
    echo $! >"$LAB_DIR/agent-c1n1.pid"
}
stop_agent() {
    local pid
    pid=$(agent_pid c1n1)
    kill -TERM "$pid" 2>/dev/null || true
    wait_until 10 eval "! kill -0 $pid 2>/dev/null" || fail "the agent did not stop"
}
status() { host_curl "http://172.18.0.2:9750/v1/status"; }
state_of() { json_get "$(status)" "[c['state'] for c in j['clusters'] if c['name']=='$1'][0]"; }
gone() { [[ $(owned_routes c1n1) != *"$1"* ]]; }
agent
wait_ready c1n1
wait_until 15 eval '[[ $(state_of cluster2) == unreachable ]]' || fail "cluster2 not unreachable: $(status)"
sleep 2
assert_contains "$(owned_routes c1n1)" "10.245.2.0/24 via 172.18.0.6" "the agent keeps it while an API is down"
assert_contains "$(owned_routes c1n1)" "10.245.7.0/24 via 172.18.0.5" "... and the stray one"
kubeapi_start cluster2 || fail "cluster2's API server did not come back"
t0=$SECONDS
wait_until 40 eval 'gone 10.245.2.0/24 && gone 10.245.7.0/24' ||
    fail "stale routes stay with every API up: $(owned_routes c1n1; tail -5 "$LAB_DIR/agent-c1n1.log")"
echo "# stale routes removed $((SECONDS - t0)) s after cluster2's API came back (watch backoff)"
assert_contains "$(owned_routes c1n1)" "10.245.0.0/24 via 172.18.0.4" "the live routes stay"
grep -q "removed 10.245.7.0/24 via 172.18.0.5 dev eth0 proto 152: stale" "$LAB_DIR/agent-c1n1.log" ||
    fail "the removal is not logged: $(tail -5 "$LAB_DIR/agent-c1n1.log")"
assert_contains "$(host_curl http://172.18.0.2:9750/metrics)" \
    'podreach_routes_removed_total{reason="stale"} 2' "counted"
stop_agent

# Every API up at start: a stale route goes within seconds.
lab_node_exec c1n1 ip route add 10.245.8.0/24 via 172.18.0.5 proto 152
t0=${EPOCHREALTIME/[.,]/}
agent
wait_until 10 gone 10.245.8.0/24 || fail "a stale route stays after the agent's start: $(owned_routes c1n1)"
echo "# removed $(( (${EPOCHREALTIME/[.,]/} - t0) / 1000 )) ms after the agent started"
assert_contains "$(owned_routes c1n1)" "10.245.1.0/24 via 172.18.0.5" "the live routes stay"
# Listed, then down: a stray route added now stays while cluster2's API is away.
kubeapi_stop cluster2
wait_until 15 eval '[[ $(state_of cluster2) == unreachable ]]' || fail "cluster2 not unreachable: $(status)"
lab_node_exec c1n1 ip route add 10.245.9.0/24 via 172.18.0.5 proto 152
sleep 2
assert_contains "$(owned_routes c1n1)" "10.245.9.0/24 via 172.18.0.5" "listed once, then down: nothing goes"
assert_contains "$(json_get "$(status)" '[p["code"] for p in j["problems"]]')" "api-unreachable" \
    "the agent reports the API down"
stop_agent
