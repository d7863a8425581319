//! Console sinks: where printed records go.
//!
//! A [`Sink`] takes bytes. It says whether it can be written from any
//! context by polling ([`Sink::any_context`]; such sinks are used by
//! interrupt-context printing and by the panic flush) and how records are
//! rendered for it ([`Sink::format`]: text lines or raw binary frames).
//! A sink that cannot take bytes right now returns
//! [`SinkError::WouldBlock`]; its console keeps its place and the others go
//! on (one slow sink never stalls the rest).
//!
//! ```
//! use logbuf::sinks::{Sink, SinkError, RecordFormat};
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
//! ```

#[cfg(any(test, feature = "std"))]
mod capture;

#[cfg(any(test, feature = "std"))]
pub use capture::{Capture, CaptureSink};

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
}
