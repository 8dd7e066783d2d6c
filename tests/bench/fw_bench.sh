#!/usr/bin/env bash
# tests/bench/fw_bench.sh — a 10,000-rule ruleset: `podreach check` reading it over
# nfnetlink and evaluating every pod flow (2 remote CIDRs x 2 probe ports x 5 hooks), against
# `nft -j list ruleset` merely listing it, side by side. Goal (issue 3): at most a quarter.
# Needs root; makes a namespace (prfw-*) and removes it.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s -j2 all
# PODREACH=path: another build (an earlier commit's, to compare in the same run conditions).
PODREACH=${PODREACH:-build/podreach}
N=${N:-10000}
ns=prfw-$$
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
bench_node "$ns"
ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
{
    echo "table inet big {"
    echo "  chain pass {"
    echo "    type filter hook forward priority 0; policy accept;"
    # Rules that never match the pod flows, so every one is evaluated.
    awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
        printf "    ip daddr 192.0.%d.%d tcp dport %d counter drop\n", int(i / 250) % 250, i % 250 + 1, 1000 + i % 5000 }'
    echo "  }"
    echo "}"
} | ip netns exec "$ns" nft -f -
rules=$(ip netns exec "$ns" nft -a list ruleset | grep -c "# handle" || true)
side_nft() { ip netns exec "$ns" nft -j list ruleset; }
side_pr() {
    ip netns exec "$ns" "$PODREACH" check --cluster bench --node-name n --node-ip 172.18.0.4 \
        --pod-cidr 10.245.0.0/24 --remote 172.18.0.2=10.244.0.0/24,172.18.0.3=10.244.1.0/24 \
        --probe-port 5000,9750
}
RUNS=${RUNS:-9}
read -r t_nft t_pr < <(alternate "$RUNS" side_nft side_pr)
read -r _ m_nft < <(run ip netns exec "$ns" nft -j list ruleset)
read -r _ m_pr < <(run ip netns exec "$ns" "$PODREACH" check --cluster bench --node-name n \
    --node-ip 172.18.0.4 --pod-cidr 10.245.0.0/24 \
    --remote 172.18.0.2=10.244.0.0/24,172.18.0.3=10.244.1.0/24 --probe-port 5000,9750)
# check exits 1 here (the routes are missing); only its firewall[] counts.
out=$(ip netns exec "$ns" "$PODREACH" check --cluster bench --node-name n --node-ip 172.18.0.4 \
    --pod-cidr 10.245.0.0/24 --remote 172.18.0.2=10.244.0.0/24,172.18.0.3=10.244.1.0/24 \
    --probe-port 5000,9750 --output json || true)
flows=$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["firewall"]))' <<<"$out")
echo "ruleset: $rules objects with handles; podreach evaluated $flows hook verdicts"
echo "wall time: median of $RUNS runs of each, alternated"
printf '%-44s %.3f s %8s KiB\n' "nft -j list ruleset (listing only)" "$t_nft" "$m_nft" \
    "podreach check (read + evaluate + report)" "$t_pr" "$m_pr"
echo "ratio podreach/nft: time $(echo "scale=2; $t_pr / $t_nft" | bc) (goal: at most 0.25), memory $(echo "scale=2; $m_pr / $m_nft" | bc)"
