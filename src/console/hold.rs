//! Holding the consoles from outside a record, and looking at who owns them.
//!
//! [`Logger::hold_consoles`](super::Logger::hold_consoles) pauses direct
//! printing (while a UART is reconfigured, say) the way a log call that owns
//! the consoles and was preempted between two records would: records are
//! still stored, nobody prints them until the hold ends, and the printer may
//! take over a hold exactly as it takes over such a log call
//! ([`Config::printer_takeover`](super::Config::printer_takeover)). A hold
//! never touches a sink, so it cannot break I4.
//!
//! ```
//! use logbuf::console::{Caller, Config, Logger, Platform};
//! use logbuf::sinks::Capture;
//! use logbuf::{Level, LevelFilter};
//!
//! struct Board;
//! impl Platform for Board {
//!     fn caller() -> Caller { Caller::thread(0, 0) }
//!     fn now() -> u64 { 0 }
//!     fn wake_printer() {}
//! }
//! static LOG: Logger<Board, 4096, 64, 1> = Logger::new();
//!
//! let uart = Capture::new();
//! LOG.add_console(uart.leak_sink(), LevelFilter::Info).unwrap();
//! let hold = LOG.hold_consoles().expect("nobody prints right now");
//! LOG.log(Level::Info, format_args!("stored, not printed yet"));
//! assert!(uart.text().is_empty());
//! assert!(LOG.console_owner().is_some());
//! drop(hold); // hands the backlog to the printer
//! LOG.printer();
//! assert!(uart.text().ends_with("stored, not printed yet\n"));
//! ```

use super::context::Priority;
use super::lock::{ConsoleLock, LockView, Owner, Release};

/// Who owns the consoles right now (a snapshot, for diagnostics and tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsoleOwner {
    /// The owner's priority (normal, emergency, panic).
    pub priority: Priority,
    /// The core it runs on.
    pub core: u8,
    /// Whether it runs in interrupt context.
    pub interrupt: bool,
    /// Whether it is inside a record (writing to a sink) right now.
    pub in_record: bool,
    /// Whether a caller asked it to hand the consoles over.
    pub handover_requested: bool,
}

impl From<LockView> for ConsoleOwner {
    fn from(v: LockView) -> Self {
        ConsoleOwner {
            priority: v.owner_priority,
            core: v.owner_core,
            interrupt: v.owner_irq,
            in_record: v.in_record,
            handover_requested: v.requested,
        }
    }
}

/// The consoles held between records by the context that called
/// [`Logger::hold_consoles`](super::Logger::hold_consoles). Dropping it
/// releases them and wakes the printer for what was stored meanwhile.
#[must_use = "dropping the hold releases the consoles at once"]
pub struct ConsoleHold<'a> {
    pub(crate) lock: &'a ConsoleLock,
    pub(crate) owner: Owner,
    pub(crate) wake: fn(),
}

impl ConsoleHold<'_> {
    /// Whether the hold still owns the consoles (a takeover by the printer,
    /// an emergency or a panic ends it early).
    pub fn is_held(&self) -> bool {
        self.lock.is_owner(&self.owner)
    }

    /// Priority the hold owns the consoles with.
    pub fn priority(&self) -> Priority {
        self.owner.priority()
    }
}

impl Drop for ConsoleHold<'_> {
    fn drop(&mut self) {
        if self.lock.release_exhausted(&self.owner) != Release::Lost {
            (self.wake)();
        }
    }
}
