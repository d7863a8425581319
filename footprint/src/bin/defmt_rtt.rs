//! One `defmt::info!` over defmt-rtt (1 KiB RTT buffer, its default).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use defmt_rtt as _;
use logbuf_footprint::sensor;
use panic_halt as _;

#[entry]
fn main() -> ! {
    let (temp, id) = (sensor() as i32, sensor());
    defmt::info!("temp={} id={}", temp, id);
    loop {
        cortex_m::asm::wfi();
    }
}
