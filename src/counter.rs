//! A 64-bit event counter built from two 32-bit atomics.
//!
//! Statistics must not wrap (a console printing 10 000 lines a second
//! wraps a `u32` in five days), but thumbv7m has no 64-bit atomics and I8
//! forbids a critical section on the store path. So a count is two words:
//!
//! * `low`: the count modulo 2^32, bumped with one `fetch_add`;
//! * `halves`: how many times `low` crossed a multiple of 2^31 (its bit 31
//!   flipped), bumped by the adder that crossed, right after its add.
//!
//! Once every adder has finished, `halves == count >> 31`, so
//! `halves & 1 == bit 31 of low` and `count = (halves >> 1) << 32 | low`.
//! An adder between its two steps leaves `halves` one short; a reader sees
//! that as a parity mismatch and counts the pending crossing itself. The
//! read is therefore exact, and never decreases, unless more than 2^31
//! counts are added while one adder is stalled between its two steps.
//!
//! # Ordering pairs
//!
//! | label | operation | pairs with |
//! |-------|-----------|------------|
//! | N1 | adder: `low.fetch_add` (Relaxed) | — (one word, coherence orders adders) |
//! | N2 | adder that crossed: `halves.fetch_add(1, Release)` | N3 |
//! | N3 | reader: `halves.load(Acquire)`, then `low.load(Acquire)` | N2: `low` is at least as new as every crossing counted |
//! | N4 | reader: `halves` again (Relaxed, after the Acquire of `low`); retry if it moved | — |

use crate::sync::{AtomicU32, Ordering};

/// A 64-bit event counter on 32-bit atomics (see the module docs).
pub(crate) struct Counter {
    low: AtomicU32,
    halves: AtomicU32,
}

impl Counter {
    crate::sync::loom_const_fn! {
        /// A counter at zero (all-zero memory).
        pub(crate) fn new() -> Self {
            Counter {
                low: AtomicU32::new(0),
                halves: AtomicU32::new(0),
            }
        }
    }

    /// A counter at `value` (tests of the crossings).
    #[cfg(test)]
    pub(crate) fn starting_at(value: u64) -> Self {
        Counter {
            low: AtomicU32::new(value as u32),
            halves: AtomicU32::new((value >> 31) as u32),
        }
    }

    /// Adds `n` (less than 2^31).
    #[inline]
    pub(crate) fn add(&self, n: u32) {
        debug_assert!(n < 1 << 31);
        // Ordering: N1 Relaxed; a statistic, no data is published with it.
        let old = self.low.fetch_add(n, Ordering::Relaxed);
        if (old ^ old.wrapping_add(n)) & (1 << 31) != 0 {
            // Ordering: N2 Release; pairs with N3 so a reader that counts
            // this crossing reads `low` past it.
            self.halves.fetch_add(1, Ordering::Release);
        }
    }

    /// Adds `n` of any size (in steps below 2^31).
    pub(crate) fn add_many(&self, mut n: u64) {
        while n > 0 {
            let step = n.min(1 << 30);
            self.add(step as u32);
            n -= step;
        }
    }

    /// Sets the counter back to zero. Only for a counter no other context
    /// adds to right now (a console being installed, under the lock).
    pub(crate) fn reset(&self) {
        // Ordering: Relaxed; the caller excludes adders, and the lock (or
        // the console's registration) publishes the reset.
        self.low.store(0, Ordering::Relaxed);
        // Ordering: Relaxed; as above.
        self.halves.store(0, Ordering::Relaxed);
    }

    /// The count.
    pub(crate) fn get(&self) -> u64 {
        loop {
            // Ordering: N3 Acquire; pairs with N2.
            let halves = self.halves.load(Ordering::Acquire);
            // Ordering: N3 Acquire; keeps the re-read below after this load.
            let low = self.low.load(Ordering::Acquire);
            // Ordering: N4 Relaxed; only compared.
            if self.halves.load(Ordering::Relaxed) != halves {
                continue;
            }
            // One crossing whose adder has not bumped `halves` yet.
            let pending = (halves ^ (low >> 31)) & 1;
            let halves = halves.wrapping_add(pending) as u64;
            return (halves >> 1) << 32 | low as u64;
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn counts_across_both_crossings() {
        for start in [
            0u64,
            (1 << 31) - 3,
            (1 << 32) - 3,
            (5 << 32) + (1 << 31) - 1,
        ] {
            let c = Counter::starting_at(start);
            for i in 1..=6u64 {
                c.add(1);
                assert_eq!(c.get(), start + i, "from {start:#x}");
            }
            c.add(1000);
            assert_eq!(c.get(), start + 1006);
        }
    }

    #[test]
    fn a_pending_crossing_is_counted_by_the_reader() {
        // An adder that crossed 2^32 but has not bumped `halves` yet.
        let c = Counter::starting_at((1 << 32) - 1);
        c.low.fetch_add(1, Ordering::Relaxed);
        assert_eq!(c.get(), 1 << 32);
        c.halves.fetch_add(1, Ordering::Release);
        assert_eq!(c.get(), 1 << 32);
        // And one that crossed 2^31.
        let c = Counter::starting_at((1 << 31) - 1);
        c.low.fetch_add(2, Ordering::Relaxed);
        assert_eq!(c.get(), (1 << 31) + 1);
    }

    #[test]
    fn concurrent_adders_lose_nothing() {
        let c = std::sync::Arc::new(Counter::starting_at((1 << 32) - 5_000));
        let start = c.get();
        let threads: std::vec::Vec<_> = (0..4)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || {
                    let mut last = 0;
                    for _ in 0..5_000 {
                        c.add(1);
                        let now = c.get();
                        assert!(now >= last, "went back: {last} then {now}");
                        last = now;
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(c.get(), start + 20_000);
    }
}

/// Loom: two adders cross 2^32 while a reader reads twice; every read lies
/// in the range the adds allow, and the second read is never below the
/// first (no lost or doubled crossing in any interleaving).
#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    #[test]
    fn reader_sees_monotonic_exact_counts_across_the_wrap() {
        loom::model(|| {
            let start = (1u64 << 32) - 1;
            let c = Arc::new(Counter::starting_at(start));
            let adders: std::vec::Vec<_> = (0..2)
                .map(|_| {
                    let c = c.clone();
                    thread::spawn(move || c.add(1))
                })
                .collect();
            let a = c.get();
            let b = c.get();
            assert!((start..=start + 2).contains(&a), "read {a:#x}");
            assert!(b >= a && b <= start + 2, "{a:#x} then {b:#x}");
            for t in adders {
                t.join().unwrap();
            }
            assert_eq!(c.get(), start + 2);
        });
    }
}
