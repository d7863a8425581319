//! Platform for the front-end tests (macros, `log`, defmt): the calling
//! context and the clock are thread-locals a test sets, so tests running in
//! parallel in one binary never see each other's settings.
#![allow(dead_code)]

use logbuf::console::{Caller, Logger, Platform};
use logbuf::sinks::Capture;
use logbuf::LevelFilter;
use std::cell::Cell;

thread_local! {
    static CALLER: Cell<Caller> = const { Cell::new(Caller::thread(0, 0)) };
    static CLOCK: Cell<u64> = const { Cell::new(0) };
}

/// Runs `f` as if from context `c`.
pub fn as_caller<R>(c: Caller, f: impl FnOnce() -> R) -> R {
    let prev = CALLER.with(|x| x.replace(c));
    let r = f();
    CALLER.with(|x| x.set(prev));
    r
}

/// Sets this thread's clock (µs).
pub fn set_clock(us: u64) {
    CLOCK.with(|c| c.set(us));
}

pub struct Board;
impl Platform for Board {
    const RUNTIME_CONFIG: bool = true;
    fn caller() -> Caller {
        CALLER.with(|c| c.get())
    }
    fn now() -> u64 {
        CLOCK.with(|c| c.get())
    }
    fn wake_printer() {}
}

pub type TestLogger = Logger<Board, 4096, 64, 2>;

/// A fresh logger with one capturing text console.
pub fn logger_with_console() -> (&'static TestLogger, Capture) {
    let log: &'static TestLogger = Box::leak(Box::new(Logger::new()));
    let cap = Capture::new();
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    (log, cap)
}

/// The text after the `"[ts] LEVEL ctx: "` prefix of each line.
pub fn messages(cap: &Capture) -> Vec<String> {
    cap.lines()
        .iter()
        .map(|l| match l.split_once(": ") {
            Some((_, m)) => m.to_string(),
            None => l.clone(),
        })
        .collect()
}
