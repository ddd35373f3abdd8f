//! Keys: the 32-byte root key (the 64-digit key, or the key file's last 32
//! bytes), the encryption key derived from it, and the key-file reader.
//!
//! From public reverse engineering: encryption key = HKDF-SHA-256 (RFC
//! 5869) with the root key as input keying material, an empty salt, the
//! info string "backup encryption", and 32 bytes of output.
//!
//! `encrypted_backup.key` is a Java-serialized `byte[32]` (Java Object
//! Serialization Specification, chapter 6): 27 bytes of fixed stream and
//! class-descriptor data, then the 32 key bytes, 59 bytes in all. Every one
//! of the 27 bytes is checked, so a file of another kind is never mistaken
//! for a key.

use core::fmt;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The root key's length.
pub const ROOT_KEY_BYTES: usize = 32;
/// The HKDF info string for the backup file's encryption key.
pub const BACKUP_ENCRYPTION_INFO: &[u8] = b"backup encryption";
/// The key file's length.
pub const KEY_FILE_BYTES: usize = KEY_FILE_PREFIX.len() + ROOT_KEY_BYTES;

/// Java serialization: `STREAM_MAGIC` (0xACED) and `STREAM_VERSION` (5).
const JAVA_STREAM_MAGIC: [u8; 4] = [0xac, 0xed, 0x00, 0x05];

/// The 27 bytes before the key, with what each part means.
const KEY_FILE_PREFIX: [u8; 27] = [
    0xac, 0xed, 0x00, 0x05, // STREAM_MAGIC, STREAM_VERSION
    0x75, // TC_ARRAY
    0x72, // TC_CLASSDESC
    0x00, 0x02, b'[', b'B', // class name "[B" (byte[])
    0xac, 0xf3, 0x17, 0xf8, 0x06, 0x08, 0x54, 0xe0, // serialVersionUID of byte[]
    0x02, // SC_SERIALIZABLE
    0x00, 0x00, // no fields
    0x78, // TC_ENDBLOCKDATA (no class annotation)
    0x70, // TC_NULL (no superclass)
    0x00, 0x00, 0x00, 0x20, // array length: 32
];
/// Where the array length starts in the prefix.
const ARRAY_LENGTH_OFFSET: usize = 23;

/// The root key. Wiped on drop; never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RootKey([u8; ROOT_KEY_BYTES]);

impl RootKey {
    /// Wraps 32 bytes (the 64-digit key, decoded from hexadecimal).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; ROOT_KEY_BYTES]) -> Self {
        Self(bytes)
    }

    /// The key that encrypts backup files: HKDF-SHA-256(ikm = root key,
    /// salt = empty, info = "backup encryption", L = 32).
    #[must_use]
    pub fn encryption_key(&self) -> EncryptionKey {
        let mut okm = [0u8; 32];
        hkdf_sha256_empty_salt(&self.0, BACKUP_ENCRYPTION_INFO, &mut okm);
        EncryptionKey(okm)
    }

    /// The key bytes. Named so that every use stands out in review.
    #[must_use]
    pub const fn expose_secret(&self) -> &[u8; ROOT_KEY_BYTES] {
        &self.0
    }
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKey([redacted])")
    }
}

/// The AES-256-GCM key of a backup file. Wiped on drop; never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct EncryptionKey([u8; 32]);

impl EncryptionKey {
    /// Wraps 32 bytes already derived.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key bytes.
    #[must_use]
    pub const fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptionKey([redacted])")
    }
}

/// SHA-256's block size: HMAC keys up to this long are zero-padded to it.
const SHA256_BLOCK_BYTES: usize = 64;
/// SHA-256's output size.
const SHA256_OUTPUT_BYTES: usize = 32;

/// HMAC-SHA-256 keyed with at most one block (FIPS 198-1: such a key is
/// padded with zeros to the block size, so an empty key is 64 zero bytes).
fn hmac_sha256(key: &[u8; SHA256_OUTPUT_BYTES]) -> Hmac<Sha256> {
    let mut block = [0u8; SHA256_BLOCK_BYTES];
    for (b, k) in block.iter_mut().zip(key.iter()) {
        *b = *k;
    }
    let mac = <Hmac<Sha256> as KeyInit>::new(&block.into());
    block.zeroize();
    mac
}

/// HKDF-SHA-256 (RFC 5869) with an empty salt: PRK = HMAC(0^32, IKM),
/// then T(i) = HMAC(PRK, T(i-1) || info || i) until `out` is full. At most
/// 255 blocks (RFC 5869's limit); a longer `out` is left zero past that.
pub(crate) fn hkdf_sha256_empty_salt(ikm: &[u8], info: &[u8], out: &mut [u8]) {
    // RFC 5869 2.2: an absent salt is HashLen zero bytes.
    let mut extract = hmac_sha256(&[0u8; SHA256_OUTPUT_BYTES]);
    extract.update(ikm);
    let mut prk: [u8; SHA256_OUTPUT_BYTES] = extract.finalize().into_bytes().into();
    let mut previous = [0u8; SHA256_OUTPUT_BYTES];
    let mut first = true;
    for (block, counter) in out.chunks_mut(SHA256_OUTPUT_BYTES).zip(1u8..=255) {
        let mut mac = hmac_sha256(&prk);
        if !first {
            mac.update(&previous);
        }
        mac.update(info);
        mac.update(&[counter]);
        previous = mac.finalize().into_bytes().into();
        for (o, t) in block.iter_mut().zip(previous.iter()) {
            *o = *t;
        }
        first = false;
    }
    prk.zeroize();
    previous.zeroize();
}

/// Why a key file is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The file does not start with Java's serialization magic 0xACED 0x0005.
    NotJavaSerialized,
    /// A Java-serialized object, but not a `byte[]` written as WhatsApp
    /// writes it: the first differing byte.
    NotByteArray {
        /// Offset of the first byte that differs.
        offset: usize,
    },
    /// A `byte[]` of the wrong length (131 bytes is a crypt12/crypt14 key).
    ArrayLength(u32),
    /// The file's length is not 59 bytes.
    FileLength(usize),
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJavaSerialized => f.write_str(
                "not a WhatsApp key file: it does not start with the Java serialization magic AC ED 00 05",
            ),
            Self::NotByteArray { offset } => write!(
                f,
                "not a WhatsApp key file: a Java-serialized object, but not a byte array (byte {offset} differs)"
            ),
            Self::ArrayLength(131) => f.write_str(
                "this is a crypt12/crypt14 key file (a 131-byte key); crypt15 backups use a 32-byte key (encrypted_backup.key)",
            ),
            Self::ArrayLength(n) => write!(f, "the key file holds a {n}-byte array; a crypt15 key is 32 bytes"),
            Self::FileLength(n) => write!(f, "the key file is {n} bytes long; a crypt15 key file is {KEY_FILE_BYTES} bytes"),
        }
    }
}

impl core::error::Error for KeyFileError {}

/// Reads `encrypted_backup.key`: a Java-serialized `byte[32]`, 59 bytes.
///
/// The checks, in order: the Java magic; every byte of the stream and class
/// descriptor (a `byte[]` with its fixed serialVersionUID, no fields, no
/// superclass); the array length (32); the file length (59, so nothing
/// trails the key).
///
/// # Errors
///
/// See [`KeyFileError`].
pub fn parse_key_file(bytes: &[u8]) -> Result<RootKey, KeyFileError> {
    if !bytes.starts_with(&JAVA_STREAM_MAGIC) {
        return Err(KeyFileError::NotJavaSerialized);
    }
    for (offset, want) in KEY_FILE_PREFIX.iter().enumerate().take(ARRAY_LENGTH_OFFSET) {
        if bytes.get(offset) != Some(want) {
            return Err(KeyFileError::NotByteArray { offset });
        }
    }
    let len = bytes
        .get(ARRAY_LENGTH_OFFSET..KEY_FILE_PREFIX.len())
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
        .ok_or(KeyFileError::FileLength(bytes.len()))?;
    if usize::try_from(len).ok() != Some(ROOT_KEY_BYTES) {
        return Err(KeyFileError::ArrayLength(len));
    }
    let key = bytes
        .get(KEY_FILE_PREFIX.len()..)
        .and_then(|k| <[u8; ROOT_KEY_BYTES]>::try_from(k).ok())
        .ok_or(KeyFileError::FileLength(bytes.len()))?;
    Ok(RootKey(key))
}

/// The key file for `key` (for tests and for tools that export the key).
#[must_use]
pub fn key_file_bytes(key: &RootKey) -> zeroize::Zeroizing<Vec<u8>> {
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(KEY_FILE_BYTES));
    out.extend_from_slice(&KEY_FILE_PREFIX);
    out.extend_from_slice(&key.0);
    out
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "tests compute expected values")]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn hkdf_matches_rfc5869_test_case_3() {
        // RFC 5869 A.3: SHA-256, IKM = 22 x 0x0b, salt and info empty, L = 42.
        let mut okm = [0u8; 42];
        hkdf_sha256_empty_salt(&[0x0b; 22], b"", &mut okm);
        assert_eq!(
            okm.to_vec(),
            unhex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
        );
    }

    #[test]
    fn encryption_key_matches_an_independent_computation() {
        // Python's hmac and hashlib: PRK = HMAC(b"", root);
        // OKM = HMAC(PRK, b"backup encryption\x01").
        let k = RootKey::from_bytes(core::array::from_fn(|i| u8::try_from(i).unwrap()));
        assert_eq!(
            k.encryption_key().expose_secret().to_vec(),
            unhex("4e54c0777a7214dfdf0af5b6e153acfa2fbdac603fea6fd1630b824e5c29eef5")
        );
        let k = RootKey::from_bytes([0x42; 32]);
        assert_eq!(
            k.encryption_key().expose_secret().to_vec(),
            unhex("327eae6160f3a0ff6e37d823b9d79f01f1953c501cf1fd7b7494bfed29228395")
        );
    }

    #[test]
    fn key_file_as_wa_crypt_tools_writes_it() {
        // wacreatekey --hex 000102..1f (wa-crypt-tools 0.1.0), byte for byte.
        let file = unhex(concat!(
            "aced0005757200025b42acf317f8060854e00200007870000000200",
            "00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        ));
        assert_eq!(file.len(), KEY_FILE_BYTES);
        let key = parse_key_file(&file).unwrap();
        assert_eq!(key.expose_secret(), &core::array::from_fn(|i| u8::try_from(i).unwrap()));
        assert_eq!(key_file_bytes(&key).as_slice(), file.as_slice());
        assert_eq!(format!("{key:?}"), "RootKey([redacted])");
    }

    #[test]
    fn hostile_key_files_are_refused() {
        let good = key_file_bytes(&RootKey::from_bytes([9; 32])).to_vec();
        assert_eq!(parse_key_file(&[]).unwrap_err(), KeyFileError::NotJavaSerialized);
        assert_eq!(parse_key_file(&[0u8; 59]).unwrap_err(), KeyFileError::NotJavaSerialized);
        let mut text = b"0123456789abcdef".repeat(4);
        text.truncate(59);
        assert_eq!(parse_key_file(&text).unwrap_err(), KeyFileError::NotJavaSerialized);
        for cut in 0..good.len() {
            assert!(parse_key_file(&good[..cut]).is_err(), "{cut}");
        }
        assert_eq!(parse_key_file(&good[..58]).unwrap_err(), KeyFileError::FileLength(58));
        let mut long = good.clone();
        long.push(0);
        assert_eq!(parse_key_file(&long).unwrap_err(), KeyFileError::FileLength(60));
        for offset in 4..ARRAY_LENGTH_OFFSET {
            let mut bad = good.clone();
            bad[offset] ^= 0x01;
            assert_eq!(parse_key_file(&bad).unwrap_err(), KeyFileError::NotByteArray { offset }, "{offset}");
        }
        // A crypt14 key: byte[131].
        let mut c14 = KEY_FILE_PREFIX.to_vec();
        c14[ARRAY_LENGTH_OFFSET..].copy_from_slice(&131u32.to_be_bytes());
        c14.extend([0u8; 131]);
        assert_eq!(parse_key_file(&c14).unwrap_err(), KeyFileError::ArrayLength(131));
        assert!(parse_key_file(&c14).unwrap_err().to_string().contains("crypt14"));
    }
}
