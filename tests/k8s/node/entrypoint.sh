#!/bin/bash
# PID 1 of a lab node container (kind's node, with docker + dockershim for containerd).
#   ROLE=control-plane|worker  NODE_NAME  NODE_IP    (docker run -e)
#   /etc/kubernetes            the cluster's certificates, tokens, kubeconfigs, cluster.env
#   /opt/k8s/bin               the Kubernetes binaries (tests/k8s/build-k8s.sh's cache)
# Starts dockerd, then (control plane) etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, then kubelet and kube-proxy, each restarted if it exits; logs in
# /var/log/k8s/<name>.log. The CNI config and same-cluster routes are written by the lab
# (tests/k8s/lab.sh), as kindnet would.
set -u
K=/etc/kubernetes
B=/opt/k8s/bin
L=/var/log/k8s
R=/run/podreach-node
mkdir -p "$L" "$R"
# shellcheck source=/dev/null
source "$K/cluster.env"

log() { echo "node $NODE_NAME: $*"; }

# kubelet reads six kernel tunables (vm.overcommit_memory, kernel.panic, ...) and writes the
# value it wants where they differ. They are not namespaced: in a privileged container that
# write would change the host. Each gets a file holding the wanted value bind-mounted over it,
# so kubelet finds what it wants and writes nothing.
fake_sysctls() {
    local kv k
    for kv in vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1 \
        kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000; do
        k=${kv%=*}
        echo "${kv#*=}" >"$R/sysctl.${k//\//.}"
        mount --bind "$R/sysctl.${k//\//.}" "/proc/sys/$k" || log "cannot mask /proc/sys/$k"
    done
}

# supervise NAME CMD... — run CMD in the background, again 2 s after each exit.
supervise() {
    local name=$1
    shift
    (
        while :; do
            echo "=== $(date -u +%T) start: $*" >>"$L/$name.log"
            "$@" >>"$L/$name.log" 2>&1
            echo "=== $(date -u +%T) exited $?" >>"$L/$name.log"
            sleep 2
        done
    ) &
}

start_docker() {
    local args=(--storage-driver=overlay2 --bridge=none --iptables=false --ip-masq=false) bnd i
    bnd=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
    if ! (((0x$bnd >> 24) & 1)); then
        args+=(--add-runtime podreach=/usr/local/lib/podreach-node/runc-wrapper.sh --default-runtime podreach)
    fi
    supervise dockerd dockerd "${args[@]}"
    for ((i = 0; i < 300; i++)); do
        docker info >/dev/null 2>&1 && break
        sleep 0.2
    done
    # The pod sandbox image, made from build/pause/linux/pause.c (build-k8s.sh): no registry.
    if ! docker image inspect "$PAUSE_IMAGE" >/dev/null 2>&1; then
        mkdir -p "$R/pause"
        cp "$B/pause" "$R/pause/pause"
        tar -C "$R/pause" -c pause | docker import --change 'ENTRYPOINT ["/pause"]' - "$PAUSE_IMAGE" >/dev/null
    fi
}

start_control_plane() {
    supervise etcd etcd --data-dir /var/lib/etcd-lab --name "$NODE_NAME" \
        --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
        --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
        --initial-cluster "$NODE_NAME=http://127.0.0.1:2380"
    supervise kube-apiserver "$B/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 \
        --advertise-address="$NODE_IP" --bind-address=0.0.0.0 --secure-port=6443 --insecure-port=0 \
        --tls-cert-file="$K/apiserver.crt" --tls-private-key-file="$K/apiserver.key" \
        --client-ca-file="$K/ca.crt" --token-auth-file="$K/tokens.csv" \
        --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
        --service-cluster-ip-range="$SERVICE_CIDR" --allow-privileged=true \
        --service-account-issuer=https://kubernetes.default.svc.cluster.local \
        --service-account-key-file="$K/sa.pub" --service-account-signing-key-file="$K/sa.key" \
        --kubelet-client-certificate="$K/apiserver-kubelet-client.crt" \
        --kubelet-client-key="$K/apiserver-kubelet-client.key" \
        --kubelet-preferred-address-types=InternalIP
    supervise kube-controller-manager "$B/kube-controller-manager" \
        --kubeconfig="$K/controller-manager.kubeconfig" --leader-elect=false \
        --bind-address=127.0.0.1 --port=0 \
        --allocate-node-cidrs=true --cluster-cidr="$CLUSTER_CIDR" --node-cidr-mask-size=24 \
        --service-cluster-ip-range="$SERVICE_CIDR" --cluster-name="$CLUSTER" \
        --service-account-private-key-file="$K/sa.key" --root-ca-file="$K/ca.crt" \
        --use-service-account-credentials=true
    supervise kube-scheduler "$B/kube-scheduler" --kubeconfig="$K/scheduler.kubeconfig" \
        --leader-elect=false --bind-address=127.0.0.1 --port=0
}

start_node() {
    supervise kubelet "$B/kubelet" --kubeconfig="$K/kubelet-$NODE_NAME.kubeconfig" \
        --config="$K/kubelet-config.yaml" --container-runtime=docker \
        --network-plugin=cni --cni-bin-dir=/usr/lib/cni --cni-conf-dir=/etc/cni/net.d \
        --node-ip="$NODE_IP" --hostname-override="$NODE_NAME" \
        --pod-infra-container-image="$PAUSE_IMAGE" --v=1
    # conntrack 0s: kube-proxy leaves the (host-global) conntrack table size alone.
    supervise kube-proxy "$B/kube-proxy" --kubeconfig="$K/kube-proxy.kubeconfig" \
        --hostname-override="$NODE_NAME" --cluster-cidr="$CLUSTER_CIDR" --proxy-mode=iptables \
        --conntrack-max-per-core=0 --conntrack-tcp-timeout-established=0 \
        --conntrack-tcp-timeout-close-wait=0
}

PAUSE_IMAGE=k8s.gcr.io/pause:3.2
trap 'log "stopping"; kill 0; exit 0' TERM INT
sysctl -qw net.ipv4.ip_forward=1
fake_sysctls
start_docker
[[ $ROLE == control-plane ]] && start_control_plane
start_node
log "up ($ROLE, $NODE_IP)"
while :; do sleep 3600 & wait $!; done
