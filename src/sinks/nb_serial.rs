//! Adapter for `embedded_hal_nb::serial::Write<u8>` (feature `embedded-hal-nb`).
//!
//! The nb serial trait writes one word at a time and says
//! `nb::Error::WouldBlock` when the transmitter is full; the adapter writes
//! bytes until then and reports [`SinkError::WouldBlock`] only when it could
//! take none, so the console keeps its place and comes back later. A device
//! error is [`SinkError::Failed`] (after any bytes already taken are
//! reported). Such a driver polls a register, so it is usually fine in
//! [`SinkContext::Any`]; say [`SinkContext::Thread`] if yours is not.
//!
//! ```
//! use embedded_hal_nb::{nb, serial};
//! use logbuf::sinks::{NbSerialSink, Sink, SinkContext, SinkError};
//!
//! /// A transmitter with room for two bytes.
//! struct Tx { room: usize }
//! impl serial::ErrorType for Tx { type Error = serial::ErrorKind; }
//! impl serial::Write<u8> for Tx {
//!     fn write(&mut self, _: u8) -> nb::Result<(), Self::Error> {
//!         if self.room == 0 { return Err(nb::Error::WouldBlock); }
//!         self.room -= 1;
//!         Ok(())
//!     }
//!     fn flush(&mut self) -> nb::Result<(), Self::Error> { Ok(()) }
//! }
//! let mut sink = NbSerialSink::new(Tx { room: 2 }, SinkContext::Any);
//! assert_eq!(sink.write(b"abc"), Ok(2));
//! assert_eq!(sink.write(b"c"), Err(SinkError::WouldBlock));
//! ```

use super::{Sink, SinkContext, SinkError};
use embedded_hal_nb::{nb, serial};

/// A [`Sink`] over an nb serial transmitter. See the
/// [module documentation](self).
#[derive(Debug)]
pub struct NbSerialSink<S> {
    inner: S,
    context: SinkContext,
}

impl<W> NbSerialSink<W> {
    /// Wraps `inner`; `context` says where it may be written from.
    pub const fn new(inner: W, context: SinkContext) -> Self {
        NbSerialSink { inner, context }
    }
}

inner_accessors!(NbSerialSink);

impl<S: serial::Write<u8> + Send> Sink for NbSerialSink<S> {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        let mut taken = 0;
        for &b in bytes {
            match self.inner.write(b) {
                Ok(()) => taken += 1,
                Err(nb::Error::WouldBlock) if taken == 0 => return Err(SinkError::WouldBlock),
                Err(nb::Error::Other(_)) if taken == 0 => return Err(SinkError::Failed),
                // Report what went out; the next call meets the condition again.
                Err(_) => break,
            }
        }
        Ok(taken)
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        match self.inner.flush() {
            Ok(()) => Ok(()),
            Err(nb::Error::WouldBlock) => Err(SinkError::WouldBlock),
            Err(nb::Error::Other(_)) => Err(SinkError::Failed),
        }
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
    use embedded_hal_nb::serial::ErrorKind;
    use std::boxed::Box;
    use std::vec::Vec;

    #[derive(Clone, Default)]
    struct Line {
        sent: Vec<u8>,
        /// Bytes the transmitter takes before it is full.
        room: usize,
        /// Bytes still shifting out (flush would block while non-zero).
        shifting: usize,
        broken: bool,
    }

    struct Tx(Shared<Line>);
    impl serial::ErrorType for Tx {
        type Error = ErrorKind;
    }
    impl serial::Write<u8> for Tx {
        fn write(&mut self, b: u8) -> nb::Result<(), ErrorKind> {
            self.0.with(|l| {
                if l.broken {
                    return Err(nb::Error::Other(ErrorKind::Other));
                }
                if l.room == 0 {
                    return Err(nb::Error::WouldBlock);
                }
                l.room -= 1;
                l.shifting += 1;
                l.sent.push(b);
                Ok(())
            })
        }
        fn flush(&mut self) -> nb::Result<(), ErrorKind> {
            self.0.with(|l| {
                if l.shifting > 0 {
                    l.shifting -= 1;
                    Err(nb::Error::WouldBlock)
                } else {
                    Ok(())
                }
            })
        }
    }

    #[test]
    fn would_block_and_errors_map_to_sink_errors() {
        let line = Shared::default();
        line.with(|l: &mut Line| l.room = 3);
        let mut s = NbSerialSink::new(Tx(line.clone()), SinkContext::Any);
        assert_eq!(s.write(b"abcd"), Ok(3));
        assert_eq!(s.write(b"d"), Err(SinkError::WouldBlock));
        assert_eq!(s.flush(), Err(SinkError::WouldBlock));
        line.with(|l| l.shifting = 0);
        assert_eq!(s.flush(), Ok(()));
        line.with(|l| {
            l.room = 1;
            l.broken = true;
        });
        assert_eq!(s.write(b"d"), Err(SinkError::Failed));
        line.with(|l| l.broken = false);
        assert_eq!(s.write(b"d"), Ok(1));
        assert_eq!(line.get().sent, b"abcd");
    }

    #[test]
    fn logger_prints_whole_lines_through_a_two_byte_transmitter() {
        let line = Shared::default();
        line.with(|l: &mut Line| l.room = 2);
        let sink = NbSerialSink::new(Tx(line.clone()), SinkContext::Any);
        let log = logger();
        log.add_console(Box::leak(Box::new(sink)), LevelFilter::Trace)
            .unwrap();
        log.log(Level::Debug, format_args!("a={} b={:?}", 1, "two"));
        log.log(Level::Info, format_args!("second"));
        let mut rounds = 0;
        loop {
            line.with(|l| l.room = 2);
            if log.printer() == PrinterStatus::Idle {
                break;
            }
            rounds += 1;
            assert!(rounds < 200, "printer must finish");
        }
        assert_eq!(
            std::string::String::from_utf8(line.get().sent).unwrap(),
            "[    0.000042] DEBUG t0: a=1 b=\"two\"\n[    0.000042] INFO  t0: second\n"
        );
        assert_eq!(
            log.console_stats(log.console_at(0).unwrap())
                .unwrap()
                .printed,
            2
        );
    }
}
