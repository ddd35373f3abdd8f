//! Where the `ebak` binary writes, and what it never writes over: devices
//! and FIFOs are written in place (never replaced by a regular file),
//! `passwd` and `rotate` rewrite the file a symlink names and keep its
//! permissions, a failed rewrite in a read-only directory leaves the file
//! as it was, a backup never archives itself, `verify` writes nothing, and
//! a new 64-digit key is printed once, only when asked for.
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
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

/// Every path under `root` with its size and modification time.
fn listing(root: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                pending.push(p.clone());
            }
            out.push((p, m.len(), m.modified().unwrap()));
        }
    }
    out.sort();
    out
}

#[cfg(unix)]
#[test]
fn a_fifo_or_a_device_is_written_in_place_never_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("f.txt");
    fs::write(&src, "hello").unwrap();
    let key = key_text(0x21);
    let fifo = dir.path().join("pipe");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo).unwrap())
    };
    // An existing FIFO is not a file to refuse or to replace: no --force.
    ebak().env("EBAK_KEY", &key).arg("backup").arg(&src).arg("-o").arg(&fifo).assert().success();
    let sealed = reader.join().unwrap();
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the FIFO was replaced");
    let copy = dir.path().join("copy.ebak");
    fs::write(&copy, sealed).unwrap();
    ebak().env("EBAK_KEY", &key).arg("verify").arg(&copy).assert().success();
    assert!(leftovers(dir.path()).is_empty());

    // A character device (a null device of our own: mknod needs root).
    let null = dir.path().join("null");
    let made = std::process::Command::new("mknod")
        .arg(&null)
        .args(["c", "1", "3"])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success();
    if made {
        for force in [false, true] {
            let mut c = ebak();
            c.env("EBAK_KEY", &key).arg("backup").arg(&src).arg("-o").arg(&null);
            if force {
                c.arg("--force");
            }
            c.assert().success();
            assert!(fs::symlink_metadata(&null).unwrap().file_type().is_char_device(), "--force={force}");
            ebak().env("EBAK_KEY", &key).arg("restore").arg(&copy).arg("-o").arg(&null).assert().success();
            assert!(fs::symlink_metadata(&null).unwrap().file_type().is_char_device());
        }
        assert!(leftovers(dir.path()).is_empty());
    } else {
        println!("not root: the character-device half of this test was skipped (the FIFO half ran)");
    }
}

#[cfg(unix)]
#[test]
fn passwd_and_rotate_rewrite_the_file_a_symlink_names_and_keep_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("f.txt");
    fs::write(&src, "hello").unwrap();
    let real = dir.path().join("real.ebak");
    let key = key_text(0x22);
    backup_with_key(&src, &real, &key);
    assert_eq!(mode(&real), 0o600, "a new backup is private");
    fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("link.ebak");
    std::os::unix::fs::symlink("real.ebak", &link).unwrap();
    let new_pw = "added through the link";
    ebak()
        .env("EBAK_KEY", &key)
        .env("EBAK_NEW_PASSWORD", new_pw)
        .arg("passwd")
        .arg(&link)
        .arg("--add")
        .assert()
        .success();
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "passwd replaced the symlink");
    assert_eq!(mode(&real), 0o640, "passwd changed the mode");
    let out =
        ebak().env("EBAK_KEY", &key).arg("rotate").arg(&link).args(["--no-password", "--new-key"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "rotate replaced the symlink");
    assert_eq!(mode(&real), 0o640, "rotate changed the mode");
    let new_key = String::from_utf8(out.stdout).unwrap();
    ebak().env("EBAK_KEY", new_key.trim()).arg("verify").arg(&real).assert().success();
    assert!(leftovers(dir.path()).is_empty());

    // restore -o makes a file as a shell redirection would (the umask's
    // permissions), not a private one.
    let restored = dir.path().join("restored.tar");
    ebak().env("EBAK_KEY", new_key.trim()).arg("restore").arg(&real).arg("-o").arg(&restored).assert().success();
    assert_ne!(mode(&restored), 0o600);
}

#[cfg(unix)]
#[test]
fn a_rewrite_in_a_read_only_directory_fails_and_leaves_the_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    // The binary is copied where an unprivileged user can run it.
    let bin = dir.path().join("ebak");
    fs::copy(assert_cmd::cargo::cargo_bin("ebak"), &bin).unwrap();
    let ro = dir.path().join("ro");
    fs::create_dir(&ro).unwrap();
    let src = dir.path().join("f.txt");
    fs::write(&src, "hello").unwrap();
    let file = ro.join("b.ebak");
    let key = key_text(0x23);
    backup_with_key(&src, &file, &key);
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
    let before = fs::read(&file).unwrap();
    // Root ignores directory permissions: run as nobody then.
    let root = std::process::Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let command = |args: &[&str]| {
        let mut c = if root {
            let mut c = assert_cmd::Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(&bin);
            c
        } else {
            assert_cmd::Command::new(&bin)
        };
        c.env_remove("EBAK_PASSWORD").env("EBAK_KEY", &key).arg("--quiet").args(args).arg(&file);
        c
    };
    let expect = format!("cannot create a file in {}: Permission denied", ro.display());
    command(&["rotate", "--no-password", "--new-key"])
        .assert()
        .code(5)
        .stdout("")
        .stderr(predicates::str::contains(expect.as_str()));
    command(&["passwd", "--add"])
        .env("EBAK_NEW_PASSWORD", "never written")
        .assert()
        .code(5)
        .stderr(predicates::str::contains(expect.as_str()));
    assert_eq!(fs::read(&file).unwrap(), before, "the backup must be untouched");
    assert_eq!(fs::read_dir(&ro).unwrap().count(), 1, "nothing else in the directory");
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_backup_never_archives_itself() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    fs::create_dir(&home).unwrap();
    fs::write(home.join("notes.txt"), "notes").unwrap();
    let file = home.join("home.ebak");
    let key = key_text(0x24);
    let names = |file: &Path| -> Vec<String> {
        let out = ebak().env("EBAK_KEY", &key).arg("restore").arg(file).args(["-o", "-"]).output().unwrap();
        assert!(out.status.success());
        let mut archive = tar::Archive::new(out.stdout.as_slice());
        archive.entries().unwrap().map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned()).collect()
    };
    ebak().env("EBAK_KEY", &key).arg("backup").arg(&home).arg("-o").arg(&file).assert().success();
    assert_eq!(names(&file), ["home", "home/notes.txt"]);
    // Again, over the old backup, which is inside the tree.
    ebak()
        .env("EBAK_KEY", &key)
        .arg("backup")
        .arg(&home)
        .arg("-o")
        .arg(&file)
        .arg("--force")
        .assert()
        .success()
        .stderr(predicates::str::contains("skipping").and(predicates::str::contains("the backup being written")));
    assert_eq!(names(&file), ["home", "home/notes.txt"]);
    assert!(leftovers(&home).is_empty());
}

#[test]
fn verify_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tree = make_tree(dir.path());
    let file = dir.path().join("b.ebak");
    let key = key_text(0x25);
    backup_with_key(&tree, &file, &key);
    let before = listing(dir.path());
    for target in [file.clone(), PathBuf::from("-")] {
        let mut c = ebak();
        c.current_dir(dir.path()).env("EBAK_KEY", &key).arg("verify").arg(&target);
        if target.as_os_str() == "-" {
            c.pipe_stdin(&file).unwrap();
        }
        c.assert().success();
    }
    assert_eq!(listing(dir.path()), before, "verify changed the directory");
}

/// The 64-digit keys (16 groups of 4 hex digits) in `text`.
fn keys_in(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|w| w.len() == 79 && ebak_core::recovery_key::parse(w).is_ok())
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_new_key_is_printed_once_and_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("f.txt");
    fs::write(&src, "hello").unwrap();
    let file = dir.path().join("b.ebak");
    let run = |args: &[&str], out: &Path| {
        let o = assert_cmd::Command::cargo_bin("ebak")
            .unwrap()
            .env_remove("EBAK_PASSWORD")
            .env_remove("EBAK_KEY")
            .arg("backup")
            .arg(&src)
            .arg("-o")
            .arg(out)
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (stdout, stderr) = run(&["--new-key"], &file);
    assert_eq!(keys_in(&stdout).len(), 1, "{stdout:?}");
    assert_eq!(stdout.lines().count(), 1, "only the key on stdout: {stdout:?}");
    assert!(keys_in(&stderr).is_empty(), "the key once, not twice: {stderr:?}");
    assert!(stderr.contains("lose it and the password"), "{stderr:?}");
    ebak().env("EBAK_KEY", stdout.trim()).arg("verify").arg(&file).assert().success();

    // With the backup on stdout, the key goes to stderr, once.
    let (stdout, stderr) = run(&["--new-key"], Path::new("-"));
    assert_eq!(keys_in(&stderr).len(), 1, "{stderr:?}");
    assert!(!stdout.contains(&keys_in(&stderr)[0]));

    // With a given key, nothing is printed: that key is not new.
    let o = ebak().env("EBAK_KEY", key_text(0x26)).arg("backup").arg(&src).arg("-o").arg(&file).arg("--force").output();
    let o = o.unwrap();
    assert!(o.status.success());
    assert!(o.stdout.is_empty() && keys_in(&String::from_utf8_lossy(&o.stderr)).is_empty());
}
