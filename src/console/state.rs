//! One registered console: its sink, its place in the ring, its filter and
//! its counters.
//!
//! The sink and the progress state are touched only by the console-lock
//! owner inside a record; the filter and the counters are atomics anyone may
//! read or set.
//!
//! I2 per console, at any quiet moment:
//! `printed + filtered + missed + failed = records committed since the
//! console's start`, and every `missed`, `failed` and writer-lost record is
//! announced in a "N messages dropped" notice before the next record.
//!
//! ```
//! use logbuf::console::ConsoleStats;
//! let s = ConsoleStats::default();
//! assert_eq!(s.consumed(), 0);
//! ```

use super::logger::LINE_MAX;
use crate::ring::{Cursor, Header};
use crate::sinks::Sink;
use crate::sync::{AtomicBool, AtomicU32, AtomicU8, Ordering, UnsafeCell};
use crate::LevelFilter;

/// What a console's resume offset refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Nothing in progress.
    None,
    /// A dropped-messages notice (count and timestamp frozen so the
    /// rendering is the same when resumed).
    Notice { count: u64, ts: u64 },
    /// The record at the cursor.
    Record,
}

/// Progress of one console; owner-only.
pub(crate) struct ConsoleState {
    /// Next record to print.
    pub cursor: Cursor,
    /// Bytes of the current unit already sent.
    pub offset: u32,
    /// What `offset` refers to.
    pub unit: Unit,
    /// Records lost for this console and not yet announced.
    pub unannounced: u64,
    /// Writer-side losses (ring `lost().unstored()`) already accounted.
    pub lost_seen: u32,
    /// A panic takeover happened: replay the cut record after a marker.
    pub replay: bool,
    /// The record being printed: taken out of the ring (the cursor is past
    /// it), so the ring may overwrite it while the sink catches up.
    pub held: Option<Header>,
    /// Its payload (the first `LINE_MAX` bytes).
    pub buf: [u8; LINE_MAX],
    /// Bytes went to the sink since its last `flush`.
    pub dirty: bool,
}

/// Counters of one console (snapshot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConsoleStats {
    /// Records printed in full.
    pub printed: u32,
    /// Records skipped by this console's level filter or format.
    pub filtered: u32,
    /// Records overwritten in the ring before this console printed them.
    pub missed: u32,
    /// Records the sink failed on (or binary frames too long to emit whole).
    pub failed: u32,
    /// Records writers could not store at all (seen by this console).
    pub writer_lost: u32,
    /// Records announced in "N messages dropped" notices.
    pub announced: u32,
}

impl ConsoleStats {
    /// Committed records this console has dealt with:
    /// printed + filtered + missed + failed.
    pub fn consumed(&self) -> u64 {
        self.printed as u64 + self.filtered as u64 + self.missed as u64 + self.failed as u64
    }
}

pub(crate) struct Console {
    registered: AtomicBool,
    /// Inside a sink write right now (a panic takeover cuts it). Atomic so
    /// the store survives optimisation: a panic handler reads it through
    /// another path.
    in_write: AtomicBool,
    /// Given up (its sink panicked during a panic flush).
    disabled: AtomicBool,
    filter: AtomicU8,
    sink: UnsafeCell<Option<&'static mut dyn Sink>>,
    state: UnsafeCell<ConsoleState>,
    printed: AtomicU32,
    filtered: AtomicU32,
    missed: AtomicU32,
    failed: AtomicU32,
    writer_lost: AtomicU32,
    announced: AtomicU32,
}

const fn fresh_state() -> ConsoleState {
    ConsoleState {
        cursor: Cursor::new(),
        offset: 0,
        unit: Unit::None,
        unannounced: 0,
        lost_seen: 0,
        replay: false,
        held: None,
        buf: [0; LINE_MAX],
        dirty: false,
    }
}

impl Console {
    crate::sync::loom_const_fn! {
        pub(crate) fn new() -> Console {
            Console {
                registered: AtomicBool::new(false),
                in_write: AtomicBool::new(false),
                disabled: AtomicBool::new(false),
                filter: AtomicU8::new(crate::level::stored_filter(LevelFilter::Trace)),
                sink: UnsafeCell::new(None),
                state: UnsafeCell::new(fresh_state()),
                printed: AtomicU32::new(0),
                filtered: AtomicU32::new(0),
                missed: AtomicU32::new(0),
                failed: AtomicU32::new(0),
                writer_lost: AtomicU32::new(0),
                announced: AtomicU32::new(0),
            }
        }
    }

    pub(crate) fn is_registered(&self) -> bool {
        // Ordering: Acquire; pairs with the Release in `install`. The sink
        // itself is read only by the lock owner, ordered by the lock.
        self.registered.load(Ordering::Acquire)
    }

    /// Owner-only: installs the sink and its starting point.
    pub(crate) fn install(
        &self,
        sink: &'static mut dyn Sink,
        filter: LevelFilter,
        cursor: Cursor,
        lost_seen: u32,
    ) {
        self.with(|slot, st| {
            *slot = Some(sink);
            *st = fresh_state();
            st.cursor = cursor;
            st.lost_seen = lost_seen;
        });
        self.set_filter(filter);
        // Ordering: Release; pairs with the Acquire in `is_registered`.
        self.registered.store(true, Ordering::Release);
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

    /// Owner-only access to the sink and the progress state.
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
        // Ordering: Relaxed; statistics.
        ConsoleStats {
            printed: self.printed.load(Ordering::Relaxed),
            filtered: self.filtered.load(Ordering::Relaxed),
            missed: self.missed.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            writer_lost: self.writer_lost.load(Ordering::Relaxed),
            announced: self.announced.load(Ordering::Relaxed),
        }
    }

    fn add(counter: &AtomicU32, n: u32) {
        // Ordering: Relaxed; statistics counter.
        counter.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn count_printed(&self) {
        Self::add(&self.printed, 1)
    }
    pub(crate) fn count_filtered(&self) {
        Self::add(&self.filtered, 1)
    }
    pub(crate) fn count_missed(&self, n: u64) {
        Self::add(&self.missed, n as u32)
    }
    pub(crate) fn count_failed(&self) {
        Self::add(&self.failed, 1)
    }
    pub(crate) fn count_writer_lost(&self, n: u32) {
        Self::add(&self.writer_lost, n)
    }
    pub(crate) fn count_announced(&self, n: u64) {
        Self::add(&self.announced, n as u32)
    }
}
