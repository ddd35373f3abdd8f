//! `ebak-vault`: the backup key vault server.
//!
//! ```text
//! ebak-vault serve --db vault.sqlite            # SQLite, keys in vault.keys beside it
//! ebak-vault serve --postgres URL --keys FILE   # PostgreSQL
//! ebak-vault keys --keys FILE                   # the public keys clients pin
//! ebak-vault rotate-keys --keys FILE            # add a new current key set
//! ```

use clap::{Parser, Subcommand};
use ebak_vault::http::{self, HttpConfig, log, unix_now};
use ebak_vault::keyfile::KeySets;
use ebak_vault::service::{Config, Vault};
use ebak_vault::storage::Storage;
use ebak_vault::storage::postgres::PostgresStorage;
use ebak_vault::storage::sqlite::SqliteStorage;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(name = "ebak-vault", version, about = "The ebak backup key vault (spec/ebak-vault-v1.md)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the vault over HTTP/1.1.
    Serve {
        /// The SQLite store (created on first start).
        #[arg(long, conflicts_with = "postgres", required_unless_present = "postgres")]
        db: Option<PathBuf>,
        /// A PostgreSQL connection string or URL instead of SQLite.
        #[arg(long)]
        postgres: Option<String>,
        /// The key file (created on first start, mode 0600). Default: the
        /// SQLite file's path with the extension `.keys`.
        #[arg(long)]
        keys: Option<PathBuf>,
        /// Address to listen on (port 0 picks a free port; the first log
        /// line says which).
        #[arg(long, default_value = "127.0.0.1:8470")]
        listen: String,
        /// Store connections. Default: 1 for SQLite (it runs one writer at a
        /// time, and every login writes: more connections only wait in
        /// SQLite's busy handler, which sleeps; bench/README.md), 8 for
        /// PostgreSQL.
        #[arg(long)]
        connections: Option<usize>,
        /// Requests per second per client address (0: no limit).
        #[arg(long, default_value_t = 20)]
        ip_rate: u32,
        /// Burst per client address.
        #[arg(long, default_value_t = 60)]
        ip_burst: u32,
        /// Login starts per account per minute (0: no limit).
        #[arg(long, default_value_t = 20)]
        account_rate: u32,
        /// Login session lifetime, seconds.
        #[arg(long, default_value_t = 60)]
        session_timeout: u64,
    },
    /// Print the vault's public keys (what a client pins).
    Keys {
        /// The key file.
        #[arg(long)]
        keys: PathBuf,
    },
    /// Add a new current key set (spec 7.2). Restart the server after.
    RotateKeys {
        /// The key file.
        #[arg(long)]
        keys: PathBuf,
    },
}

fn print_keys(keys: &KeySets) {
    let (current, _) = keys.current();
    for (g, k) in keys.all().enumerate() {
        let p = k.public();
        println!(
            "generation {g}{}: vault_id {} key_id {} opaque_pk {} signing_pk {}",
            if u32::try_from(g).ok() == Some(current) { " (current)" } else { "" },
            p.vault_id,
            p.key_id(),
            ebak_vault_proto::ids::hex(&p.opaque_pk),
            ebak_vault_proto::ids::hex(&p.signing_pk),
        );
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ebak-vault: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::Keys { keys } => {
            print_keys(&KeySets::load(&keys)?);
            Ok(())
        }
        Command::RotateKeys { keys: path } => {
            let mut keys = KeySets::load(&path)?;
            keys.rotate(unix_now())?;
            keys.save(&path)?;
            print_keys(&keys);
            Ok(())
        }
        Command::Serve {
            db,
            postgres,
            keys,
            listen,
            connections,
            ip_rate,
            ip_burst,
            account_rate,
            session_timeout,
        } => {
            let key_path = match (&keys, &db) {
                (Some(k), _) => k.clone(),
                (None, Some(db)) => db.with_extension("keys"),
                (None, None) => return Err("--keys is required with --postgres".into()),
            };
            let (key_sets, created) = KeySets::load_or_create(&key_path, unix_now())?;
            let storage: Arc<dyn Storage> = match (&db, &postgres) {
                (Some(db), _) => Arc::new(SqliteStorage::open(db, connections.unwrap_or(1))?),
                (None, Some(url)) => Arc::new(PostgresStorage::connect(url, connections.unwrap_or(8))?),
                (None, None) => return Err("--db or --postgres is required".into()),
            };
            let rows = storage.count()?;
            // Fault injection for the crash tests (vault/server/tests/crash.rs):
            // a pause between the durable guess step and the reply.
            let pause_ms =
                std::env::var("EBAK_VAULT_FAULT_PAUSE_AFTER_GUESS_MS").ok().and_then(|v| v.parse::<u64>().ok());
            if let Some(ms) = pause_ms {
                log(serde_json::json!({"ts": unix_now(), "event": "fault-injection", "pause_after_guess_ms": ms}));
            }
            let config = Config {
                session_timeout: session_timeout.max(1),
                account_logins_per_minute: account_rate,
                fault_pause_after_guess: Duration::from_millis(pause_ms.unwrap_or(0)),
                ..Config::default()
            };
            let http_config = HttpConfig { ip_rate, ip_burst, ..HttpConfig::default() };
            let (_, current) = key_sets.current();
            let public = *current.public();
            let vault = Arc::new(Vault::new(key_sets, storage, config));
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&listen).await?;
                log(serde_json::json!({
                    "ts": unix_now(),
                    "event": "listening",
                    "addr": listener.local_addr()?.to_string(),
                    "engine": if db.is_some() { "sqlite" } else { "postgres" },
                    "accounts": rows,
                    "keys_created": created,
                    "vault_id": public.vault_id.to_hex(),
                    "key_id": public.key_id().to_hex(),
                }));
                let shutdown = async {
                    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                        Ok(s) => s,
                        Err(_) => return std::future::pending().await,
                    };
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                };
                http::serve(listener, vault, http_config, Duration::from_secs((session_timeout / 2).max(1)), shutdown)
                    .await?;
                log(serde_json::json!({"ts": unix_now(), "event": "stopped"}));
                Ok::<_, Box<dyn std::error::Error>>(())
            })
        }
    }
}
