//! Two harts, one console: the owner/waiter handoff across cores.
//!
//! Phase `load` (issue 13 scenario a): both harts log from thread mode
//! (`thr0`, `thr1`), from their machine-timer interrupt (`tmr0`, `tmr1`)
//! and from their software interrupt (`sw0`, `sw1`, raised by the *other*
//! hart's timer), into a 4 KiB ring, through a UART slowed to
//! [`LOAD_PACE`] loop iterations per byte. Whoever prints pays for it, so
//! the owner is often mid-record when the other hart's thread logs: that
//! caller becomes the waiter and is handed the console (`handoffs`), or
//! gives up (`waiter_timeouts`). The printer runs in hart 0's software
//! interrupt.
//!
//! Phase `irq` (scenario b): with the printer held off, hart 0's thread
//! stores [`OWNER_RECORDS`] records (`own0`), then prints them itself
//! (`print_or_defer`, up to its budget) through a much slower UART, so it
//! owns the console mid-record for a long time. Each line it starts raises
//! hart 1's software interrupt ([`Poke`]), which logs `poke1` while hart 0
//! is printing. The interrupt must never be handed the console nor wait
//! for it: the phase's `handoffs` and `waiter_timeouts` must be 0 (no other
//! caller can wait in this phase), and `irq_calls` says how many interrupt
//! log calls met the busy owner.
//!
//! Each phase ends with `note phase=.. handoffs=.. waiter_timeouts=..`
//! (differences of `Logger::stats()` over the phase); the run ends with
//! `summary NAME=COUNT ...`, waits for the console to drain, exits 0.
#![no_std]
#![no_main]

use logbuf::console::Caller;
use logbuf::sinks::{Sink, SinkError};
use logbuf::Level::Info;
use logbuf::LevelFilter;
use logbuf_riscv::{boot, clint, delay, log, Seq, Uart, CYCLES_PER_BYTE, LOG, TRAPS};
use portable_atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};

/// UART pace in the load phase (loop iterations per byte).
const LOAD_PACE: u32 = 60;
/// UART pace in the irq phase: one line costs far more than a log call.
const IRQ_PACE: u32 = 2000;
/// Thread records per hart in the load phase.
const THREAD_RECORDS: u32 = 1000;
/// Timer period of both harts, in mtime ticks (10 MHz), in every phase.
/// Under `-icount`, QEMU runs the harts in turn and switches at timer
/// deadlines: this period is also the interleaving grain (a hart with no
/// deadline pending was seen to starve the other), so it varies with the
/// icount shift (instructions per tick).
const SLICE: u64 = 500;
/// The load phase logs `tmr` on every this many timer interrupts.
const LOAD_EVERY: u32 = 40;
/// Records hart 0's thread logs in the irq phase.
const OWNER_RECORDS: u32 = 30;
/// Records a software interrupt logs per request.
const SW_RECORDS: u32 = 3;

static THR: [Seq; 2] = [Seq::new(), Seq::new()];
static TMR: [Seq; 2] = [Seq::new(), Seq::new()];
static SW: [Seq; 2] = [Seq::new(), Seq::new()];
/// Timer interrupts taken per hart.
static FIRES: [Seq; 2] = [Seq::new(), Seq::new()];
static OWN: Seq = Seq::new();
static POKE: Seq = Seq::new();

/// 0: set-up, 1: load, 2: irq, 3: done. Written by hart 0.
static PHASE: AtomicU32 = AtomicU32::new(0);
/// Hart h's thread finished its load-phase records.
static DONE: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];
/// The other hart asked this hart's software interrupt to log.
static SW_REQ: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];
/// Irq phase: hart 0's thread is printing its backlog.
static OWNING: AtomicBool = AtomicBool::new(false);
/// Irq phase: hart 0's sink asks hart 1's software interrupt to log.
static POKE_REQ: AtomicBool = AtomicBool::new(false);
/// Irq phase: `poke1` log calls made while hart 0's thread owned the console.
static IRQ_CALLS: AtomicU32 = AtomicU32::new(0);

fn phase() -> u32 {
    // Ordering: Acquire; pairs with the Release stores in `hart0`, so a
    // hart that sees a phase sees the set-up done before it.
    PHASE.load(portable_atomic::Ordering::Acquire)
}

#[no_mangle]
extern "C" fn hart_main(hart: usize) -> ! {
    if hart == 0 {
        hart0()
    }
    boot::enable_interrupts(boot::MSIE | boot::MTIE);
    while phase() < 1 {}
    load_phase_thread(1);
    loop {
        boot::wfi();
    }
}

fn hart0() -> ! {
    static mut UART: Poke = Poke(Uart::new());
    // SAFETY: the only reference ever made to UART, taken once on hart 0
    // before the other hart runs.
    let uart = unsafe { &mut *core::ptr::addr_of_mut!(UART) };
    LOG.add_console(uart, LevelFilter::Trace).unwrap();
    // Ordering: Relaxed; a test knob, set before the phase that uses it.
    CYCLES_PER_BYTE.store(LOAD_PACE, Relaxed);
    for h in 0..2 {
        clint::set_timer(h, clint::mtime() + SLICE);
    }
    // Ordering: Release; see `phase`.
    PHASE.store(1, portable_atomic::Ordering::Release);
    boot::start_other_harts();
    boot::enable_interrupts(boot::MSIE | boot::MTIE);
    load_phase_thread(0);
    while !DONE[1].load(portable_atomic::Ordering::Acquire) {}
    let before = end_phase();
    report("load", before, logbuf::console::LoggerStats::default());
    irq_phase();
    summary();
    let ok = logbuf_riscv::wait_drained(200_000);
    logbuf_riscv::exit(if ok { 0 } else { 3 })
}

/// Stops the phase's producers (the timers keep running, silent) and lets
/// the printer catch up; returns the stats at that point.
fn end_phase() -> logbuf::console::LoggerStats {
    PHASE.store(3, portable_atomic::Ordering::Release);
    logbuf_riscv::wait_drained(200_000);
    LOG.stats()
}

fn report(name: &str, now: logbuf::console::LoggerStats, before: logbuf::console::LoggerStats) {
    log(
        Info,
        format_args!(
            "note phase={} handoffs={} waiter_timeouts={} takeovers={} printer_wakes={}",
            name,
            now.handoffs - before.handoffs,
            now.waiter_timeouts - before.waiter_timeouts,
            now.takeovers - before.takeovers,
            now.printer_wakes - before.printer_wakes,
        ),
    );
}

fn load_phase_thread(h: usize) {
    for i in 0..THREAD_RECORDS {
        log(Info, format_args!("thr{} seq={}", h, THR[h].next()));
        delay(100 + (i * 97 + h as u32 * 31) % 600);
    }
    // Ordering: Release; pairs with hart 0's Acquire load: THR[h] is final.
    DONE[h].store(true, portable_atomic::Ordering::Release);
}

fn irq_phase() {
    let before = LOG.stats();
    // Ordering: Relaxed; a test knob (see `hart0`).
    CYCLES_PER_BYTE.store(IRQ_PACE, Relaxed);
    // The printer is held off, so the backlog waits for hart 0's thread,
    // which then owns the console for its whole budget.
    boot::disable_interrupts(boot::MSIE);
    for _ in 0..OWNER_RECORDS {
        logbuf_riscv::log_deferred(Info, format_args!("own0 seq={}", OWN.next()));
    }
    PHASE.store(2, portable_atomic::Ordering::Release);
    OWNING.store(true, Relaxed);
    LOG.print_or_defer();
    OWNING.store(false, Relaxed);
    boot::enable_interrupts(boot::MSIE);
    let now = end_phase();
    // Ordering: Relaxed; a test knob. IRQ_CALLS: see `owner_poke` (read
    // after the phase ended and the console drained).
    CYCLES_PER_BYTE.store(LOAD_PACE, Relaxed);
    report("irq", now, before);
    log(
        Info,
        format_args!("note phase=irq irq_calls={}", IRQ_CALLS.load(Relaxed)),
    );
}

fn summary() {
    log(
        Info,
        format_args!(
            "summary thr0={} thr1={} tmr0={} tmr1={} sw0={} sw1={} own0={} poke1={}",
            THR[0].issued(),
            THR[1].issued(),
            TMR[0].issued(),
            TMR[1].issued(),
            SW[0].issued(),
            SW[1].issued(),
            OWN.issued(),
            POKE.issued()
        ),
    );
}

fn on_timer(h: usize) {
    clint::set_timer(h, clint::mtime() + SLICE);
    let n = FIRES[h].next();
    match phase() {
        1 if n.is_multiple_of(LOAD_EVERY) => load_tick(h),
        _ => {}
    }
}

fn load_tick(h: usize) {
    let n = TMR[h].next();
    log(Info, format_args!("tmr{} seq={}", h, n));
    if n % 4 == 3 {
        // Ordering: Relaxed; msip_set fences before raising it.
        SW_REQ[1 - h].store(true, Relaxed);
        clint::msip_set(1 - h);
    }
}

/// A `poke1` record from hart 1's software interrupt, raised by hart 0's
/// sink while hart 0's thread prints (see [`Poke`]).
fn owner_poke() {
    log(Info, format_args!("poke1 seq={}", POKE.next()));
    // Ordering: Relaxed; hart 1's software interrupt is the only writer,
    // hart 0 reads it after the phase ended (console drained).
    IRQ_CALLS.store(IRQ_CALLS.load(Relaxed) + 1, Relaxed);
}

/// The UART; in the irq phase, each line hart 0's thread starts to print
/// raises hart 1's software interrupt, which logs while hart 0 owns the
/// console mid-record, whatever the speed of the emulation.
struct Poke(Uart);

impl Sink for Poke {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        // Ordering: Relaxed; OWNING is a hint set by hart 0's thread itself;
        // POKE_REQ: msip_set fences before raising the interrupt.
        let line_start = bytes.first() == Some(&b'[');
        if line_start && OWNING.load(Relaxed) && TRAPS.caller() == Caller::thread(0, 0) {
            POKE_REQ.store(true, Relaxed);
            clint::msip_set(1);
        }
        self.0.write(bytes)
    }

    fn any_context(&self) -> bool {
        true
    }
}

fn on_soft(h: usize) {
    // Ordering: Relaxed; see `Poke`.
    if h == 1 && POKE_REQ.swap(false, Relaxed) && phase() == 2 {
        owner_poke();
    }
    // Ordering: Relaxed; see `on_timer`.
    if SW_REQ[h].swap(false, Relaxed) && phase() == 1 {
        for _ in 0..SW_RECORDS {
            log(Info, format_args!("sw{} seq={}", h, SW[h].next()));
        }
    }
}

#[no_mangle]
extern "C" fn trap_handler(mcause: usize) {
    logbuf_riscv::trap(mcause, on_timer, on_soft);
}
