//! Board support shared by the QEMU firmware scenarios (`src/bin/*.rs`).
//!
//! Everything here is what a firmware engineer writes around `logbuf`
//! without a PAC or HAL: a UART sink on raw registers, the [`Platform`]
//! (IPSR-based caller, a tick clock, the printer pended as a software
//! interrupt), interrupt numbers, priorities, and the runtime glue
//! ([`runtime!`]: printer interrupt, panic handler, hard fault).
//!
//! Boards (one cargo feature each, see `Cargo.toml`):
//!
//! | board            | UART0                                   | RAM    |
//! |------------------|-----------------------------------------|--------|
//! | `board-lm3s6965` | PL011: DR 0x4000_C000, FR 0x4000_C018 (TXFF bit 5) | 64 KiB |
//! | `board-mps2-an385` | CMSDK: DATA 0x4000_4000, STATE 0x4000_4004 (TXFULL bit 0) | 4 MiB |
#![no_std]

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use cortex_m::interrupt::InterruptNumber;
use cortex_m::peripheral::NVIC;
use logbuf::console::{Caller, Config, DynLogger, Logger, Platform};
use logbuf::sinks::{Sink, SinkError};

/// The logger type every scenario uses: `BYTES` of records, at most
/// `SLOTS` of them, one console (UART0), the default configuration.
pub type Log<const BYTES: usize = 8192, const SLOTS: usize = 128> = Logger<Board, BYTES, SLOTS>;

/// The same on [`PrintsBoard`]: interrupt-context calls print too.
pub type PrintsLog<const BYTES: usize = 8192, const SLOTS: usize = 128> =
    Logger<PrintsBoard, BYTES, SLOTS>;

/// Exit status of a firmware whose panic handler flushed the log.
pub const EXIT_PANIC: i32 = 101;
/// Exit status after a hard fault.
pub const EXIT_HARDFAULT: i32 = 3;

/// An NVIC interrupt line by number (no PAC here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Irq(pub u16);

// SAFETY: every `Irq` this crate builds names an interrupt line that exists
// on its board (see `board`), which is all `InterruptNumber` asks.
unsafe impl InterruptNumber for Irq {
    fn number(self) -> u16 {
        self.0
    }
}

/// NVIC and system-handler priorities. Only the top two bits are used, so
/// the same values work on Cortex-M0 (2 priority bits) and on the LM3S6965
/// Cortex-M3 (3 bits). Lower value = more urgent.
pub mod prio {
    /// The most urgent logging interrupt.
    pub const HIGH: u8 = 0x00;
    /// SysTick in the flood scenario.
    pub const TICK: u8 = 0x40;
    /// The software-pended logging interrupt.
    pub const SOFT: u8 = 0x80;
    /// The printer: the least urgent interrupt, above thread mode only.
    pub const PRINTER: u8 = 0xC0;
}

#[cfg(all(feature = "board-lm3s6965", feature = "board-mps2-an385"))]
compile_error!("enable exactly one board feature");

/// Stellaris LM3S6965EVB.
#[cfg(feature = "board-lm3s6965")]
pub mod board {
    use super::Irq;
    use core::ptr::{read_volatile, write_volatile};

    /// UART0 data register.
    const UART_DR: *mut u32 = 0x4000_C000 as *mut u32;
    /// UART0 flag register.
    const UART_FR: *const u32 = 0x4000_C018 as *const u32;
    /// FR bit 5: transmit FIFO full.
    const TXFF: u32 = 1 << 5;

    /// Software-pended logging interrupt: GPIO port B (no GPIO is used).
    pub const SOFT_IRQ: Irq = Irq(1);
    /// Printer interrupt: GPIO port C (no GPIO is used).
    pub const PRINTER_IRQ: Irq = Irq(2);
    /// General-purpose timer 0, subtimer A.
    pub const TIMER_IRQ: Irq = Irq(19);

    /// The PL011 needs no set-up in QEMU (reset state transmits).
    pub fn uart_init() {}

    /// Whether the transmit FIFO is full.
    pub fn tx_full() -> bool {
        // SAFETY: UART_FR is the PL011 flag register of this board; reading it
        // has no side effects.
        unsafe { read_volatile(UART_FR) & TXFF != 0 }
    }

    /// Puts one byte in the transmit FIFO.
    pub fn tx(byte: u8) {
        // SAFETY: UART_DR is the PL011 data register; a write queues a byte.
        unsafe { write_volatile(UART_DR, byte as u32) }
    }

    const SYSCTL_RCGC1: *mut u32 = 0x400F_E104 as *mut u32;
    const TIMER0: usize = 0x4003_0000;
    const GPTMCFG: usize = 0x00;
    const GPTMTAMR: usize = 0x04;
    const GPTMCTL: usize = 0x0C;
    const GPTMIMR: usize = 0x18;
    const GPTMICR: usize = 0x24;
    const GPTMTAILR: usize = 0x28;

    fn timer0(offset: usize, value: u32) {
        // SAFETY: TIMER0 + offset is a GPTM register of this board; the
        // timer is used by nothing else.
        unsafe { write_volatile((TIMER0 + offset) as *mut u32, value) }
    }

    /// Starts timer 0A as a periodic interrupt every `period` timer clocks.
    pub fn timer_start(period: u32) {
        // SAFETY: RCGC1 bit 16 gates the clock of timer 0; setting it has no
        // other effect.
        unsafe { write_volatile(SYSCTL_RCGC1, read_volatile(SYSCTL_RCGC1) | 1 << 16) };
        timer0(GPTMCTL, 0);
        timer0(GPTMCFG, 0); // 32-bit timer
        timer0(GPTMTAMR, 0x2); // periodic
        timer0(GPTMTAILR, period);
        timer0(GPTMIMR, 1); // time-out interrupt
        timer0(GPTMCTL, 1); // enable A
    }

    /// Stops timer 0A.
    pub fn timer_stop() {
        timer0(GPTMCTL, 0);
        timer0(GPTMIMR, 0);
        timer0(GPTMICR, 1);
    }

    /// Acknowledges the timer 0A time-out interrupt.
    pub fn timer_ack() {
        timer0(GPTMICR, 1);
    }
}

/// ARM MPS2-AN385 (used for the 10 000-record backlog only).
#[cfg(feature = "board-mps2-an385")]
pub mod board {
    use super::Irq;
    use core::ptr::{read_volatile, write_volatile};

    const UART_DATA: *mut u32 = 0x4000_4000 as *mut u32;
    const UART_STATE: *const u32 = 0x4000_4004 as *const u32;
    const UART_CTRL: *mut u32 = 0x4000_4008 as *mut u32;
    const UART_BAUDDIV: *mut u32 = 0x4000_4010 as *mut u32;
    /// STATE bit 0: transmit buffer full.
    const TXFULL: u32 = 1 << 0;

    /// Software-pended logging interrupt (a line no modelled device drives).
    pub const SOFT_IRQ: Irq = Irq(26);
    /// Printer interrupt (a line no modelled device drives).
    pub const PRINTER_IRQ: Irq = Irq(27);

    /// Enables the transmitter (the CMSDK UART drops bytes until then).
    pub fn uart_init() {
        // SAFETY: CMSDK UART0 control and baud divider registers of this
        // board; nothing else uses UART0.
        unsafe {
            write_volatile(UART_BAUDDIV, 16);
            write_volatile(UART_CTRL, 1);
        }
    }

    /// Whether the transmit buffer is full.
    pub fn tx_full() -> bool {
        // SAFETY: reading the CMSDK UART0 state register has no side effects.
        unsafe { read_volatile(UART_STATE) & TXFULL != 0 }
    }

    /// Puts one byte in the transmit buffer.
    pub fn tx(byte: u8) {
        // SAFETY: the CMSDK UART0 data register; a write sends a byte.
        unsafe { write_volatile(UART_DATA, byte as u32) }
    }
}

pub use board::{PRINTER_IRQ, SOFT_IRQ};

/// UART0 as a `logbuf` sink: polls the transmit-full flag, never waits.
/// Any context may use it (it only touches its own registers).
pub struct Uart0 {
    _private: (),
}

impl Uart0 {
    /// Sets UART0 up for transmitting. Call once: the sink assumes it is
    /// the only user of the UART.
    pub fn take() -> Self {
        board::uart_init();
        Uart0 { _private: () }
    }
}

impl Sink for Uart0 {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        let mut n = 0;
        for &b in bytes {
            if board::tx_full() {
                break;
            }
            board::tx(b);
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

/// How slow [`Slow`] makes its sink; scenarios change it at run time.
pub struct Pace {
    /// Busy-wait cycles per byte (emulates a baud rate).
    pub cycles_per_byte: AtomicU32,
    /// Most bytes taken per `write` call (0: no limit).
    pub max_per_call: AtomicU32,
    /// Every n-th `write` call would block (0: never), like a small FIFO.
    pub block_every: AtomicU32,
    /// Every `write` would block (cable unplugged, flow control off).
    pub blocked: AtomicBool,
    /// When non-zero: after this many more bytes the cable is unplugged
    /// (`blocked` is set), so a line stops part-way.
    pub unplug_after: AtomicU32,
    /// A write would block since the last [`tx_ready`]: the emulated
    /// "TX FIFO has room" interrupt is armed.
    tx_wait: AtomicBool,
}

impl Pace {
    /// Full speed, never blocked.
    pub const fn new() -> Self {
        Pace {
            cycles_per_byte: AtomicU32::new(0),
            max_per_call: AtomicU32::new(0),
            block_every: AtomicU32::new(0),
            blocked: AtomicBool::new(false),
            unplug_after: AtomicU32::new(0),
            tx_wait: AtomicBool::new(false),
        }
    }
}

impl Default for Pace {
    fn default() -> Self {
        Self::new()
    }
}

/// The pace of the scenario's console.
pub static PACE: Pace = Pace::new();

/// The emulated UART "TX FIFO has room" interrupt, polled from a periodic
/// interrupt: if a write would block since the last call, wake the printer
/// (through the same [`Platform::wake_printer`] hook the logger uses).
pub fn tx_ready() {
    // Ordering: Relaxed; a flag, no data. Load and store (no swap on
    // thumbv6m): a write that blocks between them is covered by the wake.
    if PACE.tx_wait.load(Ordering::Relaxed) {
        PACE.tx_wait.store(false, Ordering::Relaxed);
        Board::wake_printer();
    }
}

/// A sink made artificially slow by [`PACE`]: QEMU's UARTs take bytes at
/// once, while a real 115 200-baud UART takes ~87 µs per byte.
pub struct Slow<S: Sink> {
    inner: S,
    calls: u32,
}

impl<S: Sink> Slow<S> {
    /// Wraps `inner`.
    pub const fn new(inner: S) -> Self {
        Slow { inner, calls: 0 }
    }
}

impl<S: Sink> Sink for Slow<S> {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        // Ordering: Relaxed; test knobs set by thread mode before the
        // scenario phase that uses them, no data depends on them.
        self.calls = self.calls.wrapping_add(1);
        let every = PACE.block_every.load(Ordering::Relaxed);
        if PACE.blocked.load(Ordering::Relaxed) || (every != 0 && self.calls.is_multiple_of(every))
        {
            PACE.tx_wait.store(true, Ordering::Relaxed);
            return Err(SinkError::WouldBlock);
        }
        let mut max = match PACE.max_per_call.load(Ordering::Relaxed) as usize {
            0 => bytes.len(),
            m => m.min(bytes.len()),
        };
        let unplug = PACE.unplug_after.load(Ordering::Relaxed) as usize;
        if unplug != 0 {
            max = max.min(unplug);
        }
        let n = self.inner.write(&bytes[..max])?;
        if unplug != 0 {
            PACE.unplug_after
                .store((unplug - n) as u32, Ordering::Relaxed);
            if unplug == n {
                PACE.blocked.store(true, Ordering::Relaxed);
            }
        }
        let cycles = PACE.cycles_per_byte.load(Ordering::Relaxed);
        if cycles != 0 {
            cortex_m::asm::delay(cycles.saturating_mul(n as u32));
        }
        Ok(n)
    }

    fn any_context(&self) -> bool {
        self.inner.any_context()
    }
}

/// Milliseconds since boot, advanced by whichever scenario runs SysTick.
static MILLIS: AtomicU32 = AtomicU32::new(0);

/// Advances the clock by one millisecond. Call from one context only (the
/// tick interrupt): a load and a store, since thumbv6m has no atomic add.
pub fn tick_millis() {
    // Ordering: Relaxed; a clock value, single writer.
    MILLIS.store(
        MILLIS.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Relaxed,
    );
}

/// The board as `logbuf` sees it.
pub struct Board;

impl Platform for Board {
    fn caller() -> Caller {
        logbuf::console::cortex_m_caller()
    }

    fn now() -> u64 {
        // Ordering: Relaxed; see `tick_millis`.
        MILLIS.load(Ordering::Relaxed) as u64 * 1000
    }

    #[cfg(not(feature = "broken-no-printer"))]
    fn wake_printer() {
        NVIC::pend(PRINTER_IRQ);
    }

    /// Deliberately broken (feature `broken-no-printer`): nobody is woken.
    #[cfg(feature = "broken-no-printer")]
    fn wake_printer() {}
}

/// [`Board`] with [`Config::IRQ_PRINTS`]: interrupt-context log calls print
/// up to 2 records into any-context sinks themselves.
pub struct PrintsBoard;

impl Platform for PrintsBoard {
    const CONFIG: Config = Config::IRQ_PRINTS;
    fn caller() -> Caller {
        Board::caller()
    }
    fn now() -> u64 {
        Board::now()
    }
    fn wake_printer() {
        Board::wake_printer()
    }
}

/// SysTick as the cost scenarios' clock (`irqcost`, `wcet`, `storecost`):
/// the 24-bit counter counts core clock ticks down and wraps; under
/// `-icount` a tick is a fixed number of instructions, which [`count_down`]
/// calibrates.
pub mod systick {
    use cortex_m::peripheral::syst::SystClkSource;
    use cortex_m::peripheral::SYST;

    /// The counter's 24 bits (and its reload value).
    pub const MASK: u32 = 0x00FF_FFFF;

    /// Starts the counter on the core clock, free-running over all 24 bits.
    pub fn start(syst: &mut SYST) {
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(MASK);
        syst.clear_current();
        syst.enable_counter();
    }

    /// Ticks from `earlier` to `later` of the down-counting counter.
    pub fn elapsed(earlier: u32, later: u32) -> u32 {
        earlier.wrapping_sub(later) & MASK
    }

    /// Ticks `f` takes.
    #[inline(always)]
    pub fn ticks(f: impl FnOnce()) -> u32 {
        let t0 = SYST::get_current();
        f();
        elapsed(t0, SYST::get_current())
    }

    /// A register-only loop of exactly `2 * n` instructions, the
    /// calibration of ticks against instructions.
    #[inline(always)]
    pub fn count_down(n: u32) {
        // SAFETY: a register-only loop of two instructions per iteration;
        // no memory, stack or flags contract.
        unsafe {
            core::arch::asm!("2:", "subs {0}, #1", "bne 2b", inout(reg) n => _,
                options(nomem, nostack));
        }
    }
}

include!("../../shared/seq.rs");

/// Sets an interrupt's priority and unmasks it.
pub fn enable_irq(irq: Irq, priority: u8) {
    // SAFETY: single core, called from thread mode during set-up; changing a
    // priority and unmasking cannot break a critical section (none uses
    // priority masking here).
    unsafe {
        let mut p = cortex_m::Peripherals::steal();
        p.NVIC.set_priority(irq, priority);
        NVIC::unmask(irq);
    }
}

/// Pends `irq` and returns after it has run (if its priority allows it to
/// preempt the caller).
pub fn pend_and_sync(irq: Irq) {
    NVIC::pend(irq);
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
}

/// Whether console 0 has dealt with every record stored so far and
/// announced every loss.
pub fn drained(log: &dyn DynLogger) -> bool {
    let Some(s) = log.console_at(0).and_then(|id| log.console_stats(id)) else {
        return false;
    };
    s.consumed() == log.stats().next_seq && s.announced == s.dropped()
}

/// Waits (bounded) until [`drained`] holds, without printing anything
/// itself: whether the records get out is up to the logger and the printer
/// interrupt. Returns false on time-out; the run then ends anyway and the
/// host checker reports what is missing.
pub fn wait_drained(log: &dyn DynLogger, polls: u32) -> bool {
    for _ in 0..polls {
        if drained(log) {
            return true;
        }
        cortex_m::asm::delay(1000);
    }
    false
}

/// Like [`wait_drained`], bounded by `ticks` of the millisecond clock
/// ([`tick_millis`]) instead of polls: a console paced by a periodic
/// "TX ready" interrupt drains in clock ticks, whatever the icount shift.
pub fn wait_drained_ticks(log: &dyn DynLogger, ticks: u32) -> bool {
    // Ordering: Relaxed; see `tick_millis`.
    let start = MILLIS.load(Ordering::Relaxed);
    while MILLIS.load(Ordering::Relaxed).wrapping_sub(start) < ticks {
        if drained(log) {
            return true;
        }
        cortex_m::asm::delay(1000);
    }
    drained(log)
}

/// Ends the run with `code` as QEMU's exit status (semihosting).
pub fn exit(code: i32) -> ! {
    semihosting::process::exit(code)
}

/// The printer interrupt's body: print everything, to every console.
pub fn run_printer(log: &dyn DynLogger) {
    // Idle: caught up. Busy: the owner was told records are pending and
    // prints them or wakes us again. Blocked: the sink would block; its
    // "TX ready" interrupt ([`tx_ready`]) wakes us again. (Polling here
    // instead starves thread mode in the flood: see README, findings.)
    let _ = log.printer();
}

/// Defines the runtime glue every scenario shares, for the logger `$log`:
///
/// * `DefaultHandler`: the printer interrupt runs [`run_printer`]; any other
///   device interrupt goes to `$on_irq(irqn)`.
/// * `#[panic_handler]`: masks interrupts, flushes through
///   `Logger::panic_flush`, exits with [`EXIT_PANIC`].
/// * `HardFault`: `Logger::emergency_flush`, exits with [`EXIT_HARDFAULT`].
#[macro_export]
macro_rules! runtime {
    ($log:path, $on_irq:path) => {
        #[cortex_m_rt::exception]
        unsafe fn DefaultHandler(irqn: i16) {
            if irqn == $crate::PRINTER_IRQ.0 as i16 {
                $crate::run_printer(&$log);
            } else {
                $on_irq(irqn);
            }
        }

        #[panic_handler]
        fn panic(info: &core::panic::PanicInfo) -> ! {
            // Nothing else may run from here on: the context the flush may
            // displace (an owner we interrupted) must never resume.
            cortex_m::interrupt::disable();
            let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
            // SAFETY: interrupts are masked and this handler never returns
            // (it ends in a semihosting exit); on this single core no context
            // the takeover displaces ever runs again, as `panic_flush` requires.
            unsafe {
                $log.panic_flush(format_args!(
                    "panic at {}:{}: {}",
                    file,
                    line,
                    info.message()
                ));
            }
            $crate::exit($crate::EXIT_PANIC)
        }

        #[cortex_m_rt::exception]
        unsafe fn HardFault(_frame: &cortex_m_rt::ExceptionFrame) -> ! {
            let _ = $log.emergency_flush();
            $crate::exit($crate::EXIT_HARDFAULT)
        }
    };
}

include!("../../shared/hostile.rs");

/// Logs `NAME seq=SEQ data=` followed by [`HOSTILE`]`[SEQ % len]` at level
/// INFO: through `Logger::log` when `how` is [`Via::Text`] and the data is
/// UTF-8, else as one `log_bytes` payload built on the stack.
pub fn log_hostile(log: &dyn DynLogger, name: &str, seq: u32, how: Via) {
    let data = HOSTILE[seq as usize % HOSTILE.len()];
    if let (Via::Text, Ok(text)) = (how, core::str::from_utf8(data)) {
        log.log(
            logbuf::Level::Info,
            format_args!("{} seq={} data={}", name, seq, text),
        );
        return;
    }
    let mut buf = StackLine::new();
    let _ = core::fmt::Write::write_fmt(&mut buf, format_args!("{} seq={} data=", name, seq));
    buf.push(data);
    log.log_bytes(
        logbuf::ring::RecordMeta::new(logbuf::Level::Info),
        buf.bytes(),
    );
}

/// How [`log_hostile`] hands its record over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// `Logger::log` with `format_args!` (falls back to bytes for data that
    /// is not UTF-8).
    Text,
    /// `Logger::log_bytes`.
    Bytes,
}

/// A 128-byte line on the stack (longer input is cut).
struct StackLine {
    buf: [u8; 128],
    len: usize,
}

impl StackLine {
    fn new() -> Self {
        StackLine {
            buf: [0; 128],
            len: 0,
        }
    }
    fn push(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl core::fmt::Write for StackLine {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}
