//! Panic takeover right after a notice (issue 11, notice bug (c)).
//!
//! Thread mode prints [`BEFORE`] records, then the sink would block while
//! thread mode logs [`LOST`] records (more than the ring holds: the oldest
//! are overwritten). The sink is plugged back and armed: thread mode logs one
//! more record, whose call prints the "N messages dropped" notice and the
//! record after it. The sink takes every byte up to and including the end of
//! the notice line and returns; at the start of the next write (the record
//! after the notice) it pends the software interrupt, which logs the
//! summary and panics: the panic flush takes the console over from thread
//! mode right after the notice went out. (A takeover *inside* the sink
//! call that writes the notice's last bytes cannot be told from one just
//! before them: the replay then prints the notice again; see
//! firmware/README.md.)
//!
//! The notice went out whole, so after the replay marker only the record
//! may be printed again; printing the notice again would announce its
//! records twice (`fwcheck` rule (c)). Exit status 101.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, Ordering};
use cortex_m_rt::entry;
use logbuf::sinks::{Sink, SinkError};
use logbuf::{Level, LevelFilter};
use logbuf_qemu::{enable_irq, prio, Log, Seq, Uart0, SOFT_IRQ};

/// The scenario's logger type: 1 KiB of record words, at most 16 records.
type CutLog = Log<1024, 16>;
static LOG: CutLog = CutLog::new();

/// Records printed before the sink blocks.
const BEFORE: u32 = 5;
/// Records logged while the sink blocks (the ring holds at most 16).
const LOST: u32 = 40;

static THR: Seq = Seq::new();
/// The sink would block while set.
static BLOCKED: AtomicBool = AtomicBool::new(false);
/// The sink cuts after the next notice line while set.
static ARMED: AtomicBool = AtomicBool::new(false);
/// The notice line went out: the next write is taken over first.
static FIRE: AtomicBool = AtomicBool::new(false);

/// The end of a notice line in the bytes a console sends.
const NOTICE_END: &[u8] = b"dropped\n";

/// UART0 that can be blocked, and a trap that fires right after a notice.
struct Trap(Uart0);

impl Sink for Trap {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        // Ordering: Relaxed; flags set by thread mode, read in its own calls.
        if BLOCKED.load(Ordering::Relaxed) {
            return Err(SinkError::WouldBlock);
        }
        let end = bytes
            .windows(NOTICE_END.len())
            .position(|w| w == NOTICE_END)
            .map(|i| i + NOTICE_END.len());
        // Ordering: Relaxed; flags of thread mode's own calls.
        if FIRE.swap(false, Ordering::Relaxed) {
            // The write that ended the notice returned: the console knows
            // the notice is out. Take over before anything else is sent.
            logbuf_qemu::pend_and_sync(SOFT_IRQ);
        }
        match end {
            Some(end) if ARMED.load(Ordering::Relaxed) => {
                ARMED.store(false, Ordering::Relaxed);
                FIRE.store(true, Ordering::Relaxed);
                self.0.write(&bytes[..end])
            }
            _ => self.0.write(bytes),
        }
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
    BLOCKED.store(true, Ordering::Relaxed);
    for _ in 0..LOST {
        LOG.log(Level::Info, format_args!("thr seq={}", THR.next()));
    }
    BLOCKED.store(false, Ordering::Relaxed);
    ARMED.store(true, Ordering::Relaxed);
    LOG.log(Level::Info, format_args!("thr seq={}", THR.next()));
    // Not reached if the trap fired: the interrupt panics.
    LOG.log(Level::Error, format_args!("note reached=end_of_main"));
    logbuf_qemu::exit(0)
}

fn on_irq(irqn: i16) {
    if irqn != SOFT_IRQ.0 as i16 {
        panic!("unexpected interrupt {}", irqn);
    }
    LOG.log(Level::Info, format_args!("summary thr={}", THR.issued()));
    panic!("cut after a notice");
}

logbuf_qemu::runtime!(LOG, on_irq);
