#!/usr/bin/env bash
# tests/run.sh — run the whole suite: cmocka unit tests, then the end-to-end tests.
#
#   bash tests/run.sh                 everything
#   E2E=0 bash tests/run.sh           unit tests only
#   ONLY='lab_|test_route' ...        only tests whose name matches this extended regex
#                                     (names: unit/test_x, e2e/lab_smoke)
#   UNIT_DIR=build/asan/tests         where the unit test binaries are (make check sets it)
#   PODREACH=build/asan/podreach      the binary the e2e tests drive (make check sets it)
#   E2E_TIMEOUT=300                   seconds per e2e test (a script may ask for more with a
#                                     line "# e2e-timeout: N" among its first 5 lines)
#
# Each test counts once: a unit binary passes if it exits 0, an e2e script likewise; exit 77
# means skipped (the test printed "skipped: <why>"), which never counts as passed. The last
# line is always "N passed, N failed, N skipped"; the exit status is 1 if anything failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

UNIT_DIR=${UNIT_DIR:-build/asan/tests}
[[ $UNIT_DIR == /* ]] || UNIT_DIR=$ROOT/$UNIT_DIR
PODREACH=${PODREACH:-build/podreach}
[[ $PODREACH == /* ]] || PODREACH=$ROOT/$PODREACH
export PODREACH
E2E=${E2E:-1}
ONLY=${ONLY:-}
E2E_TIMEOUT=${E2E_TIMEOUT:-300}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-300}
# Every lab an e2e test makes in this run is named "$E2E_LAB_PREFIX-...": unique per run, so
# the leak check below can clean up after this run without touching anyone else's lab.
export E2E_LAB_PREFIX="pe$$"

passed=0
failed=0
skipped=0
skipped_names=()
failed_names=()
LOGDIR=$(mktemp -d /tmp/podreach-tests.XXXXXX)

selected() { [[ -z $ONLY ]] || [[ $1 =~ $ONLY ]]; }

# Ctrl-C / TERM: stop the running test (timeout passes TERM on, so its EXIT trap tears its lab
# down), skip the rest, still run the leak check and print the summary.
interrupted=0
current_pid=
on_signal() {
    interrupted=1
    [[ -n $current_pid ]] && kill -TERM "$current_pid" 2>/dev/null
}
trap on_signal INT TERM

record() { # record NAME RC
    if (($2 == 0)); then
        echo "PASS $1"
        passed=$((passed + 1))
    elif (($2 == 77)); then
        echo "SKIP $1"
        skipped=$((skipped + 1))
        skipped_names+=("$1")
    else
        echo "FAIL $1 (exit $2)"
        failed=$((failed + 1))
        failed_names+=("$1")
    fi
}

# run_test NAME TIMEOUT CMD... — run one test with a time limit, stream its output indented.
# The output goes to a file and is followed with `tail --pid`, not through a pipe: a process a
# test leaves behind (a server, an agent) would hold a pipe open and hang the runner.
run_test() {
    local name=$1 limit=$2 log pid rc tailpid
    shift 2
    log="$LOGDIR/${name//\//_}.log"
    : >"$log" # before the follower starts: it must find the file
    echo "=== $name"
    # -k: a test that ignores TERM gets KILLed 10 s later.
    timeout -k 10 "$limit" "$@" </dev/null >"$log" 2>&1 &
    pid=$!
    current_pid=$pid
    # The follower runs in the background too: bash runs a trap only once the foreground
    # command is done, while `wait` returns as soon as a trapped signal arrives.
    tail -s 0.2 -n +1 -f --pid="$pid" "$log" | sed -u 's/^/    /' &
    tailpid=$!
    rc=0
    wait "$pid" || rc=$?
    # Interrupted: on_signal has TERMed the test; wait for it (bounded by timeout -k).
    while kill -0 "$pid" 2>/dev/null; do rc=0; wait "$pid" || rc=$?; done
    wait "$tailpid" 2>/dev/null
    current_pid=
    if ((rc == 124)); then echo "    (timed out after ${limit}s)"; fi
    record "$name" "$rc"
}

# ---- unit tests -----------------------------------------------------------------------
# Every tests/unit/test_*.c must have been built: a missing binary is a failure, not a skip.
declare -A seen=()
for src in tests/unit/test_*.c; do
    [[ -e $src ]] || continue
    t=$(basename "$src" .c)
    seen[$t]=1
    selected "unit/$t" || continue
    ((interrupted)) && break
    if [[ -x $UNIT_DIR/$t ]]; then
        run_test "unit/$t" "$UNIT_TIMEOUT" "$UNIT_DIR/$t"
    else
        echo "=== unit/$t"
        echo "    $UNIT_DIR/$t not built (make asan)"
        record "unit/$t" 127
    fi
done
# Binaries without a source here (built elsewhere) still run.
if [[ -d $UNIT_DIR ]]; then
    for bin in "$UNIT_DIR"/test_*; do
        [[ -f $bin && -x $bin ]] || continue
        t=$(basename "$bin")
        [[ -n ${seen[$t]:-} ]] && continue
        selected "unit/$t" || continue
        ((interrupted)) && break
        run_test "unit/$t" "$UNIT_TIMEOUT" "$bin"
    done
fi

# ---- end-to-end tests -----------------------------------------------------------------
e2e_ok() { # can we make network namespaces at all? Prints the reason if not.
    if [[ $EUID -ne 0 ]]; then
        echo "not root: the e2e tests need network namespaces"
        return 1
    fi
    local probe="$E2E_LAB_PREFIX-probe"
    if ! ip netns add "$probe" 2>/dev/null; then
        echo "'ip netns add' does not work here"
        return 1
    fi
    ip netns del "$probe" 2>/dev/null
    return 0
}

if [[ $E2E != 0 ]]; then
    e2e_reason=$(e2e_ok) && e2e_usable=1 || e2e_usable=0
    for t in tests/e2e/*.sh; do
        [[ -e $t ]] || continue
        [[ $(basename "$t") == lib.sh ]] && continue
        name="e2e/$(basename "$t" .sh)"
        selected "$name" || continue
        ((interrupted)) && break
        if ((e2e_usable)); then
            limit=$(head -n 5 "$t" | sed -n 's/^# e2e-timeout: \([0-9][0-9]*\)$/\1/p' | head -n1)
            ((${limit:-0} > E2E_TIMEOUT)) || limit=$E2E_TIMEOUT
            run_test "$name" "$limit" bash "$t"
        else
            # Not silently skipped: an e2e suite that cannot run has not passed.
            echo "=== $name"
            echo "    cannot run: $e2e_reason"
            record "$name" 1
        fi
    done
fi

# ---- leak check -----------------------------------------------------------------------
# lab_down runs from each test's EXIT trap; a test killed by `timeout -k` cannot run it.
# Whatever this run's labs left behind is cleaned here and counted as a failure.
leaks=$(ip netns list 2>/dev/null | awk -v p="$E2E_LAB_PREFIX-" 'index($1, p) == 1 { print $1 }')
leak_dirs=$(find /run -maxdepth 1 -name "$E2E_LAB_PREFIX-*" 2>/dev/null)
if [[ -n $leaks || -n $leak_dirs ]]; then
    echo "=== leak-check"
    for ns in $leaks; do
        echo "    leaked netns $ns"
        for p in $(ip netns pids "$ns" 2>/dev/null); do
            echo "    killing pid $p ($(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | cut -c1-80))"
            kill -KILL "$p" 2>/dev/null
        done
        ip netns del "$ns" 2>/dev/null
    done
    for d in $leak_dirs; do
        echo "    leaked state dir $d"
        rm -rf -- "$d"
    done
    record leak-check 1
fi

rm -rf -- "$LOGDIR"
if ((interrupted)); then
    echo "interrupted: remaining tests not run"
    failed=$((failed + 1))
    failed_names+=("(interrupted)")
fi
if ((failed)); then
    echo "failed: ${failed_names[*]}"
fi
if ((skipped)); then
    echo "skipped: ${skipped_names[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
