//! The messages, byte by byte (spec 5): one request type per HTTP route,
//! one response per request. Every field has a fixed size, so every
//! message has exactly one encoding; a parser rejects a wrong type byte,
//! missing bytes, trailing bytes and out-of-range fields.

mod body;
mod request;

pub use body::{
    AccountState, ChangeStarted, KeysAnswer, LoginStarted, PasswordChanged, Recovered, RegisterStarted, Registered,
    Status,
};
pub use request::{Action, Request, Ticket};

use crate::codec::{Reader, concat};
use crate::keys::SIGNATURE_SIZE;
use alloc::vec::Vec;
use core::fmt;

/// OPAQUE `RegistrationRequest`: the blinded element.
pub const REGISTRATION_REQUEST_SIZE: usize = 32;
/// OPAQUE `RegistrationResponse`: evaluated element, server public key.
pub const REGISTRATION_RESPONSE_SIZE: usize = 64;
/// OPAQUE `RegistrationRecord` (opaque-ke's `RegistrationUpload`): client
/// public key (32), masking key (64), envelope (nonce 32, tag 64).
pub const REGISTRATION_UPLOAD_SIZE: usize = 192;
/// OPAQUE `KE1`: blinded element, client nonce, client key share.
pub const KE1_SIZE: usize = 96;
/// OPAQUE `KE2`: evaluated element (32), masking nonce (32), masked
/// response (128), server nonce (32), server key share (32), server MAC (64).
pub const KE2_SIZE: usize = 320;
/// OPAQUE `KE3`: the client MAC.
pub const KE3_SIZE: usize = 64;
/// The backup key wrapped under the export key (spec 4).
pub const WRAPPED_KEY_SIZE: usize = ebak_core::slot::WRAPPED_KEY_SIZE;
/// A client nonce that makes a status or keys response fresh.
pub const NONCE_SIZE: usize = 16;
/// A registration ticket's MAC.
pub const TICKET_TAG_SIZE: usize = 32;
/// A ticket on the wire: account, guess limit, expiry, tag.
pub const TICKET_SIZE: usize = 16 + 1 + 8 + TICKET_TAG_SIZE;

/// Spec 6.2: the guess limit a registration may ask for.
pub const MAX_GUESS_LIMIT: u8 = 10;
/// The guess limit a client asks for unless told otherwise.
pub const DEFAULT_GUESS_LIMIT: u8 = 10;

/// The longest request (a registration finish is 370 bytes); a server
/// refuses anything longer before reading it (spec 8).
pub const MAX_REQUEST_SIZE: usize = 512;
/// The longest response (a login start answer is 402 bytes).
pub const MAX_RESPONSE_SIZE: usize = 1024;

/// The first byte of a request; a response starts with it plus 0x80.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageType {
    /// Spec 6.1: start a registration.
    RegisterStart = 0x01,
    /// Spec 6.1: upload the record and the wrapped key.
    RegisterFinish = 0x02,
    /// Spec 6.3: OPAQUE KE1.
    LoginStart = 0x03,
    /// Spec 6.3: OPAQUE KE3 and what to do once it verifies.
    LoginFinish = 0x04,
    /// Spec 6.3: the client found the password wrong.
    LoginAbort = 0x05,
    /// Spec 6.5: the new record after a password change.
    PasswordFinish = 0x06,
    /// Spec 6.7: guesses left.
    Status = 0x07,
    /// Spec 6.8: the vault's current public keys.
    Keys = 0x08,
}

impl MessageType {
    /// Every type, in order.
    pub const ALL: [Self; 8] = [
        Self::RegisterStart,
        Self::RegisterFinish,
        Self::LoginStart,
        Self::LoginFinish,
        Self::LoginAbort,
        Self::PasswordFinish,
        Self::Status,
        Self::Keys,
    ];

    /// The type with this request byte.
    #[must_use]
    pub fn from_byte(b: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|t| *t as u8 == b)
    }

    /// Spec 5.1: the HTTP path (POST) of this request.
    #[must_use]
    pub const fn path(self) -> &'static str {
        match self {
            Self::RegisterStart => "/v1/register/start",
            Self::RegisterFinish => "/v1/register/finish",
            Self::LoginStart => "/v1/login/start",
            Self::LoginFinish => "/v1/login/finish",
            Self::LoginAbort => "/v1/login/abort",
            Self::PasswordFinish => "/v1/password/finish",
            Self::Status => "/v1/status",
            Self::Keys => "/v1/keys",
        }
    }

    /// The type whose path is `path`.
    #[must_use]
    pub fn from_path(path: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.path() == path)
    }

    /// The first byte of the response to this request.
    #[must_use]
    pub const fn response_byte(self) -> u8 {
        (self as u8) | 0x80
    }
}

/// Why bytes are not a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// No bytes at all.
    Empty,
    /// A first byte that is not this message's type.
    WrongType(u8),
    /// The message ends early.
    Truncated,
    /// Bytes after the end of the message.
    TrailingData,
    /// A field out of its range (named).
    InvalidField(&'static str),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty message"),
            Self::WrongType(b) => write!(f, "unexpected message type 0x{b:02x}"),
            Self::Truncated => f.write_str("truncated message"),
            Self::TrailingData => f.write_str("trailing data after the message"),
            Self::InvalidField(name) => write!(f, "invalid field: {name}"),
        }
    }
}

impl core::error::Error for ParseError {}

/// The second byte of every response (spec 5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Outcome {
    /// The request did what it asked; a body follows.
    Ok = 0x00,
    /// Login finish: the KE3 did not verify (a wrong password, or a
    /// tampered message). The guess stays spent.
    LoginFailed = 0x01,
    /// Login start: the account has no guess left right now.
    NoGuessesLeft = 0x02,
    /// No such session: expired, already finished, or never started.
    UnknownSession = 0x03,
    /// The record changed since the session started, or a registration
    /// ticket's account already exists.
    Conflict = 0x04,
    /// A registration ticket that is expired or not the vault's.
    BadTicket = 0x05,
    /// The record is gone (destroyed or deleted) since the session started.
    Gone = 0x06,
}

impl Outcome {
    /// Every outcome, in order.
    pub const ALL: [Self; 7] = [
        Self::Ok,
        Self::LoginFailed,
        Self::NoGuessesLeft,
        Self::UnknownSession,
        Self::Conflict,
        Self::BadTicket,
        Self::Gone,
    ];

    /// The outcome with this byte.
    #[must_use]
    pub fn from_byte(b: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|o| *o as u8 == b)
    }

    /// Spec 5.1: the HTTP status the server sends with it.
    #[must_use]
    pub const fn http_status(self) -> u16 {
        match self {
            Self::Ok => 200,
            Self::LoginFailed => 401,
            Self::NoGuessesLeft => 403,
            Self::UnknownSession => 404,
            Self::Conflict => 409,
            Self::BadTicket => 400,
            Self::Gone => 410,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ok => "ok",
            Self::LoginFailed => "login failed",
            Self::NoGuessesLeft => "no guesses left",
            Self::UnknownSession => "unknown or expired session",
            Self::Conflict => "the record changed meanwhile",
            Self::BadTicket => "invalid or expired registration ticket",
            Self::Gone => "the record is gone",
        })
    }
}

/// A response before its signature: type, outcome, body.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Response {
    /// The request type it answers.
    pub message_type: MessageType,
    /// What happened.
    pub outcome: Outcome,
    /// The outcome's body (empty unless `Ok`).
    pub body: Vec<u8>,
}

impl Response {
    /// A body-less response.
    #[must_use]
    pub const fn refused(message_type: MessageType, outcome: Outcome) -> Self {
        Self { message_type, outcome, body: Vec::new() }
    }

    /// The bytes the signature covers and precedes: `type || outcome || body`.
    #[must_use]
    pub fn to_unsigned_bytes(&self) -> Vec<u8> {
        concat(&[&[self.message_type.response_byte(), self.outcome as u8], &self.body])
    }

    /// Splits signed response bytes into the response and its signature,
    /// for a request of type `expected`. The body is not parsed here.
    ///
    /// # Errors
    ///
    /// Too short, a wrong type byte, or an unknown outcome.
    pub fn split_signed(
        expected: MessageType,
        bytes: &[u8],
    ) -> Result<(Self, &[u8], [u8; SIGNATURE_SIZE]), ParseError> {
        let unsigned_len = bytes.len().checked_sub(SIGNATURE_SIZE).ok_or(ParseError::Truncated)?;
        let (unsigned, signature) = bytes.split_at_checked(unsigned_len).ok_or(ParseError::Truncated)?;
        let signature = <[u8; SIGNATURE_SIZE]>::try_from(signature).map_err(|_| ParseError::Truncated)?;
        let mut r = Reader::new(unsigned);
        let ty = r.u8().ok_or(ParseError::Truncated)?;
        if ty != expected.response_byte() {
            return Err(ParseError::WrongType(ty));
        }
        let outcome =
            Outcome::from_byte(r.u8().ok_or(ParseError::Truncated)?).ok_or(ParseError::InvalidField("outcome"))?;
        let body = r.take(unsigned_len.saturating_sub(2)).ok_or(ParseError::Truncated)?;
        if outcome != Outcome::Ok && !body.is_empty() {
            return Err(ParseError::TrailingData);
        }
        Ok((Self { message_type: expected, outcome, body: body.to_vec() }, unsigned, signature))
    }
}
