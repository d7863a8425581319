#!/usr/bin/env python3
"""Writes hand-made corpus seeds for the fuzz targets (fuzz/corpus/*/seed-*).

Each seed is a small program in the harness's byte encoding
(fuzz/harness/{ring,logger}.rs) that reaches one feature directly: the
fuzzer and tests/fuzz_stable.rs start from them. If the encoding changes,
re-run this script; the fuzzer keeps its own finds next to these.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def save(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(bytes(data))


# ---- ring_ops: [geometry, policy, start] then ops (see ring.rs run_boot)
def write(n):            # op 0: write n (<17) bytes, level Info, no flags
    return [0, 1, n, 2, 1]
def reserve(n, part):    # op 3: reserve n (<17) bytes, write `part` once
    return [3, 1, n, 2, 1, 0, 1, part]
def commit():            # op 5: commit grant 0
    return [5, 0, 0, 1]
def abandon():           # op 6: forget grant 0
    return [6, 0]
def read(c):             # op 7: read cursor c with a full buffer
    return [7, c, 2]
def place(c, how):       # op 9: cursor c to fresh(0)/oldest(1)/newest(2)
    return [9, c, how]
def check():             # op 10 (not a reset): full check
    return [10, 1]
def reset(corrupt):      # op 10: warm reset; corrupt: [] intact, else edits
    return [10, 0] + corrupt
def skip(c):             # op 11
    return [11, c]

basic = [0, 1, 0] + write(5) + write(0) + write(16) + read(0) + read(0) + check()
save("ring_ops", "basic", basic)
wrap = [0, 1, 0] + sum((write(i % 17) for i in range(40)), []) + place(1, 0) + read(1) + read(1) + skip(2) + check()
save("ring_ops", "wrap-and-miss", wrap)
cut = ([0, 1, 0] + write(4) + reserve(9, 6) + write(7) + reset([0, 0]) + read(0) + read(0) + read(0) + check())
save("ring_ops", "cut-writer-warm-reset", cut)
busy = [0, 1, 0] + reserve(8, 3) + abandon() + sum((write(12) for _ in range(20)), []) + read(0) + check()
save("ring_ops", "abandoned-oldest-busy", busy)
# I10: a writer stalled mid-record on Ring<16, 2> while others lap it; it
# resumes and its commit reports the overtake.
stalled = [3, 1, 0] + reserve(4, 2) + sum((write(4) for _ in range(10)), []) + commit() + read(0) + check()
save("ring_ops", "stalled-writer-lapped", stalled)
# Five writers cut for good, each lapped: their pins fill the pin table and
# the fifth overtaken record stays at the tail (Busy from then on).
pins = [0, 1, 0] + sum((reserve(8, 3) + abandon() + sum((write(16) for _ in range(6)), []) for _ in range(5)), []) + read(0) + check()
save("ring_ops", "pins-exhausted", pins)
dropnew = [0, 0, 0] + sum((write(16) for _ in range(12)), []) + check()
save("ring_ops", "drop-newest-full", dropnew)
# Word edits: [2 = edits, count-1, (where, index.., how, value..)*]
edits = [2, 2, 0, 2, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 3, 1, 5, 2, 1, 9]
damaged = [0, 1, 0] + sum((write(6) for _ in range(5)), []) + reset([0, 0] + edits) + read(0) + check()
save("ring_ops", "damaged-image", damaged)
save("ring_ops", "random-ram", [0, 1, 2] + [0x5a] * 400 + write(3) + check())
save("ring_ops", "random-ram-in-place", [1, 1, 3] + list(range(256)) * 2 + write(3) + check())

# ---- logger_ops: config, RAM seed, consoles, then ops (see logger.rs)
def config(direct=0):
    # thread and irq budgets unlimited, direct print on/off, no waiting,
    # microsecond clock
    return [0, 0, direct, 0, 0, 0, 0, 0, 2]
def ram(fill):
    return [1, 0, 0, 0, fill]
def consoles(*kinds):    # each kind: (frames, any_context)
    out = [len(kinds) - 1]
    for frames, anyc in kinds:
        out += [0 if frames else 1, 1 if anyc else 0]
    return out
def log(n, call=0):      # op 0: call 0 fmt / 2 literal / 3 deferred / 5 binary
    return [0, call, 2, 1, n]
def printer():
    return [5]
def script(i, kind, *args):  # kinds 0-3 take one argument, 9 takes two
    return [8, i, kind, *args]
def settle():
    return [15, 1]
def reboot():
    return [15, 0]
def held(n, part):       # op 13: reserve n (<17) bytes, write part
    return [13, 1, n, 2, 7, part]

LINES = (False, True)
FRAMES = (True, True)
save("logger_ops", "basic", config(1) + ram(0) + consoles(LINES) + log(9) + log(0, 2) + log(5, 5) + settle())
# A record half sent when its console blocks, overwritten before it resumes.
cut = (config(0) + ram(0) + consoles(LINES, FRAMES) + script(0, 0, 5) + script(1, 0, 5)
       + script(0, 1, 1) + script(1, 1, 1) + script(0, 4) + script(1, 4)
       + [0, 0, 2, 6, 200] + [0, 5, 2, 6, 200] + printer()
       + sum((log(3) + log(7, 5) for _ in range(12)), [])
       + script(0, 4) + script(1, 4) + printer() + settle())
save("logger_ops", "cut-mid-record", cut)
fail = (config(1) + ram(0) + consoles(LINES, FRAMES) + script(0, 0, 3) + script(0, 1, 2)
        + script(0, 2, 2) + script(1, 2, 1) + sum((log(9) + log(9, 5) for _ in range(4)), []) + settle())
save("logger_ops", "failing-sinks", fail)
nested = config(1) + ram(0) + consoles(LINES) + script(0, 9, 3, 1) + log(6) + log(6) + settle()
save("logger_ops", "log-from-inside-sink", nested)
boots = (config(1) + ram(1) + consoles(LINES, FRAMES) + log(8) + log(8, 5) + held(12, 5) + log(4)
         + reboot() + consoles(LINES) + log(3) + reboot() + consoles(FRAMES) + settle())
save("logger_ops", "warm-resets", boots)
clock = config(1) + ram(2) + consoles(LINES) + [9, 1, 0xff, 0xff] + log(5) + [9, 0, 0xfe] + log(5) + settle()
save("logger_ops", "clock-backwards", clock)
stale = config(1) + ram(0) + consoles(LINES) + [12, 1] + log(5) + log(5) + printer() + [6] + [12] + settle()
save("logger_ops", "preempted-owner", stale)
