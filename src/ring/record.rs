//! Record metadata: what the ring stores with every payload.
//!
//! Layout (16 bytes per record in all, plus any gap its extent starts
//! with):
//!
//! ```text
//!  slot table (out of band, 4 bytes)          data words (in band, payload + 12 bytes)
//! +--------------------------+     extent: [gap ..][payload words .. | ts lo | ts hi | meta] end
//! | state | lap | extent end |
//! +--------------------------+
//!
//!  meta word:  bits  0..16  payload length in bytes (u16)
//!              bits 16..19  level (1..=5)
//!              bits 19..24  flags (TRUNCATED, BINARY, PREVIOUS_BOOT, ..)
//!              bits 24..32  caller context id (u8)
//! ```
//!
//! The record's words are the last ones of its extent: the slot's `end`
//! finds the trailer, the meta word's length the payload. The slot's lap
//! tag and index give the sequence number; a reader with a 64-bit cursor
//! rebuilds the full number from them (see [`Cursor`](super::Cursor)).
//!
//! ```
//! use logbuf::ring::{Flags, RecordMeta};
//! use logbuf::Level;
//! let meta = RecordMeta::new(Level::Info).context(7).timestamp(1234);
//! assert_eq!(meta.level, Level::Info);
//! assert!(!meta.flags.contains(Flags::TRUNCATED));
//! ```

use crate::Level;

/// Bit flags carried by each record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(u8);

impl Flags {
    /// No flag set.
    pub const NONE: Flags = Flags(0);
    /// The payload was cut to fit the ring (or the formatter produced more
    /// than was reserved).
    pub const TRUNCATED: Flags = Flags(1 << 0);
    /// The payload is a binary frame (for example a defmt frame), not text.
    pub const BINARY: Flags = Flags(1 << 1);
    /// The record was written before the last reset and recovered at boot.
    pub const PREVIOUS_BOOT: Flags = Flags(1 << 2);
    /// A reset cut the writer before it committed: the payload may be
    /// partial (set by recovery only).
    pub const INCOMPLETE: Flags = Flags(1 << 3);
    /// All bits that fit in the 5-bit header field.
    pub const MASK: u8 = 0x1f;

    /// Builds flags from raw bits; bits outside [`Flags::MASK`] are dropped.
    pub const fn from_bits(bits: u8) -> Flags {
        Flags(bits & Self::MASK)
    }
    /// Raw bits.
    pub const fn bits(self) -> u8 {
        self.0
    }
    /// Whether every flag of `other` is set in `self`.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
    /// `self` with the flags of `other` added.
    pub const fn with(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

/// What a writer states about a record before it is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordMeta {
    /// Timestamp from the user's clock (any unit; the line format assumes µs).
    pub timestamp: u64,
    /// Severity.
    pub level: Level,
    /// Caller context id (see [`crate::console::ContextId`]).
    pub context: u8,
    /// Flags.
    pub flags: Flags,
}

impl RecordMeta {
    /// Metadata with timestamp 0, context 0 and no flags.
    pub const fn new(level: Level) -> Self {
        RecordMeta {
            timestamp: 0,
            level,
            context: 0,
            flags: Flags::NONE,
        }
    }
    /// Sets the timestamp.
    pub const fn timestamp(mut self, ts: u64) -> Self {
        self.timestamp = ts;
        self
    }
    /// Sets the caller context id.
    pub const fn context(mut self, ctx: u8) -> Self {
        self.context = ctx;
        self
    }
    /// Adds flags.
    pub const fn flags(mut self, flags: Flags) -> Self {
        self.flags = self.flags.with(flags);
        self
    }
}

/// A record's header as a reader sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Full 64-bit sequence number.
    pub seq: u64,
    /// Timestamp given by the writer.
    pub timestamp: u64,
    /// Severity.
    pub level: Level,
    /// Caller context id.
    pub context: u8,
    /// Flags.
    pub flags: Flags,
    /// Payload length in bytes (the whole payload, even if the reader's buffer
    /// was smaller).
    pub len: u16,
}

/// Number of in-band trailer words (timestamp low, timestamp high, meta).
pub(crate) const HEADER_WORDS: u32 = 3;

/// Packs the meta word.
#[inline]
pub(crate) const fn pack_meta(len: u16, level: Level, flags: Flags, context: u8) -> u32 {
    (len as u32)
        | ((level as u32) << 16)
        | (((flags.bits() & Flags::MASK) as u32) << 19)
        | ((context as u32) << 24)
}

/// Unpacks the meta word into (len, level bits, flags, context).
#[inline]
pub(crate) const fn unpack_meta(meta: u32) -> (u16, u8, Flags, u8) {
    (
        (meta & 0xffff) as u16,
        ((meta >> 16) & 0x7) as u8,
        Flags::from_bits(((meta >> 19) & 0x1f) as u8),
        (meta >> 24) as u8,
    )
}

/// Number of 32-bit words a payload of `len` bytes occupies.
#[inline]
pub(crate) const fn payload_words(len: u32) -> u32 {
    len.div_ceil(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_round_trips() {
        let m = pack_meta(
            65535,
            Level::Trace,
            Flags::TRUNCATED.with(Flags::BINARY),
            0xab,
        );
        let (len, lvl, flags, ctx) = unpack_meta(m);
        assert_eq!(len, 65535);
        assert_eq!(Level::from_bits(lvl), Some(Level::Trace));
        assert!(flags.contains(Flags::TRUNCATED) && flags.contains(Flags::BINARY));
        assert!(!flags.contains(Flags::PREVIOUS_BOOT));
        assert_eq!(ctx, 0xab);
    }

    #[test]
    fn payload_words_rounds_up() {
        assert_eq!(payload_words(0), 0);
        assert_eq!(payload_words(1), 1);
        assert_eq!(payload_words(4), 1);
        assert_eq!(payload_words(5), 2);
    }
}
