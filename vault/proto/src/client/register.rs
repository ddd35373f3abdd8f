//! Registration (spec 6.1, 6.2), and the OPAQUE registration that a
//! password change repeats (6.5).

use super::{ClientError, check_rng, draw, map_opaque, normalized, verified};
use crate::ids::AccountId;
use crate::keys::PublicKeys;
use crate::msg::{MessageType, REGISTRATION_UPLOAD_SIZE, RegisterStarted, Registered, Request, WRAPPED_KEY_SIZE};
use crate::server::identifiers;
use crate::suite::{Ksf, Rng06, Suite};
use crate::wrap::{self, ExportKey};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use ebak_core::BackupKey;
use ebak_core::aead::Aead;
use opaque_ke::{ClientRegistration, ClientRegistrationFinishParameters, RegistrationResponse};
use zeroize::Zeroizing;

/// Completes an OPAQUE registration from a signed `RegistrationResponse`
/// and wraps `backup_key` for record `version` (spec 6.1, 6.5).
#[allow(clippy::too_many_arguments, reason = "the inputs of one protocol step, each named")]
pub(super) fn finish_registration<A: Aead, R: rand_core::TryCryptoRng + ?Sized>(
    rng: &mut R,
    state: ClientRegistration<Suite>,
    password: &str,
    ksf: &Ksf,
    keys: &PublicKeys,
    account: &AccountId,
    version: u64,
    response: &[u8],
    backup_key: &BackupKey,
) -> Result<([u8; REGISTRATION_UPLOAD_SIZE], [u8; WRAPPED_KEY_SIZE]), ClientError> {
    let message = RegistrationResponse::<Suite>::deserialize(response).map_err(|_| ClientError::Protocol)?;
    // Spec 6.1: the client MUST check the server key against the pin.
    if message.serialize().get(32..) != Some(&keys.opaque_pk[..]) {
        return Err(ClientError::KeyMismatch);
    }
    let mut rng06 = Rng06::new(&mut *rng);
    let params = ClientRegistrationFinishParameters::new(identifiers(&keys.vault_id, account), Some(ksf));
    let finished = state.finish(&mut rng06, password.as_bytes(), message, params).map_err(|e| map_opaque(&e))?;
    check_rng(&rng06)?;
    if finished.server_s_pk.serialize().as_slice() != keys.opaque_pk {
        return Err(ClientError::KeyMismatch);
    }
    let export_key = ExportKey::from_slice(&finished.export_key).ok_or(ClientError::Protocol)?;
    let upload = <[u8; REGISTRATION_UPLOAD_SIZE]>::try_from(finished.message.serialize().as_slice())
        .map_err(|_| ClientError::Protocol)?;
    let wrap_salt = draw(rng)?;
    let wrapped = wrap::wrap::<A>(&export_key, &wrap_salt, &keys.vault_id, account, version, backup_key)
        .ok_or(ClientError::Protocol)?;
    Ok((upload, wrapped))
}

/// A registration between its start request and the vault's answer.
pub struct Registration {
    state: ClientRegistration<Suite>,
    password: Zeroizing<String>,
    keys: PublicKeys,
    guess_limit: u8,
    ksf: Ksf,
    request: Vec<u8>,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration").field("keys", &self.keys).finish_non_exhaustive()
    }
}

impl Registration {
    /// Spec 6.1: starts registering `password` with the vault `keys` pins.
    ///
    /// # Errors
    ///
    /// An empty password, a guess limit out of range, or the RNG failed.
    pub fn start<R: rand_core::TryCryptoRng + ?Sized>(
        rng: &mut R,
        keys: PublicKeys,
        password: &str,
        guess_limit: u8,
        ksf: Ksf,
    ) -> Result<Self, ClientError> {
        if !(1..=crate::msg::MAX_GUESS_LIMIT).contains(&guess_limit) {
            return Err(ClientError::InvalidGuessLimit);
        }
        let password = normalized(password)?;
        let mut rng06 = Rng06::new(rng);
        let started =
            ClientRegistration::<Suite>::start(&mut rng06, password.as_bytes()).map_err(|e| map_opaque(&e))?;
        check_rng(&rng06)?;
        let request =
            <[u8; 32]>::try_from(started.message.serialize().as_slice()).map_err(|_| ClientError::Protocol)?;
        let request = Request::RegisterStart { key_id: keys.key_id(), guess_limit, request }.to_bytes();
        Ok(Self { state: started.state, password, keys, guess_limit, ksf, request })
    }

    /// The request to send.
    #[must_use]
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// Spec 6.1: from the vault's answer, the record to upload, with
    /// `backup_key` wrapped under the export key. Runs the key-stretching
    /// function.
    ///
    /// # Errors
    ///
    /// See [`ClientError`].
    pub fn finish<A: Aead, R: rand_core::TryCryptoRng + ?Sized>(
        self,
        rng: &mut R,
        answer: &[u8],
        backup_key: &BackupKey,
    ) -> Result<RegistrationUpload, ClientError> {
        let response = verified(&self.keys, MessageType::RegisterStart, &self.request, answer)?;
        let started = RegisterStarted::parse(&response.body).map_err(ClientError::Malformed)?;
        if started.ticket.guess_limit != self.guess_limit {
            return Err(ClientError::Inconsistent("guess limit"));
        }
        let account = started.ticket.account;
        let (upload, wrapped_key) = finish_registration::<A, R>(
            rng,
            self.state,
            &self.password,
            &self.ksf,
            &self.keys,
            &account,
            1,
            &started.response,
            backup_key,
        )?;
        let request =
            Request::RegisterFinish { key_id: self.keys.key_id(), ticket: started.ticket, upload, wrapped_key }
                .to_bytes();
        Ok(RegistrationUpload { request, keys: self.keys, account, guess_limit: self.guess_limit })
    }
}

/// A registration's upload, sent and waiting for the vault's receipt.
#[derive(Debug)]
pub struct RegistrationUpload {
    request: Vec<u8>,
    keys: PublicKeys,
    account: AccountId,
    guess_limit: u8,
}

impl RegistrationUpload {
    /// The request to send.
    #[must_use]
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// The account the vault drew.
    #[must_use]
    pub const fn account(&self) -> &AccountId {
        &self.account
    }

    /// Spec 6.2: the vault's signed receipt.
    ///
    /// # Errors
    ///
    /// See [`ClientError`].
    pub fn complete(self, answer: &[u8]) -> Result<Registered, ClientError> {
        let response = verified(&self.keys, MessageType::RegisterFinish, &self.request, answer)?;
        let registered = Registered::parse(&response.body).map_err(ClientError::Malformed)?;
        if registered.account != self.account || registered.version != 1 || registered.guess_limit != self.guess_limit {
            return Err(ClientError::Inconsistent("registration receipt"));
        }
        Ok(registered)
    }
}
