//! One `info!` through logbuf: stored in a 1 KiB ring (the size of
//! defmt-rtt's buffer), printed as a text line to a UART sink by the
//! printer (here the main loop).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use logbuf::console::{cortex_m_caller, Caller, Config, Logger, Platform};
use logbuf::sinks::Sink;
use logbuf::LevelFilter;
use logbuf_footprint::{sensor, Uart};
use panic_halt as _;

struct Board;

impl Platform for Board {
    fn caller() -> Caller {
        cortex_m_caller()
    }
    fn now() -> u64 {
        sensor() as u64
    }
    fn wake_printer() {
        cortex_m::peripheral::SCB::set_pendsv();
    }
}

/// The UART as a console: polled, so usable from any context.
struct UartSink(Uart);

impl Sink for UartSink {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, logbuf::sinks::SinkError> {
        self.0.send(bytes);
        Ok(bytes.len())
    }
    fn any_context(&self) -> bool {
        true
    }
}

static LOG: Logger<Board, 1024, 32, 1> = Logger::new();

#[entry]
fn main() -> ! {
    let uart = cortex_m::singleton!(: UartSink = UartSink(Uart)).unwrap();
    let _ = LOG.add_console(uart, LevelFilter::Info);
    let (temp, id) = (sensor() as i32, sensor());
    logbuf::info!(LOG, "temp={} id={}", temp, id);
    loop {
        LOG.printer();
        cortex_m::asm::wfi();
    }
}
