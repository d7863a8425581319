#!/usr/bin/env bash
# Issue 12: the README's "On a board" snippet is real firmware.
#
# firmware/board/src/main.rs must be byte for byte the first ```rust block
# of the README section "## On a board", and every line of that section's
# first ```toml block must be a line of firmware/board/Cargo.toml. Then the
# crate is checked (fmt, clippy) and built for thumbv7em-none-eabihf, and a
# Cortex-M3 build runs in QEMU (lm3s6965evb, the board the snippet is
# written for) and must print its boot record and the SysTick records.
set -euo pipefail
cd "$(dirname "$0")/.."
# The firmware crate builds into its own target dir, which the QEMU run
# reads the ELF from: an inherited CARGO_TARGET_DIR would leave a stale one.
unset CARGO_TARGET_DIR

FW=firmware/board
fail() { echo "check-readme-board: FAIL: $*" >&2; exit 1; }

# block LANG: the first ```LANG block of the README's "## On a board".
block() {
    awk -v fence='```'"$1" '
        /^## / { section = ($0 == "## On a board") }
        section && !open && $0 == fence { open = 1; next }
        open && $0 == "```" { exit }
        open { print }
    ' README.md
}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

block rust >"$TMP/main.rs"
[ -s "$TMP/main.rs" ] || fail "no \`\`\`rust block in README's \"On a board\""
diff -u "$FW/src/main.rs" "$TMP/main.rs" >&2 \
    || fail "README \"On a board\" differs from $FW/src/main.rs (diff above: - file, + README)"
echo "README \"On a board\" = $FW/src/main.rs ($(wc -l <"$TMP/main.rs") lines)"

block toml >"$TMP/deps.toml"
[ -s "$TMP/deps.toml" ] || fail "no \`\`\`toml block in README's \"On a board\""
while IFS= read -r line; do
    grep -Fxq -- "$line" "$FW/Cargo.toml" || fail "README's toml line not in $FW/Cargo.toml: $line"
done <"$TMP/deps.toml"
echo "README's Cargo.toml lines are in $FW/Cargo.toml"

cargo fmt --manifest-path $FW/Cargo.toml --check
cargo clippy -q --manifest-path $FW/Cargo.toml --release --target thumbv7em-none-eabihf --bins -- -D warnings
cargo build -q --manifest-path $FW/Cargo.toml --release --target thumbv7em-none-eabihf
echo "built $FW for thumbv7em-none-eabihf"

# Run it: QEMU's lm3s6965evb is a Cortex-M3, so a thumbv7m build. Virtual
# time follows the instruction count (-icount) and skips idle time, so the
# run is the same on a loaded machine; it never exits, `timeout` ends it.
command -v qemu-system-arm >/dev/null || fail "qemu-system-arm not installed (scripts/setup.sh installs it)"
cargo build -q --manifest-path $FW/Cargo.toml --release --target thumbv7m-none-eabi
status=0
timeout 5 qemu-system-arm -machine lm3s6965evb -cpu cortex-m3 -nographic \
    -icount shift=4,align=off,sleep=off \
    -kernel $FW/target/thumbv7m-none-eabi/release/board </dev/null >"$TMP/uart.txt" 2>"$TMP/stderr" || status=$?
[ "$status" = 124 ] || { cat "$TMP/stderr" >&2; fail "QEMU exited with $status, expected the timeout (124)"; }
cat >"$TMP/want.txt" <<'WANT'
[    0.000000] INFO  t0: boot: logbuf on an LM3S6965
[    1.000000] INFO  systick: up 1 s
[    2.000000] INFO  systick: up 2 s
[    3.000000] INFO  systick: up 3 s
WANT
head -n 4 "$TMP/uart.txt" | diff -u "$TMP/want.txt" - >&2 \
    || fail "UART output of $FW in QEMU (diff above: - expected, + got)"
echo "ran $FW in QEMU: $(wc -l <"$TMP/uart.txt") UART lines, the first four as expected"
