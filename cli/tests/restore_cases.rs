//! What `ebak restore` and `ebak ls` do with ordinary trees and ordinary
//! accidents (issue 15): `--force` merges instead of replacing, a killed
//! restore's staging directory is cleaned up by the next, named paths are
//! restored alone, the listing, and the messages for a damaged slot, a
//! file cut inside a chunk and archive names with control characters. Each
//! test failed on the main branch before the change it covers.
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
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn key() -> String {
    key_text(0x15)
}

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut c = ebak();
    c.env("EBAK_KEY", key());
    for a in args {
        c.arg(a);
    }
    c.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `tree/` with `a.txt`, `sub/b.txt`, `sub/deeper/c.txt`, and a hard link
/// `tree/link-to-a`, backed up into `b.ebak`.
fn tree_backup(dir: &Path) -> std::path::PathBuf {
    let tree = dir.join("tree");
    fs::create_dir_all(tree.join("sub/deeper")).unwrap();
    fs::write(tree.join("a.txt"), "a from the backup").unwrap();
    fs::write(tree.join("sub/b.txt"), "b from the backup").unwrap();
    fs::write(tree.join("sub/deeper/c.txt"), "c").unwrap();
    fs::hard_link(tree.join("a.txt"), tree.join("link-to-a")).unwrap();
    let file = dir.join("b.ebak");
    let out = run(&[&"backup", &tree, &"-o", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    file
}

#[test]
fn force_merges_into_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    let file = tree_backup(dir.path());
    let target = dir.path().join("restore");
    fs::create_dir_all(target.join("tree/sub")).unwrap();
    fs::write(target.join("tree/a.txt"), "old a").unwrap();
    fs::write(target.join("tree/mine.txt"), "not in the backup").unwrap();
    fs::write(target.join("tree/sub/also-mine.txt"), "mine too").unwrap();
    // Without --force an existing top-level name is refused, untouched.
    let out = run(&[&"restore", &file, &"-C", &target]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("tree already exists; use --force to restore into it"));
    assert_eq!(fs::read_to_string(target.join("tree/a.txt")).unwrap(), "old a");
    // With --force: what the backup holds is replaced, the rest is kept.
    let out = run(&[&"restore", &file, &"-C", &target, &"--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(target.join("tree/a.txt")).unwrap(), "a from the backup");
    assert_eq!(fs::read_to_string(target.join("tree/sub/b.txt")).unwrap(), "b from the backup");
    assert_eq!(fs::read_to_string(target.join("tree/sub/deeper/c.txt")).unwrap(), "c");
    assert_eq!(fs::read_to_string(target.join("tree/mine.txt")).unwrap(), "not in the backup");
    assert_eq!(fs::read_to_string(target.join("tree/sub/also-mine.txt")).unwrap(), "mine too");
    assert!(leftovers(&target).is_empty());
    // A directory where the backup has a file is never replaced: refused
    // before anything moves.
    fs::remove_file(target.join("tree/a.txt")).unwrap();
    fs::create_dir(target.join("tree/a.txt")).unwrap();
    fs::write(target.join("tree/sub/b.txt"), "changed").unwrap();
    let out = run(&[&"restore", &file, &"-C", &target, &"--force"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("a.txt is a directory, and the backup holds a file there"), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(target.join("tree/sub/b.txt")).unwrap(), "changed");
    assert!(leftovers(&target).is_empty());
}

#[cfg(unix)]
#[test]
fn force_replaces_a_symlink_instead_of_writing_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = tree_backup(dir.path());
    let target = dir.path().join("restore");
    let elsewhere = dir.path().join("elsewhere");
    fs::create_dir_all(target.join("tree")).unwrap();
    fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, target.join("tree/sub")).unwrap();
    let out = run(&[&"restore", &file, &"-C", &target, &"--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(fs::symlink_metadata(target.join("tree/sub")).unwrap().is_dir());
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0, "nothing written through the symlink");
}

/// `-C LINK`, where LINK names a directory, restores into that directory
/// (as `tar -C` does) and leaves the link a link; a link to a file, or one
/// that leads nowhere, is refused as before.
#[cfg(unix)]
#[test]
fn restore_into_a_symlink_to_a_directory_follows_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = tree_backup(dir.path());
    let real = dir.path().join("real");
    let link = dir.path().join("link");
    fs::create_dir(&real).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = run(&[&"restore", &file, &"-C", &link]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(real.join("tree/sub/b.txt")).unwrap(), "b from the backup");
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is left a link");
    assert!(leftovers(&real).is_empty());
    let to_file = dir.path().join("to-file");
    std::os::unix::fs::symlink(&file, &to_file).unwrap();
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
    for bad in [&to_file, &dangling] {
        let out = run(&[&"restore", &file, &"-C", bad]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("exists and is not a directory"), "{}", stderr(&out));
    }
    assert!(!dir.path().join("nowhere").exists(), "nothing created through a dangling link");
}

#[test]
fn named_paths_are_restored_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = tree_backup(dir.path());
    let target = dir.path().join("restore");
    let out = run(&[&"restore", &file, &"tree/sub/deeper", &"./tree/a.txt", &"-C", &target]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(target.join("tree/a.txt")).unwrap(), "a from the backup");
    assert_eq!(fs::read_to_string(target.join("tree/sub/deeper/c.txt")).unwrap(), "c");
    assert!(!target.join("tree/sub/b.txt").exists());
    assert!(!target.join("tree/link-to-a").exists());
    // A name not in the backup: exit 2, nothing written.
    let other = dir.path().join("other");
    let out = run(&[&"restore", &file, &"tree/a.txt", &"tree/nope", &"-C", &other]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("tree/nope is not in the backup"), "{}", stderr(&out));
    assert!(!other.exists());
    // A hard link without the file it shares: named in the message.
    let out = run(&[&"restore", &file, &"tree/link-to-a", &"-C", &other]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("tree/link-to-a is a hard link to tree/a.txt, which is not being restored"));
    assert!(!other.exists());
}

/// A selected hard link whose target is no regular file of the archive
/// (a symlink, or nothing) is refused (content spec 7.2, exit 4), not
/// taken for a target the user did not name (exit 2): naming it too
/// would not help.
#[test]
fn a_selected_hard_link_to_no_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = hostile_backup(dir.path(), |b| {
        raw_entry(b, b"s", tar::EntryType::Symlink, Some(b"."), b"");
        raw_entry(b, b"to-symlink", tar::EntryType::Link, Some(b"s"), b"");
        raw_entry(b, b"to-nothing", tar::EntryType::Link, Some(b"nothing"), b"");
    });
    for name in ["to-symlink", "to-nothing"] {
        let target = dir.path().join(name);
        let mut restore = ebak();
        restore.env("EBAK_KEY", "06".repeat(32)).arg("restore").arg(&file).arg(name).arg("-C").arg(&target);
        let out = restore.output().unwrap();
        assert_eq!(out.status.code(), Some(4), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains("refusing to restore"), "{name}: {}", stderr(&out));
        assert!(!target.exists());
    }
}

#[test]
fn ls_lists_names_sizes_modes_and_times() {
    let dir = tempfile::tempdir().unwrap();
    let file = tree_backup(dir.path());
    let t = filetime::FileTime::from_unix_time(1_600_000_000, 0);
    filetime::set_file_mtime(dir.path().join("tree/sub/deeper/c.txt"), t).unwrap();
    let out = run(&[&"backup", &dir.path().join("tree"), &"-o", &file, &"--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    let out = run(&[&"ls", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listing = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = listing.lines().map(|l| l.rsplit_once(' ').unwrap().1).collect();
    assert_eq!(
        names,
        [
            "tree/",
            "tree/a.txt",
            "tree/a.txt",
            "tree/sub/",
            "tree/sub/b.txt",
            "tree/sub/deeper/",
            "tree/sub/deeper/c.txt"
        ]
    );
    assert!(listing.contains("tree/link-to-a link to tree/a.txt"), "{listing}");
    let c = listing.lines().find(|l| l.ends_with("tree/sub/deeper/c.txt")).unwrap();
    assert!(c.starts_with("-rw-r--r-- "), "{c}");
    assert!(c.contains(" 1 2020-09-13 12:26 "), "{c}");
    let after: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(before, after, "ls writes nothing");
}

/// A restore killed with SIGKILL (nothing can clean up after that) leaves
/// its staging directory; the next restore into the same place removes
/// it and says so, and leaves alone what it cannot prove is its own. The
/// first restore reads the backup from a pipe that stops half-way, so it
/// is certainly running, its staging directory made, when it is killed.
#[cfg(unix)]
#[test]
fn a_killed_restore_is_cleaned_up_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    fs::create_dir(&tree).unwrap();
    fs::write(tree.join("big.bin"), pattern(400_000, 5)).unwrap();
    let file = dir.path().join("b.ebak");
    assert!(run(&[&"backup", &tree, &"-o", &file, &"--no-compress"]).status.success());
    let bytes = fs::read(&file).unwrap();
    let target = dir.path().join("restore");
    fs::create_dir(&target).unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("ebak"))
        .env_clear()
        .env("EBAK_KEY", key())
        .args(["--quiet", "restore", "-", "-C"])
        .arg(&target)
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&bytes[..bytes.len() / 2]).unwrap();
    stdin.flush().unwrap();
    let staging = (0..500)
        .find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(20));
            leftovers(&target).into_iter().next()
        })
        .expect("the restore made its staging directory");
    // Wait for the payload to be under way: the staging tree has the file.
    for _ in 0..500 {
        if target.join(&staging).join("new/tree/big.bin").exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);
    assert!(target.join(&staging).exists(), "SIGKILL leaves the staging directory");
    // Something with the name that is not ebak's, and something else.
    fs::create_dir(target.join(".ebak-restore-foreign")).unwrap();
    fs::write(target.join("keep.txt"), "keep").unwrap();
    let out = run(&[&"restore", &file, &"-C", &target]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "removed {}: left behind by a restore that was interrupted",
            target.join(&staging).display()
        )),
        "{err}"
    );
    assert!(
        err.contains(".ebak-restore-foreign looks like a restore's temporary directory but is not known to be ebak's"),
        "{err}"
    );
    assert_eq!(leftovers(&target), [".ebak-restore-foreign"]);
    assert_eq!(fs::read(target.join("tree/big.bin")).unwrap(), pattern(400_000, 5));
    assert_eq!(fs::read_to_string(target.join("keep.txt")).unwrap(), "keep");
}

/// A flipped bit in a password slot's salt makes Argon2 derive another
/// key: indistinguishable from a wrong password, and said so.
#[test]
fn a_damaged_password_slot_is_named_as_a_possibility() {
    let dir = tempfile::tempdir().unwrap();
    let tree = make_tree(dir.path());
    let file = dir.path().join("b.ebak");
    ebak().env("EBAK_PASSWORD", PW).arg("backup").arg(&tree).arg("-o").arg(&file).assert().success();
    let mut bytes = fs::read(&file).unwrap();
    // spec 4.3: the slot's body starts at byte 14 of the file, with the
    // 16-byte kdf_salt (the memory cost follows at offset 16: errors.rs).
    bytes[14 + 5] ^= 0x01;
    fs::write(&file, &bytes).unwrap();
    let out = ebak().env("EBAK_PASSWORD", PW).arg("verify").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("wrong password, or the key slot is damaged"), "{}", stderr(&out));
}

/// A file cut inside a chunk fails at its last chunk: said as truncated
/// (or damaged: the format cannot tell a cut from a modified last chunk).
#[test]
fn a_file_cut_inside_a_chunk_says_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let tree = make_tree(dir.path());
    let file = dir.path().join("b.ebak");
    assert!(run(&[&"backup", &tree, &"-o", &file, &"--no-compress"]).status.success());
    let mut bytes = fs::read(&file).unwrap();
    bytes.truncate(43 + 56 + 5 * 16_400 + 7_000);
    fs::write(&file, &bytes).unwrap();
    let out = run(&[&"verify", &file]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("truncated or damaged: the last chunk (chunk 5"), "{}", stderr(&out));
}

/// Names are anybody's bytes: a terminal escape in an entry's name is
/// printed escaped, a malformed header is described without its bytes, and
/// no message names the staging directory.
#[test]
fn messages_carry_no_raw_bytes_or_temporary_names() {
    let dir = tempfile::tempdir().unwrap();
    let file = hostile_backup(dir.path(), |b| {
        raw_entry(b, b"x\x1b[31mred", tar::EntryType::Symlink, Some(b"."), b"");
        raw_entry(b, b"x\x1b[31mred/inside", tar::EntryType::Regular, None, b"x");
    });
    let target = dir.path().join("out");
    let out =
        ebak().env("EBAK_KEY", "06".repeat(32)).arg("restore").arg(&file).arg("-C").arg(&target).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("refusing to restore: entry x\\u{1b}[31mred/inside would be written through a symlink"),
        "{err}"
    );
    assert!(!err.contains('\x1b'), "{err:?}");
    assert!(!err.contains(".ebak-"), "{err}");
    // A header whose checksum field is garbage.
    let mut tar_bytes = {
        let mut b = tar::Builder::new(Vec::new());
        raw_entry(&mut b, b"ok.txt", tar::EntryType::Regular, None, b"fine");
        raw_entry(&mut b, b"bad.txt", tar::EntryType::Regular, None, b"x");
        b.into_inner().unwrap()
    };
    tar_bytes[1024 + 148..1024 + 156].copy_from_slice(b"\x1b]0;zzz\x07");
    let mut plaintext = b"ebakcli1\x01\x00".to_vec();
    plaintext.extend_from_slice(&tar_bytes);
    let sealed = ebak_core::file::seal::<ebak_core::DefaultAead>(
        &ebak_core::BackupKey::from_bytes([6; 32]),
        vec![],
        b"",
        &[1; 24],
        &plaintext,
    )
    .unwrap();
    fs::write(&file, sealed).unwrap();
    let out =
        ebak().env("EBAK_KEY", "06".repeat(32)).arg("restore").arg(&file).arg("-C").arg(&target).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("a tar header is malformed, after entry 1 (ok.txt)"), "{err}");
    assert!(!err.contains('\x1b') && !err.contains('\x07') && !err.contains("zz"), "{err:?}");
    assert!(!err.contains(".ebak-"), "{err}");
    assert!(!target.exists());
}
