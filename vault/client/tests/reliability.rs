//! Reliability over HTTP on loopback (issue 16): 200 concurrent wrong
//! guesses on one account, on both engines; hostile requests (garbage,
//! truncated, oversized, replayed) get clear HTTP errors and spend no
//! guess; the size limit, the timeouts and both rate limits hold.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::{CHEAP, TestVault, cheap_options, unlimited};
use ebak_core::BackupKey;
use ebak_core::kdf::KdfLimits;
use ebak_vault::http::HttpConfig;
use ebak_vault::service::Config;
use ebak_vault_client::{Error, recover, register_without_floor, status};
use ebak_vault_proto::client::{self as proto, LoginReply};
use ebak_vault_proto::msg::{AccountState, MessageType, Request};
use ebak_vault_proto::{AccountId, Ksf, SessionId};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

fn key() -> BackupKey {
    BackupKey::generate(&mut getrandom::SysRng).unwrap()
}

fn ksf() -> Ksf {
    Ksf::checked(CHEAP, &KdfLimits::V1).unwrap()
}

fn post(base: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut r = agent.post(&format!("{base}{path}")).send(body).unwrap();
    (r.status().as_u16(), r.body_mut().read_to_vec().unwrap())
}

#[test]
fn two_hundred_concurrent_wrong_guesses_evaluate_exactly_ten() {
    let (config, http) = unlimited();
    for (engine, v) in TestVault::each(config, HttpConfig { max_connections: 256, ..http }) {
        let backup_key = key();
        let slot = register_without_floor(&v.url, v.keys, "right", &backup_key, &cheap_options()).unwrap();
        let account = AccountId(*slot.account());
        let before = v.vault.stats();
        // All 200 start together; the ten evaluated finish only after every
        // start was answered (a record destroyed earlier would give the
        // later ones dummy logins, which evaluate nothing but look like
        // answers).
        let start = Arc::new(Barrier::new(200));
        let started = Arc::new(Barrier::new(200));
        let threads: Vec<_> = (0..200)
            .map(|i| {
                let (url, keys) = (v.url.clone(), v.keys);
                let (start, started) = (Arc::clone(&start), Arc::clone(&started));
                std::thread::spawn(move || {
                    let login =
                        proto::Login::start(&mut getrandom::SysRng, keys, account, &format!("wrong {i}"), ksf())
                            .unwrap();
                    start.wait();
                    let (status, answer) = post(&url, MessageType::LoginStart.path(), login.request());
                    started.wait();
                    if status != 200 {
                        return (status, None);
                    }
                    // The ten that were evaluated finish: wrong password, abort.
                    match login.receive(&mut getrandom::SysRng, &answer).unwrap() {
                        LoginReply::WrongPassword(abort) => {
                            let (s, a) = post(&url, MessageType::LoginAbort.path(), abort.request());
                            assert_eq!(s, 200);
                            abort.complete(&a).unwrap();
                            (200, Some(()))
                        }
                        other => panic!("a wrong password verified: {other:?}"),
                    }
                })
            })
            .collect();
        let outcomes: Vec<(u16, Option<()>)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let evaluated = outcomes.iter().filter(|(s, _)| *s == 200).count();
        let refused = outcomes.iter().filter(|(s, _)| *s == 403).count();
        assert_eq!((evaluated, refused), (10, 190), "{engine}: {outcomes:?}");
        let after = v.vault.stats();
        assert_eq!(after.granted - before.granted, 10, "{engine}: evaluations on the record");
        assert_eq!(after.refused - before.refused, 190, "{engine}");
        assert_eq!(after.dummies, before.dummies, "{engine}");
        assert_eq!(status(&slot).unwrap().state, AccountState::Destroyed, "{engine}");
        assert!(matches!(recover(&slot, "right", &KdfLimits::V1), Err(Error::Destroyed)), "{engine}");
        assert_eq!(v.vault.stats().granted, after.granted, "{engine}: the right password evaluated nothing");
        assert_eq!(v.vault.open_sessions(), 0, "{engine}: every session used or aborted");
    }
}

#[test]
fn interleaved_starts_and_aborts_still_evaluate_exactly_ten() {
    // Each thread aborts as soon as it learns its password is wrong, so the
    // record is destroyed while other starts are still arriving: those get
    // refusals or dummy logins, and the record's key is evaluated ten times.
    let (config, http) = unlimited();
    for (engine, v) in TestVault::each(config, HttpConfig { max_connections: 256, ..http }) {
        let slot = register_without_floor(&v.url, v.keys, "right", &key(), &cheap_options()).unwrap();
        let account = AccountId(*slot.account());
        let before = v.vault.stats();
        let start = Arc::new(Barrier::new(100));
        let threads: Vec<_> = (0..100)
            .map(|i| {
                let (url, keys, start) = (v.url.clone(), v.keys, Arc::clone(&start));
                std::thread::spawn(move || {
                    let login =
                        proto::Login::start(&mut getrandom::SysRng, keys, account, &format!("wrong {i}"), ksf())
                            .unwrap();
                    start.wait();
                    let (status, answer) = post(&url, MessageType::LoginStart.path(), login.request());
                    if status == 200 {
                        let LoginReply::WrongPassword(abort) = login.receive(&mut getrandom::SysRng, &answer).unwrap()
                        else {
                            panic!("a wrong password verified")
                        };
                        post(&url, MessageType::LoginAbort.path(), abort.request());
                    }
                    status
                })
            })
            .collect();
        let codes: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let after = v.vault.stats();
        assert_eq!(after.granted - before.granted, 10, "{engine}: {codes:?}");
        assert_eq!(codes.iter().filter(|c| **c == 200 || **c == 403).count(), 100, "{engine}: {codes:?}");
        assert_eq!(status(&slot).unwrap().state, AccountState::Destroyed, "{engine}");
    }
}

#[test]
fn hostile_requests_get_clear_errors_and_spend_no_guess() {
    let (config, http) = unlimited();
    let v = TestVault::sqlite(config, http);
    let slot = register_without_floor(&v.url, v.keys, "pw", &key(), &cheap_options()).unwrap();
    let account = AccountId(*slot.account());
    let login = proto::Login::start(&mut getrandom::SysRng, v.keys, account, "pw", ksf()).unwrap();
    let good = login.request().to_vec();
    let path = MessageType::LoginStart.path();

    // Garbage, every truncation, one byte too many, the wrong type byte.
    let (s, body) = post(&v.url, path, b"\x03garbage");
    assert_eq!(s, 400);
    assert!(String::from_utf8(body).unwrap().starts_with("malformed request"));
    for n in 0..good.len() {
        assert_eq!(post(&v.url, path, &good[..n]).0, 400, "prefix of {n} bytes");
    }
    assert_eq!(post(&v.url, path, &[good.as_slice(), &[0]].concat()).0, 400);
    let mut other_type = good.clone();
    other_type[0] = MessageType::Status as u8;
    assert_eq!(post(&v.url, path, &other_type).0, 400);
    // A KE1 of the right size whose elements are not group elements.
    let Request::LoginStart { key_id, .. } = Request::parse(MessageType::LoginStart, &good).unwrap() else { panic!() };
    let bad_ke1 = Request::LoginStart { key_id, account, request: [0xff; 96] }.to_bytes();
    let (s, body) = post(&v.url, path, &bad_ke1);
    assert_eq!((s, String::from_utf8(body).unwrap().trim()), (400, "malformed request: invalid KE1"));
    // Oversized: refused before it is read.
    let (s, body) = post(&v.url, path, &vec![3u8; 4096]);
    assert_eq!(s, 413, "{}", String::from_utf8_lossy(&body));
    // Unknown route, wrong method, unknown key set.
    assert_eq!(post(&v.url, "/v1/login/startx", &good).0, 404);
    assert_eq!(post(&v.url, "/v2/login/start", &good).0, 404);
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    assert_eq!(agent.get(&format!("{}{path}", v.url)).call().unwrap().status().as_u16(), 405);
    let unknown_key =
        Request::LoginStart { key_id: ebak_vault_proto::KeyId([0; 16]), account, request: [0; 96] }.to_bytes();
    let mut unknown_key_valid = unknown_key.clone();
    unknown_key_valid[33..].copy_from_slice(&good[33..]);
    assert_eq!(post(&v.url, path, &unknown_key_valid).0, 404);
    // None of that spent a guess.
    assert_eq!(status(&slot).unwrap().guesses_left, 10);

    // Replays: a login finish used twice, a registration finish sent twice,
    // an abort of a finished session, a session that never existed.
    let (s, answer) = post(&v.url, path, &good);
    assert_eq!(s, 200);
    let LoginReply::Verified(logged_in) = login.receive(&mut getrandom::SysRng, &answer).unwrap() else { panic!() };
    let recover_req = logged_in.recover();
    let (s, first) = post(&v.url, MessageType::LoginFinish.path(), recover_req.request());
    assert_eq!(s, 200);
    let (s, second) = post(&v.url, MessageType::LoginFinish.path(), recover_req.request());
    assert_eq!(s, 404, "a replayed login finish finds no session");
    assert_ne!(first, second);
    let abort = Request::LoginAbort { session: SessionId([9; 16]) }.to_bytes();
    assert_eq!(post(&v.url, MessageType::LoginAbort.path(), &abort).0, 404);
    assert_eq!(status(&slot).unwrap().guesses_left, 10, "the verified login reset the count");

    let reg = proto::Registration::start(&mut getrandom::SysRng, v.keys, "other", 10, ksf()).unwrap();
    let (_, answer) = post(&v.url, MessageType::RegisterStart.path(), reg.request());
    let upload = reg.finish::<ebak_core::DefaultAead, _>(&mut getrandom::SysRng, &answer, &key()).unwrap();
    assert_eq!(post(&v.url, MessageType::RegisterFinish.path(), upload.request()).0, 200);
    assert_eq!(post(&v.url, MessageType::RegisterFinish.path(), upload.request()).0, 409, "a replayed registration");
    // A ticket whose tag was changed.
    let mut forged = upload.request().to_vec();
    forged[60] ^= 1;
    assert_eq!(post(&v.url, MessageType::RegisterFinish.path(), &forged).0, 400);
}

#[test]
fn slow_and_oversized_connections_are_cut() {
    let (config, http) = unlimited();
    let http =
        HttpConfig { header_timeout: Duration::from_millis(500), request_timeout: Duration::from_millis(800), ..http };
    let v = TestVault::sqlite(config, http);
    let addr = v.url.trim_start_matches("http://").to_owned();

    // Headers never finished: the connection is closed after the header timeout.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"POST /v1/status HTTP/1.1\r\nHost: x\r\n").unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(started.elapsed() < Duration::from_secs(4), "not cut: {:?}", started.elapsed());

    // A body announced and never sent: 408 after the request timeout.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"POST /v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: 49\r\n\r\n\x07").unwrap();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 408"), "{}", String::from_utf8_lossy(&buf[..n]));

    // An announced oversized body: 413 before a byte of it is sent.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"POST /v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n").unwrap();
    let n = s.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 413"), "{}", String::from_utf8_lossy(&buf[..n]));

    // A chunked body that grows past the limit: 413 too.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"POST /v1/status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap();
    for _ in 0..3 {
        let _ = s.write_all(b"100\r\n");
        let _ = s.write_all(&[7u8; 256]);
        let _ = s.write_all(b"\r\n");
    }
    let n = s.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 413"), "{}", String::from_utf8_lossy(&buf[..n]));
}

#[test]
fn rate_limits_refuse_before_a_guess_is_counted() {
    // Per IP: a burst of 5, then 1 per second. On a loaded machine the
    // requests may take a while, and the bucket refills meanwhile: allow
    // one more request per second elapsed (rounded up).
    let config = Config { account_logins_per_minute: 0, ..Config::default() };
    let http = HttpConfig { ip_rate: 1, ip_burst: 5, log: false, ..HttpConfig::default() };
    let v = TestVault::sqlite(config, http);
    let started = Instant::now();
    let statuses: Vec<u16> = (0..20).map(|_| post(&v.url, "/v1/keys", &[8; 17]).0).collect();
    let allowed = 5 + started.elapsed().as_secs() as usize + 1;
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!(ok >= 5 && ok <= allowed, "{ok} of 20 passed, at most {allowed} allowed: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 20 - ok, "{statuses:?}");
    drop(v);

    // Per account: 3 login starts a minute.
    let config = Config { account_logins_per_minute: 3, ..Config::default() };
    let (_, http) = unlimited();
    let v = TestVault::sqlite(config, http);
    let slot = register_without_floor(&v.url, v.keys, "pw", &key(), &cheap_options()).unwrap();
    let account = AccountId(*slot.account());
    let mut codes = Vec::new();
    for _ in 0..5 {
        let login = proto::Login::start(&mut getrandom::SysRng, v.keys, account, "x", ksf()).unwrap();
        codes.push(post(&v.url, MessageType::LoginStart.path(), login.request()).0);
    }
    // A minute boundary between two requests would reset the window; the
    // count of refusals is what matters, and at least two are refused.
    assert!(codes.iter().filter(|c| **c == 429).count() >= 1, "{codes:?}");
    let spent = 10 - status(&slot).unwrap().guesses_left;
    assert_eq!(usize::from(spent), codes.iter().filter(|c| **c == 200).count(), "only granted starts spend a guess");
}
