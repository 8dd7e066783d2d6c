#!/usr/bin/env bash
# tests/bench/large_cluster.sh — one agent (release build, enforce) in a namespace of its own,
# watching a local cluster of one Node and a remote cluster of N Nodes served by
# tests/lab/nodesapi.py (list in pages of 500, then a watch; each Node about 3 KB as a kind
# Node is). For each size: the time from the agent's start until all its routes are in the
# kernel, peak RSS (VmHWM), CPU seconds until then and 2 s after, and /healthz latency while it
# settles (a request every 0.1 s, 5 s timeout). Then 5,000 Nodes x 16 pod CIDRs: refused past
# the bounds, the agent stays healthy. With IDLE=S (default 60), each settled agent is then
# left alone for S s: its CPU seconds and log lines in that time, per minute.
# BOUNDS=0 leaves out the 5,000 x 16 run; LOGDIR=DIR keeps the agents' logs there.
# Usage: bash tests/bench/large_cluster.sh [SIZES...]   (root; default sizes: 1000 5000)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SIZES=("${@:-1000}")
IDLE=${IDLE:-60}
(($# == 0)) && SIZES=(1000 5000)
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
# shellcheck source=tests/lab/nodesapi.sh
source tests/lab/nodesapi.sh
make -s -j2 build/podreach
ns=prblarge$$
dir=/run/$ns
agent=0
poller=0
cleanup() {
    ((agent)) && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
    ((poller)) && kill "$poller" 2>/dev/null && wait "$poller" 2>/dev/null
    nodesapi_down
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$dir"
}
bench_node "$ns"
trap cleanup EXIT
mkdir -p "$dir"
ip -n "$ns" link set lo up
nodesapi_up "$dir" "$ns" local 6443 --nodes 1 --ip-base 172.18.0.4 --cidr-base 10.245.0.0
routes() { ip -n "$ns" -4 route show proto 152 | grep -c . || true; }
cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$agent/stat"; }
reconciles() {
    ip netns exec "$ns" curl -s -m 5 http://127.0.0.1:9750/metrics |
        awk '$1 == "podreach_reconciles_total" { print $2 }'
}
hwm() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$agent/status"; }

# healthz_stats < LINES — "CODE SECONDS" lines of the poller summed up.
healthz_stats() {
    sort -k2 -n | awk '{ t[NR] = $2; if ($1 != 200) bad++ }
        END { printf "/healthz %d requests, %d not 200, median %.1f ms, max %.1f ms\n", NR, bad,
            t[int((NR + 1) / 2)] * 1000, t[NR] * 1000 }'
}

# run_one N CIDRS PREFIX WANT — start the remote API and the agent; WANT routes settle it.
run_one() {
    local n=$1 k=$2 len=$3 want=$4 t0 t1 i
    nodesapi_up "$dir" "$ns" remote 6444 --nodes "$n" --cidrs "$k" --prefix "$len"
    rm -f "$dir/healthz"
    t0=$EPOCHREALTIME
    ip netns exec "$ns" "$ROOT/build/podreach" agent --cluster c2 --node-name n00000 \
        --pod-cidr 10.245.0.0/24 --node-ip 172.18.0.4 --listen 127.0.0.1:9750 --mode enforce \
        --kubeconfig "$dir/local.kubeconfig" --remote-kubeconfig "c1=$dir/remote.kubeconfig" \
        --remote-secrets "" >"$dir/agent-$n-$k.log" 2>&1 &
    agent=$!
    ip netns exec "$ns" bash -c 'while :; do curl -s -o /dev/null -m 5 -w "%{http_code} %{time_total}\n" \
        http://127.0.0.1:9750/healthz; sleep 0.1; done' >>"$dir/healthz" 2>/dev/null &
    poller=$!
    for i in $(seq 1200); do
        if ((want)); then [[ $(routes) -ge $want ]] && break
        else grep -q 'cidr-rejected appeared' "$dir/agent-$n-$k.log" && break; fi
        sleep 0.1
    done
    t1=$EPOCHREALTIME
    local settle cpu_settled
    settle=$(echo "$t1 - $t0" | bc)
    cpu_settled=$(cpu)
    sleep 2
    printf '%5d Nodes x %2d: %5d routes, settled in %5.2f s, CPU %5.2f s (%5.2f s 2 s later), peak RSS %5.1f MiB, ' \
        "$n" "$k" "$(routes)" "$settle" "$cpu_settled" "$(cpu)" "$(hwm)"
    # From the first answer on (before it, the agent was not listening yet).
    healthz_stats < <(awk '$1 == 200 { up = 1 } up' "$dir/healthz")
    grep -o 'cidr-rejected appeared: .*' "$dir/agent-$n-$k.log" | head -1 || true
    if ((IDLE > 0)); then
        local c0 l0 r0 h0
        c0=$(cpu)
        r0=$(reconciles)
        l0=$(grep -c . "$dir/agent-$n-$k.log")
        h0=$(grep -c . "$dir/healthz")
        sleep "$IDLE"
        printf '      idle %d s: %d reconciles, CPU %.2f s (%.1f%%), %d log lines (%.0f a minute), ' \
            "$IDLE" "$(($(reconciles) - r0))" \
            "$(echo "$(cpu) - $c0" | bc)" "$(echo "($(cpu) - $c0) * 100 / $IDLE" | bc -l)" \
            "$(($(grep -c . "$dir/agent-$n-$k.log") - l0))" \
            "$(echo "($(grep -c . "$dir/agent-$n-$k.log") - $l0) * 60 / $IDLE" | bc -l)"
        healthz_stats < <(tail -n +"$((h0 + 1))" "$dir/healthz")
        # What the log said most while idle.
        tail -n +"$((l0 + 1))" "$dir/agent-$n-$k.log" | cut -d' ' -f2- | cut -c1-50 | sort | uniq -c |
            sort -rn | head -3 || true
    fi
    kill "$poller"; wait "$poller" 2>/dev/null || true; poller=0
    kill "$agent"; wait "$agent" 2>/dev/null || true; agent=0
    [[ -z ${LOGDIR:-} ]] || cp "$dir/agent-$n-$k.log" "$LOGDIR/"
    ip -n "$ns" -4 route flush proto 152
    nodesapi_down
    nodesapi_up "$dir" "$ns" local 6443 --nodes 1 --ip-base 172.18.0.4 --cidr-base 10.245.0.0
}

for n in "${SIZES[@]}"; do
    run_one "$n" 1 24 "$n"
done
# Past the bounds: every Node has 16 pod CIDRs (more than 4): none is routed, one problem.
((${BOUNDS:-1})) && run_one 5000 16 28 0
