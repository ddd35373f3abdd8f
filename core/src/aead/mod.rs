//! The AEAD behind Cobblestone-256: one small trait, and RustCrypto's
//! `aes-gcm` as the default implementation.
//!
//! The core never calls an AEAD any other way, so a second backend (for
//! speed, or for a hardware module) only has to implement [`Aead`], and the
//! test suites (Wycheproof AES-GCM, the Cobblestone vectors, the ebak
//! vectors) check that it produces the same bytes.

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit};
use core::fmt;

/// AES-256 key size.
pub const KEY_SIZE: usize = 32;
/// AES-GCM nonce size (96 bits; the only size ebak uses).
pub const NONCE_SIZE: usize = 12;
/// AES-GCM tag size (128 bits; the only size ebak uses).
pub const TAG_SIZE: usize = 16;

/// The AEAD failed: on sealing, the input was too long for AES-GCM; on
/// opening, the tag did not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AeadError;

impl fmt::Display for AeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("authentication failed")
    }
}

/// AES-256-GCM with a 96-bit nonce and a 128-bit tag, in place.
///
/// Implementations must be deterministic functions of key, nonce, AAD and
/// buffer (NIST SP 800-38D), so that every backend produces identical
/// bytes. They are `Send + Sync` so that chunks can be sealed on several
/// threads with one key schedule.
pub trait Aead: Sized + Send + Sync {
    /// Expands `key` into a key schedule.
    fn new(key: &[u8; KEY_SIZE]) -> Self;

    /// Encrypts `buffer` in place and returns the tag.
    ///
    /// # Errors
    ///
    /// The buffer or AAD is longer than AES-GCM allows.
    fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_SIZE],
        aad: &[u8],
        buffer: &mut [u8],
    ) -> Result<[u8; TAG_SIZE], AeadError>;

    /// Verifies `tag` over `buffer` and, only if it verifies, decrypts
    /// `buffer` in place.
    ///
    /// # Errors
    ///
    /// The tag does not verify. The buffer's content is then unspecified
    /// (callers in this crate wipe it); it must not be released.
    fn open_in_place(
        &self,
        nonce: &[u8; NONCE_SIZE],
        aad: &[u8],
        buffer: &mut [u8],
        tag: &[u8; TAG_SIZE],
    ) -> Result<(), AeadError>;
}

/// RustCrypto's pure-Rust AES-256-GCM: the default backend, and the one
/// audited and modelled. It compares the tag in constant time before any
/// keystream touches the buffer, and wipes its key schedule on drop.
///
/// Opaque to the hax proofs: AES-GCM is in the trusted base.
#[hax_lib::opaque]
pub struct RustCryptoAes256Gcm(Aes256Gcm);

impl fmt::Debug for RustCryptoAes256Gcm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RustCryptoAes256Gcm([redacted])")
    }
}

#[hax_lib::opaque]
impl Aead for RustCryptoAes256Gcm {
    fn new(key: &[u8; KEY_SIZE]) -> Self {
        Self(Aes256Gcm::new(key.into()))
    }

    fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_SIZE],
        aad: &[u8],
        buffer: &mut [u8],
    ) -> Result<[u8; TAG_SIZE], AeadError> {
        self.0.encrypt_inout_detached(nonce.into(), aad, buffer.into()).map(Into::into).map_err(|_| AeadError)
    }

    fn open_in_place(
        &self,
        nonce: &[u8; NONCE_SIZE],
        aad: &[u8],
        buffer: &mut [u8],
        tag: &[u8; TAG_SIZE],
    ) -> Result<(), AeadError> {
        self.0.decrypt_inout_detached(nonce.into(), aad, buffer.into(), tag.into()).map_err(|_| AeadError)
    }
}

/// The backend used when the caller does not choose one.
pub type DefaultAead = RustCryptoAes256Gcm;

impl core::error::Error for AeadError {}

// The optional AWS-LC backend lives in its own file (aead/aws_lc.rs), so the
// default backend above stays the only code here that proofs look at.
#[cfg(feature = "aws-lc")]
mod aws_lc;
#[cfg(feature = "aws-lc")]
pub use aws_lc::AwsLcAes256Gcm;
