//! A whole logger under arbitrary operations: log calls of every kind and
//! size from thread and interrupt context, printer / emergency / panic
//! flushes, a console lock held by a "preempted" owner, writers cut
//! mid-record, a clock that jumps or runs backwards, scripted sinks that
//! would block, fail, take a few bytes, take nothing, claim too much, or log
//! from inside `write`, and warm reboots through `Logger::recover_in_place`
//! (the first one on arbitrary RAM).
//!
//! At every settle point (sinks healthy again, printer run to idle) each
//! console must account for every record (I2): printed, filtered, missed
//! and failed add up to the records committed since it was added, every
//! loss is announced, every writer-side drop counted; and its output must
//! be the records themselves, in order, byte for byte (self-checking
//! payloads), with previous-boot and cut-writer records marked.

use super::lines::{self, Item};
use super::{pattern, payload_len, Input, MAX_OPS};
use logbuf::console::{
    Budget, Caller, Config, ConsoleHold, ContextId, LineFormat, Logger, Platform, PrinterStatus,
    LINE_MAX,
};
use logbuf::ring::{Dropped, Flags, Grant, RecordMeta, Recovery};
use logbuf::sinks::{RecordFormat, Sink, SinkError, TextMode};
use logbuf::{Level, LevelFilter};
use std::cell::{Cell, RefCell};
use std::mem::MaybeUninit;
use std::rc::Rc;

const BYTES: usize = 2048;
const SLOTS: usize = 16;
const CONSOLES: usize = 2;
type Log = Logger<Board, BYTES, SLOTS, CONSOLES>;
const MAX_PAYLOAD: usize = (BYTES / 4 - 3) * 4;

// ---------------------------------------------------------------- platform

thread_local! {
    static CALLER: Cell<Caller> = const { Cell::new(Caller::thread(0, 0)) };
    static CLOCK: Cell<u64> = const { Cell::new(0) };
    static STEP: Cell<i64> = const { Cell::new(1) };
    static SINKS: RefCell<[Script; CONSOLES]> = RefCell::new(Default::default());
    /// What a sink does when its script says "log from inside write".
    static NESTED: RefCell<Option<Hook>> = RefCell::new(None);
    /// The logger of the boot under way (for the sinks' books).
    static LOG: Cell<Option<&'static Log>> = const { Cell::new(None) };
}

/// Run by a sink whose script says "act from inside `write`".
type Hook = Box<dyn FnMut(u8)>;

/// The scripted platform: caller and clock are thread-locals.
pub struct Board;

impl Platform for Board {
    const RUNTIME_CONFIG: bool = true;
    fn caller() -> Caller {
        CALLER.get()
    }
    fn now() -> u64 {
        // The clock moves by STEP on every reading, backwards if negative.
        let t = CLOCK.get();
        CLOCK.set(t.wrapping_add_signed(STEP.get()));
        t
    }
    fn wake_printer() {}
}

// ------------------------------------------------------------------- sinks

#[derive(Default)]
struct Script {
    out: Vec<u8>,
    /// Output lengths at which a write failed (what was sent of that unit
    /// is abandoned by the console), and the records the console had
    /// printed whole by then.
    fails: Vec<(usize, u64)>,
    chunk: usize,
    /// Writes that succeed before `block_next` / `fail_next` / `zero_next`
    /// apply (so a unit can stop part-way).
    pass_next: u32,
    block_next: u32,
    fail_next: u32,
    zero_next: u32,
    block_always: bool,
    fail_always: bool,
    any_context: bool,
    frames: bool,
    /// Text written as it is ([`TextMode::Raw`]).
    raw: bool,
    overclaim: bool,
    nested: u32,
    nested_kind: u8,
}

struct FuzzSink<const I: usize>;

impl<const I: usize> Sink for FuzzSink<I> {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        let nested = SINKS.with(|s| {
            let s = &mut s.borrow_mut()[I];
            (s.nested > 0).then(|| {
                s.nested -= 1;
                s.nested_kind
            })
        });
        if let Some(kind) = nested {
            let hook = NESTED.with(|n| n.borrow_mut().take());
            if let Some(mut hook) = hook {
                hook(kind);
                NESTED.with(|n| *n.borrow_mut() = Some(hook));
            }
        }
        SINKS.with(|s| {
            let s = &mut s.borrow_mut()[I];
            if s.pass_next > 0 {
                s.pass_next -= 1;
            } else if s.fail_always || s.fail_next > 0 {
                s.fail_next = s.fail_next.saturating_sub(1);
                let printed = LOG.get().and_then(|log| {
                    let id = log.console_at(I)?;
                    Some(log.console_stats(id)?.printed)
                });
                s.fails
                    .push((s.out.len(), printed.expect("a registered console")));
                return Err(SinkError::Failed);
            } else if s.block_always || s.block_next > 0 {
                s.block_next = s.block_next.saturating_sub(1);
                return Err(SinkError::WouldBlock);
            } else if s.zero_next > 0 {
                s.zero_next -= 1;
                return Ok(0);
            }
            let n = if s.chunk == 0 {
                bytes.len()
            } else {
                bytes.len().min(s.chunk)
            };
            s.out.extend_from_slice(&bytes[..n]);
            // A sink may claim more than it was given; never fewer than it took.
            Ok(if s.overclaim && n == bytes.len() {
                n + 3
            } else {
                n
            })
        })
    }
    fn any_context(&self) -> bool {
        SINKS.with(|s| s.borrow()[I].any_context)
    }
    fn format(&self) -> RecordFormat {
        if SINKS.with(|s| s.borrow()[I].frames) {
            RecordFormat::Frames
        } else {
            RecordFormat::Lines
        }
    }
    fn text_mode(&self) -> TextMode {
        if SINKS.with(|s| s.borrow()[I].raw) {
            TextMode::Raw
        } else {
            TextMode::Escaped
        }
    }
}

fn sink_for(i: usize) -> &'static mut dyn Sink {
    // Zero-sized: leaking the box allocates nothing.
    match i {
        0 => Box::leak(Box::new(FuzzSink::<0>)),
        _ => Box::leak(Box::new(FuzzSink::<1>)),
    }
}

// ------------------------------------------------------------------- model

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EState {
    /// Committed in the ring.
    Stored,
    /// Reserved by a grant still held.
    Held,
    /// Reserved by a writer a reset cut: recovered as incomplete.
    Abandoned,
    /// Reserved by a grant the ring overtook (the tail needed its words,
    /// or a panic flush stepped over it): it has a sequence number, no
    /// reader ever gets it (consoles count it missed), its commit fails.
    Overtaken,
    /// The ring refused it (counted as lost).
    Dropped,
    /// Below the logger's level: never stored, not a loss.
    Off,
}

#[derive(Clone, Debug)]
struct Entry {
    boot: u32,
    level: Level,
    ctx: u8,
    /// The payload as stored.
    text: Vec<u8>,
    binary: bool,
    truncated: bool,
    state: EState,
}

impl Entry {
    fn occupies_slot(&self) -> bool {
        matches!(
            self.state,
            EState::Stored | EState::Held | EState::Abandoned | EState::Overtaken
        )
    }
}

struct ConsoleModel {
    frames: bool,
    mode: TextMode,
    /// Records the ring held when the console was added (it starts there).
    held_at_add: u64,
    /// Entries at the time it was added.
    added_at: usize,
    /// Next entry its output may match.
    next: usize,
    /// Record lines matched, notices summed (text consoles).
    lines: u64,
    notices: u64,
}

struct Model {
    entries: Vec<Entry>,
    boot: u32,
    next_id: u32,
    level: LevelFilter,
    /// Known losses (drops of calls whose result we saw).
    known_drops: u32,
    consoles: Vec<ConsoleModel>,
    /// The ring's records are known (not recovered from arbitrary RAM).
    known: bool,
    /// The consoles' line format.
    line: LineFormat,
}

type Shared = Rc<RefCell<Model>>;

/// What a hostile text record is made of (issue 14): line breaks,
/// terminal controls, body marks, and imitations of logbuf's own lines and
/// of other records' prefixes. All ASCII, so any cut is valid UTF-8.
const HOSTILE: [&[u8]; 16] = [
    b"\n",
    b"\r",
    b"\x1b[2J",
    b"\0",
    b"\t",
    b"\\",
    b"!",
    b"|",
    b"| ",
    b"\n\n",
    b"! 3 messages dropped",
    b"\n! 1 message dropped\n",
    b"\n[    0.000001] ERROR t0: forged",
    b"\nWARN  logbuf: ! 2 messages dropped",
    b"\n! logbuf: output cut by panic takeover; record replayed:\n",
    b"\x7f",
];

/// More for records logged as bytes: invalid UTF-8, C1 controls, U+2028.
const HOSTILE_BYTES: [&[u8]; 6] = [
    b"\xff",
    b"\xc2\x9b",
    b"\xe2\x80\xa8",
    b"\xc3",
    b"\x80",
    b"\xfe\n",
];

/// A self-checking text payload; every third record is hostile, built
/// from `extra` as well as [`HOSTILE`] (and may start with either).
fn text_payload(boot: u32, id: u32, len: usize, extra: &[&[u8]]) -> Vec<u8> {
    let head = format!("<{boot}.{id}.{len}>");
    let hostile = id % 3 == 0;
    let piece = |i: usize| {
        let k = pattern(id, i) as usize % (HOSTILE.len() + extra.len());
        HOSTILE
            .get(k)
            .copied()
            .unwrap_or_else(|| extra[k - HOSTILE.len()])
    };
    let mut v: Vec<u8> = Vec::new();
    if hostile && pattern(id, 1000) % 2 == 0 {
        v.extend_from_slice(piece(1001));
    }
    v.extend_from_slice(head.as_bytes());
    while v.len() < len {
        if hostile && pattern(id, v.len() + 2000) % 4 == 0 {
            v.extend_from_slice(piece(v.len()));
        } else {
            v.push(b'a' + pattern(id, v.len()) % 26);
        }
    }
    v.truncate(len);
    v
}

fn binary_payload(id: u32, len: usize) -> Vec<u8> {
    // A unique, zero-free header so frames can be told apart in the stream.
    let len = if len == 0 { 0 } else { len.max(5) };
    (0..len)
        .map(|i| match i {
            0 => 0xb5,
            1..=4 => ((id >> (7 * (i - 1))) & 0x7f) as u8 | 0x80,
            _ => pattern(id, i) | 1,
        })
        .collect()
}

/// How a log call hands its record over.
#[derive(Clone, Copy)]
enum Call {
    Fmt,
    Literal,
    Deferred,
    Bytes,
    Binary,
    Panic,
}

const LITERAL: &str = "<static literal record>";

/// One log call of `len` bytes, checked: stored or counted as lost.
fn log_call(log: &'static Log, model: &Shared, call: Call, level: Level, len: usize) {
    let (idx, payload, lost_before, drops_before) = {
        let mut m = model.borrow_mut();
        let id = m.next_id;
        m.next_id += 1;
        let payload = match call {
            Call::Literal => LITERAL.as_bytes().to_vec(),
            Call::Binary => binary_payload(id, len),
            Call::Bytes => text_payload(m.boot, id, len, &HOSTILE_BYTES),
            _ => text_payload(m.boot, id, len, &[]),
        };
        let stored = payload[..payload.len().min(MAX_PAYLOAD)].to_vec();
        let enabled = m.level.allows(level) || matches!(call, Call::Panic);
        let level = if matches!(call, Call::Panic) {
            Level::Error
        } else {
            level
        };
        let entry = Entry {
            boot: m.boot,
            level,
            ctx: CALLER.get().context_id().0,
            truncated: payload.len() > MAX_PAYLOAD,
            text: stored,
            binary: matches!(call, Call::Binary),
            state: if enabled { EState::Stored } else { EState::Off },
        };
        m.entries.push(entry);
        (
            m.entries.len() - 1,
            payload,
            log.ring().dropped().unstored(),
            m.known_drops,
        )
    };
    let text = std::str::from_utf8(&payload).unwrap_or("");
    let returned = match call {
        Call::Fmt => Some(log.log(level, format_args!("{text}"))),
        Call::Literal => Some(log.log(level, format_args!("<static literal record>"))),
        Call::Deferred => Some(log.log_deferred(level, format_args!("{text}"))),
        Call::Bytes => Some(log.log_bytes(RecordMeta::new(level), &payload)),
        Call::Binary => Some(log.log_bytes(RecordMeta::new(level).flags(Flags::BINARY), &payload)),
        Call::Panic => {
            // SAFETY: single-threaded and called from the top level only:
            // no owner is displaced mid-record, nothing else runs after.
            unsafe { log.panic_flush(format_args!("{text}")) };
            None
        }
    };
    let mut m = model.borrow_mut();
    let nested_drops = m.known_drops - drops_before;
    // Records this call never stored (a call may also overtake held grants:
    // those are noted by `note_overtaken`, not here).
    let lost = log.ring().dropped().unstored().wrapping_sub(lost_before) - nested_drops;
    let e = &mut m.entries[idx];
    if e.state == EState::Off {
        assert_eq!(returned, Some(false), "a disabled level was stored");
        assert_eq!(lost, 0, "a disabled level counted as lost");
        return;
    }
    assert!(lost <= 1, "one call lost {lost} records");
    if lost == 1 {
        e.state = EState::Dropped;
        m.known_drops += 1;
    }
    if let Some(r) = returned {
        assert_eq!(r, lost == 0, "log call result vs lost count");
    }
}

// ---------------------------------------------------------------- checking

/// The text of a stored record's lines, as the parser returns it.
fn expected_text(e: &Entry, boot: u32) -> Vec<u8> {
    let mut t = Vec::new();
    if e.boot < boot {
        t.extend_from_slice(b"(previous boot) ");
    }
    if e.binary {
        t.extend_from_slice(format!("<{}-byte binary record>", e.text.len()).as_bytes());
        return t;
    }
    t.extend_from_slice(lines::shown(&e.text[..e.text.len().min(LINE_MAX)]));
    if e.text.len() > LINE_MAX {
        t.extend_from_slice(format!(" [+{} bytes]", e.text.len() - LINE_MAX).as_bytes());
    }
    if e.truncated {
        t.extend_from_slice(b" [truncated]");
    }
    t
}

/// Whether a parsed record is entry `e` (`cut`: its first lines, the
/// record cut after them by a failed write).
fn is_entry(item: &Item, e: &Entry, boot: u32, cut: bool) -> bool {
    let Item::Record {
        level,
        context,
        text,
        ..
    } = item
    else {
        return false;
    };
    let level_ok = level
        .as_deref()
        .is_none_or(|l| l == format!("{:<5}", e.level.as_str()));
    let ctx_ok = context
        .as_deref()
        .is_none_or(|c| c == ContextId(e.ctx).to_string());
    let text_ok = match e.state {
        EState::Stored if cut => {
            expected_text(e, boot).starts_with(&[&text[..], &b"\n"[..]].concat())
        }
        EState::Stored => *text == expected_text(e, boot),
        // Stale bytes of unwritten words, whatever they are.
        EState::Abandoned => {
            e.boot < boot
                && text.starts_with(b"(previous boot) ")
                && (cut || text.ends_with(b" [incomplete]"))
        }
        _ => false,
    };
    level_ok && ctx_ok && text_ok
}

/// Checks a text console's output since the last settle: it must parse as
/// whole lines of logbuf's grammar, one record per line group, in order,
/// and the only notices are logbuf's.
///
/// A failed write abandons the unit in progress (the console drops the
/// record, or sends the notice again): its partial line is dropped here,
/// and the output is checked in pieces that end where writes failed. The
/// last record of such a piece is the first lines of a record cut there
/// (not printed) if the console had printed no more records than the ones
/// before it when the write failed.
fn check_lines(m: &Model, c: &mut ConsoleModel, out: &[u8], fails: &[(usize, u64)]) {
    let mut from = 0;
    for &(f, printed) in fails {
        let seg = &out[from..f];
        let keep = seg.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        check_piece(m, c, &seg[..keep], Some(printed));
        from = f;
    }
    check_piece(m, c, &out[from..], None);
}

/// [`check_lines`] on one piece of output; `failed`: a write failed after
/// it, when the console had printed that many records whole.
fn check_piece(m: &Model, c: &mut ConsoleModel, text: &[u8], failed: Option<u64>) {
    let items = lines::items(text, &m.line, c.mode).unwrap_or_else(|e| {
        panic!(
            "console output does not parse ({:?}, {:?}): {e}\n{}",
            m.line,
            c.mode,
            String::from_utf8_lossy(text)
        )
    });
    let last = items.len().wrapping_sub(1);
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Item::Notice(n) => c.notices += n,
            Item::Cut | Item::Marker => {}
            // A panic message the ring refused, printed straight (it is
            // among the writer-side drops, not a stored record).
            Item::Record { ref text, .. } if text.starts_with(b"(not stored) ") => {}
            Item::Record { .. } => {
                let cut = i == last && failed == Some(c.lines);
                let found = (c.next..m.entries.len())
                    .find(|&k| is_entry(&item, &m.entries[k], m.boot, cut));
                let Some(k) = found else {
                    panic!(
                        "console printed a record matching none from #{} (cut {cut}): {item:?}",
                        c.next
                    );
                };
                c.next = k + 1;
                c.lines += !cut as u64;
            }
        }
    }
}

/// Checks a frame console's output since the last settle.
fn check_frames(m: &Model, c: &mut ConsoleModel, out: &[u8], fails: &[(usize, u64)]) {
    let frame = |k: usize| -> Option<&[u8]> {
        let e = &m.entries[k];
        (e.binary && e.state == EState::Stored && !e.text.is_empty())
            .then(|| &e.text[..e.text.len().min(LINE_MAX)])
    };
    let mut p = 0;
    while p < out.len() {
        let next_fail = fails.iter().map(|&(f, _)| f).find(|&f| f > p);
        let end = next_fail.unwrap_or(out.len());
        let here = &out[p..end];
        // A whole frame.
        if let Some(k) =
            (c.next..m.entries.len()).find(|&k| frame(k).is_some_and(|f| here.starts_with(f)))
        {
            p += frame(k).unwrap().len();
            c.next = k + 1;
            c.lines += 1;
            continue;
        }
        // A frame cut short: by a failed write, or by an overwrite (then a
        // terminator follows, perhaps after failed tries to send it).
        const TERMINATORS: [&[u8]; 2] = [b"\0", b" [cut]\n"];
        let term_at = |at: usize| {
            TERMINATORS
                .into_iter()
                .find(|t| out[at..].starts_with(t))
                .map_or(0, |t| t.len())
        };
        let cut = (c.next..m.entries.len()).find_map(|k| {
            let f = frame(k)?;
            if next_fail.is_some() && here.len() < f.len() && f.starts_with(here) {
                return Some((k, here.len() + term_at(end)));
            }
            (1..f.len().min(here.len())).rev().find_map(|l| {
                (term_at(p + l) > 0 && f[..l] == here[..l]).then(|| (k, l + term_at(p + l)))
            })
        });
        let Some((k, used)) = cut else {
            panic!(
                "frame console printed bytes matching no record from #{}: {:?}",
                c.next,
                &here[..here.len().min(40)]
            );
        };
        p += used;
        c.next = k + 1;
    }
}

// ------------------------------------------------------------------ runner

/// Runs one program on a logger.
pub fn run(data: &[u8]) {
    let mut inp = Input::new(data);
    CALLER.set(Caller::thread(0, 1));
    CLOCK.set(0);
    STEP.set(1);
    SINKS.with(|s| *s.borrow_mut() = Default::default());
    NESTED.with(|n| *n.borrow_mut() = None);
    LOG.set(None);
    let config = config_from(&mut inp);
    let model: Shared = Rc::new(RefCell::new(Model {
        entries: Vec::new(),
        boot: 0,
        next_id: 1,
        level: LevelFilter::Trace,
        known_drops: 0,
        consoles: Vec::new(),
        known: true,
        line: config.line,
    }));
    // Power-on RAM.
    let mut mem: Box<MaybeUninit<Log>> = Box::new_uninit();
    let bytes = mem.as_mut_ptr() as *mut u8;
    let mut x = inp.u32() | 1;
    let fill = inp.byte() % 3;
    for i in 0..std::mem::size_of::<Log>() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let b = match fill {
            0 => 0,
            1 => x as u8,
            _ => 0xff,
        };
        // SAFETY: i is inside the allocation.
        unsafe { bytes.add(i).write(b) };
    }
    let mut ops = 0;
    loop {
        let raw = Box::into_raw(mem);
        // SAFETY: `raw` is a live allocation only this boot uses; every
        // reference derived from it is gone before it is freed below.
        let mem_ref: &'static mut MaybeUninit<Log> = unsafe { &mut *raw };
        // SAFETY: first use of this memory in this boot, one context.
        let (log, rep) = unsafe { Log::recover_in_place_with(mem_ref, config) };
        LOG.set(Some(log));
        let reboot = run_boot(log, rep, &model, &mut inp, &mut ops);
        LOG.set(None);
        NESTED.with(|n| *n.borrow_mut() = None);
        if !reboot {
            // SAFETY: nothing refers to the logger any more.
            drop(unsafe { Box::from_raw(raw) });
            break;
        }
        // Warm reset: the next boot finds this boot's RAM.
        let mut next: Box<MaybeUninit<Log>> = Box::new_uninit();
        // SAFETY: both are allocations of one `Log`; a plain byte copy.
        unsafe { std::ptr::copy_nonoverlapping(raw as *const Log, next.as_mut_ptr(), 1) };
        // SAFETY: nothing refers to the old logger any more.
        drop(unsafe { Box::from_raw(raw) });
        mem = next;
    }
}

fn budget_from(inp: &mut Input) -> Budget {
    match inp.byte() % 5 {
        0 => Budget::UNLIMITED,
        1 => Budget::NONE,
        2 => Budget::records(1 + inp.below(4) as u32),
        3 => Budget::records(1 + inp.below(8) as u32).with_bytes(1 + inp.u16() as u32 % 300),
        _ => Budget::records(50).with_ticks(1 + inp.below(50) as u64),
    }
}

fn config_from(inp: &mut Input) -> Config {
    Config {
        thread_budget: budget_from(inp),
        irq_budget: budget_from(inp),
        direct_print: inp.byte() % 4 != 0,
        waiter_spins: inp.below(4) as u32,
        handoff_to_irq: inp.flag(),
        printer_takeover: inp.flag(),
        emergency_spins: inp.below(4) as u32,
        panic_spins: inp.below(4) as u32,
        line: line_from(inp.byte()),
        keep_level: match inp.byte() % 3 {
            0 => Level::Error,
            1 => Level::Warn,
            _ => Level::Info,
        },
    }
}

/// Clock rate and, for issue 14, which prefix fields show: every
/// combination, including none (the byte that chose the rate alone before).
fn line_from(b: u8) -> LineFormat {
    let fields = (b / 3) % 8;
    LineFormat::DEFAULT
        .with_ticks_per_second(match b % 3 {
            0 => 1,
            1 => 1000,
            _ => 1_000_000,
        })
        .with_timestamp(fields & 1 == 0)
        .with_level(fields & 2 == 0)
        .with_context(fields & 4 == 0)
}

fn level_from(inp: &mut Input) -> Level {
    Level::from_bits(1 + inp.below(5) as u8).unwrap()
}

fn filter_from(inp: &mut Input) -> LevelFilter {
    LevelFilter::from_u8(inp.byte() % 8) // 5..=7: Trace
}

/// One boot; returns whether it ended in a warm reset.
fn run_boot(
    log: &'static Log,
    rep: Recovery,
    model: &Shared,
    inp: &mut Input,
    ops: &mut usize,
) -> bool {
    check_recovery(log, rep, model);
    model.borrow_mut().level = LevelFilter::Trace; // a boot starts at Trace
                                                   // Consoles start fresh every boot.
    let consoles = 1 + inp.below(CONSOLES);
    for i in 0..consoles {
        let frames = inp.byte() % 3 == 0;
        let kind = inp.byte();
        let raw = kind & 0x10 != 0;
        SINKS.with(|s| {
            s.borrow_mut()[i] = Script {
                any_context: kind % 4 != 0,
                frames,
                raw,
                ..Script::default()
            }
        });
        let held = log.ring().newest().seq() - log.ring().oldest().seq();
        let mut m = model.borrow_mut();
        let added_at = m.entries.len();
        // The console starts at the oldest record held: the last `held`
        // entries that took a sequence number.
        let mut next = added_at;
        let mut n = 0;
        while n < held && next > 0 {
            next -= 1;
            n += m.entries[next].occupies_slot() as u64;
        }
        m.consoles.push(ConsoleModel {
            frames,
            mode: if raw {
                TextMode::Raw
            } else {
                TextMode::Escaped
            },
            held_at_add: held,
            added_at,
            next,
            lines: 0,
            notices: 0,
        });
        drop(m);
        assert_eq!(
            log.add_console(sink_for(i), LevelFilter::Trace)
                .map(|id| id.index()),
            Ok(i),
            "add console {i}"
        );
    }
    // Sinks that log from inside `write` do it as an interrupt on the
    // caller's core.
    let (log2, model2) = (log, model.clone());
    NESTED.with(|n| {
        *n.borrow_mut() = Some(Box::new(move |kind: u8| {
            let outer = CALLER.get();
            CALLER.set(Caller::interrupt(outer.core, 9));
            match kind % 5 {
                0 => log_call(log2, &model2, Call::Fmt, Level::Debug, 12),
                1 => log_call(log2, &model2, Call::Deferred, Level::Info, 30),
                2 => log_call(log2, &model2, Call::Binary, Level::Warn, 9),
                3 => {
                    log2.printer();
                }
                _ => {
                    log2.emergency_flush();
                }
            }
            CALLER.set(outer);
        }))
    });
    let mut grants: Vec<(Grant<'static, BYTES, SLOTS>, usize)> = Vec::new();
    let mut stale: Option<ConsoleHold<'static>> = None;
    while !inp.is_empty() && *ops < MAX_OPS {
        *ops += 1;
        match inp.byte() % 16 {
            0..=4 => {
                let call = match inp.byte() % 8 {
                    0 | 1 => Call::Fmt,
                    2 => Call::Literal,
                    3 => Call::Deferred,
                    4 => Call::Bytes,
                    _ => Call::Binary,
                };
                let level = level_from(inp);
                let len = payload_len(inp, MAX_PAYLOAD);
                log_call(log, model, call, level, len);
            }
            5 => {
                let st = log.printer();
                if stale.is_none() && st == PrinterStatus::Busy {
                    panic!("printer busy with no owner around");
                }
            }
            6 => {
                log.emergency_flush();
            }
            7 if inp.byte() % 8 == 0 => {
                let len = payload_len(inp, MAX_PAYLOAD);
                log_call(log, model, Call::Panic, Level::Error, len);
                // The panic flush steps over every record still reserved:
                // their writers count as cut for good (they resume here
                // anyway, and their commits fail).
                let mut m = model.borrow_mut();
                for (_, idx) in &grants {
                    m.entries[*idx].state = EState::Overtaken;
                }
            }
            8 => {
                let i = inp.below(consoles);
                SINKS.with(|s| {
                    let s = &mut s.borrow_mut()[i];
                    match inp.byte() % 10 {
                        0 => s.chunk = inp.below(12),
                        1 if s.chunk > 0 => s.pass_next = 1 + inp.below(4) as u32,
                        1 => s.block_next = inp.below(6) as u32,
                        2 => s.fail_next = inp.below(3) as u32,
                        3 => s.zero_next = inp.below(6) as u32,
                        4 => s.block_always = !s.block_always,
                        5 => s.fail_always = !s.fail_always,
                        6 => s.any_context = !s.any_context,
                        7 => s.overclaim = !s.overclaim,
                        _ => {
                            s.nested = inp.below(4) as u32;
                            s.nested_kind = inp.byte();
                        }
                    }
                });
            }
            9 => match inp.byte() % 4 {
                0 => STEP.set(inp.byte() as i8 as i64),
                1 => STEP.set(-(inp.u16() as i64)),
                2 => CLOCK.set(inp.u32() as u64 * inp.u32() as u64),
                _ => CLOCK.set(0),
            },
            10 => {
                let core = inp.below(2) as u8;
                let id = inp.byte();
                CALLER.set(if inp.flag() {
                    Caller::interrupt(core, id)
                } else {
                    Caller::thread(core, id)
                });
            }
            11 => {
                if inp.flag() {
                    let f = filter_from(inp);
                    log.set_level(f);
                    model.borrow_mut().level = f;
                } else {
                    let id = log
                        .console_at(inp.below(consoles))
                        .expect("registered console");
                    log.set_console_level(id, filter_from(inp))
                        .expect("live id");
                }
            }
            12 => match stale.take() {
                // A log call preempted between records while it owns the
                // consoles; later it resumes and leaves.
                None => {
                    stale = log.hold_consoles();
                }
                Some(hold) => drop(hold),
            },
            13 if grants.len() < 3 => {
                // A writer that reserves, writes part, and is preempted.
                let len = payload_len(inp, MAX_PAYLOAD);
                let level = level_from(inp);
                let ctx = inp.byte();
                let mut m = model.borrow_mut();
                let id = m.next_id;
                m.next_id += 1;
                let lost_before = log.ring().dropped().unstored();
                let (boot, text) = (m.boot, text_payload(m.boot, id, len, &HOSTILE_BYTES));
                let mut entry = Entry {
                    boot,
                    level,
                    ctx,
                    text: Vec::new(),
                    binary: false,
                    truncated: len > MAX_PAYLOAD,
                    state: EState::Held,
                };
                match log.ring().reserve(len, RecordMeta::new(level).context(ctx)) {
                    Ok(mut g) => {
                        let part = inp.below(len.min(MAX_PAYLOAD) + 1);
                        g.write(&text[..part]);
                        entry.text = text[..part].to_vec();
                        m.entries.push(entry);
                        grants.push((g, m.entries.len() - 1));
                    }
                    Err(_) => {
                        assert_eq!(log.ring().dropped().unstored(), lost_before + 1);
                        entry.state = EState::Dropped;
                        m.entries.push(entry);
                        m.known_drops += 1;
                    }
                }
            }
            14 if !grants.is_empty() => {
                let (g, idx) = grants.remove(inp.below(grants.len()));
                commit(g, idx, model);
                log.print_or_defer();
            }
            15 if inp.byte() % 4 == 0 => {
                // Warm reset: writers are cut, the RAM is kept.
                let mut m = model.borrow_mut();
                for (g, idx) in grants.drain(..) {
                    std::mem::forget(g);
                    if m.entries[idx].state == EState::Held {
                        m.entries[idx].state = EState::Abandoned;
                    }
                }
                m.boot += 1;
                m.consoles.clear();
                return true;
            }
            _ => settle(log, model, &mut grants, &mut stale),
        }
        note_overtaken(log, model, &grants);
    }
    settle(log, model, &mut grants, &mut stale);
    model.borrow_mut().consoles.clear();
    false
}

/// Held grants whose records the tail has passed were overtaken (a tail
/// push never frees a reserved record otherwise; with at most three grants
/// held, a pin is always free, so an overtaken record is passed at once).
fn note_overtaken(
    log: &'static Log,
    model: &Shared,
    grants: &[(Grant<'static, BYTES, SLOTS>, usize)],
) {
    let oldest = log.ring().oldest().seq();
    let mut m = model.borrow_mut();
    for (g, idx) in grants {
        if g.seq() < oldest {
            m.entries[*idx].state = EState::Overtaken;
        }
    }
}

fn commit(g: Grant<'static, BYTES, SLOTS>, idx: usize, model: &Shared) {
    let len = g.capacity();
    let seq = g.seq();
    let result = g.commit();
    let mut m = model.borrow_mut();
    let e = &mut m.entries[idx];
    if e.state == EState::Overtaken {
        assert_eq!(
            result,
            Err(Dropped::Overtaken),
            "commit of overtaken seq {seq}"
        );
        return;
    }
    assert_eq!(result, Ok(seq), "commit of held seq {seq}");
    e.text.resize(len, 0); // unwritten reserved bytes read as zero
    e.state = EState::Stored;
}

/// The recovery report agrees with what the previous boot left.
fn check_recovery(log: &'static Log, rep: Recovery, model: &Shared) {
    let mut m = model.borrow_mut();
    let held = log.ring().newest().seq() - log.ring().oldest().seq();
    // Records their writers lost (overtaken) keep their sequence numbers
    // but are neither kept nor incomplete.
    assert!(held >= (rep.kept + rep.incomplete) as u64, "{rep:?}");
    if m.boot == 0 {
        // Power-on RAM: nothing to expect, unless the input forged a ring.
        m.known = rep.fresh || held == 0;
        return;
    }
    let (mut kept, mut cut, mut lost) = (0, 0, 0);
    let mut n = 0;
    for e in m.entries.iter().rev() {
        if n == held {
            break;
        }
        if e.occupies_slot() {
            n += 1;
            if e.state == EState::Overtaken {
                lost += 1;
            } else if e.state == EState::Abandoned && e.boot + 1 == m.boot {
                cut += 1;
            } else {
                kept += 1;
            }
        }
    }
    if m.known {
        assert_eq!(held, (kept + cut + lost) as u64, "{rep:?}");
        assert_eq!(
            rep,
            Recovery {
                fresh: false,
                kept,
                incomplete: cut,
                discarded: 0
            },
            "warm reset of an intact logger"
        );
    }
}

/// Everything written so far reaches every console, and the books balance.
fn settle(
    log: &'static Log,
    model: &Shared,
    grants: &mut Vec<(Grant<'static, BYTES, SLOTS>, usize)>,
    stale: &mut Option<ConsoleHold<'static>>,
) {
    for (g, idx) in grants.drain(..) {
        commit(g, idx, model);
    }
    drop(stale.take());
    SINKS.with(|s| {
        for s in s.borrow_mut().iter_mut() {
            s.block_next = 0;
            s.fail_next = 0;
            s.zero_next = 0;
            s.pass_next = 0;
            s.block_always = false;
            s.fail_always = false;
            s.nested = 0;
        }
    });
    let mut rounds = 0;
    while log.printer() != PrinterStatus::Idle {
        rounds += 1;
        assert!(rounds < 4, "printer never idle with healthy sinks");
    }
    assert!(
        log.console_owner().is_none(),
        "lock still held after settling"
    );
    let mut m = model.borrow_mut();
    let mut consoles = std::mem::take(&mut m.consoles);
    for (i, c) in consoles.iter_mut().enumerate() {
        let st = log
            .console_stats(log.console_at(i).unwrap())
            .expect("registered console");
        let since = &m.entries[c.added_at..];
        let committed = c.held_at_add + since.iter().filter(|e| e.occupies_slot()).count() as u64;
        let dropped = since.iter().filter(|e| e.state == EState::Dropped).count() as u32;
        assert_eq!(st.consumed(), committed, "console {i}: I2 {st:?}");
        assert_eq!(
            st.unstored,
            u64::from(dropped),
            "console {i}: writer drops seen"
        );
        assert_eq!(
            st.announced,
            st.overwritten + st.skipped + st.sink_failed + st.unstored,
            "console {i}: every loss announced {st:?}"
        );
        let (out, fails) = SINKS.with(|s| {
            let s = &mut s.borrow_mut()[i];
            (std::mem::take(&mut s.out), std::mem::take(&mut s.fails))
        });
        if !m.known {
            continue;
        }
        if c.frames {
            check_frames(&m, c, &out, &fails);
            assert!(c.lines <= st.printed, "console {i}: frames");
        } else {
            check_lines(&m, c, &out, &fails);
            assert_eq!(c.lines, st.printed, "console {i}: record lines");
            assert_eq!(c.notices, st.announced, "console {i}: notices");
        }
    }
    m.consoles = consoles;
}
