//! Loom models of the ring protocol (run with `RUSTFLAGS="--cfg loom"`).
