//! The client's protocol steps, without I/O (spec 6). Each step holds the
//! request it made, because the vault's signed answer covers the request's
//! hash: an answer to another request, an old answer replayed, or one not
//! signed by the pinned key is refused before anything in it is used.

mod login;
mod register;

pub use login::{Abort, ChangeRequest, DeleteRequest, LoggedIn, Login, LoginReply, PasswordUpload, RecoverRequest};
pub use register::{Registration, RegistrationUpload};

use crate::ids::AccountId;
use crate::keys::PublicKeys;
use crate::msg::{MessageType, Outcome, ParseError, Request, Response};
use crate::suite::Rng06;
use crate::wrap::UnwrapError;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use ebak_core::kdf::normalize_password;
use opaque_ke::errors::ProtocolError;
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
pub(crate) fn verified(
    keys: &PublicKeys,
    ty: MessageType,
    request: &[u8],
    answer: &[u8],
) -> Result<Response, ClientError> {
    let (response, unsigned, signature) = Response::split_signed(ty, answer).map_err(ClientError::Malformed)?;
    if !keys.verify(request, unsigned, &signature) {
        return Err(ClientError::BadSignature);
    }
    match response.outcome {
        Outcome::Ok => Ok(response),
        other => Err(ClientError::Refused(other)),
    }
}

pub(crate) fn check_rng<R: rand_core::TryCryptoRng + ?Sized>(rng: &Rng06<'_, R>) -> Result<(), ClientError> {
    if rng.failed() { Err(ClientError::Rng) } else { Ok(()) }
}

pub(crate) fn draw<R: rand_core::TryCryptoRng + ?Sized, const N: usize>(rng: &mut R) -> Result<[u8; N], ClientError> {
    let mut out = [0u8; N];
    rng.try_fill_bytes(&mut out).map_err(|_| ClientError::Rng)?;
    Ok(out)
}

pub(crate) fn normalized(password: &str) -> Result<Zeroizing<String>, ClientError> {
    if password.is_empty() {
        return Err(ClientError::EmptyPassword);
    }
    Ok(normalize_password(password))
}

pub(crate) fn map_opaque(e: &ProtocolError) -> ClientError {
    match e {
        ProtocolError::LibraryError(opaque_ke::errors::InternalError::KsfError) => ClientError::Ksf,
        _ => ClientError::Protocol,
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
