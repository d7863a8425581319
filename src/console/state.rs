//! One registered console: its sink, its place in the ring, its filter and
//! its counters.
//!
//! The sink and the progress state are touched only by the console-lock
//! owner inside a record; the filter and the counters are atomics anyone may
//! read or set.
//!
//! I2 per console, at any quiet moment:
//! `printed + filtered + overwritten + skipped + sink_failed = records with a
//! sequence number since the console's start`, and every dropped record
//! (`overwritten`, `skipped`, `sink_failed`, `unstored`) is announced in a
//! "N messages dropped" notice, exactly once, printed with the next record
//! after the gap.
//!
//! ```
//! use logbuf::console::ConsoleStats;
//! let s = ConsoleStats::default();
//! assert_eq!(s.consumed(), 0);
//! ```

use crate::counter::Counter;
use crate::ring::{Cursor, Flags, Header};
use crate::sinks::Sink;
use crate::sync::{AtomicBool, AtomicU32, AtomicU8, Ordering, UnsafeCell};
use crate::{Level, LevelFilter};

/// Largest payload a console prints in full; longer records are printed cut
/// with a `[+N bytes]` note (binary frames longer than this are dropped and
/// counted).
pub const LINE_MAX: usize = 256;

/// Records a console reads ahead of its output at most.
pub(crate) const AHEAD_RECORDS: usize = 8;
/// Payload bytes a console holds read ahead (two full lines).
pub(crate) const AHEAD_BYTES: usize = 2 * LINE_MAX;

/// What the console is printing right now (its resume offset refers to it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Nothing in progress.
    None,
    /// The batch's front record, after a notice of `notice` records dropped
    /// before it (0: no notice). Count and timestamp are frozen so the
    /// rendering is the same when resumed.
    Line { notice: u64, ts: u64 },
    /// A notice alone: records were dropped and nothing follows them yet.
    Notice { count: u64, ts: u64 },
}

/// One record read ahead. Its header is kept with the level as a byte, 0
/// in an unused entry: a fresh console is then all zero, so a `static`
/// logger stays in `.bss` (`Level` has no zero value).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ahead {
    seq: u64,
    timestamp: u64,
    level: u8,
    context: u8,
    flags: Flags,
    header_len: u16,
    /// Records dropped just before this one (announced with it).
    pub dropped_before: u64,
    /// Its payload bytes in the batch buffer: `start..start + len`.
    pub start: u16,
    pub len: u16,
}

impl Ahead {
    /// The record's header as the ring returned it.
    pub fn header(&self) -> Header {
        Header {
            seq: self.seq,
            timestamp: self.timestamp,
            level: Level::from_bits(self.level).unwrap_or(Level::Info),
            context: self.context,
            flags: self.flags,
            len: self.header_len,
        }
    }
}

const NO_AHEAD: Ahead = Ahead {
    seq: 0,
    timestamp: 0,
    level: 0,
    context: 0,
    flags: Flags::from_bits(0),
    header_len: 0,
    dropped_before: 0,
    start: 0,
    len: 0,
};

/// Records copied out of the ring ahead of the sink, oldest first: the ring
/// may overwrite them meanwhile, the console still prints them whole.
pub(crate) struct Batch {
    entries: [Ahead; AHEAD_RECORDS],
    /// Entries `front..back` are live.
    front: u8,
    back: u8,
    /// Payload bytes of the live entries start at `base`, next one at `used`.
    used: u16,
    pub bytes: [u8; AHEAD_BYTES],
}

impl Batch {
    const fn new() -> Self {
        Batch {
            entries: [NO_AHEAD; AHEAD_RECORDS],
            front: 0,
            back: 0,
            used: 0,
            bytes: [0; AHEAD_BYTES],
        }
    }
    pub fn is_empty(&self) -> bool {
        self.front == self.back
    }
    pub fn len(&self) -> usize {
        (self.back - self.front) as usize
    }
    /// Whether another entry fits (a slot free, and room for a whole line).
    pub fn has_room(&self) -> bool {
        (self.back as usize) < AHEAD_RECORDS
    }
    /// Free payload space to read the next record into.
    pub fn free(&mut self) -> &mut [u8] {
        let at = self.used as usize;
        let end = (at + LINE_MAX).min(AHEAD_BYTES);
        &mut self.bytes[at..end]
    }
    /// Appends the record just read into [`Batch::free`].
    pub fn push(&mut self, header: Header, dropped_before: u64) {
        let len = (header.len as usize).min(LINE_MAX) as u16;
        self.entries[self.back as usize] = Ahead {
            seq: header.seq,
            timestamp: header.timestamp,
            level: header.level as u8,
            context: header.context,
            flags: header.flags,
            header_len: header.len,
            dropped_before,
            start: self.used,
            len,
        };
        self.back += 1;
        self.used += len;
    }
    pub fn front(&self) -> Option<&Ahead> {
        (!self.is_empty()).then(|| &self.entries[self.front as usize])
    }
    pub fn front_mut(&mut self) -> Option<&mut Ahead> {
        (!self.is_empty()).then(|| &mut self.entries[self.front as usize])
    }
    /// Payload of entry `e`.
    pub fn payload(&self, e: &Ahead) -> &[u8] {
        &self.bytes[e.start as usize..(e.start + e.len) as usize]
    }
    /// Drops the front entry; an empty batch starts over at the buffer's
    /// beginning.
    pub fn pop(&mut self) {
        if !self.is_empty() {
            self.front += 1;
        }
        if self.is_empty() {
            *self = Batch {
                bytes: self.bytes,
                ..Batch::new()
            };
        }
    }
    /// Moves the live entries and their bytes to the front, so that the
    /// room printed entries held can take new ones. The front entry's bytes
    /// may be mid-print: a resumed unit renders them again from here, the
    /// same bytes.
    pub fn compact(&mut self) {
        if self.front == 0 {
            return;
        }
        let first = self.entries[self.front as usize].start;
        self.bytes
            .copy_within(first as usize..self.used as usize, 0);
        self.entries
            .copy_within(self.front as usize..self.back as usize, 0);
        self.back -= self.front;
        self.front = 0;
        self.used -= first;
        for e in &mut self.entries[..self.back as usize] {
            e.start -= first;
        }
    }
}

/// Progress of one console; owner-only.
pub(crate) struct ConsoleState {
    /// Next record to read from the ring.
    pub cursor: Cursor,
    /// Records read ahead, printed next.
    pub batch: Batch,
    /// Bytes of the current unit already sent.
    pub offset: u32,
    /// What `offset` refers to.
    pub unit: Unit,
    /// Records dropped for this console and not yet attached to a notice.
    pub unannounced: u64,
    /// Records writers dropped unstored (ring `dropped().unstored()`) already
    /// accounted.
    pub unstored_seen: u32,
    /// A panic takeover happened: replay the cut record after a marker.
    pub replay: bool,
    /// Bytes went to the sink since its last `flush`.
    pub dirty: bool,
    /// The ring's turnover per line this console prints: how many records
    /// the ring overwrote while one line went out (smoothed), measured
    /// from the ring's oldest sequence number when lines complete.
    pub turnover: u64,
    /// The ring's oldest sequence number when `turnover` was last measured,
    /// and the lines printed since.
    pub tail_at_line: u64,
    pub lines_done: u32,
    /// Records still to take in the current run under overload, and the
    /// sequence number that continues it.
    pub run_left: u8,
    pub run_next: u64,
}

/// Counters of one console (snapshot). All 64-bit: they do not wrap.
///
/// Every record a writer tried to log ends up in exactly one of them, so
/// the counts balance by themselves: once the console is caught up,
/// [`consumed`](Self::consumed) equals the records that got a sequence
/// number ([`LoggerStats::next_seq`](super::LoggerStats::next_seq)),
/// `consumed() + unstored` equals the records writers tried to log
/// ([`LoggerStats::produced`](super::LoggerStats::produced)), and
/// [`announced`](Self::announced) equals [`dropped`](Self::dropped) — every
/// dropped record was announced in a notice, once.
///
/// "Dropped" is the one word for a record a console did not print; the
/// four `dropped` causes are `overwritten`, `skipped`, `sink_failed` and
/// `unstored` (the notices say "N messages dropped").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConsoleStats {
    /// Records printed in full.
    pub printed: u64,
    /// Records this console's level filter (or format) left out: not
    /// dropped, not announced.
    pub filtered: u64,
    /// Dropped: overwritten in the ring before this console printed them,
    /// or overtaken while their writer was stalled.
    pub overwritten: u64,
    /// Dropped: low-severity records this console skipped to keep up
    /// under overload (severe ones go ahead of them).
    pub skipped: u64,
    /// Dropped: records the sink failed on (or binary frames too long to
    /// emit whole).
    pub sink_failed: u64,
    /// Dropped: records writers could not store at all (the ring's
    /// [`DropCounts::unstored`](crate::ring::DropCounts::unstored) since
    /// this console was added).
    pub unstored: u64,
    /// Dropped records announced in "N messages dropped" notices.
    pub announced: u64,
    /// Panic messages the ring could not store, printed straight to this
    /// console, marked `(not stored)` (also counted in `unstored`).
    pub printed_unstored: u64,
}

impl ConsoleStats {
    /// Records this console did not print, for whatever reason:
    /// `overwritten + skipped + sink_failed + unstored`. Once the console is
    /// caught up, `announced == dropped()`.
    pub fn dropped(&self) -> u64 {
        self.overwritten + self.skipped + self.sink_failed + self.unstored
    }

    /// Records with a sequence number this console has dealt with:
    /// `printed + filtered + overwritten + skipped + sink_failed`. Once the
    /// console is caught up, this is the logger's `next_seq`.
    pub fn consumed(&self) -> u64 {
        self.printed + self.filtered + self.overwritten + self.skipped + self.sink_failed
    }
}

pub(crate) struct Console {
    registered: AtomicBool,
    /// Bumped by every install, so a [`ConsoleId`](super::ConsoleId) of a
    /// removed console never names the one installed in its place.
    generation: AtomicU32,
    /// Served only by its own printer ([`Logger::console_printer`](super::Logger::console_printer)),
    /// never by the shared printing loop: a synchronously slow sink then
    /// paces no other console.
    dedicated: AtomicBool,
    /// Held by the context running this console's own printer.
    claimed: AtomicBool,
    /// Inside a sink write right now (a panic takeover cuts it). Atomic so
    /// the store survives optimisation: a panic handler reads it through
    /// another path.
    in_write: AtomicBool,
    /// Given up (its sink panicked during a panic flush).
    disabled: AtomicBool,
    filter: AtomicU8,
    sink: UnsafeCell<Option<&'static mut dyn Sink>>,
    state: UnsafeCell<ConsoleState>,
    printed: Counter,
    filtered: Counter,
    overwritten: Counter,
    skipped: Counter,
    printed_unstored: Counter,
    sink_failed: Counter,
    unstored: Counter,
    announced: Counter,
}

const fn fresh_state() -> ConsoleState {
    ConsoleState {
        cursor: Cursor::new(),
        batch: Batch::new(),
        offset: 0,
        unit: Unit::None,
        unannounced: 0,
        unstored_seen: 0,
        replay: false,
        dirty: false,
        turnover: 0,
        tail_at_line: 0,
        lines_done: 0,
        run_left: 0,
        run_next: 0,
    }
}

impl Console {
    crate::sync::loom_const_fn! {
        pub(crate) fn new() -> Console {
            Console {
                registered: AtomicBool::new(false),
                generation: AtomicU32::new(0),
                dedicated: AtomicBool::new(false),
                claimed: AtomicBool::new(false),
                in_write: AtomicBool::new(false),
                disabled: AtomicBool::new(false),
                filter: AtomicU8::new(crate::level::stored_filter(LevelFilter::Trace)),
                sink: UnsafeCell::new(None),
                state: UnsafeCell::new(fresh_state()),
                printed: Counter::new(),
                filtered: Counter::new(),
                overwritten: Counter::new(),
                skipped: Counter::new(),
                printed_unstored: Counter::new(),
                sink_failed: Counter::new(),
                unstored: Counter::new(),
                announced: Counter::new(),
            }
        }
    }

    pub(crate) fn is_registered(&self) -> bool {
        // Ordering: Acquire; pairs with the Release in `install`. The sink
        // itself is read only by the lock owner, ordered by the lock.
        self.registered.load(Ordering::Acquire)
    }

    /// Whether only its own printer serves this console.
    pub(crate) fn is_dedicated(&self) -> bool {
        // Ordering: Relaxed; set before `registered` (Release) and read
        // after `is_registered` (Acquire).
        self.dedicated.load(Ordering::Relaxed)
    }

    /// Claims the console for its own printer; false if another context
    /// runs it.
    pub(crate) fn claim(&self) -> bool {
        // Ordering: Acquire on success; pairs with the Release in `unclaim`
        // so the previous printer's sink and state writes are visible.
        self.claimed
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Ends a claim (or a panic flush's hostile use of a claimed console).
    pub(crate) fn unclaim(&self) {
        // Ordering: Release; pairs with the Acquire in `claim`.
        self.claimed.store(false, Ordering::Release);
    }

    /// Whether a printer holds the console right now.
    pub(crate) fn is_claimed(&self) -> bool {
        // Ordering: Relaxed; only a panic flush on this core (others
        // stopped) reads it, to replay a cut line.
        self.claimed.load(Ordering::Relaxed)
    }

    /// The generation of the sink installed now (or last).
    pub(crate) fn generation(&self) -> u32 {
        // Ordering: Relaxed; written before the Release of `registered` and
        // read after an Acquire of it (`is_registered`).
        self.generation.load(Ordering::Relaxed)
    }

    /// Owner-only: installs the sink and its starting point; returns the
    /// new generation.
    pub(crate) fn install(
        &self,
        sink: &'static mut dyn Sink,
        filter: LevelFilter,
        cursor: Cursor,
        unstored_seen: u32,
        dedicated: bool,
    ) -> u32 {
        // Ordering: Relaxed; published by the Release store of `registered`.
        let generation = self.generation.load(Ordering::Relaxed).wrapping_add(1);
        // Ordering: Relaxed; published by the Release store of `registered`.
        self.generation.store(generation, Ordering::Relaxed);
        // Ordering: Relaxed; published by the Release store of `registered`.
        self.dedicated.store(dedicated, Ordering::Relaxed);
        // A new console's counters start at zero (this place may have held
        // a removed console).
        for counter in [
            &self.printed,
            &self.filtered,
            &self.overwritten,
            &self.skipped,
            &self.printed_unstored,
            &self.sink_failed,
            &self.unstored,
            &self.announced,
        ] {
            counter.reset();
        }
        self.with(|slot, st| {
            *slot = Some(sink);
            *st = fresh_state();
            st.cursor = cursor;
            st.unstored_seen = unstored_seen;
        });
        self.set_filter(filter);
        // Ordering: Release; pairs with the Acquire in `is_registered`.
        self.registered.store(true, Ordering::Release);
        generation
    }

    /// Owner-only (and, for a dedicated console, claim holder): takes the
    /// sink out and unregisters the console.
    pub(crate) fn uninstall(&self) -> Option<&'static mut dyn Sink> {
        // Ordering: Release; pairs with the Acquire in `is_registered`: a
        // context that sees it unregistered leaves the console alone.
        self.registered.store(false, Ordering::Release);
        self.with(|slot, _| slot.take())
    }

    /// Owner-only: puts `sink` in place of the current one. The unit in
    /// progress (a line the old sink may have taken in part) is sent to the
    /// new sink whole, from its start.
    /// Gives `sink` back if there was no sink to replace.
    pub(crate) fn swap_sink(
        &self,
        sink: &'static mut dyn Sink,
    ) -> Result<&'static mut dyn Sink, &'static mut dyn Sink> {
        self.with(|slot, st| match slot.take() {
            Some(old) => {
                st.offset = 0;
                *slot = Some(sink);
                Ok(old)
            }
            None => Err(sink),
        })
    }

    /// Marks the start or end of a sink write.
    pub(crate) fn set_in_write(&self, on: bool) {
        // Ordering: Relaxed; read back only by a panic takeover, which
        // happens on this core (or after the other cores stopped).
        self.in_write.store(on, Ordering::Relaxed);
    }

    /// Gives the console up for good.
    pub(crate) fn disable(&self) {
        // Ordering: Relaxed; read on this core by the nested panic flush.
        self.disabled.store(true, Ordering::Relaxed);
    }

    /// Whether the console was given up.
    pub(crate) fn is_disabled(&self) -> bool {
        // Ordering: Relaxed; see `disable`.
        self.disabled.load(Ordering::Relaxed)
    }

    /// Whether a sink write was cut.
    pub(crate) fn in_write(&self) -> bool {
        // Ordering: Relaxed; see `set_in_write`.
        self.in_write.load(Ordering::Relaxed)
    }

    pub(crate) fn filter(&self) -> LevelFilter {
        // Ordering: Relaxed; a setting.
        crate::level::filter_from_stored(self.filter.load(Ordering::Relaxed))
    }

    pub(crate) fn set_filter(&self, f: LevelFilter) {
        // Ordering: Relaxed; a setting.
        self.filter
            .store(crate::level::stored_filter(f), Ordering::Relaxed);
    }

    /// Owner-only access to the sink and the progress state: the owner is
    /// the console-lock owner inside a record for a shared console, the
    /// claim holder for a dedicated one (or the panic flush, whose caller
    /// guarantees every other context is stopped).
    pub(crate) fn with<R>(
        &self,
        f: impl FnOnce(&mut Option<&'static mut dyn Sink>, &mut ConsoleState) -> R,
    ) -> R {
        self.sink.with_mut(|sink| {
            self.state.with_mut(|st| {
                // SAFETY: only the console-lock owner calls this, inside a
                // record; see `unsafe impl Sync for Logger`.
                unsafe { f(&mut *sink, &mut *st) }
            })
        })
    }

    /// Owner-only: a panic takeover cut this console's output.
    pub(crate) fn mark_replay(&self) {
        self.with(|_, st| st.replay = true);
    }

    pub(crate) fn stats(&self) -> ConsoleStats {
        ConsoleStats {
            printed: self.printed.get(),
            filtered: self.filtered.get(),
            overwritten: self.overwritten.get(),
            skipped: self.skipped.get(),
            sink_failed: self.sink_failed.get(),
            unstored: self.unstored.get(),
            announced: self.announced.get(),
            printed_unstored: self.printed_unstored.get(),
        }
    }

    pub(crate) fn count_printed(&self) {
        self.printed.add(1)
    }
    pub(crate) fn count_filtered(&self) {
        self.filtered.add(1)
    }
    pub(crate) fn count_overwritten(&self, n: u64) {
        self.overwritten.add_many(n)
    }
    /// A record printed although the ring never stored it (the panic
    /// message, when the ring refused it): printed, and already counted as
    /// unstored, so not part of `consumed`.
    pub(crate) fn count_printed_unstored(&self) {
        self.printed_unstored.add(1)
    }
    pub(crate) fn count_skipped(&self) {
        self.skipped.add(1)
    }
    pub(crate) fn count_sink_failed(&self) {
        self.sink_failed.add(1)
    }
    pub(crate) fn count_unstored(&self, n: u32) {
        self.unstored.add_many(n as u64)
    }
    pub(crate) fn count_announced(&self, n: u64) {
        self.announced.add_many(n)
    }
}
