//! The ring under arbitrary operations and arbitrary memory images.
//!
//! The model is exact: single-threaded, the ring is deterministic, so every
//! write, reserve and commit result, sequence number, missed count, cursor,
//! lost count and recovery report is predicted and compared. It models the
//! ring as the module documentation of `logbuf::ring` describes it, in its
//! own terms (absolute word positions, a list of pinned extents):
//!
//! * a record's extent starts at the head position and ends where the
//!   record's words (payload + 3-word trailer) end; it starts with a gap
//!   when pinned words are in the way: the record goes to the first place
//!   past the head where it overlaps no pinned word, and must end within
//!   `WORDS` words of the tail, with a free slot;
//! * otherwise the oldest record is freed: committed or abandoned ones
//!   simply; a reserved one (its grant held, or forgotten) is overtaken
//!   (counted in `dropped().overtaken`, a reader reports it dropped) and its
//!   extent pinned ([`PINS`] entries; none free: the write fails `Busy`,
//!   the record stays overtaken at the tail); an empty ring with no room
//!   left between the pins fails `Busy` too; drop-newest fails `Full`;
//! * the same tail push frees the committed or abandoned records right
//!   after it too (a batch): at most `FREE_BATCH` records, at most a
//!   quarter of the slots (at least one), and every extent past the first
//!   ending within a quarter of the words of the old tail; the first
//!   record not so ends the batch;
//! * a held grant whose record was overtaken fails its commit
//!   (`Dropped::Overtaken`), marks its slot abandoned (if the slot was not
//!   reused) and clears its pin; a forgotten grant's pin stays until the
//!   next recovery;
//! * each slot keeps the sequence number and state of its last claim, so
//!   reads at freed (but not yet reused) slots are predicted too.
//!
//! Records carry self-checking payloads; a read is compared byte for byte.
//!
//! A "reboot" saves the memory image with writers cut mid-record (their
//! grants forgotten), optionally corrupts it (word edits, or a wholly
//! arbitrary image), and recovers it into a new ring. Unchanged images must
//! come back exactly (committed records flagged previous-boot, reserved
//! ones incomplete, overtaken ones still lost, pins cleared); changed ones
//! must recover to a ring that holds together, which then becomes the model
//! (its positions read from the recovered image).

use super::{pattern, payload_len, Input, MAX_OPS};
use logbuf::ring::{
    Cursor, DropCounts, Dropped, Flags, Grant, Policy, Read, RecordMeta, Recovery, Ring,
    FREE_BATCH, MAGIC, MAX_ATTEMPTS, PINS,
};
use logbuf::Level;
use std::collections::VecDeque;
use std::mem::MaybeUninit;

/// A slot's state, as the ring's slot word holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    Reserved,
    Committed,
    Overtaken,
    Abandoned,
}

#[derive(Clone, Debug)]
struct Rec {
    seq: u64,
    /// Absolute word position where the extent ends.
    end: u64,
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
    /// Payload bytes the grant was given so far (reserved records).
    written: usize,
    state: St,
}

/// An overtaken record's extent `[from, to)` (absolute positions), pinned
/// for its late writer.
#[derive(Clone, Copy, Debug)]
struct Pin {
    seq: u64,
    from: u64,
    to: u64,
}

/// What a read at a cursor does (the model's answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Record(u64),
    Dropped(u64),
    Empty,
}

/// A reader's verdict on one slot.
enum Judged {
    Empty,
    Behind,
    Lost,
    Committed,
}

fn ts_of(id: u32) -> u64 {
    (id as u64) | ((id as u64 ^ 0xa5a5) << 32)
}

struct Model {
    words: u64,
    slots_n: u64,
    /// Records from the tail to the head.
    recs: VecDeque<Rec>,
    /// Sequence number and absolute word position of the tail; head
    /// position.
    tail: u64,
    tp: u64,
    hp: u64,
    /// Per slot index: (sequence number of its last claim, negative for
    /// never claimed, and its state).
    slots: Vec<(i64, St)>,
    pins: Vec<Pin>,
    policy: Policy,
    lost: DropCounts,
    /// `Cursor::new()` is a valid cursor: the ring is a fresh ring's
    /// lineage (not rebuilt from a corrupted image).
    clean: bool,
    /// The ring's sequence range, `2^(LAP_BITS + log2 SLOTS)`: the numbers
    /// of `oldest`, `newest`, `write` and `Grant::seq` are modulo it, a
    /// cursor's count on past it (a recovered image may start just below
    /// it). [`Model::abs`] maps both to the model's numbers.
    range: u64,
}

impl Model {
    fn new(policy: Policy, words: usize, slots: usize) -> Model {
        Model {
            words: words as u64,
            slots_n: slots as u64,
            recs: VecDeque::new(),
            tail: 0,
            tp: 0,
            hp: 0,
            slots: (0..slots as i64)
                .map(|i| (i - slots as i64, St::Abandoned))
                .collect(),
            pins: Vec::new(),
            policy,
            lost: DropCounts::default(),
            clean: true,
            range: {
                let pos_bits = words.trailing_zeros() + 1;
                1 << (30 - pos_bits + slots.trailing_zeros())
            },
        }
    }
    /// A sequence number the ring gave (modulo `range`, or a cursor's) as
    /// the model's: the one nearest the model's tail.
    fn abs(&self, seq: u64) -> u64 {
        let ahead = seq.wrapping_sub(self.tail) & (self.range - 1);
        if ahead < self.range / 2 {
            self.tail + ahead
        } else {
            self.tail - (self.range - ahead)
        }
    }
    fn head(&self) -> u64 {
        self.tail + self.recs.len() as u64
    }
    fn index(&self, seq: u64) -> Option<usize> {
        let i = seq.checked_sub(self.tail)? as usize;
        (i < self.recs.len()).then_some(i)
    }
    fn slot(&self, seq: u64) -> (i64, St) {
        self.slots[(seq % self.slots_n) as usize]
    }
    fn set_slot(&mut self, seq: u64, st: St) {
        let n = self.slots_n;
        self.slots[(seq % n) as usize] = (seq as i64, st);
    }
    /// Where `need` words go past the head: the distance from the head to
    /// the first place where they overlap no pinned word and end within
    /// `WORDS` of the tail; `None` if there is none.
    fn fit(&self, need: u64) -> Option<u64> {
        let free = self.words - (self.hp - self.tp);
        if need > free {
            return None;
        }
        let mut pinned = vec![false; self.words as usize];
        for p in &self.pins {
            for x in p.from..p.to {
                pinned[(x % self.words) as usize] = true;
            }
        }
        (0..=free - need)
            .find(|&s| (0..need).all(|k| !pinned[((self.hp + s + k) % self.words) as usize]))
    }
    /// A reservation of `len` payload bytes (already cut to the maximum):
    /// its sequence number, or why the ring refuses it (counted).
    fn reserve(&mut self, len: u16) -> Result<u64, Dropped> {
        let need = 3 + (len as u64).div_ceil(4);
        for _ in 0..MAX_ATTEMPTS {
            if (self.recs.len() as u64) < self.slots_n {
                if let Some(skip) = self.fit(need) {
                    let seq = self.head();
                    self.hp += skip + need;
                    self.set_slot(seq, St::Reserved);
                    return Ok(seq);
                }
            }
            if self.policy == Policy::DropNewest {
                self.lost.full += 1;
                return Err(Dropped::Full);
            }
            if self.free_oldest().is_err() {
                self.lost.busy += 1;
                return Err(Dropped::Busy);
            }
        }
        self.lost.contention += 1;
        Err(Dropped::Contention)
    }
    /// The tail push: frees the oldest record, overtaking and pinning it
    /// if its writer has not finished. `Err` = `Busy`.
    fn free_oldest(&mut self) -> Result<(), ()> {
        let Some(r) = self.recs.front() else {
            return Err(()); // empty, and still no room between the pins
        };
        let (seq, end, state) = (r.seq, r.end, r.state);
        if state == St::Reserved {
            self.recs[0].state = St::Overtaken;
            self.set_slot(seq, St::Overtaken);
            self.lost.overtaken += 1;
        }
        if matches!(state, St::Reserved | St::Overtaken) {
            if self.pins.len() == PINS {
                return Err(());
            }
            self.pins.push(Pin {
                seq,
                from: self.tp,
                to: end,
            });
        }
        let tp = self.tp;
        self.recs.pop_front();
        self.tail += 1;
        self.tp = end;
        let most = (FREE_BATCH as u64).min(self.slots_n / 4).max(1);
        let mut freed = 1;
        while let Some(r) = self.recs.front() {
            let finished = matches!(r.state, St::Committed | St::Abandoned);
            if freed == most || !finished || r.end - tp > self.words / 4 {
                break;
            }
            self.tp = r.end;
            self.recs.pop_front();
            self.tail += 1;
            freed += 1;
        }
        Ok(())
    }
    /// A held grant for `seq` commits (or is dropped) after `written` bytes.
    fn commit(&mut self, seq: u64, written: usize) -> Result<u64, Dropped> {
        if let Some(i) = self
            .index(seq)
            .filter(|&i| self.recs[i].state == St::Reserved)
        {
            let r = &mut self.recs[i];
            r.state = St::Committed;
            r.written = written;
            let id = r.id;
            for (k, b) in r.bytes.iter_mut().enumerate() {
                *b = Some(if k < written { pattern(id, k) } else { 0 });
            }
            self.set_slot(seq, St::Committed);
            return Ok(seq);
        }
        // Overtaken: the late writer marks it abandoned and unpins.
        if self.slot(seq) == (seq as i64, St::Overtaken) {
            self.set_slot(seq, St::Abandoned);
        }
        if let Some(i) = self.index(seq) {
            assert_eq!(
                self.recs[i].state,
                St::Overtaken,
                "model: commit of seq {seq}"
            );
            self.recs[i].state = St::Abandoned;
        }
        let pins = self.pins.len();
        self.pins.retain(|p| p.seq != seq);
        assert!(self.pins.len() + 1 >= pins, "model: one pin per record");
        Err(Dropped::Overtaken)
    }
    fn judge(&self, s: u64) -> Judged {
        let (claim, st) = self.slot(s);
        if claim == s as i64 {
            match st {
                St::Reserved => Judged::Empty,
                St::Committed => Judged::Committed,
                _ => Judged::Lost,
            }
        } else if claim > s as i64 || self.head() != s {
            Judged::Behind
        } else {
            Judged::Empty
        }
    }
    /// A reader that fell behind moves to the tail.
    fn resync(&self, c: u64) -> (Want, u64) {
        if c < self.tail {
            (Want::Dropped(self.tail - c), self.tail)
        } else {
            (Want::Empty, c)
        }
    }
    /// What `Ring::read` at `c` returns, and the cursor after it.
    fn read(&self, mut c: u64) -> (Want, u64) {
        let mut lost = 0;
        for _ in 0..self.slots_n {
            match self.judge(c) {
                Judged::Lost => {
                    c += 1;
                    lost += 1;
                    continue;
                }
                _ if lost > 0 => break,
                Judged::Empty => return (Want::Empty, c),
                Judged::Behind => return self.resync(c),
                // A freed record whose slot was not reused yet: the copy
                // fails re-validation against the tail.
                Judged::Committed if c < self.tail => return self.resync(c),
                Judged::Committed => return (Want::Record(c), c + 1),
            }
        }
        if lost > 0 {
            (Want::Dropped(lost), c)
        } else {
            (Want::Empty, c)
        }
    }
    fn has_unread(&self, c: u64) -> bool {
        self.read(c).0 != Want::Empty
    }
    fn skip_dropped(&self, c: u64) -> (u64, u64) {
        match self.judge(c) {
            Judged::Behind => match self.resync(c) {
                (Want::Dropped(n), c) => (n, c),
                (_, c) => (0, c),
            },
            _ => (0, c),
        }
    }
    fn seek(&self, target: u64) -> u64 {
        let mut c = self.tail;
        for _ in 0..self.slots_n {
            if c >= target {
                break;
            }
            let (w, next) = self.read(c);
            if w == Want::Empty {
                break;
            }
            c = next;
        }
        c
    }
    /// Recovery of an unchanged image: committed records kept, reserved
    /// ones kept incomplete, overtaken ones stay lost (abandoned); free
    /// slots show the lap before; pins and counters cleared. The report.
    fn recover(&mut self) -> Recovery {
        let mut rep = Recovery::default();
        let mut slots = Vec::new();
        for r in self.recs.iter_mut() {
            r.flags = r.flags.with(Flags::PREVIOUS_BOOT);
            match r.state {
                St::Committed => rep.kept += 1,
                St::Reserved => {
                    rep.incomplete += 1;
                    r.state = St::Committed;
                    r.flags = r
                        .reserve_flags
                        .with(Flags::PREVIOUS_BOOT)
                        .with(Flags::INCOMPLETE);
                    r.ts = None;
                    // Whole words the writer finished reached memory;
                    // nothing else is known (unwritten words hold older
                    // bytes).
                    let known = r.written / 4 * 4;
                    let id = r.id;
                    for (i, b) in r.bytes.iter_mut().enumerate() {
                        *b = (i < known).then(|| pattern(id, i));
                    }
                }
                St::Overtaken | St::Abandoned => r.state = St::Abandoned,
            }
            slots.push((r.seq, r.state));
        }
        for (seq, st) in slots {
            self.set_slot(seq, st);
        }
        for j in self.recs.len() as u64..self.slots_n {
            let seq = self.tail + j;
            let n = self.slots_n;
            self.slots[(seq % n) as usize] = (seq as i64 - n as i64, St::Abandoned);
        }
        self.pins.clear();
        self.lost = DropCounts::default();
        rep
    }
}

/// Runs one program on a ring of the geometry the first byte picks.
pub fn run(data: &[u8]) {
    let mut inp = Input::new(data);
    match inp.byte() % 4 {
        0 => run_on::<256, 8>(&mut inp),
        1 => run_on::<128, 16>(&mut inp),
        2 => run_on::<1024, 4>(&mut inp),
        _ => run_on::<64, 2>(&mut inp),
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
    let mut model = Model::new(policy, W / 4, S);
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

/// Index of the first slot word in a ring image (magic, geometry, head,
/// tail, four lost counters, policy, the pins, the pin count).
const SLOTS_AT: usize = 10 + PINS;
/// Index of the first pin word in a ring image.
const PINS_AT: usize = 9;
/// Index of the policy word in a ring image.
const POLICY_AT: usize = 8;

/// Damages an image as the input says (or not at all).
fn corrupt(image: &mut [u32], inp: &mut Input) {
    match inp.byte() % 4 {
        0 | 1 => {}
        2 => {
            for _ in 0..1 + inp.below(6) {
                let n = image.len();
                // Mostly the index words, pins and slots, sometimes anywhere.
                let i = match inp.byte() % 3 {
                    0 => inp.below(SLOTS_AT),
                    1 => SLOTS_AT + inp.byte() as usize % (n - SLOTS_AT).min(32),
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

/// The model of a ring recovered from an unchanged image.
fn recovered_intact<const W: usize, const S: usize>(
    ring: &Ring<W, S>,
    first: Recovery,
    model: &mut Model,
) {
    let want = model.recover();
    assert_eq!(first, want, "recovery of an intact image");
    // Recovery is idempotent: a second pass keeps everything, all committed.
    let again = ring.recover();
    assert_eq!(
        again,
        Recovery {
            kept: want.kept + want.incomplete,
            ..Recovery::default()
        },
        "second recovery of an intact image"
    );
}

/// The model of a ring recovered from a changed image: whatever recovery
/// kept must hold together; it becomes the new model, its positions read
/// from the recovered memory. `forced` is the policy `recover_in_place` was
/// given (used if the magic word was wrong).
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
        _ if image[POLICY_AT] == 1 => Policy::DropNewest,
        _ => Policy::Overwrite,
    };
    let mut model = Model::new(policy, W / 4, S);
    assert_eq!(ring.dropped(), DropCounts::default());
    let oldest = ring.oldest().seq();
    // Modulo the sequence range: the records may run across its end.
    let used = ring.newest().seq().wrapping_sub(oldest) & (model.range - 1);
    assert!(used as usize <= S, "recovered ring holds {used} records");
    model.tail = oldest;
    if first.fresh {
        assert_eq!((used, oldest), (0, 0), "a fresh ring starts empty");
    } else {
        // Not a fresh ring's lineage: `Cursor::new()` means nothing here.
        model.clean = false;
    }
    // Positions and slot states from the recovered memory.
    let mut mem = vec![0u32; Ring::<W, S>::IMAGE_WORDS];
    ring.save_image(&mut mem);
    let pos_bits = (W / 4).trailing_zeros() + 1;
    let pos_mask = (1u32 << pos_bits) - 1;
    let lap_mask = (1u32 << (30 - pos_bits)) - 1;
    let slot_initial = (3u32 << 30) | (lap_mask << pos_bits);
    let (tp, hp) = (mem[3] & pos_mask, mem[2] & pos_mask);
    assert!(
        mem[PINS_AT..SLOTS_AT].iter().all(|&p| p == 0),
        "recovery clears the pins and their count"
    );
    model.tp = tp as u64;
    model.hp = tp as u64;
    let mut c = ring.oldest();
    let mut buf = vec![0u8; Ring::<W, S>::MAX_PAYLOAD + 4];
    let (mut records, mut lost) = (0, 0);
    for k in 0..used {
        let seq = oldest + k;
        let word = mem[SLOTS_AT + (seq % S as u64) as usize].wrapping_add(slot_initial);
        let end = word & pos_mask;
        model.hp += (end.wrapping_sub(model.hp as u32) & pos_mask) as u64;
        assert!(
            model.hp - model.tp <= (W / 4) as u64,
            "extents within the ring"
        );
        let state = match word >> 30 {
            1 => St::Committed,
            3 => St::Abandoned,
            s => panic!("recovered seq {seq} in state {s}"),
        };
        model.set_slot(seq, state);
        let mut rec = Rec {
            seq,
            end: model.hp,
            id: 0,
            len: 0,
            level: Level::Error,
            ctx: 0,
            flags: Flags::NONE,
            reserve_flags: Flags::NONE,
            ts: None,
            bytes: Vec::new(),
            written: 0,
            state,
        };
        if state == St::Abandoned {
            lost += 1;
            model.recs.push_back(rec);
            continue;
        }
        // The reader steps over the lost records before this one.
        if c.seq() < seq {
            let run = seq - c.seq();
            assert_eq!(
                ring.read(&mut c, &mut buf),
                Read::Dropped(run),
                "lost records before recovered seq {seq}"
            );
        }
        match ring.read(&mut c, &mut buf) {
            Read::Record(h) => {
                assert_eq!(h.seq, seq);
                assert!(h.flags.contains(Flags::PREVIOUS_BOOT), "{h:?}");
                assert!(h.len as usize <= Ring::<W, S>::MAX_PAYLOAD);
                records += 1;
                rec.len = h.len;
                rec.level = h.level;
                rec.ctx = h.context;
                rec.flags = h.flags;
                rec.reserve_flags = h.flags;
                rec.ts = Some(h.timestamp);
                rec.bytes = buf[..h.len as usize].iter().map(|&b| Some(b)).collect();
                rec.written = h.len as usize;
                model.recs.push_back(rec);
            }
            other => panic!("recovered record {seq} unreadable: {other:?}"),
        }
    }
    assert_eq!(
        model.hp as u32 & pos_mask,
        hp,
        "head at the last extent end"
    );
    assert_eq!(records, held, "records kept = records readable");
    assert_eq!(records + lost, used as u32);
    for j in used..S as u64 {
        let seq = oldest + j;
        model.slots[(seq % S as u64) as usize] = (seq as i64 - S as i64, St::Abandoned);
    }
    check_all(ring, &model);
    model
}

/// A grant the program holds: the ring's, and its sequence number.
type Held<'a, const W: usize, const S: usize> = (Grant<'a, W, S>, u64);

/// One boot: operations until a reboot (returns the image) or the end of
/// the input (returns `None`).
fn run_boot<const W: usize, const S: usize>(
    ring: &Ring<W, S>,
    model: &mut Model,
    inp: &mut Input,
    cx: &mut Ctx,
) -> Option<Vec<u32>> {
    let max = Ring::<W, S>::MAX_PAYLOAD;
    let mut grants: Vec<Held<'_, W, S>> = Vec::new();
    let mut cursors = [ring.oldest(); 3];
    while !inp.is_empty() && cx.ops < MAX_OPS {
        cx.ops += 1;
        match inp.byte() % 12 {
            0..=2 => {
                let len = payload_len(inp, max);
                let (meta, id) = new_meta(inp, cx);
                let payload: Vec<u8> = (0..len).map(|i| pattern(id, i)).collect();
                let expect = reserve_model::<W, S>(model, len, meta, id);
                let got = ring.write(meta, &payload).map(|s| model.abs(s));
                assert_eq!(got, expect, "write of {len} bytes");
                if let Ok(seq) = got {
                    let done = model.commit(seq, len.min(max));
                    assert_eq!(done, Ok(seq), "model: a write commits at once");
                }
            }
            3 | 4 if grants.len() < 4 => {
                let len = payload_len(inp, max);
                let (meta, id) = new_meta(inp, cx);
                let expect = reserve_model::<W, S>(model, len, meta, id);
                match ring.reserve(len, meta) {
                    Ok(mut g) => {
                        let seq = model.abs(g.seq());
                        assert_eq!(Ok(seq), expect, "reserve of {len} bytes");
                        assert_eq!(g.capacity(), len.min(max));
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
                let expect = model.commit(seq, written);
                if inp.flag() {
                    let got = g.commit().map(|s| model.abs(s));
                    assert_eq!(got, expect, "commit of seq {seq}");
                } else {
                    drop(g); // dropping commits too
                }
                assert_eq!(ring.dropped(), model.lost, "lost counts after commit");
            }
            6 if !grants.is_empty() => {
                // A writer cut for good (until the next reset recovers it):
                // its pin, if the ring laps it, stays.
                let (g, _) = grants.remove(inp.below(grants.len()));
                std::mem::forget(g);
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
                    for (g, _) in grants.drain(..) {
                        std::mem::forget(g);
                    }
                    return Some(image);
                }
                check_all(ring, model);
            }
            _ => {
                let c = inp.below(3);
                let (n, after) = model.skip_dropped(model.abs(cursors[c].seq()));
                assert_eq!(ring.skip_dropped(&mut cursors[c]), n, "skip_dropped count");
                assert_eq!(model.abs(cursors[c].seq()), after, "skip_dropped cursor");
            }
        }
    }
    // End of the program: every writer finishes, everything reads back.
    for (g, seq) in grants.drain(..) {
        let expect = model.commit(seq, g.written());
        let got = g.commit().map(|s| model.abs(s));
        assert_eq!(got, expect, "final commit of seq {seq}");
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
) -> Result<u64, Dropped> {
    let max = Ring::<W, S>::MAX_PAYLOAD;
    let (stored, flags) = if len > max {
        (max, meta.flags.with(Flags::TRUNCATED))
    } else {
        (len, meta.flags)
    };
    let seq = model.reserve(stored as u16)?;
    model.recs.push_back(Rec {
        seq,
        end: model.hp,
        id,
        len: stored as u16,
        level: meta.level,
        ctx: meta.context,
        flags,
        reserve_flags: flags,
        ts: Some(meta.timestamp),
        bytes: vec![None; stored],
        written: 0,
        state: St::Reserved,
    });
    Ok(seq)
}

/// Writes the input's choice of pieces into a held grant (whose record may
/// have been overtaken, even freed, meanwhile).
fn fill<const W: usize, const S: usize>(
    g: &mut Grant<'_, W, S>,
    model: &mut Model,
    seq: u64,
    inp: &mut Input,
) {
    let i = model.index(seq);
    let id = i.map_or(0, |i| model.recs[i].id);
    for _ in 0..1 + inp.below(3) {
        let want = if inp.byte() % 8 == 0 {
            g.capacity() + 1 + inp.below(6)
        } else {
            inp.below(g.capacity().max(1) + 1)
        };
        let start = g.written();
        let piece: Vec<u8> = (start..start + want).map(|k| pattern(id, k)).collect();
        let took = g.write(&piece);
        assert_eq!(took, want.min(g.capacity() - start), "grant write");
        assert_eq!(g.written(), start + took);
        if let (true, Some(i)) = (took < want, i) {
            model.recs[i].flags = model.recs[i].flags.with(Flags::TRUNCATED);
        }
    }
    if let Some(i) = i {
        model.recs[i].written = g.written();
    }
}

/// Reads at `cursor` and checks the outcome against the model.
fn checked_read<const W: usize, const S: usize>(
    ring: &Ring<W, S>,
    model: &Model,
    cursor: &mut Cursor,
    buf_len: usize,
) -> Read {
    let before = model.abs(cursor.seq());
    let (want, after) = model.read(before);
    assert_eq!(
        ring.has_unread(cursor),
        model.has_unread(before),
        "has_unread at {before} (model read: {want:?})"
    );
    let mut buf = vec![0u8; buf_len];
    let r = ring.read(cursor, &mut buf);
    match (r, want) {
        (Read::Record(h), Want::Record(s)) => {
            assert_eq!(model.abs(h.seq), s, "record seq = cursor seq");
            let m = &model.recs[model.index(s).expect("model: record held")];
            assert_eq!(m.state, St::Committed);
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
        (Read::Dropped(n), Want::Dropped(m)) => assert_eq!(n, m, "missed count at {before}"),
        (Read::Empty, Want::Empty) => {}
        (got, want) => panic!("read at {before}: ring {got:?}, model {want:?}"),
    }
    assert_eq!(
        model.abs(cursor.seq()),
        after,
        "cursor after reading at {before}"
    );
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
    assert_eq!(model.abs(oldest.seq()), model.tail, "oldest");
    match inp.byte() % 5 {
        0 if model.clean => Cursor::new(),
        0 | 1 => oldest,
        2 => {
            let c = ring.newest();
            assert_eq!(model.abs(c.seq()), model.head(), "newest");
            c
        }
        3 => {
            // Before the oldest, inside, past the newest.
            let k = inp.byte() as i64 - 64;
            let target = (model.tail as i64 + k).max(0) as u64;
            let c = ring.seek(target);
            assert_eq!(model.abs(c.seq()), model.seek(target), "seek({target})");
            c
        }
        _ => cursors[inp.below(3)],
    }
}

/// Everything the ring says agrees with the model: ends, counters, and
/// every read from the oldest record on.
fn check_all<const W: usize, const S: usize>(ring: &Ring<W, S>, model: &Model) {
    assert_eq!(model.abs(ring.oldest().seq()), model.tail, "oldest");
    assert_eq!(model.abs(ring.newest().seq()), model.head(), "newest");
    assert_eq!(ring.dropped(), model.lost, "lost counts");
    let mut c = ring.oldest();
    for _ in 0..=2 * S {
        if checked_read(ring, model, &mut c, Ring::<W, S>::MAX_PAYLOAD) == Read::Empty {
            break;
        }
    }
    assert_eq!(checked_read(ring, model, &mut c, 8), Read::Empty);
    if model.clean {
        let mut fresh = Cursor::new();
        checked_read(ring, model, &mut fresh, 0);
    }
}
