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
build m3 thumbv7m-none-eabi "flood panic wcet unplug hostile wedge warm irqcost cutnotice storecost"
step "static loggers stay in .bss (issue 12: Platform::CONFIG, zero-valued console state)"
# wcet's logger (42 KiB, Config::IRQ_PRINTS through PrintsBoard::CONFIG) and
# irqcost's two loggers must cost no flash: nothing of them in .data.
OBJDUMP="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/llvm-objdump"
for b in wcet irqcost; do
    data=$((16#$("$OBJDUMP" -h "$ELF/m3-$b" | awk '$2 == ".data" {print $3}')))
    bss=$((16#$("$OBJDUMP" -h "$ELF/m3-$b" | awk '$2 == ".bss" {print $3}')))
    echo "m3-$b: .data $data bytes, .bss $bss bytes"
    [ "$data" -le 16 ] || fail "m3-$b: $data bytes of .data: a static logger left .bss"
    [ "$bss" -ge 16384 ] || fail "m3-$b: only $bss bytes of .bss: where is the logger?"
done
step "build thumbv6m (Cortex-M0: portable-atomic + cortex-m critical-section-single-core)"
build m0 thumbv6m-none-eabi "flood panic wcet hostile wedge warm irqcost storecost"
step "build flood at its second interrupt rate (feature flood-slow), M3 and M0"
build m3slow thumbv7m-none-eabi flood --features flood-slow
build m0slow thumbv6m-none-eabi flood --features flood-slow
step "build thumbv7m for MPS2-AN385 (wcet with a 4 500-record backlog)"
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
IRQCOST=(--require fill@t0 --require irq@irq1 --irq-ratio 0=1.25 --irq-ratio 1=2)
run m3-irqcost lm3s6965evb cortex-m3 6 0 && $CHECK "$CAP" "${IRQCOST[@]}"
run m0-irqcost lm3s6965evb cortex-m0 6 0 && $CHECK "$CAP" "${IRQCOST[@]}"
run broken-irqcost lm3s6965evb cortex-m3 6 0
status=0
$CHECK "$CAP" "${IRQCOST[@]}" || status=$?
[ "$status" = 1 ] || fail "checker exit $status on the broken-irq-blocking capture, expected 1 (rejected)"
echo "broken-irq-blocking: rejected by the checker, as it must be"

# Issue 10 item 4: instructions per `Ring::write` of a 32-byte record at
# opt-level "s", counted under -icount (exact: SysTick scaled by a
# calibration loop), in the steady state of a flight recorder (ring full,
# `full=1`) and into a ring with room (`full=0`, which must free nothing:
# room_freed=0); the last record stored must read back from both (the
# stores really happened). The issue's goal on M3 is 100; the bounds are
# the figures reached (firmware/README.md) plus a little, so that a
# regression fails; both lines are bounded.
storecost() {
    local tag=$1 cpu=$2 max=$3
    shift 3
    run "$tag-storecost" lm3s6965evb "$cpu" 6 0 &&
        $CHECK "$CAP" --store-insns "32=$max" --note last_record_back=1 --note lost=0 \
            --note room_freed=0 "$@"
    for full in 1 0; do
        grep -q "storecost bytes=32 stores=[0-9]* full=$full " "$CAP" ||
            fail "$tag-storecost: no full=$full line"
    done
}
step "QEMU runs: store cost, M3 and M0"
# M3 also measures the floor of an exact-accounting protocol (BENCHMARKS.md
# §10): every store on its fast path, the last record in its cell.
storecost m3 cortex-m3 185 --note cells_slow=0 --note cells_back=1
storecost m0 cortex-m0 390

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

# Issue 14: records whose text holds line breaks, terminal escapes, NUL,
# invalid UTF-8 and imitations of records, notices and the replay marker:
# every line must parse as a line of its own record, every record's data
# must be what was logged, and no line may pass for a notice.
step "hostile record contents"
HOSTILE=(--require evil@t0 --require raw@t0 --require sw@irq1)
run m3-hostile lm3s6965evb cortex-m3 6 0 && $CHECK "$CAP" "${HOSTILE[@]}"
run m0-hostile lm3s6965evb cortex-m0 6 0 && $CHECK "$CAP" "${HOSTILE[@]}"

step "broken firmware must be rejected"
run broken-flood lm3s6965evb cortex-m3 6 0
status=0
$CHECK "$CAP" "${FLOOD[@]}" || status=$?
[ "$status" = 1 ] || fail "checker exit $status on the broken-no-printer capture, expected 1 (rejected)"
echo "broken-no-printer: rejected by the checker, as it must be"

# Issue 13: two harts for real (firmware/riscv, QEMU virt -smp 2). Each
# scenario at three icount shifts (deterministic; the shift changes how many
# instructions one mtime tick is, hence the interleaving grain) and twice
# with -accel tcg,thread=multi (harts in parallel host threads: checked for
# properties, not exact output).
RV=firmware/riscv
RVQ=(qemu-system-riscv32 -machine virt -smp 2 -bios none -nographic)
if command -v qemu-system-riscv32 >/dev/null; then
    step "riscv firmware: fmt, clippy, build (riscv32imac; broken-no-stop; riscv32imc)"
    cargo fmt --manifest-path $RV/Cargo.toml --check
    cargo clippy -q --manifest-path $RV/Cargo.toml --release --target riscv32imac-unknown-none-elf --bins -- -D warnings
    rvbuild() { # TAG TARGET CARGO-ARGS...: $ELF/TAG-handoff, $ELF/TAG-panic
        local tag=$1 target=$2
        shift 2
        cargo build -q --release --manifest-path $RV/Cargo.toml --target "$target" \
            --target-dir "$RV/target/$tag" "$@"
        for b in handoff panic; do cp "$RV/target/$tag/$target/release/$b" "$ELF/$tag-$b"; done
    }
    rvbuild rv riscv32imac-unknown-none-elf
    rvbuild rv-nostop riscv32imac-unknown-none-elf --features broken-no-stop
    rvbuild rv-irqhandoff riscv32imac-unknown-none-elf --features broken-irq-handoff
    rvbuild rv-imc riscv32imc-unknown-none-elf

    # rvrun NAME TAG WANT-STATUS QEMU-ARGS...: UART to $OUT/NAME.txt
    rvrun() {
        local name=$1 elf=$2 want=$3 status=0 start=$SECONDS
        shift 3
        CAP="$OUT/$name.txt"
        timeout 120 "${RVQ[@]}" "$@" -kernel "$ELF/$elf" </dev/null >"$CAP" 2>"$CAP.stderr" || status=$?
        echo "$name: exit $status in $((SECONDS - start))s, $(wc -l <"$CAP") lines"
        [ "$status" = "$want" ] || fail "$name: exit status $status, expected $want (capture: $CAP)"
    }
    HANDOFF=(--min-handoffs 1 --irq-phase --require thr0@t0 --require thr1@t1
        --require tmr0@irq7 --require tmr1@irq7 --require sw0@irq3 --require sw1@irq3
        --require own0@t0 --require poke1@irq3)
    # Parallel harts: a low-rate producer may lose all its records, and the
    # handoff count may be anything; contexts are checked where present.
    HANDOFF_MT=(--irq-phase --require thr0@t0 --require thr1@t1 --require own0@t0
        --expect tmr0@irq7 --expect tmr1@irq7 --expect sw0@irq3 --expect sw1@irq3
        --expect poke1@irq3)
    RVPANIC=(--panic boom --replay --stopped --require thr0@t0 --require thr1@t1)
    MT=(-accel tcg,thread=multi)
    step "riscv: handoff under load, irq vs. owner, panic with the other hart stopped"
    for shift in 2 3 4; do
        IC=(-icount "shift=$shift,align=off,sleep=off")
        rvrun rv-handoff-$shift rv-handoff 0 "${IC[@]}" && $CHECK multicore "$CAP" "${HANDOFF[@]}"
        rvrun rv-panic-$shift rv-panic 101 "${IC[@]}" && $CHECK multicore "$CAP" "${RVPANIC[@]}"
    done
    for i in 1 2; do
        rvrun rv-handoff-mt$i rv-handoff 0 "${MT[@]}" && $CHECK multicore "$CAP" "${HANDOFF_MT[@]}"
        rvrun rv-panic-mt$i rv-panic 101 "${MT[@]}" && $CHECK multicore "$CAP" "${RVPANIC[@]}"
    done
    # No compare-and-swap: the A extension off in QEMU, portable-atomic's
    # critical section is the firmware's two-hart Peterson lock. Parallel
    # harts only: under -icount a hart spinning with interrupts masked is
    # never switched out (see firmware/README.md, Multicore).
    step "riscv32imc (no A extension) with a cross-hart Peterson lock, parallel harts"
    IMC=(-cpu rv32,a=false "${MT[@]}")
    rvrun rv-imc-handoff rv-imc-handoff 0 "${IMC[@]}" && $CHECK multicore "$CAP" "${HANDOFF_MT[@]}"
    rvrun rv-imc-panic rv-imc-panic 101 "${IMC[@]}" && $CHECK multicore "$CAP" "${RVPANIC[@]}"

    # The other hart not stopped before the takeover: its output must show
    # the damage (checked without --stopped, so the note alone cannot fail
    # it). Deterministic under icount: hart 1 resumes while the panicking
    # hart lingers (sleeping) before the exit.
    step "riscv broken-no-stop must be rejected"
    for run in 2 3 4 mt; do
        if [ $run = mt ]; then ARGS=("${MT[@]}"); else ARGS=(-icount "shift=$run,align=off,sleep=off"); fi
        rvrun rv-nostop-$run rv-nostop-panic 101 "${ARGS[@]}"
        status=0
        $CHECK multicore "$CAP" --panic boom --replay --require thr0@t0 --require thr1@t1 \
            >"$CAP.check" || status=$?
        tail -n 3 "$CAP.check"
        [ "$status" = 1 ] || fail "checker exit $status on the broken-no-stop capture, expected 1"
        echo "broken-no-stop ($run): rejected by the checker, as it must be"
    done
    # An interrupt that may be handed the console (Config::handoff_to_irq):
    # the irq phase must fail. Parallel harts only: under -icount every
    # waiting interrupt spins through whole timer slices (~20 s); that
    # capture is a checker fixture instead.
    step "riscv broken-irq-handoff must be rejected"
    rvrun rv-irqhandoff-mt rv-irqhandoff-handoff 0 "${MT[@]}"
    status=0
    $CHECK multicore "$CAP" "${HANDOFF_MT[@]}" >"$CAP.check" || status=$?
    cat "$CAP.check"
    [ "$status" = 1 ] || fail "checker exit $status on the broken-irq-handoff capture, expected 1"
    grep -q "phase irq:" "$CAP.check" || fail "broken-irq-handoff rejected, but not by the irq phase rule"
    echo "broken-irq-handoff: rejected by the checker, as it must be"
else
    fail "qemu-system-riscv32 not installed (scripts/setup.sh installs it)"
fi

# Two scenarios that failed on 1964e3e because of library bugs
# (firmware/README.md, Findings 7, 8 and 10), fixed since.
LIBRARY_BUGS=()

# The MPS2 board holds a real backlog: 4 500 records, 82 % of its 128 KiB
# ring. On 1964e3e one interrupt call (Config::IRQ_PRINTS, budget 2
# records) skipped ~1 840 unread records that were never overwritten, 36x
# the budgeted cost (Findings 7, 8). At 5 000 records the ring is full and
# the measured calls overwrite unread records, so the longest call is the
# one that announces them (1.54x): not like for like, hence 4 500.
step "QEMU runs: wcet with a 4 500-record backlog (MPS2-AN385)"
run mps2-wcet mps2-an385 cortex-m3 6 0
$CHECK "$CAP" --require f@t0 --require m@irq26 --wcet 1000,4500 --wcet-factor 1.25 ||
    LIBRARY_BUGS+=("mps2-wcet: a budgeted interrupt call costs more with a bigger backlog (Findings 7, 8)")

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
