//! logbuf and the store paths users would pick instead (issue 6), behind one
//! [`Store`] trait so every bench group and `examples/callgrind_store.rs`
//! run exactly the same code for each implementation.
//!
//! | name          | what it is |
//! |---------------|------------|
//! | `logbuf`      | `Ring::write` (preformatted) / `Logger::log` with `direct_print: false` and no console (formatted): the store path only |
//! | `cs_deque`    | (a) `critical_section::Mutex<RefCell<heapless::Deque<u8, _>>>`, bytes pushed one by one |
//! | `cs_rtt`      | (a') the same critical section around an RTT-style byte ring copied with `memcpy` in at most two pieces: what defmt-rtt / rtt-target do per write |
//! | `std_mutex`   | (b) `std::sync::Mutex<VecDeque<u8>>` |
//! | `floor`       | (c) one `fetch_add` + the bytes copied into a static array of atomic words |
//!
//! All of them keep the newest bytes when full (flight recorder), like
//! logbuf's default policy, so steady state is measured, not a full buffer
//! dropping everything. Formatting alternatives format inside their lock
//! (as `defmt-rtt` encodes inside its critical section); the floor formats
//! once into a stack buffer, then stores.
//!
//! On the host, critical-section's `std` implementation is a global
//! `std::sync::Mutex` plus a thread-local flag; on a single-core MCU it is
//! `cpsid i` / `cpsie i`. So `cs_*` are pessimistic here for one thread;
//! under two threads they behave like any lock.

// Each bench target uses a subset of what is here.
#![allow(dead_code)]

use core::cell::RefCell;
use core::fmt::{self, Write as _};
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::collections::VecDeque;
use std::sync::Mutex;

use logbuf::console::{Caller, Config, LineFormat, Logger, Platform, PrinterStatus};
use logbuf::ring::{Flags, RecordMeta};
use logbuf::sinks::{RecordFormat, Sink, SinkError};
use logbuf::{Level, LevelFilter};

/// The preformatted record every store bench writes: 32 bytes.
pub const RECORD: &[u8] = b"adc: ch3=0x03ff vbat=3.30V ok=1 ";
const _: () = assert!(RECORD.len() == 32);

/// A 32-byte record a text console must escape and split (issue 14): a
/// line break, a terminal escape, a carriage return, NUL and invalid UTF-8.
pub const HOSTILE: &[u8] = b"adc: ch3=\x1b[2J\r\n\0vbat=\xff\xfe 3.3V ok\n";
const _: () = assert!(HOSTILE.len() == 32);

/// Bytes of every buffer (logbuf's ring has the same data bytes).
pub const CAP: usize = 64 * 1024;
/// logbuf ring geometry: `CAP` bytes of data words, enough slots that the
/// words, not the slots, bound what is held (a 32-byte record uses 44).
pub const WORDS: usize = CAP / 4;
/// See [`CAP`].
pub const SLOTS: usize = 2048;

/// A platform whose hooks cost nothing: thread 0, clock 0, no printer to
/// wake. The alternatives store no timestamp either. Its configuration is
/// the constant [`STORE_ONLY`], as on a board (nothing decoded per call).
pub struct BenchPlatform;

impl Platform for BenchPlatform {
    const CONFIG: Config = STORE_ONLY;
    fn caller() -> Caller {
        Caller::thread(0, 0)
    }
    fn now() -> u64 {
        0
    }
    fn wake_printer() {}
}

/// [`BenchPlatform`] with line formats chosen at run time (the drain
/// benches try several).
pub struct DrainPlatform;

impl Platform for DrainPlatform {
    const CONFIG: Config = STORE_ONLY;
    const RUNTIME_CONFIG: bool = true;
    fn caller() -> Caller {
        Caller::thread(0, 0)
    }
    fn now() -> u64 {
        0
    }
    fn wake_printer() {}
}

/// The logger configuration of the store benches: log calls only store (and
/// bump the printer-wake counter); nothing prints.
pub const STORE_ONLY: Config = Config {
    direct_print: false,
    ..Config::DEFAULT
};

/// The logger every store bench uses.
pub type BenchLogger = Logger<BenchPlatform, CAP, SLOTS, 1>;

/// One way to store a log record.
pub trait Store: Sync {
    /// Stores an already formatted record.
    fn store(&self, bytes: &[u8]);
    /// Formats and stores a record.
    fn store_fmt(&self, args: fmt::Arguments<'_>);
    /// Records not stored so far (only logbuf drops, and counts it).
    fn dropped(&self) -> u64 {
        0
    }
}

/// A `fmt::Write` that hands every piece to a closure.
struct FnWriter<F: FnMut(&[u8])>(F);

impl<F: FnMut(&[u8])> fmt::Write for FnWriter<F> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        (self.0)(s.as_bytes());
        Ok(())
    }
}

/// Formats `args`, handing each piece to `f`.
fn format_into(args: fmt::Arguments<'_>, f: impl FnMut(&[u8])) {
    let _ = FnWriter(f).write_fmt(args);
}

/// logbuf: `Ring::write` and `Logger::log` (store only, see [`STORE_ONLY`]).
pub struct Logbuf(pub BenchLogger);

impl Logbuf {
    /// A store-only logger.
    pub const fn new() -> Self {
        Logbuf(Logger::new())
    }
}

impl Store for Logbuf {
    fn store(&self, bytes: &[u8]) {
        let _ = self.0.ring().write(RecordMeta::new(Level::Info), bytes);
    }
    fn store_fmt(&self, args: fmt::Arguments<'_>) {
        self.0.log(Level::Info, args);
    }
    fn dropped(&self) -> u64 {
        self.0.ring().dropped().total() as u64
    }
}

/// (a) A critical section around a heapless byte deque.
pub struct CsDeque(critical_section::Mutex<RefCell<heapless::Deque<u8, CAP>>>);

impl CsDeque {
    /// Empty.
    pub const fn new() -> Self {
        CsDeque(critical_section::Mutex::new(RefCell::new(
            heapless::Deque::new(),
        )))
    }
}

/// Appends to a full-capacity deque, dropping the oldest bytes to make room.
fn deque_push(d: &mut heapless::Deque<u8, CAP>, bytes: &[u8]) {
    let free = CAP - d.len();
    if bytes.len() > free {
        d.retain_back(d.len() - (bytes.len() - free));
    }
    d.extend(bytes);
}

impl Store for CsDeque {
    fn store(&self, bytes: &[u8]) {
        critical_section::with(|cs| deque_push(&mut self.0.borrow_ref_mut(cs), bytes));
    }
    fn store_fmt(&self, args: fmt::Arguments<'_>) {
        critical_section::with(|cs| {
            let mut d = self.0.borrow_ref_mut(cs);
            format_into(args, |b| deque_push(&mut d, b));
        });
    }
}

/// An RTT up-channel's write side: a byte ring written with `memcpy` in at
/// most two pieces, overwriting the oldest bytes (a host that keeps up).
pub struct ByteRing {
    buf: [u8; CAP],
    at: usize,
}

impl ByteRing {
    /// Empty.
    pub const fn new() -> Self {
        ByteRing {
            buf: [0; CAP],
            at: 0,
        }
    }
    /// Copies `bytes` (at most `CAP`) in.
    pub fn push(&mut self, bytes: &[u8]) {
        let start = self.at & (CAP - 1);
        let first = (CAP - start).min(bytes.len());
        self.buf[start..start + first].copy_from_slice(&bytes[..first]);
        self.buf[..bytes.len() - first].copy_from_slice(&bytes[first..]);
        self.at = self.at.wrapping_add(bytes.len());
    }
}

/// (a') A critical section around an RTT-style byte ring.
pub struct CsRtt(critical_section::Mutex<RefCell<ByteRing>>);

impl CsRtt {
    /// Empty.
    pub const fn new() -> Self {
        CsRtt(critical_section::Mutex::new(RefCell::new(ByteRing::new())))
    }
}

impl Store for CsRtt {
    fn store(&self, bytes: &[u8]) {
        critical_section::with(|cs| self.0.borrow_ref_mut(cs).push(bytes));
    }
    fn store_fmt(&self, args: fmt::Arguments<'_>) {
        critical_section::with(|cs| {
            let mut r = self.0.borrow_ref_mut(cs);
            format_into(args, |b| r.push(b));
        });
    }
}

/// (b) `std::sync::Mutex<VecDeque<u8>>`.
pub struct StdMutex(Mutex<VecDeque<u8>>);

impl StdMutex {
    /// Empty (grows to `CAP` on first use, then never allocates again).
    pub const fn new() -> Self {
        StdMutex(Mutex::new(VecDeque::new()))
    }
}

/// Appends, dropping the oldest bytes beyond `CAP`.
fn vecdeque_push(q: &mut VecDeque<u8>, bytes: &[u8]) {
    let excess = (q.len() + bytes.len()).saturating_sub(CAP);
    if excess > 0 {
        q.drain(..excess);
    }
    q.extend(bytes);
}

impl Store for StdMutex {
    fn store(&self, bytes: &[u8]) {
        vecdeque_push(&mut self.0.lock().unwrap(), bytes);
    }
    fn store_fmt(&self, args: fmt::Arguments<'_>) {
        let mut q = self.0.lock().unwrap();
        format_into(args, |b| vecdeque_push(&mut q, b));
    }
}

/// (c) The floor of a sound lock-free store: one `fetch_add` claims the
/// words, then the bytes are copied in with relaxed stores (plain `mov` /
/// `str`). Atomic words because two threads may write the same words when
/// one laps the other; plain memory would be a data race (invariant I7).
/// No header, no commit, no reader support: nothing a real ring can skip.
pub struct Floor {
    next: AtomicUsize,
    words: [AtomicU32; WORDS],
}

impl Floor {
    /// Empty.
    pub const fn new() -> Self {
        Floor {
            next: AtomicUsize::new(0),
            words: [const { AtomicU32::new(0) }; WORDS],
        }
    }
}

impl Store for Floor {
    fn store(&self, bytes: &[u8]) {
        let start = self
            .next
            .fetch_add(bytes.len().div_ceil(4), Ordering::Relaxed);
        let word = |i: usize| &self.words[(start + i) & (WORDS - 1)];
        let chunks = bytes.chunks_exact(4);
        let tail = chunks.remainder();
        let n = chunks.len();
        for (i, c) in chunks.enumerate() {
            word(i).store(
                u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                Ordering::Relaxed,
            );
        }
        if !tail.is_empty() {
            let mut w = [0u8; 4];
            w[..tail.len()].copy_from_slice(tail);
            word(n).store(u32::from_le_bytes(w), Ordering::Relaxed);
        }
    }
    fn store_fmt(&self, args: fmt::Arguments<'_>) {
        on_stack::<128>(args, |b| self.store(b));
    }
}

/// Formats `args` into an `N`-byte stack buffer (cut at `N`), then hands
/// the bytes to `then`: how the floors format, once, outside any lock.
fn on_stack<const N: usize>(args: fmt::Arguments<'_>, then: impl FnOnce(&[u8])) {
    let mut buf = [0u8; N];
    let mut len = 0;
    format_into(args, |b| {
        let n = b.len().min(N - len);
        buf[len..len + n].copy_from_slice(&b[..n]);
        len += n;
    });
    then(&buf[..len]);
}

// (c'') The fast path of an exact-accounting cell ring (shared with the
// Cortex-M3 `storecost` scenario).
include!("../../firmware/shared/cell_floor.rs");

/// [`CellFloor`] with `CAP` bytes of cells.
pub type CapCellFloor = CellFloor<{ CAP / 64 }, WORDS>;

impl Store for CapCellFloor {
    fn store(&self, bytes: &[u8]) {
        self.store(Level::Info as u32, bytes);
    }
    fn store_fmt(&self, args: fmt::Arguments<'_>) {
        on_stack::<48>(args, |b| self.store(Level::Info as u32, b));
    }
    fn dropped(&self) -> u64 {
        self.slow() as u64
    }
}

/// (c') The floor with plain memory: one `fetch_add`, then `memcpy` into a
/// byte array. Sound only for a single owner (`&mut self`), so it appears
/// in the single-thread table only, to show what atomic words cost.
pub struct MemcpyFloor {
    next: AtomicUsize,
    buf: Box<[u8]>,
}

impl MemcpyFloor {
    /// Empty.
    pub fn new() -> Self {
        MemcpyFloor {
            next: AtomicUsize::new(0),
            buf: vec![0; CAP].into_boxed_slice(),
        }
    }
    /// Copies `bytes` (at most `CAP`) in, wrapping like [`ByteRing`].
    pub fn store(&mut self, bytes: &[u8]) {
        let at = self.next.fetch_add(bytes.len(), Ordering::Relaxed) & (CAP - 1);
        let first = (CAP - at).min(bytes.len());
        self.buf[at..at + first].copy_from_slice(&bytes[..first]);
        self.buf[..bytes.len() - first].copy_from_slice(&bytes[first..]);
    }
}

/// Records stored before, and printed by, one drain.
pub const DRAIN_RECORDS: usize = 64;

/// The drain benches' logger: room for [`DRAIN_RECORDS`] and more.
pub type DrainLogger = Logger<DrainPlatform, 4096, 128, 1>;

/// A console sink that only counts the bytes it is given.
pub struct CountSink {
    bytes: &'static AtomicUsize,
    format: RecordFormat,
}

impl Sink for CountSink {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        // One owner at a time (the console lock): a load and a store, no RMW.
        let n = self.bytes.load(Ordering::Relaxed);
        self.bytes.store(n + bytes.len(), Ordering::Relaxed);
        Ok(bytes.len())
    }
    fn any_context(&self) -> bool {
        true
    }
    fn format(&self) -> RecordFormat {
        self.format
    }
}

/// How the drained records are rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrainKind {
    /// Default text lines: `[    0.000000] INFO  t0: ` + payload + `\n`.
    Lines,
    /// Text lines with every prefix field off: payload + `\n`.
    Bare,
    /// Binary records to a frames sink: the payload bytes as they are.
    Frames,
    /// Default text lines of [`HOSTILE`] instead of [`RECORD`].
    Escaped,
}

/// A logger with one counting console, filled and drained by `printer()`.
pub struct Drain {
    logger: &'static DrainLogger,
    bytes: &'static AtomicUsize,
    kind: DrainKind,
}

impl Drain {
    /// A logger whose only console counts bytes.
    pub fn new(kind: DrainKind) -> Self {
        let line = match kind {
            DrainKind::Bare => LineFormat::DEFAULT
                .with_timestamp(false)
                .with_level(false)
                .with_context(false),
            DrainKind::Lines | DrainKind::Frames | DrainKind::Escaped => LineFormat::DEFAULT,
        };
        let logger: &'static DrainLogger =
            Box::leak(Box::new(Logger::with_config(Config { line, ..STORE_ONLY })));
        let bytes: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
        let format = match kind {
            DrainKind::Frames => RecordFormat::Frames,
            DrainKind::Lines | DrainKind::Bare | DrainKind::Escaped => RecordFormat::Lines,
        };
        let sink = Box::leak(Box::new(CountSink { bytes, format }));
        logger
            .add_console(sink, LevelFilter::Trace)
            .expect("console slot");
        Drain {
            logger,
            bytes,
            kind,
        }
    }
    /// Stores [`DRAIN_RECORDS`] copies of [`RECORD`] ([`HOSTILE`] for
    /// [`DrainKind::Escaped`]).
    pub fn fill(&self) {
        let meta = match self.kind {
            DrainKind::Frames => RecordMeta::new(Level::Info).flags(Flags::BINARY),
            DrainKind::Lines | DrainKind::Bare | DrainKind::Escaped => RecordMeta::new(Level::Info),
        };
        let record = match self.kind {
            DrainKind::Escaped => HOSTILE,
            _ => RECORD,
        };
        for _ in 0..DRAIN_RECORDS {
            self.logger
                .ring()
                .write(meta, record)
                .expect("ring has room");
        }
    }
    /// Prints everything stored to the console.
    pub fn drain(&self) {
        let status = self.logger.printer();
        debug_assert_eq!(status, PrinterStatus::Idle);
    }
    /// Bytes the console was given so far.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }
}

/// The baseline of a drain: copy the same bytes, record by record, from a
/// buffer into a scratch buffer and hand them to the same counting sink.
pub struct RawCopy {
    src: Vec<u8>,
    dst: Vec<u8>,
    sink: CountSink,
    record: usize,
}

impl RawCopy {
    /// `DRAIN_RECORDS` pieces of `record` bytes each.
    pub fn new(record: usize) -> Self {
        RawCopy {
            src: vec![b'x'; record * DRAIN_RECORDS],
            dst: vec![0; record],
            sink: CountSink {
                bytes: Box::leak(Box::new(AtomicUsize::new(0))),
                format: RecordFormat::Lines,
            },
            record,
        }
    }
    /// Copies and counts every piece.
    pub fn drain(&mut self) {
        for piece in self.src.chunks_exact(self.record) {
            self.dst.copy_from_slice(piece);
            let _ = self.sink.write(&self.dst);
        }
    }
}

/// Criterion settings shared by every bench target: short runs, so all of
/// `cargo bench` takes a few minutes (override on the command line).
pub fn criterion_config() -> criterion::Criterion {
    criterion::Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
        .sample_size(40)
}

/// Every implementation, each in its own static.
pub static LOGBUF: Logbuf = Logbuf::new();
/// See [`CsDeque`].
pub static CS_DEQUE: CsDeque = CsDeque::new();
/// See [`CsRtt`].
pub static CS_RTT: CsRtt = CsRtt::new();
/// See [`StdMutex`].
pub static STD_MUTEX: StdMutex = StdMutex::new();
/// See [`Floor`].
pub static FLOOR: Floor = Floor::new();
/// See [`CellFloor`].
pub static CELL_FLOOR: CapCellFloor = CellFloor::new();

/// Something run once per implementation, monomorphised for each (no
/// dynamic dispatch in the measured path).
pub trait Visit {
    /// Called with each implementation's table name and static.
    fn visit<S: Store>(&mut self, name: &'static str, store: &'static S);
}

/// Calls `v` for every implementation, in table order.
pub fn each(v: &mut impl Visit) {
    v.visit("logbuf", &LOGBUF);
    v.visit("cs_deque", &CS_DEQUE);
    v.visit("cs_rtt", &CS_RTT);
    v.visit("std_mutex", &STD_MUTEX);
    v.visit("floor", &FLOOR);
    v.visit("floor_cells", &CELL_FLOOR);
}

/// The formatted call every bench makes: `info!("temp={} id={}", ..)`.
#[inline(always)]
pub fn log_temp<S: Store>(s: &S, temp: i32, id: u32) {
    s.store_fmt(format_args!("temp={} id={}", temp, id));
}
