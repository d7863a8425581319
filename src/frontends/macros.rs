//! The logging macros: [`error!`](crate::error), [`warn!`](crate::warn),
//! [`info!`](crate::info), [`debug!`](crate::debug), [`trace!`](crate::trace)
//! and [`log!`](crate::log).
//!
//! # Finding the logger
//!
//! The first argument names the logger:
//!
//! ```
//! use logbuf::console::{Config, Logger, StdThreads};
//! use logbuf::{info, warn};
//!
//! static LOG: Logger<StdThreads, 4096, 64, 2> = Logger::new();
//!
//! let irq = 7;
//! let stored = info!(LOG, "irq {} fired {} times", irq, 3);
//! assert_eq!(stored, logbuf::STATIC_MAX_LEVEL >= logbuf::LevelFilter::Info);
//! warn!(LOG, "temperature {temp:.1} C", temp = 81.25);
//! ```
//!
//! This is the primary form, for three reasons: the call compiles to a
//! direct, inlinable call on the concrete `Logger` type (no `dyn`, no
//! global state, nothing to initialise before the first log call); a
//! firmware may run several loggers (a small one for a bootloader stage, a
//! big one for the application) and the call says which; and nothing can
//! log before a global was installed.
//!
//! For code that should not name the logger (drivers, shared crates), one
//! logger per binary can be made global at link time, as defmt does:
//! `logbuf::global_logger!(LOG);` in the binary, then `info!("...")`
//! without a first argument anywhere. A missing `global_logger!` is a link
//! error, not a silent loss. (Libraries that already use the `log` crate can
//! instead use the `log` facade, feature `log`.)
//!
//! # What a call does
//!
//! 1. The compile-time floor [`STATIC_MAX_LEVEL`] (features `max_level_*`)
//!    removes calls below it entirely: their arguments are not even
//!    evaluated.
//! 2. The runtime filter ([`Logger::set_level`](crate::console::Logger::set_level))
//!    is checked; a filtered call formats nothing.
//! 3. The message is formatted with `core::fmt` straight into the reserved
//!    record: measured once, then written into the ring's words. No heap,
//!    no line buffer on the stack; a message longer than the ring's
//!    `MAX_PAYLOAD` is cut and flagged (`[truncated]` on text consoles).
//! 4. The record gets the time from `Platform::now` and the caller context
//!    from `Platform::caller`; then the call prints within its context's
//!    budget or leaves the work to the printer.
//!
//! Each macro evaluates to `true` if the record was stored.
//! Per-console filters ([`Logger::set_console_level`](crate::console::Logger::set_console_level))
//! decide later, when the record is printed.

use crate::LevelFilter;

/// The compile-time level floor, chosen by Cargo features like the `log`
/// crate's: `max_level_off`, `max_level_error`, `max_level_warn`,
/// `max_level_info`, `max_level_debug`, `max_level_trace`. When several are
/// enabled the most restrictive wins; with none, everything is compiled in.
///
/// Note that `cargo test --all-features` therefore builds with
/// `max_level_off`.
pub const STATIC_MAX_LEVEL: LevelFilter = if cfg!(feature = "max_level_off") {
    LevelFilter::Off
} else if cfg!(feature = "max_level_error") {
    LevelFilter::Error
} else if cfg!(feature = "max_level_warn") {
    LevelFilter::Warn
} else if cfg!(feature = "max_level_info") {
    LevelFilter::Info
} else if cfg!(feature = "max_level_debug") {
    LevelFilter::Debug
} else {
    LevelFilter::Trace
};

/// Logs at a level given at run time: `log!(LOG, level, "fmt", args..)`, or
/// `log!(level, "fmt", args..)` through the [global logger](crate::global_logger).
///
/// ```
/// use logbuf::console::{Config, Logger, StdThreads};
/// use logbuf::Level;
/// static LOG: Logger<StdThreads, 1024, 16, 1> = Logger::new();
/// let level = if 2 > 1 { Level::Warn } else { Level::Debug };
/// logbuf::log!(LOG, level, "chosen at run time: {:?}", level);
/// ```
#[macro_export]
macro_rules! log {
    ($level:expr, $fmt:literal $($rest:tt)*) => {
        $crate::__log_global!($level, $fmt $($rest)*)
    };
    ($logger:expr, $level:expr, $($arg:tt)+) => {{
        let level: $crate::Level = $level;
        if $crate::STATIC_MAX_LEVEL.allows(level) {
            $logger.log(level, ::core::format_args!($($arg)+))
        } else {
            false
        }
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __log_global {
    ($level:expr, $($arg:tt)+) => {{
        let level: $crate::Level = $level;
        if $crate::STATIC_MAX_LEVEL.allows(level) {
            #[allow(unsafe_code)]
            fn __logbuf_call(level: $crate::Level, args: ::core::fmt::Arguments<'_>) -> bool {
                extern "Rust" {
                    fn __logbuf_global_log(level: $crate::Level, args: ::core::fmt::Arguments<'_>) -> bool;
                }
                // SAFETY: the symbol is defined by `logbuf::global_logger!`
                // with exactly this signature (a missing one fails to link).
                unsafe { __logbuf_global_log(level, args) }
            }
            __logbuf_call(level, ::core::format_args!($($arg)+))
        } else {
            false
        }
    }};
}

/// Makes `$logger` (a `static` [`Logger`](crate::console::Logger)) the
/// target of the macros called without a logger argument, in the whole
/// binary. Use it once, in the binary crate.
///
/// ```
/// use logbuf::console::{Config, Logger, StdThreads};
/// static LOG: Logger<StdThreads, 1024, 16, 1> = Logger::new();
/// logbuf::global_logger!(LOG);
///
/// logbuf::info!("no logger argument: {}", 42);
/// ```
#[macro_export]
macro_rules! global_logger {
    ($logger:path) => {
        #[doc(hidden)]
        #[allow(unsafe_code)]
        #[no_mangle]
        fn __logbuf_global_log(level: $crate::Level, args: ::core::fmt::Arguments<'_>) -> bool {
            $logger.log(level, args)
        }
    };
}

/// Declares a `static` logger in one line: `logger!(static LOG: Logger<Board>);`
/// (8 KiB of records, up to 128 of them, one console; its configuration is
/// `Board`'s [`Platform::CONFIG`](crate::console::Platform::CONFIG)), or any
/// size: `logger!(static LOG: Logger<Board, { 16 * 1024 }, 256, 2>);`. Add
/// `, global` to make it the [global logger](crate::global_logger) too. The
/// static is all zero, in `.bss`.
///
/// ```
/// use logbuf::console::{Logger, StdThreads};
/// logbuf::logger!(pub static LOG: Logger<StdThreads, { 4 * 1024 }>, global);
///
/// assert!(logbuf::warn!("through the global logger") == logbuf::STATIC_MAX_LEVEL.allows(logbuf::Level::Warn));
/// ```
#[macro_export]
macro_rules! logger {
    ($(#[$m:meta])* $vis:vis static $name:ident: $ty:ty) => {
        $(#[$m])*
        $vis static $name: $ty = <$ty>::new();
    };
    ($(#[$m:meta])* $vis:vis static $name:ident: $ty:ty, global) => {
        $crate::logger!($(#[$m])* $vis static $name: $ty);
        $crate::global_logger!($name);
    };
}

/// Logs at [`Level::Error`](crate::Level::Error): `error!(LOG, "fmt", args..)`
/// or `error!("fmt", args..)` with a [global logger](crate::global_logger).
/// See the [macros module](crate::frontends::macros).
#[macro_export]
macro_rules! error {
    ($fmt:literal $($rest:tt)*) => { $crate::__log_global!($crate::Level::Error, $fmt $($rest)*) };
    ($logger:expr, $($arg:tt)+) => { $crate::log!($logger, $crate::Level::Error, $($arg)+) };
}

/// Logs at [`Level::Warn`](crate::Level::Warn): `warn!(LOG, "fmt", args..)`
/// or `warn!("fmt", args..)` with a [global logger](crate::global_logger).
/// See the [macros module](crate::frontends::macros).
#[macro_export]
macro_rules! warn {
    ($fmt:literal $($rest:tt)*) => { $crate::__log_global!($crate::Level::Warn, $fmt $($rest)*) };
    ($logger:expr, $($arg:tt)+) => { $crate::log!($logger, $crate::Level::Warn, $($arg)+) };
}

/// Logs at [`Level::Info`](crate::Level::Info): `info!(LOG, "fmt", args..)`
/// or `info!("fmt", args..)` with a [global logger](crate::global_logger).
/// See the [macros module](crate::frontends::macros).
#[macro_export]
macro_rules! info {
    ($fmt:literal $($rest:tt)*) => { $crate::__log_global!($crate::Level::Info, $fmt $($rest)*) };
    ($logger:expr, $($arg:tt)+) => { $crate::log!($logger, $crate::Level::Info, $($arg)+) };
}

/// Logs at [`Level::Debug`](crate::Level::Debug): `debug!(LOG, "fmt", args..)`
/// or `debug!("fmt", args..)` with a [global logger](crate::global_logger).
/// See the [macros module](crate::frontends::macros).
#[macro_export]
macro_rules! debug {
    ($fmt:literal $($rest:tt)*) => { $crate::__log_global!($crate::Level::Debug, $fmt $($rest)*) };
    ($logger:expr, $($arg:tt)+) => { $crate::log!($logger, $crate::Level::Debug, $($arg)+) };
}

/// Logs at [`Level::Trace`](crate::Level::Trace): `trace!(LOG, "fmt", args..)`
/// or `trace!("fmt", args..)` with a [global logger](crate::global_logger).
/// See the [macros module](crate::frontends::macros).
#[macro_export]
macro_rules! trace {
    ($fmt:literal $($rest:tt)*) => { $crate::__log_global!($crate::Level::Trace, $fmt $($rest)*) };
    ($logger:expr, $($arg:tt)+) => { $crate::log!($logger, $crate::Level::Trace, $($arg)+) };
}
