#!/usr/bin/env bash
# tests/bench/peer_flood.sh [junk|junkmax] — issue 9's peer flood against the release build:
# 1,100 claims (X-Podreach-Peer ports 10000..10017) from 64 addresses of a fake namespace, each
# claimed peer answering `junk` (16 CIDRs and 4,096 pod IPs: invalid) or `junkmax` (the most a
# valid answer may hold: 4 distinct /24s and 1,024 pod IPs, so they are routed and probed).
# Prints the agent's RSS, the peer table, /v1/status's size and /healthz latency (p50/p99 of
# 200 requests) after the flood. Not part of the suite. Needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s -j2 all
export PODREACH=$PWD/build/podreach
MODE=${1:-junk}
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh
e2e_setup

fake=$LAB-fake
ip netns add "$fake"
ip link add fk0 netns "$fake" type veth peer name v-fake netns "$LAB-host"
lab_node_exec host ip link set v-fake master br0 up
ip -n "$fake" link set lo up
ip -n "$fake" link set fk0 up
srcs=()
for i in $(seq 40 103); do
    ip -n "$fake" addr add "172.18.0.$i/16" dev fk0
    srcs+=("172.18.0.$i")
done
ip netns exec "$fake" python3 tests/lab/fakepeer.py 0.0.0.0 10000-10017 "$MODE" >/dev/null 2>&1 &
pr_agent c1n1 --peers 172.18.0.4 --interval 1
pr_agent c2n1 --peers 172.18.0.2 --interval 1
wait_ready c2n1
wait_until 10 eval '[[ $(lab_node_exec c2n1 bash -c "exec 3<>/dev/tcp/172.18.0.40/10017" 2>&1) == "" ]]'
rss() { awk '/VmRSS/ {print $2}' "/proc/$(agent_pid c2n1)/status"; }
echo "mode $MODE; agent RSS before: $(rss) kB"
t0=$EPOCHREALTIME
flood=$(ip netns exec "$fake" python3 tests/lab/askflood.py 172.18.0.4:9750 \
    "$(IFS=,; echo "${srcs[*]}")" 10000 1100)
echo "1,100 claims sent in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}') s: $flood"
sleep 5   # a few peer and probe rounds (--interval 1)
max=0
for _ in $(seq 10); do r=$(rss); ((r > max)) && max=$r; sleep 1; done
s=$(host_curl http://172.18.0.4:9750/v1/status)
echo "agent RSS after: $(rss) kB (max over 10 s: $max kB)"
summary='import collections; print("peers: %d, by state: %s; routes: %d, probes: %d, problems: %d" % (
    len(j["peers"]), dict(collections.Counter(p["state"] for p in j["peers"])), len(j["routes"]),
    len(j["probes"]), len(j["problems"])))'
python3 -c "import json,sys; j=json.load(sys.stdin); exec(sys.argv[1])" "$summary" <<<"$s"
host_curl http://172.18.0.4:9750/metrics | grep -E "^podreach_reconcile(s_total|_duration_seconds_(sum|count))"
echo "/v1/status: $(wc -c <<<"$s") bytes; /: $(host_curl http://172.18.0.4:9750/ | wc -c) bytes"
for _ in $(seq 200); do
    lab_node_exec host curl -s -o /dev/null -w '%{time_total}\n' --max-time 5 http://172.18.0.4:9750/healthz
done | sort -n | awk '{v[NR] = $1} END {printf "/healthz: p50 %.1f ms, p99 %.1f ms\n", v[int(NR * 0.5)] * 1000, v[int(NR * 0.99)] * 1000}'
