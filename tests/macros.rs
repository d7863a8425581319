//! The logging macros against a capturing console: levels, the
//! compile-time floor, runtime filters, truncation, argument formatting,
//! context and timestamps.
//!
//! Every expectation is computed from `logbuf::STATIC_MAX_LEVEL`, so the
//! file is right both in a plain build (everything compiled in) and under
//! `--all-features` (which enables `max_level_off`: nothing is compiled in,
//! and these tests then check that nothing is stored or even evaluated).

mod fe_support;

use fe_support::{as_caller, logger_with_console, messages, set_clock, TestLogger};
use logbuf::console::{Caller, Logger};
use logbuf::sinks::Capture;
use logbuf::{debug, error, info, log, trace, warn, Level, LevelFilter, STATIC_MAX_LEVEL};
use std::cell::Cell;
use std::fmt;

fn compiled(l: Level) -> bool {
    STATIC_MAX_LEVEL.allows(l)
}

#[test]
fn each_macro_logs_at_its_level() {
    let (lg, cap) = logger_with_console();
    set_clock(1_000_002);
    let stored = [
        error!(lg, "e{}", 1),
        warn!(lg, "w{}", 2),
        info!(lg, "i{}", 3),
        debug!(lg, "d{}", 4),
        trace!(lg, "t{}", 5),
    ];
    let all = [
        (Level::Error, "e1"),
        (Level::Warn, "w2"),
        (Level::Info, "i3"),
        (Level::Debug, "d4"),
        (Level::Trace, "t5"),
    ];
    let want: Vec<String> = all
        .iter()
        .filter(|(l, _)| compiled(*l))
        .map(|(l, m)| format!("[    1.000002] {:<5} t0: {m}", l.as_str()))
        .collect();
    assert_eq!(cap.lines(), want);
    assert_eq!(stored, all.map(|(l, _)| compiled(l)));
}

#[test]
fn compile_time_floor_does_not_even_evaluate_arguments() {
    let (lg, cap) = logger_with_console();
    let evaluated = Cell::new(0);
    let arg = || {
        evaluated.set(evaluated.get() + 1);
        7
    };
    trace!(lg, "{}", arg());
    error!(lg, "{}", arg());
    let want = compiled(Level::Trace) as i32 + compiled(Level::Error) as i32;
    assert_eq!(evaluated.get(), want);
    assert_eq!(cap.lines().len() as i32, want);
}

/// Counts how often it is formatted.
struct Counted<'a>(&'a Cell<u32>);
impl fmt::Display for Counted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.set(self.0.get() + 1);
        f.write_str("counted")
    }
}

#[test]
fn runtime_filters_global_and_per_console() {
    let (lg, cap0) = logger_with_console();
    let cap1 = Capture::new();
    lg.add_console(cap1.leak_sink(), LevelFilter::Trace)
        .unwrap();
    lg.set_console_level(lg.console_at(1).unwrap(), LevelFilter::Error)
        .unwrap();
    lg.set_level(LevelFilter::Warn);

    let fmt_calls = Cell::new(0);
    assert!(!info!(lg, "{}", Counted(&fmt_calls)));
    assert_eq!(fmt_calls.get(), 0, "a filtered call formats nothing");
    let stored = warn!(lg, "{}", Counted(&fmt_calls));
    assert_eq!(stored, compiled(Level::Warn));
    // A short line is formatted once (on the stack, then copied).
    assert_eq!(fmt_calls.get(), if stored { 1 } else { 0 });
    error!(lg, "bad");

    let want0: Vec<&str> = [(Level::Warn, "counted"), (Level::Error, "bad")]
        .into_iter()
        .filter(|(l, _)| compiled(*l))
        .map(|(_, m)| m)
        .collect();
    assert_eq!(messages(&cap0), want0);
    let want1: Vec<&str> = want0.iter().copied().filter(|m| *m == "bad").collect();
    assert_eq!(messages(&cap1), want1);
    let st1 = lg.console_stats(lg.console_at(1).unwrap()).unwrap();
    assert_eq!(st1.filtered as usize, want0.len() - want1.len());

    lg.set_level(LevelFilter::Off);
    assert!(!error!(lg, "off"));
}

#[test]
fn log_macro_takes_a_runtime_level() {
    let (lg, cap) = logger_with_console();
    for (i, level) in [Level::Debug, Level::Error].into_iter().enumerate() {
        log!(lg, level, "n={}", i);
    }
    let want: Vec<String> = [(Level::Debug, "n=0"), (Level::Error, "n=1")]
        .iter()
        .filter(|(l, _)| compiled(*l))
        .map(|(l, m)| format!("{:<5} t0: {m}", l.as_str()))
        .collect();
    let got: Vec<String> = cap.lines().iter().map(|l| l[15..].to_string()).collect();
    assert_eq!(got, want);
}

#[derive(Debug)]
#[allow(dead_code)]
struct Sample {
    id: u16,
    name: &'static str,
    ratio: f32,
    tags: [u8; 3],
    next: Option<Box<Sample>>,
}

/// Logs through `info!` and formats with `format!`, for the same arguments.
macro_rules! same_as_format {
    ($lg:expr, $cap:expr, $($t:tt)*) => {{
        $cap.clear();
        info!($lg, $($t)*);
        let want = if compiled(Level::Info) { vec![format!($($t)*)] } else { vec![] };
        assert_eq!(messages(&$cap), want);
    }};
}

#[test]
fn formats_many_argument_types_like_format() {
    let (lg, cap) = logger_with_console();
    let x = -17i32;
    let name = String::from("pump");
    let sample = Sample {
        id: 3,
        name: "s",
        ratio: 0.25,
        tags: [1, 2, 3],
        next: Some(Box::new(Sample {
            id: 4,
            name: "t",
            ratio: -1.5,
            tags: [0; 3],
            next: None,
        })),
    };
    same_as_format!(lg, cap, "no arguments at all");
    same_as_format!(
        lg,
        cap,
        "{} {} {} {}",
        i8::MIN,
        u16::MAX,
        i64::MIN,
        u128::MAX
    );
    same_as_format!(
        lg,
        cap,
        "{:.3} {:e} {} {}",
        2.5f64 / 3.0,
        1234.5f32,
        f32::NAN,
        -0.0f64
    );
    same_as_format!(lg, cap, "{} {} {:?} {:?}", true, 'λ', 'q', "quote\"d");
    same_as_format!(lg, cap, "{:#x} {:#b} {:o} {:08.2}", 255, 5u8, 64, -1.5);
    same_as_format!(lg, cap, "[{:>6}] [{:<6}] [{:^6}] [{:*^7}]", 1, 2, 3, "mid");
    same_as_format!(lg, cap, "{x} {x:+} {name} {name:?}");
    same_as_format!(lg, cap, "{a}-{b}-{a}", a = 1, b = "two");
    same_as_format!(
        lg,
        cap,
        "{:?} {:?} {:?}",
        Some(5),
        None::<u8>,
        Ok::<_, ()>(1)
    );
    same_as_format!(lg, cap, "{:?}", sample);
    same_as_format!(lg, cap, "{:?} {:?}", [1.5, 2.5], &[(); 2]);
    same_as_format!(lg, cap, "{{literal braces}} {}%", 50);
    same_as_format!(lg, cap, "{0} {0:?} {1:.1$}", "w", 3);
}

#[test]
fn caller_context_and_timestamp_are_recorded() {
    let (lg, cap) = logger_with_console();
    set_clock(12_345_678);
    as_caller(Caller::interrupt(0, 7), || warn!(lg, "from an interrupt"));
    as_caller(Caller::thread(0, 3), || error!(lg, "from thread 3"));
    let want: Vec<&str> = [
        (Level::Warn, "[   12.345678] WARN  irq7: from an interrupt"),
        (Level::Error, "[   12.345678] ERROR t3: from thread 3"),
    ]
    .into_iter()
    .filter(|(l, _)| compiled(*l))
    .map(|(_, m)| m)
    .collect();
    assert_eq!(cap.lines(), want);
}

#[test]
fn too_long_for_the_ring_is_cut_and_flagged() {
    // 32 words: 12-byte header, so at most 116 payload bytes per record.
    let lg: &'static Logger<fe_support::Board, 128, 8, 1> = Box::leak(Box::new(Logger::new()));
    let cap = Capture::new();
    lg.add_console(cap.leak_sink(), LevelFilter::Trace).unwrap();
    let long = "0123456789".repeat(30);
    error!(lg, "{}", long);
    let want: Vec<String> = if compiled(Level::Error) {
        vec![format!("{} [truncated]", &long[..116])]
    } else {
        vec![]
    };
    assert_eq!(messages(&cap), want);
}

#[test]
fn longer_than_a_console_line_is_printed_cut_with_a_note() {
    let (lg, cap): (&'static TestLogger, _) = logger_with_console();
    let long = "x".repeat(logbuf::console::LINE_MAX + 40);
    error!(lg, "{long}");
    let want: Vec<String> = if compiled(Level::Error) {
        vec![format!(
            "{} [+40 bytes]",
            &long[..logbuf::console::LINE_MAX]
        )]
    } else {
        vec![]
    };
    assert_eq!(messages(&cap), want);
}
