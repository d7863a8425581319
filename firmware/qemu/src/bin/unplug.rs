//! Cable unplugged mid-line while the ring overflows.
//!
//! Thread mode logs [`BEFORE`] records, printed as it goes. Then the UART is
//! unplugged after 10 bytes of the next record's line (every write would
//! block from then on), and thread mode logs [`WHILE_UNPLUGGED`] records: more
//! than the ring holds, so the record whose line was cut is overwritten.
//! Then the cable is plugged back, thread mode logs the summary and waits
//! for the logger to drain. logbuf must end the cut line (` [cut]`) before it
//! prints anything else, and announce every record the console lost.
#![no_std]
#![no_main]

use core::sync::atomic::Ordering;
use cortex_m_rt::entry;
use logbuf::{Level, LevelFilter};
use logbuf_qemu::{enable_irq, prio, Log, Seq, Slow, Uart0, PACE, PRINTER_IRQ};

/// 4 KiB of record words, at most 128 records held.
static LOG: Log<4096, 128> = Log::new();

const BEFORE: u32 = 10;
const WHILE_UNPLUGGED: u32 = 300;

static THR: Seq = Seq::new();

#[entry]
fn main() -> ! {
    let uart = cortex_m::singleton!(: Slow<Uart0> = Slow::new(Uart0::take())).unwrap();
    LOG.add_console(uart, LevelFilter::Trace).unwrap();
    enable_irq(PRINTER_IRQ, prio::PRINTER);
    for _ in 0..BEFORE {
        LOG.log(Level::Info, format_args!("thr seq={}", THR.next()));
    }
    // Ordering: Relaxed; test knobs, read by the sink in this same context.
    PACE.unplug_after.store(10, Ordering::Relaxed);
    for _ in 0..WHILE_UNPLUGGED {
        LOG.log(Level::Info, format_args!("thr seq={}", THR.next()));
    }
    PACE.blocked.store(false, Ordering::Relaxed);
    LOG.log(Level::Info, format_args!("summary thr={}", THR.issued()));
    logbuf_qemu::wait_drained(&LOG, 100_000);
    logbuf_qemu::exit(0)
}

fn on_irq(irqn: i16) {
    panic!("unexpected interrupt {}", irqn);
}

logbuf_qemu::runtime!(LOG, on_irq);
