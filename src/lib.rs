//! # logbuf
//!
//! A `no_std` logging core for bare-metal firmware: a lock-free log ring any
//! context can write without waiting, a console lock that decides who
//! prints and hands that duty over safely, and pluggable console sinks.
//!
//! ## What a firmware touches
//!
//! | step | what |
//! |------|------|
//! | describe the board | `cortex_m_platform!` (feature `cortex-m`, ARM targets), or implement [`console::Platform`] (caller, clock, printer wake-up, [`CONFIG`](console::Platform::CONFIG)) |
//! | declare the logger | `static LOG: Logger<Board> = Logger::new();` ([`console::Logger`]: 8 KiB of records by default, sizes in bytes) or [`logger!`] |
//! | add a console | [`Logger::add_console`](console::Logger::add_console) with a [`sinks::Sink`] (UART, RTT, `embedded-io`, `core::fmt::Write`) |
//! | log | [`error!`] … [`trace!`], from any context; or the `log` / defmt front ends ([`frontends`]) |
//! | print | [`Logger::printer`](console::Logger::printer) in the printer context the board wakes |
//! | panic | [`Logger::panic_flush`](console::Logger::panic_flush) in the panic handler |
//! | pass it around | `&dyn` [`console::DynLogger`] for drivers and helpers |
//!
//! The README's "On a board" section is a complete firmware (built and run
//! in QEMU by the test command).
//!
//! ```
//! use logbuf::console::{Logger, StdThreads};
//! use logbuf::sinks::Capture;
//! use logbuf::{Level, LevelFilter};
//!
//! static LOG: Logger<StdThreads> = Logger::new();
//!
//! let uart = Capture::new();
//! LOG.add_console(uart.leak_sink(), LevelFilter::Info).unwrap();
//! LOG.log(Level::Warn, format_args!("fan {} stalled", 2)); // or warn!(LOG, ..)
//! assert!(uart.text().ends_with(": fan 2 stalled\n"), "{}", uart.text());
//! ```
//!
//! ## The tree follows the architecture
//!
//! | module       | what it is |
//! |--------------|------------|
//! | [`ring`]     | the log ring: multi-producer records, per-reader cursors |
//! | [`console`]  | the console lock, the printing loop, budgets, printer, panic flush |
//! | [`sinks`]    | console outputs: the `Sink` trait and its adapters |
//! | [`frontends`] | how firmware logs: [`error!`] … [`trace!`] macros, the `log` facade, a defmt global logger |
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(any(test, loom, feature = "std"))]
extern crate std;

pub mod console;
mod counter;
pub mod frontends;
mod level;
pub mod ring;
pub mod sinks;
mod sync;

pub use frontends::macros::STATIC_MAX_LEVEL;
pub use level::{Level, LevelFilter};
