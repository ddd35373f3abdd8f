//! Logins (spec 6.3) and what a verified one is for: recovery (6.4), a
//! password change (6.5), deletion (6.6).

use super::register::finish_registration;
use super::{ClientError, check_rng, map_opaque, normalized, verified};
use crate::ids::{AccountId, SessionId};
use crate::keys::PublicKeys;
use crate::labels;
use crate::msg::{
    Action, ChangeStarted, KE2_SIZE, KE3_SIZE, LoginStarted, MessageType, Outcome, ParseError, PasswordChanged,
    Recovered, Request,
};
use crate::server::identifiers;
use crate::suite::{Ksf, Rng06, Suite};
use crate::wrap::{self, ExportKey};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use ebak_core::BackupKey;
use ebak_core::aead::Aead;
use opaque_ke::errors::ProtocolError;
use opaque_ke::{ClientLogin, ClientLoginFinishParameters, ClientRegistration, CredentialResponse};
use zeroize::Zeroizing;

/// A login between its start request and the vault's KE2.
pub struct Login {
    state: ClientLogin<Suite>,
    password: Zeroizing<String>,
    keys: PublicKeys,
    account: AccountId,
    ksf: Ksf,
    request: Vec<u8>,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login").field("account", &self.account).finish_non_exhaustive()
    }
}

/// What the vault's answer to a login start gave.
#[derive(Debug)]
pub enum LoginReply {
    /// The password is right: the vault is authenticated and the export
    /// key known; say what the login is for.
    Verified(LoggedIn),
    /// The password is wrong (or the account does not exist: the dummy
    /// login looks the same). The guess is spent; tell the vault with the
    /// abort request, then ask the status for the guesses left.
    WrongPassword(Abort),
    /// The vault refused to evaluate: no guess left right now.
    NoGuessesLeft,
}

impl Login {
    /// Spec 6.3: starts a login to `account` with `password`. `ksf` comes
    /// from the vault slot, already checked against the reader's ceilings.
    ///
    /// # Errors
    ///
    /// An empty password, or the RNG failed.
    pub fn start<R: rand_core::TryCryptoRng + ?Sized>(
        rng: &mut R,
        keys: PublicKeys,
        account: AccountId,
        password: &str,
        ksf: Ksf,
    ) -> Result<Self, ClientError> {
        // A reader tries the empty password like any other (it opens no
        // record a conforming writer made), but it would still spend a
        // guess; refuse it before anything is sent.
        let password = normalized(password)?;
        let mut rng06 = Rng06::new(rng);
        let started = ClientLogin::<Suite>::start(&mut rng06, password.as_bytes()).map_err(|e| map_opaque(&e))?;
        check_rng(&rng06)?;
        let request =
            <[u8; 96]>::try_from(started.message.serialize().as_slice()).map_err(|_| ClientError::Protocol)?;
        let request = Request::LoginStart { key_id: keys.key_id(), account, request }.to_bytes();
        Ok(Self { state: started.state, password, keys, account, ksf, request })
    }

    /// The request to send.
    #[must_use]
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// Spec 6.3: the vault's KE2. Runs the key-stretching function.
    ///
    /// # Errors
    ///
    /// See [`ClientError`]. A wrong password is not an error but
    /// [`LoginReply::WrongPassword`].
    pub fn receive<R: rand_core::TryCryptoRng + ?Sized>(
        self,
        rng: &mut R,
        answer: &[u8],
    ) -> Result<LoginReply, ClientError> {
        let response = match verified(&self.keys, MessageType::LoginStart, &self.request, answer) {
            Ok(response) => response,
            Err(ClientError::Refused(Outcome::NoGuessesLeft)) => return Ok(LoginReply::NoGuessesLeft),
            Err(e) => return Err(e),
        };
        let started = LoginStarted::parse(&response.body).map_err(ClientError::Malformed)?;
        let ke2: [u8; KE2_SIZE] = started.response;
        let message = CredentialResponse::<Suite>::deserialize(&ke2).map_err(|_| ClientError::Protocol)?;
        let params = ClientLoginFinishParameters::new(
            Some(labels::OPAQUE_CONTEXT),
            identifiers(&self.keys.vault_id, &self.account),
            Some(&self.ksf),
        );
        let mut rng06 = Rng06::new(rng);
        let finished = match self.state.finish(&mut rng06, self.password.as_bytes(), message, params) {
            Ok(finished) => finished,
            Err(ProtocolError::InvalidLoginError) => {
                let request = Request::LoginAbort { session: started.session }.to_bytes();
                return Ok(LoginReply::WrongPassword(Abort { request, keys: self.keys }));
            }
            Err(e) => return Err(map_opaque(&e)),
        };
        check_rng(&rng06)?;
        // Spec 6.3: the client MUST check the server key against the pin
        // (the KE2 MAC proves the vault holds its private key).
        if finished.server_s_pk.serialize().as_slice() != self.keys.opaque_pk {
            return Err(ClientError::KeyMismatch);
        }
        let export_key = ExportKey::from_slice(&finished.export_key).ok_or(ClientError::Protocol)?;
        let finalization =
            <[u8; KE3_SIZE]>::try_from(finished.message.serialize().as_slice()).map_err(|_| ClientError::Protocol)?;
        Ok(LoginReply::Verified(LoggedIn {
            keys: self.keys,
            account: self.account,
            session: started.session,
            finalization,
            export_key,
        }))
    }
}

/// The abort request after a wrong password (spec 6.3).
#[derive(Debug)]
pub struct Abort {
    request: Vec<u8>,
    keys: PublicKeys,
}

impl Abort {
    /// The request to send.
    #[must_use]
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// Checks the vault's answer. An unknown session is fine here (the
    /// vault may have expired it); what matters is the status afterwards.
    ///
    /// # Errors
    ///
    /// The answer is malformed or not signed by the pinned key.
    pub fn complete(self, answer: &[u8]) -> Result<(), ClientError> {
        match verified(&self.keys, MessageType::LoginAbort, &self.request, answer) {
            Ok(_) | Err(ClientError::Refused(Outcome::UnknownSession)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// A login whose KE2 verified: the password is right. One action follows.
pub struct LoggedIn {
    keys: PublicKeys,
    account: AccountId,
    session: SessionId,
    finalization: [u8; KE3_SIZE],
    export_key: ExportKey,
}

impl fmt::Debug for LoggedIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoggedIn")
            .field("account", &self.account)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl LoggedIn {
    fn finish_request(&self, action: Action) -> Vec<u8> {
        Request::LoginFinish { session: self.session, finalization: self.finalization, action }.to_bytes()
    }

    /// Spec 6.4: ask for the wrapped backup key.
    #[must_use]
    pub fn recover(self) -> RecoverRequest {
        let request = self.finish_request(Action::Recover);
        RecoverRequest { request, login: self }
    }

    /// Spec 6.6: delete the record.
    #[must_use]
    pub fn delete(self) -> DeleteRequest {
        let request = self.finish_request(Action::Delete);
        DeleteRequest { request, keys: self.keys }
    }

    /// Spec 6.5: start changing the password to `new_password`, with the
    /// key-stretching costs `ksf` for the new record.
    ///
    /// # Errors
    ///
    /// An empty password, or the RNG failed.
    pub fn change_password<R: rand_core::TryCryptoRng + ?Sized>(
        self,
        rng: &mut R,
        new_password: &str,
        ksf: Ksf,
    ) -> Result<ChangeRequest, ClientError> {
        let password = normalized(new_password)?;
        let mut rng06 = Rng06::new(rng);
        let started =
            ClientRegistration::<Suite>::start(&mut rng06, password.as_bytes()).map_err(|e| map_opaque(&e))?;
        check_rng(&rng06)?;
        let registration =
            <[u8; 32]>::try_from(started.message.serialize().as_slice()).map_err(|_| ClientError::Protocol)?;
        let request = self.finish_request(Action::ChangePassword(registration));
        Ok(ChangeRequest { request, login: self, state: started.state, password, ksf })
    }
}

/// A recovery request, waiting for the wrapped key.
pub struct RecoverRequest {
    request: Vec<u8>,
    login: LoggedIn,
}

impl fmt::Debug for RecoverRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecoverRequest").field("login", &self.login).finish()
    }
}

impl RecoverRequest {
    /// The request to send.
    #[must_use]
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// Spec 6.4: the backup key, unwrapped from the vault's answer.
    ///
    /// # Errors
    ///
    /// See [`ClientError`].
    pub fn complete<A: Aead>(self, answer: &[u8]) -> Result<(BackupKey, u64), ClientError> {
        let response = verified(&self.login.keys, MessageType::LoginFinish, &self.request, answer)?;
        let recovered = Recovered::parse(&response.body).map_err(ClientError::Malformed)?;
        let key = wrap::unwrap::<A>(
            &self.login.export_key,
            &self.login.keys.vault_id,
            &self.login.account,
            recovered.version,
            &recovered.wrapped_key,
        )
        .map_err(ClientError::Unwrap)?;
        Ok((key, recovered.version))
    }
}

/// A deletion request, waiting for the receipt.
#[derive(Debug)]
pub struct DeleteRequest {
    request: Vec<u8>,
    keys: PublicKeys,
}

impl DeleteRequest {
    /// The request to send.
    #[must_use]
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// Spec 6.6: the vault's signed receipt (an empty `Ok` body).
    ///
    /// # Errors
    ///
    /// See [`ClientError`].
    pub fn complete(self, answer: &[u8]) -> Result<(), ClientError> {
        let response = verified(&self.keys, MessageType::LoginFinish, &self.request, answer)?;
        if response.body.is_empty() { Ok(()) } else { Err(ClientError::Malformed(ParseError::TrailingData)) }
    }
}

/// A password change, waiting for the vault's evaluation of the new one.
pub struct ChangeRequest {
    request: Vec<u8>,
    login: LoggedIn,
    state: ClientRegistration<Suite>,
    password: Zeroizing<String>,
    ksf: Ksf,
}

impl fmt::Debug for ChangeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangeRequest").field("login", &self.login).finish_non_exhaustive()
    }
}

impl ChangeRequest {
    /// The request to send.
    #[must_use]
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// Spec 6.5: from the vault's answer, the new record with
    /// `backup_key` wrapped for it (the caller passes the key it holds:
    /// the one the file's header MAC verified), under the key set the
    /// answer names, which the current pinned key signed.
    ///
    /// # Errors
    ///
    /// See [`ClientError`].
    pub fn complete<A: Aead, R: rand_core::TryCryptoRng + ?Sized>(
        self,
        rng: &mut R,
        answer: &[u8],
        backup_key: &BackupKey,
    ) -> Result<PasswordUpload, ClientError> {
        let response = verified(&self.login.keys, MessageType::LoginFinish, &self.request, answer)?;
        let started = ChangeStarted::parse(&response.body).map_err(ClientError::Malformed)?;
        if started.keys.vault_id != self.login.keys.vault_id {
            return Err(ClientError::Inconsistent("vault id"));
        }
        let (upload, wrapped_key) = finish_registration::<A, R>(
            rng,
            self.state,
            &self.password,
            &self.ksf,
            &started.keys,
            &self.login.account,
            started.version,
            &started.response,
            backup_key,
        )?;
        let request = Request::PasswordFinish { session: self.login.session, upload, wrapped_key }.to_bytes();
        Ok(PasswordUpload { request, old_keys: self.login.keys, new_keys: started.keys, version: started.version })
    }
}

/// A password change's upload, waiting for the receipt.
#[derive(Debug)]
pub struct PasswordUpload {
    request: Vec<u8>,
    old_keys: PublicKeys,
    new_keys: PublicKeys,
    version: u64,
}

impl PasswordUpload {
    /// The request to send.
    #[must_use]
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// Spec 6.5: the receipt, signed by the key set the change started
    /// under. Returns the new record's key set (to pin in the new vault
    /// slot) and version.
    ///
    /// # Errors
    ///
    /// See [`ClientError`].
    pub fn complete(self, answer: &[u8]) -> Result<(PublicKeys, u64), ClientError> {
        let response = verified(&self.old_keys, MessageType::PasswordFinish, &self.request, answer)?;
        let changed = PasswordChanged::parse(&response.body).map_err(ClientError::Malformed)?;
        if changed.version != self.version {
            return Err(ClientError::Inconsistent("record version"));
        }
        Ok((self.new_keys, self.version))
    }
}
