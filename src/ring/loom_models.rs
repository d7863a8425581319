//! Loom models of the ring protocol (run with `RUSTFLAGS="--cfg loom"`, see
//! `scripts/test-loom.sh`).
//!
//! Loom runs each model body under every thread interleaving (up to a
//! preemption bound) and, for every `Relaxed`/`Acquire` load, every value the
//! C11 memory model allows it to return. An assertion that fails in any such
//! execution fails the test. The models use tiny rings so that records wrap
//! and are overwritten after two or three writes.
//!
//! | model | proves |
//! |-------|--------|
//! | [`two_writers_one_reader_wrapping`] | I6 (no torn record), exact accounting: read + missed = committed, `lost()` = failed writes, per-writer order |
//! | [`preempted_writer_makes_others_fail_busy`] | I1: a writer never waits for one preempted between reserve and commit; it fails with `Busy`, counted |
//! | [`reader_races_overwrite_of_its_record`] | I6/I7: a reader copying exactly the record being overwritten returns it intact or reports it missed |
//! | [`per_writer_order_and_no_skipping`] | per-writer order; a reader never skips an uncommitted record; nothing lost when it fits |
//! | [`drop_newest_concurrent`] | `Policy::DropNewest` keeps the first records, counts every refusal as `Full` |
//!
//! Every record is self-checking: its context is the writer id `w`, its
//! timestamp is `w << 32 | i` (`i` = the writer's own record index), its
//! length is a function of `(w, i)`, and payload byte `k` is
//! `tag(w, i, k)`, unique over the whole model and never zero. A copy that
//! mixes words of two records, or header words of one with payload of
//! another, fails [`check_record`].

use super::{Cursor, Dropped, Read, RecordMeta, Ring};
use crate::Level;
use loom::model::Builder;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::{AtomicUsize, Ordering as StdOrdering};
use std::vec::Vec;

/// Preemption bound used when `LOOM_MAX_PREEMPTIONS` is not set. Loom's
/// own documentation notes that 2–3 finds nearly all bugs; the script sets
/// the same value explicitly.
const DEFAULT_PREEMPTIONS: usize = 3;

/// Runs `body` under loom and prints how many executions it explored.
fn check<F>(name: &str, body: F)
where
    F: Fn() + Sync + Send + 'static,
{
    // A std (not loom) counter: it counts executions, it is not modelled.
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let mut builder = Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(DEFAULT_PREEMPTIONS);
    }
    let bound = builder.preemption_bound;
    let start = std::time::Instant::now();
    builder.check(move || {
        counter.fetch_add(1, StdOrdering::Relaxed);
        body();
    });
    std::println!(
        "loom model {name}: {} executions, preemption bound {:?}, {:.1?}",
        count.load(StdOrdering::Relaxed),
        bound,
        start.elapsed()
    );
}

/// Payload byte `k` of writer `w`'s record `i`: unique over all `(w, i, k)`
/// the models use (`w` in 1..=3, `i` < 2, `k` < 32) and never zero, so an
/// unwritten (zeroed) or foreign byte never passes.
fn tag(w: u8, i: u32, k: usize) -> u8 {
    assert!((1..=3).contains(&w) && i < 2 && k < 32);
    (w << 6) | ((i as u8) << 5) | k as u8
}

fn meta(w: u8, i: u32) -> RecordMeta {
    RecordMeta::new(Level::Info)
        .context(w)
        .timestamp(((w as u64) << 32) | i as u64)
}

fn payload(w: u8, i: u32, len: usize) -> Vec<u8> {
    (0..len).map(|k| tag(w, i, k)).collect()
}

/// Asserts that a record returned by `read` is exactly what writer
/// `h.context` stored as its record `h.timestamp as u32`, with the length
/// `len_of` gives. Returns `(w, i)`.
fn check_record(h: &super::Header, buf: &[u8], len_of: fn(u8, u32) -> usize) -> (u8, u32) {
    let w = h.context;
    let i = h.timestamp as u32;
    assert!((1..=3).contains(&w), "torn record: bad context {h:?}");
    assert_eq!(h.timestamp >> 32, w as u64, "torn record: header {h:?}");
    assert_eq!(h.level, Level::Info, "torn record: level {h:?}");
    assert_eq!(h.len as usize, len_of(w, i), "torn record: length {h:?}");
    for (k, &b) in buf[..h.len as usize].iter().enumerate() {
        assert_eq!(b, tag(w, i, k), "torn record: byte {k} of {h:?}");
    }
    (w, i)
}

/// What a reader saw: records (w, i, seq) in the order read, and the sum of
/// `Missed(n)`.
#[derive(Default)]
struct Seen {
    records: Vec<(u8, u32, u64)>,
    missed: u64,
}

impl Seen {
    /// One `read` call; checks the record and the cursor movement.
    fn read_once<const W: usize, const S: usize>(
        &mut self,
        ring: &Ring<W, S>,
        cursor: &mut Cursor,
        len_of: fn(u8, u32) -> usize,
    ) -> Read {
        let mut buf = [0u8; 64];
        let before = cursor.seq();
        let r = ring.read(cursor, &mut buf);
        match r {
            Read::Record(h) => {
                assert_eq!(h.seq, before, "record seq is not the cursor's");
                assert_eq!(cursor.seq(), before + 1);
                let (w, i) = check_record(&h, &buf, len_of);
                self.records.push((w, i, h.seq));
            }
            Read::Missed(n) => {
                assert!(n > 0, "Missed(0)");
                assert_eq!(cursor.seq(), before + n, "cursor moved by other than n");
                self.missed += n;
            }
            Read::Empty => assert_eq!(cursor.seq(), before, "Empty moved the cursor"),
        }
        r
    }

    /// Reads until `Empty`; only called once every writer has joined, so
    /// `Empty` then means "at the head".
    fn drain<const W: usize, const S: usize>(
        &mut self,
        ring: &Ring<W, S>,
        cursor: &mut Cursor,
        len_of: fn(u8, u32) -> usize,
    ) {
        // Bounded: 2 * SLOTS + 2 calls always reach the head when no
        // writer runs (each call returns a record or jumps to the tail).
        for _ in 0..2 * S + 2 {
            if self.read_once(ring, cursor, len_of) == Read::Empty {
                return;
            }
        }
        panic!("reader did not reach the head of a quiescent ring");
    }

    /// Per-writer indexes strictly increase and sequence numbers strictly
    /// increase in read order.
    fn assert_ordered(&self) {
        for w in 1..=3u8 {
            let idx: Vec<u32> = self
                .records
                .iter()
                .filter(|r| r.0 == w)
                .map(|r| r.1)
                .collect();
            assert!(
                idx.windows(2).all(|p| p[0] < p[1]),
                "writer {w} records out of order: {idx:?}"
            );
        }
        assert!(self.records.windows(2).all(|p| p[0].2 < p[1].2));
    }
}

/// Writes `n` records of writer `w`; returns (successes, failures).
fn writer<const W: usize, const S: usize>(
    ring: &Ring<W, S>,
    w: u8,
    n: u32,
    len_of: fn(u8, u32) -> usize,
) -> (u32, u32) {
    let (mut ok, mut failed) = (0, 0);
    for i in 0..n {
        match ring.write(meta(w, i), &payload(w, i, len_of(w, i))) {
            Ok(_) => ok += 1,
            Err(Dropped::Busy) => failed += 1,
            Err(e) => panic!("writer {w}: unexpected {e:?} in an overwrite ring"),
        }
    }
    (ok, failed)
}

/// (a) Two writers and one reader on `Ring<8, 2>` (8 data words, 2 slots).
/// Writer 1 stores 3-byte records (4 words), writer 2 6-byte records
/// (5 words): at most two records fit, two of writer 2's never fit together,
/// so the four writes wrap the ring and overwrite each other in every
/// interleaving, and a writer may find the oldest record reserved but not
/// committed (then it gets `Busy`).
///
/// Proves, for every explored execution:
/// * every record the reader returns, concurrently or afterwards, is intact
///   (I6) and sequence numbers go up by one per record;
/// * per writer, records come out in the order written;
/// * after the writers join, draining gives records read + `Missed` total =
///   successful writes exactly (nothing lost silently, nothing counted twice);
/// * `ring.lost()` equals the failed writes, all of them `Busy`.
#[test]
fn two_writers_one_reader_wrapping() {
    fn len_of(w: u8, _i: u32) -> usize {
        if w == 1 {
            3
        } else {
            6
        }
    }
    check("two_writers_one_reader_wrapping", || {
        let ring: Arc<Ring<8, 2>> = Arc::new(Ring::new());
        let writers: Vec<_> = [1u8, 2]
            .into_iter()
            .map(|w| {
                let ring = ring.clone();
                thread::spawn(move || writer(&ring, w, 2, len_of))
            })
            .collect();
        let reader = {
            let ring = ring.clone();
            thread::spawn(move || {
                let mut seen = Seen::default();
                let mut cursor = Cursor::new();
                for _ in 0..2 {
                    seen.read_once(&ring, &mut cursor, len_of);
                }
                (seen, cursor)
            })
        };
        let (mut ok, mut failed) = (0, 0);
        for h in writers {
            let (o, f) = h.join().unwrap();
            ok += o;
            failed += f;
        }
        let (mut seen, mut cursor) = reader.join().unwrap();
        seen.drain(&ring, &mut cursor, len_of);
        seen.assert_ordered();
        assert_eq!(
            seen.records.len() as u64 + seen.missed,
            ok as u64,
            "read + missed != committed"
        );
        assert_eq!(cursor.seq(), ok as u64);
        let lost = ring.lost();
        assert_eq!(lost.total(), failed, "lost() != failed writes");
        assert_eq!(lost.busy, failed);
        assert_eq!(ok + failed, 4);
    });
}

/// (b) A writer preempted between reserve and commit (the main thread holds
/// its `Grant` while two other writers, standing for interrupts or other
/// cores, run to completion and are joined).
///
/// `Ring<16, 4>`, every record 4 words. Record 0 is committed, record 1 is
/// the preempted writer's. Writers 1 and 2 store two records each,
/// concurrently: the first two take the free 8 words, the third frees
/// committed record 0, the fourth would need record 1's words, which are not
/// committed. Proves, for every interleaving of the two writers:
/// * exactly three writes succeed and exactly one fails with `Busy` (I1: the
///   failing writer returns instead of waiting — a writer that waited for
///   the preempted one could never finish, since the preempted one resumes
///   only after both are joined, and loom would report the model stuck);
/// * the failure is counted in `lost().busy`;
/// * once the preempted writer commits, its record and the three others are
///   all readable and intact, and record 0 is reported missed.
#[test]
fn preempted_writer_makes_others_fail_busy() {
    fn len_of(_w: u8, _i: u32) -> usize {
        4
    }
    check("preempted_writer_makes_others_fail_busy", || {
        let ring: Arc<Ring<16, 4>> = Arc::new(Ring::new());
        ring.write(meta(3, 0), &payload(3, 0, 4)).unwrap();
        let mut preempted = ring.reserve(4, meta(3, 1)).unwrap();
        preempted.write(&payload(3, 1, 2));
        let writers: Vec<_> = [1u8, 2]
            .into_iter()
            .map(|w| {
                let ring = ring.clone();
                thread::spawn(move || writer(&ring, w, 2, len_of))
            })
            .collect();
        let (mut ok, mut failed) = (0, 0);
        for h in writers {
            let (o, f) = h.join().unwrap();
            ok += o;
            failed += f;
        }
        assert_eq!((ok, failed), (3, 1), "expected 3 stored, 1 Busy");
        assert_eq!(ring.lost().busy, 1);
        assert_eq!(ring.lost().total(), 1);
        // The interrupted writer resumes and finishes its record.
        preempted.write(&payload(3, 1, 4)[2..]);
        assert_eq!(preempted.commit(), 1);
        let mut seen = Seen::default();
        let mut cursor = Cursor::new();
        seen.drain(&ring, &mut cursor, len_of);
        assert_eq!(seen.missed, 1, "record 0 must be reported missed");
        assert_eq!(seen.records.len(), 4);
        assert_eq!(seen.records[0], (3, 1, 1), "preempted record lost");
        seen.assert_ordered();
    });
}

/// (c) A reader copying exactly the record that a writer overwrites.
///
/// `Ring<16, 2>`, every record 20 bytes = 8 words, so two records fill the
/// ring and record 2 lands on exactly the words of record 0 (and record 3 on
/// those of record 1). Records 0 and 1 are committed before the threads
/// start; the writer stores records 2 and 3 while the reader, starting at
/// record 0, reads twice. Each payload word of the new records differs from
/// the old one, so any mix of old and new words fails the check.
///
/// Proves: each `read` returns an intact record, or `Missed`, and never
/// `Empty` while the cursor's record or a gap is there to report (records 0
/// and 1 are committed from the start, and the slot is only ever replaced by
/// a newer committed sequence number); and the accounting closes exactly
/// after draining.
#[test]
fn reader_races_overwrite_of_its_record() {
    fn len_of(_w: u8, _i: u32) -> usize {
        20
    }
    check("reader_races_overwrite_of_its_record", || {
        let ring: Arc<Ring<16, 2>> = Arc::new(Ring::new());
        // Writer 1 stored records 0 and 1 (its indexes 0 and 1) before.
        writer(&ring, 1, 2, len_of);
        let w = {
            let ring = ring.clone();
            // Writer 2: records 2 and 3, overwriting 0 and 1 in place.
            thread::spawn(move || writer(&ring, 2, 2, len_of))
        };
        let mut seen = Seen::default();
        let mut cursor = Cursor::new();
        for _ in 0..2 {
            let r = seen.read_once(&ring, &mut cursor, len_of);
            assert_ne!(r, Read::Empty, "Empty although a record or a gap is due");
            if cursor.seq() >= 2 {
                break;
            }
        }
        let (ok, failed) = w.join().unwrap();
        assert_eq!((ok, failed), (2, 0));
        seen.drain(&ring, &mut cursor, len_of);
        seen.assert_ordered();
        assert_eq!(seen.records.len() as u64 + seen.missed, 4);
        // Records 2 and 3 are never overwritten: the drain must get both.
        let tail: Vec<_> = seen.records.iter().filter(|r| r.2 >= 2).collect();
        assert_eq!(tail, [&(2, 0, 2), &(2, 1, 3)]);
    });
}

/// (d) Per-writer order with nothing lost: `Ring<16, 4>`, two writers store
/// two 4-word records each, which exactly fills the ring, while a reader
/// reads concurrently.
///
/// Proves: every write succeeds; the reader (concurrently, then draining)
/// gets all four records in sequence order 0, 1, 2, 3 with no `Missed`, so it
/// never skipped a reserved-but-uncommitted record; and each writer's
/// records come out in the order it wrote them.
#[test]
fn per_writer_order_and_no_skipping() {
    fn len_of(w: u8, i: u32) -> usize {
        // 1..=4 bytes: one payload word, different lengths per record.
        1 + ((w as usize + i as usize) % 4)
    }
    check("per_writer_order_and_no_skipping", || {
        let ring: Arc<Ring<16, 4>> = Arc::new(Ring::new());
        let writers: Vec<_> = [1u8, 2]
            .into_iter()
            .map(|w| {
                let ring = ring.clone();
                thread::spawn(move || writer(&ring, w, 2, len_of))
            })
            .collect();
        let reader = {
            let ring = ring.clone();
            thread::spawn(move || {
                let mut seen = Seen::default();
                let mut cursor = Cursor::new();
                for _ in 0..3 {
                    seen.read_once(&ring, &mut cursor, len_of);
                }
                (seen, cursor)
            })
        };
        for h in writers {
            assert_eq!(h.join().unwrap(), (2, 0));
        }
        let (mut seen, mut cursor) = reader.join().unwrap();
        seen.drain(&ring, &mut cursor, len_of);
        assert_eq!(seen.missed, 0);
        let seqs: Vec<u64> = seen.records.iter().map(|r| r.2).collect();
        assert_eq!(seqs, [0, 1, 2, 3]);
        seen.assert_ordered();
        assert_eq!(ring.lost().total(), 0);
    });
}

/// (e) `Policy::DropNewest` under concurrency: `Ring<8, 2>` with 4-word
/// records holds two; two writers try two each. Proves: exactly two writes
/// succeed, the other two fail with `Full` (never `Busy`: a drop-newest ring
/// never frees records, so it never looks at the oldest one), the failures
/// are counted, and the reader gets exactly the two stored records, intact
/// and in order, with nothing missed.
#[test]
fn drop_newest_concurrent() {
    fn len_of(_w: u8, _i: u32) -> usize {
        4
    }
    check("drop_newest_concurrent", || {
        let ring: Arc<Ring<8, 2>> = Arc::new(Ring::with_policy(super::Policy::DropNewest));
        let writers: Vec<_> = [1u8, 2]
            .into_iter()
            .map(|w| {
                let ring = ring.clone();
                thread::spawn(move || {
                    let (mut ok, mut full) = (0u32, 0u32);
                    for i in 0..2 {
                        match ring.write(meta(w, i), &payload(w, i, 4)) {
                            Ok(_) => ok += 1,
                            Err(Dropped::Full) => full += 1,
                            Err(e) => panic!("unexpected {e:?}"),
                        }
                    }
                    (ok, full)
                })
            })
            .collect();
        let mut seen = Seen::default();
        let mut cursor = Cursor::new();
        seen.read_once(&ring, &mut cursor, len_of);
        let (mut ok, mut full) = (0, 0);
        for h in writers {
            let (o, f) = h.join().unwrap();
            ok += o;
            full += f;
        }
        assert_eq!((ok, full), (2, 2));
        assert_eq!(ring.lost().full, 2);
        assert_eq!(ring.lost().total(), 2);
        seen.drain(&ring, &mut cursor, len_of);
        assert_eq!(seen.missed, 0);
        assert_eq!(seen.records.len(), 2);
        seen.assert_ordered();
    });
}
