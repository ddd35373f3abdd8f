//! Hostile input: every parser and opener gets garbage and must answer with
//! an error of the right class, never a panic (the fuzz targets go much
//! further; these run in every `cargo test`).
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed expectation is a test failure"
)]

use ebak_core::aead::DefaultAead as A;
use ebak_core::file::{self, Secret};
use ebak_core::header::{Header, MAGIC, MAX_HEADER_SIZE};
use ebak_core::kdf::KdfLimits;
use ebak_core::{BackupKey, ErrorClass, recovery_key};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Gen(u64);
impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn random_bytes_never_parse_as_a_header_or_open() {
    let mut g = Gen(0x5eed);
    let bk = BackupKey::from_bytes([1; 32]);
    for i in 0..2_000 {
        let len = (g.next() % 600) as usize;
        let mut input = g.bytes(len);
        if i % 2 == 0 {
            // Give half the inputs a valid start so deeper checks run.
            let prefix = [&MAGIC[..], &[1, (g.next() % 10) as u8]].concat();
            let n = prefix.len().min(input.len());
            input[..n].copy_from_slice(&prefix[..n]);
        }
        let _ = Header::parse(&input);
        let r = file::open::<A>(&input, &Secret::key(&bk), b"", &KdfLimits::V1);
        assert!(r.is_err());
        let r =
            file::open::<A>(&input, &Secret::password("pw"), b"", &KdfLimits { max_memory_kib: 1024, ..KdfLimits::V1 });
        assert!(r.is_err());
    }
}

#[test]
fn a_huge_declared_body_allocates_nothing() {
    // body_len 0xffff on an unknown slot type is rejected before reading.
    let mut h = MAGIC.to_vec();
    h.extend_from_slice(&[1, 1, 0x07, 0xff, 0xff]);
    assert!(Header::parse(&h).is_err());
    const { assert!(MAX_HEADER_SIZE < 9_000) };
}

#[test]
fn recovery_key_parser_rejects_garbage() {
    let mut g = Gen(77);
    for _ in 0..5_000 {
        let len = (g.next() % 100) as usize;
        let text: String = (0..len).map(|_| char::from_u32((g.next() % 0x3000) as u32).unwrap_or('?')).collect();
        if let Ok(k) = recovery_key::parse(&text) {
            assert_eq!(recovery_key::parse(&recovery_key::format(&k)), Ok(k));
        }
    }
}

#[test]
fn every_truncation_of_a_small_file_fails_in_the_right_class() {
    let bk = BackupKey::from_bytes([3; 32]);
    let f = file::seal::<A>(&bk, vec![], b"", &[0; 24], b"hello").unwrap();
    let header_len = file::split(&f).unwrap().0.encoded_len();
    for cut in 0..f.len() {
        let class = file::open::<A>(&f[..cut], &Secret::key(&bk), b"", &KdfLimits::V1).unwrap_err().class();
        let want = if cut < header_len { ErrorClass::HeaderParse } else { ErrorClass::Payload };
        assert_eq!(class, want, "cut at {cut}");
    }
}
