//! Macros without a logger argument, through `logbuf::global_logger!`.

mod fe_support;

use fe_support::{messages, Board};
use logbuf::console::Logger;
use logbuf::sinks::Capture;
use logbuf::{error, info, Level, LevelFilter, STATIC_MAX_LEVEL};

static LOG: Logger<Board, 4096, 64, 1> = Logger::new();
logbuf::global_logger!(LOG);

#[test]
fn macros_without_a_logger_reach_the_global_one() {
    let cap = Capture::new();
    LOG.add_console(cap.leak_sink(), LevelFilter::Trace)
        .unwrap();
    let n = 5;
    let a = info!("global {}", n);
    let b = error!("and {n} again");
    let c = logbuf::log!(Level::Warn, "runtime level");
    assert_eq!(
        [a, b, c],
        [Level::Info, Level::Error, Level::Warn].map(|l| STATIC_MAX_LEVEL.allows(l))
    );
    let want: Vec<&str> = [
        (Level::Info, "global 5"),
        (Level::Error, "and 5 again"),
        (Level::Warn, "runtime level"),
    ]
    .into_iter()
    .filter(|(l, _)| STATIC_MAX_LEVEL.allows(*l))
    .map(|(_, m)| m)
    .collect();
    assert_eq!(messages(&cap), want);
}
