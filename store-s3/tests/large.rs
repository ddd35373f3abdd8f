//! A 1 GiB upload in bounded memory: the process's peak resident set
//! (`VmHWM`) stays near the part buffers (`parts_in_flight + 1` parts of
//! 8 MiB), not the object's size. Alone in its test binary so that the
//! peak is this test's. Ignored by `cargo test` (a minute of disk I/O on a
//! loaded machine); `.ci/run`'s S3 section runs it with `--ignored`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "tests: a failure panics; sizes are small and fixed"
)]

mod common;

use ebak::store::{PutMode, Store};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::time::Instant;

const MIB: usize = 1 << 20;
const TOTAL_MIB: usize = 1024;

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// MiB number `i`: different from every other, so a misplaced part shows.
fn block(i: usize, buf: &mut [u8]) {
    for (j, b) in buf.iter_mut().enumerate() {
        *b = (j as u8).wrapping_mul(7) ^ (i as u8) ^ ((j >> 9) as u8);
    }
    buf[..8].copy_from_slice(&(i as u64).to_le_bytes());
}

#[test]
#[ignore = "1 GiB through a real server: run by .ci/run's S3 section (cargo test -p ebak-store-s3 --test large -- --ignored)"]
fn a_1_gib_upload_stays_within_its_part_buffers() {
    let server = server_or_skip!();
    let mut config = server.config(common::BUCKET);
    config.part_size_bytes = ebak_store_s3::DEFAULT_PART_SIZE_BYTES;
    let parts_in_flight = config.parts_in_flight;
    let store = ebak_store_s3::S3Store::open(config).unwrap();
    let before_kib = peak_rss_kib();

    let start = Instant::now();
    let mut up = store.put("big/1gib.ebak", PutMode::Create).unwrap();
    let mut buf = vec![0u8; MIB];
    let mut hash = Sha256::new();
    for i in 0..TOTAL_MIB {
        block(i, &mut buf);
        hash.update(&buf);
        // Writes of 64 KiB, as the sealing stream makes them.
        for piece in buf.chunks(64 << 10) {
            up.write_all(piece).unwrap();
        }
    }
    up.commit().unwrap();
    let upload_secs = start.elapsed().as_secs_f64();
    let peak_kib = peak_rss_kib();
    assert_eq!(store.head("big/1gib.ebak").unwrap().size, (TOTAL_MIB * MIB) as u64);
    assert!(server.staged_parts().is_empty(), "parts left: {:?}", server.staged_parts());

    // Read back as a stream, hashed as it comes.
    let start = Instant::now();
    let mut reader = store.get("big/1gib.ebak").unwrap();
    let mut back = Sha256::new();
    let mut total = 0usize;
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        back.update(&buf[..n]);
        total += n;
    }
    let download_secs = start.elapsed().as_secs_f64();
    assert_eq!(total, TOTAL_MIB * MIB);
    assert!(hash.finalize() == back.finalize(), "the object read back differs from what was written");
    let after_read_kib = peak_rss_kib();

    let part_mib = ebak_store_s3::DEFAULT_PART_SIZE_BYTES / MIB;
    eprintln!(
        "1 GiB: upload {upload_secs:.1} s, download {download_secs:.1} s; peak RSS {} MiB before, {} MiB after the upload, {} MiB after reading back ({} parts of {part_mib} MiB in flight + 1 filling)",
        before_kib / 1024,
        peak_kib / 1024,
        after_read_kib / 1024,
        parts_in_flight
    );
    // The part buffers ((2 + 1) x 8 MiB), the 1 MiB test buffer, the HTTP
    // client's buffers and the runtime: far from the 1024 MiB written.
    let bound_mib = 96;
    assert!(peak_kib / 1024 < bound_mib, "peak RSS {} MiB, over {bound_mib} MiB", peak_kib / 1024);
    assert!(after_read_kib / 1024 < bound_mib, "peak RSS while reading {} MiB", after_read_kib / 1024);
}
