//! The PostgreSQL store, for operators who outgrow one machine (spec 6.9).
//!
//! The same table and the same statements as the SQLite store. Under
//! PostgreSQL's default isolation (read committed), a second `UPDATE` of a
//! row waits for the first to commit and then re-checks its `WHERE` clause
//! on the new row, so the guess statement stays atomic across any number
//! of connections and server processes. Commits wait for the WAL flush
//! (`synchronous_commit` is left on; the store refuses to start if it is
//! off).

use super::pool::Pool;
use super::{Account, Guess, Record, Storage, StorageError, record_from_columns, to_i64, tombstone_from_code};
use ebak_vault_proto::AccountId;
use ebak_vault_proto::msg::{REGISTRATION_UPLOAD_SIZE, WRAPPED_KEY_SIZE};
use postgres::{Client, NoTls, Row};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    account         BYTEA    NOT NULL PRIMARY KEY CHECK (length(account) = 16),
    state           SMALLINT NOT NULL CHECK (state IN (0, 1, 2)),
    generation      BIGINT   NOT NULL CHECK (generation >= 0),
    version         BIGINT   NOT NULL CHECK (version >= 1),
    registration    BYTEA             CHECK (registration IS NULL OR length(registration) = 192),
    wrapped_key     BYTEA             CHECK (wrapped_key IS NULL OR length(wrapped_key) = 104),
    guess_limit     SMALLINT NOT NULL CHECK (guess_limit BETWEEN 1 AND 10),
    used            SMALLINT NOT NULL CHECK (used BETWEEN 0 AND guess_limit),
    lifetime_used   INTEGER  NOT NULL CHECK (lifetime_used BETWEEN 0 AND lifetime_budget),
    lifetime_budget INTEGER  NOT NULL CHECK (lifetime_budget BETWEEN 1 AND 65535),
    last_guess_at   BIGINT   NOT NULL CHECK (last_guess_at >= 0),
    CHECK ((state = 0) = (registration IS NOT NULL AND wrapped_key IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS exhausted ON accounts (last_guess_at)
    WHERE state = 0 AND (used >= guess_limit OR lifetime_used >= lifetime_budget);
";

const COLUMNS: &str = "account, generation, version, registration, wrapped_key, guess_limit::BIGINT, used::BIGINT, \
                       lifetime_used::BIGINT, lifetime_budget::BIGINT, last_guess_at";

const ERASE: &str = "registration = NULL, wrapped_key = NULL";

/// The PostgreSQL store.
pub struct PostgresStorage {
    pool: Pool<Client>,
}

impl std::fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connection string may hold a password: never printed.
        f.write_str("PostgresStorage")
    }
}

fn err(e: &postgres::Error) -> StorageError {
    StorageError(format!("postgres: {e}"))
}

fn record(row: &Row) -> Result<Record, StorageError> {
    let get_bytes = |i: usize| row.try_get::<_, Vec<u8>>(i).map_err(|e| err(&e));
    let get_int = |i: usize| row.try_get::<_, i64>(i).map_err(|e| err(&e));
    record_from_columns(
        &get_bytes(0)?,
        get_int(1)?,
        get_int(2)?,
        &get_bytes(3)?,
        &get_bytes(4)?,
        get_int(5)?,
        get_int(6)?,
        get_int(7)?,
        get_int(8)?,
        get_int(9)?,
    )
}

impl PostgresStorage {
    /// Connects `connections` times (at least one) to `url` (a libpq-style
    /// connection string or URL; TLS is not supported: use a local socket,
    /// loopback or a private network) and creates the table if needed.
    ///
    /// # Errors
    ///
    /// The server cannot be reached, or commits are not synchronous.
    pub fn connect(url: &str, connections: usize) -> Result<Self, StorageError> {
        let mut clients = Vec::new();
        for i in 0..connections.max(1) {
            let mut client = Client::connect(url, NoTls).map_err(|e| err(&e))?;
            let sync: String =
                client.query_one("SHOW synchronous_commit", &[]).and_then(|r| r.try_get(0)).map_err(|e| err(&e))?;
            if sync == "off" {
                return Err(StorageError("postgres: synchronous_commit is off: a crash could refund a guess".into()));
            }
            if i == 0 {
                client.batch_execute(SCHEMA).map_err(|e| err(&e))?;
            }
            clients.push(client);
        }
        Ok(Self { pool: Pool::new(clients) })
    }

    /// Drops the table (tests only: each test starts from an empty store).
    ///
    /// # Errors
    ///
    /// The engine failed.
    pub fn reset_for_tests(&self) -> Result<(), StorageError> {
        self.pool.with(|c| c.batch_execute("TRUNCATE accounts").map_err(|e| err(&e)))
    }
}

impl Storage for PostgresStorage {
    fn create(&self, r: &Record) -> Result<bool, StorageError> {
        let version = to_i64(r.version)?;
        let last = to_i64(r.last_guess_at)?;
        self.pool.with(|c| {
            c.execute(
                "INSERT INTO accounts (state, account, generation, version, registration, wrapped_key, guess_limit, used,
                                       lifetime_used, lifetime_budget, last_guess_at)
                 VALUES (0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (account) DO NOTHING",
                &[
                    &&r.account.0[..],
                    &i64::from(r.generation),
                    &version,
                    &&r.registration[..],
                    &&r.wrapped_key[..],
                    &i16::from(r.guess_limit),
                    &i16::from(r.used),
                    &i32::from(r.lifetime_used),
                    &i32::from(r.lifetime_budget),
                    &last,
                ],
            )
            .map(|n| n == 1)
            .map_err(|e| err(&e))
        })
    }

    fn begin_guess(&self, account: &AccountId, now: u64, timeout: u64) -> Result<Guess, StorageError> {
        let now_i = to_i64(now)?;
        let cutoff = to_i64(now.saturating_sub(timeout))?;
        self.pool.with(|c| {
            // Spec 6.3: the guess step, one statement.
            let granted = c
                .query_opt(
                    &format!(
                        "UPDATE accounts SET used = used + 1, lifetime_used = lifetime_used + 1, last_guess_at = $2
                         WHERE account = $1 AND state = 0 AND used < guess_limit AND lifetime_used < lifetime_budget
                         RETURNING {COLUMNS}"
                    ),
                    &[&&account.0[..], &now_i],
                )
                .map_err(|e| err(&e))?;
            if let Some(row) = granted {
                return record(&row).map(|r| Guess::Granted(Box::new(r)));
            }
            let destroyed = c
                .execute(
                    &format!(
                        "UPDATE accounts SET state = 1, {ERASE}
                         WHERE account = $1 AND state = 0 AND (used >= guess_limit OR lifetime_used >= lifetime_budget)
                           AND last_guess_at <= $2"
                    ),
                    &[&&account.0[..], &cutoff],
                )
                .map_err(|e| err(&e))?;
            if destroyed == 1 {
                return Ok(Guess::Exhausted { destroyed: true });
            }
            let state = c
                .query_opt("SELECT state FROM accounts WHERE account = $1", &[&&account.0[..]])
                .map_err(|e| err(&e))?
                .map(|r| r.try_get::<_, i16>(0))
                .transpose()
                .map_err(|e| err(&e))?;
            Ok(if state == Some(0) { Guess::Exhausted { destroyed: false } } else { Guess::Absent })
        })
    }

    fn guess_verified(&self, account: &AccountId, version: u64) -> Result<bool, StorageError> {
        let version = to_i64(version)?;
        self.pool.with(|c| {
            c.execute(
                "UPDATE accounts SET used = 0, lifetime_used = greatest(lifetime_used - 1, 0)
                 WHERE account = $1 AND state = 0 AND version = $2",
                &[&&account.0[..], &version],
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
                     WHERE account = $1 AND state = 0 AND version = $2
                       AND (used >= guess_limit OR lifetime_used >= lifetime_budget)"
                ),
                &[&&account.0[..], &version],
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
                "UPDATE accounts SET version = version + 1, generation = $3, registration = $4, wrapped_key = $5, used = 0
                 WHERE account = $1 AND state = 0 AND version = $2",
                &[&&account.0[..], &version, &i64::from(generation), &&registration[..], &&wrapped_key[..]],
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
                    "UPDATE accounts SET state = 2, {ERASE}, used = 0 WHERE account = $1 AND state = 0 AND version = $2"
                ),
                &[&&account.0[..], &version],
            )
            .map(|n| n == 1)
            .map_err(|e| err(&e))
        })
    }

    fn get(&self, account: &AccountId) -> Result<Account, StorageError> {
        self.pool.with(|c| {
            let row = c
                .query_opt(
                    &format!("SELECT state::BIGINT, {COLUMNS} FROM accounts WHERE account = $1"),
                    &[&&account.0[..]],
                )
                .map_err(|e| err(&e))?;
            let Some(row) = row else { return Ok(Account::Unknown) };
            let state: i64 = row.try_get(0).map_err(|e| err(&e))?;
            match tombstone_from_code(state) {
                Some(Some(t)) => Ok(Account::Gone(t)),
                Some(None) => {
                    let get_bytes = |i: usize| row.try_get::<_, Vec<u8>>(i).map_err(|e| err(&e));
                    let get_int = |i: usize| row.try_get::<_, i64>(i).map_err(|e| err(&e));
                    record_from_columns(
                        &get_bytes(1)?,
                        get_int(2)?,
                        get_int(3)?,
                        &get_bytes(4)?,
                        &get_bytes(5)?,
                        get_int(6)?,
                        get_int(7)?,
                        get_int(8)?,
                        get_int(9)?,
                        get_int(10)?,
                    )
                    .map(|r| Account::Live(Box::new(r)))
                }
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
                     WHERE state = 0 AND (used >= guess_limit OR lifetime_used >= lifetime_budget) AND last_guess_at <= $1"
                ),
                &[&cutoff],
            )
            .map_err(|e| err(&e))
        })
    }

    fn count(&self) -> Result<u64, StorageError> {
        self.pool.with(|c| {
            let n: i64 =
                c.query_one("SELECT count(*) FROM accounts", &[]).and_then(|r| r.try_get(0)).map_err(|e| err(&e))?;
            u64::try_from(n).map_err(|_| StorageError("negative count".into()))
        })
    }
}
