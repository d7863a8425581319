//! Panic flush with a hostile takeover.
//!
//! Thread mode logs [`BEFORE`] records, printed as it goes. Then, while thread
//! mode is in the middle of printing record `thr seq=BEFORE` (a few bytes of
//! its line are out), the sink pends the software interrupt. That handler
//! logs [`BURST`] records (they cannot print: thread mode owns the console,
//! preempted mid-record), logs the summary, and panics.
//!
//! The `#[panic_handler]` (see `logbuf_qemu::runtime!`) masks interrupts and
//! calls `Logger::panic_flush`: it stores the panic message, takes the
//! console over mid-record, prints the replay marker, the cut record again,
//! the burst, the summary and the panic record, then exits with status 101.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, Ordering};
use cortex_m_rt::entry;
use logbuf::sinks::{Sink, SinkError};
use logbuf::{Level, LevelFilter};
use logbuf_qemu::{enable_irq, prio, Log, Seq, Uart0, SOFT_IRQ};

static LOG: Log<8192, 256> = Log::new();

/// Records thread mode prints before the trap.
const BEFORE: u32 = 20;
/// Records the interrupt stores before it panics.
const BURST: u32 = 50;

static THR: Seq = Seq::new();
static SW: Seq = Seq::new();
static ARMED: AtomicBool = AtomicBool::new(false);

/// UART0 with a trap: once armed, the first write from thread mode sends a
/// few bytes, then pends the software interrupt, which preempts it.
struct Trap(Uart0);

impl Sink for Trap {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        // Ordering: Relaxed; set and read by thread mode only.
        let trap = ARMED.load(Ordering::Relaxed)
            && !logbuf::console::cortex_m_caller().is_interrupt()
            && bytes.len() > 8;
        if !trap {
            return self.0.write(bytes);
        }
        ARMED.store(false, Ordering::Relaxed);
        let n = self.0.write(&bytes[..8])?;
        logbuf_qemu::pend_and_sync(SOFT_IRQ);
        Ok(n)
    }

    fn any_context(&self) -> bool {
        true
    }
}

#[entry]
fn main() -> ! {
    let uart = cortex_m::singleton!(: Trap = Trap(Uart0::take())).unwrap();
    LOG.add_console(uart, LevelFilter::Trace).unwrap();
    enable_irq(logbuf_qemu::PRINTER_IRQ, prio::PRINTER);
    enable_irq(SOFT_IRQ, prio::SOFT);
    for _ in 0..BEFORE {
        LOG.log(Level::Info, format_args!("thr seq={}", THR.next()));
    }
    ARMED.store(true, Ordering::Relaxed);
    LOG.log(Level::Info, format_args!("thr seq={}", THR.next()));
    // Not reached: the interrupt panics.
    LOG.log(Level::Error, format_args!("note reached=end_of_main"));
    logbuf_qemu::exit(0)
}

fn on_irq(irqn: i16) {
    if irqn != SOFT_IRQ.0 as i16 {
        panic!("unexpected interrupt {}", irqn);
    }
    for _ in 0..BURST {
        LOG.log(Level::Info, format_args!("sw seq={}", SW.next()));
    }
    LOG.log(
        Level::Info,
        format_args!("summary thr={} sw={}", THR.issued(), SW.issued()),
    );
    panic!("boom with {} records waiting", BURST + 1);
}

logbuf_qemu::runtime!(LOG, on_irq);
