//! A vault served on loopback inside the test process, on either engine.
#![allow(dead_code, reason = "each test file uses part of it")]

use ebak_core::kdf::KdfParams;
use ebak_vault::http::{HttpConfig, LoopbackServer};
use ebak_vault::keyfile::KeySets;
use ebak_vault::service::{Config, Vault};
use ebak_vault::storage::Storage;
use ebak_vault::storage::postgres::PostgresStorage;
use ebak_vault::storage::sqlite::SqliteStorage;
use ebak_vault_client::Options;
use ebak_vault_proto::PublicKeys;
use std::sync::Arc;

/// Cheap key stretching: the vault never runs it, so its cost changes
/// nothing on the server, and the tests run many logins.
pub const CHEAP: KdfParams = KdfParams { memory_kib: 64, iterations: 1, parallelism: 1 };

pub fn cheap_options() -> Options {
    Options { ksf: CHEAP, ..Options::default() }
}

/// `EBAK_VAULT_POSTGRES_URL`, or `None` when `EBAK_VAULT_SKIP_POSTGRES=1`
/// outside CI; otherwise a test failure (see vault/server/tests/common).
pub fn postgres_url() -> Option<String> {
    if let Ok(url) = std::env::var("EBAK_VAULT_POSTGRES_URL") {
        return Some(url);
    }
    if std::env::var_os("CI").is_none() && std::env::var("EBAK_VAULT_SKIP_POSTGRES").as_deref() == Ok("1") {
        eprintln!("note: PostgreSQL half skipped (EBAK_VAULT_SKIP_POSTGRES=1)");
        return None;
    }
    panic!(
        "these tests need a PostgreSQL server: set EBAK_VAULT_POSTGRES_URL (`bash vault/server/tests/pg.sh start DIR` \
         starts a throwaway one and prints it), or EBAK_VAULT_SKIP_POSTGRES=1 to skip them outside CI"
    );
}

/// A running vault.
pub struct TestVault {
    pub url: String,
    pub keys: PublicKeys,
    pub vault: Arc<Vault>,
    _server: LoopbackServer,
    _dir: tempfile::TempDir,
}

impl TestVault {
    /// A vault on `storage` with no rate limits (the tests set their own).
    pub fn start(storage: Arc<dyn Storage>, config: Config, http: HttpConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let keys = KeySets::generate(0).unwrap();
        let public = *keys.current().1.public();
        let vault = Arc::new(Vault::new(keys, storage, config));
        let server = LoopbackServer::start(Arc::clone(&vault), http, 2).unwrap();
        Self { url: server.url(), keys: public, vault, _server: server, _dir: dir }
    }

    /// The default engine (SQLite in a temporary directory).
    pub fn sqlite(config: Config, http: HttpConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(&dir.path().join("vault.sqlite"), 8).unwrap();
        let mut v = Self::start(Arc::new(storage), config, http);
        v._dir = dir;
        v
    }

    /// Every engine this run has.
    pub fn each(config: Config, http: HttpConfig) -> Vec<(&'static str, Self)> {
        let mut out = vec![("sqlite", Self::sqlite(config, http))];
        if let Some(url) = postgres_url() {
            out.push(("postgres", Self::start(Arc::new(PostgresStorage::connect(&url, 8).unwrap()), config, http)));
        }
        out
    }
}

/// No rate limits, default timeouts.
pub fn unlimited() -> (Config, HttpConfig) {
    (
        Config { account_logins_per_minute: 0, ..Config::default() },
        HttpConfig { ip_rate: 0, log: false, ..HttpConfig::default() },
    )
}
