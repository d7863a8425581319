//! Logs that survive a warm reset, at logger level: boot 1 starts on random
//! RAM, logs, and is cut mid-record; boot 2 finds the same RAM, recovers
//! the ring and prints the previous boot's records, marked as such.

mod common;

use common::{set_caller, Board};
use logbuf::console::{Caller, Logger};
use logbuf::ring::RecordMeta;
use logbuf::sinks::Capture;
use logbuf::{Level, LevelFilter};
use std::mem::MaybeUninit;

type Log = Logger<Board<25>, 4096, 64, 1>;

fn ram() -> &'static mut MaybeUninit<Log> {
    Box::leak(Box::new(MaybeUninit::uninit()))
}

/// Power-on RAM: arbitrary bits.
fn randomise(mem: &mut MaybeUninit<Log>, seed: u32) {
    let words = std::mem::size_of::<Log>() / 4;
    let p = mem.as_mut_ptr() as *mut u32;
    let mut x = seed | 1;
    for i in 0..words {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        // SAFETY: i < words, inside the allocation.
        unsafe { p.add(i).write(x) };
    }
}

#[test]
fn previous_boot_records_come_back_marked_after_a_warm_reset() {
    set_caller(Caller::thread(0, 1));
    let mem1 = ram();
    randomise(mem1, 0xdead_beef);
    // SAFETY: first use of this memory, one context.
    let (log, rep) = unsafe { Log::recover_in_place(mem1) };
    assert!(rep.fresh, "random RAM is not a ring");
    let cap1 = Capture::new();
    log.add_console(cap1.leak_sink(), LevelFilter::Trace)
        .unwrap();
    for i in 0..10 {
        log.log(Level::Info, format_args!("boot1 p1 n={i}"));
    }
    // A writer cut by the reset mid-record.
    let mut cut = log
        .ring()
        .reserve(12, RecordMeta::new(Level::Error))
        .unwrap();
    cut.write(b"HardFault");
    std::mem::forget(cut);
    assert_eq!(cap1.lines().len(), 10);

    // Warm reset: the RAM keeps its contents (sink pointers and all).
    let mem2 = ram();
    // SAFETY: both are allocations of one Log; plain byte copy.
    unsafe { std::ptr::copy_nonoverlapping(log as *const Log, mem2.as_mut_ptr(), 1) };
    // SAFETY: first use of mem2, one context.
    let (log2, rep) = unsafe { Log::recover_in_place(mem2) };
    assert!(!rep.fresh);
    assert_eq!((rep.kept, rep.incomplete, rep.discarded), (10, 1, 0));
    let cap2 = Capture::new();
    log2.add_console(cap2.leak_sink(), LevelFilter::Trace)
        .unwrap();
    log2.log(Level::Info, format_args!("boot2 p2 n={}", 0));
    let lines = cap2.lines();
    assert_eq!(lines.len(), 12, "{lines:#?}");
    for (i, l) in lines[..10].iter().enumerate() {
        assert!(
            l.contains("(previous boot) boot1 p1 n=") && l.ends_with(&format!("n={i}")),
            "{l}"
        );
    }
    // The writer's last partial word never reached memory.
    assert!(
        lines[10].ends_with("ERROR t0: (previous boot) HardFaul [incomplete]"),
        "{}",
        lines[10]
    );
    assert!(lines[11].ends_with("boot2 p2 n=0") && !lines[11].contains("previous boot"));
}

#[test]
fn cold_boots_on_random_ram_always_start_empty_and_work() {
    set_caller(Caller::thread(0, 1));
    for seed in 1..20u32 {
        let mem = ram();
        randomise(mem, seed.wrapping_mul(0x9e37_79b9));
        // SAFETY: first use of this memory, one context.
        let (log, rep) = unsafe { Log::recover_in_place(mem) };
        assert!(rep.fresh);
        let cap = Capture::new();
        log.add_console(cap.leak_sink(), LevelFilter::Trace)
            .unwrap();
        assert!(cap.bytes().is_empty());
        log.log(Level::Warn, format_args!("cold p1 n={}", 0));
        assert_eq!(cap.lines().len(), 1);
        let _ = Board::<25>::wakes();
    }
}
