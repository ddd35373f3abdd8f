//! The tool on a real backup key vault (issue 16's CLI part): the vault's
//! server code (what `ebak-vault serve --db` runs) on SQLite in a temporary
//! directory, on a free loopback port, inside the test process; the `ebak`
//! binary talks to it over HTTP as it would to any vault.
//!
//! The vault's key stretching runs with its default costs (the tool has no
//! way to lower them): each login costs one Argon2id at 64 MiB.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::*;
use ebak_vault::http::{HttpConfig, LoopbackServer};
use ebak_vault::keyfile::KeySets;
use ebak_vault::service::{Config, Vault};
use ebak_vault::storage::sqlite::SqliteStorage;
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A running vault: the server's library on SQLite, no rate limits (the
/// tests make many logins on loopback), no log lines.
struct TestVault {
    url: String,
    key_id: String,
    _server: LoopbackServer,
    _dir: tempfile::TempDir,
}

impl TestVault {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(&dir.path().join("vault.sqlite"), 1).unwrap();
        let keys = KeySets::generate(0).unwrap();
        let key_id = keys.current().1.public().key_id().to_hex();
        let config = Config { account_logins_per_minute: 0, ..Config::default() };
        let http = HttpConfig { ip_rate: 0, log: false, ..HttpConfig::default() };
        let vault = Arc::new(Vault::new(keys, Arc::new(storage), config));
        let server = LoopbackServer::start(vault, http, 1).unwrap();
        Self { url: server.url(), key_id, _server: server, _dir: dir }
    }
}

const OTHER: &str = "a wrong but long password 4711";

/// A tree backed up with `--vault`; returns the backup and the 64-digit
/// key the backup printed.
fn vault_backup(v: &TestVault, root: &Path) -> (PathBuf, PathBuf, String) {
    let src = make_tree(root);
    let out = root.join("b.ebak");
    let o = ebak()
        .env("EBAK_PASSWORD", PW)
        .arg("backup")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .args(["--vault", &v.url])
        .assert()
        .success()
        .get_output()
        .clone();
    let key = String::from_utf8(o.stdout).unwrap().trim().to_owned();
    assert_eq!(key.chars().filter(char::is_ascii_hexdigit).count(), 64, "the new 64-digit key is printed: {key:?}");
    (src, out, key)
}

fn restore(file: &Path, dir: &Path) -> assert_cmd::Command {
    let mut c = ebak();
    c.arg("restore").arg(file).arg("-C").arg(dir);
    c
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn status(file: &Path) -> String {
    let o = ebak().args(["vault", "status"]).arg(file).assert().success().get_output().clone();
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn backup_with_vault_restores_with_the_password_and_with_the_key() {
    let v = TestVault::start();
    let root = tempfile::tempdir().unwrap();
    // Not quiet: the vault's key id is shown.
    let src = make_tree(root.path());
    let out = root.path().join("b.ebak");
    let mut c = assert_cmd::Command::cargo_bin("ebak").unwrap();
    c.env_remove("EBAK_KEY").env("EBAK_PASSWORD", PW).arg("backup").arg(&src).arg("-o").arg(&out);
    let o = c.args(["--vault", &v.url]).assert().success().get_output().clone();
    let err = stderr(&o);
    assert!(err.contains(&format!("key id {}", v.key_id)), "{err}");
    assert!(err.contains("pinned in this backup on first use"), "{err}");
    assert!(!err.contains(PW));
    let key = String::from_utf8(o.stdout).unwrap().trim().to_owned();

    // The header has the vault slot and no password slot.
    let o = ebak().arg("inspect").arg(&out).assert().success().get_output().clone();
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains(&format!("slot 0: vault {} (key id {}", v.url, v.key_id)), "{text}");
    assert!(text.contains("1 key slot"), "{text}");

    let dest = root.path().join("restored");
    restore(&out, &dest).env("EBAK_PASSWORD", PW).assert().success();
    assert_same_tree(&src, &dest.join("tree"));
    ebak().env("EBAK_PASSWORD", PW).arg("verify").arg(&out).assert().success();
    ebak().env("EBAK_PASSWORD", PW).arg("ls").arg(&out).assert().success().stdout(predicate::str::contains("data.bin"));
    // The 64-digit key opens it without the vault.
    let dest2 = root.path().join("by-key");
    restore(&out, &dest2).env("EBAK_KEY", &key).assert().success();
    assert_same_tree(&src, &dest2.join("tree"));
    assert!(status(&out).contains("live: 10 of 10 guesses left"));
}

#[test]
fn ten_wrong_passwords_destroy_the_record_and_the_key_still_opens() {
    let v = TestVault::start();
    let root = tempfile::tempdir().unwrap();
    let (src, out, key) = vault_backup(&v, root.path());
    let dest = root.path().join("restored");
    for left in (1..10u8).rev() {
        let o = restore(&out, &dest).env("EBAK_PASSWORD", OTHER).assert().code(3).get_output().clone();
        let err = stderr(&o);
        let guesses = if left == 1 { "guess" } else { "guesses" };
        assert!(err.contains(&format!("wrong password: the vault has {left} {guesses} left")), "{left}: {err}");
        assert!(!err.contains(OTHER) && !err.contains(PW), "no secret in {err}");
        assert!(!dest.exists(), "nothing restored");
    }
    assert!(status(&out).contains("live: 1 of 10 guesses left"));
    // The last guess: without a terminal, refused (exit 2), nothing spent.
    let o = restore(&out, &dest).env("EBAK_PASSWORD", OTHER).assert().code(2).get_output().clone();
    let err = stderr(&o);
    assert!(err.contains("the vault has 1 guess left") && err.contains("--spend-last-guess"), "{err}");
    assert!(status(&out).contains("live: 1 of 10 guesses left"));
    // Spent on purpose: wrong, and the record is destroyed.
    let o = restore(&out, &dest)
        .env("EBAK_PASSWORD", OTHER)
        .arg("--spend-last-guess")
        .assert()
        .code(3)
        .get_output()
        .clone();
    let err = stderr(&o);
    assert!(err.contains("destroyed its copy"), "{err}");
    assert!(status(&out).contains("state:   destroyed"));
    // The eleventh attempt, with the right password: a clear refusal.
    let o = restore(&out, &dest).env("EBAK_PASSWORD", PW).assert().code(3).get_output().clone();
    let err = stderr(&o);
    assert!(err.contains("destroyed its copy of this backup's key"), "{err}");
    assert!(err.contains("the 64-digit key still opens the file"), "{err}");
    // The key still restores.
    restore(&out, &dest).env("EBAK_KEY", &key).assert().success();
    assert_same_tree(&src, &dest.join("tree"));
}

#[test]
fn vault_delete_turns_the_password_off() {
    let v = TestVault::start();
    let root = tempfile::tempdir().unwrap();
    let (src, out, key) = vault_backup(&v, root.path());
    let before = fs::read(&out).unwrap();
    // A wrong password deletes nothing.
    let o =
        ebak().env("EBAK_PASSWORD", OTHER).args(["vault", "delete"]).arg(&out).assert().code(3).get_output().clone();
    assert!(stderr(&o).contains("9 guesses left"), "{}", stderr(&o));
    // The key is not a login.
    ebak().env("EBAK_KEY", &key).args(["vault", "delete"]).arg(&out).assert().code(2);
    let mut c = assert_cmd::Command::cargo_bin("ebak").unwrap();
    c.env_remove("EBAK_KEY").env("EBAK_PASSWORD", PW).args(["vault", "delete"]).arg(&out);
    let o = c.assert().success().get_output().clone();
    assert!(stderr(&o).contains("only the 64-digit key does"), "{}", stderr(&o));
    assert_eq!(fs::read(&out).unwrap(), before, "the file is left as it is");
    assert!(status(&out).contains("state:   deleted"), "{}", status(&out));
    let dest = root.path().join("restored");
    let o = restore(&out, &dest).env("EBAK_PASSWORD", PW).assert().code(3).get_output().clone();
    assert!(stderr(&o).contains("was deleted") && stderr(&o).contains("64-digit key still opens"), "{}", stderr(&o));
    restore(&out, &dest).env("EBAK_KEY", &key).assert().success();
    assert_same_tree(&src, &dest.join("tree"));
}

fn payload(file: &Path) -> Vec<u8> {
    let bytes = fs::read(file).unwrap();
    let (_, len) = ebak_core::header::Header::parse_prefix(&bytes).unwrap();
    bytes[len..].to_vec()
}

#[test]
fn passwd_through_the_vault_keeps_the_payload_byte_identical() {
    let v = TestVault::start();
    let root = tempfile::tempdir().unwrap();
    let (_, out, _) = vault_backup(&v, root.path());
    let before = payload(&out);
    let new = "a brand new vault password 2026";
    ebak().env("EBAK_PASSWORD", PW).env("EBAK_NEW_PASSWORD", new).arg("passwd").arg(&out).assert().success();
    assert_eq!(payload(&out), before, "payload byte-identical");
    ebak().env("EBAK_PASSWORD", new).arg("verify").arg(&out).assert().success();
    let o = ebak().env("EBAK_PASSWORD", PW).arg("verify").arg(&out).assert().code(3).get_output().clone();
    assert!(stderr(&o).contains("wrong password: the vault has 9 guesses left"), "{}", stderr(&o));
    assert!(status(&out).contains("record version 2"), "{}", status(&out));
    // Removing the vault password is `vault delete`'s job.
    ebak().env("EBAK_PASSWORD", new).args(["passwd", "--remove"]).arg(&out).assert().code(2);
}

#[test]
fn pinned_key_id_is_checked_at_registration() {
    let v = TestVault::start();
    let root = tempfile::tempdir().unwrap();
    let src = make_tree(root.path());
    let out = root.path().join("b.ebak");
    let backup = |pin: &str| {
        let mut c = ebak();
        c.env("EBAK_PASSWORD", PW).arg("backup").arg(&src).arg("-o").arg(&out).args(["--vault", &v.url]);
        c.args(["--vault-key", pin]);
        c
    };
    let o = backup(&"0".repeat(32)).assert().code(4).get_output().clone();
    assert!(stderr(&o).contains("not registering"), "{}", stderr(&o));
    assert!(!out.exists());
    backup("not hex").assert().code(2);
    backup(&v.key_id).assert().success();
    // No password, no terminal: refused before anything is registered.
    ebak().arg("backup").arg(&src).arg("-o").arg(root.path().join("c.ebak")).args(["--vault", &v.url]).assert().code(2);
    ebak()
        .env("EBAK_PASSWORD", PW)
        .arg("backup")
        .arg(&src)
        .arg("-o")
        .arg(root.path().join("d.ebak"))
        .args(["--vault", "ftp://x"])
        .assert()
        .code(2);
}

#[test]
fn an_unreachable_vault_is_exit_5() {
    let root = tempfile::tempdir().unwrap();
    let (out, key) = {
        let v = TestVault::start();
        let (_, out, key) = vault_backup(&v, root.path());
        (out, key)
    };
    // The vault is gone (stopped, its port closed).
    let dest = root.path().join("restored");
    let o = restore(&out, &dest).env("EBAK_PASSWORD", PW).assert().code(5).get_output().clone();
    let err = stderr(&o);
    assert!(err.contains("cannot reach the vault at http://127.0.0.1:"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    ebak().args(["vault", "status"]).arg(&out).assert().code(5);
    // A backup cannot register with it either; nothing is written.
    let src = root.path().join("tree");
    let url = status_url(&out, &key);
    let o = ebak()
        .env("EBAK_PASSWORD", PW)
        .arg("backup")
        .arg(&src)
        .arg("-o")
        .arg(root.path().join("new.ebak"))
        .args(["--vault", &url])
        .assert()
        .code(5)
        .get_output()
        .clone();
    assert!(stderr(&o).contains("cannot reach the vault"), "{}", stderr(&o));
    assert!(!root.path().join("new.ebak").exists());
    // The key needs no vault.
    restore(&out, &dest).env("EBAK_KEY", &key).assert().success();
}

/// The vault URL a file names (from `ebak inspect`).
fn status_url(file: &Path, _key: &str) -> String {
    let o = ebak().arg("inspect").arg(file).assert().success().get_output().clone();
    let text = String::from_utf8(o.stdout).unwrap();
    let at = text.find("vault http://").unwrap() + "vault ".len();
    text[at..].split_whitespace().next().unwrap().to_owned()
}

/// On a terminal (a pty, as a user's shell gives), the last guess is
/// spent only after `yes`.
#[cfg(unix)]
#[test]
fn the_last_guess_is_asked_for_on_a_terminal() {
    use rexpect::process::WaitStatus;
    use rexpect::session::{Options, spawn_with_options};
    let v = TestVault::start();
    let root = tempfile::tempdir().unwrap();
    let (_, out, _) = vault_backup(&v, root.path());
    for _ in 0..9 {
        ebak().env("EBAK_PASSWORD", OTHER).arg("verify").arg(&out).assert().code(3);
    }
    let on_tty = |password: &str, answer: &str| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ebak"));
        cmd.env_remove("EBAK_KEY").env("TERM", "xterm").env("EBAK_PASSWORD", password);
        cmd.arg("--quiet").arg("verify").arg(&out);
        let mut s = spawn_with_options(cmd, Options::new().timeout_ms(Some(60_000))).unwrap();
        let shown = s.exp_string("Type yes to spend the last guess: ").unwrap();
        assert!(shown.contains("a wrong password now destroys its copy of the key for good"), "{shown}");
        s.send_line(answer).unwrap();
        let rest = s.exp_eof().unwrap();
        match s.process().wait().unwrap() {
            WaitStatus::Exited(_, code) => (code, rest),
            other => panic!("{other:?}"),
        }
    };
    let (code, rest) = on_tty(OTHER, "no");
    assert_eq!(code, 2, "{rest}");
    assert!(status(&out).contains("live: 1 of 10 guesses left"));
    // The right password, confirmed: it opens, and the count is reset.
    let (code, rest) = on_tty(PW, "yes");
    assert_eq!(code, 0, "{rest}");
    assert!(status(&out).contains("live: 10 of 10 guesses left"));
}
