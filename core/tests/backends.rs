//! Both AEAD backends produce identical bytes (`--features aws-lc`).
//!
//! The vector suites check each backend against published bytes; this test
//! checks them against each other on inputs no vector covers: every length
//! from 0 to 1 KiB and around the chunk size, AAD or none, whole
//! Cobblestone messages, password slots and whole files. Each side also
//! opens what the other sealed, and both reject the same forgeries.
#![cfg(feature = "aws-lc")]
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    reason = "test code: a failed expectation is a test failure"
)]

use ebak_core::aead::{Aead, AwsLcAes256Gcm, RustCryptoAes256Gcm};
use ebak_core::file::{self, Secret};
use ebak_core::header::Slot;
use ebak_core::kdf::{KdfLimits, KdfParams};
use ebak_core::slot::PasswordSlot;
use ebak_core::{BackupKey, cobblestone};

type Rc = RustCryptoAes256Gcm;
type Lc = AwsLcAes256Gcm;

/// A forged input: ciphertext, tag, nonce, AAD.
type Forgery<'a> = (Vec<u8>, [u8; 16], [u8; 12], &'a [u8]);

/// splitmix64: deterministic test inputs, no dependency.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        self.bytes(N).try_into().unwrap()
    }
}

/// The lengths every comparison covers: all of 0..=1024, then around the
/// AES block, the chunk and a few chunks.
fn lengths() -> Vec<usize> {
    let mut v: Vec<usize> = (0..=1024).collect();
    for around in [4096, 16_384, 16_400, 32_768, 65_536, 3 * 16_384 + 5] {
        v.extend([around - 1, around, around + 1]);
    }
    v
}

#[test]
fn raw_aead_seal_gives_identical_bytes_and_each_opens_the_other() {
    let mut g = Gen(1);
    for len in lengths() {
        let key: [u8; 32] = g.array();
        let nonce: [u8; 12] = g.array();
        let aad = g.bytes(len % 40);
        let msg = g.bytes(len);
        let (rc, lc) = (Rc::new(&key), Lc::new(&key));

        let mut a = msg.clone();
        let tag_a = rc.seal_in_place(&nonce, &aad, &mut a).unwrap();
        let mut b = msg.clone();
        let tag_b = lc.seal_in_place(&nonce, &aad, &mut b).unwrap();
        assert_eq!(a, b, "ciphertext differs at length {len}");
        assert_eq!(tag_a, tag_b, "tag differs at length {len}");

        // Each opens what the other sealed.
        let mut x = a.clone();
        lc.open_in_place(&nonce, &aad, &mut x, &tag_a).unwrap();
        assert_eq!(x, msg, "aws-lc did not open rustcrypto's output at length {len}");
        let mut y = b.clone();
        rc.open_in_place(&nonce, &aad, &mut y, &tag_b).unwrap();
        assert_eq!(y, msg, "rustcrypto did not open aws-lc's output at length {len}");
    }
}

#[test]
fn both_reject_the_same_forgeries_and_aws_lc_wipes_the_buffer() {
    let mut g = Gen(2);
    for len in [0, 1, 15, 16, 17, 255, 16_384] {
        let key: [u8; 32] = g.array();
        let nonce: [u8; 12] = g.array();
        let msg = g.bytes(len);
        let rc = Rc::new(&key);
        let lc = Lc::new(&key);
        let mut ct = msg.clone();
        let tag = rc.seal_in_place(&nonce, b"aad", &mut ct).unwrap();

        let mut forgeries: Vec<Forgery<'_>> = Vec::new();
        let mut bad_tag = tag;
        bad_tag[len % 16] ^= 0x01;
        forgeries.push((ct.clone(), bad_tag, nonce, b"aad"));
        let mut bad_nonce = nonce;
        bad_nonce[11] ^= 0x80;
        forgeries.push((ct.clone(), tag, bad_nonce, b"aad"));
        forgeries.push((ct.clone(), tag, nonce, b"aae"));
        if len > 0 {
            let mut bad_ct = ct.clone();
            bad_ct[len / 2] ^= 0x40;
            forgeries.push((bad_ct, tag, nonce, b"aad"));
        }
        for (i, (body, t, n, aad)) in forgeries.into_iter().enumerate() {
            let mut a = body.clone();
            let mut b = body.clone();
            assert!(rc.open_in_place(&n, aad, &mut a, &t).is_err(), "rustcrypto accepted forgery {i} ({len})");
            assert!(lc.open_in_place(&n, aad, &mut b, &t).is_err(), "aws-lc accepted forgery {i} ({len})");
            assert!(b.iter().all(|&x| x == 0), "aws-lc left unauthenticated output (forgery {i}, length {len})");
        }
    }
}

#[test]
fn cobblestone_messages_are_identical_and_cross_open() {
    let mut g = Gen(3);
    for len in [0, 1, 100, 16_383, 16_384, 16_385, 32_768, 5 * 16_384 + 77] {
        let key: [u8; 32] = g.array();
        let salt: [u8; 24] = g.array();
        let ctx = g.bytes(len % 23);
        let msg = g.bytes(len);
        let a = cobblestone::seal::<Rc>(&key, &salt, &ctx, &msg).unwrap();
        let b = cobblestone::seal::<Lc>(&key, &salt, &ctx, &msg).unwrap();
        assert_eq!(a, b, "Cobblestone ciphertext differs at length {len}");
        assert_eq!(cobblestone::open::<Lc>(&key, &ctx, &a).unwrap(), msg);
        assert_eq!(cobblestone::open::<Rc>(&key, &ctx, &b).unwrap(), msg);
        // A flipped byte in the last chunk: the same error from both.
        let mut bad = a.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(cobblestone::open::<Rc>(&key, &ctx, &bad), cobblestone::open::<Lc>(&key, &ctx, &bad));
        assert!(cobblestone::open::<Lc>(&key, &ctx, &bad).is_err());
    }
}

#[test]
fn password_slots_and_whole_files_are_identical() {
    let mut g = Gen(4);
    let key = BackupKey::from_bytes(g.array());
    // Cheap costs: this compares the wrap, not Argon2.
    let params = KdfParams { memory_kib: 64, iterations: 1, parallelism: 1 };
    let (kdf_salt, wrap_salt): ([u8; 16], [u8; 24]) = (g.array(), g.array());
    let slot_a = PasswordSlot::create_without_floor::<Rc>(&key, "pw", params, kdf_salt, wrap_salt).unwrap();
    let slot_b = PasswordSlot::create_without_floor::<Lc>(&key, "pw", params, kdf_salt, wrap_salt).unwrap();
    let (sa, sb) = (Slot::Password(slot_a), Slot::Password(slot_b));
    assert_eq!(sa.to_bytes(), sb.to_bytes(), "password slot differs");

    let salt: [u8; 24] = g.array();
    let msg = g.bytes(40_000);
    let fa = file::seal::<Rc>(&key, vec![sa], b"msgstore", &salt, &msg).unwrap();
    let fb = file::seal::<Lc>(&key, vec![sb], b"msgstore", &salt, &msg).unwrap();
    assert_eq!(fa, fb, "whole file differs");
    let opened = file::open::<Lc>(&fa, &Secret::password("pw"), b"msgstore", &KdfLimits::V1).unwrap();
    assert_eq!(opened, msg);
    assert!(file::open::<Lc>(&fa, &Secret::password("wrong"), b"msgstore", &KdfLimits::V1).is_err());
}
