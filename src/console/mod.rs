//! The console lock and the printing loop: who prints, when, and never the
//! wrong context.
//!
//! Every log call stores its record in the [ring](crate::ring) first (never
//! waiting). Then it asks the console lock (one state word, crate-internal) whether it should print:
//!
//! * **Lock free** → the caller owns the consoles and prints, at most its
//!   [`Budget`] (records, bytes and clock ticks; interrupt context prints
//!   nothing by default, I5, I11), then releases. If
//!   the budget ran out with records left, it wakes the **printer**.
//! * **Lock held** → the caller marks `PENDING` and leaves: the owner looks
//!   at the ring again before it may release (I3, no stranded record).
//!   Only if the owner is printing a record *right now on another core*,
//!   is a producer, and nobody waits yet, may a **thread-context** caller
//!   become the single waiter and spin (bounded) until the owner hands the
//!   lock over after its current record — with no release window. A waiter
//!   that gives up withdraws atomically and can never be handed the lock
//!   later. Interrupt callers never wait for a thread owner (unless
//!   [`Config::handoff_to_irq`]).
//! * **Printer** ([`Logger::printer`]) — the printing context the printk
//!   critique asks for: lowest priority, no budget, serves thread-only
//!   sinks, and may displace a producer that owns the consoles but sits
//!   between records (a preempted owner, critique problem 1).
//! * **Emergency** ([`Logger::emergency_flush`]) takes over at a record
//!   boundary (directly, or by asking and waiting a bounded time).
//! * **Panic** ([`Logger::panic_flush`]) may take over mid-record; the cut
//!   record is printed again after a marker.
//! * **Dedicated consoles** ([`Logger::add_dedicated_console`]) are served
//!   only by their own printer ([`Logger::console_printer`]), without the
//!   console lock: a synchronously slow sink paces no other console.
//!
//! Each console has its own cursor, level filter and counters and reads
//! records ahead into its own buffer; a "N messages dropped" notice for
//! whatever it lost goes out with the record after the gap (I2, I9), and
//! under overload it skips low-severity records so that severe ones get
//! through (see the console step, `console/emit.rs`). A console whose sink
//! would block keeps its place; the others go on.
//!
//! How this answers the printk handoff critique (S. Senozhatsky, "Re: [RFC][PATCHv6 00/12] printk: introduce printing kernel thread", LKML, 20 December 2017):
//!
//! | problem | answer |
//! |---------|--------|
//! | (1) owner preempted, nobody can print | producers never wait; the printer takes over at the owner's next record boundary |
//! | (2) the last owner prints the whole backlog | every direct print has a budget; the rest goes to the printer |
//! | @LATER thread → irq handoff | interrupt callers are never handed the duty by default |
//! | (A)/(B) atomic context must flush everything | atomic contexts print ≤ budget, independent of ring size |
//! | panic: spinning on a halted owner | same-core owners are never waited for; panic waits bounded, then takes over |
//!
//! # Example
//!
//! ```
//! use logbuf::console::{Caller, Config, Logger, Platform};
//! use logbuf::sinks::Capture;
//! use logbuf::Level;
//!
//! struct Board;
//! impl Platform for Board {
//!     fn caller() -> Caller { Caller::thread(0, 0) }
//!     fn now() -> u64 { 1_500_000 }
//!     fn wake_printer() {}
//! }
//!
//! static LOG: Logger<Board, 4096, 64, 2> = Logger::new();
//!
//! let uart = Capture::new();
//! LOG.add_console(uart.leak_sink(), logbuf::LevelFilter::Info).unwrap();
//! LOG.log(Level::Info, format_args!("temp={} id={}", 21, 7));
//! assert_eq!(uart.text(), "[    1.500000] INFO  t0: temp=21 id=7\n");
//! ```

mod config;
mod context;
// The stock Cortex-M platform; also built for host unit tests of the NVIC
// register arithmetic.
#[cfg(any(all(feature = "cortex-m", target_arch = "arm"), test))]
mod cortex_m;
mod emit;
mod handle;
mod hold;
mod lock;
mod logger;
mod render;
// Also built for host unit tests of the nesting logic.
#[cfg(all(
    feature = "riscv",
    any(target_arch = "riscv32", target_arch = "riscv64", test)
))]
mod riscv;
mod state;

#[cfg(all(test, loom))]
mod loom_models;

pub use config::{Budget, Config};
#[cfg(all(feature = "cortex-m", target_arch = "arm"))]
pub use context::cortex_m_caller;
#[cfg(feature = "std")]
pub use context::StdThreads;
pub use context::{Caller, ContextClass, ContextId, Platform, Priority};
#[cfg(all(feature = "cortex-m", target_arch = "arm"))]
pub use cortex_m::pend_interrupt;
pub use handle::DynLogger;
pub use hold::{ConsoleHold, ConsoleOwner};
#[cfg(all(test, loom))]
pub(crate) use lock::{Attempt, Boundary, ConsoleLock, Release};
pub use logger::{ConsoleError, ConsoleId, Logger, LoggerStats, PrinterStatus};
pub use render::LineFormat;
#[cfg(all(
    feature = "riscv",
    any(target_arch = "riscv32", target_arch = "riscv64")
))]
pub use riscv::{hart_id, RiscvTraps, TrapGuard};
pub use state::ConsoleStats;
pub use state::LINE_MAX;
