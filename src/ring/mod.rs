//! The log ring: a lock-free multi-producer ring of variable-length records.
//!
//! # Shape
//!
//! ```text
//!             tail (seq ts, pos tp)                 head (seq hs, pos hp)
//!                     |                                     |
//!  data words:  ... [ rec ts | rec ts+1 | ... | rec hs-1 ]  [ free ......... ]
//!                     ^ meta,ts,ts,payload..                ^ next reservation
//!
//!  slot table:  slots[seq % SLOTS] = low 32 bits of seq once that record is
//!               committed; until then it still holds seq - SLOTS.
//! ```
//!
//! * `head` and `tail` are each ONE `AtomicU32` packing a sequence number
//!   (low `SEQ_BITS`) and a word position (low `POS_BITS`). A single
//!   compare-and-swap therefore hands a writer both its sequence number and
//!   its words, so records lie in the data words in sequence order and no
//!   back-pointer is needed (this is what keeps the header at 16 bytes).
//! * The slot table is out of band: it is written only by this code, never
//!   by payload, so a stale or forged payload word can never pass for a
//!   committed header.
//! * Every payload word is an atomic word. A reader copies with relaxed loads
//!   and re-validates afterwards (a seqlock); an overwrite while it copies is
//!   therefore a detected condition, not a data race (I6, I7).
//!
//! # States of a record `s`
//!
//! ```text
//!   free ──(head CAS)──> reserved ──(slot store)──> committed ──(tail CAS)──> freed
//!                        slot = s - SLOTS            slot = s                 words reusable
//! ```
//!
//! There is no separate "reserved" marker: a slot that still shows
//! `s - SLOTS` means "not committed". The writer never publishes anything
//! between winning its words and committing, so there is no window where a
//! half-initialised marker could be misread.
//!
//! # Writers (any context, never wait: I1)
//!
//! 1. Load `head`, then `tail`. If the reservation does not fit (words or
//!    slots), free the oldest record by moving `tail` past it — only if its
//!    slot shows it committed. If the oldest record is still being written
//!    (its writer was preempted, perhaps by us), the reservation **fails and
//!    is counted** ([`Dropped::Busy`]); the writer never spins on it.
//! 2. CAS `head` from `(hs, hp)` to `(hs + 1, hp + words)`.
//! 3. Fill meta, timestamp and payload words with relaxed stores.
//! 4. Commit: store the 32-bit sequence number into its slot (Release).
//!
//! A CAS loses only when another writer made progress, so the loop is
//! lock-free; it is also capped at [`MAX_ATTEMPTS`] tries, after which the
//! record is dropped and counted ([`Dropped::Contention`]), which makes every
//! call finish in bounded steps.
//!
//! # Readers (consoles; many, each with its own [`Cursor`])
//!
//! 1. Load `slots[s % SLOTS]` (Acquire). Older than `s`: nothing committed
//!    yet. Newer than `s`: the record was overwritten, resynchronise to
//!    `tail` and report how many records were missed. Equal: committed.
//! 2. Copy meta, timestamp and payload words (relaxed loads).
//! 3. Acquire fence, then re-load the slot and `tail`. The slot must still
//!    show `s` and `tail` must not have passed `s`; otherwise the copy may be
//!    torn and is thrown away (resync, counted as missed).
//!
//! # Ordering pairs
//!
//! | label | operation                                   | pairs with |
//! |-------|---------------------------------------------|------------|
//! | C1    | commit: `slot.store(seq, Release)`          | R1, P1     |
//! | R1    | reader: `slot.load(Acquire)`                | C1 |
//! | P1    | pusher: `slot.load(Acquire)` before reading meta | C1 |
//! | P2    | pusher: `tail.compare_exchange(AcqRel)`     | W1, R3 |
//! | W1    | writer: `tail.load(Acquire)` before reusing words | P2 |
//! | H1    | writer: `head.compare_exchange(AcqRel)` / `head.load(Acquire)` | H1 (other writers) |
//! | W2    | writer: `fence(Release)` after winning words, before storing into them | R2 |
//! | R2    | reader: `fence(Acquire)` after copying, before re-validation | W2 |
//! | R3    | reader: re-load of slot (Acquire) and `tail` after R2 | P2, C1 |
//!
//! W2/R2 is the seqlock pair: if a reader's relaxed load returned a word a
//! newer writer stored, then the tail move that freed the old record
//! (which happens-before that writer's W2) is visible to the reader's R3
//! re-validation, and the copy is rejected.
//!
//! # Limits
//!
//! `WORDS` (data words) and `SLOTS` (records held at most) are powers of two;
//! `POS_BITS = log2(WORDS) + 1`, `SEQ_BITS = 32 - POS_BITS`, and
//! `SLOTS <= 2^(SEQ_BITS - 1)`. Violations fail at compile time. A reader
//! more than 2^31 records behind gets its missed count modulo 2^32.
//! A writer preempted while more than `2^SEQ_BITS` records and exactly a
//! multiple of `2^POS_BITS` words pass could see its stale tail CAS succeed
//! (the ABA window every tagged-CAS ring has; Linux's has it too); with a
//! 4 KiB ring that needs about 2^21 records to pass during one preemption.
//!
//! # Example
//!
//! ```
//! use logbuf::ring::{Cursor, Read, RecordMeta, Ring};
//! use logbuf::Level;
//!
//! static RING: Ring<256, 32> = Ring::new();
//!
//! RING.write(RecordMeta::new(Level::Info).timestamp(42), b"boot ok").unwrap();
//!
//! let mut cursor = Cursor::new();
//! let mut buf = [0u8; 64];
//! match RING.read(&mut cursor, &mut buf) {
//!     Read::Record(h) => {
//!         assert_eq!(&buf[..h.len as usize], b"boot ok");
//!         assert_eq!(h.timestamp, 42);
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! assert_eq!(RING.read(&mut cursor, &mut buf), Read::Empty);
//! ```

mod record;
#[cfg(not(loom))]
mod recovery;
mod writer;

#[cfg(all(test, loom))]
mod loom_models;

pub use record::{Flags, Header, RecordMeta};
#[cfg(not(loom))]
pub use recovery::Recovery;
pub use writer::Grant;

use crate::sync::{fence, AtomicU32, Ordering};
use crate::Level;
use record::{payload_words, unpack_meta, HEADER_WORDS};

/// How many times a writer retries its reservation before dropping the
/// record as [`Dropped::Contention`]. A retry happens only when another
/// writer made progress; on a single core that is bounded by interrupt
/// nesting depth, far below this.
pub const MAX_ATTEMPTS: u32 = 64;

/// Why a record could not be stored. Every case is counted in [`LostCounts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dropped {
    /// The oldest record is still being written by a context we preempted
    /// (or one on another core) and the ring has no other space. Never waited
    /// for (I1).
    Busy,
    /// Drop-newest policy and the ring is full.
    Full,
    /// Lost [`MAX_ATTEMPTS`] reservation races in a row.
    Contention,
}

impl core::fmt::Display for Dropped {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Dropped::Busy => "ring busy: oldest record still being written",
            Dropped::Full => "ring full (drop-newest policy)",
            Dropped::Contention => "reservation contention limit reached",
        })
    }
}

/// Counts of records that writers could not store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LostCounts {
    /// [`Dropped::Busy`] outcomes.
    pub busy: u32,
    /// [`Dropped::Full`] outcomes.
    pub full: u32,
    /// [`Dropped::Contention`] outcomes.
    pub contention: u32,
}

impl LostCounts {
    /// All records lost by writers (wrapping).
    pub fn total(&self) -> u32 {
        self.busy
            .wrapping_add(self.full)
            .wrapping_add(self.contention)
    }
}

/// What to do when a record does not fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Free the oldest committed records (flight recorder). Default.
    Overwrite,
    /// Keep the old records and drop the new one (counted).
    DropNewest,
}

/// A reader's position: the next sequence number it wants and where that
/// record starts. Each console owns one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Cursor {
    seq: u64,
    pos: u32,
}

impl Cursor {
    /// A cursor at the very first record a ring ever stores (sequence 0).
    /// Reading from it on a ring that has wrapped reports the overwritten
    /// records as missed, then continues at the oldest one still held.
    pub const fn new() -> Cursor {
        Cursor { seq: 0, pos: 0 }
    }
    /// The sequence number of the next record this cursor will return.
    pub const fn seq(&self) -> u64 {
        self.seq
    }
}

/// Outcome of [`Ring::read`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// A committed record; its payload was copied into the buffer (the first
    /// `min(header.len, buf.len())` bytes).
    Record(Header),
    /// The cursor fell behind: this many records were overwritten before they
    /// were read. The cursor now points at the oldest record still held.
    Missed(u64),
    /// Nothing committed at the cursor yet (either no newer record, or the
    /// next one is still being written).
    Empty,
}

/// The log ring. See the [module documentation](self) for the protocol.
///
/// `WORDS`: 32-bit data words (payload + 12-byte in-band header per record);
/// `SLOTS`: the most records held at once (4 bytes each). Both powers of two.
///
/// A shape that cannot work does not compile (checked where the ring is
/// built, even at run time):
///
/// ```compile_fail,E0080
/// static R: logbuf::ring::Ring<0, 8> = logbuf::ring::Ring::new(); // zero-size
/// ```
/// ```compile_fail,E0080
/// static R: logbuf::ring::Ring<100, 8> = logbuf::ring::Ring::new(); // WORDS not 2^n
/// ```
/// ```compile_fail,E0080
/// static R: logbuf::ring::Ring<4, 2> = logbuf::ring::Ring::new(); // WORDS < 8
/// ```
/// ```compile_fail,E0080
/// static R: logbuf::ring::Ring<64, 0> = logbuf::ring::Ring::new(); // no slots
/// ```
/// ```compile_fail,E0080
/// static R: logbuf::ring::Ring<64, 12> = logbuf::ring::Ring::new(); // SLOTS not 2^n
/// ```
/// ```compile_fail,E0080
/// // SLOTS too many for WORDS: sequence numbers would not fit the index word
/// static R: logbuf::ring::Ring<{ 1 << 20 }, 2048> = logbuf::ring::Ring::new();
/// ```
/// ```compile_fail,E0080
/// let r = logbuf::ring::Ring::<96, 8>::new(); // built at run time
/// # drop(r);
/// ```
///
/// The ring is nothing but 32-bit words (`repr(C)`, no padding), so its
/// memory can be kept across a warm reset and checked at boot
/// ([`Ring::recover`]), or saved and loaded as an image.
#[repr(C)]
pub struct Ring<const WORDS: usize, const SLOTS: usize> {
    /// [`MAGIC`] once set up by recovery: tells a kept ring from random RAM.
    magic: AtomicU32,
    /// Geometry and layout version; a ring of another shape is not trusted.
    geometry: AtomicU32,
    /// Packed (seq, pos) of the next reservation.
    head: AtomicU32,
    /// Packed (seq, pos) of the oldest record not yet freed.
    tail: AtomicU32,
    lost_busy: AtomicU32,
    lost_full: AtomicU32,
    lost_contention: AtomicU32,
    /// [`Policy`] as a word (0 overwrite, 1 drop newest).
    policy: AtomicU32,
    /// `slots[s % SLOTS]` = low 32 bits of `s` once record `s` is committed
    /// (stored biased by the index: see `Slot`).
    slots: [AtomicU32; SLOTS],
    /// Record words: meta, timestamp low, timestamp high, payload.
    data: [AtomicU32; WORDS],
}

/// One slot word, stored biased by its index so that a new ring is all
/// zeros (a `static` ring then lives in `.bss`, not in flash-backed
/// `.data`): the stored value is `seq - (index - SLOTS)`, so slot `i`'s
/// initial "not committed" value `i - SLOTS` is stored as 0. Callers see
/// plain sequence numbers.
struct Slot<'a> {
    cell: &'a AtomicU32,
    bias: u32,
}

impl Slot<'_> {
    #[inline]
    fn load(&self, order: Ordering) -> u32 {
        // Ordering: as the caller asks (each call site names its pair).
        self.cell.load(order).wrapping_add(self.bias)
    }
    #[inline]
    fn store(&self, seq: u32, order: Ordering) {
        // Ordering: as the caller asks (each call site names its pair).
        self.cell.store(seq.wrapping_sub(self.bias), order)
    }
}

/// First word of a ring set up by [`Ring::recover`] ("LOGB"). A ring made
/// by [`Ring::new`] holds 0 here (all-zero image); recovery stamps it.
pub const MAGIC: u32 = 0x4c4f_4742;
/// Layout version, part of the geometry word.
const LAYOUT_VERSION: u32 = 1;

const fn policy_word(p: Policy) -> u32 {
    match p {
        Policy::Overwrite => 0,
        Policy::DropNewest => 1,
    }
}

impl<const WORDS: usize, const SLOTS: usize> Ring<WORDS, SLOTS> {
    /// Bits of a packed index holding the word position.
    pub(crate) const POS_BITS: u32 = WORDS.trailing_zeros() + 1;
    /// Bits of a packed index holding the sequence number.
    pub(crate) const SEQ_BITS: u32 = 32 - Self::POS_BITS;
    const POS_MASK: u32 = ((1u64 << Self::POS_BITS) - 1) as u32;
    /// Shape and layout version, stored in the ring so a kept ring of
    /// another shape is never trusted.
    const GEOMETRY: u32 =
        WORDS.trailing_zeros() | (SLOTS.trailing_zeros() << 8) | (LAYOUT_VERSION << 16);
    const SEQ_MASK: u32 = ((1u64 << Self::SEQ_BITS) - 1) as u32;
    /// Largest payload a single record can carry; longer ones are truncated
    /// and flagged [`Flags::TRUNCATED`].
    pub const MAX_PAYLOAD: usize = {
        let by_ring = (WORDS - HEADER_WORDS as usize) * 4;
        if by_ring < u16::MAX as usize {
            by_ring
        } else {
            u16::MAX as usize
        }
    };

    const GEOMETRY_OK: () = {
        assert!(WORDS.is_power_of_two(), "Ring WORDS must be a power of two");
        assert!(WORDS >= 8, "Ring WORDS must be at least 8");
        assert!(WORDS <= 1 << 20, "Ring WORDS must be at most 2^20 (4 MiB)");
        assert!(SLOTS.is_power_of_two(), "Ring SLOTS must be a power of two");
        assert!(SLOTS >= 2, "Ring SLOTS must be at least 2");
        assert!(
            SLOTS <= 1 << (31 - WORDS.trailing_zeros() - 1),
            "Ring SLOTS too large for WORDS: need SLOTS <= 2^(30 - log2(WORDS))"
        );
    };

    crate::sync::loom_const_fn! {
        /// A ring that overwrites the oldest records when full.
        ///
        /// `const`, so it can initialise a `static` with no runtime setup.
        pub fn new() -> Self {
            Self::with_policy(Policy::Overwrite)
        }
    }

    crate::sync::loom_const_fn! {
        /// A ring with the given full-ring policy.
        pub fn with_policy(policy: Policy) -> Self {
            #[allow(clippy::let_unit_value)]
            let () = Self::GEOMETRY_OK;
            // Every word starts at 0: slot i first serves sequence i and its
            // "not committed" value i - SLOTS is stored as 0 (see `Slot`).
            Ring {
                magic: AtomicU32::new(0),
                geometry: AtomicU32::new(0),
                head: AtomicU32::new(0),
                tail: AtomicU32::new(0),
                lost_busy: AtomicU32::new(0),
                lost_full: AtomicU32::new(0),
                lost_contention: AtomicU32::new(0),
                policy: AtomicU32::new(policy_word(policy)),
                slots: crate::sync::array_of!(AtomicU32::new(0); SLOTS),
                data: crate::sync::array_of!(AtomicU32::new(0); WORDS),
            }
        }
    }

    #[inline]
    const fn pack(seq: u32, pos: u32) -> u32 {
        ((seq & Self::SEQ_MASK) << Self::POS_BITS) | (pos & Self::POS_MASK)
    }

    #[inline]
    const fn unpack(v: u32) -> (u32, u32) {
        ((v >> Self::POS_BITS) & Self::SEQ_MASK, v & Self::POS_MASK)
    }

    #[inline]
    fn word(&self, pos: u32) -> &AtomicU32 {
        &self.data[pos as usize & (WORDS - 1)]
    }

    #[inline]
    fn slot(&self, seq: u32) -> Slot<'_> {
        let index = seq & (SLOTS as u32 - 1);
        Slot {
            cell: &self.slots[index as usize],
            bias: index.wrapping_sub(SLOTS as u32),
        }
    }

    /// Records lost by writers so far.
    pub fn lost(&self) -> LostCounts {
        // Ordering: Relaxed; statistics counters, no data published through them.
        LostCounts {
            busy: self.lost_busy.load(Ordering::Relaxed),
            full: self.lost_full.load(Ordering::Relaxed),
            contention: self.lost_contention.load(Ordering::Relaxed),
        }
    }

    fn count_lost(&self, why: Dropped) -> Dropped {
        let counter = match why {
            Dropped::Busy => &self.lost_busy,
            Dropped::Full => &self.lost_full,
            Dropped::Contention => &self.lost_contention,
        };
        // Ordering: Relaxed; a statistics counter (read with Relaxed in `lost`).
        counter.fetch_add(1, Ordering::Relaxed);
        why
    }

    /// Stores one record whose payload is already in memory.
    ///
    /// Returns the low 32 bits of its sequence number.
    #[inline]
    pub fn write(&self, meta: RecordMeta, payload: &[u8]) -> Result<u32, Dropped> {
        let mut grant = self.reserve(payload.len(), meta)?;
        grant.fill(payload);
        Ok(grant.commit())
    }

    /// Reserves room for a record of `len` payload bytes.
    ///
    /// A `len` above [`Self::MAX_PAYLOAD`] is cut to it and the record is
    /// flagged [`Flags::TRUNCATED`]. Fill the [`Grant`] and commit it (dropping
    /// it commits too). Never waits for another context.
    #[inline]
    pub fn reserve(
        &self,
        len: usize,
        meta: RecordMeta,
    ) -> Result<Grant<'_, WORDS, SLOTS>, Dropped> {
        let (len, meta) = if len > Self::MAX_PAYLOAD {
            (Self::MAX_PAYLOAD, meta.flags(Flags::TRUNCATED))
        } else {
            (len, meta)
        };
        let need = HEADER_WORDS + payload_words(len as u32);
        let mut attempts = 0;
        let (seq_lo, pos) = loop {
            if attempts == MAX_ATTEMPTS {
                return Err(self.count_lost(Dropped::Contention));
            }
            attempts += 1;
            // Ordering: H1 Acquire; pairs with other writers' head CAS so the
            // snapshot is at least as new as every reservation we build on.
            let head = self.head.load(Ordering::Acquire);
            // Ordering: W1 Acquire; pairs with P2 (tail CAS) so the words and
            // the slot freed by that push are ours to reuse after our head CAS.
            let tail = self.tail.load(Ordering::Acquire);
            let (hs, hp) = Self::unpack(head);
            let (ts, tp) = Self::unpack(tail);
            let used_words = hp.wrapping_sub(tp) & Self::POS_MASK;
            let used_slots = hs.wrapping_sub(ts) & Self::SEQ_MASK;
            if used_words > WORDS as u32 || used_slots > SLOTS as u32 {
                // Head and tail were read at different moments and the tail
                // overtook our head snapshot: the head CAS would fail anyway.
                continue;
            }
            if used_words + need > WORDS as u32 || used_slots + 1 > SLOTS as u32 {
                // Ordering: Relaxed; a setting fixed at construction.
                if self.policy.load(Ordering::Relaxed) == policy_word(Policy::DropNewest) {
                    return Err(self.count_lost(Dropped::Full));
                }
                if !self.push_tail(tail) {
                    return Err(self.count_lost(Dropped::Busy));
                }
                continue;
            }
            let next = Self::pack(hs.wrapping_add(1), hp.wrapping_add(need));
            // Ordering: H1 AcqRel; the success orders our claim after the tail
            // snapshot (W1) and publishes it to the next writer's head load.
            if self
                .head
                .compare_exchange_weak(head, next, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                break (hs, hp);
            }
        };
        // The slot still holds the previous occupant, seq - SLOTS, committed
        // (the tail moved past it, which required that), so our full 32-bit
        // sequence number is that plus SLOTS.
        // Ordering: Relaxed is enough: the commit store C1 of seq - SLOTS
        // happens-before the push P2 we observed through W1.
        let seq = self
            .slot(seq_lo)
            .load(Ordering::Relaxed)
            .wrapping_add(SLOTS as u32);
        debug_assert_eq!(seq & Self::SEQ_MASK, seq_lo);
        // Ordering: W2 Release fence; pairs with a reader's R2 Acquire fence:
        // a reader that sees any word we store below also sees the tail move
        // that freed these words, and discards its copy.
        fence(Ordering::Release);
        // The meta word goes in at once (and again at commit, with the final
        // flags): if a reset cuts this record, recovery still knows its size.
        // Ordering: Relaxed; published by C1, ordered after W2.
        self.word(pos).store(
            record::pack_meta(len as u16, meta.level, meta.flags, meta.context),
            Ordering::Relaxed,
        );
        Ok(Grant::new(self, seq, pos, len as u16, meta))
    }

    /// Moves `tail` past its record if that record is committed.
    /// Returns false when the oldest record is still being written.
    fn push_tail(&self, tail: u32) -> bool {
        let (ts, tp) = Self::unpack(tail);
        // Ordering: P1 Acquire; pairs with C1 so the meta word is visible.
        let slot = self.slot(ts).load(Ordering::Acquire);
        if slot & Self::SEQ_MASK != ts {
            // Still `ts - SLOTS`: the oldest record is reserved, not committed.
            return false;
        }
        // Ordering: Relaxed; made visible by P1. If the record was freed and
        // its words reused meanwhile, the CAS below fails.
        let meta = self.word(tp).load(Ordering::Relaxed);
        let (len, ..) = unpack_meta(meta);
        let words = HEADER_WORDS + payload_words(len as u32);
        if words > WORDS as u32 {
            // Only possible if the words were reused since P1: record `ts`
            // was freed and `tail` has moved on. Retry with fresh indices,
            // but a plain re-load may legally return the same stale `tail`
            // again and again (loom does, until MAX_ATTEMPTS turns it into
            // a spurious `Contention` drop: loom model
            // `two_writers_two_records_each_wrapping`). A failed RMW reads
            // the latest value, and later loads cannot go back: refresh
            // through a CAS that can only fail here (were `tail` still
            // `tail`, it would store the same value).
            // Ordering: Relaxed; only the refresh matters, W1 re-acquires.
            let _ = self
                .tail
                .compare_exchange(tail, tail, Ordering::Relaxed, Ordering::Relaxed);
            return true;
        }
        let next = Self::pack(ts.wrapping_add(1), tp.wrapping_add(words));
        // Ordering: P2 AcqRel; Release publishes "record ts freed" to writers
        // (W1) and readers (R3). Failure means someone else pushed: fine.
        let _ = self
            .tail
            .compare_exchange(tail, next, Ordering::AcqRel, Ordering::Relaxed);
        true
    }

    /// Copies the record at `cursor` into `buf` and advances the cursor.
    ///
    /// Never returns a torn record (I6): a record overwritten while it was
    /// copied is reported as [`Read::Missed`] together with every other
    /// record the cursor lost.
    pub fn read(&self, cursor: &mut Cursor, buf: &mut [u8]) -> Read {
        let s = cursor.seq as u32;
        // Ordering: R1 Acquire; pairs with C1 so the record's words are visible.
        let slot = self.slot(s).load(Ordering::Acquire);
        let diff = slot.wrapping_sub(s) as i32;
        if diff < 0 {
            return Read::Empty;
        }
        if diff > 0 {
            return self.resync(cursor);
        }
        let p = cursor.pos;
        // Ordering: Relaxed copies, validated after R2 below.
        let meta = self.word(p).load(Ordering::Relaxed);
        let ts_lo = self.word(p.wrapping_add(1)).load(Ordering::Relaxed);
        let ts_hi = self.word(p.wrapping_add(2)).load(Ordering::Relaxed);
        let (len, level, flags, context) = unpack_meta(meta);
        let len = (len as usize).min(Self::MAX_PAYLOAD);
        let n = len.min(buf.len());
        let mut at = p.wrapping_add(HEADER_WORDS);
        // Whole words as fixed 4-byte copies (no memcpy call per word),
        // then the partial last word.
        let (whole, rest) = buf[..n].split_at_mut(n & !3);
        for chunk in whole.chunks_exact_mut(4) {
            // Ordering: Relaxed copy of a payload word, validated after R2.
            let w = self.word(at).load(Ordering::Relaxed);
            chunk.copy_from_slice(&w.to_le_bytes());
            at = at.wrapping_add(1);
        }
        if !rest.is_empty() {
            // Ordering: Relaxed copy of a payload word, validated after R2.
            let w = self.word(at).load(Ordering::Relaxed).to_le_bytes();
            for (d, s) in rest.iter_mut().zip(w) {
                *d = s;
            }
        }
        // Ordering: R2 Acquire fence; pairs with W2 of any writer whose store
        // we may have copied, making its tail push visible to R3.
        fence(Ordering::Acquire);
        // Ordering: R3 slot re-load, ordered after the copy by R2. Acquire
        // pairs with C1 of a record that replaced ours: that writer's tail
        // push (made before its reservation) must then be visible to the
        // tail load below and to `resync`, or `resync` could see a stale
        // tail behind the cursor and return a spurious Empty (loom model
        // `reader_races_overwrite_of_its_record`).
        let slot_again = self.slot(s).load(Ordering::Acquire);
        // Ordering: R3 Relaxed tail re-load, ordered by R2 and the slot load.
        let (ts, _) = Self::unpack(self.tail.load(Ordering::Relaxed));
        let ahead_of_tail = s.wrapping_sub(ts) & Self::SEQ_MASK;
        let overwritten = ahead_of_tail >= 1 << (Self::SEQ_BITS - 1);
        if slot_again != s || overwritten {
            return self.resync(cursor);
        }
        cursor.seq += 1;
        cursor.pos = p.wrapping_add(HEADER_WORDS + payload_words(len as u32)) & Self::POS_MASK;
        Read::Record(Header {
            seq: cursor.seq - 1,
            timestamp: (ts_lo as u64) | ((ts_hi as u64) << 32),
            level: Level::from_bits(level).unwrap_or(Level::Error),
            context,
            flags,
            len: len as u16,
        })
    }

    /// Moves a cursor that fell behind to the oldest record held.
    fn resync(&self, cursor: &mut Cursor) -> Read {
        let Some((tail_seq, tp)) = self.tail_snapshot() else {
            return Read::Empty;
        };
        let delta = tail_seq.wrapping_sub(cursor.seq as u32) as i32;
        if delta <= 0 {
            return Read::Empty;
        }
        cursor.seq += delta as u64;
        cursor.pos = tp;
        Read::Missed(delta as u64)
    }

    /// The oldest record's full 32-bit sequence number and its position,
    /// read consistently; `None` if the tail kept moving.
    fn tail_snapshot(&self) -> Option<(u32, u32)> {
        // Bounded: the tail only moves when writers make progress; if it
        // keeps moving, report nothing now and let the caller come back.
        for _ in 0..8 {
            // Ordering: Acquire; pairs with P2 so the slot load below sees
            // at least the commit of the tail record's predecessor.
            let tail = self.tail.load(Ordering::Acquire);
            let (ts, tp) = Self::unpack(tail);
            // Ordering: Acquire; pairs with C1 (value only used as a number).
            let slot = self.slot(ts).load(Ordering::Acquire);
            // Ordering: Acquire re-check that the tail stood still meanwhile.
            if self.tail.load(Ordering::Acquire) != tail {
                continue;
            }
            // The slot holds the tail's seq (committed) or seq - SLOTS.
            let tail_seq = if slot & Self::SEQ_MASK == ts {
                slot
            } else {
                slot.wrapping_add(SLOTS as u32)
            };
            if tail_seq & Self::SEQ_MASK != ts {
                continue;
            }
            return Some((tail_seq, tp));
        }
        None
    }

    /// Whether [`Ring::read`] at `cursor` would return something other than
    /// [`Read::Empty`] (a committed record, or records missed).
    pub fn has_unread(&self, cursor: &Cursor) -> bool {
        // Ordering: Acquire; pairs with C1 (same as R1).
        let slot = self.slot(cursor.seq as u32).load(Ordering::Acquire);
        slot.wrapping_sub(cursor.seq as u32) as i32 >= 0
    }

    /// If the cursor fell behind (its record was overwritten), moves it to
    /// the oldest record held and returns how many records it missed;
    /// otherwise leaves it and returns 0. Lets a console announce its whole
    /// loss in one notice before it prints again.
    pub fn skip_missed(&self, cursor: &mut Cursor) -> u64 {
        // Ordering: Acquire; pairs with C1 (same as R1).
        let slot = self.slot(cursor.seq as u32).load(Ordering::Acquire);
        if (slot.wrapping_sub(cursor.seq as u32) as i32) <= 0 {
            return 0;
        }
        match self.resync(cursor) {
            Read::Missed(n) => n,
            _ => 0,
        }
    }

    /// A cursor at the oldest record still held.
    pub fn oldest(&self) -> Cursor {
        // Straight from the tail: a cursor at 0 could not resync to a tail
        // 2^31 or more records on (a long-running or recovered ring).
        match self.tail_snapshot() {
            Some((seq, pos)) => Cursor {
                seq: seq as u64,
                pos,
            },
            None => Cursor::new(),
        }
    }

    /// A cursor just past the newest record reserved so far: it will read
    /// only records stored from now on.
    pub fn newest(&self) -> Cursor {
        loop {
            // Ordering: Acquire; pairs with H1 so the slot below is at least
            // as new as the reservation of head - SLOTS.
            let head = self.head.load(Ordering::Acquire);
            let (hs, hp) = Self::unpack(head);
            // Ordering: Relaxed; only a number.
            let slot = self.slot(hs).load(Ordering::Relaxed);
            // Ordering: Acquire re-check that the head stood still.
            if self.head.load(Ordering::Acquire) != head {
                continue;
            }
            // The slot holds hs - SLOTS (committed) or hs - 2*SLOTS.
            let one = slot.wrapping_add(SLOTS as u32);
            let seq = if one & Self::SEQ_MASK == hs {
                one
            } else {
                one.wrapping_add(SLOTS as u32)
            };
            return Cursor {
                seq: seq as u64,
                pos: hp,
            };
        }
    }

    /// A cursor at sequence number `seq`, found by walking from the oldest
    /// record (bounded by the records held). If `seq` is older than the
    /// oldest record, the cursor lands on the oldest; if it is newer than
    /// the newest, on the newest.
    pub fn seek(&self, seq: u64) -> Cursor {
        let mut c = self.oldest();
        for _ in 0..SLOTS {
            if c.seq >= seq {
                break;
            }
            match self.read(&mut c, &mut []) {
                Read::Record(_) | Read::Missed(_) => {}
                Read::Empty => break,
            }
        }
        c
    }
}

#[cfg(not(loom))]
impl<const WORDS: usize, const SLOTS: usize> Default for Ring<WORDS, SLOTS> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests;
