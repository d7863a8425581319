//! The one place that decides which atomics the algorithms use.
//!
//! Every lock-free algorithm in this crate is written once against this
//! module:
//!
//! | build                         | atomics come from                    |
//! |-------------------------------|--------------------------------------|
//! | default (cores with CAS)      | `core::sync::atomic`                 |
//! | feature `portable-atomic`     | `portable_atomic` (CAS through a critical section the final binary picks; multicore-safe on a multicore part) |
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

/// Interior mutability checked by loom for concurrent access (I4): under
/// `cfg(loom)` this is `loom::cell::UnsafeCell`, which fails a model when two
/// threads touch the cell without a happens-before edge between them.
#[cfg(not(loom))]
pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(v: T) -> Self {
        UnsafeCell(core::cell::UnsafeCell::new(v))
    }
    /// Runs `f` with a raw pointer to the contents.
    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

#[cfg(loom)]
pub(crate) struct UnsafeCell<T>(loom::cell::UnsafeCell<T>);

#[cfg(loom)]
impl<T> UnsafeCell<T> {
    pub(crate) fn new(v: T) -> Self {
        UnsafeCell(loom::cell::UnsafeCell::new(v))
    }
    /// Runs `f` with a raw pointer to the contents (access tracked by loom).
    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        self.0.with_mut(f)
    }
}

/// Declares a constructor once: `const fn` in normal builds (so it can
/// initialise a `static`), plain `fn` under loom, whose atomics are not
/// `const`. Arrays inside use [`array_of!`].
macro_rules! loom_const_fn {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {
        #[cfg(not(loom))]
        $(#[$m])*
        $vis const fn $name($($arg: $ty),*) -> $ret $body

        #[cfg(loom)]
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) -> $ret $body
    };
}
pub(crate) use loom_const_fn;

/// `[e; N]` for values that are not `Copy`: an inline-`const` repeat in
/// normal builds, `core::array::from_fn` under loom.
#[cfg(not(loom))]
macro_rules! array_of {
    ($e:expr; $n:expr) => {
        [const { $e }; $n]
    };
}
/// `[e; N]` for values that are not `Copy` (loom build: `array::from_fn`).
#[cfg(loom)]
macro_rules! array_of {
    ($e:expr; $n:expr) => {
        core::array::from_fn(|_| $e)
    };
}
pub(crate) use array_of;
