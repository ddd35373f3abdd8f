//! Where the vault keeps its accounts (spec 6.9): one trait, two engines.
//!
//! The guess counter lives here, and its one rule is in
//! [`Storage::begin_guess`]: the increment is a single atomic statement
//! (`UPDATE .. SET used = used + 1 .. WHERE .. used < guess_limit ..
//! RETURNING ..`) that is durable when it returns, before the vault sends
//! anything derived from the record. Both engines pass the same test
//! suite (`tests/storage.rs`).
//!
//! An account row is live (a record), or a tombstone (destroyed or
//! deleted: the record's bytes are erased, the name and its lifetime count
//! are kept so that the name is never registered again).

mod pool;
pub mod postgres;
pub mod sqlite;

use core::fmt;
use ebak_vault_proto::AccountId;
use ebak_vault_proto::msg::{REGISTRATION_UPLOAD_SIZE, WRAPPED_KEY_SIZE};

/// Spec 6.2: failed guesses an account may make over its whole life,
/// across resets and password changes.
pub const LIFETIME_GUESS_BUDGET: u16 = 100;

/// A live account's record and counters.
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    /// The account.
    pub account: AccountId,
    /// Which of the vault's key sets the record lives under.
    pub generation: u32,
    /// 1 at registration, plus one per password change.
    pub version: u64,
    /// The OPAQUE registration record.
    pub registration: [u8; REGISTRATION_UPLOAD_SIZE],
    /// The backup key wrapped under the export key.
    pub wrapped_key: [u8; WRAPPED_KEY_SIZE],
    /// Guesses allowed between two verified logins.
    pub guess_limit: u8,
    /// Guesses evaluated since the last verified login.
    pub used: u8,
    /// Failed guesses over the account's life.
    pub lifetime_used: u16,
    /// The lifetime budget ([`LIFETIME_GUESS_BUDGET`] at registration).
    pub lifetime_budget: u16,
    /// Unix seconds of the last evaluated guess (0 if none).
    pub last_guess_at: u64,
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Nothing here is a secret the vault could use, but the blobs are
        // noise in a log and belong to the user.
        f.debug_struct("Record")
            .field("account", &self.account)
            .field("generation", &self.generation)
            .field("version", &self.version)
            .field("guess_limit", &self.guess_limit)
            .field("used", &self.used)
            .field("lifetime_used", &self.lifetime_used)
            .field("lifetime_budget", &self.lifetime_budget)
            .field("last_guess_at", &self.last_guess_at)
            .finish_non_exhaustive()
    }
}

impl Record {
    /// No guess left right now: the limit, or the lifetime budget, is spent.
    #[must_use]
    pub const fn exhausted(&self) -> bool {
        self.used >= self.guess_limit || self.lifetime_used >= self.lifetime_budget
    }
}

/// Why a tombstone exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tombstone {
    /// The guesses ran out (spec 6.3).
    Destroyed,
    /// The owner deleted it after a verified login (spec 6.6).
    Deleted,
}

/// What the store holds under a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Account {
    /// A record.
    Live(Box<Record>),
    /// Erased; the name stays taken.
    Gone(Tombstone),
    /// Nothing.
    Unknown,
}

/// What [`Storage::begin_guess`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Guess {
    /// The counter was incremented (durably); evaluate against this record
    /// (its counters are after the increment).
    Granted(Box<Record>),
    /// A live record with no guess left; nothing was incremented. If its
    /// last guess was older than the session timeout, the record was
    /// destroyed by this call (`destroyed` is then true).
    Exhausted {
        /// This call destroyed the record.
        destroyed: bool,
    },
    /// No live record (unknown, destroyed or deleted): a dummy login.
    Absent,
}

/// A new account's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    /// The record, with `version` 1 and zero counters.
    pub record: Record,
}

/// A storage failure (the engine's message, never a record's bytes).
#[derive(Debug)]
pub struct StorageError(pub String);

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage: {}", self.0)
    }
}

impl std::error::Error for StorageError {}

/// The store. Every method is one transaction; the ones that change
/// counters are one statement each where the rule needs atomicity.
pub trait Storage: Send + Sync {
    /// Spec 6.2: inserts a new account; `false` (and nothing changed) if
    /// the name exists, live or tombstone.
    ///
    /// # Errors
    ///
    /// The engine failed.
    fn create(&self, record: &Record) -> Result<bool, StorageError>;

    /// Spec 6.3: the guess step. In one atomic statement: if the account is
    /// live and neither its limit nor its lifetime budget is spent, add one
    /// to both counters, set `last_guess_at = now`, and return the record.
    /// Otherwise, if it is live and exhausted and its last guess is at
    /// least `timeout` seconds old, destroy it (one atomic statement too).
    ///
    /// # Errors
    ///
    /// The engine failed: the caller MUST NOT evaluate anything then.
    fn begin_guess(&self, account: &AccountId, now: u64, timeout: u64) -> Result<Guess, StorageError>;

    /// Spec 6.4: a login on record `version` verified: `used = 0`, and the
    /// verified guess is taken off the lifetime count. `false` if the record
    /// is no longer live at that version.
    ///
    /// # Errors
    ///
    /// The engine failed.
    fn guess_verified(&self, account: &AccountId, version: u64) -> Result<bool, StorageError>;

    /// Spec 6.3: a login on record `version` failed (a KE3 that did not
    /// verify, or the client's abort): if the record is exhausted, destroy
    /// it. Returns whether it was destroyed by this call.
    ///
    /// # Errors
    ///
    /// The engine failed.
    fn guess_failed(&self, account: &AccountId, version: u64) -> Result<bool, StorageError>;

    /// Spec 6.5: replaces record `version` by a new one (a password change):
    /// `version + 1`, new registration, wrapped key and key-set generation,
    /// `used = 0`; the lifetime count is kept. `false` if the record is not
    /// live at `version` (compare and swap).
    ///
    /// # Errors
    ///
    /// The engine failed.
    fn replace(
        &self,
        account: &AccountId,
        version: u64,
        generation: u32,
        registration: &[u8; REGISTRATION_UPLOAD_SIZE],
        wrapped_key: &[u8; WRAPPED_KEY_SIZE],
    ) -> Result<bool, StorageError>;

    /// Spec 6.6: erases record `version`, leaving a `Deleted` tombstone.
    /// `false` if it is not live at `version`.
    ///
    /// # Errors
    ///
    /// The engine failed.
    fn delete(&self, account: &AccountId, version: u64) -> Result<bool, StorageError>;

    /// The account's state.
    ///
    /// # Errors
    ///
    /// The engine failed.
    fn get(&self, account: &AccountId) -> Result<Account, StorageError>;

    /// Spec 6.3: destroys every live, exhausted record whose last guess is
    /// at least `timeout` seconds before `now` (no login on it can still
    /// finish). Returns how many.
    ///
    /// # Errors
    ///
    /// The engine failed.
    fn sweep(&self, now: u64, timeout: u64) -> Result<u64, StorageError>;

    /// How many rows (live and tombstones), for the operator's log.
    ///
    /// # Errors
    ///
    /// The engine failed.
    fn count(&self) -> Result<u64, StorageError>;
}

/// The `state` column: 0 live, 1 destroyed, 2 deleted.
pub(crate) fn tombstone_from_code(code: i64) -> Option<Option<Tombstone>> {
    match code {
        0 => Some(None),
        1 => Some(Some(Tombstone::Destroyed)),
        2 => Some(Some(Tombstone::Deleted)),
        _ => None,
    }
}

/// A record from a row's columns, checking every value's range: a row that
/// does not fit is a damaged store, reported, never truncated.
#[allow(clippy::too_many_arguments, reason = "one argument per column")]
pub(crate) fn record_from_columns(
    account: &[u8],
    generation: i64,
    version: i64,
    registration: &[u8],
    wrapped_key: &[u8],
    guess_limit: i64,
    used: i64,
    lifetime_used: i64,
    lifetime_budget: i64,
    last_guess_at: i64,
) -> Result<Record, StorageError> {
    let bad = |what: &str| StorageError(format!("damaged row: {what}"));
    Ok(Record {
        account: AccountId(account.try_into().map_err(|_| bad("account"))?),
        generation: u32::try_from(generation).map_err(|_| bad("generation"))?,
        version: u64::try_from(version).map_err(|_| bad("version"))?,
        registration: registration.try_into().map_err(|_| bad("registration"))?,
        wrapped_key: wrapped_key.try_into().map_err(|_| bad("wrapped key"))?,
        guess_limit: u8::try_from(guess_limit).map_err(|_| bad("guess limit"))?,
        used: u8::try_from(used).map_err(|_| bad("used"))?,
        lifetime_used: u16::try_from(lifetime_used).map_err(|_| bad("lifetime used"))?,
        lifetime_budget: u16::try_from(lifetime_budget).map_err(|_| bad("lifetime budget"))?,
        last_guess_at: u64::try_from(last_guess_at).map_err(|_| bad("last guess"))?,
    })
}

/// `u64` seconds or versions as the engines' signed 64-bit integers.
pub(crate) fn to_i64(v: u64) -> Result<i64, StorageError> {
    i64::try_from(v).map_err(|_| StorageError(format!("value out of range: {v}")))
}
