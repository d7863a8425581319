#!/usr/bin/env bash
# Flash and RAM of the footprint firmware (issue 6 §3): the same minimal
# thumbv7em-none-eabihf program built at opt-level "z" (fat LTO, one codegen
# unit) with nothing, plain core::fmt to a UART, defmt + defmt-rtt, the
# logbuf ring alone, and logbuf (ring + console + UART sink + printer).
# Prints markdown tables; sizes in bytes.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target list --installed | grep -qx thumbv7em-none-eabihf || rustup target add thumbv7em-none-eabihf
rustup component list --installed | grep -q '^llvm-tools' || rustup component add llvm-tools
BIN=$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin
SIZE=$BIN/llvm-size
NM=$BIN/llvm-nm

(cd footprint && CARGO_TARGET_DIR=target cargo build --quiet --release)
OUT=footprint/target/thumbv7em-none-eabihf/release

# sec BIN SECTION: size of one section (0 if absent).
sec() { "$SIZE" -A "$OUT/$1" | awk -v s="$2" '$1 == s { print $2; f = 1 } END { if (!f) print 0 }'; }

declare -A FLASH RAM IMG
echo "| firmware | .text | .rodata | flash (.text+.rodata) | .data | .bss + .uninit | RAM (.data+.bss+.uninit) | flash incl. .data image |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for b in empty plain_fmt defmt_rtt ring_only logbuf; do
    text=$(( $(sec $b .vector_table) + $(sec $b .text) ))
    ro=$(sec $b .rodata)
    data=$(sec $b .data)
    bss=$(( $(sec $b .bss) + $(sec $b .uninit) ))
    FLASH[$b]=$(( text + ro ))
    RAM[$b]=$(( data + bss ))
    IMG[$b]=$(( text + ro + data ))
    echo "| $b | $text | $ro | ${FLASH[$b]} | $data | $bss | ${RAM[$b]} | ${IMG[$b]} |"
done
echo
echo "(.text includes the 1024-byte vector table. .data is RAM *and* flash: its initial image is"
echo "copied from flash at reset. defmt's .defmt section holds string indices only and is not loaded.)"
echo
echo "| what (difference of two builds) | flash (.text+.rodata) | flash incl. .data image | RAM |"
echo "|---|---:|---:|---:|"
diff_row() {
    echo "| $1 | $(( FLASH[$2] - FLASH[$3] )) | $(( IMG[$2] - IMG[$3] )) | $(( RAM[$2] - RAM[$3] )) |"
}
diff_row "core::fmt line to the UART (plain_fmt − empty)" plain_fmt empty
diff_row "defmt + defmt-rtt (defmt_rtt − empty)" defmt_rtt empty
diff_row "logbuf, all of it (logbuf − empty)" logbuf empty
diff_row "ring alone (ring_only − plain_fmt)" ring_only plain_fmt
diff_row "ring + console core + line rendering (logbuf − plain_fmt)" logbuf plain_fmt
diff_row "console lock + printing loop + rendering (logbuf − ring_only)" logbuf ring_only

echo
echo "Where logbuf's flash goes (symbols of the logbuf build, llvm-nm -S; after LTO inlining):"
echo
echo "| part | bytes |"
echo "|---|---:|"
"$NM" -S -C --radix=d "$OUT/logbuf" | awk '
    NF >= 4 && $3 ~ /^[tTrR]$/ {
        size = $2 + 0; name = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", name)
        if (name ~ /^logbuf::ring::/ || name ~ /logbuf::ring::writer/) part = "ring (logbuf::ring)"
        else if (name ~ /logbuf::console::lock::/) part = "console lock (logbuf::console::lock)"
        else if (name ~ /logbuf::console::logger::/) part = "logger: printing loop, store, budgets (logbuf::console::logger)"
        else if (name ~ /logbuf::console::render::|ContextId|logbuf::console::state::/) part = "line rendering, sink output, console state"
        else if (name ~ /__cortex_m_rt_main/) part = "main (log call, add_console, printer inlined)"
        else if (name ~ /compiler_builtins|__aeabi|__udiv|__mem/) part = "compiler builtins (memcpy, memset, 64-bit division)"
        else if (name ~ /core::fmt|as core..fmt|fmt::|Display|encode_utf8|write_char|write_fmt|pad_integral/) part = "core::fmt (integers, padding)"
        else if (name ~ /__INTERRUPTS|__EXCEPTIONS|__RESET_VECTOR|Reset|DefaultHandler|HardFault/) part = "runtime (vectors, reset)"
        else part = "other"
        sum[part] += size
    }
    END { for (p in sum) printf "| %s | %d |\n", p, sum[p] }' | sort -t'|' -k3 -n -r

echo
echo "Ten largest symbols of the logbuf build:"
echo
echo '```'
"$NM" -S -C --size-sort --radix=d "$OUT/logbuf" | awk '$3 ~ /^[tTrR]$/' | tail -10 | tac \
    | awk '{ n = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", n); printf "%6d %s\n", $2, n }'
echo '```'

echo
echo "Header bytes per record (measured on the host: a 1 KiB ring filled with 4-byte records):"
echo
echo '```'
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/bench} cargo run --quiet --release --example callgrind_store header
echo '```'
