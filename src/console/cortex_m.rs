//! The stock single-core Cortex-M platform: [`cortex_m_platform!`](crate::cortex_m_platform)
//! (the user-facing docs are on the macro) and the NVIC pend it uses.

/// Address of the first NVIC Interrupt Set-Pending Register (ISPR0).
const NVIC_ISPR0: usize = 0xE000_E200;

/// The NVIC has at most 496 interrupt lines (ISPR0..ISPR15).
pub(crate) const NVIC_LINES: u16 = 496;

/// The set-pending register of NVIC line `line` and the bit that pends it:
/// `ISPR[line / 32]` at `0xE000_E200 + 4 * (line / 32)`, bit `line % 32`.
/// `None` for a line the NVIC cannot have.
pub(crate) const fn ispr(line: u16) -> Option<(usize, u32)> {
    if line >= NVIC_LINES {
        return None;
    }
    Some((NVIC_ISPR0 + 4 * (line as usize / 32), 1 << (line % 32)))
}

/// Pends NVIC interrupt line `line` (the number a PAC's `Interrupt` enum
/// gives it, not the exception number), as cortex-m's `NVIC::pend` does: it
/// runs as soon as its priority allows. Callable from any context; a line
/// number of 496 or more does nothing.
#[cfg(target_arch = "arm")]
#[inline]
pub fn pend_interrupt(line: u16) {
    if let Some((reg, bit)) = ispr(line) {
        // SAFETY: `reg` is one of the NVIC's ISPR registers, present at this
        // address on every ARMv6-M, ARMv7-M and ARMv8-M core (the
        // `cortex-m` feature's targets). A 32-bit write sets the pending
        // state of the lines whose bits are 1 and leaves every other line
        // alone, so it touches no memory and no other interrupt's state;
        // pending an interrupt is what `NVIC::pend` does from safe code.
        unsafe { core::ptr::write_volatile(reg as *mut u32, bit) }
    }
}

/// Declares a single-core Cortex-M board for logbuf (feature `cortex-m`,
/// ARM targets only): a unit struct and its
/// [`Platform`](crate::console::Platform) impl, in one line.
///
/// ```text
/// cortex_m_platform!(pub Board, printer = pac::Interrupt::SWI0, clock = micros);
/// cortex_m_platform!(Board, printer_line = 2, clock = || ticks(), config = Config::PRINTER_ONLY);
/// ```
///
/// * `caller()` is [`cortex_m_caller`](crate::console::cortex_m_caller):
///   thread mode or the active exception, from IPSR; core 0.
/// * `now()` calls `clock`: a function or closure returning `u64` (or a
///   `u32`, `u16`, `u8`, widened), callable from any context; a
///   free-running counter in the unit the line format prints (microseconds
///   by default).
/// * `wake_printer()` pends the printer's interrupt with
///   [`pend_interrupt`](crate::console::pend_interrupt) (a write to the
///   NVIC's set-pending register). `printer = X` names it as the PAC does:
///   `X` implements cortex-m's `interrupt::InterruptNumber` (every PAC's
///   `Interrupt` enum), through the *binary's* `cortex_m` dependency
///   (logbuf itself does not depend on cortex-m). Without a PAC, give the
///   NVIC line number: `printer_line = 2`.
/// * `CONFIG` is `config` if given, else
///   [`Config::DEFAULT`](crate::console::Config::DEFAULT).
///
/// Attributes (doc comments) before the visibility go on the struct.
///
/// ```ignore
/// use lm3s6965::{interrupt, Interrupt}; // any PAC
/// use logbuf::console::Logger;
///
/// fn micros() -> u64 { /* a free-running timer */ 0 }
///
/// logbuf::cortex_m_platform!(pub Board, printer = Interrupt::GPIOC, clock = micros);
/// static LOG: Logger<Board> = Logger::new();
///
/// /// The printer context: the lowest-priority interrupt, which
/// /// `wake_printer` pends (set its priority and unmask it at start-up).
/// #[interrupt]
/// fn GPIOC() {
///     LOG.printer();
/// }
/// ```
///
/// (Marked `ignore`: it needs a Cortex-M target and a PAC. The README's
/// "On a board" firmware, `firmware/board`, does exactly this and is built
/// for thumbv7em by the test command.)
///
/// Single core only: the caller is always core 0. Give the printer
/// interrupt the lowest priority of all logging contexts, so that it runs
/// when they are done and any of them may preempt it.
#[cfg(all(feature = "cortex-m", target_arch = "arm"))]
#[macro_export]
macro_rules! cortex_m_platform {
    (@impl [$(#[$m:meta])*] $vis:vis $name:ident, $wake:expr, $clock:expr $(, $config:expr)?) => {
        $(#[$m])*
        $vis struct $name;

        impl $crate::console::Platform for $name {
            $(const CONFIG: $crate::console::Config = $config;)?
            #[inline]
            fn caller() -> $crate::console::Caller {
                $crate::console::cortex_m_caller()
            }
            #[inline]
            fn now() -> u64 {
                ::core::convert::From::from(($clock)())
            }
            #[inline]
            fn wake_printer() {
                $wake
            }
        }
    };
    ($(#[$m:meta])* $vis:vis $name:ident, printer = $irq:expr, clock = $clock:expr
        $(, config = $config:expr)? $(,)?) => {
        $crate::cortex_m_platform!(@impl [$(#[$m])*] $vis $name,
            $crate::console::pend_interrupt(::cortex_m::interrupt::InterruptNumber::number($irq)),
            $clock $(, $config)?);
    };
    ($(#[$m:meta])* $vis:vis $name:ident, printer_line = $line:expr, clock = $clock:expr
        $(, config = $config:expr)? $(,)?) => {
        $crate::cortex_m_platform!(@impl [$(#[$m])*] $vis $name,
            $crate::console::pend_interrupt($line), $clock $(, $config)?);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ispr_register_and_bit() {
        assert_eq!(ispr(0), Some((0xE000_E200, 1)));
        assert_eq!(ispr(2), Some((0xE000_E200, 1 << 2)));
        assert_eq!(ispr(31), Some((0xE000_E200, 1 << 31)));
        assert_eq!(ispr(32), Some((0xE000_E204, 1)));
        assert_eq!(ispr(45), Some((0xE000_E204, 1 << 13)));
        assert_eq!(ispr(239), Some((0xE000_E21C, 1 << 15)));
        assert_eq!(ispr(495), Some((0xE000_E23C, 1 << 15)));
        // Past ISPR15 would be ICPR0 (clear-pending): never written.
        assert_eq!(ispr(496), None);
        assert_eq!(ispr(u16::MAX), None);
    }

    #[test]
    fn ispr_is_const() {
        const R: Option<(usize, u32)> = ispr(70);
        assert_eq!(R, Some((0xE000_E208, 1 << 6)));
    }
}
