//! The vault's protocol steps, without I/O or storage (spec 6): a server
//! crate reads and writes records and calls these.

use crate::codec::concat;
use crate::ids::{AccountId, VaultId};
use crate::keys::ServerKeys;
use crate::labels;
use crate::msg::{
    KE1_SIZE, KE2_SIZE, KE3_SIZE, REGISTRATION_REQUEST_SIZE, REGISTRATION_RESPONSE_SIZE, REGISTRATION_UPLOAD_SIZE,
    Ticket,
};
use crate::suite::{Rng06, Suite};
use alloc::vec::Vec;
use core::fmt;
use hmac::{Hmac, KeyInit, Mac};
use opaque_ke::{
    CredentialFinalization, CredentialRequest, Identifiers, RegistrationRequest, RegistrationUpload, ServerLogin,
    ServerLoginParameters, ServerRegistration,
};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Why a protocol step failed on the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StepError {
    /// A client message whose OPAQUE contents are invalid (for example not
    /// a group element): the request is malformed.
    Malformed(&'static str),
    /// The stored record is not a record (a damaged database).
    BadRecord,
    /// The random number generator failed.
    Rng,
    /// Login finish: the KE3 did not verify.
    LoginFailed,
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(what) => write!(f, "malformed {what}"),
            Self::BadRecord => f.write_str("the stored record is damaged"),
            Self::Rng => f.write_str("the random number generator failed"),
            Self::LoginFailed => f.write_str("login failed"),
        }
    }
}

impl core::error::Error for StepError {}

/// Spec 3: the OPAQUE credential identifier of record `version` of
/// `account`: `"ebak-vault/v1/credential" || 0x00 || account || u64(version)`.
/// Each record version has its own OPRF key.
#[must_use]
pub fn credential_identifier(account: &AccountId, version: u64) -> Vec<u8> {
    concat(&[labels::CREDENTIAL, &[0], &account.0, &version.to_be_bytes()])
}

/// Spec 6.3: the credential identifier of a dummy login for `account`:
/// `"ebak-vault/v1/dummy-credential" || 0x00 || account`. Disjoint from
/// every real one, so a dummy evaluation never helps against a record.
#[must_use]
pub fn dummy_credential_identifier(account: &AccountId) -> Vec<u8> {
    concat(&[labels::DUMMY_CREDENTIAL, &[0], &account.0])
}

/// Spec 3: the OPAQUE identities: the client is its account id, the server
/// its vault id.
pub(crate) fn identifiers<'a>(vault_id: &'a VaultId, account: &'a AccountId) -> Identifiers<'a> {
    Identifiers { client: Some(&account.0), server: Some(&vault_id.0) }
}

fn to_array<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
    <[u8; N]>::try_from(bytes).ok()
}

/// The server's half of a login between its two messages. Holds secrets;
/// prints as `[redacted]`.
pub struct ServerLoginState {
    inner: ServerLogin<Suite>,
    vault_id: VaultId,
    account: AccountId,
}

impl fmt::Debug for ServerLoginState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerLoginState([redacted])")
    }
}

impl ServerLoginState {
    /// Spec 6.4: checks the client's KE3.
    ///
    /// # Errors
    ///
    /// [`StepError::LoginFailed`] if it does not verify (a wrong password
    /// on a client that finishes anyway, a dummy login, a forged message).
    pub fn finish(self, finalization: &[u8; KE3_SIZE]) -> Result<(), StepError> {
        let message = CredentialFinalization::<Suite>::deserialize(finalization).map_err(|_| StepError::LoginFailed)?;
        let params = ServerLoginParameters {
            context: Some(labels::OPAQUE_CONTEXT),
            identifiers: identifiers(&self.vault_id, &self.account),
        };
        self.inner.finish(message, params).map(|_| ()).map_err(|_| StepError::LoginFailed)
    }
}

impl ServerKeys {
    /// Spec 6.1: the ticket for a registration of `account`.
    #[must_use]
    pub fn issue_ticket(&self, account: AccountId, guess_limit: u8, expires: u64) -> Ticket {
        Ticket { account, guess_limit, expires, tag: self.ticket_tag(&account, guess_limit, expires) }
    }

    /// Spec 6.1: `HMAC-SHA-256(ticket_key, "ebak-vault/v1/ticket" || 0x00 ||
    /// key_id || account || guess_limit || u64(expires))`.
    fn ticket_tag(&self, account: &AccountId, guess_limit: u8, expires: u64) -> [u8; 32] {
        // A 32-byte key padded with zeros to SHA-256's 64-byte block is
        // HMAC's own K0 (RFC 2104), so this is HMAC under the ticket key.
        let mut block = Zeroizing::new([0u8; 64]);
        for (b, k) in block.iter_mut().zip(self.ticket_key.iter()) {
            *b = *k;
        }
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&(*block).into());
        mac.update(labels::TICKET);
        mac.update(&[0]);
        mac.update(&self.public.key_id().0);
        mac.update(&account.0);
        mac.update(&[guess_limit]);
        mac.update(&expires.to_be_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Whether `ticket` is this key set's and unexpired at `now` (Unix
    /// seconds). The tag is compared in constant time.
    #[must_use]
    pub fn check_ticket(&self, ticket: &Ticket, now: u64) -> bool {
        let expected = self.ticket_tag(&ticket.account, ticket.guess_limit, ticket.expires);
        bool::from(expected.ct_eq(&ticket.tag)) && now <= ticket.expires
    }

    /// Spec 6.1 and 6.5: the OPRF evaluation of a registration request for
    /// record `version` of `account`, with this key set's public key.
    ///
    /// # Errors
    ///
    /// The request is not a valid blinded element.
    pub fn registration_response(
        &self,
        account: &AccountId,
        version: u64,
        request: &[u8; REGISTRATION_REQUEST_SIZE],
    ) -> Result<[u8; REGISTRATION_RESPONSE_SIZE], StepError> {
        let message = RegistrationRequest::<Suite>::deserialize(request)
            .map_err(|_| StepError::Malformed("registration request"))?;
        let started =
            ServerRegistration::<Suite>::start(&self.setup, message, &credential_identifier(account, version))
                .map_err(|_| StepError::Malformed("registration request"))?;
        to_array(&started.message.serialize()).ok_or(StepError::Malformed("registration response"))
    }

    /// Spec 6.3: the OPAQUE KE2 for `request`, from the stored `record` of
    /// `account` at `version`, or a dummy login when `record` is `None`
    /// (an unknown, destroyed or deleted account: the answer looks the same).
    ///
    /// # Errors
    ///
    /// A malformed KE1, a damaged record, or the RNG failed.
    pub fn login_start<R: rand_core::TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        record: Option<&[u8; REGISTRATION_UPLOAD_SIZE]>,
        account: &AccountId,
        version: u64,
        request: &[u8; KE1_SIZE],
    ) -> Result<([u8; KE2_SIZE], ServerLoginState), StepError> {
        let message = CredentialRequest::<Suite>::deserialize(request).map_err(|_| StepError::Malformed("KE1"))?;
        let (password_file, credential_id) = match record {
            Some(bytes) => (
                Some(ServerRegistration::<Suite>::deserialize(bytes).map_err(|_| StepError::BadRecord)?),
                credential_identifier(account, version),
            ),
            None => (None, dummy_credential_identifier(account)),
        };
        let params = ServerLoginParameters {
            context: Some(labels::OPAQUE_CONTEXT),
            identifiers: identifiers(&self.public.vault_id, account),
        };
        let mut rng06 = Rng06::new(rng);
        let started = ServerLogin::start(&mut rng06, &self.setup, password_file, message, &credential_id, params)
            .map_err(|_| StepError::Malformed("KE1"))?;
        if rng06.failed() {
            return Err(StepError::Rng);
        }
        let ke2 = to_array(&started.message.serialize()).ok_or(StepError::Malformed("KE2"))?;
        Ok((ke2, ServerLoginState { inner: started.state, vault_id: self.public.vault_id, account: *account }))
    }
}

/// Spec 6.2: whether an uploaded record is well formed (its client public
/// key a valid element, its sizes right). The vault cannot check more: the
/// envelope is opaque to it.
#[must_use]
pub fn upload_is_valid(upload: &[u8; REGISTRATION_UPLOAD_SIZE]) -> bool {
    RegistrationUpload::<Suite>::deserialize(upload).is_ok()
}

/// Spec 6.3: whether a KE1 is well formed (its elements valid), checked
/// before a guess is counted, so that garbage spends no guess.
#[must_use]
pub fn ke1_is_valid(request: &[u8; KE1_SIZE]) -> bool {
    CredentialRequest::<Suite>::deserialize(request).is_ok()
}
