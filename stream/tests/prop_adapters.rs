//! Properties of the adapters (STYLE.md rule 9), for random messages
//! around the chunk and batch boundaries, random write and read sizes and
//! thread counts:
//!
//! - `SealWriter` writes exactly the core's one-shot ciphertext, and
//!   `OpenReader` gives the message back (inverse);
//! - a random flipped byte, cut or extension gets the core's serial
//!   verdict, and exactly the plaintext the core's serial opener releases
//!   (tamper).
//!
//! `PROPTEST_CASES=N` overrides the case counts.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::{CHUNK, CONTEXT, KEY, SALT, message, reference_open};
use ebak_core::aead::DefaultAead;
use ebak_core::cobblestone;
use ebak_stream::{BATCH_CHUNKS, OpenError, OpenReader, SealWriter, find_error};
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::io::{Read, Write};

const BATCH: usize = BATCH_CHUNKS * CHUNK;

fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default_cases);
    Config { cases, ..Config::default() }
}

/// Lengths near 0, a chunk, a batch and two batches.
fn length() -> impl Strategy<Value = usize> {
    prop_oneof![0..100usize, CHUNK - 50..CHUNK + 50, BATCH - 50..BATCH + 50, 2 * BATCH - 20..2 * BATCH + CHUNK + 20]
}

/// Piece sizes from one byte to more than a batch.
fn pieces() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![1..20usize, 16_000..17_000usize, 1..BATCH + 1000], 1..6)
}

fn seal(msg: &[u8], pieces: &[usize], threads: usize) -> Vec<u8> {
    let mut w = SealWriter::<_, DefaultAead>::with_key(&KEY, &SALT, CONTEXT, Vec::new(), threads).unwrap();
    let mut rest = msg;
    for &p in pieces.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (now, later) = rest.split_at(p.min(rest.len()));
        w.write_all(now).unwrap();
        rest = later;
    }
    w.finish().unwrap().0
}

/// Reads `ct` through an `OpenReader` in `pieces`: what it released, and
/// the payload error it ended with (or the prefix error from the
/// constructor).
fn open(ct: &[u8], pieces: &[usize], threads: usize) -> (Vec<u8>, Option<cobblestone::PayloadError>) {
    let mut r = match OpenReader::<_, DefaultAead>::with_key(&KEY, CONTEXT, ct, threads) {
        Ok(r) => r,
        Err(OpenError::Payload(e)) => return (Vec::new(), Some(e)),
        Err(e) => panic!("{e}"),
    };
    let mut out = Vec::new();
    let mut buf = vec![0u8; pieces.iter().copied().max().unwrap_or(1)];
    for k in 0.. {
        let p = pieces[k % pieces.len()];
        match r.read(&mut buf[..p]) {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => match find_error::<OpenError>(&e) {
                Some(OpenError::Payload(p)) => return (out, Some(*p)),
                other => panic!("not a payload error: {other:?}"),
            },
        }
    }
    (out, None)
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn open_after_seal_is_the_identity_for_any_pieces(
        len in length(),
        write in pieces(),
        read in pieces(),
        threads in 1usize..=3,
    ) {
        let msg = message(len);
        let sealed = seal(&msg, &write, threads);
        prop_assert!(sealed == cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap());
        let (opened, verdict) = open(&sealed, &read, threads);
        prop_assert_eq!(verdict, None);
        prop_assert!(opened == msg);
    }

    #[test]
    fn damage_gets_the_cores_verdict_and_release(
        len in length(),
        read in pieces(),
        threads in 1usize..=3,
        damage in 0u8..3,
        at in any::<prop::sample::Index>(),
        extra in prop::collection::vec(any::<u8>(), 1..40),
    ) {
        let msg = message(len);
        let mut ct = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
        let i = at.index(ct.len());
        match damage {
            0 => ct[i] ^= extra[0] | 1,
            1 => ct.truncate(i),
            _ => ct.extend_from_slice(&extra),
        }
        let (released, expected) = reference_open::<DefaultAead>(&KEY, CONTEXT, &ct);
        prop_assert!(expected.is_some(), "the core accepted damaged bytes");
        let (out, verdict) = open(&ct, &read, threads);
        prop_assert_eq!(verdict, expected);
        prop_assert!(out == released, "released {} bytes, the core {}", out.len(), released.len());
    }
}
