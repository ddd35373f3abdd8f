//! Secret values: the backup key, the keys derived from it, passwords, and
//! [`Secret`], what unlocks a file.
//!
//! Every secret is a newtype that wipes itself on drop and prints as
//! `[redacted]`; none of them implements `Display`, so a secret cannot end
//! up in an error message or a log line by accident.

use alloc::string::String;
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

/// A password, as the user typed it (normalized to NFC only when a key is
/// derived from it, spec 4.3). Wiped on drop, printed as `[redacted]`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    #[must_use]
    pub const fn new(password: String) -> Self {
        Self(password)
    }

    /// The password. Named so that every use of the raw secret stands out
    /// in review.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Whether the password is empty (spec 4.3: a writer makes no slot for
    /// the empty password).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Password {
    fn from(password: &str) -> Self {
        Self(String::from(password))
    }
}

impl From<String> for Password {
    fn from(password: String) -> Self {
        Self(password)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// What unlocks a file (spec 6 step 2): the backup key itself, from the
/// 64-digit key, or a password, tried on every password slot in order.
///
/// Both own their secret and wipe it on drop; `Debug` prints neither.
#[derive(Clone)]
pub enum Secret {
    /// The backup key (from the 64-digit key).
    Key(BackupKey),
    /// A password.
    Password(Password),
}

impl Secret {
    /// The backup key, copied.
    #[must_use]
    pub fn key(key: &BackupKey) -> Self {
        Self::Key(key.clone())
    }

    /// A password, copied.
    #[must_use]
    pub fn password(password: &str) -> Self {
        Self::Password(Password::from(password))
    }

    /// Whether this is the backup key rather than a password: with the key,
    /// a header MAC failure means a wrong key or a modified header; with a
    /// password that opened a slot, only a modified header (spec 6).
    #[must_use]
    pub const fn is_key(&self) -> bool {
        matches!(self, Self::Key(_))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Key(_) => "Secret::Key([redacted])",
            Self::Password(_) => "Secret::Password([redacted])",
        })
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
        let password = Password::from("hunter2");
        assert_eq!(format!("{password:?}"), "Password([redacted])");
        assert_eq!(format!("{:?}", Secret::Password(password)), "Secret::Password([redacted])");
        assert_eq!(format!("{:?}", Secret::key(&key)), "Secret::Key([redacted])");
    }
}
