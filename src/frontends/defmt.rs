//! A defmt global logger that stores each defmt frame as a binary record
//! (feature `defmt`).
//!
//! ```text
//!  defmt::info!(..) in any context             console with a Frames sink
//!   acquire ─ claim a frame buffer (atomic bitmask, no critical section)
//!   write*  ─ encode (defmt's Encoder: rzcobs or raw) into that buffer
//!   release ─ store the encoded frame as ONE ring record (Flags::BINARY) ──> raw frames back to back
//!             free the buffer, then print / wake the printer as any log call
//! ```
//!
//! defmt delivers a frame in pieces between `acquire` and `release`, and
//! defmt-rtt masks interrupts for that whole time so pieces of two frames
//! never mix. Here each context gets a buffer of its own instead, taken
//! from a small lock-free [`FramePool`]: an interrupt that preempts a
//! half-written frame claims another buffer and finishes its own frame
//! first. Interrupts are never masked, and the ring sees only whole frames,
//! so text records and defmt frames coexist in one ring.
//!
//! When every buffer is in use (more nesting than buffers), or a frame does
//! not fit its buffer, the frame is dropped and counted ([`FrameStats`]);
//! the ring's own losses are counted by the ring and announced by text
//! consoles as usual.
//!
//! # Use
//!
//! ```
//! use logbuf::console::{Config, Logger, StdThreads};
//! use logbuf::frontends::defmt::FramePool;
//! use logbuf::sinks::{Frames, SinkContext, StdIoSink};
//! use logbuf::LevelFilter;
//!
//! static LOG: Logger<StdThreads, 16384, 128, 2> = Logger::new();
//! // 4 nesting levels (thread + 3 interrupt priorities), frames up to 128 bytes.
//! static DEFMT_FRAMES: FramePool<4, 128> = FramePool::new();
//! logbuf::defmt_global_logger!(LOG, DEFMT_FRAMES);
//!
//! // A console that emits the stored frames as they are, for `defmt-print`
//! // (on a board: `Frames(EmbeddedIoSink::new(uart, SinkContext::Any))`).
//! let wire = Frames(StdIoSink::new(Vec::new(), SinkContext::Any));
//! LOG.add_console(Box::leak(Box::new(wire)), LevelFilter::Trace).unwrap();
//!
//! defmt::println!("x = {=u8}", 5); // on a target: into the ring as one frame
//! ```
//!
//! Link the firmware with `-C link-arg=-Tdefmt.x` as for any defmt logger;
//! `defmt-print -e firmware.elf` decodes what the Frames console emits (the
//! encoding is the one defmt's `encoding-*` feature selects; rzcobs by
//! default, which also lets the decoder resynchronise after a dropped frame).
//!
//! # Execution contexts
//!
//! defmt leaves "execution context" to the logger. Here it is what
//! [`Platform::caller`] reports: the `(core, context id)` pair. Two contexts
//! that can preempt each other in the middle of a frame must report
//! different pairs (distinct interrupt numbers, or RTOS task ids for tasks
//! that preempt each other in thread mode). A context that acquires again
//! before releasing (a `Format` impl that logs) has the inner frame
//! dropped and counted as re-entrant; the outer frame is kept.
//!
//! # Levels
//!
//! defmt filters at compile time (`DEFMT_LOG`); its frames do not tell the
//! logger their level. The records carry the level given to
//! [`defmt_global_logger!`](crate::defmt_global_logger) (default
//! [`Level::Info`]), so runtime filters treat all defmt frames as one group.

use crate::console::{Caller, Logger, Platform, LINE_MAX};
use crate::ring::{Flags, RecordMeta, Ring};
use crate::sync::{AtomicBool, AtomicU32, Ordering, UnsafeCell};
use crate::Level;

#[doc(hidden)]
pub use defmt as __defmt;

/// Tries at claiming a buffer; a failed try means another context claimed
/// or freed one meanwhile, so this bounds the work, not a wait.
const CLAIM_ATTEMPTS: u32 = 32;

/// Counters of a [`FramePool`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameStats {
    /// Frames stored in the ring.
    pub stored: u32,
    /// Frames dropped because every buffer was in use.
    pub exhausted: u32,
    /// Frames dropped because they did not fit a buffer.
    pub too_long: u32,
    /// Frames dropped because their context already had a frame open.
    pub reentrant: u32,
    /// Whole frames the logger did not store (level filter, ring full or
    /// busy; ring losses are also in the ring's own counts).
    pub not_stored: u32,
}

struct Frame<const SIZE: usize> {
    encoder: defmt::Encoder,
    /// Encoded bytes in `buf`.
    len: usize,
    /// Unencoded bytes defmt wrote into this frame.
    raw: usize,
    /// The encoded frame did not fit `buf`.
    overflow: bool,
    buf: [u8; SIZE],
}

impl<const SIZE: usize> Frame<SIZE> {
    const fn new() -> Self {
        Frame {
            encoder: defmt::Encoder::new(),
            len: 0,
            raw: 0,
            overflow: false,
            buf: [0; SIZE],
        }
    }
}

impl<const SIZE: usize> Frame<SIZE> {
    /// Runs one encoder step, appending its output to the buffer.
    fn step(&mut self, op: impl FnOnce(&mut defmt::Encoder, &mut dyn FnMut(&[u8]))) {
        let Frame {
            encoder,
            buf,
            len,
            overflow,
            ..
        } = self;
        op(encoder, &mut |b: &[u8]| push(buf, len, overflow, b));
    }
}

/// Appends encoder output to a frame buffer (or marks it overflowed).
fn push(buf: &mut [u8], len: &mut usize, overflow: &mut bool, bytes: &[u8]) {
    if *overflow {
        return;
    }
    match buf.get_mut(*len..*len + bytes.len()) {
        Some(dst) => {
            dst.copy_from_slice(bytes);
            *len += bytes.len();
        }
        None => *overflow = true,
    }
}

struct Slot<const SIZE: usize> {
    /// Tag of the context whose frame this is (0: none).
    owner: AtomicU32,
    /// Re-entrant acquires by the owner still open.
    nested: AtomicU32,
    /// A context is inside `enter` right now.
    busy: AtomicBool,
    frame: UnsafeCell<Frame<SIZE>>,
}

impl<const SIZE: usize> Slot<SIZE> {
    const fn new() -> Self {
        Slot {
            owner: AtomicU32::new(0),
            nested: AtomicU32::new(0),
            busy: AtomicBool::new(false),
            frame: UnsafeCell::new(Frame::new()),
        }
    }

    /// Runs `f` on the frame unless another context is inside already
    /// (possible only if [`Platform::caller`] reports one pair for two
    /// contexts that preempt each other); then `None`.
    fn enter<R>(&self, f: impl FnOnce(&mut Frame<SIZE>) -> R) -> Option<R> {
        // Ordering: Acquire; pairs with the Release store below of the
        // previous `enter`, so its writes to the frame are visible here.
        if self.busy.swap(true, Ordering::Acquire) {
            return None;
        }
        // SAFETY: `busy` was false and is now ours: no other reference to
        // the frame exists until we store false again.
        let r = self.frame.with_mut(|p| f(unsafe { &mut *p }));
        // Ordering: Release; pairs with the Acquire swap above (next `enter`).
        self.busy.store(false, Ordering::Release);
        Some(r)
    }
}

/// Per-context defmt frame buffers, claimed with an atomic bitmask. See the
/// [module documentation](self).
///
/// `FRAMES` (1..=32): frames that can be open at once, i.e. the deepest
/// nesting of contexts that log defmt (thread mode + interrupt priority
/// levels, times cores). `SIZE`: the largest encoded frame, at most
/// [`LINE_MAX`] (what a console prints of one record).
pub struct FramePool<const FRAMES: usize, const SIZE: usize> {
    /// Bit `i` set: slot `i` is claimed.
    claimed: AtomicU32,
    slots: [Slot<SIZE>; FRAMES],
    stored: AtomicU32,
    exhausted: AtomicU32,
    too_long: AtomicU32,
    reentrant: AtomicU32,
    not_stored: AtomicU32,
}

// SAFETY: a slot's frame is touched only inside `Slot::enter`, which admits
// one context at a time (the `busy` flag, Acquire/Release), and a slot is
// entered only by the context whose tag it holds (set after its claim CAS).
// The encoder and buffer are plain data, safe to hand between contexts.
unsafe impl<const FRAMES: usize, const SIZE: usize> Sync for FramePool<FRAMES, SIZE> {}

/// The context tag a slot is owned by: valid bit, core, context id.
fn tag(c: Caller) -> u32 {
    (1 << 16) | ((c.core as u32) << 8) | c.context_id().0 as u32
}

impl<const FRAMES: usize, const SIZE: usize> FramePool<FRAMES, SIZE> {
    const ALL: u32 = if FRAMES >= 32 {
        u32::MAX
    } else {
        (1u32 << FRAMES) - 1
    };
    const GEOMETRY_OK: () = {
        assert!(
            FRAMES >= 1 && FRAMES <= 32,
            "FramePool FRAMES must be 1..=32"
        );
        assert!(SIZE >= 8, "FramePool SIZE must be at least 8 bytes");
        assert!(
            SIZE <= LINE_MAX,
            "FramePool SIZE must be at most console::LINE_MAX (consoles print no more of a record)"
        );
    };

    /// An empty pool; `const`, for a `static`.
    pub const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::GEOMETRY_OK;
        FramePool {
            claimed: AtomicU32::new(0),
            slots: [const { Slot::new() }; FRAMES],
            stored: AtomicU32::new(0),
            exhausted: AtomicU32::new(0),
            too_long: AtomicU32::new(0),
            reentrant: AtomicU32::new(0),
            not_stored: AtomicU32::new(0),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> FrameStats {
        // Ordering: Relaxed; statistics.
        FrameStats {
            stored: self.stored.load(Ordering::Relaxed),
            exhausted: self.exhausted.load(Ordering::Relaxed),
            too_long: self.too_long.load(Ordering::Relaxed),
            reentrant: self.reentrant.load(Ordering::Relaxed),
            not_stored: self.not_stored.load(Ordering::Relaxed),
        }
    }

    /// Frames open right now.
    pub fn open_frames(&self) -> u32 {
        // Ordering: Relaxed; a snapshot for tests and statistics.
        self.claimed.load(Ordering::Relaxed).count_ones()
    }

    fn bump(counter: &AtomicU32) {
        // Ordering: Relaxed; statistics counter.
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The index of the slot holding `caller`'s open frame.
    fn find(&self, caller: Caller) -> Option<usize> {
        let t = tag(caller);
        // Ordering: Relaxed; a context only ever matches the tag it stored
        // itself (program order), and never another context's.
        self.slots
            .iter()
            .position(|s| s.owner.load(Ordering::Relaxed) == t)
    }

    /// defmt's `acquire` for `caller`: claims a buffer and starts a frame.
    pub fn acquire(&self, caller: Caller) {
        if let Some(i) = self.find(caller) {
            // Ordering: Relaxed; only the owning context counts its nesting.
            self.slots[i].nested.fetch_add(1, Ordering::Relaxed);
            Self::bump(&self.reentrant);
            return;
        }
        // Ordering: Relaxed; only a starting value for the CAS below.
        let mut m = self.claimed.load(Ordering::Relaxed);
        for _ in 0..CLAIM_ATTEMPTS {
            let free = !m & Self::ALL;
            if free == 0 {
                break;
            }
            let i = free.trailing_zeros();
            // Ordering: Acquire on success; pairs with the Release
            // `fetch_and` in `release` that freed this slot, so the
            // previous frame's last use happens-before ours.
            match self.claimed.compare_exchange_weak(
                m,
                m | (1 << i),
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    let slot = &self.slots[i as usize];
                    // Nobody else can enter a slot just claimed.
                    slot.enter(|f| {
                        *f = Frame::new();
                        f.step(|e, out| e.start_frame(out));
                    });
                    // Ordering: Relaxed; nested is reset before the tag is
                    // published, in this context's program order.
                    slot.nested.store(0, Ordering::Relaxed);
                    // Ordering: Relaxed; read back by this context (see `find`).
                    slot.owner.store(tag(caller), Ordering::Relaxed);
                    return;
                }
                Err(now) => m = now,
            }
        }
        Self::bump(&self.exhausted);
    }

    /// defmt's `write` for `caller`: encodes a piece of its open frame.
    pub fn write(&self, caller: Caller, bytes: &[u8]) {
        let Some(i) = self.find(caller) else {
            return; // acquire found no buffer: the frame is being dropped
        };
        let slot = &self.slots[i];
        // Ordering: Relaxed; only the owning context changes it.
        if slot.nested.load(Ordering::Relaxed) > 0 {
            return;
        }
        slot.enter(|f| {
            f.raw += bytes.len();
            f.step(|e, out| e.write(bytes, out));
        });
    }

    /// defmt's `release` for `caller`: ends its frame, hands the encoded
    /// frame to `store` (which returns whether it kept it) and frees the
    /// buffer. Returns whether a frame was stored.
    pub fn release(&self, caller: Caller, store: impl FnOnce(&[u8]) -> bool) -> bool {
        let Some(i) = self.find(caller) else {
            return false;
        };
        let slot = &self.slots[i];
        // Ordering: Relaxed; only the owning context changes it.
        if slot.nested.load(Ordering::Relaxed) > 0 {
            // Ordering: Relaxed; as above.
            slot.nested.fetch_sub(1, Ordering::Relaxed);
            return false;
        }
        let end = slot.enter(|f| {
            f.step(|e, out| e.end_frame(out));
            if f.raw == 0 {
                End::Empty // acquire/release with nothing logged (defmt::flush)
            } else if f.overflow {
                End::TooLong
            } else if store(&f.buf[..f.len]) {
                End::Stored
            } else {
                End::NotStored
            }
        });
        match end {
            Some(End::Stored) => Self::bump(&self.stored),
            Some(End::TooLong) => Self::bump(&self.too_long),
            Some(End::NotStored) => Self::bump(&self.not_stored),
            Some(End::Empty) => {}
            None => Self::bump(&self.reentrant),
        }
        // Ordering: Relaxed; the tag is this context's, cleared before the
        // slot is freed by the Release below.
        slot.owner.store(0, Ordering::Relaxed);
        // Ordering: Release; pairs with the Acquire claim CAS in `acquire`
        // of the next context to take this slot.
        self.claimed.fetch_and(!(1u32 << i), Ordering::Release);
        end == Some(End::Stored)
    }
}

/// How a frame ended.
#[derive(PartialEq)]
enum End {
    Empty,
    TooLong,
    Stored,
    NotStored,
}

impl<const FRAMES: usize, const SIZE: usize> Default for FramePool<FRAMES, SIZE> {
    fn default() -> Self {
        Self::new()
    }
}

/// What the defmt global logger needs from a logger; implemented for
/// [`Logger`].
pub trait FrameTarget: Sync {
    /// Largest record payload the logger's ring stores.
    const MAX_PAYLOAD: usize;
    /// The calling context.
    fn caller(&self) -> Caller;
    /// Stores a whole encoded frame as one binary record of `level`;
    /// returns whether it was stored.
    fn store_frame(&self, caller: Caller, level: Level, frame: &[u8]) -> bool;
    /// Prints what this context may, or wakes the printer.
    fn print_or_defer(&self);
}

impl<P: Platform, const W: usize, const S: usize, const C: usize> FrameTarget
    for Logger<P, W, S, C>
{
    const MAX_PAYLOAD: usize = Ring::<W, S>::MAX_PAYLOAD;
    fn caller(&self) -> Caller {
        P::caller()
    }
    fn store_frame(&self, caller: Caller, level: Level, frame: &[u8]) -> bool {
        if !self.enabled(level) {
            return false;
        }
        let meta = RecordMeta::new(level)
            .flags(Flags::BINARY)
            .timestamp(P::now())
            .context(caller.context_id().0);
        self.ring().write(meta, frame).is_ok()
    }
    fn print_or_defer(&self) {
        Logger::print_or_defer(self);
    }
}

impl<const FRAMES: usize, const SIZE: usize> FramePool<FRAMES, SIZE> {
    /// defmt's `acquire` for `target`'s calling context.
    pub fn acquire_for(&self, target: &impl FrameTarget) {
        self.acquire(target.caller());
    }

    /// defmt's `write` for `target`'s calling context.
    pub fn write_for(&self, target: &impl FrameTarget, bytes: &[u8]) {
        self.write(target.caller(), bytes);
    }

    /// defmt's `release` for `target`'s calling context: stores the frame
    /// as a binary record of `level`, frees the buffer, then prints or
    /// defers like any log call.
    pub fn release_to<T: FrameTarget>(&self, target: &T, level: Level) {
        const {
            assert!(
                SIZE <= T::MAX_PAYLOAD,
                "FramePool SIZE exceeds the ring's largest record"
            )
        };
        let caller = target.caller();
        if self.release(caller, |frame| target.store_frame(caller, level, frame)) {
            target.print_or_defer();
        }
    }
}

/// Makes a [`Logger`] the defmt global logger, with a [`FramePool`] for
/// frames being written:
/// `defmt_global_logger!(LOG, POOL)` or `defmt_global_logger!(LOG, POOL, Level::Debug)`
/// (the level defmt records carry in the ring; default `Info`).
/// Use it once, in the binary crate. See the [module documentation](crate::frontends::defmt).
#[macro_export]
macro_rules! defmt_global_logger {
    ($logger:path, $pool:path) => {
        $crate::defmt_global_logger!($logger, $pool, $crate::Level::Info);
    };
    ($logger:path, $pool:path, $level:expr) => {
        const _: () = {
            use $crate::frontends::defmt::__defmt as defmt;

            #[defmt::global_logger]
            struct LogbufDefmt;

            // SAFETY: `acquire` is safe from any context: the frame pool
            // keeps one frame per execution context (core, context id)
            // with atomics only, and never lets two contexts share a frame.
            unsafe impl defmt::Logger for LogbufDefmt {
                fn acquire() {
                    $pool.acquire_for(&$logger)
                }
                unsafe fn flush() {
                    $crate::frontends::defmt::FrameTarget::print_or_defer(&$logger)
                }
                unsafe fn release() {
                    $pool.release_to(&$logger, $level)
                }
                unsafe fn write(bytes: &[u8]) {
                    $pool.write_for(&$logger, bytes)
                }
            }
        };
    };
}

#[cfg(test)]
mod tests;
