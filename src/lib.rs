//! # logbuf
//!
//! A `no_std` logging core for bare-metal firmware: a lock-free log ring any
//! context can write without waiting, a console lock that decides who prints
//! and hands that duty over safely, and pluggable console sinks.
//!
//! The tree follows the architecture:
//!
//! | module       | what it is |
//! |--------------|------------|
//! | [`ring`]     | the log ring: multi-producer records, per-reader cursors |
//! | [`console`]  | the console lock, the printing loop, budgets, printer, panic flush |
//! | [`sinks`]    | console outputs: the `Sink` trait and its adapters |
//! | [`frontends`] | how firmware logs: [`error!`] … [`trace!`] macros, the `log` facade, a defmt global logger |
//!
//! ```
//! use logbuf::ring::{Ring, RecordMeta, Cursor, Read};
//! use logbuf::Level;
//!
//! static RING: Ring<4096, 64> = Ring::new();
//! RING.write(RecordMeta::new(Level::Info), b"hello").unwrap();
//! let mut buf = [0u8; 32];
//! assert!(matches!(RING.read(&mut Cursor::new(), &mut buf), Read::Record(_)));
//! ```
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
