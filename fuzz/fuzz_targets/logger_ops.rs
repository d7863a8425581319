//! A whole logger under arbitrary operations, sinks and warm resets
//! (see `fuzz/harness/logger.rs`).
#![no_main]

#[path = "../harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::logger::run(data));
