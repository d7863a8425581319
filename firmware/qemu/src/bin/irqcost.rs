//! Interrupt worst case with a *blocking* UART console (I11, issue 11).
//!
//! The console is [`BlockingUart`]: it spins until the UART takes each byte
//! and then waits [`CYCLES_PER_BYTE`] more (a 115 200-baud UART at 12.5 MHz
//! takes ~1 085 cycles per byte), so one line costs ~40 000 cycles. It is
//! declared thread-only (`any_context() == false`): an interrupt must never
//! wait on it.
//!
//! For two loggers, one with `Config::DEFAULT` (interrupt calls only store
//! and wake the printer) and one with `Config::IRQ_PRINTS` (interrupt calls
//! may print, but only into any-context sinks):
//! 1. the printer is masked and thread mode stores [`BACKLOG`] records
//!    (`Logger::log_deferred`), all waiting for the console;
//! 2. thread mode pends the highest-priority interrupt [`CALLS`] times; it
//!    makes one store-only call (`log_deferred`) timed with SysTick, then
//!    [`CALLS`] times one ordinary call (`log`);
//! 3. `irqcost irq_prints=0|1 backlog=B calls=N store_max_ticks=S
//!    log_max_ticks=L` reports the longest of each; the printer then drains
//!    everything into the blocking UART.
//!
//! Under `-icount` the ticks are exact; the checker (`--irq-ratio 2`)
//! requires `L <= 2 S` on every line. Feature `broken-irq-blocking` makes the
//! sink claim it may be used from any context: the `IRQ_PRINTS` logger's
//! interrupt calls then print into it, and the checker must reject the run.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use cortex_m::peripheral::{NVIC, SYST};
use cortex_m_rt::entry;
use logbuf::console::DynLogger;
use logbuf::sinks::{Sink, SinkError};
use logbuf::{Level, LevelFilter};
use logbuf_qemu::{
    board, enable_irq, pend_and_sync, prio, systick, Log, PrintsLog, Seq, PRINTER_IRQ, SOFT_IRQ,
};

/// Interrupt calls only store (the default): 8 KiB, 256 records.
static LOG_DEFAULT: Log<8192, 256> = Log::new();
/// Interrupt calls may print into any-context sinks. Its printer is the
/// printer interrupt (`runtime!`); `LOG_DEFAULT` is drained from thread mode.
static LOG_PRINTS: PrintsLog<8192, 256> = PrintsLog::new();

/// Records waiting for the console when the interrupt calls are measured.
const BACKLOG: u32 = 20;
/// Interrupt log calls measured per kind.
const CALLS: u32 = 16;
/// Busy-wait per byte after the UART took it (the baud rate).
const CYCLES_PER_BYTE: u32 = 1000;

static FILL: Seq = Seq::new();
static IRQ: Seq = Seq::new();
/// Ticks the last measured interrupt log call took.
static LAST_TICKS: AtomicU32 = AtomicU32::new(0);
/// The measured interrupt makes a store-only call when set.
static STORE_ONLY: AtomicBool = AtomicBool::new(false);
/// The logger measured now: false = `LOG_DEFAULT`, true = `LOG_PRINTS`.
static PRINTS: AtomicBool = AtomicBool::new(false);

/// UART0, blocking: spins until the transmitter takes each byte.
struct BlockingUart;

impl Sink for BlockingUart {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        for &b in bytes {
            while board::tx_full() {}
            board::tx(b);
            cortex_m::asm::delay(CYCLES_PER_BYTE);
        }
        Ok(bytes.len())
    }

    fn any_context(&self) -> bool {
        // Thread-only: it blocks. (The broken build lies about it.)
        cfg!(feature = "broken-irq-blocking")
    }
}

/// Both loggers through one handle (the measured calls of both kinds go
/// through the same indirect call, so the ratio compares like with like).
fn log_of(prints: bool) -> &'static dyn DynLogger {
    if prints {
        &LOG_PRINTS
    } else {
        &LOG_DEFAULT
    }
}

#[entry]
fn main() -> ! {
    let mut p = cortex_m::Peripherals::take().unwrap();
    let a = cortex_m::singleton!(: BlockingUart = BlockingUart).unwrap();
    LOG_DEFAULT.add_console(a, LevelFilter::Trace).unwrap();
    let b = cortex_m::singleton!(: BlockingUart = BlockingUart).unwrap();
    LOG_PRINTS.add_console(b, LevelFilter::Trace).unwrap();
    // SysTick free-running as a cycle counter; no interrupt.
    systick::start(&mut p.SYST);
    enable_irq(SOFT_IRQ, prio::HIGH);
    enable_irq(PRINTER_IRQ, prio::PRINTER);
    calibrate();
    for prints in [false, true] {
        measure(prints);
    }
    LOG_PRINTS.log(
        Level::Info,
        format_args!("summary fill={} irq={}", FILL.issued(), IRQ.issued()),
    );
    logbuf_qemu::wait_drained(&LOG_PRINTS, 1_000_000);
    logbuf_qemu::exit(0)
}

/// Reports how many SysTick ticks a known number of instructions take.
fn calibrate() {
    const ITERATIONS: u32 = 10_000;
    let t0 = SYST::get_current();
    systick::count_down(ITERATIONS);
    let t1 = SYST::get_current();
    LOG_DEFAULT.log_deferred(
        Level::Info,
        format_args!(
            "note calib_insns={} calib_ticks={}",
            2 * ITERATIONS,
            systick::elapsed(t0, t1)
        ),
    );
    drain(false);
}

/// Runs the measured interrupt `calls` times; returns the longest call.
fn longest(calls: u32, store_only: bool) -> u32 {
    // Ordering: Relaxed; read by the handler that thread mode pends next.
    STORE_ONLY.store(store_only, Ordering::Relaxed);
    let mut max = 0;
    for _ in 0..calls {
        pend_and_sync(SOFT_IRQ);
        // Ordering: Relaxed; written by the handler that just ran.
        max = max.max(LAST_TICKS.load(Ordering::Relaxed));
    }
    max
}

fn measure(prints: bool) {
    let log = log_of(prints);
    // Ordering: Relaxed; read by the handler that thread mode pends next.
    PRINTS.store(prints, Ordering::Relaxed);
    NVIC::mask(PRINTER_IRQ);
    for _ in 0..BACKLOG {
        log.log_deferred(Level::Info, format_args!("fill seq={}", FILL.next()));
    }
    let store = longest(CALLS, true);
    let call = longest(CALLS, false);
    log.log_deferred(
        Level::Info,
        format_args!(
            "irqcost irq_prints={} backlog={} calls={} store_max_ticks={} log_max_ticks={}",
            prints as u32, BACKLOG, CALLS, store, call
        ),
    );
    drain(prints);
}

/// Lets the printer drain `prints`' logger: the printer interrupt for
/// `LOG_PRINTS`, thread mode (a printer context too) for `LOG_DEFAULT`.
fn drain(prints: bool) {
    // SAFETY: unmasking the printer interrupt cannot break a critical
    // section: none relies on it being masked.
    unsafe { NVIC::unmask(PRINTER_IRQ) };
    if prints {
        pend_and_sync(PRINTER_IRQ);
    } else {
        while !logbuf_qemu::drained(&LOG_DEFAULT) {
            let _ = LOG_DEFAULT.printer();
        }
    }
    logbuf_qemu::wait_drained(log_of(prints), 1_000_000);
}

fn on_irq(irqn: i16) {
    if irqn != SOFT_IRQ.0 as i16 {
        panic!("unexpected interrupt {}", irqn);
    }
    // Ordering: Relaxed; set by thread mode before it pends us.
    let log = log_of(PRINTS.load(Ordering::Relaxed));
    let store_only = STORE_ONLY.load(Ordering::Relaxed);
    let args = format_args!("irq seq={}", IRQ.next());
    let t0 = SYST::get_current();
    if store_only {
        log.log_deferred(Level::Info, args);
    } else {
        log.log(Level::Info, args);
    }
    let t1 = SYST::get_current();
    // Ordering: Relaxed; read by thread mode after this handler ran.
    LAST_TICKS.store(systick::elapsed(t0, t1), Ordering::Relaxed);
}

logbuf_qemu::runtime!(LOG_PRINTS, on_irq);
