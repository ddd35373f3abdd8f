//! Seal and open throughput (criterion, `Throughput::Bytes`) at 1 KiB,
//! 16 KiB, 1 MiB and 64 MiB: the raw AEAD call, ebak in place,
//! ebak-stream serial and parallel, and its adapters serial and parallel,
//! for each backend; the `age` crate's
//! payload stream and a ChaCha20-Poly1305 STREAM; and memcpy.
//!
//! `cargo bench -p ebak-bench --bench throughput` (about 6 minutes; a
//! filter such as `-- open/64MiB` runs one group). For ratios measured in
//! interleaved rounds, use the `compare` binary.
#![allow(clippy::cast_possible_truncation, reason = "sizes are small constants")]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ebak_bench::ebak::{self, Kind};
use ebak_bench::{Backend, Op, SIZES, Workload, peers, timing};
use std::time::Duration;

type Make = Box<dyn Fn() -> Box<dyn Workload>>;

fn cases(op: Op, len: usize) -> Vec<(String, Make)> {
    let mut out: Vec<(String, Make)> = Vec::new();
    for backend in Backend::ALL {
        for kind in [
            Kind::Raw,
            Kind::Core,
            Kind::Stream(1),
            Kind::Stream(0),
            Kind::Adapter(1),
            Kind::Adapter(0),
            Kind::AdapterIo(0),
        ] {
            out.push((
                format!("{}/{}", kind.label(), backend.name()),
                Box::new(move || ebak::workload(kind, backend, op, len)),
            ));
        }
    }
    out.push(("age".into(), Box::new(move || peers::age(op, len))));
    out.push(("chacha20poly1305-stream".into(), Box::new(move || peers::chacha_stream(op, len))));
    out
}

fn throughput(c: &mut Criterion) {
    for (size, len) in SIZES {
        for op in Op::ALL {
            let mut group = c.benchmark_group(format!("{}/{size}", op.name()));
            group.throughput(Throughput::Bytes(len as u64));
            if len >= 64 << 20 {
                group.sample_size(10);
            }
            for (name, make) in cases(op, len) {
                // Built just before it runs and dropped after: the 64 MiB
                // workloads hold a few buffers each.
                let mut w = make();
                group.bench_function(name, |b| b.iter_custom(|iters| timing::time_runs(w.as_mut(), iters)));
            }
            group.finish();
        }
        let mut group = c.benchmark_group(format!("memcpy/{size}"));
        group.throughput(Throughput::Bytes(len as u64));
        let mut w = peers::memcpy(len);
        group.bench_function("copy_from_slice", |b| b.iter_custom(|iters| timing::time_runs(w.as_mut(), iters)));
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = throughput
}
criterion_main!(benches);
