//! Loom models of the console lock and the printing loop
//! (`RUSTFLAGS="--cfg loom"`, see `scripts/test-loom.sh`).
//!
//! Console state and the record buffer live in `crate::sync::UnsafeCell`,
//! which under loom is `loom::cell::UnsafeCell`: any interleaving in which
//! two contexts touch one console without a happens-before edge fails the
//! model (I4). The sink below also checks exclusivity itself.

use super::{
    Attempt, Boundary, Budget, Caller, Config, ConsoleLock, Logger, Platform, Priority, Release,
};
use crate::sinks::{Sink, SinkError};
use crate::{Level, LevelFilter};
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::{Arc, Mutex};
use std::boxed::Box;
use std::cell::Cell;
use std::string::String;
use std::vec::Vec;

loom::thread_local! {
    static CALLER: Cell<Caller> = Cell::new(Caller::thread(0, 0));
}

struct LoomBoard;

impl Platform for LoomBoard {
    const RUNTIME_CONFIG: bool = true;
    fn caller() -> Caller {
        CALLER.with(|c| c.get())
    }
    fn now() -> u64 {
        0
    }
    fn wake_printer() {}
}

fn set_caller(c: Caller) {
    CALLER.with(|x| x.set(c));
}

/// A sink that records lines and fails the model if two contexts are
/// inside it at once.
struct LoomSink {
    out: &'static Mutex<Vec<u8>>,
    inside: &'static AtomicBool,
}

impl Sink for LoomSink {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        assert!(
            !self.inside.swap(true, Ordering::SeqCst),
            "I4: two writers in one sink"
        );
        self.out.lock().unwrap().extend_from_slice(bytes);
        self.inside.store(false, Ordering::SeqCst);
        Ok(bytes.len())
    }
    fn any_context(&self) -> bool {
        true
    }
}

type Log = Logger<LoomBoard, 64, 4, 1>;

fn config() -> Config {
    Config {
        thread_budget: Budget::UNLIMITED,
        irq_budget: Budget::records(1),
        waiter_spins: 0,
        line: super::LineFormat::DEFAULT
            .with_timestamp(false)
            .with_level(false)
            .with_context(false),
        ..Config::DEFAULT
    }
}

/// The logger and its sink are leaked (a sink is `&'static mut`); loom
/// tracks `Arc` leaks, so none of them holds an `Arc`.
fn logger(config: Config) -> (&'static Log, &'static Mutex<Vec<u8>>) {
    let log: &'static Log = Box::leak(Box::new(Logger::with_config(config)));
    let out: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
    let sink = Box::leak(Box::new(LoomSink {
        out,
        inside: Box::leak(Box::new(AtomicBool::new(false))),
    }));
    log.add_console(sink, LevelFilter::Trace).unwrap();
    (log, out)
}

fn lines(out: &Mutex<Vec<u8>>) -> Vec<String> {
    let bytes = out.lock().unwrap().clone();
    String::from_utf8(bytes)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn builder(preemptions: usize) -> loom::model::Builder {
    let mut b = loom::model::Builder::new();
    if b.preemption_bound.is_none() {
        b.preemption_bound = Some(preemptions);
    }
    b
}

/// I2 + I3 + I4: two producers on two cores each store and try to print.
/// When both calls have returned — before any printer pass — every record
/// has been printed exactly once: a record committed just before the owner
/// released is never stranded, because the owner must clear PENDING (set
/// by the producer's RMW) and look again before it may release.
#[test]
fn two_producers_nothing_stranded_each_printed_once() {
    builder(3).check(|| {
        let (log, out) = logger(config());
        let t = loom::thread::spawn(move || {
            set_caller(Caller::thread(1, 1));
            log.log(Level::Info, format_args!("b"));
        });
        set_caller(Caller::thread(0, 0));
        log.log(Level::Info, format_args!("a"));
        t.join().unwrap();
        assert_eq!(sorted(lines(out)), ["a", "b"]);
        assert!(log.lock().view().is_none(), "lock released");
    });
}

/// The single waiter: with spinning enabled, a caller may wait for a
/// handover. Whatever the interleaving: no deadlock, each record printed
/// once, nothing stranded, lock free at the end.
#[test]
fn waiter_handoff_or_timeout_never_strands_or_duplicates() {
    builder(2).check(|| {
        let (log, out) = logger(Config {
            waiter_spins: 1,
            ..config()
        });
        let t = loom::thread::spawn(move || {
            set_caller(Caller::thread(1, 1));
            log.log(Level::Info, format_args!("b"));
        });
        set_caller(Caller::thread(0, 0));
        log.log(Level::Info, format_args!("a"));
        t.join().unwrap();
        assert_eq!(sorted(lines(out)), ["a", "b"]);
        assert!(log.lock().view().is_none());
    });
}

/// An interrupt producer with a one-record budget and a thread producer:
/// after both return and one printer pass, every record is printed once
/// (I3 through the printer) and the interrupt call printed at most one.
#[test]
fn interrupt_budget_then_printer_pass_prints_everything_once() {
    builder(2).check(|| {
        let (log, out) = logger(config());
        let t = loom::thread::spawn(move || {
            set_caller(Caller::interrupt(1, 3));
            log.log(Level::Info, format_args!("i1"));
            log.log(Level::Info, format_args!("i2"));
        });
        set_caller(Caller::thread(0, 0));
        log.log(Level::Info, format_args!("t"));
        t.join().unwrap();
        assert!(log.stats().max_irq_records <= 1);
        log.printer();
        assert_eq!(sorted(lines(out)), ["i1", "i2", "t"]);
        let st = log.console_stats(log.console_at(0).unwrap()).unwrap();
        assert_eq!(st.printed, 3);
        assert_eq!(st.overwritten, 0);
    });
}

/// A printer taking over from a producer that owns the consoles, racing
/// with that producer: never both inside a record (loom's UnsafeCell and
/// the sink check it), every record printed once.
#[test]
fn printer_takeover_races_owner_safely() {
    builder(2).check(|| {
        let (log, out) = logger(config());
        let t = loom::thread::spawn(move || {
            set_caller(Caller::thread(1, 9));
            log.printer();
        });
        set_caller(Caller::thread(0, 0));
        log.log(Level::Info, format_args!("a"));
        t.join().unwrap();
        log.printer();
        assert_eq!(lines(out), ["a"]);
    });
}

/// Lock level: a requester that times out and withdraws is never handed
/// the lock later; if the handover won the race, the requester owns it.
/// Exactly one of owner and requester ends up releasing, and the protected
/// cell is never touched by both at once.
#[test]
fn withdrawn_waiter_is_never_handed_ownership() {
    builder(3).check(|| {
        let lock = Arc::new(ConsoleLock::new());
        let cell = Arc::new(crate::sync::UnsafeCell::new(0u32));
        let Attempt::Acquired(owner) =
            lock.acquire_or_mark(Caller::thread(0, 0), Priority::Normal, true)
        else {
            panic!("free lock")
        };
        let (l2, c2) = (lock.clone(), cell.clone());
        let requester = loom::thread::spawn(move || {
            let me = Caller::thread(1, 1);
            if !l2.request(Priority::Normal) {
                return false;
            }
            let got = l2
                .poll_handoff(me, Priority::Normal, true)
                .or_else(|| l2.withdraw(me, Priority::Normal, true));
            match got {
                Some(o) => {
                    l2.enter_unsafe(&o).unwrap();
                    // SAFETY: we own the lock inside a record (enter_unsafe succeeded).
                    c2.with_mut(|p| unsafe { *p += 1 });
                    assert_eq!(l2.exit_unsafe(&o), Boundary::Continue);
                    while l2.release(&o) == Release::Recheck {}
                    true
                }
                None => false,
            }
        });
        // The owner prints one record, then releases.
        let mut handed = false;
        if lock.enter_unsafe(&owner).is_ok() {
            // SAFETY: we own the lock inside a record (enter_unsafe succeeded).
            cell.with_mut(|p| unsafe { *p += 1 });
            handed = lock.exit_unsafe(&owner) == Boundary::HandedOff;
        }
        if !handed {
            loop {
                match lock.release(&owner) {
                    Release::Recheck => continue,
                    Release::HandedOff => {
                        handed = true;
                        break;
                    }
                    Release::Released | Release::Lost => break,
                }
            }
        }
        let got = requester.join().unwrap();
        assert_eq!(handed, got, "handed over iff the requester got the lock");
        assert!(lock.view().is_none(), "nobody left holding the lock");
        // SAFETY: both threads are done (joined).
        let n = cell.with_mut(|p| unsafe { *p });
        assert_eq!(n, 1 + got as u32);
    });
}
