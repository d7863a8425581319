//! A critical section for two harts without the A extension (riscv32imc):
//! portable-atomic needs one for its read-modify-write operations, and on a
//! multicore part it must exclude the other hart too, not only interrupts.
//!
//! Without compare-and-swap or swap, mutual exclusion between two harts
//! still exists: Peterson's algorithm needs only loads and stores, provided
//! they are sequentially consistent (here: `SeqCst`, which rustc lowers to
//! fenced loads and stores on RISC-V). Local interrupts are masked first,
//! so a handler on the same hart cannot re-enter while the lock is held; a
//! nested `acquire` on the holding hart is recognised and does not spin.
//! (An RP2040 would use one of its SIO hardware spinlocks instead.)
//!
//! Only `load`/`store` of `core` atomics are used: portable-atomic's own
//! types would recurse into this critical section.
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering::SeqCst};

struct HartLock;
critical_section::set_impl!(HartLock);

/// Peterson: hart h wants the lock.
static WANT: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];
/// Peterson: whose turn it is to wait.
static TURN: AtomicU8 = AtomicU8::new(0);
/// The hart holds the lock (nesting).
static HELD: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];

/// Restore state: bit 0 = interrupts were enabled, bit 1 = nested acquire.
const WAS_ENABLED: u32 = 1;
const NESTED: u32 = 2;

// SAFETY: `acquire` returns only once this hart holds the Peterson lock
// (or already held it) with its interrupts masked, so no other hart and no
// other context of this hart is inside a critical section until the
// matching `release`; SeqCst accesses give the lock its acquire/release
// ordering for the data the section protects.
unsafe impl critical_section::Impl for HartLock {
    unsafe fn acquire() -> u32 {
        let status: usize;
        // SAFETY: reads mstatus and clears MIE: only keeps interrupts out.
        unsafe { core::arch::asm!("csrrci {0}, mstatus, 8", out(reg) status) };
        let state = if status & 8 != 0 { WAS_ENABLED } else { 0 };
        let me = logbuf::console::hart_id() & 1;
        let other = 1 - me;
        // Ordering: SeqCst throughout: Peterson needs the store to WANT to
        // be ordered before the loads of the other hart's WANT and TURN.
        if HELD[me].load(SeqCst) {
            return state | NESTED;
        }
        // Ordering: SeqCst (all four): Peterson's entry protocol.
        WANT[me].store(true, SeqCst);
        TURN.store(other as u8, SeqCst);
        while WANT[other].load(SeqCst) && TURN.load(SeqCst) == other as u8 {
            core::hint::spin_loop();
        }
        // Ordering: SeqCst; only this hart reads it (nesting).
        HELD[me].store(true, SeqCst);
        state
    }

    unsafe fn release(state: u32) {
        let me = logbuf::console::hart_id() & 1;
        if state & NESTED == 0 {
            // Ordering: SeqCst; the release half of the lock.
            HELD[me].store(false, SeqCst);
            WANT[me].store(false, SeqCst);
        }
        if state & WAS_ENABLED != 0 {
            // SAFETY: re-enables interrupts that `acquire` found enabled.
            unsafe { core::arch::asm!("csrsi mstatus, 8") };
        }
    }
}
