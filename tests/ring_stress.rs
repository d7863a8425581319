//! Host stress test of the log ring with real threads.
//!
//! Several writer threads store checksummed records of pseudo-random lengths
//! through a small ring (`Ring<1024, 32>`: about 1 KiB, so it wraps and
//! overwrites constantly) while a reader thread reads concurrently. The
//! test proves, on real hardware scheduling:
//!
//! * I6: every record read is intact — the writer id (context), its
//!   per-writer index (timestamp), its length (derived from writer and index)
//!   and a checksum over all of them and the payload agree;
//! * per writer, the indexes read strictly increase (order is kept);
//! * records read + records reported `Dropped` = records committed (writes
//!   that returned `Ok`): a gap does not say whose records were lost, but
//!   the totals must close exactly (I2 at the ring level);
//! * writes that failed = `ring.dropped().total()`, and each failure has the
//!   reason the policy allows.
//!
//! Under Miri the counts shrink (Miri checks the same properties for data
//! races and weak-memory behaviour, on far fewer records).

use logbuf::ring::{Cursor, Dropped, Policy, Read, RecordMeta, Ring};
use logbuf::Level;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

type StressRing = Ring<1024, 32>;

/// Records each writer attempts.
const PER_WRITER: u32 = if cfg!(miri) { 150 } else { 100_000 };
/// Longest body (the record adds 9 bytes of writer id, index and checksum).
const MAX_BODY: u32 = if cfg!(miri) { 24 } else { 96 };

/// How long a writer stalls mid-record (every 128th record), in spin-loop
/// hints: long enough that other writers wrap the ring meanwhile.
const STALL_EVERY: u32 = if cfg!(miri) { 8 } else { 128 };
const STALL_SPINS: u32 = if cfg!(miri) { 20 } else { 2000 };

/// SplitMix64: a tiny deterministic PRNG (no dependency needed).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The generator of writer `w`'s record `i`: the reader rebuilds it to know
/// the length the record must have.
fn record_rng(w: u8, i: u32) -> SplitMix {
    SplitMix(((w as u64) << 32) | i as u64)
}

/// FNV-1a over writer id, index and body.
fn checksum(w: u8, i: u32, body: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in [w].iter().chain(&i.to_le_bytes()).chain(body) {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// Payload of writer `w`'s record `i`:
/// `[w] [i: u32 LE] [body: random bytes, random length] [checksum: u32 LE]`.
fn make_payload(w: u8, i: u32, out: &mut Vec<u8>) {
    let mut rng = record_rng(w, i);
    let len = (rng.next() % (MAX_BODY as u64 + 1)) as usize;
    out.clear();
    out.push(w);
    out.extend_from_slice(&i.to_le_bytes());
    for _ in 0..len {
        out.push(rng.next() as u8);
    }
    let sum = checksum(w, i, &out[5..]);
    out.extend_from_slice(&sum.to_le_bytes());
}

/// Checks one record as read; returns (writer id, index).
fn check_record(context: u8, timestamp: u64, len: usize, buf: &[u8]) -> (u8, u32) {
    assert!(len >= 9, "torn record: length {len}");
    let p = &buf[..len];
    let w = p[0];
    let i = u32::from_le_bytes(p[1..5].try_into().unwrap());
    assert_eq!(w, context, "torn record: payload writer != header context");
    assert_eq!(
        i as u64, timestamp,
        "torn record: payload index != timestamp"
    );
    let body = &p[5..len - 4];
    let sum = u32::from_le_bytes(p[len - 4..].try_into().unwrap());
    assert_eq!(
        sum,
        checksum(w, i, body),
        "torn record: checksum (w {w}, i {i})"
    );
    let expected_len = (record_rng(w, i).next() % (MAX_BODY as u64 + 1)) as usize;
    assert_eq!(
        body.len(),
        expected_len,
        "torn record: length (w {w}, i {i})"
    );
    (w, i)
}

struct Outcome {
    /// Successful writes per writer.
    committed: Vec<u64>,
    /// Failed writes per reason.
    busy: u64,
    full: u64,
    contention: u64,
    /// Records lost because their writer stalled while the ring lapped.
    overtaken: u64,
    /// What the reader got.
    read: u64,
    missed: u64,
    read_per_writer: Vec<u64>,
}

fn run(writers: u8, policy: Policy) -> Outcome {
    let ring: Arc<StressRing> = Arc::new(StressRing::with_policy(policy));
    let done = Arc::new(AtomicBool::new(false));

    let reader = {
        let ring = ring.clone();
        let done = done.clone();
        thread::spawn(move || {
            let mut cursor = Cursor::new();
            let mut buf = [0u8; StressRing::MAX_PAYLOAD];
            let mut last: Vec<Option<u32>> = vec![None; writers as usize + 1];
            let mut read_per_writer = vec![0u64; writers as usize + 1];
            let (mut read, mut missed) = (0u64, 0u64);
            loop {
                // Loaded before the read: if the writers were all done by
                // then, an Empty below means the reader is at the head.
                let finished = done.load(Ordering::Acquire);
                let before = cursor.seq();
                match ring.read(&mut cursor, &mut buf) {
                    Read::Record(h) => {
                        assert_eq!(h.seq, before);
                        assert_eq!(h.level, Level::Info);
                        let (w, i) = check_record(h.context, h.timestamp, h.len as usize, &buf);
                        assert!((1..=writers).contains(&w), "bad writer id {w}");
                        if let Some(prev) = last[w as usize] {
                            assert!(prev < i, "writer {w}: index {i} read after {prev}");
                        }
                        last[w as usize] = Some(i);
                        read_per_writer[w as usize] += 1;
                        read += 1;
                    }
                    Read::Dropped(n) => {
                        assert!(n > 0);
                        assert_eq!(cursor.seq(), before + n);
                        missed += n;
                    }
                    Read::Empty if finished => break,
                    Read::Empty => thread::yield_now(),
                }
            }
            (read, missed, read_per_writer, cursor)
        })
    };

    let handles: Vec<_> = (1..=writers)
        .map(|w| {
            let ring = ring.clone();
            thread::spawn(move || {
                let mut payload = Vec::with_capacity(MAX_BODY as usize + 9);
                let (mut ok, mut busy, mut full, mut contention, mut overtaken) =
                    (0u64, 0u64, 0u64, 0u64, 0u64);
                for i in 0..PER_WRITER {
                    make_payload(w, i, &mut payload);
                    let meta = RecordMeta::new(Level::Info).context(w).timestamp(i as u64);
                    // Every other record goes through reserve / fill /
                    // commit, and now and then the writer stalls between
                    // its two fill steps: a writer "preempted" mid-record,
                    // which other writers must not wait for (they get Busy).
                    let result = if i % 2 == 0 {
                        ring.write(meta, &payload)
                    } else {
                        ring.reserve(payload.len(), meta).and_then(|mut grant| {
                            let half = payload.len() / 2;
                            assert_eq!(grant.write(&payload[..half]), half);
                            if i % STALL_EVERY == 1 {
                                for _ in 0..STALL_SPINS {
                                    std::hint::spin_loop();
                                }
                            }
                            grant.write(&payload[half..]);
                            grant.commit()
                        })
                    };
                    match result {
                        Ok(_) => ok += 1,
                        Err(Dropped::Busy) => busy += 1,
                        Err(Dropped::Full) => full += 1,
                        Err(Dropped::Contention) => contention += 1,
                        Err(Dropped::Overtaken) => overtaken += 1,
                    }
                    // Give the reader a chance on a loaded machine, so that
                    // it reads records while they are overwritten, and not
                    // only gaps.
                    if i % 64 == 0 {
                        thread::yield_now();
                    }
                }
                (ok, busy, full, contention, overtaken)
            })
        })
        .collect();

    let mut out = Outcome {
        committed: vec![0; writers as usize + 1],
        busy: 0,
        full: 0,
        contention: 0,
        overtaken: 0,
        read: 0,
        missed: 0,
        read_per_writer: Vec::new(),
    };
    for (w, h) in (1..=writers).zip(handles) {
        let (ok, busy, full, contention, overtaken) = h.join().expect("writer panicked");
        assert_eq!(ok + busy + full + contention + overtaken, PER_WRITER as u64);
        out.overtaken += overtaken;
        out.committed[w as usize] = ok;
        out.busy += busy;
        out.full += full;
        out.contention += contention;
    }
    done.store(true, Ordering::Release);
    let (read, missed, read_per_writer, cursor) = reader.join().expect("reader panicked");
    out.read = read;
    out.missed = missed;
    out.read_per_writer = read_per_writer;

    let committed: u64 = out.committed.iter().sum();
    println!(
        "{policy:?}, {writers} writers x {PER_WRITER}: committed {committed}, read {}, \
         missed {}, busy {}, full {}, contention {}, overtaken {}",
        out.read, out.missed, out.busy, out.full, out.contention, out.overtaken
    );
    // (i) Every record that got a sequence number (committed, or overtaken
    // while its writer stalled) was read or reported missed, exactly once.
    assert_eq!(
        out.read + out.missed,
        committed + out.overtaken,
        "read {} + missed {} != committed {committed} + overtaken {}",
        out.read,
        out.missed,
        out.overtaken
    );
    assert_eq!(cursor.seq(), committed + out.overtaken);
    // Per writer, a writer's records read cannot exceed its commits.
    for w in 1..=writers as usize {
        assert!(out.read_per_writer[w] <= out.committed[w]);
    }
    // (iii) Failed writes are exactly what the ring counted as lost.
    let lost = ring.dropped();
    assert_eq!(lost.busy as u64, out.busy);
    assert_eq!(lost.full as u64, out.full);
    assert_eq!(lost.contention as u64, out.contention);
    assert_eq!(lost.overtaken as u64, out.overtaken);
    assert_eq!(
        lost.total() as u64,
        out.busy + out.full + out.contention + out.overtaken,
        "failed writes != ring.dropped().total()"
    );
    out
}

/// Flight-recorder policy: writers overwrite the oldest records; a stalled
/// writer's record is overtaken, and nobody else is ever refused because of
/// it (I10: never `Busy` with fewer stalled writers than pins), never `Full`.
#[test]
fn overwrite_three_writers_concurrent_reader() {
    let out = run(3, Policy::Overwrite);
    assert_eq!(out.full, 0, "an overwrite ring never reports Full");
    assert_eq!(
        out.busy, 0,
        "no writer refused because another stalled (I10)"
    );
    let committed: u64 = out.committed.iter().sum();
    assert!(committed > 0);
    // The reader got at least the records left in the ring at the end: the
    // ring holds up to 32, and a quiescent ring is read to its head.
    assert!(out.read > 0, "reader never got a record");
}

/// Same with two writers (less contention, longer runs of one writer).
#[test]
fn overwrite_two_writers_concurrent_reader() {
    let out = run(2, Policy::Overwrite);
    assert_eq!(out.full, 0);
    assert!(out.read > 0);
}

/// Drop-newest policy: the ring keeps its first records and refuses the
/// rest (`Full`, counted). No record is ever overwritten, so the reader never
/// misses one, and everything committed is read.
#[test]
fn drop_newest_three_writers_concurrent_reader() {
    let out = run(3, Policy::DropNewest);
    assert_eq!(out.missed, 0, "a drop-newest ring never overwrites");
    assert_eq!(out.busy, 0, "a drop-newest ring never frees, so never Busy");
    let committed: u64 = out.committed.iter().sum();
    assert_eq!(out.read, committed);
    assert!(committed > 0 && committed <= 32);
    assert_eq!(
        out.full + out.contention,
        3 * PER_WRITER as u64 - committed,
        "every refused write is counted"
    );
}
