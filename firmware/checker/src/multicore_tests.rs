//! Tests of the two-hart checks on captures of firmware/riscv (QEMU virt,
//! `-icount shift=3` unless named otherwise), and on those captures edited
//! one way each.
use super::*;

const HANDOFF: &str = include_str!("../fixtures/rv-handoff.txt");
const PANIC: &str = include_str!("../fixtures/rv-panic.txt");
/// `broken-no-stop` (hart 1 resumes while hart 0 lingers before the exit).
const BROKEN_NO_STOP: &str = include_str!("../fixtures/rv-broken-no-stop.txt");
/// `broken-irq-handoff` (`Config::handoff_to_irq = true`).
const BROKEN_IRQ: &str = include_str!("../fixtures/rv-broken-irq-handoff.txt");

fn require(spec: &mut Spec, pairs: &[(&str, &str)]) {
    for (n, c) in pairs {
        spec.require.push((n.to_string(), c.to_string()));
    }
}

fn handoff_spec() -> McSpec {
    let mut base = Spec::default();
    require(
        &mut base,
        &[
            ("thr0", "t0"),
            ("thr1", "t1"),
            ("tmr0", "irq7"),
            ("tmr1", "irq7"),
            ("sw0", "irq3"),
            ("sw1", "irq3"),
            ("own0", "t0"),
            ("poke1", "irq3"),
        ],
    );
    McSpec {
        base,
        min_handoffs: Some(1),
        irq_phase: true,
        min_irq_calls: 1,
        stopped: false,
        expect: Vec::new(),
    }
}

fn panic_spec(stopped: bool) -> McSpec {
    let mut base = Spec {
        panic: Some("boom".into()),
        replay: true,
        ..Spec::default()
    };
    require(&mut base, &[("thr0", "t0"), ("thr1", "t1")]);
    McSpec {
        base,
        stopped,
        ..McSpec::default()
    }
}

fn violations(text: &str, spec: &McSpec) -> Vec<String> {
    match check(text, spec) {
        Ok(r) => panic!("accepted: {r}"),
        Err(v) => v.iter().map(|v| v.to_string()).collect(),
    }
}

#[test]
fn handoff_capture_passes_with_its_figures() {
    let r = check(HANDOFF, &handoff_spec()).unwrap_or_else(|v| panic!("{v:?}"));
    assert!(r.phases["load"]["handoffs"] > 0);
    assert_eq!(r.phases["irq"]["handoffs"], 0);
    assert_eq!(r.harts.len(), 2);
    let (printed, issued) = r.harts[&0];
    assert!(printed > 0 && printed <= issued);
    assert_eq!(r.dropped, r.base.announced);
}

#[test]
fn singular_notice_wording_is_accepted_and_counted() {
    // Both wordings are counted; the fixture holds singular ones.
    assert!(
        HANDOFF.contains("! 1 message dropped"),
        "the fixture has notices"
    );
    let r = check(HANDOFF, &handoff_spec()).unwrap_or_else(|v| panic!("{v:?}"));
    assert!(r.dropped > 0);
    assert_eq!(
        notice_count("[    0.1] WARN  logbuf: ! 7 messages dropped"),
        Some(7)
    );
    assert_eq!(
        notice_count("[    0.1] WARN  logbuf: ! 1 message dropped"),
        Some(1)
    );
    assert_eq!(notice_count("[    0.1] INFO  t0: thr0 seq=1"), None);
}

#[test]
fn too_few_handoffs_are_rejected() {
    let spec = McSpec {
        min_handoffs: Some(1_000_000),
        ..handoff_spec()
    };
    assert!(violations(HANDOFF, &spec)[0].contains("phase load"));
}

#[test]
fn a_missing_record_of_one_hart_is_rejected() {
    let line = HANDOFF
        .lines()
        .filter(|l| l.contains(": thr1 seq="))
        .nth(100)
        .unwrap();
    let text = HANDOFF.replace(&format!("{line}\n"), "");
    let v = violations(&text, &handoff_spec());
    assert!(v.iter().any(|v| v.contains("announced")), "{v:?}");
}

#[test]
fn an_interrupt_handed_the_console_is_rejected() {
    let v = violations(BROKEN_IRQ, &handoff_spec());
    assert!(v.iter().any(|v| v.contains("phase irq")), "{v:?}");
    // The same edit on the good capture.
    let text = HANDOFF.replace(
        "note phase=irq handoffs=0 waiter_timeouts=0",
        "note phase=irq handoffs=1 waiter_timeouts=0",
    );
    assert!(violations(&text, &handoff_spec())[0].contains("handoffs=1"));
}

#[test]
fn an_irq_phase_without_a_busy_owner_is_rejected() {
    let r = check(HANDOFF, &handoff_spec()).unwrap();
    let calls = r.phases["irq"]["irq_calls"];
    let text = HANDOFF.replace(&format!("irq_calls={calls}"), "irq_calls=0");
    assert!(violations(&text, &handoff_spec())[0].contains("interrupt calls"));
}

#[test]
fn panic_capture_passes() {
    let r = check(PANIC, &panic_spec(true)).unwrap_or_else(|v| panic!("{v:?}"));
    assert_eq!(r.base.replays, 1);
    assert_eq!(r.notes["stopped"], 1);
}

#[test]
fn panic_without_the_stop_is_rejected_by_the_output_itself() {
    // Without --stopped: the damage alone (hart 1 resumed after the
    // takeover and logged again after the summary and the panic record).
    let v = violations(BROKEN_NO_STOP, &panic_spec(false));
    assert!(
        v.iter()
            .any(|v| v.contains("after the panic record") || v.contains("torn")),
        "{v:?}"
    );
    let v = violations(BROKEN_NO_STOP, &panic_spec(true));
    assert!(v.iter().any(|v| v.contains("stopped=1")), "{v:?}");
}

#[test]
fn a_panic_flush_missing_a_record_is_rejected() {
    let line = PANIC.lines().find(|l| l.ends_with(": thr0 seq=7")).unwrap();
    let text = PANIC.replace(&format!("{line}\n"), "");
    assert!(!violations(&text, &panic_spec(true)).is_empty());
}

#[test]
fn arguments_split_between_the_two_parsers() {
    let args: Vec<String> = [
        "f.txt",
        "--min-handoffs",
        "3",
        "--require",
        "a@t0",
        "--stopped",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (file, spec) = parse_args(&args).unwrap();
    assert_eq!(file, "f.txt");
    assert_eq!(spec.min_handoffs, Some(3));
    assert!(spec.stopped && spec.min_irq_calls == 1);
    assert_eq!(spec.base.require, vec![("a".to_string(), "t0".to_string())]);
}

#[test]
fn phase_notes_are_read_even_when_a_base_rule_fails() {
    let line = HANDOFF.lines().find(|l| l.contains(": own0 seq=")).unwrap();
    let text = HANDOFF.replace(line, &line.replace("own0", "own0 seq=0 extra"));
    let v = violations(&text, &handoff_spec());
    assert!(!v.iter().any(|v| v.contains("no `note")), "{v:?}");
}

#[test]
fn an_expected_context_is_checked_when_present_only() {
    let spec = |name: &str, ctx: &str| McSpec {
        expect: vec![(name.to_string(), ctx.to_string())],
        ..handoff_spec()
    };
    assert!(check(HANDOFF, &spec("tmr0", "irq7")).is_ok());
    assert!(check(HANDOFF, &spec("nobody", "irq7")).is_ok());
    let v = violations(HANDOFF, &spec("tmr0", "irq3"));
    assert!(v[0].contains("tmr0 logged from irq7"), "{v:?}");
}
