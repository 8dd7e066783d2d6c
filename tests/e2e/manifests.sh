#!/usr/bin/env bash
# manifests — `kubectl kustomize` renders both overlays into a hostNetwork DaemonSet whose
# configuration reaches podreach as PODREACH_* variables that podreach accepts.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
root=$(repo_root)
command -v kubectl >/dev/null || fail "kubectl missing (tests/deps.sh installs kubernetes-client)"
ns=prmani$$
trap 'ip netns del $ns 2>/dev/null' EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
# A new namespace may copy the host's forwarding setting: set what the test needs.
ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=0

for c in cluster1 cluster2; do
    out=$(kubectl kustomize "$root/manifests/overlays/$c") || fail "kustomize $c failed"
    assert_contains "$out" "kind: DaemonSet" "$c: a DaemonSet"
    assert_contains "$out" "hostNetwork: true" "$c: on the host network"
    assert_contains "$out" "PODREACH_CLUSTER: $c" "$c: its cluster name"
    assert_contains "$out" "- NET_ADMIN" "$c: NET_ADMIN to change routes"
    assert_contains "$out" "path: /readyz" "$c: readiness on /readyz"
    assert_contains "$out" "serviceAccountName: podreach" "$c: its service account"
    assert_contains "$out" "kind: ClusterRole" "$c: may get its Node (the pod CIDR of last resort)"
    # The ConfigMap's values must be ones podreach accepts: parse them with podreach itself.
    env=()
    while read -r kv; do env+=("$kv"); done < <(python3 - "$out" <<'PY'
import sys
lines = sys.argv[1].splitlines()
in_data = False
for l in lines:
    if l.startswith("data:"):
        in_data = True
        continue
    if in_data and l.startswith("  ") and ":" in l:
        k, v = l.strip().split(":", 1)
        print(f"{k}={v.strip()}")
    elif in_data:
        in_data = False
PY
)
    ((${#env[@]} >= 3)) || fail "$c: no ConfigMap data found"
    # Exit 2 would mean a variable was refused; in an empty namespace check otherwise says
    # 1 (forwarding is off there) — the configuration itself passed.
    assert_exit 1 ip netns exec "$ns" env -i "${env[@]}" "$PODREACH" check --pod-cidr 10.1.0.0/24 \
        --node-ip 127.0.0.1 --node-name test
    assert_exit 2 ip netns exec "$ns" env -i "${env[@]}" PODREACH_PEERS=bogus "$PODREACH" check \
        --pod-cidr 10.1.0.0/24 --node-ip 127.0.0.1 --node-name test
    assert_contains "$ERR" 'PODREACH_PEERS="bogus"' "$c: a bad value would be named"
done
