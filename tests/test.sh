#!/usr/bin/env bash
# tests/test.sh — README command 2: install what is missing, build everything with warnings
# as errors, and run the whole suite (unit + end-to-end) against the ASan/UBSan build.
# Ends with "N passed, N failed, N skipped"; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh
make WERROR=1 -j2 all
make WERROR=1 -j2 check
