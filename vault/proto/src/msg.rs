//! The messages, byte by byte (spec 5): one request type per HTTP route,
//! one response per request. Every field has a fixed size, so every
//! message has exactly one encoding; a parser rejects a wrong type byte,
//! missing bytes, trailing bytes and out-of-range fields.

use crate::codec::{Reader, concat};
use crate::ids::{AccountId, KeyId, SessionId};
use crate::keys::{PUBLIC_KEYS_SIZE, PublicKeys, SIGNATURE_SIZE};
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

/// A registration ticket (spec 6.1): the vault's MAC over the account id it
/// drew, the guess limit and an expiry, so that the finish step needs no
/// server state and names only an account the vault handed out.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ticket {
    /// The account the vault drew.
    pub account: AccountId,
    /// The guess limit the client asked for.
    pub guess_limit: u8,
    /// Unix time (seconds) after which the vault refuses the ticket.
    pub expires: u64,
    /// HMAC-SHA-256 under the vault's ticket key (spec 6.1).
    pub tag: [u8; TICKET_TAG_SIZE],
}

impl Ticket {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(Self { account: AccountId(r.array()?), guess_limit: r.u8()?, expires: r.u64()?, tag: r.array()? })
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.account.0);
        out.push(self.guess_limit);
        out.extend_from_slice(&self.expires.to_be_bytes());
        out.extend_from_slice(&self.tag);
    }
}

/// What a verified login is for (spec 6.4).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    /// Return the wrapped backup key.
    Recover,
    /// Delete the record ("turn off the vault").
    Delete,
    /// Start a password change: the new password's OPAQUE registration
    /// request.
    ChangePassword([u8; REGISTRATION_REQUEST_SIZE]),
}

/// A request, as a client sends it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Request {
    /// `0x01 || key_id || guess_limit || registration_request`.
    RegisterStart {
        /// The key set the client pins.
        key_id: KeyId,
        /// 1 to [`MAX_GUESS_LIMIT`].
        guess_limit: u8,
        /// OPAQUE `RegistrationRequest`.
        request: [u8; REGISTRATION_REQUEST_SIZE],
    },
    /// `0x02 || key_id || ticket || registration_upload || wrapped_key`.
    RegisterFinish {
        /// The key set the client pins.
        key_id: KeyId,
        /// The ticket from the start step.
        ticket: Ticket,
        /// OPAQUE `RegistrationRecord`.
        upload: [u8; REGISTRATION_UPLOAD_SIZE],
        /// The backup key wrapped under the export key.
        wrapped_key: [u8; WRAPPED_KEY_SIZE],
    },
    /// `0x03 || key_id || account || KE1`.
    LoginStart {
        /// The key set the client pins.
        key_id: KeyId,
        /// The account.
        account: AccountId,
        /// OPAQUE `KE1`.
        request: [u8; KE1_SIZE],
    },
    /// `0x04 || session || KE3 || action (0x01 recover, 0x02 delete,
    /// 0x03 change || registration_request)`.
    LoginFinish {
        /// From the login start response.
        session: SessionId,
        /// OPAQUE `KE3`.
        finalization: [u8; KE3_SIZE],
        /// What the login is for.
        action: Action,
    },
    /// `0x05 || session`.
    LoginAbort {
        /// From the login start response.
        session: SessionId,
    },
    /// `0x06 || session || registration_upload || wrapped_key`.
    PasswordFinish {
        /// The session whose login finish started the change.
        session: SessionId,
        /// OPAQUE `RegistrationRecord` for the new password.
        upload: [u8; REGISTRATION_UPLOAD_SIZE],
        /// The backup key wrapped under the new export key.
        wrapped_key: [u8; WRAPPED_KEY_SIZE],
    },
    /// `0x07 || key_id || account || nonce`.
    Status {
        /// The key set the client pins.
        key_id: KeyId,
        /// The account.
        account: AccountId,
        /// Fresh random bytes: the signed answer covers them.
        nonce: [u8; NONCE_SIZE],
    },
    /// `0x08 || nonce`.
    Keys {
        /// Fresh random bytes: the signed answer covers them.
        nonce: [u8; NONCE_SIZE],
    },
}

impl Request {
    /// The message type.
    #[must_use]
    pub const fn message_type(&self) -> MessageType {
        match self {
            Self::RegisterStart { .. } => MessageType::RegisterStart,
            Self::RegisterFinish { .. } => MessageType::RegisterFinish,
            Self::LoginStart { .. } => MessageType::LoginStart,
            Self::LoginFinish { .. } => MessageType::LoginFinish,
            Self::LoginAbort { .. } => MessageType::LoginAbort,
            Self::PasswordFinish { .. } => MessageType::PasswordFinish,
            Self::Status { .. } => MessageType::Status,
            Self::Keys { .. } => MessageType::Keys,
        }
    }

    /// The canonical encoding.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAX_REQUEST_SIZE);
        out.push(self.message_type() as u8);
        match self {
            Self::RegisterStart { key_id, guess_limit, request } => {
                out.extend_from_slice(&key_id.0);
                out.push(*guess_limit);
                out.extend_from_slice(request);
            }
            Self::RegisterFinish { key_id, ticket, upload, wrapped_key } => {
                out.extend_from_slice(&key_id.0);
                ticket.write(&mut out);
                out.extend_from_slice(upload);
                out.extend_from_slice(wrapped_key);
            }
            Self::LoginStart { key_id, account, request } => {
                out.extend_from_slice(&key_id.0);
                out.extend_from_slice(&account.0);
                out.extend_from_slice(request);
            }
            Self::LoginFinish { session, finalization, action } => {
                out.extend_from_slice(&session.0);
                out.extend_from_slice(finalization);
                match action {
                    Action::Recover => out.push(0x01),
                    Action::Delete => out.push(0x02),
                    Action::ChangePassword(request) => {
                        out.push(0x03);
                        out.extend_from_slice(request);
                    }
                }
            }
            Self::LoginAbort { session } => out.extend_from_slice(&session.0),
            Self::PasswordFinish { session, upload, wrapped_key } => {
                out.extend_from_slice(&session.0);
                out.extend_from_slice(upload);
                out.extend_from_slice(wrapped_key);
            }
            Self::Status { key_id, account, nonce } => {
                out.extend_from_slice(&key_id.0);
                out.extend_from_slice(&account.0);
                out.extend_from_slice(nonce);
            }
            Self::Keys { nonce } => out.extend_from_slice(nonce),
        }
        out
    }

    /// Parses a request of type `expected` (the route it came in on).
    ///
    /// # Errors
    ///
    /// See [`ParseError`]. The OPAQUE fields are only sized here; their
    /// contents are checked by the protocol step that uses them.
    pub fn parse(expected: MessageType, bytes: &[u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(bytes);
        let ty = r.u8().ok_or(ParseError::Empty)?;
        if ty != expected as u8 {
            return Err(ParseError::WrongType(ty));
        }
        let t = ParseError::Truncated;
        let request = match expected {
            MessageType::RegisterStart => {
                let key_id = KeyId(r.array().ok_or(t)?);
                let guess_limit = r.u8().ok_or(t)?;
                let request = r.array().ok_or(t)?;
                Self::RegisterStart { key_id, guess_limit, request }
            }
            MessageType::RegisterFinish => Self::RegisterFinish {
                key_id: KeyId(r.array().ok_or(t)?),
                ticket: Ticket::read(&mut r).ok_or(t)?,
                upload: r.array().ok_or(t)?,
                wrapped_key: r.array().ok_or(t)?,
            },
            MessageType::LoginStart => Self::LoginStart {
                key_id: KeyId(r.array().ok_or(t)?),
                account: AccountId(r.array().ok_or(t)?),
                request: r.array().ok_or(t)?,
            },
            MessageType::LoginFinish => {
                let session = SessionId(r.array().ok_or(t)?);
                let finalization = r.array().ok_or(t)?;
                let action = match r.u8().ok_or(t)? {
                    0x01 => Action::Recover,
                    0x02 => Action::Delete,
                    0x03 => Action::ChangePassword(r.array().ok_or(t)?),
                    _ => return Err(ParseError::InvalidField("action")),
                };
                Self::LoginFinish { session, finalization, action }
            }
            MessageType::LoginAbort => Self::LoginAbort { session: SessionId(r.array().ok_or(t)?) },
            MessageType::PasswordFinish => Self::PasswordFinish {
                session: SessionId(r.array().ok_or(t)?),
                upload: r.array().ok_or(t)?,
                wrapped_key: r.array().ok_or(t)?,
            },
            MessageType::Status => Self::Status {
                key_id: KeyId(r.array().ok_or(t)?),
                account: AccountId(r.array().ok_or(t)?),
                nonce: r.array().ok_or(t)?,
            },
            MessageType::Keys => Self::Keys { nonce: r.array().ok_or(t)? },
        };
        r.end().ok_or(ParseError::TrailingData)?;
        // Range checks after the framing, so that a truncated message is
        // reported as truncated whatever its fields hold.
        match &request {
            Self::RegisterStart { guess_limit, .. }
            | Self::RegisterFinish { ticket: Ticket { guess_limit, .. }, .. }
                if !(1..=MAX_GUESS_LIMIT).contains(guess_limit) =>
            {
                Err(ParseError::InvalidField("guess_limit"))
            }
            _ => Ok(request),
        }
    }
}

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

/// Parses a whole body with `read`, rejecting trailing bytes.
fn parse_body<T>(body: &[u8], read: impl FnOnce(&mut Reader<'_>) -> Option<T>) -> Result<T, ParseError> {
    let mut r = Reader::new(body);
    let value = read(&mut r).ok_or(ParseError::Truncated)?;
    r.end().ok_or(ParseError::TrailingData)?;
    Ok(value)
}

/// Register start, `Ok`: `ticket || registration_response`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RegisterStarted {
    /// The ticket to send back with the record.
    pub ticket: Ticket,
    /// OPAQUE `RegistrationResponse`.
    pub response: [u8; REGISTRATION_RESPONSE_SIZE],
}

impl RegisterStarted {
    /// The body bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.ticket.write(&mut out);
        out.extend_from_slice(&self.response);
        out
    }

    /// Parses a body.
    ///
    /// # Errors
    ///
    /// Not exactly such a body.
    pub fn parse(body: &[u8]) -> Result<Self, ParseError> {
        parse_body(body, |r| Some(Self { ticket: Ticket::read(r)?, response: r.array()? }))
    }
}

/// Register finish, `Ok`: `account || version (u64) || guess_limit (u8) ||
/// lifetime_budget (u16)`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Registered {
    /// The account.
    pub account: AccountId,
    /// The record version (1 for a new account).
    pub version: u64,
    /// Guesses between two successful logins.
    pub guess_limit: u8,
    /// Failed guesses over the account's whole life.
    pub lifetime_budget: u16,
}

impl Registered {
    /// The body bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        concat(&[
            &self.account.0,
            &self.version.to_be_bytes(),
            &[self.guess_limit],
            &self.lifetime_budget.to_be_bytes(),
        ])
    }

    /// Parses a body.
    ///
    /// # Errors
    ///
    /// Not exactly such a body.
    pub fn parse(body: &[u8]) -> Result<Self, ParseError> {
        parse_body(body, |r| {
            Some(Self {
                account: AccountId(r.array()?),
                version: r.u64()?,
                guess_limit: r.u8()?,
                lifetime_budget: r.u16()?,
            })
        })
    }
}

/// Login start, `Ok`: `session || KE2`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LoginStarted {
    /// The session to finish or abort.
    pub session: SessionId,
    /// OPAQUE `KE2`.
    pub response: [u8; KE2_SIZE],
}

impl LoginStarted {
    /// The body bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        concat(&[&self.session.0, &self.response])
    }

    /// Parses a body.
    ///
    /// # Errors
    ///
    /// Not exactly such a body.
    pub fn parse(body: &[u8]) -> Result<Self, ParseError> {
        parse_body(body, |r| Some(Self { session: SessionId(r.array()?), response: r.array()? }))
    }
}

/// Login finish, `Ok`, for [`Action::Recover`]: `version || wrapped_key`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Recovered {
    /// The record version the key was wrapped for.
    pub version: u64,
    /// The wrapped backup key.
    pub wrapped_key: [u8; WRAPPED_KEY_SIZE],
}

impl Recovered {
    /// The body bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        concat(&[&self.version.to_be_bytes(), &self.wrapped_key])
    }

    /// Parses a body.
    ///
    /// # Errors
    ///
    /// Not exactly such a body.
    pub fn parse(body: &[u8]) -> Result<Self, ParseError> {
        parse_body(body, |r| Some(Self { version: r.u64()?, wrapped_key: r.array()? }))
    }
}

/// Login finish, `Ok`, for [`Action::ChangePassword`]: `new_version ||
/// public keys (80) || registration_response`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ChangeStarted {
    /// The version the new record will have.
    pub version: u64,
    /// The key set the new record will live under (the vault's current
    /// one: a password change moves a record to it, spec 7.2).
    pub keys: PublicKeys,
    /// OPAQUE `RegistrationResponse` for the new password.
    pub response: [u8; REGISTRATION_RESPONSE_SIZE],
}

impl ChangeStarted {
    /// The body bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        concat(&[&self.version.to_be_bytes(), &self.keys.to_bytes(), &self.response])
    }

    /// Parses a body.
    ///
    /// # Errors
    ///
    /// Not exactly such a body.
    pub fn parse(body: &[u8]) -> Result<Self, ParseError> {
        parse_body(body, |r| Some(Self { version: r.u64()?, keys: PublicKeys::read(r)?, response: r.array()? }))
    }
}

/// Password finish, `Ok`: `version`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PasswordChanged {
    /// The new record's version.
    pub version: u64,
}

impl PasswordChanged {
    /// The body bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.version.to_be_bytes().to_vec()
    }

    /// Parses a body.
    ///
    /// # Errors
    ///
    /// Not exactly such a body.
    pub fn parse(body: &[u8]) -> Result<Self, ParseError> {
        parse_body(body, |r| Some(Self { version: r.u64()? }))
    }
}

/// An account's state in a status answer (spec 6.7).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[repr(u8)]
pub enum AccountState {
    /// A record that can be recovered.
    Live = 0x01,
    /// Destroyed after its guesses ran out.
    Destroyed = 0x02,
    /// Deleted by its owner.
    Deleted = 0x03,
    /// The vault holds nothing under this name.
    Unknown = 0x04,
}

impl AccountState {
    fn from_byte(b: u8) -> Option<Self> {
        [Self::Live, Self::Destroyed, Self::Deleted, Self::Unknown].into_iter().find(|s| *s as u8 == b)
    }
}

/// Status, `Ok`: `state || guess_limit || guesses_left || lifetime_left
/// (u16) || version (u64)`. Every number is zero unless `state` is live.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Status {
    /// The account's state.
    pub state: AccountState,
    /// Guesses between two successful logins.
    pub guess_limit: u8,
    /// Guesses left before the record is destroyed.
    pub guesses_left: u8,
    /// Failed guesses left over the account's life.
    pub lifetime_left: u16,
    /// The record version.
    pub version: u64,
}

impl Status {
    /// The body bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        concat(&[
            &[self.state as u8, self.guess_limit, self.guesses_left],
            &self.lifetime_left.to_be_bytes(),
            &self.version.to_be_bytes(),
        ])
    }

    /// Parses a body.
    ///
    /// # Errors
    ///
    /// Not exactly such a body, an unknown state, more guesses left than
    /// the limit, or numbers for an account that is not live.
    pub fn parse(body: &[u8]) -> Result<Self, ParseError> {
        let status = parse_body(body, |r| {
            let state = r.u8()?;
            Some((state, r.u8()?, r.u8()?, r.u16()?, r.u64()?))
        })?;
        let (state, guess_limit, guesses_left, lifetime_left, version) = status;
        let state = AccountState::from_byte(state).ok_or(ParseError::InvalidField("state"))?;
        if guesses_left > guess_limit || guess_limit > MAX_GUESS_LIMIT {
            return Err(ParseError::InvalidField("guesses_left"));
        }
        if state != AccountState::Live && (guess_limit, guesses_left, lifetime_left, version) != (0, 0, 0, 0) {
            return Err(ParseError::InvalidField("state"));
        }
        Ok(Self { state, guess_limit, guesses_left, lifetime_left, version })
    }
}

/// Keys, `Ok`: the vault's current public keys.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct KeysAnswer {
    /// Vault id, OPAQUE key, signing key.
    pub keys: PublicKeys,
}

impl KeysAnswer {
    /// The body bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.keys.to_bytes().to_vec()
    }

    /// Parses a body.
    ///
    /// # Errors
    ///
    /// Not exactly [`PUBLIC_KEYS_SIZE`] bytes.
    pub fn parse(body: &[u8]) -> Result<Self, ParseError> {
        if body.len() != PUBLIC_KEYS_SIZE {
            return Err(if body.len() < PUBLIC_KEYS_SIZE { ParseError::Truncated } else { ParseError::TrailingData });
        }
        parse_body(body, |r| Some(Self { keys: PublicKeys::read(r)? }))
    }
}
