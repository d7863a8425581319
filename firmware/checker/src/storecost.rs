//! `storecost` lines (firmware `storecost`): instructions per `Ring::write`
//! on the target, counted under `-icount` (issue 10 item 4).
//!
//! `storecost bytes=B stores=N insns_x100=I`: N stores of a B-byte record
//! in the ring's steady state cost I / 100 instructions each.

use std::collections::BTreeMap;

/// One measurement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreCost {
    /// Payload bytes per record.
    pub bytes: u64,
    /// Stores measured.
    pub stores: u64,
    /// Instructions per store, times 100.
    pub insns_x100: u64,
}

/// Parses the `KEY=N` pairs of a `storecost` line.
pub(crate) fn parse(kv: &[(&str, u64)]) -> Result<StoreCost, String> {
    let kv: BTreeMap<&str, u64> = kv.iter().copied().collect();
    let get = |k: &str| {
        kv.get(k)
            .copied()
            .ok_or_else(|| format!("storecost line without {k}"))
    };
    Ok(StoreCost {
        bytes: get("bytes")?,
        stores: get("stores")?,
        insns_x100: get("insns_x100")?,
    })
}

/// Checks the measurements against `bounds`: (record bytes, most
/// instructions per store).
pub(crate) fn check(got: &[StoreCost], bounds: &[(u64, f64)], err: &mut impl FnMut(usize, String)) {
    for &(bytes, max) in bounds {
        let lines: Vec<&StoreCost> = got.iter().filter(|c| c.bytes == bytes).collect();
        if lines.is_empty() {
            err(0, format!("no storecost line with bytes={bytes}"));
        }
        for c in lines {
            if c.stores == 0 || c.insns_x100 == 0 {
                err(0, format!("storecost bytes={bytes}: no valid measurement"));
                continue;
            }
            let per_store = c.insns_x100 as f64 / 100.0;
            if per_store > max {
                err(
                    0,
                    format!(
                        "storecost bytes={bytes}: a store took {per_store:.2} instructions, \
                         allowed {max}"
                    ),
                );
            }
        }
    }
}
