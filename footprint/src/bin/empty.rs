//! The runtime alone: reset handler, vector table, panic-halt.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use panic_halt as _;

#[entry]
fn main() -> ! {
    core::hint::black_box(logbuf_footprint::sensor());
    loop {
        cortex_m::asm::wfi();
    }
}
