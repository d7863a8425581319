//! Unit tests of the ring protocol (also run under Miri).

#![allow(clippy::needless_range_loop)]

use super::*;
use std::vec::Vec;

fn meta(ts: u64) -> RecordMeta {
    RecordMeta::new(Level::Info).timestamp(ts).context(3)
}

fn read_all<const W: usize, const S: usize>(
    ring: &Ring<W, S>,
    cursor: &mut Cursor,
) -> (Vec<(Header, Vec<u8>)>, u64) {
    let mut out = Vec::new();
    let mut missed = 0;
    let mut buf = [0u8; 1024];
    loop {
        match ring.read(cursor, &mut buf) {
            Read::Record(h) => {
                let n = (h.len as usize).min(buf.len());
                out.push((h, buf[..n].to_vec()));
            }
            Read::Dropped(n) => missed += n,
            Read::Empty => return (out, missed),
        }
    }
}

#[test]
fn write_then_read_round_trips_header_and_payload() {
    let ring: Ring<256, 8> = Ring::new();
    ring.write(meta(0x1_0000_0002), b"hello").unwrap();
    ring.write(
        RecordMeta::new(Level::Error)
            .flags(Flags::BINARY)
            .context(200),
        &[1, 2, 3, 4, 5, 6, 7, 8],
    )
    .unwrap();
    let mut c = Cursor::new();
    let (recs, missed) = read_all(&ring, &mut c);
    assert_eq!(missed, 0);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].0.seq, 0);
    assert_eq!(recs[0].0.timestamp, 0x1_0000_0002);
    assert_eq!(recs[0].0.level, Level::Info);
    assert_eq!(recs[0].0.context, 3);
    assert_eq!(recs[0].1, b"hello");
    assert_eq!(recs[1].0.seq, 1);
    assert_eq!(recs[1].0.level, Level::Error);
    assert!(recs[1].0.flags.contains(Flags::BINARY));
    assert_eq!(recs[1].0.context, 200);
    assert_eq!(recs[1].1, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(c.seq(), 2);
}

/// Every payload length from 0 to 70 bytes, several rounds, into a ring
/// of 64 words: records start at every word offset, some run to the end of
/// the data array and some wrap around it (the contiguous run and the
/// word-by-word path of `write`), all with partial last words. Each comes
/// back byte for byte, with its length, timestamp and sequence number.
#[test]
fn every_length_round_trips_contiguous_and_wrapped() {
    let ring: Ring<256, 16> = Ring::new();
    let words = Ring::<256, 16>::WORDS as u32;
    let mut c = Cursor::new();
    let (mut wrapped, mut contiguous) = (0, 0);
    for round in 0..5u32 {
        for len in 0..=70usize {
            let p: Vec<u8> = (0..len)
                .map(|k| (k as u8) ^ (len as u8).wrapping_mul(31) ^ round as u8)
                .collect();
            let seq = ring
                .write(meta(len as u64 + 1000 * round as u64), &p)
                .unwrap();
            // Where it went: its extent ends at the head's position.
            let (_, end) = Ring::<256, 16>::unpack(ring.head.load(Ordering::Relaxed));
            let need = HEADER_WORDS + payload_words(len as u32);
            let first = end.wrapping_sub(need) % words;
            if first + need > words {
                wrapped += 1;
            } else {
                contiguous += 1;
            }
            let mut buf = [0u8; 80];
            match ring.read(&mut c, &mut buf) {
                Read::Record(h) => {
                    assert_eq!(h.seq, seq);
                    assert_eq!(h.len as usize, len);
                    assert_eq!(h.timestamp, len as u64 + 1000 * round as u64);
                    assert_eq!(&buf[..len], &p[..], "length {len}, round {round}");
                }
                other => panic!("length {len}, round {round}: {other:?}"),
            }
        }
    }
    assert!(
        wrapped >= 10 && contiguous >= 100,
        "{wrapped} wrapped, {contiguous} not"
    );
}

#[test]
fn empty_records_are_fine() {
    let ring: Ring<64, 4> = Ring::new();
    for _ in 0..10 {
        ring.write(meta(1), b"").unwrap();
    }
    let mut c = Cursor::new();
    let (recs, missed) = read_all(&ring, &mut c);
    // 16 words hold 5 empty records (3 words each) but only 4 slots.
    assert_eq!(recs.len() as u64 + missed, 10);
    assert_eq!(recs.len(), 4);
    assert!(recs.iter().all(|(h, p)| h.len == 0 && p.is_empty()));
}

#[test]
fn overwrite_reports_exact_missed_count_and_keeps_newest() {
    let ring: Ring<256, 16> = Ring::new();
    // Each record: 3 header words + 2 payload words = 5 words; 64/5 = 12 fit.
    for i in 0u32..100 {
        ring.write(meta(i as u64), &i.to_le_bytes().repeat(2))
            .unwrap();
    }
    let mut c = Cursor::new();
    let (recs, missed) = read_all(&ring, &mut c);
    assert_eq!(missed + recs.len() as u64, 100);
    // Full after 12 records; from then on each tail push frees a batch of
    // 3 (a quarter of the words, 16, holds three 5-word extents), so the
    // ring holds 10, 11, 12, 10, ... records after writes 13, 14, 15, 16,
    // ...: after write 100 (88 = 29 * 3 + 1 writes past full), 10.
    assert_eq!(recs.len(), 10);
    for (k, (h, p)) in recs.iter().enumerate() {
        let i = 100 - 10 + k as u32;
        assert_eq!(h.seq, i as u64);
        assert_eq!(p, &i.to_le_bytes().repeat(2));
    }
    assert_eq!(ring.dropped().total(), 0);
}

/// `Ring<256, 16>` (64 words) full of 5-word records (12 of them).
fn full_ring_of_five_word_records() -> Ring<256, 16> {
    let ring: Ring<256, 16> = Ring::new();
    for i in 0u32..12 {
        ring.write(meta(i as u64), &i.to_le_bytes().repeat(2))
            .unwrap();
    }
    assert_eq!(ring.oldest().seq(), 0, "12 records fit");
    ring
}

#[test]
fn full_ring_frees_a_batch_and_readers_count_it_exactly() {
    let ring = full_ring_of_five_word_records();
    ring.write(meta(12), &12u32.to_le_bytes().repeat(2))
        .unwrap();
    // One push freed record 0 (the room needed) and records 1 and 2 with
    // it: their extents end within a quarter of the ring (16 words) of the
    // old tail; record 3's would end at 20.
    assert_eq!(ring.oldest().seq(), 3);
    let mut c = Cursor::new();
    let mut buf = [0u8; 8];
    assert_eq!(ring.read(&mut c, &mut buf), Read::Dropped(3));
    let (recs, missed) = read_all(&ring, &mut c);
    assert_eq!(missed, 0);
    let seqs: Vec<u64> = recs.iter().map(|(h, _)| h.seq).collect();
    assert_eq!(seqs, (3..13).collect::<Vec<u64>>());
    // Freeing is not a writer's loss: nothing counted as lost.
    assert_eq!(ring.dropped(), DropCounts::default());
    // The next two stores fit without freeing anything.
    for i in 13u32..15 {
        ring.write(meta(i as u64), &i.to_le_bytes().repeat(2))
            .unwrap();
    }
    assert_eq!(ring.oldest().seq(), 3);
}

#[test]
fn a_batch_never_overtakes_a_record_it_does_not_need() {
    let ring: Ring<256, 16> = Ring::new();
    ring.write(meta(0), &[0; 8]).unwrap();
    let held = ring.reserve(8, meta(1)).unwrap();
    for i in 2u32..12 {
        ring.write(meta(i as u64), &[i as u8; 8]).unwrap();
    }
    ring.write(meta(12), &[12; 8]).unwrap();
    // Freeing record 0 made room; record 1 is still being written, so the
    // batch ends there: not overtaken, its grant commits.
    assert_eq!(ring.oldest().seq(), 1);
    assert_eq!(ring.dropped().overtaken, 0);
    assert_eq!(held.commit(), Ok(1));
}

#[test]
fn a_batch_frees_at_most_a_quarter_of_the_words() {
    let ring: Ring<256, 16> = Ring::new();
    // 9-word records (24 payload bytes): 7 fit (63 words).
    for i in 0u8..7 {
        ring.write(meta(i as u64), &[i; 24]).unwrap();
    }
    assert_eq!(ring.oldest().seq(), 0);
    ring.write(meta(7), &[7; 24]).unwrap();
    // Record 1's extent would end 18 words past the tail (> 16): only the
    // record needed is freed.
    assert_eq!(ring.oldest().seq(), 1);
    let mut c = Cursor::new();
    assert_eq!(ring.read(&mut c, &mut []), Read::Dropped(1));
}

#[test]
fn oversized_record_is_truncated_and_flagged() {
    let ring: Ring<64, 4> = Ring::new();
    assert_eq!(Ring::<64, 4>::MAX_PAYLOAD, 52);
    let big = [0xabu8; 200];
    ring.write(meta(0), &big).unwrap();
    let mut c = Cursor::new();
    let (recs, _) = read_all(&ring, &mut c);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].0.len, 52);
    assert!(recs[0].0.flags.contains(Flags::TRUNCATED));
    assert!(recs[0].1.iter().all(|&b| b == 0xab));
}

#[test]
fn writing_past_the_reservation_truncates_and_unwritten_bytes_are_zero() {
    let ring: Ring<128, 4> = Ring::new();
    let mut g = ring.reserve(6, meta(0)).unwrap();
    assert_eq!(g.write(b"abcdefgh"), 6);
    g.commit().unwrap();
    let mut g = ring.reserve(7, meta(0)).unwrap();
    g.write(b"xy");
    drop(g); // dropping commits
    let mut c = Cursor::new();
    let (recs, _) = read_all(&ring, &mut c);
    assert_eq!(recs[0].1, b"abcdef");
    assert!(recs[0].0.flags.contains(Flags::TRUNCATED));
    assert_eq!(recs[1].1, b"xy\0\0\0\0\0");
    assert!(!recs[1].0.flags.contains(Flags::TRUNCATED));
}

#[test]
fn unaligned_writes_pack_bytes_in_order() {
    let ring: Ring<256, 4> = Ring::new();
    let mut g = ring.reserve(13, meta(0)).unwrap();
    g.write(b"a");
    g.write(b"bcdef");
    g.write(b"");
    g.write(b"ghijklm");
    g.commit().unwrap();
    let (recs, _) = read_all(&ring, &mut Cursor::new());
    assert_eq!(recs[0].1, b"abcdefghijklm");
}

#[test]
fn small_read_buffer_gets_prefix_and_full_length() {
    let ring: Ring<256, 4> = Ring::new();
    ring.write(meta(0), b"0123456789").unwrap();
    let mut buf = [0u8; 3];
    let mut c = Cursor::new();
    match ring.read(&mut c, &mut buf) {
        Read::Record(h) => assert_eq!(h.len, 10),
        other => panic!("{other:?}"),
    }
    assert_eq!(&buf, b"012");
    assert_eq!(ring.read(&mut c, &mut buf), Read::Empty);
}

#[test]
fn uncommitted_record_blocks_readers_but_not_earlier_records() {
    let ring: Ring<256, 8> = Ring::new();
    ring.write(meta(0), b"first").unwrap();
    let g = ring.reserve(4, meta(0)).unwrap();
    ring.write(meta(0), b"third").unwrap();
    let mut c = Cursor::new();
    let mut buf = [0u8; 16];
    assert!(matches!(ring.read(&mut c, &mut buf), Read::Record(_)));
    // Record 1 is reserved, not committed: the reader must not pass it.
    assert_eq!(ring.read(&mut c, &mut buf), Read::Empty);
    assert!(!ring.has_unread(&c));
    g.commit().unwrap();
    assert!(ring.has_unread(&c));
    let (recs, _) = read_all(&ring, &mut c);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[1].1, b"third");
}

/// I10: a writer "interrupted" between reserve and commit while the nested
/// writer laps the ring. The nested writer is never refused; the stalled
/// record is overtaken (counted once), its commit says so, and nothing of it
/// is published or torn.
#[test]
fn nested_writer_lapping_a_stalled_writer_is_never_refused() {
    let ring: Ring<64, 4> = Ring::new();
    let mut outer = ring.reserve(8, meta(0)).unwrap();
    outer.write(b"outer-1");
    for i in 0..10u8 {
        ring.write(meta(1), &[b'0' + i; 4])
            .expect("never refused (I10)");
    }
    assert_eq!(ring.dropped().overtaken, 1);
    assert_eq!(ring.dropped().unstored(), 0);
    outer.write(b"!");
    assert_eq!(outer.commit(), Err(Dropped::Overtaken));
    let (recs, _) = read_all(&ring, &mut ring.oldest());
    assert!(!recs.is_empty());
    assert!(recs.iter().all(|(h, p)| h.timestamp == 1 && p.len() == 4));
    assert_eq!(recs.last().unwrap().1, [b'9'; 4]);
    // The pin is gone with the late writer: the ring uses all its words.
    for _ in 0..8 {
        ring.write(meta(2), b"abcdefgh").expect("room again");
    }
    assert_eq!(ring.dropped().total(), 1);
}

#[test]
fn geometry_constants() {
    type R = Ring<4096, 64>;
    assert_eq!(R::POS_BITS, 11);
    assert_eq!(R::SEQ_BITS, 21);
    assert_eq!(
        core::mem::size_of::<R>(),
        (1024 + 64 + 10 + super::PINS) * 4
    );
}

/// Reduced real-thread stress test (runs under Miri too, with small counts).
#[test]
fn concurrent_writers_and_reader_never_see_torn_records() {
    use std::sync::atomic::{AtomicBool, Ordering as O};
    use std::sync::Arc;
    let per_writer: u32 = if cfg!(miri) { 60 } else { 20_000 };
    let ring: Arc<Ring<256, 8>> = Arc::new(Ring::new());
    let done = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2u8)
        .map(|w| {
            let ring = ring.clone();
            std::thread::spawn(move || {
                let mut ok = 0u32;
                for i in 0..per_writer {
                    let len = 1 + (i % 17) as usize;
                    let mut p = [0u8; 18];
                    p[0] = w;
                    for k in 1..len {
                        p[k] = (i as u8) ^ (k as u8) ^ w;
                    }
                    if ring
                        .write(
                            RecordMeta::new(Level::Info).context(w).timestamp(i as u64),
                            &p[..len],
                        )
                        .is_ok()
                    {
                        ok += 1;
                    }
                }
                ok
            })
        })
        .collect();
    let reader = {
        let ring = ring.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let mut c = Cursor::new();
            let mut buf = [0u8; 32];
            let (mut got, mut missed) = (0u64, 0u64);
            loop {
                let finished = done.load(O::Acquire);
                match ring.read(&mut c, &mut buf) {
                    Read::Record(h) => {
                        let w = h.context;
                        let i = h.timestamp as u32;
                        assert_eq!(h.len as usize, 1 + (i % 17) as usize);
                        assert_eq!(buf[0], w);
                        for k in 1..h.len as usize {
                            assert_eq!(buf[k], (i as u8) ^ (k as u8) ^ w, "torn record");
                        }
                        got += 1;
                    }
                    Read::Dropped(n) => missed += n,
                    Read::Empty if finished => return (got, missed),
                    Read::Empty => std::thread::yield_now(),
                }
            }
        })
    };
    let written: u32 = writers.into_iter().map(|h| h.join().unwrap()).sum();
    done.store(true, O::Release);
    let (got, missed) = reader.join().unwrap();
    // Overtaken records had sequence numbers: the reader missed them.
    assert_eq!(
        got + missed,
        written as u64 + ring.dropped().overtaken as u64
    );
    assert_eq!(written + ring.dropped().total(), 2 * per_writer);
    assert_eq!(ring.dropped().unstored(), 0, "no writer refused (I10)");
}

/// Issue 10's spurious `Busy`: a writer (thread mode, the lowest priority)
/// loads the tail, is preempted while other writers lap the ring so that
/// the tail record's slot is reused by a newer, committed record, and then
/// pushes the tail from its stale snapshot. The old ring read the reused
/// slot as "not committed" and refused the record as `Busy` although no
/// writer was stalled at all. Now the stale snapshot is recognised and the
/// writer just looks again.
#[test]
fn stale_tail_whose_slot_was_reused_is_not_busy() {
    let ring: Ring<256, 4> = Ring::new();
    for i in 0..4u8 {
        ring.write(meta(0), &[i; 8]).unwrap();
    }
    // Ordering: Relaxed; single-threaded test snapshot.
    let stale = ring.tail.load(crate::sync::Ordering::Relaxed);
    // The "interrupt": enough records that slot (stale tail) is reused.
    for i in 0..9u8 {
        ring.write(meta(1), &[i; 8]).unwrap();
    }
    let (ts, _) = Ring::<256, 4>::unpack(stale);
    let now = Ring::<256, 4>::slot_unpack(ring.slot_load(ts, crate::sync::Ordering::Relaxed));
    assert_eq!(now.state, super::COMMITTED, "the slot holds a newer record");
    assert!(ring.push_tail(stale).is_ok(), "a stale tail is not Busy");
    assert_eq!(ring.dropped(), DropCounts::default());
    // And a full write from that point on succeeds.
    ring.write(meta(2), b"thread").unwrap();
    assert_eq!(ring.dropped().total(), 0);
}

/// Regression: a reservation that skips a pin lying inside the live words
/// (the gap at the start of the oldest extent) while the ring is full. The
/// fit check used to compare positions modulo `2 * WORDS`: a skip distance
/// plus the used words could wrap to look like a fit, and the new record
/// was placed over the live records D, E, F (which then read back torn,
/// undetected: their slots and the tail never changed).
#[test]
fn reservation_skipping_a_pin_inside_the_live_words_frees_room_first() {
    let ring: Ring<64, 4> = Ring::new();
    // G: a writer stalled for good at words [0, 4).
    let g = ring.reserve(4, meta(9)).unwrap();
    for i in 0..3u8 {
        ring.write(meta(i as u64), &[i; 4]).unwrap(); // A, B, C: [4, 16)
    }
    // D overtakes G (pinning [0, 4)), frees A and lands at [20, 24) behind
    // a gap over the pin; E and F free B and C. Now the ring is full (16
    // words: D's extent with its gap, E, F) and the oldest extent starts
    // with the pinned words.
    assert_eq!(ring.write(meta(3), &[3; 4]), Ok(4));
    assert_eq!(ring.write(meta(4), &[4; 4]), Ok(5));
    assert_eq!(ring.write(meta(5), &[5; 4]), Ok(6));
    assert_eq!(ring.dropped().overtaken, 1);
    // 12 words: fits only once D, E and F are freed (after the pin).
    assert_eq!(ring.write(meta(6), &[6; 36]), Ok(7));
    let (recs, missed) = read_all(&ring, &mut ring.oldest());
    assert_eq!(missed, 0);
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(recs[0].0.seq, 7);
    assert_eq!(recs[0].1, [6; 36]);
    // The records it replaced were reported missed, none read torn.
    let (old, missed) = read_all(&ring, &mut Cursor::new());
    assert_eq!(missed, 7);
    assert_eq!(old.len(), 1);
    core::mem::forget(g);
}

/// Regression: `has_unread` must agree with `read` at a record its writer
/// lost: `read` reports it missed whatever follows, so there is something to
/// read. It used to walk on and answer `false` at the next record still
/// being written, at the head, or after `SLOTS` lost records, so a console
/// deciding by it sat on the loss.
#[test]
fn has_unread_sees_lost_records_as_read_does() {
    let ring: Ring<256, 2> = Ring::new();
    // Three pins taken by writers stalled for good (each overtaken when
    // the two writes after it need its slot).
    for _ in 0..PINS - 1 {
        core::mem::forget(ring.reserve(4, meta(9)).unwrap());
        ring.write(meta(1), b"push").unwrap();
        ring.write(meta(1), b"push").unwrap();
    }
    assert_eq!(ring.dropped().overtaken, 3);
    // X (small) and Y (large) stalled; a write that needs more room than
    // freeing X gives overtakes X (the last pin) and then Y (no pin left:
    // Busy), leaving Y overtaken at the tail and X's slot not reused.
    let at_x = ring.newest();
    let x = ring.reserve(4, meta(9)).unwrap();
    let y = ring.reserve(80, meta(9)).unwrap();
    assert_eq!(ring.write(meta(2), &[7; 60]), Err(Dropped::Busy));
    assert_eq!(ring.dropped().overtaken, 5);
    // Both slots a reader walks from X hold lost records.
    assert!(ring.has_unread(&at_x), "read would report them missed");
    let mut c = at_x;
    assert_eq!(ring.read(&mut c, &mut []), Read::Dropped(2));
    assert!(!ring.has_unread(&c));
    assert_eq!(x.commit(), Err(Dropped::Overtaken));
    assert_eq!(y.commit(), Err(Dropped::Overtaken));
    // Y, abandoned by its late writer, is still the oldest record; after it
    // comes the head.
    let mut at_y = ring.oldest();
    assert_eq!(at_y.seq(), at_x.seq() + 1);
    assert!(ring.has_unread(&at_y), "read would report Y missed");
    assert_eq!(ring.read(&mut at_y, &mut []), Read::Dropped(1));
    assert_eq!(at_y, ring.newest());
    assert!(!ring.has_unread(&at_y));
}

/// Regression (found by the loom wrap models): a tail push may overtake a
/// record that a writer has claimed but whose head move (H2) it has not
/// made yet — a writer preempted between its claim CAS and its head CAS,
/// in an empty ring whose free words are pinned. The tail is then one
/// ahead of the head. Writers used to treat that as a stale snapshot and
/// retry until the claimer moved the head: waiting for a preempted
/// context (I1), dropped as `Contention` after `MAX_ATTEMPTS`. They must
/// help the head past the claim instead.
#[test]
fn tail_ahead_of_an_unmoved_head_is_helped_not_waited_for() {
    type R = Ring<32, 2>;
    let ring = R::new();
    // A claim of slot 0 (extent [0, 4)) whose writer is preempted before
    // its head CAS, exactly as `reserve` makes it.
    let initial = ring.slot_load(0, Ordering::Relaxed);
    let claimed = R::slot_pack(SlotWord {
        state: RESERVED,
        lap: 0,
        end: 4,
    });
    ring.slot_cas(0, initial, claimed, Ordering::AcqRel)
        .unwrap();
    // Another writer's tail push (it needed room) overtakes and pins it.
    ring.push_tail(ring.tail.load(Ordering::Relaxed)).unwrap();
    assert_eq!(ring.dropped().overtaken, 1);
    assert_eq!(R::unpack(ring.tail.load(Ordering::Relaxed)), (1, 4));
    assert_eq!(R::unpack(ring.head.load(Ordering::Relaxed)), (0, 0));
    // Writers go on without the preempted one.
    assert_eq!(ring.write(meta(1), b"next"), Ok(1));
    assert_eq!(ring.dropped().contention, 0);
    let (recs, missed) = read_all(&ring, &mut Cursor::new());
    assert_eq!((recs.len(), missed), (1, 1));
    assert_eq!(recs[0].1, b"next");
}
