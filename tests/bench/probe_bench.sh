#!/usr/bin/env bash
# tests/bench/probe_bench.sh — one probe round over 10,000 TCP targets, podreach's engine
# against `nmap -sT -n -Pn` on the same targets and ports, side by side in one run.
#
# Two namespaces it creates and removes: a source and a target joined by a veth. The target
# namespace makes all of 10.77.0.0/16 local (`ip route add local ... dev lo`, the AnyIP
# trick) and one listener on 0.0.0.0:80 accepts; port 81 is closed. Targets: 5,000 addresses
# x {80, 81} = 10,000, half open, half refused. Nothing leaves the namespaces.
# Needs root; installs nmap and GNU time when missing. Not part of tests/run.sh.
# Knobs: HOSTS (5000), RUNS (3, median reported), TIMEOUT (2 s per probe), INFLIGHT (1024).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HOSTS=${HOSTS:-5000}
TIMEOUT=${TIMEOUT:-2}
RUNS=${RUNS:-3}
INFLIGHT=${INFLIGHT:-1024}
NS=prbench$$
SRC=$NS-src
DST=$NS-dst
WORK=$(mktemp -d /tmp/probe_bench.XXXXXX)
SERVER=

cleanup() {
    trap - EXIT
    if [[ -n $SERVER ]]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    ip netns del "$SRC" 2>/dev/null || true
    ip netns del "$DST" 2>/dev/null || true
    rm -rf -- "$WORK"
}
trap cleanup EXIT

[[ $EUID -eq 0 ]] || { echo "probe_bench: needs root (network namespaces)" >&2; exit 1; }
need=()
command -v nmap >/dev/null || need+=(nmap)
[[ -x /usr/bin/time ]] || need+=(time)
if ((${#need[@]})); then apt-get install -y "${need[@]}" >/dev/null; fi

# The helper links the release build's library (make all builds it).
make -C "$ROOT" -s -j2 all
PKGS="libnl-3.0 libnl-route-3.0 libmnl libnftnl libcurl libmicrohttpd jansson"
cc -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -I"$ROOT" $(pkg-config --cflags $PKGS) \
    -o "$WORK/probe_bench" "$ROOT/tests/bench/probe_bench.c" "$ROOT/build/libpodreach.a" \
    $(pkg-config --libs $PKGS) -lm

ip netns add "$SRC"
ip netns add "$DST"
ip -n "$SRC" link set lo up
ip -n "$DST" link set lo up
ip -n "$SRC" link add veth0 type veth peer name veth0 netns "$DST"
ip -n "$SRC" addr add 10.76.0.1/30 dev veth0
ip -n "$DST" addr add 10.76.0.2/30 dev veth0
ip -n "$SRC" link set veth0 up
ip -n "$DST" link set veth0 up
ip -n "$SRC" route add 10.77.0.0/16 via 10.76.0.2
ip -n "$DST" route add local 10.77.0.0/16 dev lo
# Room for a burst of handshakes: the accept and SYN queues are per namespace.
ip netns exec "$DST" sysctl -qw net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535

for ((i = 0; i < HOSTS; i++)); do echo "10.77.$((i / 250)).$((i % 250 + 1))"; done >"$WORK/hosts"
awk '{ print $1, 80; print $1, 81 }' "$WORK/hosts" >"$WORK/targets"
ntargets=$(wc -l <"$WORK/targets")

ip netns exec "$DST" "$WORK/probe_bench" serve 80 600 >"$WORK/server.out" 2>&1 &
SERVER=$!
for ((i = 0; i < 50; i++)); do grep -q listening "$WORK/server.out" && break; sleep 0.1; done
grep -q listening "$WORK/server.out" || { echo "probe_bench: listener did not start" >&2; exit 1; }

# run_one NAME OUT CMD... — CMD in the source namespace (descriptor limit raised), under GNU
# time; appends "wall_s cpu_s rss_kb" to $WORK/NAME.runs (wall from EPOCHREALTIME: /usr/bin/time
# rounds it to 10 ms, too coarse here).
run_one() {
    local name=$1 out=$2 t0 t1 u s m
    shift 2
    t0=$EPOCHREALTIME
    ip netns exec "$SRC" bash -c 'ulimit -n "$(ulimit -Hn)"; exec "$@"' _ \
        /usr/bin/time -f '%U %S %M' -o "$WORK/$name.t" "$@" >"$out"
    t1=$EPOCHREALTIME
    read -r u s m < <(tail -n1 "$WORK/$name.t")
    awk -v a="$t0" -v b="$t1" -v u="$u" -v s="$s" -v m="$m" \
        'BEGIN { printf "%.4f %.2f %d\n", b - a, u + s, m }' >>"$WORK/$name.runs"
}

echo "# probe_bench: $ntargets targets ($HOSTS addresses x ports 80 open, 81 closed)," \
    "$RUNS runs each, alternating; $(nproc) CPUs; podreach: $INFLIGHT in flight"
for ((r = 0; r < RUNS; r++)); do
    run_one podreach "$WORK/pr.out.$r" "$WORK/probe_bench" run "$WORK/targets" "$TIMEOUT" "$INFLIGHT"
    run_one nmap /dev/null nmap -sT -n -Pn -p 80,81 -iL "$WORK/hosts" -oG "$WORK/nmap.gnmap.$r"
done

# Results of the median run (by wall time) of each tool.
median() { sort -n "$WORK/$1.runs" | sed -n "$(((RUNS + 1) / 2))p"; }
read -r pr_wall pr_cpu pr_rss < <(median podreach)
read -r nm_wall nm_cpu nm_rss < <(median nmap)
read -r _ round _ _ _ pr_open _ pr_refused _ pr_other <"$WORK/pr.out.0"
nm_open=$(grep -o '80/open/' "$WORK/nmap.gnmap.0" | wc -l)
nm_closed=$(grep -o '81/closed/' "$WORK/nmap.gnmap.0" | wc -l)
nm_other=$((ntargets - nm_open - nm_closed))

printf '%-9s %8s %7s %8s %11s %6s %8s %6s\n' tool wall_s cpu_s rss_kb connects/s open refused other
row() {
    awk -v n="$1" -v w="$2" -v c="$3" -v r="$4" -v t="$ntargets" -v o="$5" -v f="$6" -v x="$7" \
        'BEGIN { printf "%-9s %8.3f %7.2f %8d %11.0f %6d %8d %6d\n", n, w, c, r, t / w, o, f, x }'
}
row podreach "$pr_wall" "$pr_cpu" "$pr_rss" "$pr_open" "$pr_refused" "$pr_other"
row nmap "$nm_wall" "$nm_cpu" "$nm_rss" "$nm_open" "$nm_closed" "$nm_other"
awk -v r="$round" -v t="$ntargets" -v a="$pr_wall" -v b="$nm_wall" -v c="$pr_cpu" -v d="$nm_cpu" \
    -v m="$pr_rss" -v n="$nm_rss" 'BEGIN {
    printf "ratio podreach/nmap: wall %.2f, cpu %.2f, rss %.2f; podreach round alone %.3f s = %.0f connects/s\n",
        a / b, (d > 0 ? c / d : 0), m / n, r, t / r }'
if ((pr_other || nm_other || pr_open != nm_open)); then
    echo "probe_bench: the tools disagree or some targets did not answer" >&2
    exit 1
fi
