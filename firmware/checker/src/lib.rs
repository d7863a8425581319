//! Checks what a logbuf firmware printed on its UART.
//!
//! Every line the firmware logs is a record rendered by logbuf's line
//! format, `[    1.234000] INFO  systick: tick seq=12`, whose payload is one of
//!
//! | payload                          | meaning |
//! |----------------------------------|---------|
//! | `NAME seq=N`                     | record N of producer NAME (each producer counts from 0) |
//! | `summary NAME=N ...`             | producer NAME issued N sequence numbers in all |
//! | `wcet backlog=B ... max_ticks=T max_irq_records=R budget=K` | a worst-case measurement |
//! | `irqcost irq_prints=P ... store_max_ticks=S log_max_ticks=L` | interrupt call vs store-only (module `irqcost`) |
//! | `storecost bytes=B stores=N insns_x100=I` | instructions per `Ring::write` (module `storecost`) |
//! | `note KEY=VALUE ...`             | information for the reader (calibration) |
//! | `panic at FILE:LINE: MESSAGE`    | the panic handler's record (level ERROR) |
//!
//! | `NAME seq=N data=DATA`         | record N of producer NAME carrying hostile bytes: DATA (escapes undone, continuation lines included) must be [`HOSTILE`]`[N % len]` (one trailing line break dropped) |
//!
//! and logbuf itself adds `WARN  logbuf: ! N messages dropped` notices
//! (`! 1 message dropped`), cut lines ending in ` [cut]`, and after a panic
//! takeover the marker [`REPLAY_MARKER`].
//!
//! A record with line breaks prints one line per line of its text, each
//! with the record's prefix; every line after the first has the body mark
//! `| ` right after the prefix (a continuation). A body starting with `!`
//! is logbuf's own (a notice); a record's first line never starts with `|`
//! or `!`, and control characters and invalid UTF-8 appear only as
//! `\xNN` escapes (a literal backslash before `x` too). A line that breaks any of this is torn or
//! forged.
//!
//! [`check`] verifies, for the one console the capture shows:
//!
//! * **no torn or forged line**: every line is a whole line of the grammar
//!   above, each continuation line follows a line of the same record (same
//!   prefix), notices have logbuf's context, level and grammar, and no
//!   record claims logbuf's context;
//! * **each record once, in order**: per producer, sequence numbers strictly
//!   increase;
//! * **nothing lost silently (I2)**, three rules (module `notices`): (a) a
//!   notice precedes the next printed record of every producer it covers
//!   (at every point, the records known to be missing are covered by the
//!   notices printed before it); (b) nothing is left unannounced at the end
//!   and (c) nothing is announced twice, a panic replay included: the notices
//!   add up to exactly the missing records (the summary says how many each
//!   producer issued);
//! * `--newest NAME=K`: the K newest records of NAME are all printed;
//! * `--note KEY=VALUE`: some `note` line carries that pair (`busy=0`);
//! * the producers the scenario requires are present, each always in its
//!   expected context (`t0`, `systick`, ...): interrupt-produced lines are there
//!   and are attributed to the interrupt;
//! * after a panic: the panic record is present, carries the expected
//!   message and comes last, the backlog before it is complete (as above);
//!   a replay marker, when expected, follows a fragment of the record it
//!   replays;
//! * worst-case measurements: the interrupt budget held and the longest
//!   interrupt log call did not grow with the backlog; `--irq-ratio P=R`:
//!   with a blocking console the interrupt call costs at most R times a
//!   store-only one; `--store-insns B=MAX`: a `Ring::write` of a B-byte
//!   record costs at most MAX instructions (`storecost` line);
//! * `--warm-reset` (module `warm`): a capture of two boots, boot 1's
//!   records printed again after the reset, marked `(previous boot)`.

use std::collections::BTreeMap;
use std::fmt;

/// What the scenario must show, beyond the rules every capture obeys.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Spec {
    /// Producers that must appear, each with the context all its records
    /// must carry (`("tick", "systick")`).
    pub require: Vec<(String, String)>,
    /// The run must end in a panic whose record contains this text.
    pub panic: Option<String>,
    /// A panic takeover must have cut a record and replayed it.
    pub replay: bool,
    /// Worst-case measurements that must be present.
    pub wcet: Option<WcetSpec>,
    /// Producers whose newest records must all be printed: `("hi", 100)`
    /// means the last 100 sequence numbers `hi` issued.
    pub newest: Vec<(String, u64)>,
    /// `(irq_prints, ratio)`: an `irqcost` line with that `irq_prints`
    /// must be present, and on it the interrupt log call with a blocking
    /// console may cost at most `ratio` times a store-only one.
    pub irq_ratio: Vec<(u64, f64)>,
    /// The capture holds two boots with a warm reset between them (see
    /// `warm`): the spec's other rules apply to boot 1.
    pub warm_reset: bool,
    /// `KEY=VALUE` pairs some `note` line must carry (`busy=0`).
    pub require_notes: Vec<String>,
    /// `(bytes, max)`: a `storecost` line for `bytes`-byte records must be
    /// present, and on it a store may cost at most `max` instructions.
    pub store_insns: Vec<(u64, f64)>,
}

/// The worst-case part of a [`Spec`].
#[derive(Clone, Debug, PartialEq)]
pub struct WcetSpec {
    /// Backlogs measured, in the order the firmware reports them.
    pub backlogs: Vec<u64>,
    /// The longest call at the largest backlog may cost at most this many
    /// times the longest call at the smallest backlog.
    pub max_factor: f64,
}

/// One worst-case measurement line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wcet {
    /// Records waiting for the console when the measurement started.
    pub backlog: u64,
    /// Log calls measured.
    pub calls: u64,
    /// Longest call, in SysTick ticks.
    pub max_ticks: u64,
    /// Shortest call, in SysTick ticks.
    pub min_ticks: u64,
    /// `Logger::stats().max_irq_records` after the measurement.
    pub max_irq_records: u64,
    /// The interrupt budget in records (`Config::irq_budget.records`).
    pub budget: u64,
}

/// What a passing capture contained.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Lines read.
    pub lines: usize,
    /// Records printed per producer.
    pub printed: BTreeMap<String, u64>,
    /// Sequence numbers issued per producer (from the summary).
    pub issued: BTreeMap<String, u64>,
    /// Records announced as dropped, in all.
    pub announced: u64,
    /// Notices printed.
    pub notices: usize,
    /// Lines cut by an overwrite (` [cut]`).
    pub cut_lines: usize,
    /// Replay markers.
    pub replays: usize,
    /// The panic record's payload, if any.
    pub panic: Option<String>,
    /// Worst-case measurements.
    pub wcet: Vec<Wcet>,
    /// `note` payloads.
    pub notes: Vec<String>,
    /// Interrupt cost measurements (`irqcost` lines).
    pub irqcost: Vec<IrqCost>,
    /// Store cost measurements (`storecost` lines).
    pub storecost: Vec<StoreCost>,
    /// Lines printed again after a warm reset, marked `(previous boot)`.
    pub previous_boot: usize,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} lines;", self.lines)?;
        for (name, n) in &self.printed {
            let issued = self.issued.get(name).copied().unwrap_or(0);
            write!(f, " {name} {n}/{issued}")?;
        }
        write!(
            f,
            "; {} dropped in {} notices; {} cut; {} replays",
            self.announced, self.notices, self.cut_lines, self.replays
        )?;
        if let Some(p) = &self.panic {
            write!(f, "; panic: {p}")?;
        }
        if self.previous_boot > 0 {
            write!(f, "; {} lines replayed after the reset", self.previous_boot)?;
        }
        for w in &self.wcet {
            write!(
                f,
                "\nwcet backlog={} max_ticks={} min_ticks={} max_irq_records={} budget={}",
                w.backlog, w.max_ticks, w.min_ticks, w.max_irq_records, w.budget
            )?;
        }
        for c in &self.irqcost {
            write!(
                f,
                "\nirqcost irq_prints={} store_max_ticks={} log_max_ticks={} ({:.2}x)",
                c.irq_prints,
                c.store_max_ticks,
                c.log_max_ticks,
                c.log_max_ticks as f64 / c.store_max_ticks.max(1) as f64
            )?;
        }
        for n in &self.notes {
            write!(f, "\nnote {n}")?;
        }
        Ok(())
    }
}

/// A rule the capture broke (line numbers are 1-based; 0 = the whole file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Where.
    pub line: usize,
    /// What.
    pub what: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.what)
        } else {
            write!(f, "line {}: {}", self.line, self.what)
        }
    }
}

/// The marker logbuf prints after a panic takeover cut a record.
pub const REPLAY_MARKER: &str = "! logbuf: output cut by panic takeover; record replayed:";

include!("../../shared/hostile.rs");

const LEVELS: [&str; 5] = ["ERROR", "WARN ", "INFO ", "DEBUG", "TRACE"];

/// Names logbuf prints for Cortex-M system exceptions (`ContextId`).
const EXCEPTIONS: [&str; 9] = [
    "nmi",
    "hardfault",
    "memmanage",
    "busfault",
    "usagefault",
    "svcall",
    "debugmon",
    "pendsv",
    "systick",
];

/// What a line's body says it is (its first character).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Body {
    /// A record's first line.
    First,
    /// `| `: the next line of the record above.
    Continuation,
    /// `! `: logbuf's own line (a notice).
    Own,
}

/// A parsed line.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Line<'a> {
    /// Everything before the body.
    prefix: &'a str,
    level: &'a str,
    context: &'a str,
    body: Body,
    /// The body after its mark.
    payload: &'a str,
}

/// Whether an escaping console would never send `c` as it is (or it is
/// what lossy decoding made of bytes that were not UTF-8).
fn unescaped_control(c: char) -> bool {
    matches!(c,
        '\0'..='\x08' | '\x0a'..='\x1f' | '\x7f' | '\u{80}'..='\u{9f}'
        | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{fffd}')
}

/// Undoes `\xNN` escapes; `None` if one is malformed.
fn unescape(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("\\x") {
            let hex = rest.get(2..4)?;
            if !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &rest[4..];
        } else {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            rest = &rest[c.len_utf8()..];
        }
    }
    Some(out)
}

/// Splits `[    1.234000] INFO  systick: payload`; `None` if the prefix is
/// not exactly logbuf's line format.
fn parse_line(text: &str) -> Option<Line<'_>> {
    let rest = text.strip_prefix('[')?;
    let (stamp, rest) = rest.split_once("] ")?;
    let (secs, frac) = stamp.trim_start_matches(' ').split_once('.')?;
    if secs.is_empty()
        || !secs.bytes().all(|b| b.is_ascii_digit())
        || frac.len() != 6
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let level = rest.get(..5)?;
    if !LEVELS.contains(&level) || rest.as_bytes().get(5) != Some(&b' ') {
        return None;
    }
    let (context, body) = rest[6..].split_once(": ")?;
    let ok_ctx = context == "logbuf"
        || EXCEPTIONS.contains(&context)
        || number(context.strip_prefix("exc").unwrap_or("")).is_some()
        || number(context.strip_prefix("irq").unwrap_or("")).is_some()
        || number(context.strip_prefix('t').unwrap_or("")).is_some();
    if !ok_ctx || body.chars().any(unescaped_control) {
        return None;
    }
    let (body_kind, payload) = match body.as_bytes().first() {
        Some(b'|') => (Body::Continuation, body.strip_prefix("| ")?),
        Some(b'!') => (Body::Own, body.strip_prefix("! ")?),
        _ => (Body::First, body),
    };
    Some(Line {
        prefix: &text[..text.len() - body.len()],
        level,
        context,
        body: body_kind,
        payload,
    })
}

/// Whether `frag` is the start of some line in logbuf's format (what a
/// console had sent of a record when the ring overwrote it: ` [cut]`).
fn line_prefix(frag: &str) -> bool {
    let Some(rest) = frag.strip_prefix('[') else {
        return false;
    };
    // Timestamp: spaces, digits, '.', six digits, "] ".
    let rest = rest.trim_start_matches(' ');
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &rest[digits..];
    if rest.is_empty() {
        return true;
    }
    let Some(rest) = rest.strip_prefix('.').filter(|_| digits > 0) else {
        return false;
    };
    let frac = rest.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &rest[frac..];
    if rest.is_empty() {
        return frac <= 6;
    }
    if frac != 6 {
        return false;
    }
    // "] ", then the level field, then the context and ": ".
    let sep = "] ";
    if rest.len() <= sep.len() {
        return sep.starts_with(rest);
    }
    let Some(rest) = rest.strip_prefix(sep) else {
        return false;
    };
    let level_end = rest.len().min(6);
    let level = &rest[..level_end];
    if !LEVELS.iter().any(|l| format!("{l} ").starts_with(level)) {
        return false;
    }
    let rest = &rest[level_end..];
    let (ctx, after) = match rest.split_once(':') {
        Some((c, a)) => (c, Some(a)),
        None => (rest, None),
    };
    let ctx_ok = "logbuf".starts_with(ctx)
        || EXCEPTIONS.iter().any(|e| e.starts_with(ctx))
        || "exc".starts_with(ctx)
        || ctx
            .strip_prefix("exc")
            .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
        || "irq".starts_with(ctx)
        || ctx
            .strip_prefix("irq")
            .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
        || ctx
            .strip_prefix('t')
            .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()));
    ctx_ok && after.is_none_or(|a| a.is_empty() || a.starts_with(' '))
}

fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

fn is_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_lowercase())
        && b.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// `KEY=VALUE` pairs separated by single spaces.
fn pairs(s: &str) -> Option<Vec<(&str, &str)>> {
    s.split(' ')
        .map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (is_name(k) && !v.is_empty()).then_some((k, v))
        })
        .collect()
}

/// What a record's payload is.
#[derive(Debug, PartialEq)]
enum Payload<'a> {
    Produced { name: &'a str, seq: u64 },
    Dropped(u64),
    Summary(Vec<(&'a str, u64)>),
    Wcet(Wcet),
    IrqCost(IrqCost),
    StoreCost(StoreCost),
    Note(&'a str),
    Panic(&'a str),
}

/// A record (or notice) as printed: its first line's fields and its text,
/// continuation lines joined with `\n`.
#[derive(Clone, Debug)]
struct Rec<'a> {
    /// Line number of its first line.
    n: usize,
    prefix: &'a str,
    level: &'a str,
    context: &'a str,
    body: Body,
    payload: String,
}

/// `1 message dropped` / `N messages dropped` (N > 1).
fn notice_count(p: &str) -> Option<u64> {
    match p.strip_suffix(" messages dropped") {
        Some(n) => number(n).filter(|&n| n > 1),
        None => p
            .strip_suffix(" message dropped")
            .filter(|&n| n == "1")
            .map(|_| 1),
    }
}

/// `NAME seq=N data=DATA`: the data must be what the firmware logged.
fn produced_with_data<'a>(p: &'a str) -> Option<Result<Payload<'a>, String>> {
    let (head, data) = p.split_once(" data=")?;
    let (name, seq) = head.split_once(" seq=")?;
    if !is_name(name) {
        return None;
    }
    let Some(seq) = number(seq) else {
        return Some(Err(format!("malformed sequence number in {p:?}")));
    };
    let want = HOSTILE[(seq % HOSTILE.len() as u64) as usize];
    let want = want.strip_suffix(b"\n").unwrap_or(want);
    Some(match unescape(data) {
        Some(got) if got == want => Ok(Payload::Produced { name, seq }),
        _ => Err(format!(
            "{name} seq={seq}: data {data:?} is not what was logged"
        )),
    })
}

fn classify<'a>(line: &'a Rec<'_>) -> Result<Payload<'a>, String> {
    let p = line.payload.as_str();
    if line.body == Body::Own || line.context == "logbuf" {
        return notice_count(p)
            .filter(|_| line.level == "WARN " && line.context == "logbuf" && line.body == Body::Own)
            .map(Payload::Dropped)
            .ok_or_else(|| format!("not a dropped-messages notice (forged?): {p:?}"));
    }
    if p.starts_with("panic at ") {
        return if line.level == "ERROR" {
            Ok(Payload::Panic(p))
        } else {
            Err("panic record not at level ERROR".into())
        };
    }
    if let Some(r) = produced_with_data(p) {
        return r;
    }
    let (head, tail) = p.split_once(' ').unwrap_or((p, ""));
    let kv = pairs(tail).ok_or_else(|| format!("malformed record: {p:?}"))?;
    let nums = || -> Result<Vec<(&'a str, u64)>, String> {
        kv.iter()
            .map(|&(k, v)| {
                number(v)
                    .map(|n| (k, n))
                    .ok_or_else(|| format!("malformed number in {p:?}"))
            })
            .collect()
    };
    match head {
        "summary" => Ok(Payload::Summary(nums()?)),
        "note" => Ok(Payload::Note(tail)),
        "irqcost" => irqcost::parse(&nums()?).map(Payload::IrqCost),
        "storecost" => storecost::parse(&nums()?).map(Payload::StoreCost),
        "wcet" => {
            let kv: BTreeMap<&str, u64> = nums()?.into_iter().collect();
            let get = |k: &str| {
                kv.get(k)
                    .copied()
                    .ok_or_else(|| format!("wcet line without {k}"))
            };
            Ok(Payload::Wcet(Wcet {
                backlog: get("backlog")?,
                calls: get("calls")?,
                max_ticks: get("max_ticks")?,
                min_ticks: get("min_ticks")?,
                max_irq_records: get("max_irq_records")?,
                budget: get("budget")?,
            }))
        }
        name if is_name(name) => match kv.as_slice() {
            [("seq", v)] => number(v)
                .map(|seq| Payload::Produced { name, seq })
                .ok_or_else(|| format!("malformed sequence number in {p:?}")),
            _ => Err(format!("malformed record: {p:?}")),
        },
        _ => Err(format!("malformed record: {p:?}")),
    }
}

/// Per-producer progress.
#[derive(Default)]
struct Producer<'a> {
    next: u64,
    /// First sequence number of the run of consecutive records that ends
    /// with the last one printed.
    run_start: u64,
    printed: u64,
    context: Option<&'a str>,
}

/// The record an open group of lines would continue.
struct Open<'a> {
    /// Index of its first line.
    start: usize,
    rec: Rec<'a>,
}

/// Text of the record whose first line is `lines[i]`: it and its
/// continuation lines, as printed.
fn printed_record(lines: &[&str], i: usize) -> String {
    let Some(first) = lines.get(i).and_then(|l| parse_line(l)) else {
        return lines.get(i).map_or(String::new(), |l| l.to_string());
    };
    let mut end = i + 1;
    while lines
        .get(end)
        .and_then(|l| parse_line(l))
        .is_some_and(|l| l.body == Body::Continuation && l.prefix == first.prefix)
    {
        end += 1;
    }
    lines[i..end].join("\n")
}

/// Whether the cut fragment `frag` belongs to the open record (a cut in
/// one of its continuation lines) rather than starting a new record.
fn continues(open: &Open<'_>, frag: &str) -> bool {
    let cont = format!("{}| ", open.rec.prefix);
    frag.starts_with(&cont) || (cont.starts_with(frag) && classify(&open.rec).is_err())
}

/// Groups lines into records: a first line and the continuation lines
/// after it with the same prefix. Cut fragments (` [cut]`, or the line
/// before a replay marker) and the record they cut are no records; a
/// continuation line that does not continue the record above is torn or
/// forged.
fn group<'a>(
    lines: &[&'a str],
    report: &mut Report,
    err: &mut impl FnMut(usize, String),
) -> Vec<Rec<'a>> {
    let mut g = Groups {
        recs: Vec::new(),
        open: None,
    };
    let mut i = 0;
    while i < lines.len() {
        let (n, text) = (i + 1, lines[i]);
        if lines.get(i + 1) == Some(&REPLAY_MARKER) {
            // A fragment cut by a panic takeover, the marker, the replay.
            report.replays += 1;
            let before = i.checked_sub(1).map(|b| (b + 1, lines[b]));
            if let Some(v) = notices::replayed_notice(before, lines.get(i + 2).copied(), n + 1) {
                errors_push(err, v);
            }
            let start = g.end_unless_continued(text).unwrap_or(i);
            let fragment = lines[start..=i].join("\n");
            if !printed_record(lines, i + 2).starts_with(&fragment) {
                err(
                    start + 1,
                    format!("fragment {fragment:?} is not replayed after the marker"),
                );
            }
            i += 2;
            continue;
        }
        i += 1;
        if text == REPLAY_MARKER {
            report.replays += 1;
            err(n, "replay marker without the cut fragment before it".into());
        } else if let Some(frag) = text.strip_suffix(" [cut]").filter(|f| line_prefix(f)) {
            report.cut_lines += 1;
            g.end_unless_continued(frag);
        } else if let Some(line) = parse_line(text) {
            g.add(n, line, err);
        } else {
            err(n, format!("torn or malformed line: {text:?}"));
        }
    }
    g.recs.extend(g.open.map(|o| o.rec));
    g.recs
}

/// Records grouped so far, and the one whose lines may still continue.
struct Groups<'a> {
    recs: Vec<Rec<'a>>,
    open: Option<Open<'a>>,
}

impl<'a> Groups<'a> {
    /// Before a cut fragment: if it continues the open record, that record
    /// was cut too (it is dropped; returns the index of its first line);
    /// otherwise the open record was printed whole.
    fn end_unless_continued(&mut self, frag: &str) -> Option<usize> {
        match self.open.take() {
            Some(o) if continues(&o, frag) => Some(o.start),
            Some(o) => {
                self.recs.push(o.rec);
                None
            }
            None => None,
        }
    }

    /// A whole line: the next line of the open record, or a new one.
    fn add(&mut self, n: usize, line: Line<'a>, err: &mut impl FnMut(usize, String)) {
        if line.body == Body::Continuation {
            match self.open.as_mut() {
                Some(o) if o.rec.prefix == line.prefix && o.rec.body == Body::First => {
                    o.rec.payload.push('\n');
                    o.rec.payload.push_str(line.payload);
                }
                _ => err(
                    n,
                    format!(
                        "continuation line without its record (torn or forged): {:?}",
                        line.payload
                    ),
                ),
            }
            return;
        }
        if let Some(o) = self.open.take() {
            self.recs.push(o.rec);
        }
        let rec = Rec {
            n,
            prefix: line.prefix,
            level: line.level,
            context: line.context,
            body: line.body,
            payload: line.payload.to_string(),
        };
        self.open = Some(Open { start: n - 1, rec });
    }
}

/// Checks a capture against the rules (see the crate documentation).
pub fn check(text: &str, spec: &Spec) -> Result<Report, Vec<Violation>> {
    if spec.warm_reset {
        return warm::check_warm(text, spec);
    }
    let mut errors = Vec::new();
    let mut err = |line: usize, what: String| errors.push(Violation { line, what });
    let mut report = Report::default();
    let mut producers: BTreeMap<&str, Producer> = BTreeMap::new();
    let mut summary: Option<(usize, Vec<(&str, u64)>)> = None;
    let mut panic_line: Option<usize> = None;
    let mut last_record_line = 0;
    let mut ledger = notices::Ledger::default();

    let mut lines: Vec<&str> = text.lines().collect();
    if !text.is_empty() && !text.ends_with('\n') {
        // The last line was never finished: report that, not its content.
        let partial = lines.pop().unwrap_or("");
        err(
            0,
            format!("output ends in the middle of a line: {partial:?}"),
        );
    }
    report.lines = lines.len();
    let recs = group(&lines, &mut report, &mut err);
    for rec in &recs {
        let n = rec.n;
        let payload = match classify(rec) {
            Ok(p) => p,
            Err(e) => {
                err(n, e);
                continue;
            }
        };
        if let Some(p) = panic_line {
            if !matches!(payload, Payload::Dropped(_)) {
                err(n, format!("record after the panic record (line {p})"));
            }
        }
        if !matches!(payload, Payload::Dropped(_)) {
            last_record_line = n;
        }
        match payload {
            Payload::Produced { name, seq } => {
                let p = producers.entry(name).or_default();
                match p.context {
                    None => p.context = Some(rec.context),
                    Some(c) if c != rec.context => err(
                        n,
                        format!(
                            "{name} logged from {} here but from {c} before",
                            rec.context
                        ),
                    ),
                    Some(_) => {}
                }
                if seq < p.next {
                    err(
                        n,
                        format!(
                            "{name} seq={seq} again or out of order (expected >= {})",
                            p.next
                        ),
                    );
                    continue;
                }
                if seq != p.next {
                    p.run_start = seq;
                }
                let gap = seq - p.next;
                p.next = seq + 1;
                p.printed += 1;
                if let Some(v) = ledger.gap_closed(n, name, seq, gap) {
                    errors_push(&mut err, v);
                }
            }
            Payload::Dropped(k) => {
                ledger.notice(n, k);
                report.announced += k;
                report.notices += 1;
            }
            Payload::Summary(s) => {
                if let Some((first, _)) = &summary {
                    err(n, format!("second summary (first on line {first})"));
                }
                summary = Some((n, s));
            }
            Payload::Wcet(w) => report.wcet.push(w),
            Payload::IrqCost(c) => report.irqcost.push(c),
            Payload::StoreCost(c) => report.storecost.push(c),
            Payload::Note(t) => report.notes.push(t.to_string()),
            Payload::Panic(p) => {
                if panic_line.is_some() {
                    err(n, "second panic record".into());
                }
                panic_line = Some(n);
                report.panic = Some(p.to_string());
            }
        }
    }

    // End of output: what the summary says was issued and never printed.
    let mut trailing = 0;
    match &summary {
        None => err(
            0,
            "no summary record: the run did not finish its log".into(),
        ),
        Some((_, s)) => {
            for &(name, issued) in s {
                report.issued.insert(name.to_string(), issued);
                let p = producers.entry(name).or_default();
                if p.next > issued {
                    err(
                        0,
                        format!(
                            "{name}: seq={} printed but only {issued} issued",
                            p.next - 1
                        ),
                    );
                } else {
                    trailing += issued - p.next;
                }
                newest::check(name, issued, p.run_start, p.next, &spec.newest, &mut err);
            }
            for name in producers.keys() {
                if !s.iter().any(|(k, _)| k == name) {
                    err(0, format!("producer {name} missing from the summary"));
                }
            }
            for name in newest::unknown(&spec.newest, s) {
                err(
                    0,
                    format!("--newest {name}: no such producer in the summary"),
                );
            }
        }
    }
    if summary.is_some() {
        if let Some(v) = ledger.finish(trailing) {
            errors_push(&mut err, v);
        }
    }
    for (name, p) in &producers {
        report.printed.insert(name.to_string(), p.printed);
    }
    for (name, ctx) in &spec.require {
        match producers.get(name.as_str()) {
            Some(p) if p.printed > 0 => {
                if p.context != Some(ctx.as_str()) {
                    err(
                        0,
                        format!(
                            "{name} logged from {:?}, expected {ctx}",
                            p.context.unwrap_or("?")
                        ),
                    );
                }
            }
            _ => err(0, format!("no record of required producer {name} ({ctx})")),
        }
    }
    match (&spec.panic, &report.panic) {
        (None, Some(p)) => err(panic_line.unwrap_or(0), format!("unexpected panic: {p}")),
        (Some(want), None) => err(
            0,
            format!("no panic record (expected one containing {want:?})"),
        ),
        (Some(want), Some(p)) => {
            if !p.contains(want.as_str()) {
                err(
                    panic_line.unwrap_or(0),
                    format!("panic record {p:?} lacks {want:?}"),
                );
            }
            if panic_line != Some(last_record_line) {
                err(
                    panic_line.unwrap_or(0),
                    "the panic record is not the last record".into(),
                );
            }
        }
        (None, None) => {}
    }
    if spec.replay && report.replays == 0 {
        err(
            0,
            "no replay marker: the panic flush did not take over mid-record".into(),
        );
    }
    if !spec.replay && report.replays > 0 {
        err(0, "unexpected replay marker".into());
    }
    match &spec.wcet {
        Some(w) => check_wcet(w, &report.wcet, &mut err),
        None if !report.wcet.is_empty() => err(0, "unexpected wcet lines".into()),
        None => {}
    }

    irqcost::check(&report.irqcost, &spec.irq_ratio, &mut err);
    storecost::check(&report.storecost, &spec.store_insns, &mut err);
    for want in &spec.require_notes {
        if !report
            .notes
            .iter()
            .any(|n| n.split(' ').any(|kv| kv == want))
        {
            err(0, format!("no note line with {want}"));
        }
    }

    if errors.is_empty() {
        Ok(report)
    } else {
        Err(errors)
    }
}

fn check_wcet(spec: &WcetSpec, got: &[Wcet], err: &mut impl FnMut(usize, String)) {
    let backlogs: Vec<u64> = got.iter().map(|w| w.backlog).collect();
    if backlogs != spec.backlogs {
        err(
            0,
            format!("wcet backlogs {backlogs:?}, expected {:?}", spec.backlogs),
        );
        return;
    }
    for w in got {
        if w.calls == 0 || w.min_ticks > w.max_ticks {
            err(
                0,
                format!("wcet backlog={}: no valid measurement", w.backlog),
            );
        }
        if w.max_irq_records > w.budget {
            err(
                0,
                format!(
                    "wcet backlog={}: an interrupt log call printed {} records, budget {}",
                    w.backlog, w.max_irq_records, w.budget
                ),
            );
        }
        if w.backlog > 0 && w.max_irq_records == 0 {
            err(
                0,
                format!(
                    "wcet backlog={}: interrupt calls printed nothing",
                    w.backlog
                ),
            );
        }
    }
    if let (Some(small), Some(large)) = (got.first(), got.last()) {
        if large.max_ticks as f64 > small.max_ticks as f64 * spec.max_factor {
            err(
                0,
                format!(
                    "longest interrupt log call grew with the backlog: {} ticks at {} records vs \
                     {} ticks at {} (allowed factor {})",
                    large.max_ticks, large.backlog, small.max_ticks, small.backlog, spec.max_factor
                ),
            );
        }
    }
}

/// Parses the command line (without the program name): `FILE` then
/// `--require NAME@CTX`, `--panic TEXT`, `--replay`,
/// `--wcet B1,B2,... --wcet-factor F`, `--newest NAME=K`,
/// `--irq-ratio IRQ_PRINTS=RATIO`, `--warm-reset`, `--note KEY=VALUE`,
/// `--store-insns BYTES=MAX`.
pub fn parse_args(args: &[String]) -> Result<(String, Spec), String> {
    let mut spec = Spec::default();
    let mut file = None;
    let mut backlogs = None;
    let mut factor = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--require" => {
                let v = value()?;
                let (name, ctx) = v.split_once('@').ok_or("--require takes NAME@CONTEXT")?;
                spec.require.push((name.to_string(), ctx.to_string()));
            }
            "--panic" => spec.panic = Some(value()?.clone()),
            "--replay" => spec.replay = true,
            "--warm-reset" => spec.warm_reset = true,
            "--note" => spec.require_notes.push(value()?.clone()),
            "--newest" => {
                let v = value()?;
                let (name, k) = v
                    .split_once('=')
                    .and_then(|(n, k)| Some((n.to_string(), k.parse().ok()?)))
                    .ok_or("--newest takes NAME=COUNT")?;
                spec.newest.push((name, k));
            }
            "--irq-ratio" => {
                let v = value()?;
                let bound = v
                    .split_once('=')
                    .and_then(|(p, r)| Some((p.parse().ok()?, r.parse().ok()?)))
                    .ok_or_else(|| format!("--irq-ratio takes IRQ_PRINTS=RATIO, not {v:?}"))?;
                spec.irq_ratio.push(bound);
            }
            "--store-insns" => {
                let v = value()?;
                let bound = v
                    .split_once('=')
                    .and_then(|(b, m)| Some((b.parse().ok()?, m.parse().ok()?)))
                    .ok_or_else(|| format!("--store-insns takes BYTES=MAX, not {v:?}"))?;
                spec.store_insns.push(bound);
            }
            "--wcet" => {
                let v = value()?;
                let list: Result<Vec<u64>, _> = v.split(',').map(str::parse).collect();
                backlogs = Some(list.map_err(|_| format!("bad --wcet list {v:?}"))?);
            }
            "--wcet-factor" => {
                let v = value()?;
                factor = Some(
                    v.parse::<f64>()
                        .map_err(|_| format!("bad --wcet-factor {v:?}"))?,
                );
            }
            f if !f.starts_with("--") && file.is_none() => file = Some(f.to_string()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    match (backlogs, factor) {
        (Some(backlogs), Some(max_factor)) => {
            spec.wcet = Some(WcetSpec {
                backlogs,
                max_factor,
            })
        }
        (None, None) => {}
        _ => return Err("--wcet and --wcet-factor go together".into()),
    }
    Ok((file.ok_or("no capture file given")?, spec))
}

pub mod multicore;

/// Passes a [`Violation`] built by a rule module to the `err` collector.
fn errors_push(err: &mut impl FnMut(usize, String), v: Violation) {
    err(v.line, v.what);
}

mod irqcost;
mod newest;
mod notices;
mod storecost;
mod warm;
pub use irqcost::IrqCost;
pub use storecost::StoreCost;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_rules;
