//! A writer's claim on ring words between reserve and commit.
//!
//! ```
//! use logbuf::ring::{Ring, RecordMeta, Read, Cursor, Flags};
//! use logbuf::Level;
//! use core::fmt::Write as _;
//!
//! let ring: Ring<256, 8> = Ring::new();
//! let mut grant = ring.reserve(5, RecordMeta::new(Level::Warn)).unwrap();
//! write!(grant, "{}", 12345).unwrap();   // exactly the 5 reserved bytes
//! grant.commit().unwrap();
//!
//! let mut buf = [0u8; 16];
//! let Read::Record(h) = ring.read(&mut Cursor::new(), &mut buf) else { panic!() };
//! assert_eq!(&buf[..5], b"12345");
//! assert!(!h.flags.contains(Flags::TRUNCATED));
//! ```

use super::record::{pack_meta, Flags, RecordMeta, HEADER_WORDS};
use super::{Claim, Dropped, Ring};
use crate::sync::Ordering;

/// Room reserved in a [`Ring`] for one record. Fill it with [`Grant::write`]
/// (or `core::fmt::Write`), then [`Grant::commit`]. Dropping an uncommitted
/// grant commits it, so a panicking formatter never leaves the ring stuck.
///
/// Bytes beyond the reserved length are cut and the record is flagged
/// [`Flags::TRUNCATED`]; reserved bytes never written read as zero.
pub struct Grant<'a, const BYTES: usize, const SLOTS: usize> {
    ring: &'a Ring<BYTES, SLOTS>,
    claim: Claim,
    /// First payload word.
    begin: u32,
    len: u16,
    written: u32,
    /// Bytes of the current partial word, little-endian.
    acc: u32,
    meta: RecordMeta,
    done: bool,
}

impl<'a, const BYTES: usize, const SLOTS: usize> Grant<'a, BYTES, SLOTS> {
    /// A grant for `claim`. Stores the meta word at once (and again at
    /// commit, with the final flags): if a reset cuts this record, recovery
    /// still knows its size.
    #[inline]
    pub(super) fn new(
        ring: &'a Ring<BYTES, SLOTS>,
        claim: Claim,
        len: u16,
        meta: RecordMeta,
    ) -> Self {
        let end = claim.end::<BYTES, SLOTS>();
        let begin = end.wrapping_sub(HEADER_WORDS + (len as u32).div_ceil(4));
        // Ordering: Relaxed; published by C1, ordered after W2.
        ring.word(end.wrapping_sub(1)).store(
            pack_meta(len, meta.level, meta.flags, meta.context),
            Ordering::Relaxed,
        );
        Grant {
            ring,
            claim,
            begin,
            len,
            written: 0,
            acc: 0,
            meta,
            done: false,
        }
    }

    /// Payload bytes reserved.
    pub fn capacity(&self) -> usize {
        self.len as usize
    }

    /// Payload bytes written so far.
    pub fn written(&self) -> usize {
        self.written as usize
    }

    /// This record's sequence number (exact modulo `2^(LAP_BITS + log2
    /// SLOTS)`, see the ring's Limits).
    pub fn seq(&self) -> u64 {
        self.claim.seq::<BYTES, SLOTS>()
    }

    #[inline]
    fn store_word(&self, index: u32, value: u32) {
        // Ordering: Relaxed; published by the commit store C1 and ordered
        // after the reservation by the W2 fence in `Ring::reserve`.
        self.ring
            .word(self.begin.wrapping_add(index))
            .store(value, Ordering::Relaxed);
    }

    /// Appends payload bytes; returns how many fit. Extra bytes are cut and
    /// flag the record as truncated.
    pub fn write(&mut self, bytes: &[u8]) -> usize {
        let room = self.len as u32 - self.written;
        let take = (bytes.len() as u32).min(room);
        if take < bytes.len() as u32 {
            self.meta.flags = self.meta.flags.with(Flags::TRUNCATED);
        }
        let mut rest = &bytes[..take as usize];
        // Finish a partial word first.
        while self.written % 4 != 0 && !rest.is_empty() {
            self.acc |= (rest[0] as u32) << (8 * (self.written % 4));
            self.written += 1;
            rest = &rest[1..];
            if self.written % 4 == 0 {
                self.store_word(self.written / 4 - 1, self.acc);
                self.acc = 0;
            }
        }
        // Whole words.
        let mut chunks = rest.chunks_exact(4);
        for c in &mut chunks {
            let w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            self.store_word(self.written / 4, w);
            self.written += 4;
        }
        // Start of the next partial word.
        for &b in chunks.remainder() {
            self.acc |= (b as u32) << (8 * (self.written % 4));
            self.written += 1;
        }
        take as usize
    }

    /// Publishes the record; returns its sequence number, or
    /// [`Dropped::Overtaken`] if the ring lapped it while this grant was
    /// held (the record is lost, counted once; nothing of it is published).
    #[inline]
    pub fn commit(mut self) -> Result<u64, Dropped> {
        self.finish()
    }

    #[inline]
    fn finish(&mut self) -> Result<u64, Dropped> {
        if self.done {
            return Ok(self.seq());
        }
        self.done = true;
        // Flush the partial word, then zero every reserved word never written
        // so no stale bytes of an older record leak into this one.
        let total_words = (self.len as u32).div_ceil(4);
        let mut next = self.written / 4;
        if self.written % 4 != 0 {
            self.store_word(next, self.acc);
            next += 1;
        }
        while next < total_words {
            self.store_word(next, 0);
            next += 1;
        }
        let meta = pack_meta(
            self.len,
            self.meta.level,
            self.meta.flags,
            self.meta.context,
        );
        self.ring.commit(&self.claim, meta, self.meta.timestamp)
    }
}

impl<const BYTES: usize, const SLOTS: usize> Drop for Grant<'_, BYTES, SLOTS> {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

impl<const BYTES: usize, const SLOTS: usize> core::fmt::Write for Grant<'_, BYTES, SLOTS> {
    /// Never fails: text beyond the reservation is cut and flagged.
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.write(s.as_bytes());
        Ok(())
    }
}
