//! `--newest NAME=K`: the K newest records of a producer must all be
//! printed (the wedge scenario: the interrupt's newest records survive a
//! writer stalled mid-record, issue 10).

/// Checks one producer at the end of the output: it issued `issued`
/// records, printed up to `next - 1`, the last consecutive run starting at
/// `run_start`.
pub(crate) fn check(
    name: &str,
    issued: u64,
    run_start: u64,
    next: u64,
    want: &[(String, u64)],
    err: &mut impl FnMut(usize, String),
) {
    for (_, k) in want.iter().filter(|(n, _)| n == name) {
        let from = issued.saturating_sub(*k);
        if next != issued || run_start > from {
            let printed = if next == 0 {
                "none printed".to_string()
            } else {
                format!("printed {name} seq={run_start}..={} in a row", next - 1)
            };
            err(
                0,
                format!(
                    "the {k} newest records of {name} (seq={from}..{issued}) are not all \
                     printed: {printed}"
                ),
            );
        }
    }
}

/// Names in `want` that no summary line mentions: their newest records
/// cannot be checked, which is itself a failure.
pub(crate) fn unknown<'a>(want: &'a [(String, u64)], issued: &[(&str, u64)]) -> Vec<&'a str> {
    want.iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !issued.iter().any(|(k, _)| k == n))
        .collect()
}
