#!/usr/bin/env bash
# check_kube — in a pod without a CNI config, the pod CIDR comes from the Node's
# spec.podCIDRs through the Kubernetes API (service-account token, the cluster's CA); a token
# the API refuses, or a CA that does not match, is a configuration error (exit 2) that names
# the URL, and nothing is changed.
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

e2e_setup

sa=$LAB_DIR/sa
mkdir -p "$sa" "$LAB_DIR/other"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=kubernetes \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$LAB_DIR/api.key" -out "$sa/ca.crt" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=other \
    -keyout "$LAB_DIR/other.key" -out "$LAB_DIR/other/ca.crt" 2>/dev/null
echo "sa-token-123" >"$sa/token"
cp "$sa/token" "$LAB_DIR/other/token"
lab_node_exec c2n1 python3 "$(repo_root)/tests/lab/fakeapi.py" 127.0.0.1 6443 "$sa/ca.crt" \
    "$LAB_DIR/api.key" sa-token-123 c2n1 "10.245.0.0/24,fd00:10:245::/64" >/dev/null 2>&1 &
wait_until 10 lab_node_exec c2n1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6443' 2>/dev/null ||
    fail "fake API did not start"

kcheck() { # kcheck SA_DIR NODE ARGS...
    local dir=$1 node=$2
    shift 2
    lab_node_exec c2n1 env KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=6443 \
        PODREACH_KUBE_SA_DIR="$dir" "$PODREACH" check --cluster cluster2 --node-name "$node" \
        --cni-conf-dir /nonexistent-podreach --remote "$(pr_remotes c2n1)" "$@"
}
before=$(routes_of c2n1)
assert_exit 1 kcheck "$sa" c2n1 --output json
assert_eq "['10.245.0.0/24']" "$(json_get "$OUT" 'j["pod_cidrs"]')" "pod CIDR from the Node (IPv6 skipped)"
assert_eq "missing missing" "$(json_get "$OUT" '" ".join(r["state"] for r in j["routes"])')" "and the check runs"

mkdir -p "$LAB_DIR/badtoken" && cp "$sa/ca.crt" "$LAB_DIR/badtoken/" && echo wrong >"$LAB_DIR/badtoken/token"
assert_exit 2 kcheck "$LAB_DIR/badtoken" c2n1
assert_contains "$ERR" "https://127.0.0.1:6443/api/v1/nodes/c2n1: HTTP 401" "a refused token names the URL"
assert_exit 2 kcheck "$LAB_DIR/other" c2n1
assert_contains "$ERR" "https://127.0.0.1:6443/api/v1/nodes/c2n1" "a CA mismatch names the URL"
assert_contains "$ERR" "/nonexistent-podreach" "and the CNI directory that was tried first"
assert_exit 2 kcheck "$sa" nobody --mode enforce
assert_contains "$ERR" "HTTP 404" "an unknown node"
assert_eq "$before" "$(routes_of c2n1)" "nothing changed"
