//! # ebak-bench
//!
//! The workloads that the criterion benches (`cargo bench -p ebak-bench`)
//! and the quick comparison (`cargo run --release -p ebak-bench --bin
//! compare -- --quick`) both time, so that the two agree on what is
//! measured:
//!
//! - [`ebak`]: one raw AES-256-GCM call over the whole buffer (the
//!   baseline), ebak's core sealing and opening that same buffer in place
//!   (chunk by chunk, key derivation and commitment included),
//!   `ebak-stream` from a `Read` to a `Write` (serial and parallel), its
//!   `SealWriter`/`OpenReader` adapters, and the raw call plus the two
//!   copies a stream makes (the bound), for each AEAD backend;
//! - [`peers`]: the `age` crate's payload stream, a ChaCha20-Poly1305
//!   STREAM, and `memcpy`, the physical ceiling;
//! - [`platform`]: what this machine allows a parallel stream without
//!   ebak: the raw AEAD on every core, the bare copy-in / AEAD / copy-out
//!   pipeline on std threads, and the thread hand-off latency;
//! - [`timing`]: interleaved A/B rounds, so that noise on a shared machine
//!   hits both sides of a ratio;
//! - [`generator`]: a message and a ciphertext of any length produced on
//!   the fly, for measuring memory without holding the input.
//!
//! A [`Workload`] is one operation on one message size: [`Workload::run`]
//! is timed, [`Workload::prepare`] (restoring an input that opening in
//! place consumed) is not.
#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss,
    reason = "benchmark harness, not library code: sizes are small constants, and a setup failure or a \
              wrong index is a bug in the benchmark that must stop it loudly"
)]

pub mod ebak;
pub mod generator;
pub mod peers;
pub mod platform;
pub mod timing;

/// The message sizes every workload is measured at.
pub const SIZES: [(&str, usize); 4] =
    [("1KiB", 1024), ("16KiB", 16 * 1024), ("1MiB", 1024 * 1024), ("64MiB", 64 * 1024 * 1024)];

/// One operation on one message, timed run by run.
pub trait Workload {
    /// The message bytes one run seals or opens (criterion's
    /// `Throughput::Bytes`).
    fn bytes(&self) -> u64;

    /// Whether [`Workload::prepare`] must run before each run.
    fn needs_prepare(&self) -> bool {
        false
    }

    /// Untimed work before each run, such as restoring a ciphertext that
    /// the last run decrypted in place (only called if
    /// [`Workload::needs_prepare`]).
    fn prepare(&mut self) {}

    /// One timed run.
    fn run(&mut self);
}

/// The AEAD backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// RustCrypto `aes-gcm` (ebak-core's default).
    RustCrypto,
    /// AWS-LC through `aws-lc-rs` (ebak-core's `aws-lc` feature).
    AwsLc,
}

impl Backend {
    /// Both, default first.
    pub const ALL: [Self; 2] = [Self::RustCrypto, Self::AwsLc];

    /// The short name used in tables and `RESULT` keys.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::RustCrypto => "default",
            Self::AwsLc => "aws-lc",
        }
    }

    /// The name as a `RESULT` key part (no dash).
    #[must_use]
    pub const fn key(self) -> &'static str {
        match self {
            Self::RustCrypto => "default",
            Self::AwsLc => "awslc",
        }
    }
}

/// Sealing or opening.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Encrypt.
    Seal,
    /// Decrypt and verify.
    Open,
}

impl Op {
    /// Both.
    pub const ALL: [Self; 2] = [Self::Seal, Self::Open];

    /// "seal" or "open".
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Seal => "seal",
            Self::Open => "open",
        }
    }
}

/// Deterministic filler bytes (the content does not change AES-GCM's or
/// ChaCha20-Poly1305's speed; it only has to be the same on both sides).
#[must_use]
pub fn filler(len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let mut x: u64 = 0x0123_4567_89ab_cdef;
    for word in out.chunks_mut(8) {
        x = x.wrapping_mul(0x5851_f42d_4c95_7f2d).wrapping_add(0x1405_7b7e_f767_814f);
        word.copy_from_slice(&x.to_le_bytes()[..word.len()]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebak_core::aead::DefaultAead;
    use std::io::Read;

    #[test]
    fn the_generated_ciphertext_is_the_one_the_core_seals() {
        for len in [0u64, 5, 16_384, 100_000] {
            let mut msg = Vec::new();
            generator::MessageReader::new(len).read_to_end(&mut msg).unwrap();
            assert_eq!(msg.len() as u64, len);
            let mut ct = Vec::new();
            generator::CiphertextReader::<DefaultAead>::new(len).read_to_end(&mut ct).unwrap();
            let expected = ebak_core::cobblestone::seal::<DefaultAead>(&ebak::KEY, &ebak::SALT, ebak::CONTEXT, &msg);
            assert_eq!(ct, expected.unwrap());
        }
    }

    #[test]
    fn every_workload_runs_and_opening_workloads_verify() {
        // Small sizes only: this checks the workloads are wired right (the
        // open ones `expect` a valid tag), not their speed.
        for len in [0, 1024, 40_000] {
            for op in Op::ALL {
                let mut all: Vec<Box<dyn Workload>> = vec![peers::age(op, len), peers::chacha_stream(op, len)];
                for backend in Backend::ALL {
                    for kind in [
                        ebak::Kind::Raw,
                        ebak::Kind::Core,
                        ebak::Kind::Stream(1),
                        ebak::Kind::Stream(3),
                        ebak::Kind::Adapter(1),
                        ebak::Kind::Adapter(3),
                        ebak::Kind::AdapterIo(1),
                        ebak::Kind::AdapterIo(3),
                        ebak::Kind::RawPlusCopies,
                        ebak::Kind::RawChunked,
                    ] {
                        all.push(ebak::workload(kind, backend, op, len));
                    }
                }
                for w in &mut all {
                    assert_eq!(w.bytes(), len as u64);
                    for _ in 0..2 {
                        if w.needs_prepare() {
                            w.prepare();
                        }
                        w.run();
                    }
                }
            }
        }
    }
}
