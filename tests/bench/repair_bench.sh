#!/usr/bin/env bash
# tests/bench/repair_bench.sh — cost per event (issue "an incremental kernel view"), release
# builds, in one run:
#   1. repair latency of a deleted owned route (p50/p99 over 40 deletions, as the agent logs
#      it: deletion notification -> replacement acknowledged) with 0, 10,000 and 100,000 other
#      routes in the table, for this tree and for the design it replaces (a full dump of links,
#      addresses and routes per event: commit be89d89, built in a temporary worktree);
#   2. nftables: rule added -> the drop in /v1/status (median of 10);
#   3. a burst of 100,000 route adds: until the agent has seen them all, and its CPU time.
# Not part of the test suite: no pass/fail, just the figures. Needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
source tests/bench/lib.sh
make -s -j2 all
NEW=$ROOT/build/podreach
OLD_REV=${OLD_REV:-be89d89}
WORK=$(mktemp -d /tmp/repair_bench.XXXXXX)
NS=prrb$$
apid=
cleanup() {
    [[ -n $apid ]] && kill -9 "$apid" 2>/dev/null
    ip netns del "$NS" 2>/dev/null || true
    git -C "$ROOT" worktree remove --force "$WORK/old" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
echo "building $OLD_REV for comparison (about 30 s)"
git -C "$ROOT" worktree add -q --detach "$WORK/old" "$OLD_REV"
make -s -C "$WORK/old" -j2 all >/dev/null
OLD=$WORK/old/build/podreach

pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if(i<1)i=1; print a[i]}'; }
node() { # a fresh node namespace with N filler routes
    ip netns del "$NS" 2>/dev/null || true
    ip netns add "$NS"
    ip -n "$NS" link set lo up
    ip -n "$NS" link add name eth0 type veth peer name eth1
    ip -n "$NS" addr add 172.18.0.4/16 dev eth0
    ip -n "$NS" link set eth0 up
    ip -n "$NS" link set eth1 up
    python3 -c "
import sys
n = int(sys.argv[1])
for i in range(n):
    print(f'route add 10.{100 + i // 65536}.{(i // 256) % 256}.{i % 256}/32 via 172.18.0.9 dev eth0')
" "$1" >"$WORK/fill"
    [[ $1 == 0 ]] || ip -n "$NS" -batch "$WORK/fill"
}
agent() { # agent BIN ARGS...
    local bin=$1
    shift
    ip netns exec "$NS" "$bin" agent --cluster c2 --node-name b --node-ip 172.18.0.4 \
        --pod-cidr 10.245.0.0/24 --listen 127.0.0.1:9750 --mode enforce --resync 600 \
        --remote 172.18.0.2=10.244.0.0/24 "$@" >"$WORK/agent.log" 2>&1 &
    apid=$!
    for _ in $(seq 1 400); do
        ip -n "$NS" route show proto 152 | grep -q 10.244.0.0 && return 0
        sleep 0.05
    done
    echo "agent did not install its route" >&2
    tail "$WORK/agent.log" >&2
    return 1
}
stop() { kill -TERM "$apid"; wait "$apid" 2>/dev/null || true; apid=; }
repairs() { # 40 deletions; prints the latencies the agent logged, ms
    : >"$WORK/agent.log"
    for _ in $(seq 1 40); do
        ip -n "$NS" route del 10.244.0.0/24
        for _ in $(seq 1 400); do ip -n "$NS" route show 10.244.0.0/24 | grep -q . && break; sleep 0.005; done
        sleep 0.02
    done
    grep -ao "repaired [0-9.]* ms" "$WORK/agent.log" | awk '{print $2}'
}

# ---- 1. repair latency vs table size ---------------------------------------------------------------
PARTS=${PARTS:-1 2 3}   # e.g. PARTS=3 runs only the burst
if [[ " $PARTS " == *" 1 "* ]]; then
printf '%-9s %-22s %-22s\n' "routes" "podreach p50 / p99 ms" "full dump ($OLD_REV) p50 / p99 ms"
declare -A p50
for n in 0 10000 100000; do
    node "$n"
    row=()
    for b in new old; do
        bin=$NEW; [[ $b == old ]] && bin=$OLD
        agent "$bin"
        repairs >"$WORK/lat"
        stop
        p50[$b-$n]=$(pct 50 <"$WORK/lat")
        row+=("${p50[$b-$n]} / $(pct 99 <"$WORK/lat")")
    done
    printf '%-9s %-22s %-22s\n' "$n" "${row[0]}" "${row[1]}"
done
echo "podreach at 100,000 routes vs empty: $(echo "scale=2; ${p50[new-100000]} / ${p50[new-0]}" | bc)x" \
    "(goal: at most 2x); full dump: $(echo "scale=1; ${p50[old-100000]} / ${p50[old-0]}" | bc)x"

fi

# ---- 2. nftables rule -> verdict ---------------------------------------------------------------------
if [[ " $PARTS " == *" 2 "* ]]; then
node 0
agent "$NEW" --probe-port 5000 --interval 60
lat=()
for _ in $(seq 1 10); do
    ip netns exec "$NS" nft add table ip bench
    ip netns exec "$NS" nft add chain ip bench fw '{ type filter hook forward priority 0; }'
    t0=$EPOCHREALTIME
    ip netns exec "$NS" nft add rule ip bench fw ip daddr 10.244.0.0/24 drop
    for _ in $(seq 1 2000); do
        ip netns exec "$NS" curl -s http://127.0.0.1:9750/v1/status | grep -q '"verdict": "drop"' && break
    done
    lat+=("$(echo "($EPOCHREALTIME - $t0) * 1000" | bc)")
    ip netns exec "$NS" nft delete table ip bench
    for _ in $(seq 1 2000); do
        ip netns exec "$NS" curl -s http://127.0.0.1:9750/v1/status | grep -q '"verdict": "drop"' || break
    done
done
echo "nftables rule added -> drop in /v1/status: median $(printf '%s\n' "${lat[@]}" | pct 50) ms" \
    "(before: up to --interval, 10 s by default)"
stop
fi

# ---- 3. a burst of 100,000 route adds ------------------------------------------------------------------
[[ " $PARTS " == *" 3 "* ]] || exit 0
python3 -c "
for i in range(100000):
    print(f'route add 10.{100 + i // 65536}.{(i // 256) % 256}.{i % 256}/32 via 172.18.0.9 dev eth0')
" >"$WORK/burst"
for b in new old; do
    bin=$NEW; [[ $b == old ]] && bin=$OLD
    node 0
    agent "$bin"
    hz=$(getconf CLK_TCK)
    read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$apid/stat")
    t0=$EPOCHREALTIME
    ip -n "$NS" -batch "$WORK/burst"
    tb=$EPOCHREALTIME
    # Settled: the agent's CPU time stops growing for 0.2 s.
    last=-1
    for _ in $(seq 1 600); do
        read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$apid/stat")
        [[ $((u1 + s1)) == "$last" ]] && break
        last=$((u1 + s1))
        sleep 0.2
    done
    t1=$(echo "$EPOCHREALTIME - 0.2" | bc)
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$apid/status")
    echo "$b: 100,000-route burst: ip -batch $(echo "$tb - $t0" | bc | cut -c1-5) s; agent settled" \
        "$(echo "$t1 - $tb" | bc | cut -c1-5) s after it; agent CPU $(echo "scale=2; ($u1 + $s1 - $u0 - $s0) / $hz" | bc) s; RSS ${rss} kB"
    stop
done
