//! The ring under arbitrary operations and arbitrary memory images.
//!
//! The model is exact: single-threaded, the ring's eviction is
//! deterministic (free the oldest committed record until the new one fits;
//! an uncommitted oldest record makes the write fail as `Busy`; drop-newest
//! fails as `Full`), so every write result, sequence number, missed count,
//! cursor and recovery report is predicted and compared. Records carry
//! self-checking payloads; a read is compared byte for byte.
//!
//! A "reboot" saves the memory image with writers cut mid-record (their
//! grants forgotten), optionally corrupts it (word edits, or a wholly
//! arbitrary image), and recovers it into a new ring. Unchanged images must
//! come back exactly (committed records flagged previous-boot, cut ones
//! incomplete); changed ones must recover to a ring that holds together,
//! which then becomes the model.

use super::{pattern, payload_len, Input, MAX_OPS};
use logbuf::ring::{
    Cursor, Dropped, Flags, Grant, LostCounts, Policy, Read, RecordMeta, Recovery, Ring, MAGIC,
};
use logbuf::Level;
use std::collections::VecDeque;
use std::mem::MaybeUninit;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Committed,
    /// Reserved, grant still held.
    Open,
    /// Reserved, grant forgotten (a writer cut by a reset).
    Abandoned,
}

#[derive(Clone, Debug)]
struct Rec {
    id: u32,
    len: u16,
    level: Level,
    ctx: u8,
    /// Flags a reader sees once committed.
    flags: Flags,
    /// Flags stored at reservation (what recovery finds for a cut writer).
    reserve_flags: Flags,
    ts: Option<u64>,
    /// Expected payload; `None` where the content is unknown.
    bytes: Vec<Option<u8>>,
    /// Payload bytes the grant was given so far (open records).
    written: usize,
    state: State,
}

fn words_of(len: u16) -> u32 {
    3 + (len as u32).div_ceil(4)
}

fn ts_of(id: u32) -> u64 {
    (id as u64) | ((id as u64 ^ 0xa5a5) << 32)
}

struct Model {
    recs: VecDeque<Rec>,
    tail: u32,
    words: u32,
    policy: Policy,
    lost: LostCounts,
    /// `Cursor::new()` is a valid cursor: the ring is a fresh ring's
    /// lineage (not rebuilt from a corrupted image).
    clean: bool,
}

impl Model {
    fn new(policy: Policy) -> Model {
        Model {
            recs: VecDeque::new(),
            tail: 0,
            words: 0,
            policy,
            lost: LostCounts::default(),
            clean: true,
        }
    }
    fn head(&self) -> u32 {
        self.tail.wrapping_add(self.recs.len() as u32)
    }
    fn index(&self, seq: u32) -> Option<usize> {
        let i = seq.wrapping_sub(self.tail) as usize;
        (i < self.recs.len()).then_some(i)
    }
    /// What the ring must do for a reservation of `need` words.
    fn make_room(&mut self, need: u32, words: usize, slots: usize) -> Result<u32, Dropped> {
        while self.words + need > words as u32 || self.recs.len() + 1 > slots {
            if self.policy == Policy::DropNewest {
                self.lost.full += 1;
                return Err(Dropped::Full);
            }
            if self.recs.front().map(|r| r.state) != Some(State::Committed) {
                self.lost.busy += 1;
                return Err(Dropped::Busy);
            }
            let r = self.recs.pop_front().unwrap();
            self.words -= words_of(r.len);
            self.tail = self.tail.wrapping_add(1);
        }
        Ok(self.head())
    }
    fn push(&mut self, rec: Rec) {
        self.words += words_of(rec.len);
        self.recs.push_back(rec);
    }
    /// Committed records from the tail before the first uncommitted one.
    fn readable_run(&self) -> usize {
        self.recs
            .iter()
            .take_while(|r| r.state == State::Committed)
            .count()
    }
}

/// Runs one program on a ring of the geometry the first byte picks.
pub fn run(data: &[u8]) {
    let mut inp = Input::new(data);
    match inp.byte() % 4 {
        0 => run_on::<64, 8>(&mut inp),
        1 => run_on::<32, 16>(&mut inp),
        2 => run_on::<256, 4>(&mut inp),
        _ => run_on::<16, 2>(&mut inp),
    }
}

struct Ctx {
    next_id: u32,
    ops: usize,
}

fn run_on<const W: usize, const S: usize>(inp: &mut Input) {
    let policy = if inp.byte() % 4 == 0 {
        Policy::DropNewest
    } else {
        Policy::Overwrite
    };
    let mut ring: Box<Ring<W, S>> = Box::new(Ring::with_policy(policy));
    // Every boot starts with recovery; on a new ring it finds nothing.
    let first = ring.recover();
    assert_eq!(
        (first.kept, first.incomplete),
        (0, 0),
        "a new ring is empty"
    );
    let mut model = Model::new(policy);
    let start = inp.byte() % 4;
    if start >= 2 {
        // Power-on RAM: the image is whatever the input says.
        let image: Vec<u32> = (0..Ring::<W, S>::IMAGE_WORDS).map(|_| inp.u32()).collect();
        let in_place = start == 3;
        let (r, first) = boot_from::<W, S>(&image, in_place, policy);
        ring = r;
        model = rebuild(&ring, first, &image, in_place.then_some(policy));
    }
    let mut cx = Ctx { next_id: 1, ops: 0 };
    while let Some(image) = run_boot(&ring, &mut model, inp, &mut cx) {
        // A warm reset: the image survives, maybe damaged.
        let mut changed = image.clone();
        corrupt(&mut changed, inp);
        let in_place = inp.flag();
        let (r, first) = boot_from::<W, S>(&changed, in_place, policy);
        ring = r;
        if changed == image {
            recovered_intact(&ring, first, &mut model);
        } else {
            model = rebuild(&ring, first, &changed, in_place.then_some(policy));
        }
        check_all(&ring, &model);
    }
}

/// A new ring holding `image`, recovered (through `recover_in_place` on
/// uninitialised memory, or `load_image` + `recover`).
fn boot_from<const W: usize, const S: usize>(
    image: &[u32],
    in_place: bool,
    policy: Policy,
) -> (Box<Ring<W, S>>, Recovery) {
    if in_place {
        let mut mem: Box<MaybeUninit<Ring<W, S>>> = Box::new_uninit();
        let p = mem.as_mut_ptr() as *mut u32;
        for (i, w) in image.iter().take(Ring::<W, S>::IMAGE_WORDS).enumerate() {
            // SAFETY: a ring is IMAGE_WORDS u32 words; i is below that.
            unsafe { p.add(i).write(*w) };
        }
        // SAFETY: the memory is ours, aligned and sized for the ring.
        let rep = unsafe { Ring::recover_in_place(mem.as_mut_ptr(), policy) };
        // SAFETY: recover_in_place initialised every word of the ring.
        (unsafe { mem.assume_init() }, rep)
    } else {
        let ring = Box::new(Ring::<W, S>::new());
        ring.load_image(image);
        let rep = ring.recover();
        (ring, rep)
    }
}

/// Damages an image as the input says (or not at all).
fn corrupt(image: &mut [u32], inp: &mut Input) {
    match inp.byte() % 4 {
        0 | 1 => {}
        2 => {
            for _ in 0..1 + inp.below(6) {
                let n = image.len();
                // Mostly the index words and the slots, sometimes anywhere.
                let i = match inp.byte() % 3 {
                    0 => inp.below(8),
                    1 => 8 + inp.byte() as usize % (n - 8).min(32),
                    _ => inp.u16() as usize % n,
                };
                image[i] = match inp.byte() % 4 {
                    0 => inp.u32(),
                    1 => image[i] ^ (1 << (inp.byte() % 32)),
                    2 => image[i].wrapping_add(inp.byte() as u32),
                    _ => image[inp.u16() as usize % n],
                };
            }
        }
        _ => {
            for w in image.iter_mut() {
                *w = inp.u32();
            }
        }
    }
}

/// The model of a ring recovered from an unchanged image: every record
/// comes back, committed ones flagged previous-boot, cut ones incomplete.
fn recovered_intact<const W: usize, const S: usize>(
    ring: &Ring<W, S>,
    first: Recovery,
    model: &mut Model,
) {
    let committed = model
        .recs
        .iter()
        .filter(|r| r.state == State::Committed)
        .count() as u32;
    let cut = model.recs.len() as u32 - committed;
    assert_eq!(
        first,
        Recovery {
            fresh: false,
            kept: committed,
            incomplete: cut,
            discarded: 0
        },
        "recovery of an intact image"
    );
    // Recovery is idempotent: a second pass keeps everything, all committed.
    let again = ring.recover();
    assert!(!again.fresh, "an intact image recovered as fresh");
    assert_eq!(again.kept, committed + cut, "second recovery keeps all");
    assert_eq!((again.incomplete, again.discarded), (0, 0));
    for r in model.recs.iter_mut() {
        r.flags = r.flags.with(Flags::PREVIOUS_BOOT);
        if r.state != State::Committed {
            r.state = State::Committed;
            r.flags = r
                .reserve_flags
                .with(Flags::PREVIOUS_BOOT)
                .with(Flags::INCOMPLETE);
            r.ts = None;
            // Whole words the writer finished reached memory; nothing else
            // is known (unwritten words hold older bytes).
            let known = r.written / 4 * 4;
            for (i, b) in r.bytes.iter_mut().enumerate() {
                *b = (i < known).then(|| pattern(r.id, i));
            }
        }
    }
    model.lost = LostCounts::default();
}

/// The model of a ring recovered from a changed image: whatever recovery
/// kept must hold together; it becomes the new model. `forced` is the
/// policy `recover_in_place` was given (used if the magic word was wrong).
fn rebuild<const W: usize, const S: usize>(
    ring: &Ring<W, S>,
    first: Recovery,
    image: &[u32],
    forced: Option<Policy>,
) -> Model {
    let held = first.kept + first.incomplete;
    // Recovery is idempotent: a second pass keeps everything, committed.
    let again = ring.recover();
    assert_eq!(
        again,
        Recovery {
            fresh: false,
            kept: held,
            incomplete: 0,
            discarded: 0
        },
        "second recovery after {first:?}"
    );
    let policy = match forced {
        Some(p) if image[0] != MAGIC => p,
        _ if image[7] == 1 => Policy::DropNewest,
        _ => Policy::Overwrite,
    };
    let mut model = Model::new(policy);
    assert_eq!(ring.lost(), LostCounts::default());
    let oldest = ring.oldest();
    assert_eq!(
        ring.newest().seq().wrapping_sub(oldest.seq()) as u32,
        held,
        "recovered ring: head - tail = records kept"
    );
    assert!(held as usize <= S);
    model.tail = oldest.seq() as u32;
    if first.fresh {
        assert_eq!((held, model.tail), (0, 0), "a fresh ring starts empty");
    } else {
        // Not a fresh ring's lineage: `Cursor::new()` means nothing here.
        model.clean = false;
    }
    let mut c = oldest;
    let mut buf = vec![0u8; Ring::<W, S>::MAX_PAYLOAD + 4];
    let mut cut = 0;
    for k in 0..held {
        match ring.read(&mut c, &mut buf) {
            Read::Record(h) => {
                assert_eq!(h.seq, oldest.seq() + k as u64);
                assert!(h.flags.contains(Flags::PREVIOUS_BOOT), "{h:?}");
                assert!(h.len as usize <= Ring::<W, S>::MAX_PAYLOAD);
                cut += h.flags.contains(Flags::INCOMPLETE) as u32;
                model.push(Rec {
                    id: 0,
                    len: h.len,
                    level: h.level,
                    ctx: h.context,
                    flags: h.flags,
                    reserve_flags: h.flags,
                    ts: Some(h.timestamp),
                    bytes: buf[..h.len as usize].iter().map(|&b| Some(b)).collect(),
                    written: h.len as usize,
                    state: State::Committed,
                });
            }
            other => panic!("recovered record {k} of {held} unreadable: {other:?}"),
        }
    }
    assert!(cut >= first.incomplete, "incomplete records flagged");
    check_all(ring, &model);
    model
}

/// One boot: operations until a reboot (returns the image) or the end of
/// the input (returns `None`).
fn run_boot<const W: usize, const S: usize>(
    ring: &Ring<W, S>,
    model: &mut Model,
    inp: &mut Input,
    cx: &mut Ctx,
) -> Option<Vec<u32>> {
    let max = Ring::<W, S>::MAX_PAYLOAD;
    let mut grants: Vec<(Grant<'_, W, S>, u32)> = Vec::new();
    let mut cursors = [ring.oldest(); 3];
    while !inp.is_empty() && cx.ops < MAX_OPS {
        cx.ops += 1;
        match inp.byte() % 12 {
            0..=2 => {
                let len = payload_len(inp, max);
                let (meta, id) = new_meta(inp, cx);
                let payload: Vec<u8> = (0..len).map(|i| pattern(id, i)).collect();
                let expect = reserve_model::<W, S>(model, len, meta, id);
                let got = ring.write(meta, &payload);
                assert_eq!(got, expect, "write of {len} bytes");
                if let Ok(seq) = got {
                    commit_model(model, seq, len.min(max));
                }
            }
            3 | 4 if grants.len() < 4 => {
                let len = payload_len(inp, max);
                let (meta, id) = new_meta(inp, cx);
                let expect = reserve_model::<W, S>(model, len, meta, id);
                match ring.reserve(len, meta) {
                    Ok(mut g) => {
                        assert_eq!(Ok(g.seq()), expect, "reserve of {len} bytes");
                        assert_eq!(g.capacity(), len.min(max));
                        let seq = g.seq();
                        fill(&mut g, model, seq, inp);
                        grants.push((g, seq));
                    }
                    Err(e) => assert_eq!(Err(e), expect, "reserve of {len} bytes"),
                }
            }
            5 if !grants.is_empty() => {
                let (mut g, seq) = grants.remove(inp.below(grants.len()));
                if inp.flag() {
                    fill(&mut g, model, seq, inp);
                }
                let written = g.written();
                if inp.flag() {
                    assert_eq!(g.commit(), seq);
                } else {
                    drop(g); // dropping commits too
                }
                commit_model(model, seq, written);
            }
            6 if !grants.is_empty() => {
                // A writer cut for good (until the next reset recovers it).
                let (g, seq) = grants.remove(inp.below(grants.len()));
                std::mem::forget(g);
                let i = model.index(seq).expect("open record held");
                model.recs[i].state = State::Abandoned;
            }
            7 | 8 => {
                let c = inp.below(3);
                let buf_len = match inp.byte() % 4 {
                    0 => 0,
                    1 => inp.below(9),
                    _ => max + 4,
                };
                checked_read(ring, model, &mut cursors[c], buf_len);
            }
            9 => {
                let c = inp.below(3);
                cursors[c] = place_cursor(ring, model, inp, &cursors);
            }
            10 => {
                if inp.byte() % 4 == 0 {
                    // Reset: the image as the writers left it.
                    let mut image = vec![0u32; Ring::<W, S>::IMAGE_WORDS];
                    assert_eq!(ring.save_image(&mut image), image.len());
                    for (g, seq) in grants.drain(..) {
                        std::mem::forget(g);
                        let i = model.index(seq).expect("open record held");
                        model.recs[i].state = State::Abandoned;
                    }
                    return Some(image);
                }
                check_all(ring, model);
            }
            _ => {
                let c = inp.below(3);
                let before = cursors[c];
                let behind = model.tail.wrapping_sub(before.seq() as u32) as i32;
                let n = ring.skip_missed(&mut cursors[c]);
                // Exact when it reports; it may report 0 for a cursor whose
                // record was freed but whose slot was not reused yet (the
                // next read then says Missed).
                if n != 0 {
                    assert!(behind > 0, "skip_missed {n} while not behind");
                    assert_eq!(n, behind as u64, "skip_missed count");
                    assert_eq!(cursors[c].seq() as u32, model.tail);
                } else {
                    assert_eq!(cursors[c], before, "skip_missed moved");
                }
            }
        }
    }
    // End of the program: every writer finishes, everything reads back.
    for (g, seq) in grants.drain(..) {
        let written = g.written();
        g.commit();
        commit_model(model, seq, written);
    }
    check_all(ring, model);
    None
}

fn new_meta(inp: &mut Input, cx: &mut Ctx) -> (RecordMeta, u32) {
    let id = cx.next_id;
    cx.next_id += 1;
    let level = Level::from_bits(1 + inp.below(5) as u8).unwrap();
    let flags = if inp.byte() % 4 == 0 {
        Flags::from_bits(inp.byte())
    } else {
        Flags::NONE
    };
    let meta = RecordMeta::new(level)
        .timestamp(ts_of(id))
        .context(id as u8)
        .flags(flags);
    (meta, id)
}

/// Model of a reservation of `len` bytes; returns what the ring must say.
fn reserve_model<const W: usize, const S: usize>(
    model: &mut Model,
    len: usize,
    meta: RecordMeta,
    id: u32,
) -> Result<u32, Dropped> {
    let max = Ring::<W, S>::MAX_PAYLOAD;
    let (stored, flags) = if len > max {
        (max, meta.flags.with(Flags::TRUNCATED))
    } else {
        (len, meta.flags)
    };
    let seq = model.make_room(words_of(stored as u16), W, S)?;
    model.push(Rec {
        id,
        len: stored as u16,
        level: meta.level,
        ctx: meta.context,
        flags,
        reserve_flags: flags,
        ts: Some(meta.timestamp),
        bytes: vec![None; stored],
        written: 0,
        state: State::Open,
    });
    Ok(seq)
}

/// Writes the input's choice of pieces into an open grant.
fn fill<const W: usize, const S: usize>(
    g: &mut Grant<'_, W, S>,
    model: &mut Model,
    seq: u32,
    inp: &mut Input,
) {
    let i = model.index(seq).expect("open record held");
    for _ in 0..1 + inp.below(3) {
        let want = if inp.byte() % 8 == 0 {
            g.capacity() + 1 + inp.below(6)
        } else {
            inp.below(g.capacity().max(1) + 1)
        };
        let start = g.written();
        let piece: Vec<u8> = (start..start + want)
            .map(|k| pattern(model.recs[i].id, k))
            .collect();
        let took = g.write(&piece);
        assert_eq!(took, want.min(g.capacity() - start), "grant write");
        assert_eq!(g.written(), start + took);
        if took < want {
            model.recs[i].flags = model.recs[i].flags.with(Flags::TRUNCATED);
        }
    }
    model.recs[i].written = g.written();
}

/// A record's words are committed: `written` bytes of pattern, then zeros.
fn commit_model(model: &mut Model, seq: u32, written: usize) {
    let i = model.index(seq).expect("committed record held");
    let r = &mut model.recs[i];
    r.state = State::Committed;
    r.written = written;
    let id = r.id;
    for (k, b) in r.bytes.iter_mut().enumerate() {
        *b = Some(if k < written { pattern(id, k) } else { 0 });
    }
}

/// Reads at `cursor` and checks the outcome against the model.
fn checked_read<const W: usize, const S: usize>(
    ring: &Ring<W, S>,
    model: &Model,
    cursor: &mut Cursor,
    buf_len: usize,
) -> Read {
    let before = *cursor;
    let s = before.seq() as u32;
    let unread = ring.has_unread(cursor);
    let mut buf = vec![0u8; buf_len];
    let r = ring.read(cursor, &mut buf);
    match r {
        Read::Record(h) => {
            assert!(unread, "has_unread said no, read found {h:?}");
            assert_eq!(h.seq, before.seq(), "record seq = cursor seq");
            assert_eq!(cursor.seq(), before.seq() + 1);
            let i = model
                .index(s)
                .unwrap_or_else(|| panic!("read seq {s} the ring no longer holds"));
            let m = &model.recs[i];
            assert_eq!(m.state, State::Committed, "read an uncommitted record");
            assert_eq!(
                (h.len, h.level, h.context, h.flags),
                (m.len, m.level, m.ctx, m.flags),
                "header of seq {s}"
            );
            if let Some(ts) = m.ts {
                assert_eq!(h.timestamp, ts, "timestamp of seq {s}");
            }
            let n = (h.len as usize).min(buf_len);
            for (k, (&got, want)) in buf[..n].iter().zip(&m.bytes).enumerate() {
                if let Some(w) = want {
                    assert_eq!(got, *w, "payload byte {k} of seq {s}");
                }
            }
        }
        Read::Missed(n) => {
            assert!(unread, "has_unread said no, read missed {n}");
            let behind = model.tail.wrapping_sub(s);
            assert!((behind as i32) > 0, "missed {n} while not behind");
            assert_eq!(n, behind as u64, "missed count");
            assert_eq!(cursor.seq(), before.seq() + n);
            assert_eq!(cursor.seq() as u32, model.tail);
        }
        Read::Empty => {
            assert!(!unread, "has_unread said yes, read was empty");
            assert_eq!(*cursor, before, "empty read moved the cursor");
            if let Some(i) = model.index(s) {
                assert_ne!(
                    model.recs[i].state,
                    State::Committed,
                    "committed seq {s} read as empty"
                );
            } else {
                let behind = model.tail.wrapping_sub(s) as i32;
                assert!(behind <= 0, "cursor {behind} behind the tail read empty");
            }
        }
    }
    r
}

/// A cursor placed as the input says, each placement checked.
fn place_cursor<const W: usize, const S: usize>(
    ring: &Ring<W, S>,
    model: &Model,
    inp: &mut Input,
    cursors: &[Cursor; 3],
) -> Cursor {
    let oldest = ring.oldest();
    assert_eq!(oldest.seq() as u32, model.tail, "oldest");
    match inp.byte() % 5 {
        0 if model.clean => Cursor::new(),
        0 | 1 => oldest,
        2 => {
            let c = ring.newest();
            assert_eq!(c.seq() as u32, model.head(), "newest");
            c
        }
        3 => {
            // Before the oldest, inside, past the newest.
            let k = inp.byte() as i64 - 64;
            let target = (oldest.seq() as i64 + k).max(0) as u64;
            let c = ring.seek(target);
            let run = model.readable_run() as u64;
            let want = target.clamp(oldest.seq(), oldest.seq() + run);
            assert_eq!(c.seq(), want, "seek({target})");
            c
        }
        _ => cursors[inp.below(3)],
    }
}

/// Everything the ring says agrees with the model: ends, counters, and
/// every record from the oldest on.
fn check_all<const W: usize, const S: usize>(ring: &Ring<W, S>, model: &Model) {
    assert_eq!(ring.oldest().seq() as u32, model.tail, "oldest");
    assert_eq!(ring.newest().seq() as u32, model.head(), "newest");
    assert_eq!(ring.lost(), model.lost, "lost counts");
    let mut c = ring.oldest();
    let run = model.readable_run();
    for _ in 0..run {
        let r = checked_read(ring, model, &mut c, Ring::<W, S>::MAX_PAYLOAD);
        assert!(matches!(r, Read::Record(_)), "{r:?}");
    }
    assert_eq!(checked_read(ring, model, &mut c, 8), Read::Empty);
    if model.clean {
        let mut fresh = Cursor::new();
        let r = checked_read(ring, model, &mut fresh, 0);
        if model.tail != 0 {
            assert!(matches!(r, Read::Missed(_)), "fresh cursor: {r:?}");
        }
    }
}
