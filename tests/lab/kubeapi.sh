# tests/lab/kubeapi.sh — real Kubernetes API servers (etcd 3.4 + kube-apiserver 1.20 from
# tests/k8s/build-k8s.sh's cache) inside a lab's "docker host" namespace, one per cluster.
# Library only: source it after tests/lab/lab.sh (it needs LAB, LAB_DIR and lab_ns).
#
#   kubeapi_have                  the binaries are there (else prints why, returns 1)
#   kubeapi_up NAME IP PORT N     etcd on 127.0.0.1:(2379+10N), kube-apiserver on IP:PORT,
#                                 RBAC on, --token-auth-file (admin token), service-account
#                                 keys from openssl, --insecure-port=0; waits for /readyz
#   kubeapi_kubectl NAME ARGS     kubectl as the admin, from the host namespace
#   kubeapi_stop NAME / kubeapi_start NAME   kill / restart kube-apiserver (etcd keeps the data)
#   kubeapi_kubeconfig NAME USER TOKEN   an istioctl-style kubeconfig (token, CA data, server)
#   kubeapi_node NAME NODE IP CIDR      create a Node with spec.podCIDR and an InternalIP
#   kubeapi_node_ip NAME NODE IP        move a Node's InternalIP (the status subresource)
#   kubeapi_lab                   both clusters of the lab, RBAC, Nodes, agent kubeconfigs
#   kubeapi_need                  exit 77 (skipped, saying why) unless kubeapi_have
# State lives in $LAB_DIR/kube-NAME; processes die with the lab's namespaces (lab_down).
# shellcheck shell=bash

KUBEAPI_BIN=${PODREACH_K8S_PREFIX:-/opt/podreach-k8s}/bin

kubeapi_have() {
    local b
    for b in "$KUBEAPI_BIN/kube-apiserver" /usr/bin/etcd /usr/bin/kubectl /usr/bin/openssl; do
        [[ -x $b ]] || { echo "$b missing (bash tests/k8s/build-k8s.sh builds the cache)"; return 1; }
    done
}

kubeapi_need() {
    local why
    if ! why=$(kubeapi_have); then
        echo "skipped: $why"
        exit 77
    fi
}

_kubeapi_dir() { echo "$LAB_DIR/kube-$1"; }

_kubeapi_certs() { # DIR NAME IP
    local d=$1 name=$2 ip=$3
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 \
        -subj "/CN=$name-ca" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout "$d/apiserver.key" -out "$d/apiserver.csr" \
        -subj /CN=kube-apiserver 2>/dev/null
    printf 'subjectAltName=IP:%s,IP:127.0.0.1,DNS:kubernetes\n' "$ip" >"$d/san.ext"
    openssl x509 -req -in "$d/apiserver.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
        -CAcreateserial -out "$d/apiserver.crt" -days 2 -extfile "$d/san.ext" 2>/dev/null
    openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
    openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
    echo "admin-$name-$RANDOM$RANDOM,admin,admin,system:masters" >"$d/tokens.csv"
}

kubeapi_start() {
    local name=$1 d ip port n
    d=$(_kubeapi_dir "$name")
    read -r ip port n <"$d/addr"
    ip netns exec "$(lab_ns host)" "$KUBEAPI_BIN/kube-apiserver" \
        --etcd-servers="http://127.0.0.1:$((2379 + 10 * n))" \
        --bind-address="$ip" --advertise-address="$ip" --secure-port="$port" --insecure-port=0 \
        --tls-cert-file="$d/apiserver.crt" --tls-private-key-file="$d/apiserver.key" \
        --client-ca-file="$d/ca.crt" --token-auth-file="$d/tokens.csv" \
        --authorization-mode=RBAC --service-cluster-ip-range=10.96.0.0/16 \
        --service-account-issuer="https://kubernetes.default.svc" \
        --service-account-key-file="$d/sa.pub" --service-account-signing-key-file="$d/sa.key" \
        --enable-priority-and-fairness=false --logtostderr=true --v=0 ${KUBEAPI_EXTRA:-} \
        >>"$d/apiserver.log" 2>&1 </dev/null &
    echo $! >"$d/apiserver.pid"
    disown
    wait_until 90 kubeapi_kubectl "$name" get --raw /readyz >/dev/null 2>&1 ||
        { tail -n 30 "$d/apiserver.log" >&2; return 1; }
}

kubeapi_stop() {
    local d pid
    d=$(_kubeapi_dir "$1")
    pid=$(<"$d/apiserver.pid")
    kill -TERM "$pid" 2>/dev/null || true
    wait_until 10 eval "! _lab_alive $pid" || kill -KILL "$pid" 2>/dev/null || true
}

kubeapi_up() {
    local name=$1 ip=$2 port=$3 n=$4 d
    d=$(_kubeapi_dir "$name")
    mkdir -p "$d"
    echo "$ip $port $n" >"$d/addr"
    ip -n "$(lab_ns host)" link set lo up
    _kubeapi_certs "$d" "$name" "$ip"
    ip netns exec "$(lab_ns host)" etcd --name "$name" --data-dir "$d/etcd" \
        --listen-client-urls "http://127.0.0.1:$((2379 + 10 * n))" \
        --advertise-client-urls "http://127.0.0.1:$((2379 + 10 * n))" \
        --listen-peer-urls "http://127.0.0.1:$((2380 + 10 * n))" \
        --initial-advertise-peer-urls "http://127.0.0.1:$((2380 + 10 * n))" \
        --initial-cluster "$name=http://127.0.0.1:$((2380 + 10 * n))" \
        >>"$d/etcd.log" 2>&1 </dev/null &
    echo $! >"$d/etcd.pid"
    disown
    cat >"$d/admin.kubeconfig" <<EOC
apiVersion: v1
kind: Config
clusters:
- cluster: {certificate-authority: $d/ca.crt, server: "https://$ip:$port"}
  name: $name
contexts:
- context: {cluster: $name, user: admin}
  name: $name
current-context: $name
users:
- name: admin
  user: {token: $(cut -d, -f1 "$d/tokens.csv")}
EOC
    kubeapi_start "$name"
}

kubeapi_kubectl() {
    local name=$1
    shift
    ip netns exec "$(lab_ns host)" kubectl --kubeconfig "$(_kubeapi_dir "$name")/admin.kubeconfig" \
        --request-timeout=10s "$@"
}

kubeapi_kubeconfig() {
    local name=$1 user=$2 token=$3 d ip port n
    d=$(_kubeapi_dir "$name")
    read -r ip port n <"$d/addr"
    cat <<EOC
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: $(base64 -w0 "$d/ca.crt")
    server: https://$ip:$port
  name: $name
contexts:
- context:
    cluster: $name
    user: $user
  name: $name
current-context: $name
kind: Config
preferences: {}
users:
- name: $user
  user:
    token: $token
EOC
}

kubeapi_node() {
    local name=$1 node=$2 ip=$3 cidr=$4
    kubeapi_kubectl "$name" create -f - >/dev/null <<EOC
{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "$node"},
 "spec": {"podCIDR": "$cidr", "podCIDRs": ["$cidr"]},
 "status": {"addresses": [{"type": "InternalIP", "address": "$ip"},
                          {"type": "Hostname", "address": "$node"}]}}
EOC
    # Whether create kept the status or not, the subresource sets it.
    kubeapi_node_ip "$name" "$node" "$ip"
}

kubeapi_node_ip() {
    local name=$1 node=$2 ip=$3
    kubeapi_kubectl "$name" patch node "$node" --subresource=status --type=merge -p \
        "{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"$ip\"},{\"type\":\"Hostname\",\"address\":\"$node\"}]}}" \
        >/dev/null
}

_KUBEAPI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# kubeapi_rbac NAME — the manifests' own rights: manifests/base (namespace podreach, the agent's
# ServiceAccount: nodes get/list/watch, Secrets only in its namespace; its DaemonSet object is
# inert here: no scheduler, no kubelet) and manifests/remote-reader (nodes only).
kubeapi_rbac() {
    kubeapi_kubectl "$1" apply -k "$_KUBEAPI_ROOT/manifests/base" >/dev/null &&
        kubeapi_kubectl "$1" apply -k "$_KUBEAPI_ROOT/manifests/remote-reader" >/dev/null
}

# kubeapi_lab — the lab's two clusters as the discovery tests want them: cluster1's API on
# 172.18.0.1:6443 and cluster2's on :6444, the manifests' RBAC, the Nodes c1n1 c1n2 | c2n1
# c2n2 with their node IPs and pod CIDRs, and $LAB_DIR/CLUSTER-agent.kubeconfig holding the
# agent's token for each. Says what failed on stderr.
kubeapi_lab() {
    local c n
    kubeapi_up cluster1 172.18.0.1 6443 0 || { echo "cluster1's API server did not come up" >&2; return 1; }
    kubeapi_up cluster2 172.18.0.1 6444 1 || { echo "cluster2's API server did not come up" >&2; return 1; }
    for c in cluster1 cluster2; do
        kubeapi_rbac "$c" || { echo "RBAC on $c" >&2; return 1; }
    done
    for n in c1n1 c1n2 c2n1 c2n2; do
        kubeapi_node "$(lab_cluster_of "$n")" "$n" "$(lab_node_ip "$n")" "$(lab_pod_cidr "$n")" ||
            { echo "creating Node $n" >&2; return 1; }
    done
    for c in cluster1 cluster2; do
        kubeapi_kubeconfig "$c" podreach "$(kubeapi_token "$c" podreach)" >"$LAB_DIR/$c-agent.kubeconfig" ||
            return 1
    done
}

# kubeapi_token NAME SA — a token for podreach/SA from the TokenRequest API (no token
# controller runs here to fill the reader's token Secret).
kubeapi_token() { kubeapi_kubectl "$1" -n podreach create token "$2" --duration=2h; }

# kubeapi_remote_secret FROM TO — in cluster TO, the remote secret for cluster FROM in Istio's
# format (label istio/multiCluster=true, key FROM, a kubeconfig with the reader's token), as
# manifests/create-remote-secret.sh writes it.
kubeapi_remote_secret() {
    local from=$1 to=$2 kc
    kc=$(kubeapi_kubeconfig "$from" "$from" "$(kubeapi_token "$from" podreach-reader)") || return 1
    kubeapi_kubectl "$to" -n podreach create secret generic "podreach-remote-$from" \
        --from-literal="$from=$kc" >/dev/null &&
        kubeapi_kubectl "$to" -n podreach label secret "podreach-remote-$from" \
            istio/multiCluster=true >/dev/null &&
        kubeapi_kubectl "$to" -n podreach annotate secret "podreach-remote-$from" \
            "networking.istio.io/cluster=$from" >/dev/null
}
