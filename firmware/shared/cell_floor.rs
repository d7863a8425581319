// The floor of an exact-accounting store protocol (BENCHMARKS.md §10),
// shared by the host benches (`benches/alt`) and the Cortex-M3 `storecost`
// scenario (`include!`d; the including crate brings core's `AtomicU32` and
// `Ordering` into scope). Needs compare-and-swap: not for thumbv6m.

/// The fast path alone of a ring of fixed 64-byte cells (`CELLS` of them,
/// `WORDS = 16 * CELLS` words): a record in one cell (4 header words:
/// meta, timestamp low and high, sequence number; then up to 48 payload
/// bytes).
///
/// * One CAS on `head` claims a record number and a cell at once (both in
///   one word), so every number handed out is a record: a reader that
///   falls behind learns exactly how many records it missed (I2).
/// * One CAS on the cell's slot word, from "committed in the previous lap"
///   to "reserved": a cell whose previous writer is still at work is never
///   entered (I10), and a late writer's commit fails instead of publishing.
/// * Relaxed stores after a Release fence (the seqlock's writer side, I6,
///   I7), one commit CAS (Release; it races an overtake).
///
/// Everything else — a cell not free, a lost race, a longer record — is
/// counted in `slow` and the record dropped: this is a floor to size a
/// goal with, not a ring (no reader, no recovery, no multi-cell records,
/// no overtaking, no skipping of a busy cell).
pub struct CellFloor<const CELLS: usize, const WORDS: usize> {
    head: AtomicU32,
    slow: AtomicU32,
    slots: [AtomicU32; CELLS],
    words: [AtomicU32; WORDS],
}

/// Slot word of a [`CellFloor`] cell: this bit when committed, the lap
/// (modulo 16) in the low bits.
const CELL_COMMITTED: u32 = 1 << 31;

impl<const CELLS: usize, const WORDS: usize> CellFloor<CELLS, WORDS> {
    /// Bits of the head word holding the cell counter (16 laps); the
    /// record number is above them.
    const CELL_BITS: u32 = CELLS.trailing_zeros() + 4;
    const CELL_MASK: u32 = (1 << Self::CELL_BITS) - 1;
    const SHAPE_OK: () = assert!(CELLS.is_power_of_two() && WORDS == 16 * CELLS);

    /// Empty: every cell committed in lap -1 (lap 15 modulo 16).
    pub const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::SHAPE_OK;
        CellFloor {
            head: AtomicU32::new(0),
            slow: AtomicU32::new(0),
            slots: [const { AtomicU32::new(CELL_COMMITTED | 15) }; CELLS],
            words: [const { AtomicU32::new(0) }; WORDS],
        }
    }

    /// Records that left the fast path (dropped here).
    pub fn slow(&self) -> u32 {
        // Ordering: Relaxed; a statistics counter.
        self.slow.load(Ordering::Relaxed)
    }

    /// Word `i` of the cells, for a check that the stores happened.
    pub fn word(&self, i: usize) -> u32 {
        // Ordering: Relaxed; read after the stores, by the same thread.
        self.words[i % WORDS].load(Ordering::Relaxed)
    }

    #[cold]
    #[inline(never)]
    fn fall_back(&self) {
        // Ordering: Relaxed; a statistics counter.
        self.slow.fetch_add(1, Ordering::Relaxed);
    }

    /// Stores one record (`level` into the meta word) on the fast path,
    /// or counts it in `slow`.
    pub fn store(&self, level: u32, bytes: &[u8]) {
        if bytes.len() > 48 {
            return self.fall_back();
        }
        // Ordering: Relaxed; the claim CAS below validates it.
        let head = self.head.load(Ordering::Relaxed);
        let g = head & Self::CELL_MASK;
        let lap = (g >> CELLS.trailing_zeros()) & 15;
        let cell = g as usize & (CELLS - 1);
        let slot = &self.slots[cell];
        let free = CELL_COMMITTED | (lap.wrapping_sub(1) & 15);
        // Ordering: Relaxed; the slot CAS below checks it again (Acquire).
        if slot.load(Ordering::Relaxed) != free {
            return self.fall_back();
        }
        let next = (head & !Self::CELL_MASK).wrapping_add(1 << Self::CELL_BITS)
            | (g.wrapping_add(1) & Self::CELL_MASK);
        // Ordering: Relaxed; claims a number and a cell, publishes nothing
        // (readers look at the slot word).
        if self
            .head
            .compare_exchange(head, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return self.fall_back();
        }
        // Ordering: Acquire; pairs with the previous lap's commit (Release):
        // its stores into the cell happen before ours.
        if slot
            .compare_exchange(free, lap, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return self.fall_back();
        }
        // Ordering: Release fence, the seqlock writer's; pairs with a
        // reader's Acquire fence after its relaxed copy.
        core::sync::atomic::fence(Ordering::Release);
        let words = &self.words[cell * 16..cell * 16 + 16];
        // Ordering: Relaxed header and payload words; published by the commit.
        words[0].store(bytes.len() as u32 | level << 16, Ordering::Relaxed);
        // Ordering: Relaxed; as above (timestamp 0, as `RecordMeta::new`).
        words[1].store(0, Ordering::Relaxed);
        // Ordering: Relaxed; as above.
        words[2].store(0, Ordering::Relaxed);
        // Ordering: Relaxed; as above.
        words[3].store(head >> Self::CELL_BITS, Ordering::Relaxed);
        let chunks = bytes.chunks_exact(4);
        let rest = chunks.remainder();
        let n = chunks.len();
        for (w, c) in words[4..].iter().zip(chunks) {
            // Ordering: Relaxed; as above.
            w.store(u32::from_le_bytes([c[0], c[1], c[2], c[3]]), Ordering::Relaxed);
        }
        if !rest.is_empty() {
            let mut w = 0;
            for (i, &b) in rest.iter().enumerate() {
                w |= (b as u32) << (8 * i);
            }
            // Ordering: Relaxed; as above.
            words[4 + n].store(w, Ordering::Relaxed);
        }
        // Ordering: Release; publishes the words (pairs with a reader's
        // Acquire slot load); fails only if the cell was overtaken.
        if slot
            .compare_exchange(lap, CELL_COMMITTED | lap, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            self.fall_back();
        }
    }
}
