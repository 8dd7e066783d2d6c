#!/usr/bin/env bash
# manifests — what `kubectl kustomize` renders from manifests/ (both overlays and the remote
# reader) is a least-privilege deployment: the agent in its own namespace `podreach`, nodes
# get/list/watch cluster-wide, Secrets get/list/watch only in that namespace, POD_NAMESPACE
# from the downward API, no node address typed anywhere; its ConfigMap reaches podreach as
# PODREACH_* variables podreach accepts; manifests/create-remote-secret.sh writes Istio's
# remote-secret format around the reader's token.
# (tests/e2e/k8s_clusters.sh applies all of it to real clusters.)
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"
root=$(repo_root)
command -v kubectl >/dev/null || fail "kubectl missing (tests/deps.sh installs kubernetes-client)"
# Debian's python3 (tests/deps.sh installs python3-yaml for it), whatever else is on PATH.
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
"$PY" -c 'import yaml' 2>/dev/null || fail "python3-yaml missing (tests/deps.sh installs it)"
ns=prmani$$
tmp=$(mktemp -d)
trap 'ip netns del $ns 2>/dev/null; rm -rf -- "$tmp"' EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
# A new namespace may copy the host's forwarding setting: set what the test needs.
ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=0

# yaml_check FILE WHAT — run the python checks named WHAT over the YAML documents in FILE;
# each check prints "ok <msg>" or "FAIL <msg>".
yaml_check() {
    local line bad=0
    while IFS= read -r line; do
        case $line in
            ok\ *) pass_check "${line#ok }" ;;
            *) echo "$line" >&2; bad=1 ;;
        esac
    done < <("$PY" "$root/tests/e2e/manifests_check.py" "$@" 2>&1)
    ((bad == 0)) || fail "$2: see above"
}

for c in cluster1 cluster2; do
    kubectl kustomize "$root/manifests/overlays/$c" >"$tmp/$c.yaml" || fail "kustomize $c failed"
    yaml_check "$tmp/$c.yaml" overlay "$c"
    # The ConfigMap's values must be ones podreach accepts: parse them with podreach itself.
    env=()
    while read -r kv; do env+=("$kv"); done < <("$PY" "$root/tests/e2e/manifests_check.py" "$tmp/$c.yaml" env)
    ((${#env[@]} >= 3)) || fail "$c: no ConfigMap data found"
    # Exit 2 would mean a variable was refused; in an empty namespace without remotes the
    # configuration passes (0) or reports the node (1) — never a configuration error.
    RC=0
    ip netns exec "$ns" env -i "${env[@]}" "$PODREACH" check --pod-cidr 10.1.0.0/24 \
        --node-ip 127.0.0.1 --node-name test >"$tmp/out" 2>&1 || RC=$?
    ((RC == 0 || RC == 1)) || fail "$c: podreach refused the ConfigMap (exit $RC): $(cat "$tmp/out")"
    pass_check "$c: podreach accepts the ConfigMap (exit $RC)"
    assert_exit 2 ip netns exec "$ns" env -i "${env[@]}" PODREACH_CLUSTER_CIDR=bogus "$PODREACH" check \
        --pod-cidr 10.1.0.0/24 --node-ip 127.0.0.1 --node-name test
    assert_contains "$ERR" 'PODREACH_CLUSTER_CIDR="bogus"' "$c: a bad value would be named"
done

kubectl kustomize "$root/manifests/remote-reader" >"$tmp/reader.yaml" || fail "kustomize remote-reader failed"
yaml_check "$tmp/reader.yaml" reader

# kind configs: distinct pod and service subnets, matching the overlays' CIDRs.
yaml_check "$root/manifests/kind/cluster1.yaml" kind "$root/manifests/kind/cluster2.yaml" "$tmp/cluster1.yaml" "$tmp/cluster2.yaml"

# create-remote-secret.sh against a stand-in kubectl that answers what the API would for the
# reader's token Secret (the real one runs in tests/e2e/k8s_clusters.sh).
mkdir -p "$tmp/bin"
cat >"$tmp/bin/kubectl" <<'EOF'
#!/bin/sh
case "$*" in
    *"config view"*) printf 'https://cluster1-control-plane:6443' ;;
    *"{.data.token}"*) printf 'ZXlKaGJHY2lPaUpTVXpJMU5pSjkuZXlKemRXSWlPaUp6ZVhOMFpXMDZjMlZ5ZG1salpXRmpZMjkxYm5RNmNHOWtjbVZoWTJnNmNHOWtjbVZoWTJndGNtVmhaR1Z5SW4wLnNpZw==' ;;
    *"ca\.crt"*) printf 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=' ;;
    *) echo "unexpected kubectl $*" >&2; exit 1 ;;
esac
EOF
chmod +x "$tmp/bin/kubectl"
PATH="$tmp/bin:$PATH" "$root/manifests/create-remote-secret.sh" --context kind-cluster1 --name cluster1 \
    >"$tmp/secret.yaml" || fail "create-remote-secret.sh failed"
yaml_check "$tmp/secret.yaml" secret cluster1 https://cluster1-control-plane:6443
assert_exit 2 env PATH="$tmp/bin:$PATH" "$root/manifests/create-remote-secret.sh" --name 'Cluster_1'
assert_contains "$ERR" "not a DNS label" "a bad cluster name is refused"
assert_exit 2 env PATH="$tmp/bin:$PATH" "$root/manifests/create-remote-secret.sh" --name c1 \
    --server 'https://x/
  evil: 1'
assert_contains "$ERR" "not an https:// URL" "a server that would break the YAML is refused"

# What the manifests' comments cite is in the repository (10-kindnet.conflist is the node's).
tracked=$(git -C "$root" ls-files)
for f in $(grep -rhoE '[A-Za-z0-9_./-]+\.(md|yaml|sh|8)\b' "$root/manifests" | sort -u); do
    grep -qE "(^|/)${f//./\\.}\$" <<<"$tracked" || fail "manifests/ cite $f, which is not in the repository"
done
pass_check "every file the manifests cite is in the repository"
