//! Loom models of the console lock (run with `RUSTFLAGS="--cfg loom"`).
