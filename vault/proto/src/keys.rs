//! The vault's keys: the public key set a client pins (spec 2.2), the
//! response signatures (spec 5), and the server's secret key set.

use crate::codec::{Reader, concat};
use crate::ids::{ID_SIZE, KeyId, VaultId};
use crate::labels;
use crate::suite::{Rng06, Suite};
use alloc::vec::Vec;
use core::fmt;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use opaque_ke::ServerSetup;
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, Zeroizing};

/// An OPAQUE server public key (a ristretto255 element) or an Ed25519
/// public key: 32 bytes.
pub const PUBLIC_KEY_SIZE: usize = 32;
/// An Ed25519 signature.
pub const SIGNATURE_SIZE: usize = 64;
/// A [`PublicKeys`] on the wire: vault id, OPAQUE key, signing key.
pub const PUBLIC_KEYS_SIZE: usize = ID_SIZE + 2 * PUBLIC_KEY_SIZE;

/// What a client pins: the vault's id, its OPAQUE server public key and
/// the Ed25519 key its responses are signed with (spec 2.2). A vault slot
/// carries exactly this, with the URL and the account.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PublicKeys {
    /// The vault.
    pub vault_id: VaultId,
    /// The OPAQUE server static public key (ristretto255, 32 bytes).
    pub opaque_pk: [u8; PUBLIC_KEY_SIZE],
    /// The Ed25519 public key of the vault's response signatures.
    pub signing_pk: [u8; PUBLIC_KEY_SIZE],
}

impl PublicKeys {
    /// Spec 2.2: `key_id = SHA-512("ebak-vault/v1/key-id" || 0x00 ||
    /// vault_id || opaque_pk || signing_pk)[0..16]`.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        let digest = Sha512::new()
            .chain_update(labels::KEY_ID)
            .chain_update([0u8])
            .chain_update(self.vault_id.0)
            .chain_update(self.opaque_pk)
            .chain_update(self.signing_pk)
            .finalize();
        let mut id = [0u8; ID_SIZE];
        for (o, d) in id.iter_mut().zip(digest.iter()) {
            *o = *d;
        }
        KeyId(id)
    }

    /// `vault_id || opaque_pk || signing_pk`.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEYS_SIZE] {
        let mut out = [0u8; PUBLIC_KEYS_SIZE];
        let parts: [&[u8]; 3] = [&self.vault_id.0, &self.opaque_pk, &self.signing_pk];
        let mut dst = out.iter_mut();
        for part in parts {
            for (s, d) in part.iter().zip(dst.by_ref()) {
                *d = *s;
            }
        }
        out
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(Self { vault_id: VaultId(r.array()?), opaque_pk: r.array()?, signing_pk: r.array()? })
    }

    /// Parses exactly [`PUBLIC_KEYS_SIZE`] bytes. The keys themselves are
    /// checked where they are used (a signature check, an OPAQUE step).
    #[must_use]
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader::new(bytes);
        let keys = Self::read(&mut r)?;
        r.end()?;
        Some(keys)
    }

    /// Checks `signature` over a response (spec 5.2): `response` is the
    /// whole response without its last 64 bytes, `request` the whole
    /// request it answers.
    pub(crate) fn verify(&self, request: &[u8], response: &[u8], signature: &[u8; SIGNATURE_SIZE]) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(&self.signing_pk) else {
            return false;
        };
        let message = signed_message(&self.key_id(), request, response);
        key.verify_strict(&message, &Signature::from_bytes(signature)).is_ok()
    }
}

/// Spec 5.2: the bytes a response signature covers:
/// `"ebak-vault/v1/response" || 0x00 || key_id || SHA-512(request) || response`.
pub(crate) fn signed_message(key_id: &KeyId, request: &[u8], response: &[u8]) -> Vec<u8> {
    let request_hash = Sha512::digest(request);
    concat(&[labels::RESPONSE, &[0], &key_id.0, &request_hash, response])
}

/// A vault's secret key set: the OPAQUE server setup (OPRF seed, static
/// key pair), the response signing key and the registration-ticket key.
/// Prints as `[redacted]` (opaque-ke's own `Debug` prints the keys).
pub struct ServerKeys {
    pub(crate) public: PublicKeys,
    pub(crate) setup: ServerSetup<Suite>,
    pub(crate) signing: SigningKey,
    pub(crate) ticket_key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for ServerKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerKeys").field("public", &self.public).finish_non_exhaustive()
    }
}

/// The serialized OPAQUE server setup: OPRF seed (64), private key (32),
/// the public key of dummy records (32).
const SETUP_SIZE: usize = 128;
/// [`ServerKeys::to_secret_bytes`]: vault id, setup, signing seed, ticket key.
pub const SERVER_KEYS_SIZE: usize = ID_SIZE + SETUP_SIZE + 32 + 32;

/// The key set could not be made or read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeysError {
    /// The random number generator failed.
    Rng,
    /// Secret key bytes that are not a key set.
    Malformed,
}

impl fmt::Display for KeysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rng => f.write_str("the random number generator failed"),
            Self::Malformed => f.write_str("malformed vault key set"),
        }
    }
}

impl core::error::Error for KeysError {}

impl ServerKeys {
    /// A fresh key set for the vault `vault_id`.
    ///
    /// # Errors
    ///
    /// The RNG failed.
    pub fn generate<R: rand_core::TryCryptoRng + ?Sized>(rng: &mut R, vault_id: VaultId) -> Result<Self, KeysError> {
        let mut rng06 = Rng06::new(rng);
        let setup = ServerSetup::<Suite>::new(&mut rng06);
        let mut seed = Zeroizing::new([0u8; 32]);
        let mut ticket_key = Zeroizing::new([0u8; 32]);
        rand_core_v06::RngCore::fill_bytes(&mut rng06, seed.as_mut());
        rand_core_v06::RngCore::fill_bytes(&mut rng06, ticket_key.as_mut());
        if rng06.failed() {
            return Err(KeysError::Rng);
        }
        Ok(Self::assemble(vault_id, setup, SigningKey::from_bytes(&seed), ticket_key))
    }

    fn assemble(
        vault_id: VaultId,
        setup: ServerSetup<Suite>,
        signing: SigningKey,
        ticket_key: Zeroizing<[u8; 32]>,
    ) -> Self {
        let mut opaque_pk = [0u8; PUBLIC_KEY_SIZE];
        for (o, b) in opaque_pk.iter_mut().zip(setup.keypair().public().serialize().iter()) {
            *o = *b;
        }
        let public = PublicKeys { vault_id, opaque_pk, signing_pk: signing.verifying_key().to_bytes() };
        Self { public, setup, signing, ticket_key }
    }

    /// The public keys clients pin.
    #[must_use]
    pub const fn public(&self) -> &PublicKeys {
        &self.public
    }

    /// The secret bytes, for the vault's key file (spec 7.1):
    /// `vault_id || OPAQUE setup (128) || signing seed (32) || ticket key (32)`.
    #[must_use]
    pub fn to_secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut setup = self.setup.serialize();
        let seed = Zeroizing::new(self.signing.to_bytes());
        let out = Zeroizing::new(concat(&[&self.public.vault_id.0, &setup, seed.as_ref(), self.ticket_key.as_ref()]));
        setup.zeroize();
        out
    }

    /// Reads [`ServerKeys::to_secret_bytes`].
    ///
    /// # Errors
    ///
    /// Not exactly a key set.
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, KeysError> {
        let mut r = Reader::new(bytes);
        let vault_id = VaultId(r.array().ok_or(KeysError::Malformed)?);
        let setup_bytes = r.take(SETUP_SIZE).ok_or(KeysError::Malformed)?;
        let seed = Zeroizing::new(r.array::<32>().ok_or(KeysError::Malformed)?);
        let ticket_key = Zeroizing::new(r.array::<32>().ok_or(KeysError::Malformed)?);
        r.end().ok_or(KeysError::Malformed)?;
        let setup = ServerSetup::<Suite>::deserialize(setup_bytes).map_err(|_| KeysError::Malformed)?;
        Ok(Self::assemble(vault_id, setup, SigningKey::from_bytes(&seed), ticket_key))
    }

    /// Signs `response` (everything but the signature) as the answer to
    /// `request`, and appends the signature (spec 5.2).
    #[must_use]
    pub fn sign_response(&self, request: &[u8], mut response: Vec<u8>) -> Vec<u8> {
        let message = signed_message(&self.public.key_id(), request, &response);
        let signature = self.signing.sign(&message);
        response.extend_from_slice(&signature.to_bytes());
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_set_round_trips_and_signs() {
        let keys = ServerKeys::generate(&mut getrandom::SysRng, VaultId([7; 16])).unwrap();
        let bytes = keys.to_secret_bytes();
        assert_eq!(bytes.len(), SERVER_KEYS_SIZE);
        let again = ServerKeys::from_secret_bytes(&bytes).unwrap();
        assert_eq!(again.public(), keys.public());
        assert!(ServerKeys::from_secret_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(ServerKeys::from_secret_bytes(&longer).is_err());

        let signed = keys.sign_response(b"request", b"response".to_vec());
        let (body, sig) = signed.split_at(signed.len() - SIGNATURE_SIZE);
        let sig: [u8; 64] = sig.try_into().unwrap();
        assert!(keys.public().verify(b"request", body, &sig));
        assert!(!keys.public().verify(b"requesT", body, &sig));
        assert!(!keys.public().verify(b"request", b"responsE", &sig));
        let other = ServerKeys::generate(&mut getrandom::SysRng, VaultId([7; 16])).unwrap();
        assert!(!other.public().verify(b"request", body, &sig));
        assert!(!alloc::format!("{keys:?}").contains(&hex_of(&keys.ticket_key[..])));
    }

    fn hex_of(b: &[u8]) -> alloc::string::String {
        crate::ids::hex(b)
    }
}
