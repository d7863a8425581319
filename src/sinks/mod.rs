//! Console sinks: where printed records go.
//!
//! A [`Sink`] takes bytes. It says whether it can be written from any
//! context by polling ([`Sink::any_context`]; such sinks are used by
//! interrupt-context printing and by the panic flush) and how records are
//! rendered for it ([`Sink::format`]: text lines or raw binary frames;
//! [`Sink::text_mode`]: text escaped or as it is).
//! A sink that cannot take bytes right now returns
//! [`SinkError::WouldBlock`]; its console keeps its place and the others go
//! on (one slow sink never stalls the rest).
//!
//! ```
//! use logbuf::sinks::{Sink, SinkError, RecordFormat, TextMode};
//!
//! /// A UART whose TX FIFO takes 16 bytes at a time.
//! struct Fifo { free: usize, out: Vec<u8> }
//! impl Sink for Fifo {
//!     fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
//!         if self.free == 0 { return Err(SinkError::WouldBlock); }
//!         let n = bytes.len().min(self.free);
//!         self.out.extend_from_slice(&bytes[..n]);
//!         self.free -= n;
//!         Ok(n)
//!     }
//!     fn any_context(&self) -> bool { true }
//! }
//! let mut f = Fifo { free: 4, out: Vec::new() };
//! assert_eq!(f.write(b"hello"), Ok(4));
//! assert_eq!(f.write(b"o"), Err(SinkError::WouldBlock));
//! assert_eq!(f.format(), RecordFormat::Lines);
//! assert_eq!(f.text_mode(), TextMode::Escaped);
//! ```

//!
//! # Adapters
//!
//! One integration per file; each states in its constructor whether it may
//! be written from any context ([`SinkContext`]), because only the firmware
//! knows whether its driver polls the hardware or waits on an RTOS.
//!
//! | adapter | wraps | feature | would-block |
//! |---------|-------|---------|-------------|
//! | [`FmtSink`] | `core::fmt::Write` | — | never (the writer has no such notion) |
//! | `EmbeddedIoSink` | `embedded_io::Write` (0.7) | `embedded-io-v0.7` | never: embedded-io writes block until a byte is taken |
//! | `EmbeddedIoReadySink` | `embedded_io::Write + WriteReady` (0.7) | `embedded-io-v0.7` | when `write_ready()` is false |
//! | `NbSerialSink` | `embedded_hal_nb::serial::Write<u8>` | `embedded-hal-nb` | on `nb::Error::WouldBlock` |
//! | `StdIoSink` | `std::io::Write` | `std` | on `io::ErrorKind::WouldBlock` / `Interrupted` |
//! | `Capture` | memory, scriptable (tests) | `std` | when told to |
//! | [`Frames`] | any sink: asks for raw binary frames (defmt) | — | as the inner sink |
//! | [`RawText`] | any sink: asks for text lines without escaping | — | as the inner sink |

/// `get_ref`, `get_mut` and `into_inner` for an adapter whose wrapped
/// device is its `inner` field.
macro_rules! inner_accessors {
    ($t:ident) => {
        impl<W> $t<W> {
            /// The wrapped device.
            pub fn get_ref(&self) -> &W {
                &self.inner
            }
            /// The wrapped device, mutably.
            pub fn get_mut(&mut self) -> &mut W {
                &mut self.inner
            }
            /// Unwraps the device.
            pub fn into_inner(self) -> W {
                self.inner
            }
        }
    };
}

#[cfg(any(test, feature = "std"))]
mod capture;
#[cfg(feature = "embedded-io-v0.7")]
pub mod embedded_io_v0_7;
pub mod fmt_write;
#[cfg(feature = "embedded-hal-nb")]
pub mod nb_serial;
#[cfg(feature = "std")]
pub mod std_io;
#[cfg(test)]
mod test_util;

#[cfg(any(test, feature = "std"))]
pub use capture::{Capture, CaptureSink};
#[cfg(feature = "embedded-io-v0.7")]
pub use embedded_io_v0_7::{EmbeddedIoReadySink, EmbeddedIoSink};
pub use fmt_write::FmtSink;
#[cfg(feature = "embedded-hal-nb")]
pub use nb_serial::NbSerialSink;
#[cfg(feature = "std")]
pub use std_io::StdIoSink;

/// Where an adapter may be written from; every adapter's constructor takes
/// one, because only the firmware knows how its driver behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SinkContext {
    /// Any context, including interrupts, fault handlers and the panic
    /// flush: the driver completes by polling the hardware (a FIFO, a
    /// register) and never waits on a lock, a scheduler or an interrupt.
    Any,
    /// Thread context only (the driver may sleep, take a mutex or need
    /// interrupts): interrupt-context log calls leave this console to the
    /// printer context, and the panic flush skips it.
    Thread,
}

impl SinkContext {
    /// Whether this is [`SinkContext::Any`] (the value of [`Sink::any_context`]).
    pub const fn is_any(self) -> bool {
        matches!(self, SinkContext::Any)
    }
}

/// Why a sink took no bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SinkError {
    /// Not now: try again later (FIFO full, DMA busy). The console keeps its
    /// place in the current record.
    WouldBlock,
    /// The device failed; the current record is counted as dropped for this
    /// console and announced in its next "messages dropped" notice.
    Failed,
}

/// How records are rendered for a sink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordFormat {
    /// Text lines: `[   12.345678] INFO  irq7: message`. Binary records
    /// are shown as `<N-byte binary record>`.
    Lines,
    /// Raw payloads of binary records (for example defmt frames) back to
    /// back; text records are skipped (counted as filtered).
    Frames,
}

/// What a text console does with the bytes of a record's text that could
/// corrupt a terminal or a log collector (the README's "Line format"
/// section lists what is escaped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextMode {
    /// Control characters (except tab), DEL, a backslash before `x`, invalid UTF-8 and
    /// the Unicode controls terminals act on are shown as `\xNN` escapes,
    /// like `dmesg`. The default.
    Escaped,
    /// The bytes as they are, for a sink that wants them (a terminal the
    /// firmware colours itself, a binary-safe collector). Line breaks still
    /// start a prefixed continuation line and a record's first line still
    /// never starts like a continuation or a notice.
    Raw,
}

/// An output for records. See the [module documentation](self).
pub trait Sink: Send {
    /// Writes some of `bytes`; returns how many were taken (at least one on
    /// `Ok` unless `bytes` is empty).
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError>;

    /// Pushes buffered bytes out; called after a batch of records.
    fn flush(&mut self) -> Result<(), SinkError> {
        Ok(())
    }

    /// Whether `write` may be called from any context (interrupt, fault,
    /// panic) and completes by polling the hardware. Thread-only sinks are
    /// left to thread-context printers.
    fn any_context(&self) -> bool {
        false
    }

    /// How records are rendered for this sink.
    fn format(&self) -> RecordFormat {
        RecordFormat::Lines
    }

    /// Whether a text console escapes record text for this sink
    /// ([`TextMode::Escaped`], the default) or writes it as it is. Must not
    /// change while a record is being written (a console resuming after
    /// would-block renders the record again and skips what was sent).
    fn text_mode(&self) -> TextMode {
        TextMode::Escaped
    }
}

/// Wraps a sink so its console emits raw binary records (for example defmt
/// frames) back to back instead of text lines ([`RecordFormat::Frames`]);
/// everything else is the inner sink's.
///
/// ```
/// use logbuf::sinks::{FmtSink, Frames, RecordFormat, Sink, SinkContext};
/// let sink = Frames(FmtSink::new(String::new(), SinkContext::Thread));
/// assert_eq!(sink.format(), RecordFormat::Frames);
/// assert!(!sink.any_context());
/// ```
#[derive(Debug)]
pub struct Frames<S>(pub S);

impl<S: Sink> Sink for Frames<S> {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        self.0.write(bytes)
    }
    fn flush(&mut self) -> Result<(), SinkError> {
        self.0.flush()
    }
    fn any_context(&self) -> bool {
        self.0.any_context()
    }
    fn format(&self) -> RecordFormat {
        RecordFormat::Frames
    }
    fn text_mode(&self) -> TextMode {
        self.0.text_mode()
    }
}

/// Wraps a sink so its console writes record text as it is
/// ([`TextMode::Raw`]: no escaping of control characters or invalid UTF-8);
/// everything else is the inner sink's.
///
/// ```
/// use logbuf::sinks::{FmtSink, RawText, RecordFormat, Sink, SinkContext, TextMode};
/// let sink = RawText(FmtSink::new(String::new(), SinkContext::Any));
/// assert_eq!(sink.text_mode(), TextMode::Raw);
/// assert_eq!(sink.format(), RecordFormat::Lines);
/// assert!(sink.any_context());
/// ```
#[derive(Debug)]
pub struct RawText<S>(pub S);

impl<S: Sink> Sink for RawText<S> {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        self.0.write(bytes)
    }
    fn flush(&mut self) -> Result<(), SinkError> {
        self.0.flush()
    }
    fn any_context(&self) -> bool {
        self.0.any_context()
    }
    fn format(&self) -> RecordFormat {
        self.0.format()
    }
    fn text_mode(&self) -> TextMode {
        TextMode::Raw
    }
}
