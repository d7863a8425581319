//! Front ends: the ways firmware hands records to a [`Logger`](crate::console::Logger).
//!
//! | front end | module | feature | formatting |
//! |-----------|--------|---------|------------|
//! | [`error!`](crate::error) … [`trace!`](crate::trace), [`log!`](crate::log) | [`macros`] | — (`max_level_*` floor) | `core::fmt`, straight into the ring |
//! | the `log` facade | `log` | `log` | `core::fmt`, straight into the ring |
//! | a defmt global logger | `defmt` | `defmt` | deferred: defmt frames stored as binary records |
//!
//! All of them end in the same ring, so text lines and defmt frames
//! coexist, each record stamped with [`Platform::now`](crate::console::Platform::now)
//! and the caller context from [`Platform::caller`](crate::console::Platform::caller).

#[cfg(all(feature = "defmt", not(loom)))]
pub mod defmt;
#[cfg(feature = "log")]
pub mod log;
pub mod macros;
