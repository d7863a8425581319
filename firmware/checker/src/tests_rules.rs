//! The notice rules of issue 11 item 5 (module `notices`), one violating
//! and one satisfying hand-written fixture each, and `--newest`.
use super::tests::{rejects, synth, HEAD, NOTE};
use super::*;

fn replay_spec() -> Spec {
    Spec {
        replay: true,
        ..Spec::default()
    }
}

/// `synth`, with `cut:TEXT` lines written raw (a fragment a takeover cut,
/// without its newline) and `marker` for the replay marker.
fn synth_replay(records: &[&str]) -> String {
    records
        .iter()
        .map(|r| match (r.strip_prefix("cut:"), *r) {
            (Some(frag), _) => format!("{frag}\n"),
            (None, "marker") => format!("{REPLAY_MARKER}\n"),
            (None, r) => synth(&[r]),
        })
        .collect()
}

#[test]
fn rule_a_notice_precedes_the_next_record_of_each_producer() {
    // a seq=1 is missing; its notice comes before a seq=2: fine, even with
    // another producer's record in between.
    let ok = synth(&["a seq=0", "!1", "b seq=0", "a seq=2", "summary a=3 b=1"]);
    assert_eq!(check(&ok, &Spec::default()).unwrap().announced, 1);
    // The notice comes only after a seq=2 was printed.
    let late = synth(&["a seq=0", "b seq=0", "a seq=2", "!1", "summary a=3 b=1"]);
    rejects(&late, &Spec::default(), "notice missing or late");
    // One notice of 1 cannot cover a gap of `a` and a later one of `b`:
    // the second gap is closed (b seq=2) with only 1 announced.
    let short = synth(&[
        "a seq=0",
        "b seq=0",
        "!1",
        "a seq=2",
        "b seq=2",
        "!1",
        "summary a=3 b=3",
    ]);
    rejects(
        &short,
        &Spec::default(),
        "2 records missing by here but only 1",
    );
}

#[test]
fn rule_b_nothing_left_unannounced_at_the_end() {
    // a seq=3 and 4 were issued after the last printed record: announced.
    let ok = synth(&["a seq=0", "!1", "a seq=2", "!2", "summary a=5"]);
    check(&ok, &Spec::default()).unwrap();
    let left = synth(&["a seq=0", "!1", "a seq=2", "summary a=5"]);
    rejects(&left, &Spec::default(), "left unannounced");
    rejects(&left, &Spec::default(), "2 never announced");
}

#[test]
fn rule_c_nothing_announced_twice() {
    let ok = synth(&["a seq=0", "!1", "a seq=2", "summary a=3"]);
    check(&ok, &Spec::default()).unwrap();
    let twice = synth(&["a seq=0", "!1", "a seq=2", "!1", "summary a=3"]);
    rejects(&twice, &Spec::default(), "announced twice");
    // The violation points at the notice that went past the losses.
    let v = check(&twice, &Spec::default()).unwrap_err();
    assert!(v.iter().any(|v| v.line == 4), "{v:#?}");
}

#[test]
fn rule_c_across_a_panic_replay() {
    // A notice cut by the takeover is not counted; its replay is.
    let frag = format!("cut:{NOTE}! 1 mess");
    let ok = synth_replay(&["a seq=0", &frag, "marker", "!1", "a seq=2", "summary a=3"]);
    assert_eq!(check(&ok, &replay_spec()).unwrap().announced, 1);
    // The notice went out whole, the record after it was cut: only the
    // record is replayed.
    let frag = format!("cut:{HEAD}a se");
    let ok = synth_replay(&["a seq=0", "!1", &frag, "marker", "a seq=2", "summary a=3"]);
    assert_eq!(check(&ok, &replay_spec()).unwrap().announced, 1);
    // The notice went out whole (the cut came right after its last byte)
    // and is printed again after the marker: announced twice.
    let twice = synth_replay(&[
        "a seq=0",
        "!1",
        "cut:",
        "marker",
        "!1",
        "a seq=2",
        "summary a=3",
    ]);
    rejects(
        &twice,
        &replay_spec(),
        "printed whole before the panic takeover",
    );
}

#[test]
fn both_notice_wordings_parse() {
    let one =
        format!("{HEAD}a seq=0\n{NOTE}! 1 message dropped\n{HEAD}a seq=2\n{HEAD}summary a=3\n");
    assert_eq!(check(&one, &Spec::default()).unwrap().announced, 1);
    for bad in [
        "2 message dropped",
        "0 messages dropped",
        "01 messages dropped",
    ] {
        let text = format!("{HEAD}a seq=0\n{NOTE}! {bad}\n{HEAD}summary a=1\n");
        rejects(&text, &Spec::default(), "not a dropped-messages notice");
    }
}

#[test]
fn newest_records_must_be_printed() {
    let spec = Spec {
        newest: vec![("a".into(), 2)],
        ..Spec::default()
    };
    let ok = synth(&["a seq=0", "!2", "a seq=3", "a seq=4", "summary a=5"]);
    check(&ok, &spec).unwrap();
    let gap = synth(&[
        "a seq=0",
        "a seq=1",
        "a seq=2",
        "!1",
        "a seq=4",
        "summary a=5",
    ]);
    rejects(&gap, &spec, "the 2 newest records of a");
    let tail = synth(&["a seq=0", "a seq=3", "!2", "!2", "summary a=5"]);
    rejects(&tail, &spec, "the 2 newest records of a");
    let other = Spec {
        newest: vec![("z".into(), 1)],
        ..Spec::default()
    };
    rejects(&ok, &other, "--newest z");
}

#[test]
fn irqcost_bound_is_enforced() {
    let spec = Spec {
        irq_ratio: vec![(0, 2.0)],
        ..Spec::default()
    };
    let line = |store: u64, log: u64| {
        format!(
            "irqcost irq_prints=0 backlog=20 calls=16 store_max_ticks={store} log_max_ticks={log}"
        )
    };
    let ok = synth(&[&line(684, 1017), "summary x=0"]);
    let r = check(&ok, &spec).unwrap();
    assert_eq!(r.irqcost[0].log_max_ticks, 1017);
    let over = synth(&[&line(684, 1369), "summary x=0"]);
    rejects(&over, &spec, "2.00x a store-only call");
    let bad = synth(&[&line(0, 10), "summary x=0"]);
    rejects(&bad, &spec, "no valid measurement");
    rejects(
        &synth(&["summary x=0"]),
        &spec,
        "no irqcost line with irq_prints=0",
    );
    let (_, parsed) = parse_args(&["c.txt".into(), "--irq-ratio".into(), "1=3".into()]).unwrap();
    assert_eq!(parsed.irq_ratio, vec![(1, 3.0)]);
    assert!(parse_args(&["c.txt".into(), "--irq-ratio".into(), "3".into()]).is_err());
}

#[test]
fn storecost_bound_is_enforced() {
    let spec = Spec {
        store_insns: vec![(32, 100.0)],
        ..Spec::default()
    };
    let line = |x100: u64| format!("storecost bytes=32 stores=1000 insns_x100={x100}");
    let ok = synth(&[&line(9_950), "summary x=0"]);
    let r = check(&ok, &spec).unwrap();
    assert_eq!(r.storecost[0].insns_x100, 9_950);
    let over = synth(&[&line(10_001), "summary x=0"]);
    rejects(
        &over,
        &spec,
        "a store took 100.01 instructions, allowed 100",
    );
    let bad = synth(&[&line(0), "summary x=0"]);
    rejects(&bad, &spec, "no valid measurement");
    rejects(
        &synth(&["summary x=0"]),
        &spec,
        "no storecost line with bytes=32",
    );
    let (_, parsed) =
        parse_args(&["c.txt".into(), "--store-insns".into(), "32=100".into()]).unwrap();
    assert_eq!(parsed.store_insns, vec![(32, 100.0)]);
    assert!(parse_args(&["c.txt".into(), "--store-insns".into(), "100".into()]).is_err());
}

const WARM_M3: &str = include_str!("../fixtures/warm-m3.txt");
const WEDGE_M3: &str = include_str!("../fixtures/wedge-m3.txt");

fn warm_spec() -> Spec {
    Spec {
        require: vec![("w".into(), "t0".into())],
        panic: Some("warm reset test".into()),
        warm_reset: true,
        ..Spec::default()
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(|l| format!("{l}\n")).collect()
}

#[test]
fn warm_reset_replays_boot_1_line_by_line() {
    let r = check(WARM_M3, &warm_spec()).unwrap();
    assert_eq!(r.previous_boot, 22);
    let l = lines(WARM_M3);
    let first = l
        .iter()
        .position(|l| l.contains("(previous boot)"))
        .unwrap();
    // A previous-boot line missing.
    let mut m = l.clone();
    m.remove(first + 3);
    rejects(
        &m.concat(),
        &warm_spec(),
        "previous-boot lines, but boot 1 printed",
    );
    // A previous-boot line altered.
    let mut m = l.clone();
    m[first + 3] = m[first + 3].replace("w seq=3", "w seq=4");
    rejects(&m.concat(), &warm_spec(), "is not boot 1's line 4");
    // The panic record did not survive the reset.
    let mut m = l.clone();
    let p = first
        + l[first..]
            .iter()
            .position(|l| l.contains("panic at"))
            .unwrap();
    m.remove(p);
    rejects(
        &m.concat(),
        &warm_spec(),
        "previous-boot lines, but boot 1 printed",
    );
    // Boot 2 recovered a different number than it printed.
    let wrong = WARM_M3.replace("kept=22", "kept=21");
    rejects(&wrong, &warm_spec(), "boot 2 reports kept=Some(21)");
    // The reset cleared the RAM: boot 1 ran again, nothing recovered.
    let boot1: String = l[..first].concat();
    rejects(&format!("{boot1}{boot1}"), &warm_spec(), "cleared the RAM");
    rejects(
        &boot1,
        &warm_spec(),
        "no (previous boot) record after the reset",
    );
}

#[test]
fn wedge_capture_accounts_for_the_stalled_record() {
    let spec = Spec {
        require: vec![("thr".into(), "t0".into()), ("hi".into(), "systick".into())],
        panic: Some("overtaken=1 refused=0".into()),
        newest: vec![("hi".into(), 100)],
        ..Spec::default()
    };
    let r = check(WEDGE_M3, &spec).unwrap();
    assert_eq!(r.announced, 1155);
    // The overtaken thread record left unannounced: the notice one short.
    let short = WEDGE_M3.replace("1155 messages dropped", "1154 messages dropped");
    rejects(&short, &spec, "left unannounced");
    // The panic message lost.
    let l = lines(WEDGE_M3);
    let no_panic: String = l
        .iter()
        .filter(|l| !l.contains("panic at"))
        .cloned()
        .collect();
    rejects(&no_panic, &spec, "no panic record");
    // One of the newest interrupt records missing (and announced).
    let gap = WEDGE_M3
        .replace("[    0.000000] INFO  systick: hi seq=1250\n", "")
        .replace("1155 messages dropped", "1156 messages dropped");
    rejects(&gap, &spec, "the 100 newest records of hi");
}

/// Real capture (firmware `cutnotice`, main 1964e3e): the takeover came
/// right after the last byte of a notice, and the replay printed it again.
const CUT_NOTICE_TWICE: &str = include_str!("../fixtures/cutnotice-m3-twice.txt");

#[test]
fn captured_replayed_notice_is_announced_twice() {
    let spec = Spec {
        require: vec![("thr".into(), "t0".into())],
        panic: Some("cut after a notice".into()),
        replay: true,
        ..Spec::default()
    };
    rejects(
        CUT_NOTICE_TWICE,
        &spec,
        "printed whole before the panic takeover",
    );
    rejects(CUT_NOTICE_TWICE, &spec, "30 too many");
    // What it must print: the record only, after the marker.
    let marker = format!("{REPLAY_MARKER}\n");
    let (before, after) = CUT_NOTICE_TWICE.split_once(&marker).unwrap();
    let (_, rest) = after.split_once('\n').unwrap();
    let fixed = format!("{before}{marker}{rest}");
    assert_eq!(check(&fixed, &spec).unwrap().announced, 30);
}

#[test]
fn required_note_pairs() {
    let spec = Spec {
        require_notes: vec!["busy=0".into()],
        ..Spec::default()
    };
    check(&synth(&["note busy=0 full=2", "summary x=0"]), &spec).unwrap();
    rejects(
        &synth(&["note busy=3 full=2", "summary x=0"]),
        &spec,
        "no note line with busy=0",
    );
    rejects(&synth(&["summary x=0"]), &spec, "no note line with busy=0");
}
