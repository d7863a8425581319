//! Puts the board's `memory.x` where cortex-m-rt's `link.x` finds it and
//! links the binaries with `link.x` (no `.cargo/config.toml` needed, so the
//! crate builds from any working directory).
use std::{env, fs, path::PathBuf};

fn main() {
    let mps2 = env::var_os("CARGO_FEATURE_BOARD_MPS2_AN385").is_some();
    let lm3s = env::var_os("CARGO_FEATURE_BOARD_LM3S6965").is_some();
    let memory = match (lm3s, mps2) {
        (true, false) => "memory-lm3s6965.x",
        (false, true) => "memory-mps2-an385.x",
        _ => panic!("enable exactly one board feature: board-lm3s6965 or board-mps2-an385"),
    };
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    fs::copy(memory, out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={memory}");
    println!("cargo:rerun-if-changed=build.rs");
    if env::var("TARGET").unwrap().starts_with("thumb") {
        println!("cargo:rustc-link-arg-bins=-Tlink.x");
    }
}
