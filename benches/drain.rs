//! Draining (issue 6 §1): `Logger::printer()` printing stored records to a
//! console whose sink only counts bytes, against a raw copy of the same
//! bytes into the same sink, in the same run. Three renderings: default
//! text lines, bare lines (payload + newline) and binary frames (payload
//! only). Storing the records before each drain is not timed.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

mod alt;
use alt::{Drain, DrainKind, RawCopy, DRAIN_RECORDS};

fn drain(c: &mut Criterion) {
    for (group, kind) in [
        ("drain_lines", DrainKind::Lines),
        ("drain_bare", DrainKind::Bare),
        ("drain_frames", DrainKind::Frames),
    ] {
        let d = Drain::new(kind);
        d.fill();
        d.drain();
        let per_drain = d.bytes();
        let per_record = per_drain / DRAIN_RECORDS;
        assert_eq!(per_drain % DRAIN_RECORDS, 0, "every record printed alike");
        eprintln!("{group}: {per_record} bytes per record");

        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Bytes(per_drain as u64));
        g.bench_function("logbuf", |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    d.fill();
                    let t = Instant::now();
                    d.drain();
                    spent += t.elapsed();
                }
                spent
            })
        });
        let mut raw = RawCopy::new(per_record);
        g.bench_function("raw_copy", |b| b.iter(|| black_box(&mut raw).drain()));
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = alt::criterion_config();
    targets = drain
}
criterion_main!(benches);
