//! Frame-pool logic without the defmt macros: frames written in pieces by
//! nesting contexts, exhaustion, overflow, re-entry, threads.

use super::*;
use std::sync::Mutex;
use std::vec::Vec;

/// The encoding defmt's own encoder gives `raw` written in one piece.
fn encode(raw: &[u8]) -> Vec<u8> {
    let mut e = defmt::Encoder::new();
    let mut out = Vec::new();
    e.start_frame(|b| out.extend_from_slice(b));
    e.write(raw, |b| out.extend_from_slice(b));
    e.end_frame(|b| out.extend_from_slice(b));
    out
}

fn keep(into: &Mutex<Vec<Vec<u8>>>) -> impl FnOnce(&[u8]) -> bool + '_ {
    |f| {
        into.lock().unwrap().push(f.to_vec());
        true
    }
}

const THREAD: Caller = Caller::thread(0, 0);
const IRQ3: Caller = Caller::interrupt(0, 3);
const IRQ9: Caller = Caller::interrupt(0, 9);

#[test]
fn preempting_frames_finish_first_and_both_stay_whole() {
    let pool: FramePool<4, 64> = FramePool::new();
    let out = Mutex::new(Vec::new());
    let thread_raw = [0x01, 0x00, 7, 0, 0, 0, 0xaa, 0x00, 0x00, 0x55];
    let irq_raw = [0x02, 0x00, 0, 0, 0, 0, 0, 0, 1];
    pool.acquire(THREAD);
    pool.write(THREAD, &thread_raw[..4]);
    // An interrupt preempts the half-written frame and logs a whole one.
    pool.acquire(IRQ3);
    pool.write(IRQ3, &irq_raw[..2]);
    pool.write(IRQ3, &irq_raw[2..]);
    assert_eq!(pool.open_frames(), 2);
    assert!(pool.release(IRQ3, keep(&out)));
    pool.write(THREAD, &thread_raw[4..]);
    assert!(pool.release(THREAD, keep(&out)));
    assert_eq!(
        *out.lock().unwrap(),
        [encode(&irq_raw), encode(&thread_raw)]
    );
    assert_eq!(pool.open_frames(), 0);
    assert_eq!(pool.stats().stored, 2);
}

#[test]
fn exhausted_pool_drops_and_counts_the_innermost_frame_only() {
    let pool: FramePool<2, 32> = FramePool::new();
    let out = Mutex::new(Vec::new());
    pool.acquire(THREAD);
    pool.write(THREAD, b"\x01\x00t");
    pool.acquire(IRQ3);
    pool.write(IRQ3, b"\x02\x00i");
    pool.acquire(IRQ9); // no buffer left
    pool.write(IRQ9, b"\x03\x00x");
    assert!(!pool.release(IRQ9, keep(&out)));
    assert!(pool.release(IRQ3, keep(&out)));
    assert!(pool.release(THREAD, keep(&out)));
    assert_eq!(
        *out.lock().unwrap(),
        [encode(b"\x02\x00i"), encode(b"\x01\x00t")]
    );
    let st = pool.stats();
    assert_eq!((st.stored, st.exhausted), (2, 1));
    // The buffers are free again.
    pool.acquire(IRQ9);
    pool.write(IRQ9, b"\x03\x00x");
    assert!(pool.release(IRQ9, keep(&out)));
    assert_eq!(out.lock().unwrap().len(), 3);
}

#[test]
fn frame_too_long_for_its_buffer_is_dropped_and_counted() {
    let pool: FramePool<1, 16> = FramePool::new();
    let out = Mutex::new(Vec::new());
    pool.acquire(THREAD);
    for _ in 0..5 {
        pool.write(THREAD, &[0x11; 8]);
    }
    assert!(!pool.release(THREAD, keep(&out)));
    assert!(out.lock().unwrap().is_empty());
    assert_eq!(pool.stats().too_long, 1);
    assert_eq!(pool.open_frames(), 0);
}

#[test]
fn reentrant_frame_is_dropped_and_the_outer_one_kept() {
    let pool: FramePool<2, 64> = FramePool::new();
    let out = Mutex::new(Vec::new());
    pool.acquire(THREAD);
    pool.write(THREAD, b"\x05\x00outer");
    pool.acquire(THREAD); // a Format impl logging inside the frame
    pool.write(THREAD, b"\x06\x00inner");
    assert!(!pool.release(THREAD, keep(&out)));
    pool.write(THREAD, b"!");
    assert!(pool.release(THREAD, keep(&out)));
    assert_eq!(*out.lock().unwrap(), [encode(b"\x05\x00outer!")]);
    assert_eq!(pool.stats().reentrant, 1);
}

#[test]
fn empty_frame_is_not_stored() {
    let pool: FramePool<1, 16> = FramePool::new();
    pool.acquire(THREAD);
    assert!(!pool.release(THREAD, |_| panic!("nothing to store")));
    assert_eq!(pool.stats(), FrameStats::default());
}

#[test]
fn store_refusal_is_counted() {
    let pool: FramePool<1, 16> = FramePool::new();
    pool.acquire(THREAD);
    pool.write(THREAD, b"\x01\x00");
    assert!(!pool.release(THREAD, |_| false));
    assert_eq!(pool.stats().not_stored, 1);
}

#[test]
fn threads_on_several_cores_never_mix_frames() {
    static POOL: FramePool<4, 64> = FramePool::new();
    const PER_THREAD: usize = 2_000;
    let out = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for core in 0..4u8 {
            let out = &out;
            s.spawn(move || {
                let me = Caller::thread(core, core);
                for n in 0..PER_THREAD {
                    let raw = [core, 0, (n % 251) as u8, 0, 0, core, 0x80, 0];
                    POOL.acquire(me);
                    for piece in raw.chunks(3) {
                        POOL.write(me, piece);
                    }
                    assert!(POOL.release(me, keep(out)));
                }
            });
        }
    });
    let mut got = out.into_inner().unwrap();
    let mut want: Vec<Vec<u8>> = (0..4u8)
        .flat_map(|core| {
            (0..PER_THREAD).map(move |n| encode(&[core, 0, (n % 251) as u8, 0, 0, core, 0x80, 0]))
        })
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(POOL.stats().stored as usize, 4 * PER_THREAD);
    assert_eq!(POOL.open_frames(), 0);
}
