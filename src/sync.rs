//! The one place that decides which atomics the algorithms use.
//!
//! Every lock-free algorithm in this crate is written once against this
//! module:
//!
//! | build                         | atomics come from                    |
//! |-------------------------------|--------------------------------------|
//! | default (cores with CAS)      | `core::sync::atomic`                 |
//! | feature `portable-atomic`     | `portable_atomic` (CAS through a critical section the final binary picks) |
//! | `RUSTFLAGS="--cfg loom"`      | `loom::sync::atomic` (model checking)|
//!
//! Only 32-bit (and narrower) atomics are used anywhere, so thumbv7m and
//! thumbv7em never need a 64-bit atomic or a critical section (I8).
//!
//! Loom atomics cannot be built in a `const fn`; types that must be
//! `const`-constructible for `static` use therefore have a `const fn new`
//! outside loom and a plain `fn new` under `cfg(loom)`.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicU8, Ordering};

#[cfg(all(not(loom), feature = "portable-atomic"))]
pub(crate) use portable_atomic::{fence, AtomicBool, AtomicU32, AtomicU8, Ordering};

#[cfg(all(not(loom), not(feature = "portable-atomic")))]
pub(crate) use core::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicU8, Ordering};

/// Spin-loop hint; a loom yield under the model so spinning code terminates.
#[inline]
#[allow(dead_code)]
pub(crate) fn spin_hint() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    core::hint::spin_loop();
}
