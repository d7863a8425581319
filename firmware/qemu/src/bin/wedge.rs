//! A writer stalled mid-record must cost only its own record (I10, issue 10).
//!
//! Thread mode logs [`BEFORE`] records (printed as it goes), then starts a
//! log call the hard way: it reserves a record in the ring
//! (`LOG.ring().reserve(..)`, what every log call does first), writes half
//! of its text and, before committing, is preempted by SysTick at the
//! highest priority. The handler logs [`FLOOD`] records (10x what the ring
//! holds), logs the summary and panics; thread mode never resumes. The
//! panic handler's `Logger::panic_flush` overtakes the unfinished record
//! and prints what the ring holds.
//!
//! The UART must show the interrupt's newest records, the summary, the
//! panic message last, and "N messages dropped" notices that account
//! exactly for the rest, the overtaken thread record included (checked by
//! `fwcheck --newest hi=100 --panic wedge`). Exit status 101.
#![no_std]
#![no_main]

use cortex_m::peripheral::scb::SystemHandler;
use cortex_m::peripheral::SCB;
use cortex_m_rt::{entry, exception};
use logbuf::ring::RecordMeta;
use logbuf::{Level, LevelFilter};
use logbuf_qemu::{prio, Log, Seq, Uart0};

/// The scenario's logger type (4 KiB of record words, at most 128 records).
type WedgeLog = Log<4096, 128>;
static LOG: WedgeLog = WedgeLog::new();

/// Records the ring holds at most (its slots).
const HOLDS: u32 = 128;
/// Records the interrupt logs while thread mode is stalled: 10x the ring.
const FLOOD: u32 = 10 * HOLDS;
/// Records thread mode prints before it stalls.
const BEFORE: u32 = 5;

static THR: Seq = Seq::new();
static HI: Seq = Seq::new();

#[entry]
fn main() -> ! {
    let mut p = cortex_m::Peripherals::take().unwrap();
    let uart = cortex_m::singleton!(: Uart0 = Uart0::take()).unwrap();
    LOG.add_console(uart, LevelFilter::Trace).unwrap();
    // SAFETY: set during start-up, before SysTick is pended.
    unsafe { p.SCB.set_priority(SystemHandler::SysTick, prio::HIGH) };
    for _ in 0..BEFORE {
        LOG.log(Level::Info, format_args!("thr seq={}", THR.next()));
    }
    // A log call in progress: reserved, half written, never committed.
    let mut grant = LOG
        .ring()
        .reserve(32, RecordMeta::new(Level::Info))
        .unwrap();
    let _ = THR.next();
    grant.write(b"thr se");
    // The interrupt preempts it (SysTick pending: it runs at once).
    SCB::set_pendst();
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
    // Not reached: the interrupt panics.
    drop(grant);
    LOG.log(Level::Error, format_args!("note reached=end_of_main"));
    logbuf_qemu::exit(0)
}

#[exception]
fn SysTick() {
    for _ in 0..FLOOD {
        LOG.log(Level::Info, format_args!("hi seq={}", HI.next()));
    }
    LOG.log(
        Level::Info,
        format_args!("summary thr={} hi={}", THR.issued(), HI.issued()),
    );
    let lost = LOG.ring().dropped();
    panic!(
        "wedge: thr={} hi={} overtaken={} refused={}",
        THR.issued(),
        HI.issued(),
        lost.overtaken,
        lost.unstored()
    );
}

/// No other device interrupt is enabled (the printer is handled by
/// `runtime!`; it never gets to run before the panic).
fn on_irq(irqn: i16) {
    panic!("unexpected interrupt {}", irqn);
}

logbuf_qemu::runtime!(LOG, on_irq);
