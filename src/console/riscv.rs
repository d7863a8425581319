//! RISC-V machine-mode callers (feature `riscv`, RISC-V targets only): the
//! hart from `mhartid`, the context from a per-hart trap nesting count that
//! the firmware's trap handler keeps with [`RiscvTraps::enter`].
//!
//! ```ignore
//! static TRAPS: RiscvTraps<2> = RiscvTraps::new();
//!
//! impl Platform for Board {
//!     fn caller() -> Caller { TRAPS.caller() }
//!     // ...
//! }
//!
//! // Called by the assembly trap entry, interrupts still masked.
//! extern "C" fn trap_handler(mcause: usize) {
//!     let _trap = TRAPS.enter(mcause); // before any log call
//!     // ... handle, log, maybe re-enable interrupts (nesting) ...
//! } // dropped before `mret`
//! ```
//!
//! # Why a nesting count, not `mcause`
//!
//! `mcause` cannot tell thread code from a trap handler: `mret` does not
//! clear it, so thread code that runs after the first interrupt still reads
//! that interrupt's cause; and when a handler re-enables interrupts, a
//! nested trap overwrites it, so the outer handler reads the inner one's
//! cause once it resumes. `mstatus.MIE == 0` does not mean "in a trap"
//! either (thread code masks interrupts for critical sections). A counter
//! that the trap entry raises and lowers again before `mret` is exact: each
//! hart's slot is written only by code running on that hart, every trap
//! restores the value it found before it returns (traps nest last in, first
//! out), so any context reads its own nesting depth, and the innermost
//! trap's cause saved beside it.
//!
//! Only loads and stores are used (no read-modify-write), so this works on
//! cores without the A extension (riscv32imc) without a critical section.
//! `core` atomics are used directly, not the crate's portable-atomic
//! facade: with portable-atomic's `critical-section` feature every one of
//! its operations takes the critical section, which a trap entry must not
//! need (and which, on a multicore part, may spin for the other core).

use super::context::{Caller, ContextId};
use core::sync::atomic::{AtomicU8, Ordering};

/// Bit of `mcause` that marks an interrupt (as opposed to an exception).
const INTERRUPT_BIT: usize = 1 << (usize::BITS - 1);

/// Per-hart trap nesting of a machine-mode RISC-V firmware with up to
/// `HARTS` harts (hart ids `0..HARTS`); gives each context its [`Caller`].
///
/// * Thread code (depth 0): `Caller::thread(hart, hart)`, printed `t0`, `t1`.
/// * An interrupt handler: `Caller::interrupt(hart, code)` with the
///   interrupt code of `mcause` (3 software, 7 timer, 11 external, 16 and up
///   local), printed `irq3`, `irq7`, ...
/// * A synchronous exception handler (fault, `ecall`): interrupt class,
///   id [`ContextId::MAX_IRQ`].
/// * A hart id at or above `HARTS`: interrupt class, id `MAX_IRQ` (its
///   nesting is not tracked; interrupt class is the side that never waits
///   for another context).
///
/// The record header keeps the context id only, not the hart: interrupts of
/// the same kind on two harts print alike (`irq7`); name the hart in the
/// message if it matters.
pub struct RiscvTraps<const HARTS: usize> {
    /// Trap nesting depth of each hart (0: thread code).
    depth: [AtomicU8; HARTS],
    /// Id of the innermost trap each hart is handling.
    id: [AtomicU8; HARTS],
}

impl<const HARTS: usize> Default for RiscvTraps<HARTS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const HARTS: usize> RiscvTraps<HARTS> {
    /// Every hart in thread code. `const`: put it in a `static`.
    pub const fn new() -> Self {
        RiscvTraps {
            depth: [const { AtomicU8::new(0) }; HARTS],
            id: [const { AtomicU8::new(0) }; HARTS],
        }
    }

    /// Marks the calling hart as handling the trap `mcause` until the guard
    /// is dropped. Call it first in the trap handler, before interrupts are
    /// re-enabled and before any log call; drop the guard after the last
    /// log call, before `mret`. A handler that never returns (panic, park)
    /// keeps its hart in interrupt context, as it should.
    #[cfg(any(target_arch = "riscv32", target_arch = "riscv64"))]
    pub fn enter(&self, mcause: usize) -> TrapGuard<'_, HARTS> {
        self.enter_on(hart_id(), mcause)
    }

    /// [`enter`](Self::enter) for a given hart (the logic, testable on a
    /// host).
    fn enter_on(&self, hart: usize, mcause: usize) -> TrapGuard<'_, HARTS> {
        let id = if mcause & INTERRUPT_BIT != 0 {
            ((mcause & !INTERRUPT_BIT).min(ContextId::MAX_IRQ as usize)) as u8
        } else {
            ContextId::MAX_IRQ
        };
        let slot = (hart < HARTS).then(|| {
            // Ordering: Relaxed; each slot is read and written only on its
            // own hart, and a trap that preempts us restores both values
            // before it returns, so program order is all that matters.
            let depth = self.depth[hart].load(Ordering::Relaxed);
            let prev_id = self.id[hart].load(Ordering::Relaxed);
            // Ordering: Relaxed; as above. The id is stored before the depth
            // so a nested trap between the two stores still finds a
            // consistent pair when it restores them.
            self.id[hart].store(id, Ordering::Relaxed);
            self.depth[hart].store(depth.saturating_add(1), Ordering::Relaxed);
            (hart, depth, prev_id)
        });
        TrapGuard { traps: self, slot }
    }

    /// The calling context (see the type's documentation).
    #[cfg(any(target_arch = "riscv32", target_arch = "riscv64"))]
    pub fn caller(&self) -> Caller {
        self.caller_on(hart_id())
    }

    /// [`caller`](Self::caller) for a given hart.
    fn caller_on(&self, hart: usize) -> Caller {
        if hart >= HARTS {
            return Caller::interrupt(hart.min(255) as u8, ContextId::MAX_IRQ);
        }
        // Ordering: Relaxed; see `enter`.
        match self.depth[hart].load(Ordering::Relaxed) {
            0 => Caller::thread(hart as u8, hart.min(127) as u8),
            // Ordering: Relaxed; see `enter`.
            _ => Caller::interrupt(hart as u8, self.id[hart].load(Ordering::Relaxed)),
        }
    }
}

/// Returned by [`RiscvTraps::enter`]; restores the hart's previous context
/// when dropped.
pub struct TrapGuard<'a, const HARTS: usize> {
    traps: &'a RiscvTraps<HARTS>,
    /// (hart, depth before, id before); `None` for an untracked hart.
    slot: Option<(usize, u8, u8)>,
}

impl<const HARTS: usize> Drop for TrapGuard<'_, HARTS> {
    fn drop(&mut self) {
        if let Some((hart, depth, id)) = self.slot {
            // Ordering: Relaxed; see `RiscvTraps::enter`. Depth first, so a
            // context that reads depth 0 never needs the id.
            self.traps.depth[hart].store(depth, Ordering::Relaxed);
            self.traps.id[hart].store(id, Ordering::Relaxed);
        }
    }
}

/// The calling hart's id (`mhartid`; machine mode only).
#[cfg(any(target_arch = "riscv32", target_arch = "riscv64"))]
pub fn hart_id() -> usize {
    let id: usize;
    // SAFETY: reading mhartid has no side effects; this module serves
    // machine-mode firmware, where the CSR is readable.
    unsafe {
        core::arch::asm!("csrr {}, mhartid", out(reg) id, options(nomem, nostack, preserves_flags));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    const IRQ: usize = INTERRUPT_BIT;

    #[test]
    fn nested_traps_restore_the_outer_context() {
        let traps: RiscvTraps<2> = RiscvTraps::new();
        assert_eq!(traps.caller_on(1), Caller::thread(1, 1));
        let soft = traps.enter_on(1, IRQ | 3);
        assert_eq!(traps.caller_on(1), Caller::interrupt(1, 3));
        {
            let _timer = traps.enter_on(1, IRQ | 7);
            assert_eq!(traps.caller_on(1), Caller::interrupt(1, 7));
            // The other hart is not affected.
            assert_eq!(traps.caller_on(0), Caller::thread(0, 0));
        }
        // mcause would now say 7; the outer handler is still the software one.
        assert_eq!(traps.caller_on(1), Caller::interrupt(1, 3));
        drop(soft);
        assert_eq!(traps.caller_on(1), Caller::thread(1, 1));
    }

    #[test]
    fn exceptions_and_untracked_harts_are_interrupt_context() {
        let traps: RiscvTraps<2> = RiscvTraps::new();
        let fault = traps.enter_on(0, 5); // load access fault: no interrupt bit
        assert_eq!(traps.caller_on(0), Caller::interrupt(0, ContextId::MAX_IRQ));
        drop(fault);
        assert!(!traps.caller_on(0).is_interrupt());
        // Hart 2 of a RiscvTraps<2>: not tracked, never treated as thread.
        let _g = traps.enter_on(2, IRQ | 7);
        assert!(traps.caller_on(2).is_interrupt());
        assert_eq!(traps.caller_on(2).core, 2);
        // A local interrupt above the id space shares the last id.
        let _l = traps.enter_on(1, IRQ | 200);
        assert_eq!(traps.caller_on(1).id, ContextId::MAX_IRQ);
    }
}
