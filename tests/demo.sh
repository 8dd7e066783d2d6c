#!/usr/bin/env bash
# tests/demo.sh — README command 1. Installs what is missing, builds podreach, brings up two
# emulated kind clusters in network namespaces, and shows: curl from cluster2's pod failing,
# `podreach check` saying why, `--mode enforce` on every node fixing it, curl answering
# "Hello version: v1" with 200, the report all green; the same done by the agents seeded with
# one peer each, then by agents that learn every node from two real kube-apiservers and
# Istio-shaped remote secrets (the first run builds them: about 7-9 minutes); then the overlap
# variant (both clusters on 10.244.0.0/16) diagnosed. Everything is torn down at the end, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh
make -j2 >/dev/null
export PODREACH=$PWD/build/podreach LAB=${LAB:-prdemo}
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh
trap 'lab_down' EXIT

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@" || true; }
curl_hello() {
    echo "\$ kubectl exec curl (cluster2, 10.245.0.7) -- curl -s http://10.244.0.9:5000/hello"
    lab_curl c2n1-curl http://10.244.0.9:5000/hello
}

say "Two kind clusters on one docker bridge 172.18.0.0/16"
lab_up
# shellcheck source=/dev/null
source "$LAB_DIR/lab.env"
cat <<TXT
  cluster1: c1n1 172.18.0.2 pods 10.244.0.0/24 (helloworld 10.244.0.9:5000)
            c1n2 172.18.0.3 pods 10.244.1.0/24
  cluster2: c2n1 172.18.0.4 pods 10.245.0.0/24 (curl 10.245.0.7)
            c2n2 172.18.0.5 pods 10.245.1.0/24
TXT

say "Before: cluster2's curl pod cannot reach cluster1's helloworld"
curl_hello

say "podreach check on c2n1 (report mode: looks, changes nothing)"
echo "\$ podreach check --cluster cluster2 --remote $(pr_remotes c2n1)"
pr_check c2n1 --remote "$(pr_remotes c2n1)" || echo "(exit $?)"

say "podreach check --mode enforce on every node"
for n in c1n1 c1n2 c2n1 c2n2; do
    echo "--- $n: podreach check --mode enforce --remote $(pr_remotes "$n")"
    pr_check "$n" --remote "$(pr_remotes "$n")" --mode enforce 2>&1 | grep -E "installed|OK:|FAIL:|error" || true
done
echo "\$ ip route show proto 152    # on c2n1: exactly the routes podreach owns"
owned_routes c2n1

say "After: curl answers from cluster1"
curl_hello

say "The report, all green"
pr_check c2n1 --remote "$(pr_remotes c2n1)" || echo "(exit $?)"

say "The same with the agent: one per node, each seeded with one node of the other cluster"
lab_down
lab_up
for n in c1n1 c1n2; do pr_agent "$n" --peers 172.18.0.4 --interval 1; done
for n in c2n1 c2n2; do pr_agent "$n" --peers 172.18.0.2 --interval 1; done
converged() { for n in c1n1 c1n2 c2n1 c2n2; do [[ $(route_count "$n") == 2 ]] || return 1; done; }
wait_until 20 converged || echo "(not converged in 20 s)"
curl_hello
echo "\$ curl http://172.18.0.4:9750/      # from the docker host"
host_curl http://172.18.0.4:9750/ | head -n 6
echo "\$ curl -s http://172.18.0.4:9750/metrics | grep -E 'podreach_(peers|routes)\\{'"
host_curl http://172.18.0.4:9750/metrics | grep -E '^podreach_(peers|routes)\{' | grep -v ' 0$'

say "The same from Kubernetes: each cluster's API server is the truth, no IP typed anywhere"
# shellcheck source=tests/lab/kubeapi.sh
source tests/lab/kubeapi.sh
if ! kubeapi_have >/dev/null; then
    echo "(building kube-apiserver once from Debian's kubernetes source package into"
    echo " /opt/podreach-k8s/bin: about 7-9 minutes on 2 cores; later runs reuse it)"
    bash tests/k8s/build-k8s.sh >/tmp/podreach-build-k8s.log 2>&1 ||
        echo "(the build failed: see /tmp/podreach-build-k8s.log)"
fi
if kubeapi_have >/dev/null; then
    lab_down
    lab_up
    kubeapi_up cluster1 172.18.0.1 6443 0 && kubeapi_up cluster2 172.18.0.1 6444 1
    kubeapi_rbac cluster1 && kubeapi_rbac cluster2
    for n in c1n1 c1n2 c2n1 c2n2; do
        kubeapi_node "$(lab_cluster_of "$n")" "$n" "$(lab_node_ip "$n")" "$(lab_pod_cidr "$n")"
    done
    for c in cluster1 cluster2; do
        kubeapi_kubeconfig "$c" podreach "$(kubeapi_token "$c" podreach)" >"$LAB_DIR/$c-agent.kubeconfig"
    done
    # The remote secrets, in Istio's format, holding the other cluster's Nodes-only reader.
    kubeapi_remote_secret cluster2 cluster1 && kubeapi_remote_secret cluster1 cluster2
    echo "\$ kubectl --context cluster1 -n podreach get secrets -l istio/multiCluster=true"
    kubeapi_kubectl cluster1 -n podreach get secrets -l istio/multiCluster=true
    for n in c1n1 c1n2 c2n1 c2n2; do
        pr_agent "$n" --kubeconfig "$LAB_DIR/$(lab_cluster_of "$n")-agent.kubeconfig" \
            --remote-secrets podreach --interval 1
    done
    wait_until 30 converged || echo "(not converged in 30 s)"
    curl_hello
    echo "\$ curl -s http://172.18.0.4:9750/v1/status | jq .clusters      # from the docker host"
    host_curl http://172.18.0.4:9750/v1/status |
        python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["clusters"], indent=1))'
    echo "\$ kubectl --context cluster1 delete node c1n2     # its route goes from cluster2's nodes"
    kubeapi_kubectl cluster1 delete node c1n2
    wait_until 10 eval '[[ $(owned_routes c2n1) != *10.244.1.0* ]]' || echo "(route still there)"
    owned_routes c2n1
else
    echo "(skipped: no kube-apiserver; bash tests/k8s/build-k8s.sh builds it)"
fi

say "The seed's real situation: both clusters on kind's default podSubnet 10.244.0.0/16"
lab_down
lab_up --overlap
echo "\$ kubectl exec curl (cluster2, 10.244.0.7) -- curl -s http://10.244.1.5:5000/hello"
lab_curl c2n1-curl http://10.244.1.5:5000/hello
echo "(that answer came from cluster2's own pod 10.244.1.5, not from cluster1)"
echo
echo "\$ podreach check --mode enforce --cluster cluster2 --remote $(pr_remotes c2n1)"
pr_check c2n1 --remote "$(pr_remotes c2n1)" --mode enforce || echo "(exit $?: nothing installed)"

say "Done; tearing the lab down"
