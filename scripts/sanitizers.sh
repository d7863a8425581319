#!/usr/bin/env bash
# Runs the real-thread stress tests and the library's unit tests under
# ThreadSanitizer and AddressSanitizer (nightly, -Zbuild-std so std is
# instrumented too). Not part of the test command: it rebuilds everything
# twice. HARDENING.md records what ran and the result.
#
#   scripts/sanitizers.sh            both sanitizers
#   scripts/sanitizers.sh thread     one of: thread, address
set -euo pipefail
cd "$(dirname "$0")/.."
host=x86_64-unknown-linux-gnu
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
rustup component list --toolchain nightly --installed | grep -q '^rust-src' ||
    rustup component add rust-src --toolchain nightly

# The stress tests (those present in this tree) and the unit tests.
tests=(--lib)
for t in ring_stress console_stress; do
    [ -f "tests/$t.rs" ] && tests+=(--test "$t")
done
# Under ASan also the harness and bad-input tests: they drive the unsafe
# recovery-from-raw-memory paths with arbitrary bytes.
address_extra=(--test fuzz_stable --test bad_input --test recovery)

# Leak checking is off: tests leak their loggers on purpose (`Box::leak`),
# because consoles and sinks are `'static`.
run() {
    local san=$1
    shift
    printf '\n==== %s sanitizer: %s ====\n' "$san" "$*"
    # --target keeps build scripts and proc macros uninstrumented; the
    # sanitizer ABI flag lets the few uninstrumented crates link.
    RUSTFLAGS="-Zsanitizer=$san -Cunsafe-allow-abi-mismatch=sanitizer" \
    RUSTDOCFLAGS="-Zsanitizer=$san" \
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    ASAN_OPTIONS="detect_leaks=0 detect_stack_use_after_return=1" \
    CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}/san-$san" \
        cargo +nightly test -Zbuild-std --target "$host" --all-features "$@" -- --test-threads=4
}

which=${1:-all}
if [ "$which" = all ] || [ "$which" = thread ]; then
    run thread "${tests[@]}"
fi
if [ "$which" = all ] || [ "$which" = address ]; then
    run address "${tests[@]}" "${address_extra[@]}"
fi
