//! `fwcheck multicore FILE [BASE-ARGS...] [--min-handoffs N] [--irq-phase]
//! [--min-irq-calls N] [--stopped] [--expect NAME@CTX]...`: the two-hart RISC-V captures
//! (firmware/riscv).
//!
//! First every rule of [`check`](crate::check) (each record once, in
//! per-producer order, or announced as dropped; no torn line; panic record
//! last; replay after a takeover), on the capture with its dropped notices
//! normalised: logbuf may print `1 message dropped` or `N messages dropped`,
//! and the count is what matters. Then the firmware's own statements,
//! `note phase=NAME key=value ...` lines (differences of
//! `Logger::stats()` over a phase) and `note stopped=0|1` (the panic
//! handler's stop of the other hart):
//!
//! * `--min-handoffs N`: phase `load` handed the console over at least N
//!   times between harts (the scenario really exercised the handoff);
//! * `--irq-phase`: phase `irq` (an interrupt logging on one hart while the
//!   other hart's thread owns the console) has `handoffs=0` and
//!   `waiter_timeouts=0` (no interrupt was handed the console or waited for
//!   it) and at least `--min-irq-calls` (default 1) such interrupt calls;
//! * `--stopped`: the panic handler reports `stopped=1`;
//! * `--expect NAME@CTX`: every printed record of NAME carries CTX, but
//!   NAME may be absent (`--require` of the base rules insists on at least
//!   one record; with parallel harts a rare producer may lose them all).
//!
//! Records per hart come from the producer names, which end in the hart
//! number (`thr0`, `tmr1`, ...).

use crate::{Report, Spec, Violation};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::process::ExitCode;

/// What a two-hart capture must show beyond the base [`Spec`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct McSpec {
    /// The base rules.
    pub base: Spec,
    /// Least number of handoffs in phase `load`.
    pub min_handoffs: Option<u64>,
    /// Check phase `irq`.
    pub irq_phase: bool,
    /// Least number of interrupt calls against a busy owner in phase `irq`.
    pub min_irq_calls: u64,
    /// The panic handler must report `stopped=1`.
    pub stopped: bool,
    /// Producers whose records, if any are printed, all carry this context
    /// (`--expect NAME@CTX`: for runs where a rare producer may be absent).
    pub expect: Vec<(String, String)>,
}

/// What a passing two-hart capture contained.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct McReport {
    /// The base report.
    pub base: Report,
    /// `note phase=NAME ...` values, per phase (several notes merge).
    pub phases: BTreeMap<String, BTreeMap<String, u64>>,
    /// Other `note` values (`stopped`).
    pub notes: BTreeMap<String, u64>,
    /// Per hart: (records printed, records issued).
    pub harts: BTreeMap<u32, (u64, u64)>,
    /// Records announced as dropped, from the notices (either wording).
    pub dropped: u64,
}

impl fmt::Display for McReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.base)?;
        for (h, (printed, issued)) in &self.harts {
            write!(f, "\nhart {h}: {printed} printed of {issued} issued")?;
        }
        write!(f, "\ndropped (announced): {}", self.dropped)?;
        for (phase, kv) in &self.phases {
            write!(f, "\nphase {phase}:")?;
            for (k, v) in kv {
                write!(f, " {k}={v}")?;
            }
        }
        Ok(())
    }
}

/// The count of a dropped-messages notice line, in either wording
/// (`1 message dropped`, `N messages dropped`).
pub fn notice_count(line: &str) -> Option<u64> {
    let (_, rest) = line.split_once(" logbuf: ! ")?;
    let (n, words) = rest.split_once(' ')?;
    matches!(words, "message dropped" | "messages dropped")
        .then(|| n.parse().ok())
        .flatten()
}

/// The capture as the base checker parses it (it knows both wordings of a
/// notice, `1 message dropped` and `N messages dropped`).
pub fn normalize(text: &str) -> String {
    text.to_string()
}

/// `key=value` pairs of a note; values that are not numbers are skipped.
fn note_pairs(note: &str) -> Vec<(&str, &str)> {
    note.split(' ')
        .filter_map(|kv| kv.split_once('='))
        .collect()
}

/// The payloads of `note ...` records, read from the text itself (so they
/// are there even when the base rules failed).
fn notes(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.split_once(": note ").map(|(_, n)| n))
        .collect()
}

/// Contexts each producer's records (`NAME seq=N`) carry.
fn contexts(text: &str) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut map: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for line in text.lines() {
        let Some((head, payload)) = line.split_once(": ") else {
            continue;
        };
        let (Some(ctx), Some((name, seq))) = (head.rsplit(' ').next(), payload.split_once(' '))
        else {
            continue;
        };
        if seq.starts_with("seq=") {
            map.entry(name).or_default().insert(ctx);
        }
    }
    map
}

fn collect(report: Report, text: &str) -> McReport {
    let mut mc = McReport::default();
    for note in notes(text) {
        let pairs = note_pairs(note);
        let phase = pairs.iter().find(|(k, _)| *k == "phase").map(|(_, v)| *v);
        for (k, v) in pairs.iter().filter(|(k, _)| *k != "phase") {
            let Ok(v) = v.parse::<u64>() else { continue };
            match phase {
                Some(p) => mc
                    .phases
                    .entry(p.to_string())
                    .or_default()
                    .insert(k.to_string(), v),
                None => mc.notes.insert(k.to_string(), v),
            };
        }
    }
    let hart_of = |name: &str| name.chars().last().and_then(|c| c.to_digit(10));
    for (name, issued) in &report.issued {
        if let Some(h) = hart_of(name) {
            let printed = report.printed.get(name).copied().unwrap_or(0);
            let e = mc.harts.entry(h).or_default();
            e.0 += printed;
            e.1 += issued;
        }
    }
    mc.dropped = text.lines().filter_map(notice_count).sum();
    mc.base = report;
    mc
}

/// Checks a two-hart capture (see the module documentation).
pub fn check(text: &str, spec: &McSpec) -> Result<McReport, Vec<Violation>> {
    let text = normalize(text);
    let (report, mut errors) = match crate::check(&text, &spec.base) {
        Ok(r) => (r, Vec::new()),
        Err(v) => (Report::default(), v),
    };
    let mc = collect(report, &text);
    let mut err = |what: String| errors.push(Violation { line: 0, what });
    let get = |phase: &str, key: &str| mc.phases.get(phase).and_then(|kv| kv.get(key)).copied();
    if let Some(min) = spec.min_handoffs {
        match get("load", "handoffs") {
            Some(n) if n >= min => {}
            Some(n) => err(format!("phase load: {n} handoffs, expected at least {min}")),
            None => err("no `note phase=load handoffs=..`".into()),
        }
    }
    if spec.irq_phase {
        for key in ["handoffs", "waiter_timeouts"] {
            match get("irq", key) {
                Some(0) => {}
                Some(n) => err(format!(
                    "phase irq: {key}={n}: an interrupt was handed the console or waited for \
                     the thread owner on the other hart"
                )),
                None => err(format!("no `note phase=irq {key}=..`")),
            }
        }
        match get("irq", "irq_calls") {
            Some(n) if n >= spec.min_irq_calls => {}
            n => err(format!(
                "phase irq: {n:?} interrupt calls met the busy owner, expected at least {}",
                spec.min_irq_calls
            )),
        }
    }
    let seen = contexts(&text);
    for (name, ctx) in &spec.expect {
        let other = seen
            .get(name.as_str())
            .into_iter()
            .flatten()
            .find(|c| *c != ctx);
        if let Some(c) = other {
            err(format!("{name} logged from {c}, expected {ctx}"));
        }
    }
    if spec.stopped && mc.notes.get("stopped") != Some(&1) {
        err("the panic handler did not report `stopped=1` (other hart not stopped)".into());
    }
    if errors.is_empty() {
        Ok(mc)
    } else {
        Err(errors)
    }
}

/// Splits off this module's flags; the rest go to [`crate::parse_args`].
pub fn parse_args(args: &[String]) -> Result<(String, McSpec), String> {
    let mut spec = McSpec {
        min_irq_calls: 1,
        ..McSpec::default()
    };
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut num = || -> Result<u64, String> {
            let v = it.next().ok_or_else(|| format!("{a} needs a value"))?;
            v.parse().map_err(|_| format!("bad number for {a}: {v:?}"))
        };
        match a.as_str() {
            "--min-handoffs" => spec.min_handoffs = Some(num()?),
            "--min-irq-calls" => spec.min_irq_calls = num()?,
            "--irq-phase" => spec.irq_phase = true,
            "--stopped" => spec.stopped = true,
            "--expect" => {
                let v = it.next().ok_or("--expect needs NAME@CONTEXT")?;
                let (n, c) = v.split_once('@').ok_or("--expect takes NAME@CONTEXT")?;
                spec.expect.push((n.to_string(), c.to_string()));
            }
            _ => rest.push(a.clone()),
        }
    }
    let (file, base) = crate::parse_args(&rest)?;
    spec.base = base;
    Ok((file, spec))
}

/// `fwcheck multicore ...` (arguments after `multicore`).
pub fn main(args: &[String]) -> ExitCode {
    let (file, spec) = match parse_args(args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("fwcheck multicore: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read(&file) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            eprintln!("fwcheck multicore: {file}: {e}");
            return ExitCode::from(2);
        }
    };
    match check(&text, &spec) {
        Ok(report) => {
            println!("fwcheck multicore: {file}: ok: {report}");
            ExitCode::SUCCESS
        }
        Err(violations) => {
            for v in violations.iter().take(20) {
                println!("fwcheck multicore: {file}: {v}");
            }
            println!(
                "fwcheck multicore: {file}: FAILED ({} violations)",
                violations.len()
            );
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
#[path = "multicore_tests.rs"]
mod tests;
