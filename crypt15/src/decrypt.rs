//! The file-level decryptor (sans-IO): ciphertext in, tentative plaintext
//! out, and a verdict at the end.
//!
//! After the header comes the ciphertext, then a 16-byte GCM tag, then (in
//! msgstore files) a 16-byte MD5 of every byte before it. Nothing in the
//! file says which layout it has, so the last 32 bytes are held back until
//! the end, where both readings are checked:
//!
//! - tag and MD5: ciphertext = all but the last 32 bytes, tag = the 16
//!   before the last, and the last 16 must be the MD5 of everything before
//!   them;
//! - tag only (multi-file backups): ciphertext = all but the last 16, tag =
//!   the last 16.
//!
//! GCM has one tag for the whole file, so **every plaintext byte this
//! decryptor yields is unauthenticated until [`Decryptor::finish`] returns
//! `Ok`**. Callers write it somewhere it cannot be mistaken for the result
//! (a temporary file, a pipe into a sealer whose output is discarded on
//! failure) and keep it only after `finish` succeeded.

use crate::gcm::{BLOCK_BYTES, GcmDecryptor, MAX_CIPHERTEXT_BYTES};
use crate::header::IV_BYTES;
use crate::key::EncryptionKey;
use core::fmt;
use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

/// The tag's and the MD5's length.
pub const TAG_BYTES: usize = BLOCK_BYTES;
/// The MD5's length.
pub const MD5_BYTES: usize = 16;
/// The bytes held back until the end: a tag and an MD5.
pub const HOLD_BYTES: usize = TAG_BYTES + MD5_BYTES;

/// How the file ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// The tag, then an MD5 of the file before it (msgstore backups).
    TagAndMd5,
    /// The tag only (multi-file backups: stickers, wallpapers).
    TagOnly,
}

/// What a verified file was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    /// How it ends.
    pub layout: Layout,
    /// The ciphertext's length.
    pub ciphertext_len: u64,
}

/// Whether the last 16 bytes are the MD5 of the rest of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Md5Check {
    /// They are: the file is intact (as far as an unkeyed checksum says).
    Matches,
    /// They are not: damaged, or a layout without an MD5.
    Differs,
}

/// Why a file does not decrypt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecryptError {
    /// Fewer than 16 bytes after the header: no room for a tag.
    Truncated {
        /// The bytes after the header.
        after_header: u64,
    },
    /// More ciphertext than GCM allows (2^36 - 32 bytes).
    TooLong,
    /// No tag verifies under either layout: a wrong key or a damaged file
    /// (GCM cannot tell them apart); the MD5 says which when it matches.
    Authentication {
        /// The MD5 check's result.
        md5: Md5Check,
    },
    /// The tag verifies but the MD5 after it does not match: the last 16
    /// bytes are damaged.
    Md5Mismatch,
    /// The header has the feature-table flag (a msgstore file, which always
    /// ends with an MD5), but the file ends with the tag alone: it lost its
    /// last 16 bytes.
    Md5Missing,
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { after_header } => {
                write!(f, "truncated: {after_header} bytes after the header, fewer than the {TAG_BYTES} of a tag")
            }
            Self::TooLong => write!(f, "more ciphertext than AES-GCM allows ({MAX_CIPHERTEXT_BYTES} bytes)"),
            Self::Authentication { md5: Md5Check::Matches } => f.write_str(
                "wrong key or damaged file: the GCM tag does not verify, but the MD5 of the file matches, so the file is intact and the key is wrong",
            ),
            Self::Authentication { md5: Md5Check::Differs } => f.write_str(
                "wrong key or damaged file: the GCM tag does not verify (and the MD5 does not match)",
            ),
            Self::Md5Mismatch => f.write_str(
                "damaged file: the GCM tag verifies but the MD5 at the end of the file does not match",
            ),
            Self::Md5Missing => f.write_str(
                "truncated: the header marks a msgstore backup, which ends with an MD5, but the file ends right after the GCM tag",
            ),
        }
    }
}

impl core::error::Error for DecryptError {}

/// A crypt15 decryption in progress.
pub struct Decryptor {
    gcm: GcmDecryptor,
    md5: Md5,
    /// The last bytes seen, not yet known to be ciphertext.
    tail: [u8; HOLD_BYTES],
    tail_len: usize,
}

impl fmt::Debug for Decryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decryptor").field("ciphertext_len", &self.gcm.len()).finish_non_exhaustive()
    }
}

impl Decryptor {
    /// Starts decrypting a file whose header bytes were `header_bytes` and
    /// whose IV is `iv`, under `key`.
    #[must_use]
    pub fn new(key: &EncryptionKey, iv: &[u8; IV_BYTES], header_bytes: &[u8]) -> Self {
        let mut md5 = Md5::new();
        md5.update(header_bytes);
        Self { gcm: GcmDecryptor::new(key, iv), md5, tail: [0; HOLD_BYTES], tail_len: 0 }
    }

    /// Feeds the next bytes of the file; appends the tentative
    /// (unauthenticated) plaintext of all but the last 32 bytes seen so far
    /// to `out`.
    ///
    /// # Errors
    ///
    /// [`DecryptError::TooLong`]; nothing is consumed or written then.
    pub fn update(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), DecryptError> {
        let total = self.tail_len.saturating_add(input.len());
        let Some(release) = total.checked_sub(HOLD_BYTES).filter(|&r| r > 0) else {
            // Everything fits in the tail.
            if let Some(dst) = self.tail.get_mut(self.tail_len..total) {
                dst.copy_from_slice(input);
            }
            self.tail_len = total;
            return Ok(());
        };
        let release_u64 = u64::try_from(release).map_err(|_| DecryptError::TooLong)?;
        if self.gcm.len().checked_add(release_u64).is_none_or(|l| l > MAX_CIPHERTEXT_BYTES) {
            return Err(DecryptError::TooLong);
        }
        let from_tail = release.min(self.tail_len);
        let from_input = release.saturating_sub(from_tail);
        let start = out.len();
        out.extend_from_slice(self.tail.get(..from_tail).unwrap_or_default());
        let (released_input, kept_input) = input.split_at_checked(from_input).unwrap_or((input, &[]));
        out.extend_from_slice(released_input);
        // The new tail: what was left of the old one, then the input's end.
        let mut tail = [0u8; HOLD_BYTES];
        let kept_tail = self.tail.get(from_tail..self.tail_len).unwrap_or_default();
        let kept = kept_tail.len();
        let (a, b) = tail.split_at_mut(kept);
        a.copy_from_slice(kept_tail);
        if let Some(b) = b.get_mut(..kept_input.len()) {
            b.copy_from_slice(kept_input);
        }
        self.tail = tail;
        self.tail_len = kept.saturating_add(kept_input.len());
        let region = out.get_mut(start..).unwrap_or_default();
        self.md5.update(&*region);
        self.gcm.decrypt(region).map_err(|_| DecryptError::TooLong)
    }

    /// Ends the file: checks the tag under both layouts and the MD5, and
    /// says which layout verified. With the tag-only layout, the last 16
    /// plaintext bytes (the ciphertext bytes that were held back) are
    /// appended to `out`.
    ///
    /// `md5_required`: refuse the tag-only layout (the header's
    /// feature-table flag marks a msgstore file, which has an MD5; without
    /// this, a msgstore file cut by exactly its 16 MD5 bytes would read as a
    /// complete tag-only file).
    ///
    /// # Errors
    ///
    /// See [`DecryptError`]. Whatever was written to `out` so far must then
    /// be thrown away.
    pub fn finish(mut self, out: &mut Vec<u8>, md5_required: bool) -> Result<Verified, DecryptError> {
        let held = self.tail.get(..self.tail_len).unwrap_or_default();
        let held_len = u64::try_from(held.len()).unwrap_or(u64::MAX);
        // The tag-only reading: the last 16 bytes are the tag, the rest of
        // the held bytes are ciphertext.
        let Some((extra, tag)) = held.split_last_chunk::<TAG_BYTES>() else {
            return Err(DecryptError::Truncated { after_header: self.gcm.len().saturating_add(held_len) });
        };
        let tag_only = self.gcm.verify_with(extra, tag);
        // The tag-and-MD5 reading needs all 32 held bytes: ciphertext so far,
        // then the tag, then the MD5 of everything before it.
        let (md5_matches, tag_then_md5) = match held.split_first_chunk::<TAG_BYTES>() {
            Some((tag, md5)) if held.len() == HOLD_BYTES => {
                let mut digest = self.md5.clone();
                digest.update(tag);
                (bool::from(digest.finalize().as_slice().ct_eq(md5)), self.gcm.verify_with(&[], tag))
            }
            _ => (false, false),
        };
        match (md5_matches, tag_then_md5, tag_only) {
            (true, true, _) => Ok(Verified { layout: Layout::TagAndMd5, ciphertext_len: self.gcm.len() }),
            (_, _, true) if md5_required => Err(DecryptError::Md5Missing),
            (_, _, true) => {
                let mut extra = extra.to_vec();
                self.gcm.decrypt_extra(&mut extra).map_err(|_| DecryptError::TooLong)?;
                out.extend_from_slice(&extra);
                Ok(Verified { layout: Layout::TagOnly, ciphertext_len: self.gcm.len() })
            }
            (false, true, false) => Err(DecryptError::Md5Mismatch),
            (true, false, false) => Err(DecryptError::Authentication { md5: Md5Check::Matches }),
            (false, false, false) => Err(DecryptError::Authentication { md5: Md5Check::Differs }),
        }
    }
}
