#!/usr/bin/env bash
# Line coverage of the library by the host tests (unit + integration tests,
# stable; doctests need nightly and are left out), with cargo-llvm-cov.
# Prints the per-file table, then the totals for src/ring and src/console
# (HARDENING.md records the figures).
#
#   scripts/coverage.sh                 report
#   COVERAGE_MIN=90 scripts/coverage.sh fail if ring or console is below 90 %
#   scripts/coverage.sh --html          also write target/llvm-cov/html
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-llvm-cov >/dev/null || cargo install cargo-llvm-cov
rustup component list --installed | grep -q '^llvm-tools' || rustup component add llvm-tools
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

cargo llvm-cov clean --workspace
cargo llvm-cov --all-features --lib --tests --no-report
table=$(cargo llvm-cov report --summary-only)
echo "$table"
if [ "${1:-}" = "--html" ]; then
    cargo llvm-cov report --html
fi

# Columns: Filename Regions Missed Cover Functions Missed Executed Lines Missed Cover ...
status=0
for module in ring console; do
    read -r lines missed < <(echo "$table" |
        awk -v m="$module/" 'index($1, m) == 1 { l += $8; x += $9 } END { print l + 0, x + 0 }')
    pct=$(awk -v l="$lines" -v x="$missed" 'BEGIN { printf "%.1f", l ? 100 * (l - x) / l : 0 }')
    echo "src/$module: $((lines - missed)) of $lines lines covered ($pct %)"
    if [ -n "${COVERAGE_MIN:-}" ] && awk -v p="$pct" -v m="$COVERAGE_MIN" 'BEGIN { exit !(p < m) }'; then
        echo "src/$module: below $COVERAGE_MIN %"
        status=1
    fi
done
exit $status
