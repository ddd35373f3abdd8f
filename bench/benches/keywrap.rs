//! Key-wrap latency and header parsing (criterion).
//!
//! - creating a password slot with the default Argon2id costs (spec 8:
//!   256 MiB, t = 10, p = 2, lanes on threads as the CLI builds them);
//! - unlocking with that password (Argon2id, the slot unwrap, the header
//!   MAC);
//! - unlocking with the 64-digit key (parsing the text, the header MAC);
//! - parsing a header with one password slot, and one with none.
//!
//! `cargo bench -p ebak-bench --bench keywrap` (about a minute: each
//! Argon2id run is about a second, ten samples each).
#![allow(clippy::expect_used, reason = "benchmark setup: a failure is a bug in the benchmark and must stop it")]

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use ebak_core::aead::DefaultAead;
use ebak_core::file::{self, Secret};
use ebak_core::header::{Header, Slot};
use ebak_core::kdf::{KdfLimits, KdfParams};
use ebak_core::slot::PasswordSlot;
use ebak_core::{BackupKey, recovery_key};
use std::hint::black_box;
use std::time::Duration;

const PASSWORD: &str = "correct horse battery staple";

fn slot(key: &BackupKey) -> PasswordSlot {
    PasswordSlot::create::<DefaultAead>(key, PASSWORD, KdfParams::DEFAULT, [1; 16], [2; 24]).expect("slot")
}

fn keywrap(c: &mut Criterion) {
    let key = BackupKey::from_bytes([0x5a; 32]);
    let with_slot = Header::new(&key, vec![Slot::Password(slot(&key))]).expect("header");
    let without = Header::new(&key, Vec::new()).expect("header");
    let key_text = recovery_key::format(&key);

    let mut g = c.benchmark_group("keywrap/password-default-costs");
    g.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_millis(100));
    g.measurement_time(Duration::from_secs(12));
    g.bench_function("create-slot", |b| b.iter(|| black_box(slot(&key))));
    g.bench_function("unlock", |b| {
        b.iter(|| {
            file::unlock::<DefaultAead>(&with_slot, &Secret::password(PASSWORD), &KdfLimits::V1).expect("unlock")
        });
    });
    g.finish();

    let mut g = c.benchmark_group("keywrap/64-digit-key");
    g.bench_function("parse-and-unlock", |b| {
        b.iter(|| {
            let key = recovery_key::parse(black_box(key_text.as_str())).expect("key");
            file::unlock::<DefaultAead>(&with_slot, &Secret::key(&key), &KdfLimits::V1).expect("unlock")
        });
    });
    g.finish();

    let mut g = c.benchmark_group("header/parse");
    for (name, header) in [("one-password-slot", &with_slot), ("no-slots", &without)] {
        let bytes = header.to_bytes();
        g.bench_function(name, |b| b.iter(|| Header::parse_prefix(black_box(&bytes)).expect("parse")));
    }
    g.finish();
}

criterion_group!(benches, keywrap);
criterion_main!(benches);
