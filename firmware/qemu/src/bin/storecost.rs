//! Instructions per `Ring::write` of a 32-byte record on the target (issue
//! 10 item 4: at most 100 on Cortex-M3 at opt-level "s").
//!
//! A ring of the shape the other scenarios use (8 KiB of record words, 256
//! slots) is filled to the steady state of a flight recorder (full: every
//! store frees old records first), then [`STORES`] stores of one 32-byte
//! record are timed with SysTick, and so is a loop of the same length that
//! only hands the same arguments to an opaque call ([`empty_n`]). Under
//! `-icount` one instruction is a fixed amount of virtual time, so the tick
//! difference, scaled by a calibration loop of known length, is an exact,
//! repeatable instruction count (the same at every run; within one tick
//! over all the stores).
//!
//! The same is measured for a second ring with room ([`ROOM`], never full:
//! [`ROOM_STORES`] records fit), where every store takes the first try.
//!
//! On cores with compare-and-swap (M3) the same is measured for the
//! floor of an exact-accounting protocol (`firmware/shared/cell_floor.rs`,
//! BENCHMARKS.md §10): a `note cells_x100=I cells_slow=S cells_back=B`
//! line (S: records that left its fast path, must be 0; B: the last
//! record's payload word is in its cell).
//!
//! Prints `storecost bytes=32 stores=N full=F insns_x100=I` (I =
//! instructions per store times 100; F = 1 for the full ring, 0 for the
//! one with room) and a `note` line with the raw ticks; the checker's
//! `--store-insns 32=MAX` bounds I / 100 on both. The stores must really
//! happen: the scenario reads both rings afterwards and requires the last
//! record back.
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m_rt::entry;
use logbuf::ring::{Read, RecordMeta, Ring};
use logbuf::{Level, LevelFilter};
use logbuf_qemu::{systick, Log, Uart0};

/// Prints the results: a small logger with one UART console.
static LOG: Log<2048, 32> = Log::new();
/// The ring measured full (8 KiB of record words, 256 slots).
static RING: Ring<8192, 256> = Ring::new();
/// The ring measured with room (same shape, empty at the start).
static ROOM: Ring<8192, 256> = Ring::new();

/// The floor of an exact-accounting protocol (see the module docs).
#[cfg(target_has_atomic = "32")]
mod cell_floor {
    use core::sync::atomic::{AtomicU32, Ordering};
    include!("../../../shared/cell_floor.rs");
}

/// The cell floor measured: 8 KiB of 64-byte cells, full (a flight
/// recorder's steady state: every cell was committed one lap before).
#[cfg(target_has_atomic = "32")]
static CELLS: cell_floor::CellFloor<CELL_COUNT, { 16 * CELL_COUNT }> = cell_floor::CellFloor::new();
/// Cells of [`CELLS`] (16 words each).
#[cfg(target_has_atomic = "32")]
const CELL_COUNT: usize = 128;

/// The 32-byte record every measured store writes.
const RECORD: &[u8; 32] = b"temp=-21.5C id=00042 status=ok!\n";
/// Stores timed (enough that one tick of error is 1/1000 instruction).
const STORES: u32 = 1000;
/// Stores before the timed ones: the ring is full long before they end.
const WARM_UP: u32 = 4 * 256;
/// Stores timed into [`ROOM`]: 150 records of 11 words fit its 2 048 words
/// and 256 slots, so none frees anything.
const ROOM_STORES: u32 = 150;

/// `n` stores of `payload` into `ring`; kept out of line so the timed
/// code is exactly this loop.
#[inline(never)]
fn store_n(ring: &Ring<8192, 256>, n: u32, payload: &[u8]) {
    for _ in 0..n {
        let r = ring.write(RecordMeta::new(Level::Info), black_box(payload));
        black_box(r.is_ok());
    }
}

/// `n` stores of `payload` into [`CELLS`], the same loop as [`store_n`].
#[cfg(target_has_atomic = "32")]
#[inline(never)]
fn cells_n(n: u32, payload: &[u8]) {
    for _ in 0..n {
        CELLS.store(Level::Info as u32, black_box(payload));
    }
}

/// The cell floor's figures, as a `note` line's fields.
#[cfg(target_has_atomic = "32")]
fn measure_cells(calib_ticks: u32, calib: u32) {
    cells_n(WARM_UP, RECORD);
    let store = systick::ticks(|| cells_n(STORES, RECORD));
    let empty = systick::ticks(|| empty_n(STORES, RECORD));
    let x100 = per_store_x100(store, empty, calib_ticks, calib, STORES);
    // The newest record is in the cell of the last store; its first
    // payload word (word 4 of the cell) is the record's first 4 bytes.
    let cell = (WARM_UP + STORES - 1) as usize % CELL_COUNT;
    let first = u32::from_le_bytes([RECORD[0], RECORD[1], RECORD[2], RECORD[3]]);
    let back = CELLS.word(cell * 16 + 4) == first;
    LOG.log(
        Level::Info,
        format_args!(
            "note cells_x100={} cells_slow={} cells_back={} cells_store_ticks={} cells_empty_ticks={}",
            x100,
            CELLS.slow(),
            back as u32,
            store,
            empty
        ),
    );
}

/// Instructions per store times 100, from the ticks of `n` stores and of
/// `n` rounds of the empty loop, scaled by the calibration loop.
fn per_store_x100(store: u32, empty: u32, calib_ticks: u32, calib: u32, n: u32) -> u64 {
    let net = store.saturating_sub(empty) as u64;
    net * 2 * calib as u64 * 100 / (calib_ticks as u64 * n as u64)
}

/// Whether the newest record of `ring` is [`RECORD`].
fn last_record_back(ring: &Ring<8192, 256>) -> bool {
    let cursor = ring.newest();
    let mut cursor = ring.seek(cursor.seq().saturating_sub(1));
    let mut buf = [0u8; 32];
    matches!(ring.read(&mut cursor, &mut buf), Read::Record(h) if h.len == 32) && &buf == RECORD
}

/// The same loop without the store: its cost is subtracted.
#[inline(never)]
fn empty_n(n: u32, payload: &[u8]) {
    for _ in 0..n {
        black_box(black_box(payload).is_empty());
    }
}

#[entry]
fn main() -> ! {
    let mut p = cortex_m::Peripherals::take().unwrap();
    let uart = cortex_m::singleton!(: Uart0 = Uart0::take()).unwrap();
    LOG.add_console(uart, LevelFilter::Trace).unwrap();
    systick::start(&mut p.SYST);

    const CALIB: u32 = 10_000;
    let calib_ticks = systick::ticks(|| systick::count_down(CALIB));
    store_n(&RING, WARM_UP, RECORD);
    let store = systick::ticks(|| store_n(&RING, STORES, RECORD));
    let empty = systick::ticks(|| empty_n(STORES, RECORD));
    let full_x100 = per_store_x100(store, empty, calib_ticks, CALIB, STORES);
    let room_store = systick::ticks(|| store_n(&ROOM, ROOM_STORES, RECORD));
    let room_empty = systick::ticks(|| empty_n(ROOM_STORES, RECORD));
    let room_x100 = per_store_x100(room_store, room_empty, calib_ticks, CALIB, ROOM_STORES);

    #[cfg(target_has_atomic = "32")]
    measure_cells(calib_ticks, CALIB);

    let back = last_record_back(&RING) && last_record_back(&ROOM);
    let lost = RING.dropped().total() + ROOM.dropped().total();
    let room_freed = ROOM.oldest().seq();
    LOG.log(
        Level::Info,
        format_args!(
            "note calib_insns={} calib_ticks={} store_ticks={} empty_ticks={} room_store_ticks={} room_empty_ticks={}",
            2 * CALIB,
            calib_ticks,
            store,
            empty,
            room_store,
            room_empty
        ),
    );
    LOG.log(
        Level::Info,
        format_args!(
            "note last_record_back={} lost={} room_freed={}",
            back as u32, lost, room_freed
        ),
    );
    LOG.log(
        Level::Info,
        format_args!(
            "storecost bytes=32 stores={} full=1 insns_x100={}",
            STORES, full_x100
        ),
    );
    LOG.log(
        Level::Info,
        format_args!(
            "storecost bytes=32 stores={} full=0 insns_x100={}",
            ROOM_STORES, room_x100
        ),
    );
    LOG.log(Level::Info, format_args!("summary none=0"));
    logbuf_qemu::wait_drained(&LOG, 1_000_000);
    logbuf_qemu::exit(0)
}

fn on_irq(irqn: i16) {
    panic!("unexpected interrupt {}", irqn);
}

logbuf_qemu::runtime!(LOG, on_irq);
