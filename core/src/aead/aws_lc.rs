//! AWS-LC's AES-256-GCM (through `aws-lc-rs`) behind the [`Aead`] trait:
//! the optional fast backend (cargo feature `aws-lc`).
//!
//! # `no_std`
//!
//! The core itself is `#![no_std]` and stays so with this feature: nothing
//! in this module uses `std`. But `aws-lc-rs` is a `std` crate (it links
//! the AWS-LC C library and Rust's `std`), so enabling the feature makes
//! every build that uses the core link `std`, and the feature is for
//! hosted targets only. The default backend, RustCrypto's pure-Rust
//! `aes-gcm`, remains the one for `no_std` targets, audit and extraction.
//!
//! # Same bytes
//!
//! AES-256-GCM with a 96-bit nonce and a 128-bit tag is a deterministic
//! function of key, nonce, AAD and message (NIST SP 800-38D), so both
//! backends must give identical bytes. CI checks it: the Wycheproof
//! AES-GCM and Cobblestone-256 suites and the ebak vector suites run under
//! both backends, and `tests/backends.rs` seals the same inputs with both
//! and compares.
//!
//! # Tag before plaintext
//!
//! AWS-LC decrypts and authenticates in one pass, so on a tag mismatch the
//! buffer has been overwritten with unauthenticated keystream output. The
//! trait allows that (the content is then unspecified and must not be
//! released); this backend wipes the buffer itself on failure as well, so
//! no caller can release it by mistake, and [`crate::cobblestone`] wipes
//! it again. Only `Ok` releases plaintext, and only after AWS-LC compared
//! the tag (in constant time, `CRYPTO_memcmp`).

use super::{Aead, AeadError, KEY_SIZE, NONCE_SIZE, TAG_SIZE};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use core::fmt;
use zeroize::Zeroize;

/// AWS-LC's AES-256-GCM: assembly for AES-NI, VAES and AVX-512 where the
/// CPU has them, selected at run time.
///
/// The key schedule lives in AWS-LC's memory, which AWS-LC wipes when it
/// is freed (its `OPENSSL_free` cleanses every allocation).
pub struct AwsLcAes256Gcm {
    /// `None` only if AWS-LC refused the key, which it does for a wrong
    /// key length alone (impossible with a 32-byte array). Rather than
    /// panic, such a cipher then fails every operation.
    key: Option<LessSafeKey>,
}

impl fmt::Debug for AwsLcAes256Gcm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AwsLcAes256Gcm([redacted])")
    }
}

impl AwsLcAes256Gcm {
    fn key(&self) -> Result<&LessSafeKey, AeadError> {
        self.key.as_ref().ok_or(AeadError)
    }
}

impl Aead for AwsLcAes256Gcm {
    fn new(key: &[u8; KEY_SIZE]) -> Self {
        Self { key: UnboundKey::new(&AES_256_GCM, key).ok().map(LessSafeKey::new) }
    }

    fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_SIZE],
        aad: &[u8],
        buffer: &mut [u8],
    ) -> Result<[u8; TAG_SIZE], AeadError> {
        let tag = self
            .key()?
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), buffer)
            .map_err(|_| AeadError)?;
        // The tag of AES_256_GCM is always 16 bytes; anything else is an
        // error, never a truncated or padded tag.
        <[u8; TAG_SIZE]>::try_from(tag.as_ref()).map_err(|_| AeadError)
    }

    fn open_in_place(
        &self,
        nonce: &[u8; NONCE_SIZE],
        aad: &[u8],
        buffer: &mut [u8],
        tag: &[u8; TAG_SIZE],
    ) -> Result<(), AeadError> {
        let key = self.key()?;
        match key.open_in_place_separate_tag(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), tag, buffer) {
            Ok(_) => Ok(()),
            Err(_) => {
                // Unauthenticated output: never leave it for a caller.
                buffer.zeroize();
                Err(AeadError)
            }
        }
    }
}
