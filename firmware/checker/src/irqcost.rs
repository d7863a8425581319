//! `irqcost` lines (firmware `irqcost`): an interrupt-context log call with
//! a blocking, thread-only console must cost at most a given factor of a
//! store-only interrupt call (I11, issue 11).
//!
//! `irqcost irq_prints=P backlog=B calls=N store_max_ticks=S log_max_ticks=L`:
//! `P` is 0 for `Config::DEFAULT`, 1 for `Config::IRQ_PRINTS`.

use std::collections::BTreeMap;

/// One measurement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IrqCost {
    /// Whether interrupt calls may print (`Config::IRQ_PRINTS`).
    pub irq_prints: u64,
    /// Records waiting for the console during the measurement.
    pub backlog: u64,
    /// Calls measured of each kind.
    pub calls: u64,
    /// Longest store-only interrupt call (`log_deferred`), SysTick ticks.
    pub store_max_ticks: u64,
    /// Longest ordinary interrupt call (`log`), SysTick ticks.
    pub log_max_ticks: u64,
}

/// Parses the `KEY=N` pairs of an `irqcost` line.
pub(crate) fn parse(kv: &[(&str, u64)]) -> Result<IrqCost, String> {
    let kv: BTreeMap<&str, u64> = kv.iter().copied().collect();
    let get = |k: &str| {
        kv.get(k)
            .copied()
            .ok_or_else(|| format!("irqcost line without {k}"))
    };
    Ok(IrqCost {
        irq_prints: get("irq_prints")?,
        backlog: get("backlog")?,
        calls: get("calls")?,
        store_max_ticks: get("store_max_ticks")?,
        log_max_ticks: get("log_max_ticks")?,
    })
}

/// Checks the measurements against `bounds`: (irq_prints, max ratio).
pub(crate) fn check(got: &[IrqCost], bounds: &[(u64, f64)], err: &mut impl FnMut(usize, String)) {
    for &(prints, ratio) in bounds {
        let lines: Vec<&IrqCost> = got.iter().filter(|c| c.irq_prints == prints).collect();
        if lines.is_empty() {
            err(0, format!("no irqcost line with irq_prints={prints}"));
        }
        for c in lines {
            if c.calls == 0 || c.backlog == 0 || c.store_max_ticks == 0 {
                err(
                    0,
                    format!("irqcost irq_prints={prints}: no valid measurement"),
                );
                continue;
            }
            let r = c.log_max_ticks as f64 / c.store_max_ticks as f64;
            if r > ratio {
                err(
                    0,
                    format!(
                        "irqcost irq_prints={prints}: the interrupt log call took {} ticks, \
                         {r:.2}x a store-only call ({} ticks), allowed {ratio}x",
                        c.log_max_ticks, c.store_max_ticks
                    ),
                );
            }
        }
    }
}
