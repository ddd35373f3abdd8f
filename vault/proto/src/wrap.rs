//! The backup key wrapped under OPAQUE's export key (spec 4).
//!
//! ```text
//! wrapping key = HKDF-Expand-SHA-512(export_key, "ebak-vault/v1/wrapping-key", 32)
//! context      = "ebak-vault/v1/wrapped-key" || 0x00 || vault_id || account || u64(version)
//! wrapped_key  = Cobblestone-Seal(wrapping key, wrap_salt, context, backup key)   104 bytes
//! ```
//!
//! Only the client ever holds the export key, so the vault stores a wrapped
//! key it cannot open. The context binds the wrap to the vault, the account
//! and the record version, so a vault cannot serve one account's wrapped
//! key (or an older record's) as another's; Cobblestone's commitment makes
//! the wrap committing, as in the password slot.

use crate::codec::concat;
use crate::ids::{AccountId, VaultId};
use crate::labels;
use crate::msg::WRAPPED_KEY_SIZE;
use alloc::vec::Vec;
use core::fmt;
use ebak_core::BackupKey;
use ebak_core::aead::Aead;
use ebak_core::chunk::SALT_SIZE;
use ebak_core::cobblestone::{self, PayloadError};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha512;
use zeroize::{Zeroize, Zeroizing};

/// OPAQUE's export key: 64 bytes (SHA-512 output), a secret.
pub const EXPORT_KEY_SIZE: usize = 64;

/// The export key of a registration or a login. Prints as `[redacted]`.
#[derive(Clone)]
pub struct ExportKey(Zeroizing<[u8; EXPORT_KEY_SIZE]>);

impl ExportKey {
    /// Wraps export-key bytes (from OPAQUE, or a test vector).
    #[must_use]
    pub fn from_bytes(bytes: [u8; EXPORT_KEY_SIZE]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub(crate) fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; EXPORT_KEY_SIZE]>::try_from(bytes).ok().map(Self::from_bytes)
    }

    /// The bytes, for test vectors.
    #[must_use]
    pub fn expose_secret(&self) -> &[u8; EXPORT_KEY_SIZE] {
        &self.0
    }

    /// Spec 4: `HKDF-Expand-SHA-512(export_key, "ebak-vault/v1/wrapping-key", 32)`
    /// (one HMAC block: `HMAC-SHA-512(export_key, label || 0x01)[0..32]`).
    #[must_use]
    pub fn wrapping_key(&self) -> Zeroizing<[u8; 32]> {
        // The 64-byte key padded with zeros to SHA-512's 128-byte block is
        // HMAC's own K0 (RFC 2104), so this is HMAC under the export key.
        let mut block = Zeroizing::new([0u8; 128]);
        for (b, k) in block.iter_mut().zip(self.0.iter()) {
            *b = *k;
        }
        let mut mac = <Hmac<Sha512> as KeyInit>::new(&(*block).into());
        mac.update(labels::WRAPPING_KEY);
        mac.update(&[0x01]);
        let mut t1: [u8; 64] = mac.finalize().into_bytes().into();
        let mut out = Zeroizing::new([0u8; 32]);
        for (o, t) in out.iter_mut().zip(t1.iter()) {
            *o = *t;
        }
        t1.zeroize();
        out
    }
}

impl fmt::Debug for ExportKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExportKey([redacted])")
    }
}

/// Spec 4: `"ebak-vault/v1/wrapped-key" || 0x00 || vault_id || account || u64(version)`.
#[must_use]
pub fn wrap_context(vault_id: &VaultId, account: &AccountId, version: u64) -> Vec<u8> {
    concat(&[labels::WRAPPED_KEY, &[0], &vault_id.0, &account.0, &version.to_be_bytes()])
}

/// Wraps `backup_key` (spec 4).
#[must_use]
pub fn wrap<A: Aead>(
    export_key: &ExportKey,
    wrap_salt: &[u8; SALT_SIZE],
    vault_id: &VaultId,
    account: &AccountId,
    version: u64,
    backup_key: &BackupKey,
) -> Option<[u8; WRAPPED_KEY_SIZE]> {
    let key = export_key.wrapping_key();
    let context = wrap_context(vault_id, account, version);
    let mut sealed = cobblestone::seal::<A>(&key, wrap_salt, &context, backup_key.expose_secret()).ok()?;
    let out = <[u8; WRAPPED_KEY_SIZE]>::try_from(sealed.as_slice()).ok();
    sealed.zeroize();
    out
}

/// Why a wrapped key did not open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnwrapError {
    /// The commitment does not match: another export key, vault, account
    /// or version.
    WrongKeyOrContext,
    /// The commitment matched but the key did not authenticate.
    Tampered,
}

impl fmt::Display for UnwrapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongKeyOrContext => f.write_str("the vault's wrapped key belongs to another login or record"),
            Self::Tampered => f.write_str("the vault's wrapped key was modified"),
        }
    }
}

impl core::error::Error for UnwrapError {}

/// Opens a wrapped key (spec 4).
///
/// # Errors
///
/// See [`UnwrapError`].
pub fn unwrap<A: Aead>(
    export_key: &ExportKey,
    vault_id: &VaultId,
    account: &AccountId,
    version: u64,
    wrapped_key: &[u8; WRAPPED_KEY_SIZE],
) -> Result<BackupKey, UnwrapError> {
    let key = export_key.wrapping_key();
    let context = wrap_context(vault_id, account, version);
    match cobblestone::open::<A>(&key, &context, wrapped_key) {
        Ok(mut plain) => {
            let result =
                <[u8; 32]>::try_from(plain.as_slice()).map(BackupKey::from_bytes).map_err(|_| UnwrapError::Tampered);
            plain.zeroize();
            result
        }
        Err(PayloadError::Commitment) => Err(UnwrapError::WrongKeyOrContext),
        Err(_) => Err(UnwrapError::Tampered),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebak_core::DefaultAead as A;

    #[test]
    fn wraps_and_binds_everything() {
        let ek = ExportKey::from_bytes([3; 64]);
        let key = BackupKey::from_bytes([9; 32]);
        let (v, a) = (VaultId([1; 16]), AccountId([2; 16]));
        let w = wrap::<A>(&ek, &[5; 24], &v, &a, 1, &key).unwrap();
        assert_eq!(unwrap::<A>(&ek, &v, &a, 1, &w).unwrap(), key);
        assert_eq!(unwrap::<A>(&ek, &v, &a, 2, &w), Err(UnwrapError::WrongKeyOrContext));
        assert_eq!(unwrap::<A>(&ek, &VaultId([0; 16]), &a, 1, &w), Err(UnwrapError::WrongKeyOrContext));
        assert_eq!(unwrap::<A>(&ek, &v, &AccountId([0; 16]), 1, &w), Err(UnwrapError::WrongKeyOrContext));
        assert_eq!(unwrap::<A>(&ExportKey::from_bytes([4; 64]), &v, &a, 1, &w), Err(UnwrapError::WrongKeyOrContext));
        let mut t = w;
        t[70] ^= 1;
        assert_eq!(unwrap::<A>(&ek, &v, &a, 1, &t), Err(UnwrapError::Tampered));
        assert_eq!(alloc::format!("{ek:?}"), "ExportKey([redacted])");
    }
}
