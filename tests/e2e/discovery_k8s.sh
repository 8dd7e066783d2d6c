#!/usr/bin/env bash
# e2e-timeout: 600
# discovery_k8s — `--discovery kubernetes` against two real kube-apiservers (1.20, etcd 3.4,
# RBAC on), one per cluster, in the lab's docker-host namespace. Agents get a kubeconfig for
# their own cluster and read the other cluster's from an Istio-shaped remote secret (label
# istio/multiCluster=true, data key = cluster name, value = kubeconfig with a reader token):
# no node IP is typed anywhere. Then: a remote secret added at run time; a Node added, moved
# (InternalIP changed) and deleted -> route added, moved, removed; hostile Nodes refused, the
# rest still routed; the remote API killed and restarted -> routes kept, api-unreachable,
# recovered, and a Node created meanwhile routed; the reader's token revoked -> api-forbidden.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/lab/kubeapi.sh
source "$E2E_REPO_ROOT/tests/lab/kubeapi.sh"

if ! why=$(kubeapi_have); then
    echo "skipped: $why"
    exit 77
fi
e2e_setup

# ---- two API servers, RBAC as the manifests ask for it, the lab's Nodes ------------------------
kubeapi_up cluster1 172.18.0.1 6443 0 || fail "cluster1's API server did not come up"
kubeapi_up cluster2 172.18.0.1 6444 1 || fail "cluster2's API server did not come up"
pass_check "two kube-apiservers answer /readyz"

rbac() { # the agent: nodes cluster-wide, Secrets only in its namespace; the remote reader: nodes
    kubeapi_kubectl "$1" apply -f - >/dev/null <<'EOY'
apiVersion: v1
kind: Namespace
metadata: {name: podreach}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: podreach, namespace: podreach}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: podreach-remote-reader, namespace: podreach}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: podreach-nodes}
rules: [{apiGroups: [""], resources: [nodes], verbs: [get, list, watch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: podreach-nodes}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: podreach-nodes}
subjects:
- {kind: ServiceAccount, name: podreach, namespace: podreach}
- {kind: ServiceAccount, name: podreach-remote-reader, namespace: podreach}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: podreach-secrets, namespace: podreach}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list, watch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: podreach-secrets, namespace: podreach}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: podreach-secrets}
subjects: [{kind: ServiceAccount, name: podreach, namespace: podreach}]
EOY
}
rbac cluster1 || fail "RBAC on cluster1"
rbac cluster2 || fail "RBAC on cluster2"
for n in c1n1 c1n2 c2n1 c2n2; do
    kubeapi_node "$(lab_cluster_of "$n")" "$n" "$(lab_node_ip "$n")" "$(lab_pod_cidr "$n")" ||
        fail "creating Node $n"
done
pass_check "Nodes c1n1 c1n2 in cluster1, c2n1 c2n2 in cluster2"

token() { kubeapi_kubectl "$1" -n podreach create token "$2" --duration=2h; }
for c in cluster1 cluster2; do
    kubeapi_kubeconfig "$c" podreach "$(token "$c" podreach)" >"$LAB_DIR/$c-agent.kubeconfig"
done
# remote_secret FROM TO: in cluster TO, the secret istioctl create-remote-secret would make for
# cluster FROM (here for the least-privilege reader).
remote_secret() {
    local from=$1 to=$2 kc
    kc=$(kubeapi_kubeconfig "$from" "$from" "$(token "$from" podreach-remote-reader)")
    kubeapi_kubectl "$to" -n podreach create secret generic "podreach-remote-$from" \
        --from-literal="$from=$kc" >/dev/null &&
        kubeapi_kubectl "$to" -n podreach label secret "podreach-remote-$from" \
            istio/multiCluster=true >/dev/null
}
remote_secret cluster2 cluster1 || fail "remote secret for cluster2 in cluster1"

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
agent c1n2 --cni-conf-dir "$(lab_cni_dir c1n2)"
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
remote_secret cluster1 cluster2 || fail "remote secret for cluster1 in cluster2"
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
