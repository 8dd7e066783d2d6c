#!/usr/bin/env bash
# tests/k8s/docker.sh — docker for the real-cluster lab, sourced (or run: `docker.sh up|down`).
#
#   docker_up      install docker.io if missing; use a running dockerd, else start one (by PID)
#   docker_down    stop the dockerd docker_up started and put back what it changed on the host
#
# dockerd changes the machine's own network namespace: net.ipv4.ip_forward=1, the iptables
# FORWARD policy (DROP), DOCKER* chains and their jumps in filter and nat, a MASQUERADE rule per
# network, the docker0 link. docker_up records all of it first; docker_down removes exactly the
# rules and chains that were not there before, restores the policy and the sysctl, and deletes
# docker0 if it did not exist. A dockerd that was already running is used and left alone.
#
# Where the capability bounding set lacks CAP_SYS_RESOURCE (CapBnd bit 24), runc cannot start
# privileged containers nor set a negative oom_score_adj: dockerd then gets
# tests/k8s/runc-wrapper.sh as its default runtime (flags, not /etc/docker/daemon.json).
#
# State (PID, logs, snapshots) lives in $DOCKER_STATE (default /run/podreach-docker). Images
# stay in /var/lib/docker across runs: the next run reuses them.
#
# docker_lock SECONDS: one docker user at a time on this machine (two test runs must not stop
# each other's dockerd or share the lab's names); the lock goes with the process.

DOCKER_STATE=${DOCKER_STATE:-/run/podreach-docker}
DOCKER_SH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

dk_say() { echo "docker.sh: $*" >&2; }

# cap_missing NAME-BIT — is capability bit N missing from this process's bounding set?
cap_missing() {
    local bnd
    bnd=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
    (((0x$bnd >> $1) & 1)) && return 1
    return 0
}

# docker_install — docker.io (dockerd, containerd, runc) and debootstrap, only if missing.
# The postinst may not start a service where policy-rc.d forbids it; if it did, that daemon is
# not ours and is used as found.
docker_install() {
    local missing=() p
    for p in docker.io debootstrap jq iptables; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    [[ $EUID -eq 0 ]] || { dk_say "missing ${missing[*]} and not root"; return 1; }
    dk_say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
}

# snapshot of the host state dockerd touches (docker_up, before starting it)
dk_snapshot() {
    local t
    cat /proc/sys/net/ipv4/ip_forward >"$DOCKER_STATE/ip_forward"
    for t in filter nat; do iptables -t "$t" -S >"$DOCKER_STATE/ipt.$t" 2>/dev/null || true; done
    if ip link show docker0 >/dev/null 2>&1; then echo 1; else echo 0; fi >"$DOCKER_STATE/docker0"
    nft list tables >"$DOCKER_STATE/nft.tables" 2>/dev/null || true
}

# dk_restore — undo what dockerd did to the host (docker_down, after it stopped)
dk_restore() {
    local t line chain
    for t in filter nat; do
        [[ -r $DOCKER_STATE/ipt.$t ]] || continue
        iptables -t "$t" -S >"$DOCKER_STATE/ipt.$t.after" 2>/dev/null || continue
        # rules that were not there before, deleted in reverse order (jumps before chains)
        grep -Fxv -f "$DOCKER_STATE/ipt.$t" "$DOCKER_STATE/ipt.$t.after" | grep '^-A ' | tac |
            while IFS= read -r line; do
                eval "iptables -t $t -D ${line#-A }" 2>/dev/null || dk_say "could not delete ($t) $line"
            done
        grep -Fxv -f "$DOCKER_STATE/ipt.$t" "$DOCKER_STATE/ipt.$t.after" | sed -n 's/^-N //p' |
            while IFS= read -r chain; do
                iptables -t "$t" -F "$chain" 2>/dev/null
                iptables -t "$t" -X "$chain" 2>/dev/null || dk_say "could not delete chain ($t) $chain"
            done
        # policies as they were
        sed -n 's/^-P //p' "$DOCKER_STATE/ipt.$t" | while read -r chain pol; do
            iptables -t "$t" -P "$chain" "$pol" 2>/dev/null
        done
    done
    # iptables-nft made the ip filter / ip nat tables if they were not there: drop them again
    # when nothing but empty built-in chains is left in them.
    for t in filter nat; do
        grep -qx "table ip $t" "$DOCKER_STATE/nft.tables" 2>/dev/null && continue
        nft list table ip "$t" >/dev/null 2>&1 || continue
        iptables -t "$t" -S 2>/dev/null | grep -qv -e '^-P ' || nft delete table ip "$t"
    done
    [[ $(cat "$DOCKER_STATE/docker0" 2>/dev/null) == 0 ]] && ip link del docker0 2>/dev/null
    [[ -r $DOCKER_STATE/ip_forward ]] && cat "$DOCKER_STATE/ip_forward" >/proc/sys/net/ipv4/ip_forward
    return 0
}

docker_lock() {
    exec 8>/run/podreach-docker.lock
    flock -w "$1" 8
}

# docker_up — prints nothing on success; returns non-zero with the reason on stderr.
docker_up() {
    local args pid deadline
    docker_install || return 1
    command -v dockerd >/dev/null || { dk_say "no dockerd after installing docker.io"; return 1; }
    if docker info >/dev/null 2>&1; then
        dk_say "using the dockerd already running (left alone afterwards)"
        DOCKER_OURS=0
        return 0
    fi
    mkdir -p "$DOCKER_STATE"
    if [[ -s $DOCKER_STATE/dockerd.pid ]] && kill -0 "$(cat "$DOCKER_STATE/dockerd.pid")" 2>/dev/null; then
        dk_say "a dockerd of an earlier run (pid $(cat "$DOCKER_STATE/dockerd.pid")) is not answering"
        return 1
    fi
    dk_snapshot
    args=(--storage-driver=overlay2 --host=unix:///var/run/docker.sock)
    if cap_missing 24; then
        install -m 0755 "$DOCKER_SH_DIR/runc-wrapper.sh" "$DOCKER_STATE/runc-podreach"
        args+=(--add-runtime "podreach=$DOCKER_STATE/runc-podreach" --default-runtime podreach)
        dk_say "CAP_SYS_RESOURCE is missing from the bounding set: runc goes through $DOCKER_STATE/runc-podreach"
    fi
    # setsid: the daemon outlives no one by accident — it is stopped by PID in docker_down.
    setsid dockerd "${args[@]}" </dev/null >"$DOCKER_STATE/dockerd.log" 2>&1 8>&- &
    pid=$!
    echo "$pid" >"$DOCKER_STATE/dockerd.pid"
    DOCKER_OURS=1
    deadline=$((SECONDS + 60))
    until docker info >/dev/null 2>&1; do
        if ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); then
            dk_say "dockerd did not come up: $(tail -n 3 "$DOCKER_STATE/dockerd.log" | tr '\n' ' ')"
            docker_down
            return 1
        fi
        sleep 0.2
    done
    dk_say "dockerd up (pid $pid)"
}

docker_down() {
    local pid deadline
    [[ ${DOCKER_OURS:-0} == 1 ]] || return 0
    pid=$(cat "$DOCKER_STATE/dockerd.pid" 2>/dev/null)
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        deadline=$((SECONDS + 30))
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
        kill -0 "$pid" 2>/dev/null && { dk_say "dockerd $pid ignored TERM; killing it"; kill -KILL "$pid"; }
    fi
    dk_restore
    rm -f -- "$DOCKER_STATE/dockerd.pid"
    DOCKER_OURS=0
    dk_say "dockerd stopped; host iptables, ip_forward and docker0 as they were"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    case ${1:-} in
        up) docker_up ;;
        down) docker_lock 900 && DOCKER_OURS=1 docker_down ;;
        *) echo "usage: $0 up|down" >&2; exit 2 ;;
    esac
fi
