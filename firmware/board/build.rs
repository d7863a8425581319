//! Links with cortex-m-rt's `link.x` (the PAC supplies `memory.x` and
//! `device.x`), so the crate builds from any working directory.
fn main() {
    if std::env::var("TARGET").unwrap().starts_with("thumb") {
        println!("cargo:rustc-link-arg-bins=-Tlink.x");
    }
}
