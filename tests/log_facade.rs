//! The `log` facade: a `Logger` installed with `log::set_logger`.
#![cfg(feature = "log")]

mod fe_support;

use fe_support::{as_caller, messages, set_clock, Board};
use logbuf::console::{Caller, Logger};
use logbuf::sinks::Capture;
use logbuf::LevelFilter;

static LOG: Logger<Board, 4096, 64, 1> = Logger::new();

#[test]
fn log_crate_macros_reach_the_ring_with_levels_and_context() {
    let cap = Capture::new();
    LOG.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    logbuf::frontends::log::init(&LOG, LevelFilter::Debug).unwrap();
    assert!(logbuf::frontends::log::init(&LOG, LevelFilter::Debug).is_err());
    assert_eq!(log::max_level(), log::LevelFilter::Debug);

    set_clock(2_000_000);
    log::info!("facade {}", 1);
    log::trace!("below log's max level: never reaches the logger");
    as_caller(
        Caller::interrupt(0, 4),
        || log::warn!(target: "net", "irq {:?}", [1, 2]),
    );
    LOG.set_level(LevelFilter::Warn);
    assert!(!log::log_enabled!(log::Level::Info));
    assert!(log::log_enabled!(log::Level::Error));
    log::info!("filtered by the logger's runtime level");
    log::error!("still {}", "here");
    log::logger().flush();

    assert_eq!(
        cap.lines(),
        [
            "[    2.000000] INFO  t0: facade 1",
            "[    2.000000] WARN  irq4: irq [1, 2]",
            "[    2.000000] ERROR t0: still here",
        ]
    );
    assert_eq!(messages(&cap).len(), 3);
}
