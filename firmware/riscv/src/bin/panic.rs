//! A panic on hart 0 while hart 1 is mid-print (issue 13 scenario c).
//!
//! Hart 1's thread logs [`BEFORE`] records, printing them itself. Then,
//! 8 bytes into the line of its next record that it prints itself (normally
//! `thr1 seq=BEFORE`; see [`arm_and_log`]), the sink tells hart 0
//! and keeps hart 1 inside the write: hart 1 owns the console mid-record.
//! Hart 0 logs [`BURST`] records (they cannot print: each log call waits
//! for a handover that does not come, and gives up), the summary, and
//! panics. The panic handler (`logbuf_riscv::panic_stop`) masks interrupts,
//! sends hart 1 a stop request (software interrupt) and waits until hart 1
//! has parked with interrupts masked; only then does `panic_flush` take the
//! console over mid-record: replay marker, the cut record again, the burst,
//! the summary, the panic record; exit status 101.
//!
//! Built with `broken-no-stop`, the handler skips the stop: hart 1 is still
//! inside the sink's `write` when hart 0's flush writes to the same sink (the
//! aliasing `panic_flush`'s contract forbids). The sink lets hart 1 go on as
//! soon as another write enters it, so the rest of its line lands inside the
//! flush's output and hart 1 logs again after the summary; the checker must
//! reject that capture.
#![no_std]
#![no_main]

use logbuf::sinks::{Sink, SinkError};
use logbuf::Level::Info;
use logbuf::LevelFilter;
use logbuf_riscv::{boot, clint, log, Seq, Uart, CYCLES_PER_BYTE, LOG, TRAPS};
use portable_atomic::{AtomicBool, AtomicU32, Ordering};

/// Records hart 1 prints before the trap.
const BEFORE: u32 = 20;
/// Records hart 0 logs while hart 1 is stuck mid-record.
const BURST: u32 = 20;
/// Timer period (mtime ticks): the interleaving grain under -icount.
const SLICE: u64 = 500;

static THR: [Seq; 2] = [Seq::new(), Seq::new()];
/// Hart 1 has started its harts' records.
static STARTED: AtomicBool = AtomicBool::new(false);
/// The next long write by hart 1's thread stops mid-line.
static ARMED: AtomicBool = AtomicBool::new(false);
/// Hart 1 is mid-line inside the sink.
static SPRUNG: AtomicBool = AtomicBool::new(false);
/// Writes that entered the sink.
static WRITES: AtomicU32 = AtomicU32::new(0);

/// The UART with a trap for hart 1's thread (see the module docs).
struct Trap(Uart);

impl Trap {
    fn trapped(bytes: &[u8]) -> bool {
        // Ordering: Relaxed; ARMED is set and cleared by hart 1's thread.
        ARMED.load(Ordering::Relaxed)
            && logbuf_riscv::hart() == 1
            && !TRAPS.caller().is_interrupt()
            && bytes.len() > 8
    }
}

impl Sink for Trap {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        // Ordering: Relaxed; a counter of entries, compared for change only.
        let entry = WRITES.fetch_add(1, Ordering::Relaxed) + 1;
        if !Self::trapped(bytes) {
            return self.0.write(bytes);
        }
        ARMED.store(false, Ordering::Relaxed);
        let n = self.0.write(&bytes[..8])?;
        // Ordering: Release; hart 0 acts on it, no data behind it but the
        // console state the logger orders itself.
        SPRUNG.store(true, Ordering::Release);
        // Mid-line until another write enters this sink, which only a
        // takeover can do while we own it (or, correctly, until parked).
        for _ in 0..200_000_000u32 {
            if WRITES.load(Ordering::Relaxed) != entry {
                break;
            }
            core::hint::spin_loop();
        }
        Ok(n + self.0.write(&bytes[n..]).unwrap_or(0))
    }

    fn any_context(&self) -> bool {
        true
    }
}

#[no_mangle]
extern "C" fn hart_main(hart: usize) -> ! {
    boot::enable_interrupts(boot::MSIE | boot::MTIE);
    if hart == 0 {
        hart0()
    }
    // Ordering: Acquire; pairs with hart 0's Release: the console is set up.
    while !STARTED.load(Ordering::Acquire) {}
    for _ in 0..BEFORE {
        log(Info, format_args!("thr1 seq={}", THR[1].next()));
    }
    arm_and_log();
    // Reached only when hart 1 was not stopped (broken-no-stop).
    for _ in 0..10 {
        log(Info, format_args!("thr1 seq={}", THR[1].next()));
    }
    loop {
        boot::wfi();
    }
}

/// Logs records on hart 1's thread until one of them springs the trap.
///
/// The trap needs a write by this thread, but the record may be printed by
/// hart 0's printer instead: with parallel harts, virtual time is host time,
/// so a vCPU descheduled by the host can exhaust the thread's time budget
/// (then the printer prints the rest), or the printer can take over from a
/// preempted owner. Either way the armed record is printed whole and the
/// trap stays armed; the next record tries again, once the printer is done.
/// Returns only when the trapped write returned (`broken-no-stop`).
fn arm_and_log() {
    ARMED.store(true, Ordering::Relaxed);
    loop {
        log(Info, format_args!("thr1 seq={}", THR[1].next()));
        // Ordering: Acquire; pairs with the sink's Release store (set on
        // this hart, so the load sees it once the trapped write returned).
        if SPRUNG.load(Ordering::Acquire) {
            return;
        }
        // The printer on hart 0 owns the console: let it finish, so this
        // thread's next record finds the console free.
        logbuf_riscv::wait_drained(1_000_000);
    }
}

fn hart0() -> ! {
    static mut SINK: Trap = Trap(Uart::new());
    // SAFETY: the only reference ever made to SINK, taken once on hart 0
    // before the other hart runs.
    let sink = unsafe { &mut *core::ptr::addr_of_mut!(SINK) };
    LOG.add_console(sink, LevelFilter::Trace).unwrap();
    CYCLES_PER_BYTE.store(40, Ordering::Relaxed);
    for h in 0..2 {
        clint::set_timer(h, clint::mtime() + SLICE);
    }
    // Ordering: Release; see hart 1's Acquire load.
    STARTED.store(true, Ordering::Release);
    boot::start_other_harts();
    // Ordering: Acquire; pairs with the sink's Release store.
    while !SPRUNG.load(Ordering::Acquire) {}
    for _ in 0..BURST {
        log(Info, format_args!("thr0 seq={}", THR[0].next()));
    }
    log(
        Info,
        format_args!("summary thr0={} thr1={}", THR[0].issued(), THR[1].issued()),
    );
    panic!("boom with hart 1 mid-print");
}

fn on_timer(h: usize) {
    clint::set_timer(h, clint::mtime() + SLICE);
}

#[no_mangle]
extern "C" fn trap_handler(mcause: usize) {
    logbuf_riscv::trap(mcause, on_timer, |_| {});
}
