//! Peak memory of streaming seal and open: the same process sealing (or
//! opening) a 1 MiB and a 1 GiB message, from a generator to a sink, must
//! peak within 2 MiB of each other (the pipeline holds one batch per
//! worker, whatever the length).
//!
//! ```sh
//! cargo run --release -p ebak-bench --bin memory          # the whole table
//! cargo run --release -p ebak-bench --bin memory -- --op open --bytes 1073741824 --threads 2
//! ```
//!
//! Each measurement is its own process (peak RSS, `VmHWM` in
//! `/proc/self/status`, only ever grows): without arguments the binary
//! runs itself once per case and prints the table.
#![allow(
    clippy::cast_precision_loss,
    clippy::arithmetic_side_effects,
    clippy::expect_used,
    reason = "a measurement tool: a failed step must stop it loudly, and the figures are small"
)]

use ebak_bench::Backend;
use ebak_bench::ebak::{CONTEXT, KEY, SALT};
use ebak_bench::generator::{CiphertextReader, MessageReader};
use ebak_core::aead::{Aead, AwsLcAes256Gcm, RustCryptoAes256Gcm};
use ebak_stream::Options;
use std::io;
use std::process::Command;
use std::time::Instant;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// A field of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status (Linux only)");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
        .expect("field in /proc/self/status")
}

fn run<A: Aead + 'static>(op: &str, bytes: u64, threads: usize) -> u64 {
    let opts = Options { threads, progress: None };
    match op {
        "seal" => {
            ebak_stream::seal::<A>(&KEY, &SALT, CONTEXT, MessageReader::new(bytes), io::sink(), &opts).expect("seal")
        }
        "open" => {
            ebak_stream::open::<A>(&KEY, CONTEXT, CiphertextReader::<A>::new(bytes), io::sink(), &opts).expect("open")
        }
        other => {
            eprintln!("memory: --op seal or open, not {other}");
            std::process::exit(2);
        }
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

/// One measurement, in this process: prints `peak_kib=N seconds=S`.
fn child(args: &[String]) {
    let op = arg(args, "--op").expect("--op");
    let bytes: u64 = arg(args, "--bytes").expect("--bytes").parse().expect("--bytes N");
    let threads: usize = arg(args, "--threads").map_or(1, |t| t.parse().expect("--threads N"));
    let backend = arg(args, "--backend").unwrap_or_else(|| "default".into());
    let started = Instant::now();
    let done = match backend.as_str() {
        "aws-lc" => run::<AwsLcAes256Gcm>(&op, bytes, threads),
        _ => run::<RustCryptoAes256Gcm>(&op, bytes, threads),
    };
    assert_eq!(done, bytes, "the stream did not process the whole message");
    println!("peak_kib={} seconds={:.3}", status_kib("VmHWM:"), started.elapsed().as_secs_f64());
}

fn measure(op: &str, bytes: u64, threads: usize, backend: Backend) -> (u64, f64) {
    let exe = std::env::current_exe().expect("own path");
    let out = Command::new(exe)
        .args(["--op", op, "--bytes", &bytes.to_string(), "--threads", &threads.to_string()])
        .args(["--backend", backend.name()])
        .output()
        .expect("run the measurement");
    assert!(out.status.success(), "measurement failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let field =
        |name: &str| text.split_whitespace().find_map(|w| w.strip_prefix(name)).expect("measurement output").to_owned();
    (field("peak_kib=").parse().expect("peak"), field("seconds=").parse().expect("seconds"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--op") {
        child(&args);
        return;
    }
    let workers = Options::ALL_CORES.workers();
    println!("| op | backend | threads | peak RSS, 1 MiB input | peak RSS, 1 GiB input | difference | 1 GiB in |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    let mut worst: i64 = 0;
    let mut line = String::from("RESULT");
    for backend in Backend::ALL {
        for op in ["seal", "open"] {
            for threads in [1, workers] {
                let (small, _) = measure(op, MIB, threads, backend);
                let (large, secs) = measure(op, GIB, threads, backend);
                let diff = large as i64 - small as i64;
                worst = worst.max(diff);
                println!(
                    "| {op} | {} | {threads} | {small} KiB | {large} KiB | {diff:+} KiB | {secs:.2} s ({:.2} GB/s) |",
                    backend.name(),
                    GIB as f64 / secs / 1e9
                );
                line.push_str(&format!(" {op}_{}_{threads}t_diff_kib={diff}", backend.key()));
            }
        }
    }
    let verdict = if worst <= 2048 { "met" } else { "MISSED" };
    println!("\nlargest difference: {worst} KiB (target: within 2048 KiB): {verdict}");
    println!("{line} worst_diff_kib={worst}");
}
