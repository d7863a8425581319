//! The `log` facade (feature `log`): a [`Logger`] is a `log::Log`, so every
//! crate that logs through `log::info!` and friends ends in the ring.
//!
//! ```
//! use logbuf::console::{Config, Logger, StdThreads};
//! use logbuf::LevelFilter;
//!
//! static LOG: Logger<StdThreads, 4096, 64, 2> = Logger::new();
//!
//! logbuf::frontends::log::init(&LOG, LevelFilter::Debug).unwrap();
//! log::info!("from the log crate: {}", 42);
//! ```
//!
//! * `log::set_logger` needs compare-and-swap. On cores without it
//!   (thumbv6m, riscv32imc) use [`init_racy`], which calls
//!   `log::set_logger_racy`: call it once, early in `main`, before
//!   interrupts are enabled and before any other context may log.
//! * `log` keeps its own global maximum level; [`init`] sets it to match.
//!   The `log` crate's own `max_level_*` features are its compile-time floor.
//! * The record's target and module path are not stored: lines read the
//!   same as the [macros](crate::frontends::macros) produce.
//! * `Log::flush` prints what this context may ([`Logger::print_or_defer`]).

use crate::console::{Logger, Platform};
use crate::{Level, LevelFilter};

/// `log`'s level as a logbuf [`Level`].
pub const fn level_from_log(l: log::Level) -> Level {
    match l {
        log::Level::Error => Level::Error,
        log::Level::Warn => Level::Warn,
        log::Level::Info => Level::Info,
        log::Level::Debug => Level::Debug,
        log::Level::Trace => Level::Trace,
    }
}

/// A logbuf [`LevelFilter`] as `log`'s.
pub const fn filter_to_log(f: LevelFilter) -> log::LevelFilter {
    match f {
        LevelFilter::Off => log::LevelFilter::Off,
        LevelFilter::Error => log::LevelFilter::Error,
        LevelFilter::Warn => log::LevelFilter::Warn,
        LevelFilter::Info => log::LevelFilter::Info,
        LevelFilter::Debug => log::LevelFilter::Debug,
        LevelFilter::Trace => log::LevelFilter::Trace,
    }
}

impl<P: Platform, const BYTES: usize, const SLOTS: usize, const CONSOLES: usize> log::Log
    for Logger<P, BYTES, SLOTS, CONSOLES>
{
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        Logger::enabled(self, level_from_log(metadata.level()))
    }

    fn log(&self, record: &log::Record<'_>) {
        Logger::log(self, level_from_log(record.level()), *record.args());
    }

    fn flush(&self) {
        self.print_or_defer();
    }
}

/// Installs `logger` with `log::set_logger` and sets `log`'s maximum level.
/// Fails if a logger was installed already.
#[cfg(target_has_atomic = "ptr")]
pub fn init(logger: &'static dyn log::Log, max: LevelFilter) -> Result<(), log::SetLoggerError> {
    log::set_logger(logger)?;
    log::set_max_level(filter_to_log(max));
    Ok(())
}

/// [`init`] for cores without compare-and-swap: `log::set_logger_racy`.
///
/// # Safety
///
/// No other context may log or install a logger while this runs: call it
/// once at start-up, before interrupts are enabled and before other cores
/// start (the contract of `log::set_logger_racy`).
pub unsafe fn init_racy(
    logger: &'static dyn log::Log,
    max: LevelFilter,
) -> Result<(), log::SetLoggerError> {
    // SAFETY: the caller guarantees nothing else runs concurrently.
    unsafe {
        log::set_logger_racy(logger)?;
        log::set_max_level_racy(filter_to_log(max));
    }
    Ok(())
}
