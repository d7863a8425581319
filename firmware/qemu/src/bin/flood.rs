//! Interrupt flood: thread mode, SysTick, a software-pended NVIC interrupt
//! and a hardware timer interrupt all log at a high rate into a small ring
//! while a slow UART console prints; the printer runs in the lowest-priority
//! interrupt, pended by `Platform::wake_printer`.
//!
//! | producer | context                   | priority | records |
//! |----------|---------------------------|----------|---------|
//! | `hi`     | Timer0A (IRQ 19, `irq19`) | highest  | 1 per time-out |
//! | `tick`   | SysTick (`systick`)         | 2nd      | 1 per tick; pends `sw` |
//! | `sw`     | GPIO B (IRQ 1, `irq1`)    | 3rd      | 2 per pend; every [`BURST_EVERY`] ticks a burst of [`BURST`] (more than the ring holds) |
//! | printer  | GPIO C (IRQ 2)            | lowest   | prints, no budget |
//! | `thr`    | thread mode (`t0`)        | -        | [`THREAD_RECORDS`] per phase |
//!
//! The console goes through two phases:
//! 1. a *blocking* UART: every byte costs a busy-wait (a driver that polls
//!    TXFF), so whoever prints pays the baud rate;
//! 2. a *FIFO* UART: at most 8 bytes per write and every 3rd write would
//!    block, so records are cut mid-line and resumed by whichever context
//!    prints next; SysTick plays the "TX FIFO has room" interrupt.
//!
//! Then the producers stop, the software interrupt logs a final burst of
//! [`FINAL_BURST`] (far more than its budget lets it print), thread mode logs
//! `summary ...` with the count each producer issued, waits (bounded) for
//! the logger to drain on its own and exits with status 0. The host checker
//! proves from the UART output that every record was printed once, in
//! order, or announced as dropped.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::NVIC;
use cortex_m_rt::{entry, exception};
use logbuf::{Level, LevelFilter};
use logbuf_qemu::{board, enable_irq, pend_and_sync, prio, Log, Seq, Slow, Uart0, PACE, SOFT_IRQ};

/// A small ring (4 KiB of records, at most 128 held) so bursts overwrite.
static LOG: Log<4096, 128> = Log::new();

/// Thread-mode records per console phase.
const THREAD_RECORDS: u32 = 1000;
/// Interrupt rate: the periods below are multiples of this. Default 2;
/// feature `flood-slow` makes it 3 (interrupts 1.5x less often). The sweep
/// runs both at icount shifts 3-8. Each shift doubles the nanoseconds per
/// instruction, so a period at shift N+1 is the run of twice that period at
/// shift N. With factor 1 (the period of earlier rounds) shift 8 gives the
/// interrupts more lines than the printer can print, and the printer,
/// above thread mode, never lets thread mode finish (README, Findings 3).
const SCALE: u32 = if cfg!(feature = "flood-slow") { 3 } else { 2 };
/// SysTick period in core clocks (12.5 MHz in QEMU's LM3S6965).
const TICK_PERIOD: u32 = 100_000 * SCALE;
/// Timer0A period in timer clocks.
const TIMER_PERIOD: u32 = 67_001 * SCALE;
/// Every this many ticks the software interrupt logs a burst ...
const BURST_EVERY: u32 = 16;
/// ... of this many records (the ring holds at most 128).
const BURST: u32 = 150;
/// Records the software interrupt logs once the other producers stopped.
const FINAL_BURST: u32 = 64;

/// Once the producers stopped, SysTick ("TX ready") runs this much faster.
const DRAIN_SPEEDUP: u32 = 16;
/// SysTick ticks thread mode waits at most for the logger to drain.
const DRAIN_TICKS: u32 = 16_000;

static THR: Seq = Seq::new();
static TICK: Seq = Seq::new();
static SW: Seq = Seq::new();
static HI: Seq = Seq::new();
/// Producers log while set.
static RUNNING: AtomicBool = AtomicBool::new(false);
/// Records the software interrupt logs on its next run.
static SW_RECORDS: AtomicU32 = AtomicU32::new(2);

#[entry]
fn main() -> ! {
    let mut p = cortex_m::Peripherals::take().unwrap();
    let uart = cortex_m::singleton!(: Slow<Uart0> = Slow::new(Uart0::take())).unwrap();
    LOG.add_console(uart, LevelFilter::Trace).unwrap();

    enable_irq(logbuf_qemu::PRINTER_IRQ, prio::PRINTER);
    enable_irq(SOFT_IRQ, prio::SOFT);
    enable_irq(board::TIMER_IRQ, prio::HIGH);
    // SAFETY: set during start-up, before SysTick runs.
    unsafe {
        p.SCB.set_priority(
            cortex_m::peripheral::scb::SystemHandler::SysTick,
            prio::TICK,
        )
    };
    p.SYST.set_reload(TICK_PERIOD - 1);
    p.SYST.clear_current();
    p.SYST.set_clock_source(SystClkSource::Core);
    p.SYST.enable_interrupt();
    p.SYST.enable_counter();
    // Ordering: Relaxed; flags read by the interrupts, no data behind them.
    RUNNING.store(true, Ordering::Relaxed);
    board::timer_start(TIMER_PERIOD);

    // Phase 1: blocking UART, 10 cycles per byte.
    PACE.cycles_per_byte.store(10, Ordering::Relaxed);
    thread_records();
    // Phase 2: FIFO UART, 8 bytes per write, every 3rd write would block.
    PACE.max_per_call.store(8, Ordering::Relaxed);
    PACE.block_every.store(3, Ordering::Relaxed);
    thread_records();

    // Stop the producers; SysTick keeps running as the TX interrupt, now
    // more often (the drain then takes the same instructions at every shift).
    board::timer_stop();
    NVIC::mask(board::TIMER_IRQ);
    RUNNING.store(false, Ordering::Relaxed);
    p.SYST.set_reload(TICK_PERIOD / DRAIN_SPEEDUP - 1);
    p.SYST.clear_current();
    SW_RECORDS.store(FINAL_BURST, Ordering::Relaxed);
    pend_and_sync(SOFT_IRQ);

    // Records the ring refused, by cause (issue 10: `busy` must stay 0).
    let lost = LOG.ring().dropped();
    LOG.log(
        Level::Info,
        format_args!(
            "note busy={} full={} contention={} overtaken={}",
            lost.busy, lost.full, lost.contention, lost.overtaken
        ),
    );
    LOG.log(
        Level::Info,
        format_args!(
            "summary thr={} tick={} sw={} hi={}",
            THR.issued(),
            TICK.issued(),
            SW.issued(),
            HI.issued()
        ),
    );
    // Bounded in ticks: the FIFO phase's "TX ready" comes once a tick.
    logbuf_qemu::wait_drained_ticks(&LOG, DRAIN_TICKS);
    logbuf_qemu::exit(0)
}

fn thread_records() {
    for i in 0..THREAD_RECORDS {
        LOG.log(Level::Info, format_args!("thr seq={}", THR.next()));
        cortex_m::asm::delay(500 + (i * 97) % 2000);
    }
}

#[exception]
fn SysTick() {
    logbuf_qemu::tick_millis();
    logbuf_qemu::tx_ready();
    // Ordering: Relaxed; see `RUNNING`.
    if !RUNNING.load(Ordering::Relaxed) {
        return;
    }
    let n = TICK.next();
    LOG.log(Level::Info, format_args!("tick seq={}", n));
    let records = if n % BURST_EVERY == BURST_EVERY - 1 {
        BURST
    } else {
        2
    };
    SW_RECORDS.store(records, Ordering::Relaxed);
    NVIC::pend(SOFT_IRQ);
}

fn on_irq(irqn: i16) {
    if irqn == SOFT_IRQ.0 as i16 {
        // Ordering: Relaxed; see `SW_RECORDS`.
        for _ in 0..SW_RECORDS.load(Ordering::Relaxed) {
            LOG.log(Level::Info, format_args!("sw seq={}", SW.next()));
        }
    } else if irqn == board::TIMER_IRQ.0 as i16 {
        board::timer_ack();
        LOG.log(Level::Info, format_args!("hi seq={}", HI.next()));
    } else {
        panic!("unexpected interrupt {}", irqn);
    }
}

logbuf_qemu::runtime!(LOG, on_irq);
