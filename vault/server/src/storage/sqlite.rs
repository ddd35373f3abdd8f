//! The embedded default store: one SQLite file (spec 6.9).
//!
//! WAL journal and `synchronous = FULL`, so that a statement that returned
//! has reached the disk (a crash after it keeps it); `secure_delete`, so
//! that an erased record's bytes are overwritten in the file rather than
//! left in a free page. Several connections share the file; SQLite runs
//! one writer at a time, and a write statement takes the write lock when
//! it starts, so each counter statement is atomic.

use super::pool::Pool;
use super::{Account, Guess, Record, Storage, StorageError, record_from_columns, to_i64, tombstone_from_code};
use ebak_vault_proto::AccountId;
use ebak_vault_proto::msg::{REGISTRATION_UPLOAD_SIZE, WRAPPED_KEY_SIZE};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

/// The schema. `CHECK` constraints repeat the counter rules, so that even
/// a bug in a statement cannot store `used > guess_limit`.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    account         BLOB    NOT NULL PRIMARY KEY CHECK (length(account) = 16),
    state           INTEGER NOT NULL CHECK (state IN (0, 1, 2)),
    generation      INTEGER NOT NULL CHECK (generation >= 0),
    version         INTEGER NOT NULL CHECK (version >= 1),
    registration    BLOB             CHECK (registration IS NULL OR length(registration) = 192),
    wrapped_key     BLOB             CHECK (wrapped_key IS NULL OR length(wrapped_key) = 104),
    guess_limit     INTEGER NOT NULL CHECK (guess_limit BETWEEN 1 AND 10),
    used            INTEGER NOT NULL CHECK (used BETWEEN 0 AND guess_limit),
    lifetime_used   INTEGER NOT NULL CHECK (lifetime_used BETWEEN 0 AND lifetime_budget),
    lifetime_budget INTEGER NOT NULL CHECK (lifetime_budget BETWEEN 1 AND 65535),
    last_guess_at   INTEGER NOT NULL CHECK (last_guess_at >= 0),
    CHECK ((state = 0) = (registration IS NOT NULL AND wrapped_key IS NOT NULL))
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS exhausted ON accounts (last_guess_at)
    WHERE state = 0 AND (used >= guess_limit OR lifetime_used >= lifetime_budget);
";

const COLUMNS: &str = "account, generation, version, registration, wrapped_key, guess_limit, used, lifetime_used, lifetime_budget, last_guess_at";

/// Erases a record: the bytes become NULL, the counters stay.
const ERASE: &str = "registration = NULL, wrapped_key = NULL";

/// The SQLite store.
#[derive(Debug)]
pub struct SqliteStorage {
    pool: Pool<Connection>,
}

fn err(e: &rusqlite::Error) -> StorageError {
    StorageError(format!("sqlite: {e}"))
}

fn record(row: &Row<'_>) -> rusqlite::Result<Result<Record, StorageError>> {
    let account: Vec<u8> = row.get(0)?;
    let registration: Vec<u8> = row.get(3)?;
    let wrapped: Vec<u8> = row.get(4)?;
    Ok(record_from_columns(
        &account,
        row.get(1)?,
        row.get(2)?,
        &registration,
        &wrapped,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
    ))
}

impl SqliteStorage {
    /// Opens (creating if needed) the store at `path` with `connections`
    /// connections (at least one).
    ///
    /// # Errors
    ///
    /// The file cannot be opened or is not a vault store.
    pub fn open(path: &Path, connections: usize) -> Result<Self, StorageError> {
        // A new store is created readable by its owner only (SQLite gives
        // its -wal and -shm files the same permissions).
        if path != Path::new(":memory:") && !path.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| StorageError(format!("sqlite: {}: {e}", path.display())))?;
        }
        let mut conns = Vec::new();
        for i in 0..connections.max(1) {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(|e| err(&e))?;
            conn.busy_timeout(Duration::from_secs(30)).map_err(|e| err(&e))?;
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(|e| err(&e))?;
            if !mode.eq_ignore_ascii_case("wal") && path != Path::new(":memory:") {
                return Err(StorageError(format!("sqlite: WAL journal refused (got {mode})")));
            }
            conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA secure_delete = ON;").map_err(|e| err(&e))?;
            if i == 0 {
                conn.execute_batch(SCHEMA).map_err(|e| err(&e))?;
            }
            conns.push(conn);
        }
        Ok(Self { pool: Pool::new(conns) })
    }
}

impl Storage for SqliteStorage {
    fn create(&self, r: &Record) -> Result<bool, StorageError> {
        self.pool.with(|c| {
            let n = c
                .execute(
                    &format!("INSERT INTO accounts (state, {COLUMNS}) VALUES (0, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (account) DO NOTHING"),
                    params![
                        &r.account.0[..],
                        i64::from(r.generation),
                        to_i64(r.version)?,
                        &r.registration[..],
                        &r.wrapped_key[..],
                        i64::from(r.guess_limit),
                        i64::from(r.used),
                        i64::from(r.lifetime_used),
                        i64::from(r.lifetime_budget),
                        to_i64(r.last_guess_at)?,
                    ],
                )
                .map_err(|e| err(&e))?;
            Ok(n == 1)
        })
    }

    fn begin_guess(&self, account: &AccountId, now: u64, timeout: u64) -> Result<Guess, StorageError> {
        let now_i = to_i64(now)?;
        let cutoff = to_i64(now.saturating_sub(timeout))?;
        self.pool.with(|c| {
            // Spec 6.3: the guess step, one statement.
            let granted = c
                .query_row(
                    &format!(
                        "UPDATE accounts SET used = used + 1, lifetime_used = lifetime_used + 1, last_guess_at = ?2
                         WHERE account = ?1 AND state = 0 AND used < guess_limit AND lifetime_used < lifetime_budget
                         RETURNING {COLUMNS}"
                    ),
                    params![&account.0[..], now_i],
                    record,
                )
                .optional()
                .map_err(|e| err(&e))?;
            if let Some(r) = granted {
                return r.map(|r| Guess::Granted(Box::new(r)));
            }
            // Spec 6.3: exhausted and no login on it can still finish: destroy.
            let destroyed = c
                .execute(
                    &format!(
                        "UPDATE accounts SET state = 1, {ERASE}
                         WHERE account = ?1 AND state = 0 AND (used >= guess_limit OR lifetime_used >= lifetime_budget)
                           AND last_guess_at <= ?2"
                    ),
                    params![&account.0[..], cutoff],
                )
                .map_err(|e| err(&e))?;
            if destroyed == 1 {
                return Ok(Guess::Exhausted { destroyed: true });
            }
            let state: Option<i64> = c
                .query_row("SELECT state FROM accounts WHERE account = ?1", params![&account.0[..]], |r| r.get(0))
                .optional()
                .map_err(|e| err(&e))?;
            Ok(if state == Some(0) { Guess::Exhausted { destroyed: false } } else { Guess::Absent })
        })
    }

    fn guess_verified(&self, account: &AccountId, version: u64) -> Result<bool, StorageError> {
        let version = to_i64(version)?;
        self.pool.with(|c| {
            c.execute(
                "UPDATE accounts SET used = 0, lifetime_used = max(lifetime_used - 1, 0)
                 WHERE account = ?1 AND state = 0 AND version = ?2",
                params![&account.0[..], version],
            )
            .map(|n| n == 1)
            .map_err(|e| err(&e))
        })
    }

    fn guess_failed(&self, account: &AccountId, version: u64) -> Result<bool, StorageError> {
        let version = to_i64(version)?;
        self.pool.with(|c| {
            c.execute(
                &format!(
                    "UPDATE accounts SET state = 1, {ERASE}
                     WHERE account = ?1 AND state = 0 AND version = ?2
                       AND (used >= guess_limit OR lifetime_used >= lifetime_budget)"
                ),
                params![&account.0[..], version],
            )
            .map(|n| n == 1)
            .map_err(|e| err(&e))
        })
    }

    fn replace(
        &self,
        account: &AccountId,
        version: u64,
        generation: u32,
        registration: &[u8; REGISTRATION_UPLOAD_SIZE],
        wrapped_key: &[u8; WRAPPED_KEY_SIZE],
    ) -> Result<bool, StorageError> {
        let version = to_i64(version)?;
        self.pool.with(|c| {
            c.execute(
                "UPDATE accounts SET version = version + 1, generation = ?3, registration = ?4, wrapped_key = ?5, used = 0
                 WHERE account = ?1 AND state = 0 AND version = ?2",
                params![&account.0[..], version, i64::from(generation), &registration[..], &wrapped_key[..]],
            )
            .map(|n| n == 1)
            .map_err(|e| err(&e))
        })
    }

    fn delete(&self, account: &AccountId, version: u64) -> Result<bool, StorageError> {
        let version = to_i64(version)?;
        self.pool.with(|c| {
            c.execute(
                &format!(
                    "UPDATE accounts SET state = 2, {ERASE}, used = 0 WHERE account = ?1 AND state = 0 AND version = ?2"
                ),
                params![&account.0[..], version],
            )
            .map(|n| n == 1)
            .map_err(|e| err(&e))
        })
    }

    fn get(&self, account: &AccountId) -> Result<Account, StorageError> {
        self.pool.with(|c| {
            let state: Option<i64> = c
                .query_row("SELECT state FROM accounts WHERE account = ?1", params![&account.0[..]], |r| r.get(0))
                .optional()
                .map_err(|e| err(&e))?;
            let Some(state) = state else { return Ok(Account::Unknown) };
            match tombstone_from_code(state) {
                Some(Some(t)) => Ok(Account::Gone(t)),
                Some(None) => c
                    .query_row(
                        &format!("SELECT {COLUMNS} FROM accounts WHERE account = ?1"),
                        params![&account.0[..]],
                        record,
                    )
                    .map_err(|e| err(&e))?
                    .map(|r| Account::Live(Box::new(r))),
                None => Err(StorageError(format!("damaged row: state {state}"))),
            }
        })
    }

    fn sweep(&self, now: u64, timeout: u64) -> Result<u64, StorageError> {
        let cutoff = to_i64(now.saturating_sub(timeout))?;
        self.pool.with(|c| {
            c.execute(
                &format!(
                    "UPDATE accounts SET state = 1, {ERASE}
                     WHERE state = 0 AND (used >= guess_limit OR lifetime_used >= lifetime_budget) AND last_guess_at <= ?1"
                ),
                params![cutoff],
            )
            .map(|n| u64::try_from(n).unwrap_or(u64::MAX))
            .map_err(|e| err(&e))
        })
    }

    fn count(&self) -> Result<u64, StorageError> {
        self.pool.with(|c| {
            let n: i64 = c.query_row("SELECT count(*) FROM accounts", [], |r| r.get(0)).map_err(|e| err(&e))?;
            u64::try_from(n).map_err(|_| StorageError("negative count".into()))
        })
    }
}
