#!/usr/bin/env bash
# Loom model checking of every `loom_models` module in the crate
# (src/ring/loom_models.rs, src/console/loom_models.rs, and any added later).
# A model explores every interleaving of its threads up to a preemption
# bound, and every value the C11 memory model lets each load return.
#
#   scripts/test-loom.sh                       # every model, its own bound
#   scripts/test-loom.sh ring::loom_models     # only the ring's models
#   LOOM_MAX_PREEMPTIONS=3 scripts/test-loom.sh ring::loom_models::drop
#
# Each model picks its preemption bound (2 or 3, the most that keeps the
# whole run within a few minutes on two cores); LOOM_MAX_PREEMPTIONS, when
# set, overrides it for every model. The argument is a test-name filter
# (default: loom_models). Runs in release with --cfg loom and its own
# target directory, so it never invalidates the normal build.
set -euo pipefail
cd "$(dirname "$0")/.."

filter="${1:-loom_models}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

start=$(date +%s)
status=0
RUSTFLAGS="${RUSTFLAGS:-} --cfg loom" CARGO_TARGET_DIR=target/loom \
    cargo test --release --lib -- "$filter" --nocapture --test-threads=2 \
    >"$log" 2>&1 || status=$?
end=$(date +%s)

# The full log only when something failed (it holds loom's panics).
if [ "$status" -ne 0 ]; then cat "$log"; fi

printf '\n==== loom summary (filter %s, LOOM_MAX_PREEMPTIONS=%s) ====\n' \
    "$filter" "${LOOM_MAX_PREEMPTIONS:-per model}"
grep -E '^loom model ' "$log" || true
passed=$(grep -cE '^test .* \.\.\. ok$' "$log" || true)
failed=$(grep -cE '^test .* \.\.\. FAILED$' "$log" || true)
grep -E '^test .* \.\.\. FAILED$' "$log" || true
grep -E '^test result:' "$log" || true
printf 'loom: %s passed, %s failed, %ss wall\n' "$passed" "$failed" "$((end - start))"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
    echo "loom: FAILED" >&2
    exit 1
fi
if [ "$passed" -eq 0 ]; then
    echo "loom: no model matched filter '$filter'" >&2
    exit 1
fi
