#!/usr/bin/env bash
# The project's test command (README "Testing"). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# Everything printed is also kept, to total the test counts at the end.
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
exec > >(tee "$LOG") 2>&1

step() { printf '\n==== %s ====\n' "$*"; }

step setup;            scripts/setup.sh
step fmt;              cargo fmt --all --check
step clippy;           cargo clippy --all-targets --all-features -- -D warnings
step "host tests";     cargo test --all-features
# --all-features turns on max_level_off; run the macro tests once more with
# everything compiled in (plain features: std only).
step "macro tests, no level floor"; cargo test --test macros --test macros_global
step docs;             RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features
step "cross builds";   scripts/build-targets.sh
step "README board snippet"; scripts/check-readme-board.sh
step "I8 machine code";  scripts/check-i8.sh
for s in scripts/test-loom.sh scripts/test-miri.sh scripts/test-firmware.sh; do
    if [ -x "$s" ]; then step "$s"; "$s"; fi
done
step done
# Every stage above stops the script on failure (set -e), so reaching this
# line means all passed; the total is over every cargo test / loom / Miri
# run above.
sleep 1 # let tee write the last lines to $LOG
awk '/^test result: /{for(i=1;i<=NF;i++){if($i=="passed;")p+=$(i-1);if($i=="failed;")f+=$(i-1)}}
     END{printf "total: %d passed, %d failed\n", p, f}' "$LOG"
