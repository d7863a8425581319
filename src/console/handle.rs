//! The logger with its generics erased: `&'static dyn DynLogger`, for
//! drivers, shared crates and helpers that should not name the ring size,
//! the record count or the platform (like heapless's `QueueView` or
//! embassy-sync's `dyn_sender()`).
//!
//! ```
//! use logbuf::console::{DynLogger, Logger, StdThreads};
//! use logbuf::sinks::Capture;
//! use logbuf::{Level, LevelFilter};
//!
//! static BIG: Logger<StdThreads, { 16 * 1024 }, 256> = Logger::new();
//! static SMALL: Logger<StdThreads, 1024, 16> = Logger::new();
//!
//! /// A driver's helper: any logger will do.
//! fn report(log: &dyn DynLogger, temp: i32) {
//!     log.log(Level::Info, format_args!("temp={}", temp)); // or info!(log, ..)
//! }
//!
//! let uart = Capture::new();
//! SMALL.add_console(uart.leak_sink(), LevelFilter::Info).unwrap();
//! report(&BIG, 20);
//! report(&SMALL, 21);
//! assert!(uart.text().ends_with("temp=21\n"));
//! ```
//!
//! A call through the handle is an indirect call to the same code a direct
//! call runs; the logger itself stays a concrete `static`.

use super::config::Config;
use super::context::Platform;
use super::hold::{ConsoleHold, ConsoleOwner};
use super::logger::{ConsoleError, ConsoleId, Logger, LoggerStats, PrinterStatus};
use super::state::ConsoleStats;
use crate::ring::RecordMeta;
use crate::sinks::Sink;
use crate::{Level, LevelFilter};
use core::fmt;

/// A [`Logger`] of any platform, size, record count and console count.
/// Every method is the [`Logger`] method of the same name.
pub trait DynLogger: Sync {
    /// [`Logger::log`].
    fn log(&self, level: Level, args: fmt::Arguments<'_>) -> bool;
    /// [`Logger::log_deferred`].
    fn log_deferred(&self, level: Level, args: fmt::Arguments<'_>) -> bool;
    /// [`Logger::log_bytes`].
    fn log_bytes(&self, meta: RecordMeta, payload: &[u8]) -> bool;
    /// [`Logger::enabled`].
    fn enabled(&self, level: Level) -> bool;
    /// [`Logger::set_level`].
    fn set_level(&self, filter: LevelFilter);
    /// [`Logger::config`].
    fn config(&self) -> Config;
    /// [`Logger::add_console`].
    fn add_console(
        &self,
        sink: &'static mut dyn Sink,
        filter: LevelFilter,
    ) -> Result<ConsoleId, ConsoleError>;
    /// [`Logger::console_at`].
    fn console_at(&self, index: usize) -> Option<ConsoleId>;
    /// [`Logger::remove_console`].
    fn remove_console(&self, id: ConsoleId) -> Result<&'static mut dyn Sink, ConsoleError>;
    /// [`Logger::replace_sink`].
    #[allow(clippy::type_complexity)]
    fn replace_sink(
        &self,
        id: ConsoleId,
        sink: &'static mut dyn Sink,
    ) -> Result<&'static mut dyn Sink, (ConsoleError, &'static mut dyn Sink)>;
    /// [`Logger::set_console_level`].
    fn set_console_level(&self, id: ConsoleId, filter: LevelFilter) -> Result<(), ConsoleError>;
    /// [`Logger::console_stats`].
    fn console_stats(&self, id: ConsoleId) -> Option<ConsoleStats>;
    /// [`Logger::stats`].
    fn stats(&self) -> LoggerStats;
    /// [`Logger::print_or_defer`].
    fn print_or_defer(&self);
    /// [`Logger::printer`].
    fn printer(&self) -> PrinterStatus;
    /// [`Logger::console_printer`].
    fn console_printer(&self, id: ConsoleId) -> PrinterStatus;
    /// [`Logger::emergency_flush`].
    fn emergency_flush(&self) -> bool;
    /// [`Logger::panic_flush`].
    ///
    /// # Safety
    ///
    /// As for [`Logger::panic_flush`].
    unsafe fn panic_flush(&self, message: fmt::Arguments<'_>) -> usize;
    /// [`Logger::hold_consoles`].
    fn hold_consoles(&self) -> Option<ConsoleHold<'_>>;
    /// [`Logger::console_owner`].
    fn console_owner(&self) -> Option<ConsoleOwner>;
}

impl<P: Platform, const BYTES: usize, const SLOTS: usize, const CONSOLES: usize> DynLogger
    for Logger<P, BYTES, SLOTS, CONSOLES>
{
    fn log(&self, level: Level, args: fmt::Arguments<'_>) -> bool {
        Logger::log(self, level, args)
    }
    fn log_deferred(&self, level: Level, args: fmt::Arguments<'_>) -> bool {
        Logger::log_deferred(self, level, args)
    }
    fn log_bytes(&self, meta: RecordMeta, payload: &[u8]) -> bool {
        Logger::log_bytes(self, meta, payload)
    }
    fn enabled(&self, level: Level) -> bool {
        Logger::enabled(self, level)
    }
    fn set_level(&self, filter: LevelFilter) {
        Logger::set_level(self, filter)
    }
    fn config(&self) -> Config {
        Logger::config(self)
    }
    fn add_console(
        &self,
        sink: &'static mut dyn Sink,
        filter: LevelFilter,
    ) -> Result<ConsoleId, ConsoleError> {
        Logger::add_console(self, sink, filter)
    }
    fn console_at(&self, index: usize) -> Option<ConsoleId> {
        Logger::console_at(self, index)
    }
    fn remove_console(&self, id: ConsoleId) -> Result<&'static mut dyn Sink, ConsoleError> {
        Logger::remove_console(self, id)
    }
    fn replace_sink(
        &self,
        id: ConsoleId,
        sink: &'static mut dyn Sink,
    ) -> Result<&'static mut dyn Sink, (ConsoleError, &'static mut dyn Sink)> {
        Logger::replace_sink(self, id, sink)
    }
    fn set_console_level(&self, id: ConsoleId, filter: LevelFilter) -> Result<(), ConsoleError> {
        Logger::set_console_level(self, id, filter)
    }
    fn console_stats(&self, id: ConsoleId) -> Option<ConsoleStats> {
        Logger::console_stats(self, id)
    }
    fn stats(&self) -> LoggerStats {
        Logger::stats(self)
    }
    fn print_or_defer(&self) {
        Logger::print_or_defer(self)
    }
    fn printer(&self) -> PrinterStatus {
        Logger::printer(self)
    }
    fn console_printer(&self, id: ConsoleId) -> PrinterStatus {
        Logger::console_printer(self, id)
    }
    fn emergency_flush(&self) -> bool {
        Logger::emergency_flush(self)
    }
    unsafe fn panic_flush(&self, message: fmt::Arguments<'_>) -> usize {
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe { Logger::panic_flush(self, message) }
    }
    fn hold_consoles(&self) -> Option<ConsoleHold<'_>> {
        Logger::hold_consoles(self)
    }
    fn console_owner(&self) -> Option<ConsoleOwner> {
        Logger::console_owner(self)
    }
}
