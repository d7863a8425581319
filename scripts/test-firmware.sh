#!/usr/bin/env bash
# Issue 5: logbuf on bare metal, in QEMU (see firmware/README.md).
#
# Builds the firmware in firmware/qemu for Cortex-M3 (thumbv7m) and
# Cortex-M0 (thumbv6m), runs every scenario in QEMU under `timeout` with a
# deterministic instruction clock (-icount), and checks each UART capture
# with the host checker in firmware/checker. A deliberately broken build
# (feature broken-no-printer) must be rejected by the checker. thumbv7em is
# built but not run (QEMU's lm3s6965evb has no Cortex-M4).
set -euo pipefail
cd "$(dirname "$0")/.."
# The firmware crates build into their own target dirs, which this script
# reads the ELFs from: an inherited CARGO_TARGET_DIR would leave stale ones.
unset CARGO_TARGET_DIR

FW=firmware/qemu
ELF=firmware/target/elf
OUT=firmware/target/runs
mkdir -p "$ELF" "$OUT"
T0=$SECONDS

step() { printf -- '--- %s (%ss)\n' "$*" "$((SECONDS - T0))"; }
fail() { echo "test-firmware: FAIL: $*" >&2; exit 1; }

command -v qemu-system-arm >/dev/null || fail "qemu-system-arm not installed (scripts/setup.sh installs it)"

step "checker: fmt, clippy, unit tests (captured fixtures, broken ones included)"
cargo fmt --manifest-path firmware/checker/Cargo.toml --check
cargo clippy -q --manifest-path firmware/checker/Cargo.toml --all-targets -- -D warnings
cargo test -q --manifest-path firmware/checker/Cargo.toml
cargo build -q --manifest-path firmware/checker/Cargo.toml
CHECK=firmware/checker/target/debug/fwcheck

# build TAG TARGET BINS CARGO-ARGS...: builds and copies the ELFs to $ELF/TAG-BIN.
build() {
    local tag=$1 target=$2 bins=$3
    shift 3
    local args=()
    for b in $bins; do args+=(--bin "$b"); done
    cargo build -q --release --manifest-path $FW/Cargo.toml --target "$target" "${args[@]}" "$@"
    for b in $bins; do cp "$FW/target/$target/release/$b" "$ELF/$tag-$b"; done
}

step "firmware: fmt, clippy"
cargo fmt --manifest-path $FW/Cargo.toml --check
cargo clippy -q --manifest-path $FW/Cargo.toml --target thumbv7m-none-eabi --bins -- -D warnings
step "build thumbv7m (Cortex-M3, LM3S6965)"
build m3 thumbv7m-none-eabi "flood panic wcet unplug wedge warm irqcost cutnotice"
step "build thumbv6m (Cortex-M0: portable-atomic + cortex-m critical-section-single-core)"
build m0 thumbv6m-none-eabi "flood panic wcet wedge warm irqcost"
step "build flood at its second interrupt rate (feature flood-slow), M3 and M0"
build m3slow thumbv7m-none-eabi flood --features flood-slow
build m0slow thumbv6m-none-eabi flood --features flood-slow
step "build thumbv7m for MPS2-AN385 (wcet with a 5 000-record backlog)"
build mps2 thumbv7m-none-eabi wcet --no-default-features --features board-mps2-an385
step "build thumbv7m with broken-no-printer"
build broken thumbv7m-none-eabi flood --features broken-no-printer
step "build thumbv7m with broken-irq-blocking"
build broken thumbv7m-none-eabi irqcost --features broken-irq-blocking
step "build-only: thumbv7em-none-eabihf"
cargo build -q --release --manifest-path $FW/Cargo.toml --target thumbv7em-none-eabihf --bins

# run NAME MACHINE CPU SHIFT WANT-STATUS: runs $ELF/NAME, UART to $OUT/NAME-SHIFT.txt.
run() {
    local name=$1 machine=$2 cpu=$3 shift=$4 want=$5 status=0
    local cap="$OUT/$name-$shift.txt"
    local start=$SECONDS
    timeout 60 qemu-system-arm -machine "$machine" -cpu "$cpu" -nographic \
        -semihosting-config enable=on,target=native \
        -icount "shift=$shift,align=off,sleep=off" \
        -kernel "$ELF/$name" </dev/null >"$cap" 2>"$cap.stderr" || status=$?
    echo "$name ($machine, $cpu, icount shift=$shift): exit $status in $((SECONDS - start))s, $(wc -l <"$cap") lines"
    [ "$status" = "$want" ] || fail "$name: exit status $status, expected $want (capture: $cap)"
    CAP=$cap
}

# busy=0: the ring refused no record as Busy (issue 10's spurious Busy).
FLOOD=(--require thr@t0 --require tick@systick --require sw@irq1 --require hi@irq19 --note busy=0)
PANIC=(--require thr@t0 --require sw@irq1 --panic boom --replay)

# Issue 11: the flood at two interrupt rates (default and flood-slow, 1.5x
# less often) swept over icount shifts 3-8 (each shift doubles the time per
# instruction, so the interrupt load per instruction doubles), M3 and M0.
step "QEMU runs: flood sweep, icount shift 3-8 x 2 interrupt rates x M3, M0"
for shift in 3 4 5 6 7 8; do
    for tag in m3 m3slow; do
        run $tag-flood lm3s6965evb cortex-m3 $shift 0 && $CHECK "$CAP" "${FLOOD[@]}"
    done
    for tag in m0 m0slow; do
        run $tag-flood lm3s6965evb cortex-m0 $shift 0 && $CHECK "$CAP" "${FLOOD[@]}"
    done
done

# Issue 10: a thread-mode writer stalled mid-record while SysTick (highest
# priority) logs 10x the ring and panics: the interrupt's 100 newest
# records, the panic message (no record refused, the stalled one
# overtaken) and exact notices must come out.
step "QEMU runs: wedge (stalled writer), M3 and M0"
WEDGE=(--require thr@t0 --require hi@systick --newest hi=100 --panic "overtaken=1 refused=0")
run m3-wedge lm3s6965evb cortex-m3 6 101 && $CHECK "$CAP" "${WEDGE[@]}"
run m0-wedge lm3s6965evb cortex-m0 6 101 && $CHECK "$CAP" "${WEDGE[@]}"

# Issue 10 item 5: boot 1 panics and resets (SYSRESETREQ); boot 2 prints
# boot 1's records again from the ring kept in .uninit RAM, line by line.
step "QEMU runs: warm reset, M3 and M0"
WARM=(--warm-reset --require w@t0 --panic "warm reset test")
run m3-warm lm3s6965evb cortex-m3 6 0 && $CHECK "$CAP" "${WARM[@]}"
run m0-warm lm3s6965evb cortex-m0 6 0 && $CHECK "$CAP" "${WARM[@]}"

# Issue 11: an interrupt log call with a blocking, thread-only UART costs
# at most 2x a store-only one (Config::DEFAULT) and 3x with IRQ_PRINTS;
# the sink that lies about being any-context must be rejected.
step "QEMU runs: interrupt cost with a blocking UART, M3 and M0"
IRQCOST=(--require fill@t0 --require irq@irq1 --irq-ratio 0=2 --irq-ratio 1=3)
run m3-irqcost lm3s6965evb cortex-m3 6 0 && $CHECK "$CAP" "${IRQCOST[@]}"
run m0-irqcost lm3s6965evb cortex-m0 6 0 && $CHECK "$CAP" "${IRQCOST[@]}"
run broken-irqcost lm3s6965evb cortex-m3 6 0
status=0
$CHECK "$CAP" "${IRQCOST[@]}" || status=$?
[ "$status" = 1 ] || fail "checker exit $status on the broken-irq-blocking capture, expected 1 (rejected)"
echo "broken-irq-blocking: rejected by the checker, as it must be"

step "QEMU runs: panic, wcet"
run m3-panic lm3s6965evb cortex-m3 6 101 && $CHECK "$CAP" "${PANIC[@]}"
run m0-panic lm3s6965evb cortex-m0 6 101 && $CHECK "$CAP" "${PANIC[@]}"
# The bound must not grow with the backlog: 1.25x slack covers one more
# digit per printed line (seq=9999 vs seq=10000).
run m3-wcet lm3s6965evb cortex-m3 6 0 &&
    $CHECK "$CAP" --require f@t0 --require m@irq1 --wcet 10,1000 --wcet-factor 1.25
run m0-wcet lm3s6965evb cortex-m0 6 0 &&
    $CHECK "$CAP" --require f@t0 --require m@irq1 --wcet 10,1000 --wcet-factor 1.25

# Regression test for a logbuf bug this scenario found (firmware/README.md,
# "Findings" 1): a line cut because its record was overwritten while the
# sink would block lost its " [cut]" terminator and glued two lines.
step "unplugged mid-line while the ring overflows"
run m3-unplug lm3s6965evb cortex-m3 6 0 && $CHECK "$CAP" --require thr@t0

step "broken firmware must be rejected"
run broken-flood lm3s6965evb cortex-m3 6 0
status=0
$CHECK "$CAP" "${FLOOD[@]}" || status=$?
[ "$status" = 1 ] || fail "checker exit $status on the broken-no-printer capture, expected 1 (rejected)"
echo "broken-no-printer: rejected by the checker, as it must be"

# Last, so that every other scenario has run: two scenarios that fail on
# main (1964e3e) because of library bugs (firmware/README.md, Findings 7, 8
# and 10), reported and not worked around. Both run; the script fails after
# them, naming each.
LIBRARY_BUGS=()

# The MPS2 board holds a real 5 000-record backlog (92 % of its 128 KiB
# ring): one interrupt call (Config::IRQ_PRINTS, budget 2 records) skips
# ~1 840 unread records that were never overwritten, 36x the budgeted cost.
step "QEMU runs: wcet with a 5 000-record backlog (MPS2-AN385)"
run mps2-wcet mps2-an385 cortex-m3 6 0
$CHECK "$CAP" --require f@t0 --require m@irq26 --wcet 1000,5000 --wcet-factor 1.25 ||
    LIBRARY_BUGS+=("mps2-wcet: one budgeted interrupt call skips an unbounded run of records (Findings 7, 8)")

# Notice bug (c) of issue 11: a panic takeover right after the last byte of
# a notice; the replay must not print that notice again.
step "QEMU runs: panic takeover right after a notice"
run m3-cutnotice lm3s6965evb cortex-m3 6 101
$CHECK "$CAP" --require thr@t0 --panic "cut after a notice" --replay ||
    LIBRARY_BUGS+=("m3-cutnotice: the replay after a takeover announces a notice twice (Findings 10)")

if [ ${#LIBRARY_BUGS[@]} -gt 0 ]; then
    printf 'test-firmware: library bug: %s\n' "${LIBRARY_BUGS[@]}" >&2
    fail "${#LIBRARY_BUGS[@]} scenario(s) fail because of library bugs (see above)"
fi

step "firmware: all passed"
