//! Adapter for any `core::fmt::Write` (a HAL's text writer, a `heapless::String`,
//! a semihosting console).
//!
//! Text consoles hand sinks valid UTF-8, but in pieces that may split a
//! character; the adapter keeps up to three bytes of a split character and
//! writes it whole. `core::fmt::Write` has no would-block: a writer error
//! is [`SinkError::Failed`].
//!
//! ```
//! use logbuf::sinks::{FmtSink, Sink, SinkContext};
//! let mut sink = FmtSink::new(String::new(), SinkContext::Thread);
//! let bytes = "µs".as_bytes(); // 'µ' is two bytes
//! assert_eq!(sink.write(&bytes[..1]), Ok(1)); // half a character: kept back
//! assert_eq!(sink.get_ref(), "");
//! assert_eq!(sink.write(&bytes[1..]), Ok(2));
//! assert_eq!(sink.get_ref(), "µs");
//! ```

use super::{Sink, SinkContext, SinkError};
use core::fmt::Write;

/// A [`Sink`] writing text to a `core::fmt::Write`. See the
/// [module documentation](self).
#[derive(Debug)]
pub struct FmtSink<W> {
    inner: W,
    context: SinkContext,
    /// Leading bytes of a character split between two `write` calls.
    split: [u8; 4],
    split_len: u8,
}

impl<W> FmtSink<W> {
    /// Wraps `inner`; `context` says where it may be written from
    /// ([`SinkContext::Any`] only if its `write_str` polls hardware).
    pub const fn new(inner: W, context: SinkContext) -> Self {
        FmtSink {
            inner,
            context,
            split: [0; 4],
            split_len: 0,
        }
    }
}

inner_accessors!(FmtSink);

/// Length of the UTF-8 sequence a leading byte starts (1 for invalid bytes).
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

impl<W: Write> FmtSink<W> {
    fn put(&mut self, s: &str) -> Result<(), SinkError> {
        self.inner.write_str(s).map_err(|_| SinkError::Failed)
    }

    /// Completes a split character with bytes from `bytes`; returns how many
    /// of them it took.
    fn finish_split(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        let have = self.split_len as usize;
        let lead = if have == 0 { bytes[0] } else { self.split[0] };
        let want = utf8_len(lead);
        let take = (want - have).min(bytes.len());
        self.split[have..have + take].copy_from_slice(&bytes[..take]);
        self.split_len += take as u8;
        if self.split_len as usize == want {
            self.split_len = 0;
            let split = self.split;
            match core::str::from_utf8(&split[..want]) {
                Ok(s) => self.put(s)?,
                Err(_) => self.put("\u{fffd}")?,
            }
        }
        Ok(take)
    }
}

impl<W: Write + Send> Sink for FmtSink<W> {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        if bytes.is_empty() {
            return Ok(0);
        }
        if self.split_len > 0 {
            let n = self.finish_split(bytes)?;
            if self.split_len > 0 || n == bytes.len() {
                return Ok(n);
            }
            // The character is whole; go on with the rest (an error there is
            // met again by the next call).
            return Ok(n + self.write(&bytes[n..]).unwrap_or(0));
        }
        let err = match core::str::from_utf8(bytes) {
            Ok(s) => {
                self.put(s)?;
                return Ok(bytes.len());
            }
            Err(e) => e,
        };
        let valid = err.valid_up_to();
        if valid > 0 {
            let s = core::str::from_utf8(&bytes[..valid]).map_err(|_| SinkError::Failed)?;
            self.put(s)?;
            return Ok(valid);
        }
        match err.error_len() {
            // Not UTF-8 at all: one replacement character for the bad bytes.
            Some(bad) => {
                self.put("\u{fffd}")?;
                Ok(bad)
            }
            // The start of a character whose rest comes in the next call.
            None => self.finish_split(bytes),
        }
    }

    fn any_context(&self) -> bool {
        self.context.is_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sinks::test_util::{logger, Shared};
    use crate::Level;
    use std::string::String;

    /// A fake device: collects text, fails when told to.
    struct Dev {
        out: Shared<String>,
        fail: bool,
    }
    impl Write for Dev {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            if self.fail {
                return Err(core::fmt::Error);
            }
            self.out.with(|o| o.push_str(s));
            Ok(())
        }
    }

    #[test]
    fn characters_split_anywhere_are_written_whole() {
        let text = "aé€😀z";
        let bytes = text.as_bytes();
        for cut in 0..=bytes.len() {
            for cut2 in cut..=bytes.len() {
                let mut s = FmtSink::new(String::new(), SinkContext::Any);
                for part in [&bytes[..cut], &bytes[cut..cut2], &bytes[cut2..]] {
                    let mut rest = part;
                    while !rest.is_empty() {
                        let n = s.write(rest).unwrap();
                        assert!(n > 0, "progress on every call");
                        rest = &rest[n..];
                    }
                }
                assert_eq!(s.get_ref(), text, "cuts at {cut} and {cut2}");
            }
        }
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let mut s = FmtSink::new(String::new(), SinkContext::Thread);
        let mut rest: &[u8] = b"a\xffb";
        while !rest.is_empty() {
            rest = &rest[s.write(rest).unwrap()..];
        }
        assert_eq!(s.get_ref(), "a\u{fffd}b");
        assert!(!s.any_context());
    }

    #[test]
    fn device_error_is_failed_and_logger_prints_through_the_adapter() {
        let out = Shared::default();
        let mut s = FmtSink::new(
            Dev {
                out: out.clone(),
                fail: true,
            },
            SinkContext::Any,
        );
        assert_eq!(s.write(b"x"), Err(SinkError::Failed));
        s.get_mut().fail = false;
        let log = logger();
        log.add_console(
            std::boxed::Box::leak(std::boxed::Box::new(s)),
            crate::LevelFilter::Trace,
        )
        .unwrap();
        log.log(Level::Warn, format_args!("x ≈ {:.2}", 1.23456));
        assert_eq!(out.get(), "[    0.000042] WARN  t0: x ≈ 1.23\n");
    }
}
