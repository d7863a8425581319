//! Two threads logging at once (issue 6 §1): records per second for logbuf
//! and every alternative, in the same run. Each sample spawns two threads
//! that start together at a barrier and each make `iters` log calls; the
//! time runs from the barrier until both have finished. criterion's
//! regression over growing `iters` takes the thread start-up cost out.
//!
//! Only stored records count. logbuf never waits: a call that finds the
//! oldest record still being written by a preempted thread drops its record
//! (counted, `Dropped::Busy`), which is cheaper than storing it. So each
//! sample's time is scaled by calls ÷ stored records, and criterion's
//! figures are per *stored* record; the share dropped is printed.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};

mod alt;
use alt::{Store, Visit, RECORD};

const THREADS: u64 = 2;

/// Runs `op` `iters` times on each of two threads at once.
fn race(iters: u64, op: impl Fn(u64) + Sync) -> Duration {
    let barrier = Barrier::new(THREADS as usize + 1);
    let start = std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                barrier.wait();
                for i in 0..iters {
                    op(i);
                }
            });
        }
        barrier.wait();
        Instant::now()
    });
    start.elapsed()
}

struct Contended<'a, 'b> {
    group: &'a mut BenchmarkGroup<'b, WallTime>,
    formatted: bool,
}

impl Visit for Contended<'_, '_> {
    fn visit<S: Store>(&mut self, name: &'static str, store: &'static S) {
        let formatted = self.formatted;
        let lost_before = store.dropped();
        let mut attempted = 0;
        self.group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let calls = THREADS * iters;
                attempted += calls;
                let lost = store.dropped();
                let spent = if formatted {
                    race(iters, |i| alt::log_temp(store, black_box(-215), i as u32))
                } else {
                    race(iters, |_| store.store(black_box(RECORD)))
                };
                let stored = calls - (store.dropped() - lost).min(calls - 1);
                spent.mul_f64(calls as f64 / stored as f64)
            })
        });
        let lost = store.dropped() - lost_before;
        if lost > 0 {
            eprintln!(
                "{name}: {lost} of {attempted} calls dropped their record ({:.2} %); \
                 times are per stored record",
                100.0 * lost as f64 / attempted as f64
            );
        }
    }
}

fn contention(c: &mut Criterion) {
    for (group, formatted) in [("contention_store_32B", false), ("contention_fmt", true)] {
        let mut g = c.benchmark_group(group);
        // One iteration = one record on each thread.
        g.throughput(Throughput::Elements(THREADS));
        alt::each(&mut Contended {
            group: &mut g,
            formatted,
        });
        g.finish();
    }
    eprintln!("logbuf writer losses: {:?}", alt::LOGBUF.0.ring().dropped());
}

criterion_group! {
    name = benches;
    config = alt::criterion_config();
    targets = contention
}
criterion_main!(benches);
