//! `vault_load`: logins per second and latency percentiles against a
//! running `ebak-vault serve` (bench/README.md, "The vault").
//!
//! ```text
//! cargo run --release -p ebak-bench --bin vault_load -- --url http://127.0.0.1:8470 \
//!     [--threads 8] [--seconds 10] [--accounts 64] [--label sqlite]
//! ```
//!
//! It registers `--accounts` accounts, then runs `--threads` clients for
//! `--seconds`, each doing whole recoveries in a loop (login start, KE3,
//! login finish, unwrap: two requests, one counted guess and one reset per
//! login) on the accounts in turn, over keep-alive connections. The client
//! key stretching is the cheapest Argon2id (8 KiB, 1 pass): the vault never
//! runs it, so a real client's second of Argon2id would measure the client,
//! not the vault. The server must run without rate limits
//! (`--ip-rate 0 --account-rate 0`). Loopback only: the URL must name
//! 127.0.0.0/8 or localhost, and every loop stops at the deadline.

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    reason = "a measurement tool: small counts and indexes taken modulo their length"
)]

use ebak_core::kdf::{KdfLimits, KdfParams};
use ebak_core::{BackupKey, DefaultAead};
use ebak_vault_proto::client::{self as proto, LoginReply};
use ebak_vault_proto::msg::MessageType;
use ebak_vault_proto::{AccountId, Ksf, PublicKeys};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Args {
    url: String,
    threads: usize,
    seconds: u64,
    accounts: usize,
    label: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { url: String::new(), threads: 8, seconds: 10, accounts: 64, label: "vault".into() };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value()?,
            "--threads" => args.threads = value()?.parse().map_err(|e| format!("--threads: {e}"))?,
            "--seconds" => args.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--accounts" => args.accounts = value()?.parse().map_err(|e| format!("--accounts: {e}"))?,
            "--label" => args.label = value()?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let host = args.url.strip_prefix("http://").and_then(|r| r.split([':', '/']).next()).unwrap_or("");
    if !(host == "localhost" || host.starts_with("127.")) {
        return Err("--url must be http:// on loopback (127.0.0.0/8 or localhost)".into());
    }
    if args.threads == 0 || args.accounts == 0 || args.seconds == 0 || args.seconds > 600 {
        return Err("--threads and --accounts at least 1, --seconds 1 to 600".into());
    }
    Ok(args)
}

fn ksf() -> Ksf {
    Ksf::checked(KdfParams { memory_kib: 8, iterations: 1, parallelism: 1 }, &KdfLimits::V1).unwrap_or_default()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn post(agent: &ureq::Agent, base: &str, ty: MessageType, body: &[u8]) -> Result<Vec<u8>, String> {
    let mut r = agent.post(&format!("{base}{}", ty.path())).send(body).map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let bytes = r.body_mut().read_to_vec().map_err(|e| e.to_string())?;
    if status == 200 { Ok(bytes) } else { Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes).trim())) }
}

fn register(agent: &ureq::Agent, url: &str, keys: PublicKeys, password: &str) -> Result<AccountId, String> {
    let rng = &mut getrandom::SysRng;
    let key = BackupKey::generate(rng).map_err(|e| e.to_string())?;
    let reg = proto::Registration::start(rng, keys, password, 10, ksf()).map_err(|e| e.to_string())?;
    let answer = post(agent, url, MessageType::RegisterStart, reg.request())?;
    let upload = reg.finish::<DefaultAead, _>(rng, &answer, &key).map_err(|e| e.to_string())?;
    let answer = post(agent, url, MessageType::RegisterFinish, upload.request())?;
    Ok(upload.complete(&answer).map_err(|e| e.to_string())?.account)
}

/// One whole recovery; its latency.
fn recover(
    agent: &ureq::Agent,
    url: &str,
    keys: PublicKeys,
    account: AccountId,
    password: &str,
) -> Result<Duration, String> {
    let rng = &mut getrandom::SysRng;
    let started = Instant::now();
    let login = proto::Login::start(rng, keys, account, password, ksf()).map_err(|e| e.to_string())?;
    let answer = post(agent, url, MessageType::LoginStart, login.request())?;
    let LoginReply::Verified(logged_in) = login.receive(rng, &answer).map_err(|e| e.to_string())? else {
        return Err("the login did not verify".into());
    };
    let request = logged_in.recover();
    let answer = post(agent, url, MessageType::LoginFinish, request.request())?;
    request.complete::<DefaultAead>(&answer).map_err(|e| e.to_string())?;
    Ok(started.elapsed())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted.get(rank.min(sorted.len() - 1)).copied().unwrap_or_default()
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("vault_load: {e}");
            return ExitCode::from(2);
        }
    };
    let setup = agent();
    let keys = match proto::keys_request(&mut getrandom::SysRng).map_err(|e| e.to_string()).and_then(|r| {
        post(&setup, &args.url, MessageType::Keys, &r)
            .and_then(|a| proto::keys_answer(&r, &a).map_err(|e| e.to_string()))
    }) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("vault_load: no vault at {}: {e}", args.url);
            return ExitCode::FAILURE;
        }
    };
    let mut accounts = Vec::with_capacity(args.accounts);
    for i in 0..args.accounts {
        match register(&setup, &args.url, keys, &format!("load password {i}")) {
            Ok(a) => accounts.push((a, format!("load password {i}"))),
            Err(e) => {
                eprintln!("vault_load: registration failed: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let accounts = Arc::new(accounts);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..args.threads)
        .map(|t| {
            let (accounts, url) = (Arc::clone(&accounts), args.url.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                let mut i = t;
                while Instant::now() < deadline {
                    let (account, password) = &accounts[i % accounts.len()];
                    match recover(&agent, &url, keys, *account, password) {
                        Ok(d) => latencies.push(d),
                        Err(_) => errors += 1,
                    }
                    i += accounts.len() / args.threads.max(1) + 1;
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for w in workers {
        if let Ok((l, e)) = w.join() {
            all.extend(l);
            errors += e;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "RESULT {}: {} logins in {:.1} s = {:.0} logins/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} errors ({} threads, {} accounts)",
        args.label,
        all.len(),
        elapsed,
        all.len() as f64 / elapsed,
        ms(percentile(&all, 50.0)),
        ms(percentile(&all, 99.0)),
        ms(all.last().copied().unwrap_or_default()),
        errors,
        args.threads,
        args.accounts
    );
    if errors > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
