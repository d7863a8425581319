//! The demo's simulation core: a firmware on the host.
//!
//! Threads play the contexts of a dual-core firmware: producer threads in
//! the roles of thread mode and of high-rate interrupts on cores 0 and 1 (a thread-local says which role
//! a thread plays, and [`Sim`]'s `caller()` reports it), a printer thread
//! in the role of the lowest-priority interrupt that runs
//! `Logger::printer()` when `Platform::wake_printer` pends it, and two
//! consoles: a fast one (RTT-like, memory) and a 115200-baud UART whose
//! 16-byte FIFO drains at ~11.5 bytes per millisecond.
//!
//! `examples/demo/main.rs` runs it with flags; `tests/demo.rs` runs it with
//! small parameters and checks that the numbers balance.
#![allow(dead_code)]

use logbuf::console::{
    Budget, Caller, Config, ConsoleStats, Logger, LoggerStats, Platform, PrinterStatus,
};
use logbuf::ring::DropCounts;
use logbuf::sinks::{Sink, SinkError};
use logbuf::{Level, LevelFilter};
use std::cell::Cell;
use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// What to simulate.
#[derive(Clone, Debug)]
pub struct Params {
    /// How long the producers run.
    pub run: Duration,
    /// Thread-mode producers.
    pub threads: u32,
    /// Records per second per thread-mode producer.
    pub thread_rate: u32,
    /// Interrupt producers.
    pub irqs: u32,
    /// Records per second per interrupt producer.
    pub irq_rate: u32,
    /// Records per interrupt burst (one "interrupt" logs this many at once).
    pub burst: u32,
    /// Baud rate of the slow console (8N1: 10 bits per byte).
    pub baud: u32,
    /// Ring size in KiB: 4, 16 or 64.
    pub ring_kib: u32,
    /// Records an interrupt-context log call may print.
    pub irq_budget: u32,
    /// Print progress and excerpts (false in tests).
    pub verbose: bool,
    /// Echo the UART console to stdout as it prints.
    pub echo: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            run: Duration::from_secs(3),
            threads: 2,
            thread_rate: 500,
            irqs: 2,
            irq_rate: 5_000,
            burst: 8,
            baud: 115_200,
            ring_kib: 16,
            irq_budget: 2,
            verbose: true,
            echo: false,
        }
    }
}

/// One console's numbers.
#[derive(Clone, Debug)]
pub struct ConsoleReport {
    /// Console name.
    pub name: &'static str,
    /// Records logged while the console existed (stored or lost by writers).
    pub produced: u64,
    /// The console's counters.
    pub stats: ConsoleStats,
    /// Bytes the sink took.
    pub bytes: u64,
    /// What it printed while the producers ran.
    pub load: LoadShare,
}

impl ConsoleReport {
    /// Records this console never printed: overwritten before it got to
    /// them, failed, or never stored.
    pub fn dropped(&self) -> u64 {
        self.stats.overwritten + self.stats.skipped + self.stats.sink_failed + self.stats.unstored
    }
    /// printed + filtered + dropped = produced (I2).
    pub fn balanced(&self) -> bool {
        self.stats.printed + self.stats.filtered + self.dropped() == self.produced
    }
}

/// What a run did.
#[derive(Clone, Debug)]
pub struct Report {
    /// The consoles: fast, then UART.
    pub consoles: Vec<ConsoleReport>,
    /// Logger-wide counters.
    pub logger: LoggerStats,
    /// Records writers could not store.
    pub lost: DropCounts,
    /// From the first record to the last byte printed.
    pub elapsed: Duration,
    /// Budget of interrupt-context calls (records).
    pub irq_budget: u32,
    /// The UART console's last lines.
    pub uart_tail: Vec<String>,
}

impl Report {
    /// Every console balanced and every drop announced.
    pub fn balanced(&self) -> bool {
        self.consoles
            .iter()
            .all(|c| c.balanced() && c.stats.announced == c.dropped())
    }

    /// The summary table.
    pub fn table(&self) -> String {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let mut s = String::new();
        s += "console  |  produced |   printed |   dropped | announced | lines/s |    KB/s | balance\n";
        s += "---------+-----------+-----------+-----------+-----------+---------+---------+--------\n";
        for c in &self.consoles {
            s += &format!(
                "{:<8} | {:>9} | {:>9} | {:>9} | {:>9} | {:>7.0} | {:>7.1} | {}\n",
                c.name,
                c.produced,
                c.stats.printed,
                c.dropped(),
                c.stats.announced,
                c.stats.printed as f64 / secs,
                c.bytes as f64 / secs / 1000.0,
                if c.balanced() { "ok" } else { "MISMATCH" },
            );
        }
        s += "\nwhile the producers ran: console | record lines | notice lines | bytes on real records\n";
        for c in &self.consoles {
            s += &format!(
                "{:<8} | {:>12} | {:>12} | {:>5.1} %\n",
                c.name,
                c.load.record_lines,
                c.load.notice_lines,
                100.0 * c.load.goodput()
            );
        }
        let l = &self.logger;
        s += &format!(
            "\nhandoffs {}  takeovers {}  waiter timeouts {}  printer wakes {}  budget exhausted {}\n",
            l.handoffs, l.takeovers, l.waiter_timeouts, l.printer_wakes, l.budget_exhausted
        );
        s += &format!(
            "most records printed by one interrupt-context call: {} (budget {})\n",
            l.max_irq_records, self.irq_budget
        );
        s += &format!(
            "ring: lost by writers {} (busy {}, full {}, contention {}); run {:.2} s\n",
            self.lost.total(),
            self.lost.busy,
            self.lost.full,
            self.lost.contention,
            secs
        );
        s
    }
}

// ---- the platform -------------------------------------------------------

thread_local! {
    static ROLE: Cell<Caller> = const { Cell::new(Caller::thread(0, 0)) };
}

static START: OnceLock<Instant> = OnceLock::new();
/// The printer's "interrupt pending" flag and its wake-up.
static PENDING: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

/// A dual-core board: the role (context class, core, id) comes from the
/// thread-local; time is microseconds since the first call.
pub struct Sim;

impl Platform for Sim {
    const RUNTIME_CONFIG: bool = true;
    fn caller() -> Caller {
        ROLE.with(|r| r.get())
    }
    fn now() -> u64 {
        START.get_or_init(Instant::now).elapsed().as_micros() as u64
    }
    fn wake_printer() {
        // Pend the printer "interrupt".
        let (m, cv) = &PENDING;
        *m.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_one();
    }
}

fn play(role: Caller) {
    ROLE.with(|r| r.set(role));
}

/// Waits until the printer is pended or `timeout` passes.
fn wait_pended(timeout: Duration) {
    let (m, cv) = &PENDING;
    let g = m.lock().unwrap_or_else(|e| e.into_inner());
    let (mut g, _) = cv
        .wait_timeout_while(g, timeout, |p| !*p)
        .unwrap_or_else(|e| e.into_inner());
    *g = false;
}

// ---- the consoles -------------------------------------------------------

/// Whether the producers are running (what a console prints meanwhile is
/// what the load share counts).
static LOADING: AtomicBool = AtomicBool::new(false);

/// Lines a console completed while the producers ran.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadShare {
    /// Lines of real records.
    pub record_lines: u64,
    /// Dropped-messages notice lines.
    pub notice_lines: u64,
    /// Bytes of real record lines.
    pub record_bytes: u64,
    /// All bytes of the lines counted.
    pub bytes: u64,
}

impl LoadShare {
    fn line(&mut self, line: &[u8]) {
        self.bytes += line.len() as u64;
        let text = String::from_utf8_lossy(line);
        if text.contains(" logbuf: ! ") && text.trim_end().ends_with(" dropped") {
            self.notice_lines += 1;
        } else {
            self.record_lines += 1;
            self.record_bytes += line.len() as u64;
        }
    }
    /// Share of the bytes that went to real records.
    pub fn goodput(&self) -> f64 {
        self.record_bytes as f64 / (self.bytes.max(1)) as f64
    }
}

/// What a console sink took: byte count and (bounded) text.
#[derive(Default)]
struct Taken {
    bytes: u64,
    text: Vec<u8>,
    echo: bool,
    /// The line being written, and what the finished ones added up to
    /// while the producers ran.
    line: Vec<u8>,
    load: LoadShare,
}

const KEEP_TEXT: usize = 1 << 20;

impl Taken {
    fn take(&mut self, b: &[u8]) {
        self.bytes += b.len() as u64;
        for &c in b {
            self.line.push(c);
            if c == b'\n' {
                if LOADING.load(Ordering::Relaxed) {
                    self.load.line(&self.line);
                }
                self.line.clear();
            }
        }
        if self.echo {
            let _ = std::io::stdout().write_all(b);
        }
        if self.text.len() + b.len() > KEEP_TEXT {
            let cut = (self.text.len() + b.len() - KEEP_TEXT).min(self.text.len());
            self.text.drain(..cut);
        }
        self.text.extend_from_slice(b);
    }
}

/// The fast console: takes everything at once (RTT, USB, a RAM buffer).
struct Fast(Arc<Mutex<Taken>>);
impl Sink for Fast {
    fn write(&mut self, b: &[u8]) -> Result<usize, SinkError> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take(b);
        Ok(b.len())
    }
    fn any_context(&self) -> bool {
        true
    }
}

/// A UART: a 16-byte TX FIFO that drains at baud/10 bytes per second;
/// would-block when it is full. Polling a FIFO is fine from any context.
struct Uart {
    taken: Arc<Mutex<Taken>>,
    /// Bytes in the FIFO at `at`.
    level: f64,
    at: Instant,
    bytes_per_sec: f64,
}
const FIFO: f64 = 16.0;

impl Sink for Uart {
    fn write(&mut self, b: &[u8]) -> Result<usize, SinkError> {
        let now = Instant::now();
        let drained = now.duration_since(self.at).as_secs_f64() * self.bytes_per_sec;
        self.level = (self.level - drained).max(0.0);
        self.at = now;
        let room = (FIFO - self.level).floor() as usize;
        if room == 0 {
            return Err(SinkError::WouldBlock);
        }
        let n = room.min(b.len());
        self.level += n as f64;
        self.taken
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take(&b[..n]);
        Ok(n)
    }
    fn any_context(&self) -> bool {
        true
    }
}

// ---- the run ------------------------------------------------------------

/// Runs the simulation.
pub fn run(p: &Params) -> Report {
    match p.ring_kib {
        0..=4 => run_with::<4096, 128>(p),
        5..=16 => run_with::<16384, 512>(p),
        _ => run_with::<65536, 2048>(p),
    }
}

fn run_with<const W: usize, const S: usize>(p: &Params) -> Report {
    let config = Config {
        irq_budget: Budget::records(p.irq_budget).with_bytes(256),
        ..Config::DEFAULT
    };
    let log: &'static Logger<Sim, W, S, 2> = Box::leak(Box::new(Logger::with_config(config)));
    let fast = Arc::new(Mutex::new(Taken::default()));
    let uart = Arc::new(Mutex::new(Taken {
        echo: p.echo,
        ..Taken::default()
    }));
    play(Caller::thread(0, 0));
    log.add_console(Box::leak(Box::new(Fast(fast.clone()))), LevelFilter::Trace)
        .expect("console");
    let uart_sink = Uart {
        taken: uart.clone(),
        level: 0.0,
        at: Instant::now(),
        bytes_per_sec: p.baud as f64 / 10.0,
    };
    log.add_console(Box::leak(Box::new(uart_sink)), LevelFilter::Trace)
        .expect("console");

    // Every log call goes through here so the demo knows what it produced.
    // (The `info!`-style macros compile to the same `Logger::log` call;
    // calling it directly keeps the simulation honest under any
    // `max_level_*` floor.)
    let produced = AtomicU64::new(0);
    let emit = |level: Level, args: std::fmt::Arguments<'_>| {
        produced.fetch_add(1, Ordering::Relaxed);
        log.log(level, args);
    };

    let start = Instant::now();
    emit(
        Level::Info,
        format_args!(
            "demo: {} thread producers x {}/s, {} interrupts x {}/s in bursts of {}, ring {} KiB",
            p.threads, p.thread_rate, p.irqs, p.irq_rate, p.burst, p.ring_kib
        ),
    );
    let stop = AtomicBool::new(false);
    let drain = AtomicBool::new(false);
    LOADING.store(true, Ordering::Relaxed);
    std::thread::scope(|s| {
        // The printer: the lowest-priority interrupt. Pended by
        // wake_printer; also polls every millisecond, as a UART TX-empty
        // interrupt would bring it back when the FIFO has room.
        let printer = s.spawn(|| {
            play(Caller::thread(0, 9));
            loop {
                wait_pended(Duration::from_millis(1));
                let status = log.printer();
                if drain.load(Ordering::Acquire) && status == PrinterStatus::Idle {
                    break;
                }
            }
        });
        let mut producers = Vec::new();
        for t in 0..p.threads {
            let (emit, stop) = (&emit, &stop);
            producers.push(s.spawn(move || {
                play(Caller::thread((t % 2) as u8, 1 + t as u8));
                paced(p.thread_rate, 1, stop, |n| {
                    let level = if n % 50 == 49 {
                        Level::Warn
                    } else {
                        Level::Info
                    };
                    emit(
                        level,
                        format_args!(
                            "sensor {t}: temp={}.{} C rpm={} n={n}",
                            20 + n % 7,
                            n % 10,
                            1200 + n % 300
                        ),
                    );
                });
            }));
        }
        for i in 0..p.irqs {
            let (emit, stop) = (&emit, &stop);
            producers.push(s.spawn(move || {
                let irq = 7 + i as u8;
                play(Caller::interrupt((i % 2) as u8, irq));
                paced(p.irq_rate, p.burst.max(1), stop, |n| {
                    emit(
                        Level::Debug,
                        format_args!("adc{irq} sample={} seq={n}", (n * 37) % 4096),
                    );
                });
            }));
        }
        // Main thread: progress while the producers run (one line updated
        // in place on a terminal).
        let tty = std::io::stdout().is_terminal();
        let mut last = Instant::now();
        while start.elapsed() < p.run {
            std::thread::sleep(Duration::from_millis(50));
            if p.verbose && !p.echo && last.elapsed() >= Duration::from_millis(250) {
                last = Instant::now();
                let f = log
                    .console_stats(log.console_at(0).unwrap())
                    .unwrap_or_default();
                let u = log
                    .console_stats(log.console_at(1).unwrap())
                    .unwrap_or_default();
                let _ = write!(
                    std::io::stdout(),
                    "{}[{:5.2} s] produced {:>8}  fast printed {:>8}  uart printed {:>6} dropped {:>8}   ",
                    if tty { "\r" } else { "\n" },
                    start.elapsed().as_secs_f64(),
                    produced.load(Ordering::Relaxed),
                    f.printed,
                    u.printed,
                    u.overwritten + u.skipped + u.unstored,
                );
                let _ = std::io::stdout().flush();
            }
        }
        LOADING.store(false, Ordering::Relaxed);
        stop.store(true, Ordering::Release);
        for h in producers {
            let _ = h.join();
        }
        emit(
            Level::Info,
            format_args!("demo: producers stopped; draining"),
        );
        // The printer finishes the backlog, then stops.
        drain.store(true, Ordering::Release);
        Sim::wake_printer();
        let _ = printer.join();
    });
    if p.verbose && !p.echo {
        let _ = writeln!(std::io::stdout());
    }
    let elapsed = start.elapsed();
    let produced = produced.load(Ordering::Relaxed);
    let consoles = [("fast", &fast), ("uart", &uart)]
        .iter()
        .enumerate()
        .map(|(i, (name, taken))| {
            let taken = taken.lock().unwrap_or_else(|e| e.into_inner());
            ConsoleReport {
                name,
                produced,
                stats: log
                    .console_stats(log.console_at(i).unwrap())
                    .unwrap_or_default(),
                bytes: taken.bytes,
                load: taken.load,
            }
        })
        .collect();
    let uart_text =
        String::from_utf8_lossy(&uart.lock().unwrap_or_else(|e| e.into_inner()).text).into_owned();
    let lines: Vec<String> = uart_text.lines().map(String::from).collect();
    Report {
        consoles,
        logger: log.stats(),
        lost: log.ring().dropped(),
        elapsed,
        irq_budget: p.irq_budget,
        uart_tail: lines[lines.len().saturating_sub(8)..].to_vec(),
    }
}

/// Calls `f(n)` about `rate` times per second in groups of `burst`, until
/// `stop`.
fn paced(rate: u32, burst: u32, stop: &AtomicBool, mut f: impl FnMut(u32)) {
    if rate == 0 {
        return;
    }
    let start = Instant::now();
    let mut n: u32 = 0;
    while !stop.load(Ordering::Acquire) {
        let due = (start.elapsed().as_secs_f64() * rate as f64) as u32;
        if n + burst <= due {
            for _ in 0..burst {
                f(n);
                n = n.wrapping_add(1);
            }
        } else {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}
