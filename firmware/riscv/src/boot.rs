//! Start-up and trap entry (assembly), and the few CSR operations the
//! scenarios need.
//!
//! Every hart starts at `_start` (0x8000_0000) with interrupts off. Each
//! gets its own 32 KiB stack and the trap vector; hart 0 zeroes `.bss` and
//! calls `hart_main(0)`; the others wait, with only their software
//! interrupt enabled, until hart 0 has set their msip
//! ([`start_other_harts`]), then call `hart_main(hart)`. Harts beyond
//! [`HARTS`](crate::HARTS) park.
//!
//! The trap entry (direct mode) saves the caller-saved registers, calls
//! `trap_handler(mcause)` and returns with `mret`. A handler may re-enable
//! interrupts ([`with_interrupts_nested`]): a nested trap saves its own
//! registers on the same stack.
//!
//! The binary defines `extern "C" fn hart_main(hart: usize) -> !` and
//! `extern "C" fn trap_handler(mcause: usize)`, both `#[no_mangle]`.

core::arch::global_asm!(
    r#"
    .section .text.init, "ax"
    .global _start
_start:
    csrw mie, zero
    csrci mstatus, 8
    csrr a0, mhartid
    li t0, {harts}
    bgeu a0, t0, 9f
    la sp, __stack_top
    slli t1, a0, {stack_shift}
    sub sp, sp, t1
    la t0, trap_entry
    csrw mtvec, t0
    bnez a0, 3f
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sw zero, 0(t0)
    addi t0, t0, 4
    j 1b
2:  call hart_main
3:  li t0, 8
    csrw mie, t0
4:  wfi
    csrr t0, mip
    andi t0, t0, 8
    beqz t0, 4b
    li t1, 0x02000000
    slli t2, a0, 2
    add t1, t1, t2
    sw zero, 0(t1)
    csrw mie, zero
    call hart_main
9:  wfi
    j 9b

    .text
    .align 4
trap_entry:
    addi sp, sp, -64
    sw ra, 0(sp)
    sw t0, 4(sp)
    sw t1, 8(sp)
    sw t2, 12(sp)
    sw t3, 16(sp)
    sw t4, 20(sp)
    sw t5, 24(sp)
    sw t6, 28(sp)
    sw a0, 32(sp)
    sw a1, 36(sp)
    sw a2, 40(sp)
    sw a3, 44(sp)
    sw a4, 48(sp)
    sw a5, 52(sp)
    sw a6, 56(sp)
    sw a7, 60(sp)
    csrr a0, mcause
    call trap_handler
    lw ra, 0(sp)
    lw t0, 4(sp)
    lw t1, 8(sp)
    lw t2, 12(sp)
    lw t3, 16(sp)
    lw t4, 20(sp)
    lw t5, 24(sp)
    lw t6, 28(sp)
    lw a0, 32(sp)
    lw a1, 36(sp)
    lw a2, 40(sp)
    lw a3, 44(sp)
    lw a4, 48(sp)
    lw a5, 52(sp)
    lw a6, 56(sp)
    lw a7, 60(sp)
    addi sp, sp, 64
    mret
"#,
    harts = const crate::HARTS,
    stack_shift = const 15, // 32 KiB per hart, as in link.x
);

/// mstatus.MIE.
const MIE: usize = 1 << 3;
/// mie bits: software (3) and timer (7) interrupts.
pub const MSIE: usize = 1 << 3;
/// Machine timer interrupt enable.
pub const MTIE: usize = 1 << 7;

/// Releases the other harts from their start-up wait (call once, from hart
/// 0, after everything they use is set up).
pub fn start_other_harts() {
    for h in 1..crate::HARTS {
        crate::clint::msip_set(h);
    }
}

/// Enables the given `mie` bits and interrupts on the calling hart.
pub fn enable_interrupts(mie_bits: usize) {
    // SAFETY: setting mie bits and mstatus.MIE only lets interrupts in; the
    // trap vector is installed at start-up.
    unsafe {
        core::arch::asm!("csrs mie, {0}", "csrs mstatus, {1}", in(reg) mie_bits, in(reg) MIE);
    }
}

/// Disables the given `mie` bits on the calling hart.
pub fn disable_interrupts(mie_bits: usize) {
    // SAFETY: clearing mie bits only keeps interrupts out.
    unsafe { core::arch::asm!("csrc mie, {0}", in(reg) mie_bits) };
}

/// Masks every interrupt of the calling hart (mstatus.MIE and mie).
pub fn mask_interrupts() {
    // SAFETY: clearing MIE and mie only keeps interrupts out.
    unsafe { core::arch::asm!("csrci mstatus, 8", "csrw mie, zero") };
}

/// Waits for an interrupt.
pub fn wfi() {
    // SAFETY: wfi only pauses the hart.
    unsafe { core::arch::asm!("wfi") };
}

/// Waits for one of the `mie_bits` interrupts to be pending, with
/// mstatus.MIE clear (it is not taken), then disables every interrupt in
/// `mie` again.
pub fn wfi_masked(mie_bits: usize) {
    // SAFETY: with mstatus.MIE clear (the caller masked interrupts) no trap
    // is taken; mie only selects what ends the wfi, and is cleared after.
    unsafe {
        core::arch::asm!("csrci mstatus, 8", "csrw mie, {0}", "wfi", "csrw mie, zero", in(reg) mie_bits)
    };
}

/// The trap's return address (for diagnostics).
pub fn mepc() -> usize {
    let v: usize;
    // SAFETY: reading mepc has no side effects.
    unsafe { core::arch::asm!("csrr {}, mepc", out(reg) v) };
    v
}

/// Runs `f` inside a trap handler with interrupts enabled, so other traps
/// nest into it; restores mepc and mstatus (MPIE, MPP) afterwards, which a
/// nested trap overwrites.
pub fn with_interrupts_nested(f: impl FnOnce()) {
    let (epc, status): (usize, usize);
    // SAFETY: reading mepc and mstatus has no side effects; setting MIE
    // lets nested traps in, which save their registers on this stack and
    // restore them (the trap entry) before returning here.
    unsafe {
        core::arch::asm!("csrr {0}, mepc", "csrr {1}, mstatus", "csrsi mstatus, 8",
            out(reg) epc, out(reg) status);
    }
    f();
    // SAFETY: masks interrupts again, then puts back the trap state this
    // handler's `mret` needs.
    unsafe {
        core::arch::asm!("csrci mstatus, 8", "csrw mepc, {0}", "csrw mstatus, {1}",
            in(reg) epc, in(reg) status);
    }
}
