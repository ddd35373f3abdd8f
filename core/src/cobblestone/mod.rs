//! Cobblestone-256: c2sp.org/chunked-encryption with HKDF-Expand-SHA-512 and
//! AES-256-GCM, implemented exactly, so that the published Wycheproof
//! vectors apply unchanged.
//!
//! ebak uses it twice (spec 3): for the payload, under the backup key, and
//! for each password slot's wrap of the backup key, under the slot's KEK.
//!
//! The layers, from the bottom:
//!
//! - [`derive`]: key, base nonce and commitment from input key, salt and
//!   context;
//! - [`ChunkCipher`]: seal or open one chunk in place, by index (this is
//!   what a parallel pipeline drives);
//! - [`Encryptor`] and [`Decryptor`]: the in-order chunk state machines,
//!   which enforce the final-chunk rule and keep failing once failed;
//! - [`StreamSealer`] and [`StreamOpener`]: push-based streaming over byte
//!   pieces of any size;
//! - [`RandomAccess`]: open chunk `k` of a ciphertext of known length, and
//!   authenticate that length through the final chunk;
//! - [`seal`] and [`open`]: one-shot helpers for small messages.

mod open;
mod seal;

pub use open::{Decryptor, RandomAccess, StreamOpener};
pub use seal::{Encryptor, StreamSealer};

use crate::aead::{Aead, KEY_SIZE, NONCE_SIZE, TAG_SIZE};
use crate::chunk::{self, CHUNK_SIZE, COMMITMENT_SIZE, PREFIX_SIZE, SALT_SIZE};
use crate::hkdf;
use crate::secret::DerivedKey;
use alloc::vec::Vec;
use core::fmt;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// From the Cobblestone spec: the HKDF-Expand info starts with
/// "c2sp.org/chunked-encryption@v1+" || aead || 0x00.
pub const INFO_PREFIX: &[u8] = b"c2sp.org/chunked-encryption@v1+";

/// The IANA name of the AEAD, part of the info string.
pub const AEAD_NAME: &[u8] = b"AEAD_AES_256_GCM";

/// Key, base nonce and commitment for one message.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Derived {
    key: DerivedKey,
    base_nonce: [u8; NONCE_SIZE],
    commitment: [u8; COMMITMENT_SIZE],
}

impl fmt::Debug for Derived {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Derived([redacted])")
    }
}

impl Derived {
    /// The AEAD key (an intermediate value published in test vectors).
    #[must_use]
    pub const fn key(&self) -> &DerivedKey {
        &self.key
    }

    /// The base nonce.
    #[must_use]
    pub const fn base_nonce(&self) -> &[u8; NONCE_SIZE] {
        &self.base_nonce
    }

    /// The key commitment.
    #[must_use]
    pub const fn commitment(&self) -> &[u8; COMMITMENT_SIZE] {
        &self.commitment
    }
}

/// Copies `N` bytes of `src` starting at `offset` (zero-filled past the end;
/// callers pass in-range constants).
fn copy_array<const N: usize>(src: &[u8], offset: usize) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, s) in out.iter_mut().zip(src.iter().skip(offset)) {
        *o = *s;
    }
    out
}

/// Derives key, base nonce and commitment.
///
/// From the Cobblestone spec:
/// `key || base nonce || commitment = HKDF-Expand(prk = input key,
/// info = "c2sp.org/chunked-encryption@v1+" || aead || 0x00 || salt || context)`.
#[must_use]
pub fn derive(input_key: &[u8; KEY_SIZE], salt: &[u8; SALT_SIZE], context: &[u8]) -> Derived {
    const OKM_BYTES: usize = KEY_SIZE + NONCE_SIZE + COMMITMENT_SIZE;
    let mut okm: [u8; OKM_BYTES] = hkdf::expand_sha512(input_key, &[INFO_PREFIX, AEAD_NAME, &[0x00], salt, context]);
    let derived = Derived {
        key: DerivedKey::new(copy_array(&okm, 0)),
        base_nonce: copy_array(&okm, KEY_SIZE),
        commitment: copy_array(&okm, KEY_SIZE + NONCE_SIZE),
    };
    okm.zeroize();
    derived
}

/// Why sealing failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// The message would need more than 2^38 chunks.
    TooManyChunks,
    /// A buffer handed to the chunk API has the wrong length (a caller bug).
    ChunkLength,
    /// The final chunk was already sealed.
    Finished,
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooManyChunks => "message too long: more than 2^38 chunks",
            Self::ChunkLength => "chunk buffer has the wrong length",
            Self::Finished => "the final chunk was already sealed",
        })
    }
}

/// Why opening a Cobblestone ciphertext failed.
///
/// Every variant but [`PayloadError::Commitment`] is in the spec's payload
/// class; the commitment has its own class (spec 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadError {
    /// Shorter than the 56-byte salt and commitment.
    MissingPrefix,
    /// The commitment does not match: wrong key or context, or a modified
    /// salt or commitment. Checked before any chunk is opened.
    Commitment,
    /// Chunk `index` did not authenticate: it was modified, moved,
    /// duplicated, or followed by trailing data.
    Chunk {
        /// The chunk's index, counting from zero.
        index: u64,
    },
    /// The input ended without a valid final chunk: after `chunks` complete
    /// chunks came nothing, or fewer bytes than a tag.
    Truncated {
        /// The number of full chunks before the end.
        chunks: u64,
    },
    /// More than 2^38 chunks.
    TooManyChunks,
    /// Data after the final chunk (chunk API only: a byte stream cannot
    /// tell a trailing chunk from a final one until it ends).
    TrailingData,
    /// A buffer handed to the chunk API has the wrong length (a caller bug).
    ChunkLength,
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingPrefix => f.write_str("payload truncated: shorter than its 56-byte salt and commitment"),
            Self::Commitment => {
                f.write_str("payload commitment does not match (wrong key or context, or a modified payload)")
            }
            Self::Chunk { index } => write!(f, "payload chunk {index} failed to authenticate"),
            Self::Truncated { chunks } => {
                write!(f, "payload truncated after chunk {chunks}: the final chunk is missing")
            }
            Self::TooManyChunks => f.write_str("payload has more than 2^38 chunks"),
            Self::TrailingData => f.write_str("payload has data after its final chunk"),
            Self::ChunkLength => f.write_str("chunk buffer has the wrong length"),
        }
    }
}

/// Why a single chunk operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkError {
    /// The index is 2^38 or more.
    IndexOutOfRange,
    /// The buffer is shorter than a tag or longer than a full chunk.
    Length,
    /// The tag did not verify.
    Authentication,
}

/// Seals and opens single chunks in place, by index: the AEAD key and the
/// base nonce of one message.
///
/// It does not know which chunk is the final one; [`Encryptor`] and
/// [`Decryptor`] do. A parallel pipeline shares one `ChunkCipher` between
/// threads and hands each its chunk indices.
pub struct ChunkCipher<A: Aead> {
    aead: A,
    base_nonce: [u8; NONCE_SIZE],
}

impl<A: Aead> fmt::Debug for ChunkCipher<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChunkCipher([redacted])")
    }
}

impl<A: Aead> Drop for ChunkCipher<A> {
    fn drop(&mut self) {
        self.base_nonce.zeroize();
    }
}

impl<A: Aead> ChunkCipher<A> {
    /// The cipher for a derived key and base nonce.
    #[must_use]
    pub fn new(derived: &Derived) -> Self {
        Self::raw(derived.key.expose_secret(), *derived.base_nonce())
    }

    /// Raw mode (the Cobblestone appendix): key and base nonce supplied by
    /// the caller, no salt, no commitment. Hazardous: for test vectors and
    /// protocols that derive both themselves.
    #[must_use]
    pub fn raw(key: &[u8; KEY_SIZE], base_nonce: [u8; NONCE_SIZE]) -> Self {
        Self { aead: A::new(key), base_nonce }
    }

    /// Seals chunk `index` in place. `chunk` holds the plaintext (at most
    /// 16 KiB) followed by 16 bytes of room for the tag.
    ///
    /// # Errors
    ///
    /// The index is out of range or the buffer has an impossible length.
    pub fn seal(&self, index: u64, chunk: &mut [u8]) -> Result<(), ChunkError> {
        let nonce = chunk::chunk_nonce(&self.base_nonce, index).ok_or(ChunkError::IndexOutOfRange)?;
        let (body, tag_room) = chunk.split_last_chunk_mut::<TAG_SIZE>().ok_or(ChunkError::Length)?;
        if body.len() > CHUNK_SIZE {
            return Err(ChunkError::Length);
        }
        // From the Cobblestone spec: "The AEAD's AAD is not used and MUST be
        // empty."
        *tag_room = self.aead.seal_in_place(&nonce, &[], body).map_err(|_| ChunkError::Length)?;
        Ok(())
    }

    /// Opens chunk `index` in place and returns the plaintext, the first
    /// `chunk.len() - 16` bytes of the buffer. On failure the buffer is
    /// wiped, so no unauthenticated plaintext survives in it.
    ///
    /// # Errors
    ///
    /// The index is out of range, the buffer has an impossible length, or
    /// the tag does not verify.
    pub fn open<'b>(&self, index: u64, chunk: &'b mut [u8]) -> Result<&'b mut [u8], ChunkError> {
        let nonce = chunk::chunk_nonce(&self.base_nonce, index).ok_or(ChunkError::IndexOutOfRange)?;
        let Some((body, tag)) = chunk.split_last_chunk_mut::<TAG_SIZE>() else {
            return Err(ChunkError::Length);
        };
        if body.len() > CHUNK_SIZE {
            return Err(ChunkError::Length);
        }
        let tag = *tag;
        if self.aead.open_in_place(&nonce, &[], body, &tag).is_err() {
            body.zeroize();
            return Err(ChunkError::Authentication);
        }
        Ok(body)
    }
}

/// Checks the commitment in constant time and returns the chunk cipher.
///
/// From the Cobblestone spec: "When decrypting, implementations MUST check
/// the commitment matches the derived value before continuing."
///
/// # Errors
///
/// [`PayloadError::Commitment`] if it does not match.
pub fn check_prefix<A: Aead>(
    input_key: &[u8; KEY_SIZE],
    context: &[u8],
    prefix: &[u8; PREFIX_SIZE],
) -> Result<ChunkCipher<A>, PayloadError> {
    let salt: [u8; SALT_SIZE] = copy_array(prefix, 0);
    let commitment: [u8; COMMITMENT_SIZE] = copy_array(prefix, SALT_SIZE);
    let derived = derive(input_key, &salt, context);
    if bool::from(derived.commitment.ct_eq(&commitment)) {
        Ok(ChunkCipher::new(&derived))
    } else {
        Err(PayloadError::Commitment)
    }
}

/// One-shot seal of a whole message held in memory.
///
/// # Errors
///
/// The message is longer than 2^38 chunks allow.
pub fn seal<A: Aead>(
    input_key: &[u8; KEY_SIZE],
    salt: &[u8; SALT_SIZE],
    context: &[u8],
    message: &[u8],
) -> Result<Vec<u8>, SealError> {
    let total = u64::try_from(message.len()).ok().and_then(chunk::ciphertext_len).ok_or(SealError::TooManyChunks)?;
    let mut out = Vec::with_capacity(usize::try_from(total).map_err(|_| SealError::TooManyChunks)?);
    let mut sealer = StreamSealer::<A>::new(input_key, salt, context);
    sealer.push(message, &mut out)?;
    sealer.finish(&mut out)?;
    Ok(out)
}

/// One-shot open of a whole ciphertext held in memory. It processes the
/// input exactly as [`StreamOpener`] does, so both give the same verdict.
///
/// # Errors
///
/// See [`PayloadError`]; no plaintext is returned on any error.
pub fn open<A: Aead>(input_key: &[u8; KEY_SIZE], context: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, PayloadError> {
    let mut out = Vec::with_capacity(ciphertext.len());
    let mut opener = StreamOpener::<A>::new(input_key, context);
    let result = opener.push(ciphertext, &mut out).and_then(|()| opener.finish(&mut out));
    match result {
        Ok(()) => Ok(out),
        Err(e) => {
            out.zeroize();
            Err(e)
        }
    }
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::IndexOutOfRange => "chunk index 2^38 or more",
            Self::Length => "chunk buffer has an impossible length",
            Self::Authentication => "chunk failed to authenticate",
        })
    }
}

impl core::error::Error for SealError {}

impl core::error::Error for PayloadError {}

impl core::error::Error for ChunkError {}
