#![no_std]
#![no_main]

use core::panic::PanicInfo;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};
use cortex_m::peripheral::{syst::SystClkSource, NVIC};
use cortex_m_rt::{entry, exception};
use lm3s6965::{interrupt, Interrupt};
use logbuf::console::{Logger, Platform};
use logbuf::sinks::{Sink, SinkError};
use logbuf::{info, LevelFilter};

// The board: caller from IPSR, `micros` as the clock, and the printer in
// GPIOC's interrupt (no GPIO uses it), which `wake_printer` pends.
logbuf::cortex_m_platform!(Board, printer = Interrupt::GPIOC, clock = micros);

/// 8 KiB of records, up to 128 of them, one console; all zero, in .bss.
/// (Any size: `Logger<Board, { 32 * 1024 }, 512>`.)
static LOG: Logger<Board> = Logger::new();

static MILLIS: AtomicU32 = AtomicU32::new(0);

fn micros() -> u64 {
    u64::from(MILLIS.load(Relaxed)) * 1000
}

/// UART0 (PL011) registers: data, flags (bit 5: TX FIFO full), interrupt
/// mask and clear (bit 5: TX FIFO below its trigger level).
const UART0: usize = 0x4000_C000;
const DR: usize = 0x00;
const FR: usize = 0x18;
const IMR: usize = 0x38;
const ICR: usize = 0x44;
const TX: u32 = 1 << 5;

fn uart0(reg: usize) -> *mut u32 {
    (UART0 + reg) as *mut u32
}

/// UART0 as a console: takes what fits in the TX FIFO and never waits, so
/// any context may write it. When the FIFO is full it arms the TX
/// interrupt, which wakes the printer again.
struct Uart0;

impl Sink for Uart0 {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, SinkError> {
        let mut n = 0;
        // SAFETY: UART0's registers; this sink and `UART0()` are their only
        // users, and the console lock runs one write at a time.
        unsafe {
            while n < bytes.len() && uart0(FR).read_volatile() & TX == 0 {
                uart0(DR).write_volatile(u32::from(bytes[n]));
                n += 1;
            }
            if n == 0 && !bytes.is_empty() {
                uart0(IMR).write_volatile(TX);
                return Err(SinkError::WouldBlock);
            }
        }
        Ok(n)
    }

    fn any_context(&self) -> bool {
        true
    }
}

#[entry]
fn main() -> ! {
    let mut cp = cortex_m::Peripherals::take().unwrap();
    let uart = cortex_m::singleton!(: Uart0 = Uart0).unwrap();
    LOG.add_console(uart, LevelFilter::Info).unwrap();

    // SysTick every 1 ms (12 MHz: the LM3S6965's oscillator at reset).
    cp.SYST.set_clock_source(SystClkSource::Core);
    cp.SYST.set_reload(12_000 - 1);
    cp.SYST.clear_current();
    cp.SYST.enable_interrupt();
    cp.SYST.enable_counter();
    // SAFETY: no critical section here relies on priorities or masking.
    unsafe {
        cp.NVIC.set_priority(Interrupt::GPIOC, 0xff); // the printer: least urgent
        NVIC::unmask(Interrupt::GPIOC);
        NVIC::unmask(Interrupt::UART0);
    }

    info!(LOG, "boot: logbuf on an LM3S6965");
    loop {
        cortex_m::asm::wfi();
    }
}

/// Any interrupt or exception may log: it stores the record and pends the
/// printer (Config::DEFAULT: interrupt calls print nothing themselves).
#[exception]
fn SysTick() {
    let ms = MILLIS.fetch_add(1, Relaxed) + 1;
    if ms.is_multiple_of(1000) {
        info!(LOG, "up {} s", ms / 1000);
    }
}

/// The printer context: prints everything, to every console.
#[interrupt]
fn GPIOC() {
    LOG.printer();
}

/// The TX FIFO has room again: disarm, and let the printer go on.
#[interrupt]
fn UART0() {
    // SAFETY: as in `Uart0::write`.
    unsafe {
        uart0(IMR).write_volatile(0);
        uart0(ICR).write_volatile(TX);
    }
    Board::wake_printer();
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    // First: nothing the flush takes the console from may run again.
    cortex_m::interrupt::disable();
    let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
    // SAFETY: interrupts are masked, this handler never returns, and there
    // is one core: no context the takeover displaces ever runs again.
    unsafe { LOG.panic_flush(format_args!("panic at {file}:{line}: {}", info.message())) };
    loop {
        cortex_m::asm::wfi();
    }
}
