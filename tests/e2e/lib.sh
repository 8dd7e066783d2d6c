# tests/e2e/lib.sh — helpers for the end-to-end tests. Source it first thing:
#
#   #!/usr/bin/env bash
#   source "$(dirname "$0")/lib.sh"
#   e2e_setup            # or: e2e_setup --overlap
#   out=$(lab_curl c2n1-curl "$LAB_HELLO_URL")
#   assert_contains "$out" "HTTP 200" "curl pod reaches hello"
#
# Sourcing turns on `set -euo pipefail` (a test stops at the first unexpected failure) and
# the lab library (tests/lab/lab.sh). e2e_setup gives the test its own lab (LAB name unique to
# this test process) and guarantees lab_down on exit, whatever way the test ends.
# shellcheck shell=bash

set -euo pipefail

# repo_root — print the repository's top directory (absolute).
repo_root() { (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd); }

E2E_REPO_ROOT=$(repo_root)
# The binary under test; `make check` passes the sanitizer build.
PODREACH=${PODREACH:-$E2E_REPO_ROOT/build/podreach}
[[ $PODREACH == /* ]] || PODREACH=$E2E_REPO_ROOT/$PODREACH
export PODREACH

# The test's name, for messages: tests/e2e/route_basic.sh -> route_basic.
E2E_TEST=$(basename "${0%.sh}")

# Unique lab per test process. tests/run.sh exports E2E_LAB_PREFIX (unique per run) so it can
# find and remove whatever a crashed test leaked; standalone the test's pid does the job.
# No dash inside the prefix: lab_down deletes "$LAB-*", and one lab's name must never be a
# dash-prefix of another's.
_e2e_short=$(printf '%s' "$E2E_TEST" | tr -cd 'a-z0-9' | cut -c1-8)
LAB=${E2E_LAB_PREFIX:-pe$$}-${_e2e_short:-t}
LAB_DIR=/run/$LAB
export LAB LAB_DIR
unset _e2e_short

# shellcheck source=tests/lab/lab.sh
source "$E2E_REPO_ROOT/tests/lab/lab.sh"

# fail MSG — print "FAIL: <test>: MSG" and end the test with status 1 (the EXIT trap cleans up).
fail() {
    echo "FAIL: $E2E_TEST: $*" >&2
    exit 1
}

# pass_check MSG — record one passed check ("  ok - MSG").
pass_check() { echo "  ok - $*"; }

# wait_until TIMEOUT_S CMD... — run CMD every 0.1 s until it succeeds (returns 0) or TIMEOUT_S
# seconds (fractions allowed) pass (returns 1). CMD's output is left alone.
wait_until() {
    local timeout=$1 deadline now
    shift
    # Deadline in milliseconds from EPOCHREALTIME: fractional timeouts, no subprocesses.
    now=${EPOCHREALTIME/[.,]/}
    deadline=$((now / 1000 + $(awk -v t="$timeout" 'BEGIN { printf "%d", t * 1000 }')))
    while :; do
        if "$@"; then return 0; fi
        now=${EPOCHREALTIME/[.,]/}
        ((now / 1000 < deadline)) || return 1
        sleep 0.1
    done
}

# assert_eq EXPECTED ACTUAL [MSG] — fail unless equal; ok line otherwise.
assert_eq() {
    local msg=${3:-"'$2' == '$1'"}
    if [[ "$1" == "$2" ]]; then
        pass_check "$msg"
    else
        fail "$msg: expected '$1', got '$2'"
    fi
}

# assert_contains HAYSTACK NEEDLE [MSG] — fail unless NEEDLE is a substring of HAYSTACK.
assert_contains() {
    local msg=${3:-"output contains '$2'"}
    if [[ "$1" == *"$2"* ]]; then
        pass_check "$msg"
    else
        fail "$msg: '$2' not found in:"$'\n'"$(printf '%s\n' "$1" | sed 's/^/    | /')"
    fi
}

# assert_not_contains HAYSTACK NEEDLE [MSG] — fail if NEEDLE is a substring of HAYSTACK.
assert_not_contains() {
    local msg=${3:-"output does not contain '$2'"}
    if [[ "$1" != *"$2"* ]]; then
        pass_check "$msg"
    else
        fail "$msg: '$2' found in:"$'\n'"$(printf '%s\n' "$1" | sed 's/^/    | /')"
    fi
}

# assert_exit EXPECTED CMD... — run CMD (in this shell), stdout into $OUT, stderr into $ERR,
# exit status into $RC; fail unless RC == EXPECTED (OUT and ERR are shown then).
assert_exit() {
    local expected=$1 tmp
    shift
    tmp=$(mktemp -d)
    RC=0
    "$@" >"$tmp/out" 2>"$tmp/err" || RC=$?
    OUT=$(<"$tmp/out")
    ERR=$(<"$tmp/err")
    rm -rf -- "$tmp"
    if [[ "$RC" == "$expected" ]]; then
        pass_check "exit $expected: $*"
    else
        fail "exit $RC, expected $expected: $*"$'\n'"--- stdout:"$'\n'"$OUT"$'\n'"--- stderr:"$'\n'"$ERR"
    fi
}

# e2e_setup [--overlap] — bring up this test's lab; lab_down runs however the test ends.
e2e_setup() {
    trap '_e2e_exit' EXIT
    trap '_e2e_signal 130' INT
    trap '_e2e_signal 143' TERM
    [[ $EUID -eq 0 ]] || fail "e2e tests need root (network namespaces)"
    echo "# $E2E_TEST: lab $LAB up $*"
    lab_up "$@" || fail "lab_up $* failed"
    # shellcheck source=/dev/null
    source "$LAB_DIR/lab.env"
}

_e2e_exit() {
    local rc=$?
    trap - EXIT
    # Finish the teardown even if a signal comes now: `timeout` TERMs the whole process group
    # and an interrupted lab_down would leak namespaces. (Ignored signals are inherited by
    # the commands lab_down runs too; `timeout -k` still ends it all with KILL.)
    trap '' INT TERM
    # Whatever the test asserted, an agent that hit a sanitizer (a use-after-free at exit, a
    # leak, undefined behaviour) fails it.
    local f
    for f in "$LAB_DIR"/agent-*.log; do
        [[ -e $f ]] || continue
        if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f"; then
            echo "FAIL: $E2E_TEST: sanitizer report in $(basename "$f"):" >&2
            grep -E -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f" | head -40 >&2
            rc=1
        fi
    done
    lab_down
    exit "$rc"
}

_e2e_signal() {
    echo "FAIL: $E2E_TEST: interrupted (signal)" >&2
    exit "$1" # runs the EXIT trap
}

# ---- podreach in the lab ---------------------------------------------------------------------

# pr_remotes NODE — the --remote value for NODE: every node of the other cluster as
# NODEIP=PODCIDR, the static form of what peers would tell it.
pr_remotes() {
    local me=$1 n out=() mine
    mine=$(lab_cluster_of "$me")
    while read -r n; do
        [[ $(lab_cluster_of "$n") == "$mine" ]] && continue
        out+=("$(lab_node_ip "$n")=$(lab_pod_cidr "$n")")
    done < <(lab_nodes)
    local IFS=,
    echo "${out[*]}"
}

# pr_check NODE ARGS... — run `podreach check` on NODE the way the DaemonSet would: its
# cluster, its name, the CNI config kindnet wrote, the whole local podSubnet as cluster CIDR.
# ARGS come last, so a test can add --remote, --mode, --output.
pr_check() {
    local node=$1
    shift
    lab_node_exec "$node" "$PODREACH" check --cluster "$(lab_cluster_of "$node")" \
        --node-name "$node" --cni-conf-dir "$(lab_cni_dir "$node")" \
        --cluster-cidr "$(lab_cluster_cidr "$node")" "$@"
}

# routes_of NODE — the node's main IPv4 table as `ip route` prints it (for before/after diffs).
routes_of() { lab_node_exec "$1" ip -4 route show table main; }

# owned_routes NODE — exactly the routes podreach owns (its rtm_protocol, 152).
owned_routes() { lab_node_exec "$1" ip -4 route show proto 152; }

# json_get JSON EXPR — evaluate a python expression on the parsed JSON `j`.
json_get() { python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

# pr_agent NODE ARGS... — start `podreach agent` on NODE in the background (enforce mode, the
# node's cluster, name and CNI config); log in $LAB_DIR/agent-NODE.log, pid in
# $LAB_DIR/agent-NODE.pid. lab_down kills it with the namespace.
pr_agent() {
    local node=$1
    shift
    ip netns exec "$(lab_ns "$node")" "$PODREACH" agent --cluster "$(lab_cluster_of "$node")" \
        --node-name "$node" --cni-conf-dir "$(lab_cni_dir "$node")" \
        --cluster-cidr "$(lab_cluster_cidr "$node")" --mode enforce "$@" \
        >>"$LAB_DIR/agent-$node.log" 2>&1 </dev/null &
    echo $! >"$LAB_DIR/agent-$node.pid"
}

# agent_pid NODE — the pid pr_agent recorded.
agent_pid() { cat "$LAB_DIR/agent-$1.pid"; }

# host_curl URL [ARGS] — curl from the docker-host namespace (as a person on the host would).
host_curl() { lab_node_exec host curl -s --max-time 3 "$@"; }

# wait_ready NODE — until the node's agent answers /readyz (10 s at most).
wait_ready() {
    wait_until 10 host_curl -f -o /dev/null "http://$(lab_node_ip "$1"):9750/readyz" ||
        fail "agent on $1 not ready: $(tail -n 20 "$LAB_DIR/agent-$1.log")"
}

# route_count NODE — how many routes podreach owns on NODE.
route_count() { owned_routes "$1" | grep -c . || true; }
