//! How a record becomes bytes on a console.
//!
//! Text consoles get one line per record:
//!
//! ```text
//! [   12.345678] INFO  irq7: message
//! [   12.400001] WARN  logbuf: 17 messages dropped
//! ```
//!
//! Rendering is deterministic, so a console that was cut off by
//! would-block resumes by rendering the same record again and skipping the
//! bytes it already sent.
//!
//! ```
//! use logbuf::console::LineFormat;
//! let f = LineFormat::DEFAULT.with_context(false);
//! assert!(f.timestamp && f.level && !f.context);
//! ```

use super::context::ContextId;
use crate::ring::{Flags, Header};
use crate::sinks::{Sink, SinkError};
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
    /// the value fits) and hands it over in one piece.
    fn prefix(&self, out: &mut dyn Write, ts: u64, level: &str, ctx: Ctx<'_>) -> fmt::Result {
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
        out.write_str(b.as_str())
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
    fn as_str(&self) -> &str {
        // Only ASCII is ever pushed (digits, punctuation, level and context
        // names); a failure here would be a bug, rendered as nothing.
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
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

/// Writes one record as a text line. `payload` may be shorter than
/// `header.len` (the console's buffer cut it).
pub(crate) fn render_line(
    line: &LineFormat,
    header: &Header,
    payload: &[u8],
    out: &mut dyn Write,
) -> fmt::Result {
    line.prefix(
        out,
        header.timestamp,
        header.level.as_str(),
        Ctx::Id(ContextId(header.context)),
    )?;
    if header.flags.contains(Flags::PREVIOUS_BOOT) {
        out.write_str("(previous boot) ")?;
    }
    if header.flags.contains(Flags::BINARY) {
        write!(out, "<{}-byte binary record>", header.len)?;
    } else {
        let copied = payload.len();
        // A record a reset cut: what was never written reads as zeros.
        let payload = if header.flags.contains(Flags::INCOMPLETE) {
            let end = payload.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            &payload[..end]
        } else {
            payload
        };
        for chunk in payload.utf8_chunks() {
            out.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                out.write_str("\u{fffd}")?;
            }
        }
        if (header.len as usize) > copied {
            write!(out, " [+{} bytes]", header.len as usize - copied)?;
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

/// The "N messages dropped" notice, in the console's line format.
pub(crate) fn render_notice(
    line: &LineFormat,
    ts: u64,
    n: u64,
    out: &mut dyn Write,
) -> fmt::Result {
    line.prefix(out, ts, "WARN", Ctx::Name("logbuf"))?;
    writeln!(out, "{} messages dropped", n)
}

/// The marker printed before a record that a panic takeover cut.
pub(crate) const REPLAY_MARKER: &str =
    "\n[logbuf] output cut by panic takeover; record replayed:\n";

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
        let mut s = String::new();
        render_line(
            &LineFormat::DEFAULT,
            &header(12_345_678, 5, Flags::NONE, 0x87),
            b"hello",
            &mut s,
        )
        .unwrap();
        assert_eq!(s, "[   12.345678] INFO  irq7: hello\n");
    }

    #[test]
    fn flags_and_cut_payload_are_visible() {
        let mut s = String::new();
        let h = header(1, 10, Flags::TRUNCATED, 3);
        render_line(
            &LineFormat::DEFAULT.with_timestamp(false),
            &h,
            b"abc",
            &mut s,
        )
        .unwrap();
        assert_eq!(s, "INFO  t3: abc [+7 bytes] [truncated]\n");
        let mut s = String::new();
        let h = header(1, 4, Flags::BINARY, 3);
        render_line(
            &LineFormat::DEFAULT
                .with_timestamp(false)
                .with_context(false),
            &h,
            &[0, 1, 2, 3],
            &mut s,
        )
        .unwrap();
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
                let mut s = String::new();
                render_line(&f, &header(ts, 0, Flags::NONE, 0), b"", &mut s).unwrap();
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
        let mut s = String::new();
        render_notice(
            &LineFormat::DEFAULT.with_ticks_per_second(1000),
            2_500,
            17,
            &mut s,
        )
        .unwrap();
        assert_eq!(s, "[    2.500] WARN  logbuf: 17 messages dropped\n");
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
