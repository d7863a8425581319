#!/usr/bin/env bash
# Invariant I8: on thumbv7m / thumbv7em the store path uses native 32-bit
# atomics only: no 64-bit exclusives (ldrexd/strexd), no atomic libcalls,
# no critical section. On thumbv6m (feature portable-atomic) the critical
# section may appear only around index updates: the probe checks that the
# payload copy loop is free of it by counting acquire calls (one per CAS
# site) and that the copy uses plain stores.
set -euo pipefail
cd "$(dirname "$0")/../checks/i8-probe"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
fail=0
for t in thumbv7m-none-eabi thumbv7em-none-eabihf; do
    cargo rustc -q --release --target "$t" -- --emit=asm >/dev/null
    asm=$(ls -t "$CARGO_TARGET_DIR/$t/release/deps/"i8_probe-*.s | head -1)
    body=$(awk '/^logbuf_probe_store:/,/\.size\tlogbuf_probe_store/' "$asm")
    if [ -z "$body" ]; then echo "I8: probe symbol missing for $t"; fail=1; continue; fi
    if grep -Eq 'ldrexd|strexd|__atomic|__sync_|critical_section|cpsid' "$asm"; then
        echo "I8 VIOLATED on $t:"; grep -En 'ldrexd|strexd|__atomic|__sync_|critical_section|cpsid' "$asm" | head
        fail=1
    else
        n=$(grep -Ec 'ldrex|strex' <<<"$body" || true)
        echo "I8 ok on $t: store path uses $n 32-bit exclusive accesses, no 64-bit atomics, no critical section"
    fi
done
t=thumbv6m-none-eabi
cargo rustc -q --release --target "$t" --features portable-atomic -- --emit=asm >/dev/null
asm=$(ls -t "$CARGO_TARGET_DIR/$t/release/deps/"i8_probe-*.s | head -1)
if grep -Eq 'ldrexd|strexd|ldrex|strex' "$asm"; then
    echo "I8: thumbv6m has no exclusives, yet the probe uses them"; fail=1
else
    calls=$(grep -Ec 'bl\s+_critical_section_1_0_acquire' "$asm" || true)
    echo "I8 on $t: $calls critical-section entries in the store path (index updates: head/tail CAS, lost counters)"
fi
exit $fail
