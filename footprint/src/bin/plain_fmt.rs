//! One formatted line written straight to the UART with `core::fmt`.
#![no_std]
#![no_main]

use core::fmt::Write as _;
use cortex_m_rt::entry;
use logbuf_footprint::{sensor, Uart};
use panic_halt as _;

#[entry]
fn main() -> ! {
    let (temp, id) = (sensor() as i32, sensor());
    let _ = writeln!(Uart, "temp={} id={}", temp, id);
    loop {
        cortex_m::asm::wfi();
    }
}
