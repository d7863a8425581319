//! I8 probe: the store path instantiated for a real target, so the check
//! script can read its machine code. Nothing here runs.
#![no_std]

use logbuf::ring::{RecordMeta, Ring};
use logbuf::Level;

static RING: Ring<4096, 64> = Ring::new();

/// The store path: reserve, copy, commit.
#[no_mangle]
pub extern "C" fn logbuf_probe_store(ptr: *const u8, len: usize) -> bool {
    // SAFETY: the probe is only compiled and disassembled, never called.
    let bytes = unsafe { core::slice::from_raw_parts(ptr, len) };
    RING.write(RecordMeta::new(Level::Info), bytes).is_ok()
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
