//! Freeing the oldest record, overtaking a stalled one, and the pin table
//! that keeps a late writer's words out of everyone else's way.
//!
//! The protocol and its ordering pairs (P1, P2, O1–O3, K1, C2, C3) are
//! described in the [ring module documentation](super).

use super::{Dropped, Ring, SlotWord, ABANDONED, COMMITTED, FREE_BATCH, OVERTAKEN, PINS, RESERVED};
use crate::sync::{fence, Ordering};

/// What the tail push found at the oldest record.
enum Oldest {
    /// Free it: move the tail to its extent end.
    Free { end: u32 },
    /// Its writer may still store into it: pin it, then free it.
    Pin { word: u32, end: u32 },
    /// The snapshot was stale (someone else moved the tail): retry.
    Stale,
    /// Nothing to free: the tail is at the head.
    Nothing,
}

impl<const BYTES: usize, const SLOTS: usize> Ring<BYTES, SLOTS> {
    /// Positions as a pin word keeps them: all of a position up to 2^15
    /// words (16 bits), modulo WORDS for 2^16 words.
    const PIN_MASK: u32 = if Self::POS_BITS <= 16 {
        Self::POS_MASK
    } else {
        Self::WORDS as u32 - 1
    };

    /// Most records one tail push frees: [`FREE_BATCH`], but at most a
    /// quarter of the slots (at least the one record the push is for).
    const BATCH_RECORDS: u32 = {
        let quarter = (SLOTS / 4) as u32;
        let n = if quarter < FREE_BATCH {
            quarter
        } else {
            FREE_BATCH
        };
        if n == 0 {
            1
        } else {
            n
        }
    };
    /// Most words one tail push frees beyond its first record: a quarter
    /// of the ring.
    const BATCH_WORDS: u32 = (Self::WORDS / 4) as u32;

    /// Frees the record at `tail` (or finds that someone else did), and with
    /// it the finished records right after it (the batch, see
    /// [`Ring::batch_end`]); returns the tail as it is now. `Err(Busy)` when
    /// the only way to make room would need a pin word and none is free, or
    /// the ring holds nothing left to free.
    pub(super) fn push_tail(&self, tail: u32) -> Result<u32, Dropped> {
        let (ts, tp) = Self::unpack(tail);
        let end = match self.oldest_state(ts) {
            Oldest::Stale => return Ok(self.load_tail()),
            Oldest::Nothing => return Err(Dropped::Busy),
            Oldest::Free { end } => end,
            Oldest::Pin { word, end } => {
                if !self.pin(ts, word, tp, end)? {
                    // The writer finished meanwhile: look again.
                    return Ok(self.load_tail());
                }
                end
            }
        };
        let (freed, end) = self.batch_end(ts, tp, end);
        let next = Self::pack(ts.wrapping_add(freed), end);
        // Ordering: P2 AcqRel; Release publishes "records ts.. freed" (and
        // any pin made for ts) to writers (W1) and readers (R3); Acquire
        // (also on failure) makes the tail we return as good as a W1 load.
        // Failure means someone else pushed: fine.
        match self
            .tail
            .compare_exchange(tail, next, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Ok(next),
            Err(now) => Ok(now),
        }
    }

    /// How many records, from `ts` on, this tail push frees, and where the
    /// last one's extent ends: record `ts` (extent ending at `end`), then
    /// each next record that is finished as it stands (committed or
    /// abandoned, of its own lap), while the batch holds at most
    /// `BATCH_RECORDS` records and its extents past the first end within
    /// `BATCH_WORDS` of `tp`. A record still reserved or overtaken ends the
    /// batch: only the record a writer needs is ever overtaken.
    ///
    /// A slot that says finished stays so until the tail passes it (only a
    /// claim of its next lap changes it, and that needs the tail past it),
    /// so the one tail CAS after this frees exactly these records or fails.
    #[inline]
    fn batch_end(&self, ts: u32, tp: u32, first_end: u32) -> (u32, u32) {
        let mut freed = 1;
        let mut end = first_end;
        while freed < Self::BATCH_RECORDS {
            let s = ts.wrapping_add(freed);
            // Ordering: Relaxed; made P1 (Acquire) by the fence below.
            let w = Self::slot_unpack(self.slot_load(s, Ordering::Relaxed));
            let finished = w.state == COMMITTED || w.state == ABANDONED;
            let own_lap = w.lap & Self::KNOWN_LAP_MASK == Self::known_lap(s);
            let within = w.end.wrapping_sub(tp) & Self::POS_MASK <= Self::BATCH_WORDS;
            if !(finished && own_lap && within) {
                break;
            }
            end = w.end;
            freed += 1;
        }
        if freed > 1 {
            // Ordering: P1 Acquire fence for the slot loads above; pairs with
            // C1/C2 of each record freed, so its writer's stores happen
            // before the words are reused (through P2 and W1).
            fence(Ordering::Acquire);
        }
        (freed, end)
    }

    /// The tail, as a writer loads it (W1).
    fn load_tail(&self) -> u32 {
        // Ordering: W1 Acquire; pairs with P2.
        self.tail.load(Ordering::Acquire)
    }

    /// Looks at the oldest record `ts` and overtakes it if still reserved.
    fn oldest_state(&self, ts: u32) -> Oldest {
        // Ordering: P1 Acquire; pairs with C1/C2 so the record's trailer and
        // the late writer's stores are visible before we free its words.
        let mut v = self.slot_load(ts, Ordering::Acquire);
        loop {
            let w = Self::slot_unpack(v);
            let known = Self::known_lap(ts);
            if w.lap & Self::KNOWN_LAP_MASK != known {
                return if w.lap.wrapping_add(1) & Self::KNOWN_LAP_MASK == known {
                    Oldest::Nothing
                } else {
                    Oldest::Stale
                };
            }
            match w.state {
                COMMITTED | ABANDONED => return Oldest::Free { end: w.end },
                OVERTAKEN => {
                    return Oldest::Pin {
                        word: v,
                        end: w.end,
                    }
                }
                _ => {}
            }
            let overtaken = Self::slot_pack(SlotWord {
                state: OVERTAKEN,
                ..w
            });
            // Ordering: O1 AcqRel; races the writer's commit C1 on this one
            // word: exactly one of the two wins.
            match self.slot_cas(ts, v, overtaken, Ordering::AcqRel) {
                Ok(_) => {
                    self.count_dropped(Dropped::Overtaken);
                    v = overtaken;
                }
                Err(now) => v = now,
            }
        }
    }

    /// Pins `[tp, end)` for the late writer of overtaken record `ts` (slot
    /// word `word`). `Ok(true)`: pinned, free the record. `Ok(false)`: the
    /// writer finished meanwhile (no pin needed). `Err(Busy)`: no pin word.
    fn pin(&self, ts: u32, word: u32, tp: u32, end: u32) -> Result<bool, Dropped> {
        if end.wrapping_sub(tp) & Self::PIN_MASK == 0 {
            // Only with 2^16 words: an extent of the whole ring does not fit
            // a pin word (and would leave no room around it anyway).
            return Err(Dropped::Busy);
        }
        let region = pin_word(tp, end);
        let Some(i) = self.claim_pin(region) else {
            return Err(Dropped::Busy);
        };
        // Ordering: O3 AcqRel RMW on the slot (it stores what it reads);
        // pairs with the late writer's C2: if ours comes first, its pin scan
        // (after C2) sees our pin; if C2 comes first we see ABANDONED here.
        let now = self.slot_cas(ts, word, word, Ordering::AcqRel);
        if now.is_ok() {
            return Ok(true);
        }
        self.unpin(i, region);
        Ok(false)
    }

    /// Claims a free pin word for `region`; its index, or `None` if all are
    /// taken.
    fn claim_pin(&self, region: u32) -> Option<usize> {
        for (i, p) in self.pins.iter().enumerate() {
            // Ordering: O2 AcqRel; Release publishes the pin to writers whose
            // K1 load sees it (it is sequenced before our tail push P2).
            if p.compare_exchange(0, region, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                // Ordering: K0 Release; pairs with the writers' K0 Acquire
                // load: sequenced before our tail push P2, so a writer that
                // sees the new tail (W1) sees the count up.
                self.pins_live.fetch_add(1, Ordering::Release);
                return Some(i);
            }
        }
        None
    }

    fn unpin(&self, i: usize, region: u32) {
        // Ordering: C3 Release; pairs with K1: whoever sees the word free
        // again sees everything before this (the late writer's last stores).
        if self.pins[i]
            .compare_exchange(region, 0, Ordering::Release, Ordering::Relaxed)
            .is_ok()
        {
            // Ordering: K0 Release; a writer whose K0 load reads the count
            // down to 0 sees the cleared pins and the stores before them.
            self.pins_live.fetch_sub(1, Ordering::Release);
        }
    }

    /// The late writer of overtaken record (`index`, `lap`) with extent
    /// `[from, end)`: marks it abandoned (C2), then clears every pin of its
    /// extent (C3). Called after its last store into the extent.
    pub(super) fn abandon(&self, index: u32, lap: u32, from: u32, end: u32) {
        let w = SlotWord {
            state: OVERTAKEN,
            lap,
            end,
        };
        let abandoned = SlotWord {
            state: ABANDONED,
            ..w
        };
        // Ordering: C2 AcqRel; Release publishes our stores to a pusher that
        // frees the record as ABANDONED (P1); pairs with O3 (see `pin`).
        // Failing means the slot moved on: the tail passed us with a pin.
        let _ = self.slot_cas(
            index,
            Self::slot_pack(w),
            Self::slot_pack(abandoned),
            Ordering::AcqRel,
        );
        let region = pin_word(from, end);
        for i in 0..PINS {
            self.unpin(i, region);
        }
    }

    /// How many words past `hp` a reservation of `need` words must start to
    /// overlap no pinned word: 0, or the distance to just past the pins it
    /// would overlap (the caller checks the fit with this distance in plain
    /// integers: it can exceed `WORDS`). Each pin moves the start at most
    /// once (the start only grows), so after at most PINS moves the place
    /// is clear.
    #[inline]
    pub(super) fn skip_pins(&self, hp: u32, need: u32) -> u32 {
        // Ordering: K0 Acquire; pairs with the count's Release updates (see
        // `claim_pin`, `unpin`): no pin live, nothing to skip.
        if self.pins_live.load(Ordering::Acquire) == 0 {
            return 0;
        }
        let mut start = 0u32; // distance from hp
        for _ in 0..=PINS {
            let mut moved = false;
            for p in &self.pins {
                // Ordering: K1 Acquire; pairs with O2 (pin made before the
                // tail push we saw through W1) and C3 (a cleared pin: the
                // late writer's stores happen before ours).
                let v = p.load(Ordering::Acquire);
                if v == 0 {
                    continue;
                }
                let (from, to) = pin_parts(v);
                // Distance in words of the ring (mod WORDS): the head meets
                // the same words again one lap (WORDS positions) later.
                let a = from.wrapping_sub(hp) & (Self::WORDS as u32 - 1);
                let len = to.wrapping_sub(from) & Self::PIN_MASK;
                if a < start + need && start < a + len {
                    start = a + len;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        start
    }

    /// For a panic flush on a single core: every record still reserved
    /// belongs to a writer that will never run again. Overtakes them all
    /// (counted) so readers step over them instead of waiting. Bounded by
    /// the records held.
    pub(crate) fn overtake_unfinished(&self) {
        // Ordering: Acquire; pairs with P2/H2 (a snapshot to walk).
        let (ts, _) = Self::unpack(self.tail.load(Ordering::Acquire));
        // Ordering: Acquire; as above.
        let (hs, _) = Self::unpack(self.head.load(Ordering::Acquire));
        let n = (hs.wrapping_sub(ts) & Self::SEQ_MASK).min(SLOTS as u32);
        for k in 0..n {
            let s = ts.wrapping_add(k);
            // Ordering: Acquire; pairs with S1.
            let v = self.slot_load(s, Ordering::Acquire);
            let w = Self::slot_unpack(v);
            if w.state != RESERVED || w.lap & Self::KNOWN_LAP_MASK != Self::known_lap(s) {
                continue;
            }
            let o = Self::slot_pack(SlotWord {
                state: OVERTAKEN,
                ..w
            });
            // Ordering: O1 AcqRel; as in `oldest_state`.
            if self.slot_cas(s, v, o, Ordering::AcqRel).is_ok() {
                self.count_dropped(Dropped::Overtaken);
            }
        }
    }
}

/// A pin word: extent `[from, to)` as two 16-bit positions (modulo WORDS
/// or 2 WORDS; never 0: an extent is at least one trailer long and never
/// pinned when it is the whole ring, so `from != to` modulo WORDS).
#[inline]
const fn pin_word(from: u32, to: u32) -> u32 {
    ((from & 0xffff) << 16) | (to & 0xffff)
}

#[inline]
const fn pin_parts(v: u32) -> (u32, u32) {
    (v >> 16, v & 0xffff)
}
