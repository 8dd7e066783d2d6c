#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS [TARGET...] — build the libFuzzer targets (make fuzz) and run
# each for SECONDS from its committed seed corpus, after replaying its regression inputs.
#
#   bash tests/fuzz/run.sh 3            what the suite runs (tests/e2e/fuzz.sh)
#   bash tests/fuzz/run.sh 300 fw nft   long runs of two targets
#
# Prints one line per target: executions, new inputs found, crashes.  A crash, a leak, an
# input slower than 10 s or a failed replay makes the exit status 1 and leaves the input
# in $FUZZ_OUT (default: a temporary directory, printed); add it to
# tests/fuzz/TARGET/regressions/ with the fix so that every run replays it.  The committed
# corpus is only read: what a run finds goes to $FUZZ_OUT/TARGET/ (FUZZ_KEEP=1 keeps it).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
SECONDS_EACH=${1:?usage: tests/fuzz/run.sh SECONDS [TARGET...]}
shift
if (($#)); then targets=("$@"); else
    targets=()
    for src in tests/fuzz/fuzz_*.c; do
        t=$(basename "$src" .c)
        targets+=("${t#fuzz_}")
    done
fi

make -s -j2 fuzz >/dev/null || { echo "fuzz: make fuzz failed"; exit 1; }
OUT=${FUZZ_OUT:-$(mktemp -d /tmp/podreach-fuzz.XXXXXX)}
failed=0

for t in "${targets[@]}"; do
    bin=build/fuzz/bin/fuzz_$t
    [[ -x $bin ]] || { echo "fuzz_$t: no such target"; failed=1; continue; }
    mkdir -p "$OUT/$t"
    # Every regression input once: each was a crash before its fix.
    regs=(tests/fuzz/"$t"/regressions/*)
    if [[ -e ${regs[0]} ]]; then
        if ! "$bin" -runs=1 "${regs[@]}" >"$OUT/$t.replay.log" 2>&1; then
            echo "fuzz_$t: a regression input fails again:"
            grep -E 'ERROR|SUMMARY|Running:' "$OUT/$t.replay.log" | tail -5 | sed 's/^/    /'
            failed=1
            continue
        fi
    fi
    rc=0
    "$bin" ${FUZZ_SEED:+-seed="$FUZZ_SEED"} -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$OUT/$t-" "$OUT/$t" tests/fuzz/"$t"/corpus >"$OUT/$t.log" 2>&1 || rc=$?
    execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$OUT/$t.log" | tail -1)
    new=$(awk '/stat::new_units_added/ { print $2 }' "$OUT/$t.log" | tail -1)
    printf 'fuzz_%-10s %10s executions in %ss, %s new inputs, %s regressions replayed' \
        "$t" "${execs:-?}" "$SECONDS_EACH" "${new:-?}" "$( ((${#regs[@]})) && [[ -e ${regs[0]} ]] && echo ${#regs[@]} || echo 0)"
    if ((rc != 0)); then
        echo ", CRASH:"
        grep -E '^==[0-9]+==ERROR|^SUMMARY|Test unit written|^    #[0-9] ' "$OUT/$t.log" | head -12 | sed 's/^/    /'
        failed=1
    else
        echo ", 0 crashes"
    fi
done

if ((failed)); then
    echo "fuzz: failed; inputs and logs in $OUT"
    exit 1
fi
[[ -n ${FUZZ_KEEP:-} || -n ${FUZZ_OUT:-} ]] || rm -rf -- "$OUT"
exit 0
