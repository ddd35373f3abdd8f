//! `s3://BUCKET/KEY` locations against a real S3-protocol server on
//! loopback (s3s-fs, one per test: store-s3/tests/common/mod.rs): a backup
//! restores byte-identically, every command works on an object, and the
//! failures (wrong credentials, a missing bucket, the server killed in the
//! middle, an interruption) exit as documented and leave nothing under the
//! object's name.
#![cfg(all(unix, feature = "s3"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;
#[path = "../../store-s3/tests/common/mod.rs"]
mod s3server;

use common::{assert_same_tree, ebak, key_text, make_tree, pattern};
use s3server::Server as S3;
use std::fs;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

macro_rules! s3_or_skip {
    () => {
        match S3::start() {
            Some(s) => s,
            None => return,
        }
    };
}

/// The binary, reaching `server` through the AWS environment variables.
fn ebak_on(server: &S3) -> assert_cmd::Command {
    let mut c = ebak();
    for var in ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SESSION_TOKEN"] {
        c.env_remove(var);
    }
    for (k, v) in server.env() {
        c.env(k, v);
    }
    c
}

fn url(key: &str) -> String {
    format!("s3://{}/{key}", s3server::BUCKET)
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn every_command_works_on_an_object_and_the_tree_comes_back_identical() {
    let server = s3_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let tree = make_tree(dir.path());
    fs::write(tree.join("big.bin"), pattern(11 << 20, 3)).unwrap();
    let key = key_text(7);
    let object = url("phone/2026-12-04.ebak");

    ebak_on(&server)
        .env("EBAK_KEY", &key)
        .args(["backup", "--no-compress"])
        .arg(&tree)
        .args(["-o", &object])
        .assert()
        .success();
    assert_eq!(server.object_files(), ["phone/2026-12-04.ebak"]);
    assert!(server.staged_parts().is_empty());

    let out = ebak_on(&server).args(["inspect", "--json", &object]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["payloadLengthValid"], true);
    assert!(json["plaintextLength"].as_u64().unwrap() > 11 << 20);

    ebak_on(&server).env("EBAK_KEY", &key).args(["verify", "--key", &object]).assert().success();
    let restored = dir.path().join("restored");
    ebak_on(&server).env("EBAK_KEY", &key).args(["restore", "--key", &object, "-C"]).arg(&restored).assert().success();
    assert_same_tree(&tree, &restored.join("tree"));

    // An existing object is replaced only with --force, before any upload.
    let out = ebak_on(&server).env("EBAK_KEY", &key).arg("backup").arg(&tree).args(["-o", &object]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("already exists; use --force"), "{}", stderr_of(&out));

    // passwd: a password added to the key-only backup (the payload copied
    // under the new header), then rotate to a new key and that password.
    ebak_on(&server)
        .env("EBAK_KEY", &key)
        .env("EBAK_NEW_PASSWORD", "a fresh s3 passphrase")
        .args(["passwd", "--add", "--key", &object])
        .assert()
        .success();
    ebak_on(&server)
        .env("EBAK_PASSWORD", "a fresh s3 passphrase")
        .args(["verify", "--password", &object])
        .assert()
        .success();
    ebak_on(&server)
        .env("EBAK_PASSWORD", "a fresh s3 passphrase")
        .env("EBAK_NEW_PASSWORD", "the rotated passphrase")
        .args(["rotate", "--password", &object])
        .assert()
        .success();
    let again = dir.path().join("again");
    ebak_on(&server)
        .env("EBAK_PASSWORD", "the rotated passphrase")
        .args(["restore", "--password", &object, "-C"])
        .arg(&again)
        .assert()
        .success();
    assert_same_tree(&tree, &again.join("tree"));
    let out = ebak_on(&server).env("EBAK_KEY", &key).args(["verify", "--key", &object]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "the old key still opens the rotated object: {}", stderr_of(&out));
    assert_eq!(server.object_files(), ["phone/2026-12-04.ebak"]);
    assert!(server.staged_parts().is_empty(), "parts left: {:?}", server.staged_parts());
}

#[test]
fn the_endpoint_flag_overrides_the_environment() {
    let server = s3_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("f"), b"flag").unwrap();
    ebak_on(&server)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("EBAK_KEY", key_text(1))
        .args(["--s3-endpoint", &server.endpoint(), "--s3-region", "us-east-1", "backup"])
        .arg(dir.path().join("f"))
        .args(["-o", &url("f.ebak")])
        .assert()
        .success();
    assert_eq!(server.object_files(), ["f.ebak"]);
}

#[test]
fn refused_credentials_a_missing_bucket_and_a_bad_url_are_told_with_their_exit_codes() {
    let server = s3_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("f"), b"x").unwrap();
    let secret = "wrong-secret-key-value-0123456789";
    let out = ebak_on(&server)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("EBAK_KEY", key_text(1))
        .arg("backup")
        .arg(dir.path().join("f"))
        .args(["-o", &url("f.ebak")])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert_eq!(
        err.trim(),
        "ebak: s3://ebak-test/f.ebak: access denied: the secret access key does not match the access key ID (SignatureDoesNotMatch)"
    );
    assert!(!err.contains(secret) && !err.contains(&server.credentials.access_key_id), "{err}");

    let out = ebak_on(&server)
        .env("EBAK_KEY", key_text(1))
        .args(["verify", "--key", "s3://no-such-bucket/f.ebak"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    assert_eq!(stderr_of(&out).trim(), "ebak: the bucket s3://no-such-bucket: not found");

    let out = ebak_on(&server).args(["inspect", &url("missing.ebak")]).output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(stderr_of(&out).trim(), "ebak: s3://ebak-test/missing.ebak: not found");

    let out = ebak_on(&server).args(["inspect", "s3://ebak-test/a/../b"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("not a valid S3 location"), "{}", stderr_of(&out));

    let out = ebak()
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["inspect", &url("f.ebak")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert!(stderr_of(&out).contains("no credentials"), "{}", stderr_of(&out));
}

/// Starts `ebak backup - -o OBJECT` with its input a pipe the test keeps
/// open, feeds it `mib` MiB, and waits until the multipart upload started.
fn backup_in_flight(server: &S3, object: &str, mib: usize) -> std::process::Child {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ebak"));
    cmd.env_remove("EBAK_PASSWORD").env("EBAK_KEY", key_text(7));
    for (k, v) in server.env() {
        cmd.env(k, v);
    }
    let mut child = cmd
        .args(["--quiet", "backup", "--no-compress", "-", "-o", object])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.as_mut().unwrap().write_all(&pattern(mib << 20, 5)).unwrap();
    let start = Instant::now();
    while server.staged_parts().is_empty() {
        assert!(start.elapsed() < Duration::from_secs(60), "no multipart upload started");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[test]
fn an_interrupted_backup_aborts_its_multipart_upload() {
    let server = s3_or_skip!();
    let object = url("interrupted.ebak");
    let mut child = backup_in_flight(&server, &object, 12);
    let status = Command::new("kill").arg("-INT").arg(child.id().to_string()).status().unwrap();
    assert!(status.success());
    let stdin = child.stdin.take();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(out.status.code(), Some(130), "{}", stderr_of(&out));
    assert_eq!(stderr_of(&out).trim(), "ebak: interrupted; the unfinished output was removed");
    assert!(server.staged_parts().is_empty(), "the multipart upload was not aborted: {:?}", server.staged_parts());
    assert!(server.object_files().is_empty(), "objects: {:?}", server.object_files());
}

#[test]
fn the_server_killed_mid_upload_exits_5_leaves_no_object_and_a_rerun_works() {
    let mut server = s3_or_skip!();
    let object = url("killed.ebak");
    let mut child = backup_in_flight(&server, &object, 12);
    server.kill();
    // More input, then the end: the upload fails on the next part or at
    // the commit.
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(&pattern(12 << 20, 6));
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let err = stderr_of(&out);
    eprintln!("the server killed mid-upload: {err}");
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.starts_with("ebak: cannot "), "{err}");
    assert!(err.contains("s3://ebak-test/killed.ebak") && err.to_lowercase().contains("connect"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    server.restart();
    assert!(server.object_files().is_empty(), "an object after the kill: {:?}", server.object_files());
    // The same command again works.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fs::write(&data, pattern(7 << 20, 8)).unwrap();
    ebak_on(&server).env("EBAK_KEY", key_text(7)).arg("backup").arg(&data).args(["-o", &object]).assert().success();
    let out_dir = dir.path().join("out");
    ebak_on(&server)
        .env("EBAK_KEY", key_text(7))
        .args(["restore", "--key", &object, "-C"])
        .arg(&out_dir)
        .assert()
        .success();
    assert!(fs::read(out_dir.join("data")).unwrap() == fs::read(&data).unwrap());
}
