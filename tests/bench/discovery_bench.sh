#!/usr/bin/env bash
# tests/bench/discovery_bench.sh — what `--discovery kubernetes` costs, against real
# kube-apiservers (tests/k8s/build-k8s.sh's cache) in the netns lab: one agent (c1n1, release
# build, enforce) watching cluster1 (its own) and cluster2 (through a remote secret).
#   1. API requests per minute at idle, counted by the API servers (audit log, every request
#      of the agent's two identities), over IDLE seconds (default 180);
#   2. discovery event -> route latency: N (default 50) Nodes created then deleted one at a
#      time through the API; the time from the request until the route's RTM_NEWROUTE /
#      RTM_DELROUTE in c1n1 (tests/bench/kube_latency.py); median and max;
#   3. RSS of the agent with 2 Nodes, then with 1,000 more Nodes in cluster2 (and their
#      1,000 routes installed).
# Usage: bash tests/bench/discovery_bench.sh   (root; builds build/podreach if needed)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
IDLE=${IDLE:-180}
N=${N:-50}
export LAB=prbdisc LAB_DIR=/run/prbdisc
# shellcheck source=tests/lab/lab.sh
source tests/lab/lab.sh
# shellcheck source=tests/lab/kubeapi.sh
source tests/lab/kubeapi.sh
wait_until() { # TIMEOUT CMD...
    local end=$((SECONDS + ${1%.*} + 1))
    shift
    until "$@"; do ((SECONDS < end)) || return 1; sleep 0.1; done
}
why=$(kubeapi_have) || { echo "skipped: $why"; exit 77; }
make -s -j2 build/podreach
trap 'lab_down' EXIT
lab_up >/dev/null

policy=$LAB_DIR/audit-policy.yaml
mkdir -p "$LAB_DIR"
printf 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  omitStages: [ResponseStarted, ResponseComplete, Panic]\n' >"$policy"
for c in cluster1 cluster2; do
    n=$([[ $c == cluster1 ]] && echo 0 || echo 1)
    KUBEAPI_EXTRA="--audit-policy-file=$policy --audit-log-path=$LAB_DIR/audit-$c.log" \
        kubeapi_up "$c" 172.18.0.1 $((6443 + n)) "$n"
    kubeapi_rbac "$c"
done
for nd in c1n1 c1n2 c2n1 c2n2; do
    kubeapi_node "$(lab_cluster_of "$nd")" "$nd" "$(lab_node_ip "$nd")" "$(lab_pod_cidr "$nd")"
done
kubeapi_kubeconfig cluster1 podreach "$(kubeapi_token cluster1 podreach)" >"$LAB_DIR/agent.kubeconfig"
kubeapi_remote_secret cluster2 cluster1
ip netns exec "$(lab_ns c1n1)" "$ROOT/build/podreach" agent --cluster cluster1 --node-name c1n1 \
    --cni-conf-dir "$(lab_cni_dir c1n1)" --mode enforce --kubeconfig "$LAB_DIR/agent.kubeconfig" \
    --remote-secrets podreach >"$LAB_DIR/agent.log" 2>&1 &
pid=$!
routes() { ip -n "$(lab_ns c1n1)" -4 route show proto 152 | grep -c . || true; }
wait_until 20 eval '[[ $(routes) == 2 ]]' || { tail "$LAB_DIR/agent.log"; exit 1; }
rss() { awk '/VmRSS/ { print $2 }' "/proc/$pid/status"; }
echo "agent synced: 2 remote routes, RSS $(rss) KiB"

# ---- 1. idle API requests ----------------------------------------------------------------
sleep 2
ours() { cat "$LAB_DIR"/audit-cluster*.log | grep -c -e '"username":"system:serviceaccount:podreach:podreach"' \
    -e '"username":"system:serviceaccount:podreach:podreach-reader"' || true; }
before=$(ours)
sleep "$IDLE"
after=$(ours)
echo "idle: $((after - before)) API requests in ${IDLE}s by the agent ($(echo "scale=2; ($after - $before) * 60 / $IDLE" | bc) per minute)"

# ---- 2. event -> route latency -----------------------------------------------------------
admin=$(sed -n 's/^  user: {token: \(.*\)}$/\1/p' "$LAB_DIR/kube-cluster2/admin.kubeconfig")
ip netns exec "$(lab_ns c1n1)" python3 tests/bench/kube_latency.py https://172.18.0.1:6444 \
    "$LAB_DIR/kube-cluster2/ca.crt" "$admin" "$N" >"$LAB_DIR/latency.txt"
for what in add del; do
    awk -v w="$what" '$1 == w { print $2 }' "$LAB_DIR/latency.txt" | sort -n | awk -v w="$what" '
        { v[NR] = $1 } END { printf "%s: %d events, median %.1f ms, max %.1f ms\n", w, NR, v[int((NR + 1) / 2)], v[NR] }'
done
awk '{ print $4 }' "$LAB_DIR/latency.txt" | sort -n | awk '{ v[NR] = $1 } END {
    printf "(the API server'\''s own answer to each request: median %.1f ms)\n", v[int((NR + 1) / 2)] }'

# ---- 3. RSS with 1,000 Nodes ---------------------------------------------------------------
python3 - "$LAB_DIR/nodes.json" <<'PY'
import json, sys
items = [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n%04d" % i},
          "spec": {"podCIDR": "10.%d.%d.0/24" % (100 + i // 256, i % 256)},
          "status": {"addresses": [{"type": "InternalIP", "address": "172.18.%d.%d" % (10 + i // 250, 1 + i % 250)}]}}
         for i in range(1000)]
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[1], "w"))
PY
t0=$EPOCHREALTIME
kubeapi_kubectl cluster2 create -f "$LAB_DIR/nodes.json" >/dev/null
t1=$EPOCHREALTIME
wait_until 120 eval '[[ $(routes) == 1002 ]]' || { echo "only $(routes) routes"; exit 1; }
t2=$EPOCHREALTIME
echo "1,000 Nodes created in $(echo "$t1 - $t0" | bc) s (kubectl, one request each); all 1,002 routes in place $(echo "$t2 - $t1" | bc) s after the last"
sleep 2
echo "RSS with 1,002 Nodes in cluster2 and 1,002 routes: $(rss) KiB"
kill -TERM "$pid"
wait "$pid" || true
