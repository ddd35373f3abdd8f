//! Secret values: the backup key and the keys derived from it.
//!
//! Every secret is a newtype that wipes itself on drop and prints as
//! `[redacted]`; none of them implements `Display`, so a secret cannot end
//! up in an error message or a log line by accident.

use core::fmt;
use rand_core::TryCryptoRng;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The length of the backup key: 256 bits.
pub const BACKUP_KEY_SIZE: usize = 32;

/// The random 256-bit backup key that protects a user's backups.
///
/// Spec 3: it is the Cobblestone input key of every payload and the key
/// every slot wraps; the 64-digit key is its hexadecimal spelling.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct BackupKey([u8; BACKUP_KEY_SIZE]);

/// The caller's random number generator failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RngError;

impl fmt::Display for RngError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the random number generator failed")
    }
}

/// Fills `out` from `rng`.
pub(crate) fn fill_random<R: TryCryptoRng + ?Sized, const N: usize>(rng: &mut R) -> Result<[u8; N], RngError> {
    let mut out = [0u8; N];
    rng.try_fill_bytes(&mut out).map_err(|_| RngError)?;
    Ok(out)
}

impl BackupKey {
    /// Wraps 32 bytes as a backup key.
    ///
    /// Spec 3: the backup key MUST be uniformly random; use
    /// [`BackupKey::generate`] unless the bytes come from a 64-digit key or
    /// a test vector.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; BACKUP_KEY_SIZE]) -> Self {
        Self(bytes)
    }

    /// Draws a fresh backup key from a cryptographically secure RNG.
    ///
    /// # Errors
    ///
    /// The RNG failed.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, RngError> {
        fill_random(rng).map(Self)
    }

    /// The key bytes. Named so that every use of the raw secret stands out
    /// in review.
    #[must_use]
    pub const fn expose_secret(&self) -> &[u8; BACKUP_KEY_SIZE] {
        &self.0
    }
}

impl fmt::Debug for BackupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BackupKey([redacted])")
    }
}

impl PartialEq for BackupKey {
    /// Constant time.
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for BackupKey {}

/// A 32-byte key derived from a secret (KEK, MAC key, AEAD key).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct DerivedKey([u8; 32]);

impl DerivedKey {
    pub(crate) const fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key bytes, for test vectors that publish intermediate values.
    #[must_use]
    pub const fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DerivedKey([redacted])")
    }
}

impl core::error::Error for RngError {}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "tests compute expected values")]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn debug_is_redacted() {
        let key = BackupKey::from_bytes([0xab; 32]);
        let shown = format!("{key:?}");
        assert_eq!(shown, "BackupKey([redacted])");
        assert!(!shown.contains("ab"));
        assert_eq!(format!("{:?}", DerivedKey::new([0xcd; 32])), "DerivedKey([redacted])");
    }
}
