//! The defmt path end to end on the host: frames made by defmt's own
//! macros (defmt's `unstable-test` mode hands us their bytes instead of
//! calling a global logger), fed through the global logger that
//! `logbuf::defmt_global_logger!` generates — calling the very symbols
//! defmt calls on a target (`_defmt_acquire`, `_defmt_write`,
//! `_defmt_release`) — stored as binary records next to text records,
//! emitted by a Frames console, and decoded by `defmt-decoder`.
#![cfg(feature = "defmt")]

mod fe_support;

use defmt_decoder::{StringEntry, Table, TableEntry, Tag};
use fe_support::{as_caller, Board};
use logbuf::console::{Caller, Logger};
use logbuf::frontends::defmt::FramePool;
use logbuf::sinks::{Capture, RecordFormat};
use logbuf::{Level, LevelFilter};

static LOG: Logger<Board, 4096, 64, 2> = Logger::new();
static POOL: FramePool<4, 128> = FramePool::new();
logbuf::defmt_global_logger!(LOG, POOL);

extern "Rust" {
    fn _defmt_acquire();
    fn _defmt_write(bytes: &[u8]);
    fn _defmt_release();
    fn _defmt_flush();
}

/// A frame as defmt's macros produce it, and its format string's index.
struct Made {
    index: u16,
    raw: Vec<u8>,
}

macro_rules! make {
    ($($t:tt)*) => {{
        let _ = defmt::export::fetch_bytes();
        let index = defmt::export::fetch_string_index();
        defmt::println!($($t)*);
        Made { index, raw: defmt::export::fetch_bytes() }
    }};
}

/// defmt's own encoding of a whole frame.
fn encode(raw: &[u8]) -> Vec<u8> {
    let mut e = defmt::Encoder::new();
    let mut out = Vec::new();
    e.start_frame(|b| out.extend_from_slice(b));
    e.write(raw, |b| out.extend_from_slice(b));
    e.end_frame(|b| out.extend_from_slice(b));
    out
}

/// Feeds a frame through the global logger in `piece`-byte writes, as
/// defmt's macros would on a target.
fn send(frame: &[u8], piece: usize) {
    // SAFETY: acquire, writes and release in order, from one context: the
    // contract defmt's macros follow.
    unsafe {
        _defmt_acquire();
        for p in frame.chunks(piece) {
            _defmt_write(p);
        }
        _defmt_release();
    }
}

/// A decoder table holding the format strings of `made`.
fn table(made: &[(&Made, &str)]) -> Table {
    let entries: serde_json::Map<String, serde_json::Value> = made
        .iter()
        .map(|(m, fmt)| {
            let e = TableEntry::new(
                StringEntry::new(Tag::Println, fmt.to_string()),
                "test".into(),
            );
            (m.index.to_string(), serde_json::to_value(e).unwrap())
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "timestamp": null,
        "entries": entries,
        "bitflags": {},
        "encoding": "Rzcobs",
    }))
    .expect("defmt-decoder's Table deserializes")
}

#[test]
fn frames_are_stored_emitted_byte_exact_and_decoded_by_defmt_decoder() {
    let text = Capture::new();
    let frames = Capture::new();
    frames.set_format(RecordFormat::Frames);
    LOG.add_console(text.leak_sink(), LevelFilter::Trace)
        .unwrap();
    LOG.add_console(frames.leak_sink(), LevelFilter::Trace)
        .unwrap();

    let a = make!("temp={=u8} ok={=bool}", 21, true);
    let b = make!("irq {=u16} took {=u32} cycles", 7, 123_456);
    let c = make!("name={=str} x={=i32}", "pump", -5);
    assert_eq!(
        &a.raw[..2],
        &a.index.to_le_bytes(),
        "frames start with the format index"
    );

    // A text record, then a defmt frame written in pieces, preempted by an
    // interrupt that logs a whole frame of its own, then another text record.
    logbuf::info!(LOG, "text before");
    // SAFETY: as in `send`; the interrupt's frame nests completely.
    unsafe {
        _defmt_acquire();
        _defmt_write(&a.raw[..3]);
        as_caller(Caller::interrupt(0, 5), || send(&b.raw, 2));
        for p in a.raw[3..].chunks(1) {
            _defmt_write(p);
        }
        _defmt_release();
        // defmt::flush(): an empty acquire/release stores nothing.
        _defmt_acquire();
        _defmt_flush();
        _defmt_release();
    }
    send(&c.raw, 64);
    logbuf::warn!(LOG, "text after");

    // Byte-exact: the Frames console emits exactly defmt's encoding of each
    // frame, in the order they were completed (the interrupt's first).
    let want: Vec<u8> = [&b.raw, &a.raw, &c.raw]
        .iter()
        .flat_map(|r| encode(r))
        .collect();
    assert_eq!(frames.bytes(), want);
    assert_eq!(POOL.stats().stored, 3);
    assert_eq!(POOL.open_frames(), 0);

    // The text console shows text records and a placeholder for frames.
    let lines = text.lines();
    let tail: Vec<&str> = lines.iter().map(|l| &l[15..]).collect();
    let sizes = [&b.raw, &a.raw, &c.raw].map(|r| encode(r).len());
    let floor = |l: Level| logbuf::STATIC_MAX_LEVEL.allows(l);
    let mut want_text = Vec::new();
    if floor(Level::Info) {
        want_text.push("INFO  t0: text before".to_string());
    }
    want_text.push(format!("INFO  irq5: <{}-byte binary record>", sizes[0]));
    want_text.push(format!("INFO  t0: <{}-byte binary record>", sizes[1]));
    want_text.push(format!("INFO  t0: <{}-byte binary record>", sizes[2]));
    if floor(Level::Warn) {
        want_text.push("WARN  t0: text after".to_string());
    }
    assert_eq!(tail, want_text);
    let st = LOG.console_stats(LOG.console_at(1).unwrap()).unwrap();
    assert_eq!(st.printed, 3);
    assert_eq!(
        st.filtered as usize,
        want_text.len() - 3,
        "text skipped by Frames"
    );

    // defmt's own decoder reads the emitted stream back.
    let table = table(&[
        (&a, "temp={=u8} ok={=bool}"),
        (&b, "irq {=u16} took {=u32} cycles"),
        (&c, "name={=str} x={=i32}"),
    ]);
    let mut decoder = table.new_stream_decoder();
    decoder.received(&frames.bytes());
    let mut decoded = Vec::new();
    while let Ok(frame) = decoder.decode() {
        decoded.push(frame.display_message().to_string());
    }
    assert_eq!(
        decoded,
        [
            "irq 7 took 123456 cycles",
            "temp=21 ok=true",
            "name=pump x=-5"
        ]
    );
}
