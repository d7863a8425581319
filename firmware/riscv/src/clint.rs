//! The CLINT of QEMU virt at 0x0200_0000: msip (one word per hart),
//! mtimecmp (8 bytes per hart at +0x4000), mtime (+0xBFF8, 10 MHz).
use core::ptr::{read_volatile, write_volatile};

const BASE: usize = 0x0200_0000;
const MTIMECMP: usize = BASE + 0x4000;
const MTIME: usize = BASE + 0xBFF8;

fn reg(addr: usize) -> *mut u32 {
    addr as *mut u32
}

/// Raises the software interrupt of `hart`. A full fence first, so that
/// memory written before (a request flag) is visible to that hart's handler
/// when the device write reaches it.
pub fn msip_set(hart: usize) {
    // SAFETY: `fence` only orders; msip of a hart below HARTS is a CLINT
    // register whose write raises that hart's software interrupt.
    unsafe {
        core::arch::asm!("fence iorw, iorw");
        write_volatile(reg(BASE + 4 * hart), 1);
    }
}

/// Clears the software interrupt of `hart`.
pub fn msip_clear(hart: usize) {
    // SAFETY: as in `msip_set`; writing 0 lowers the interrupt.
    unsafe { write_volatile(reg(BASE + 4 * hart), 0) };
}

/// The 64-bit mtime, read as two halves (high, low, high again until the
/// high half did not change).
pub fn mtime() -> u64 {
    loop {
        // SAFETY: the mtime registers of the CLINT; reads have no effect.
        let (hi, lo, hi2) = unsafe {
            (
                read_volatile(reg(MTIME + 4)),
                read_volatile(reg(MTIME)),
                read_volatile(reg(MTIME + 4)),
            )
        };
        if hi == hi2 {
            return (hi as u64) << 32 | lo as u64;
        }
    }
}

/// Sets `hart`'s mtimecmp to `at`: the timer interrupt is pending while
/// mtime >= mtimecmp. Written so no intermediate value is below both.
pub fn set_timer(hart: usize, at: u64) {
    let cmp = MTIMECMP + 8 * hart;
    // SAFETY: mtimecmp of a hart below HARTS; high half first at its
    // maximum, so the 32-bit halves never form an earlier deadline.
    unsafe {
        write_volatile(reg(cmp + 4), u32::MAX);
        write_volatile(reg(cmp), at as u32);
        write_volatile(reg(cmp + 4), (at >> 32) as u32);
    }
}

/// No more timer interrupts for `hart`.
pub fn timer_off(hart: usize) {
    set_timer(hart, u64::MAX);
}
