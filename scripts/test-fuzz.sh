#!/usr/bin/env bash
# Runs the cargo-fuzz targets (fuzz/, nightly) for a while each. Not part of
# the test command: tests/fuzz_stable.rs runs the same harness on stable.
#
#   scripts/test-fuzz.sh [SECONDS] [TARGET...]   fuzz each target (default 60 s;
#                                               targets ring_ops logger_ops)
#   scripts/test-fuzz.sh --replay FILE TARGET    run one input (a crash artifact)
#
# New corpus entries go to $CARGO_TARGET_DIR/corpus/<target> (the repository's
# fuzz/corpus/<target>/seed-* are read, never written); crashes to
# $CARGO_TARGET_DIR/artifacts/. Exit status is non-zero if a target failed.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target/fuzz}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal

if [ "${1:-}" = "--replay" ]; then
    file=$(realpath "$2")
    cd fuzz && exec cargo +nightly fuzz run "${3:?target}" "$file"
fi

secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ring_ops logger_ops)
art=$CARGO_TARGET_DIR/artifacts
mkdir -p "$art"
status=0
for t in "${targets[@]}"; do
    mkdir -p "$CARGO_TARGET_DIR/corpus/$t"
    printf '\n==== fuzz %s for %s s ====\n' "$t" "$secs"
    log=$CARGO_TARGET_DIR/fuzz-$t.log
    set +e
    (cd fuzz && cargo +nightly fuzz run "$t" "$CARGO_TARGET_DIR/corpus/$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$art/$t-" -print_final_stats=1) >"$log" 2>&1
    rc=$?
    set -e
    grep -av '^["#]' "$log" | grep -aE 'Done|panicked|ERROR|SUMMARY|crash-|timeout-|stat::' || true
    if [ $rc != 0 ]; then
        echo "fuzz $t: FAILED (exit $rc; log $log, inputs in $art)"
        status=1
    fi
done
exit $status
