//! Single-thread store cost (issue 6 §1): one 32-byte preformatted record,
//! and one formatted `info!("temp={} id={}", ..)`, for logbuf and every
//! alternative in the same run. See `benches/alt/mod.rs` for what each
//! implementation is, and BENCHMARKS.md for the results.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};

mod alt;
use alt::{Store, Visit, RECORD};

struct Preformatted<'a, 'b>(&'a mut BenchmarkGroup<'b, WallTime>);

impl Visit for Preformatted<'_, '_> {
    fn visit<S: Store>(&mut self, name: &'static str, store: &'static S) {
        self.0
            .bench_function(name, |b| b.iter(|| store.store(black_box(RECORD))));
    }
}

struct Formatted<'a, 'b>(&'a mut BenchmarkGroup<'b, WallTime>);

impl Visit for Formatted<'_, '_> {
    fn visit<S: Store>(&mut self, name: &'static str, store: &'static S) {
        let mut id = 0u32;
        self.0.bench_function(name, |b| {
            b.iter(|| {
                id = id.wrapping_add(1);
                alt::log_temp(store, black_box(-215), black_box(id));
            })
        });
    }
}

fn store(c: &mut Criterion) {
    let mut g = c.benchmark_group("store_32B");
    g.throughput(Throughput::Elements(1));
    alt::each(&mut Preformatted(&mut g));
    let mut plain = alt::MemcpyFloor::new();
    g.bench_function("floor_memcpy", |b| {
        b.iter(|| plain.store(black_box(RECORD)))
    });
    g.finish();

    let mut g = c.benchmark_group("store_fmt");
    g.throughput(Throughput::Elements(1));
    alt::each(&mut Formatted(&mut g));
    g.finish();

    let lost = alt::LOGBUF.0.ring().dropped();
    eprintln!("logbuf records lost by writers: {lost:?}");
}

criterion_group! {
    name = benches;
    config = alt::criterion_config();
    targets = store
}
criterion_main!(benches);
