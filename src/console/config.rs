//! Logger configuration: budgets, presets, and where the configuration
//! lives (the platform's [`Platform::CONFIG`](super::Platform::CONFIG)).
//!
//! ```
//! use logbuf::console::{Budget, Caller, Config, Logger, Platform};
//!
//! struct Board;
//! impl Platform for Board {
//!     // Interrupt-context calls may print two short lines themselves.
//!     const CONFIG: Config = Config::IRQ_PRINTS;
//!     fn caller() -> Caller { Caller::thread(0, 0) }
//!     fn now() -> u64 { 0 }
//!     fn wake_printer() {}
//! }
//! static LOG: Logger<Board> = Logger::new(); // still all zero: in .bss
//! assert_eq!(LOG.config().irq_budget, Budget::records(2).with_bytes(256));
//! ```

use super::render::LineFormat;
use crate::Level;

/// How much printing one call may do before it leaves the rest to the
/// printer context (I5). A zero field means "no limit" except `records`,
/// where 0 means "never print here, only wake the printer".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Console steps (records printed, skipped or announced as dropped).
    pub records: u32,
    /// Bytes handed to sinks (0: no limit).
    pub bytes: u32,
    /// Clock ticks from [`Platform::now`](super::Platform::now) (0: no limit).
    pub ticks: u64,
}

impl Budget {
    /// No limit.
    pub const UNLIMITED: Budget = Budget {
        records: u32::MAX,
        bytes: 0,
        ticks: 0,
    };
    /// Never print: store, then wake the printer.
    pub const NONE: Budget = Budget {
        records: 0,
        bytes: 0,
        ticks: 0,
    };
    /// At most `n` records.
    pub const fn records(n: u32) -> Budget {
        Budget {
            records: n,
            bytes: 0,
            ticks: 0,
        }
    }
    /// Adds a byte limit.
    pub const fn with_bytes(mut self, bytes: u32) -> Budget {
        self.bytes = bytes;
        self
    }
    /// Adds a time limit in clock ticks.
    pub const fn with_ticks(mut self, ticks: u64) -> Budget {
        self.ticks = ticks;
        self
    }
}

/// Logger configuration; `const`, so it can sit in a `static`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Printing a thread-context log call may do.
    pub thread_budget: Budget,
    /// Printing an interrupt-context log call may do (I5).
    pub irq_budget: Budget,
    /// Whether log calls print at all (false: every call only stores and
    /// wakes the printer, the pure offload of the printk-kthread design).
    pub direct_print: bool,
    /// Spins a caller may wait for a handover from an owner on another core
    /// that is printing a record right now (0: never wait).
    pub waiter_spins: u32,
    /// Whether an interrupt-context caller may become the waiter (and be
    /// handed printing duty by a thread owner). Off by default.
    pub handoff_to_irq: bool,
    /// Whether the printer may displace a producer that owns the console
    /// and sits between records (preempted owner, critique problem 1).
    pub printer_takeover: bool,
    /// Spins an emergency caller waits for a handover at a record boundary.
    pub emergency_spins: u32,
    /// Spins the panic flush waits for a friendly handover before taking
    /// over mid-record; also the would-block retries per write while flushing.
    pub panic_spins: u32,
    /// Text line layout.
    pub line: LineFormat,
    /// Under overload (a console that cannot keep up while the ring
    /// overwrites), records at this severity or above go ahead of lower
    /// ones, which are skipped (counted, announced). Default: WARN.
    pub keep_level: Level,
}

impl Config {
    /// Defaults (I5, I11): an interrupt-context call only stores its record
    /// and wakes the printer — it never touches a sink, so it costs what
    /// storing costs, whatever the consoles are. A thread-context call
    /// prints at most 32 records, 2 KiB or 10 000 clock ticks (10 ms with a
    /// microsecond clock, the [`LineFormat::DEFAULT`] rate), checked before
    /// each line, then leaves the rest to the printer; it may wait up to
    /// 10 000 spins for a handover from an owner on another core.
    pub const DEFAULT: Config = Config {
        thread_budget: Budget::records(32).with_bytes(2048).with_ticks(10_000),
        irq_budget: Budget::NONE,
        direct_print: true,
        waiter_spins: 10_000,
        handoff_to_irq: false,
        printer_takeover: true,
        emergency_spins: 100_000,
        panic_spins: 1_000_000,
        line: LineFormat::DEFAULT,
        keep_level: Level::Warn,
    };

    /// Printer only: no log call prints, in any context; every call stores
    /// and wakes the printer, which drains everything (the printk
    /// printer-thread design). For boards with hard real-time threads too.
    pub const PRINTER_ONLY: Config = Config {
        direct_print: false,
        ..Config::DEFAULT
    };

    /// Interrupt-context calls also print, at most 2 records or 256 bytes,
    /// and only into sinks that may be written from any context (they
    /// never block: RTT, a would-block FIFO). For boards without a printer
    /// context whose fast consoles should show interrupt records at once.
    pub const IRQ_PRINTS: Config = Config {
        irq_budget: Budget::records(2).with_bytes(256),
        ..Config::DEFAULT
    };
}

impl Default for Config {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A configuration chosen at run time ([`Logger::with_config`](super::Logger::with_config)),
/// stored as words XOR-ed with those of the platform's
/// [`CONFIG`](super::Platform::CONFIG): all zero when it equals that, so a
/// `static` logger (ring included) stays in `.bss` instead of costing its
/// size again in flash (`.data`). Read only on platforms with
/// [`RUNTIME_CONFIG`](super::Platform::RUNTIME_CONFIG); on every other the
/// logger uses the constant and never loads these words.
#[derive(Clone, Copy)]
pub(crate) struct StoredConfig([u32; 14]);

impl StoredConfig {
    const fn words(c: &Config) -> [u32; 14] {
        let flags = c.direct_print as u32
            | (c.handoff_to_irq as u32) << 1
            | (c.printer_takeover as u32) << 2
            | (c.line.timestamp as u32) << 3
            | (c.line.level as u32) << 4
            | (c.line.context as u32) << 5;
        [
            c.thread_budget.records,
            c.thread_budget.bytes,
            c.thread_budget.ticks as u32,
            (c.thread_budget.ticks >> 32) as u32,
            c.irq_budget.records,
            c.irq_budget.bytes,
            c.irq_budget.ticks as u32,
            (c.irq_budget.ticks >> 32) as u32,
            flags,
            c.waiter_spins,
            c.emergency_spins,
            c.panic_spins,
            c.line.ticks_per_second,
            c.keep_level as u32,
        ]
    }

    /// `c` relative to `base` (the platform's constant).
    pub(crate) const fn new(c: &Config, base: &Config) -> Self {
        let (mut w, d) = (Self::words(c), Self::words(base));
        let mut i = 0;
        while i < w.len() {
            w[i] ^= d[i];
            i += 1;
        }
        StoredConfig(w)
    }

    /// Whether this is `base` itself.
    pub(crate) const fn is_base(&self) -> bool {
        let mut i = 0;
        while i < self.0.len() {
            if self.0[i] != 0 {
                return false;
            }
            i += 1;
        }
        true
    }

    pub(crate) fn get(&self, base: &Config) -> Config {
        let d = Self::words(base);
        let w: [u32; 14] = core::array::from_fn(|i| self.0[i] ^ d[i]);
        let budget = |i: usize| Budget {
            records: w[i],
            bytes: w[i + 1],
            ticks: w[i + 2] as u64 | (w[i + 3] as u64) << 32,
        };
        Config {
            thread_budget: budget(0),
            irq_budget: budget(4),
            direct_print: w[8] & 1 != 0,
            handoff_to_irq: w[8] & 2 != 0,
            printer_takeover: w[8] & 4 != 0,
            waiter_spins: w[9],
            emergency_spins: w[10],
            panic_spins: w[11],
            line: LineFormat {
                timestamp: w[8] & 8 != 0,
                level: w[8] & 16 != 0,
                context: w[8] & 32 != 0,
                ticks_per_second: w[12],
            },
            keep_level: Level::from_bits(w[13] as u8).unwrap_or(Level::Warn),
        }
    }
}
