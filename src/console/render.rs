//! How a record becomes bytes on a console.
//!
//! # Text lines
//!
//! Every line a text console prints belongs to exactly one record or is one
//! of logbuf's own lines, and says which by its first bytes:
//!
//! ```text
//! [   12.345678] INFO  irq7: panicked at src/main.rs:10:5:
//! [   12.345678] INFO  irq7: | index out of bounds
//! [   12.400001] WARN  logbuf: ! 17 messages dropped
//! ! logbuf: output cut by panic takeover; record replayed:
//! ```
//!
//! A line is the console's prefix ([`LineFormat`]: timestamp, level,
//! context, each optional) followed by a body. The body's first character
//! says what the line is:
//!
//! * `|` — a **continuation**: the next line of the record above. A record
//!   with embedded line breaks prints each of its lines with its own prefix
//!   (as Linux does), and every line after the first with `| ` in front of
//!   the text (also for an empty line), so two records with the same
//!   prefix are never mistaken for one, nor one for two.
//! * `!` — **logbuf's own line**: the `1 message dropped` /
//!   `N messages dropped` notice (prefix: the time of the notice, `WARN`,
//!   context `logbuf`).
//! * anything else — the **first line of a record**.
//!
//! The panic-takeover replay marker has no prefix and starts with `!` at
//! the start of the line, where no prefix ever does (prefixes start with
//! `[`, a level name or a context name).
//!
//! A record can never produce a line of another kind: its first line never
//! starts with `|` or `!` (such a first character is written `\x7c` or
//! `\x21`), and every line break in it starts a continuation. This holds
//! under every [`LineFormat`], including one that shows no field at all
//! (then the body is the whole line). One trailing line break of a record
//! is dropped (it ends the line anyway).
//!
//! # Escaping
//!
//! By default ([`TextMode::Escaped`](crate::sinks::TextMode)) text consoles
//! also escape what a record's text could use to corrupt a terminal or a
//! log collector, each byte as `\xNN` (lowercase hex, like `dmesg` and
//! Linux's `/dev/kmsg`): control characters (`\x00`–`\x1f` except tab, so
//! ESC, `\r`, NUL, BEL), DEL, a backslash followed by `x` (written
//! `\x5cx`, so every `\x` on the console is an escape and the text can be
//! recovered exactly; other backslashes, as in `{:?}` output, stay), bytes
//! that are not valid UTF-8, and the Unicode
//! characters terminals or viewers act on: C1 controls (U+0080–U+009F),
//! the line and paragraph separators (U+2028, U+2029) and the bidirectional
//! embedding, override and isolate controls (U+202A–U+202E,
//! U+2066–U+2069). Other UTF-8 text is printed as it is. A sink that wants
//! the bytes as they are ([`TextMode::Raw`](crate::sinks::TextMode), for
//! example [`RawText`](crate::sinks::RawText)) gets them, but still gets
//! one prefixed line per line of a record.
//!
//! Binary records are shown as `<N-byte binary record>`.
//!
//! Escaping needs no buffer: the text is written in runs between the bytes
//! that need escaping, each escape from a 4-byte array. A record of plain
//! printable ASCII is checked in one scan and written in one piece.
//!
//! Rendering is deterministic, so a console that was cut off by
//! would-block resumes by rendering the same record again and skipping the
//! bytes it already sent. (A sink's [`TextMode`](crate::sinks::TextMode)
//! must not change while it is written.)
//!
//! ```
//! use logbuf::console::LineFormat;
//! let f = LineFormat::DEFAULT.with_context(false);
//! assert!(f.timestamp && f.level && !f.context);
//! ```

use super::context::ContextId;
use crate::ring::{Flags, Header};
use crate::sinks::{Sink, SinkError, TextMode};
use core::fmt::{self, Write};

/// Which fields a text line shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineFormat {
    /// `[secs.fraction]` prefix.
    pub timestamp: bool,
    /// Level name.
    pub level: bool,
    /// Caller context (`t3`, `irq7`).
    pub context: bool,
    /// Clock ticks per second (the fraction gets as many digits as needed):
    /// 1 000 000 for a microsecond clock.
    pub ticks_per_second: u32,
}

impl LineFormat {
    /// Everything shown, microsecond clock.
    pub const DEFAULT: LineFormat = LineFormat {
        timestamp: true,
        level: true,
        context: true,
        ticks_per_second: 1_000_000,
    };
    /// Show or hide the timestamp.
    pub const fn with_timestamp(mut self, on: bool) -> Self {
        self.timestamp = on;
        self
    }
    /// Show or hide the level.
    pub const fn with_level(mut self, on: bool) -> Self {
        self.level = on;
        self
    }
    /// Show or hide the caller context.
    pub const fn with_context(mut self, on: bool) -> Self {
        self.context = on;
        self
    }
    /// Sets the clock rate.
    pub const fn with_ticks_per_second(mut self, tps: u32) -> Self {
        self.ticks_per_second = if tps == 0 { 1 } else { tps };
        self
    }

    /// Renders the prefix into a stack buffer with plain digit loops (no
    /// core::fmt padding machinery, one division per digit on 32 bits while
    /// the value fits); the caller hands it over in one piece, once per line.
    fn prefix(&self, ts: u64, level: &str, ctx: Ctx<'_>) -> Prefix {
        let mut b = Prefix::new();
        if self.timestamp {
            let tps = self.ticks_per_second.max(1) as u64;
            let digits = fraction_digits(tps);
            b.push(b"[");
            if digits == 0 {
                b.number(ts, 5, b' ');
            } else {
                b.number(ts / tps, 5, b' ');
                b.push(b".");
                b.number(ts % tps, digits, b'0');
            }
            b.push(b"] ");
        }
        if self.level {
            b.push(level.as_bytes());
            for _ in level.len()..5 {
                b.push(b" ");
            }
            b.push(b" ");
        }
        if self.context {
            match ctx {
                Ctx::Id(id) => {
                    let (name, number) = id.parts();
                    b.push(name.as_bytes());
                    if let Some(n) = number {
                        b.number(n as u64, 0, b'0');
                    }
                }
                Ctx::Name(name) => b.push(name.as_bytes()),
            }
            b.push(b": ");
        }
        b
    }
}

impl Default for LineFormat {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Who a line is from: a record's context, or logbuf itself (notices).
#[derive(Clone, Copy)]
enum Ctx<'a> {
    Id(ContextId),
    Name(&'a str),
}

/// A line prefix being built: ASCII only, at most 64 bytes (the longest is
/// `[` + 20 digits + `.` + 10 digits + `] ` + `ERROR ` + `hardfault: `).
struct Prefix {
    buf: [u8; 64],
    len: usize,
}

impl Prefix {
    fn new() -> Self {
        Prefix {
            buf: [0; 64],
            len: 0,
        }
    }
    fn push(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }
    /// `v` in decimal, right-aligned to `width` with `pad`.
    fn number(&mut self, v: u64, width: usize, pad: u8) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut push_digits = |mut v: u32| loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        };
        if v <= u32::MAX as u64 {
            push_digits(v as u32);
        } else {
            // Rare: split once so the digit loop stays 32-bit.
            let (hi, lo) = (v / 1_000_000_000, (v % 1_000_000_000) as u32);
            push_digits(lo);
            while digits.len() - i < 9 {
                i -= 1;
                digits[i] = b'0';
            }
            let mut hi = hi;
            while hi > 0 {
                i -= 1;
                digits[i] = b'0' + (hi % 10) as u8;
                hi /= 10;
            }
        }
        let n = digits.len() - i;
        for _ in n..width {
            self.push(&[pad]);
        }
        self.push(&digits[i..]);
    }
    /// Only ASCII is ever pushed: digits, punctuation, level and context
    /// names.
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

fn fraction_digits(mut tps: u64) -> usize {
    let mut d = 0;
    while tps > 1 {
        tps /= 10;
        d += 1;
    }
    d
}

/// Body mark of a continuation line (see the [module documentation](self)).
const CONTINUATION: u8 = b'|';
/// Body mark of logbuf's own lines.
const OWN: u8 = b'!';

/// Writes one record as text lines (one per line of its text, see the
/// [module documentation](self)), escaped as the sink's
/// [`TextMode`] asks. `payload` may be shorter than `header.len` (the
/// console's buffer cut it).
pub(crate) fn render_line(
    line: &LineFormat,
    header: &Header,
    payload: &[u8],
    out: &mut SinkOut<'_>,
) -> fmt::Result {
    let prefix = line.prefix(
        header.timestamp,
        header.level.as_str(),
        Ctx::Id(ContextId(header.context)),
    );
    out.write_bytes(prefix.bytes())?;
    if header.flags.contains(Flags::PREVIOUS_BOOT) {
        out.write_str("(previous boot) ")?;
    }
    if header.flags.contains(Flags::BINARY) {
        write!(out, "<{}-byte binary record>", header.len)?;
    } else {
        let mode = out.sink.text_mode();
        render_text(text_of(header, payload), mode, &prefix, out)?;
        if (header.len as usize) > payload.len() {
            write!(out, " [+{} bytes]", header.len as usize - payload.len())?;
        }
        if header.flags.contains(Flags::TRUNCATED) {
            out.write_str(" [truncated]")?;
        }
        if header.flags.contains(Flags::INCOMPLETE) {
            out.write_str(" [incomplete]")?;
        }
    }
    out.write_str("\n")
}

/// The text a record's lines show: without the zeros a reset left in an
/// incomplete record, and without one trailing line break.
fn text_of<'p>(header: &Header, payload: &'p [u8]) -> &'p [u8] {
    let payload = if header.flags.contains(Flags::INCOMPLETE) {
        let end = payload.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        &payload[..end]
    } else {
        payload
    };
    payload.strip_suffix(b"\n").unwrap_or(payload)
}

/// Whether `text` can be written as it is on one line: printable ASCII
/// without backslash (escaped consoles), no line break (raw consoles), and
/// not starting with a body mark.
fn plain(text: &[u8], mode: TextMode) -> bool {
    let body_ok = match mode {
        TextMode::Escaped => printable_ascii(text),
        TextMode::Raw => !text.contains(&b'\n'),
    };
    body_ok && !matches!(text.first(), Some(&(CONTINUATION | OWN)))
}

/// Whether a byte is printable ASCII other than backslash.
fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && b != b'\\'
}

/// Whether every byte of `text` is [`printable`]: a word at a time (the
/// usual "has a byte less than n" bit tricks, exact for whether any byte
/// of the word matches), the tail byte by byte.
fn printable_ascii(text: &[u8]) -> bool {
    const W: usize = core::mem::size_of::<usize>();
    const ONES: usize = usize::MAX / 255;
    const HIGH: usize = ONES * 0x80;
    let mut words = text.chunks_exact(W);
    for w in &mut words {
        let mut a = [0u8; W];
        a.copy_from_slice(w);
        let x = usize::from_ne_bytes(a);
        // A byte below 0x20, or at 0x7f and above, or equal to '\\'.
        let low = x.wrapping_sub(ONES * 0x20) & !x;
        let high = x.wrapping_add(ONES) | x;
        let y = x ^ (ONES * b'\\' as usize);
        let backslash = y.wrapping_sub(ONES) & !y;
        if (low | high | backslash) & HIGH != 0 {
            return false;
        }
    }
    words.remainder().iter().all(|&b| printable(b))
}

/// The record's text after its prefix: the fast path writes plain text in
/// one piece; otherwise line by line, each line after the first on a
/// continuation line with the record's prefix.
fn render_text(text: &[u8], mode: TextMode, prefix: &Prefix, out: &mut SinkOut<'_>) -> fmt::Result {
    if plain(text, mode) {
        return out.write_bytes(text);
    }
    let mut lines = text.split(|&b| b == b'\n');
    let first = lines.next().unwrap_or(&[]);
    match first.split_first() {
        // A body mark at the start of a record is escaped.
        Some((&b, rest)) if b == CONTINUATION || b == OWN => {
            out.write_bytes(&hex_escape(b))?;
            write_text(rest, mode, out)?;
        }
        _ => write_text(first, mode, out)?,
    }
    for l in lines {
        out.write_str("\n")?;
        out.write_bytes(prefix.bytes())?;
        out.write_bytes(&[CONTINUATION, b' '])?;
        write_text(l, mode, out)?;
    }
    Ok(())
}

/// `\xNN` for byte `b`.
fn hex_escape(b: u8) -> [u8; 4] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    [b'\\', b'x', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]
}

/// Whether an escaped console shows `c` as `\xNN` escapes of its bytes
/// (besides a backslash before `x`).
fn needs_escape(c: char) -> bool {
    matches!(c,
        '\0'..='\x08' | '\x0a'..='\x1f' | '\x7f'
        | '\u{80}'..='\u{9f}'
        | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// One line of a record's text (no line break in it), escaped as `mode`
/// asks: runs of text that need nothing are written in one piece.
fn write_text(line: &[u8], mode: TextMode, out: &mut SinkOut<'_>) -> fmt::Result {
    if mode == TextMode::Raw {
        return out.write_bytes(line);
    }
    for chunk in line.utf8_chunks() {
        let valid = chunk.valid();
        let mut run = 0;
        for (i, c) in valid.char_indices() {
            // A literal `\x` would read as an escape: its backslash is one.
            let ambiguous = c == '\\' && valid.as_bytes().get(i + 1) == Some(&b'x');
            if needs_escape(c) || ambiguous {
                out.write_str(&valid[run..i])?;
                for &b in &valid.as_bytes()[i..i + c.len_utf8()] {
                    out.write_bytes(&hex_escape(b))?;
                }
                run = i + c.len_utf8();
            }
        }
        out.write_str(&valid[run..])?;
        for &b in chunk.invalid() {
            out.write_bytes(&hex_escape(b))?;
        }
    }
    Ok(())
}

/// The dropped-records notice, in the console's line format:
/// `[ts] WARN  logbuf: ! 1 message dropped` / `! N messages dropped`.
pub(crate) fn render_notice(
    line: &LineFormat,
    ts: u64,
    n: u64,
    out: &mut SinkOut<'_>,
) -> fmt::Result {
    let prefix = line.prefix(ts, "WARN", Ctx::Name("logbuf"));
    out.write_bytes(prefix.bytes())?;
    let noun = if n == 1 { "message" } else { "messages" };
    writeln!(out, "{} {} {} dropped", OWN as char, n, noun)
}

/// The marker printed before a record that a panic takeover cut: ends the
/// cut fragment's line, then a line of logbuf's own (`!` where no prefix
/// ever starts).
pub(crate) const REPLAY_MARKER: &str =
    "\n! logbuf: output cut by panic takeover; record replayed:\n";

/// Bytes gathered before a sink write: formatting produces many small
/// pieces; sinks (UART FIFOs, DMA) want fewer, larger writes.
const OUT_CHUNK: usize = 64;

/// Sends rendered bytes to a sink in chunks, skipping the first `skip`
/// bytes (already sent before a would-block) and stopping at the first
/// error. Call [`SinkOut::flush`] at the end of a unit.
pub(crate) struct SinkOut<'a> {
    sink: &'a mut dyn Sink,
    skip: usize,
    at: usize,
    /// New bytes the sink took.
    pub sent: usize,
    /// Why output stopped, if it did.
    pub stopped: Option<SinkError>,
    /// How many would-blocks to retry in place (panic flush polls).
    spins: u32,
    buf: [u8; OUT_CHUNK],
    len: usize,
}

impl<'a> SinkOut<'a> {
    pub(crate) fn new(sink: &'a mut dyn Sink, skip: usize, spins: u32) -> Self {
        SinkOut {
            sink,
            skip,
            at: 0,
            sent: 0,
            stopped: None,
            spins,
            buf: [0; OUT_CHUNK],
            len: 0,
        }
    }

    /// Bytes of the current unit the sink took in total (the resume offset).
    pub(crate) fn progress(&self) -> usize {
        self.skip + self.sent
    }

    /// Appends bytes (after skipping what was sent before).
    pub(crate) fn write_bytes(&mut self, bytes: &[u8]) -> fmt::Result {
        if self.stopped.is_some() {
            return Err(fmt::Error);
        }
        let start = self.at;
        self.at += bytes.len();
        if self.at <= self.skip {
            return Ok(());
        }
        let mut rest = &bytes[self.skip.saturating_sub(start)..];
        while !rest.is_empty() {
            if self.len == 0 && rest.len() >= OUT_CHUNK {
                // Large piece: straight from the caller's buffer.
                return self.send(rest);
            }
            let n = rest.len().min(OUT_CHUNK - self.len);
            self.buf[self.len..self.len + n].copy_from_slice(&rest[..n]);
            self.len += n;
            rest = &rest[n..];
            if self.len == OUT_CHUNK {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Sends the gathered bytes.
    pub(crate) fn flush(&mut self) -> fmt::Result {
        if self.len == 0 {
            return if self.stopped.is_some() {
                Err(fmt::Error)
            } else {
                Ok(())
            };
        }
        let buf = self.buf;
        let len = core::mem::replace(&mut self.len, 0);
        self.send(&buf[..len])
    }

    fn send(&mut self, mut rest: &[u8]) -> fmt::Result {
        while !rest.is_empty() {
            match self.sink.write(rest) {
                Ok(0) | Err(SinkError::WouldBlock) if self.spins > 0 => {
                    self.spins -= 1;
                    crate::sync::spin_hint();
                }
                Ok(0) | Err(SinkError::WouldBlock) => {
                    self.stopped = Some(SinkError::WouldBlock);
                    return Err(fmt::Error);
                }
                Ok(n) => {
                    let n = n.min(rest.len());
                    self.sent += n;
                    rest = &rest[n..];
                }
                Err(SinkError::Failed) => {
                    self.stopped = Some(SinkError::Failed);
                    return Err(fmt::Error);
                }
            }
        }
        Ok(())
    }
}

impl Write for SinkOut<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.write_bytes(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sinks::Capture;
    use crate::Level;
    use std::string::String;
    use std::vec::Vec;

    /// What `render_line` sends to a sink in `mode`.
    fn rendered(f: &LineFormat, h: &Header, payload: &[u8], mode: TextMode) -> Vec<u8> {
        let cap = Capture::new();
        cap.set_text_mode(mode);
        let mut sink = cap.sink();
        let mut out = SinkOut::new(&mut sink, 0, 0);
        render_line(f, h, payload, &mut out).unwrap();
        out.flush().unwrap();
        cap.bytes()
    }

    /// `render_line` to an escaping sink, as text.
    fn line(f: &LineFormat, h: &Header, payload: &[u8]) -> String {
        String::from_utf8(rendered(f, h, payload, TextMode::Escaped)).expect("escaped is UTF-8")
    }

    fn notice(f: &LineFormat, ts: u64, n: u64) -> String {
        let cap = Capture::new();
        let mut sink = cap.sink();
        let mut out = SinkOut::new(&mut sink, 0, 0);
        render_notice(f, ts, n, &mut out).unwrap();
        out.flush().unwrap();
        cap.text()
    }

    fn header(ts: u64, len: u16, flags: Flags, ctx: u8) -> Header {
        Header {
            seq: 0,
            timestamp: ts,
            level: Level::Info,
            context: ctx,
            flags,
            len,
        }
    }

    #[test]
    fn line_has_timestamp_level_context_payload() {
        let s = line(
            &LineFormat::DEFAULT,
            &header(12_345_678, 5, Flags::NONE, 0x87),
            b"hello",
        );
        assert_eq!(s, "[   12.345678] INFO  irq7: hello\n");
    }

    #[test]
    fn flags_and_cut_payload_are_visible() {
        let h = header(1, 10, Flags::TRUNCATED, 3);
        let s = line(&LineFormat::DEFAULT.with_timestamp(false), &h, b"abc");
        assert_eq!(s, "INFO  t3: abc [+7 bytes] [truncated]\n");
        let h = header(1, 4, Flags::BINARY, 3);
        let s = line(
            &LineFormat::DEFAULT
                .with_timestamp(false)
                .with_context(false),
            &h,
            &[0, 1, 2, 3],
        );
        assert_eq!(s, "INFO  <4-byte binary record>\n");
    }

    #[test]
    fn prefix_numbers_match_core_fmt_everywhere() {
        use std::format;
        for ts in [
            0u64,
            7,
            999_999,
            1_000_000,
            12_345_678,
            99_999_999_999,
            u32::MAX as u64 + 5,
            u64::MAX,
        ] {
            for tps in [1u32, 10, 1000, 1_000_000, 32_768] {
                let f = LineFormat::DEFAULT
                    .with_ticks_per_second(tps)
                    .with_level(false)
                    .with_context(false);
                let s = line(&f, &header(ts, 0, Flags::NONE, 0), b"");
                let tps = tps as u64;
                let digits = fraction_digits(tps);
                let want = if digits == 0 {
                    format!("[{:>5}] \n", ts)
                } else {
                    format!("[{:>5}.{:0w$}] \n", ts / tps, ts % tps, w = digits)
                };
                assert_eq!(s, want, "ts {ts} tps {tps}");
            }
        }
    }

    #[test]
    fn notice_uses_the_line_format() {
        let f = LineFormat::DEFAULT.with_ticks_per_second(1000);
        assert_eq!(
            notice(&f, 2_500, 17),
            "[    2.500] WARN  logbuf: ! 17 messages dropped\n"
        );
        assert_eq!(
            notice(&f, 2_500, 1),
            "[    2.500] WARN  logbuf: ! 1 message dropped\n"
        );
        let bare = f
            .with_timestamp(false)
            .with_level(false)
            .with_context(false);
        assert_eq!(notice(&bare, 0, 2), "! 2 messages dropped\n");
    }

    #[test]
    fn every_line_of_a_record_carries_its_prefix_and_continuation_mark() {
        let h = header(1_000_000, 0, Flags::NONE, 0);
        let s = line(&LineFormat::DEFAULT, &h, b"first\nsecond\n\nlast\n");
        assert_eq!(
            s,
            "[    1.000000] INFO  t0: first\n\
             [    1.000000] INFO  t0: | second\n\
             [    1.000000] INFO  t0: | \n\
             [    1.000000] INFO  t0: | last\n"
        );
        let bare = LineFormat::DEFAULT
            .with_timestamp(false)
            .with_level(false)
            .with_context(false);
        assert_eq!(line(&bare, &h, b"\n\n\n"), "\n| \n| \n");
        assert_eq!(line(&bare, &h, b"\n"), "\n", "one trailing break dropped");
    }

    #[test]
    fn a_record_cannot_start_a_line_like_a_continuation_or_a_notice() {
        let h = header(0, 0, Flags::NONE, 0);
        let bare = LineFormat::DEFAULT
            .with_timestamp(false)
            .with_level(false)
            .with_context(false);
        assert_eq!(
            line(&bare, &h, b"! 3 messages dropped"),
            "\\x21 3 messages dropped\n"
        );
        assert_eq!(line(&bare, &h, b"| more"), "\\x7c more\n");
        assert_eq!(
            line(&bare, &h, b"ok\n! 3 messages dropped\n| x"),
            "ok\n| ! 3 messages dropped\n| | x\n"
        );
        // Raw consoles keep the structure too.
        let raw = rendered(&bare, &h, b"!x\n!y", TextMode::Raw);
        assert_eq!(raw, b"\\x21x\n| !y\n");
    }

    #[test]
    fn control_characters_and_invalid_utf8_are_escaped() {
        let h = header(0, 0, Flags::NONE, 0);
        let f = LineFormat::DEFAULT.with_timestamp(false);
        assert_eq!(
            line(&f, &h, b"a\x1b[2J\x07\r\0\xff\\b\tc\x7f"),
            "INFO  t0: a\\x1b[2J\\x07\\x0d\\x00\\xff\\b\tc\\x7f\n"
        );
        // Only a backslash that would start an escape is one.
        assert_eq!(
            line(&f, &h, br#"\x41 "q\"" \\x"#),
            "INFO  t0: \\x5cx41 \"q\\\"\" \\\\x5cx\n"
        );
        // Valid UTF-8 stays; C1 controls, separators and bidi controls do not.
        assert_eq!(
            line(&f, &h, "é\u{9b}1\u{2028}\u{202e}".as_bytes()),
            "INFO  t0: é\\xc2\\x9b1\\xe2\\x80\\xa8\\xe2\\x80\\xae\n"
        );
        // A raw console gets the bytes.
        assert_eq!(
            rendered(&f, &h, b"a\x1b\r\xff", TextMode::Raw),
            b"INFO  t0: a\x1b\r\xff\n"
        );
    }

    #[test]
    fn word_scan_agrees_with_the_byte_rule_for_every_byte_everywhere() {
        // Under Miri: fewer lengths and bytes (every class boundary kept).
        let (lens, step) = if cfg!(miri) { (10, 17) } else { (24, 1) };
        let bytes = (0..=255u8)
            .step_by(step)
            .chain([0x1f, 0x20, 0x5c, 0x7e, 0x7f, 0x80]);
        for len in 0..lens {
            for at in 0..len {
                for b in bytes.clone() {
                    let mut t = std::vec![b'a'; len];
                    t[at] = b;
                    assert_eq!(printable_ascii(&t), printable(b), "{b:#x} at {at} of {len}");
                    t[(at + 5) % len] = 0x7e;
                    assert_eq!(printable_ascii(&t), t.iter().all(|&c| printable(c)));
                }
            }
        }
    }

    #[test]
    fn flags_go_on_the_last_line_and_previous_boot_on_the_first() {
        let h = header(0, 9, Flags::TRUNCATED.with(Flags::PREVIOUS_BOOT), 0);
        let f = LineFormat::DEFAULT.with_timestamp(false);
        assert_eq!(
            line(&f, &h, b"ab\ncd"),
            "INFO  t0: (previous boot) ab\nINFO  t0: | cd [+4 bytes] [truncated]\n"
        );
    }

    #[test]
    fn sink_out_resumes_after_would_block_without_duplicates() {
        let cap = Capture::new();
        let mut sink = cap.sink();
        cap.set_chunk(3);
        cap.block_next(0);
        let mut out = SinkOut::new(&mut sink, 0, 0);
        out.write_str("abcdef").unwrap();
        out.flush().unwrap();
        assert_eq!(cap.writes(), 2, "gathered, then sent in sink-sized pieces");
        cap.block_next(1);
        out.write_str("ghij").unwrap();
        assert!(out.flush().is_err());
        assert_eq!(out.stopped, Some(SinkError::WouldBlock));
        let progress = out.progress();
        assert_eq!(progress, 6);
        // Render again from the start, skipping what was sent.
        let mut out = SinkOut::new(&mut sink, progress, 0);
        out.write_str("abcdef").unwrap();
        out.write_str("ghij").unwrap();
        out.flush().unwrap();
        assert_eq!(cap.text(), "abcdefghij");
    }

    #[test]
    fn sink_out_sends_large_pieces_directly_and_small_ones_gathered() {
        let cap = Capture::new();
        let mut sink = cap.sink();
        let mut out = SinkOut::new(&mut sink, 0, 0);
        for _ in 0..10 {
            out.write_str("ab").unwrap();
        }
        out.write_bytes(&[b'x'; 100]).unwrap();
        out.flush().unwrap();
        // 20 bytes gathered into one chunk; the 100-byte piece: 44 fill the
        // chunk (sent), 56 gathered and sent at flush.
        assert_eq!(cap.writes(), 2);
        assert_eq!(cap.bytes().len(), 120);
    }
}
