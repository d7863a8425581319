//! Interrupt worst case: the cost of one log call from an interrupt handler
//! while a slow console has a backlog, for two backlog sizes.
//!
//! Run under `qemu -icount shift=N,sleep=off`: the virtual clock, and so
//! SysTick, then advances by a fixed amount per instruction executed, so the
//! tick counts below are exact and repeatable.
//!
//! For each backlog size `B`:
//! 1. the console's sink would block (cable unplugged) and the printer
//!    interrupt is masked; thread mode logs `B` records (`f seq=..`), which
//!    all wait for the console;
//! 2. the sink becomes slow (4 bytes per call, busy-wait per byte); thread
//!    mode pends the highest-priority interrupt [`CALLS`] times; each time it
//!    reads SysTick, makes one log call (`m seq=..`), reads SysTick again;
//! 3. the record `wcet backlog=B calls=.. max_ticks=.. min_ticks=..
//!    max_irq_records=.. budget=..` reports the longest and shortest call and
//!    `Logger::stats().max_irq_records`; then the printer is unmasked and
//!    drains everything, and the checker verifies that nothing was lost.
//!
//! Boards: the LM3S6965 (64 KiB RAM) holds at most ~1 300 such records, so
//! it measures 10 and 1 000; the MPS2-AN385 (4 MiB) measures 1 000 and
//! 4 500 records actually held in the ring (128 KiB, 2^15 words).
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use cortex_m::peripheral::{NVIC, SYST};
use cortex_m_rt::entry;
use logbuf::{Level, LevelFilter};
use logbuf_qemu::{
    enable_irq, pend_and_sync, prio, systick, PrintsLog, Seq, Slow, Uart0, PACE, PRINTER_IRQ,
    SOFT_IRQ,
};

/// Interrupt-context calls print (at most 2 records or 256 bytes) into
/// any-context sinks (`PrintsLog`, `Config::IRQ_PRINTS`): the path whose
/// cost must not grow with the backlog. (`Config::DEFAULT` only stores from
/// interrupts: see `irqcost`.) 32 KiB and 2 048 slots: 1 365 records of 24
/// bytes.
#[cfg(feature = "board-lm3s6965")]
static LOG: PrintsLog<32768, 2048> = PrintsLog::new();
#[cfg(feature = "board-lm3s6965")]
const BACKLOGS: [u32; 2] = [10, 1000];

/// 128 KiB (2^15 words) and 8 192 slots: 5 461 records of 24 bytes. The
/// big backlog is 4 500: at 5 000 the measured calls' own records would
/// overwrite unread ones (see firmware/README.md, Finding 7).
#[cfg(feature = "board-mps2-an385")]
static LOG: PrintsLog<131072, 8192> = PrintsLog::new();
#[cfg(feature = "board-mps2-an385")]
const BACKLOGS: [u32; 2] = [1000, 4500];

/// Interrupt log calls measured per backlog size.
const CALLS: u32 = 16;

static FILL: Seq = Seq::new();
static MEASURED: Seq = Seq::new();
/// Ticks the last measured interrupt log call took.
static LAST_TICKS: AtomicU32 = AtomicU32::new(0);
/// The measured call only stores (`Logger::log_deferred`) when set.
static STORE_ONLY: AtomicBool = AtomicBool::new(false);

#[entry]
fn main() -> ! {
    let mut p = cortex_m::Peripherals::take().unwrap();
    let uart = cortex_m::singleton!(: Slow<Uart0> = Slow::new(Uart0::take())).unwrap();
    LOG.add_console(uart, LevelFilter::Trace).unwrap();
    // SysTick free-running as a cycle counter; no interrupt.
    systick::start(&mut p.SYST);
    enable_irq(SOFT_IRQ, prio::HIGH);
    enable_irq(PRINTER_IRQ, prio::PRINTER);

    calibrate();
    reference_costs();
    for backlog in BACKLOGS {
        measure(backlog);
    }
    LOG.log(
        Level::Info,
        format_args!("summary f={} m={}", FILL.issued(), MEASURED.issued()),
    );
    logbuf_qemu::wait_drained(&LOG, 1_000_000);
    logbuf_qemu::exit(0)
}

/// Reports how many SysTick ticks a known number of instructions take, so
/// the README can convert ticks to instructions.
fn calibrate() {
    const ITERATIONS: u32 = 10_000;
    let t0 = SYST::get_current();
    systick::count_down(ITERATIONS);
    let t1 = SYST::get_current();
    let t2 = SYST::get_current();
    LOG.log(
        Level::Info,
        format_args!(
            "note calib_insns={} calib_ticks={} read_ticks={}",
            2 * ITERATIONS,
            systick::elapsed(t0, t1),
            systick::elapsed(t1, t2)
        ),
    );
}

/// Fills the backlog: `records` records nobody can print yet.
fn build_backlog(records: u32) {
    NVIC::mask(PRINTER_IRQ);
    PACE.blocked.store(true, Ordering::Relaxed);
    for _ in 0..records {
        LOG.log(Level::Info, format_args!("f seq={}", FILL.next()));
    }
    PACE.blocked.store(false, Ordering::Relaxed);
}

/// Lets the printer drain everything.
fn drain() {
    // SAFETY: unmasking the printer interrupt cannot break a critical
    // section: none relies on it being masked.
    unsafe { NVIC::unmask(PRINTER_IRQ) };
    pend_and_sync(PRINTER_IRQ);
    logbuf_qemu::wait_drained(&LOG, 1_000_000);
}

/// Runs the measured interrupt `calls` times; returns (max, min) ticks.
fn measure_calls(calls: u32) -> (u32, u32) {
    let (mut max, mut min) = (0, u32::MAX);
    for _ in 0..calls {
        pend_and_sync(SOFT_IRQ);
        // Ordering: Relaxed; written by the handler that just ran.
        let t = LAST_TICKS.load(Ordering::Relaxed);
        max = max.max(t);
        min = min.min(t);
    }
    (max, min)
}

/// Where the cycles go, for the README: an interrupt call that only stores
/// (`log_deferred`), and one that prints two backlog records to a sink
/// without any slowness.
fn reference_costs() {
    build_backlog(0);
    STORE_ONLY.store(true, Ordering::Relaxed);
    let (store, _) = measure_calls(4);
    STORE_ONLY.store(false, Ordering::Relaxed);
    drain();
    build_backlog(8);
    let (fast, _) = measure_calls(1);
    drain();
    LOG.log(
        Level::Info,
        format_args!("note store_ticks={} print2_fast_ticks={}", store, fast),
    );
}

fn measure(backlog: u32) {
    // 1. Build the backlog: nothing can print.
    build_backlog(backlog);
    // 2. A slow console: 4 bytes per call, 20 cycles per byte.
    PACE.max_per_call.store(4, Ordering::Relaxed);
    PACE.cycles_per_byte.store(20, Ordering::Relaxed);
    let (max, min) = measure_calls(CALLS);
    // 3. Report, then let the printer drain everything.
    LOG.log(
        Level::Info,
        format_args!(
            "wcet backlog={} calls={} max_ticks={} min_ticks={} max_irq_records={} budget={}",
            backlog,
            CALLS,
            max,
            min,
            LOG.stats().max_irq_records,
            LOG.config().irq_budget.records
        ),
    );
    // Where losses came from (the checker accounts for them either way).
    if let Some(c) = LOG.console_at(0).and_then(|id| LOG.console_stats(id)) {
        let dropped = LOG.ring().dropped();
        LOG.log(
            Level::Info,
            format_args!(
                "note backlog={} overwritten={} skipped={} unstored={} ring_overtaken={}",
                backlog, c.overwritten, c.skipped, c.unstored, dropped.overtaken
            ),
        );
    }
    drain();
}

fn on_irq(irqn: i16) {
    if irqn != SOFT_IRQ.0 as i16 {
        panic!("unexpected interrupt {}", irqn);
    }
    let args = format_args!("m seq={}", MEASURED.next());
    // Ordering: Relaxed; set by thread mode before it pends us.
    let store_only = STORE_ONLY.load(Ordering::Relaxed);
    let t0 = SYST::get_current();
    if store_only {
        LOG.log_deferred(Level::Info, args);
    } else {
        LOG.log(Level::Info, args);
    }
    let t1 = SYST::get_current();
    // Ordering: Relaxed; read by thread mode after this handler ran.
    LAST_TICKS.store(systick::elapsed(t0, t1), Ordering::Relaxed);
}

logbuf_qemu::runtime!(LOG, on_irq);
