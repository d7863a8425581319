//! Adapters for embedded-io 0.7 writers (feature `embedded-io-v0.7`).
//!
//! embedded-io's `Write::write` is blocking: it waits until it can take at
//! least one byte, so [`EmbeddedIoSink`] never reports would-block. Where the
//! driver also implements `WriteReady`, [`EmbeddedIoReadySink`] asks
//! `write_ready()` first and reports [`SinkError::WouldBlock`] instead of
//! waiting, so a busy UART never holds up the printing context.
//!
//! Whether a write may happen in any context is the driver's property:
//! declare [`SinkContext::Any`] only for a driver that polls its hardware
//! (no RTOS wait, no lock, no interrupt needed to make progress).
//!
//! Errors map to [`SinkError::Failed`]; so does `Ok(0)` for a non-empty
//! buffer, which embedded-io defines as "will never accept more".
//!
//! ```
//! use embedded_io_v0_7 as embedded_io;
//! use logbuf::sinks::{EmbeddedIoReadySink, Sink, SinkContext, SinkError};
//!
//! /// A UART with a 4-byte TX FIFO that nothing drains in this example.
//! struct Uart { fifo: Vec<u8> }
//! impl embedded_io::ErrorType for Uart { type Error = core::convert::Infallible; }
//! impl embedded_io::Write for Uart {
//!     fn write(&mut self, b: &[u8]) -> Result<usize, Self::Error> {
//!         let n = b.len().min(4 - self.fifo.len());
//!         self.fifo.extend_from_slice(&b[..n]);
//!         Ok(n)
//!     }
//!     fn flush(&mut self) -> Result<(), Self::Error> { Ok(()) }
//! }
//! impl embedded_io::WriteReady for Uart {
//!     fn write_ready(&mut self) -> Result<bool, Self::Error> { Ok(self.fifo.len() < 4) }
//! }
//!
//! let mut sink = EmbeddedIoReadySink::new(Uart { fifo: Vec::new() }, SinkContext::Any);
//! assert_eq!(sink.write(b"hello"), Ok(4));
//! assert_eq!(sink.write(b"o"), Err(SinkError::WouldBlock));
//! ```

use super::{Sink, SinkContext, SinkError};
use embedded_io_v0_7::{Write, WriteReady};

/// A [`Sink`] over a blocking `embedded_io::Write`. See the
/// [module documentation](self).
#[derive(Debug)]
pub struct EmbeddedIoSink<W> {
    inner: W,
    context: SinkContext,
}

/// A [`Sink`] over an `embedded_io::Write + WriteReady` that reports
/// would-block when `write_ready()` is false. See the
/// [module documentation](self).
#[derive(Debug)]
pub struct EmbeddedIoReadySink<W> {
    inner: W,
    context: SinkContext,
}

impl<W> EmbeddedIoSink<W> {
    /// Wraps `inner`; `context` says where it may be written from.
    pub const fn new(inner: W, context: SinkContext) -> Self {
        EmbeddedIoSink { inner, context }
    }
}

impl<W> EmbeddedIoReadySink<W> {
    /// Wraps `inner`; `context` says where it may be written from.
    pub const fn new(inner: W, context: SinkContext) -> Self {
        EmbeddedIoReadySink { inner, context }
    }
}

inner_accessors!(EmbeddedIoSink);
inner_accessors!(EmbeddedIoReadySink);

fn write_some<W: Write>(w: &mut W, bytes: &[u8]) -> Result<usize, SinkError> {
    if bytes.is_empty() {
        return Ok(0);
    }
    match w.write(bytes) {
        Ok(0) | Err(_) => Err(SinkError::Failed),
        Ok(n) => Ok(n),
    }
}

impl<W: Write + Send> Sink for EmbeddedIoSink<W> {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        write_some(&mut self.inner, bytes)
    }
    fn flush(&mut self) -> Result<(), SinkError> {
        self.inner.flush().map_err(|_| SinkError::Failed)
    }
    fn any_context(&self) -> bool {
        self.context.is_any()
    }
}

impl<W: Write + WriteReady + Send> Sink for EmbeddedIoReadySink<W> {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        match self.inner.write_ready() {
            Ok(true) => write_some(&mut self.inner, bytes),
            Ok(false) => Err(SinkError::WouldBlock),
            Err(_) => Err(SinkError::Failed),
        }
    }
    fn flush(&mut self) -> Result<(), SinkError> {
        self.inner.flush().map_err(|_| SinkError::Failed)
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
    use embedded_io_v0_7::{ErrorKind, ErrorType};
    use std::boxed::Box;
    use std::vec::Vec;

    #[derive(Clone, Default)]
    struct Wire {
        /// Bytes that left the FIFO.
        sent: Vec<u8>,
        /// Bytes in the TX FIFO.
        fifo: Vec<u8>,
        broken: bool,
    }

    /// A fake UART with a 8-byte TX FIFO. `blocking`: a write first waits
    /// for the FIFO to drain, as a blocking driver would.
    struct Uart {
        wire: Shared<Wire>,
        blocking: bool,
    }
    const FIFO: usize = 8;

    impl ErrorType for Uart {
        type Error = ErrorKind;
    }
    impl Write for Uart {
        fn write(&mut self, b: &[u8]) -> Result<usize, ErrorKind> {
            let blocking = self.blocking;
            self.wire.with(|w| {
                if w.broken {
                    return Err(ErrorKind::Other);
                }
                if blocking {
                    let f = core::mem::take(&mut w.fifo);
                    w.sent.extend(f);
                }
                let n = b.len().min(FIFO - w.fifo.len());
                w.fifo.extend_from_slice(&b[..n]);
                Ok(n)
            })
        }
        fn flush(&mut self) -> Result<(), ErrorKind> {
            self.wire.with(|w| {
                let f = core::mem::take(&mut w.fifo);
                w.sent.extend(f);
            });
            Ok(())
        }
    }
    impl WriteReady for Uart {
        fn write_ready(&mut self) -> Result<bool, ErrorKind> {
            self.wire.with(|w| {
                if w.broken {
                    Err(ErrorKind::Other)
                } else {
                    Ok(w.fifo.len() < FIFO)
                }
            })
        }
    }

    fn drain(wire: &Shared<Wire>) {
        wire.with(|w| {
            let f = core::mem::take(&mut w.fifo);
            w.sent.extend(f);
        });
    }

    fn all(wire: &Shared<Wire>) -> Vec<u8> {
        wire.with(|w| w.sent.iter().chain(&w.fifo).copied().collect())
    }

    #[test]
    fn blocking_adapter_never_would_blocks_and_maps_errors() {
        let wire = Shared::default();
        let mut s = EmbeddedIoSink::new(
            Uart {
                wire: wire.clone(),
                blocking: true,
            },
            SinkContext::Any,
        );
        assert!(s.any_context());
        let mut rest: &[u8] = b"0123456789abcdefghij";
        while !rest.is_empty() {
            let n = s.write(rest).expect("a blocking writer takes bytes");
            assert!((1..=FIFO).contains(&n));
            rest = &rest[n..];
        }
        assert_eq!(all(&wire), b"0123456789abcdefghij");
        wire.with(|w| w.broken = true);
        assert_eq!(s.write(b"x"), Err(SinkError::Failed));
        assert_eq!(s.write(b""), Ok(0));
    }

    #[test]
    fn ready_adapter_reports_would_block_and_logger_resumes_the_line() {
        let wire = Shared::default();
        let sink = EmbeddedIoReadySink::new(
            Uart {
                wire: wire.clone(),
                blocking: false,
            },
            SinkContext::Thread,
        );
        let log = logger();
        log.add_console(Box::leak(Box::new(sink)), LevelFilter::Trace)
            .unwrap();
        log.log(Level::Info, format_args!("uart says {}", "hi"));
        // The first 8 bytes went out, then the FIFO was full: would-block.
        assert_eq!(all(&wire), b"[    0.0");
        let mut rounds = 0;
        while log.printer() == PrinterStatus::Blocked {
            drain(&wire);
            rounds += 1;
            assert!(rounds < 20, "printer must finish once the FIFO drains");
        }
        assert_eq!(
            std::string::String::from_utf8(all(&wire)).unwrap(),
            "[    0.000042] INFO  t0: uart says hi\n"
        );
        let st = log.console_stats(log.console_at(0).unwrap()).unwrap();
        assert_eq!((st.printed, st.sink_failed), (1, 0));
    }

    #[test]
    fn ready_adapter_failure_counts_the_record_as_failed() {
        let wire = Shared::default();
        let mut sink = EmbeddedIoReadySink::new(
            Uart {
                wire: wire.clone(),
                blocking: false,
            },
            SinkContext::Any,
        );
        assert_eq!(sink.write(b"ab"), Ok(2));
        wire.with(|w| w.broken = true);
        assert_eq!(sink.write(b"c"), Err(SinkError::Failed));
        let log = logger();
        log.add_console(Box::leak(Box::new(sink)), LevelFilter::Trace)
            .unwrap();
        log.log(Level::Error, format_args!("lost"));
        assert_eq!(
            log.console_stats(log.console_at(0).unwrap())
                .unwrap()
                .sink_failed,
            1
        );
    }
}
