#!/usr/bin/env bash
# Runs the criterion benches (issue 6 §1) and prints their tables with the
# ratios BENCHMARKS.md quotes. Wall-clock times: run on a quiet machine and
# note its load; scripts/bench-callgrind.sh gives repeatable counts.
#
#   scripts/bench-criterion.sh              run all three, then summarise
#   scripts/bench-criterion.sh --summary    summarise the last run only
# Extra arguments go to criterion (e.g. --measurement-time 5).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/bench}

if [ "${1:-}" != "--summary" ]; then
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
    cargo bench --bench store --bench contention --bench drain -- "$@" 2>&1 \
        | grep -E '^(store|contention|drain)|time:|thrpt:|dropped|losses|bytes per record' || true
    echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "cross-check, fastest of 15 rounds of 200 000 calls (less disturbed by other load):"
    echo
    cargo run --quiet --release --example callgrind_store best
fi

python3 - "$CARGO_TARGET_DIR/criterion" <<'PY'
import json, os, sys
root = sys.argv[1]

def est(group, name):
    """(ns per iteration, throughput per iteration) of one benchmark, or None."""
    d = os.path.join(root, group, name, "new")
    try:
        e = json.load(open(os.path.join(d, "estimates.json")))
        b = json.load(open(os.path.join(d, "benchmark.json")))
    except OSError:
        return None
    ns = (e.get("slope") or e["mean"])["point_estimate"]
    t = b.get("throughput") or {}
    return ns, (t.get("Elements") or t.get("Bytes") or 1)

IMPLS = ["logbuf", "cs_deque", "cs_rtt", "std_mutex", "floor", "floor_memcpy"]

def table(group, title):
    rows = [(i, est(group, i)) for i in IMPLS]
    rows = [(i, r) for i, r in rows if r]
    if not rows:
        return
    lb = dict(rows)["logbuf"][0]
    fl = dict(rows)["floor"][0]
    print(f"\n{title}\n")
    print("| implementation | ns/record | Mrecords/s | time ÷ floor | time ÷ logbuf |")
    print("|---|---:|---:|---:|---:|")
    for i, (ns, n) in rows:
        per = ns / n
        print(f"| {i} | {per:.1f} | {1e3 / per:.1f} | {ns / fl:.2f} | {ns / lb:.2f} |")

table("store_32B", "store of one 32-byte record, one thread")
table("store_fmt", 'formatted "temp={} id={}", one thread')
table("contention_store_32B", "two threads storing 32-byte records at once (records of both threads)")
table("contention_fmt", "two threads formatting at once")

print("\ndrain: printer() to a counting sink vs a raw copy of the same bytes\n")
print("| rendering | logbuf MB/s | raw copy MB/s | logbuf / raw |")
print("|---|---:|---:|---:|")
for g in ["drain_lines", "drain_bare", "drain_frames"]:
    l, r = est(g, "logbuf"), est(g, "raw_copy")
    if l and r:
        lm, rm = l[1] / l[0] * 1e3, r[1] / r[0] * 1e3
        print(f"| {g[6:]} | {lm:.0f} | {rm:.0f} | {100 * lm / rm:.1f} % |")
PY
