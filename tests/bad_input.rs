//! Bad input everywhere: each test feeds the crate something wrong and
//! checks the documented outcome (HARDENING.md lists them all): a clear
//! error or a counted drop, never a panic, a hang or a silent loss.

use logbuf::ring::{Flags, Read, RecordMeta, Ring};
use logbuf::Level;

type R = Ring<256, 8>;
/// Index of the first slot word in a ring image (after the 9 index and
/// counter words, the pin words and the pin count).
const SLOT0: usize = 10 + logbuf::ring::PINS;

fn image_of(ring: &R) -> Vec<u32> {
    let mut img = vec![0; R::IMAGE_WORDS];
    assert_eq!(ring.save_image(&mut img), R::IMAGE_WORDS);
    img
}

/// A ring as a boot starts it: recovered first (on a new ring: empty).
fn booted() -> R {
    let r = R::new();
    assert_eq!(r.recover().kept, 0);
    r
}

/// A booted ring holding `n` records of `[i; 3]`.
fn with_records(n: u8) -> R {
    let r = booted();
    for i in 0..n {
        r.write(RecordMeta::new(Level::Info), &[i; 3]).unwrap();
    }
    r
}

/// Every record from the oldest on, until the first `Empty`.
fn drain(ring: &R) -> Vec<(logbuf::ring::Header, Vec<u8>)> {
    let mut c = ring.oldest();
    let mut buf = [0u8; 256];
    let mut out = Vec::new();
    for _ in 0..64 {
        match ring.read(&mut c, &mut buf) {
            Read::Record(h) => out.push((h, buf[..h.len as usize].to_vec())),
            Read::Dropped(n) => panic!("missed {n} on a quiet ring"),
            Read::Empty => break,
        }
    }
    out
}

/// Old RAM whose free slots (past the newest record) hold garbage — here
/// one claiming the next sequence number is committed. Recovery resets the
/// free slots: no phantom record appears, and the next writer gets the
/// right sequence number (this used to trip a debug assertion in
/// `reserve` and return an all-zero record to readers).
#[test]
fn garbage_in_free_slots_of_a_kept_ring_is_reset() {
    let a = with_records(2);
    let mut img = image_of(&a);
    // Free slots as old RAM may hold them: the slot of seq 2 claiming
    // "committed" (taken from a ring that did write seq 2), and noise.
    let longer = image_of(&with_records(3));
    img[SLOT0 + 2] = longer[SLOT0 + 2];
    img[SLOT0 + 5] = 0xdead_beef;
    let b = R::new();
    b.load_image(&img);
    let rep = b.recover();
    assert_eq!((rep.fresh, rep.kept, rep.discarded), (false, 2, 0));
    assert_eq!(drain(&b).len(), 2, "no phantom record at the head");
    assert_eq!(b.write(RecordMeta::new(Level::Warn), b"next"), Ok(2));
    let recs = drain(&b);
    assert_eq!(recs.len(), 3);
    assert_eq!((recs[2].0.seq, recs[2].1.as_slice()), (2, &b"next"[..]));
    for i in 3..20u8 {
        b.write(RecordMeta::new(Level::Info), &[i; 5]).unwrap();
    }
    let recs = drain(&b);
    assert_eq!(recs.last().unwrap().1, [19u8; 5]);
    assert!(recs.windows(2).all(|w| w[1].0.seq == w[0].0.seq + 1));
}

/// A ring that stored millions of records (a long-running device, or its
/// image after a warm reset): the oldest record is still found. `oldest()`
/// once resynced from sequence 0, which cannot reach a tail that far ahead,
/// and handed out a cursor that never read anything (a console added then
/// printed nothing, ever). Sequence numbers are exact modulo
/// 2^(LAP_BITS + log2 SLOTS) (2^26 for this ring); this one is 2^23 on.
#[test]
fn ring_millions_of_records_on_still_finds_its_oldest() {
    let a = with_records(5);
    // The same ring 2^20 laps of its 8 slots (2^23 records) later: every
    // slot's lap tag (bits 7.. for 64 words) and the sequence numbers in
    // head and tail (words 2 and 3, bits 7..) move on.
    let mut img = image_of(&a);
    for w in &mut img[SLOT0..SLOT0 + 8] {
        *w = w.wrapping_add(1 << (20 + 7));
    }
    for w in &mut img[2..4] {
        *w = w.wrapping_add(1 << (23 + 7));
    }
    let b = R::new();
    b.load_image(&img);
    assert_eq!(b.recover().kept, 5);
    assert_eq!(b.oldest().seq(), 1 << 23);
    let recs = drain(&b);
    assert_eq!(recs.len(), 5);
    for (i, (h, p)) in recs.iter().enumerate() {
        assert_eq!(h.seq, (1 << 23) + i as u64);
        assert_eq!(p, &[i as u8; 3]);
        assert!(h.flags.contains(Flags::PREVIOUS_BOOT));
    }
    b.write(RecordMeta::new(Level::Info), b"after").unwrap();
    assert_eq!(drain(&b).len(), 6);
}

/// The end of the sequence range (2^26 records for this ring): a cursor
/// reads on across it, counting past 2^26, while `oldest` and `newest`
/// start again from 0. `seek` takes a cursor's number there too (it used
/// to compare it with `oldest`'s and walked to the wrong record; the fuzz
/// harness found the mismatch).
#[test]
fn cursors_count_on_across_the_end_of_the_sequence_range() {
    let a = with_records(5);
    // The same ring 2^23 - 1 laps of its 8 slots later: its records are
    // 2^26 - 8 ..= 2^26 - 4. Lap tags (bits 7..30 of a slot word as the
    // ring means it; stored plus 1 << 7) one lap back modulo 2^23; head
    // and tail sequence numbers (bits 7..) 8 back.
    let mut img = image_of(&a);
    let lap_field = ((1u32 << 23) - 1) << 7;
    for w in &mut img[SLOT0..SLOT0 + 8] {
        let meant = w.wrapping_sub(1 << 7);
        let lap = (meant & lap_field) >> 7;
        let back = (meant & !lap_field) | ((lap.wrapping_sub(1) << 7) & lap_field);
        *w = back.wrapping_add(1 << 7);
    }
    for w in &mut img[2..4] {
        *w = w.wrapping_sub(8 << 7);
    }
    let b = R::new();
    b.load_image(&img);
    assert_eq!(b.recover().kept, 5);
    let start = (1u64 << 26) - 8;
    assert_eq!(b.oldest().seq(), start);
    let mut c = b.oldest();
    let mut buf = [0u8; 8];
    let mut next = start;
    for i in 0..40u8 {
        b.write(RecordMeta::new(Level::Info), &[i; 5]).unwrap();
        loop {
            match b.read(&mut c, &mut buf) {
                Read::Record(h) => {
                    assert_eq!(h.seq, next, "one record after another");
                    next += 1;
                }
                Read::Dropped(n) => panic!("the reader keeps up: {n} dropped"),
                Read::Empty => break,
            }
        }
    }
    assert_eq!(c.seq(), start + 45, "the cursor counts past 2^26");
    assert!(b.oldest().seq() < 64, "oldest starts again from 0");
    // The newest record, found from a cursor's number past the range.
    let mut last = b.seek(c.seq() - 1);
    assert_eq!(last.seq(), c.seq() - 1);
    match b.read(&mut last, &mut buf) {
        Read::Record(h) => {
            assert_eq!(h.seq, c.seq() - 1);
            assert_eq!(&buf[..5], &[39; 5]);
        }
        other => panic!("{other:?}"),
    }
}

/// A ring of two slots: its head and tail count sequence numbers modulo
/// 2^SEQ_BITS (2^15 for this shape), one bit further than its sequence
/// range, 2^(LAP_BITS + 1) = 2^14, in which `oldest`, `newest` and `seek`
/// give them. Once the head had passed 2^14 (and until 2^15), a cursor
/// from those never read anything: `read` compared its number with the
/// tail's modulo 2^SEQ_BITS, found it 2^14 behind and threw every copy
/// away as overwritten, and `has_unread` saw something at the head (a
/// console added then, or after a warm reset, printed nothing).
#[test]
fn two_slot_ring_past_half_its_index_range_still_reads_from_oldest() {
    type R2 = Ring<{ 1 << 18 }, 2>;
    let ring: Box<R2> = Box::new(R2::new());
    let mut along = logbuf::ring::Cursor::new();
    let mut buf = [0u8; 8];
    let n = (1u32 << 14) + 3;
    for i in 0..n {
        ring.write(RecordMeta::new(Level::Info), &i.to_le_bytes())
            .unwrap();
        match ring.read(&mut along, &mut buf) {
            Read::Record(h) => assert_eq!((h.seq, &buf[..4]), (i as u64, &i.to_le_bytes()[..])),
            other => panic!("record {i}: {other:?}"),
        }
    }
    // Numbers from the ring start again from 0 at 2^14; a cursor from
    // `oldest` (or `seek`) reads every record held, the newest last.
    let mut newest = (2, (n - 1).to_le_bytes());
    for seek in [false, true] {
        let oldest = ring.oldest();
        assert!(oldest.seq() < 8, "{oldest:?}");
        let mut c = if seek {
            ring.seek(oldest.seq())
        } else {
            oldest
        };
        assert_eq!(c, oldest);
        assert!(ring.has_unread(&c));
        let mut last = None;
        for _ in 0..4 {
            match ring.read(&mut c, &mut buf) {
                Read::Record(h) => last = Some((h.seq, buf[..4].try_into().unwrap())),
                Read::Dropped(k) => panic!("{k} missed on a quiet ring"),
                Read::Empty => break,
            }
        }
        assert_eq!(last, Some(newest));
        assert_eq!(c, ring.newest());
        assert!(!ring.has_unread(&c), "nothing at the head");
        let next = [seek as u8; 4];
        ring.write(RecordMeta::new(Level::Warn), &next).unwrap();
        newest = (c.seq(), next);
        assert!(matches!(ring.read(&mut c, &mut buf), Read::Record(h) if h.seq == newest.0));
        assert_eq!(buf[..4], next);
        assert!(matches!(ring.read(&mut along, &mut buf), Read::Record(_)));
    }
}

mod common;

use common::{set_caller, Board};
use logbuf::console::{
    Budget, Caller, Config, ConsoleError, DynLogger, LineFormat, Logger, Platform, PrinterStatus,
    LINE_MAX,
};
use logbuf::sinks::Capture;
use logbuf::LevelFilter;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// A console whose sink took part of a line and then would block, and
/// whose level filter is changed before it resumes so that the record in
/// progress no longer passes: the record is finished, not dropped half
/// printed. (Found by the fuzzer: the console used to skip it, leave its
/// line open and start the next record `offset` bytes in.)
#[test]
fn filter_change_while_a_line_is_half_sent_finishes_that_line() {
    let log: &'static Logger<Board<40>, 4096, 32, 1> = leak(Config::DEFAULT);
    set_caller(Caller::thread(0, 1));
    let cap = console(log);
    cap.set_chunk(8);
    let calls = Arc::new(AtomicU32::new(0));
    let (c2, cap2) = (calls.clone(), cap.clone());
    cap.set_hook(move |_| {
        if c2.fetch_add(1, Ordering::SeqCst) == 1 {
            cap2.set_block_always(true); // after the first 8 bytes
        }
    });
    log.log(Level::Info, format_args!("first record, info"));
    assert_eq!(cap.text().len(), 8, "8 bytes out, then would-block");
    log.set_console_level(log.console_at(0).unwrap(), LevelFilter::Error)
        .unwrap();
    cap.clear_hook();
    cap.set_block_always(false);
    log.log(Level::Error, format_args!("second record, error"));
    assert_eq!(log.printer(), PrinterStatus::Idle);
    let lines = cap.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].ends_with("INFO  t1: first record, info"),
        "{lines:?}"
    );
    assert!(lines[1].starts_with("[    0.000000] ERROR t1: second record, error"));
    let st = log.console_stats(log.console_at(0).unwrap()).unwrap();
    assert_eq!((st.printed, st.filtered), (2, 0));
}

type Log<const ID: usize> = Logger<Board<ID>, 4096, 64, 2>;

/// A logger of any shape that lives for the test (consoles need `'static`).
fn leak<P: Platform, const W: usize, const S: usize, const C: usize>(
    config: Config,
) -> &'static Logger<P, W, S, C> {
    Box::leak(Box::new(Logger::with_config(config)))
}

/// A capture console on `log`, registered at Trace.
fn console(log: &'static dyn DynLogger) -> Capture {
    let cap = Capture::new();
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    cap
}

/// Indexes `n=` of the record lines, in output order.
fn indexes(lines: &[String]) -> Vec<u64> {
    lines
        .iter()
        .filter_map(|l| l.rsplit_once(" n=")?.1.parse().ok())
        .collect()
}

/// Records far larger than the ring and than a console line: stored cut
/// to the ring's largest payload and flagged; printed cut to `LINE_MAX`
/// with the rest counted in the line; nothing else is affected.
#[test]
fn records_larger_than_the_ring_are_cut_flagged_and_printed_as_such() {
    let log: &'static Logger<Board<41>, 1024, 16, 1> = leak(Config::DEFAULT);
    set_caller(Caller::thread(0, 1));
    let cap = console(log);
    let max = Ring::<1024, 16>::MAX_PAYLOAD;
    let huge = "x".repeat(100_000);
    assert!(log.log(Level::Info, format_args!("{huge}")));
    // Stored: the whole ring's worth, flagged.
    let mut c = log.ring().oldest();
    let mut buf = vec![0u8; max + 10];
    let Read::Record(h) = log.ring().read(&mut c, &mut buf) else {
        panic!("stored")
    };
    assert_eq!(h.len as usize, max);
    assert!(h.flags.contains(Flags::TRUNCATED));
    // Each takes the whole ring: the next one overwrites it (after it was
    // printed here), which is the flight recorder doing its job.
    assert!(log.log_bytes(RecordMeta::new(Level::Warn), huge.as_bytes()));
    assert!(log.log(Level::Info, format_args!("after n=0")));
    let lines = cap.lines();
    assert_eq!(lines.len(), 3, "{lines:?}");
    let tail = format!(
        "{} [+{} bytes] [truncated]",
        "x".repeat(LINE_MAX),
        max - LINE_MAX
    );
    assert!(lines[0].ends_with(&tail), "{}", lines[0]);
    assert!(lines[1].contains("WARN ") && lines[1].ends_with(&tail));
    assert!(lines[2].ends_with("after n=0"));
    assert_eq!(
        log.console_stats(log.console_at(0).unwrap())
            .unwrap()
            .printed,
        3
    );
    assert_eq!(log.ring().dropped().total(), 0);
}

/// A clock that goes backwards: records keep their sequence order and
/// print with the times they were given; a time budget that sees the clock
/// step back counts as spent (wrapping difference), so the call stops and
/// wakes the printer, which prints the rest. Nothing is lost.
#[test]
fn clock_going_backwards_keeps_order_and_ends_a_time_budget_early() {
    let log: &'static Log<42> = leak(Config {
        irq_budget: Budget::records(1000).with_ticks(50),
        ..Config::DEFAULT
    });
    let cap = console(log);
    set_caller(Caller::interrupt(0, 3));
    Board::<42>::advance(5_000);
    for i in 0..10u64 {
        // Back 300 ticks per record.
        Board::<42>::advance(300u64.wrapping_neg());
        log.log_deferred(Level::Info, format_args!("back n={i}"));
    }
    // Inside the sink the clock steps back again: the budget's elapsed
    // time wraps to a huge value.
    let cap2 = cap.clone();
    cap.set_hook(move |_| {
        Board::<42>::advance(1u64.wrapping_neg());
        let _ = &cap2;
    });
    let wakes = Board::<42>::wakes();
    let exhausted = log.stats().budget_exhausted;
    log.log(Level::Info, format_args!("irq n={}", 10));
    assert_eq!(
        log.console_stats(log.console_at(0).unwrap())
            .unwrap()
            .printed,
        1,
        "stopped early"
    );
    assert_eq!(log.stats().budget_exhausted, exhausted + 1);
    assert!(Board::<42>::wakes() > wakes, "printer woken");
    cap.clear_hook();
    set_caller(Caller::thread(0, 0));
    assert_eq!(log.printer(), PrinterStatus::Idle);
    let lines = cap.lines();
    assert_eq!(indexes(&lines), (0..=10).collect::<Vec<_>>());
    // Printed with the (decreasing) times they were stored at.
    assert!(lines[0].starts_with("[    0.004700]"), "{}", lines[0]);
    assert!(lines[9].starts_with("[    0.002000]"), "{}", lines[9]);
    let st = log.console_stats(log.console_at(0).unwrap()).unwrap();
    assert_eq!((st.printed, st.consumed()), (11, 11));
}

/// A sink that always fails: its console counts the record it failed on,
/// then retries its drop notice once per pass without advancing (so it
/// never spins); the ring overwrites what it cannot print (counted as
/// missed); the other console is unaffected. Once the sink works again one
/// notice announces every loss and the books balance.
#[test]
fn sink_that_always_fails_costs_counted_records_never_a_hang() {
    let log: &'static Logger<Board<43>, 2048, 16, 2> = leak(Config::DEFAULT);
    set_caller(Caller::thread(0, 1));
    let bad = console(log);
    let good = console(log);
    bad.set_fail_always(true);
    for i in 0..200u64 {
        log.log(Level::Info, format_args!("rec n={i}"));
    }
    assert_eq!(indexes(&good.lines()), (0..200).collect::<Vec<_>>());
    assert!(bad.bytes().is_empty());
    assert!(bad.writes() <= 2 * 200 + 2, "{} writes", bad.writes());
    let st = log.console_stats(log.console_at(0).unwrap()).unwrap();
    assert_eq!((st.sink_failed, st.printed), (1, 0));
    bad.set_fail_always(false);
    assert_eq!(log.printer(), PrinterStatus::Idle);
    let st = log.console_stats(log.console_at(0).unwrap()).unwrap();
    assert_eq!(st.consumed(), 200);
    assert!(st.overwritten + st.skipped > 150, "the ring holds 16");
    assert_eq!(st.announced, st.sink_failed + st.overwritten + st.skipped);
    let lines = bad.lines();
    // The failed record's notice comes first, with the next record (read
    // ahead before the sink failed); each later gap's notice comes with the
    // record after it; together they announce every loss once.
    assert!(lines[0].ends_with("! 1 message dropped"), "{}", lines[0]);
    assert_eq!(
        common::announced(&bad.text()),
        st.announced,
        "every loss once"
    );
    let printed = indexes(&lines);
    assert_eq!(printed.len() as u64, st.printed);
    assert_eq!(printed.last(), Some(&199), "{lines:#?}");
}

/// Sinks that would block forever (or take nothing: `Ok(0)`) during the
/// emergency and panic flushes: each write is polled a bounded number of
/// times (`panic_spins`), then the console is left where it is and the
/// flush returns; the healthy console gets everything. (Blocking outside a
/// flush: tests/console_scenarios.rs
/// `blocked_console_does_not_stall_others_and_announces_its_losses`.)
#[test]
fn flushes_never_hang_on_a_sink_that_never_takes_bytes() {
    struct TakesNothing(Arc<AtomicU32>);
    impl logbuf::sinks::Sink for TakesNothing {
        fn write(&mut self, _: &[u8]) -> Result<usize, logbuf::sinks::SinkError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(0)
        }
        fn any_context(&self) -> bool {
            true
        }
    }
    let log: &'static Logger<Board<44>, 4096, 64, 3> = leak(Config {
        panic_spins: 50,
        ..Config::DEFAULT
    });
    set_caller(Caller::thread(0, 1));
    let blocked = Capture::new();
    blocked.set_block_always(true);
    let calls = Arc::new(AtomicU32::new(0));
    let good = Capture::new();
    log.add_console(blocked.leak_sink(), LevelFilter::Trace)
        .unwrap();
    log.add_console(
        Box::leak(Box::new(TakesNothing(calls.clone()))),
        LevelFilter::Trace,
    )
    .unwrap();
    log.add_console(good.leak_sink(), LevelFilter::Trace)
        .unwrap();
    for i in 0..5u64 {
        log.log(Level::Info, format_args!("rec n={i}"));
    }
    let (ok, n) = common::must_finish(10, move || {
        let ok = common::as_caller(Caller::interrupt(0, 2), || log.emergency_flush());
        // SAFETY: no other context uses the logger; nothing is displaced.
        let n = unsafe { log.panic_flush(format_args!("panic n={}", 5)) };
        (ok, n)
    });
    assert!(ok);
    assert!(n >= 1, "the healthy console printed the panic message");
    assert_eq!(indexes(&good.lines()), (0..=5).collect::<Vec<_>>());
    assert!(blocked.bytes().is_empty());
    // Polled, but bounded: at most panic_spins + 1 tries per write attempt.
    assert!(calls.load(Ordering::SeqCst) <= 10 * 51, "{calls:?}");
    assert_eq!(
        log.console_stats(log.console_at(0).unwrap())
            .unwrap()
            .printed,
        0
    );
    assert_eq!(
        log.console_stats(log.console_at(1).unwrap())
            .unwrap()
            .printed,
        0
    );
    assert!(log.console_owner().is_none(), "the flush released the lock");
}

/// A sink that claims to have taken more bytes than it was given: the
/// console never indexes past its buffer and goes on with the next record.
#[test]
fn sink_claiming_more_than_it_was_given_is_clamped() {
    struct OverClaims(Arc<std::sync::Mutex<Vec<u8>>>);
    impl logbuf::sinks::Sink for OverClaims {
        fn write(&mut self, bytes: &[u8]) -> Result<usize, logbuf::sinks::SinkError> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len() + 1000)
        }
    }
    let log: &'static Log<45> = leak(Config::DEFAULT);
    set_caller(Caller::thread(0, 1));
    let out = Arc::new(std::sync::Mutex::new(Vec::new()));
    log.add_console(
        Box::leak(Box::new(OverClaims(out.clone()))),
        LevelFilter::Trace,
    )
    .unwrap();
    for i in 0..20u64 {
        log.log(Level::Info, format_args!("rec {} n={i}", "y".repeat(70)));
    }
    let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    let lines: Vec<String> = text.lines().map(String::from).collect();
    assert_eq!(indexes(&lines), (0..20).collect::<Vec<_>>());
    assert_eq!(
        log.console_stats(log.console_at(0).unwrap())
            .unwrap()
            .printed,
        20
    );
}

/// Log calls from inside a sink, beyond the thread-context case of
/// tests/console_scenarios.rs (`logging_from_inside_a_sink_neither_
/// deadlocks_nor_loses`): a sink that logs on *every* write feeds itself,
/// yet each log call still returns after its budget (and wakes the
/// printer); and a sink that logs during the panic flush gets its record
/// printed by that flush.
#[test]
fn sink_that_logs_on_every_write_is_bounded_per_call() {
    let log: &'static Log<46> = leak(Config {
        thread_budget: Budget::records(8),
        ..Config::DEFAULT
    });
    let cap = Capture::new();
    let fed = Arc::new(AtomicU32::new(0));
    let f2 = fed.clone();
    cap.set_hook(move |_| {
        let i = f2.fetch_add(1, Ordering::SeqCst);
        if i < 100 {
            log.log(Level::Debug, format_args!("fed n={}", i + 1));
        }
    });
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    let wakes = Board::<46>::wakes();
    common::must_finish(10, move || {
        set_caller(Caller::thread(0, 1));
        log.log(Level::Info, format_args!("seed n={}", 0));
    });
    let printed = log
        .console_stats(log.console_at(0).unwrap())
        .unwrap()
        .printed;
    assert_eq!(printed, 8, "one call prints its budget, not the feedback");
    assert!(
        Board::<46>::wakes() > wakes,
        "the rest is left to the printer"
    );
    // The printer drains as long as records keep coming; here the feedback
    // stops after 100 records.
    assert_eq!(log.printer(), PrinterStatus::Idle);
    let st = log.console_stats(log.console_at(0).unwrap()).unwrap();
    assert_eq!(st.consumed(), 101);
    assert_eq!(st.printed + st.overwritten, 101);
    assert_eq!(st.announced, st.overwritten);

    // During a panic flush.
    let log: &'static Log<47> = leak(Config::DEFAULT);
    let cap = Capture::new();
    let once = Arc::new(AtomicU32::new(0));
    let o2 = once.clone();
    cap.set_hook(move |_| {
        if o2.fetch_add(1, Ordering::SeqCst) == 0 {
            common::as_caller(Caller::interrupt(0, 5), || {
                log.log(Level::Warn, format_args!("from sink n={}", 1));
            });
        }
    });
    log.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    let n = common::must_finish(10, move || {
        set_caller(Caller::thread(0, 1));
        // SAFETY: no other context uses the logger; nothing is displaced.
        unsafe { log.panic_flush(format_args!("panic n={}", 0)) }
    });
    assert_eq!(n, 2);
    assert_eq!(indexes(&cap.lines()), vec![0, 1]);
}

/// A formatter that panics half-way through the second (writing) pass: the
/// reservation is committed as far as it got (dropping a grant commits), so
/// the ring is not left with a record that blocks every reader; logging
/// goes on.
#[test]
fn formatter_panicking_mid_record_leaves_no_stuck_reservation() {
    // Longer than the logger's stack line (96 bytes), so it goes the
    // measure-then-write way: the stack pass stops at the first piece
    // (before counting), the measuring pass counts 0, the writing pass
    // counts 1 and panics there, mid-record.
    struct PanicsOnSecondPass(AtomicU32);
    impl std::fmt::Display for PanicsOnSecondPass {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&"x".repeat(100))?;
            f.write_str("partial ")?;
            if self.0.fetch_add(1, Ordering::SeqCst) == 1 {
                panic!("formatter fault");
            }
            f.write_str("rest of it")
        }
    }
    let log: &'static Log<48> = leak(Config::DEFAULT);
    let cap = console(log);
    set_caller(Caller::thread(0, 1));
    let bad = PanicsOnSecondPass(AtomicU32::new(0));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        log.log(Level::Error, format_args!("{bad}"));
    }));
    assert!(r.is_err());
    assert!(log.log(Level::Info, format_args!("after n={}", 1)));
    let lines = cap.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    // The cut record: what was written, then zeros for the rest (escaped
    // on a text console).
    assert!(
        lines[0].contains(&format!(
            "ERROR t1: {}partial \\x00\\x00\\x00",
            "x".repeat(100)
        )),
        "{:?}",
        lines[0]
    );
    assert!(lines[1].ends_with("after n=1"));
    assert_eq!(
        log.console_stats(log.console_at(0).unwrap())
            .unwrap()
            .printed,
        2
    );
}

/// A formatter whose output differs between the measuring pass and the
/// writing pass: longer output is cut and flagged truncated, shorter output
/// is padded; neither overruns the reservation.
#[test]
fn formatter_changing_length_between_passes_is_cut_or_padded() {
    // Longer than the logger's stack line (96 bytes), so they go the
    // measure-then-write way: pass 0 overflows the stack line, pass 1
    // measures, pass 2 writes.
    struct Grows(AtomicU32);
    impl std::fmt::Display for Grows {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            f.write_str(&"ab".repeat(if n == 2 { 53 } else { 50 }))
        }
    }
    struct Shrinks(AtomicU32);
    impl std::fmt::Display for Shrinks {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            f.write_str(&"cd".repeat(if n == 2 { 50 } else { 55 }))
        }
    }
    let log: &'static Log<49> = leak(Config::DEFAULT);
    let cap = console(log);
    set_caller(Caller::thread(0, 1));
    log.log(Level::Info, format_args!("{}", Grows(AtomicU32::new(0))));
    log.log(Level::Info, format_args!("{}", Shrinks(AtomicU32::new(0))));
    let lines = cap.lines();
    let grown = format!("t1: {} [truncated]", "ab".repeat(50));
    assert!(lines[0].ends_with(&grown), "{}", lines[0]);
    let shrunk = format!("t1: {}{}", "cd".repeat(50), " ".repeat(10));
    assert!(lines[1].ends_with(&shrunk), "{:?}", lines[1]);
}

/// Memory images of the wrong size: a short image loads with the missing
/// words as zero (then recovers to an empty ring), a long one is cut; a
/// short save buffer gets what fits.
#[test]
fn images_of_the_wrong_size_are_cut_or_zero_filled() {
    let a = with_records(3);
    let full = image_of(&a);
    let mut short = vec![0u32; 5];
    assert_eq!(a.save_image(&mut short), 5);
    assert_eq!(short, full[..5]);
    let b = R::new();
    b.load_image(&full[..10]); // indices, a few slots, no records
    let rep = b.recover();
    assert_eq!(rep.kept + rep.incomplete, 0, "{rep:?}");
    assert!(drain(&b).is_empty());
    b.write(RecordMeta::new(Level::Info), b"ok").unwrap();
    assert_eq!(drain(&b).len(), 1);
    let mut long = full.clone();
    long.extend([0xffff_ffff; 100]);
    let c = R::new();
    c.load_image(&long);
    assert_eq!(c.recover().kept, 3);
    assert_eq!(drain(&c).len(), 3);
}

/// More consoles than places: a clear error, nothing else changes; a
/// logger with no console places at all still stores records.
#[test]
fn too_many_consoles_is_an_error_not_a_loss() {
    let log: &'static Log<50> = leak(Config::DEFAULT);
    set_caller(Caller::thread(0, 1));
    let a = console(log);
    let _b = console(log);
    let extra = Capture::new();
    assert_eq!(
        log.add_console(extra.leak_sink(), LevelFilter::Trace),
        Err(ConsoleError::Full)
    );
    log.log(Level::Info, format_args!("rec n={}", 0));
    assert_eq!(indexes(&a.lines()), vec![0]);
    assert!(extra.bytes().is_empty());

    let none: &'static Logger<Board<50>, 1024, 8, 0> = leak(Config::DEFAULT);
    assert_eq!(
        none.add_console(extra.leak_sink(), LevelFilter::Trace),
        Err(ConsoleError::Full)
    );
    assert!(none.log(Level::Info, format_args!("stored n={}", 0)));
    assert_eq!(none.printer(), PrinterStatus::Idle);
    assert_eq!(drain_any(none.ring()), 1);
}

fn drain_any<const W: usize, const S: usize>(ring: &Ring<W, S>) -> usize {
    let mut c = ring.oldest();
    let mut n = 0;
    while let Read::Record(_) = ring.read(&mut c, &mut []) {
        n += 1;
    }
    n
}

/// A line format with a zero clock rate (set directly, bypassing
/// `with_ticks_per_second`): no division by zero, whole ticks printed.
#[test]
fn zero_ticks_per_second_prints_raw_ticks() {
    let log: &'static Log<51> = leak(Config {
        line: LineFormat {
            ticks_per_second: 0,
            ..LineFormat::DEFAULT
        },
        ..Config::DEFAULT
    });
    let cap = console(log);
    set_caller(Caller::thread(0, 1));
    Board::<51>::advance(1234);
    log.log(Level::Info, format_args!("rec n={}", 0));
    assert_eq!(cap.lines(), vec!["[ 1234] INFO  t1: rec n=0".to_string()]);
}

/// A writer that reserves and never commits (its grant leaked, or its
/// context never resumes): before the ring wraps, the next boot's recovery
/// keeps its record, flagged incomplete. Once the ring wraps round to it,
/// the record is overtaken — counted once — and every later write still
/// succeeds (I10); its words stay pinned, at the cost of that one extent.
#[test]
fn writer_that_never_commits_costs_only_its_own_record() {
    let a = with_records(2);
    let cut = a.reserve(8, RecordMeta::new(Level::Error)).unwrap();
    std::mem::forget(cut);
    a.write(RecordMeta::new(Level::Info), b"after").unwrap();
    let b = R::new();
    b.load_image(&image_of(&a));
    let rep = b.recover();
    assert_eq!((rep.kept, rep.incomplete), (3, 1));
    let recs = drain(&b);
    assert!(recs[2].0.flags.contains(Flags::INCOMPLETE));
    // Now let the ring wrap round to the open record many times over.
    for i in 0..200u8 {
        a.write(RecordMeta::new(Level::Info), &[i; 3])
            .expect("never refused because of the stalled writer");
    }
    let lost = a.dropped();
    assert_eq!((lost.overtaken, lost.unstored()), (1, 0));
    assert_eq!(
        logbuf::ring::Dropped::Overtaken.to_string(),
        "record overtaken while its writer was stalled"
    );
    let recs = drain(&a);
    assert_eq!(recs.last().unwrap().1, [199u8; 3]);
    assert!(
        recs.len() >= 8,
        "the pinned extent costs words, not the ring"
    );
}

/// Adding a console while another context owns the consoles: a clear
/// error to retry, nothing registered.
#[test]
fn adding_a_console_while_the_consoles_are_owned_is_an_error() {
    let log: &'static Log<52> = leak(Config::DEFAULT);
    set_caller(Caller::thread(0, 1));
    set_caller(Caller::interrupt(0, 4));
    let hold = log.hold_consoles().expect("lock should be free");
    set_caller(Caller::thread(0, 1));
    let cap = Capture::new();
    assert_eq!(
        log.add_console(cap.leak_sink(), LevelFilter::Trace),
        Err(ConsoleError::Busy)
    );
    assert!(log.console_at(0).is_none());
    drop(hold);
    assert_eq!(
        log.add_console(cap.leak_sink(), LevelFilter::Trace)
            .map(|id| id.index()),
        Ok(0)
    );
}

/// A frame console whose sink fails on the record that carries a pending
/// drop count: a frame console renders no text notice, so the failure is
/// in the record, which is dropped and counted (`sink_failed`), never
/// sent again whole after the bytes the sink took (the fuzzer's
/// `logger_ops` found the frame sent twice: the failure was judged "in
/// the notice" by the length a text notice would have had).
#[test]
fn frame_sink_failing_with_a_notice_pending_drops_the_record_once() {
    use logbuf::ring::{Flags, RecordMeta};
    use logbuf::sinks::RecordFormat;
    let log: &'static Logger<Board<59>, 512, 8, 1> = leak(Config::DEFAULT);
    set_caller(Caller::thread(0, 1));
    let frames = Capture::new();
    frames.set_format(RecordFormat::Frames);
    log.add_console(frames.leak_sink(), LevelFilter::Trace)
        .unwrap();
    frames.set_block_always(true);
    let frame = |i: u8| [0xb5, i, 0x80, 0x80, 0x80, i, i, i, i, i, i, i];
    let meta = RecordMeta::new(Level::Info).flags(Flags::BINARY);
    // More than the ring holds: the console's oldest ones are overwritten,
    // so its next record carries a drop count.
    for i in 0..40u8 {
        log.log_bytes(meta, &frame(i));
    }
    frames.set_block_always(false);
    // Four bytes per write; the write after the first four bytes of the
    // first frame past the read-ahead (the one with the drop count) fails.
    frames.set_chunk(4);
    let (arm, ctl) = (Arc::new(AtomicU32::new(0)), frames.clone());
    let armed = arm.clone();
    frames.set_hook(move |bytes| {
        if armed.load(Ordering::Relaxed) == 1 {
            armed.store(2, Ordering::Relaxed);
            ctl.fail_next(1);
        } else if armed.load(Ordering::Relaxed) == 0 && bytes[0] == 0xb5 && bytes[1] >= 8 {
            armed.store(1, Ordering::Relaxed);
        }
    });
    assert_eq!(log.printer(), PrinterStatus::Idle);
    assert_eq!(arm.load(Ordering::Relaxed), 2, "the failure was injected");
    let st = log.console_stats(log.console_at(0).unwrap()).unwrap();
    assert_eq!(st.sink_failed, 1, "{st:?}");
    assert!(st.overwritten > 0, "{st:?}");
    assert_eq!(st.consumed(), 40, "{st:?}");
    // Every frame went out whole and once, except the failed one: its first
    // four bytes and nothing after them.
    let out = frames.bytes();
    let (mut at, mut whole, mut cut) = (0, Vec::new(), Vec::new());
    while at < out.len() {
        let id = out[at + 1];
        if out[at..].starts_with(&frame(id)) {
            whole.push(id);
            at += 12;
        } else {
            assert_eq!(&out[at..at + 4], &frame(id)[..4], "{out:?}");
            cut.push(id);
            at += 4;
        }
    }
    assert_eq!(cut.len(), 1, "{out:?}");
    assert!(
        !whole.contains(&cut[0]),
        "the failed frame was sent again: {out:?}"
    );
    assert!(whole.windows(2).all(|w| w[0] < w[1]), "{whole:?}");
    assert_eq!(whole.len() as u64, st.printed);
    assert_eq!(whole.last(), Some(&39));
}
