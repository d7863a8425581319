//! Issue 14, "one record, one line": whatever a record contains, every line
//! a text console prints belongs to exactly one record (or is one of
//! logbuf's own notices) and parses as such, under every `LineFormat` and
//! for escaped and raw sinks alike. Records arrive through `Logger::log`,
//! the macros, `log_bytes` and the `log` facade; the output is read back by
//! the strict parser the fuzz harness uses (`fuzz/harness/lines.rs`).

mod fe_support;

#[path = "../fuzz/harness/lines.rs"]
#[allow(dead_code)]
mod lines;

use fe_support::Board;
use lines::{items, shown, Item};
use logbuf::console::{Config, LineFormat, Logger};
use logbuf::ring::RecordMeta;
use logbuf::sinks::{Capture, TextMode};
use logbuf::{info, Level, LevelFilter, STATIC_MAX_LEVEL};

type Log = Logger<Board, 4096, 64, 1>;

/// What a record could contain to forge lines, notices, or a terminal.
const HOSTILE: &[&[u8]] = &[
    b"home\n[    0.000001] ERROR t0: forged line\x1b[2J\x07",
    b"raw\r\n\x00\xff bytes",
    b"\n\n\n",
    b"\n",
    b"",
    b"! 3 messages dropped",
    b"1 message dropped",
    b"ok\n! 1 message dropped\n[    0.000000] WARN  logbuf: ! 5 messages dropped",
    b"| looks like a continuation",
    b"x\n| y\n|\n! z",
    b"WARN  logbuf: 7 messages dropped",
    b"logbuf: ! 2 messages dropped",
    b"\n! logbuf: output cut by panic takeover; record replayed:\n",
    b"[logbuf] output cut by panic takeover; record replayed:",
    b"back\\slash \\x21 not an escape",
    b"\xc2\x9b31m C1 CSI, \xe2\x80\xa8 line separator, \xe2\x80\xae bidi",
    b"\xf0\x9f\x92\xa9 valid UTF-8 \xc3\xa9 stays",
    b"\xc3 cut UTF-8 \xff\xfe",
    b"\r[    9.999999] INFO  t0: overwritten by CR",
    b"trailing\r\n",
];

/// Every combination of the three prefix fields.
fn formats() -> impl Iterator<Item = LineFormat> {
    (0..8).map(|f| {
        LineFormat::DEFAULT
            .with_timestamp(f & 1 == 0)
            .with_level(f & 2 == 0)
            .with_context(f & 4 == 0)
    })
}

fn logger(line: LineFormat, mode: TextMode) -> (&'static Log, Capture) {
    let log: &'static Log = Box::leak(Box::new(Logger::with_config(Config {
        line,
        ..Config::DEFAULT
    })));
    let cap = Capture::new();
    cap.set_text_mode(mode);
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    (log, cap)
}

/// The console's output as items; fails the test if it does not parse.
fn parsed(cap: &Capture, line: &LineFormat, mode: TextMode) -> Vec<Item> {
    let out = cap.bytes();
    items(&out, line, mode)
        .unwrap_or_else(|e| panic!("{line:?} {mode:?}: {e}\n{}", String::from_utf8_lossy(&out)))
}

/// The record item `text` is expected to become at `level` from `t0`.
fn record(line: &LineFormat, level: Level, text: &[u8]) -> Item {
    Item::Record {
        level: line.level.then(|| format!("{:<5}", level.as_str())),
        context: line.context.then(|| "t0".to_string()),
        text: shown(text).to_vec(),
        lines: shown(text).split(|&b| b == b'\n').count(),
    }
}

#[test]
fn hostile_records_through_log_and_log_bytes_stay_one_record_each() {
    for line in formats() {
        for mode in [TextMode::Escaped, TextMode::Raw] {
            let (log, cap) = logger(line, mode);
            let mut want = Vec::new();
            for (i, &p) in HOSTILE.iter().enumerate() {
                let level = [Level::Info, Level::Warn, Level::Error][i % 3];
                assert!(log.log_bytes(RecordMeta::new(level), p));
                want.push(record(&line, level, p));
                if let Ok(s) = std::str::from_utf8(p) {
                    assert!(log.log(level, format_args!("{s}")));
                    want.push(record(&line, level, p));
                }
            }
            let got = parsed(&cap, &line, mode);
            assert_eq!(got, want, "{line:?} {mode:?}");
            assert_eq!(
                log.console_stats(log.console_at(0).unwrap())
                    .unwrap()
                    .printed as usize,
                want.len()
            );
        }
    }
}

#[test]
fn the_issue_example_prints_as_two_prefixed_lines_of_one_record() {
    let (log, cap) = logger(LineFormat::DEFAULT, TextMode::Escaped);
    fe_support::set_clock(1_000_000);
    let ssid = "home\n[    0.000001] ERROR t0: forged line\x1b[2J\x07";
    log.log(Level::Info, format_args!("joined {}", ssid));
    log.log_bytes(RecordMeta::new(Level::Info), b"raw\r\n\x00\xff bytes");
    assert_eq!(
        cap.text(),
        "[    1.000000] INFO  t0: joined home\n\
         [    1.000000] INFO  t0: | [    0.000001] ERROR t0: forged line\\x1b[2J\\x07\n\
         [    1.000000] INFO  t0: raw\\x0d\n\
         [    1.000000] INFO  t0: | \\x00\\xff bytes\n"
    );
}

#[test]
fn hostile_records_through_the_info_macro() {
    let (log, cap) = logger(LineFormat::DEFAULT, TextMode::Escaped);
    let mut want = Vec::new();
    for &p in HOSTILE {
        let Ok(s) = std::str::from_utf8(p) else {
            continue;
        };
        let stored = info!(log, "{}", s);
        // `--all-features` sets the compile-time floor to off.
        assert_eq!(stored, STATIC_MAX_LEVEL.allows(Level::Info));
        if stored {
            want.push(record(&LineFormat::DEFAULT, Level::Info, p));
        }
    }
    assert_eq!(parsed(&cap, &LineFormat::DEFAULT, TextMode::Escaped), want);
}

#[cfg(feature = "log")]
#[test]
fn hostile_records_through_the_log_facade() {
    static FACADE: Log = Logger::new();
    let cap = Capture::new();
    FACADE
        .add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    logbuf::frontends::log::init(&FACADE, LevelFilter::Trace).unwrap();
    let mut want = Vec::new();
    for &p in HOSTILE {
        let Ok(s) = std::str::from_utf8(p) else {
            continue;
        };
        log::warn!("{}", s);
        want.push(record(&LineFormat::DEFAULT, Level::Warn, p));
    }
    assert_eq!(parsed(&cap, &LineFormat::DEFAULT, TextMode::Escaped), want);
}

/// xorshift64*: deterministic, so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Arbitrary bytes, weighted towards the ones that matter here.
    fn payload(&mut self) -> Vec<u8> {
        const SPECIAL: &[u8] = b"\n\n\n\r\x1b\0!|\\ \x7f\xc2\x9b\xe2\x80\xa8\xff";
        let len = (self.next() % 40) as usize;
        (0..len)
            .map(|_| match self.next() % 3 {
                0 => SPECIAL[(self.next() % SPECIAL.len() as u64) as usize],
                1 => self.next() as u8,
                _ => b'a' + (self.next() % 26) as u8,
            })
            .collect()
    }
}

/// Arbitrary payload bytes, formats and sink modes, with real notices in
/// between (a ring too small for what is logged before the console
/// prints): the output splits into exactly the records that survived, in
/// order, each one group of lines, and exactly the notices the console
/// counted.
#[test]
fn arbitrary_payloads_split_into_one_group_per_record_in_order() {
    type Small = Logger<Board, 256, 8, 1>;
    let mut all_notices = 0;
    for seed in 0..400u64 {
        let mut rng = Rng((seed + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let line = formats().nth((rng.next() % 8) as usize).unwrap();
        let mode = [TextMode::Escaped, TextMode::Raw][(rng.next() % 2) as usize];
        let log: &'static Small = Box::leak(Box::new(Logger::with_config(Config {
            line,
            direct_print: false,
            ..Config::DEFAULT
        })));
        let cap = Capture::new();
        cap.set_text_mode(mode);
        log.add_console(cap.leak_sink(), LevelFilter::Trace)
            .unwrap();
        let mut logged = Vec::new();
        for _ in 0..(1 + rng.next() % 4) {
            for _ in 0..(1 + rng.next() % 12) {
                let p = rng.payload();
                assert!(log.log_bytes(RecordMeta::new(Level::Info), &p));
                logged.push(p);
            }
            log.printer();
        }
        let got = parsed(&cap, &line, mode);
        let st = log.console_stats(log.console_at(0).unwrap()).unwrap();
        let notices: u64 = got
            .iter()
            .map(|i| if let Item::Notice(n) = i { *n } else { 0 })
            .sum();
        assert_eq!(notices, st.announced, "seed {seed}");
        all_notices += notices;
        // The records printed are a subsequence of those logged, in order.
        let mut from = 0;
        for it in got.iter().filter(|i| matches!(i, Item::Record { .. })) {
            let k = (from..logged.len())
                .find(|&k| *it == record(&line, Level::Info, &logged[k]))
                .unwrap_or_else(|| panic!("seed {seed}: {it:?} is no record from #{from}"));
            from = k + 1;
        }
        let records = got.len() - got.iter().filter(|i| matches!(i, Item::Notice(_))).count();
        assert_eq!(records as u64, st.printed, "seed {seed}");
    }
    assert!(
        all_notices > 0,
        "the ring was never overrun: no real notice"
    );
}
