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
    let frag = format!("cut:{NOTE}1 mess");
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
    let one = format!("{HEAD}a seq=0\n{NOTE}1 message dropped\n{HEAD}a seq=2\n{HEAD}summary a=3\n");
    assert_eq!(check(&one, &Spec::default()).unwrap().announced, 1);
    for bad in [
        "2 message dropped",
        "0 messages dropped",
        "01 messages dropped",
    ] {
        let text = format!("{HEAD}a seq=0\n{NOTE}{bad}\n{HEAD}summary a=1\n");
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
