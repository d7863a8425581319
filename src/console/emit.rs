//! One console's printing step: the state machine every console goes
//! through, one short step at a time (Linux nbcon's
//! `nbcon_emit_next_record` is the model: a step that delegates).
//!
//! ```text
//!   step ─┬─ account   writer-side drops (never stored) join the count due
//!         ├─ replay    after a panic takeover: marker, then the cut unit
//!         ├─ collect   read ahead from the ring into the console's batch
//!         ├─ next_unit front record (+ the notice of what was dropped
//!         │            before it), or a lone notice when nothing follows
//!         ├─ emit      render the unit into the sink, resuming at `offset`
//!         └─ settle    count the outcome: printed / announced / failed
//! ```
//!
//! # Useful under overload (I9)
//!
//! A console reads records **ahead** of its sink into its own batch (up to
//! 8 records, 512 bytes): what it has read is
//! printed whole even if the ring overwrites it meanwhile. A notice of
//! dropped records is printed **with** the record that follows the gap —
//! already read, so it cannot vanish while the notice goes out — and never
//! alone while records follow, so two notices never follow each other.
//!
//! Which records go into the batch is decided one record at a time, in
//! sequence order (per-producer order is kept):
//!
//! * a record at or above the severity kept under overload (WARN by
//!   default, `Config::keep_level`) is always taken, and starts a **run**:
//!   the `RUN - 1` (3) records right after it are taken too, so that a
//!   notice before it is followed by several real lines, and the severe
//!   record keeps its context;
//! * while the ring does not overwrite, everything is taken in order;
//! * otherwise the console estimates whether a low-severity record will
//!   still be in the ring when its turn comes: it measures the ring's
//!   **turnover per line it prints** (how far the ring's oldest record
//!   moved while one of its lines went out) and compares the record's
//!   distance from the oldest record with the lines already read ahead
//!   times that turnover. A record that survives waits in the ring; one
//!   that will not is **skipped** (counted as `skipped`, announced like any
//!   other drop), so the cursor gets to the severe records and to where
//!   the records survive until printed. With the batch empty, a run of
//!   `RUN` records starts at the first record that survives, or at the
//!   newest ones.
//!
//! Measured in `tests/overload.rs` (115200 baud, 80-byte lines, 2x to
//! 1000x the line rate, 8 KiB and 64 KiB rings): 86-100 % of the UART's
//! bytes go to real records, and every WARN record amid the flood reaches
//! it.

use super::render::{render_line, render_notice, LineFormat, SinkOut, REPLAY_MARKER};
use super::state::{Console, ConsoleState, Unit, LINE_MAX};
use crate::ring::{Flags, Header, Read, Ring};
use crate::sinks::{RecordFormat, Sink, SinkError};
use crate::Level;
use core::fmt::{self, Write as _};

/// Records taken together under overload: one notice, then this many lines.
pub(crate) const RUN: u8 = 4;

/// Records one step reads from the ring at most (taken, skipped or
/// filtered), so that one step's cost is bounded whatever the backlog: in
/// an interrupt-context (or panic) call, and in the printer context, which
/// has to skip a flood's records fast enough to keep up with it.
const READS_PER_STEP_ATOMIC: usize = 8;
const READS_PER_STEP: usize = 32;

/// Outcome of one step on one console.
pub(crate) enum Step {
    /// Something was done (bytes sent, or records read, skipped, filtered).
    Progress { bytes: u32 },
    /// Nothing to do.
    Idle,
    /// Would block, or a thread-only sink in interrupt context.
    Stuck { deferred: bool },
}

/// What a step may do, fixed by the context that prints.
pub(crate) struct StepCtx {
    /// Only sinks that may be written from any context (interrupt, panic).
    pub any_context_only: bool,
    /// The panic flush: dedicated consoles too, whoever held them.
    pub hostile: bool,
    /// Would-block retries per write (the panic flush polls).
    pub spins: u32,
    /// Clock, for notices.
    pub now: u64,
    pub line: LineFormat,
    /// Severity kept ahead of floods under overload.
    pub keep: Level,
}

/// One unit of work on one console. Called only by the lock owner inside
/// a record (between `enter_unsafe` and `exit_unsafe`).
pub(crate) fn step<const W: usize, const S: usize>(
    ring: &Ring<W, S>,
    console: &Console,
    cx: &StepCtx,
) -> Step {
    if console.is_disabled() {
        return Step::Idle;
    }
    console.with(|sink, st| {
        let Some(sink) = sink else { return Step::Idle };
        let sink: &mut dyn Sink = &mut **sink;
        if cx.any_context_only && !sink.any_context() {
            return defer(ring, st);
        }
        account(ring, console, st);
        if st.replay {
            replay(console, sink, st, cx);
        }
        let reads = if cx.any_context_only {
            READS_PER_STEP_ATOMIC
        } else {
            READS_PER_STEP
        };
        let read = collect(ring, console, st, cx.keep, sink.format(), reads);
        if st.unit == Unit::None {
            st.unit = next_unit(st, cx.now, read);
        }
        match st.unit {
            Unit::None if read.progressed => Step::Progress { bytes: 0 },
            Unit::None => idle(sink, st),
            _ => emit(console, sink, st, cx),
        }
    })
}

/// A thread-only sink asked to print from interrupt or panic context: leave
/// it to the printer if it has work.
fn defer<const W: usize, const S: usize>(ring: &Ring<W, S>, st: &ConsoleState) -> Step {
    let work = !st.batch.is_empty()
        || st.unit != Unit::None
        || st.unannounced > 0
        || ring.has_unread(&st.cursor);
    if work {
        Step::Stuck { deferred: true }
    } else {
        Step::Idle
    }
}

/// Records writers could not store at all: every console announces them.
fn account<const W: usize, const S: usize>(
    ring: &Ring<W, S>,
    console: &Console,
    st: &mut ConsoleState,
) {
    let lost = ring.dropped().unstored();
    let new = lost.wrapping_sub(st.unstored_seen);
    if new != 0 {
        st.unstored_seen = lost;
        st.unannounced += new as u64;
        console.count_unstored(new);
    }
}

/// After a panic takeover cut this console mid-unit: a marker, then the
/// unit again — without its notice if the notice had gone out whole (it is
/// announced then, and must not be announced twice).
fn replay(console: &Console, sink: &mut dyn Sink, st: &mut ConsoleState, cx: &StepCtx) {
    st.replay = false;
    if st.offset == 0 && !console.in_write() {
        return;
    }
    let mut out = SinkOut::new(sink, 0, cx.spins);
    let _ = out.write_str(REPLAY_MARKER).and_then(|_| out.flush());
    if let Unit::Line { notice, ts } = st.unit {
        if notice > 0 && st.offset as usize >= notice_len(&cx.line, ts, notice) {
            console.count_announced(notice);
            st.unit = Unit::Line { notice: 0, ts };
        }
    }
    st.offset = 0;
    console.set_in_write(false);
}

/// Bytes of a rendered notice.
fn notice_len(line: &LineFormat, ts: u64, count: u64) -> usize {
    /// A sink that takes everything and keeps nothing.
    struct Count;
    impl Sink for Count {
        fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
            Ok(bytes.len())
        }
    }
    let mut sink = Count;
    let mut out = SinkOut::new(&mut sink, 0, 0);
    let _ = render_notice(line, ts, count, &mut out).and_then(|_| out.flush());
    out.sent
}

/// What [`collect`] found.
#[derive(Clone, Copy)]
struct Collected {
    /// Records were read (taken, skipped, filtered) or found missed.
    progressed: bool,
    /// The ring had nothing more to read.
    drained: bool,
}

/// What to do with one record read under the overload rules.
enum Take {
    /// Into the batch.
    Keep,
    /// Dropped to keep up (counted, announced).
    Skip,
    /// Not now: leave it in the ring and stop reading.
    Wait,
}

/// Reads ahead into the batch as far as the rules allow.
fn collect<const W: usize, const S: usize>(
    ring: &Ring<W, S>,
    console: &Console,
    st: &mut ConsoleState,
    keep: Level,
    format: RecordFormat,
    reads: usize,
) -> Collected {
    let mut found = Collected {
        progressed: false,
        drained: false,
    };
    // In the cursor's numbers, which count on past the ring's sequence
    // range where `oldest` and `newest` start again (after 2^25 records
    // for the default shape).
    let at = st.cursor.seq();
    let tail = Ring::<W, S>::near(ring.oldest().seq(), at);
    let head = Ring::<W, S>::near(ring.newest().seq(), at);
    let idle = st.batch.is_empty() && st.unit == Unit::None;
    measure_turnover(st, tail, idle);
    st.batch.compact();
    // Bounded work per step (I5): skipped and filtered records take no
    // batch room, so the reads are counted too.
    for _ in 0..reads {
        if !st.batch.has_room() {
            break;
        }
        let mut c = st.cursor;
        let free = st.batch.free();
        let room = free.len();
        let h = match ring.read(&mut c, free) {
            Read::Empty => {
                found.drained = true;
                break;
            }
            Read::Dropped(n) => {
                st.cursor = c;
                st.unannounced += n;
                console.count_overwritten(n);
                found.progressed = true;
                continue;
            }
            Read::Record(h) => h,
        };
        if (h.len as usize).min(LINE_MAX) > room {
            break; // a whole line does not fit now: after the batch drains
        }
        let choice = if admit(console, st, &h, format) {
            Some(overload_rule(st, &h, keep, tail, head))
        } else {
            None
        };
        match choice {
            Some(Take::Wait) => break,
            None => {}
            Some(Take::Skip) => {
                st.unannounced += 1;
                console.count_skipped();
            }
            Some(Take::Keep) => {
                let due = core::mem::take(&mut st.unannounced);
                st.batch.push(h, due);
            }
        }
        st.cursor = c;
        st.run_next = h.seq + 1;
        found.progressed = true;
    }
    found
}

/// Whether this console prints record `h` at all (level filter, format);
/// counts what it does not.
fn admit(console: &Console, st: &mut ConsoleState, h: &Header, format: RecordFormat) -> bool {
    let binary = h.flags.contains(Flags::BINARY);
    if !console.filter().allows(h.level) || (format == RecordFormat::Frames && !binary) {
        console.count_filtered();
        return false;
    }
    if format == RecordFormat::Frames && h.len as usize > LINE_MAX {
        // A cut frame would corrupt the stream: dropped, counted, announced.
        st.unannounced += 1;
        console.count_sink_failed();
        return false;
    }
    true
}

/// Updates the console's estimate of the ring's turnover per printed line:
/// how far the ring's oldest record moved while this console's lines went
/// out. Only time spent printing counts: while the console is idle (nothing
/// read ahead, nothing under way) the starting point follows the tail, so
/// a backlog built while nobody printed is not taken for turnover.
fn measure_turnover(st: &mut ConsoleState, tail: u64, idle: bool) {
    if st.lines_done > 0 {
        let now = tail.saturating_sub(st.tail_at_line) / st.lines_done as u64;
        st.turnover = (st.turnover + now).div_ceil(2);
        st.lines_done = 0;
        st.tail_at_line = tail;
    } else if idle || st.tail_at_line > tail {
        st.tail_at_line = tail;
    }
}

/// The overload rules (module docs) for record `h`, the ring holding
/// `tail..head`.
fn overload_rule(st: &mut ConsoleState, h: &Header, keep: Level, tail: u64, head: u64) -> Take {
    let continues = st.run_left > 0 && h.seq == st.run_next;
    if continues {
        st.run_left -= 1;
        return Take::Keep;
    }
    if h.level <= keep {
        st.run_left = RUN - 1;
        return Take::Keep;
    }
    st.run_left = 0;
    if st.turnover == 0 {
        return Take::Keep; // the ring does not overwrite: read in order
    }
    // Will this record still be in the ring when its turn comes (after the
    // lines already read ahead)? Records between us and the tail go first.
    let lines_before = st.batch.len() as u64 + 1;
    let survives = h.seq.saturating_sub(tail) > lines_before * st.turnover;
    let newest = h.seq + RUN as u64 > head;
    if st.batch.is_empty() && (survives || newest) {
        st.run_left = RUN - 1;
        return Take::Keep;
    }
    // The newest records are never skipped: the next run starts there.
    if survives || newest {
        Take::Wait
    } else {
        Take::Skip
    }
}

/// The unit to print next: the batch's front record with its notice, or a
/// lone notice once the ring is drained and drops remain unannounced.
fn next_unit(st: &mut ConsoleState, now: u64, read: Collected) -> Unit {
    if let Some(e) = st.batch.front_mut() {
        return Unit::Line {
            notice: core::mem::take(&mut e.dropped_before),
            ts: now,
        };
    }
    if st.unannounced > 0 && read.drained {
        return Unit::Notice {
            count: core::mem::take(&mut st.unannounced),
            ts: now,
        };
    }
    Unit::None
}

/// Nothing to print: push out what the sink buffered.
fn idle(sink: &mut dyn Sink, st: &mut ConsoleState) -> Step {
    if st.dirty {
        match sink.flush() {
            Err(SinkError::WouldBlock) => {}
            _ => st.dirty = false,
        }
    }
    Step::Idle
}

/// What one write of a unit (or part of one) did.
struct Sent {
    /// The rendering went out whole.
    done: bool,
    /// New bytes the sink took.
    sent: u32,
    /// Why it stopped, if it did.
    stopped: Option<SinkError>,
    /// Bytes of the unit the sink has taken in all (the resume offset).
    progress: u32,
}

/// Renders into the sink from rendered byte `skip` on, flagged as inside a
/// sink write (a panic takeover cuts it there), and flushes.
fn send(
    console: &Console,
    sink: &mut dyn Sink,
    skip: u32,
    spins: u32,
    render: impl FnOnce(&mut SinkOut<'_>) -> fmt::Result,
) -> Sent {
    let mut out = SinkOut::new(sink, skip as usize, spins);
    console.set_in_write(true);
    let r = render(&mut out).and_then(|_| out.flush());
    console.set_in_write(false);
    Sent {
        done: r.is_ok(),
        sent: out.sent as u32,
        stopped: out.stopped,
        progress: out.progress() as u32,
    }
}

/// Renders the current unit into the sink, resuming at `offset`. A notice
/// goes out first, on its own: once the sink has taken it, it is counted
/// and dropped from the unit before the record's bytes start, so a panic
/// takeover cutting the record replays the record alone.
fn emit(console: &Console, sink: &mut dyn Sink, st: &mut ConsoleState, cx: &StepCtx) -> Step {
    let format = sink.format();
    let mut sent_notice = 0;
    if let Unit::Line { notice, ts } = st.unit {
        if notice > 0 && format == RecordFormat::Lines {
            match emit_notice(console, sink, st, cx, notice, ts) {
                Ok(sent) => sent_notice = sent,
                Err(step) => return step,
            }
        }
    }
    let w = send(console, sink, st.offset, cx.spins, |out| {
        render_unit(&cx.line, format, st, out)
    });
    let (sent, stopped, progress) = (w.sent, w.stopped, w.progress);
    match (w.done, stopped) {
        (true, _) => settle_done(console, st, sent + sent_notice),
        (false, Some(SinkError::Failed)) => settle_failed(console, st, cx, format, sent),
        (false, _) => {
            st.offset = progress;
            Step::Stuck { deferred: false }
        }
    }
}

/// The notice of a line unit: `Ok(bytes sent)` once the sink took all of
/// it (counted as announced, the unit keeps only its record), or the step
/// to return.
fn emit_notice(
    console: &Console,
    sink: &mut dyn Sink,
    st: &mut ConsoleState,
    cx: &StepCtx,
    notice: u64,
    ts: u64,
) -> Result<u32, Step> {
    let w = send(console, sink, st.offset, cx.spins, |out| {
        render_notice(&cx.line, ts, notice, out)
    });
    match (w.done, w.stopped) {
        (true, _) => {
            console.count_announced(notice);
            st.unit = Unit::Line { notice: 0, ts };
            st.offset = 0;
            Ok(w.sent)
        }
        (false, Some(SinkError::Failed)) => {
            // Nothing lost: the unit is tried again later from its start.
            st.offset = 0;
            Err(Step::Stuck { deferred: false })
        }
        (false, _) => {
            st.offset = w.progress;
            Err(Step::Stuck { deferred: false })
        }
    }
}

fn render_unit(
    line: &LineFormat,
    format: RecordFormat,
    st: &ConsoleState,
    out: &mut SinkOut<'_>,
) -> fmt::Result {
    let (notice, ts) = match st.unit {
        Unit::Line { notice, ts } => (notice, ts),
        Unit::Notice { count, ts } => (count, ts),
        Unit::None => return Ok(()),
    };
    // Frame consoles (defmt) have no text notices: the count is in the
    // console's statistics only.
    if notice > 0 && format == RecordFormat::Lines {
        render_notice(line, ts, notice, out)?;
    }
    let (Unit::Line { .. }, Some(e)) = (st.unit, st.batch.front()) else {
        return Ok(());
    };
    let payload = st.batch.payload(e);
    match format {
        RecordFormat::Lines => render_line(line, &e.header(), payload, out),
        RecordFormat::Frames => out.write_bytes(payload),
    }
}

/// The unit went out whole.
fn settle_done(console: &Console, st: &mut ConsoleState, sent: u32) -> Step {
    match st.unit {
        Unit::Line { notice, .. } => {
            console.count_announced(notice);
            console.count_printed();
            st.lines_done += 1;
            st.batch.pop();
            st.dirty = true;
        }
        Unit::Notice { count, .. } => console.count_announced(count),
        Unit::None => {}
    }
    st.unit = Unit::None;
    st.offset = 0;
    Step::Progress { bytes: sent }
}

/// The sink failed for good on this unit. Within the notice: nothing is
/// lost, the unit is tried again later from its start. Within the record:
/// the record is dropped (counted, announced with the next one) and the
/// notice before it, which went out whole, counts as announced. A frame
/// console renders no notice (`render_unit`): all of its unit is the
/// record, however long a text notice would have been.
fn settle_failed(
    console: &Console,
    st: &mut ConsoleState,
    cx: &StepCtx,
    format: RecordFormat,
    sent: u32,
) -> Step {
    let done = (st.offset + sent) as usize;
    let (notice, ts) = match st.unit {
        Unit::Line { notice, ts } => (notice, ts),
        Unit::Notice { count, ts } => (count, ts),
        Unit::None => (0, 0),
    };
    let in_notice =
        format == RecordFormat::Lines && notice > 0 && done < notice_len(&cx.line, ts, notice);
    st.offset = 0;
    if in_notice || !matches!(st.unit, Unit::Line { .. }) {
        return Step::Stuck { deferred: false };
    }
    console.count_announced(notice);
    console.count_sink_failed();
    st.batch.pop();
    match st.batch.front_mut() {
        Some(e) => e.dropped_before += 1,
        None => st.unannounced += 1,
    }
    st.unit = Unit::None;
    Step::Progress { bytes: sent }
}

/// Prints a record that is not in the ring (a panic message the ring could
/// not store) straight to `console`, if it may be written from any context
/// and is between lines. Counted as printed.
pub(crate) fn print_direct(console: &Console, cx: &StepCtx, header: &Header, payload: &[u8]) {
    if console.is_disabled() {
        return;
    }
    console.with(|sink, st| {
        let Some(sink) = sink else { return };
        let sink: &mut dyn Sink = &mut **sink;
        if !sink.any_context() || st.unit != Unit::None || sink.format() != RecordFormat::Lines {
            return;
        }
        if send(console, sink, 0, cx.spins, |out| {
            render_line(&cx.line, header, payload, out)
        })
        .done
        {
            console.count_printed_unstored();
        }
    });
}
