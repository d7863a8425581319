//! The ring under arbitrary operations and memory images
//! (see `fuzz/harness/ring.rs`).
#![no_main]

#[path = "../harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::ring::run(data));
