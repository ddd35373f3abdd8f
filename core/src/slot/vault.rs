//! The vault slot: where the backup key can be had (spec 4.6, and
//! `spec/ebak-vault-v1.md` for the vault itself).
//!
//! ```text
//! body = vault_version (1) = 0x01 || vault_id (16) || opaque_pk (32) || signing_pk (32)
//!        || account (16) || m (4) || t (4) || p (4) || url_len (2) || url (url_len)
//! ```
//!
//! It names a backup key vault (its id, URL and the two public keys a
//! client pins), the account the key is registered under, and the Argon2id
//! costs of the vault's key stretching. It holds no secret: the backup key
//! is wrapped on the vault, under a key only a login with the password
//! yields, so this slot opens nothing by itself and a file with one still
//! opens with the 64-digit key and any password slot.
//!
//! At the header level a vault slot is a slot like any other type
//! ([`super::OtherSlot`] with type 0x02): a header stays valid whatever the
//! body holds (v1 readers skip the type, and files they accepted stay
//! valid). A reader that uses the vault decodes the body with
//! [`VaultSlot::from_slot`]; a body that does not decode makes that slot
//! unusable, not the header invalid.

use super::{OtherSlot, SLOT_TYPE_VAULT, Slot};
use crate::codec::Reader;
use crate::kdf::KdfParams;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// The vault protocol a body is for: 0x01, `spec/ebak-vault-v1.md`.
pub const VAULT_PROTOCOL_V1: u8 = 0x01;
/// The fixed part of the body, before the URL.
pub const VAULT_SLOT_FIXED_SIZE: usize = 1 + 16 + 32 + 32 + 16 + 12 + 2;
/// The shortest URL: `http://` and one character.
pub const MIN_VAULT_URL_SIZE: usize = 8;
/// The longest URL.
pub const MAX_VAULT_URL_SIZE: usize = 512;

/// A vault slot's contents.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VaultSlot {
    vault_id: [u8; 16],
    opaque_pk: [u8; 32],
    signing_pk: [u8; 32],
    account: [u8; 16],
    ksf: KdfParams,
    url: String,
}

/// Why a vault slot body does not decode, or cannot be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VaultSlotError {
    /// The body ends inside a field.
    Truncated,
    /// Bytes after the URL.
    TrailingData,
    /// A vault protocol this reader does not know (the byte).
    UnknownProtocol(u8),
    /// The key-stretching costs are not valid Argon2id parameters.
    InvalidKsf,
    /// The URL is not 8 to 512 printable ASCII characters: `https://` or
    /// `http://` and at least one more.
    InvalidUrl,
}

impl fmt::Display for VaultSlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("truncated vault slot"),
            Self::TrailingData => f.write_str("trailing data in the vault slot"),
            Self::UnknownProtocol(v) => write!(f, "vault slot for an unknown vault protocol 0x{v:02x}"),
            Self::InvalidKsf => f.write_str("invalid Argon2id costs in the vault slot"),
            Self::InvalidUrl => f.write_str("invalid vault URL in the vault slot"),
        }
    }
}

impl core::error::Error for VaultSlotError {}

/// Spec 4.4: 8 to 512 bytes, each printable ASCII (0x21 to 0x7E, so no
/// space or control character), `https://` or `http://` followed by at
/// least one character.
fn url_is_valid(url: &[u8]) -> bool {
    let after = url.strip_prefix(b"https://").or_else(|| url.strip_prefix(b"http://"));
    let scheme = after.is_some_and(|rest| !rest.is_empty());
    let mut printable = true;
    for &b in url {
        printable &= (0x21..=0x7e).contains(&b);
    }
    scheme && printable && url.len() >= MIN_VAULT_URL_SIZE && url.len() <= MAX_VAULT_URL_SIZE
}

impl VaultSlot {
    /// A vault slot, checked as a reader would check it.
    ///
    /// # Errors
    ///
    /// [`VaultSlotError::InvalidKsf`] or [`VaultSlotError::InvalidUrl`].
    pub fn new(
        vault_id: [u8; 16],
        opaque_pk: [u8; 32],
        signing_pk: [u8; 32],
        account: [u8; 16],
        ksf: KdfParams,
        url: &str,
    ) -> Result<Self, VaultSlotError> {
        if !ksf.is_valid() {
            return Err(VaultSlotError::InvalidKsf);
        }
        if !url_is_valid(url.as_bytes()) {
            return Err(VaultSlotError::InvalidUrl);
        }
        Ok(Self { vault_id, opaque_pk, signing_pk, account, ksf, url: String::from(url) })
    }

    /// The vault's id.
    #[must_use]
    pub const fn vault_id(&self) -> &[u8; 16] {
        &self.vault_id
    }

    /// The vault's OPAQUE server public key (ristretto255).
    #[must_use]
    pub const fn opaque_pk(&self) -> &[u8; 32] {
        &self.opaque_pk
    }

    /// The Ed25519 key the vault signs its responses with.
    #[must_use]
    pub const fn signing_pk(&self) -> &[u8; 32] {
        &self.signing_pk
    }

    /// The account on the vault.
    #[must_use]
    pub const fn account(&self) -> &[u8; 16] {
        &self.account
    }

    /// The Argon2id costs of the vault's key stretching. A reader checks
    /// them against its ceilings before it runs Argon2id.
    #[must_use]
    pub const fn ksf(&self) -> &KdfParams {
        &self.ksf
    }

    /// The vault's base URL.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The body (spec 4.6 table).
    #[must_use]
    pub fn encode_body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(VAULT_SLOT_FIXED_SIZE.saturating_add(self.url.len()));
        out.push(VAULT_PROTOCOL_V1);
        out.extend_from_slice(&self.vault_id);
        out.extend_from_slice(&self.opaque_pk);
        out.extend_from_slice(&self.signing_pk);
        out.extend_from_slice(&self.account);
        out.extend_from_slice(&self.ksf.memory_kib.to_be_bytes());
        out.extend_from_slice(&self.ksf.iterations.to_be_bytes());
        out.extend_from_slice(&self.ksf.parallelism.to_be_bytes());
        // `new` and `decode_body` bound the URL to 512 bytes.
        out.extend_from_slice(&u16::try_from(self.url.len()).unwrap_or(u16::MAX).to_be_bytes());
        out.extend_from_slice(self.url.as_bytes());
        out
    }

    /// Decodes a body. The checks run in the order of the fields; a body
    /// that decodes re-encodes to the same bytes.
    ///
    /// # Errors
    ///
    /// See [`VaultSlotError`].
    pub fn decode_body(body: &[u8]) -> Result<Self, VaultSlotError> {
        let t = VaultSlotError::Truncated;
        let mut r = Reader::new(body);
        let version = r.u8().ok_or(t)?;
        if version != VAULT_PROTOCOL_V1 {
            return Err(VaultSlotError::UnknownProtocol(version));
        }
        let vault_id = *r.array::<16>().ok_or(t)?;
        let opaque_pk = *r.array::<32>().ok_or(t)?;
        let signing_pk = *r.array::<32>().ok_or(t)?;
        let account = *r.array::<16>().ok_or(t)?;
        let ksf =
            KdfParams { memory_kib: r.u32().ok_or(t)?, iterations: r.u32().ok_or(t)?, parallelism: r.u32().ok_or(t)? };
        let url_len = usize::from(r.u16().ok_or(t)?);
        // The URL's length is bounded before its bytes are read.
        if !(MIN_VAULT_URL_SIZE..=MAX_VAULT_URL_SIZE).contains(&url_len) {
            return Err(VaultSlotError::InvalidUrl);
        }
        let url = r.take(url_len).ok_or(t)?;
        if !r.rest().is_empty() {
            return Err(VaultSlotError::TrailingData);
        }
        if !ksf.is_valid() {
            return Err(VaultSlotError::InvalidKsf);
        }
        if !url_is_valid(url) {
            return Err(VaultSlotError::InvalidUrl);
        }
        // Printable ASCII is UTF-8.
        let url = core::str::from_utf8(url).map_err(|_| VaultSlotError::InvalidUrl)?;
        Ok(Self { vault_id, opaque_pk, signing_pk, account, ksf, url: String::from(url) })
    }

    /// The vault slot in `slot`: `None` if it is not of type 0x02.
    #[must_use]
    pub fn from_slot(slot: &Slot) -> Option<Result<Self, VaultSlotError>> {
        match slot {
            Slot::Other(o) if o.slot_type() == SLOT_TYPE_VAULT => Some(Self::decode_body(o.body())),
            _ => None,
        }
    }

    /// As a header slot (type 0x02).
    #[must_use]
    pub fn to_slot(&self) -> Slot {
        // The body is at most 111 + 512 bytes, under the 1024-byte limit,
        // and the type is neither reserved nor the password type.
        Slot::Other(OtherSlot { slot_type: SLOT_TYPE_VAULT, body: self.encode_body() })
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "tests compute expected values")]
mod tests {
    use super::*;

    fn slot() -> VaultSlot {
        let ksf = KdfParams { memory_kib: 65536, iterations: 3, parallelism: 4 };
        VaultSlot::new([1; 16], [2; 32], [3; 32], [4; 16], ksf, "https://vault.example").unwrap()
    }

    #[test]
    fn round_trips_through_a_header_slot() {
        let s = slot();
        let body = s.encode_body();
        assert_eq!(body.len(), VAULT_SLOT_FIXED_SIZE + 21);
        assert_eq!(VaultSlot::decode_body(&body), Ok(s.clone()));
        let framed = s.to_slot().to_bytes();
        let parsed = Slot::parse(&framed).unwrap();
        assert_eq!(VaultSlot::from_slot(&parsed), Some(Ok(s)));
    }

    #[test]
    fn rejects_each_malformation_by_name() {
        let body = slot().encode_body();
        for n in 0..body.len() {
            let e = VaultSlot::decode_body(&body[..n]).unwrap_err();
            assert!(matches!(e, VaultSlotError::Truncated | VaultSlotError::InvalidUrl), "{n}: {e:?}");
        }
        let mut long = body.clone();
        long.push(b'x');
        assert_eq!(VaultSlot::decode_body(&long), Err(VaultSlotError::TrailingData));
        let mut v = body.clone();
        v[0] = 2;
        assert_eq!(VaultSlot::decode_body(&v), Err(VaultSlotError::UnknownProtocol(2)));
        let mut t0 = body.clone();
        t0[101..105].copy_from_slice(&0u32.to_be_bytes());
        assert_eq!(VaultSlot::decode_body(&t0), Err(VaultSlotError::InvalidKsf));
        let mut space = body.clone();
        let last = space.len() - 1;
        space[last] = b' ';
        assert_eq!(VaultSlot::decode_body(&space), Err(VaultSlotError::InvalidUrl));
        let ksf = KdfParams { memory_kib: 65536, iterations: 3, parallelism: 4 };
        for url in ["ftp://x.example", "https://", "http:/x.example", "https://caf\u{e9}.example", "https://a b"] {
            assert_eq!(
                VaultSlot::new([0; 16], [0; 32], [0; 32], [0; 16], ksf, url),
                Err(VaultSlotError::InvalidUrl),
                "{url}"
            );
        }
        let long_url = alloc::format!("https://{}", "a".repeat(MAX_VAULT_URL_SIZE - 7));
        assert_eq!(VaultSlot::new([0; 16], [0; 32], [0; 32], [0; 16], ksf, &long_url), Err(VaultSlotError::InvalidUrl));
        assert!(VaultSlot::new([0; 16], [0; 32], [0; 32], [0; 16], ksf, &long_url[..MAX_VAULT_URL_SIZE]).is_ok());
        assert_eq!(VaultSlot::new([0; 16], [0; 32], [0; 32], [0; 16], ksf, "http://a").map(|s| s.url().len()), Ok(8));
    }

    #[test]
    fn a_password_or_unknown_slot_is_not_a_vault_slot() {
        let other = Slot::Other(OtherSlot::new(0x03, slot().encode_body()).unwrap());
        assert_eq!(VaultSlot::from_slot(&other), None);
        let garbage = Slot::Other(OtherSlot::new(SLOT_TYPE_VAULT, b"added by the storage provider".to_vec()).unwrap());
        assert!(matches!(VaultSlot::from_slot(&garbage), Some(Err(_))));
    }
}
