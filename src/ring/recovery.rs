//! Keeping the log across a warm reset (the firmware's pstore/ramoops).
//!
//! The checks are documented on [`Recovery`], where rustdoc shows them.

use super::record::{pack_meta, payload_words, unpack_meta, Flags, HEADER_WORDS};
use super::{policy_word, Policy, Ring, SlotWord, ABANDONED, COMMITTED, MAGIC, OVERTAKEN};
use crate::sync::{AtomicU32, Ordering};
use crate::Level;
use core::mem::size_of;

/// What [`Ring::recover`] found.
///
/// Keeping the log across a warm reset (the firmware's pstore/ramoops).
///
/// After a crash the most valuable log is the one from before the reset.
/// Place the ring (or the whole [`Logger`](crate::console::Logger)) in RAM
/// the runtime does not zero — a `.uninit` / `.noinit` section — and call
/// [`Ring::recover`] (or [`Ring::recover_in_place`] on never-initialised
/// memory) once at boot, before any other use. It checks:
///
/// 1. **magic and geometry**: a word `"LOGB"` and the ring's shape and
///    layout version. Random power-on RAM matches with probability 2^-64;
///    anything else is initialised empty ([`Recovery::fresh`]).
/// 2. **indices**: head and tail must describe at most `WORDS` words and
///    `SLOTS` records, and the tail's slot must agree with the tail's
///    sequence number.
/// 3. **every record** from tail to head: its slot showing the lap of its
///    sequence number and an extent inside the live words, a valid level
///    and a length that fits the extent, and the slot showing it committed
///    (kept, flagged [`Flags::PREVIOUS_BOOT`]) or still reserved (a writer
///    the reset cut: kept, flagged [`Flags::INCOMPLETE`], because its size
///    was recorded at reservation). An overtaken record stays lost (its
///    writer is gone, and so is its pin). The first record that fails ends
///    the log there; it and everything after it are discarded and counted.
///
/// Whatever the memory holds, recovery ends with a ring that satisfies every
/// invariant the writers and readers rely on, in at most `SLOTS` steps.
///
/// ```
/// use logbuf::ring::{Cursor, Flags, Read, RecordMeta, Ring};
/// use logbuf::Level;
///
/// // Boot 1 starts (every boot begins with `recover`), logs, then
/// // "resets": its memory image survives.
/// let before: Ring<256, 8> = Ring::new();
/// assert!(before.recover().fresh);
/// before.write(RecordMeta::new(Level::Error), b"brown-out").unwrap();
/// let mut image = [0u32; Ring::<256, 8>::IMAGE_WORDS];
/// before.save_image(&mut image);
///
/// // Boot 2 finds the image in its RAM and recovers it.
/// let after: Ring<256, 8> = Ring::new();
/// after.load_image(&image);
/// let report = after.recover();
/// assert_eq!((report.fresh, report.kept), (false, 1));
/// let mut buf = [0u8; 16];
/// let Read::Record(h) = after.read(&mut after.oldest(), &mut buf) else { panic!() };
/// assert!(h.flags.contains(Flags::PREVIOUS_BOOT));
/// assert_eq!(&buf[..h.len as usize], b"brown-out");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// The memory did not hold a ring of this shape (cold boot, other
    /// firmware, corruption of the indices): it was initialised empty.
    pub fresh: bool,
    /// Committed records kept from before the reset.
    pub kept: u32,
    /// Records a reset cut mid-write, kept and flagged incomplete.
    pub incomplete: u32,
    /// Records given up because they did not hold together.
    pub discarded: u32,
}

impl<const BYTES: usize, const SLOTS: usize> Ring<BYTES, SLOTS> {
    /// Size of the ring's memory in 32-bit words.
    pub const IMAGE_WORDS: usize = 10 + super::PINS + SLOTS + Self::WORDS;

    const WORDS_ONLY: () = assert!(
        size_of::<Self>() == Self::IMAGE_WORDS * 4,
        "Ring must be made of 32-bit words only"
    );

    /// The ring's memory as words.
    fn words(&self) -> &[AtomicU32] {
        #[allow(clippy::let_unit_value)]
        let () = Self::WORDS_ONLY;
        // SAFETY: `Ring` is `repr(C)` and holds only `AtomicU32`s and arrays
        // of them (size 4, align 4, no padding: checked by WORDS_ONLY), so it
        // is laid out exactly as `[AtomicU32; IMAGE_WORDS]`, borrowed here
        // for as long as `self`.
        unsafe {
            core::slice::from_raw_parts(self as *const Self as *const AtomicU32, Self::IMAGE_WORDS)
        }
    }

    /// Copies the ring's memory into `out` (as much as fits); returns the
    /// words copied. A consistent copy needs writers to be quiet.
    pub fn save_image(&self, out: &mut [u32]) -> usize {
        let words = self.words();
        let n = out.len().min(words.len());
        for (o, w) in out[..n].iter_mut().zip(words) {
            // Ordering: Relaxed; a snapshot for persistence, not a reader.
            *o = w.load(Ordering::Relaxed);
        }
        n
    }

    /// Overwrites the ring's memory with `image` (missing words become 0).
    /// Whatever the image holds, nothing unsound can follow, but call
    /// [`Ring::recover`] before using the ring. Not for use while other
    /// contexts write or read the ring.
    pub fn load_image(&self, image: &[u32]) {
        for (i, w) in self.words().iter().enumerate() {
            // Ordering: Relaxed; boot-time, single context.
            w.store(image.get(i).copied().unwrap_or(0), Ordering::Relaxed);
        }
    }

    /// Validates the ring's memory as left by a previous boot and repairs it
    /// (see [`Recovery`]). Call once at boot, before any
    /// writer or reader uses the ring.
    pub fn recover(&self) -> Recovery {
        // Ordering (all of this function): Relaxed; boot time, one context.
        let r = Ordering::Relaxed;
        let policy = self.policy.load(r);
        let policy = if policy <= 1 { policy } else { 0 };
        let (hs, hp) = Self::unpack(self.head.load(r));
        let (ts, tp) = Self::unpack(self.tail.load(r));
        let used_words = hp.wrapping_sub(tp) & Self::POS_MASK;
        let used_slots = hs.wrapping_sub(ts) & Self::SEQ_MASK;
        let shaped = self.magic.load(r) == MAGIC
            && self.geometry.load(r) == Self::GEOMETRY
            && used_words <= Self::WORDS as u32
            && used_slots <= SLOTS as u32;
        let tail_seq = self.recovered_tail_seq(ts, used_slots);
        let Some(tail_seq) = tail_seq.filter(|_| shaped) else {
            self.reset(policy);
            return Recovery {
                fresh: true,
                discarded: if shaped { used_slots } else { 0 },
                ..Recovery::default()
            };
        };
        let mut report = Recovery::default();
        let mut pos = tp;
        let mut kept_slots = used_slots;
        for k in 0..used_slots {
            let seq = tail_seq.wrapping_add(k as u64);
            match self.recover_record(
                seq,
                pos,
                used_words - (pos.wrapping_sub(tp) & Self::POS_MASK),
            ) {
                Some((end, outcome)) => {
                    match outcome {
                        Kept::Committed => report.kept += 1,
                        Kept::Incomplete => report.incomplete += 1,
                        Kept::Lost => {}
                    }
                    pos = end;
                }
                None => {
                    kept_slots = k;
                    break;
                }
            }
        }
        // Every slot past the last kept record shows the lap before its next
        // sequence number (unclaimed): the discarded records' slots, and the
        // free ones, which the old RAM may hold anything in.
        for j in kept_slots..SLOTS as u32 {
            let seq = tail_seq.wrapping_add(j as u64);
            let lap = ((seq >> Self::LOG_SLOTS) as u32).wrapping_sub(1);
            self.slot_store_boot(
                seq as u32,
                SlotWord {
                    state: ABANDONED,
                    lap,
                    end: 0,
                },
            );
        }
        if kept_slots < used_slots || pos != hp {
            // End the log at the first record that did not hold together.
            report.discarded = used_slots - kept_slots;
            self.head
                .store(Self::pack(ts.wrapping_add(kept_slots), pos), r);
        }
        self.clear_counters(policy);
        report
    }

    /// The tail's full sequence number, if its slot agrees with the tail.
    fn recovered_tail_seq(&self, ts: u32, used_slots: u32) -> Option<u64> {
        let w = Self::slot_unpack(self.slot_load(ts, Ordering::Relaxed));
        let known = Self::known_lap(ts);
        if w.lap & Self::KNOWN_LAP_MASK == known && used_slots > 0 {
            Some(Self::full_seq(w.lap, ts))
        } else if w.lap.wrapping_add(1) & Self::KNOWN_LAP_MASK == known && used_slots == 0 {
            Some(Self::full_seq(w.lap.wrapping_add(1) & Self::LAP_MASK, ts))
        } else {
            None
        }
    }

    /// Checks and repairs record `seq` whose extent starts at `pos`, with
    /// `room` live words left; its extent end and what became of it, or
    /// `None` if it does not hold together.
    fn recover_record(&self, seq: u64, pos: u32, room: u32) -> Option<(u32, Kept)> {
        let r = Ordering::Relaxed;
        let lap = ((seq >> Self::LOG_SLOTS) as u32) & Self::LAP_MASK;
        let w = Self::slot_unpack(self.slot_load(seq as u32, r));
        let extent = w.end.wrapping_sub(pos) & Self::POS_MASK;
        if w.lap != lap || extent > room || extent < HEADER_WORDS {
            return None;
        }
        if matches!(w.state, OVERTAKEN | ABANDONED) {
            // Its writer is gone with the reset: nothing to keep, no pin.
            self.slot_store_boot(
                seq as u32,
                SlotWord {
                    state: ABANDONED,
                    ..w
                },
            );
            return Some((w.end, Kept::Lost));
        }
        let meta_at = w.end.wrapping_sub(1);
        let (len, level, flags, context) = unpack_meta(self.word(meta_at).load(r));
        let level = Level::from_bits(level)?;
        let words = HEADER_WORDS + payload_words(len as u32);
        if len as usize > Self::MAX_PAYLOAD || words > extent {
            return None;
        }
        let mut flags = flags.with(Flags::PREVIOUS_BOOT);
        let kept = if w.state == COMMITTED {
            Kept::Committed
        } else {
            flags = flags.with(Flags::INCOMPLETE);
            self.slot_store_boot(
                seq as u32,
                SlotWord {
                    state: COMMITTED,
                    ..w
                },
            );
            Kept::Incomplete
        };
        self.word(meta_at)
            .store(pack_meta(len, level, flags, context), r);
        Some((w.end, kept))
    }

    /// Boot-time store of a slot word (one context, Relaxed).
    fn slot_store_boot(&self, index: u32, w: SlotWord) {
        // Ordering: Relaxed; boot time, one context.
        self.slots[index as usize & (SLOTS - 1)].store(
            Self::slot_pack(w).wrapping_sub(Self::SLOT_INITIAL),
            Ordering::Relaxed,
        );
    }

    /// Counters and pins start fresh; the policy is kept.
    fn clear_counters(&self, policy: u32) {
        // Ordering (all of this function): Relaxed; boot time, one context.
        let r = Ordering::Relaxed;
        self.dropped_busy.store(0, r);
        self.dropped_full.store(0, r);
        self.dropped_contention.store(0, r);
        self.dropped_overtaken.store(0, r);
        for p in &self.pins {
            // The writers that pinned words are gone with the reset.
            p.store(0, r);
        }
        self.pins_live.store(0, r);
        self.policy.store(policy, r);
    }

    /// Empties the ring (boot-time: no other context may use it).
    fn reset(&self, policy: u32) {
        // Ordering (all of this function): Relaxed; boot time, one context.
        let r = Ordering::Relaxed;
        self.magic.store(MAGIC, r);
        self.geometry.store(Self::GEOMETRY, r);
        self.head.store(0, r);
        self.tail.store(0, r);
        self.clear_counters(policy);
        for s in &self.slots {
            // 0 is SLOT_INITIAL: unclaimed, previous lap.
            s.store(0, r);
        }
        for w in self.data.iter() {
            w.store(0, r);
        }
    }

    /// Recovers a ring in memory that Rust never initialised: RAM kept
    /// across a reset in a section the runtime does not zero.
    ///
    /// Every word is read and written back with volatile accesses first, so
    /// the compiler assumes nothing about what the RAM holds; then
    /// [`Ring::recover`] runs. `policy` applies if the ring is started fresh.
    ///
    /// # Safety
    ///
    /// `ptr` must be valid for reads and writes of a `Ring<BYTES, SLOTS>`,
    /// aligned to 4, and nothing else may access that memory during the
    /// call. Afterwards it holds an initialised ring.
    pub unsafe fn recover_in_place(ptr: *mut Self, policy: Policy) -> Recovery {
        #[allow(clippy::let_unit_value)]
        let () = Self::WORDS_ONLY;
        let words = ptr as *mut u32;
        for i in 0..Self::IMAGE_WORDS {
            // SAFETY: `i < IMAGE_WORDS` and the caller guarantees `ptr` is
            // valid for the whole ring; a ring is exactly IMAGE_WORDS words.
            unsafe {
                let v = core::ptr::read_volatile(words.add(i));
                core::ptr::write_volatile(words.add(i), v);
            }
        }
        // SAFETY: every word was written above and a ring is words only, so
        // any value is a valid `Ring`; the caller guarantees exclusivity.
        let ring = unsafe { &*ptr };
        if ring.magic.load(Ordering::Relaxed) != MAGIC {
            // Ordering: Relaxed; boot time, one context.
            ring.policy.store(policy_word(policy), Ordering::Relaxed);
        }
        ring.recover()
    }
}

/// What recovery made of one record.
enum Kept {
    Committed,
    Incomplete,
    Lost,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::{Cursor, Read, RecordMeta};
    use std::vec::Vec;

    type R = Ring<256, 8>;

    /// A ring as a boot sets it up: new, then recovered (stamped).
    fn booted() -> R {
        let r = R::new();
        assert!(r.recover().fresh, "a new ring holds no log");
        r
    }

    fn image_of(ring: &R) -> Vec<u32> {
        let mut v = std::vec![0; R::IMAGE_WORDS];
        assert_eq!(ring.save_image(&mut v), R::IMAGE_WORDS);
        v
    }

    fn drain(ring: &R) -> Vec<(crate::ring::Header, Vec<u8>)> {
        let mut c = ring.oldest();
        let mut out = Vec::new();
        let mut buf = [0u8; 256];
        for _ in 0..64 {
            match ring.read(&mut c, &mut buf) {
                Read::Record(h) => out.push((h, buf[..h.len as usize].to_vec())),
                Read::Dropped(_) => {}
                Read::Empty => break,
            }
        }
        out
    }

    #[test]
    fn records_survive_a_warm_reset_flagged_previous_boot() {
        let a = booted();
        for i in 0u8..20 {
            a.write(RecordMeta::new(Level::Info).timestamp(i as u64), &[i; 9])
                .unwrap();
        }
        let before = drain(&a);
        let b = R::new();
        b.load_image(&image_of(&a));
        let rep = b.recover();
        assert_eq!(
            rep,
            Recovery {
                kept: before.len() as u32,
                ..Recovery::default()
            }
        );
        let after = drain(&b);
        assert_eq!(after.len(), before.len());
        for ((hb, pb), (ha, pa)) in before.iter().zip(&after) {
            assert_eq!(pb, pa);
            assert_eq!(hb.seq, ha.seq);
            assert_eq!(hb.timestamp, ha.timestamp);
            assert!(ha.flags.contains(Flags::PREVIOUS_BOOT));
        }
        // The new boot goes on where the old one stopped.
        b.write(RecordMeta::new(Level::Warn), b"boot 2").unwrap();
        let all = drain(&b);
        let last = all.last().unwrap();
        assert_eq!(last.1, b"boot 2");
        assert!(!last.0.flags.contains(Flags::PREVIOUS_BOOT));
        assert_eq!(last.0.seq, before.last().unwrap().0.seq + 1);
    }

    #[test]
    fn record_cut_mid_write_is_kept_incomplete_and_later_ones_survive() {
        let a = booted();
        a.write(RecordMeta::new(Level::Info), b"one").unwrap();
        let mut cut = a.reserve(8, RecordMeta::new(Level::Error)).unwrap();
        cut.write(b"hal");
        a.write(RecordMeta::new(Level::Info), b"three").unwrap();
        let image = image_of(&a);
        core::mem::forget(cut); // the reset: never committed
        let b = R::new();
        b.load_image(&image);
        let rep = b.recover();
        assert_eq!((rep.kept, rep.incomplete, rep.discarded), (2, 1, 0));
        let recs = drain(&b);
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].1, b"one");
        assert!(recs[1].0.flags.contains(Flags::INCOMPLETE));
        assert_eq!(recs[1].0.len, 8);
        assert_eq!(recs[2].1, b"three");
    }

    #[test]
    fn cold_boot_garbage_recovers_to_an_empty_usable_ring() {
        let mut x = 0x1234_5678u32;
        for round in 0..50 {
            let image: Vec<u32> = (0..R::IMAGE_WORDS)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x
                })
                .collect();
            let b = R::new();
            b.load_image(&image);
            let rep = b.recover();
            assert!(rep.fresh, "round {round}");
            assert!(drain(&b).is_empty());
            b.write(RecordMeta::new(Level::Info), b"fresh").unwrap();
            assert_eq!(drain(&b).len(), 1);
        }
    }

    #[test]
    fn corrupted_record_ends_the_log_there_and_is_counted() {
        let a = booted();
        for i in 0u8..5 {
            a.write(RecordMeta::new(Level::Info), &[i; 4]).unwrap();
        }
        let mut image = image_of(&a);
        // Third record's meta word (the last of its 4 words): an invalid level.
        let data0 = 10 + crate::ring::PINS + 8; // header words + pins + slots
        let third = data0 + 2 * 4 + 3;
        image[third] = (image[third] & !(0x7 << 16)) | (7 << 16);
        let b = R::new();
        b.load_image(&image);
        let rep = b.recover();
        assert_eq!((rep.fresh, rep.kept, rep.discarded), (false, 2, 3));
        assert_eq!(drain(&b).len(), 2);
        // Writers go on from the cut point without trouble.
        for i in 0u8..30 {
            b.write(RecordMeta::new(Level::Info), &[i; 7]).unwrap();
        }
        let recs = drain(&b);
        assert!(recs.iter().all(|(h, p)| p.len() == h.len as usize));
        assert_eq!(recs.last().unwrap().1, [29u8; 7]);
    }

    #[test]
    fn other_geometry_is_not_trusted() {
        let a: Ring<256, 16> = Ring::new();
        a.recover();
        a.write(RecordMeta::new(Level::Info), b"x").unwrap();
        let mut image = std::vec![0; Ring::<256, 16>::IMAGE_WORDS];
        a.save_image(&mut image);
        let b = R::new();
        b.load_image(&image);
        assert!(b.recover().fresh);
    }

    #[test]
    fn recover_in_place_on_raw_memory() {
        let a = booted();
        a.write(RecordMeta::new(Level::Info), b"kept").unwrap();
        let image = image_of(&a);
        let mut mem = core::mem::MaybeUninit::<R>::uninit();
        // Play the RAM kept across reset.
        // SAFETY: MaybeUninit<R> is IMAGE_WORDS u32 words in size.
        unsafe {
            core::ptr::copy_nonoverlapping(
                image.as_ptr(),
                mem.as_mut_ptr() as *mut u32,
                R::IMAGE_WORDS,
            )
        };
        // SAFETY: `mem` is ours, aligned, the right size.
        let rep = unsafe { R::recover_in_place(mem.as_mut_ptr(), Policy::Overwrite) };
        assert_eq!(rep.kept, 1);
        // SAFETY: recover_in_place initialised it.
        let ring = unsafe { mem.assume_init_ref() };
        let mut c = Cursor::new();
        let mut buf = [0u8; 8];
        assert!(matches!(ring.read(&mut c, &mut buf), Read::Record(h) if h.len == 4));
        assert_eq!(&buf[..4], b"kept");
    }
}

#[cfg(test)]
mod zero_image {
    use super::*;

    #[test]
    fn a_new_ring_is_all_zero_words_so_a_static_one_lands_in_bss() {
        let r: Ring<256, 8> = Ring::new();
        let mut image = [1u32; Ring::<256, 8>::IMAGE_WORDS];
        r.save_image(&mut image);
        assert!(image.iter().all(|&w| w == 0), "{image:?}");
        // ...and it works as it is, without recovery.
        r.write(crate::ring::RecordMeta::new(Level::Info), b"x")
            .unwrap();
        let mut buf = [0u8; 4];
        assert!(matches!(
            r.read(&mut crate::ring::Cursor::new(), &mut buf),
            crate::ring::Read::Record(_)
        ));
    }
}
