#!/usr/bin/env bash
# Installs what the test command needs on a fresh machine. Idempotent.
set -euo pipefail

have_target() { rustup target list --installed | grep -qx "$1"; }
for t in thumbv6m-none-eabi thumbv7m-none-eabi thumbv7em-none-eabihf riscv32imc-unknown-none-elf \
    riscv32imac-unknown-none-elf; do
    have_target "$t" || rustup target add "$t"
done
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed | grep -q '^llvm-tools' || rustup component add llvm-tools
if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
rustup component list --toolchain nightly --installed | grep -q '^miri' \
    || rustup component add miri rust-src --toolchain nightly
apt_install() {
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
    fi
}
command -v qemu-system-arm >/dev/null 2>&1 || apt_install qemu-system-arm
# Issue 13: the two-hart RISC-V firmware (QEMU virt).
command -v qemu-system-riscv32 >/dev/null 2>&1 || apt_install qemu-system-misc
