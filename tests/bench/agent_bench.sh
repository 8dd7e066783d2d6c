#!/usr/bin/env bash
# tests/bench/agent_bench.sh — figures for `podreach agent` (issue 4), on the release build:
#   1. repair latency over 200 deletions of an owned route (p50/p99), from the kernel's
#      deletion notification to the replacement being acknowledged, as the agent measures it;
#      beside it what the pollers a user would otherwise rely on give (kindnet and flannel
#      poll every 10 s: a deletion waits 5 s on average, 10 s at worst);
#   2. convergence of 3 clusters x 8 nodes, every agent seeded with the first node of each other
#      cluster: from starting all 24 agents to every node holding its 16 remote routes;
#   3. RSS and CPU of one agent at idle over 10 s.
# Not part of the test suite: no pass/fail, just the table. Needs root; makes its own
# namespaces (prbench-*) and removes them.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s -j2 all
BIN=$PWD/build/podreach
P=prbench
DIR=$(mktemp -d /tmp/prbench.XXXXXX)
pids=()

cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    for ns in $(ip netns list | awk '{print $1}' | grep "^$P-" || true); do ip netns del "$ns"; done
    rm -rf "$DIR"
}
trap cleanup EXIT

ip netns add "$P-host"
ip -n "$P-host" link add br0 type bridge
ip -n "$P-host" addr add 172.19.0.1/16 dev br0
ip -n "$P-host" link set br0 up

# node K I: cluster K (1..3), node I (0..7): 172.19.K.(10+I), pods 10.(100+K).I.0/24
node() {
    local k=$1 i=$2 ns=$P-c$1n$2 ip=172.19.$1.$((10 + $2))
    ip netns add "$ns"
    ip link add eth0 netns "$ns" type veth peer name "v$k-$i" netns "$P-host"
    ip -n "$P-host" link set "v$k-$i" master br0 up
    ip -n "$ns" addr add "$ip/16" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" route add default via 172.19.0.1
    mkdir -p "$DIR/$ns"
    printf '{"plugins":[{"type":"ptp","ipam":{"type":"host-local","ranges":[[{"subnet":"10.%d.%d.0/24"}]]}}]}\n' \
        $((100 + k)) "$i" >"$DIR/$ns/10-kindnet.conflist"
}
agent() { # agent K I ARGS...
    local k=$1 i=$2
    shift 2
    ip netns exec "$P-c${k}n$i" "$BIN" agent --cluster "cluster$k" --node-name "c${k}n$i" \
        --cni-conf-dir "$DIR/$P-c${k}n$i" --cluster-cidr "10.$((100 + k)).0.0/16" \
        --mode enforce "$@" >>"$DIR/agent-$k-$i.log" 2>&1 &
    pids+=($!)
}
owned() { ip -n "$P-c$1n$2" -4 route show proto 152 | grep -c . || true; }
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if(i<1)i=1; print a[i]}'; }

# ---- 2. convergence ------------------------------------------------------------------------
for k in 1 2 3; do for i in $(seq 0 7); do node "$k" "$i"; done; done
t0=$(date +%s.%N)
for k in 1 2 3; do
    for i in $(seq 0 7); do
        seeds=()
        for o in 1 2 3; do [[ $o == "$k" ]] || seeds+=("172.19.$o.10"); done
        agent "$k" "$i" --peers "$(IFS=,; echo "${seeds[*]}")" --interval 1
    done
done
converged=
sleep 0
for _ in $(seq 1 600); do
    done_n=0
    for k in 1 2 3; do for i in $(seq 0 7); do [[ $(owned "$k" "$i") == 16 ]] && done_n=$((done_n + 1)); done; done
    if ((done_n == 24)); then converged=$(echo "$(date +%s.%N) - $t0" | bc); break; fi
    sleep 0.05
done
echo "convergence 3x8 nodes, one seed per cluster: ${converged:-not within 30 s} s"
if [[ -z $converged ]]; then
    for k in 1 2 3; do for i in $(seq 0 7); do printf '%s ' "c${k}n$i:$(owned "$k" "$i")"; done; done; echo
    ip netns exec "$P-c1n0" curl -s http://172.19.1.10:9750/v1/peers | head -40
    tail -5 "$DIR/agent-1-0.log"
fi

# ---- 3. idle -------------------------------------------------------------------------------------
pid=${pids[0]}
hz=$(getconf CLK_TCK)
read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
sleep 10
read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
cpu=$(echo "scale=3; ($u1 + $s1 - $u0 - $s0) * 100 / $hz / 10" | bc)
echo "idle agent (23 peers, --interval 1): RSS ${rss} kB, CPU ${cpu} % over 10 s"

# ---- 1. repair latency ----------------------------------------------------------------------------
for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()
ns=$P-c1n0
agent 1 0 --remote 172.19.2.10=10.102.0.0/24 --resync 600
for _ in $(seq 1 100); do [[ $(owned 1 0) -ge 1 ]] && break; sleep 0.05; done
: >"$DIR/agent-1-0.log"
for _ in $(seq 1 200); do
    ip -n "$ns" route del 10.102.0.0/24
    for _ in $(seq 1 200); do ip -n "$ns" route show 10.102.0.0/24 | grep -q . && break; sleep 0.005; done
    sleep 0.01
done
grep -ao "repaired [0-9.]* ms" "$DIR/agent-1-0.log" | awk '{print $2}' >"$DIR/lat"
n=$(wc -l <"$DIR/lat")
echo "repair latency over $n deletions: p50 $(pct 50 <"$DIR/lat") ms, p99 $(pct 99 <"$DIR/lat") ms, max $(pct 100 <"$DIR/lat") ms"
echo "  (a 10 s poller — kindnet, flannel — waits 5000 ms on average, 10000 ms at worst: ratio $(echo "scale=0; 5000 / $(pct 50 <"$DIR/lat")" | bc)x at p50)"
