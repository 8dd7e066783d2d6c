#!/usr/bin/env bash
# tests/bench/dump_bench.sh — reading a large main table: `podreach check` (links, addresses
# and routes over rtnetlink, parsed by hand, plus the planner and the report) against
# `ip route show` merely listing the routes, on the same 100,000 routes, side by side.
# Needs root; makes a namespace (prdump-*) and removes it.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s -j2 all
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
read -r t_ip m_ip < <(best 5 ip -n "$ns" route show)
read -r t_pr m_pr < <(best 5 ip netns exec "$ns" build/podreach check --cluster bench --node-name n \
    --pod-cidr 10.244.0.0/24 --remote 172.18.0.2=10.99.0.0/24)
echo "main table: $count routes"
printf '%-34s %.3f s %8s KiB\n' "ip route show" "$t_ip" "$m_ip" "podreach check (dump+plan+report)" "$t_pr" "$m_pr"
echo "ratio podreach/ip: $(echo "scale=2; $t_pr / $t_ip" | bc) in time"
