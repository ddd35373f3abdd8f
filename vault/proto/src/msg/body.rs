//! Response bodies for the outcome `Ok` (spec 5.5): what each request's
//! answer carries, parsed whole (no trailing bytes) and re-encodable.

use super::{KE2_SIZE, MAX_GUESS_LIMIT, ParseError, REGISTRATION_RESPONSE_SIZE, Ticket, WRAPPED_KEY_SIZE};
use crate::codec::{Reader, concat};
use crate::ids::{AccountId, SessionId};
use crate::keys::{PUBLIC_KEYS_SIZE, PublicKeys};
use alloc::vec::Vec;

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
