//! Loom models of the ring protocol (run with `RUSTFLAGS="--cfg loom"`, see
//! `scripts/test-loom.sh`).
//!
//! Loom runs each model body under every thread interleaving (up to a
//! preemption bound) and, for every `Relaxed`/`Acquire` load, every value the
//! C11 memory model allows it to return. An assertion that fails in any such
//! execution fails the test. The models use tiny rings so that records wrap
//! and are overwritten after two or three writes.
//!
//! | model | bound | proves |
//! |-------|-------|--------|
//! | [`two_writers_one_reader_wrapping`] (1), [`two_writers_reader_reads_twice_wrapping`] (2) | 1, 2 | I6 (no torn record) while the reader races overwrites, overtakes and commits; read + dropped = sequence numbers given out; `dropped()` = failed writes, by kind; per-writer order |
//! | [`two_writers_two_records_each_wrapping`] | 3 | the same with both writers freeing (and overtaking) each other's records; no spurious `Contention` (found two bugs) |
//! | [`preempted_writer_is_overtaken_others_never_refused`] | 3 | I1/I10: writers never wait for one preempted between reserve and commit, and are never refused: they overtake its record (counted once), its commit reports it, its pin goes with it |
//! | [`stalled_writer_lapped_by_writer_with_reader`] | 3 | I10 with all three running: a stalled writer resumes and commits while a writer laps the ring and a reader reads: the lapping writer is never refused, nothing torn, `Overtaken` exactly when it was overtaken, per-writer order |
//! | [`late_writer_finishes_while_pusher_pins_it`] | 4 | O3/C2: the late writer's abandon + unpin races a pusher that overtakes and pins its record: no pin outlives its writer, its words are not reused while it may still store |
//! | [`reader_races_overwrite_of_its_record`] | 3 | I6/I7: a reader copying exactly the record being overwritten returns it intact or reports it dropped, never a spurious `Empty` (found a bug) |
//! | [`reader_races_overwrite_of_its_record_long_payload`] | 3 | the same with five payload words per record |
//! | [`per_writer_order_and_no_skipping`] | 1 | per-writer order; a reader never skips an uncommitted record; nothing lost when it fits |
//! | [`drop_newest_concurrent`] | 3 | `Policy::DropNewest` keeps the first records, counts every refusal as `Full` |
//! | [`batch_free_races_writers_and_reader`] | 2 | batch freeing: one tail CAS frees exactly the finished records it looked at, racing a second pusher and a reader; nothing counted dropped; read + dropped = sequence numbers |
//!
//! "bound" is the preemption bound each model uses unless
//! `LOOM_MAX_PREEMPTIONS` is set: the most that keeps the ring's models
//! within about two minutes on two cores (the I10 write path has more
//! atomic steps — claim, head, pin scan — than the old one, so the models
//! with three busy threads run at 2 or 1: `two_writers_one_reader_wrapping`
//! takes 160 s at 2, `per_writer_order_and_no_skipping` 157 s; the whole
//! ring set about 100 s at these bounds). The bugs fail their model within
//! seconds at these bounds.
//!
//! Mutations that must fail (checked by hand when the stall models were
//! written): removing the pin before the tail push (`reclaim.rs`, `pin`)
//! fails [`stalled_writer_lapped_by_writer_with_reader`] (the late writer's
//! stores land in a lapping record: an "overtaken" record is read) and
//! [`late_writer_finishes_while_pusher_pins_it`] (torn record); making O3
//! a plain load fails both (a pin outlives its writer); making C3 (unpin)
//! `Relaxed` fails [`late_writer_finishes_while_pusher_pins_it`] (the
//! pusher's stores into the freed words are not ordered after the late
//! writer's, which win: writer 1's newest record reads back as the late
//! writer's).
//!
//! Every record is self-checking: its context is the writer id `w`, its
//! timestamp is `w << 32 | i` (`i` = the writer's own record index), its
//! length is a function of `(w, i)`, and payload byte `k` is
//! `tag(w, i, k)`, unique over the whole model and never zero. (The
//! payload is the record's first words, the trailer its last three, so a
//! stale trailer over a new payload fails too.) A copy that
//! mixes words of two records, or header words of one with payload of
//! another, fails [`check_record`].

use super::{Cursor, Dropped, Read, RecordMeta, Ring};
use crate::Level;
use loom::model::Builder;
use loom::sync::Arc;
use loom::thread;
use std::sync::atomic::{AtomicUsize, Ordering as StdOrdering};
use std::vec::Vec;

/// Runs `body` under loom and prints how many executions it explored.
/// `default_bound` is the preemption bound unless `LOOM_MAX_PREEMPTIONS`
/// overrides it: each model gets the largest bound (2 or 3) that keeps the
/// whole loom run within a few minutes on two cores.
fn check<F>(name: &str, default_bound: usize, body: F)
where
    F: Fn() + Sync + Send + 'static,
{
    // A std (not loom) counter: it counts executions, it is not modelled.
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let mut builder = Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(default_bound);
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
/// the models use (`w` in 1..=3, `i` < 4, `k` < 20) and never zero, so an
/// unwritten (zeroed) or foreign byte never passes.
fn tag(w: u8, i: u32, k: usize) -> u8 {
    assert!((1..=3).contains(&w) && i < 4 && k < 20);
    (1 + ((w as usize - 1) * 4 + i as usize) * 20 + k) as u8
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
/// `Dropped(n)`.
#[derive(Default)]
struct Seen {
    records: Vec<(u8, u32, u64)>,
    dropped: u64,
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
            Read::Dropped(n) => {
                assert!(n > 0, "Dropped(0)");
                assert_eq!(cursor.seq(), before + n, "cursor moved by other than n");
                self.dropped += n;
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

/// What one writer's writes came to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Outcomes {
    ok: u32,
    /// Refused: no room the ring may free (every free word pinned).
    busy: u32,
    /// Overtaken while reserved (another writer needed its words).
    overtaken: u32,
}

impl Outcomes {
    fn add(self, o: Outcomes) -> Outcomes {
        Outcomes {
            ok: self.ok + o.ok,
            busy: self.busy + o.busy,
            overtaken: self.overtaken + o.overtaken,
        }
    }
    /// Writes that got a sequence number (readers account for each).
    fn sequenced(&self) -> u64 {
        (self.ok + self.overtaken) as u64
    }
}

/// Writes `n` records of writer `w`.
fn writer<const W: usize, const S: usize>(
    ring: &Ring<W, S>,
    w: u8,
    n: u32,
    len_of: fn(u8, u32) -> usize,
) -> Outcomes {
    let mut out = Outcomes::default();
    for i in 0..n {
        match ring.write(meta(w, i), &payload(w, i, len_of(w, i))) {
            Ok(_) => out.ok += 1,
            Err(Dropped::Busy) => out.busy += 1,
            Err(Dropped::Overtaken) => out.overtaken += 1,
            Err(e) => panic!("writer {w}: unexpected {e:?} in an overwrite ring"),
        }
    }
    out
}

/// No pin word is held.
fn assert_no_pins<const W: usize, const S: usize>(ring: &Ring<W, S>) {
    for (i, p) in ring.pins.iter().enumerate() {
        // Ordering: SeqCst; after every thread joined.
        let v = p.load(super::Ordering::SeqCst);
        assert_eq!(v, 0, "pin {i} outlives its writer: {v:#x}");
    }
}

/// Shared body of the two wrapping models: `Ring<32, 2>` (8 data words,
/// 2 slots). Writer 3 (the main thread) stores `prefill` 4-word records
/// first; then writer 1 stores `n1` 3-byte records (4 words) and writer 2
/// `n2` 6-byte records (5 words) concurrently, while the main thread reads
/// `reads` times from sequence 0. At most two records fit and two of writer
/// 2's never fit together, so the writes wrap the ring and overwrite each
/// other in every interleaving; a writer may find the oldest record
/// reserved but not committed (then it overtakes and pins it, and that
/// write reports `Overtaken`; the pinned words may leave too little room
/// for a 5-word record: `Busy`), and both writers may race to free the
/// same record.
///
/// Asserts, in every explored execution:
/// * every record returned, concurrently or afterwards, is intact (I6) and
///   carries the sequence number the cursor asked for;
/// * per writer, records come out in the order written;
/// * after the writers join, draining gives records read + `Dropped` total =
///   writes that got a sequence number (stored or overtaken) exactly
///   (nothing lost silently, nothing twice); no overtaken record is read;
/// * `ring.dropped()` equals the failed writes, kind by kind (never a
///   spurious `Contention` with two writers), and no pin is left.
fn wrap_model(name: &'static str, bound: usize, prefill: u32, n1: u32, n2: u32, reads: usize) {
    fn len_of(w: u8, _i: u32) -> usize {
        match w {
            1 => 3,
            2 => 6,
            _ => 4,
        }
    }
    check(name, bound, move || {
        let ring: Arc<Ring<32, 2>> = Arc::new(Ring::new());
        for i in 0..prefill {
            ring.write(meta(3, i), &payload(3, i, 4)).unwrap();
        }
        let writers: Vec<_> = [(1u8, n1), (2, n2)]
            .into_iter()
            .map(|(w, n)| {
                let ring = ring.clone();
                thread::spawn(move || writer(&ring, w, n, len_of))
            })
            .collect();
        let mut seen = Seen::default();
        let mut cursor = Cursor::new();
        for _ in 0..reads {
            seen.read_once(&ring, &mut cursor, len_of);
        }
        let mut out = Outcomes {
            ok: prefill,
            ..Outcomes::default()
        };
        for h in writers {
            out = out.add(h.join().unwrap());
        }
        seen.drain(&ring, &mut cursor, len_of);
        seen.assert_ordered();
        assert_eq!(
            seen.records.len() as u64 + seen.dropped,
            out.sequenced(),
            "read + dropped != sequence numbers given out ({out:?})"
        );
        assert_eq!(cursor.seq(), out.sequenced());
        let lost = ring.dropped();
        assert_eq!(lost.busy, out.busy, "lost().busy != Busy writes");
        assert_eq!(
            lost.overtaken, out.overtaken,
            "lost().overtaken != Overtaken writes"
        );
        assert_eq!((lost.full, lost.contention), (0, 0));
        assert_eq!(out.ok + out.busy + out.overtaken, prefill + n1 + n2);
        assert_no_pins(&ring);
    });
}

/// (a) Two writers and one reader on a ring that wraps: one record stored
/// before, then writer 1 stores two records and writer 2 one while the
/// reader reads once — racing the overwrite of record 0, the overtaking of
/// records still being written and the commits of the new records. See
/// [`wrap_model`] for what is asserted.
#[test]
fn two_writers_one_reader_wrapping() {
    wrap_model("two_writers_one_reader_wrapping", 1, 1, 2, 1, 1);
}

/// (a2) As (a) with one record per writer and a reader that reads twice, so
/// the reader's second read follows a `Dropped` or a record while the writers
/// are still running (resynchronisation under concurrency).
#[test]
fn two_writers_reader_reads_twice_wrapping() {
    wrap_model("two_writers_reader_reads_twice_wrapping", 2, 1, 1, 1, 2);
}

/// (a') Two writers, two records each, on an empty `Ring<32, 2>`, one
/// concurrent read: both writers must free records the other wrote, often
/// racing for the same tail, and overtake the other's record while it is
/// being written. This model found that `push_tail`, on reading a meta
/// word already reused by a newer record, retried without refreshing its
/// stale indices, so a writer could burn all `MAX_ATTEMPTS` on the same
/// stale `tail` and drop its record as `Contention` with no contention.
/// With the I10 ring it found that a tail push may overtake a record whose
/// claimer has not moved the head yet (the ring empty, its free words
/// pinned), leaving the tail ahead of the head; writers then retried on
/// that "stale snapshot" until `Contention` instead of helping the head
/// (regression test `tail_ahead_of_an_unmoved_head_is_helped_not_waited_for`).
#[test]
fn two_writers_two_records_each_wrapping() {
    wrap_model("two_writers_two_records_each_wrapping", 3, 0, 2, 2, 1);
}

/// (b) A writer preempted between reserve and commit (the main thread holds
/// its `Grant` while two other writers, standing for interrupts or other
/// cores, run to completion and are joined).
///
/// `Ring<64, 4>`, every record 4 words. Record 0 is committed, record 1 is
/// the preempted writer's. Writers 1 and 2 store two records each,
/// concurrently: the first two take the free 8 words, the third frees
/// committed record 0, the fourth needs record 1's words: it overtakes it,
/// pins its words and frees the next record instead. Proves, for every
/// interleaving of the two writers:
/// * all four writes succeed (I10: never refused) and none waits for the
///   preempted writer (I1: one that waited could never finish, since the
///   preempted one resumes only after both are joined, and loom would
///   report the model stuck);
/// * record 1 is overtaken, counted once in `lost().overtaken`, nothing
///   else is lost;
/// * when the preempted writer resumes, its commit reports `Overtaken` and
///   its pin is gone: four more records then use all 16 words;
/// * nothing torn: the writers' records read back intact, record 1 never.
#[test]
fn preempted_writer_is_overtaken_others_never_refused() {
    fn len_of(_w: u8, _i: u32) -> usize {
        4
    }
    check(
        "preempted_writer_is_overtaken_others_never_refused",
        3,
        || {
            let ring: Arc<Ring<64, 4>> = Arc::new(Ring::new());
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
            for h in writers {
                assert_eq!(h.join().unwrap().ok, 2, "a writer was refused (I10)");
            }
            assert_eq!(ring.dropped().overtaken, 1);
            assert_eq!(ring.dropped().total(), 1);
            let mut seen = Seen::default();
            let mut cursor = Cursor::new();
            seen.drain(&ring, &mut cursor, len_of);
            assert_eq!(seen.records.len() as u64 + seen.dropped, 6);
            assert!(!seen.records.iter().any(|r| r.0 == 3), "{:?}", seen.records);
            // The interrupted writer resumes: its stores go to its pinned words.
            preempted.write(&payload(3, 1, 4)[2..]);
            assert_eq!(preempted.commit(), Err(Dropped::Overtaken));
            assert_no_pins(&ring);
            // Its words are free again: four 4-word records all fit.
            let from = ring.newest();
            for i in 2..4 {
                ring.write(meta(3, i), &payload(3, i, 4)).unwrap();
            }
            for i in 2..4 {
                ring.write(meta(1, i), &payload(1, i, 4)).unwrap();
            }
            let mut tail = Seen::default();
            let mut c = from;
            tail.drain(&ring, &mut c, len_of);
            assert_eq!((tail.records.len(), tail.dropped), (4, 0));
            seen.assert_ordered();
            assert_eq!(ring.dropped().total(), 1);
        },
    );
}

/// (g) Batch freeing under concurrency: `Ring<128, 8>` (32 words), 4-word records, a
/// batch of at most 2 records (a quarter of the 8 slots) and 8 words. The
/// main thread fills the ring (8 records), then two writers store one
/// record each while the main thread reads twice from the start. Whoever
/// makes room first frees records 0 and 1 in one tail CAS; the other finds
/// room (or loses the tail CAS to the first, harmlessly). Proves, for every
/// interleaving: both writes succeed, exactly records 0 and 1 are freed
/// (the oldest left is 2: one batch, no second push, none lost twice),
/// `lost()` counts nothing (freeing is not a writer's loss), and the
/// reader racing the batch gets records intact or an exact dropped count:
/// records read + dropped = the 10 sequence numbers given out.
#[test]
fn batch_free_races_writers_and_reader() {
    fn len_of(_w: u8, _i: u32) -> usize {
        4
    }
    check("batch_free_races_writers_and_reader", 2, || {
        let ring: Arc<Ring<128, 8>> = Arc::new(Ring::new());
        for w in [3u8, 2] {
            for i in 0..4 {
                ring.write(meta(w, i), &payload(w, i, 4)).unwrap();
            }
        }
        let writers: Vec<_> = [0u32, 1]
            .into_iter()
            .map(|i| {
                let ring = ring.clone();
                thread::spawn(move || ring.write(meta(1, i), &payload(1, i, 4)))
            })
            .collect();
        let mut seen = Seen::default();
        let mut cursor = Cursor::new();
        for _ in 0..2 {
            seen.read_once(&ring, &mut cursor, len_of);
        }
        for h in writers {
            assert!(h.join().unwrap().is_ok(), "a writer was refused");
        }
        assert_eq!(ring.oldest().seq(), 2, "one batch of two records freed");
        assert_eq!(ring.dropped().total(), 0);
        seen.drain(&ring, &mut cursor, len_of);
        assert_eq!(seen.records.len() as u64 + seen.dropped, 10);
        assert!(seen.records.windows(2).all(|p| p[0].2 < p[1].2));
        assert_no_pins(&ring);
    });
}

/// (f) A stalled writer, a writer lapping it and a reader, all running:
/// `Ring<32, 2>`, 4-word records (two fit). The main thread reserves record
/// 0 (writer 3) and is then "stalled": it spawns writer 1, which stores
/// two records, and a reader, which reads once; only then does it store
/// its payload and commit — before, during or after writer 1's lap, as the
/// interleaving has it. Writer 1 needs record 0's slot for its second
/// record, so it overtakes record 0 whenever it gets there first.
///
/// Proves, in every execution:
/// * writer 1 is never refused (I10): all three writes succeed;
/// * the stalled writer's commit is `Err(Overtaken)` exactly when
///   `lost().overtaken` is 1 (its record was overtaken), and then no reader
///   ever returns it; `Ok` exactly when nothing was overtaken;
/// * the reader never returns a torn record (self-checking payloads and
///   trailers: the late writer's stores never land in writer 1's words),
///   concurrently or when draining afterwards; per-writer order; read +
///   dropped = 3 sequence numbers; writer 1's last record always read;
/// * no pin is left once the late writer is done.
#[test]
fn stalled_writer_lapped_by_writer_with_reader() {
    fn len_of(_w: u8, _i: u32) -> usize {
        4
    }
    check("stalled_writer_lapped_by_writer_with_reader", 3, || {
        let ring: Arc<Ring<32, 2>> = Arc::new(Ring::new());
        let mut stalled = ring.reserve(4, meta(3, 0)).unwrap();
        let lapper = {
            let ring = ring.clone();
            thread::spawn(move || writer(&ring, 1, 2, len_of))
        };
        let reader = {
            let ring = ring.clone();
            thread::spawn(move || {
                let mut seen = Seen::default();
                let mut cursor = Cursor::new();
                seen.read_once(&ring, &mut cursor, len_of);
                (seen, cursor)
            })
        };
        // The stalled writer resumes.
        stalled.write(&payload(3, 0, 4));
        let committed = stalled.commit();
        let out = lapper.join().unwrap();
        let (mut seen, mut cursor) = reader.join().unwrap();
        assert_eq!(out.ok, 2, "the lapping writer was refused (I10): {out:?}");
        let overtaken = ring.dropped().overtaken;
        match committed {
            Ok(seq) => {
                assert_eq!(seq, 0);
                assert_eq!(overtaken, 0, "committed, yet counted overtaken");
            }
            Err(Dropped::Overtaken) => assert_eq!(overtaken, 1, "Overtaken not counted"),
            Err(e) => panic!("stalled writer: unexpected {e:?}"),
        }
        assert_eq!(ring.dropped().total(), overtaken);
        seen.drain(&ring, &mut cursor, len_of);
        seen.assert_ordered();
        if committed.is_err() {
            assert!(
                !seen.records.iter().any(|r| r.0 == 3),
                "overtaken record read"
            );
        }
        assert_eq!(seen.records.len() as u64 + seen.dropped, 3);
        assert_eq!(cursor.seq(), 3);
        // Writer 1's last record is the newest: always there.
        assert!(seen.records.contains(&(1, 1, 2)), "{:?}", seen.records);
        assert_no_pins(&ring);
    });
}

/// (g) The O3/C2 race: a late writer finishing (its commit fails, it marks
/// the record abandoned and clears its pins: C1, C2, C3) while a pusher is
/// overtaking and pinning that very record (O1, O2, O3, P2).
///
/// `Ring<32, 2>`, 4-word records. Record 0 (writer 3, the main thread) is
/// reserved with half its payload, record 1 (writer 2) committed: the ring
/// is full. Writer 1 (a thread) stores two records: the first must free
/// record 0 — overtake it unless the late writer commits first, pin it,
/// check the writer has not finished, move the tail — and then record 1;
/// where its records land depends on whether the pin is still there. The
/// main thread meanwhile stores its second payload word and commits.
///
/// Proves, in every execution:
/// * no pin outlives its writer: once both are done every pin word is
///   free, whichever of C2 and O3 came first;
/// * the late writer's words are never reused while it may still store:
///   writer 1's records read back intact (the late stores would tear the
///   payload or trailer of a record placed over them), its last one always
///   there, and two more records stored afterwards over whatever words are
///   free read back intact too;
/// * writer 1 is never refused; `Overtaken` exactly when counted.
#[test]
fn late_writer_finishes_while_pusher_pins_it() {
    fn len_of(_w: u8, _i: u32) -> usize {
        4
    }
    check("late_writer_finishes_while_pusher_pins_it", 4, || {
        let ring: Arc<Ring<32, 2>> = Arc::new(Ring::new());
        let mut late = ring.reserve(4, meta(3, 0)).unwrap();
        late.write(&payload(3, 0, 4)[..2]);
        ring.write(meta(2, 0), &payload(2, 0, 4)).unwrap();
        let pusher = {
            let ring = ring.clone();
            thread::spawn(move || writer(&ring, 1, 2, len_of))
        };
        late.write(&payload(3, 0, 4)[2..]);
        let committed = late.commit();
        let out = pusher.join().unwrap();
        assert_eq!(out.ok, 2, "the pusher was refused: {out:?}");
        assert_eq!(
            committed.is_err(),
            ring.dropped().overtaken == 1,
            "{committed:?} vs lost {:?}",
            ring.dropped()
        );
        assert_no_pins(&ring);
        let mut seen = Seen::default();
        let mut cursor = Cursor::new();
        seen.drain(&ring, &mut cursor, len_of);
        // Writer 1's second record is the newest: it is always there (its
        // first one is freed when the pin was still in the way).
        assert!(
            seen.records.contains(&(1, 1, 3)),
            "writer 1's last record: {:?}",
            seen.records
        );
        assert_eq!(seen.records.len() as u64 + seen.dropped, 4);
        // Every word is free to reuse now: two more records, intact.
        for i in 1..3 {
            ring.write(meta(2, i), &payload(2, i, 4)).unwrap();
        }
        seen.drain(&ring, &mut cursor, len_of);
        let last: Vec<_> = seen.records.iter().rev().take(2).collect();
        assert_eq!(last, [&(2, 2, 5), &(2, 1, 4)]);
        seen.assert_ordered();
    });
}

/// Shared body of the overwrite-race models: a `Ring<BYTES, 2>` whose
/// records all take `BYTES / 8` words (`len` payload bytes), so two records
/// fill it and record 2 lands on exactly the words of record 0 (and record 3
/// on those of record 1). Writer 1 (the main thread) stores records 0 and 1
/// before the writer thread starts; writer 2 then stores `new` records (2,
/// or 2 and 3) while the main thread, from record 0, reads up to `new`
/// times. Every word of the new records differs from the word it replaces,
/// so any mix of old and new words — payload or trailer — fails the check.
///
/// Asserts, in every explored execution: each `read` returns an intact
/// record, or `Dropped`; never `Empty` while the cursor's record or a gap is
/// there to report (records 0 and 1 are committed from the start, and a
/// slot is only ever replaced by a newer committed sequence number); and
/// after draining, the accounting closes and every new record is read.
fn overwrite_race<const BYTES: usize>(name: &'static str, bound: usize, len: usize, new: u32) {
    fn len_of<const BYTES: usize>(_w: u8, _i: u32) -> usize {
        (BYTES / 8 - 3) * 4
    }
    assert_eq!(len, len_of::<BYTES>(0, 0));
    check(name, bound, move || {
        let ring: Arc<Ring<BYTES, 2>> = Arc::new(Ring::new());
        assert_eq!(writer(&ring, 1, 2, len_of::<BYTES>).ok, 2);
        let w = {
            let ring = ring.clone();
            thread::spawn(move || writer(&ring, 2, new, len_of::<BYTES>))
        };
        let mut seen = Seen::default();
        let mut cursor = Cursor::new();
        for _ in 0..new {
            let r = seen.read_once(&ring, &mut cursor, len_of::<BYTES>);
            assert_ne!(
                r,
                Read::Empty,
                "Empty although a record or a gap is due at {cursor:?}"
            );
            if cursor.seq() >= 2 {
                break;
            }
        }
        let out = w.join().unwrap();
        assert_eq!(
            out,
            Outcomes {
                ok: new,
                ..Outcomes::default()
            }
        );
        seen.drain(&ring, &mut cursor, len_of::<BYTES>);
        seen.assert_ordered();
        assert_eq!(seen.records.len() as u64 + seen.dropped, 2 + new as u64);
        // The new records are never overwritten: the drain must get them.
        let newest: Vec<_> = seen.records.iter().filter(|r| r.2 >= 2).collect();
        let expected: Vec<_> = (0..new).map(|i| (2, i, 2 + i as u64)).collect();
        assert_eq!(newest, expected.iter().collect::<Vec<_>>());
    });
}

/// (c) Reader racing the overwrite of exactly the record it copies, with
/// one-word payloads (`Ring<32, 2>`, 4-word records): small enough for a
/// deeper preemption bound. See [`overwrite_race`].
///
/// Without the Acquire on the reader's slot re-load (R3) this model fails:
/// the reader saw record 1's slot already showing record 3 but a stale
/// `tail` behind its cursor, and `resync` returned `Empty`.
#[test]
fn reader_races_overwrite_of_its_record() {
    overwrite_race::<32>("reader_races_overwrite_of_its_record", 3, 4, 2);
}

/// (c') The same race with five payload words per record (`Ring<64, 2>`,
/// 8-word records), so a torn copy can mix old and new words inside the
/// payload as well as between payload and trailer. One overwriting record
/// and one read keep the bound at 3.
#[test]
fn reader_races_overwrite_of_its_record_long_payload() {
    overwrite_race::<64>(
        "reader_races_overwrite_of_its_record_long_payload",
        3,
        20,
        1,
    );
}

/// (d) Per-writer order with nothing lost: `Ring<64, 4>`, two writers store
/// two 4-word records each, which exactly fills the ring, while a reader
/// reads concurrently.
///
/// Proves: every write succeeds (none is overtaken: nothing needs freeing);
/// the reader (concurrently, then draining) gets all four records in
/// sequence order 0, 1, 2, 3 with no `Dropped`, so it never skipped a
/// reserved-but-uncommitted record; and each writer's records come out in
/// the order it wrote them.
#[test]
fn per_writer_order_and_no_skipping() {
    fn len_of(w: u8, i: u32) -> usize {
        // 1..=4 bytes: one payload word, different lengths per record.
        1 + ((w as usize + i as usize) % 4)
    }
    check("per_writer_order_and_no_skipping", 1, || {
        let ring: Arc<Ring<64, 4>> = Arc::new(Ring::new());
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
            let out = h.join().unwrap();
            assert_eq!((out.ok, out.busy, out.overtaken), (2, 0, 0));
        }
        let (mut seen, mut cursor) = reader.join().unwrap();
        seen.drain(&ring, &mut cursor, len_of);
        assert_eq!(seen.dropped, 0);
        let seqs: Vec<u64> = seen.records.iter().map(|r| r.2).collect();
        assert_eq!(seqs, [0, 1, 2, 3]);
        seen.assert_ordered();
        assert_eq!(ring.dropped().total(), 0);
    });
}

/// (e) `Policy::DropNewest` under concurrency: `Ring<32, 2>` with 4-word
/// records holds two; two writers try two each. Proves: exactly two writes
/// succeed, the other two fail with `Full` (never `Busy` or `Overtaken`: a
/// drop-newest ring never frees records, so it never looks at the oldest
/// one), the failures are counted, and the reader gets exactly the two
/// stored records, intact and in order, with nothing dropped.
#[test]
fn drop_newest_concurrent() {
    fn len_of(_w: u8, _i: u32) -> usize {
        4
    }
    check("drop_newest_concurrent", 3, || {
        let ring: Arc<Ring<32, 2>> = Arc::new(Ring::with_policy(super::Policy::DropNewest));
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
        assert_eq!(ring.dropped().full, 2);
        assert_eq!(ring.dropped().total(), 2);
        seen.drain(&ring, &mut cursor, len_of);
        assert_eq!(seen.dropped, 0);
        assert_eq!(seen.records.len(), 2);
        seen.assert_ordered();
    });
}
