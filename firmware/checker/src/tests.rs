//! The checker must accept real captures and reject every way a capture can
//! be wrong. Fixtures in `fixtures/` are UART captures of the firmware in
//! QEMU (`scripts/test-firmware.sh` writes fresh ones to
//! `firmware/target/runs/`); the broken cases are those captures edited one
//! way each, plus the capture of the deliberately broken firmware.
use super::*;

const FLOOD_M3: &str = include_str!("../fixtures/flood-m3.txt");
const FLOOD_M0: &str = include_str!("../fixtures/flood-m0.txt");
const PANIC_M3: &str = include_str!("../fixtures/panic-m3.txt");
const WCET_M3: &str = include_str!("../fixtures/wcet-m3.txt");
const BROKEN: &str = include_str!("../fixtures/broken-no-printer.txt");
/// Issue 14: records with hostile contents, as logbuf prints them.
const HOSTILE_M3: &str = include_str!("../fixtures/hostile-m3.txt");
/// The same firmware linked against logbuf before issue 14 (commit
/// 3ad79b0): embedded line breaks print unprefixed lines, some of them
/// perfect forgeries of records and notices; control bytes go out raw.
const HOSTILE_OLD: &str = include_str!("../fixtures/hostile-m3-forged-by-old-render.txt");
/// Real capture of a logbuf bug: a cut line lost its " [cut]" terminator.
const LOST_CUT: &str = include_str!("../fixtures/unplug-lost-cut.txt");

fn flood() -> Spec {
    let require = [
        ("thr", "t0"),
        ("tick", "systick"),
        ("sw", "irq1"),
        ("hi", "irq19"),
    ];
    Spec {
        require: require
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        ..Spec::default()
    }
}

fn panic_spec() -> Spec {
    Spec {
        require: vec![("thr".into(), "t0".into()), ("sw".into(), "irq1".into())],
        panic: Some("boom".into()),
        replay: true,
        ..Spec::default()
    }
}

fn wcet() -> Spec {
    Spec {
        require: vec![("f".into(), "t0".into()), ("m".into(), "irq1".into())],
        wcet: Some(WcetSpec {
            backlogs: vec![10, 1000],
            max_factor: 1.25,
        }),
        ..Spec::default()
    }
}

fn hostile() -> Spec {
    let require = [("evil", "t0"), ("raw", "t0"), ("sw", "irq1")];
    Spec {
        require: require
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        ..Spec::default()
    }
}

fn spec_none() -> Spec {
    Spec::default()
}

/// Asserts the capture is rejected with a violation mentioning `needle`.
#[track_caller]
pub(crate) fn rejects(text: &str, spec: &Spec, needle: &str) {
    match check(text, spec) {
        Ok(r) => panic!("accepted, expected a violation with {needle:?}: {r}"),
        Err(v) => assert!(
            v.iter().any(|v| v.what.contains(needle)),
            "no violation mentions {needle:?}: {v:#?}"
        ),
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

fn join(lines: &[String]) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

/// Index of the first line containing `needle` after line `from`.
fn find(lines: &[String], from: usize, needle: &str) -> usize {
    from + lines[from..]
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?}"))
}

/// The number right after `marker` in `line`.
fn number_after(line: &str, marker: &str) -> u64 {
    line.split(marker)
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no number after {marker:?} in {line:?}"))
}

/// A record line of `producer` with records of the same producer printed
/// right before and after it (so removing or moving it leaves a real gap).
fn middle_record(lines: &[String], producer: &str) -> usize {
    let tag = format!(": {producer} seq=");
    let seq = |l: &String| -> Option<u64> { l.split(&tag).nth(1)?.parse().ok() };
    let idx: Vec<usize> = (0..lines.len())
        .filter(|&i| seq(&lines[i]).is_some())
        .collect();
    idx.windows(3)
        .find(|w| {
            let (a, b, c) = (seq(&lines[w[0]]), seq(&lines[w[1]]), seq(&lines[w[2]]));
            a.map(|a| a + 1) == b && b.map(|b| b + 1) == c
        })
        .map(|w| w[1])
        .expect("three consecutive records")
}

#[test]
fn captured_runs_pass() {
    let r = check(FLOOD_M3, &flood()).unwrap();
    assert!(
        r.announced > 0 && r.notices > 0,
        "the flood overwrites: {r}"
    );
    assert!(
        r.cut_lines > 0,
        "the M3 capture has a line cut by an overwrite"
    );
    assert_eq!(r.issued.len(), 4);
    let r = check(FLOOD_M0, &flood()).unwrap();
    assert!(r.announced > 0);
    let r = check(PANIC_M3, &panic_spec()).unwrap();
    assert_eq!(r.replays, 1);
    assert_eq!(r.announced, 0);
    assert!(r.panic.unwrap().contains("boom"));
    let r = check(WCET_M3, &wcet()).unwrap();
    assert_eq!(r.wcet.len(), 2);
    assert!(r.wcet.iter().all(|w| w.max_irq_records <= w.budget));
}

#[test]
fn broken_no_printer_capture_is_rejected() {
    // The firmware with `wake_printer` doing nothing: its records strand.
    rejects(BROKEN, &flood(), "no summary record");
    rejects(BROKEN, &flood(), "ends in the middle of a line");
}

#[test]
fn glued_line_after_a_lost_cut_marker_is_rejected() {
    let spec = Spec {
        require: vec![("thr".into(), "t0".into())],
        ..Spec::default()
    };
    rejects(
        LOST_CUT,
        &spec,
        "torn or malformed line: \"[    0.000[    0.000000] WARN",
    );
    // With the terminator the library should have written, it passes.
    let fixed = LOST_CUT.replacen("[    0.000[", "[    0.000 [cut]\n[", 1);
    check(&fixed, &spec).unwrap();
}

#[test]
fn silently_dropped_record_is_rejected() {
    for producer in ["thr", "hi", "sw", "tick"] {
        let mut l = lines(FLOOD_M3);
        let i = middle_record(&l, producer);
        l.remove(i);
        rejects(&join(&l), &flood(), "announced as dropped");
    }
}

#[test]
fn duplicated_record_is_rejected() {
    let mut l = lines(FLOOD_M3);
    let i = middle_record(&l, "tick");
    let dup = l[i].clone();
    l.insert(i + 1, dup);
    rejects(&join(&l), &flood(), "again or out of order");
}

#[test]
fn reordered_records_are_rejected() {
    let mut l = lines(FLOOD_M3);
    let i = middle_record(&l, "thr");
    let j = find(&l, i + 1, ": thr seq=");
    l.swap(i, j);
    rejects(&join(&l), &flood(), "again or out of order");
}

#[test]
fn torn_line_is_rejected() {
    // One record's line interrupted by another's: bytes of two records mixed.
    let mut l = lines(FLOOD_M3);
    let i = middle_record(&l, "thr");
    let torn = format!("{}{}", &l[i][..28], l[i + 1]);
    l[i] = torn;
    l.remove(i + 1);
    rejects(&join(&l), &flood(), "malformed");
    // A record cut without the " [cut]" marker.
    let mut l = lines(FLOOD_M3);
    l[i].truncate(30);
    rejects(&join(&l), &flood(), "malformed");
}

#[test]
fn wrong_or_missing_notice_is_rejected() {
    let l = lines(FLOOD_M3);
    let i = find(&l, 0, "messages dropped");
    let n = number_after(&l[i], "logbuf: ! ");
    for wrong in [n - 1, n + 1] {
        let mut m = l.clone();
        m[i] = m[i].replace(&format!("! {n} messages"), &format!("! {wrong} messages"));
        if wrong <= 1 {
            rejects(&join(&m), &flood(), "not a dropped-messages notice");
        } else {
            rejects(&join(&m), &flood(), "announced as dropped");
        }
    }
    let mut m = l.clone();
    m.remove(i);
    rejects(&join(&m), &flood(), "announced as dropped");
}

#[test]
fn missing_summary_is_rejected() {
    let l: Vec<String> = lines(FLOOD_M3)
        .into_iter()
        .filter(|l| !l.contains(": summary "))
        .collect();
    rejects(&join(&l), &flood(), "no summary record");
}

#[test]
fn interrupt_producers_and_their_context_are_required() {
    let mut spec = flood();
    spec.require.push(("uart".into(), "irq5".into()));
    rejects(FLOOD_M3, &spec, "no record of required producer uart");
    let mut spec = flood();
    spec.require[1].1 = "irq16".into();
    rejects(FLOOD_M3, &spec, "expected irq16");
    // A tick record attributed to thread mode.
    let mut l = lines(FLOOD_M3);
    let i = middle_record(&l, "tick");
    l[i] = l[i].replace("systick: tick", "t0: tick");
    rejects(&join(&l), &flood(), "logged from t0 here but from systick");
}

#[test]
fn panic_record_must_be_present_expected_and_last() {
    let l = lines(PANIC_M3);
    let p = find(&l, 0, "ERROR");
    let mut m = l.clone();
    m.remove(p);
    rejects(&join(&m), &panic_spec(), "no panic record");
    let mut m = l.clone();
    let rec = m.remove(p);
    m.insert(p - 3, rec);
    rejects(&join(&m), &panic_spec(), "record after the panic record");
    let mut spec = panic_spec();
    spec.panic = Some("kaboom".into());
    rejects(PANIC_M3, &spec, "lacks \"kaboom\"");
    rejects(PANIC_M3, &spec_none(), "unexpected panic");
    // The backlog flushed before the panic record is checked like any other.
    let mut m = l.clone();
    let i = middle_record(&m, "sw");
    m.remove(i);
    rejects(&join(&m), &panic_spec(), "announced as dropped");
}

#[test]
fn replay_after_panic_takeover_is_checked() {
    let l = lines(PANIC_M3);
    let k = find(&l, 0, REPLAY_MARKER);
    // Marker and fragment gone: the flush did not take over mid-record.
    let mut m = l.clone();
    m.drain(k - 1..=k);
    rejects(&join(&m), &panic_spec(), "no replay marker");
    // The fragment is not the start of the record replayed after it.
    let mut m = l.clone();
    m[k - 1] = "[    9.9".into();
    rejects(&join(&m), &panic_spec(), "is not replayed after the marker");
    // A marker where none is expected.
    let mut spec = panic_spec();
    spec.replay = false;
    rejects(PANIC_M3, &spec, "unexpected replay marker");
}

#[test]
fn wcet_bound_is_enforced() {
    let text = WCET_M3.to_string();
    let over = text.replacen(
        "max_irq_records=2 budget=2",
        "max_irq_records=3 budget=2",
        1,
    );
    rejects(&over, &wcet(), "printed 3 records, budget 2");
    // The longest call at the large backlog costs twice as much: it grew.
    let l = lines(WCET_M3);
    let i = find(&l, 0, "wcet backlog=1000");
    let ticks = number_after(&l[i], "max_ticks=");
    let mut m = l.clone();
    m[i] = m[i].replace(
        &format!("max_ticks={ticks}"),
        &format!("max_ticks={}", ticks * 2),
    );
    rejects(&join(&m), &wcet(), "grew with the backlog");
    let mut spec = wcet();
    spec.wcet.as_mut().unwrap().backlogs = vec![1000, 10000];
    rejects(
        WCET_M3,
        &spec,
        "wcet backlogs [10, 1000], expected [1000, 10000]",
    );
    rejects(WCET_M3, &spec_none(), "unexpected wcet lines");
}

pub(crate) const HEAD: &str = "[    0.000100] INFO  t0: ";
pub(crate) const NOTE: &str = "[    0.000100] WARN  logbuf: ";

pub(crate) fn synth(records: &[&str]) -> String {
    records
        .iter()
        .map(|r| match r.strip_prefix('!') {
            Some("1") => format!("{NOTE}! 1 message dropped\n"),
            Some(n) => format!("{NOTE}! {n} messages dropped\n"),
            None => format!("{HEAD}{r}\n"),
        })
        .collect()
}

#[test]
fn notices_must_come_before_the_gap_is_seen() {
    // Records 1 and 2 of `a` dropped, announced before record 3: fine.
    let ok = synth(&["a seq=0", "!2", "a seq=3", "summary a=4"]);
    assert_eq!(check(&ok, &spec_none()).unwrap().announced, 2);
    // Announced only after record 3 was printed: silent at that point.
    let late = synth(&["a seq=0", "a seq=3", "!2", "summary a=4"]);
    rejects(
        &late,
        &spec_none(),
        "2 records missing by here but only 0 announced",
    );
    // Records lost at the end, after the last printed one: the notice may
    // come last.
    let tail = synth(&["a seq=0", "b seq=0", "!3", "summary a=3 b=2"]);
    check(&tail, &spec_none()).unwrap();
    let cases: [(&[&str], &str); 4] = [
        // More announced than missing.
        (
            &["a seq=0", "!1", "a seq=1", "summary a=2"],
            "0 records missing in all but 1 announced",
        ),
        // A record beyond what the summary says was issued.
        (
            &["a seq=0", "a seq=1", "summary a=1"],
            "seq=1 printed but only 1 issued",
        ),
        // A producer the summary does not know.
        (
            &["a seq=0", "b seq=0", "summary a=1"],
            "producer b missing from the summary",
        ),
        (&["a seq=0", "summary a=1", "summary a=1"], "second summary"),
    ];
    for (records, needle) in cases {
        rejects(&synth(records), &spec_none(), needle);
    }
}

#[test]
fn unknown_or_malformed_payloads_are_rejected() {
    for bad in [
        "hello world",
        "a seq=x",
        "a seq=01",
        "A seq=1",
        "a seq=1 seq=2",
    ] {
        let text = synth(&["a seq=0", bad, "summary a=1"]);
        rejects(&text, &spec_none(), "malformed");
    }
    let text = synth(&["a seq=0", "!0", "summary a=1"]);
    rejects(&text, &spec_none(), "not a dropped-messages notice");
    let no_newline = synth(&["a seq=0", "summary a=1"]);
    rejects(
        no_newline.trim_end(),
        &spec_none(),
        "ends in the middle of a line",
    );
}

#[test]
fn cut_fragments_must_be_line_prefixes() {
    for ok in [
        "[",
        "[    0.1",
        "[    0.046000] ",
        "[    0.046000] IN",
        "[    0.046000] INFO  ir",
        "[    0.046000] INFO  systick",
        "[    0.046000] INFO  systick: ti",
        "[    0.046000] INFO  t0: thr seq",
        "[    0.046000] WARN  logbuf: 3 mess",
    ] {
        assert!(line_prefix(ok), "{ok:?}");
    }
    for bad in [
        "",
        "x[    0.1",
        "[  a",
        "[    0.1234567",
        "[    0.046000]x",
        "[    0.046000] INFX",
        "[    0.046000] INFO  cpu1",
        "[    0.046000] INFO  t0x",
    ] {
        assert!(!line_prefix(bad), "{bad:?}");
    }
    let text = synth(&["a seq=0", "a seq=1 [cut]", "!1", "summary a=2"]);
    check(&text, &spec_none()).unwrap();
    let text = format!("{}garbage [cut]\n", synth(&["a seq=0", "summary a=1"]));
    rejects(&text, &spec_none(), "torn or malformed");
}

#[test]
fn line_format_is_exact() {
    assert!(parse_line("[    0.000100] INFO  t0: a").is_some());
    assert!(parse_line("[12345.000100] ERROR irq3: a").is_some());
    for bad in [
        "[    0.00010] INFO  t0: a",
        "[    0.000100]INFO  t0: a",
        "[    0.000100] INFO t0: a",
        "[    0.000100] INFO  t0 a",
        "[    0.000100] INFO  cpu0: a",
        "    0.000100] INFO  t0: a",
    ] {
        assert!(parse_line(bad).is_none(), "{bad:?}");
    }
}

#[test]
fn arguments() {
    let args = |s: &str| -> Vec<String> { s.split(' ').map(str::to_string).collect() };
    let (file, spec) = parse_args(&args(
        "cap.txt --require tick@systick --panic boom --replay --wcet 10,1000 --wcet-factor 1.5",
    ))
    .unwrap();
    assert_eq!(file, "cap.txt");
    assert_eq!(
        spec.require,
        vec![("tick".to_string(), "systick".to_string())]
    );
    assert_eq!(spec.panic.as_deref(), Some("boom"));
    assert!(spec.replay);
    assert_eq!(
        spec.wcet,
        Some(WcetSpec {
            backlogs: vec![10, 1000],
            max_factor: 1.5
        })
    );
    assert!(parse_args(&args("cap.txt --wcet 10,1000")).is_err());
    assert!(parse_args(&args("cap.txt --require tick")).is_err());
    assert!(parse_args(&args("cap.txt --bogus")).is_err());
    assert!(parse_args(&args("--replay")).is_err());
}

#[test]
fn hostile_contents_pass_as_prefixed_continuation_lines() {
    let r = check(HOSTILE_M3, &hostile()).unwrap();
    assert_eq!(r.notices, 0, "{r}");
    assert!(
        r.lines > r.printed.values().sum::<u64>() as usize,
        "multi-line records: {r}"
    );
    // Every table entry was logged by some producer.
    assert!(
        r.printed.values().all(|&n| n >= HOSTILE.len() as u64),
        "{r}"
    );
}

#[test]
fn the_old_renderer_capture_is_rejected_as_forged() {
    // Unprefixed lines, a forged ERROR record, raw control bytes.
    rejects(HOSTILE_OLD, &hostile(), "torn or malformed line");
    rejects(HOSTILE_OLD, &hostile(), "is not what was logged");
}

#[test]
fn forged_lines_in_a_hostile_capture_are_rejected() {
    let l = lines(HOSTILE_M3);
    let forged = find(&l, 0, "| [    0.000001] ERROR t0: forged line");
    let cases: Vec<(Vec<String>, &str)> = vec![
        // The continuation printed as a line of its own: a forged record.
        (
            edit(&l, forged, |_| {
                "[    0.000001] ERROR t0: forged line".into()
            }),
            "not what was logged",
        ),
        // A continuation line under another context's prefix.
        (
            edit(&l, forged, |s| {
                s.replacen("INFO  t0: |", "INFO  irq1: |", 1)
            }),
            "continuation line without its record",
        ),
        // A forged notice between records: more announced than missing.
        (
            insert(
                &l,
                forged + 1,
                "[    0.001000] WARN  logbuf: ! 2 messages dropped",
            ),
            "announced",
        ),
        // A notice imitation without logbuf's body mark.
        (
            insert(
                &l,
                forged + 1,
                "[    0.001000] WARN  logbuf: 2 messages dropped",
            ),
            "not a dropped-messages notice",
        ),
        // A record line claiming logbuf's context.
        (
            insert(&l, forged + 1, "[    0.001000] INFO  logbuf: | x"),
            "continuation line without its record",
        ),
        // A raw escape character reached the UART.
        (
            edit(&l, forged, |s| s.replace("\\x1b", "\x1b")),
            "torn or malformed line",
        ),
        // The replay marker with nothing cut before it.
        (
            insert(&l, forged + 1, REPLAY_MARKER),
            "not replayed after the marker",
        ),
        // The first line of a record starting with a body mark.
        (
            insert(
                &l,
                forged + 1,
                "[    0.001000] INFO  t0: | evil seq=99 data=x",
            ),
            "continuation line without its record",
        ),
    ];
    for (m, needle) in cases {
        rejects(&join(&m), &hostile(), needle);
    }
}

fn edit(l: &[String], i: usize, f: impl Fn(&str) -> String) -> Vec<String> {
    let mut m = l.to_vec();
    m[i] = f(&m[i]);
    assert_ne!(m[i], l[i], "the edit changed nothing");
    m
}

fn insert(l: &[String], i: usize, line: &str) -> Vec<String> {
    let mut m = l.to_vec();
    m.insert(i, line.to_string());
    m
}
