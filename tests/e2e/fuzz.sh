#!/usr/bin/env bash
# fuzz — every libFuzzer target of tests/fuzz replays its regression inputs and runs 3 s
# from its committed seed corpus (tests/fuzz/run.sh); a crash, a leak, a hang or a
# regression that fails again fails this test.  Long runs: bash tests/fuzz/run.sh 300.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

# clang and its libFuzzer runtime come from tests/deps.sh; CI must have them.
if ! command -v clang >/dev/null || ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
    clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
    if [[ ${CI:-} == true ]]; then
        echo "cannot run in CI: clang with libFuzzer is missing (tests/deps.sh installs it)"
        exit 1
    fi
    echo "skipped: clang with libFuzzer is not installed (tests/deps.sh installs it)"
    exit 77
fi
# A fixed seed in the suite: the same inputs each run (up to what 3 s reach), so CI does not
# stumble on a new find by chance; long runs (tests/fuzz/run.sh) draw a fresh seed.
FUZZ_SEED=${FUZZ_SEED:-1} exec bash tests/fuzz/run.sh "${FUZZ_SECONDS:-3}"
