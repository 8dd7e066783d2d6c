#!/usr/bin/env bash
# e2e-timeout: 1200
# discovery_k8s — `--discovery kubernetes` against two real kube-apiservers (1.20, etcd 3.4,
# RBAC on), one per cluster, in the lab's docker-host namespace. Agents get a kubeconfig for
# their own cluster and read the other cluster's from an Istio-shaped remote secret (label
# istio/multiCluster=true, data key = cluster name, value = kubeconfig with a reader token):
# no node IP is typed anywhere. Then: a remote secret added at run time; a Node added, moved
# (InternalIP changed) and deleted -> route added, moved, removed; hostile Nodes refused, the
# rest still routed; the remote API frozen (SIGSTOP) -> unreachable within 30 s, routes kept,
# synced after SIGCONT; the remote API killed and restarted -> routes kept, api-unreachable,
# recovered, and a Node created meanwhile routed; the reader's token revoked -> api-forbidden.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lab/kubeapi.sh
source "$E2E_REPO_ROOT/tests/lab/kubeapi.sh"

# The first run pays the build of the cache (about 7 minutes); later runs find it.
if ! kubeapi_have >/dev/null; then
    echo "# no Kubernetes binaries yet: bash tests/k8s/build-k8s.sh"
    log=$(mktemp /tmp/podreach-build-k8s.XXXXXX)
    if ! bash "$E2E_REPO_ROOT/tests/k8s/build-k8s.sh" >"$log" 2>&1; then
        echo "skipped: tests/k8s/build-k8s.sh failed: $(tail -n 1 "$log") (log: $log)"
        exit 77
    fi
    rm -f "$log"
fi
if ! why=$(kubeapi_have); then
    echo "skipped: $why"
    exit 77
fi
e2e_setup

# ---- two API servers, RBAC as the manifests ask for it, the lab's Nodes ------------------------
kubeapi_lab || fail "the lab's API servers"
pass_check "two kube-apiservers answer /readyz; Nodes c1n1 c1n2 in cluster1, c2n1 c2n2 in cluster2"
kubeapi_remote_secret cluster2 cluster1 || fail "remote secret for cluster2 in cluster1"

# ---- agents: no --peers, no --remote, no --cluster-cidr -----------------------------------
agent() { # NODE ARGS: kubernetes discovery with the node's own cluster's kubeconfig
    local node=$1
    shift
    ip netns exec "$(lab_ns "$node")" "$PODREACH" agent --cluster "$(lab_cluster_of "$node")" \
        --node-name "$node" --mode enforce --interval 1 --resync 60 \
        --kubeconfig "$LAB_DIR/$(lab_cluster_of "$node")-agent.kubeconfig" \
        --remote-secrets podreach "$@" >>"$LAB_DIR/agent-$node.log" 2>&1 </dev/null &
    echo $! >"$LAB_DIR/agent-$node.pid"
}
agent c1n1 --cni-conf-dir "$(lab_cni_dir c1n1)"
# c1n2 as in a pod: no --kubeconfig, no --discovery, no --remote-secrets: the service account's
# token and CA, the API from KUBERNETES_SERVICE_HOST, the Secrets of $POD_NAMESPACE.
sa=$LAB_DIR/c1n2-sa
mkdir -p "$sa"
kubeapi_token cluster1 podreach >"$sa/token"
cp "$LAB_DIR/kube-cluster1/ca.crt" "$sa/ca.crt"
ip netns exec "$(lab_ns c1n2)" env KUBERNETES_SERVICE_HOST=172.18.0.1 KUBERNETES_SERVICE_PORT=6443 \
    PODREACH_KUBE_SA_DIR="$sa" POD_NAMESPACE=podreach NODE_NAME=c1n2 PODREACH_CLUSTER=cluster1 \
    PODREACH_MODE=enforce "$PODREACH" agent --cni-conf-dir "$(lab_cni_dir c1n2)" --interval 1 \
    >>"$LAB_DIR/agent-c1n2.log" 2>&1 </dev/null &
echo $! >"$LAB_DIR/agent-c1n2.pid"
agent c2n1 --cni-conf-dir "$(lab_cni_dir c2n1)"
# c2n2 has no CNI config to read: its pod CIDR comes from its own Node.
agent c2n2 --cni-conf-dir "$LAB_DIR/none"
for n in c1n1 c1n2 c2n1 c2n2; do wait_ready "$n"; done

status() { host_curl "http://$(lab_node_ip "$1"):9750/v1/status"; }
has_route() { [[ $(owned_routes "$1") == *"$2"* ]]; }
no_route() { [[ $(owned_routes "$1") != *"$2"* ]]; }
for n in c1n1 c1n2; do
    wait_until 10 has_route "$n" "10.245.0.0/24 via 172.18.0.4 dev eth0" ||
        fail "$n: no route to c2n1's pods: $(owned_routes "$n"; tail -5 "$LAB_DIR/agent-$n.log")"
    wait_until 10 has_route "$n" "10.245.1.0/24 via 172.18.0.5 dev eth0" ||
        fail "$n: no route to c2n2's pods: $(owned_routes "$n")"
done
pass_check "cluster1's nodes route cluster2's pod CIDRs, from the API alone"
st=$(status c1n1)
assert_eq "cluster1 kubernetes synced 2 https://172.18.0.1:6443|cluster2 kubernetes synced 2 https://172.18.0.1:6444" \
    "$(json_get "$st" '"|".join("%s %s %s %d %s" % (c["name"], c["source"], c["state"], c["nodes"], c["api"]) for c in j["clusters"])')" \
    "c1n1's clusters[]"
assert_eq "0" "$(route_count c2n1)" "cluster2 has no secret for cluster1 yet: no routes there"

# ---- a remote secret added at run time ------------------------------------------------------
kubeapi_remote_secret cluster1 cluster2 || fail "remote secret for cluster1 in cluster2"
for n in c2n1 c2n2; do
    wait_until 10 has_route "$n" "10.244.0.0/24 via 172.18.0.2 dev eth0" ||
        fail "$n: the new secret gave no route: $(owned_routes "$n"; tail -5 "$LAB_DIR/agent-$n.log")"
    wait_until 10 has_route "$n" "10.244.1.0/24 via 172.18.0.3 dev eth0" || fail "$n: c1n2's route"
done
pass_check "a remote secret added at run time: cluster2's nodes route cluster1"
out=$(lab_curl c2n1-curl "$LAB_HELLO_URL")
assert_contains "$out" "Hello version: v1" "curl from cluster2's pod reaches helloworld in cluster1"
st=$(status c2n2)
assert_eq "10.245.1.0/24" "$(json_get "$st" '",".join(j["pod_cidrs"])')" "c2n2's pod CIDR from its Node"

# ---- a Node added, moved (InternalIP changed), deleted ------------------------------------
kubeapi_node cluster2 c2n3 172.18.0.6 10.245.2.0/24 || fail "creating Node c2n3"
wait_until 5 has_route c1n1 "10.245.2.0/24 via 172.18.0.6 dev eth0" ||
    fail "Node c2n3 added: no route: $(owned_routes c1n1)"
pass_check "Node added in cluster2 -> route on c1n1"
kubeapi_node_ip cluster2 c2n3 172.18.0.7 || fail "moving Node c2n3"
wait_until 5 has_route c1n1 "10.245.2.0/24 via 172.18.0.7 dev eth0" ||
    fail "Node c2n3 moved: route not moved: $(owned_routes c1n1)"
pass_check "Node's InternalIP changed -> route moved"
kubeapi_kubectl cluster2 delete node c2n3 >/dev/null || fail "deleting Node c2n3"
wait_until 5 no_route c1n1 "10.245.2.0/24" || fail "Node c2n3 deleted: route stays: $(owned_routes c1n1)"
wait_until 5 no_route c1n2 "10.245.2.0/24" || fail "c1n2 keeps the deleted node's route"
grep -q "removed 10.245.2.0/24 via 172.18.0.7 dev eth0 proto 152: node c2n3 of cluster cluster2" \
    "$LAB_DIR/agent-c1n1.log" || fail "the removal is not logged: $(tail -5 "$LAB_DIR/agent-c1n1.log")"
pass_check "Node deleted -> its owned route removed (and logged)"

# ---- hostile Nodes: a default route, the local cluster's range, the bridge ----------------------
kubeapi_node cluster2 evil-default 172.18.0.8 0.0.0.0/0 || fail "creating Node evil-default"
# Half of c1n2's range: only the union of cluster1's Nodes (no --cluster-cidr) shows it is ours.
kubeapi_node cluster2 evil-overlap 172.18.0.9 10.244.1.128/25 || fail "creating Node evil-overlap"
kubeapi_node cluster2 evil-bridge 172.18.0.10 172.18.0.0/24 || fail "creating Node evil-bridge"
kubeapi_node cluster2 c2n4 172.18.0.11 10.245.4.0/24 || fail "creating Node c2n4"
wait_until 5 has_route c1n1 "10.245.4.0/24 via 172.18.0.11" || fail "c2n4 not routed next to hostile Nodes"
rejected() { [[ $(json_get "$(status c1n1)" \
    'sum(r["state"]=="rejected" for r in j["routes"])') == 3 ]]; }
wait_until 5 rejected || fail "the hostile CIDRs are not all rejected: $(status c1n1)"
for bad in 0.0.0.0/0 10.244.1.128/25 172.18.0.0/24; do
    assert_not_contains "$(owned_routes c1n1)" "$bad " "$bad is not installed"
done
assert_contains "$(routes_of c1n1)" "10.245.0.0/24 via 172.18.0.4" "the rest of cluster2 still routed"
st=$(status c1n1)
assert_contains "$(json_get "$st" '[p["code"] for p in j["problems"]]')" "cidr-rejected" "reported"
assert_contains "$(json_get "$st" '[p["code"] for p in j["problems"]]')" "pod-cidr-overlap" \
    "the overlap with the local cluster (the union of its Nodes' CIDRs) is named"
for n in evil-default evil-overlap evil-bridge c2n4; do
    kubeapi_kubectl cluster2 delete node "$n" >/dev/null
done
wait_until 5 no_route c1n1 "10.245.4.0/24" || fail "c2n4's route stays after its deletion"

# ---- the remote API frozen (SIGSTOP): its connections stay open and silent -----------------------
state_of() { json_get "$(status "$1")" "[c['state'] for c in j['clusters'] if c['name']=='$2'][0]"; }
kill -STOP "$(<"$LAB_DIR/kube-cluster2/apiserver.pid")"
t0=$(date +%s.%N)
wait_until 40 eval '[[ $(state_of c1n1 cluster2) == unreachable ]]' ||
    { kill -CONT "$(<"$LAB_DIR/kube-cluster2/apiserver.pid")"; fail "a frozen API stays synced: $(status c1n1)"; }
took=$(echo "$(date +%s.%N) - $t0" | bc)
(( $(echo "$took <= 30" | bc) )) || fail "a frozen API found unreachable only after $took s"
pass_check "the remote API frozen: unreachable after $took s (watches end every 20 s)"
assert_contains "$(owned_routes c1n1)" "10.245.0.0/24 via 172.18.0.4" "routes stay while it is frozen"
sleep 3
kill -CONT "$(<"$LAB_DIR/kube-cluster2/apiserver.pid")"
t0=$(date +%s.%N)
wait_until 40 eval '[[ $(state_of c1n1 cluster2) == synced ]]' || fail "not synced after SIGCONT: $(status c1n1)"
pass_check "SIGCONT: synced again after $(echo "$(date +%s.%N) - $t0" | bc) s"
grep -E "problem api-unreachable (appeared|cleared): cluster cluster2" "$LAB_DIR/agent-c1n1.log" |
    sed 's/^/# /'
# cluster1's API was never away: its Secrets watch (idle: no Secret changed for minutes, its
# watches ending empty every 20 s) is no failure.
for n in c1n1 c1n2; do
    assert_not_contains "$(<"$LAB_DIR/agent-$n.log")" "Secrets in podreach" "$n: its idle Secrets watch is fine"
done

# ---- the remote API killed and restarted ---------------------------------------------------------
kubeapi_stop cluster2
wait_until 15 eval '[[ $(state_of c1n1 cluster2) == unreachable ]]' ||
    fail "cluster2 not unreachable: $(status c1n1)"
st=$(status c1n1)
assert_contains "$(json_get "$st" '[p["code"] for p in j["problems"]]')" "api-unreachable" "api-unreachable"
assert_contains "$(owned_routes c1n1)" "10.245.0.0/24 via 172.18.0.4" "routes stay while the API is away"
assert_contains "$(owned_routes c1n1)" "10.245.1.0/24 via 172.18.0.5" "... both"
# Back, but c1n1 still cannot reach it (its packets to the API refused): a Node created now
# is created while c1n1's watch is down.
lab_node_exec c1n1 nft add table inet prtest
lab_node_exec c1n1 nft add chain inet prtest out '{ type filter hook output priority 0; }'
lab_node_exec c1n1 nft add rule inet prtest out ip daddr 172.18.0.1 tcp dport 6444 reject with tcp reset
kubeapi_start cluster2 || fail "cluster2's API server did not come back"
kubeapi_node cluster2 c2n5 172.18.0.12 10.245.5.0/24 || fail "creating Node c2n5"
wait_until 5 has_route c1n2 "10.245.5.0/24 via 172.18.0.12" || fail "c1n2 does not route c2n5"
assert_eq "unreachable" "$(state_of c1n1 cluster2)" "c1n1 still cannot reach cluster2's API"
assert_not_contains "$(owned_routes c1n1)" "10.245.5.0/24" "... and has no route to c2n5 yet"
lab_node_exec c1n1 nft delete table inet prtest
wait_until 40 has_route c1n1 "10.245.5.0/24 via 172.18.0.12" ||
    fail "a Node created while the watch was down is not routed: $(status c1n1)"
wait_until 5 eval '[[ $(state_of c1n1 cluster2) == synced ]]' || fail "cluster2 not synced again"
pass_check "API back: synced, and the Node created meanwhile is routed"

# ---- a revoked token -----------------------------------------------------------------------------
# Revocation shows at the next request: an open watch is not cut by the API server, so
# the server is bounced after the reader's ServiceAccount (and with it its token) is gone.
kubeapi_kubectl cluster2 -n podreach delete serviceaccount podreach-reader >/dev/null
kubeapi_stop cluster2
kubeapi_start cluster2 || fail "cluster2's API server did not come back"
wait_until 40 eval '[[ $(state_of c1n1 cluster2) == forbidden ]]' ||
    fail "cluster2 not forbidden: $(status c1n1)"
st=$(status c1n1)
msg=$(json_get "$st" '[p["message"] for p in j["problems"] if p["code"]=="api-forbidden"][0]')
assert_contains "$msg" "Secret podreach/podreach-remote-cluster2 key cluster2" "api-forbidden names the secret"
assert_contains "$msg" "system:serviceaccount:podreach:podreach-reader" "... and the identity"
assert_contains "$(owned_routes c1n1)" "10.245.0.0/24 via 172.18.0.4" "routes stay when forbidden"
echo "# c1n1's log about cluster2:"
grep -E "cluster2" "$LAB_DIR/agent-c1n1.log" | sed 's/^/#   /' | tail -n 25
