//! The `ebak` binary on a real pseudo-terminal: the password and key
//! prompts (read from the controlling terminal, `/dev/tty`, as rpassword
//! does) and the progress bars (drawn only when standard error is a
//! terminal, never with `--quiet`).
//!
//! rexpect starts the binary with forkpty semantics (a new session whose
//! controlling terminal is the pty's slave), which is what a user's shell
//! gives it; a plain pipe, as assert_cmd uses, has no terminal at all.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::*;
use rexpect::process::WaitStatus;
use rexpect::session::{Options, PtySession, spawn_with_options};
use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::sync::Mutex;

/// rexpect forks; one fork at a time.
static SPAWN: Mutex<()> = Mutex::new(());

/// Generous: Argon2 (256 MiB, 10 passes) on a loaded 2-core machine.
const TIMEOUT_MS: u64 = 180_000;

/// A run of the binary on a pty, with everything it printed so far.
struct Tty {
    session: PtySession,
    seen: String,
}

impl Tty {
    fn spawn<S: AsRef<OsStr>>(args: &[S], env: &[(&str, &str)], stdin: Option<&Path>) -> Self {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ebak"));
        for var in ["EBAK_PASSWORD", "EBAK_KEY", "EBAK_NEW_PASSWORD"] {
            cmd.env_remove(var);
        }
        cmd.env("TERM", "xterm");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.args(args);
        if let Some(path) = stdin {
            // Standard input is data; the prompts still reach the terminal.
            cmd.stdin(Stdio::from(fs::File::open(path).unwrap()));
        }
        let session = {
            let _guard = SPAWN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            spawn_with_options(cmd, Options::new().timeout_ms(Some(TIMEOUT_MS))).unwrap()
        };
        Self { session, seen: String::new() }
    }

    fn expect(&mut self, text: &str) {
        match self.session.exp_string(text) {
            Ok(before) => {
                self.seen.push_str(&before);
                self.seen.push_str(text);
            }
            Err(e) => panic!("waiting for {text:?}: {e}; the terminal showed {:?}", self.seen),
        }
    }

    fn type_line(&mut self, line: &str) {
        self.session.send_line(line).unwrap();
    }

    /// Waits for the end; the exit code and everything shown.
    fn finish(mut self) -> (i32, String) {
        let rest = self.session.exp_eof().unwrap_or_else(|e| panic!("waiting for the end: {e}; {:?}", self.seen));
        self.seen.push_str(&rest);
        match self.session.process().wait().unwrap() {
            WaitStatus::Exited(_, code) => (code, self.seen),
            other => panic!("ebak did not exit normally: {other:?}; {:?}", self.seen),
        }
    }
}

fn assert_no_secret(shown: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!shown.contains(s), "the terminal showed a secret ({s:?}): {shown:?}");
    }
}

#[test]
fn a_new_password_is_asked_twice_and_must_match() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("notes.txt");
    fs::write(&src, "hello").unwrap();
    let file = dir.path().join("b.ebak");
    let mut t = Tty::spawn(
        &[OsStr::new("backup"), src.as_os_str(), "-o".as_ref(), file.as_os_str(), "--password".as_ref()],
        &[],
        None,
    );
    t.expect("Password: ");
    t.type_line("first-try-x1");
    t.expect("Password (again): ");
    t.type_line("second-try-y2");
    t.expect("The two passwords differ; try again.");
    t.expect("Password: ");
    t.type_line("");
    t.expect("The password is empty");
    t.expect("Password: ");
    t.type_line(PW);
    t.expect("Password (again): ");
    t.type_line(PW);
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown:?}");
    assert!(shown.contains("ebak: wrote"), "{shown:?}");
    assert_no_secret(&shown, &[PW, "first-try-x1", "second-try-y2"]);
    // The password typed is the one that protects the file.
    ebak().env("EBAK_PASSWORD", PW).arg("verify").arg(&file).assert().success();
}

/// While Argon2 runs (a second or more, with nothing else happening), the
/// terminal says so; a weak new password gets a warning first.
#[test]
fn key_derivation_shows_feedback_and_weak_passwords_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("notes.txt");
    fs::write(&src, "hello").unwrap();
    let file = dir.path().join("b.ebak");
    let weak = "hunter22";
    let mut t = Tty::spawn(
        &[OsStr::new("backup"), src.as_os_str(), "-o".as_ref(), file.as_os_str(), "--password".as_ref()],
        &[],
        None,
    );
    t.expect("Password: ");
    t.type_line(weak);
    t.expect("Password (again): ");
    t.type_line(weak);
    t.expect("this password is weak");
    t.expect("deriving the key from the password");
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown:?}");
    assert_no_secret(&shown, &[weak]);
    let mut t = Tty::spawn(&[OsStr::new("verify"), file.as_os_str()], &[("EBAK_PASSWORD", weak)], None);
    t.expect("deriving the key from the password");
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown:?}");
}

#[test]
fn with_no_secret_given_a_terminal_asks_and_stdin_can_carry_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::write(&data, pattern(200_000, 5)).unwrap();
    let file = dir.path().join("s.ebak");
    let pw = "typed at a terminal 42";
    // `... | ebak backup - -o FILE`: standard input is the data, the
    // password comes from the terminal.
    let mut t = Tty::spawn(&[OsStr::new("backup"), "-".as_ref(), "-o".as_ref(), file.as_os_str()], &[], Some(&data));
    t.expect("Password: ");
    t.type_line(pw);
    t.expect("Password (again): ");
    t.type_line(pw);
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown:?}");
    assert_no_secret(&shown, &[pw]);

    // Opening asks once, and says the key works too.
    let mut t = Tty::spawn(&[OsStr::new("verify"), file.as_os_str()], &[], None);
    t.expect("Password (or run with --key for the 64-digit key): ");
    t.type_line(pw);
    t.expect("OK: every chunk authenticated; it holds a stream of 200000 bytes");
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown:?}");
    assert_no_secret(&shown, &[pw]);

    let mut t = Tty::spawn(&[OsStr::new("verify"), file.as_os_str()], &[], None);
    t.expect("Password (or run with --key for the 64-digit key): ");
    t.type_line("not the password");
    let (code, shown) = t.finish();
    assert_eq!(code, 3, "{shown:?}");
    assert!(shown.contains("wrong password, or the key slot is damaged"), "{shown:?}");
    assert_no_secret(&shown, &[pw, "not the password"]);

    let out = ebak().env("EBAK_PASSWORD", pw).args(["restore", "-o", "-"]).arg(&file).output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, fs::read(&data).unwrap());
}

#[test]
fn the_key_is_prompted_with_key() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("f.txt");
    fs::write(&src, "hello").unwrap();
    let file = dir.path().join("k.ebak");
    let key = key_text(0x3c);
    backup_with_key(&src, &file, &key);
    let args = [OsStr::new("verify"), file.as_os_str(), "--key".as_ref()];

    let mut t = Tty::spawn(&args, &[], None);
    t.expect("64-digit key: ");
    t.type_line(&key.to_uppercase());
    t.expect("OK: every chunk authenticated");
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown:?}");
    assert_no_secret(&shown, &[&key, &key.to_uppercase()]);

    let other = key_text(0x3d);
    let mut t = Tty::spawn(&args, &[], None);
    t.expect("64-digit key: ");
    t.type_line(&other);
    let (code, shown) = t.finish();
    assert_eq!(code, 3, "{shown:?}");
    assert!(shown.contains("wrong password or key"), "{shown:?}");
    assert_no_secret(&shown, &[&other]);

    let mut t = Tty::spawn(&args, &[], None);
    t.expect("64-digit key: ");
    t.type_line("0123-4567");
    let (code, shown) = t.finish();
    assert_eq!(code, 2, "{shown:?}");
    assert!(shown.contains("too short by 56 digits"), "{shown:?}");
}

#[test]
fn passwd_asks_for_the_new_password_twice() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("f.txt");
    fs::write(&src, "hello").unwrap();
    let file = dir.path().join("k.ebak");
    let key = key_text(0x4e);
    backup_with_key(&src, &file, &key);
    let before = fs::read(&file).unwrap();
    let new_pw = "a fresh one 7";
    let mut t = Tty::spawn(&[OsStr::new("passwd"), file.as_os_str()], &[("EBAK_KEY", &key)], None);
    t.expect("New password: ");
    t.type_line(new_pw);
    t.expect("New password (again): ");
    t.type_line(new_pw);
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown:?}");
    assert!(shown.contains("added a password (the file had none)"), "{shown:?}");
    assert_no_secret(&shown, &[new_pw, &key]);
    ebak().env("EBAK_PASSWORD", new_pw).arg("verify").arg(&file).assert().success();
    let after = fs::read(&file).unwrap();
    assert_eq!(before[43..], after[178..], "the payload bytes must not change");
}

/// What indicatif draws: the bar's label and brackets, and the carriage
/// returns and erase-line sequences that redraw and clear it.
fn has_bar(shown: &str, label: &str) -> bool {
    shown.contains(&format!("{label} [")) && shown.contains('\r') && shown.contains("\x1b[")
}

#[test]
fn progress_bars_only_on_a_terminal_and_never_with_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("big");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("data.bin"), pattern(48 << 20, 11)).unwrap();
    let file = dir.path().join("b.ebak");
    let key = key_text(0x61);
    let env = [("EBAK_KEY", key.as_str())];
    let backup = [OsStr::new("backup"), src.as_os_str(), "-o".as_ref(), file.as_os_str(), "--force".as_ref()];

    let (code, shown) = Tty::spawn(&backup, &env, None).finish();
    assert_eq!(code, 0, "{shown:?}");
    assert!(has_bar(&shown, "backup"), "a terminal shows a bar: {shown:?}");
    assert!(shown.contains("ebak: wrote"), "{shown:?}");

    let quiet: Vec<&OsStr> = std::iter::once(OsStr::new("--quiet")).chain(backup).collect();
    let (code, shown) = Tty::spawn(&quiet, &env, None).finish();
    assert_eq!(code, 0, "{shown:?}");
    assert_eq!(shown, "", "--quiet shows nothing, not even on a terminal");

    let out = dir.path().join("out");
    let restore = [OsStr::new("restore"), file.as_os_str(), "-C".as_ref(), out.as_os_str()];
    let (code, shown) = Tty::spawn(&restore, &env, None).finish();
    assert_eq!(code, 0, "{shown:?}");
    assert!(has_bar(&shown, "restore"), "{shown:?}");
    let (code, shown) = Tty::spawn(&[OsStr::new("verify"), file.as_os_str()], &env, None).finish();
    assert_eq!(code, 0, "{shown:?}");
    assert!(has_bar(&shown, "verify"), "{shown:?}");

    // On a pipe: the one-line note, and no bar bytes at all.
    let piped = assert_cmd::Command::cargo_bin("ebak")
        .unwrap()
        .env_remove("EBAK_PASSWORD")
        .env("EBAK_KEY", &key)
        .args(backup)
        .output()
        .unwrap();
    assert!(piped.status.success());
    let stderr = String::from_utf8(piped.stderr).unwrap();
    assert!(stderr.starts_with("ebak: wrote") && stderr.lines().count() == 1, "{stderr:?}");
    assert!(!stderr.contains('\r') && !stderr.contains('\x1b'), "no bar on a pipe: {stderr:?}");
    let piped = assert_cmd::Command::cargo_bin("ebak")
        .unwrap()
        .env("EBAK_KEY", &key)
        .arg("verify")
        .arg(&file)
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert!(piped.stderr.is_empty(), "{:?}", String::from_utf8_lossy(&piped.stderr));
}
