//! Instruction counts per call (issue 6 §2). Run it through
//! `scripts/bench-callgrind.sh`, which runs one implementation per process
//! under `valgrind --tool=callgrind --toggle-collect='*cg_*'`, so only the
//! measured calls are counted, and subtracts the `empty` baseline (call,
//! loop and argument setup).
//!
//! ```text
//! callgrind_store store  <impl> [N]   N stores of the 32-byte record
//! callgrind_store fmt    <impl> [N]   N formatted `temp={} id={}` calls
//! callgrind_store room   [N]          N <= 5000 `Ring::write`s of the record into
//!                                     a ring with room (none frees a record)
//! callgrind_store drain  <kind> [N]   N drains of 64 records (lines, bare, frames,
//!                                     escaped, raw_lines, raw_bare, raw_frames)
//! callgrind_store header              measured bytes of ring memory per record
//! callgrind_store best                fastest of 15 timed rounds per implementation
//! ```
//!
//! `best` is not for callgrind: it is a wall-clock cross-check of the
//! criterion figures that a busy machine disturbs less (the minimum over
//! rounds drops the rounds in which the process was preempted).
//! `<impl>`: logbuf, cs_deque, cs_rtt, std_mutex, floor, floor_memcpy,
//! floor_copy (issue 10's floor: `fetch_add` + a 32-byte copy kept alive),
//! floor_cells (the fast path of an exact-accounting cell ring), empty.

use std::fmt;
use std::hint::black_box;
use std::process::exit;
use std::time::Instant;

#[path = "../benches/alt/mod.rs"]
mod alt;

use alt::{Drain, DrainKind, RawCopy, Store, Visit, DRAIN_RECORDS, RECORD};
use logbuf::ring::{Read, RecordMeta, Ring};
use logbuf::Level;

/// Calls before the counted ones: every buffer wraps (steady state) and
/// lazy set-up (allocation, thread-locals) is done.
const WARM_UP: u32 = 10_000;

/// The baseline: the same call with nothing behind it.
struct Empty;

impl Store for Empty {
    fn store(&self, bytes: &[u8]) {
        black_box(bytes);
    }
    fn store_fmt(&self, args: fmt::Arguments<'_>) {
        black_box(args);
    }
}

#[inline(never)]
fn cg_store<S: Store>(s: &S) {
    s.store(black_box(RECORD));
}

#[inline(never)]
fn cg_fmt<S: Store>(s: &S, id: u32) {
    alt::log_temp(s, black_box(-215), black_box(id));
}

/// The floor issue 10 names: one `fetch_add` claims a 32-byte place, then
/// the record is copied in (plain memory, one owner). Its copies are kept
/// alive by `black_box(&buf)` after the loop.
struct CopyFloor {
    next: std::sync::atomic::AtomicUsize,
    buf: Box<[u8; 4096]>,
}

impl CopyFloor {
    fn new() -> Self {
        CopyFloor {
            next: std::sync::atomic::AtomicUsize::new(0),
            buf: Box::new([0; 4096]),
        }
    }
}

#[inline(never)]
fn cg_store_copy(f: &mut CopyFloor) {
    let bytes: &[u8] = black_box(RECORD);
    let at = f.next.fetch_add(32, std::sync::atomic::Ordering::Relaxed) & (4096 - 32);
    f.buf[at..at + 32].copy_from_slice(&bytes[..32]);
}

/// A ring with room for every store of a `room` run: 64 Ki words hold
/// 5 957 records of 32 bytes (11 words each), 8 192 slots.
type RoomRing = Ring<{ 1 << 18 }, 8192>;

/// Most stores of a `room` run (none may free a record).
const ROOM_MAX: u32 = 5_000;

/// `Ring::write` into a ring with room: every store takes the first try.
#[inline(never)]
fn cg_store_room(ring: &RoomRing) {
    let _ = black_box(ring.write(RecordMeta::new(Level::Info), black_box(RECORD)));
}

/// `n` stores into a new ring with room; checks that none freed a record.
fn room(n: u32) {
    if n > ROOM_MAX {
        usage();
    }
    let ring: Box<RoomRing> = Box::new(Ring::new());
    for _ in 0..n {
        cg_store_room(&ring);
    }
    assert_eq!(
        ring.oldest().seq(),
        0,
        "a store into the room ring freed a record"
    );
    println!("room: {n} stores, oldest record still 0");
}

#[inline(never)]
fn cg_store_memcpy(f: &mut alt::MemcpyFloor) {
    f.store(black_box(RECORD));
}

#[inline(never)]
fn cg_drain(d: &Drain) {
    d.drain();
}

#[inline(never)]
fn cg_drain_raw(r: &mut RawCopy) {
    r.drain();
}

/// Runs one implementation's store or fmt loop, if its name matches.
struct Run {
    name: String,
    formatted: bool,
    n: u32,
    done: bool,
}

impl Run {
    fn go<S: Store>(&mut self, s: &S) {
        for i in 0..WARM_UP {
            s.store(RECORD);
            alt::log_temp(s, -215, i);
        }
        for i in 0..self.n {
            if self.formatted {
                cg_fmt(s, i);
            } else {
                cg_store(s);
            }
        }
        // Every measured call took the path measured (for `floor_cells`:
        // its fast path; every other implementation stores all).
        assert_eq!(
            s.dropped(),
            0,
            "{}: records left the measured path",
            self.name
        );
        self.done = true;
    }
}

impl Visit for Run {
    fn visit<S: Store>(&mut self, name: &'static str, store: &'static S) {
        if self.name == name {
            self.go(store);
        }
    }
}

fn drain(kind: &str, n: u32) {
    let (logbuf, raw) = match kind.strip_prefix("raw_") {
        Some(k) => (false, k),
        None => (true, kind),
    };
    let kind = match raw {
        "lines" => DrainKind::Lines,
        "bare" => DrainKind::Bare,
        "frames" => DrainKind::Frames,
        "escaped" => DrainKind::Escaped,
        _ => usage(),
    };
    let d = Drain::new(kind);
    d.fill();
    d.drain();
    let per_record = d.bytes() / DRAIN_RECORDS;
    if logbuf {
        for _ in 0..n {
            d.fill();
            cg_drain(&d);
        }
    } else {
        let mut r = RawCopy::new(per_record);
        for _ in 0..n {
            cg_drain_raw(&mut r);
        }
    }
    println!("bytes per record: {per_record}; records per call: {DRAIN_RECORDS}");
}

/// Fills a 1 KiB ring with 4-byte records and counts how many it holds.
fn header() {
    const BYTES: usize = 1024;
    const SLOTS: usize = 256;
    const PAYLOAD: usize = 4;
    let ring: Ring<BYTES, SLOTS> = Ring::new();
    for _ in 0..4 * SLOTS {
        ring.write(RecordMeta::new(Level::Info), &[0; PAYLOAD])
            .expect("overwrite policy always stores");
    }
    let mut cursor = ring.oldest();
    let mut held = 0;
    while let Read::Record(_) = ring.read(&mut cursor, &mut []) {
        held += 1;
    }
    let data = BYTES;
    let in_band = data / held - PAYLOAD;
    let slot = 4;
    println!("records of {PAYLOAD} payload bytes held in {data} data bytes: {held}");
    println!("in-band header bytes per record: {in_band}");
    println!("slot-table bytes per record slot: {slot}");
    println!("header bytes per record: {}", in_band + slot);
    println!(
        "fixed ring overhead (indices, counters, policy): {} bytes",
        std::mem::size_of::<Ring<BYTES, SLOTS>>() - data - SLOTS * slot
    );
}

/// Calls per timed round of `best`.
const ROUND: u32 = 200_000;

/// The fastest of 15 rounds of `ROUND` calls, in ns per call.
fn fastest(mut f: impl FnMut(u32)) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..15 {
        let t = Instant::now();
        for i in 0..ROUND {
            f(i);
        }
        best = best.min(t.elapsed().as_nanos() as f64 / ROUND as f64);
    }
    best
}

/// Prints the `best` table: ns per call and the ratio to the floor.
struct Fastest(Vec<(&'static str, f64, f64)>);

impl Visit for Fastest {
    fn visit<S: Store>(&mut self, name: &'static str, store: &'static S) {
        let stored = fastest(|_| store.store(black_box(RECORD)));
        let formatted = fastest(|i| alt::log_temp(store, black_box(-215), black_box(i)));
        self.0.push((name, stored, formatted));
    }
}

fn best() {
    let mut all = Fastest(Vec::new());
    alt::each(&mut all);
    let (_, fs, ff) = *all.0.last().expect("floor is last");
    println!("| implementation | store 32 B (ns) | × floor | formatted (ns) | × floor |");
    println!("|---|---:|---:|---:|---:|");
    for (name, s, f) in all.0 {
        println!(
            "| {name} | {s:.1} | {:.2} | {f:.1} | {:.2} |",
            s / fs,
            f / ff
        );
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: callgrind_store (store|fmt) IMPL [N] | room [N <= {ROOM_MAX}] | drain KIND [N] | header | best"
    );
    exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let op = args.first().map(String::as_str).unwrap_or_else(|| usage());
    match op {
        "header" => return header(),
        "best" => return best(),
        "room" => {
            let n = match args.get(1) {
                Some(s) => s.parse().unwrap_or_else(|_| usage()),
                None => ROOM_MAX,
            };
            return room(n);
        }
        _ => {}
    }
    let name = args.get(1).cloned().unwrap_or_else(|| usage());
    let n: u32 = match args.get(2) {
        Some(s) => s.parse().unwrap_or_else(|_| usage()),
        None => 100_000,
    };
    let mut run = Run {
        name,
        formatted: op == "fmt",
        n,
        done: false,
    };
    match op {
        "drain" => return drain(&run.name, n),
        "store" | "fmt" => {}
        _ => usage(),
    }
    match run.name.as_str() {
        "empty" => run.go(&Empty),
        "floor_copy" => {
            if run.formatted {
                usage();
            }
            let mut f = CopyFloor::new();
            for _ in 0..WARM_UP {
                cg_store_copy(&mut f);
            }
            for _ in 0..n {
                cg_store_copy(&mut f);
            }
            // Keeps the copies alive: without it rustc deletes them.
            black_box(&f.buf);
            run.done = true;
        }
        "floor_memcpy" => {
            let mut f = alt::MemcpyFloor::new();
            for _ in 0..WARM_UP {
                f.store(RECORD);
            }
            if run.formatted {
                usage();
            }
            for _ in 0..n {
                cg_store_memcpy(&mut f);
            }
            run.done = true;
        }
        _ => alt::each(&mut run),
    }
    if !run.done {
        usage();
    }
    let lost = alt::LOGBUF.0.ring().dropped();
    if lost.total() != 0 {
        println!("logbuf records lost by writers: {lost:?}");
    }
}
