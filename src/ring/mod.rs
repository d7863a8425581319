//! The log ring: a lock-free multi-producer ring of variable-length records
//! in which a stalled writer costs only its own record (I10).
//!
//! # Shape
//!
//! ```text
//!            tail (seq ts, pos tp)                      head (seq hs, pos hp)
//!                    |                                          |
//!  data words: ... [ extent ts | extent ts+1 | ... | extent hs-1 ] [ free .... ]
//!                    (gap)[payload..|ts lo|ts hi|meta]^end
//!
//!  slot table: slots[s % SLOTS] = state | lap | end      (lap = s / SLOTS)
//!  pin table:  PINS words, each (from, to) of words a late writer may
//!              still store into although the tail has passed them
//! ```
//!
//! * `head` and `tail` are each ONE `AtomicU32` packing a sequence number
//!   (low `SEQ_BITS`) and a word position (low `POS_BITS`).
//! * A record's **extent** runs from the head position at its reservation to
//!   its `end`; the record's words are the last ones of it: payload, then a
//!   3-word trailer (timestamp low, high, meta). The extent may begin with a
//!   gap: words skipped because they were pinned (below).
//! * The slot word is the record's whole out-of-band state: 2 state bits,
//!   the lap of its sequence number (an ABA tag) and its `end`. It is
//!   written only by this code, never by payload, so a stale or forged
//!   payload word can never pass for a committed record.
//! * Every payload word is an atomic word. A reader copies with relaxed loads
//!   and re-validates afterwards (a seqlock); an overwrite while it copies is
//!   a detected condition, not a data race (I6, I7).
//!
//! # States of record `s` (its slot word; `lap = s / SLOTS`)
//!
//! ```text
//!   (lap-1, any)  ──claim CAS──>  RESERVED(lap,end) ──commit CAS──> COMMITTED(lap,end)
//!                                      │
//!                                      │ overtake CAS (the tail needs its words)
//!                                      v
//!                                 OVERTAKEN(lap,end) ──late writer's commit──> ABANDONED(lap,end)
//! ```
//!
//! # Why a stalled writer cannot wedge the ring (I10)
//!
//! Linux's printk_ringbuffer refuses a reservation when the oldest
//! descriptor is still reserved: it can, because interrupts are off while a
//! record is reserved there, so that writer makes progress within a bounded
//! time. Firmware cannot mask interrupts for a log call, and a thread-mode
//! writer preempted by an interrupt storm is simply not running. So here the
//! tail never waits for a reserved record: it **overtakes** it (CAS
//! `RESERVED -> OVERTAKEN`, counted as [`Dropped::Overtaken`]) and moves on.
//! The late writer learns at commit that its record was lost (its commit CAS
//! fails) and never publishes it.
//!
//! Its words are another matter: until it reaches its commit, the late
//! writer may still store into them. So before the tail moves past an
//! overtaken record, its extent is **pinned** in the pin table, and every
//! reservation skips pinned words (its extent then starts with a gap). The
//! late writer clears the pin after its failed commit; from then on its
//! words are free again. A late writer can therefore never scribble into
//! another record's words, and a reader never sees a torn record.
//! A writer that never runs again (cut by a panic or a reset) leaves its pin
//! forever: it costs its extent, never the ring.
//!
//! Claiming the **slot** (not the head) is what makes overtaking possible: a
//! writer's claim CAS publishes its extent end in the same word that readers
//! and the tail look at, so there is no moment in which a reservation exists
//! whose size nobody else can know. The head follows the claims: the
//! claimer, or any writer that finds slot `hs` claimed, advances it to
//! `(hs + 1, end)`.
//!
//! # Writers (any context, never wait: I1)
//!
//! The first try is straight-line (`first_try`, for `write` and `claim`;
//! inlined in both): one snapshot of relaxed loads and one fence F1 (an `AcqRel`
//! fence: the Acquire of the three loads and the Release W2 of the claim
//! and the words, one `dmb` on Arm instead of six), one test that the slot
//! at the head is free, a slot and the words are free before the tail and
//! no pin is live (`fits_at_head`, its pin count load Acquire), one claim
//! (S1 Relaxed, H2 Release). `write` then stores payload and trailer as
//! one run of words when they do not wrap around the end of the data
//! array. Anything else — making room, helping, pins, a lost race, a
//! payload to truncate — goes out of line to the loop below
//! (`claim_slow`), which starts again from a new snapshot with the
//! orderings of the steps as listed.
//!
//! 1. Load `head` (H1), `tail` (W1) and slot `hs`. Slot already claimed for
//!    this lap: help the head forward, retry (checked first: a tail push
//!    may have freed that claimed record already, so the tail can be ahead
//!    of a head nobody has moved yet). Otherwise compute the extent
//!    `[hp, end)`, skipping pinned words; if it does not fit before the tail
//!    (words or slots), free the oldest record (below) and retry.
//! 2. Claim: CAS slot `hs` from its previous-lap value to
//!    `RESERVED(lap, end)` (S1). Then CAS `head` to `(hs + 1, end)` (H2;
//!    losing to a helper is fine).
//! 3. Fill payload and trailer with relaxed stores, after a Release fence
//!    (W2; on the first try F1, before the claim, is that fence).
//! 4. Commit: CAS `RESERVED -> COMMITTED` (C1). If it fails, the record was
//!    overtaken: mark it `ABANDONED` (C2), clear its pins (C3), report
//!    [`Dropped::Overtaken`].
//!
//! Freeing the oldest record `ts` (the tail push):
//! * `COMMITTED` or `ABANDONED`: CAS `tail` to `(ts + k, end)` (P2), `k`
//!   the batch below.
//! * `RESERVED`: overtake it (O1), then as below.
//! * `OVERTAKEN`: pin `[tp, end)` (claim a free pin word, O2), confirm with
//!   an RMW on the slot that the writer has not finished meanwhile (O3; if it
//!   has, drop the pin again), then CAS `tail` (P2). No free pin word: the
//!   reservation fails, counted as [`Dropped::Busy`] (more than
//!   [`PINS`] writers stalled at once with their records lapped).
//!
//! **Batch freeing.** One tail push frees record `ts` and, with the same
//! tail CAS, the records right after it that are finished as they stand
//! (slot `COMMITTED` or `ABANDONED` of their own lap): at most
//! [`FREE_BATCH`] records and a quarter of the slots in all, and only while
//! their extents end within a quarter of the words of the old tail; the
//! first record not so (still reserved, overtaken, not claimed, or too far)
//! ends the batch. So a full ring makes room once every few stores instead
//! of on every store, and no record is overtaken that a writer did not
//! need. A finished slot stays so until the tail passes it (only a claim
//! of its next lap changes it, and that needs the tail past it), so the
//! CAS frees exactly the records looked at, or fails because someone else
//! moved the tail. The slots are loaded relaxed and followed by one
//! Acquire fence (P1 for all of them). Records freed early are what a
//! flight recorder loses anyway, a few stores sooner: readers report them
//! dropped ([`Read::Dropped`]), exactly, as any overwritten record; they
//! are not writers' losses ([`DropCounts`] does not count them).
//!
//! Every loop retries only after another context made progress and is
//! capped at [`MAX_ATTEMPTS`] tries ([`Dropped::Contention`]), so every call
//! finishes in bounded steps.
//!
//! # Readers (consoles; many, each with its own [`Cursor`])
//!
//! 1. Load slot `s` (R1). Older lap: nothing claimed yet (checked against
//!    the head, so a reader many laps behind resynchronises instead). Newer
//!    lap: overwritten — resynchronise to `tail`, report the records missed.
//!    `RESERVED`: not committed yet, [`Read::Empty`]. `OVERTAKEN` or
//!    `ABANDONED`: its writer lost it; the reader steps over it and reports
//!    it missed, as it would an overwritten record (one sequence number, one
//!    missed record; [`DropCounts::overtaken`] is the ring's own count).
//! 2. `COMMITTED`: copy trailer and payload (relaxed loads).
//! 3. Acquire fence (R2), then re-load the slot and `tail` (R3). The slot
//!    must be unchanged and `tail` must not have passed `s`; otherwise the
//!    copy may be torn and is thrown away (resync, counted as missed).
//!
//! # Ordering pairs
//!
//! | label | operation                                   | pairs with |
//! |-------|---------------------------------------------|------------|
//! | F1    | first try: `fence(AcqRel)` after relaxed loads of head, slot and tail | Acquire: as H1, W1 and the slot load; Release: as W2 and S1's Release |
//! | S1    | claim: slot CAS (AcqRel; Relaxed after F1)  | P1 (its previous occupant's freeing is visible), H2 helpers |
//! | H1    | writer: `head.load(Acquire)`                | H2 |
//! | H2    | head CAS to `(hs + 1, end)` (Release)       | H1, F1 |
//! | W1    | writer: `tail.load(Acquire)` before reusing words | P2 |
//! | W2    | writer: `fence(Release)` after the claim, before storing into the words | R2 |
//! | C1    | commit CAS `RESERVED -> COMMITTED` (Release) | R1, P1 |
//! | C2    | late writer: CAS `OVERTAKEN -> ABANDONED` (AcqRel) after its last store | P1, O3 |
//! | C3    | late writer: clears its pin words (Release) | K1 |
//! | P1    | pusher: slot load (Acquire) before reading the trailer; for the rest of a batch, relaxed slot loads then one `fence(Acquire)` | C1, C2 |
//! | O1    | pusher: overtake CAS `RESERVED -> OVERTAKEN` (AcqRel) | C1 (exactly one of the two wins) |
//! | O2    | pusher: pin word CAS `0 -> (tp, end)` (AcqRel) | K1, C3 |
//! | O3    | pusher: slot RMW after pinning (AcqRel)     | C2 (either the late writer sees our pin, or we see it finished) |
//! | P2    | pusher: `tail` CAS (AcqRel)                 | W1, R3 |
//! | K0    | pin count: `fetch_add` / `fetch_sub` (Release) with each pin word taken / freed; writer's load (Acquire, after W1 or F1), 0 = skip the scan | K0, C3 |
//! | K1    | writer: pin word load (Acquire) while placing its extent | O2, C3 |
//! | R1    | reader: slot load (Acquire)                 | C1 |
//! | R2    | reader: `fence(Acquire)` after copying, before re-validation | W2 |
//! | R3    | reader: slot re-load (Acquire) and `tail` after R2 | P2, C1 |
//!
//! W2/R2 is the seqlock pair: if a reader's relaxed load returned a word a
//! newer writer stored, then the tail move that freed the old record
//! (which that writer saw through W1 before its W2) is visible to the
//! reader's R3 re-validation, and the copy is rejected. O2/W1: a pin is in
//! place before the tail moves past the words it covers (P2 is sequenced
//! after O2), so a writer that sees the new tail (W1) sees the pin (K1).
//! C3/K1: a writer that finds a pin cleared sees every store the late writer
//! made before clearing it, so its own stores come later in each word's
//! modification order; the same for a pin count read as 0 (K0), which is
//! why that load is Acquire even after F1 (a fence orders only the loads
//! before it: loom found a torn record with it Relaxed). F1 is W2 for the
//! first try although it comes before the claim: what a reader must see
//! when it read one of our words is the tail move that freed them, which
//! our relaxed tail load read before F1; the claim itself is protected by
//! its CAS, and our stores come after it in program order. H2 must be
//! Release (S1 before it): a pusher that sees the head past `hs` must see
//! the claim of `hs`, or it would take slot `hs` for not claimed yet.
//! O3/C2 are read-modify-writes of one word: if the
//! pusher's comes first, the late writer's C2 reads it and its pin scan
//! (after C2) finds the pin; if C2 comes first, the pusher sees ABANDONED
//! and drops its pin itself. Either way no pin outlives its writer.
//!
//! # Limits
//!
//! `BYTES` (data bytes, 32 to 2^18 = 256 KiB, i.e. `WORDS = BYTES / 4` data
//! words) and `SLOTS` (records held at most) are powers of two;
//! `POS_BITS = log2(WORDS) + 1`, `SEQ_BITS = 32 -
//! POS_BITS`, `LAP_BITS = 30 - POS_BITS` and `SLOTS <= 2^(SEQ_BITS - 1)`.
//! Violations fail at compile time. Sequence numbers are exact modulo
//! `2^(LAP_BITS + log2 SLOTS)` (2^25 records for 8 KiB and 128 slots): a
//! reader further behind than half of that gets its missed count modulo it.
//! [`Ring::oldest`], [`Ring::newest`], [`Ring::write`] and [`Grant::seq`]
//! give numbers within that range (they start again from 0 at its end); a
//! [`Cursor`] reads on across the end and counts past it, and
//! [`Ring::seek`] takes its numbers. Compare numbers of both kinds modulo
//! the range.
//! A writer preempted while `2^SEQ_BITS` records and a multiple of
//! `2^POS_BITS` words pass, or `2^LAP_BITS` laps of its slot, could see a
//! stale CAS succeed (the ABA window every tagged-CAS ring has; Linux's has
//! it too); with an 8 KiB ring that is about 2^20 records during one
//! preemption.
//!
//! # Example
//!
//! ```
//! use logbuf::ring::{Cursor, Read, RecordMeta, Ring};
//! use logbuf::Level;
//!
//! static RING: Ring<1024, 32> = Ring::new();
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
//!
//! A writer stalled mid-record does not stop the others:
//!
//! ```
//! use logbuf::ring::{Dropped, RecordMeta, Ring};
//! use logbuf::Level;
//!
//! let ring: Ring<256, 8> = Ring::new();
//! let stalled = ring.reserve(8, RecordMeta::new(Level::Info)).unwrap();
//! for i in 0..100u32 {
//!     // An interrupt that keeps logging while the writer above is preempted.
//!     ring.write(RecordMeta::new(Level::Warn), &i.to_le_bytes()).unwrap();
//! }
//! // The stalled writer resumes: its record was overtaken, nothing torn.
//! assert_eq!(stalled.commit(), Err(Dropped::Overtaken));
//! assert_eq!(ring.dropped().overtaken, 1);
//! ```

mod reclaim;
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

#[cfg(not(loom))]
use crate::sync::AtomicU8;
use crate::sync::{fence, AtomicU32, Ordering};
use crate::Level;
use record::{payload_words, unpack_meta, HEADER_WORDS};

/// How many times a writer retries its reservation before dropping the
/// record as [`Dropped::Contention`]. A retry happens only when another
/// writer made progress (or after freeing one record); on a single core that
/// is bounded by interrupt nesting depth and the records freed.
pub const MAX_ATTEMPTS: u32 = 64;

/// How many overtaken records may be pinned at once (writers stalled
/// mid-record whose records the ring lapped). One more such writer makes the
/// ring refuse reservations that need its words ([`Dropped::Busy`]) until
/// one of them resumes.
pub const PINS: usize = 4;

/// How many records one tail push frees at most (see the module's *Batch
/// freeing*): a full ring then runs the *make room* step once every few
/// stores instead of on every store. Capped at a quarter of the slots and
/// of the words, so a small ring still keeps most of its records.
pub const FREE_BATCH: u32 = 16;

/// Why a record was dropped: never stored, or lost by its writer. Every case
/// is counted in [`DropCounts`] and announced by every console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dropped {
    /// The ring has no room it may free: more than [`PINS`] stalled writers
    /// hold overtaken records (never waited for: I1).
    Busy,
    /// Drop-newest policy and the ring is full.
    Full,
    /// Lost [`MAX_ATTEMPTS`] reservation races in a row.
    Contention,
    /// The writer was stalled between reserve and commit while the ring
    /// lapped: the tail overtook its record, which is lost (counted once,
    /// when overtaken). Other writers were not held up (I10).
    Overtaken,
}

impl core::fmt::Display for Dropped {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Dropped::Busy => "ring busy: too many stalled writers pinned",
            Dropped::Full => "ring full (drop-newest policy)",
            Dropped::Contention => "reservation contention limit reached",
            Dropped::Overtaken => "record overtaken while its writer was stalled",
        })
    }
}

/// Counts of records dropped by writers (wrapping `u32` counters).
///
/// `busy`, `full` and `contention` records never got a sequence number
/// ([`DropCounts::unstored`]): readers cannot see them, so consoles announce
/// them from these counts. `overtaken` records did get one: readers report
/// them as missed, so they are not in `unstored`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DropCounts {
    /// [`Dropped::Busy`] outcomes.
    pub busy: u32,
    /// [`Dropped::Full`] outcomes.
    pub full: u32,
    /// [`Dropped::Contention`] outcomes.
    pub contention: u32,
    /// [`Dropped::Overtaken`] records.
    pub overtaken: u32,
}

impl DropCounts {
    /// Records dropped before they got a sequence number (wrapping): the
    /// part of the writers' losses no reader can see.
    pub fn unstored(&self) -> u32 {
        self.busy
            .wrapping_add(self.full)
            .wrapping_add(self.contention)
    }

    /// All records dropped by writers (wrapping).
    pub fn total(&self) -> u32 {
        self.busy
            .wrapping_add(self.full)
            .wrapping_add(self.contention)
            .wrapping_add(self.overtaken)
    }
}

/// What to do when a record does not fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Free the oldest records (flight recorder). Default.
    Overwrite,
    /// Keep the old records and drop the new one (counted).
    DropNewest,
}

/// A reader's position: the next sequence number it wants. Each console
/// owns one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Cursor {
    seq: u64,
}

impl Cursor {
    /// A cursor at the very first record a ring ever stores (sequence 0).
    /// Reading from it on a ring that has wrapped reports the overwritten
    /// records as missed, then continues at the oldest one still held.
    pub const fn new() -> Cursor {
        Cursor { seq: 0 }
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
    Dropped(u64),
    /// Nothing committed at the cursor yet (either no newer record, or the
    /// next one is still being written).
    Empty,
}

/// Slot states (top two bits of a slot word).
const RESERVED: u32 = 0;
const COMMITTED: u32 = 1;
const OVERTAKEN: u32 = 2;
const ABANDONED: u32 = 3;

/// A decoded slot word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SlotWord {
    state: u32,
    lap: u32,
    end: u32,
}

/// The log ring. See the [module documentation](self) for the protocol.
///
/// `BYTES`: data bytes, default 8 KiB (a record takes its payload rounded
/// up to 4 bytes plus a 12-byte trailer: 8 KiB hold about 90 lines of 80
/// bytes); `SLOTS`: the most records held at once, default 128 (4 bytes
/// each). Both powers of two.
///
/// A shape that cannot work does not compile (checked where the ring is
/// built, even at run time):
///
/// ```compile_fail,E0080
/// static R: logbuf::ring::Ring<0, 8> = logbuf::ring::Ring::new(); // zero-size
/// ```
/// ```compile_fail,E0080
/// static R: logbuf::ring::Ring<400, 8> = logbuf::ring::Ring::new(); // BYTES not 2^n
/// ```
/// ```compile_fail,E0080
/// static R: logbuf::ring::Ring<16, 2> = logbuf::ring::Ring::new(); // BYTES < 32
/// ```
/// ```compile_fail,E0080
/// static R: logbuf::ring::Ring<256, 0> = logbuf::ring::Ring::new(); // no slots
/// ```
/// ```compile_fail,E0080
/// static R: logbuf::ring::Ring<256, 12> = logbuf::ring::Ring::new(); // SLOTS not 2^n
/// ```
/// ```compile_fail,E0080
/// // more than 256 KiB (2^16 words): positions would not fit a pin word
/// static R: logbuf::ring::Ring<{ 1 << 19 }, 64> = logbuf::ring::Ring::new();
/// ```
/// ```compile_fail,E0080
/// // SLOTS too many for BYTES: sequence numbers would not fit the index word
/// static R: logbuf::ring::Ring<{ 1 << 18 }, 32768> = logbuf::ring::Ring::new();
/// ```
/// ```compile_fail,E0080
/// let r = logbuf::ring::Ring::<384, 8>::new(); // built at run time
/// # drop(r);
/// ```
///
/// The ring is nothing but 32-bit words (`repr(C)`, no padding), so its
/// memory can be kept across a warm reset and checked at boot
/// ([`Ring::recover`]), or saved and loaded as an image.
#[repr(C)]
pub struct Ring<const BYTES: usize = 8192, const SLOTS: usize = 128> {
    /// [`MAGIC`] once set up by recovery: tells a kept ring from random RAM.
    magic: AtomicU32,
    /// Geometry and layout version; a ring of another shape is not trusted.
    geometry: AtomicU32,
    /// Packed (seq, pos) of the next reservation.
    head: AtomicU32,
    /// Packed (seq, pos) of the oldest record not yet freed.
    tail: AtomicU32,
    dropped_busy: AtomicU32,
    dropped_full: AtomicU32,
    dropped_contention: AtomicU32,
    dropped_overtaken: AtomicU32,
    /// [`Policy`] as a word (0 overwrite, 1 drop newest).
    policy: AtomicU32,
    /// Pinned extents `(from, to)`, 16 bits each; 0 = free.
    pins: [AtomicU32; PINS],
    /// How many pin words are taken (lets writers skip the scan).
    pins_live: AtomicU32,
    /// One slot word per record (stored biased: see [`Ring::slot_load`]).
    slots: [AtomicU32; SLOTS],
    /// Record words.
    data: Words<BYTES>,
}

/// The record words of a ring of `BYTES` bytes, used only as 32-bit
/// atomics. Stable Rust cannot write `[AtomicU32; BYTES / 4]` for a generic
/// `BYTES`, so the memory is declared as `BYTES` atomic bytes aligned to 4
/// and every access goes through [`Words::word`] as an `AtomicU32`: no byte
/// of it is ever accessed at another size, so there are no mixed-size
/// accesses. All zero when built, so a `static` ring stays in `.bss`.
#[cfg(not(loom))]
#[repr(C, align(4))]
struct Words<const BYTES: usize>([AtomicU8; BYTES]);

#[cfg(not(loom))]
impl<const BYTES: usize> Words<BYTES> {
    const fn new() -> Self {
        Words(crate::sync::array_of!(AtomicU8::new(0); BYTES))
    }

    /// The words as a slice of `BYTES / 4` atomics.
    #[inline]
    fn as_slice(&self) -> &[AtomicU32] {
        // SAFETY: the array is `BYTES` bytes (a multiple of 4: the ring's
        // shape check) starting 4-aligned (`align(4)`), the size and
        // alignment of `BYTES / 4` `AtomicU32`s. `AtomicU32` has the
        // in-memory representation of a `u32`, i.e. of `[AtomicU8; 4]`, and
        // both are interior-mutable, so shared references to them are valid
        // for as long as `&self`. These bytes are only ever accessed through
        // such `AtomicU32`s (never as `AtomicU8`), so no access is
        // mixed-size.
        unsafe { core::slice::from_raw_parts(self.0.as_ptr() as *const AtomicU32, BYTES / 4) }
    }

    /// Word `i` (`i < BYTES / 4`, checked).
    #[inline]
    fn word(&self, i: usize) -> &AtomicU32 {
        &self.as_slice()[i]
    }

    /// Words `range`, if it lies inside.
    #[inline]
    fn get(&self, range: core::ops::Range<usize>) -> Option<&[AtomicU32]> {
        self.as_slice().get(range)
    }

    fn iter(&self) -> impl Iterator<Item = &AtomicU32> {
        self.as_slice().iter()
    }
}

/// Under loom the words are loom atomics, which only exist one by one.
#[cfg(loom)]
struct Words<const BYTES: usize>(std::vec::Vec<AtomicU32>);

#[cfg(loom)]
impl<const BYTES: usize> Words<BYTES> {
    fn new() -> Self {
        Words((0..BYTES / 4).map(|_| AtomicU32::new(0)).collect())
    }
    #[inline]
    fn word(&self, i: usize) -> &AtomicU32 {
        &self.0[i]
    }
    fn get(&self, range: core::ops::Range<usize>) -> Option<&[AtomicU32]> {
        self.0.get(range)
    }
    #[allow(dead_code)]
    fn iter(&self) -> impl Iterator<Item = &AtomicU32> {
        self.0.iter()
    }
}

/// First word of a ring set up by [`Ring::recover`] ("LOGB"). A ring made
/// by [`Ring::new`] holds 0 here (all-zero image); recovery stamps it.
pub const MAGIC: u32 = 0x4c4f_4742;
/// Layout version, part of the geometry word (2: slot claims, trailers, pins).
const LAYOUT_VERSION: u32 = 2;

const fn policy_word(p: Policy) -> u32 {
    match p {
        Policy::Overwrite => 0,
        Policy::DropNewest => 1,
    }
}

/// A writer's claim: `head` is the head it claimed from (slot `index` =
/// its sequence number, extent from its position `from`), `stored` the
/// slot's `RESERVED` word as stored (see [`Ring::RAW_BIAS`]): the value the
/// commit CAS expects, which also holds the lap and the extent's end. Two
/// words, so a claim stays in registers on a small core.
#[derive(Clone, Copy)]
pub(super) struct Claim {
    head: u32,
    stored: u32,
}

impl Claim {
    /// The claimed slot's index (the sequence number, modulo `SLOTS`).
    fn index<const BYTES: usize, const SLOTS: usize>(&self) -> u32 {
        Ring::<BYTES, SLOTS>::unpack(self.head).0
    }
    /// The extent's first word (the head's position at the claim).
    fn from<const BYTES: usize, const SLOTS: usize>(&self) -> u32 {
        Ring::<BYTES, SLOTS>::unpack(self.head).1
    }
    /// The extent's end: the record's last word is just before it.
    pub(super) fn end<const BYTES: usize, const SLOTS: usize>(&self) -> u32 {
        // The bias only adds to the bits above the position.
        self.stored & Ring::<BYTES, SLOTS>::POS_MASK
    }
    /// The claimed record's lap.
    fn lap<const BYTES: usize, const SLOTS: usize>(&self) -> u32 {
        let unbiased = self.stored.wrapping_sub(Ring::<BYTES, SLOTS>::RAW_BIAS);
        Ring::<BYTES, SLOTS>::slot_unpack(unbiased).lap
    }
    /// The claimed record's sequence number.
    pub(super) fn seq<const BYTES: usize, const SLOTS: usize>(&self) -> u64 {
        Ring::<BYTES, SLOTS>::full_seq(self.lap::<BYTES, SLOTS>(), self.index::<BYTES, SLOTS>())
    }
}

/// Where a reservation goes, found by [`Ring::place`].
enum Place {
    /// Claim slot `hs` with this extent end.
    At { end: u32 },
    /// Free the oldest record first.
    MakeRoom,
    /// The slot is claimed already: help the head past it.
    Help { end: u32 },
    /// The snapshot was stale: load again.
    Retry,
}

impl<const BYTES: usize, const SLOTS: usize> Ring<BYTES, SLOTS> {
    /// 32-bit data words: `BYTES / 4`.
    pub(crate) const WORDS: usize = BYTES / 4;
    /// Bits of a packed index holding the word position.
    pub(crate) const POS_BITS: u32 = Self::WORDS.trailing_zeros() + 1;
    /// Bits of a packed index holding the sequence number.
    pub(crate) const SEQ_BITS: u32 = 32 - Self::POS_BITS;
    const POS_MASK: u32 = ((1u64 << Self::POS_BITS) - 1) as u32;
    const SEQ_MASK: u32 = ((1u64 << Self::SEQ_BITS) - 1) as u32;
    const LOG_SLOTS: u32 = SLOTS.trailing_zeros();
    /// Bits of the lap tag in a slot word.
    const LAP_BITS: u32 = 30 - Self::POS_BITS;
    const LAP_MASK: u32 = (1 << Self::LAP_BITS) - 1;
    /// Lap bits a head or tail sequence number determines.
    const KNOWN_LAP_MASK: u32 = {
        let bits = Self::SEQ_BITS - Self::LOG_SLOTS;
        let bits = if bits < Self::LAP_BITS {
            bits
        } else {
            Self::LAP_BITS
        };
        (1 << bits) - 1
    };
    /// Bits in which full sequence numbers are exact.
    const FULL_BITS: u32 = Self::LAP_BITS + Self::LOG_SLOTS;
    /// Bits in which a cursor's number and a head or tail sequence number
    /// agree: `SEQ_BITS`, but `FULL_BITS` (one fewer) for two slots. Head
    /// and tail count modulo `2^SEQ_BITS`; a cursor from [`Ring::oldest`],
    /// [`Ring::newest`] or [`Ring::seek`] starts from a full sequence
    /// number (modulo `2^FULL_BITS`), which is no coarser unless `SLOTS` is 2.
    const CMP_BITS: u32 = if Self::FULL_BITS < Self::SEQ_BITS {
        Self::FULL_BITS
    } else {
        Self::SEQ_BITS
    };
    const CMP_MASK: u32 = ((1u64 << Self::CMP_BITS) - 1) as u32;
    /// A slot word as a new (all-zero) ring holds it: previous lap (-1),
    /// abandoned, so lap 0 may be claimed.
    const SLOT_INITIAL: u32 = (ABANDONED << 30) | (Self::LAP_MASK << Self::POS_BITS);
    /// What is added to a slot word to store it: `-SLOT_INITIAL`, which is
    /// `1 << POS_BITS` (the lap field is just below the state bits). So a
    /// stored word's lap field holds the slot's lap + 1 (the lap its next
    /// claim gets), and a new ring's zero words are `SLOT_INITIAL`.
    const RAW_BIAS: u32 = Self::SLOT_INITIAL.wrapping_neg();
    /// Shape and layout version, stored in the ring so a kept ring of
    /// another shape is never trusted.
    const GEOMETRY: u32 =
        Self::WORDS.trailing_zeros() | (SLOTS.trailing_zeros() << 8) | (LAYOUT_VERSION << 16);
    /// Largest payload a single record can carry; longer ones are truncated
    /// and flagged [`Flags::TRUNCATED`].
    pub const MAX_PAYLOAD: usize = {
        let by_ring = (Self::WORDS - HEADER_WORDS as usize) * 4;
        if by_ring < u16::MAX as usize {
            by_ring
        } else {
            u16::MAX as usize
        }
    };

    const GEOMETRY_OK: () = {
        assert!(BYTES.is_power_of_two(), "Ring BYTES must be a power of two");
        assert!(BYTES >= 32, "Ring BYTES must be at least 32");
        assert!(
            BYTES <= 1 << 18,
            "Ring BYTES must be at most 2^18 (256 KiB)"
        );
        assert!(SLOTS.is_power_of_two(), "Ring SLOTS must be a power of two");
        assert!(SLOTS >= 2, "Ring SLOTS must be at least 2");
        assert!(
            SLOTS <= 1 << (31 - Self::WORDS.trailing_zeros() - 1),
            "Ring SLOTS too large for BYTES: need SLOTS <= 2^(32 - log2(BYTES))"
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
            // Every word starts at 0: a slot's stored 0 is SLOT_INITIAL.
            Ring {
                magic: AtomicU32::new(0),
                geometry: AtomicU32::new(0),
                head: AtomicU32::new(0),
                tail: AtomicU32::new(0),
                dropped_busy: AtomicU32::new(0),
                dropped_full: AtomicU32::new(0),
                dropped_contention: AtomicU32::new(0),
                dropped_overtaken: AtomicU32::new(0),
                policy: AtomicU32::new(policy_word(policy)),
                pins: crate::sync::array_of!(AtomicU32::new(0); PINS),
                pins_live: AtomicU32::new(0),
                slots: crate::sync::array_of!(AtomicU32::new(0); SLOTS),
                data: Words::new(),
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
        self.data.word(pos as usize & (Self::WORDS - 1))
    }

    #[inline]
    const fn slot_pack(w: SlotWord) -> u32 {
        (w.state << 30) | ((w.lap & Self::LAP_MASK) << Self::POS_BITS) | (w.end & Self::POS_MASK)
    }

    #[inline]
    const fn slot_unpack(v: u32) -> SlotWord {
        SlotWord {
            state: v >> 30,
            lap: (v >> Self::POS_BITS) & Self::LAP_MASK,
            end: v & Self::POS_MASK,
        }
    }

    /// Slot word `index` (modulo `SLOTS`) as stored (see [`Ring::RAW_BIAS`]).
    #[inline(always)]
    fn slot_cell(&self, index: u32) -> &AtomicU32 {
        &self.slots[index as usize & (SLOTS - 1)]
    }

    /// Loads slot `index` (stored as its difference from `SLOT_INITIAL`, so
    /// a new ring is all zeros and a `static` one lands in `.bss`).
    #[inline]
    fn slot_load(&self, index: u32, order: Ordering) -> u32 {
        // Ordering: as the caller asks (each call site names its pair).
        self.slot_cell(index)
            .load(order)
            .wrapping_add(Self::SLOT_INITIAL)
    }

    /// CAS on slot `index` in plain slot words; returns the word now held.
    #[inline]
    fn slot_cas(&self, index: u32, old: u32, new: u32, order: Ordering) -> Result<u32, u32> {
        let cell = self.slot_cell(index);
        let (o, n) = (
            old.wrapping_sub(Self::SLOT_INITIAL),
            new.wrapping_sub(Self::SLOT_INITIAL),
        );
        // Ordering: as the caller asks on success (each call site names its
        // pair); Acquire on failure, so the value seen can be acted on.
        cell.compare_exchange(o, n, order, Ordering::Acquire)
            .map(|v| v.wrapping_add(Self::SLOT_INITIAL))
            .map_err(|v| v.wrapping_add(Self::SLOT_INITIAL))
    }

    /// Lap of a head/tail sequence number, in the bits it determines.
    #[inline]
    const fn known_lap(seq: u32) -> u32 {
        (seq >> Self::LOG_SLOTS) & Self::KNOWN_LAP_MASK
    }

    /// Full sequence number (modulo 2^FULL_BITS) of slot `index` at `lap`.
    #[inline]
    const fn full_seq(lap: u32, index: u32) -> u64 {
        ((lap as u64) << Self::LOG_SLOTS) | (index as u64 & (SLOTS as u64 - 1))
    }

    /// Records lost by writers so far.
    pub fn dropped(&self) -> DropCounts {
        // Ordering: Relaxed; statistics counters, no data published through them.
        DropCounts {
            busy: self.dropped_busy.load(Ordering::Relaxed),
            full: self.dropped_full.load(Ordering::Relaxed),
            contention: self.dropped_contention.load(Ordering::Relaxed),
            overtaken: self.dropped_overtaken.load(Ordering::Relaxed),
        }
    }

    fn count_dropped(&self, why: Dropped) -> Dropped {
        let counter = match why {
            Dropped::Busy => &self.dropped_busy,
            Dropped::Full => &self.dropped_full,
            Dropped::Contention => &self.dropped_contention,
            Dropped::Overtaken => &self.dropped_overtaken,
        };
        // Ordering: Relaxed; a statistics counter (read with Relaxed in `lost`).
        counter.fetch_add(1, Ordering::Relaxed);
        why
    }

    /// Stores one record whose payload is already in memory.
    ///
    /// Returns its sequence number (exact modulo `2^(LAP_BITS + log2
    /// SLOTS)`, see the module's Limits). The store path: one claim, the
    /// words, one commit; no grant. Its first try is straight-line (see
    /// the module's *Writers*); anything else is out of line.
    #[inline]
    pub fn write(&self, meta: RecordMeta, payload: &[u8]) -> Result<u64, Dropped> {
        // The meta word and the timestamp, not `meta`, go on: a struct
        // handed to an out-of-line function would be built in memory.
        let word = record::pack_meta(payload.len() as u16, meta.level, meta.flags, meta.context);
        if payload.len() <= Self::MAX_PAYLOAD {
            let need = HEADER_WORDS + payload_words(payload.len() as u32);
            if let Some(c) = self.first_try(need) {
                return self.fill(c, need, word, meta.timestamp, payload);
            }
        }
        self.write_slow(word, meta.timestamp, payload)
    }

    /// [`Ring::write`] when its first try did not claim: a payload longer
    /// than [`Self::MAX_PAYLOAD`] (its first `MAX_PAYLOAD` bytes, flagged
    /// [`Flags::TRUNCATED`], through a grant), or the claim loop. `word`
    /// is the meta word (its length field unused when truncating).
    #[inline(never)]
    fn write_slow(&self, word: u32, timestamp: u64, payload: &[u8]) -> Result<u64, Dropped> {
        if payload.len() > Self::MAX_PAYLOAD {
            let (_, level, flags, context) = unpack_meta(word);
            let meta = RecordMeta {
                timestamp,
                level: Level::from_bits(level).unwrap_or(Level::Error),
                context,
                flags,
            };
            // The grant cuts the length to MAX_PAYLOAD and the bytes to the
            // length, and flags the record truncated.
            let mut grant = self.reserve(payload.len(), meta)?;
            grant.write(payload);
            return grant.commit();
        }
        let need = HEADER_WORDS + payload_words(payload.len() as u32);
        let c = self.claim_slow(need)?;
        self.fill(c, need, word, timestamp, payload)
    }

    /// Stores the words of claimed record `c` (`need` words: `payload`
    /// and the trailer: `timestamp`, meta word `word`), then publishes it.
    #[inline(always)]
    fn fill(
        &self,
        c: Claim,
        need: u32,
        word: u32,
        timestamp: u64,
        payload: &[u8],
    ) -> Result<u64, Dropped> {
        let at = c.end::<BYTES, SLOTS>().wrapping_sub(need);
        let first = at as usize & (Self::WORDS - 1);
        match self.data.get(first..first + need as usize) {
            Some(run) => store_run(run, payload, word, timestamp),
            None => self.store_wrapped(at, payload, word, timestamp),
        }
        self.publish(c)
    }

    /// Stores payload and trailer of a record whose words wrap around the
    /// end of the data array, word by word from position `at` (relaxed
    /// stores, published by C1, ordered after W2 / F1).
    #[inline(never)]
    fn store_wrapped(&self, at: u32, payload: &[u8], meta: u32, timestamp: u64) {
        let mut next = at;
        let mut chunks = payload.chunks_exact(4);
        for w in &mut chunks {
            // Ordering: Relaxed; published by C1, ordered after W2 / F1.
            self.word(next).store(
                u32::from_le_bytes([w[0], w[1], w[2], w[3]]),
                Ordering::Relaxed,
            );
            next = next.wrapping_add(1);
        }
        if !chunks.remainder().is_empty() {
            // Ordering: Relaxed; as above.
            self.word(next)
                .store(partial_word(chunks.remainder()), Ordering::Relaxed);
        }
        // The extent's end again, from `at` and the length: one argument
        // more costs the inlined first try a register (an instruction per
        // store on x86-64, measured).
        self.store_trailer(
            at.wrapping_add(HEADER_WORDS + payload_words(payload.len() as u32)),
            meta,
            timestamp,
        );
    }

    /// Stores the trailer of the record whose extent ends at `end`.
    #[inline]
    fn store_trailer(&self, end: u32, meta: u32, timestamp: u64) {
        // Ordering: Relaxed trailer words; published by C1.
        self.word(end.wrapping_sub(3))
            .store(timestamp as u32, Ordering::Relaxed);
        // Ordering: Relaxed; as above.
        self.word(end.wrapping_sub(2))
            .store((timestamp >> 32) as u32, Ordering::Relaxed);
        // Ordering: Relaxed; as above.
        self.word(end.wrapping_sub(1))
            .store(meta, Ordering::Relaxed);
    }

    /// Stores the trailer and publishes claimed record `c` (C1); if it was
    /// overtaken meanwhile, abandons it (C2, C3) instead.
    #[inline]
    pub(super) fn commit(&self, c: &Claim, meta: u32, timestamp: u64) -> Result<u64, Dropped> {
        self.store_trailer(c.end::<BYTES, SLOTS>(), meta, timestamp);
        self.publish(*c)
    }

    /// Publishes claimed record `c`, whose words are all stored (C1); if it
    /// was overtaken meanwhile, abandons it (C2, C3) instead.
    #[inline]
    fn publish(&self, c: Claim) -> Result<u64, Dropped> {
        // The state is the top two bits: RESERVED (0) plus 1 is COMMITTED.
        let committed = c.stored.wrapping_add(COMMITTED << 30);
        // Ordering: C1 Release; pairs with R1 (readers) and P1 (tail pushers):
        // whoever sees COMMITTED in the slot sees every word above. Races the
        // overtake O1 on this one word. Relaxed on failure: `lose` reads
        // the slot again with its own CAS.
        match self.slot_cell(c.index::<BYTES, SLOTS>()).compare_exchange(
            c.stored,
            committed,
            Ordering::Release,
            Ordering::Relaxed,
        ) {
            Ok(_) => Ok(c.seq::<BYTES, SLOTS>()),
            Err(_) => Err(self.lose(c.head, c.stored)),
        }
    }

    /// The late writer's end: its record was overtaken (C2, C3).
    #[inline(never)]
    #[cold]
    fn lose(&self, head: u32, stored: u32) -> Dropped {
        let c = Claim { head, stored };
        self.abandon(
            c.index::<BYTES, SLOTS>(),
            c.lap::<BYTES, SLOTS>(),
            c.from::<BYTES, SLOTS>(),
            c.end::<BYTES, SLOTS>(),
        );
        Dropped::Overtaken
    }

    /// Reserves room for a record of `len` payload bytes.
    ///
    /// A `len` above [`Self::MAX_PAYLOAD`] is cut to it and the record is
    /// flagged [`Flags::TRUNCATED`]. Fill the [`Grant`] and commit it (dropping
    /// it commits too). Never waits for another context; holding the grant
    /// for any length of time never makes the ring refuse other writers:
    /// if the ring laps, the record is overtaken and its commit reports it.
    #[inline]
    pub fn reserve(
        &self,
        len: usize,
        meta: RecordMeta,
    ) -> Result<Grant<'_, BYTES, SLOTS>, Dropped> {
        let (len, meta) = if len > Self::MAX_PAYLOAD {
            (Self::MAX_PAYLOAD, meta.flags(Flags::TRUNCATED))
        } else {
            (len, meta)
        };
        let c = self.claim(HEADER_WORDS + payload_words(len as u32))?;
        Ok(Grant::new(self, c, len as u16, meta))
    }

    /// Claims slot and words for a record of `need` words (steps 1 and 2
    /// of the writer protocol). The first try is straight-line: one
    /// relaxed snapshot and one fence (F1), one test
    /// ([`Ring::fits_at_head`]), one claim ([`Ring::claim_at`]);
    /// everything else (making room, helping the head, pins, retries) is
    /// [`Ring::claim_slow`].
    #[inline(always)]
    fn claim(&self, need: u32) -> Result<Claim, Dropped> {
        match self.first_try(need) {
            Some(c) => Ok(c),
            None => self.claim_slow(need),
        }
    }

    /// The straight-line first try: snapshot and F1, the one test, the
    /// claim. `None`: the caller goes to [`Ring::claim_slow`]. Always
    /// inlined (`write` keeps the claim in registers this way).
    #[inline(always)]
    fn first_try(&self, need: u32) -> Option<Claim> {
        let (head, slot, tail) = self.snapshot_relaxed();
        match self.fits_at_head(head, tail, slot, need) {
            Some(end) => self.claim_at(head, slot, end),
            None => None,
        }
    }

    /// The first try's view: head, the slot at the head and tail, loaded
    /// relaxed, then the fence F1 that makes them Acquire loads (H1, W1)
    /// and is the Release fence (W2) for the claim and the words after it.
    #[inline(always)]
    fn snapshot_relaxed(&self) -> (u32, u32, u32) {
        // Ordering: Relaxed loads of head, slot and tail, made Acquire (H1,
        // W1) by the fence F1 below.
        let head = self.head.load(Ordering::Relaxed);
        // Ordering: Relaxed; as above. As stored (see `RAW_BIAS`).
        let slot = self.slot_cell(Self::unpack(head).0).load(Ordering::Relaxed);
        // Ordering: Relaxed; as above.
        let tail = self.tail.load(Ordering::Relaxed);
        // Ordering: F1 AcqRel fence. Acquire: pairs with H2, with C1/C2 of
        // the slot's previous occupant and with P2 (the W1 pair), for the
        // three loads above. Release: pairs with a reader's R2 for every
        // word stored after it (it is W2 for the first try) and with R3 /
        // P1 for the claim S1 after it.
        fence(Ordering::AcqRel);
        (head, slot, tail)
    }

    /// `place`'s common case in one test: the slot at the head is free
    /// (previous lap), a slot and `need` words are free before the tail,
    /// and no pin is live; then the extent end. `None` for every other
    /// case (including snapshots read at different moments, whose
    /// differences wrap to huge numbers): [`Ring::place`] decides those.
    #[inline(always)]
    fn fits_at_head(&self, head: u32, tail: u32, stored: u32, need: u32) -> Option<u32> {
        // The stored slot word's lap field is its lap + 1: the lap a claim
        // would give it. Free iff that is the lap of the head's sequence.
        let lap_bits = (stored >> Self::POS_BITS) ^ (head >> (Self::POS_BITS + Self::LOG_SLOTS));
        let free_slot = lap_bits & Self::KNOWN_LAP_MASK == 0;
        // `head - tail` as one word: its low bits are the words in use
        // (modulo 2 WORDS), its high bits the records in use, less one
        // when the position borrowed. So `< SLOTS - 1` is a slot free.
        let used = head.wrapping_sub(tail);
        // Ordering: K0 Acquire, after F1 (so after W1: a pin made before
        // the tail push we saw is counted here); Acquire, not Relaxed: a 0
        // written by an unpin (Release) must make the late writer's last
        // stores happen before ours (C3), and F1 orders only the loads
        // before it. (Loom found the Relaxed load: a torn record.)
        let fits = free_slot
            && (used >> Self::POS_BITS) < SLOTS as u32 - 1
            && (used & Self::POS_MASK) + need <= Self::WORDS as u32
            && self.pins_live.load(Ordering::Acquire) == 0;
        fits.then_some(head.wrapping_add(need) & Self::POS_MASK)
    }

    /// The first try's claim, after F1: the claim CAS on slot `hs` (S1,
    /// Relaxed: F1 before it is its Acquire and Release), then the head
    /// moved past it (H2). `None` if another writer claimed the slot first.
    #[inline(always)]
    fn claim_at(&self, head: u32, stored: u32, end: u32) -> Option<Claim> {
        let c = Self::claim_over(head, stored, end);
        // Ordering: S1 Relaxed, ordered by F1 (see `snapshot_relaxed`).
        self.slot_cell(c.index::<BYTES, SLOTS>())
            .compare_exchange(stored, c.stored, Ordering::Relaxed, Ordering::Relaxed)
            .ok()?;
        self.advance_head(head, end);
        Some(c)
    }

    /// The claim of slot `hs` (from `head`) over its previous-lap word
    /// `stored` (as stored), for an extent ending at `end`: the lap field
    /// of `stored` is already the new lap (see [`Ring::RAW_BIAS`]).
    #[inline(always)]
    const fn claim_over(head: u32, stored: u32, end: u32) -> Claim {
        let lap_field = stored & (Self::LAP_MASK << Self::POS_BITS);
        Claim {
            head,
            // State RESERVED (0), the new lap, our end; biased as stored.
            stored: (lap_field | end).wrapping_add(Self::RAW_BIAS),
        }
    }

    /// Step 2 of the writer protocol in the loop: the claim CAS on slot
    /// `hs` (S1), the head moved past it (H2), the W2 fence. `None` if
    /// another writer claimed the slot first.
    #[inline]
    fn try_claim(&self, head: u32, slot: u32, end: u32) -> Option<Claim> {
        let stored = slot.wrapping_add(Self::RAW_BIAS);
        let c = Self::claim_over(head, stored, end);
        // Ordering: S1 AcqRel; Acquire pairs with C1/C2 of the slot's
        // previous occupant, Release publishes the tail we saw (W1) to
        // readers (R3) and pushers (P1) that see the claim.
        self.slot_cell(c.index::<BYTES, SLOTS>())
            .compare_exchange(stored, c.stored, Ordering::AcqRel, Ordering::Relaxed)
            .ok()?;
        self.advance_head(head, end);
        // Ordering: W2 Release fence; pairs with a reader's R2: a reader
        // that sees any word we store after it also sees the tail move
        // that freed these words.
        fence(Ordering::Release);
        Some(c)
    }
    /// The writer protocol's loop, for when the first try of
    /// [`Ring::claim`] did not claim: frees old records (a batch, see
    /// [`Ring::push_tail`]), helps the head, retries; at most
    /// [`MAX_ATTEMPTS`] rounds, from a new snapshot.
    #[inline]
    fn claim_slow(&self, need: u32) -> Result<Claim, Dropped> {
        let mut c = Claim { head: 0, stored: 0 };
        self.claim_loop(need, &mut c)?;
        Ok(c)
    }

    /// [`Ring::claim_slow`]'s loop; the claim goes to `out` (a result
    /// written in place: a `Result<Claim, _>` returned from an out-of-line
    /// function is copied with `memcpy` calls on a small core).
    #[inline(never)]
    fn claim_loop(&self, need: u32, out: &mut Claim) -> Result<(), Dropped> {
        let (mut head, mut slot, mut tail) = self.snapshot();
        for _ in 0..MAX_ATTEMPTS {
            match self.place(head, tail, slot, need) {
                Place::At { end } => {
                    if let Some(c) = self.try_claim(head, slot, end) {
                        *out = c;
                        return Ok(());
                    }
                }
                Place::Help { end } => self.advance_head(head, end),
                Place::Retry => {}
                Place::MakeRoom => {
                    // Ordering: Relaxed; a setting fixed at construction.
                    if self.policy.load(Ordering::Relaxed) == policy_word(Policy::DropNewest) {
                        return Err(self.count_dropped(Dropped::Full));
                    }
                    // The head and its slot stay as loaded: if they moved,
                    // the claim CAS fails and everything is loaded again.
                    match self.push_tail(tail) {
                        Ok(now) => tail = now,
                        Err(why) => return Err(self.count_dropped(why)),
                    }
                    continue;
                }
            }
            (head, slot, tail) = self.snapshot();
        }
        Err(self.count_dropped(Dropped::Contention))
    }

    /// A writer's view: head (H1), the slot at the head, tail (W1).
    #[inline(always)]
    fn snapshot(&self) -> (u32, u32, u32) {
        // Ordering: H1 Acquire; pairs with H2 so the slot load below sees
        // at least the claim of hs - 1 that moved the head here.
        let head = self.head.load(Ordering::Acquire);
        // Ordering: Acquire; pairs with S1 of a writer that claimed hs (we
        // may help the head past it) or C1/C2 of its previous lap.
        let slot = self.slot_load(Self::unpack(head).0, Ordering::Acquire);
        // Ordering: W1 Acquire; pairs with P2 (tail CAS) so the words, the
        // slot and the pins of the freed records are visible to us.
        let tail = self.tail.load(Ordering::Acquire);
        (head, slot, tail)
    }

    /// Decides what a writer with these snapshots does next.
    #[inline]
    fn place(&self, head: u32, tail: u32, slot: u32, need: u32) -> Place {
        let (hs, hp) = Self::unpack(head);
        let (ts, tp) = Self::unpack(tail);
        let w = Self::slot_unpack(slot);
        let lap = Self::known_lap(hs);
        // Helping comes first: a tail push may free (overtake) a record
        // claimed but not yet passed by the head, so the tail can be ahead
        // of the head until someone moves the head past that claim. If we
        // only retried then, we would wait for the claimer (I1).
        if w.lap & Self::KNOWN_LAP_MASK == lap {
            return Place::Help { end: w.end };
        }
        if w.lap.wrapping_add(1) & Self::KNOWN_LAP_MASK != lap {
            return Place::Retry;
        }
        let used_slots = hs.wrapping_sub(ts) & Self::SEQ_MASK;
        let used_words = hp.wrapping_sub(tp) & Self::POS_MASK;
        if used_slots > SLOTS as u32 || used_words > Self::WORDS as u32 {
            // Head and tail were read at different moments and the tail
            // overtook our head snapshot.
            return Place::Retry;
        }
        if used_slots == SLOTS as u32 {
            return Place::MakeRoom;
        }
        // In plain integers, not positions: the skip distance can exceed
        // WORDS (a pin inside the live words lies most of a lap ahead), and
        // modulo 2 * WORDS such an extent could pass for a fit and land on
        // live records.
        let skip = self.skip_pins(hp, need);
        if used_words + skip + need > Self::WORDS as u32 {
            return Place::MakeRoom;
        }
        Place::At {
            end: hp.wrapping_add(skip + need) & Self::POS_MASK,
        }
    }

    /// Moves the head from `head` (slot hs claimed with extent end `end`) to
    /// the next record. Losing the CAS means a helper did it, or the head
    /// moved on: both fine.
    #[inline]
    fn advance_head(&self, head: u32, end: u32) {
        let (hs, _) = Self::unpack(head);
        let next = Self::pack(hs.wrapping_add(1), end);
        // Ordering: H2 Release; publishes the claim we saw (or made) to the
        // next writer's H1 (or its F1), whose slot load then sees it.
        let _ = self
            .head
            .compare_exchange(head, next, Ordering::Release, Ordering::Relaxed);
    }

    /// Copies the record at `cursor` into `buf` and advances the cursor.
    ///
    /// Never returns a torn record (I6): a record overwritten while it was
    /// copied is reported as [`Read::Dropped`] together with every other
    /// record the cursor lost. Records their writers lost (overtaken) are
    /// missed too: like overwritten ones they had a sequence number but no
    /// reader will get them ([`DropCounts::overtaken`] counts them once, at
    /// the ring).
    pub fn read(&self, cursor: &mut Cursor, buf: &mut [u8]) -> Read {
        let mut lost = 0;
        for _ in 0..SLOTS {
            let s = cursor.seq;
            // Ordering: R1 Acquire; pairs with C1 so the record's words are visible.
            let slot = self.slot_load(s as u32, Ordering::Acquire);
            match self.judge(s, Self::slot_unpack(slot)) {
                Judged::Lost => {
                    cursor.seq += 1;
                    lost += 1;
                    continue;
                }
                _ if lost > 0 => break,
                Judged::Empty => return Read::Empty,
                Judged::Behind => return self.resync(cursor),
                Judged::Committed => return self.copy(cursor, slot, buf),
            }
        }
        if lost > 0 {
            Read::Dropped(lost)
        } else {
            Read::Empty
        }
    }

    /// What slot word `w` means for a reader at sequence `s`.
    #[inline]
    fn judge(&self, s: u64, w: SlotWord) -> Judged {
        let lap = ((s >> Self::LOG_SLOTS) as u32) & Self::LAP_MASK;
        let d = w.lap.wrapping_sub(lap) & Self::LAP_MASK;
        if d == 0 {
            return match w.state {
                RESERVED => Judged::Empty,
                COMMITTED => Judged::Committed,
                _ => Judged::Lost,
            };
        }
        if d < 1 << (Self::LAP_BITS - 1) {
            return Judged::Behind;
        }
        // Not claimed yet: the reader is at the head — unless it is so far
        // behind that the lap tag wrapped (then the head is elsewhere).
        // In the bits both numbers have (`CMP_BITS`).
        // Ordering: Relaxed; only compared as a number.
        let (hs, _) = Self::unpack(self.head.load(Ordering::Relaxed));
        if (hs ^ s as u32) & Self::CMP_MASK == 0 {
            Judged::Empty
        } else {
            Judged::Behind
        }
    }

    /// Copies committed record `cursor.seq` (its slot word `slot`) and
    /// re-validates the copy.
    fn copy(&self, cursor: &mut Cursor, slot: u32, buf: &mut [u8]) -> Read {
        let s = cursor.seq;
        let end = Self::slot_unpack(slot).end;
        // Ordering: Relaxed copies, validated after R2 below.
        let meta = self.word(end.wrapping_sub(1)).load(Ordering::Relaxed);
        let ts_hi = self.word(end.wrapping_sub(2)).load(Ordering::Relaxed);
        let ts_lo = self.word(end.wrapping_sub(3)).load(Ordering::Relaxed);
        let (len, level, flags, context) = unpack_meta(meta);
        let len = (len as usize).min(Self::MAX_PAYLOAD);
        let n = len.min(buf.len());
        let mut at = end.wrapping_sub(HEADER_WORDS + payload_words(len as u32));
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
        // Ordering: R3 slot re-load, ordered after the copy by R2; Acquire
        // pairs with the S1 of a record that replaced ours, so that record's
        // tail push is visible to the tail load and to `resync`.
        let again = self.slot_load(s as u32, Ordering::Acquire);
        // Ordering: R3 Relaxed tail re-load, ordered by R2 and the slot load.
        let (ts, _) = Self::unpack(self.tail.load(Ordering::Relaxed));
        // In the bits both numbers have (`CMP_BITS`).
        let ahead_of_tail = (s as u32).wrapping_sub(ts) & Self::CMP_MASK;
        let overwritten = ahead_of_tail >= 1 << (Self::CMP_BITS - 1);
        if again != slot || overwritten {
            return self.resync(cursor);
        }
        cursor.seq += 1;
        Read::Record(Header {
            seq: s,
            timestamp: (ts_lo as u64) | ((ts_hi as u64) << 32),
            level: Level::from_bits(level).unwrap_or(Level::Error),
            context,
            flags,
            len: len as u16,
        })
    }

    /// Moves a cursor that fell behind to the oldest record held.
    fn resync(&self, cursor: &mut Cursor) -> Read {
        let Some((tail_seq, _)) = self.tail_snapshot() else {
            return Read::Empty;
        };
        let mask = (1u64 << Self::FULL_BITS) - 1;
        let delta = tail_seq.wrapping_sub(cursor.seq) & mask;
        if delta == 0 || delta >= 1 << (Self::FULL_BITS - 1) {
            return Read::Empty;
        }
        cursor.seq += delta;
        Read::Dropped(delta)
    }

    /// The oldest record's full sequence number and position, read
    /// consistently; `None` if the tail kept moving.
    fn tail_snapshot(&self) -> Option<(u64, u32)> {
        // Bounded: the tail only moves when writers make progress; if it
        // keeps moving, report nothing now and let the caller come back.
        for _ in 0..8 {
            // Ordering: Acquire; pairs with P2 so the slot load below sees
            // at least the state the pusher saw.
            let tail = self.tail.load(Ordering::Acquire);
            let (ts, tp) = Self::unpack(tail);
            // Ordering: Acquire; pairs with S1 (value only used as a number).
            let w = Self::slot_unpack(self.slot_load(ts, Ordering::Acquire));
            // Ordering: Acquire re-check that the tail stood still meanwhile.
            if self.tail.load(Ordering::Acquire) != tail {
                continue;
            }
            let known = Self::known_lap(ts);
            let lap = if w.lap & Self::KNOWN_LAP_MASK == known {
                w.lap
            } else if w.lap.wrapping_add(1) & Self::KNOWN_LAP_MASK == known {
                // Tail at the head: slot ts not claimed yet.
                w.lap.wrapping_add(1) & Self::LAP_MASK
            } else {
                continue;
            };
            return Some((Self::full_seq(lap, ts), tp));
        }
        None
    }

    /// Whether [`Ring::read`] at `cursor` would return something other than
    /// [`Read::Empty`] (a committed record, or records missed).
    ///
    /// Decided by the cursor's own slot, exactly as `read` decides: a record
    /// its writer lost there is reported missed by `read` whatever follows
    /// it (even the head, or a record still being written).
    pub fn has_unread(&self, cursor: &Cursor) -> bool {
        // Ordering: Acquire; pairs with C1 (same as R1).
        let w = Self::slot_unpack(self.slot_load(cursor.seq as u32, Ordering::Acquire));
        !matches!(self.judge(cursor.seq, w), Judged::Empty)
    }

    /// If the cursor fell behind (its record was overwritten), moves it to
    /// the oldest record held and returns how many records it missed;
    /// otherwise leaves it and returns 0. Lets a console announce its whole
    /// loss in one notice before it prints again.
    pub fn skip_dropped(&self, cursor: &mut Cursor) -> u64 {
        // Ordering: Acquire; pairs with C1 (same as R1).
        let w = Self::slot_unpack(self.slot_load(cursor.seq as u32, Ordering::Acquire));
        if !matches!(self.judge(cursor.seq, w), Judged::Behind) {
            return 0;
        }
        match self.resync(cursor) {
            Read::Dropped(n) => n,
            _ => 0,
        }
    }

    /// The number that is `seq` modulo the ring's sequence range (`2^(LAP_BITS
    /// + log2 SLOTS)`, the module's Limits) and nearest to `reference`.
    ///
    /// [`Ring::oldest`], [`Ring::newest`], [`Ring::write`] and
    /// [`Grant::seq`] give numbers within that range, while a [`Cursor`]
    /// that reads on counts past it (its 64 bits never wrap): compare them
    /// through this, with the cursor's number as `reference`. Exact while
    /// they are less than half the range apart and the answer is not below 0.
    pub(crate) fn near(seq: u64, reference: u64) -> u64 {
        let range = 1u64 << Self::FULL_BITS;
        let ahead = seq.wrapping_sub(reference) & (range - 1);
        if ahead < range / 2 {
            reference.wrapping_add(ahead)
        } else {
            // Before 0 (a cursor that started in the range's first
            // numbers): 0, as near as a `u64` gets.
            reference.saturating_sub(range - ahead)
        }
    }

    /// A cursor at the oldest record still held.
    pub fn oldest(&self) -> Cursor {
        match self.tail_snapshot() {
            Some((seq, _)) => Cursor { seq },
            None => Cursor::new(),
        }
    }

    /// A cursor just past the newest record reserved so far: it will read
    /// only records stored from now on.
    pub fn newest(&self) -> Cursor {
        loop {
            // Ordering: Acquire; pairs with H2 so the slot below is at least
            // as new as the claim of hs - 1.
            let head = self.head.load(Ordering::Acquire);
            let (hs, _) = Self::unpack(head);
            // Ordering: Relaxed; only a number.
            let w = Self::slot_unpack(self.slot_load(hs, Ordering::Relaxed));
            // Ordering: Acquire re-check that the head stood still.
            if self.head.load(Ordering::Acquire) != head {
                continue;
            }
            let known = Self::known_lap(hs);
            let lap = if w.lap & Self::KNOWN_LAP_MASK == known {
                w.lap
            } else {
                w.lap.wrapping_add(1) & Self::LAP_MASK
            };
            return Cursor {
                seq: Self::full_seq(lap, hs),
            };
        }
    }

    /// A cursor at sequence number `seq`, found by walking from the oldest
    /// record (bounded by the records held). If `seq` is older than the
    /// oldest record, the cursor lands on the oldest; if it is newer than
    /// the newest, on the newest. `seq` may be a cursor's number past the
    /// ring's sequence range (see the module's Limits).
    pub fn seek(&self, seq: u64) -> Cursor {
        let mut c = self.oldest();
        c.seq = Self::near(c.seq, seq);
        for _ in 0..SLOTS {
            if c.seq >= seq {
                break;
            }
            match self.read(&mut c, &mut []) {
                Read::Record(_) | Read::Dropped(_) => {}
                Read::Empty => break,
            }
        }
        c
    }
}

/// Stores a record's payload and trailer into `run`, its words in order
/// (`run.len()` = the trailer's 3 words and `payload`'s words): whole
/// words first (one plain loop: on Cortex-M3 at opt-level "s" it is no
/// longer than an unrolled one once its set-up is counted), then the
/// partial last word, then the trailer. Relaxed stores: published by C1,
/// ordered after W2 / F1.
#[inline(always)]
fn store_run(run: &[AtomicU32], payload: &[u8], meta: u32, timestamp: u64) {
    let Some((body, trailer)) = run.split_last_chunk::<3>() else {
        return; // never: a record has a trailer
    };
    let whole = payload.len() / 4;
    let (Some(body_whole), Some(src_whole)) = (body.get(..whole), payload.get(..whole * 4)) else {
        return; // never: `run` has a word for every 4 payload bytes
    };
    for (word, w) in body_whole.iter().zip(src_whole.chunks_exact(4)) {
        // Ordering: Relaxed; published by C1, ordered after W2 / F1.
        word.store(
            u32::from_le_bytes([w[0], w[1], w[2], w[3]]),
            Ordering::Relaxed,
        );
    }
    if let (Some(word), Some(rest)) = (body.get(whole), payload.get(whole * 4..)) {
        // Ordering: Relaxed; as above.
        word.store(partial_word(rest), Ordering::Relaxed);
    }
    // Ordering: Relaxed; as above.
    trailer[0].store(timestamp as u32, Ordering::Relaxed);
    // Ordering: Relaxed; as above.
    trailer[1].store((timestamp >> 32) as u32, Ordering::Relaxed);
    // Ordering: Relaxed; as above.
    trailer[2].store(meta, Ordering::Relaxed);
}

/// Up to 3 bytes as a little-endian word, the rest zero (no `memcpy`).
#[inline(always)]
fn partial_word(bytes: &[u8]) -> u32 {
    let mut w = 0;
    for (i, &b) in bytes.iter().enumerate().take(3) {
        w |= (b as u32) << (8 * i);
    }
    w
}

/// A reader's verdict on one slot.
enum Judged {
    Empty,
    Behind,
    Lost,
    Committed,
}

#[cfg(not(loom))]
impl<const BYTES: usize, const SLOTS: usize> Default for Ring<BYTES, SLOTS> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests;
