#!/usr/bin/env bash
# Miri: undefined behaviour, data races and weak-memory effects (I7).
#
# 1. every unit test of the library, one schedule (seed 0);
# 2. the ring stress test (tests/ring_stress.rs, counts shrunk under
#    cfg(miri)), one schedule;
# 3. the ring's real-thread unit test again under more schedules.
#
# Flags, chosen deliberately:
# * Miri's defaults already check what matters here: the data-race detector
#   and weak-memory emulation (a Relaxed/Acquire load may return an older
#   store, as on real hardware) are on, and isolation is on (the tests need
#   no host access).
# * One seed for the whole suite: reproducible, and most tests are
#   single-threaded, where another seed changes nothing.
# * More seeds only where the seed matters and is cheap: the seed picks the
#   thread schedule and the values weak loads return, so the ring's
#   concurrent unit test (about 1.5 s a seed) runs under 8 more seeds, in
#   parallel. The stress test costs about 30 s a seed, so it runs once;
#   `-Zmiri-many-seeds=0..4` on the whole suite would spend minutes
#   re-running single-threaded tests for nothing. Whole script: about
#   1.5 minutes on an idle 2-core machine once the Miri sysroot is built.
# * -Zmiri-ignore-leaks: the library never allocates (no_std, no alloc);
#   the only heap memory is test scaffolding that several tests leak on
#   purpose (`Box::leak` to hand a logger a `&'static mut` sink), which
#   Miri's leak check would otherwise report at exit.
# Extra flags can be passed in MIRIFLAGS; they are added to every step.
set -euo pipefail
cd "$(dirname "$0")/.."

extra="-Zmiri-ignore-leaks ${MIRIFLAGS:-}"
start=$(date +%s)
step() { printf "\n==== miri: %s (t=%ss) ====\n" "$*" "$(( $(date +%s) - start ))"; }

step "library unit tests (seed 0)"
MIRIFLAGS="$extra" cargo +nightly miri test --lib

step "ring stress test, reduced (seed 0)"
MIRIFLAGS="$extra" cargo +nightly miri test --test ring_stress

step "ring concurrent unit test, seeds 1..9"
MIRIFLAGS="$extra -Zmiri-many-seeds=1..9" \
    cargo +nightly miri test --lib ring::tests::concurrent_writers_and_reader_never_see_torn_records

end=$(date +%s)
printf '\nmiri: all steps passed in %ss\n' "$((end - start))"
