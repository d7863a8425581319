//! Warm reset: the log of the previous boot survives in RAM the runtime
//! does not zero (issue 10 item 5).
//!
//! The whole logger lives in `.uninit.logbuf` (cortex-m-rt's `.uninit`
//! output section is `NOLOAD` and never zeroed). Every boot starts with
//! `Logger::recover_in_place`:
//!
//! * **boot 1** (the ring is fresh: QEMU's RAM starts zeroed): logs
//!   [`RECORDS`] records and a summary (printed as it goes), then panics;
//!   the panic handler's `panic_flush` prints the panic record and requests
//!   a system reset (SCB AIRCR `SYSRESETREQ`) instead of exiting;
//! * **boot 2** (the ring recovered): the console prints every record of
//!   boot 1 again, the panic record last, each marked `(previous boot)`;
//!   then boot 2 logs `note boot=2 kept=..` and its own records and
//!   exits with status 0.
//!
//! `fwcheck --warm-reset` compares the previous-boot lines with boot 1's
//! lines, one by one. If the reset had cleared the RAM, boot 2 would find a
//! fresh ring and run boot 1 again: the capture would repeat boot 1 until
//! `timeout` stops QEMU, and the checker says so.
#![no_std]
#![no_main]

use core::mem::MaybeUninit;
use core::ptr::{addr_of_mut, null_mut};
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use cortex_m::peripheral::SCB;
use cortex_m_rt::{entry, exception};
use logbuf::{Level, LevelFilter};
use logbuf_qemu::{enable_irq, prio, Log, Seq, Uart0, PRINTER_IRQ};

/// The scenario's logger type: 8 KiB of record words, 128 records.
type WarmLog = Log<8192, 128>;

/// The logger's memory: kept across a warm reset.
#[link_section = ".uninit.logbuf"]
static mut LOG_RAM: MaybeUninit<WarmLog> = MaybeUninit::uninit();

/// The logger, once recovered (null before).
static LOG: AtomicPtr<WarmLog> = AtomicPtr::new(null_mut());
/// Set in boot 1: the panic handler resets instead of exiting.
static RESET_ON_PANIC: AtomicBool = AtomicBool::new(false);

/// Records boot 1 logs before it panics.
const RECORDS: u32 = 20;
/// Records boot 2 logs after the recovered ones.
const BOOT2_RECORDS: u32 = 3;

static W: Seq = Seq::new();
static B: Seq = Seq::new();

fn log() -> Option<&'static WarmLog> {
    // Ordering: Acquire; pairs with the Release store in `main`, after
    // which the logger is fully set up.
    let p = LOG.load(Ordering::Acquire);
    // SAFETY: non-null only once `recover_in_place` returned this
    // `&'static WarmLog` (stored in `main`); it is never freed.
    unsafe { p.as_ref() }
}

#[entry]
fn main() -> ! {
    // SAFETY: the first and only use of LOG_RAM, before interrupts are
    // enabled and before anything logs.
    let (log, report) = unsafe { WarmLog::recover_in_place(&mut *addr_of_mut!(LOG_RAM)) };
    // Ordering: Release; pairs with the Acquire in `log()`.
    LOG.store(log as *const WarmLog as *mut WarmLog, Ordering::Release);
    let uart = cortex_m::singleton!(: Uart0 = Uart0::take()).unwrap();
    log.add_console(uart, LevelFilter::Trace).unwrap();
    enable_irq(PRINTER_IRQ, prio::PRINTER);
    if report.fresh {
        boot1(log)
    }
    log.log(
        Level::Info,
        format_args!(
            "note boot=2 kept={} incomplete={} discarded={}",
            report.kept, report.incomplete, report.discarded
        ),
    );
    for _ in 0..BOOT2_RECORDS {
        log.log(Level::Info, format_args!("b seq={}", B.next()));
    }
    log.log(Level::Info, format_args!("summary b={}", B.issued()));
    logbuf_qemu::wait_drained(log, 1_000_000);
    logbuf_qemu::exit(0)
}

/// The first boot: log, then panic (the handler resets).
fn boot1(log: &WarmLog) -> ! {
    for _ in 0..RECORDS {
        log.log(Level::Info, format_args!("w seq={}", W.next()));
    }
    log.log(Level::Info, format_args!("summary w={}", W.issued()));
    RESET_ON_PANIC.store(true, Ordering::Relaxed);
    panic!("warm reset test after {} records", W.issued());
}

// Handlers are `unsafe fn` because cortex-m-rt 0.7 requires it of
// `DefaultHandler` and `HardFault`; their bodies do nothing unsafe.
#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    match log() {
        Some(log) if irqn == PRINTER_IRQ.0 as i16 => {
            let _ = log.printer();
        }
        _ => panic!("unexpected interrupt {}", irqn),
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    cortex_m::interrupt::disable();
    let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
    if let Some(log) = log() {
        // SAFETY: interrupts are masked and this handler never returns (it
        // resets or exits); no context the takeover displaces runs again.
        unsafe {
            log.panic_flush(format_args!(
                "panic at {}:{}: {}",
                file,
                line,
                info.message()
            ));
        }
    }
    // Ordering: Relaxed; set by thread mode before it panicked.
    if RESET_ON_PANIC.load(Ordering::Relaxed) {
        SCB::sys_reset()
    }
    logbuf_qemu::exit(logbuf_qemu::EXIT_PANIC)
}

#[exception]
unsafe fn HardFault(_frame: &cortex_m_rt::ExceptionFrame) -> ! {
    if let Some(log) = log() {
        let _ = log.emergency_flush();
    }
    logbuf_qemu::exit(logbuf_qemu::EXIT_HARDFAULT)
}
