# tests/bench/lib.sh — shared by the single-node benchmarks. Source it after `cd` to the top.
# shellcheck shell=bash

# bench_node NS — a namespace standing for one node: eth0 172.18.0.4/16 (a veth whose peer
# stays inside), up, removed on exit.
bench_node() {
    BENCH_NS=$1
    trap 'ip netns del "$BENCH_NS" 2>/dev/null || true' EXIT
    ip netns add "$BENCH_NS"
    ip -n "$BENCH_NS" link add name eth0 type veth peer name eth1
    ip -n "$BENCH_NS" addr add 172.18.0.4/16 dev eth0
    ip -n "$BENCH_NS" link set eth0 up
    ip -n "$BENCH_NS" link set eth1 up
}

# run CMD... — "seconds KiB": wall time from bash's microsecond clock (time(1)'s %e has
# 10 ms steps), peak RSS from time(1).
run() {
    local f t0 t1
    f=$(mktemp)
    t0=$EPOCHREALTIME
    /usr/bin/time -f "%M" "$@" >/dev/null 2>"$f" || true
    t1=$EPOCHREALTIME
    echo "$(echo "$t1 - $t0" | bc) $(tail -n1 "$f")"
    rm -f "$f"
}

# median V... — the median of the numbers V.
median() {
    printf '%s\n' "$@" | sort -g |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# alternate N A B — runs the functions A and B one after the other, N times, and prints
# "seconds_A seconds_B": the median wall time of each. On a machine shared with other jobs a
# burst of load then falls on both sides alike, which a best-of-N of one side after the
# other's does not ensure.
alternate() {
    local n=$1 a=$2 b=$3 t0 t1 ta=() tb=()
    for _ in $(seq "$n"); do
        t0=$EPOCHREALTIME
        "$a" >/dev/null 2>&1 || true
        t1=$EPOCHREALTIME
        ta+=("$(echo "$t1 - $t0" | bc)")
        t0=$EPOCHREALTIME
        "$b" >/dev/null 2>&1 || true
        t1=$EPOCHREALTIME
        tb+=("$(echo "$t1 - $t0" | bc)")
    done
    echo "$(median "${ta[@]}") $(median "${tb[@]}")"
}
