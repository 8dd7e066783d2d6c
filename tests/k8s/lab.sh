#!/usr/bin/env bash
# tests/k8s/lab.sh — two real Kubernetes clusters on this machine, kind-shaped.
#
#   bash tests/k8s/lab.sh up        images, docker network "kind", both clusters Ready
#   bash tests/k8s/lab.sh down      remove the containers, network and state (not docker)
#   bash tests/k8s/lab.sh status    nodes and pods of both clusters
#   KUBECONFIG=/run/podreach-k8s-lab/kubeconfig kubectl --context kind-cluster1 get nodes
#
# What kind would make from manifests/kind/cluster{1,2}.yaml, made with what can be had here:
#  - one user-defined docker network "kind" (internal: nothing routes off this machine; the
#    host holds its gateway address), playing kind's network;
#  - per node a privileged container named as kind names it (cluster1-control-plane,
#    cluster1-worker, ...), running docker (dockershim, as Kubernetes 1.20 has it) and kubelet
#    and kube-proxy; the control-plane node also runs etcd, kube-apiserver,
#    kube-controller-manager and kube-scheduler (tests/k8s/node/entrypoint.sh). The binaries
#    are tests/k8s/build-k8s.sh's cache, mounted read-only;
#  - pod networking as kindnet gives it: the controller-manager allocates each Node's
#    spec.podCIDR from the config's podSubnet; each node gets kindnet's 10-kindnet.conflist
#    (ptp + host-local over that CIDR), routes to the other nodes' pod CIDRs of its cluster,
#    and kindnet's KIND-MASQ-AGENT masquerade rules;
#  - kubeconfig contexts kind-cluster1 / kind-cluster2 in $K8S_LAB_DIR/kubeconfig, and
#    `kl_kind_load IMAGE CLUSTER` doing what `kind load docker-image` does.
# Everything it makes carries the docker label podreach.lab=k8s; `down` removes exactly that.
# Docker itself comes from tests/k8s/docker.sh (the caller starts and stops it).

KL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KL_ROOT=$(cd "$KL_DIR/../.." && pwd)
K8S_LAB_DIR=${K8S_LAB_DIR:-/run/podreach-k8s-lab}
K8S_BIN=${K8S_BIN:-/opt/podreach-k8s/bin}
K8S_NET=${K8S_NET:-kind}
K8S_SUBNET=${K8S_SUBNET:-172.30.77.0/24}
K8S_CLUSTERS=(cluster1 cluster2)
KL_LABEL=podreach.lab=k8s
KL_BRIDGE=${K8S_BRIDGE:-podreach-kind}
NODE_IMAGE=podreach-lab-node:1
WORK_IMAGE=podreach-lab:1

kl_say() { echo "lab: $*" >&2; }
kl_die() { echo "lab: error: $*" >&2; return 1; }

# kl_kind_get FILE KEY — a value from a kind config (podSubnet, serviceSubnet).
kl_kind_get() { sed -n "s/^[[:space:]]*$2:[[:space:]]*\([^[:space:]#]*\).*/\1/p" "$1" | head -n1; }

# kl_nodes CLUSTER — node names as kind gives them, from the config's nodes[].role.
kl_nodes() {
    local cfg=$KL_ROOT/manifests/kind/$1.yaml role w=0
    while read -r role; do
        if [[ $role == control-plane ]]; then
            echo "$1-control-plane"
        else
            w=$((w + 1))
            if ((w == 1)); then echo "$1-worker"; else echo "$1-worker$w"; fi
        fi
    done < <(sed -n 's/^[[:space:]]*-[[:space:]]*role:[[:space:]]*\([a-z-]*\).*/\1/p' "$cfg")
}

# kl_ip N — the N-th address of the lab subnet (.1 is docker's gateway on the host).
kl_ip() { local net=${K8S_SUBNET%/*}; echo "${net%.*}.$((${net##*.} + $1))"; }

# k CLUSTER ARGS... — kubectl on a lab cluster, as its admin.
k() { kubectl --kubeconfig "$K8S_LAB_DIR/kubeconfig" --context "kind-$1" "${@:2}"; }

kl_token() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

# kl_cert DIR NAME SUBJECT EXTENSIONS — a key and a certificate signed by DIR/ca.
kl_cert() {
    local d=$1 n=$2
    openssl req -new -newkey rsa:2048 -nodes -keyout "$d/$n.key" -subj "$3" -out "$d/$n.csr" 2>/dev/null &&
        openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
            -out "$d/$n.crt" -extfile <(printf '%b\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' "$4") 2>/dev/null &&
        rm -f "$d/$n.csr"
}

# kl_kubeconfig FILE CLUSTER SERVER TOKEN CAFILE — a one-context kubeconfig.
kl_kubeconfig() {
    cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kind-$2
  cluster:
    server: $3
    certificate-authority-data: $(base64 -w0 "$5")
users:
- name: kind-$2
  user:
    token: $4
contexts:
- name: kind-$2
  context:
    cluster: kind-$2
    user: kind-$2
current-context: kind-$2
EOF
}

# kl_cluster_files CLUSTER CP_IP — PKI, tokens, kubeconfigs and configs of one cluster in
# $K8S_LAB_DIR/CLUSTER (mounted at /etc/kubernetes in its nodes).
kl_cluster_files() {
    local c=$1 ip=$2 d=$K8S_LAB_DIR/$1 cfg svc pods svc1 n t server
    cfg=$KL_ROOT/manifests/kind/$c.yaml
    pods=$(kl_kind_get "$cfg" podSubnet)
    svc=$(kl_kind_get "$cfg" serviceSubnet)
    [[ -n $pods && -n $svc ]] || kl_die "$cfg: no podSubnet/serviceSubnet" || return 1
    svc1=${svc%/*}
    svc1=${svc1%.*}.1
    server=https://$ip:6443
    mkdir -p "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 \
        -subj "/CN=$c-ca" 2>/dev/null || return 1
    kl_cert "$d" apiserver "/CN=kube-apiserver" "subjectAltName=IP:$ip,IP:$svc1,IP:127.0.0.1,DNS:$c-control-plane,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth" || return 1
    kl_cert "$d" apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" \
        "extendedKeyUsage=clientAuth" || return 1
    openssl genrsa -out "$d/sa.key" 2048 2>/dev/null && openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null || return 1
    printf 'CLUSTER=%s\nCLUSTER_CIDR=%s\nSERVICE_CIDR=%s\n' "$c" "$pods" "$svc" >"$d/cluster.env"
    : >"$d/tokens.csv"
    t=$(kl_token); echo "$t,kubernetes-admin,admin,\"system:masters\"" >>"$d/tokens.csv"
    kl_kubeconfig "$d/admin.kubeconfig" "$c" "$server" "$t" "$d/ca.crt"
    t=$(kl_token); echo "$t,system:kube-controller-manager,kcm" >>"$d/tokens.csv"
    kl_kubeconfig "$d/controller-manager.kubeconfig" "$c" "$server" "$t" "$d/ca.crt"
    t=$(kl_token); echo "$t,system:kube-scheduler,ksched" >>"$d/tokens.csv"
    kl_kubeconfig "$d/scheduler.kubeconfig" "$c" "$server" "$t" "$d/ca.crt"
    t=$(kl_token); echo "$t,system:kube-proxy,kproxy" >>"$d/tokens.csv"
    kl_kubeconfig "$d/kube-proxy.kubeconfig" "$c" "$server" "$t" "$d/ca.crt"
    for n in $(kl_nodes "$c"); do
        t=$(kl_token); echo "$t,system:node:$n,node-$n,\"system:nodes\"" >>"$d/tokens.csv"
        kl_kubeconfig "$d/kubelet-$n.kubeconfig" "$c" "$server" "$t" "$d/ca.crt"
    done
    cat >"$d/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: /etc/kubernetes/ca.crt }
authorization: { mode: Webhook }
cgroupDriver: cgroupfs
clusterDomain: cluster.local
failSwapOn: false
resolvConf: /etc/resolv.conf
# the host's disk is shared with everything else: no evictions over its fill level
evictionHard: { memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%" }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
    chmod -R go-rwx "$d"
}

# kl_check_free — nothing of someone else's in the way: an unlabelled "kind" network or node
# container of the same name is a real kind's, and is never touched.
kl_check_free() {
    local c n
    if docker network inspect "$K8S_NET" >/dev/null 2>&1 &&
        [[ $(docker network inspect -f '{{index .Labels "podreach.lab"}}' "$K8S_NET") != k8s ]]; then
        kl_die "a docker network '$K8S_NET' not made by this lab exists (a real kind?); K8S_NET=name picks another"
        return 1
    fi
    for c in "${K8S_CLUSTERS[@]}"; do
        for n in $(kl_nodes "$c"); do
            if docker container inspect "$n" >/dev/null 2>&1 &&
                [[ $(docker container inspect -f '{{index .Config.Labels "podreach.lab"}}' "$n") != k8s ]]; then
                kl_die "a container '$n' not made by this lab exists"
                return 1
            fi
        done
    done
    if ip -4 route show to match "${K8S_SUBNET%/*}" | grep -qv '^default'; then
        kl_die "$K8S_SUBNET is already routed on this machine; K8S_SUBNET=... picks another"
        return 1
    fi
}

# kl_images — the node image, the workload image and podreach's own (the Dockerfile as is).
kl_images() {
    local log rc=0
    log=$(mktemp)
    cp "$KL_DIR/runc-wrapper.sh" "$KL_DIR/node/runc-wrapper.sh"
    cp "$KL_ROOT/tests/lab/hello.py" "$KL_DIR/labimage/hello.py"
    docker build -t "$NODE_IMAGE" "$KL_DIR/node" >"$log" 2>&1 &&
        docker build -t "$WORK_IMAGE" "$KL_DIR/labimage" >>"$log" 2>&1 || rc=1
    rm -f "$KL_DIR/node/runc-wrapper.sh" "$KL_DIR/labimage/hello.py"
    ((rc == 0)) || kl_die "image build failed: $(tail -n 20 "$log")"
    rm -f -- "$log"
    return $rc
}

# kl_run_node CLUSTER NAME ROLE IP
kl_run_node() {
    docker run -d --name "$2" --hostname "$2" --label "$KL_LABEL" --label "podreach.lab.cluster=$1" \
        --privileged --cgroupns=private --network "$K8S_NET" --ip "$4" \
        --tmpfs /run --tmpfs /tmp -v /var/lib/docker -v /lib/modules:/lib/modules:ro \
        -v "$K8S_BIN:/opt/k8s/bin:ro" -v "$K8S_LAB_DIR/$1:/etc/kubernetes:ro" \
        -e "ROLE=$3" -e "NODE_NAME=$2" -e "NODE_IP=$4" "$NODE_IMAGE" >/dev/null
}

# kl_wait DEADLINE_S WHAT CMD... — poll CMD every second until it succeeds or time is up.
kl_wait() {
    local end=$((SECONDS + $1)) what=$2
    shift 2
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < end)) || { kl_die "timed out waiting for $what"; return 1; }
        sleep 1
    done
}

# kl_pod_cidrs CLUSTER — "name podCIDR InternalIP" per Node that has a pod CIDR.
kl_pod_cidrs() {
    k "$1" get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}' |
        awk 'NF == 3'
}

kl_all_cidrs() { [[ $(kl_pod_cidrs "$1" | wc -l) -eq $(kl_nodes "$1" | wc -l) ]]; }

# kl_kindnet CLUSTER — what kindnet does on every node of the cluster: its CNI config from
# the Node's podCIDR, routes to the cluster's other nodes' pod CIDRs, KIND-MASQ-AGENT.
kl_kindnet() {
    local c=$1 pods lines n cidr ip on ocidr oip
    pods=$(kl_kind_get "$KL_ROOT/manifests/kind/$c.yaml" podSubnet)
    lines=$(kl_pod_cidrs "$c")
    while read -r n cidr ip; do
        docker exec -i "$n" sh -c 'cat >/etc/cni/net.d/10-kindnet.conflist' <<EOF
{
	"cniVersion": "0.3.1",
	"name": "kindnet",
	"plugins": [
	{
		"type": "ptp",
		"ipMasq": false,
		"ipam": {
			"type": "host-local",
			"dataDir": "/run/cni-ipam-state",
			"routes": [ { "dst": "0.0.0.0/0" } ],
			"ranges": [ [ { "subnet": "$cidr" } ] ]
		},
		"mtu": 1500
	},
	{ "type": "portmap", "capabilities": { "portMappings": true } }
	]
}
EOF
        while read -r on ocidr oip; do
            [[ $on == "$n" ]] && continue
            docker exec "$n" ip route replace "$ocidr" via "$oip" || return 1
        done <<<"$lines"
        docker exec "$n" sh -c "
            iptables -t nat -N KIND-MASQ-AGENT 2>/dev/null || exit 0
            iptables -t nat -A POSTROUTING -m addrtype ! --dst-type LOCAL -m comment --comment 'kind-masq-agent: ensure nat POSTROUTING directs all non-LOCAL destination traffic to our custom KIND-MASQ-AGENT chain' -j KIND-MASQ-AGENT
            iptables -t nat -A KIND-MASQ-AGENT -d $pods -m comment --comment 'kind-masq-agent: local traffic is not subject to MASQUERADE' -j RETURN
            iptables -t nat -A KIND-MASQ-AGENT -m comment --comment 'kind-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)' -j MASQUERADE" ||
            return 1
    done <<<"$lines"
}

kl_nodes_ready() {
    ! k "$1" get nodes --no-headers 2>/dev/null | awk '$2 != "Ready" { bad = 1 } END { exit !bad && NR > 0 }'
}

# kl_kind_load IMAGE CLUSTER — `kind load docker-image IMAGE --name CLUSTER`: the image into
# every node's own docker (whose pods then find it with imagePullPolicy IfNotPresent/Never).
kl_kind_load() {
    local tar=/var/tmp/podreach-lab-image.$$.tar n pids=() rc=0
    docker save -o "$tar" "$1" || return 1
    for n in $(kl_nodes "$2"); do
        docker exec -i "$n" docker load -q <"$tar" >/dev/null &
        pids+=($!)
    done
    for n in "${pids[@]}"; do wait "$n" || rc=1; done
    rm -f -- "$tar"
    return $rc
}

# kl_merge_kubeconfig — one file with both clusters' admin contexts (kind-cluster1, ...).
kl_merge_kubeconfig() {
    local files=() c
    for c in "${K8S_CLUSTERS[@]}"; do files+=("$K8S_LAB_DIR/$c/admin.kubeconfig"); done
    KUBECONFIG=$(IFS=:; echo "${files[*]}") kubectl config view --flatten >"$K8S_LAB_DIR/kubeconfig.new" &&
        mv "$K8S_LAB_DIR/kubeconfig.new" "$K8S_LAB_DIR/kubeconfig" && chmod 600 "$K8S_LAB_DIR/kubeconfig"
}

# kl_bridge_accept -I|-D — where br_netfilter makes bridged frames cross the host's iptables,
# docker drops an internal network's frames whose destination is off its subnet (its
# isolation rules) — and pod traffic between nodes is exactly that. kind's non-internal
# network has docker's own "-i br -o br -j ACCEPT"; the lab adds the same one in DOCKER-USER
# (and removes it in kl_down). Frames that leave the bridge stay dropped.
kl_bridge_accept() {
    local rule=(DOCKER-USER -i "$KL_BRIDGE" -o "$KL_BRIDGE" -m comment --comment podreach-lab -j ACCEPT)
    if [[ $1 == -I ]]; then
        iptables -I "${rule[@]}"
    else
        while iptables -D "${rule[@]}" 2>/dev/null; do :; done
    fi
}

kl_up() {
    local c n i=1 role gw
    [[ -x $K8S_BIN/kube-apiserver ]] || { kl_die "no Kubernetes binaries in $K8S_BIN (tests/k8s/build-k8s.sh)"; return 1; }
    kl_down
    kl_check_free || return 1
    kl_say "images: $NODE_IMAGE, $WORK_IMAGE"
    kl_images || return 1
    mkdir -p "$K8S_LAB_DIR"
    chmod 700 "$K8S_LAB_DIR"
    gw=$(kl_ip 1)
    docker network create --internal --label "$KL_LABEL" --subnet "$K8S_SUBNET" --gateway "$gw" \
        --opt "com.docker.network.bridge.name=$KL_BRIDGE" "$K8S_NET" >/dev/null || return 1
    kl_bridge_accept -I || return 1
    for c in "${K8S_CLUSTERS[@]}"; do
        kl_cluster_files "$c" "$(kl_ip $((i + 1)))" || return 1
        for n in $(kl_nodes "$c"); do
            i=$((i + 1))
            role=worker
            [[ $n == *-control-plane ]] && role=control-plane
            kl_say "node $n ($role, $(kl_ip "$i"))"
            kl_run_node "$c" "$n" "$role" "$(kl_ip "$i")" || return 1
        done
    done
    kl_merge_kubeconfig || return 1
    for c in "${K8S_CLUSTERS[@]}"; do
        kl_wait 180 "$c's API server" k "$c" get --raw /readyz || return 1
        kl_wait 180 "$c's nodes and their pod CIDRs" kl_all_cidrs "$c" || return 1
        kl_kindnet "$c" || return 1
    done
    for c in "${K8S_CLUSTERS[@]}"; do
        kl_wait 180 "$c's nodes Ready" kl_nodes_ready "$c" || return 1
        kl_wait 60 "$c's default service account" k "$c" get serviceaccount default || return 1
        kl_say "$c: $(k "$c" get nodes --no-headers | awk '{ printf "%s %s; ", $1, $2 }')"
    done
}

kl_down() {
    local ids
    ids=$(docker ps -aq --filter "label=$KL_LABEL" 2>/dev/null)
    [[ -n $ids ]] && docker rm -fv $ids >/dev/null 2>&1
    docker network ls -q --filter "label=$KL_LABEL" 2>/dev/null | xargs -r docker network rm >/dev/null 2>&1
    kl_bridge_accept -D
    rm -rf -- "$K8S_LAB_DIR"
    return 0
}

kl_status() {
    local c
    for c in "${K8S_CLUSTERS[@]}"; do
        echo "== $c"
        k "$c" get nodes -o wide 2>&1
        k "$c" get pods -A -o wide 2>&1
    done
}

# kl_logs NODE [COMPONENT] — the tail of a node's component logs (for failures).
kl_logs() {
    local n=$1 comp
    for comp in ${2:-kubelet kube-proxy kube-apiserver kube-controller-manager dockerd}; do
        docker exec "$n" sh -c "[ -f /var/log/k8s/$comp.log ] && { echo '--- $n $comp'; tail -n 15 /var/log/k8s/$comp.log; }" 2>/dev/null
    done
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    case ${1:-} in
        up) kl_up ;;
        down) kl_down ;;
        status) kl_status ;;
        logs) kl_logs "${2:?node}" "${3:-}" ;;
        *) echo "usage: $0 up|down|status|logs NODE [COMPONENT]" >&2; exit 2 ;;
    esac
fi
