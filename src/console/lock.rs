//! The console lock: one state word that says who prints.
//!
//! The protocol is documented on [`ConsoleLock`], where rustdoc shows it.

use super::context::{Caller, Priority};
use crate::sync::{AtomicU32, Ordering};

const PRIO_MASK: u32 = 0b11;
const IRQ: u32 = 1 << 2;
const UNSAFE: u32 = 1 << 3;
const PRODUCER: u32 = 1 << 4;
const PENDING: u32 = 1 << 5;
const REQ_SHIFT: u32 = 6;
const REQ_MASK: u32 = 0b11 << REQ_SHIFT;
const HANDOFF: u32 = 1 << 8;
const CORE_SHIFT: u32 = 16;
const CORE_MASK: u32 = 0xff << CORE_SHIFT;
const GEN_SHIFT: u32 = 24;
const GEN_MASK: u32 = 0xff << GEN_SHIFT;
const IDENT_MASK: u32 = PRIO_MASK | IRQ | PRODUCER | CORE_MASK | GEN_MASK;

/// Proof of owning the console lock, returned by the acquiring calls.
/// Every operation that needs ownership takes it and re-checks it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Owner {
    ident: u32,
}

impl Owner {
    /// Priority this owner holds the lock with.
    pub(crate) fn priority(&self) -> Priority {
        prio_of(self.ident).unwrap_or(Priority::Normal)
    }
}

/// A snapshot of a held lock, for deciding whether to wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LockView {
    /// Owner priority.
    pub(crate) owner_priority: Priority,
    /// Owner's core.
    pub(crate) owner_core: u8,
    /// Owner runs in interrupt context.
    pub(crate) owner_irq: bool,
    /// Owner is a producer printing directly (accepts a waiter).
    pub(crate) owner_is_producer: bool,
    /// Owner is inside a record right now.
    pub(crate) in_record: bool,
    /// Some caller already asked for a handover (or was granted one).
    pub(crate) requested: bool,
}

/// Outcome of [`ConsoleLock::acquire_or_mark`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// The caller owns the lock now.
    Acquired(Owner),
    /// Someone else owns it; `PENDING` is set so they will print our record.
    Busy(LockView),
}

/// Outcome of [`ConsoleLock::release`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Release {
    /// The lock is free.
    Released,
    /// Ownership went straight to the requester.
    HandedOff,
    /// Records were stored meanwhile: still the owner, look at the ring
    /// again, then release again.
    Recheck,
    /// Ownership had been taken away (takeover); nothing was changed.
    Lost,
}

/// Outcome of [`ConsoleLock::exit_unsafe`], at a record boundary.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Boundary {
    /// Still the owner; go on.
    Continue,
    /// A requester was waiting and now has the lock.
    HandedOff,
    /// Ownership had been taken away.
    Lost,
}

/// The ownership was taken away (a takeover happened); stop touching
/// consoles at once.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Lost;

/// The console lock: one state word that says who prints.
///
/// # State word
///
/// ```text
///  31      24 23     16 15       9   8     7..6    5       4        3       2      1..0
/// +----------+---------+----------+-------+-------+-------+--------+-------+------+------+
/// |   gen    |  core   | (unused) |HANDOFF|  REQ  |PENDING|PRODUCER|UNSAFE | IRQ  | PRIO |
/// +----------+---------+----------+-------+-------+-------+--------+-------+------+------+
///   owner identity = PRIO | IRQ | PRODUCER | core | gen     (PRIO == 0: free)
/// ```
///
/// * `PRIO` – owner priority: 0 free, 1 normal, 2 emergency, 3 panic.
/// * `IRQ`, `core` – where the owner runs (never spin on an owner on our core).
/// * `PRODUCER` – the owner is a log call printing directly: it accepts a
///   normal waiter and may be displaced by the printer at a record boundary.
/// * `UNSAFE` – the owner is inside a record (touching a sink and console
///   state). Nobody takes over then, except a panic (hostile takeover).
/// * `PENDING` – a caller stored a record but did not print it; the owner
///   must look at the ring again before it may release.
/// * `REQ` – priority of the single caller asking for a handover (0: none).
/// * `HANDOFF` – the owner granted the lock to the requester; until the
///   requester claims it nobody else can take it (no release window).
/// * `gen` – bumped on every change of owner, so an owner that was
///   displaced notices even if a look-alike owner holds the lock now.
///
/// # Transitions
///
/// ```text
///            acquire (CAS, free -> me)            mark: fetch_or(PENDING)
///   free ───────────────────────────────> owned <──────────────────── producers
///     ^                                    │  │ enter_unsafe / exit_unsafe (record)
///     │ release (no PENDING, no REQ)       │  │
///     └────────────────────────────────────┘  │ REQ set by one requester
///                                             v
///                    owner at boundary: HANDOFF ──(requester claims)──> owned by requester
///                    requester timeout: withdraw REQ (CAS; loses to HANDOFF => must claim)
///            takeover (higher priority / printer, owner not UNSAFE): owned -> owned by taker
///            hostile (panic only): anything -> owned by panic
/// ```
///
/// # Ordering pairs
///
/// | label | operation | pairs with |
/// |-------|-----------|------------|
/// | L1 | producer `fetch_or(PENDING, AcqRel)` after committing its record | L3, L2 |
/// | L2 | acquire / claim / takeover CAS (`AcqRel`) | L4, L5, L1 |
/// | L3 | owner clears PENDING (`AcqRel` CAS), then re-reads the ring | L1 |
/// | L4 | release / handoff CAS (`Release` part of `AcqRel`) | L2 |
/// | L5 | `exit_unsafe` CAS (`AcqRel`): console state written in the record is published | L2 |
///
/// L1/L3 is what makes I3 hold without SeqCst: both sides do a read-modify-write
/// on the same word, so either the producer's RMW comes first in the word's
/// modification order (the owner's clear reads it and sees the record) or the
/// owner's release comes first (the producer's RMW sees the lock free and
/// acquires it itself).
///
/// (Example: the unit test `pending_forces_a_recheck_before_release`.)
///
/// The lock is `pub(crate)`: outside the crate nothing can own the consoles
/// except through [`Logger`](super::Logger) calls that keep I4 (the panic
/// takeover is reachable only through the `unsafe` `panic_flush`).
pub(crate) struct ConsoleLock {
    state: AtomicU32,
}

#[inline]
fn prio_of(s: u32) -> Option<Priority> {
    match s & PRIO_MASK {
        1 => Some(Priority::Normal),
        2 => Some(Priority::Emergency),
        3 => Some(Priority::Panic),
        _ => None,
    }
}

#[inline]
fn req_of(s: u32) -> u32 {
    (s & REQ_MASK) >> REQ_SHIFT
}

#[inline]
fn ident(caller: Caller, prio: Priority, producer: bool, gen: u32) -> u32 {
    (prio as u32)
        | if caller.is_interrupt() { IRQ } else { 0 }
        | if producer { PRODUCER } else { 0 }
        | ((caller.core as u32) << CORE_SHIFT)
        | ((gen & 0xff) << GEN_SHIFT)
}

#[inline]
fn next_gen(s: u32) -> u32 {
    ((s & GEN_MASK) >> GEN_SHIFT).wrapping_add(1)
}

#[inline]
fn owned_by(s: u32, owner: &Owner) -> bool {
    s & IDENT_MASK == owner.ident && s & HANDOFF == 0
}

fn view(s: u32) -> LockView {
    LockView {
        owner_priority: prio_of(s).unwrap_or(Priority::Normal),
        owner_core: ((s & CORE_MASK) >> CORE_SHIFT) as u8,
        owner_irq: s & IRQ != 0,
        owner_is_producer: s & PRODUCER != 0,
        in_record: s & UNSAFE != 0,
        requested: s & (REQ_MASK | HANDOFF) != 0,
    }
}

/// May an owner in state `s` hand over to the requester right now?
#[inline]
fn handoff_due(s: u32) -> bool {
    let req = req_of(s);
    s & HANDOFF == 0 && (req > Priority::Normal as u32 || (req != 0 && s & PRODUCER != 0))
}

impl ConsoleLock {
    crate::sync::loom_const_fn! {
        /// A free lock.
        pub(crate) fn new() -> Self {
            ConsoleLock {
                state: AtomicU32::new(0),
            }
        }
    }

    /// Installs `new` as the owner if the word still reads `s`; on failure
    /// returns what it reads now. Shared by acquire, takeover, hostile
    /// takeover and handoff claim.
    #[inline]
    fn claim(&self, s: u32, new: u32) -> Result<Owner, u32> {
        // Ordering: L2 AcqRel; Acquire pairs with the previous owner's
        // release or handoff (L4) or its last exit_unsafe (L5), so the
        // console state it wrote is visible to the new owner; Release
        // orders the claim for whoever takes over after us.
        self.state
            .compare_exchange(s, new, Ordering::AcqRel, Ordering::Acquire)
            .map(|_| Owner {
                ident: new & IDENT_MASK,
            })
    }

    /// Current snapshot, if owned.
    pub(crate) fn view(&self) -> Option<LockView> {
        // Ordering: Relaxed; a hint for callers, never used to touch consoles.
        let s = self.state.load(Ordering::Relaxed);
        prio_of(s).map(|_| view(s))
    }

    /// Whether `owner` still owns the lock (not taken over, not handed off).
    pub(crate) fn is_owner(&self, owner: &Owner) -> bool {
        // Ordering: Relaxed; a hint, never used to touch consoles.
        owned_by(self.state.load(Ordering::Relaxed), owner)
    }

    /// Called after storing a record: marks `PENDING`, then takes the lock if
    /// it is free. One RMW plus at most a few CAS retries (each failure means
    /// another context changed the word). Never waits.
    pub(crate) fn acquire_or_mark(
        &self,
        caller: Caller,
        prio: Priority,
        producer: bool,
    ) -> Attempt {
        // Ordering: L1 AcqRel; Release publishes our committed record to the
        // owner whose PENDING-clearing CAS (L3) or acquire CAS (L2) reads it.
        let mut s = self.state.fetch_or(PENDING, Ordering::AcqRel) | PENDING;
        loop {
            if s & PRIO_MASK != 0 {
                return Attempt::Busy(view(s));
            }
            let new = ident(caller, prio, producer, next_gen(s));
            // Ordering: L2 AcqRel; Acquire pairs with the previous owner's
            // release (L4) so its console-state writes are visible to us.
            match self.claim(s, new) {
                Ok(owner) => return Attempt::Acquired(owner),
                Err(now) => s = now,
            }
        }
    }

    /// Called after storing a record that this caller will not print: sets
    /// `PENDING` and says whether someone owns the lock (and so will look at
    /// the ring again before releasing). If not, wake the printer.
    pub(crate) fn mark_pending(&self) -> bool {
        // Ordering: L1 AcqRel; as in `acquire_or_mark`: the owner's L3 or
        // the next acquirer's L2 reads this RMW and sees our record.
        self.state.fetch_or(PENDING, Ordering::AcqRel) & PRIO_MASK != 0
    }

    /// Takes the lock from a lower-priority owner that is between records
    /// (not `UNSAFE`), or from a producer owner if `printer` is set and
    /// `prio` is normal. Fails if a handover is in flight. Takes a free
    /// lock too.
    pub(crate) fn takeover(&self, caller: Caller, prio: Priority, printer: bool) -> Option<Owner> {
        // Ordering: Acquire; only a first guess, the CAS below decides.
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            if let Some(owner_prio) = prio_of(s) {
                let may = s & (UNSAFE | HANDOFF | REQ_MASK) == 0
                    && (owner_prio < prio || (printer && owner_prio == prio && s & PRODUCER != 0));
                if !may {
                    return None;
                }
            }
            let new = ident(caller, prio, false, next_gen(s)) | (s & PENDING);
            // Ordering: L2 AcqRel; Acquire pairs with the displaced owner's
            // last exit_unsafe (L5) so the console state it wrote is visible.
            match self.claim(s, new) {
                Ok(owner) => return Some(owner),
                Err(now) => s = now,
            }
        }
    }

    /// Panic only: takes the lock whatever its state, even mid-record.
    /// Returns the new owner and whether the previous owner was inside a
    /// record (whose output is then cut and must be replayed).
    pub(crate) fn hostile_takeover(&self, caller: Caller) -> (Owner, bool) {
        // Ordering: Acquire; first guess for the CAS.
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            let new = ident(caller, Priority::Panic, false, next_gen(s)) | (s & PENDING);
            // Ordering: L2 AcqRel; Acquire pairs with the last L4/L5 of
            // whoever owned before, as far as it got.
            match self.claim(s, new) {
                Ok(owner) => return (owner, s & UNSAFE != 0 && prio_of(s).is_some()),
                Err(now) => s = now,
            }
        }
    }

    /// Asks the owner to hand the lock over at its next record boundary.
    /// Only one request may exist; returns false if there is one already, or
    /// the lock is free (then just try to acquire).
    pub(crate) fn request(&self, prio: Priority) -> bool {
        // Ordering: Relaxed; first guess for the CAS.
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if s & PRIO_MASK == 0 || s & (REQ_MASK | HANDOFF) != 0 {
                return false;
            }
            let new = s | ((prio as u32) << REQ_SHIFT);
            // Ordering: Relaxed; a request publishes no data.
            match self
                .state
                .compare_exchange(s, new, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(now) => s = now,
            }
        }
    }

    /// The requester polls: if the owner handed over, claim the lock.
    pub(crate) fn poll_handoff(
        &self,
        caller: Caller,
        prio: Priority,
        producer: bool,
    ) -> Option<Owner> {
        // Ordering: Acquire; pairs with the owner's HANDOFF CAS (L4).
        let mut s = self.state.load(Ordering::Acquire);
        while s & HANDOFF != 0 {
            let new = ident(caller, prio, producer, next_gen(s)) | (s & PENDING);
            // Ordering: L2 AcqRel; Acquire pairs with the handing owner's L4.
            match self.claim(s, new) {
                Ok(owner) => return Some(owner),
                Err(now) => s = now,
            }
        }
        None
    }

    /// The requester gives up. If the handover already happened, the
    /// requester owns the lock and gets it here (it can never be handed the
    /// lock after this returns `None`).
    pub(crate) fn withdraw(&self, caller: Caller, prio: Priority, producer: bool) -> Option<Owner> {
        // Ordering: Relaxed; first guess for the CAS.
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if s & HANDOFF != 0 {
                return self.poll_handoff(caller, prio, producer);
            }
            // Ordering: Relaxed; clearing REQ publishes nothing. HANDOFF and
            // REQ live in this one word, so withdraw and handover are ordered.
            match self.state.compare_exchange(
                s,
                s & !REQ_MASK,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return None,
                Err(now) => s = now,
            }
        }
    }

    /// Start of a record: marks `UNSAFE` if still the owner.
    pub(crate) fn enter_unsafe(&self, owner: &Owner) -> Result<(), Lost> {
        // Ordering: Relaxed; first guess for the CAS.
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if !owned_by(s, owner) {
                return Err(Lost);
            }
            // Ordering: Acquire; after this succeeds nobody but a panic can
            // take the lock, and we saw every earlier owner's L5.
            match self
                .state
                .compare_exchange(s, s | UNSAFE, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => return Ok(()),
                Err(now) => s = now,
            }
        }
    }

    /// End of a record: clears `UNSAFE`; hands over if a requester may have
    /// the lock now.
    pub(crate) fn exit_unsafe(&self, owner: &Owner) -> Boundary {
        // Ordering: Relaxed; first guess for the CAS.
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if !owned_by(s, owner) {
                return Boundary::Lost;
            }
            let due = handoff_due(s);
            let new = (s & !UNSAFE) | if due { HANDOFF } else { 0 };
            // Ordering: L5 AcqRel; Release publishes the console state written
            // inside the record to the next owner (L2).
            match self
                .state
                .compare_exchange(s, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) if due => return Boundary::HandedOff,
                Ok(_) => return Boundary::Continue,
                Err(now) => s = now,
            }
        }
    }

    /// Releases the lock — unless records were stored meanwhile
    /// ([`Release::Recheck`]) or someone asked for it ([`Release::HandedOff`]).
    pub(crate) fn release(&self, owner: &Owner) -> Release {
        self.release_inner(owner, false)
    }

    /// Releases even if records were stored meanwhile (budget exhausted: the
    /// caller wakes the printer instead). Still hands over to a requester.
    pub(crate) fn release_exhausted(&self, owner: &Owner) -> Release {
        self.release_inner(owner, true)
    }

    fn release_inner(&self, owner: &Owner, exhausted: bool) -> Release {
        // Ordering: Relaxed; first guess for the CAS.
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if !owned_by(s, owner) {
                return Release::Lost;
            }
            if s & PENDING != 0 && !exhausted {
                // Ordering: L3 AcqRel; Acquire pairs with producers' L1 so
                // the re-read of the ring sees their records.
                match self.state.compare_exchange(
                    s,
                    s & !PENDING,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return Release::Recheck,
                    Err(now) => {
                        s = now;
                        continue;
                    }
                }
            }
            if req_of(s) != 0 {
                // Ordering: L4 AcqRel; Release publishes console state to the
                // requester's claim (L2).
                match self.state.compare_exchange(
                    s,
                    (s & !UNSAFE) | HANDOFF,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return Release::HandedOff,
                    Err(now) => {
                        s = now;
                        continue;
                    }
                }
            }
            // Keep gen so the next owner's gen differs from ours.
            let new = (s & GEN_MASK) | if exhausted { s & PENDING } else { 0 };
            // Ordering: L4 AcqRel; Release publishes console state to the next
            // owner's acquire (L2).
            match self
                .state
                .compare_exchange(s, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return Release::Released,
                Err(now) => s = now,
            }
        }
    }
}

#[cfg(not(loom))]
impl Default for ConsoleLock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const T0: Caller = Caller::thread(0, 0);
    const T1: Caller = Caller::thread(1, 1);
    const I0: Caller = Caller::interrupt(0, 5);

    fn acquire(l: &ConsoleLock, c: Caller, p: Priority, producer: bool) -> Owner {
        match l.acquire_or_mark(c, p, producer) {
            Attempt::Acquired(o) => o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pending_forces_a_recheck_before_release() {
        let lock = ConsoleLock::new();
        let owner = acquire(&lock, T0, Priority::Normal, true);
        // Another caller stores a record meanwhile: it only marks PENDING.
        assert!(matches!(
            lock.acquire_or_mark(T1, Priority::Normal, true),
            Attempt::Busy(_)
        ));
        // The owner may not leave before looking at the ring again.
        assert_eq!(lock.release(&owner), Release::Recheck);
        assert_eq!(lock.release(&owner), Release::Released);
    }

    #[test]
    fn free_lock_is_acquired_and_released() {
        let l = ConsoleLock::new();
        let o = acquire(&l, T0, Priority::Normal, true);
        // acquire clears the PENDING it set itself
        assert_eq!(l.release(&o), Release::Released);
        assert!(l.view().is_none());
    }

    #[test]
    fn busy_lock_marks_pending_and_owner_must_recheck() {
        let l = ConsoleLock::new();
        let o = acquire(&l, T0, Priority::Normal, true);
        match l.acquire_or_mark(I0, Priority::Normal, true) {
            Attempt::Busy(v) => {
                assert_eq!(v.owner_core, 0);
                assert!(!v.owner_irq);
                assert!(v.owner_is_producer);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(l.release(&o), Release::Recheck);
        assert_eq!(l.release(&o), Release::Released);
    }

    #[test]
    fn mark_pending_tells_whether_an_owner_will_recheck() {
        let l = ConsoleLock::new();
        assert!(!l.mark_pending(), "free: the caller must wake the printer");
        let o = acquire(&l, T0, Priority::Normal, true);
        assert!(l.mark_pending());
        assert_eq!(l.release(&o), Release::Recheck);
        assert_eq!(l.release(&o), Release::Released);
    }

    #[test]
    fn exhausted_release_leaves_pending_for_the_next_owner() {
        let l = ConsoleLock::new();
        let o = acquire(&l, I0, Priority::Normal, true);
        let _ = l.acquire_or_mark(T1, Priority::Normal, true);
        assert_eq!(l.release_exhausted(&o), Release::Released);
        let o2 = acquire(&l, T1, Priority::Normal, false);
        assert_eq!(l.release(&o2), Release::Released);
    }

    #[test]
    fn waiter_gets_direct_handoff_at_record_boundary() {
        let l = ConsoleLock::new();
        let o = acquire(&l, T0, Priority::Normal, true);
        l.enter_unsafe(&o).unwrap();
        assert!(l.request(Priority::Normal));
        assert!(!l.request(Priority::Normal), "only one waiter");
        assert_eq!(l.poll_handoff(T1, Priority::Normal, true), None);
        assert_eq!(l.exit_unsafe(&o), Boundary::HandedOff);
        // The old owner is no longer the owner.
        assert_eq!(l.enter_unsafe(&o), Err(Lost));
        // Nobody else can grab it in between.
        assert!(matches!(
            l.acquire_or_mark(I0, Priority::Normal, true),
            Attempt::Busy(_)
        ));
        let o1 = l.poll_handoff(T1, Priority::Normal, true).unwrap();
        l.enter_unsafe(&o1).unwrap();
        assert_eq!(l.exit_unsafe(&o1), Boundary::Continue);
        assert_eq!(l.release(&o1), Release::Recheck);
        assert_eq!(l.release(&o1), Release::Released);
    }

    #[test]
    fn withdrawn_waiter_is_never_handed_the_lock() {
        let l = ConsoleLock::new();
        let o = acquire(&l, T0, Priority::Normal, true);
        assert!(l.request(Priority::Normal));
        assert_eq!(l.withdraw(T1, Priority::Normal, true), None);
        l.enter_unsafe(&o).unwrap();
        assert_eq!(l.exit_unsafe(&o), Boundary::Continue);
        assert_eq!(l.release(&o), Release::Released);
    }

    #[test]
    fn withdraw_after_handoff_returns_ownership() {
        let l = ConsoleLock::new();
        let o = acquire(&l, T0, Priority::Normal, true);
        assert!(l.request(Priority::Emergency));
        assert_eq!(l.release(&o), Release::HandedOff);
        let got = l.withdraw(T1, Priority::Emergency, false);
        assert!(got.is_some());
        assert_eq!(got.unwrap().priority(), Priority::Emergency);
    }

    #[test]
    fn printer_only_accepts_no_normal_waiter() {
        let l = ConsoleLock::new();
        let o = acquire(&l, T0, Priority::Normal, false);
        l.enter_unsafe(&o).unwrap();
        assert!(l.request(Priority::Normal));
        // Not a producer: normal waiters are not served at boundaries...
        assert_eq!(l.exit_unsafe(&o), Boundary::Continue);
        // ...but release never strands a requester.
        assert_eq!(l.release(&o), Release::HandedOff);
    }

    #[test]
    fn takeover_rules() {
        let l = ConsoleLock::new();
        let o = acquire(&l, T0, Priority::Normal, true);
        l.enter_unsafe(&o).unwrap();
        // mid-record: no takeover, not even emergency
        assert!(l.takeover(T1, Priority::Emergency, false).is_none());
        assert_eq!(l.exit_unsafe(&o), Boundary::Continue);
        // same priority without printer rights: no
        assert!(l.takeover(T1, Priority::Normal, false).is_none());
        // printer displaces a producer at a boundary
        let p = l.takeover(T1, Priority::Normal, true).unwrap();
        assert_eq!(l.enter_unsafe(&o), Err(Lost));
        assert_eq!(l.release(&o), Release::Lost);
        // emergency displaces the printer at a boundary
        let e = l.takeover(I0, Priority::Emergency, false).unwrap();
        assert_eq!(l.enter_unsafe(&p), Err(Lost));
        // normal cannot displace emergency
        assert!(l.takeover(T0, Priority::Normal, true).is_none());
        assert_eq!(l.release(&e), Release::Released);
    }

    #[test]
    fn hostile_takeover_reports_cut_record() {
        let l = ConsoleLock::new();
        let o = acquire(&l, T0, Priority::Normal, true);
        l.enter_unsafe(&o).unwrap();
        let (p, cut) = l.hostile_takeover(I0);
        assert!(cut);
        assert_eq!(l.exit_unsafe(&o), Boundary::Lost);
        assert_eq!(p.priority(), Priority::Panic);
        assert_eq!(l.release(&p), Release::Released);
        let (_, cut) = l.hostile_takeover(I0);
        assert!(!cut);
    }

    #[test]
    fn generation_distinguishes_look_alike_owners() {
        let l = ConsoleLock::new();
        let o1 = acquire(&l, T0, Priority::Normal, true);
        let _t = l.takeover(I0, Priority::Emergency, false).unwrap();
        // Emergency finishes; the same thread identity acquires again.
        assert_eq!(l.release(&_t), Release::Released);
        let o2 = acquire(&l, T0, Priority::Normal, true);
        assert_ne!(o1, o2);
        assert_eq!(l.enter_unsafe(&o1), Err(Lost));
        assert!(l.enter_unsafe(&o2).is_ok());
    }
}
