//! Board support for the two-hart RISC-V scenarios (`src/bin/*.rs`) on
//! `qemu-system-riscv32 -machine virt -smp 2 -bios none`.
//!
//! Written the way a firmware engineer would without a PAC or runtime
//! crate: start-up and trap entry in assembly ([`boot`]), the CLINT
//! ([`clint`]: msip per hart, mtimecmp, mtime), a 16550 UART sink, the exit
//! device, and logbuf's [`Platform`]:
//!
//! * `caller()`: [`logbuf::console::RiscvTraps`], fed by the trap handler
//!   ([`trap`]);
//! * `now()`: microseconds from mtime (10 MHz on virt);
//! * `wake_printer()`: a software interrupt on hart 0, whose handler runs
//!   `Logger::printer()` with interrupts re-enabled (nested), so timer
//!   interrupts still preempt the printer.
//!
//! The software interrupt of each hart also carries a *stop* request: the
//! panic handler ([`panic_stop`]) sends it to the other hart and waits until
//! that hart has parked itself with interrupts masked, before it calls
//! `Logger::panic_flush` (whose Safety contract asks for exactly that).
#![no_std]

pub mod boot;
pub mod clint;
#[cfg(not(target_has_atomic = "32"))]
mod hartlock;

use core::fmt::Write as _;
use logbuf::console::{Caller, Config, Logger, Platform, RiscvTraps};
use logbuf::sinks::{Sink, SinkError};
use portable_atomic::{AtomicBool, AtomicU32, Ordering};

/// Harts this firmware runs on (`-smp 2`).
pub const HARTS: usize = 2;

/// The one logger type of this firmware: a 4 KiB ring holding at most 128
/// records, one console (the UART).
pub type Log = Logger<Board, 4096, 128>;

/// The configuration every scenario uses: interrupt calls print too (a
/// small budget, any-context sinks), so that an interrupt meeting a busy
/// owner is a real candidate for the handoff it must not get.
#[cfg(not(feature = "broken-irq-handoff"))]
pub const CONFIG: Config = Config::IRQ_PRINTS;
/// Deliberately broken (feature `broken-irq-handoff`): interrupts may be
/// handed the console by a thread owner on the other hart.
#[cfg(feature = "broken-irq-handoff")]
pub const CONFIG: Config = Config {
    handoff_to_irq: true,
    ..Config::IRQ_PRINTS
};

/// The logger.
pub static LOG: Log = Log::new();

/// Trap nesting per hart: logbuf's caller detection.
pub static TRAPS: RiscvTraps<HARTS> = RiscvTraps::new();

/// Exit status after a panic whose flush completed.
pub const EXIT_PANIC: u32 = 101;
/// Exit status when the panic handler could not stop the other hart (it
/// then does not take the console over: that would break its contract).
pub const EXIT_NOT_STOPPED: u32 = 102;

/// The board as logbuf sees it.
pub struct Board;

impl Platform for Board {
    const CONFIG: Config = CONFIG;
    fn caller() -> Caller {
        TRAPS.caller()
    }

    fn now() -> u64 {
        clint::mtime() / 10
    }

    fn wake_printer() {
        // Ordering: Release; pairs with the Acquire swap in `soft_interrupt`
        // on hart 0, so the records stored before this call are seen there
        // (the logger's own ring protocol orders them too).
        PRINT.store(true, Ordering::Release);
        clint::msip_set(0);
    }
}

/// The printer should run (set by `wake_printer`, taken by hart 0).
static PRINT: AtomicBool = AtomicBool::new(false);
/// Hart 0 is inside the printer (a nested wake just leaves `PRINT` set).
static PRINTING: AtomicBool = AtomicBool::new(false);
/// Stop requests, one per hart.
static STOP: [AtomicBool; HARTS] = [const { AtomicBool::new(false) }; HARTS];
/// Set by a hart once it is parked for good with interrupts masked.
static PARKED: [AtomicBool; HARTS] = [const { AtomicBool::new(false) }; HARTS];

/// The calling hart.
pub fn hart() -> usize {
    logbuf::console::hart_id()
}

/// Busy-waits about `n` loop iterations (2-3 instructions each).
#[inline(never)]
pub fn delay(n: u32) {
    for i in 0..n {
        core::hint::black_box(i);
    }
}

/// Per-byte cost of the UART, in [`delay`] iterations: QEMU's 16550 takes
/// bytes at once, a real one at 115 200 baud takes ~87 µs per byte.
pub static CYCLES_PER_BYTE: AtomicU32 = AtomicU32::new(0);

/// The 16550 UART at 0x1000_0000 as a logbuf sink, slowed down by
/// [`CYCLES_PER_BYTE`]; any context may use it.
pub struct Uart {
    _private: (),
}

const UART_THR: *mut u8 = 0x1000_0000 as *mut u8;
const UART_LSR: *const u8 = 0x1000_0005 as *const u8;
/// LSR bit 5: transmit holding register empty.
const LSR_THRE: u8 = 1 << 5;

impl Uart {
    /// The UART; call once (the sink assumes it is the only user).
    pub const fn new() -> Self {
        Uart { _private: () }
    }

    fn put(byte: u8) -> bool {
        // SAFETY: UART_LSR and UART_THR are the 16550's line status and
        // transmit registers on QEMU virt; a status read has no side effect,
        // a THR write queues one byte.
        unsafe {
            if core::ptr::read_volatile(UART_LSR) & LSR_THRE == 0 {
                return false;
            }
            core::ptr::write_volatile(UART_THR, byte);
        }
        true
    }
}

impl Default for Uart {
    fn default() -> Self {
        Self::new()
    }
}

impl Sink for Uart {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        // Ordering: Relaxed; a test knob set before the phase that uses it.
        let pace = CYCLES_PER_BYTE.load(Ordering::Relaxed);
        let mut n = 0;
        for &b in bytes {
            if !Uart::put(b) {
                break;
            }
            delay(pace);
            n += 1;
        }
        if n == 0 && !bytes.is_empty() {
            Err(SinkError::WouldBlock)
        } else {
            Ok(n)
        }
    }

    fn any_context(&self) -> bool {
        true
    }
}

/// Writes a line straight to the UART, bypassing the logger (boot errors).
pub fn raw_print(args: core::fmt::Arguments<'_>) {
    struct Raw;
    impl core::fmt::Write for Raw {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            for b in s.bytes() {
                while !Uart::put(b) {}
            }
            Ok(())
        }
    }
    let _ = Raw.write_fmt(args);
}

/// Ends the run: QEMU exits with `code` (0: pass) through the sifive_test
/// device at 0x10_0000.
pub fn exit(code: u32) -> ! {
    const TEST: *mut u32 = 0x10_0000 as *mut u32;
    let value = if code == 0 {
        0x5555
    } else {
        code << 16 | 0x3333
    };
    // SAFETY: the sifive_test finisher register of QEMU virt; writing it
    // ends the emulation.
    unsafe { core::ptr::write_volatile(TEST, value) };
    loop {
        core::hint::spin_loop();
    }
}

include!("../../shared/seq.rs");

/// The trap handler's body: keeps [`TRAPS`] and dispatches. `on_timer` and
/// `on_soft` are the scenario's handlers for the machine timer and software
/// interrupts of the calling hart (the software interrupt's stop and print
/// requests are handled here first).
pub fn trap(mcause: usize, on_timer: fn(usize), on_soft: fn(usize)) {
    let _trap = TRAPS.enter(mcause);
    let hart = hart();
    match mcause {
        c if c == (1 << 31) | 7 => on_timer(hart),
        c if c == (1 << 31) | 3 => {
            clint::msip_clear(hart);
            soft_interrupt(hart, on_soft);
        }
        c => panic!("unexpected trap mcause={:#x} mepc={:#x}", c, boot::mepc()),
    }
}

fn soft_interrupt(hart: usize, on_soft: fn(usize)) {
    // Ordering: Acquire; pairs with the Release store in `panic_stop`.
    if STOP[hart].load(Ordering::Acquire) {
        park(hart);
    }
    on_soft(hart);
    // Ordering: Relaxed; PRINTING is only touched on hart 0.
    if hart != 0 || PRINTING.load(Ordering::Relaxed) {
        return;
    }
    PRINTING.store(true, Ordering::Relaxed);
    // Ordering: Acquire; pairs with `wake_printer`'s Release store.
    while PRINT.swap(false, Ordering::Acquire) {
        // Timer interrupts, and further software interrupts (stop requests,
        // wakes), preempt the printer; a nested wake only sets PRINT again.
        boot::with_interrupts_nested(|| {
            let _ = LOG.printer();
        });
    }
    // Ordering: Relaxed; see above.
    PRINTING.store(false, Ordering::Relaxed);
}

/// Parks the calling hart for good: interrupts masked, then tells the
/// panicking hart (Release: everything this hart wrote, the console state
/// included, is visible to it once it sees the flag).
pub fn park(hart: usize) -> ! {
    boot::mask_interrupts();
    // Ordering: Release; pairs with the Acquire load in `panic_stop`.
    PARKED[hart].store(true, Ordering::Release);
    loop {
        boot::wfi();
    }
}

/// Stops every other hart: a stop request through its software interrupt,
/// then a bounded wait until it has parked. Returns whether all did.
pub fn stop_others(me: usize) -> bool {
    for h in (0..HARTS).filter(|&h| h != me) {
        // Ordering: Release; pairs with the Acquire load in `soft_interrupt`.
        STOP[h].store(true, Ordering::Release);
        clint::msip_set(h);
    }
    let parked = (0..HARTS).filter(|&h| h != me).all(|h| wait_parked(me, h));
    clint::timer_off(me);
    parked
}

/// Waits (bounded) until hart `h` has parked. Between polls this hart
/// sleeps until a timer deadline of its own, interrupts still masked (`wfi`
/// returns on a pending enabled interrupt without taking it): under
/// `-icount`, QEMU switches harts only when the running one traps or halts,
/// so a masked busy-wait would never let the other hart run.
fn wait_parked(me: usize, h: usize) -> bool {
    (0..100_000).any(|_| {
        // Ordering: Acquire; pairs with `park`'s Release store.
        if PARKED[h].load(Ordering::Acquire) {
            return true;
        }
        clint::set_timer(me, clint::mtime() + 100);
        boot::wfi_masked(boot::MTIE);
        false
    })
}

/// Log calls made through [`log`], all harts (records stored or lost).
static CALLS: AtomicU32 = AtomicU32::new(0);

/// Logs through [`LOG`] and counts the call, so [`drained`] knows how many
/// records the console has to deal with.
pub fn log(level: logbuf::Level, args: core::fmt::Arguments<'_>) {
    // Ordering: Relaxed; a count read once every producer has stopped.
    CALLS.fetch_add(1, Ordering::Relaxed);
    LOG.log(level, args);
}

/// [`log`] without printing (`Logger::log_deferred`).
pub fn log_deferred(level: logbuf::Level, args: core::fmt::Arguments<'_>) {
    // Ordering: Relaxed; see `log`.
    CALLS.fetch_add(1, Ordering::Relaxed);
    LOG.log_deferred(level, args);
}

/// Whether the console has dealt with every record logged through [`log`]
/// (printed, or lost and announced).
pub fn drained() -> bool {
    let Some(s) = LOG.console_at(0).and_then(|id| LOG.console_stats(id)) else {
        return false;
    };
    // Ordering: Relaxed; see `log`.
    let calls = CALLS.load(Ordering::Relaxed) as u64;
    s.consumed() + s.unstored == calls && s.announced == s.dropped()
}

/// Waits (bounded) until [`drained`], printing nothing itself: getting the
/// records out is the logger's and the printer's job.
pub fn wait_drained(polls: u32) -> bool {
    (0..polls).any(|_| {
        delay(1000);
        drained()
    })
}

/// Who panicked first; a second panicking hart parks itself.
static PANICKING: portable_atomic::AtomicBool = portable_atomic::AtomicBool::new(false);

/// What the panic handler does before the flush: interrupts masked, the
/// other harts stopped (unless the firmware is built `broken-no-stop`).
/// Returns whether the flush may take the console over.
pub fn panic_stop() -> bool {
    boot::mask_interrupts();
    let me = hart();
    // Ordering: AcqRel; one winner among panicking harts.
    if PANICKING.swap(true, Ordering::AcqRel) {
        park(me);
    }
    if cfg!(feature = "broken-no-stop") {
        LOG.log_deferred(logbuf::Level::Warn, format_args!("note stopped=0"));
        return true;
    }
    let stopped = stop_others(me);
    LOG.log_deferred(
        logbuf::Level::Warn,
        format_args!("note stopped={}", stopped as u32),
    );
    stopped
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    if !panic_stop() {
        raw_print(format_args!(
            "\n[fw] panic: other hart not stopped, no flush\n"
        ));
        exit(EXIT_NOT_STOPPED);
    }
    let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
    // SAFETY: interrupts are masked on this hart and this handler never
    // returns (it ends in `exit`); every other hart is parked for good with
    // interrupts masked (`panic_stop`, whose Acquire load of its PARKED flag
    // makes that hart's last writes visible here), so no context the
    // takeover displaces ever runs again, as `panic_flush` requires. The
    // `broken-no-stop` build breaks this on purpose (see Cargo.toml).
    unsafe {
        LOG.panic_flush(format_args!(
            "panic at {}:{}: {}",
            file,
            line,
            info.message()
        ));
    }
    linger(hart(), 1_000_000);
    exit(EXIT_PANIC)
}

/// Waits `ticks` of mtime (10 MHz) before the exit, sleeping on this hart's
/// own timer with interrupts masked (so, under `-icount`, the other hart
/// runs meanwhile; see [`wait_parked`]). A real board would let the UART
/// drain here; in the `broken-no-stop` build it is also when the hart that
/// was not stopped shows what it does.
fn linger(me: usize, ticks: u64) {
    let end = clint::mtime() + ticks;
    while clint::mtime() < end {
        clint::set_timer(me, (clint::mtime() + 100).min(end));
        boot::wfi_masked(boot::MTIE);
    }
}
