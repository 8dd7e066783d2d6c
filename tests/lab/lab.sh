#!/usr/bin/env bash
# tests/lab/lab.sh — two emulated kind clusters on one emulated docker bridge.
#
# CLI:      bash tests/lab/lab.sh up [--overlap] | down | status
# Library:  source tests/lab/lab.sh   (defines the lab_* functions, runs nothing)
#
# Everything lives in network namespaces named "$LAB-<x>" (LAB=prlab by default), so the
# machine's own namespace (routes, rules, sysctls) is never touched and several labs can
# coexist. State (server pids, logs, CNI configs, lab.env) lives in LAB_DIR=/run/$LAB.
#
# Topology (what a `kind create cluster` x2 on one docker network looks like, minus docker):
#
#   $LAB-host      the "docker host": bridge br0 172.18.0.1/16, ip_forward=1, NO default
#                  route, so a packet for an unknown pod IP dies here with ICMP unreachable.
#   $LAB-c1n1      cluster1 node, eth0 172.18.0.2/16   pods 10.244.0.0/24
#   $LAB-c1n2      cluster1 node, eth0 172.18.0.3/16   pods 10.244.1.0/24
#   $LAB-c2n1      cluster2 node, eth0 172.18.0.4/16   pods 10.245.0.0/24 (--overlap: 10.244.0.0/24)
#   $LAB-c2n2      cluster2 node, eth0 172.18.0.5/16   pods 10.245.1.0/24 (--overlap: 10.244.1.0/24)
#   $LAB-c1n1-hello  pod 10.244.0.9, helloworld v1 on :5000 ("instance: hello-c1n1")
#   $LAB-c1n2-idle   pod 10.244.1.5, nothing listening
#   $LAB-c2n1-curl   pod 10.245.0.7 (overlap 10.244.0.7), the client
#   $LAB-c2n2-web    pod 10.245.1.5 (overlap 10.244.1.5), helloworld v2 ("instance: web-c2n2")
#
# Each node also gets what kindnet gives a kind node: the routes to the other node of its
# own cluster, the KIND-MASQ-AGENT masquerade chain (iptables-nft), and a CNI conflist.
# Routes between clusters are deliberately absent: adding them is podreach's job.

LAB=${LAB:-prlab}
LAB_DIR=${LAB_DIR:-/run/$LAB}
# iptables-nft explicitly: on a Debian box where `iptables` points at the legacy backend the
# rules would otherwise land in x_tables, which is not what a kind node (kindnet) does.
LAB_IPTABLES=${LAB_IPTABLES:-iptables-nft}
# The distribution's python3, not a pyenv/venv shim: the pid we record must be the server.
if [[ -z "${LAB_PYTHON:-}" ]]; then
    if [[ -x /usr/bin/python3 ]]; then LAB_PYTHON=/usr/bin/python3; else LAB_PYTHON=python3; fi
fi
LAB_HELLO_PORT=${LAB_HELLO_PORT:-5000}

_LAB_SELF=$(realpath "${BASH_SOURCE[0]}")
_LAB_SRC_DIR=$(dirname "$_LAB_SELF")

# Static part of the topology.
_LAB_NODES=(c1n1 c1n2 c2n1 c2n2)
_LAB_PODS=(c1n1-hello c1n2-idle c2n1-curl c2n2-web)
_LAB_BR_IP=172.18.0.1
_LAB_BR_PREFIX=16

_lab_err() { echo "lab: $*" >&2; }

# _lab_alive PID: the process exists and is not a zombie. (kill -0 succeeds on a zombie, and
# an orphaned server is reaped by pid 1, which may take its time.)
_lab_alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) } # the comm field may hold spaces: the state follows the last ") "
    [[ ${stat:0:1} != [ZX] ]]
}

# _lab_is_node NAME / _lab_is_pod NODE-POD: membership tests.
_lab_is_node() { local n; for n in "${_LAB_NODES[@]}"; do [[ $n == "${1:-}" ]] && return 0; done; return 1; }
_lab_is_pod() { local p; for p in "${_LAB_PODS[@]}"; do [[ $p == "${1:-}" ]] && return 0; done; return 1; }

# _lab_variant: "normal" or "overlap", as recorded by the running lab (normal if none).
_lab_variant() {
    local v=""
    if [[ -r "$LAB_DIR/lab.env" ]]; then
        v=$(sed -n 's/^LAB_VARIANT=//p' "$LAB_DIR/lab.env" | tail -n1)
    fi
    echo "${v:-normal}"
}

# _lab_pod_prefix NODE [VARIANT]: the first three octets of the node's pod /24.
_lab_pod_prefix() {
    local node=$1 variant=${2:-$(_lab_variant)} b c
    case $node in
        c1*) b=244 ;;
        c2*) if [[ $variant == overlap ]]; then b=244; else b=245; fi ;;
        *) _lab_err "unknown node '$node'"; return 1 ;;
    esac
    case $node in
        *n1) c=0 ;;
        *n2) c=1 ;;
        *) _lab_err "unknown node '$node'"; return 1 ;;
    esac
    echo "10.$b.$c"
}

# _lab_pod_host POD: the last octet of a pod's IP (host-local would hand these out).
_lab_pod_host() {
    case $1 in
        hello) echo 9 ;; idle) echo 5 ;; curl) echo 7 ;; web) echo 5 ;;
        *) _lab_err "unknown pod '$1'"; return 1 ;;
    esac
}

# --------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------

# lab_nodes — print the node names, one per line (c1n1 c1n2 c2n1 c2n2).
lab_nodes() { printf '%s\n' "${_LAB_NODES[@]}"; }

# lab_pods — print the pods as NODE-POD, one per line (c1n1-hello ...).
lab_pods() { printf '%s\n' "${_LAB_PODS[@]}"; }

# lab_ns NODE|NODE-POD|host — print the network namespace name ("$LAB-c1n1", ...).
lab_ns() {
    local x=${1:-}
    if [[ $x == host ]] || _lab_is_node "$x" || _lab_is_pod "$x"; then
        echo "$LAB-$x"
    else
        _lab_err "lab_ns: unknown node or pod '$x' (nodes: ${_LAB_NODES[*]}; pods: ${_LAB_PODS[*]}; host)"
        return 1
    fi
}

# lab_node_exec NODE CMD... — run CMD inside the node's namespace (NODE may also be "host").
lab_node_exec() {
    local ns
    ns=$(lab_ns "${1:-}") || return 1
    shift
    ip netns exec "$ns" "$@"
}

# lab_pod_exec NODE-POD CMD... — run CMD inside the pod's namespace.
lab_pod_exec() {
    local ns
    _lab_is_pod "${1:-}" || { _lab_err "lab_pod_exec: unknown pod '${1:-}'"; return 1; }
    ns=$(lab_ns "$1") || return 1
    shift
    ip netns exec "$ns" "$@"
}

# lab_cluster_of NODE — print the node's cluster name (cluster1 or cluster2).
lab_cluster_of() {
    case ${1:-} in
        c1n1 | c1n2) echo cluster1 ;;
        c2n1 | c2n2) echo cluster2 ;;
        *) _lab_err "lab_cluster_of: unknown node '${1:-}'"; return 1 ;;
    esac
}

# lab_node_ip NODE — print the node's address on the shared bridge (172.18.0.2..5).
lab_node_ip() {
    case ${1:-} in
        c1n1) echo 172.18.0.2 ;; c1n2) echo 172.18.0.3 ;;
        c2n1) echo 172.18.0.4 ;; c2n2) echo 172.18.0.5 ;;
        host) echo "$_LAB_BR_IP" ;;
        *) _lab_err "lab_node_ip: unknown node '${1:-}'"; return 1 ;;
    esac
}

# lab_pod_cidr NODE — print the node's pod CIDR (e.g. 10.244.0.0/24), per the lab variant.
lab_pod_cidr() {
    local p
    p=$(_lab_pod_prefix "${1:-}") || return 1
    echo "$p.0/24"
}

# lab_cluster_cidr CLUSTER|NODE — print the cluster's podSubnet (10.244.0.0/16 / 10.245.0.0/16).
lab_cluster_cidr() {
    local c=${1:-}
    _lab_is_node "$c" && c=$(lab_cluster_of "$c")
    case $c in
        cluster1) echo 10.244.0.0/16 ;;
        cluster2) if [[ $(_lab_variant) == overlap ]]; then echo 10.244.0.0/16; else echo 10.245.0.0/16; fi ;;
        *) _lab_err "lab_cluster_cidr: unknown cluster '$c'"; return 1 ;;
    esac
}

# lab_pod_ip NODE-POD — print the pod's IP (e.g. lab_pod_ip c1n1-hello -> 10.244.0.9).
lab_pod_ip() {
    local p=${1:-} prefix host
    _lab_is_pod "$p" || { _lab_err "lab_pod_ip: unknown pod '$p'"; return 1; }
    prefix=$(_lab_pod_prefix "${p%%-*}") || return 1
    host=$(_lab_pod_host "${p#*-}") || return 1
    echo "$prefix.$host"
}

# lab_cni_dir NODE — print the node's CNI config dir (give it to podreach --cni-conf-dir).
lab_cni_dir() {
    _lab_is_node "${1:-}" || { _lab_err "lab_cni_dir: unknown node '${1:-}'"; return 1; }
    echo "$LAB_DIR/$1/cni/net.d"
}

# lab_curl NODE-POD URL [CURL-ARGS...] — curl -s --max-time 3 from inside that pod.
# Prints the body, then "curl exit N" if curl failed, then a last line "HTTP <code>"
# ("HTTP 000" when nothing answered). Always returns 0, so it is safe under set -e.
lab_curl() {
    local from=${1:-} url=${2:-} ns out rc=0 code body
    shift 2 || true
    if ! ns=$(lab_ns "$from"); then
        echo "HTTP 000"
        return 0
    fi
    out=$(ip netns exec "$ns" curl -s --max-time 3 -w '\n%{http_code}' "$@" "$url" 2>/dev/null) || rc=$?
    code=${out##*$'\n'}
    if [[ $out == *$'\n'* ]]; then body=${out%$'\n'*}; else body=""; fi
    body=${body%$'\n'}
    [[ $code =~ ^[0-9]{3}$ ]] || code=000
    if [[ -n $body ]]; then printf '%s\n' "$body"; fi
    if ((rc != 0)); then echo "curl exit $rc"; fi
    echo "HTTP $code"
    return 0
}

# lab_up [--overlap] — (re)build the whole lab; tears down a leftover one first. On failure
# it removes what it made and returns 1.
lab_up() {
    local variant=normal a
    for a in "$@"; do
        case $a in
            --overlap) variant=overlap ;;
            *) _lab_err "lab_up: unknown argument '$a' (expected --overlap)"; return 2 ;;
        esac
    done
    lab_down
    # The build runs in a fresh bash with `set -e`: inside a function called from an
    # `if`/`||` context bash silently ignores set -e, and a half-built lab must never be
    # reported as up.
    if ! LAB=$LAB LAB_DIR=$LAB_DIR LAB_IPTABLES=$LAB_IPTABLES LAB_PYTHON=$LAB_PYTHON \
        LAB_HELLO_PORT=$LAB_HELLO_PORT bash "$_LAB_SELF" __build "$variant"; then
        _lab_err "up failed; cleaning up"
        lab_down
        return 1
    fi
    return 0
}

# lab_down — kill everything running in the lab's namespaces, delete every namespace named
# "$LAB-*", remove LAB_DIR. Never fails, also when nothing exists.
lab_down() {
    local nss ns pid f pids=() deadline
    nss=$(_lab_namespaces)
    # 1. Whatever runs inside our namespaces (servers, agents a test started): by pid.
    for ns in $nss; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do pids+=("$pid"); done
    done
    # 2. The servers we recorded (in case their namespace is already gone).
    if [[ -d "$LAB_DIR" ]]; then
        for f in "$LAB_DIR"/*.pid; do
            [[ -r $f ]] || continue
            pid=$(<"$f")
            # Only if it still is our server: pids get reused.
            if [[ $pid =~ ^[0-9]+$ ]] && grep -qa hello.py "/proc/$pid/cmdline" 2>/dev/null; then
                pids+=("$pid")
            fi
        done
    fi
    if ((${#pids[@]})); then
        kill -TERM "${pids[@]}" 2>/dev/null || true
        deadline=$((SECONDS + 3))
        for pid in "${pids[@]}"; do
            while _lab_alive "$pid" && ((SECONDS < deadline)); do sleep 0.05; done
            if _lab_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
        done
    fi
    for ns in $nss; do
        ip netns del "$ns" 2>/dev/null || _lab_err "could not delete netns $ns"
    done
    # Guard against an empty or root LAB_DIR before rm -rf.
    if [[ -n "$LAB_DIR" && "$LAB_DIR" != / && -d "$LAB_DIR" ]]; then
        rm -rf -- "$LAB_DIR"
    fi
    return 0
}

# lab_status — show the lab: variant, namespaces, per node addresses/routes, servers.
lab_status() {
    local nss n p pid
    nss=$(_lab_namespaces)
    if [[ -z $nss ]]; then
        echo "lab $LAB: down"
        return 0
    fi
    echo "lab $LAB: variant $(_lab_variant), state in $LAB_DIR"
    echo "namespaces: $(tr '\n' ' ' <<<"$nss")"
    for n in "${_LAB_NODES[@]}"; do
        echo "--- $n ($(lab_cluster_of "$n"), $(lab_node_ip "$n"), pods $(lab_pod_cidr "$n"))"
        ip -n "$LAB-$n" -4 -br addr show 2>/dev/null | sed 's/^/    /' || true
        ip -n "$LAB-$n" -4 route show 2>/dev/null | sed 's/^/    route /' || true
    done
    for p in "${_LAB_PODS[@]}"; do
        pid=""
        [[ -r "$LAB_DIR/$p.pid" ]] && pid=$(<"$LAB_DIR/$p.pid")
        if [[ -n $pid ]] && _lab_alive "$pid"; then
            echo "pod $p $(lab_pod_ip "$p"): server pid $pid running"
        elif [[ -n $pid ]]; then
            echo "pod $p $(lab_pod_ip "$p"): server pid $pid DEAD (log $LAB_DIR/$p.log)"
        else
            echo "pod $p $(lab_pod_ip "$p"): no server"
        fi
    done
}

# _lab_namespaces: every namespace named "$LAB-*" (the dash keeps LAB=pr from matching prlab).
_lab_namespaces() {
    ip netns list 2>/dev/null | awk -v p="$LAB-" 'index($1, p) == 1 { print $1 }'
}

# --------------------------------------------------------------------------------------
# The build (runs as `bash lab.sh __build VARIANT`, under set -euo pipefail)
# --------------------------------------------------------------------------------------

_lab_sysctl() { ip netns exec "$1" sysctl -qw "$2"; }

_lab_write_env() {
    local variant=$1 n p v
    {
        echo "# written by tests/lab/lab.sh up; source it"
        printf 'LAB=%q\nLAB_DIR=%q\nLAB_VARIANT=%q\n' "$LAB" "$LAB_DIR" "$variant"
        printf 'LAB_NODES=%q\nLAB_PODS=%q\n' "${_LAB_NODES[*]}" "${_LAB_PODS[*]}"
        printf 'LAB_BRIDGE_IP=%q\nLAB_BRIDGE_CIDR=%q\n' "$_LAB_BR_IP" "172.18.0.0/$_LAB_BR_PREFIX"
        printf 'LAB_HELLO_PORT=%q\n' "$LAB_HELLO_PORT"
        printf 'LAB_CLUSTER_CIDR_cluster1=%q\n' 10.244.0.0/16
        if [[ $variant == overlap ]]; then v=10.244.0.0/16; else v=10.245.0.0/16; fi
        printf 'LAB_CLUSTER_CIDR_cluster2=%q\n' "$v"
        for n in "${_LAB_NODES[@]}"; do
            printf 'LAB_NS_%s=%q\n' "$n" "$LAB-$n"
            printf 'LAB_CLUSTER_%s=%q\n' "$n" "$(lab_cluster_of "$n")"
            printf 'LAB_NODE_IP_%s=%q\n' "$n" "$(lab_node_ip "$n")"
            printf 'LAB_POD_CIDR_%s=%q\n' "$n" "$(_lab_pod_prefix "$n" "$variant").0/24"
            printf 'LAB_CNI_DIR_%s=%q\n' "$n" "$LAB_DIR/$n/cni/net.d"
        done
        for p in "${_LAB_PODS[@]}"; do
            printf 'LAB_NS_%s=%q\n' "${p/-/_}" "$LAB-$p"
            printf 'LAB_POD_IP_%s=%q\n' "${p/-/_}" \
                "$(_lab_pod_prefix "${p%%-*}" "$variant").$(_lab_pod_host "${p#*-}")"
        done
        printf 'LAB_HELLO_URL=%q\n' "http://$(_lab_pod_prefix c1n1 "$variant").9:$LAB_HELLO_PORT/hello"
        printf 'LAB_WEB_URL=%q\n' "http://$(_lab_pod_prefix c2n2 "$variant").5:$LAB_HELLO_PORT/hello"
    } >"$LAB_DIR/lab.env"
}

# The conflist exactly as kindnet renders it (cni/10-kindnet.conflist on a kind node).
_lab_write_cni() {
    local node=$1 cidr=$2 dir
    dir="$LAB_DIR/$node/cni/net.d"
    mkdir -p "$dir"
    cat >"$dir/10-kindnet.conflist" <<EOF
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
			"routes": [
				{ "dst": "0.0.0.0/0" }
			],
			"ranges": [
				[ { "subnet": "$cidr" } ]
			]
		}
		,
		"mtu": 1500
	},
	{
		"type": "portmap",
		"capabilities": {
			"portMappings": true
		}
	}
	]
}
EOF
}

# kindnet's masq agent: masquerade everything leaving the cluster's podSubnet, except to
# LOCAL addresses and to the podSubnet itself. This is why a one-way route is enough
# between clusters: the far pod sees the node IP, which is on-link for every node.
_lab_masq() {
    local ns=$1 cluster_cidr=$2 ipt
    ipt=(ip netns exec "$ns" "$LAB_IPTABLES" -w 5 -t nat)
    "${ipt[@]}" -N KIND-MASQ-AGENT
    "${ipt[@]}" -A POSTROUTING -m addrtype ! --dst-type LOCAL -m comment \
        --comment "kind-masq-agent: ensure nat POSTROUTING directs all non-LOCAL destination traffic to our custom KIND-MASQ-AGENT chain" \
        -j KIND-MASQ-AGENT
    "${ipt[@]}" -A KIND-MASQ-AGENT -d "$cluster_cidr" -m comment \
        --comment "kind-masq-agent: local traffic is not subject to MASQUERADE" -j RETURN
    "${ipt[@]}" -A KIND-MASQ-AGENT -m comment \
        --comment "kind-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)" \
        -j MASQUERADE
}

# A pod wired the way the ptp CNI plugin (with host-local IPAM) wires it:
#   pod:  eth0 <ip>/32; <gw> dev eth0 scope link; <node /24> via <gw>; default via <gw>
#   node: veth<pod> holds <gw>/32; <ip> dev veth<pod> scope host
_lab_pod() {
    local node=$1 pod=$2 variant=$3 prefix ip gw nodens podns veth
    prefix=$(_lab_pod_prefix "$node" "$variant")
    ip="$prefix.$(_lab_pod_host "$pod")"
    gw="$prefix.1"
    nodens="$LAB-$node"
    podns="$LAB-$node-$pod"
    veth="veth${pod:0:11}"
    ip netns add "$podns"
    ip -n "$podns" link set lo up
    ip -n "$nodens" link add "$veth" type veth peer name eth0 netns "$podns"
    ip -n "$podns" addr add "$ip/32" dev eth0
    ip -n "$podns" link set eth0 up
    ip -n "$podns" route add "$gw" dev eth0 scope link
    ip -n "$podns" route add "$prefix.0/24" via "$gw" dev eth0
    ip -n "$podns" route add default via "$gw" dev eth0
    ip -n "$nodens" addr add "$gw/32" dev "$veth"
    ip -n "$nodens" link set "$veth" up
    ip -n "$nodens" route add "$ip/32" dev "$veth" scope host
}

# Start hello.py in a pod namespace, in the background, pid and log in LAB_DIR.
_lab_server() {
    local p=$1 version=$2 instance=$3 pid
    # `ip netns exec` execs the command (no fork), so $! is the python process itself.
    # stdin/out/err detached: the server must not hold a caller's pipe open.
    ip netns exec "$LAB-$p" "$LAB_PYTHON" "$_LAB_SRC_DIR/hello.py" "$LAB_HELLO_PORT" \
        "$version" "$instance" </dev/null >"$LAB_DIR/$p.log" 2>&1 &
    pid=$!
    echo "$pid" >"$LAB_DIR/$p.pid"
}

# Wait (<= 10 s) until the server in pod P answers from inside its own namespace.
_lab_wait_server() {
    local p=$1 ip deadline pid
    ip=$(lab_pod_ip "$p")
    pid=$(<"$LAB_DIR/$p.pid")
    deadline=$((SECONDS + 10))
    while ((SECONDS < deadline)); do
        if ip netns exec "$LAB-$p" curl -s --max-time 1 -o /dev/null \
            "http://$ip:$LAB_HELLO_PORT/hello"; then
            return 0
        fi
        if ! _lab_alive "$pid"; then
            _lab_err "server in $p died; log:"
            sed 's/^/    /' "$LAB_DIR/$p.log" >&2 || true
            return 1
        fi
        sleep 0.1
    done
    _lab_err "server in $p not answering after 10 s; log:"
    sed 's/^/    /' "$LAB_DIR/$p.log" >&2 || true
    return 1
}

_lab_build() {
    local variant=$1 host="$LAB-host" n ns ip peer p
    [[ $EUID -eq 0 ]] || { _lab_err "must run as root"; return 1; }
    local tool
    for tool in ip "$LAB_IPTABLES" curl sysctl "$LAB_PYTHON"; do
        command -v "$tool" >/dev/null || { _lab_err "missing tool: $tool"; return 1; }
    done
    mkdir -p "$LAB_DIR"
    _lab_write_env "$variant"

    # The docker host: a bridge and forwarding, nothing else (no default route).
    ip netns add "$host"
    ip -n "$host" link set lo up
    _lab_sysctl "$host" net.ipv4.ip_forward=1
    ip -n "$host" link add br0 type bridge
    ip -n "$host" addr add "$_LAB_BR_IP/$_LAB_BR_PREFIX" dev br0
    ip -n "$host" link set br0 up

    for n in "${_LAB_NODES[@]}"; do
        ns="$LAB-$n"
        ip=$(lab_node_ip "$n")
        ip netns add "$ns"
        # rp_filter is inherited from the init namespace (IPv4 devconf is copied at netns
        # creation), so set it explicitly: the lab must not depend on the host's value.
        _lab_sysctl "$ns" net.ipv4.conf.all.rp_filter=0
        _lab_sysctl "$ns" net.ipv4.conf.default.rp_filter=0
        _lab_sysctl "$ns" net.ipv4.ip_forward=1
        ip -n "$ns" link set lo up
        ip -n "$host" link add "v-$n" type veth peer name eth0 netns "$ns"
        ip -n "$host" link set "v-$n" master br0
        ip -n "$host" link set "v-$n" up
        ip -n "$ns" addr add "$ip/$_LAB_BR_PREFIX" dev eth0
        ip -n "$ns" link set eth0 up
        _lab_sysctl "$ns" net.ipv4.conf.eth0.rp_filter=0
        ip -n "$ns" route add default via "$_LAB_BR_IP" dev eth0
        _lab_masq "$ns" "$(lab_cluster_cidr "$(lab_cluster_of "$n")")"
        _lab_write_cni "$n" "$(_lab_pod_prefix "$n" "$variant").0/24"
    done

    # kindnet's routes: every node reaches the other node's pod /24 of its own cluster.
    for n in "${_LAB_NODES[@]}"; do
        case $n in c1n1) peer=c1n2 ;; c1n2) peer=c1n1 ;; c2n1) peer=c2n2 ;; c2n2) peer=c2n1 ;; esac
        ip -n "$LAB-$n" route add "$(_lab_pod_prefix "$peer" "$variant").0/24" \
            via "$(lab_node_ip "$peer")" dev eth0
    done

    for p in "${_LAB_PODS[@]}"; do
        _lab_pod "${p%%-*}" "${p#*-}" "$variant"
    done

    _lab_server c1n1-hello v1 hello-c1n1
    _lab_server c2n2-web v2 web-c2n2
    _lab_wait_server c1n1-hello
    _lab_wait_server c2n2-web
    echo "lab $LAB up ($variant): hello $(lab_pod_ip c1n1-hello):$LAB_HELLO_PORT," \
        "web $(lab_pod_ip c2n2-web):$LAB_HELLO_PORT, state in $LAB_DIR"
}

# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------

_lab_usage() {
    cat <<EOF
usage: bash tests/lab/lab.sh up [--overlap] | down | status
  up         build the lab (two kind-like clusters on one bridge); --overlap gives
             cluster2 the same podSubnet as cluster1 (kind's default situation)
  down       remove it (kills its processes, deletes $LAB-* namespaces, $LAB_DIR)
  status     show what is there
environment: LAB (namespace prefix, default prlab), LAB_DIR (default /run/\$LAB)
EOF
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    cmd=${1:-}
    shift || true
    case $cmd in
        up) lab_up "$@" ;;
        down) lab_down ;;
        status) lab_status ;;
        __build) _lab_build "$@" ;;
        -h | --help | help) _lab_usage ;;
        *) _lab_usage >&2; exit 2 ;;
    esac
fi
