//! Deterministic scenarios from the printk handoff critique
//! (`shared/reference/printk-handoff-critique.txt`), each a test that fails
//! if the console lock gets the case wrong.
//!
//! A "preempted" owner is played by a real thread parked inside its sink's
//! `write` (the capture sink's hook): it owns the consoles and is inside a
//! record, and makes no progress until the test lets it go.

mod common;

use common::{as_caller, must_finish, producer_and_index, set_caller, Board};
use logbuf::console::{Budget, Caller, Config, DynLogger, Logger, PrinterStatus};
use logbuf::sinks::Capture;
use logbuf::{Level, LevelFilter};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::time::Duration;

type Log<const ID: usize> = Logger<Board<ID>, 16384, 256, 2>;

fn leak<const ID: usize>(config: Config) -> &'static Log<ID> {
    Box::leak(Box::new(Logger::with_config(config)))
}

/// A gate a sink hook parks on, once armed.
#[derive(Clone, Default)]
struct Gate {
    inner: Arc<(Mutex<(bool, bool)>, Condvar)>, // (armed, parked)
}

impl Gate {
    fn arm(&self) {
        self.inner.0.lock().unwrap().0 = true;
    }
    /// Called from the hook: parks while armed.
    fn park_if_armed(&self) {
        let (m, cv) = &*self.inner;
        let mut g = m.lock().unwrap();
        if !g.0 {
            return;
        }
        g.1 = true;
        cv.notify_all();
        while g.0 {
            g = cv.wait(g).unwrap();
        }
        g.1 = false;
    }
    fn wait_parked(&self) {
        let (m, cv) = &*self.inner;
        let g = m.lock().unwrap();
        let (g, t) = cv
            .wait_timeout_while(g, Duration::from_secs(10), |g| !g.1)
            .unwrap();
        assert!(!t.timed_out() && g.1, "owner never parked");
    }
    fn open(&self) {
        let (m, cv) = &*self.inner;
        m.lock().unwrap().0 = false;
        cv.notify_all();
    }
}

fn parking_console(log: &'static dyn DynLogger) -> (Capture, Gate) {
    let cap = Capture::new();
    let gate = Gate::default();
    let g = gate.clone();
    cap.set_hook(move |_| g.park_if_armed());
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    (cap, gate)
}

/// Per producer, the indexes in the order they were printed.
fn per_producer(lines: &[String]) -> BTreeMap<u32, Vec<u64>> {
    let mut m: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    for l in lines {
        if let Some((p, n)) = producer_and_index(l) {
            m.entry(p).or_default().push(n);
        }
    }
    m
}

fn assert_complete(lines: &[String], producer: u32, count: u64) {
    let got = per_producer(lines).remove(&producer).unwrap_or_default();
    let want: Vec<u64> = (0..count).collect();
    assert_eq!(
        got, want,
        "producer p{producer}: every record exactly once, in order"
    );
}

/// Starts an owner thread on `core` that logs one record and parks inside
/// the sink. Returns when it is parked (owning the consoles, mid-record).
fn parked_owner(log: &'static dyn DynLogger, gate: &Gate, core: u8) -> std::thread::JoinHandle<()> {
    gate.arm();
    let h = std::thread::spawn(move || {
        set_caller(Caller::thread(core, 1));
        log.log(Level::Info, format_args!("owner p1 n={}", 0));
    });
    gate.wait_parked();
    h
}

/// Critique (1): the owner is preempted while it owns the console. Other
/// contexts keep logging: every call returns in bounded steps (a waiter on
/// another core spins at most `waiter_spins`, then withdraws), nothing is
/// printed by them, and nothing is lost once the owner resumes.
#[test]
fn owner_preempted_mid_record_others_return_in_bounded_steps() {
    let log = leak::<1>(Config {
        waiter_spins: 200,
        ..Config::DEFAULT
    });
    let (cap, gate) = parking_console(log);
    let owner = parked_owner(log, &gate, 1);
    must_finish(20, move || {
        for i in 0..40 {
            as_caller(Caller::thread(0, 2), || {
                log.log(Level::Info, format_args!("t p2 n={i}"));
            });
            as_caller(Caller::interrupt(0, 7), || {
                log.log(Level::Warn, format_args!("irq p3 n={i}"));
            });
        }
    });
    let s = log.stats();
    // Thread callers on another core found the owner mid-record: each waited
    // (bounded) and withdrew; interrupt callers never waited.
    assert_eq!(s.waiter_timeouts, 40);
    assert_eq!(s.handoffs, 0);
    assert!(cap.lines().iter().all(|l| producer_and_index(l).is_none()));
    let view = log
        .console_owner()
        .expect("still owned by the parked owner");
    assert!(view.in_record && view.core == 1);
    gate.open();
    owner.join().unwrap();
    while log.printer() != PrinterStatus::Idle {}
    let lines = cap.lines();
    assert_complete(&lines, 1, 1);
    assert_complete(&lines, 2, 40);
    assert_complete(&lines, 3, 40);
    assert_eq!(
        log.console_stats(log.console_at(0).unwrap())
            .unwrap()
            .overwritten,
        0
    );
}

/// Critique @LATER: an interrupt arrives while a thread owner prints. By
/// default it is never handed printing duty: it does not even queue as a
/// waiter. With `handoff_to_irq` it may, and then gets the handoff.
#[test]
fn interrupt_caller_is_not_handed_printing_from_thread_owner_by_default() {
    let log = leak::<2>(Config::DEFAULT);
    let (cap, gate) = parking_console(log);
    let owner = parked_owner(log, &gate, 1);
    must_finish(10, move || {
        as_caller(Caller::interrupt(0, 9), || {
            log.log(Level::Info, format_args!("irq p2 n={}", 0));
        });
    });
    assert!(
        !log.console_owner().unwrap().handover_requested,
        "irq caller must not queue"
    );
    assert_eq!(log.stats().waiter_timeouts, 0);
    gate.open();
    owner.join().unwrap();
    assert_eq!(log.stats().handoffs, 0);
    assert_complete(&cap.lines(), 2, 1);
}

#[test]
fn interrupt_caller_gets_handoff_when_configured() {
    let log = leak::<3>(Config {
        waiter_spins: u32::MAX,
        handoff_to_irq: true,
        ..Config::IRQ_PRINTS
    });
    let (cap, gate) = parking_console(log);
    let owner = parked_owner(log, &gate, 1);
    let waiter = std::thread::spawn(move || {
        set_caller(Caller::interrupt(0, 9));
        log.log(Level::Info, format_args!("irq p2 n={}", 0));
    });
    // Wait until the interrupt caller is queued as the single waiter.
    must_finish(10, move || {
        while !log.console_owner().is_some_and(|v| v.handover_requested) {
            std::thread::yield_now();
        }
    });
    gate.open();
    owner.join().unwrap();
    waiter.join().unwrap();
    assert_eq!(log.stats().handoffs, 1);
    let lines = cap.lines();
    assert_complete(&lines, 1, 1);
    assert_complete(&lines, 2, 1);
}

/// A thread caller on another core is handed the console directly after the
/// owner's current record (Linux console_waiter), and prints the rest.
#[test]
fn thread_waiter_on_other_core_gets_direct_handoff() {
    let log = leak::<4>(Config {
        waiter_spins: u32::MAX,
        ..Config::DEFAULT
    });
    let (cap, gate) = parking_console(log);
    let owner = parked_owner(log, &gate, 1);
    let waiter = std::thread::spawn(move || {
        set_caller(Caller::thread(0, 2));
        log.log(Level::Info, format_args!("t p2 n={}", 0));
    });
    must_finish(10, move || {
        while !log.console_owner().is_some_and(|v| v.handover_requested) {
            std::thread::yield_now();
        }
    });
    // A second caller finds a waiter already queued: it must not queue.
    must_finish(10, move || {
        as_caller(Caller::thread(0, 3), || {
            log.log(Level::Info, format_args!("t p3 n={}", 0));
        })
    });
    gate.open();
    owner.join().unwrap();
    waiter.join().unwrap();
    assert_eq!(log.stats().handoffs, 1);
    assert_eq!(log.stats().waiter_timeouts, 0);
    let lines = cap.lines();
    for p in 1..=3 {
        assert_complete(&lines, p, 1);
    }
    assert!(
        log.console_owner().is_none(),
        "released after the last record"
    );
}

/// Critique (2), (A), (B): a large backlog and only interrupt-context
/// producers. Each call prints at most its budget and wakes the printer;
/// the printer drains the rest.
#[test]
fn interrupt_backlog_each_call_prints_at_most_budget_printer_drains() {
    let log = leak::<5>(Config {
        irq_budget: Budget::records(3),
        ..Config::DEFAULT
    });
    let cap = Capture::new();
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    set_caller(Caller::interrupt(0, 4));
    for i in 0..200 {
        assert!(log.log_deferred(Level::Info, format_args!("backlog p1 n={i}")));
    }
    let wakes_before = Board::<5>::wakes();
    for i in 0..20 {
        let before = log
            .console_stats(log.console_at(0).unwrap())
            .unwrap()
            .printed;
        log.log(Level::Info, format_args!("irq p2 n={i}"));
        let after = log
            .console_stats(log.console_at(0).unwrap())
            .unwrap()
            .printed;
        assert!(
            after - before <= 3,
            "one interrupt call printed {}",
            after - before
        );
        assert!(
            after > before,
            "an irq call with a free lock prints something"
        );
    }
    assert!(log.stats().max_irq_records <= 3);
    assert!(log.stats().budget_exhausted >= 20);
    assert!(Board::<5>::wakes() >= wakes_before + 20, "printer woken");
    set_caller(Caller::thread(0, 0));
    assert_eq!(log.printer(), PrinterStatus::Idle);
    let lines = cap.lines();
    assert_complete(&lines, 1, 200);
    assert_complete(&lines, 2, 20);
    let st = log.console_stats(log.console_at(0).unwrap()).unwrap();
    assert_eq!(st.printed, 220);
    assert_eq!(st.consumed(), 220);
}

/// A byte budget and a time budget bound interrupt work too.
#[test]
fn byte_and_time_budgets_bound_interrupt_work() {
    let log = leak::<6>(Config {
        irq_budget: Budget::records(1000).with_bytes(100),
        ..Config::DEFAULT
    });
    let cap = Capture::new();
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    set_caller(Caller::interrupt(0, 4));
    for i in 0..50 {
        log.log_deferred(
            Level::Info,
            format_args!("backlog p1 n={i} xxxxxxxxxxxxxxxxxxxx"),
        );
    }
    let before = cap.bytes().len();
    log.log(Level::Info, format_args!("irq p2 n=0"));
    let printed = cap.bytes().len() - before;
    // Stops at the first record that crosses 100 bytes.
    assert!((100..200).contains(&printed), "printed {printed} bytes");

    // Time: each sink write advances the clock by 10 ticks; budget 35 ticks.
    let log = leak::<7>(Config {
        irq_budget: Budget::records(1000).with_ticks(35),
        ..Config::DEFAULT
    });
    let cap = Capture::new();
    cap.set_hook(|_| Board::<7>::advance(10));
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    for i in 0..50 {
        log.log_deferred(Level::Info, format_args!("backlog p1 n={i}"));
    }
    let before = log
        .console_stats(log.console_at(0).unwrap())
        .unwrap()
        .printed;
    log.log(Level::Info, format_args!("irq p2 n=0"));
    let printed = log
        .console_stats(log.console_at(0).unwrap())
        .unwrap()
        .printed
        - before;
    assert!((1..=5).contains(&printed), "printed {printed} records");
    set_caller(Caller::thread(0, 0));
}

/// Logging from inside a sink: no deadlock, no loss. The nested call finds
/// the lock held by its own context, marks PENDING and returns; the owner
/// prints the nested record before it releases.
#[test]
fn logging_from_inside_a_sink_neither_deadlocks_nor_loses() {
    let log = leak::<8>(Config::DEFAULT);
    let cap = Capture::new();
    let nested = Arc::new(AtomicU32::new(0));
    let n2 = nested.clone();
    cap.set_hook(move |_| {
        let i = n2.fetch_add(1, Ordering::SeqCst);
        if i < 10 {
            log.log(Level::Debug, format_args!("from sink p2 n={i}"));
        }
    });
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    must_finish(10, move || {
        set_caller(Caller::thread(0, 1));
        for i in 0..5 {
            log.log(Level::Info, format_args!("outer p1 n={i}"));
        }
    });
    let lines = cap.lines();
    assert_complete(&lines, 1, 5);
    assert_complete(&lines, 2, 10);
    assert!(log.console_owner().is_none());
}

/// Emergency: the owner on another core is mid-record and does not reach a
/// boundary in time: the request is withdrawn, the call returns false, and
/// the owner is never handed a stale request later.
#[test]
fn emergency_request_times_out_and_is_withdrawn() {
    let log = leak::<9>(Config {
        emergency_spins: 100,
        ..Config::DEFAULT
    });
    let (cap, gate) = parking_console(log);
    let owner = parked_owner(log, &gate, 1);
    let got = must_finish(10, move || {
        as_caller(Caller::interrupt(0, 3), || log.emergency_flush())
    });
    assert!(!got);
    assert!(
        !log.console_owner().unwrap().handover_requested,
        "request withdrawn"
    );
    gate.open();
    owner.join().unwrap();
    assert_eq!(log.stats().handoffs, 0);
    assert_complete(&cap.lines(), 1, 1);
}

/// Emergency: the owner reaches its record boundary while the emergency
/// caller waits: the owner hands over and the emergency caller prints.
#[test]
fn emergency_takes_over_at_record_boundary() {
    let log = leak::<10>(Config {
        emergency_spins: u32::MAX,
        ..Config::DEFAULT
    });
    let (cap, gate) = parking_console(log);
    let owner = parked_owner(log, &gate, 1);
    for i in 0..5 {
        as_caller(Caller::interrupt(0, 3), || {
            log.log_deferred(Level::Error, format_args!("fault p2 n={i}"));
        });
    }
    let em = std::thread::spawn(move || {
        set_caller(Caller::thread(0, 3));
        log.emergency_flush()
    });
    must_finish(10, move || {
        while !log.console_owner().is_some_and(|v| v.handover_requested) {
            std::thread::yield_now();
        }
    });
    gate.open();
    owner.join().unwrap();
    assert!(em.join().unwrap());
    assert_eq!(log.stats().handoffs, 1);
    let lines = cap.lines();
    assert_complete(&lines, 1, 1);
    assert_complete(&lines, 2, 5);
}

/// Emergency at a boundary with the owner on the same core: direct takeover,
/// no waiting at all.
#[test]
fn emergency_takes_over_directly_between_records() {
    let log = leak::<11>(Config::DEFAULT);
    let cap = Capture::new();
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    set_caller(Caller::thread(0, 1));
    set_caller(Caller::thread(0, 1));
    let stale = log.hold_consoles().expect("lock should be free");
    log.log_deferred(Level::Error, format_args!("fault p1 n={}", 0));
    assert!(as_caller(Caller::interrupt(0, 3), || log.emergency_flush()));
    assert_eq!(log.stats().takeovers, 1);
    assert_complete(&cap.lines(), 1, 1);
    // The displaced owner notices and touches nothing.
    assert!(!stale.is_held());
    drop(stale);
    assert!(log.console_owner().is_none());
}

/// Critique (1) answered: the owner was preempted between records; the
/// printer takes over at that boundary and drains.
#[test]
fn printer_takes_over_from_owner_preempted_between_records() {
    let log = leak::<12>(Config::DEFAULT);
    let cap = Capture::new();
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    set_caller(Caller::thread(0, 1));
    let stale = log.hold_consoles().expect("lock should be free");
    for i in 0..30 {
        as_caller(Caller::interrupt(0, 5), || {
            log.log(Level::Info, format_args!("irq p2 n={i}"));
        });
    }
    assert!(
        cap.lines().is_empty(),
        "owner holds the consoles, nobody printed"
    );
    set_caller(Caller::thread(0, 9));
    assert_eq!(log.printer(), PrinterStatus::Idle);
    assert_eq!(log.stats().takeovers, 1);
    assert_complete(&cap.lines(), 2, 30);
    assert!(!stale.is_held());
}

/// Panic: the owner is parked mid-line on this core. The panic flush cannot
/// wait for it; it takes over, prints a replay marker and the cut record in
/// full, the backlog, and the panic message.
#[test]
fn panic_takes_over_mid_record_and_replays_the_cut_record() {
    let log = leak::<13>(Config {
        panic_spins: 1000,
        ..Config::DEFAULT
    });
    let cap = Capture::new();
    cap.set_chunk(8);
    let gate = Gate::default();
    let g = gate.clone();
    let calls = Arc::new(AtomicU32::new(0));
    let c2 = calls.clone();
    // Park on the second write call of the first record: part of it is out.
    cap.set_hook(move |_| {
        if c2.fetch_add(1, Ordering::SeqCst) == 1 {
            g.park_if_armed();
        }
    });
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    gate.arm();
    // This owner thread never resumes: panic_flush's contract.
    std::thread::spawn(move || {
        set_caller(Caller::thread(0, 1));
        log.log(Level::Info, format_args!("cut p1 n={}", 0));
    });
    gate.wait_parked();
    for i in 0..3 {
        as_caller(Caller::interrupt(0, 2), || {
            log.log(Level::Warn, format_args!("late p2 n={i}"));
        });
    }
    let out = cap.text();
    assert!(
        !out.is_empty() && !out.contains('\n'),
        "a cut line is out: {out:?}"
    );
    cap.clear_hook();
    let printed = must_finish(10, move || {
        as_caller(Caller::thread(0, 4), || {
            // SAFETY: the displaced owner thread stays parked forever.
            unsafe { log.panic_flush(format_args!("panicked at p9 n={}", 0)) }
        })
    });
    assert!(printed >= 5);
    let text = cap.text();
    let marker = text.find("record replayed:").expect("replay marker");
    let after = &text[marker..];
    let lines: Vec<String> = after.lines().skip(1).map(String::from).collect();
    assert_complete(&lines, 1, 1);
    assert_complete(&lines, 2, 3);
    assert_complete(&lines, 9, 1);
    assert_eq!(log.stats().takeovers, 1);
}

/// Per-console progress: a console that would block keeps its place and
/// does not stall the other; once it can take bytes it announces what it
/// lost ("N messages dropped", same count as it missed) and goes on.
#[test]
fn blocked_console_does_not_stall_others_and_announces_its_losses() {
    let log: &'static Logger<Board<14>, 4096, 64, 2> = Box::leak(Box::new(Logger::new()));
    let slow = Capture::new();
    let fast = Capture::new();
    slow.set_block_always(true);
    log.add_console(slow.leak_sink(), LevelFilter::Trace)
        .unwrap();
    log.add_console(fast.leak_sink(), LevelFilter::Trace)
        .unwrap();
    set_caller(Caller::thread(0, 1));
    for i in 0..500 {
        log.log(Level::Info, format_args!("rec p1 n={i}"));
    }
    assert_complete(&fast.lines(), 1, 500);
    assert!(slow.bytes().is_empty());
    slow.set_block_always(false);
    assert_eq!(log.printer(), PrinterStatus::Idle);
    let st = log.console_stats(log.console_at(0).unwrap()).unwrap();
    let dropped = st.overwritten + st.skipped;
    assert!(dropped > 400, "the ring holds far fewer than 500");
    assert_eq!(st.printed + dropped, 500);
    let text = slow.text();
    assert_eq!(common::announced(&text), dropped);
    assert_eq!(st.announced, dropped);
    // The records it had read ahead (held by the console, 8 at most) come
    // first, whole; then a notice for everything overwritten meanwhile,
    // with the first record after the gap; the newest records come last,
    // in order.
    let lines = slow.lines();
    let ahead = lines
        .iter()
        .position(|l| l.ends_with("messages dropped"))
        .expect("a notice");
    assert!((1..=8).contains(&ahead), "{:?}", &lines[..10]);
    let got = per_producer(&lines).remove(&1).unwrap();
    assert_eq!(got[..ahead], (0..ahead as u64).collect::<Vec<_>>());
    assert!(got.windows(2).all(|w| w[0] < w[1]), "order kept");
    assert_eq!(got.last(), Some(&499));
}

/// A console whose sink fails counts the records as dropped and announces
/// them once it works again; a level filter on one console only affects it.
#[test]
fn failing_sink_and_console_filters_keep_counts_balanced() {
    let log: &'static Logger<Board<15>, 4096, 64, 2> = Box::leak(Box::new(Logger::new()));
    let flaky = Capture::new();
    let errors_only = Capture::new();
    log.add_console(flaky.leak_sink(), LevelFilter::Trace)
        .unwrap();
    log.add_console(errors_only.leak_sink(), LevelFilter::Error)
        .unwrap();
    set_caller(Caller::thread(0, 1));
    // Three failing writes: the first costs a record; the notice for it is
    // retried (not lost) when the next two writes fail too.
    flaky.fail_next(3);
    for i in 0..10 {
        let level = if i % 2 == 0 {
            Level::Error
        } else {
            Level::Info
        };
        log.log(level, format_args!("rec p1 n={i}"));
    }
    let f = log.console_stats(log.console_at(0).unwrap()).unwrap();
    assert_eq!(f.sink_failed, 1);
    assert_eq!(f.printed, 9);
    assert_eq!(f.consumed(), 10);
    assert_eq!(f.announced, 1);
    assert_eq!(common::announced(&flaky.text()), 1);
    let e = log.console_stats(log.console_at(1).unwrap()).unwrap();
    assert_eq!((e.printed, e.filtered), (5, 5));
    assert_eq!(e.consumed(), 10);
    flaky.fail_next(1);
    log.log(Level::Error, format_args!("rec p1 n={}", 10));
    log.log(Level::Error, format_args!("rec p1 n={}", 11));
    let f = log.console_stats(log.console_at(0).unwrap()).unwrap();
    assert_eq!((f.sink_failed, f.printed, f.announced), (2, 10, 2));
    assert_eq!(common::announced(&flaky.text()), 2);
}

/// Stalled writers, one after another, hold a record open while `log`
/// laps the ring, until their pinned words fill it and the ring refuses a
/// record. Returns the held grants, the records stored and tried.
fn pin_until_refused(
    ring: &'static logbuf::ring::Ring<64, 4>,
    mut log: impl FnMut(u32) -> bool,
) -> (Vec<logbuf::ring::Grant<'static, 64, 4>>, u32, u32) {
    let (mut grants, mut stored, mut tried) = (Vec::new(), 0, 0);
    while ring.dropped().unstored() == 0 {
        assert!(grants.len() < 16, "pins never filled the ring");
        if let Ok(g) = ring.reserve(8, logbuf::ring::RecordMeta::new(Level::Info)) {
            grants.push(g);
        }
        for i in 0..10 {
            tried += 1;
            stored += log(i) as u32;
        }
    }
    (grants, stored, tried)
}

/// Writer-side drops (the ring could not store a record at all) are
/// announced by every console. A ring refuses a store only when stalled
/// writers pin all of its words: here one after another holds its record
/// open while the ring laps it.
#[test]
fn records_the_ring_could_not_store_are_announced() {
    let log: &'static Logger<Board<16>, 64, 4, 1> = Box::leak(Box::new(Logger::new()));
    let cap = Capture::new();
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    set_caller(Caller::thread(0, 1));
    let (grants, stored, tried) = pin_until_refused(log.ring(), |i| {
        log.log(Level::Info, format_args!("p1 n={i}"))
    });
    let lost = log.ring().dropped();
    assert!(lost.unstored() > 0, "pinned words fill the ring at last");
    assert_eq!(stored + lost.unstored(), tried);
    drop(grants);
    log.printer();
    let st = log.console_stats(log.console_at(0).unwrap()).unwrap();
    assert_eq!(st.unstored, u64::from(lost.unstored()));
    assert!(common::announced(&cap.text()) >= lost.unstored() as u64);
}

/// Budget NONE for interrupts: interrupt calls never print, they only wake
/// the printer (pure offload), and a direct_print=false logger never prints
/// from log calls at all.
#[test]
fn offload_modes_never_print_from_the_log_call() {
    let log = leak::<17>(Config {
        irq_budget: Budget::NONE,
        ..Config::DEFAULT
    });
    let cap = Capture::new();
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    let w = Board::<17>::wakes();
    as_caller(Caller::interrupt(0, 1), || {
        log.log(Level::Info, format_args!("irq p1 n={}", 0));
    });
    assert!(cap.bytes().is_empty());
    assert_eq!(Board::<17>::wakes(), w + 1);
    as_caller(Caller::thread(0, 1), || {
        log.printer();
    });
    assert_complete(&cap.lines(), 1, 1);

    let log = leak::<18>(Config {
        direct_print: false,
        ..Config::DEFAULT
    });
    let cap = Capture::new();
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    as_caller(Caller::thread(0, 1), || {
        log.log(Level::Info, format_args!("t p1 n={}", 0));
    });
    assert!(cap.bytes().is_empty());
    log.printer();
    assert_complete(&cap.lines(), 1, 1);
}

/// Two owners never write one console at once: a sink that detects
/// re-entry from another thread fails the test (I4), under real threads
/// hammering direct printing, handoffs and the printer.
#[test]
fn sinks_are_never_entered_by_two_contexts_at_once() {
    let log = leak::<19>(Config {
        waiter_spins: 1000,
        ..Config::DEFAULT
    });
    let cap = Capture::new();
    let inside = Arc::new(AtomicBool::new(false));
    let i2 = inside.clone();
    cap.set_hook(move |_| {
        assert!(
            !i2.swap(true, Ordering::SeqCst),
            "two contexts inside one sink"
        );
        std::thread::yield_now();
        i2.store(false, Ordering::SeqCst);
    });
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    let start = Arc::new(Barrier::new(3));
    let hs: Vec<_> = (0..3u8)
        .map(|t| {
            let start = start.clone();
            std::thread::spawn(move || {
                set_caller(if t == 2 {
                    Caller::interrupt(t, 4)
                } else {
                    Caller::thread(t, t)
                });
                start.wait();
                for i in 0..300 {
                    log.log(Level::Info, format_args!("x p{t} n={i}"));
                    if i % 50 == 0 {
                        log.printer();
                    }
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    set_caller(Caller::thread(0, 0));
    while log.printer() != PrinterStatus::Idle {}
    let lines = cap.lines();
    let st = log.console_stats(log.console_at(0).unwrap()).unwrap();
    assert_eq!(st.consumed(), 900);
    if st.overwritten == 0 && st.skipped == 0 {
        for t in 0..3 {
            assert_complete(&lines, t, 300);
        }
    }
}

/// A sink that panics during the panic flush: the panic handler runs again
/// (here: the test calls `panic_flush` again after catching the unwind);
/// that console is given up, the other console still gets the whole flush.
#[test]
fn sink_panicking_during_panic_flush_is_given_up_others_flush() {
    let log = leak::<22>(Config {
        panic_spins: 10,
        ..Config::DEFAULT
    });
    let bad = Capture::new();
    let good = Capture::new();
    bad.set_hook(|bytes| {
        if bytes.windows(4).any(|w| w == b"boom") {
            panic!("sink fault while flushing");
        }
    });
    log.add_console(bad.leak_sink(), LevelFilter::Trace)
        .unwrap();
    log.add_console(good.leak_sink(), LevelFilter::Trace)
        .unwrap();
    set_caller(Caller::thread(0, 1));
    for i in 0..5 {
        log.log_deferred(Level::Info, format_args!("before p1 n={i}"));
    }
    let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: no other context uses the logger; nothing is displaced.
        unsafe { log.panic_flush(format_args!("boom p9 n={}", 0)) }
    }));
    assert!(first.is_err(), "the sink panicked");
    // SAFETY: as above; this is the nested panic handler call.
    let n = unsafe { log.panic_flush(format_args!("second p8 n={}", 0)) };
    assert!(n >= 1);
    let lines = good.lines();
    assert_complete(&lines, 1, 5);
    assert_complete(&lines, 9, 1);
    assert_complete(&lines, 8, 1);
    // The bad console got the backlog before the fault, nothing after it.
    let bad_lines = bad.lines();
    assert_complete(&bad_lines, 1, 5);
    assert!(!per_producer(&bad_lines).contains_key(&8));
}

/// A record overwritten in the ring after part of its line went out: the
/// console holds its own copy, so the line is finished whole, then the
/// losses are announced: no glued or cut lines, even when the sink blocks
/// at those moments (the QEMU "unplug" firmware scenario once glued lines).
#[test]
fn record_under_way_is_finished_even_if_the_ring_overwrites_it() {
    let log: &'static Logger<Board<23>, 256, 8, 1> = Box::leak(Box::new(Logger::new()));
    let cap = Capture::new();
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    set_caller(Caller::thread(0, 1));
    cap.set_chunk(10);
    // First write of the line goes out (10 bytes), then the sink blocks.
    let calls = Arc::new(AtomicU32::new(0));
    let c2 = calls.clone();
    let cap2 = cap.clone();
    cap.set_hook(move |_| {
        if c2.fetch_add(1, Ordering::SeqCst) == 1 {
            cap2.set_block_always(true);
        }
    });
    log.log(Level::Info, format_args!("first p1 n={}", 0));
    // Overwrite it while the console is stuck.
    for i in 1..20 {
        log.log(Level::Info, format_args!("next p1 n={i}"));
    }
    // The sink blocks once more exactly when the cut is discovered.
    cap.clear_hook();
    cap.set_block_always(false);
    cap.block_next(1);
    log.printer();
    while log.printer() != PrinterStatus::Idle {}
    let text = cap.text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].ends_with("INFO  t1: first p1 n=0"), "{lines:?}");
    // What was read ahead follows whole, then one notice for the gap.
    let notices = lines.iter().filter(|l| l.ends_with("messages dropped"));
    assert_eq!(notices.count(), 1, "{lines:?}");
    for l in lines[1..]
        .iter()
        .filter(|l| !l.ends_with("messages dropped"))
    {
        assert!(l.contains("next p1 n="), "no glued lines: {l:?}");
    }
    let st = log.console_stats(log.console_at(0).unwrap()).unwrap();
    assert_eq!(st.consumed(), 20);
}

/// I10 at the logger: a thread-context log call is stalled mid-record (its
/// reservation held, as if preempted while formatting) while interrupt
/// calls store 10x what the ring holds. None of them is refused; every
/// console gets the interrupt's records in order (or announced); the
/// stalled record is counted lost, never torn; the newest record is there.
#[test]
fn stalled_thread_call_costs_only_its_own_record() {
    let log: &'static Logger<Board<60>, 2048, 32, 1> = Box::leak(Box::new(Logger::new()));
    let cap = Capture::new();
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    set_caller(Caller::thread(0, 1));
    let mut stalled = log
        .ring()
        .reserve(40, logbuf::ring::RecordMeta::new(Level::Info))
        .unwrap();
    stalled.write(b"half a line from thread mode");
    // 512 words hold about 40 such records: 10x is 400.
    let stored = as_caller(Caller::interrupt(0, 7), || {
        (0..400)
            .filter(|i| log.log(Level::Info, format_args!("irq p2 n={i} ..........")))
            .count()
    });
    assert_eq!(
        stored, 400,
        "no interrupt record refused because of the stall"
    );
    assert_eq!(stalled.commit(), Err(logbuf::ring::Dropped::Overtaken));
    assert_eq!(log.printer(), PrinterStatus::Idle);
    let lost = log.ring().dropped();
    assert_eq!((lost.overtaken, lost.unstored()), (1, 0));
    let lines = cap.lines();
    let got = per_producer(&lines).remove(&2).unwrap();
    assert!(got.windows(2).all(|w| w[0] < w[1]), "order kept");
    assert_eq!(
        got.last(),
        Some(&399),
        "the newest record reached the console"
    );
    assert!(
        !cap.text().contains("half a line"),
        "nothing of the lost record"
    );
    let st = log.console_stats(log.console_at(0).unwrap()).unwrap();
    assert_eq!(st.consumed(), 401, "400 stored + the overtaken one");
    assert_eq!(common::announced(&cap.text()), 401 - st.printed);
}

/// Issue 10: the panic flush steps over a record a writer was cut in
/// (on one core it never resumes) and prints everything after it.
#[test]
fn panic_flush_prints_past_a_writer_cut_mid_record() {
    let log: &'static Logger<Board<61>, 4096, 64, 1> =
        Box::leak(Box::new(Logger::with_config(Config::PRINTER_ONLY)));
    let cap = Capture::new();
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    set_caller(Caller::thread(0, 1));
    log.printer();
    let cut = log
        .ring()
        .reserve(20, logbuf::ring::RecordMeta::new(Level::Info))
        .unwrap();
    std::mem::forget(cut);
    for i in 0..5 {
        log.log(Level::Warn, format_args!("after p3 n={i}"));
    }
    // SAFETY: test stand-in for a panic handler on one core: the cut
    // writer never runs again.
    unsafe { log.panic_flush(format_args!("boom p4 n=0")) };
    let lines = cap.lines();
    assert_complete(&lines, 3, 5);
    assert_complete(&lines, 4, 1);
    assert_eq!(
        common::announced(&cap.text()),
        1,
        "the cut record, announced"
    );
}

/// Issue 10: the panic message gets out even when the ring cannot store
/// it (every word pinned by stalled writers): straight to the console,
/// marked, and counted as a writer-side drop.
#[test]
fn panic_message_gets_out_even_if_the_ring_refuses_it() {
    let log: &'static Logger<Board<62>, 64, 4, 1> = Box::leak(Box::new(Logger::new()));
    let cap = Capture::new();
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    set_caller(Caller::thread(0, 1));
    let (grants, _, _) = pin_until_refused(log.ring(), |i| {
        log.log(Level::Info, format_args!("fill p1 n={i}"))
    });
    grants.into_iter().for_each(std::mem::forget);
    let before = log.ring().dropped().unstored();
    // SAFETY: test stand-in for a panic handler; the stalled writers never
    // run again.
    unsafe { log.panic_flush(format_args!("boom p9 n=0")) };
    assert_eq!(
        log.ring().dropped().unstored(),
        before + 1,
        "the ring refused it"
    );
    let text = cap.text();
    assert!(
        text.contains("ERROR t1: (not stored) boom p9 n=0\n"),
        "{text}"
    );
    assert_eq!(
        log.console_stats(log.console_at(0).unwrap())
            .unwrap()
            .printed_unstored,
        1
    );
}

/// Issue 11: a synchronously slow sink paces no other console. A blocking
/// UART console is dedicated and served by its own printer thread, which
/// is stuck inside one long write; meanwhile every log call prints the
/// fast console itself: its lag stays 0 after every call. (Served by the
/// shared loop instead, the stuck printer would hold the consoles and the
/// fast console would get nothing until the write ended.)
/// Set by the slow console's sink once its printer is inside it.
static SLOW_ENTERED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[test]
fn dedicated_slow_console_does_not_pace_a_fast_one() {
    let log: &'static Logger<Board<63>, 16384, 256, 2> = Box::leak(Box::new(Logger::new()));
    let (slow, gate) = {
        let cap = Capture::new();
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let g = gate.clone();
        cap.set_hook(move |_| {
            SLOW_ENTERED.store(true, std::sync::atomic::Ordering::SeqCst);
            let (m, cv) = &*g;
            let mut open = m.lock().unwrap();
            while !*open {
                open = cv.wait(open).unwrap();
            }
        });
        (cap, gate)
    };
    let fast = Capture::new();
    let s = log
        .add_dedicated_console(slow.leak_sink(), LevelFilter::Trace)
        .unwrap();
    let f = log
        .add_console(fast.leak_sink(), LevelFilter::Trace)
        .unwrap();
    set_caller(Caller::thread(0, 1));
    log.log(Level::Info, format_args!("first p1 n={}", 0));
    let printer = std::thread::spawn(move || {
        set_caller(Caller::thread(1, 9));
        while log.console_printer(s) != PrinterStatus::Idle {}
    });
    // Wait until the slow printer is inside its sink. (Only watch: a call
    // of `console_printer` here could itself become the printer and block.)
    must_finish(10, move || {
        while !SLOW_ENTERED.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::yield_now();
        }
    });
    assert_eq!(log.console_printer(s), PrinterStatus::Busy);
    for i in 1..100 {
        log.log(Level::Info, format_args!("next p1 n={i}"));
        let st = log.console_stats(f).unwrap();
        assert_eq!(st.printed, i + 1, "fast console lag after call {i}");
    }
    assert!(
        slow.lines().is_empty(),
        "the slow sink is still in its first write"
    );
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
    printer.join().unwrap();
    while log.console_printer(s) != PrinterStatus::Idle {}
    assert_complete(&fast.lines(), 1, 100);
    assert_complete(&slow.lines(), 1, 100);
}

/// Issue 12, item 5: a console can be removed and its sink taken back; the
/// id it had is stale from then on, even once another sink takes its place.
#[test]
fn removed_console_gives_its_sink_back_and_its_id_goes_stale() {
    let log = leak::<20>(Config::DEFAULT);
    set_caller(Caller::thread(0, 1));
    let (a, b) = (Capture::new(), Capture::new());
    let ida = log.add_console(a.leak_sink(), LevelFilter::Trace).unwrap();
    log.log(Level::Info, format_args!("one"));
    assert_eq!(a.lines().len(), 1);
    let sink = log.remove_console(ida).expect("no other owner");
    // The sink we got back is the one we gave: writing to it reaches `a`.
    sink.write(b"by hand\n").unwrap();
    assert!(a.text().ends_with("by hand\n"));
    log.log(Level::Info, format_args!("two"));
    assert_eq!(a.lines().len(), 2, "removed console printed again");
    assert_eq!(log.console_stats(ida), None);
    assert_eq!(
        log.remove_console(ida).err(),
        Some(logbuf::console::ConsoleError::Gone)
    );
    // Another sink takes the same place; the old id does not name it.
    let idb = log.add_console(b.leak_sink(), LevelFilter::Trace).unwrap();
    assert_eq!(idb.index(), ida.index());
    assert_ne!(idb, ida);
    assert_eq!(
        log.set_console_level(ida, LevelFilter::Off),
        Err(logbuf::console::ConsoleError::Gone)
    );
    log.log(Level::Info, format_args!("three"));
    // The new console starts at the oldest record held: one, two, three.
    assert_eq!(b.lines().len(), 3, "{:?}", b.lines());
    assert_eq!(
        log.console_stats(idb).unwrap().printed,
        3,
        "{:?}",
        b.lines()
    );
}

/// A sink replaced while its console has a line half written: the old sink
/// keeps what it took, the new one gets that line whole, then the rest;
/// the console keeps its place and its counters.
#[test]
fn replaced_sink_gets_the_line_in_progress_whole() {
    let log = leak::<21>(Config::DEFAULT);
    set_caller(Caller::thread(0, 1));
    let (old, new) = (Capture::new(), Capture::new());
    old.set_chunk(5);
    let id = log
        .add_console(old.leak_sink(), LevelFilter::Trace)
        .unwrap();
    log.log(Level::Info, format_args!("first line"));
    // The second line: the sink takes 5 bytes, then would block.
    let calls = Arc::new(AtomicU32::new(0));
    let (c, o) = (calls.clone(), old.clone());
    old.set_hook(move |_| {
        if c.fetch_add(1, Ordering::SeqCst) == 1 {
            o.set_block_always(true);
        }
    });
    let before = old.bytes().len();
    let _ = log.log(Level::Info, format_args!("second line"));
    let taken = old.bytes().len() - before;
    assert_eq!(
        taken, 5,
        "the scenario needs a line the old sink took in part"
    );
    let back = log
        .replace_sink(id, new.leak_sink())
        .map_err(|(e, _)| e)
        .expect("no other owner");
    let _ = back;
    log.log(Level::Info, format_args!("third line"));
    assert_eq!(log.printer(), PrinterStatus::Idle);
    let got = new.lines();
    assert_eq!(got[0], "[    0.000000] INFO  t1: second line", "{got:?}");
    assert!(got[1].ends_with("third line"), "{got:?}");
    assert_eq!(got.len(), 2);
    assert!(old.lines()[0].ends_with("first line"));
    let st = log.console_stats(id).unwrap();
    assert_eq!(st.printed, 3, "{st:?}");
}

/// Removing or replacing while another context owns the consoles changes
/// nothing and says `Busy`; the sink comes back with the error.
#[test]
fn remove_and_replace_while_consoles_are_owned_are_busy() {
    use logbuf::console::ConsoleError;
    let log = leak::<24>(Config::DEFAULT);
    set_caller(Caller::thread(0, 1));
    let (a, b) = (Capture::new(), Capture::new());
    let id = log.add_console(a.leak_sink(), LevelFilter::Trace).unwrap();
    let hold = as_caller(Caller::interrupt(0, 3), || log.hold_consoles()).expect("free");
    assert_eq!(log.remove_console(id).err(), Some(ConsoleError::Busy));
    let Err((e, back)) = log.replace_sink(id, b.leak_sink()) else {
        panic!("replaced while owned");
    };
    assert_eq!(e, ConsoleError::Busy);
    drop(hold);
    log.log(Level::Info, format_args!("still here"));
    assert!(a.text().ends_with("still here\n"), "{:?}", a.text());
    // The sink handed back is `b`'s and usable.
    back.write(b"x").unwrap();
    assert_eq!(b.text(), "x");
}
