# tests/lab/nodesapi.sh — fake clusters of many Nodes for an agent in one namespace
# (tests/lab/nodesapi.py), shared by tests/bench/large_cluster.sh and
# tests/e2e/agent_large.sh. Source it; needs openssl and python3.
# shellcheck shell=bash

# nodesapi_up DIR NS NAME PORT ARGS... — start a fake API for cluster NAME on 127.0.0.1:PORT
# inside namespace NS (its certificate and token in DIR), NODESAPI_PIDS gets its pid, and
# DIR/NAME.kubeconfig is a kubeconfig for it. ARGS go to nodesapi.py (--nodes N ...).
NODESAPI_PIDS=()
nodesapi_up() {
    local dir=$1 ns=$2 name=$3 port=$4 root i
    shift 4
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    mkdir -p "$dir"
    ip -n "$ns" link set lo up
    [[ -f $dir/api.key ]] || openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=kubernetes \
        -addext "subjectAltName=IP:127.0.0.1" -keyout "$dir/api.key" -out "$dir/ca.crt" 2>/dev/null
    ip netns exec "$ns" python3 "$root/tests/lab/nodesapi.py" 127.0.0.1 "$port" "$dir/ca.crt" \
        "$dir/api.key" "token-$name" "$@" >"$dir/$name.api.log" 2>&1 &
    NODESAPI_PIDS+=($!)
    cat >"$dir/$name.kubeconfig" <<EOC
apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: $(base64 -w0 "$dir/ca.crt")
    server: https://127.0.0.1:$port
  name: $name
contexts:
- context: {cluster: $name, user: reader}
  name: $name
current-context: $name
users:
- name: reader
  user:
    token: token-$name
EOC
    for i in $(seq 100); do
        ip netns exec "$ns" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nodesapi: $name did not start: $(cat "$dir/$name.api.log")" >&2
    return 1
}

# nodesapi_down — stop every fake API this shell started (by pid).
nodesapi_down() {
    local p
    for p in "${NODESAPI_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${NODESAPI_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    NODESAPI_PIDS=()
}
