//! The quick comparison: every ratio the throughput issue asks for, each
//! measured in interleaved A/B rounds in this one run, as a table and one
//! `RESULT` line a script can read.
//!
//! ```sh
//! cargo run --release -p ebak-bench --bin compare -- --quick   # ~1 minute
//! cargo run --release -p ebak-bench --bin compare              # steadier, ~5 minutes
//! cargo run --release -p ebak-bench --bin compare -- --only awslc_open   # the rows whose key has it
//! ```
#![allow(
    clippy::cast_precision_loss,
    clippy::arithmetic_side_effects,
    reason = "a benchmark report: throughputs are floats and sizes are small constants"
)]

use ebak_bench::ebak::{self, Kind};
use ebak_bench::timing::{self, Comparison, Plan};
use ebak_bench::{Backend, Op, SIZES, Workload, peers, platform};
use std::fmt::Write as _;
use std::time::Instant;

struct Row {
    what: String,
    op: Op,
    size: &'static str,
    cmp: Comparison,
    target: Option<f64>,
    key: String,
}

struct Report {
    plan: Plan,
    rows: Vec<Row>,
    /// `--only PATTERN`: run only the rows whose `RESULT` key contains it.
    only: Option<String>,
}

impl Report {
    fn compare(
        &mut self,
        what: String,
        key: String,
        (op, size): (Op, &'static str),
        a: impl FnOnce() -> Box<dyn Workload>,
        b: impl FnOnce() -> Box<dyn Workload>,
        target: Option<f64>,
    ) {
        if self.only.as_ref().is_some_and(|p| !key.contains(p.as_str())) {
            return;
        }
        // Built just before they run and dropped after: the 64 MiB
        // workloads hold a few buffers each.
        let (mut a, mut b) = (a(), b());
        let cmp = timing::interleave(a.as_mut(), b.as_mut(), self.plan);
        eprintln!("  {what:<44} {:<4} {size:>5}: {:.3}", op.name(), cmp.ratio);
        self.rows.push(Row { what, op, size, cmp, target, key });
    }
}

fn size_of(name: &str) -> usize {
    SIZES.iter().find(|(n, _)| *n == name).map_or(0, |(_, len)| *len)
}

fn gbps(bytes_per_second: f64) -> f64 {
    bytes_per_second / 1e9
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).cloned();
    let plan = if quick { Plan::QUICK } else { Plan::FULL };
    let started = Instant::now();
    let mut r = Report { plan, rows: Vec::new(), only };
    let big = ["1MiB", "64MiB"];

    eprintln!(
        "ebak-bench compare ({}): {} rounds of {:?} per side",
        if quick { "quick" } else { "full" },
        plan.rounds,
        plan.round
    );
    let memcpy: Vec<(&str, f64)> =
        big.iter().map(|&s| (s, timing::throughput(peers::memcpy(size_of(s)).as_mut(), plan))).collect();

    for backend in Backend::ALL {
        let b = backend.name();
        for (size, len) in SIZES {
            for op in Op::ALL {
                let target = (len >= 1 << 20).then_some(0.95);
                r.compare(
                    format!("ebak / raw AES-GCM [{b}]"),
                    format!("ebak_raw_{}_{}_{size}", backend.key(), op.name()),
                    (op, size),
                    || ebak::workload(Kind::Core, backend, op, len),
                    || ebak::workload(Kind::Raw, backend, op, len),
                    target,
                );
            }
        }
        for size in big {
            for op in Op::ALL {
                // The backend's own per-call cost, and what Cobblestone
                // adds beyond it (why ebak / raw is below 1).
                r.compare(
                    format!("raw 16 KiB calls / raw one call [{b}]"),
                    format!("percall_{}_{}_{size}", backend.key(), op.name()),
                    (op, size),
                    || ebak::workload(Kind::RawChunked, backend, op, size_of(size)),
                    || ebak::workload(Kind::Raw, backend, op, size_of(size)),
                    None,
                );
                r.compare(
                    format!("ebak / raw 16 KiB calls [{b}]"),
                    format!("ebak_percall_{}_{}_{size}", backend.key(), op.name()),
                    (op, size),
                    || ebak::workload(Kind::Core, backend, op, size_of(size)),
                    || ebak::workload(Kind::RawChunked, backend, op, size_of(size)),
                    None,
                );
            }
        }
        for size in big {
            for op in Op::ALL {
                for (kind, what, key) in [
                    (Kind::Stream(1), "ebak-stream serial", "stream"),
                    (Kind::Adapter(1), "adapters serial", "adapter"),
                ] {
                    r.compare(
                        format!("{what} / raw AES-GCM [{b}]"),
                        format!("{key}_raw_{}_{}_{size}", backend.key(), op.name()),
                        (op, size),
                        || ebak::workload(kind, backend, op, size_of(size)),
                        || ebak::workload(Kind::Raw, backend, op, size_of(size)),
                        Some(0.90),
                    );
                }
                // The bound: the raw call plus the two copies that any
                // Read/Write stream over an in-place AEAD makes.
                r.compare(
                    format!("ebak-stream serial / (raw + two copies) [{b}]"),
                    format!("stream_bound_{}_{}_{size}", backend.key(), op.name()),
                    (op, size),
                    || ebak::workload(Kind::Stream(1), backend, op, size_of(size)),
                    || ebak::workload(Kind::RawPlusCopies, backend, op, size_of(size)),
                    None,
                );
                // The same shape with nothing of ebak's: copy in, 16 KiB
                // AEAD calls, copy out. Against raw it is the bound for any
                // Read/Write stream over an in-place AEAD on this machine;
                // against it, what ebak's layer adds.
                r.compare(
                    format!("bare pipeline serial / raw AES-GCM [{b}]"),
                    format!("bare_raw_{}_{}_{size}", backend.key(), op.name()),
                    (op, size),
                    || platform::bare_pipeline(backend, op, size_of(size), 1),
                    || ebak::workload(Kind::Raw, backend, op, size_of(size)),
                    None,
                );
                r.compare(
                    format!("ebak-stream serial / bare pipeline serial [{b}]"),
                    format!("stream_bare_serial_{}_{}_{size}", backend.key(), op.name()),
                    (op, size),
                    || ebak::workload(Kind::Stream(1), backend, op, size_of(size)),
                    || platform::bare_pipeline(backend, op, size_of(size), 1),
                    None,
                );
            }
        }
    }
    for size in big {
        for op in Op::ALL {
            r.compare(
                "ebak [aws-lc] / ebak [default]".into(),
                format!("awslc_default_{}_{size}", op.name()),
                (op, size),
                || ebak::workload(Kind::Core, Backend::AwsLc, op, size_of(size)),
                || ebak::workload(Kind::Core, Backend::RustCrypto, op, size_of(size)),
                Some(3.0),
            );
        }
    }
    let len = size_of("64MiB");
    for backend in Backend::ALL {
        let b = backend.name();
        let target = if backend == Backend::AwsLc { 10.0 } else { 3.5 };
        for (kind, label) in [(Kind::Core, "inplace"), (Kind::Stream(1), "serial"), (Kind::Stream(0), "parallel")] {
            let what = if kind == Kind::Core { "ebak in place".to_owned() } else { format!("ebak-stream {label}") };
            for op in Op::ALL {
                r.compare(
                    format!("{what} [{b}] / age"),
                    format!("ebak_age_{}_{label}_{}_64MiB", backend.key(), op.name()),
                    (op, "64MiB"),
                    || ebak::workload(kind, backend, op, len),
                    || peers::age(op, len),
                    Some(target),
                );
            }
        }
    }
    for backend in Backend::ALL {
        for op in Op::ALL {
            r.compare(
                format!("ebak [{}] / ChaCha20-Poly1305 STREAM", backend.name()),
                format!("ebak_chacha_{}_{}_64MiB", backend.key(), op.name()),
                (op, "64MiB"),
                || ebak::workload(Kind::Core, backend, op, len),
                || peers::chacha_stream(op, len),
                None,
            );
        }
    }
    for backend in Backend::ALL {
        for size in big {
            for op in Op::ALL {
                r.compare(
                    format!("ebak-stream parallel / serial [{}]", backend.name()),
                    format!("parallel_serial_{}_{}_{size}", backend.key(), op.name()),
                    (op, size),
                    || ebak::workload(Kind::Stream(0), backend, op, size_of(size)),
                    || ebak::workload(Kind::Stream(1), backend, op, size_of(size)),
                    (size == "64MiB").then_some(1.8),
                );
            }
        }
        for op in Op::ALL {
            r.compare(
                format!("adapters parallel / serial [{}]", backend.name()),
                format!("adapter_parallel_serial_{}_{}_64MiB", backend.key(), op.name()),
                (op, "64MiB"),
                || ebak::workload(Kind::Adapter(0), backend, op, len),
                || ebak::workload(Kind::Adapter(1), backend, op, len),
                Some(1.8),
            );
            // The inner stream on its own thread: what it adds over the
            // caller doing all the I/O, and the total against serial.
            r.compare(
                format!("adapters parallel, I/O thread / serial [{}]", backend.name()),
                format!("adapter_io_serial_{}_{}_64MiB", backend.key(), op.name()),
                (op, "64MiB"),
                || ebak::workload(Kind::AdapterIo(0), backend, op, len),
                || ebak::workload(Kind::Adapter(1), backend, op, len),
                Some(1.8),
            );
            r.compare(
                format!("adapters parallel, I/O thread / without [{}]", backend.name()),
                format!("adapter_io_parallel_{}_{}_64MiB", backend.key(), op.name()),
                (op, "64MiB"),
                || ebak::workload(Kind::AdapterIo(0), backend, op, len),
                || ebak::workload(Kind::Adapter(0), backend, op, len),
                None,
            );
        }
    }

    // What this machine allows any parallel stream (bench/src/platform.rs):
    // the cipher alone on every core, and the bare pipeline.
    for backend in Backend::ALL {
        let b = backend.name();
        for op in Op::ALL {
            r.compare(
                format!("raw AES-GCM, all cores / one core [{b}]"),
                format!("raw_cores_{}_{}_64MiB", backend.key(), op.name()),
                (op, "64MiB"),
                || platform::raw_threads(backend, op, len, 0),
                || ebak::workload(Kind::Raw, backend, op, len),
                None,
            );
            r.compare(
                format!("bare pipeline parallel / serial [{b}]"),
                format!("bare_parallel_serial_{}_{}_64MiB", backend.key(), op.name()),
                (op, "64MiB"),
                || platform::bare_pipeline(backend, op, len, 0),
                || platform::bare_pipeline(backend, op, len, 1),
                None,
            );
            r.compare(
                format!("ebak-stream parallel / bare pipeline parallel [{b}]"),
                format!("stream_bare_parallel_{}_{}_64MiB", backend.key(), op.name()),
                (op, "64MiB"),
                || ebak::workload(Kind::Stream(0), backend, op, len),
                || platform::bare_pipeline(backend, op, len, 0),
                None,
            );
        }
    }
    r.compare(
        "memcpy, all cores / one core".into(),
        "memcpy_cores_64MiB".into(),
        (Op::Seal, "64MiB"),
        || platform::memcpy_threads(len, 0),
        || peers::memcpy(len),
        None,
    );
    let handoff = platform::handoff_round_trip(200);

    print_report(&r, &memcpy, handoff, quick, started.elapsed().as_secs_f64());
}

fn print_report(r: &Report, memcpy: &[(&str, f64)], handoff: std::time::Duration, quick: bool, seconds: f64) {
    let threads = ebak_stream::Options::ALL_CORES.workers();
    println!();
    println!("| comparison (A / B) | op | size | A GB/s | B GB/s | A/B | rounds min-max | target |");
    println!("|---|---|---|---:|---:|---:|---|---|");
    let mut missed = Vec::new();
    for row in &r.rows {
        let verdict = match row.target {
            Some(t) if row.cmp.ratio >= t => format!(">= {t} met"),
            Some(t) => {
                missed.push(row.key.clone());
                format!(">= {t} **missed**")
            }
            None => String::new(),
        };
        println!(
            "| {} | {} | {} | {:.2} | {:.2} | {:.3} | {:.2}-{:.2} | {verdict} |",
            row.what,
            row.op.name(),
            row.size,
            gbps(row.cmp.a),
            gbps(row.cmp.b),
            row.cmp.ratio,
            row.cmp.ratio_range.0,
            row.cmp.ratio_range.1,
        );
    }
    println!();
    for (size, t) in memcpy {
        println!("memcpy ceiling, {size}: {:.2} GB/s (one core)", gbps(*t));
    }
    let handoff_us = handoff.as_secs_f64() * 1e6;
    println!(
        "thread hand-off round trip: {handoff_us:.1} us (median of 200: a value to a thread asleep in recv, and back)"
    );
    println!(
        "parallel = {threads} worker threads; {} mode; {} rounds of {:?} per side; {:.0} s in all",
        if quick { "quick" } else { "full" },
        r.plan.rounds,
        r.plan.round,
        seconds
    );
    if !missed.is_empty() {
        println!("targets missed: {}", missed.join(" "));
    }
    let mut line = String::from("RESULT");
    for row in &r.rows {
        let _ = write!(line, " {}={:.3}", row.key, row.cmp.ratio);
    }
    for (size, t) in memcpy {
        let _ = write!(line, " memcpy_gbps_{size}={:.2}", gbps(*t));
    }
    let _ = write!(line, " handoff_us={handoff_us:.1} missed={}", missed.len());
    println!("{line}");
}
