#!/usr/bin/env bash
# Build-only checks for the embedded targets (issue 2 §5, issue 5 §5).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --lib --target thumbv7em-none-eabihf
# Issue 4 front ends and sink adapters are no_std: build them for a CAS core
# and for a core without CAS (their atomics then go through portable-atomic).
cargo build --lib --target thumbv7em-none-eabihf --features log,defmt,embedded-io-v0.7,embedded-hal-nb
cargo build --lib --target thumbv7m-none-eabi
# Issue 12: the stock Cortex-M platform (cortex_m_platform!, pend_interrupt)
# exists on ARM only; its docs are checked there too (firmware/board uses it,
# scripts/check-readme-board.sh).
cargo build --lib --target thumbv7em-none-eabihf --features cortex-m
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib --target thumbv7em-none-eabihf --features cortex-m
cargo build --lib --target thumbv6m-none-eabi --features portable-atomic
cargo build --lib --target thumbv6m-none-eabi --features portable-atomic,log,defmt,embedded-io-v0.7,embedded-hal-nb
cargo build --lib --target riscv32imc-unknown-none-elf --features portable-atomic
# Issue 13: the RISC-V caller (feature riscv), with and without the A extension.
cargo build --lib --target riscv32imac-unknown-none-elf --features riscv
cargo build --lib --target riscv32imc-unknown-none-elf --features riscv,portable-atomic
