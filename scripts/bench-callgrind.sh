#!/usr/bin/env bash
# Instructions per call under callgrind (issue 6 §2): repeatable on a noisy
# machine, unlike wall-clock times. Each implementation runs in its own
# process; only the calls inside `callgrind_store::cg_*` are counted
# (--toggle-collect), and the `empty` implementation's count (call, loop,
# argument set-up) is subtracted from the store and fmt figures.
#
#   scripts/bench-callgrind.sh            tables (markdown)
#   scripts/bench-callgrind.sh --annotate also the top functions (inclusive)
#                                         of logbuf's store, fmt and drain
# Env: N (calls per run, default 100000), CARGO_TARGET_DIR (target/bench).
set -euo pipefail
cd "$(dirname "$0")/.."

annotate=0
[ "${1:-}" = "--annotate" ] && annotate=1
N=${N:-100000}
DRAINS=$(( N / 100 ))
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/bench}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }

# Line tables only: callgrind_annotate can name inlined code; codegen is unchanged.
CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
    cargo build --quiet --release --example callgrind_store
BIN=$CARGO_TARGET_DIR/release/examples/callgrind_store
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# ir OP IMPL COUNT: instructions executed inside cg_* functions.
ir() {
    local f="$OUT/$1.$2"
    valgrind --tool=callgrind --callgrind-out-file="$f" \
        --toggle-collect='callgrind_store::cg_*' "$BIN" "$1" "$2" "$3" >"$f.stdout" 2>"$f.log" \
        || { cat "$f.log" >&2; exit 1; }
    awk '/^totals:/ { print $2 }' "$f"
}

per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", (a - b) / n }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }

echo "valgrind $(valgrind --version | sed 's/valgrind-//'), $(rustc --version), N=$N"
echo
base_store=$(ir store empty "$N")
base_fmt=$(ir fmt empty "$N")
declare -A S F
IMPLS=(logbuf cs_deque cs_rtt std_mutex floor floor_cells floor_memcpy floor_copy)
# floor_copy: issue 10's floor (one fetch_add + a 32-byte copy kept alive);
# floor_memcpy and floor_copy have no formatted variant.
for impl in "${IMPLS[@]}"; do
    S[$impl]=$(per "$(ir store "$impl" "$N")" "$base_store" "$N")
    if [ "$impl" != floor_memcpy ] && [ "$impl" != floor_copy ]; then
        F[$impl]=$(per "$(ir fmt "$impl" "$N")" "$base_fmt" "$N")
    else
        F[$impl]="-"
    fi
done
echo "| implementation | store 32 B (instr/call) | × floor | formatted (instr/call) | × floor |"
echo "|---|---:|---:|---:|---:|"
for impl in "${IMPLS[@]}"; do
    fr="-"
    [ "${F[$impl]}" != "-" ] && fr=$(ratio "${F[$impl]}" "${F[floor]}")
    echo "| $impl | ${S[$impl]} | $(ratio "${S[$impl]}" "${S[floor]}") | ${F[$impl]} | $fr |"
done
echo
echo "(empty baseline subtracted: store $(per "$base_store" 0 "$N"), formatted $(per "$base_fmt" 0 "$N") instr/call)"
echo "(logbuf store = $(ratio "${S[logbuf]}" "${S[floor_copy]}") x floor_copy; issue 10's goal: <= 5x)"
# The same store into a ring with room (no store frees a record): the
# first try alone. Its own process; the empty baseline per call subtracted.
ROOM=5000
room=$(ir room "$ROOM" "")
room_per=$(awk -v a="$room" -v b="$base_store" -v n="$N" -v r="$ROOM" 'BEGIN { printf "%.1f", (a - b * r / n) / r }')
echo "(logbuf store into a ring with room, $ROOM stores: $room_per instr/call = $(ratio "$room_per" "${S[floor_copy]}") x floor_copy)"
echo
echo "| drain ($DRAINS drains of 64 records) | bytes/record | logbuf (instr/record) | raw copy (instr/record) | × raw |"
echo "|---|---:|---:|---:|---:|"
for kind in lines bare frames escaped; do
    records=$(( DRAINS * 64 ))
    l=$(per "$(ir drain "$kind" "$DRAINS")" 0 "$records")
    r=$(per "$(ir drain "raw_$kind" "$DRAINS")" 0 "$records")
    bytes=$(sed -n 's/^bytes per record: \([0-9]*\);.*/\1/p' "$OUT/drain.$kind.stdout")
    echo "| $kind | $bytes | $l | $r | $(ratio "$l" "$r") |"
done

if [ "$annotate" = 1 ]; then
    # Inclusive instructions per call (per record for drains) of the
    # functions that are left after inlining, largest first. A function
    # inlined from several files is listed once, with its largest part.
    for run in "store.logbuf $N" "fmt.logbuf $N" "drain.frames $(( DRAINS * 64 ))" "drain.lines $(( DRAINS * 64 ))"; do
        set -- $run
        echo
        echo "#### $1: inclusive instructions per ${1%%.*} call$( [ "${1%%.*}" = drain ] && echo ", per record")"
        echo
        echo '```'
        callgrind_annotate --inclusive=yes --auto=no "$OUT/$1" 2>/dev/null \
            | grep -E '^ *[0-9,]+ \(' \
            | sed -E 's/^ *([0-9,]+) \([^)]*\) +/\1 /; s/^([0-9,]+) [^:]*:/\1 /; s/ \[[^]]*\]$//' \
            | grep -vE '^[0-9,]+ (PROGRAM TOTALS|main|\(below main\)|std::|core::ops::function|__libc|callgrind_store::(main|cg_)|<callgrind_store::Run|0x0)' \
            | awk -v n="$2" '{ v = $1; gsub(",", "", v); $1 = ""; printf "%9.1f %s\n", v / n, $0 }' \
            | sort -rn | awk '{ v = $1; $1 = "" } !seen[$0]++ { printf "%9s %s\n", v, $0 }' | head -12
        echo '```'
    done
fi
