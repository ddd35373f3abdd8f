//! A small crypt15 encoder for tests, written from the public facts about
//! the format and NOT from ebak's decoder: its protobuf is written byte by
//! byte, its GCM is RustCrypto's `AesGcm<Aes256, U16>` (not ebak's
//! streaming GCM), its HKDF is HMAC written out, its key file is the Java
//! serialization grammar spelled out. Shared by the crypt15 and CLI tests.

use aes_gcm::aead::AeadInOut;
use aes_gcm::aead::consts::U16;
use aes_gcm::aes::Aes256;
use aes_gcm::{AesGcm, KeyInit, Nonce};
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;
use std::io::Write;

/// What to put in a fixture.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// Write the 0x01 feature-table flag after the length byte.
    pub feature_table: bool,
    /// End with an MD5 of the file (msgstore files do).
    pub md5: bool,
    /// The GCM IV.
    pub iv: [u8; 16],
    /// BackupPrefix.key_type.
    pub key_type: Option<u64>,
    /// BackupPrefix.info.app_version.
    pub app_version: Option<String>,
    /// BackupPrefix.info feature fields set to true.
    pub features: Vec<u32>,
}

impl Fixture {
    /// A msgstore file as the app writes it: flag, MD5, key type 1, a version.
    pub fn msgstore() -> Self {
        Self {
            feature_table: true,
            md5: true,
            iv: core::array::from_fn(|i| 0xa0 ^ i as u8),
            key_type: Some(1),
            app_version: Some("2.24.1.6".to_owned()),
            features: (5..=39).filter(|n| *n != 34 && *n != 38).collect(),
        }
    }

    /// A multi-file (stickers, wallpapers) file: no flag, no MD5.
    pub fn multi_file() -> Self {
        Self {
            feature_table: false,
            md5: false,
            iv: [0x3c; 16],
            key_type: Some(1),
            app_version: Some("2.24.1.6".to_owned()),
            features: vec![],
        }
    }
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn len_field(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    varint(out, field << 3 | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// The BackupPrefix protobuf.
pub fn backup_prefix(f: &Fixture) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(k) = f.key_type {
        out.push(0x08); // field 1, varint
        varint(&mut out, k);
    }
    let mut iv = vec![0x0a, 16]; // field 1, length 16
    iv.extend_from_slice(&f.iv);
    len_field(&mut out, 3, &iv);
    if f.app_version.is_some() || !f.features.is_empty() {
        let mut info = Vec::new();
        if let Some(v) = &f.app_version {
            len_field(&mut info, 1, v.as_bytes());
        }
        for n in &f.features {
            varint(&mut info, u64::from(*n) << 3);
            info.push(1);
        }
        len_field(&mut out, 4, &info);
    }
    out
}

/// The header: N, the flag, the protobuf.
pub fn header(f: &Fixture) -> Vec<u8> {
    let prefix = backup_prefix(f);
    let mut out = vec![u8::try_from(prefix.len()).expect("a protobuf under 256 bytes")];
    if f.feature_table {
        out.push(0x01);
    }
    out.extend(prefix);
    out
}

/// HKDF-SHA-256(ikm = root, salt = empty, info = "backup encryption", 32),
/// written out from RFC 5869 with a single output block.
pub fn encryption_key(root: &[u8; 32]) -> [u8; 32] {
    let mut extract = <Hmac<Sha256> as KeyInit>::new_from_slice(&[]).unwrap();
    extract.update(root);
    let prk = extract.finalize().into_bytes();
    let mut expand = <Hmac<Sha256> as KeyInit>::new_from_slice(&prk).unwrap();
    expand.update(b"backup encryption");
    expand.update(&[1]);
    expand.finalize().into_bytes().into()
}

/// A whole crypt15 file around `payload` (the zlib stream or the ZIP).
pub fn encrypt(root: &[u8; 32], f: &Fixture, payload: &[u8]) -> Vec<u8> {
    let mut out = header(f);
    let cipher = AesGcm::<Aes256, U16>::new(&encryption_key(root).into());
    let mut ct = payload.to_vec();
    let tag = cipher.encrypt_inout_detached(&Nonce::<U16>::from(f.iv), b"", ct.as_mut_slice().into()).unwrap();
    out.extend(ct);
    out.extend_from_slice(&tag);
    if f.md5 {
        let digest = Md5::digest(&out);
        out.extend_from_slice(&digest);
    }
    out
}

/// zlib (RFC 1950) at the level the app uses.
pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(1));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A ZIP archive of stored (uncompressed) entries, written by hand from
/// the PKWARE APPNOTE: local headers, central directory, end record.
pub fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let crc = crc.sum();
        let offset = out.len() as u32;
        let (n, len) = (name.len() as u16, data.len() as u32);
        out.extend(b"PK\x03\x04");
        out.extend(20u16.to_le_bytes()); // version needed
        out.extend([0u8; 2]); // flags
        out.extend([0u8; 2]); // method: stored
        out.extend([0u8; 4]); // time, date
        out.extend(crc.to_le_bytes());
        out.extend(len.to_le_bytes());
        out.extend(len.to_le_bytes());
        out.extend(n.to_le_bytes());
        out.extend([0u8; 2]); // extra length
        out.extend(name.as_bytes());
        out.extend_from_slice(data);
        central.extend(b"PK\x01\x02");
        central.extend(20u16.to_le_bytes()); // version made by
        central.extend(20u16.to_le_bytes()); // version needed
        central.extend([0u8; 2 + 2 + 4]);
        central.extend(crc.to_le_bytes());
        central.extend(len.to_le_bytes());
        central.extend(len.to_le_bytes());
        central.extend(n.to_le_bytes());
        central.extend([0u8; 2 + 2 + 2 + 2 + 4]); // extra, comment, disk, attributes
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    let cd_len = central.len() as u32;
    out.extend(central);
    out.extend(b"PK\x05\x06");
    out.extend([0u8; 4]);
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend(cd_len.to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend([0u8; 2]);
    out
}

/// `encrypted_backup.key`: a Java-serialized byte[32] (Java Object
/// Serialization Specification 6.4: TC_ARRAY, a new class descriptor for
/// "[B" with its serialVersionUID, SC_SERIALIZABLE, no fields, no
/// annotations, no superclass, then the length and the bytes).
pub fn key_file(root: &[u8; 32]) -> Vec<u8> {
    let mut out = vec![0xac, 0xed, 0x00, 0x05, 0x75, 0x72];
    out.extend(2u16.to_be_bytes());
    out.extend(b"[B");
    out.extend((-5_984_413_125_824_719_648i64).to_be_bytes());
    out.push(0x02);
    out.extend(0u16.to_be_bytes());
    out.extend([0x78, 0x70]);
    out.extend(32u32.to_be_bytes());
    out.extend_from_slice(root);
    out
}

/// Something that looks like a SQLite database and compresses somewhat.
pub fn sqlite_like(len: usize, seed: u64) -> Vec<u8> {
    let mut out = b"SQLite format 3\0".to_vec();
    let mut x = seed | 1;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if x.is_multiple_of(3) {
            out.extend_from_slice(b"INSERT INTO messages VALUES ");
        } else {
            out.push((x >> 24) as u8);
        }
    }
    out.truncate(len.max(16));
    out
}
