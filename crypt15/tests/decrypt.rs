//! Whole crypt15 files made by the test encoder (tests/common/encoder.rs,
//! written from the facts, not from the decoder) through `stream::decrypt`:
//! every variant, every split of the input, and every way to break a file.
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

use ebak_crypt15::decrypt::Md5Check;
use ebak_crypt15::{ContentError, ContentKind, DecryptError, ImportError, Layout, RootKey, decrypt, survey};
use encoder::Fixture;
use std::io::{self, Read};

const ROOT: [u8; 32] = [0x11; 32];

fn key() -> RootKey {
    RootKey::from_bytes(ROOT)
}

/// A reader that hands out at most `step` bytes per call.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn open(file: &[u8]) -> Result<(ebak_crypt15::Report, Vec<u8>), ImportError> {
    let mut out = Vec::new();
    decrypt(&key(), file, &mut out).map(|r| (r, out))
}

#[test]
fn msgstore_with_the_feature_table_flag() {
    let db = encoder::sqlite_like(200_000, 1);
    let file = encoder::encrypt(&ROOT, &Fixture::msgstore(), &encoder::zlib(&db));
    let (report, out) = open(&file).unwrap();
    assert_eq!(out, db);
    assert_eq!(report.layout, Layout::TagAndMd5);
    assert_eq!(report.content, ContentKind::Zlib);
    assert!(report.header.feature_table);
    assert_eq!(report.header.prefix.key_type, Some(1));
    assert_eq!(report.header.app_version(), Some("2.24.1.6"));
    assert_eq!(report.output_len, db.len() as u64);
    assert_eq!(report.ciphertext_len as usize, file.len() - report.header_len - 32);
}

#[test]
fn msgstore_without_the_feature_table_flag() {
    let db = encoder::sqlite_like(5000, 2);
    let f = Fixture { feature_table: false, features: vec![], ..Fixture::msgstore() };
    let file = encoder::encrypt(&ROOT, &f, &encoder::zlib(&db));
    let (report, out) = open(&file).unwrap();
    assert_eq!(out, db);
    assert!(!report.header.feature_table);
    assert_eq!(report.layout, Layout::TagAndMd5);
}

#[test]
fn multi_file_zip_without_md5() {
    let zip = encoder::stored_zip(&[("sticker1.webp", b"RIFF....WEBP one"), ("sticker2.webp", &[7u8; 3000])]);
    let file = encoder::encrypt(&ROOT, &Fixture::multi_file(), &zip);
    let (report, out) = open(&file).unwrap();
    assert_eq!(out, zip, "the ZIP is written as it is");
    assert_eq!(report.layout, Layout::TagOnly);
    assert_eq!(report.content, ContentKind::Zip);
    assert_eq!(report.ciphertext_len as usize, zip.len());
}

#[test]
fn the_other_combinations_also_open() {
    let db = encoder::sqlite_like(3000, 3);
    let zip = encoder::stored_zip(&[("a", b"b")]);
    for (f, payload, want, kind) in [
        (
            Fixture { md5: false, feature_table: false, ..Fixture::msgstore() },
            encoder::zlib(&db),
            db.clone(),
            ContentKind::Zlib,
        ),
        (Fixture { md5: true, ..Fixture::multi_file() }, zip.clone(), zip.clone(), ContentKind::Zip),
        (Fixture { md5: false, ..Fixture::multi_file() }, encoder::zlib(&zip), zip.clone(), ContentKind::Zlib),
    ] {
        let (report, out) = open(&encoder::encrypt(&ROOT, &f, &payload)).unwrap();
        assert_eq!(out, want);
        assert_eq!(report.content, kind);
        assert_eq!(report.layout, if f.md5 { Layout::TagAndMd5 } else { Layout::TagOnly });
    }
}

#[test]
fn every_size_around_block_and_hold_boundaries_at_every_read_size() {
    for db_len in [0usize, 1, 15, 16, 17, 31, 32, 33, 100, 65_536, 65_600] {
        let db = encoder::sqlite_like(db_len, db_len as u64);
        let db = if db_len < 16 { db[..db_len].to_vec() } else { db };
        for md5 in [true, false] {
            let f = Fixture { md5, feature_table: md5, ..Fixture::msgstore() };
            let file = encoder::encrypt(&ROOT, &f, &encoder::zlib(&db));
            for step in [1, 7, 16, 31, 32, 33, 4096, 1 << 20] {
                let mut out = Vec::new();
                let r = decrypt(&key(), Trickle { data: &file, step }, &mut out)
                    .unwrap_or_else(|e| panic!("len {db_len} md5 {md5} step {step}: {e}"));
                assert_eq!(out, db, "len {db_len} md5 {md5} step {step}");
                assert_eq!(r.layout, if md5 { Layout::TagAndMd5 } else { Layout::TagOnly });
            }
        }
    }
}

#[test]
fn a_wrong_key_is_told_apart_by_the_md5() {
    let db = encoder::sqlite_like(4000, 4);
    let file = encoder::encrypt(&ROOT, &Fixture::msgstore(), &encoder::zlib(&db));
    let mut out = Vec::new();
    let err = decrypt(&RootKey::from_bytes([0x12; 32]), file.as_slice(), &mut out).unwrap_err();
    let ImportError::Decrypt { error, feature_table, content_looked_right, .. } = err else { panic!("{err}") };
    assert_eq!(error, DecryptError::Authentication { md5: Md5Check::Matches });
    assert!(feature_table);
    assert!(!content_looked_right, "random plaintext does not look like zlib");
    assert!(error.to_string().contains("wrong key or damaged file"));
    assert!(error.to_string().contains("the key is wrong"));

    // Without an MD5, only "wrong key or damaged file", and the hint.
    let zip = encoder::stored_zip(&[("a", b"b")]);
    let file = encoder::encrypt(&ROOT, &Fixture::multi_file(), &zip);
    let err = decrypt(&RootKey::from_bytes([0x12; 32]), file.as_slice(), &mut Vec::new()).unwrap_err();
    let ImportError::Decrypt { error, content_looked_right, .. } = err else { panic!("{err}") };
    assert_eq!(error, DecryptError::Authentication { md5: Md5Check::Differs });
    assert!(!content_looked_right);
}

/// Every flipped bit is refused, and the class of the error says where it
/// was: the MD5 (the tag verifies, the MD5 does not), the ciphertext, the
/// tag or the IV (no tag verifies, and the MD5 does not match), or the rest
/// of the header (anything but success: the MD5 covers it).
#[test]
fn every_flipped_bit_is_refused_with_the_right_class() {
    let db = encoder::sqlite_like(600, 5);
    let f = Fixture::msgstore();
    let file = encoder::encrypt(&ROOT, &f, &encoder::zlib(&db));
    let header_len = encoder::header(&f).len();
    let md5_at = file.len() - 16;
    let iv_at = file.windows(16).position(|w| w == f.iv).unwrap();
    let no_tag = DecryptError::Authentication { md5: Md5Check::Differs };
    for byte in 0..file.len() {
        for bit in [0, 3, 7] {
            let mut bad = file.clone();
            bad[byte] ^= 1 << bit;
            let err = open(&bad).err().unwrap_or_else(|| panic!("byte {byte} bit {bit} accepted"));
            let class = match &err {
                ImportError::Decrypt { error, .. } => Some(*error),
                _ => None,
            };
            if byte >= md5_at {
                assert_eq!(class, Some(DecryptError::Md5Mismatch), "byte {byte} (MD5)");
            } else if byte >= header_len || (iv_at..iv_at + 16).contains(&byte) {
                assert_eq!(class, Some(no_tag), "byte {byte} (ciphertext, tag or IV)");
            }
        }
    }
}

#[test]
fn header_bytes_outside_the_iv_are_not_authenticated_but_are_covered_by_the_md5() {
    // Flip the app version's first character: the header still parses, the
    // tag still verifies (the header is not authenticated), and only the
    // MD5 notices.
    let db = encoder::sqlite_like(600, 6);
    let f = Fixture::msgstore();
    let file = encoder::encrypt(&ROOT, &f, &encoder::zlib(&db));
    let at = file.windows(8).position(|w| w == b"2.24.1.6").unwrap();
    let mut bad = file.clone();
    bad[at] = b'9';
    let err = open(&bad).unwrap_err();
    assert!(matches!(err, ImportError::Decrypt { error: DecryptError::Md5Mismatch, .. }), "{err:?}");
    // Without an MD5, nothing can notice: the file opens and reports the
    // altered version. This is what "the header is not authenticated" means.
    let f = Fixture { md5: false, feature_table: false, ..Fixture::msgstore() };
    let mut file = encoder::encrypt(&ROOT, &f, &encoder::zlib(&db));
    let at = file.windows(8).position(|w| w == b"2.24.1.6").unwrap();
    file[at] = b'9';
    let (report, out) = open(&file).unwrap();
    assert_eq!(out, db);
    assert_eq!(report.header.app_version(), Some("9.24.1.6"));
}

#[test]
fn every_truncation_and_extension_is_refused() {
    let db = encoder::sqlite_like(300, 7);
    for f in [Fixture::msgstore(), Fixture { md5: false, feature_table: false, ..Fixture::msgstore() }] {
        let file = encoder::encrypt(&ROOT, &f, &encoder::zlib(&db));
        for len in 0..file.len() {
            assert!(open(&file[..len]).is_err(), "truncated to {len} accepted");
        }
        let mut longer = file.clone();
        longer.push(0);
        assert!(open(&longer).is_err());
    }
    // A truncated msgstore decrypting cleanly so far says so in its hint.
    let db = encoder::sqlite_like(100_000, 8);
    let f = Fixture { md5: false, feature_table: false, ..Fixture::msgstore() };
    let file = encoder::encrypt(&ROOT, &f, &encoder::zlib(&db));
    let err = open(&file[..file.len() / 2]).unwrap_err();
    let ImportError::Decrypt { zlib_unfinished, content_looked_right, .. } = err else { panic!("{err:?}") };
    assert!(zlib_unfinished && content_looked_right);
}

#[test]
fn a_msgstore_that_lost_exactly_its_md5() {
    let db = encoder::sqlite_like(1000, 13);
    // With the feature-table flag, the file must end with an MD5.
    let file = encoder::encrypt(&ROOT, &Fixture::msgstore(), &encoder::zlib(&db));
    let err = open(&file[..file.len() - 16]).unwrap_err();
    assert!(matches!(err, ImportError::Decrypt { error: DecryptError::Md5Missing, .. }), "{err:?}");
    // Without the flag nothing says an MD5 was there: the rest of the file
    // is complete and authenticated, so it opens as a tag-only file with
    // the same content (a documented limit; nothing can be altered this way).
    let f = Fixture { feature_table: false, features: vec![], ..Fixture::msgstore() };
    let file = encoder::encrypt(&ROOT, &f, &encoder::zlib(&db));
    let (report, out) = open(&file[..file.len() - 16]).unwrap();
    assert_eq!((report.layout, out), (Layout::TagOnly, db));
}

#[test]
fn a_bad_md5_is_refused_even_though_the_tag_verifies() {
    let db = encoder::sqlite_like(1000, 9);
    let mut file = encoder::encrypt(&ROOT, &Fixture::msgstore(), &encoder::zlib(&db));
    let n = file.len();
    file[n - 16..].copy_from_slice(&[0u8; 16]);
    let err = open(&file).unwrap_err();
    assert!(matches!(err, ImportError::Decrypt { error: DecryptError::Md5Mismatch, .. }), "{err:?}");
}

#[test]
fn authenticated_content_that_is_not_zlib_or_zip_is_an_unknown_variant() {
    let f = Fixture::msgstore();
    let raw = b"SQLite format 3\0 not compressed".to_vec();
    let err = open(&encoder::encrypt(&ROOT, &f, &raw)).unwrap_err();
    assert!(matches!(&err, ImportError::Content(ContentError::Unknown { first_bytes }) if first_bytes == b"SQLi"));
    assert!(err.to_string().contains("unknown variant"));
    // A zlib stream with junk after it, or cut short, authenticated.
    let mut z = encoder::zlib(b"db");
    z.extend(b"junk");
    let err = open(&encoder::encrypt(&ROOT, &f, &z)).unwrap_err();
    assert!(matches!(err, ImportError::Content(ContentError::TrailingData(4))), "{err:?}");
    let z = encoder::zlib(&encoder::sqlite_like(1000, 10));
    let err = open(&encoder::encrypt(&ROOT, &f, &z[..z.len() - 3])).unwrap_err();
    assert!(matches!(err, ImportError::Content(ContentError::ZlibIncomplete)), "{err:?}");
}

#[test]
fn crypt14_and_foreign_files_are_named() {
    // A crypt14 header: BackupPrefix field 2.
    let mut p = vec![0x12, 0x02, 0x0a, 0x00];
    p.insert(0, p.len() as u8);
    p.extend([0u8; 64]);
    let err = open(&p).unwrap_err();
    assert!(err.to_string().contains("crypt14"), "{err}");
    let err = open(b"SQLite format 3\0......................................").unwrap_err();
    assert!(matches!(err, ImportError::Header(_)), "{err:?}");
    assert!(matches!(open(b"").unwrap_err(), ImportError::Header(ebak_crypt15::HeaderError::Empty)));
}

#[test]
fn survey_tells_the_layout_without_the_key() {
    let db = encoder::sqlite_like(70_000, 11);
    for (f, md5) in [(Fixture::msgstore(), Md5Check::Matches), (Fixture::multi_file(), Md5Check::Differs)] {
        let file = encoder::encrypt(&ROOT, &f, &encoder::zlib(&db));
        for step in [1, 15, 16, 17, 1 << 20] {
            let s = survey(Trickle { data: &file, step }).unwrap();
            assert_eq!(s.md5, md5);
            assert_eq!(s.header_len + s.body_len as usize, file.len());
        }
        let mut bad = file.clone();
        bad[f.iv.len() + 10] ^= 1;
        if f.md5 {
            assert_eq!(survey(bad.as_slice()).map(|s| s.md5).unwrap_or(Md5Check::Differs), Md5Check::Differs);
        }
    }
}

#[test]
fn key_files_from_the_encoder_parse() {
    let file = encoder::key_file(&ROOT);
    assert_eq!(file.len(), 59);
    let k = ebak_crypt15::parse_key_file(&file).unwrap();
    assert_eq!(k.expose_secret(), &ROOT);
    let db = encoder::sqlite_like(100, 12);
    let c = encoder::encrypt(&ROOT, &Fixture::msgstore(), &encoder::zlib(&db));
    let mut out = Vec::new();
    decrypt(&k, c.as_slice(), &mut out).unwrap();
    assert_eq!(out, db);
}

#[test]
fn the_encoder_agrees_with_an_independent_hkdf_value() {
    // Python: hmac.new(hmac.new(b"", bytes(range(32)), sha256).digest(),
    //                  b"backup encryption\x01", sha256).hexdigest()
    let root: [u8; 32] = core::array::from_fn(|i| i as u8);
    let want = "4e54c0777a7214dfdf0af5b6e153acfa2fbdac603fea6fd1630b824e5c29eef5";
    let got: String = encoder::encryption_key(&root).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(got, want);
}

/// spec/whatsapp-crypt15.md section 9: the file wa-crypt-tools 0.1.0 wrote
/// (checked in as a fuzz seed) opens to the 33 bytes it was given.
#[test]
fn the_worked_example_from_the_independent_encoder() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus/crypt15_header/wa-crypt-tools-0.1.0-msgstore");
    let file = std::fs::read(path).unwrap();
    let root = RootKey::from_bytes(core::array::from_fn(|i| i as u8));
    let mut out = Vec::new();
    let report = decrypt(&root, file.as_slice(), &mut out).unwrap();
    assert_eq!(out, b"SQLite format 3\0hello hello hello");
    assert_eq!((report.header_len, report.layout, report.ciphertext_len), (135, Layout::TagAndMd5, 31));
    assert_eq!(report.header.app_version(), Some("2.23.18.12"));
}
