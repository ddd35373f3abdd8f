//! An interrupted command leaves nothing behind: a `backup` or `restore`
//! stopped by SIGINT or SIGTERM half-way through removes its temporary
//! output, says so, and exits with 130 (cli/src/interrupt.rs).
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

use common::{ebak, key_text, leftovers, pattern};
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary, quiet, unlocked with a fixed 64-digit key, its standard
/// input a pipe the test keeps open (so the command waits half-way).
fn spawn(args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("ebak"))
        .env_remove("EBAK_PASSWORD")
        .env("EBAK_KEY", key_text(7))
        .arg("--quiet")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until `dir` holds one of ebak's temporaries, i.e. the command
/// is writing.
fn wait_for_temporary(dir: &Path) {
    let start = Instant::now();
    while leftovers(dir).is_empty() {
        assert!(start.elapsed() < Duration::from_secs(30), "no temporary appeared in {}", dir.display());
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn signal(child: &Child, sig: &str) {
    let status = Command::new("kill").arg(format!("-{sig}")).arg(child.id().to_string()).status().unwrap();
    assert!(status.success());
}

/// Signals the child, which must exit with 130 and say it removed its
/// output.
fn interrupt(mut child: Child, sig: &str) {
    signal(&child, sig);
    // Close our end of its input only after the signal was delivered.
    let stdin = child.stdin.take();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "stderr: {stderr}");
    assert_eq!(stderr.trim(), "ebak: interrupted; the unfinished output was removed");
}

#[test]
fn an_interrupted_backup_leaves_nothing() {
    for sig in ["INT", "TERM"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("b.ebak");
        let mut child = spawn(&["backup", "-", "-o", out.to_str().unwrap()]);
        // A few MiB in, and the pipe left open: the backup is mid-way.
        child.stdin.as_mut().unwrap().write_all(&pattern(3 << 20, 1)).unwrap();
        wait_for_temporary(dir.path());
        interrupt(child, sig);
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "SIG{sig}: left behind {left:?}");
    }
}

#[test]
fn an_interrupted_restore_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir(&src).unwrap();
    for i in 0..8 {
        fs::write(src.join(format!("f{i}")), pattern(1 << 20, i)).unwrap();
    }
    let backup = dir.path().join("b.ebak");
    ebak()
        .env("EBAK_KEY", key_text(7))
        .arg("backup")
        .arg(&src)
        .arg("-o")
        .arg(&backup)
        .arg("--no-compress")
        .assert()
        .success();
    let bytes = fs::read(&backup).unwrap();
    // Into an existing directory, and into one the restore creates (two
    // levels deep), which must go too.
    let existing = dir.path().join("existing");
    fs::create_dir(&existing).unwrap();
    for (target, watch) in
        [(existing.clone(), existing.clone()), (dir.path().join("new/deeper"), dir.path().join("new/deeper"))]
    {
        let mut child = spawn(&["restore", "-", "-C", target.to_str().unwrap()]);
        // Half the backup: some files are unpacked in the temporary tree.
        child.stdin.as_mut().unwrap().write_all(&bytes[..bytes.len() / 2]).unwrap();
        let start = Instant::now();
        while !watch.exists() {
            assert!(start.elapsed() < Duration::from_secs(30), "{} was not created", watch.display());
            std::thread::sleep(Duration::from_millis(10));
        }
        wait_for_temporary(&watch);
        interrupt(child, "INT");
    }
    let left: Vec<_> = fs::read_dir(&existing).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "left behind in the existing directory: {left:?}");
    let mut top: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    top.sort();
    assert_eq!(top, ["b.ebak", "existing", "src"], "the directories the restore created were not removed");
}

#[test]
fn an_interruption_before_any_output_exits_quietly() {
    // Waiting for the first bytes of the backup to restore: nothing is
    // registered yet, so the signal's inherited action applies (the
    // process dies of it and there is nothing to remove). TERM, not INT:
    // a test run started in the background by a shell without job control
    // inherits SIGINT ignored, and then so does ebak until it registers
    // its handler (as it should: that is how a background job is meant to
    // outlive the terminal's Ctrl-C); TERM is never ignored that way.
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn(&["restore", "-", "-C", dir.path().to_str().unwrap()]);
    std::thread::sleep(Duration::from_millis(200));
    signal(&child, "TERM");
    let stdin = child.stdin.take();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert!(!out.status.success());
    assert!(leftovers(dir.path()).is_empty());
}
