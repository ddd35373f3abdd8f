//! The fuzz target's invariants (`ebak_crypt15::fuzzing::check_header`) on
//! stable Rust: over the checked-in corpus, over tens of thousands of
//! deterministic hostile inputs, and over the named regressions that
//! fuzzing found.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed expectation is a test failure"
)]

#[path = "common/encoder.rs"]
#[allow(dead_code, reason = "shared with the CLI tests, which use all of it")]
mod encoder;

use ebak_crypt15::fuzzing::check_header;
use encoder::Fixture;
use std::path::PathBuf;

fn check(data: &[u8]) {
    if let Err(v) = check_header(data) {
        panic!("{v} on input {data:02x?}");
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/crypt15_header")
}

/// The seeds: small whole files of every variant, and a key file.
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let root = [0x42; 32]; // the key check_header decrypts under
    let db = encoder::sqlite_like(40, 1);
    let zip = encoder::stored_zip(&[("s.webp", b"RIFF")]);
    vec![
        ("msgstore-flag-md5", encoder::encrypt(&root, &Fixture::msgstore(), &encoder::zlib(&db))),
        (
            "msgstore-noflag-md5",
            encoder::encrypt(&root, &Fixture { feature_table: false, ..Fixture::msgstore() }, &encoder::zlib(&db)),
        ),
        ("multifile-zip", encoder::encrypt(&root, &Fixture::multi_file(), &zip)),
        (
            "minimal-header",
            encoder::encrypt(
                &root,
                &Fixture { key_type: None, app_version: None, features: vec![], ..Fixture::multi_file() },
                &encoder::zlib(b""),
            ),
        ),
        ("key-file", encoder::key_file(&root)),
    ]
}

/// Writes the seeds into fuzz/corpus/crypt15_header (run by hand:
/// `cargo test -p ebak-crypt15 --test hostile -- --ignored write_seeds`).
#[test]
#[ignore = "writes into the source tree; run by hand to refresh the seeds"]
fn write_seeds() {
    std::fs::create_dir_all(corpus_dir()).unwrap();
    for (name, bytes) in seeds() {
        std::fs::write(corpus_dir().join(name), bytes).unwrap();
    }
}

#[test]
fn the_checked_in_corpus_holds_the_seeds_and_passes() {
    for (name, bytes) in seeds() {
        let path = corpus_dir().join(name);
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(on_disk, bytes, "{name}: the seed differs from what the encoder writes");
    }
    let mut n = 0;
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        check(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n >= 6, "{n} corpus files");
}

#[test]
fn the_seeds_really_decrypt_under_the_fuzz_key() {
    // So that mutations start from files that get all the way to the tag.
    for (name, bytes) in seeds() {
        if name == "key-file" {
            continue;
        }
        let r = ebak_crypt15::decrypt(&ebak_crypt15::RootKey::from_bytes([0x42; 32]), bytes.as_slice(), Vec::new());
        assert!(r.is_ok(), "{name}: {:?}", r.err());
    }
}

#[test]
fn mutated_files_keep_every_invariant() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let seeds = seeds();
    for round in 0..6000 {
        let (_, seed) = &seeds[round % seeds.len()];
        let mut data = seed.clone();
        for _ in 0..=rng.below(4) {
            match rng.below(6) {
                0 if !data.is_empty() => {
                    let i = rng.below(data.len());
                    data[i] ^= 1 << rng.below(8);
                }
                1 if !data.is_empty() => {
                    let i = rng.below(data.len().min(300));
                    data[i] = rng.byte();
                }
                2 => {
                    let i = rng.below(data.len() + 1);
                    data.insert(i, rng.byte());
                }
                3 if !data.is_empty() => {
                    let i = rng.below(data.len());
                    data.remove(i);
                }
                4 => data.truncate(rng.below(data.len() + 1)),
                _ if !data.is_empty() => data[0] = rng.byte(),
                _ => {}
            }
        }
        check(&data);
    }
}

#[test]
fn every_length_byte_and_flag_on_every_seed() {
    for (_, seed) in seeds() {
        for n in 0..=255u8 {
            let mut d = seed.clone();
            d[0] = n;
            check(&d);
            if d.len() > 1 {
                for flag in [0x00, 0x01, 0x02, 0x08, 0x1a, 0x80, 0xff] {
                    d[1] = flag;
                    check(&d);
                }
            }
        }
    }
}

/// Protobuf soup: random tags of every wire type, varints of every length,
/// lengths that overrun, nested messages at fields 3 and 4.
#[test]
fn random_protobuf_soup_keeps_every_invariant() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for _ in 0..8000 {
        let mut p = Vec::new();
        for _ in 0..rng.below(12) {
            let field = match rng.below(4) {
                0 => rng.below(6) as u64,
                1 => rng.below(64) as u64,
                2 => (1 << 29) - 1 + rng.below(3) as u64,
                _ => rng.next() >> rng.below(64),
            };
            let wire = rng.below(8) as u64;
            push_varint(&mut p, field << 3 | wire);
            match wire {
                0 => push_varint(&mut p, rng.next() >> rng.below(64)),
                1 => p.extend(rng.next().to_le_bytes()),
                2 => {
                    let body_len = rng.below(24);
                    let claimed = if rng.below(5) == 0 { body_len + rng.below(300) } else { body_len };
                    push_varint(&mut p, claimed as u64);
                    let mut body = Vec::new();
                    if rng.below(2) == 0 {
                        body.extend([0x0a, 16]);
                        body.extend((0..16).map(|_| rng.byte()));
                    }
                    body.extend((0..body_len).map(|_| rng.byte()));
                    p.extend(body);
                }
                5 => p.extend((rng.next() as u32).to_le_bytes()),
                _ => p.extend((0..rng.below(4)).map(|_| rng.byte())),
            }
        }
        p.truncate(255);
        let mut file = vec![p.len() as u8];
        if rng.below(2) == 0 {
            file.push(1);
        }
        file.extend(&p);
        file.extend((0..rng.below(80)).map(|_| rng.byte()));
        check(&file);
    }
}

fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[test]
fn hostile_varints_and_lengths() {
    let iv_field = |out: &mut Vec<u8>| {
        out.extend([0x1a, 18, 0x0a, 16]);
        out.extend([0u8; 16]);
    };
    let cases: Vec<Vec<u8>> = vec![
        // A key_type varint of 11 bytes, and of 10 with overflow.
        [vec![0x08], vec![0xff; 10], vec![0x01]].concat(),
        [vec![0x08], vec![0xff; 9], vec![0x02]].concat(),
        // A length of 2^64 - 1.
        [vec![0x22], vec![0xff; 9], vec![0x01]].concat(),
        // A group start and end around the IV.
        [vec![0x23], vec![0x24]].concat(),
        // Tag with field number 2^61.
        [vec![0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]].concat(),
    ];
    for case in cases {
        let mut p = Vec::new();
        iv_field(&mut p);
        p.extend(&case);
        let mut file = vec![p.len() as u8];
        file.extend(&p);
        file.extend([0u8; 40]);
        check(&file);
        assert!(ebak_crypt15::Header::parse(&file).is_err(), "{case:02x?} accepted");
    }
}
