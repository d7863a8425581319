//! `--warm-reset`: a capture of two boots (firmware `warm`, issue 10 item
//! 5). Boot 1 logs and panics; the panic handler resets the board; boot 2
//! recovers the ring kept in RAM and prints boot 1's records again, each
//! marked `(previous boot)`, then its own.
//!
//! The capture splits at the first `(previous boot)` line:
//!
//! 1. boot 1's lines pass [`check`](crate::check) with the given spec (the
//!    panic record included);
//! 2. the previous-boot lines, marker removed, equal boot 1's record lines
//!    one by one (what the console printed before the reset, without the
//!    notices it made up), the panic record last;
//! 3. boot 2's own lines pass [`check`](crate::check) on their own, and its
//!    `note boot=2 kept=N` says it recovered exactly those lines.
//!
//! No previous-boot line at all means the reset lost the ring; if boot 1's
//! first line shows up more than once, the board ran boot 1 again: the reset
//! cleared the RAM that holds the logger.

use crate::{check, parse_line, Report, Spec, Violation};

/// What logbuf prints before the payload of a record from before a reset.
pub(crate) const PREVIOUS: &str = "(previous boot) ";

fn is_previous(line: &str) -> bool {
    parse_line(line).is_some_and(|l| l.payload.starts_with(PREVIOUS))
}

fn join(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Checks a two-boot capture (see the module documentation).
pub(crate) fn check_warm(text: &str, spec: &Spec) -> Result<Report, Vec<Violation>> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(k) = lines.iter().position(|l| is_previous(l)) else {
        return Err(vec![no_previous_boot(&lines)]);
    };
    let m = lines[k..].iter().take_while(|l| is_previous(l)).count();
    let mut errors = Vec::new();
    let boot1 = Spec {
        warm_reset: false,
        ..spec.clone()
    };
    let mut report = check(&join(&lines[..k]), &boot1).unwrap_or_else(|v| {
        errors.extend(v);
        Report::default()
    });
    compare(&lines[..k], &lines[k..k + m], k, &mut errors);
    let rest = lines[k + m..].to_vec();
    let tail = if text.ends_with('\n') || text.is_empty() {
        join(&rest)
    } else {
        join(&rest).trim_end_matches('\n').to_string()
    };
    match check(&tail, &Spec::default()) {
        Ok(r2) => kept_note(&r2, m, &mut errors),
        Err(v) => errors.extend(v.into_iter().map(|v| Violation {
            line: if v.line == 0 { 0 } else { v.line + k + m },
            what: format!("boot 2: {}", v.what),
        })),
    }
    report.lines = lines.len();
    report.previous_boot = m;
    if errors.is_empty() {
        Ok(report)
    } else {
        Err(errors)
    }
}

/// Rule 2: the previous-boot lines (from line `k + 1` on) are boot 1's
/// record lines, in order, with the marker.
fn compare(boot1: &[&str], previous: &[&str], k: usize, errors: &mut Vec<Violation>) {
    let want: Vec<(usize, &str)> = boot1
        .iter()
        .enumerate()
        .filter(|(_, l)| parse_line(l).is_some_and(|p| p.context != "logbuf"))
        .map(|(i, l)| (i + 1, *l))
        .collect();
    if want.len() != previous.len() {
        errors.push(Violation {
            line: k + 1,
            what: format!(
                "{} previous-boot lines, but boot 1 printed {} records",
                previous.len(),
                want.len()
            ),
        });
    }
    let mismatches = want
        .iter()
        .zip(previous)
        .enumerate()
        .filter_map(|(j, ((wl, w), got))| {
            let stripped = got.replacen(&format!(": {PREVIOUS}"), ": ", 1);
            (stripped != *w).then(|| Violation {
                line: k + 1 + j,
                what: format!("previous-boot line {got:?} is not boot 1's line {wl} {w:?}"),
            })
        });
    errors.extend(mismatches.take(5));
}

/// Rule 3: boot 2 says how many records it recovered.
fn kept_note(boot2: &Report, m: usize, errors: &mut Vec<Violation>) {
    let kept = boot2.notes.iter().find_map(|n| {
        n.split(' ')
            .find_map(|kv| kv.strip_prefix("kept="))
            .and_then(|v| v.parse::<usize>().ok())
    });
    if kept != Some(m) {
        errors.push(Violation {
            line: 0,
            what: format!("boot 2 reports kept={kept:?}, but {m} previous-boot lines were printed"),
        });
    }
}

fn no_previous_boot(lines: &[&str]) -> Violation {
    let first = lines.first().copied().unwrap_or("");
    let boots = lines.iter().filter(|l| **l == first).count();
    let what = if boots > 1 {
        format!(
            "no (previous boot) record: boot 1 ran {boots} times (its first line repeats), so the \
             reset cleared the RAM that holds the logger"
        )
    } else {
        "no (previous boot) record after the reset".to_string()
    };
    Violation { line: 0, what }
}
