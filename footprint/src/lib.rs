//! What the footprint binaries share: a polled UART transmitter (the
//! LM3S6965 / PL011 UART0 registers) and two values read from a register so
//! the log call formats at run time.
#![no_std]

use core::ptr::{read_volatile, write_volatile};

const UART0_DR: *mut u32 = 0x4000_C000 as *mut u32;
const UART0_FR: *const u32 = 0x4000_C018 as *const u32;
const FR_TXFF: u32 = 1 << 5;
/// SysTick current value register: a free-running counter to read from.
const SYST_CVR: *const u32 = 0xE000_E018 as *const u32;

/// The UART transmitter; writing polls the FIFO-full flag.
pub struct Uart;

impl Uart {
    /// Sends every byte, waiting for FIFO room.
    pub fn send(&mut self, bytes: &[u8]) {
        for &b in bytes {
            // SAFETY: MMIO registers of UART0, valid on the target part.
            unsafe {
                while read_volatile(UART0_FR) & FR_TXFF != 0 {}
                write_volatile(UART0_DR, b as u32);
            }
        }
    }
}

impl core::fmt::Write for Uart {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.send(s.as_bytes());
        Ok(())
    }
}

/// A value the compiler cannot know (the SysTick counter).
pub fn sensor() -> u32 {
    // SAFETY: reading SysTick's current value register has no side effects.
    unsafe { read_volatile(SYST_CVR) }
}
