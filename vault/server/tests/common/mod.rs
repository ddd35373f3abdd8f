//! What the vault's tests share: both engines, fresh names, records.
#![allow(dead_code, reason = "each test file uses part of it")]

use ebak_vault::storage::postgres::PostgresStorage;
use ebak_vault::storage::sqlite::SqliteStorage;
use ebak_vault::storage::{LIFETIME_GUESS_BUDGET, Record, Storage};
use ebak_vault_proto::AccountId;
use std::sync::Arc;

/// The variable that names the test PostgreSQL server (`.ci/run` starts
/// one and sets it; `bash vault/server/tests/pg.sh start` does locally).
pub const POSTGRES_URL_VAR: &str = "EBAK_VAULT_POSTGRES_URL";
/// Set to 1 to skip the PostgreSQL half of the tests on a machine
/// without one. CI never sets it: there, a missing URL fails the tests.
pub const SKIP_POSTGRES_VAR: &str = "EBAK_VAULT_SKIP_POSTGRES";

/// The PostgreSQL URL, or `None` when skipping was asked for. Panics (a
/// test failure) when neither is set, or in CI without a URL.
pub fn postgres_url() -> Option<String> {
    if let Ok(url) = std::env::var(POSTGRES_URL_VAR) {
        return Some(url);
    }
    let in_ci = std::env::var_os("CI").is_some();
    if !in_ci && std::env::var(SKIP_POSTGRES_VAR).as_deref() == Ok("1") {
        eprintln!("note: PostgreSQL half skipped ({SKIP_POSTGRES_VAR}=1)");
        return None;
    }
    panic!(
        "these tests need a PostgreSQL server: set {POSTGRES_URL_VAR} (`bash vault/server/tests/pg.sh start DIR` \
         starts a throwaway one and prints it), or {SKIP_POSTGRES_VAR}=1 to skip them outside CI"
    );
}

/// Both engines, fresh: SQLite in a temporary directory (kept alive by
/// the returned guard), PostgreSQL on the test server.
/// Named engines.
pub type Engines = Vec<(&'static str, Arc<dyn Storage>)>;

pub fn engines(connections: usize) -> (Engines, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStorage::open(&dir.path().join("vault.sqlite"), connections).unwrap();
    let mut out: Vec<(&'static str, Arc<dyn Storage>)> = vec![("sqlite", Arc::new(sqlite))];
    if let Some(url) = postgres_url() {
        out.push(("postgres", Arc::new(PostgresStorage::connect(&url, connections).unwrap())));
    }
    (out, dir)
}

/// A fresh random account name (tests share the PostgreSQL database).
pub fn fresh_account() -> AccountId {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).unwrap();
    AccountId(id)
}

/// A new record with `guess_limit`, arbitrary bytes.
pub fn new_record(account: AccountId, guess_limit: u8) -> Record {
    Record {
        account,
        generation: 0,
        version: 1,
        registration: [0x11; 192],
        wrapped_key: [0x22; 104],
        guess_limit,
        used: 0,
        lifetime_used: 0,
        lifetime_budget: LIFETIME_GUESS_BUDGET,
        last_guess_at: 0,
    }
}
