#!/usr/bin/env bash
# tests/bench/kubeproxy_bench.sh — cost per firewall event on a kube-proxy-shaped ruleset
# (50,000 rules: tests/bench/kubeproxy.py says what it holds), release builds, in one run, for
# this tree and for the design it replaces (the whole ruleset re-read 50 ms after every commit:
# commit 92a00fd, built in a temporary worktree):
#   1. a service's endpoints changing every 100 ms (50 commits): the agent's CPU per change;
#   2. a drop rule added (10 times): until it is in /v1/status, and the agent's CPU for it.
# Not part of the test suite: no pass/fail, just the figures. Needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
make -s -j2 all
OLD_REV=${OLD_REV:-92a00fd}
SERVICES=${SERVICES:-4545}	# 11 rules each: 50,000 rules
CHANGES=${CHANGES:-50}
WORK=$(mktemp -d /tmp/kubeproxy_bench.XXXXXX)
NS=prkp$$
apid=
cleanup() {
    [[ -n $apid ]] && kill -9 "$apid" 2>/dev/null
    ip netns del "$NS" 2>/dev/null || true
    git -C "$ROOT" worktree remove --force "$WORK/old" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
echo "building $OLD_REV for comparison"
git -C "$ROOT" worktree add -q --detach "$WORK/old" "$OLD_REV"
make -s -C "$WORK/old" -j2 all >/dev/null
python3 tests/bench/kubeproxy.py ruleset "$SERVICES" >"$WORK/ruleset.nft"

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add name eth0 type veth peer name eth1
ip -n "$NS" addr add 172.18.0.4/16 dev eth0
ip -n "$NS" link set eth0 up
ip -n "$NS" link set eth1 up
ARGS=(--cluster c2 --node-name b --node-ip 172.18.0.4 --pod-cidr 10.245.0.0/24 --probe-port 5000
      --remote 172.18.0.2=10.244.0.0/24,172.18.0.3=10.244.1.0/24)
load() {
    ip netns exec "$NS" nft flush ruleset
    ip netns exec "$NS" nft -f "$WORK/ruleset.nft"
}
load
echo "ruleset: $(ip netns exec "$NS" nft -a list ruleset | grep -c '# handle') chains and rules"
# What the design before paid per commit: a whole read and evaluation (best of 3, CPU).
for bin in "$WORK/old/build/podreach" "$ROOT/build/podreach"; do
    best=
    for _ in 1 2 3; do
        /usr/bin/time -o "$WORK/time" -f "%U %S" ip netns exec "$NS" "$bin" check "${ARGS[@]}" \
            >/dev/null 2>&1 || true
        t=$(tail -n1 "$WORK/time" | awk '{print ($1 + $2) * 1000}')
        if [[ -z $best ]] || (($(echo "$t < $best" | bc))); then best=$t; fi
    done
    echo "podreach check ($bin): read + evaluate $best ms CPU"
done

run() { # run LABEL BIN
    load
    echo "== $1"
    ip netns exec "$NS" "$2" agent "${ARGS[@]}" --listen 127.0.0.1:9750 --mode enforce \
        --interval 3600 --resync 3600 >"$WORK/agent.log" 2>&1 &
    apid=$!
    for _ in $(seq 1 200); do
        ip netns exec "$NS" curl -sf -o /dev/null http://127.0.0.1:9750/readyz && break
        sleep 0.1
    done
    # The agent itself, whatever process $! was: the namespace's only one.
    apid=$(ip netns pids "$NS" | head -n1)
    [[ $(cat "/proc/$apid/comm") == podreach ]] || { echo "agent not found"; exit 1; }
    ip netns exec "$NS" python3 tests/bench/kubeproxy.py churn "$apid" "$SERVICES" "$CHANGES" || true
    grep -E "error|warn" "$WORK/agent.log" | grep -v "problem " | sort | uniq -c | head -5 || true
    kill -TERM "$apid"
    for _ in $(seq 1 50); do kill -0 "$apid" 2>/dev/null || break; sleep 0.1; done
    apid=
}
run "before ($OLD_REV: a re-read per commit)" "$WORK/old/build/podreach"
run "after (the view kept from notifications)" "$ROOT/build/podreach"
