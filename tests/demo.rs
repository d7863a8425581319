//! The demo's simulation (examples/demo/sim.rs) with small parameters: its
//! numbers must balance on every console (printed + dropped = produced,
//! every drop announced) and interrupt-context calls must stay within
//! their print budget.

#[path = "../examples/demo/sim.rs"]
mod sim;

use std::time::Duration;

#[test]
fn demo_numbers_balance_under_flood_and_when_quiet() {
    for (thread_rate, irq_rate) in [(400, 4_000), (50, 100)] {
        let p = sim::Params {
            run: Duration::from_millis(300),
            threads: 2,
            thread_rate,
            irqs: 2,
            irq_rate,
            burst: 4,
            ring_kib: 4,
            verbose: false,
            ..sim::Params::default()
        };
        let r = sim::run(&p);
        let table = r.table();
        assert_eq!(r.consoles.len(), 2);
        for c in &r.consoles {
            assert!(c.produced > 0, "{table}");
            assert_eq!(
                c.stats.printed + c.stats.filtered + c.dropped(),
                c.produced,
                "{} does not balance:\n{table}",
                c.name
            );
            assert_eq!(c.stats.announced, c.dropped(), "{table}");
        }
        assert!(r.balanced());
        assert!(r.consoles[0].stats.printed > 0, "{table}");
        assert!(r.consoles[1].stats.printed > 0, "{table}");
        assert!(
            r.logger.max_irq_records <= p.irq_budget,
            "an interrupt-context call printed more than its budget:\n{table}"
        );
        // The last record logged is the demo's "producers stopped" line, and
        // the UART console printed it (nothing stranded).
        assert!(
            r.uart_tail
                .last()
                .is_some_and(|l| l.ends_with("demo: producers stopped; draining")),
            "{:?}",
            r.uart_tail
        );
    }
}
