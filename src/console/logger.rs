//! The logger: ring + console lock + consoles, and the printing loop.
//!
//! See the [console module](super) for the rules this code enforces.

use super::config::{Budget, Config, StoredConfig};
use super::context::{Caller, Platform, Priority};
use super::emit::{self, Step, StepCtx};
use super::lock::{Attempt, Boundary, ConsoleLock, Owner, Release};
use super::state::{Console, ConsoleStats};
use crate::counter::Counter;
use crate::ring::{RecordMeta, Ring};
use crate::sinks::Sink;
use crate::sync::{spin_hint, AtomicBool, AtomicU32, AtomicU8, Ordering};
use crate::{Level, LevelFilter};
use core::fmt::{self, Write as _};
use core::marker::PhantomData;

/// Logger-wide counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoggerStats {
    /// Direct handovers from an owner to a waiting caller or requester
    /// (counted once, by the owner that hands over).
    pub handoffs: u64,
    /// Takeovers (printer displacing a producer, emergency, panic).
    pub takeovers: u64,
    /// Waiters that gave up and withdrew.
    pub waiter_timeouts: u64,
    /// Calls to [`Platform::wake_printer`].
    pub printer_wakes: u64,
    /// Calls that stopped because their budget ran out.
    pub budget_exhausted: u64,
    /// The most console steps one interrupt-context log call performed.
    pub max_irq_records: u32,
    /// The sequence number the next record gets: records stored so far
    /// (including `dropped.overtaken`), exact modulo the ring's sequence
    /// range (see the ring's Limits). A console that is caught up has
    /// [`ConsoleStats::consumed`] equal to this.
    pub next_seq: u64,
    /// Records writers dropped ([`Ring::dropped`]).
    pub dropped: crate::ring::DropCounts,
}

impl LoggerStats {
    /// Records writers tried to log: the stored ones (`next_seq`) plus
    /// those the ring dropped before storing them (`dropped.unstored()`).
    /// A console that is caught up has `consumed() + unstored` equal to it.
    pub fn produced(&self) -> u64 {
        self.next_seq + self.dropped.unstored() as u64
    }
}

/// What [`Logger::printer`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrinterStatus {
    /// Every console is caught up.
    Idle,
    /// Some console would block; call again when it can take bytes.
    /// Nothing calls again by itself: wire the sink's TX-empty (or
    /// FIFO-half-empty) interrupt to [`Platform::wake_printer`] or to a call
    /// of [`Logger::printer`], or poll it from the idle loop.
    Blocked,
    /// Another context owns the consoles mid-record; it will print (it was
    /// told records are pending), or wake the printer again.
    Busy,
}

/// A registered console: what [`Logger::add_console`] returns and the
/// console calls take. It names one registration: once the console is
/// removed, the id is stale (calls with it fail with
/// [`ConsoleError::Gone`]) even if another sink is registered in its place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConsoleId {
    index: u16,
    generation: u32,
}

impl ConsoleId {
    /// The console's place, `0..CONSOLES` (not unique over time: see the
    /// type's docs).
    pub fn index(self) -> usize {
        self.index as usize
    }
}

/// Why a console call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsoleError {
    /// All `CONSOLES` places are taken.
    Full,
    /// Another context owns the consoles (or runs this console's printer)
    /// right now; nothing was changed: try again.
    Busy,
    /// The console was removed (a stale [`ConsoleId`]).
    Gone,
}

impl fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConsoleError::Full => "every console place is taken",
            ConsoleError::Busy => "another context owns the consoles; try again",
            ConsoleError::Gone => "the console was removed",
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A log call printing directly.
    Producer,
    /// The printer context: no budget, serves thread-only sinks.
    Printer,
    /// A fault handler.
    Emergency,
    /// The panic flush: polls would-block sinks.
    Panic,
}

enum Outcome {
    Done { blocked: bool },
    Exhausted,
    HandedOff,
    Lost,
}

/// The logger. See the [console module](super) for an example.
///
/// The console lock is not reachable from outside the crate: owning it
/// could put two contexts into one sink (I4), and a hostile takeover exists
/// only inside the `unsafe` [`Logger::panic_flush`]. Neither of these
/// compiles:
///
/// ```compile_fail,E0599
/// use logbuf::console::{Caller, Config, Logger, StdThreads};
/// static LOG: Logger<StdThreads, 1024, 16, 1> = Logger::new();
/// let _ = LOG.lock().hostile_takeover(Caller::thread(0, 0));
/// ```
/// ```compile_fail,E0603
/// use logbuf::console::ConsoleLock;
/// ```
pub struct Logger<
    P: Platform,
    const BYTES: usize = 8192,
    const SLOTS: usize = 128,
    const CONSOLES: usize = 1,
> {
    ring: Ring<BYTES, SLOTS>,
    lock: ConsoleLock,
    consoles: [Console; CONSOLES],
    /// A run-time configuration, stored as its difference from the
    /// platform's `CONFIG` (all zeros when it is that; read only with
    /// `RUNTIME_CONFIG`).
    config: StoredConfig,
    /// Runtime level filter, stored as `Trace - filter` (0 = Trace).
    level: AtomicU8,
    handoffs: Counter,
    takeovers: Counter,
    waiter_timeouts: Counter,
    printer_wakes: Counter,
    budget_exhausted: Counter,
    max_irq_records: AtomicU32,
    /// Nesting depth of `panic_flush` (a panic inside a sink while flushing).
    panic_depth: AtomicU32,
    /// Some console is dedicated: every log call wakes the printer.
    dedicated: AtomicBool,
    _platform: PhantomData<fn() -> P>,
}

// SAFETY: the `UnsafeCell`s (console sinks and state, the record buffer) are
// touched only by the console-lock owner inside a record (between
// `enter_unsafe` and `exit_unsafe`), so at most one context accesses them at
// a time and successive owners are ordered by the lock's Acquire/Release
// pairs (L2/L4/L5). The one exception is `panic_flush`, an `unsafe fn`
// whose caller guarantees the displaced owner never runs again. Sinks are
// `Send`, so handing them between contexts is allowed.
unsafe impl<P: Platform, const W: usize, const S: usize, const C: usize> Sync
    for Logger<P, W, S, C>
{
}

impl<P: Platform, const W: usize, const S: usize, const C: usize> Default for Logger<P, W, S, C> {
    fn default() -> Self {
        Self::new()
    }
}

/// Stack bytes a log call formats into before falling back to two passes.
const SHORT_LINE: usize = 96;

/// A line formatted on the stack; fails (stops formatting) when full.
struct ShortLine {
    buf: [u8; SHORT_LINE],
    len: usize,
}

impl fmt::Write for ShortLine {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > SHORT_LINE {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Writes into a [`ShortLine`] as much as fits, then drops the rest.
struct Cut<'a>(&'a mut ShortLine);

impl fmt::Write for Cut<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = SHORT_LINE - self.0.len;
        let mut n = s.len().min(room);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.0.write_str(&s[..n])
    }
}

struct ByteCount(usize);
impl fmt::Write for ByteCount {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

impl<P: Platform, const BYTES: usize, const SLOTS: usize, const CONSOLES: usize>
    Logger<P, BYTES, SLOTS, CONSOLES>
{
    crate::sync::loom_const_fn! {
        /// A logger with no consoles yet, configured by the platform's
        /// [`CONFIG`](Platform::CONFIG). `const` and all zero: a `static`
        /// logger lives in `.bss`.
        pub fn new() -> Self {
            Self::with_config(P::CONFIG)
        }
    }

    /// `config` as the logger stores it; panics (a compile error for a
    /// `static`) if it is not the platform's `CONFIG` and the platform does
    /// not allow run-time configuration.
    const fn stored_config(config: &Config) -> StoredConfig {
        let config = StoredConfig::new(config, &P::CONFIG);
        assert!(
            P::RUNTIME_CONFIG || config.is_base(),
            "this Platform has no RUNTIME_CONFIG: set Platform::CONFIG instead"
        );
        config
    }

    crate::sync::loom_const_fn! {
        /// A logger configured at run time, for platforms with
        /// [`RUNTIME_CONFIG`](Platform::RUNTIME_CONFIG) (host tests,
        /// simulations).
        ///
        /// # Panics
        ///
        /// If `config` is not the platform's `CONFIG` and the platform does
        /// not allow run-time configuration: for a `static`, that is a
        /// compile error.
        ///
        /// ```compile_fail,E0080
        /// use logbuf::console::{Caller, Config, Logger, Platform};
        /// struct Board; // no RUNTIME_CONFIG
        /// impl Platform for Board {
        ///     fn caller() -> Caller { Caller::thread(0, 0) }
        ///     fn now() -> u64 { 0 }
        ///     fn wake_printer() {}
        /// }
        /// static LOG: Logger<Board> = Logger::with_config(Config::PRINTER_ONLY);
        /// ```
        pub fn with_config(config: Config) -> Self {
            let config = Self::stored_config(&config);
            Logger {
                ring: Ring::new(),
                lock: ConsoleLock::new(),
                consoles: crate::sync::array_of!(Console::new(); CONSOLES),
                config,
                level: AtomicU8::new(crate::level::stored_filter(LevelFilter::Trace)),
                handoffs: Counter::new(),
                takeovers: Counter::new(),
                waiter_timeouts: Counter::new(),
                printer_wakes: Counter::new(),
                budget_exhausted: Counter::new(),
                max_irq_records: AtomicU32::new(0),
                panic_depth: AtomicU32::new(0),
                dedicated: AtomicBool::new(false),
                _platform: PhantomData,
            }
        }
    }

    /// Sets up a logger in memory the runtime does not zero (a `.uninit`
    /// section), keeping the log of the previous boot: the ring is
    /// validated and repaired ([`Ring::recover`]); the lock, the consoles
    /// and the counters start fresh (register the consoles again). Records
    /// from before the reset carry
    /// [`Flags::PREVIOUS_BOOT`](crate::ring::Flags::PREVIOUS_BOOT) and are
    /// printed with a `(previous boot)` marker.
    ///
    /// ```no_run
    /// use core::mem::MaybeUninit;
    /// use logbuf::console::{Logger, StdThreads};
    ///
    /// type Log = Logger<StdThreads, 16384, 256>;
    /// #[link_section = ".uninit.logbuf"]
    /// static mut LOG_RAM: MaybeUninit<Log> = MaybeUninit::uninit();
    ///
    /// // At boot, once, before anything logs:
    /// // SAFETY: first and only use of LOG_RAM.
    /// let (log, report) = unsafe {
    ///     Log::recover_in_place(&mut *core::ptr::addr_of_mut!(LOG_RAM))
    /// };
    /// # let _ = (log, report);
    /// ```
    ///
    /// # Safety
    ///
    /// Call once, before any other use of `mem`, with no other context
    /// touching it. `mem` may hold anything (random power-on RAM included).
    #[cfg(not(loom))]
    pub unsafe fn recover_in_place(
        mem: &'static mut core::mem::MaybeUninit<Self>,
    ) -> (&'static Self, crate::ring::Recovery) {
        // SAFETY: the caller's contract, passed on.
        unsafe { Self::recover_in_place_with(mem, P::CONFIG) }
    }

    /// [`Logger::recover_in_place`] with a configuration chosen at run time,
    /// as [`Logger::with_config`] (same panic).
    ///
    /// # Safety
    ///
    /// As for [`Logger::recover_in_place`].
    #[cfg(not(loom))]
    pub unsafe fn recover_in_place_with(
        mem: &'static mut core::mem::MaybeUninit<Self>,
        config: Config,
    ) -> (&'static Self, crate::ring::Recovery) {
        let config = Self::stored_config(&config);
        use core::ptr::addr_of_mut;
        let p = mem.as_mut_ptr();
        // SAFETY: `p` points to memory for a whole Logger that only we use
        // (caller's contract). `addr_of_mut!` projects to each field without
        // reading it; every field except the ring is written fresh, and the
        // ring is made valid by `recover_in_place` (words only, any value is
        // a ring, then repaired).
        unsafe {
            let report =
                Ring::recover_in_place(addr_of_mut!((*p).ring), crate::ring::Policy::Overwrite);
            addr_of_mut!((*p).lock).write(ConsoleLock::new());
            addr_of_mut!((*p).consoles).write([const { Console::new() }; CONSOLES]);
            addr_of_mut!((*p).config).write(config);
            addr_of_mut!((*p).level).write(AtomicU8::new(crate::level::stored_filter(
                LevelFilter::Trace,
            )));
            addr_of_mut!((*p).handoffs).write(Counter::new());
            addr_of_mut!((*p).takeovers).write(Counter::new());
            addr_of_mut!((*p).waiter_timeouts).write(Counter::new());
            addr_of_mut!((*p).printer_wakes).write(Counter::new());
            addr_of_mut!((*p).budget_exhausted).write(Counter::new());
            addr_of_mut!((*p).max_irq_records).write(AtomicU32::new(0));
            addr_of_mut!((*p).panic_depth).write(AtomicU32::new(0));
            addr_of_mut!((*p).dedicated).write(AtomicBool::new(false));
            addr_of_mut!((*p)._platform).write(PhantomData);
            (mem.assume_init_ref(), report)
        }
    }

    /// The ring records are stored in.
    pub fn ring(&self) -> &Ring<BYTES, SLOTS> {
        &self.ring
    }

    /// The console lock, for the loom models only (see the type's docs: it
    /// cannot be reached from outside the crate).
    #[cfg(all(test, loom))]
    pub(crate) fn lock(&self) -> &ConsoleLock {
        &self.lock
    }

    /// Who owns the consoles right now, if anyone (a snapshot).
    pub fn console_owner(&self) -> Option<super::ConsoleOwner> {
        self.lock.view().map(Into::into)
    }

    /// Holds the consoles between records, as the calling context: nothing
    /// is printed directly until the hold is dropped (records are still
    /// stored); the printer, an emergency or a panic may take over (see
    /// [`ConsoleHold`](super::ConsoleHold)). `None` if another context owns
    /// them.
    pub fn hold_consoles(&self) -> Option<super::ConsoleHold<'_>> {
        match self
            .lock
            .acquire_or_mark(P::caller(), Priority::Normal, true)
        {
            Attempt::Acquired(owner) => Some(super::ConsoleHold {
                lock: &self.lock,
                owner,
                wake: P::wake_printer,
            }),
            Attempt::Busy(_) => None,
        }
    }

    /// The configuration: the platform's [`CONFIG`](Platform::CONFIG), a
    /// constant (or, with [`RUNTIME_CONFIG`](Platform::RUNTIME_CONFIG), the
    /// one given to [`Logger::with_config`]).
    #[inline(always)]
    pub fn config(&self) -> Config {
        if P::RUNTIME_CONFIG {
            self.config.get(&P::CONFIG)
        } else {
            P::CONFIG
        }
    }

    /// Runtime level filter for storing records (all consoles).
    pub fn set_level(&self, filter: LevelFilter) {
        // Ordering: Relaxed; a filter setting, no data depends on it.
        self.level
            .store(crate::level::stored_filter(filter), Ordering::Relaxed);
    }

    /// Whether a record of `level` would be stored.
    #[inline]
    pub fn enabled(&self, level: Level) -> bool {
        // Ordering: Relaxed; see `set_level`.
        crate::level::filter_from_stored(self.level.load(Ordering::Relaxed)).allows(level)
    }

    /// Registers a console; it starts at the oldest record still held, so
    /// what was logged before it existed is printed too — by the printer
    /// (woken here) or the next log call: registering prints nothing, so it
    /// costs the same from any context.
    pub fn add_console(
        &self,
        sink: &'static mut dyn Sink,
        filter: LevelFilter,
    ) -> Result<ConsoleId, ConsoleError> {
        self.install_console(sink, filter, false)
    }

    /// Registers a console that only its own printer serves
    /// ([`Logger::console_printer`]): for a sink that is synchronously slow
    /// (a blocking UART at 115200 baud spends 7 ms in one 80-byte write), run
    /// its printer in a context of its own (a low-priority task or
    /// interrupt) and it paces no other console (Linux nbcon's printer per
    /// console). Log calls then always wake the printer. The shared
    /// printing loop and [`Logger::emergency_flush`] leave a dedicated
    /// console alone; [`Logger::panic_flush`] prints it too.
    pub fn add_dedicated_console(
        &self,
        sink: &'static mut dyn Sink,
        filter: LevelFilter,
    ) -> Result<ConsoleId, ConsoleError> {
        self.install_console(sink, filter, true)
    }

    fn install_console(
        &self,
        sink: &'static mut dyn Sink,
        filter: LevelFilter,
        dedicated: bool,
    ) -> Result<ConsoleId, ConsoleError> {
        let mut sink = Some(sink);
        let result = self.with_consoles(|| {
            let (index, c) = self
                .consoles
                .iter()
                .enumerate()
                .find(|(_, c)| !c.is_registered())
                .ok_or(ConsoleError::Full)?;
            let sink = sink.take().ok_or(ConsoleError::Busy)?;
            let generation = c.install(
                sink,
                filter,
                self.ring.oldest(),
                self.ring.dropped().unstored(),
                dedicated,
            );
            if dedicated {
                // Ordering: Relaxed; a hint for log calls to wake the
                // printer, set once.
                self.dedicated.store(true, Ordering::Relaxed);
            }
            Ok(ConsoleId {
                index: index as u16,
                generation,
            })
        });
        // Bounded (I5): registering prints nothing here; what the ring
        // already holds is the printer's (or the next log call's) to print.
        if result.is_ok() {
            self.wake_printer();
        }
        result
    }

    /// Runs `f` owning the consoles between records, as the calling
    /// context, and prints nothing: `Busy` if another context owns them.
    /// Records stored meanwhile are left to the printer.
    fn with_consoles<R>(
        &self,
        f: impl FnOnce() -> Result<R, ConsoleError>,
    ) -> Result<R, ConsoleError> {
        let owner = match self
            .lock
            .acquire_or_mark(P::caller(), Priority::Normal, false)
        {
            Attempt::Acquired(o) => o,
            Attempt::Busy(_) => return Err(ConsoleError::Busy),
        };
        if self.lock.enter_unsafe(&owner).is_err() {
            return Err(ConsoleError::Busy);
        }
        let result = f();
        if self.lock.exit_unsafe(&owner) == Boundary::Continue
            && self.lock.release_exhausted(&owner) == Release::Released
        {
            // Records stored while we held the lock are the printer's.
            self.wake_printer();
        }
        result
    }

    /// The console registered at place `index` now (`0..CONSOLES`), if any.
    pub fn console_at(&self, index: usize) -> Option<ConsoleId> {
        let c = self.consoles.get(index).filter(|c| c.is_registered())?;
        Some(ConsoleId {
            index: index as u16,
            generation: c.generation(),
        })
    }

    /// The console `id` names, if it is still registered.
    fn console(&self, id: ConsoleId) -> Result<&Console, ConsoleError> {
        self.consoles
            .get(id.index())
            .filter(|c| c.is_registered() && c.generation() == id.generation)
            .ok_or(ConsoleError::Gone)
    }

    /// Removes a console and gives its sink back. Prints nothing (any
    /// context may call it); `Busy` if another context owns the consoles
    /// or runs this console's printer right now. What the console had not
    /// printed yet is not printed to it any more.
    pub fn remove_console(&self, id: ConsoleId) -> Result<&'static mut dyn Sink, ConsoleError> {
        self.with_consoles(|| {
            let c = self.console(id)?;
            if c.is_dedicated() && !c.claim() {
                return Err(ConsoleError::Busy);
            }
            let sink = c.uninstall();
            if c.is_dedicated() {
                c.unclaim();
            }
            sink.ok_or(ConsoleError::Gone)
        })
    }

    /// Puts `sink` in place of console `id`'s sink and gives the old one
    /// back; the console keeps its place in the log, its filter and its
    /// counters, and the new sink gets the line in progress whole. Prints
    /// nothing. On failure the new sink comes back with the error.
    #[allow(clippy::type_complexity)]
    pub fn replace_sink(
        &self,
        id: ConsoleId,
        sink: &'static mut dyn Sink,
    ) -> Result<&'static mut dyn Sink, (ConsoleError, &'static mut dyn Sink)> {
        let mut new = Some(sink);
        let result = self.with_consoles(|| {
            let c = self.console(id)?;
            if c.is_dedicated() && !c.claim() {
                return Err(ConsoleError::Busy);
            }
            let swapped = match new.take() {
                Some(s) => c.swap_sink(s),
                None => return Err(ConsoleError::Busy),
            };
            if c.is_dedicated() {
                c.unclaim();
            }
            swapped.map_err(|s| {
                new = Some(s);
                ConsoleError::Gone
            })
        });
        match (result, new) {
            (Ok(old), _) => Ok(old),
            (Err(e), Some(sink)) => Err((e, sink)),
            (Err(_), None) => unreachable!("a failed swap hands the new sink back"),
        }
    }

    /// Sets one console's level filter.
    pub fn set_console_level(
        &self,
        id: ConsoleId,
        filter: LevelFilter,
    ) -> Result<(), ConsoleError> {
        self.console(id).map(|c| c.set_filter(filter))
    }

    /// Counters of one console; `None` once it was removed.
    pub fn console_stats(&self, id: ConsoleId) -> Option<ConsoleStats> {
        self.console(id).ok().map(|c| c.stats())
    }

    /// Logger-wide counters.
    pub fn stats(&self) -> LoggerStats {
        // Ordering: Relaxed; statistics.
        LoggerStats {
            handoffs: self.handoffs.get(),
            takeovers: self.takeovers.get(),
            waiter_timeouts: self.waiter_timeouts.get(),
            printer_wakes: self.printer_wakes.get(),
            budget_exhausted: self.budget_exhausted.get(),
            max_irq_records: self.max_irq_records.load(Ordering::Relaxed),
            next_seq: self.ring.newest().seq(),
            dropped: self.ring.dropped(),
        }
    }

    fn bump(counter: &Counter) {
        counter.add(1);
    }

    fn wake_printer(&self) {
        Self::bump(&self.printer_wakes);
        P::wake_printer();
    }

    /// Formats and stores a record, then prints or defers (see
    /// [`Logger::print_or_defer`]). Returns whether the record was stored.
    /// Lines up to 96 bytes are formatted once on the stack and copied in;
    /// longer ones are measured, then formatted straight into their
    /// reservation: no heap, a bounded stack.
    pub fn log(&self, level: Level, args: fmt::Arguments<'_>) -> bool {
        if !self.enabled(level) {
            return false;
        }
        let caller = P::caller();
        let stored = self.store(caller, level, args);
        self.after_store(caller);
        stored
    }

    /// Stores a record without printing (the printer or the next log call
    /// prints it). Returns whether it was stored.
    pub fn log_deferred(&self, level: Level, args: fmt::Arguments<'_>) -> bool {
        if !self.enabled(level) {
            return false;
        }
        let stored = self.store(P::caller(), level, args);
        self.lock_mark_pending();
        stored
    }

    /// Stores a preformatted payload (text, or a binary frame with
    /// [`Flags::BINARY`](crate::ring::Flags::BINARY) in `meta.flags`); the
    /// timestamp and context are filled in here. Then prints or defers.
    pub fn log_bytes(&self, mut meta: RecordMeta, payload: &[u8]) -> bool {
        if !self.enabled(meta.level) {
            return false;
        }
        let caller = P::caller();
        meta.timestamp = P::now();
        meta.context = caller.context_id().0;
        let stored = self.ring.write(meta, payload).is_ok();
        self.after_store(caller);
        stored
    }

    fn store(&self, caller: Caller, level: Level, args: fmt::Arguments<'_>) -> bool {
        let meta = RecordMeta::new(level)
            .timestamp(P::now())
            .context(caller.context_id().0);
        if let Some(s) = args.as_str() {
            return self.ring.write(meta, s.as_bytes()).is_ok();
        }
        // Most lines are short: format once into a small stack buffer and
        // copy. Only a line that overflows it is measured first and then
        // formatted straight into its reservation (no heap, bounded stack).
        let mut line = ShortLine {
            buf: [0; SHORT_LINE],
            len: 0,
        };
        if line.write_fmt(args).is_ok() {
            return self.ring.write(meta, &line.buf[..line.len]).is_ok();
        }
        let mut count = ByteCount(0);
        let _ = count.write_fmt(args);
        match self.ring.reserve(count.0, meta) {
            Ok(mut grant) => {
                let _ = grant.write_fmt(args);
                // A formatter that produced less the second time: pad.
                while grant.written() < grant.capacity() {
                    grant.write(b" ");
                }
                grant.commit().is_ok()
            }
            Err(_) => false,
        }
    }

    fn lock_mark_pending(&self) {
        // A deferred store still has to reach a printer: tell the owner (an
        // RMW, so it cannot miss us: I3), or wake the printer if nobody
        // prints.
        if !self.lock.mark_pending() {
            self.wake_printer();
        }
    }

    /// Prints what was stored, as far as this context may (call after
    /// storing records some other way, e.g. from a front end). Thread
    /// context prints up to its budget and may wait for a handover;
    /// interrupt context prints up to its budget, never waits for a thread
    /// owner, then wakes the printer (I5).
    pub fn print_or_defer(&self) {
        self.after_store(P::caller());
    }

    fn after_store(&self, caller: Caller) {
        // Ordering: Relaxed; see `install_console`.
        if self.dedicated.load(Ordering::Relaxed) {
            self.wake_printer();
        }
        let config = self.config();
        let budget = if caller.is_interrupt() {
            config.irq_budget
        } else {
            config.thread_budget
        };
        if !config.direct_print || budget.records == 0 {
            self.wake_printer();
            return;
        }
        match self.lock.acquire_or_mark(caller, Priority::Normal, true) {
            Attempt::Acquired(owner) => self.print_and_account(owner, caller, budget),
            Attempt::Busy(view) => {
                let may_wait = config.waiter_spins > 0
                    && view.owner_core != caller.core
                    && view.owner_is_producer
                    && view.owner_priority == Priority::Normal
                    && view.in_record
                    && !view.requested
                    && (!caller.is_interrupt() || config.handoff_to_irq);
                if may_wait && self.lock.request(Priority::Normal) {
                    for _ in 0..config.waiter_spins {
                        if let Some(owner) = self.lock.poll_handoff(caller, Priority::Normal, true)
                        {
                            self.print_and_account(owner, caller, budget);
                            return;
                        }
                        spin_hint();
                    }
                    match self.lock.withdraw(caller, Priority::Normal, true) {
                        Some(owner) => self.print_and_account(owner, caller, budget),
                        None => Self::bump(&self.waiter_timeouts),
                    }
                }
                // Otherwise leave: PENDING is set, the owner prints our record
                // before it releases (I3), or wakes the printer.
            }
        }
    }

    fn print_and_account(&self, owner: Owner, caller: Caller, budget: Budget) {
        let steps = self.print_as(owner, caller, budget, Mode::Producer);
        if caller.is_interrupt() {
            // Ordering: Relaxed; statistics.
            self.max_irq_records.fetch_max(steps, Ordering::Relaxed);
        }
    }

    /// The printer context's entry point: prints everything to every
    /// console (no budget), including thread-only sinks.
    ///
    /// Run it where printing may take long: an RTOS task, an async task, the
    /// idle loop, or the lowest-priority interrupt (pended by
    /// [`Platform::wake_printer`]). If a log call owns the consoles but is
    /// stuck between records (preempted), the printer takes over.
    pub fn printer(&self) -> PrinterStatus {
        let caller = P::caller();
        let owner = match self.lock.acquire_or_mark(caller, Priority::Normal, false) {
            Attempt::Acquired(o) => o,
            Attempt::Busy(_) => {
                let taken = if self.config().printer_takeover {
                    self.lock.takeover(caller, Priority::Normal, true)
                } else {
                    None
                };
                match taken {
                    Some(o) => {
                        Self::bump(&self.takeovers);
                        o
                    }
                    None => return PrinterStatus::Busy,
                }
            }
        };
        match self.run(owner, caller, Budget::UNLIMITED, Mode::Printer).0 {
            Outcome::Done { blocked: true } => PrinterStatus::Blocked,
            Outcome::Done { blocked: false } | Outcome::Exhausted => PrinterStatus::Idle,
            Outcome::HandedOff | Outcome::Lost => PrinterStatus::Busy,
        }
    }

    /// The printer of one dedicated console ([`Logger::add_dedicated_console`]):
    /// prints everything to it, without the console lock, so that its sink
    /// may take as long as it takes while log calls and the shared printer
    /// serve the other consoles. Run it from its own context whenever the
    /// printer is woken. `Busy` if another context runs it right now, or
    /// the console is not a dedicated one (or was removed).
    pub fn console_printer(&self, id: ConsoleId) -> PrinterStatus {
        let Some(c) = self.console(id).ok().filter(|c| c.is_dedicated()) else {
            return PrinterStatus::Busy;
        };
        if !c.claim() {
            return PrinterStatus::Busy;
        }
        // Removed (or removed and added again) between the look-up and the
        // claim: not ours to print.
        if self.console(id).is_err() {
            c.unclaim();
            return PrinterStatus::Busy;
        }
        let status = loop {
            let cx = self.step_ctx(false, 0);
            match emit::step(&self.ring, c, &cx) {
                Step::Progress { .. } => {}
                Step::Idle => break PrinterStatus::Idle,
                Step::Stuck { .. } => break PrinterStatus::Blocked,
            }
        };
        c.unclaim();
        status
    }

    /// For fault handlers: takes the consoles at a record boundary (directly,
    /// or by asking the owner on another core and waiting a bounded time,
    /// withdrawing on timeout) and prints everything. Returns false if the
    /// consoles could not be had (owner mid-record on this core, or it did
    /// not hand over in time); the records stay stored.
    pub fn emergency_flush(&self) -> bool {
        let caller = P::caller();
        let owner =
            match self.acquire_priority(caller, Priority::Emergency, self.config().emergency_spins)
            {
                Some(o) => o,
                None => return false,
            };
        self.print_as(owner, caller, Budget::UNLIMITED, Mode::Emergency);
        true
    }

    fn acquire_priority(&self, caller: Caller, prio: Priority, spins: u32) -> Option<Owner> {
        match self.lock.acquire_or_mark(caller, prio, false) {
            Attempt::Acquired(o) => Some(o),
            Attempt::Busy(view) => {
                if let Some(o) = self.lock.takeover(caller, prio, false) {
                    Self::bump(&self.takeovers);
                    return Some(o);
                }
                if view.owner_core == caller.core
                    || view.owner_priority >= prio
                    || !self.lock.request(prio)
                {
                    return None;
                }
                for _ in 0..spins {
                    if let Some(o) = self.lock.poll_handoff(caller, prio, false) {
                        return Some(o);
                    }
                    spin_hint();
                }
                self.lock.withdraw(caller, prio, false)
            }
        }
    }

    /// For the panic handler: stores the panic message, then flushes every
    /// record to every any-context sink, polling sinks that would block.
    /// If a sink panics during the flush and the panic handler calls this
    /// again, that sink's console is given up and the others are flushed.
    /// If another context owns the consoles, it is asked to hand over; if it
    /// does not in time (or runs on this core), the consoles are taken
    /// mid-record and a record cut that way is printed again after a marker.
    ///
    /// # Safety
    ///
    /// A hostile takeover lets this call use sinks and console state that
    /// the displaced owner was using. The caller guarantees that owner never
    /// runs again: call this only from a panic handler that does not return
    /// (on a single core the interrupted owner then never resumes; on
    /// several cores, stop the others first).
    pub unsafe fn panic_flush(&self, message: fmt::Arguments<'_>) -> usize {
        let caller = P::caller();
        // Ordering: Relaxed; only this core counts its own nesting.
        if self.panic_depth.fetch_add(1, Ordering::Relaxed) > 0 {
            // A panic while flushing (a sink panicked): the console whose
            // sink was being written is given up; the others go on.
            for c in &self.consoles {
                if c.in_write() {
                    c.disable();
                }
            }
        }
        // On one core every writer cut mid-record never resumes (the
        // contract above): step over their records instead of stopping.
        self.ring.overtake_unfinished();
        let stored = self.store(caller, Level::Error, message);
        let (owner, cut) =
            match self.acquire_priority(caller, Priority::Panic, self.config().panic_spins) {
                Some(o) => (o, false),
                None => {
                    Self::bump(&self.takeovers);
                    self.lock.hostile_takeover(caller)
                }
            };
        for c in &self.consoles {
            if cut || (c.is_dedicated() && c.is_claimed()) {
                c.mark_replay();
            }
        }
        let steps = self.run(owner, caller, Budget::UNLIMITED, Mode::Panic).1;
        if !stored {
            // The ring could not keep it (it is announced as dropped like
            // any record it refused): the message still goes out, directly,
            // marked as not stored.
            self.print_unstored(caller, message);
        }
        steps as usize
    }

    /// Prints a record the ring could not store straight to every
    /// any-context console that is between lines (panic flush only: we own
    /// the consoles).
    fn print_unstored(&self, caller: Caller, message: fmt::Arguments<'_>) {
        let mut line = ShortLine {
            buf: [0; SHORT_LINE],
            len: 0,
        };
        let _ = line.write_str("(not stored) ");
        let _ = Cut(&mut line).write_fmt(message);
        let header = crate::ring::Header {
            seq: 0,
            timestamp: P::now(),
            level: Level::Error,
            context: caller.context_id().0,
            flags: crate::ring::Flags::NONE,
            len: line.len as u16,
        };
        let owner = match self.acquire_priority(caller, Priority::Panic, 0) {
            Some(o) => o,
            None => self.lock.hostile_takeover(caller).0,
        };
        if self.lock.enter_unsafe(&owner).is_ok() {
            let cx = self.step_ctx(true, self.config().panic_spins);
            for console in &self.consoles {
                emit::print_direct(console, &cx, &header, &line.buf[..line.len]);
            }
            self.lock.exit_unsafe(&owner);
        }
        self.lock.release_exhausted(&owner);
    }

    fn print_as(&self, owner: Owner, caller: Caller, budget: Budget, mode: Mode) -> u32 {
        self.run(owner, caller, budget, mode).1
    }

    /// What a step may do in `mode`.
    fn step_ctx(&self, any_context_only: bool, spins: u32) -> StepCtx {
        let config = self.config();
        StepCtx {
            any_context_only,
            hostile: false,
            spins,
            now: P::now(),
            line: config.line,
            keep: config.keep_level,
        }
    }

    /// The printing loop: one step per console per pass (round robin, so a
    /// slow or blocked console never stalls the others), until everything
    /// is printed, the budget runs out, the lock is handed over or lost.
    fn run(&self, owner: Owner, caller: Caller, budget: Budget, mode: Mode) -> (Outcome, u32) {
        let any_context_only = match mode {
            Mode::Printer => false,
            Mode::Panic => true,
            Mode::Producer | Mode::Emergency => caller.is_interrupt(),
        };
        let spins = if mode == Mode::Panic {
            self.config().panic_spins
        } else {
            0
        };
        let mut spent = Spent {
            start: if budget.ticks != 0 { P::now() } else { 0 },
            steps: 0,
            bytes: 0,
            deferred: false,
        };
        loop {
            let mut cx = self.step_ctx(any_context_only, spins);
            // The panic flush also prints dedicated consoles: their printers
            // never run again (its contract).
            cx.hostile = mode == Mode::Panic;
            let pass = match self.pass(&owner, &cx, budget, &mut spent) {
                Ok(pass) => pass,
                Err(outcome) => return (outcome, spent.steps),
            };
            if pass.exhausted {
                return (self.leave_exhausted(&owner), spent.steps);
            }
            if pass.progressed {
                continue;
            }
            match self.lock.release(&owner) {
                Release::Released => {
                    if spent.deferred {
                        self.wake_printer();
                    }
                    let blocked = pass.blocked;
                    return (Outcome::Done { blocked }, spent.steps);
                }
                Release::HandedOff => {
                    Self::bump(&self.handoffs);
                    return (Outcome::HandedOff, spent.steps);
                }
                Release::Lost => return (Outcome::Lost, spent.steps),
                Release::Recheck => continue,
            }
        }
    }

    /// One step on every console, within the budget. `Err` if the lock was
    /// handed over or lost meanwhile.
    fn pass(
        &self,
        owner: &Owner,
        cx: &StepCtx,
        budget: Budget,
        spent: &mut Spent,
    ) -> Result<Pass, Outcome> {
        let mut pass = Pass::default();
        for console in &self.consoles {
            if spent.over(budget, P::now()) {
                pass.exhausted = true;
                break;
            }
            if !console.is_registered() || (console.is_dedicated() && !cx.hostile) {
                continue;
            }
            if self.lock.enter_unsafe(owner).is_err() {
                return Err(Outcome::Lost);
            }
            let step = emit::step(&self.ring, console, cx);
            match self.lock.exit_unsafe(owner) {
                Boundary::Continue => {}
                Boundary::HandedOff => {
                    Self::bump(&self.handoffs);
                    spent.steps += matches!(step, Step::Progress { .. }) as u32;
                    return Err(Outcome::HandedOff);
                }
                Boundary::Lost => return Err(Outcome::Lost),
            }
            match step {
                Step::Progress { bytes } => {
                    pass.progressed = true;
                    spent.steps += 1;
                    spent.bytes = spent.bytes.saturating_add(bytes);
                }
                Step::Idle => {}
                Step::Stuck { deferred } => {
                    pass.blocked |= !deferred;
                    spent.deferred |= deferred;
                }
            }
        }
        Ok(pass)
    }

    /// The budget ran out: release (or hand over) and leave the rest to the
    /// printer.
    fn leave_exhausted(&self, owner: &Owner) -> Outcome {
        Self::bump(&self.budget_exhausted);
        let r = self.lock.release_exhausted(owner);
        self.wake_printer();
        if r == Release::HandedOff {
            Self::bump(&self.handoffs);
            Outcome::HandedOff
        } else {
            Outcome::Exhausted
        }
    }
}

/// What one printing call has spent of its budget.
struct Spent {
    start: u64,
    steps: u32,
    bytes: u32,
    /// A thread-only sink had work it could not do here.
    deferred: bool,
}

impl Spent {
    fn over(&self, budget: Budget, now: u64) -> bool {
        self.steps >= budget.records
            || (budget.bytes != 0 && self.bytes >= budget.bytes)
            || (budget.ticks != 0 && now.wrapping_sub(self.start) >= budget.ticks)
    }
}

/// One round over the consoles.
#[derive(Default)]
struct Pass {
    progressed: bool,
    blocked: bool,
    exhausted: bool,
}
