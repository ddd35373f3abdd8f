//! Requests (spec 5.4): one type per route, fixed-size fields.

use super::{
    KE1_SIZE, KE3_SIZE, MAX_GUESS_LIMIT, MAX_REQUEST_SIZE, MessageType, NONCE_SIZE, ParseError,
    REGISTRATION_REQUEST_SIZE, REGISTRATION_UPLOAD_SIZE, TICKET_TAG_SIZE, WRAPPED_KEY_SIZE,
};
use crate::codec::Reader;
use crate::ids::{AccountId, KeyId, SessionId};
use alloc::vec::Vec;

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
    pub(crate) fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(Self { account: AccountId(r.array()?), guess_limit: r.u8()?, expires: r.u64()?, tag: r.array()? })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
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
