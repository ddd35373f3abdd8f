//! The `ebak-vault` binary killed with SIGKILL between the durable guess
//! step and its reply, then restarted, on both engines (issue 16): the
//! guess stays spent, every record is kept, the keys are the same. Also:
//! the key file is created 0600, and no log line holds a secret.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use ebak_core::kdf::{KdfLimits, KdfParams};
use ebak_core::{BackupKey, DefaultAead};
use ebak_vault::storage::postgres::PostgresStorage;
use ebak_vault::storage::sqlite::SqliteStorage;
use ebak_vault::storage::{Account, Storage};
use ebak_vault_proto::client::{self as proto, LoginReply};
use ebak_vault_proto::msg::{AccountState, MessageType};
use ebak_vault_proto::{AccountId, Ksf, PublicKeys};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CHEAP: KdfParams = KdfParams { memory_kib: 64, iterations: 1, parallelism: 1 };

fn ksf() -> Ksf {
    Ksf::checked(CHEAP, &KdfLimits::V1).unwrap()
}

/// A running `ebak-vault serve`, its URL and everything it logged.
struct Server {
    child: Child,
    url: String,
}

#[derive(Clone)]
enum Engine {
    Sqlite(PathBuf),
    Postgres(String, PathBuf),
}

impl Engine {
    fn args(&self) -> Vec<String> {
        match self {
            Self::Sqlite(db) => vec!["--db".into(), db.display().to_string()],
            Self::Postgres(url, keys) => {
                vec!["--postgres".into(), url.clone(), "--keys".into(), keys.display().to_string()]
            }
        }
    }

    fn storage(&self) -> Box<dyn Storage> {
        match self {
            Self::Sqlite(db) => Box::new(SqliteStorage::open(db, 1).unwrap()),
            Self::Postgres(url, _) => Box::new(PostgresStorage::connect(url, 1).unwrap()),
        }
    }

    fn key_file(&self) -> PathBuf {
        match self {
            Self::Sqlite(db) => db.with_extension("keys"),
            Self::Postgres(_, keys) => keys.clone(),
        }
    }
}

fn start(engine: &Engine, pause_ms: Option<u64>, log: &Arc<Mutex<Vec<String>>>) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ebak-vault"));
    cmd.arg("serve")
        .args(engine.args())
        .args(["--listen", "127.0.0.1:0", "--ip-rate", "0", "--account-rate", "0", "--connections", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(ms) = pause_ms {
        cmd.env("EBAK_VAULT_FAULT_PAUSE_AFTER_GUESS_MS", ms.to_string());
    }
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = Arc::clone(log);
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent && line.contains("\"event\":\"listening\"") {
                let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                tx.send(v["addr"].as_str().unwrap().to_owned()).unwrap();
                sent = true;
            }
            sink.lock().unwrap().push(line);
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(30)).expect("the server did not start");
    Server { child, url: format!("http://{addr}") }
}

impl Server {
    fn kill(mut self) {
        // SIGKILL: no shutdown code runs.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

fn post(base: &str, ty: MessageType, body: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut r = agent.post(&format!("{base}{}", ty.path())).send(body).map_err(|e| e.to_string())?;
    Ok((r.status().as_u16(), r.body_mut().read_to_vec().map_err(|e| e.to_string())?))
}

fn keys_of(url: &str) -> PublicKeys {
    let request = proto::keys_request(&mut getrandom::SysRng).unwrap();
    let (_, answer) = post(url, MessageType::Keys, &request).unwrap();
    proto::keys_answer(&request, &answer).unwrap()
}

fn register(url: &str, keys: PublicKeys, password: &str, key: &BackupKey) -> AccountId {
    let rng = &mut getrandom::SysRng;
    let reg = proto::Registration::start(rng, keys, password, 10, ksf()).unwrap();
    let (_, answer) = post(url, MessageType::RegisterStart, reg.request()).unwrap();
    let upload = reg.finish::<DefaultAead, _>(rng, &answer, key).unwrap();
    let (_, answer) = post(url, MessageType::RegisterFinish, upload.request()).unwrap();
    upload.complete(&answer).unwrap().account
}

fn wrong_guess(url: &str, keys: PublicKeys, account: AccountId) -> Vec<u8> {
    let rng = &mut getrandom::SysRng;
    let login = proto::Login::start(rng, keys, account, "wrong", ksf()).unwrap();
    let (status, answer) = post(url, MessageType::LoginStart, login.request()).unwrap();
    assert_eq!(status, 200);
    let started = ebak_vault_proto::msg::Response::split_signed(MessageType::LoginStart, &answer).unwrap().0;
    let session = started.body[..16].to_vec();
    let LoginReply::WrongPassword(abort) = login.receive(rng, &answer).unwrap() else { panic!() };
    post(url, MessageType::LoginAbort, abort.request()).unwrap();
    session
}

fn status(url: &str, keys: &PublicKeys, account: AccountId) -> ebak_vault_proto::msg::Status {
    let request = proto::status_request(&mut getrandom::SysRng, keys, account).unwrap();
    let (_, answer) = post(url, MessageType::Status, &request).unwrap();
    proto::status_answer(keys, &request, &answer).unwrap()
}

fn used(engine: &Engine, account: &AccountId) -> u8 {
    match engine.storage().get(account).unwrap() {
        Account::Live(r) => r.used,
        other => panic!("{other:?}"),
    }
}

fn crash_between_the_guess_and_the_reply(engine: &Engine) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let server = start(engine, None, &log);
    let keys = keys_of(&server.url);
    let key_file = engine.key_file();
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    if let Engine::Sqlite(db) = engine {
        assert_eq!(std::fs::metadata(db).unwrap().permissions().mode() & 0o777, 0o600, "the store is the owner's only");
    }
    let mut accounts = Vec::new();
    let mut secrets: Vec<String> = Vec::new();
    for i in 0..12u8 {
        let key = BackupKey::generate(&mut getrandom::SysRng).unwrap();
        secrets.push(ebak_vault_proto::ids::hex(key.expose_secret()));
        let password = format!("password number {i}");
        let account = register(&server.url, keys, &password, &key);
        for _ in 0..(i % 4) {
            secrets.push(ebak_vault_proto::ids::hex(&wrong_guess(&server.url, keys, account)));
        }
        accounts.push((account, i % 4));
    }
    server.kill();

    // The crash: the guess step commits, the server sleeps before replying,
    // and is killed while it sleeps.
    let paused = start(engine, Some(30_000), &log);
    let (victim, before) = accounts[5];
    assert_eq!(used(engine, &victim), before);
    let url = paused.url.clone();
    let attempt = std::thread::spawn(move || {
        let login = proto::Login::start(&mut getrandom::SysRng, keys, victim, "guess", ksf()).unwrap();
        post(&url, MessageType::LoginStart, login.request())
    });
    let deadline = Instant::now() + Duration::from_secs(25);
    while used(engine, &victim) == before {
        assert!(Instant::now() < deadline, "the guess step did not commit");
        std::thread::sleep(Duration::from_millis(20));
    }
    paused.kill();
    assert!(attempt.join().unwrap().is_err(), "the client got no reply");

    // Restarted: the guess is still spent, every record is there, same keys.
    let server = start(engine, None, &log);
    assert_eq!(keys_of(&server.url), keys);
    for (account, guesses) in &accounts {
        let s = status(&server.url, &keys, *account);
        let spent = guesses + u8::from(*account == victim);
        assert_eq!((s.state, s.guesses_left), (AccountState::Live, 10 - spent), "{account}");
    }
    server.kill();

    // The logs: one JSON object per line, and no secret in any of them.
    let lines = log.lock().unwrap().clone();
    assert!(lines.len() > 50, "{} lines", lines.len());
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v.is_object());
        assert!(!line.contains("password number"), "{line}");
        for s in &secrets {
            assert!(!line.contains(s.as_str()), "a secret or session id in the log: {line}");
        }
    }
    assert!(lines.iter().any(|l| l.contains("\"outcome\":\"ok\"") && l.contains("\"used\":")));
}

#[test]
fn sigkill_between_the_counter_and_the_reply_keeps_the_guess_spent_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    crash_between_the_guess_and_the_reply(&Engine::Sqlite(dir.path().join("vault.sqlite")));
}

#[test]
fn sigkill_between_the_counter_and_the_reply_keeps_the_guess_spent_postgres() {
    let Some(url) = common::postgres_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    crash_between_the_guess_and_the_reply(&Engine::Postgres(url, dir.path().join("vault.keys")));
}
