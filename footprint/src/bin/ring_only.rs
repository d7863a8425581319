//! The ring alone: one record formatted into a reservation, read back and
//! sent raw to the UART; no console lock, no line rendering.
#![no_std]
#![no_main]

use core::fmt::Write as _;
use cortex_m_rt::entry;
use logbuf::ring::{Cursor, Read, RecordMeta, Ring};
use logbuf::Level;
use logbuf_footprint::{sensor, Uart};
use panic_halt as _;

static RING: Ring<1024, 32> = Ring::new();

#[entry]
fn main() -> ! {
    let (temp, id) = (sensor() as i32, sensor());
    let meta = RecordMeta::new(Level::Info).timestamp(sensor() as u64);
    if let Ok(mut grant) = RING.reserve(32, meta) {
        let _ = write!(grant, "temp={} id={}", temp, id);
        grant.commit();
    }
    let mut cursor = Cursor::new();
    let mut buf = [0u8; 64];
    while let Read::Record(h) = RING.read(&mut cursor, &mut buf) {
        Uart.send(&buf[..(h.len as usize).min(buf.len())]);
    }
    loop {
        cortex_m::asm::wfi();
    }
}
