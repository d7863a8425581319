// A per-producer sequence number, shared by the QEMU firmware crates
// (`include!`d; the including crate brings `AtomicU32` and `Ordering` into
// scope: core's or portable-atomic's).

/// A per-producer sequence number, printed in each record (`tick seq=12`)
/// so the host checker can tell which records are missing. One context per
/// producer: a load and a store, no read-modify-write (thumbv6m and
/// riscv32imc have none).
pub struct Seq(AtomicU32);

impl Seq {
    /// Starts at 0.
    pub const fn new() -> Self {
        Seq(AtomicU32::new(0))
    }

    /// The next number.
    pub fn next(&self) -> u32 {
        // Ordering: Relaxed; single writer, read by another context (or
        // hart) only once the producer is stopped and synchronised with it.
        let n = self.0.load(Ordering::Relaxed);
        self.0.store(n + 1, Ordering::Relaxed);
        n
    }

    /// How many numbers were handed out.
    pub fn issued(&self) -> u32 {
        // Ordering: Relaxed; see `next`.
        self.0.load(Ordering::Relaxed)
    }
}

impl Default for Seq {
    fn default() -> Self {
        Self::new()
    }
}
