//! I9 in numbers: a 115200-baud UART console (16-byte FIFO that would-blocks
//! when full, 80-byte lines: 144 lines/s) under producers at 2x, 10x, 100x
//! and 1000x its line rate, with an 8 KiB and a 64 KiB ring, in a
//! deterministic simulation (a simulated clock, one thread, no timing).
//!
//! The UART's TX-half-empty interrupt runs the printer; every log call may
//! print directly (thread budget). WARN records arrive at 10 % of the line
//! rate amid a DEBUG flood. Checked per case:
//!
//! * goodput: at least 80 % of the bytes the UART could send during the
//!   load went to real records (not notices, not idle);
//! * at least 99 % of WARN records reach the UART;
//! * printed + dropped = produced, and the notices announce every drop;
//! * no torn line: every record line carries its own self-checking payload.

use logbuf::console::{Caller, Logger, Platform, PrinterStatus};
use logbuf::sinks::{Sink, SinkError};
use logbuf::{Level, LevelFilter};
use std::cell::Cell;
use std::sync::{Arc, Mutex};

const NS: u64 = 1_000_000_000;
/// 115200 baud, 10 bits per byte.
const BYTE_NS: u64 = NS * 10 / 115_200;
const FIFO: u64 = 16;
const LINE: usize = 80;
const LINES_PER_S: u64 = NS / (BYTE_NS * LINE as u64);
/// Simulated load time.
const LOAD_NS: u64 = 2 * NS;

thread_local! {
    static NOW: Cell<u64> = const { Cell::new(0) };
}

struct Sim;
impl Platform for Sim {
    const RUNTIME_CONFIG: bool = true;
    fn caller() -> Caller {
        Caller::thread(0, 0)
    }
    fn now() -> u64 {
        NOW.with(|n| n.get()) / 1000
    }
    fn wake_printer() {}
}

/// The UART: what it accepted, when, and its FIFO level at `at`.
#[derive(Default)]
struct Wire {
    bytes: Vec<u8>,
    times: Vec<u64>,
    level: u64,
    at: u64,
}

impl Wire {
    fn drain_to(&mut self, now: u64) {
        let sent = (now - self.at) / BYTE_NS;
        self.level = self.level.saturating_sub(sent);
        self.at += sent * BYTE_NS;
        if self.level == 0 {
            self.at = now;
        }
    }
}

struct Uart(Arc<Mutex<Wire>>);
impl Sink for Uart {
    fn write(&mut self, b: &[u8]) -> Result<usize, SinkError> {
        let now = NOW.with(|n| n.get());
        let mut w = self.0.lock().unwrap();
        w.drain_to(now);
        let n = (FIFO - w.level).min(b.len() as u64) as usize;
        if n == 0 {
            return Err(SinkError::WouldBlock);
        }
        w.level += n as u64;
        w.bytes.extend_from_slice(&b[..n]);
        w.times.extend(std::iter::repeat_n(now, n));
        Ok(n)
    }
    fn any_context(&self) -> bool {
        true
    }
}

/// The shape of a load: how much faster than the UART the producers are,
/// and whether lines vary in length and records arrive with jitter.
#[derive(Clone, Copy)]
struct Load {
    ratio: u64,
    mixed: bool,
}

/// Line length of record `id`: 80 bytes, or 40..=130 for a mixed load.
fn line_len(load: Load, id: u64) -> usize {
    if load.mixed {
        40 + (id.wrapping_mul(2_654_435_761) % 91) as usize
    } else {
        LINE
    }
}

/// A payload that makes the whole line `line_len` bytes and checks itself:
/// `w=000017 ` or `d=000017 ` then a pattern of the id.
fn payload(load: Load, warn: bool, id: u64) -> String {
    let head = format!("{}={id:06} ", if warn { 'w' } else { 'd' });
    // "[    1.000000] DEBUG t0: " is 25 bytes, the newline 1.
    let body: String = (0..line_len(load, id) - 26 - head.len())
        .map(|k| (b'a' + ((id as usize + k) % 26) as u8) as char)
        .collect();
    head + &body
}

/// Arrival time of record `n`: evenly spaced, or with up to +-40 % jitter.
fn arrival(load: Load, n: u64, rate: u64) -> u64 {
    let even = n * NS / rate;
    if !load.mixed || n == 0 {
        return even;
    }
    let jitter = (n.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) % 81; // 0..=80
    even + (NS / rate) * jitter / 100 - (NS / rate) * 40 / 100
}

#[derive(Debug, Default)]
struct Outcome {
    goodput: f64,
    warn_made: u64,
    warn_seen: u64,
}

fn run<const W: usize, const S: usize>(load: Load) -> Outcome {
    let ratio = load.ratio;
    NOW.with(|n| n.set(0));
    let log: &'static Logger<Sim, W, S, 1> = Box::leak(Box::new(Logger::new()));
    let wire = Arc::new(Mutex::new(Wire::default()));
    let uart: &'static mut Uart = Box::leak(Box::new(Uart(wire.clone())));
    log.add_console(uart, LevelFilter::Trace).unwrap();
    let rate = ratio * LINES_PER_S;
    let warn_every = rate * 10 / LINES_PER_S; // 10 % of the line rate
    let (mut made, mut warn_made) = (0u64, 0u64);
    let mut next_tx = 0;
    loop {
        let next_rec = arrival(load, made, rate);
        let now = next_rec.min(next_tx);
        NOW.with(|n| n.set(now));
        if now >= LOAD_NS {
            break;
        }
        if now == next_tx {
            log.printer(); // the TX-half-empty interrupt
            next_tx += FIFO / 2 * BYTE_NS;
        } else {
            let phase = if load.mixed { made / warn_every % 7 } else { 0 };
            let warn = made % warn_every == (warn_every / 2 + phase) % warn_every;
            warn_made += warn as u64;
            let level = if warn { Level::Warn } else { Level::Debug };
            log.log(level, format_args!("{}", payload(load, warn, made)));
            made += 1;
        }
    }
    // Drain: the printer until idle, time running on.
    let mut t = LOAD_NS;
    for _ in 0..10_000_000 {
        t += FIFO / 2 * BYTE_NS;
        NOW.with(|n| n.set(t));
        if log.printer() == PrinterStatus::Idle && wire.lock().unwrap().level == 0 {
            break;
        }
    }
    let w = wire.lock().unwrap();
    check(
        load,
        log.console_stats(log.console_at(0).unwrap()).unwrap(),
        made,
        &w,
        warn_made,
    )
}

fn check(
    load: Load,
    st: logbuf::console::ConsoleStats,
    made: u64,
    w: &Wire,
    warn_made: u64,
) -> Outcome {
    let text = String::from_utf8(w.bytes.clone()).expect("ASCII only");
    let dropped = st.overwritten + st.skipped + st.sink_failed + st.unstored;
    assert_eq!(
        st.printed + dropped,
        made,
        "printed + dropped = produced: {st:?}"
    );
    let (mut good, mut at, mut warn_seen, mut announced) = (0u64, 0usize, 0u64, 0u64);
    let mut last_id = None;
    for line in text.split_inclusive('\n') {
        let end_time = w.times[at + line.len() - 1];
        at += line.len();
        if let Some(n) = notice_count(line) {
            announced += n;
            continue;
        }
        let body = line.trim_end().split(": ").nth(1).expect("a record line");
        let id: u64 = body[2..8].parse().expect("record id");
        assert_eq!(body, payload(load, body.starts_with('w'), id), "torn line");
        assert!(last_id < Some(id), "order kept");
        last_id = Some(id);
        warn_seen += body.starts_with('w') as u64;
        // Accepted early enough to be on the wire by the end of the load.
        if end_time + FIFO * BYTE_NS <= LOAD_NS {
            good += line.len() as u64;
        }
    }
    assert_eq!(announced, dropped, "every drop announced once");
    assert_eq!(st.announced, dropped);
    Outcome {
        goodput: good as f64 / (LOAD_NS / BYTE_NS) as f64,
        warn_made,
        warn_seen,
    }
}

fn notice_count(line: &str) -> Option<u64> {
    let rest = line.trim_end().strip_suffix(" dropped")?;
    let rest = rest
        .strip_suffix(" messages")
        .or_else(|| rest.strip_suffix(" message"))?;
    rest.rsplit(' ').next()?.parse().ok()
}

fn assert_useful(ring: &str, load: Load, o: &Outcome) {
    let ratio = load.ratio;
    let shape = if load.mixed { "mixed" } else { "80 B" };
    println!(
        "{ring} ring, {ratio:>4}x, {shape}: goodput {:5.1} %, WARN {} of {}",
        100.0 * o.goodput,
        o.warn_seen,
        o.warn_made
    );
    assert!(
        o.goodput >= 0.80,
        "{ring} {ratio}x: goodput {:.3}",
        o.goodput
    );
    assert!(
        o.warn_seen * 100 >= o.warn_made * 99,
        "{ring} {ratio}x: WARN {} of {}",
        o.warn_seen,
        o.warn_made
    );
}

#[test]
fn uart_8k_ring_stays_useful_at_2_10_100_1000x() {
    for ratio in [2, 10, 100, 1000] {
        let load = Load {
            ratio,
            mixed: false,
        };
        assert_useful("8 KiB", load, &run::<8192, 128>(load));
    }
}

#[test]
fn uart_64k_ring_stays_useful_at_2_10_100_1000x() {
    for ratio in [2, 10, 100, 1000] {
        let load = Load {
            ratio,
            mixed: false,
        };
        assert_useful("64 KiB", load, &run::<65536, 1024>(load));
    }
}

/// Other schedules and inputs: lines of 40 to 130 bytes, arrivals with
/// jitter, WARN records at shifting phases, ratios in between.
#[test]
fn uart_stays_useful_with_mixed_lines_and_jitter() {
    for ratio in [3, 30, 300] {
        let load = Load { ratio, mixed: true };
        assert_useful("8 KiB", load, &run::<8192, 128>(load));
        assert_useful("64 KiB", load, &run::<65536, 1024>(load));
    }
}
