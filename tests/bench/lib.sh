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

# best N CMD... — the fastest of N runs: "seconds KiB".
best() {
    local n=$1 r b=""
    shift
    for _ in $(seq "$n"); do
        r=$(run "$@")
        if [[ -z $b ]] || (($(echo "${r% *} < ${b% *}" | bc))); then b=$r; fi
    done
    echo "$b"
}
