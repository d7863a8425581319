//! Operation-sequence harness shared by the cargo-fuzz targets
//! (`fuzz/fuzz_targets/*.rs`, nightly) and the bounded stable pass
//! (`tests/fuzz_stable.rs`, which includes this file by path).
//!
//! Any byte string is a valid program: [`Input`] hands out bytes (zeros once
//! it runs dry), and each runner turns them into operations on a ring
//! ([`ring::run`]) or on a whole logger ([`logger::run`]), checking every
//! outcome against a model. A failed check panics with a message; so does a
//! panic inside the library. Loops are bounded by the input length and
//! [`MAX_OPS`], so a hang is a finding too.

#![allow(dead_code)]

pub mod lines;
pub mod logger;
pub mod ring;

/// Most operations one input may run.
pub const MAX_OPS: usize = 600;

/// A cursor over the fuzz input.
pub struct Input<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Input<'a> {
    /// Reads `data` from the start.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data, at: 0 }
    }
    /// Whether every byte was used.
    pub fn is_empty(&self) -> bool {
        self.at >= self.data.len()
    }
    /// The next byte, or 0 past the end.
    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }
    /// Next little-endian u16.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }
    /// Next little-endian u32.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }
    /// Whether the next byte is odd.
    pub fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }
    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.byte() as usize % n
    }
}

/// The self-checking payload byte `i` of record `id`.
pub fn pattern(id: u32, i: usize) -> u8 {
    let x = id.wrapping_mul(0x9e37_79b1) ^ (i as u32).wrapping_mul(0x85eb_ca6b);
    (x ^ (x >> 15) ^ (x >> 24)) as u8
}

/// A payload length chosen to hit the edges: empty, small, word-aligned or
/// not, exactly the largest payload, just over it, far over it.
pub fn payload_len(inp: &mut Input, max: usize) -> usize {
    match inp.byte() % 10 {
        0 => 0,
        1..=4 => inp.below(17),
        5 | 6 => inp.byte() as usize % (max + 1),
        7 => max,
        8 => max + 1 + inp.below(9),
        _ => 70_000 + inp.below(9),
    }
}
