//! A scriptable platform for console tests.
//!
//! `Board<ID>` keeps its clock and wake counter in slot `ID` of static
//! arrays, so tests running in parallel in one binary each use their own
//! slot. The calling context is a thread-local that a test sets before a
//! log call, so one thread can play thread mode, an interrupt or another
//! core.
#![allow(dead_code)]

use logbuf::console::{Caller, Platform};
use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

pub const SLOTS: usize = 64;

pub static CLOCK: [AtomicU64; SLOTS] = [const { AtomicU64::new(0) }; SLOTS];
pub static WAKES: [AtomicU32; SLOTS] = [const { AtomicU32::new(0) }; SLOTS];
pub static WAKE_SIGNAL: (Mutex<[u32; SLOTS]>, Condvar) = (Mutex::new([0; SLOTS]), Condvar::new());

thread_local! {
    static CALLER: Cell<Caller> = const { Cell::new(Caller::thread(0, 0)) };
}

/// Sets the calling context of this thread.
pub fn set_caller(c: Caller) {
    CALLER.with(|x| x.set(c));
}

/// Runs `f` as if from context `c`, then restores the previous context.
pub fn as_caller<R>(c: Caller, f: impl FnOnce() -> R) -> R {
    let prev = CALLER.with(|x| x.replace(c));
    let r = f();
    CALLER.with(|x| x.set(prev));
    r
}

pub struct Board<const ID: usize>;

impl<const ID: usize> Board<ID> {
    pub fn wakes() -> u32 {
        WAKES[ID].load(Ordering::SeqCst)
    }
    pub fn advance(ticks: u64) {
        CLOCK[ID].fetch_add(ticks, Ordering::SeqCst);
    }
    /// Blocks until a wake newer than `seen` arrives (or `timeout`); returns
    /// the wake count.
    pub fn wait_wake(seen: u32, timeout: std::time::Duration) -> u32 {
        let (m, cv) = &WAKE_SIGNAL;
        let g = m.lock().unwrap();
        let (g, _) = cv
            .wait_timeout_while(g, timeout, |w| w[ID] == seen)
            .unwrap();
        g[ID]
    }
}

impl<const ID: usize> Platform for Board<ID> {
    const RUNTIME_CONFIG: bool = true;
    fn caller() -> Caller {
        CALLER.with(|c| c.get())
    }
    fn now() -> u64 {
        CLOCK[ID].load(Ordering::SeqCst)
    }
    fn wake_printer() {
        WAKES[ID].fetch_add(1, Ordering::SeqCst);
        let (m, cv) = &WAKE_SIGNAL;
        m.lock().unwrap()[ID] += 1;
        cv.notify_all();
    }
}

/// Runs `f` on a thread and fails the test if it does not finish within
/// `secs` (a hang guard: a deadlock must fail the test, not stall CI).
pub fn must_finish<R: Send + 'static>(secs: u64, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = f();
        let _ = tx.send(r);
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs))
        .expect("did not finish: deadlock or unbounded wait")
}

/// Parses `... p<producer> n=<index>` from a rendered line.
pub fn producer_and_index(line: &str) -> Option<(u32, u64)> {
    let at = line
        .match_indices(" p")
        .find(|(i, _)| line[i + 2..].starts_with(|c: char| c.is_ascii_digit()))?
        .0;
    let rest = &line[at + 2..];
    let (p, rest) = rest.split_once(" n=")?;
    let n = rest.split(|c: char| !c.is_ascii_digit()).next()?;
    Some((p.parse().ok()?, n.parse().ok()?))
}

/// Sum of N over all "! N messages dropped" / "! 1 message dropped"
/// notices in `text`.
pub fn announced(text: &str) -> u64 {
    text.lines()
        .filter_map(|l| {
            l.strip_suffix(" messages dropped")
                .or_else(|| l.strip_suffix(" message dropped"))
        })
        .filter_map(|l| l.rsplit_once(" ! ")?.1.parse::<u64>().ok())
        .sum()
}
