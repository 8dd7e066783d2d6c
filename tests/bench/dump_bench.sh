#!/usr/bin/env bash
# tests/bench/dump_bench.sh — reading a large main table: `podreach check` (links, addresses
# and routes over rtnetlink, parsed by hand, plus the planner and the report) against
# `ip route show` merely listing the routes, on the same 100,000 routes, side by side.
# Goal (issue 20): at most half.
# Needs root; makes a namespace (prdump-*) and removes it.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s -j2 all
# PODREACH=path: another build (an earlier commit's, to compare in the same run conditions).
PODREACH=${PODREACH:-build/podreach}
N=${N:-100000}
ns=prdump-$$
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
bench_node "$ns"
ip -n "$ns" route add default via 172.18.0.1
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
    printf "route add 10.%d.%d.%d/32 via 172.18.0.%d\n", 100 + int(i / 65536), int(i / 256) % 256, i % 256, 2 + i % 200 }' |
    ip -n "$ns" -batch -
count=$(ip -n "$ns" route show | wc -l)
side_ip() { ip -n "$ns" route show; }
side_pr() {
    ip netns exec "$ns" "$PODREACH" check --cluster bench --node-name n \
        --pod-cidr 10.244.0.0/24 --remote 172.18.0.2=10.99.0.0/24
}
RUNS=${RUNS:-9}
read -r t_ip t_pr < <(alternate "$RUNS" side_ip side_pr)
read -r _ m_ip < <(run ip -n "$ns" route show)
read -r _ m_pr < <(run ip netns exec "$ns" "$PODREACH" check --cluster bench --node-name n \
    --pod-cidr 10.244.0.0/24 --remote 172.18.0.2=10.99.0.0/24)
echo "main table: $count routes; wall time: median of $RUNS runs of each, alternated"
printf '%-34s %.3f s %8s KiB\n' "ip route show" "$t_ip" "$m_ip" "podreach check (dump+plan+report)" "$t_pr" "$m_pr"
echo "ratio podreach/ip: $(echo "scale=2; $t_pr / $t_ip" | bc) in time (goal: at most 0.5)"
