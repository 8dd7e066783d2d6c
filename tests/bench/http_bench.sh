#!/usr/bin/env bash
# tests/bench/http_bench.sh — does the agent's HTTP endpoint stay up under a connection flood
# (issue 9, item 4)? For the release build of this tree ("new") and of BASE ("old", default: the
# commit before the guard in front of libmicrohttpd), each in its own namespace, with the
# attacker (tests/lab/httpflood.py) on loopback addresses 127.0.x.y of the same namespace:
#   A  the issue's slowloris: 64 connections from 4 addresses, a header byte every 3 s;
#   B  the issue's idle flood: 1,000 connections from 8 addresses, sending nothing;
#   C  both at once and worse: 1,000 idle from 40 addresses + 200 slowloris (a byte a second)
#      from 50 addresses;
#   in A-C every connection the server closes is opened again 50 ms later (the attack lasts);
#   then /healthz again once the floods are over (the old endpoint does not recover);
#   D  20 slowloris connections from 20 addresses for 20 s: how long does one live?
# During A-C, /healthz is asked 100 times in a row (curl, 2 s limit, as a kubelet probe with
# timeoutSeconds 2) and /metrics 10 times; failures are counted (a run stops after 5) and
# count as 2 s in the percentiles. Also: sockets the agent holds, RSS.
# Not part of the test suite: no pass/fail, just the table. Needs root.
#   OLD=/path/to/podreach   use that binary as "old" instead of building BASE
#   BASE=<commit>           what "old" is built from (default below)
#   ONLY=new                measure only this tree
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BASE=${BASE:-867af69^}
make -s -j2 all
DIR=$(mktemp -d /tmp/prhttp.XXXXXX)
P=prhttp$$
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    for ns in "$P-old" "$P-new"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$DIR"
}
trap cleanup EXIT
# The attacker holds ~1,300 sockets, the agent as many as it lets itself.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

declare -A BIN=([new]=$ROOT/build/podreach)
if [[ ${ONLY:-} != new ]]; then
    if [[ -n ${OLD:-} ]]; then
        BIN[old]=$OLD
    else
        mkdir -p "$DIR/old"
        git archive "$BASE" | tar -x -C "$DIR/old"
        make -s -C "$DIR/old" -j2 all >/dev/null
        BIN[old]=$DIR/old/build/podreach
    fi
fi

srcs() { # srcs PREFIX N — "PREFIX.1,PREFIX.2,...,PREFIX.N"
    local out=() i
    for i in $(seq 1 "$2"); do out+=("$1.$i"); done
    local IFS=,
    echo "${out[*]}"
}
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if(i<1)i=1; printf "%.1f", a[i]*1000}'; }
jget() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j.get(sys.argv[2]))' "$1" "$2"; }

# probe NS PATH N — N sequential GETs; prints "ok/asked p50 p99 max" (ms); stops after 5 failures.
probe() {
    local ns=$1 path=$2 n=$3 f=$DIR/lat fails=0 ok=0 asked=0 out code t
    : >"$f"
    for _ in $(seq 1 "$n"); do
        asked=$((asked + 1))
        out=$(ip netns exec "$ns" curl -s -o /dev/null -m 2 -w '%{http_code} %{time_total}' \
            "http://127.0.0.1:9750$path" || true)
        code=${out%% *} t=${out##* }
        if [[ $code == 200 ]]; then ok=$((ok + 1)); echo "$t" >>"$f"; else fails=$((fails + 1)); echo 2 >>"$f"; fi
        ((fails < 5)) || break
    done
    echo "$ok/$asked $(pct 50 <"$f") $(pct 99 <"$f") $(pct 100 <"$f")"
}

start_agent() { # start_agent TAG — its namespace, the agent in it, until /healthz answers
    local tag=$1 ns=$P-$1
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip -n "$ns" link add eth0 type veth peer name eth1
    ip -n "$ns" addr add 172.18.0.4/16 dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set eth1 up
    ip netns exec "$ns" "${BIN[$tag]}" agent --cluster c2 --node-name n1 --node-ip 172.18.0.4 \
        --pod-cidr 10.245.0.0/24 --mode report >"$DIR/agent-$tag.log" 2>&1 &
    AGENT=$!
    pids+=("$AGENT")
    for _ in $(seq 1 50); do
        ip netns exec "$ns" curl -sf -m 1 -o /dev/null http://127.0.0.1:9750/healthz && return 0
        sleep 0.1
    done
    echo "agent $tag did not start: $(cat "$DIR/agent-$tag.log")" >&2
    exit 1
}

# attack TAG NAME ARGS... — start the flood, wait until it holds its connections (10 s at most)
attack() {
    local tag=$1 name=$2 want
    shift 2
    FLOOD_STATS=$DIR/$tag-$name.json
    ip netns exec "$P-$tag" python3 "$ROOT/tests/lab/httpflood.py" --target 127.0.0.1:9750 \
        --stats "$FLOOD_STATS" "$@" >/dev/null 2>&1 &
    FLOOD=$!
    pids+=("$FLOOD")
    want=$(($(echo "$@" | grep -o -- '--\(idle\|slow\) [0-9]*' | awk '{s+=$2} END {print s}') * 9 / 10))
    for _ in $(seq 1 100); do
        if [[ -s $FLOOD_STATS ]] &&
            (($(jget "$FLOOD_STATS" idle_open) + $(jget "$FLOOD_STATS" slow_open) >= want)); then
            break
        fi
        sleep 0.1
    done
    sleep 2 # held for a while: the old endpoint's slots are all taken by now
}
stop_flood() { kill "$FLOOD" 2>/dev/null || true; wait "$FLOOD" 2>/dev/null || true; }
held() { find "/proc/$AGENT/fd" -lname 'socket:*' 2>/dev/null | wc -l; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$AGENT/status"; }

row() { # row TAG NAME — one line of the table, while the flood runs
    local tag=$1 name=$2 h m
    h=$(probe "$P-$tag" /healthz 100)
    m=$(probe "$P-$tag" /metrics 10)
    printf '%-4s %-2s  healthz %-8s p50 %7s p99 %7s max %7s ms | metrics %-6s p99 %7s ms | sockets %5s  RSS %6s kB | slow closed %s\n' \
        "$tag" "$name" ${h} "${m%% *}" "$(echo "$m" | awk '{print $3}')" "$(held)" "$(rss)" \
        "$(jget "$FLOOD_STATS" slow_closed)"
}

for tag in new old; do
    [[ -n ${BIN[$tag]:-} ]] || continue
    start_agent "$tag"
    h=$(probe "$P-$tag" /healthz 100)
    printf '%-4s %-2s  healthz %-8s p50 %7s p99 %7s max %7s ms | RSS %s kB\n' "$tag" "-" ${h} "$(rss)"
    attack "$tag" A --slow 64 --slow-src "$(srcs 127.0.1 4)" --trickle 3 --reconnect
    row "$tag" A
    stop_flood
    attack "$tag" B --idle 1000 --idle-src "$(srcs 127.0.2 8)" --reconnect
    row "$tag" B
    stop_flood
    attack "$tag" C --idle 1000 --idle-src "$(srcs 127.0.3 40)" --slow 200 \
        --slow-src "$(srcs 127.0.4 50)" --trickle 1 --reconnect
    row "$tag" C
    stop_flood
    sleep 1
    printf '%-4s after the floods ended: healthz %s\n' "$tag" "$(probe "$P-$tag" /healthz 5 | cut -d' ' -f1)"
    ip netns exec "$P-$tag" python3 "$ROOT/tests/lab/httpflood.py" --target 127.0.0.1:9750 \
        --stats "$DIR/$tag-D.json" --slow 20 --slow-src "$(srcs 127.0.5 20)" --trickle 1 \
        --duration 20 >/dev/null 2>&1
    printf '%-4s D   slowloris 20 x 20 s: closed %s, lifetime %s..%s s, fewest bytes sent by a closed one %s\n' \
        "$tag" "$(jget "$DIR/$tag-D.json" slow_closed)" "$(jget "$DIR/$tag-D.json" slow_life_min)" \
        "$(jget "$DIR/$tag-D.json" slow_life_max)" "$(jget "$DIR/$tag-D.json" slow_closed_bytes_min)"
    kill "$AGENT" 2>/dev/null || true
    wait "$AGENT" 2>/dev/null || true
    grep -i "http" "$DIR/agent-$tag.log" | tail -n 2 | sed "s/^/$tag log: /" || true
done
