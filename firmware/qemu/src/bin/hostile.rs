//! Hostile record contents (issue 14): line breaks, terminal escapes, NUL,
//! invalid UTF-8, imitations of other records, of notices and of the
//! replay marker.
//!
//! Thread mode logs [`RECORDS`] records `evil seq=N data=...` (through
//! `Logger::log`) and as many `raw seq=N data=...` (through `log_bytes`),
//! the data taken from `logbuf_qemu::HOSTILE`; SysTick pends the software
//! interrupt, which logs `sw seq=N data=...` in between. The console is a
//! FIFO UART (8 bytes per write, every 3rd write would block), so records
//! and their continuation lines are cut and resumed by whichever context
//! prints next. The checker verifies that every line parses as a line of
//! the record that produced it (continuations carry its prefix), that
//! every record's data is exactly what was logged, and that no line
//! passes for a notice or the marker.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, Ordering};
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::NVIC;
use cortex_m_rt::{entry, exception};
use logbuf::{Level, LevelFilter};
use logbuf_qemu::{enable_irq, log_hostile, prio, Log, Seq, Slow, Uart0, Via, PACE, SOFT_IRQ};

/// 16 KiB of record words: the whole run fits, nothing is overwritten.
static LOG: Log<16384, 256> = Log::new();

/// Records per thread-mode producer.
const RECORDS: u32 = 40;
/// SysTick period in core clocks.
const TICK_PERIOD: u32 = 50_000;

static EVIL: Seq = Seq::new();
static RAW: Seq = Seq::new();
static SW: Seq = Seq::new();
/// The software interrupt logs while set.
static RUNNING: AtomicBool = AtomicBool::new(false);

#[entry]
fn main() -> ! {
    let mut p = cortex_m::Peripherals::take().unwrap();
    let uart = cortex_m::singleton!(: Slow<Uart0> = Slow::new(Uart0::take())).unwrap();
    LOG.add_console(uart, LevelFilter::Trace).unwrap();
    enable_irq(logbuf_qemu::PRINTER_IRQ, prio::PRINTER);
    enable_irq(SOFT_IRQ, prio::SOFT);
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
    // Ordering: Relaxed; test knobs and a flag, no data behind them.
    PACE.max_per_call.store(8, Ordering::Relaxed);
    PACE.block_every.store(3, Ordering::Relaxed);
    RUNNING.store(true, Ordering::Relaxed);
    for i in 0..RECORDS {
        log_hostile(&LOG, "evil", EVIL.next(), Via::Text);
        log_hostile(&LOG, "raw", RAW.next(), Via::Bytes);
        cortex_m::asm::delay(3_000 + (i * 131) % 5_000);
    }
    RUNNING.store(false, Ordering::Relaxed);
    LOG.log(
        Level::Info,
        format_args!(
            "summary evil={} raw={} sw={}",
            EVIL.issued(),
            RAW.issued(),
            SW.issued()
        ),
    );
    logbuf_qemu::wait_drained(&LOG, 100_000);
    logbuf_qemu::exit(0)
}

#[exception]
fn SysTick() {
    logbuf_qemu::tick_millis();
    logbuf_qemu::tx_ready();
    // Ordering: Relaxed; see `RUNNING`.
    if RUNNING.load(Ordering::Relaxed) {
        NVIC::pend(SOFT_IRQ);
    }
}

fn on_irq(irqn: i16) {
    if irqn != SOFT_IRQ.0 as i16 {
        panic!("unexpected interrupt {}", irqn);
    }
    // Ordering: Relaxed; see `RUNNING`.
    if RUNNING.load(Ordering::Relaxed) {
        log_hostile(&LOG, "sw", SW.next(), Via::Text);
    }
}

logbuf_qemu::runtime!(LOG, on_irq);
