//! Adapter for `std::io::Write` (feature `std`): host tools, tests, the demo.
//!
//! `io::ErrorKind::WouldBlock` (a non-blocking socket or pipe) and
//! `Interrupted` are [`SinkError::WouldBlock`]; other errors, and `Ok(0)`
//! for a non-empty buffer, are [`SinkError::Failed`].
//!
//! ```
//! use logbuf::sinks::{Sink, SinkContext, StdIoSink};
//! let mut sink = StdIoSink::new(Vec::new(), SinkContext::Thread);
//! assert_eq!(sink.write(b"hi\n"), Ok(3));
//! assert_eq!(sink.get_ref(), b"hi\n");
//! let _stdout = StdIoSink::stdout();
//! ```

use super::{Sink, SinkContext, SinkError};
use std::io::{self, Write};

/// A [`Sink`] over a `std::io::Write`. See the [module documentation](self).
#[derive(Debug)]
pub struct StdIoSink<W> {
    inner: W,
    context: SinkContext,
}

impl StdIoSink<io::Stdout> {
    /// Standard output, thread context only (it takes a lock).
    pub fn stdout() -> Self {
        StdIoSink::new(io::stdout(), SinkContext::Thread)
    }
}

impl<W> StdIoSink<W> {
    /// Wraps `inner`; `context` says where it may be written from.
    pub const fn new(inner: W, context: SinkContext) -> Self {
        StdIoSink { inner, context }
    }
}

inner_accessors!(StdIoSink);

fn map(e: io::Error) -> SinkError {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => SinkError::WouldBlock,
        _ => SinkError::Failed,
    }
}

impl<W: Write + Send> Sink for StdIoSink<W> {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        if bytes.is_empty() {
            return Ok(0);
        }
        match self.inner.write(bytes) {
            Ok(0) => Err(SinkError::Failed),
            Ok(n) => Ok(n),
            Err(e) => Err(map(e)),
        }
    }
    fn flush(&mut self) -> Result<(), SinkError> {
        self.inner.flush().map_err(map)
    }
    fn any_context(&self) -> bool {
        self.context.is_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::PrinterStatus;
    use crate::sinks::test_util::{logger, Shared};
    use crate::{Level, LevelFilter};
    use std::boxed::Box;
    use std::collections::VecDeque;
    use std::vec::Vec;

    /// A fake pipe: each call takes its next scripted outcome (`Some(n)`:
    /// take up to n bytes, `None`: would block); when the script is empty,
    /// everything is taken.
    struct Pipe {
        out: Shared<Vec<u8>>,
        script: VecDeque<Result<usize, io::ErrorKind>>,
    }
    impl Write for Pipe {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            let n = match self.script.pop_front() {
                None => b.len(),
                Some(Ok(n)) => n.min(b.len()),
                Some(Err(k)) => return Err(k.into()),
            };
            self.out.with(|o| o.extend_from_slice(&b[..n]));
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn error_kinds_map_to_sink_errors() {
        let out = Shared::default();
        let script = [
            Err(io::ErrorKind::WouldBlock),
            Err(io::ErrorKind::Interrupted),
            Err(io::ErrorKind::BrokenPipe),
            Ok(0),
            Ok(2),
        ];
        let mut s = StdIoSink::new(
            Pipe {
                out: out.clone(),
                script: script.into_iter().collect(),
            },
            SinkContext::Thread,
        );
        assert_eq!(s.write(b"abc"), Err(SinkError::WouldBlock));
        assert_eq!(s.write(b"abc"), Err(SinkError::WouldBlock));
        assert_eq!(s.write(b"abc"), Err(SinkError::Failed));
        assert_eq!(s.write(b"abc"), Err(SinkError::Failed));
        assert_eq!(s.write(b"abc"), Ok(2));
        assert_eq!(out.get(), b"ab");
        assert!(!s.any_context());
    }

    #[test]
    fn logger_resumes_after_would_block_without_duplicates() {
        let out = Shared::default();
        let script = [Ok(5), Err(io::ErrorKind::WouldBlock)];
        let sink = StdIoSink::new(
            Pipe {
                out: out.clone(),
                script: script.into_iter().collect(),
            },
            SinkContext::Any,
        );
        let log = logger();
        log.add_console(Box::leak(Box::new(sink)), LevelFilter::Trace)
            .unwrap();
        log.log(
            Level::Trace,
            format_args!("{:>6}|{:<4}|{:#x}", -12, 'c', 255),
        );
        assert_eq!(out.get(), b"[    ");
        assert_eq!(log.printer(), PrinterStatus::Idle);
        assert_eq!(
            std::string::String::from_utf8(out.get()).unwrap(),
            "[    0.000042] TRACE t0:    -12|c   |0xff\n"
        );
    }
}
