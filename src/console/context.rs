//! Who is calling: context class, core, and the platform hooks the firmware
//! supplies (clock, printer wake-up, configuration).
//!
//! The console lock never guesses: every decision it makes about spinning,
//! handing over or budgeting starts from a [`Caller`] the [`Platform`] reports.
//!
//! ```
//! use logbuf::console::{Caller, ContextClass, Platform};
//!
//! /// A single-core board: everything runs on core 0; `IN_IRQ` would come
//! /// from the interrupt controller on real hardware.
//! struct Board;
//! impl Platform for Board {
//!     fn caller() -> Caller {
//!         Caller::thread(0, 1)
//!     }
//!     fn now() -> u64 {
//!         0 // a free-running microsecond timer on real hardware
//!     }
//!     fn wake_printer() {
//!         // e.g. pend the lowest-priority interrupt (see `Logger::printer`)
//!     }
//! }
//! assert_eq!(Board::caller().class, ContextClass::Thread);
//! ```

use super::config::Config;

/// The kind of context a call runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextClass {
    /// Thread mode, an RTOS task or an async task: may be preempted, may
    /// print for a long time.
    Thread,
    /// An interrupt or exception handler: must finish quickly (I5).
    Interrupt,
}

/// Where a call runs: its class, its core, and a small id recorded in each
/// record (thread number or interrupt number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    /// Thread or interrupt.
    pub class: ContextClass,
    /// Core number (0 on single-core parts).
    pub core: u8,
    /// Thread id or interrupt number, recorded in each record's header
    /// (7 bits kept).
    pub id: u8,
}

impl Caller {
    /// A thread-context caller.
    pub const fn thread(core: u8, id: u8) -> Caller {
        Caller {
            class: ContextClass::Thread,
            core,
            id,
        }
    }
    /// An interrupt-context caller: a device interrupt (NVIC IRQ number,
    /// PLIC source, ...). Numbers above [`ContextId::MAX_IRQ`] share its id.
    pub const fn interrupt(core: u8, irq: u8) -> Caller {
        Caller {
            class: ContextClass::Interrupt,
            core,
            id: if irq > ContextId::MAX_IRQ {
                ContextId::MAX_IRQ
            } else {
                irq
            },
        }
    }
    /// An interrupt-context caller running a system exception (Cortex-M
    /// exception numbers 1–15: NMI, HardFault, SVCall, PendSV, SysTick...),
    /// kept apart from device interrupts of the same number.
    pub const fn exception(core: u8, exception: u8) -> Caller {
        Caller {
            class: ContextClass::Interrupt,
            core,
            id: ContextId::EXCEPTION_BASE + (exception & 0x0f),
        }
    }
    /// Whether this is interrupt context.
    pub const fn is_interrupt(&self) -> bool {
        matches!(self.class, ContextClass::Interrupt)
    }
    /// The context id stored in records: bit 7 = interrupt, bits 0..7 = id.
    pub const fn context_id(&self) -> ContextId {
        ContextId(if self.is_interrupt() { 0x80 } else { 0 } | (self.id & 0x7f))
    }
}

/// The caller context recorded in a record header (one byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContextId(pub u8);

impl ContextId {
    /// Highest device interrupt number with an id of its own.
    pub const MAX_IRQ: u8 = 111;
    /// Interrupt ids from here on are system exceptions (id - base).
    pub const EXCEPTION_BASE: u8 = 112;

    /// Whether the record came from interrupt context.
    pub const fn is_interrupt(self) -> bool {
        self.0 & 0x80 != 0
    }
    /// Thread id or interrupt number.
    pub const fn id(self) -> u8 {
        self.0 & 0x7f
    }
}

impl ContextId {
    /// The printed name as a word and an optional number: (`"t"`, 3),
    /// (`"irq"`, 7), (`"systick"`, none), (`"exc"`, 9).
    pub(crate) fn parts(self) -> (&'static str, Option<u8>) {
        if !self.is_interrupt() {
            return ("t", Some(self.id()));
        }
        if self.id() < Self::EXCEPTION_BASE {
            return ("irq", Some(self.id()));
        }
        match self.id() - Self::EXCEPTION_BASE {
            2 => ("nmi", None),
            3 => ("hardfault", None),
            4 => ("memmanage", None),
            5 => ("busfault", None),
            6 => ("usagefault", None),
            11 => ("svcall", None),
            12 => ("debugmon", None),
            14 => ("pendsv", None),
            15 => ("systick", None),
            n => ("exc", Some(n)),
        }
    }
}

impl core::fmt::Display for ContextId {
    /// `t3` (thread 3), `irq7` (device interrupt 7), or the name of a
    /// system exception (`systick`, `pendsv`, `hardfault`, ... / `exc9`).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.parts() {
            (name, Some(n)) => write!(f, "{name}{n}"),
            (name, None) => f.write_str(name),
        }
    }
}

/// Priority of a request for the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Priority {
    /// Ordinary log calls and the printer.
    Normal = 1,
    /// Fault handlers: may take over at a record boundary.
    Emergency = 2,
    /// The panic handler: may take over mid-record.
    Panic = 3,
}

/// What the firmware tells the logger about its platform. Implement it on a
/// unit struct; all functions are called from any context and must not
/// block.
pub trait Platform {
    /// The configuration of every logger on this platform. A constant: the
    /// logger reads it at compile time (nothing per call) and a `static`
    /// logger stays all zero, in `.bss`.
    const CONFIG: Config = Config::DEFAULT;
    /// Whether a logger may also be built with another configuration at
    /// run time ([`Logger::with_config`](super::Logger::with_config)): for
    /// host tests and simulations that try many. It costs a decode of the
    /// stored configuration per use, so boards leave it off; building a
    /// logger with a configuration other than [`CONFIG`](Self::CONFIG)
    /// then fails (at compile time for a `static`).
    const RUNTIME_CONFIG: bool = false;
    /// The calling context.
    fn caller() -> Caller;
    /// Current time in the unit the line format prints (microseconds by
    /// default). Must be callable from any context; may go backwards (the
    /// logger stores what it gets).
    fn now() -> u64;
    /// Ask the printer context to run soon (pend a low-priority interrupt,
    /// signal an RTOS task, wake an async task). Called from any context
    /// when records were stored that the caller did not print.
    fn wake_printer();
}

/// Platform for host threads (feature `std`): every thread is thread
/// context; the core id is a stable small number per thread (255 for every
/// thread from the 256th on: it saturates, never wraps); time is
/// microseconds since first use; `wake_printer` does nothing (run
/// [`Logger::printer`](super::Logger::printer) from a thread).
#[cfg(feature = "std")]
pub struct StdThreads;

#[cfg(feature = "std")]
std::thread_local! {
    /// This thread's number: 0, 1, 2, ... in the order threads first log,
    /// then 255 for every thread from the 256th on (the counter saturates,
    /// it never wraps onto thread 0's number). Threads sharing 255 only
    /// never wait for each other's handover: each leaves its record to the
    /// owner, which prints it before it lets go (I3), so nothing is lost.
    static STD_THREAD: u8 = {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        // Ordering: Relaxed; only hands out numbers.
        NEXT.fetch_add(1, Ordering::Relaxed).min(u8::MAX as u32) as u8
    };
}

#[cfg(feature = "std")]
impl Platform for StdThreads {
    const RUNTIME_CONFIG: bool = true;
    fn caller() -> Caller {
        let id = STD_THREAD.with(|id| *id);
        Caller::thread(id, id)
    }
    fn now() -> u64 {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_micros() as u64
    }
    fn wake_printer() {}
}

/// Single-core Cortex-M (feature `cortex-m`, ARM targets only): interrupt
/// context when IPSR is non-zero — [`Caller::interrupt`] with the IRQ number
/// (exception number - 16) for device interrupts, [`Caller::exception`] for
/// system exceptions (SysTick prints as `systick`, not `irq15`) — core 0.
/// Use it as the body of [`Platform::caller`].
#[cfg(all(feature = "cortex-m", target_arch = "arm"))]
pub fn cortex_m_caller() -> Caller {
    let ipsr: u32;
    // SAFETY: reading IPSR has no side effects and is valid in any mode.
    unsafe {
        core::arch::asm!("mrs {}, IPSR", out(reg) ipsr, options(nomem, nostack, preserves_flags));
    }
    let exc = ipsr & 0x1ff;
    if exc == 0 {
        Caller::thread(0, 0)
    } else if exc >= 16 {
        Caller::interrupt(0, (exc - 16).min(255) as u8)
    } else {
        Caller::exception(0, exc as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[cfg(feature = "std")]
    #[test]
    fn std_thread_numbers_saturate_instead_of_wrapping() {
        // Other tests take numbers too, so only the order is known: the
        // numbers never go down, and thread 300 of this test has 255.
        let mut last = 0u8;
        for _ in 0..300 {
            let core = std::thread::spawn(|| StdThreads::caller().core)
                .join()
                .unwrap();
            assert!(core >= last, "thread number wrapped: {last} then {core}");
            last = core;
        }
        assert_eq!(last, u8::MAX);
    }

    #[test]
    fn system_exceptions_and_irqs_of_the_same_number_differ() {
        let systick = Caller::exception(0, 15).context_id();
        let irq15 = Caller::interrupt(0, 15).context_id();
        assert_ne!(systick, irq15);
        assert_eq!(format!("{systick}"), "systick");
        assert_eq!(format!("{irq15}"), "irq15");
        assert_eq!(
            format!("{}", Caller::exception(0, 3).context_id()),
            "hardfault"
        );
        assert_eq!(format!("{}", Caller::exception(0, 9).context_id()), "exc9");
        assert_eq!(format!("{}", Caller::thread(0, 4).context_id()), "t4");
        // IRQ numbers past the id space share the last id, never an exception's.
        assert_eq!(
            format!("{}", Caller::interrupt(0, 200).context_id()),
            "irq111"
        );
    }
}
