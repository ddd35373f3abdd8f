//! The client's protocol steps, without I/O (spec 6). Each step holds the
//! request it made, because the vault's signed answer covers the request's
//! hash: an answer to another request, an old answer replayed, or one not
//! signed by the pinned key is refused before anything in it is used.

use crate::ids::{AccountId, SessionId};
use crate::keys::PublicKeys;
use crate::labels;
use crate::msg::{
    Action, ChangeStarted, KE2_SIZE, KE3_SIZE, LoginStarted, MessageType, Outcome, ParseError, PasswordChanged,
    REGISTRATION_UPLOAD_SIZE, Recovered, RegisterStarted, Registered, Request, Response, WRAPPED_KEY_SIZE,
};
use crate::server::identifiers;
use crate::suite::{Ksf, Rng06, Suite};
use crate::wrap::{self, ExportKey, UnwrapError};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use ebak_core::BackupKey;
use ebak_core::aead::Aead;
use ebak_core::kdf::normalize_password;
use opaque_ke::errors::ProtocolError;
use opaque_ke::{
    ClientLogin, ClientLoginFinishParameters, ClientRegistration, ClientRegistrationFinishParameters,
    CredentialResponse, RegistrationResponse,
};
use zeroize::Zeroizing;

/// Why a client step failed. None of these carries a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// Spec 6.1: a writer MUST NOT register the empty password.
    EmptyPassword,
    /// A guess limit outside 1 to [`crate::msg::MAX_GUESS_LIMIT`].
    InvalidGuessLimit,
    /// The random number generator failed.
    Rng,
    /// The vault's answer is not a well-formed answer to this request.
    Malformed(ParseError),
    /// The vault's answer is not signed by the pinned key (or answers
    /// another request).
    BadSignature,
    /// The vault's OPAQUE key differs from the pinned one.
    KeyMismatch,
    /// The vault refused the request.
    Refused(Outcome),
    /// The vault's OPAQUE message is invalid (not a group element, or a
    /// reflected element).
    Protocol,
    /// A signed answer that contradicts the request (named).
    Inconsistent(&'static str),
    /// The wrapped key the vault returned did not open.
    Unwrap(UnwrapError),
    /// The key-stretching function failed to run.
    Ksf,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyPassword => f.write_str("the password is empty"),
            Self::InvalidGuessLimit => f.write_str("the guess limit must be between 1 and 10"),
            Self::Rng => f.write_str("the random number generator failed"),
            Self::Malformed(e) => write!(f, "malformed vault answer: {e}"),
            Self::BadSignature => f.write_str("the vault's answer is not signed by the pinned vault key"),
            Self::KeyMismatch => f.write_str("the vault's OPAQUE key is not the pinned one"),
            Self::Refused(o) => write!(f, "the vault refused: {o}"),
            Self::Protocol => f.write_str("the vault sent an invalid OPAQUE message"),
            Self::Inconsistent(what) => write!(f, "the vault's answer contradicts the request: {what}"),
            Self::Unwrap(e) => write!(f, "{e}"),
            Self::Ksf => f.write_str("the key-stretching function failed"),
        }
    }
}

impl core::error::Error for ClientError {}

/// Checks a signed answer to `request` under the pinned `keys` and returns
/// it when its outcome is `Ok`.
fn verified(keys: &PublicKeys, ty: MessageType, request: &[u8], answer: &[u8]) -> Result<Response, ClientError> {
    let (response, unsigned, signature) = Response::split_signed(ty, answer).map_err(ClientError::Malformed)?;
    if !keys.verify(request, unsigned, &signature) {
        return Err(ClientError::BadSignature);
    }
    match response.outcome {
        Outcome::Ok => Ok(response),
        other => Err(ClientError::Refused(other)),
    }
}

fn check_rng<R: rand_core::TryCryptoRng + ?Sized>(rng: &Rng06<'_, R>) -> Result<(), ClientError> {
    if rng.failed() { Err(ClientError::Rng) } else { Ok(()) }
}

fn draw<R: rand_core::TryCryptoRng + ?Sized, const N: usize>(rng: &mut R) -> Result<[u8; N], ClientError> {
    let mut out = [0u8; N];
    rng.try_fill_bytes(&mut out).map_err(|_| ClientError::Rng)?;
    Ok(out)
}

fn normalized(password: &str) -> Result<Zeroizing<String>, ClientError> {
    if password.is_empty() {
        return Err(ClientError::EmptyPassword);
    }
    Ok(normalize_password(password))
}

fn map_opaque(e: &ProtocolError) -> ClientError {
    match e {
        ProtocolError::LibraryError(opaque_ke::errors::InternalError::KsfError) => ClientError::Ksf,
        _ => ClientError::Protocol,
    }
}

/// Completes an OPAQUE registration from a signed `RegistrationResponse`
/// and wraps `backup_key` for record `version` (spec 6.1, 6.5).
#[allow(clippy::too_many_arguments, reason = "the inputs of one protocol step, each named")]
fn finish_registration<A: Aead, R: rand_core::TryCryptoRng + ?Sized>(
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

/// Spec 6.7: a status request for `account`, with a fresh nonce.
///
/// # Errors
///
/// The RNG failed.
pub fn status_request<R: rand_core::TryCryptoRng + ?Sized>(
    rng: &mut R,
    keys: &PublicKeys,
    account: AccountId,
) -> Result<Vec<u8>, ClientError> {
    Ok(Request::Status { key_id: keys.key_id(), account, nonce: draw(rng)? }.to_bytes())
}

/// Spec 6.7: the vault's signed status answer to `request`.
///
/// # Errors
///
/// See [`ClientError`].
pub fn status_answer(keys: &PublicKeys, request: &[u8], answer: &[u8]) -> Result<crate::msg::Status, ClientError> {
    let response = verified(keys, MessageType::Status, request, answer)?;
    crate::msg::Status::parse(&response.body).map_err(ClientError::Malformed)
}

/// Spec 6.8: a keys request, with a fresh nonce.
///
/// # Errors
///
/// The RNG failed.
pub fn keys_request<R: rand_core::TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Vec<u8>, ClientError> {
    Ok(Request::Keys { nonce: draw(rng)? }.to_bytes())
}

/// Spec 6.8: the vault's keys, self-signed. Trust on first use: the caller
/// shows [`PublicKeys::key_id`] to the user or compares it with a known one.
///
/// # Errors
///
/// Malformed, or not signed by the key it names.
pub fn keys_answer(request: &[u8], answer: &[u8]) -> Result<PublicKeys, ClientError> {
    let (response, _, _) = Response::split_signed(MessageType::Keys, answer).map_err(ClientError::Malformed)?;
    let keys = crate::msg::KeysAnswer::parse(&response.body).map_err(ClientError::Malformed)?.keys;
    verified(&keys, MessageType::Keys, request, answer)?;
    Ok(keys)
}
