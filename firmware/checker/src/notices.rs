//! The three notice rules (issue 11 item 5), kept apart from the line
//! grammar so each is one function with its own message.
//!
//! A notice (`N messages dropped`) does not say whose records it covers, so
//! the checker reasons about deadlines: a record missing from producer P
//! must be announced before P's next printed record (its *deadline*), or by
//! the end of the output when P prints nothing after it. Anonymous notices
//! can cover such a set of losses exactly when, at every deadline, the
//! losses due by then are at most the notices printed by then (the earliest
//! deadline first assignment), and at the end both totals are equal. So:
//!
//! * **(a) no late notice** ([`Ledger::gap_closed`]): when a producer's
//!   record closes a gap, every record known missing so far (all producers)
//!   must already be announced;
//! * **(b) nothing left unannounced** and **(c) nothing announced twice**
//!   ([`Ledger::finish`]): at the end, the notices add up to exactly the
//!   records missing (issued per the summary minus printed);
//! * **(c) across a panic replay** ([`replayed_notice`]): the fragment a
//!   takeover cut is not counted (it is replayed whole after the marker),
//!   and a notice printed whole before the cut must not be printed again
//!   after the marker.

use crate::Violation;

/// Running totals of records missing and announced, in output order.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    /// Records known missing so far: gaps closed by a later record.
    missing: u64,
    /// Records announced so far (raised to `missing` after a violation of
    /// rule (a), so that each silent loss is reported once).
    covered: u64,
    /// Every notice: (line, cumulative count after it).
    notices: Vec<(usize, u64)>,
}

impl Ledger {
    /// A notice of `count` dropped records on line `line`.
    pub(crate) fn notice(&mut self, line: usize, count: u64) {
        self.covered += count;
        let total = self.notices.last().map_or(0, |&(_, t)| t) + count;
        self.notices.push((line, total));
    }

    /// Records announced by all notices so far.
    pub(crate) fn announced(&self) -> u64 {
        self.notices.last().map_or(0, |&(_, t)| t)
    }

    /// Rule (a): producer `name` printed `seq` on line `line` after `gap`
    /// records of its own were missing.
    pub(crate) fn gap_closed(
        &mut self,
        line: usize,
        name: &str,
        seq: u64,
        gap: u64,
    ) -> Option<Violation> {
        self.missing += gap;
        if self.missing <= self.covered {
            return None;
        }
        let what = format!(
            "notice missing or late: {} records missing by here but only {} announced as \
             dropped (before {name} seq={seq})",
            self.missing, self.covered
        );
        self.covered = self.missing;
        Some(Violation { line, what })
    }

    /// Rules (b) and (c) at the end of the output: `trailing` is the number
    /// of records issued (per the summary) after each producer's last
    /// printed one.
    pub(crate) fn finish(&self, trailing: u64) -> Option<Violation> {
        let missing = self.missing + trailing;
        let announced = self.announced();
        if missing > announced {
            let what = format!(
                "left unannounced: {missing} records missing in all but {announced} announced \
                 as dropped ({} never announced; printed + announced must equal issued)",
                missing - announced
            );
            return Some(Violation { line: 0, what });
        }
        if missing < announced {
            // The first notice that takes the total past what is missing.
            let line = self
                .notices
                .iter()
                .find(|&&(_, t)| t > missing)
                .map_or(0, |&(l, _)| l);
            let what = format!(
                "announced twice: {missing} records missing in all but {announced} announced \
                 as dropped ({} too many; the notices exceed the losses from here on)",
                announced - missing
            );
            return Some(Violation { line, what });
        }
        None
    }
}

/// Whether `text` is a whole dropped-messages notice line (either wording).
pub(crate) fn is_notice(text: &str) -> bool {
    notice_count(text).is_some()
}

/// The count of a `N messages dropped` / `1 message dropped` payload.
pub(crate) fn notice_count(payload_or_line: &str) -> Option<u64> {
    let p = payload_or_line
        .rsplit_once("logbuf: ")
        .map_or(payload_or_line, |(_, p)| p);
    // The body mark of logbuf's own lines (a payload may come without it).
    let p = p.strip_prefix("! ").unwrap_or(p);
    let n = p
        .strip_suffix(" messages dropped")
        .or_else(|| p.strip_suffix(" message dropped").filter(|n| *n == "1"))?;
    let ok = !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0');
    ok.then(|| n.parse().ok()).flatten()
}

/// Rule (c) across a panic replay. `before` is the last whole line printed
/// before the cut fragment (line `before_line`), `replayed` the first line
/// after the takeover marker. A notice printed whole before the cut has
/// announced its records; printing it again after the marker announces
/// them twice.
pub(crate) fn replayed_notice(
    before: Option<(usize, &str)>,
    replayed: Option<&str>,
    marker_line: usize,
) -> Option<Violation> {
    let (before_line, before) = before?;
    if !is_notice(before) || replayed != Some(before) {
        return None;
    }
    let what = format!(
        "announced twice: the notice on line {before_line} was printed whole before the panic \
         takeover and again after the replay marker"
    );
    Some(Violation {
        line: marker_line + 1,
        what,
    })
}
