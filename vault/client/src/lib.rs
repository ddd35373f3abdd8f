//! # ebak-vault-client
//!
//! A small blocking client for the ebak backup key vault
//! (`spec/ebak-vault-v1.md`), over the sans-IO protocol of
//! `ebak-vault-proto`. What an application needs, and nothing else:
//!
//! - [`fetch_keys`]: the vault's public keys, to pin (trust on first use,
//!   or compare the key id with one published out of band);
//! - [`register`]: wraps a backup key on the vault under a password and
//!   returns the [`VaultSlot`] to put in a file's header;
//! - [`recover`]: the backup key, from a vault slot and the password; a
//!   wrong password is [`Error::WrongPassword`] with the guesses left;
//! - [`status`], [`delete`], [`change_password`].
//!
//! The backup key crosses this API only as [`BackupKey`]. Every answer is
//! checked against the keys the slot pins before anything in it is used,
//! so the transport need not be trusted (plain HTTP works; TLS hides who
//! talks to the vault and when). Nothing is retried: a retried login start
//! would spend another guess.

use ebak_core::kdf::{KdfFloor, KdfLimits, KdfParams};
use ebak_core::slot::VaultSlot;
use ebak_core::{BackupKey, DefaultAead};
use ebak_vault_proto::client::{self as proto, ClientError, LoginReply};
use ebak_vault_proto::msg::{AccountState, DEFAULT_GUESS_LIMIT, MAX_RESPONSE_SIZE, MessageType, Outcome, Status};
use ebak_vault_proto::{AccountId, Ksf, PublicKeys, VaultId};
use std::fmt;
use std::time::Duration;

pub use ebak_vault_proto::msg::Status as VaultStatus;

/// Why a vault operation failed. Carries no secret.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The vault could not be reached, or answered outside the protocol
    /// (an HTTP error with a text body: malformed request, rate limit,
    /// unavailable store).
    Transport(String),
    /// The vault answered, but the answer is not acceptable (not signed
    /// by the pinned key, malformed, contradicting the request).
    Protocol(ClientError),
    /// The password is wrong; the guess is spent. `guesses_left` is the
    /// vault's signed count afterwards (`None` if the status request
    /// failed).
    WrongPassword {
        /// Guesses left before the record is destroyed.
        guesses_left: Option<u8>,
    },
    /// The vault refused to evaluate: no guess left right now (a login at
    /// the limit may still be running; otherwise the record is destroyed).
    NoGuessesLeft,
    /// The record was destroyed after too many wrong passwords. The file
    /// still opens with its 64-digit key.
    Destroyed,
    /// The record was deleted by its owner.
    Deleted,
    /// The vault holds no record under the slot's account.
    UnknownAccount,
    /// The vault slot cannot be used (its body, or its costs over this
    /// reader's ceilings).
    BadSlot(String),
    /// A password that cannot be registered (empty), or costs below the
    /// writing floor.
    Usage(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transport(m) => write!(f, "vault unreachable or refused the request: {m}"),
            Self::Protocol(e) => write!(f, "{e}"),
            Self::WrongPassword { guesses_left: Some(n) } => {
                write!(
                    f,
                    "wrong password: {n} guess{} left before the vault destroys the key",
                    if *n == 1 { "" } else { "es" }
                )
            }
            Self::WrongPassword { guesses_left: None } => f.write_str("wrong password"),
            Self::NoGuessesLeft => f.write_str("the vault has no guess left for this key"),
            Self::Destroyed => f.write_str("the vault destroyed this key after too many wrong passwords"),
            Self::Deleted => f.write_str("the vault record was deleted (encrypted backup turned off)"),
            Self::UnknownAccount => f.write_str("the vault holds no record for this file"),
            Self::BadSlot(m) => write!(f, "unusable vault slot: {m}"),
            Self::Usage(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl From<ClientError> for Error {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Refused(Outcome::NoGuessesLeft) => Self::NoGuessesLeft,
            ClientError::Refused(Outcome::Gone) => Self::Destroyed,
            ClientError::Refused(Outcome::LoginFailed) => Self::WrongPassword { guesses_left: None },
            other => Self::Protocol(other),
        }
    }
}

/// Registration options.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Guesses between two successful logins (1 to 10; default 10).
    pub guess_limit: u8,
    /// Argon2id costs of the key stretching (default RFC 9807's
    /// 64 MiB, 3 passes, 4 lanes), at or above ebak's writing floor.
    pub ksf: KdfParams,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self { guess_limit: DEFAULT_GUESS_LIMIT, ksf: ebak_vault_proto::DEFAULT_KSF, timeout: Duration::from_secs(30) }
    }
}

const TIMEOUT: Duration = Duration::from_secs(30);

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(timeout)).build().into()
}

/// One POST: the request bytes to `base` + the route's path; the answer's
/// bytes if it is a protocol answer (binary), else a transport error with
/// the vault's text.
fn post(agent: &ureq::Agent, base: &str, ty: MessageType, body: &[u8]) -> Result<Vec<u8>, Error> {
    let url = format!("{}{}", base.trim_end_matches('/'), ty.path());
    let mut response = agent
        .post(&url)
        .header("content-type", "application/octet-stream")
        .send(body)
        .map_err(|e| Error::Transport(e.to_string()))?;
    let status = response.status().as_u16();
    let binary = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/octet-stream"));
    let bytes = response
        .body_mut()
        .with_config()
        .limit(u64::try_from(MAX_RESPONSE_SIZE).unwrap_or(u64::MAX))
        .read_to_vec()
        .map_err(|e| Error::Transport(e.to_string()))?;
    if binary {
        Ok(bytes)
    } else {
        let text = String::from_utf8_lossy(&bytes);
        Err(Error::Transport(format!("HTTP {status}: {}", text.trim())))
    }
}

/// The public keys a slot pins.
#[must_use]
pub fn pinned_keys(slot: &VaultSlot) -> PublicKeys {
    PublicKeys { vault_id: VaultId(*slot.vault_id()), opaque_pk: *slot.opaque_pk(), signing_pk: *slot.signing_pk() }
}

/// Spec 6.8: the vault's current public keys, self-signed. Pin them only
/// after comparing [`PublicKeys::key_id`] with a value from a source you
/// trust, or accept them on first use.
///
/// # Errors
///
/// See [`Error`].
pub fn fetch_keys(url: &str) -> Result<PublicKeys, Error> {
    let request = proto::keys_request(&mut getrandom::SysRng)?;
    let answer = post(&agent(TIMEOUT), url, MessageType::Keys, &request)?;
    Ok(proto::keys_answer(&request, &answer)?)
}

/// Spec 6.1, 6.2: registers `backup_key` under `password` on the vault at
/// `url` whose keys are `keys`, and returns the vault slot naming it.
///
/// # Errors
///
/// See [`Error`].
pub fn register(
    url: &str,
    keys: PublicKeys,
    password: &str,
    backup_key: &BackupKey,
    options: &Options,
) -> Result<VaultSlot, Error> {
    KdfFloor::V1.check(&options.ksf).map_err(|e| Error::Usage(format!("vault key stretching: {e}")))?;
    register_without_floor(url, keys, password, backup_key, options)
}

/// [`register`] without the writing floor on the key-stretching costs, for
/// load generators and tests that must not spend Argon2id time on the
/// client (the vault never runs the key stretching, so its cost changes
/// nothing on the server). Never use it for a real backup.
///
/// # Errors
///
/// See [`Error`].
#[doc(hidden)]
pub fn register_without_floor(
    url: &str,
    keys: PublicKeys,
    password: &str,
    backup_key: &BackupKey,
    options: &Options,
) -> Result<VaultSlot, Error> {
    let ksf = Ksf::checked(options.ksf, &KdfLimits::V1).map_err(|e| Error::Usage(e.to_string()))?;
    // The slot's URL rules first, so that nothing is registered that no
    // slot could name.
    VaultSlot::new(keys.vault_id.0, keys.opaque_pk, keys.signing_pk, [0; 16], options.ksf, url)
        .map_err(|e| Error::Usage(e.to_string()))?;
    let agent = agent(options.timeout);
    let rng = &mut getrandom::SysRng;
    let registration = proto::Registration::start(rng, keys, password, options.guess_limit, ksf)?;
    let answer = post(&agent, url, MessageType::RegisterStart, registration.request())?;
    let upload = registration.finish::<DefaultAead, _>(rng, &answer, backup_key)?;
    let answer = post(&agent, url, MessageType::RegisterFinish, upload.request())?;
    let registered = upload.complete(&answer)?;
    VaultSlot::new(keys.vault_id.0, keys.opaque_pk, keys.signing_pk, registered.account.0, options.ksf, url)
        .map_err(|e| Error::Usage(e.to_string()))
}

/// The checked key-stretching function of a slot.
fn slot_ksf(slot: &VaultSlot, limits: &KdfLimits) -> Result<Ksf, Error> {
    Ksf::checked(*slot.ksf(), limits).map_err(|e| Error::BadSlot(e.to_string()))
}

/// Spec 6.7: the vault's signed status of the slot's account.
///
/// # Errors
///
/// See [`Error`].
pub fn status(slot: &VaultSlot) -> Result<Status, Error> {
    status_with(&agent(TIMEOUT), slot)
}

fn status_with(agent: &ureq::Agent, slot: &VaultSlot) -> Result<Status, Error> {
    let keys = pinned_keys(slot);
    let request = proto::status_request(&mut getrandom::SysRng, &keys, AccountId(*slot.account()))?;
    let answer = post(agent, slot.url(), MessageType::Status, &request)?;
    Ok(proto::status_answer(&keys, &request, &answer)?)
}

/// After a failed login: what the status says, as the error to report.
fn after_failure(agent: &ureq::Agent, slot: &VaultSlot) -> Error {
    match status_with(agent, slot) {
        Ok(s) => match s.state {
            AccountState::Live => Error::WrongPassword { guesses_left: Some(s.guesses_left) },
            AccountState::Destroyed => Error::Destroyed,
            AccountState::Deleted => Error::Deleted,
            AccountState::Unknown => Error::UnknownAccount,
        },
        Err(_) => Error::WrongPassword { guesses_left: None },
    }
}

/// Logs in (spec 6.3): the verified login, or the error to report.
fn login(agent: &ureq::Agent, slot: &VaultSlot, password: &str, limits: &KdfLimits) -> Result<proto::LoggedIn, Error> {
    // Spec 6.3: the costs are checked before anything is sent.
    let ksf = slot_ksf(slot, limits)?;
    let keys = pinned_keys(slot);
    let rng = &mut getrandom::SysRng;
    let login = proto::Login::start(rng, keys, AccountId(*slot.account()), password, ksf)?;
    let answer = post(agent, slot.url(), MessageType::LoginStart, login.request())?;
    match login.receive(rng, &answer)? {
        LoginReply::Verified(logged_in) => Ok(logged_in),
        LoginReply::WrongPassword(abort) => {
            // Tell the vault at once, so that a record at its limit is
            // destroyed now rather than after the session timeout.
            if let Ok(answer) = post(agent, slot.url(), MessageType::LoginAbort, abort.request()) {
                let _ = abort.complete(&answer);
            }
            Err(after_failure(agent, slot))
        }
        LoginReply::NoGuessesLeft => Err(match after_failure(agent, slot) {
            Error::WrongPassword { .. } => Error::NoGuessesLeft,
            other => other,
        }),
    }
}

fn finish_error(agent: &ureq::Agent, slot: &VaultSlot, e: ClientError) -> Error {
    match e {
        ClientError::Refused(Outcome::LoginFailed) => after_failure(agent, slot),
        other => other.into(),
    }
}

/// Spec 6.3, 6.4: the backup key, from the vault the slot names, with
/// `password`. The slot's key-stretching costs are checked against
/// `limits` before anything is sent.
///
/// # Errors
///
/// See [`Error`]; a wrong password is [`Error::WrongPassword`].
pub fn recover(slot: &VaultSlot, password: &str, limits: &KdfLimits) -> Result<BackupKey, Error> {
    let agent = agent(TIMEOUT);
    let logged_in = login(&agent, slot, password, limits)?;
    let request = logged_in.recover();
    let answer = post(&agent, slot.url(), MessageType::LoginFinish, request.request())?;
    request.complete::<DefaultAead>(&answer).map(|(key, _)| key).map_err(|e| finish_error(&agent, slot, e))
}

/// Spec 6.6: deletes the record (turns the vault off for this file) after
/// a login with `password`. The file still opens with its 64-digit key
/// and any password slot.
///
/// # Errors
///
/// See [`Error`].
pub fn delete(slot: &VaultSlot, password: &str, limits: &KdfLimits) -> Result<(), Error> {
    let agent = agent(TIMEOUT);
    let logged_in = login(&agent, slot, password, limits)?;
    let request = logged_in.delete();
    let answer = post(&agent, slot.url(), MessageType::LoginFinish, request.request())?;
    request.complete(&answer).map_err(|e| finish_error(&agent, slot, e))
}

/// Spec 6.5: re-registers the slot's account under `new_password`,
/// wrapping `backup_key` (the one the file's header MAC verified) for the
/// new record, and returns the new vault slot (its keys may be a newer
/// key set: a password change moves a record to the vault's current one).
///
/// # Errors
///
/// See [`Error`].
pub fn change_password(
    slot: &VaultSlot,
    old_password: &str,
    new_password: &str,
    backup_key: &BackupKey,
    options: &Options,
    limits: &KdfLimits,
) -> Result<VaultSlot, Error> {
    KdfFloor::V1.check(&options.ksf).map_err(|e| Error::Usage(format!("vault key stretching: {e}")))?;
    let new_ksf = Ksf::checked(options.ksf, &KdfLimits::V1).map_err(|e| Error::Usage(e.to_string()))?;
    let agent = agent(options.timeout);
    let logged_in = login(&agent, slot, old_password, limits)?;
    let rng = &mut getrandom::SysRng;
    let change = logged_in.change_password(rng, new_password, new_ksf)?;
    let answer = post(&agent, slot.url(), MessageType::LoginFinish, change.request())?;
    let upload =
        change.complete::<DefaultAead, _>(rng, &answer, backup_key).map_err(|e| finish_error(&agent, slot, e))?;
    let answer = post(&agent, slot.url(), MessageType::PasswordFinish, upload.request())?;
    let (keys, _version) = upload.complete(&answer)?;
    VaultSlot::new(keys.vault_id.0, keys.opaque_pk, keys.signing_pk, *slot.account(), options.ksf, slot.url())
        .map_err(|e| Error::Usage(e.to_string()))
}
