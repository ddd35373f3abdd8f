//! Every whole-file test vector (`vectors/ebak_v1_file_test.json`) opened
//! by the `ebak` binary as a user would: `ebak restore FILE --raw -o -`
//! with the vector's secret and context. The tool must reach the vector's
//! verdict, with the exit code its README documents for the failure class.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed expectation is a test failure"
)]

use assert_cmd::Command;
use serde_json::Value;
use sha2::{Digest, Sha512};
use std::fs;
use std::io::Read;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The exit code `cli/README.md` documents for a failure class.
fn expected_exit(stage: &str, secret_type: &str) -> i32 {
    match (stage, secret_type) {
        ("NoSlotOpens", _) | ("HeaderMac", "key") => 3,
        ("HeaderParse" | "KdfLimits" | "HeaderMac" | "Commitment" | "Payload", _) => 4,
        other => panic!("unknown failure stage {other:?}"),
    }
}

#[test]
fn every_file_vector_gets_its_verdict_from_the_cli() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/ebak_v1_file_test.json");
    let suite: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (mut opened, mut rejected, mut skipped) = (0, 0, 0);
    for group in suite["testGroups"].as_array().unwrap() {
        for t in group["tests"].as_array().unwrap() {
            let id = t["tcId"].as_u64().unwrap();
            // The tool takes the context as a command-line argument: text
            // without NUL. Vectors with other contexts are the core's
            // business (its runner checks them).
            let Ok(context) = String::from_utf8(unhex(t["context"].as_str().unwrap())) else {
                skipped += 1;
                continue;
            };
            if context.contains('\0') {
                skipped += 1;
                continue;
            }
            let bytes = match (t.get("file"), t.get("fileZlib")) {
                (Some(f), _) => unhex(f.as_str().unwrap()),
                (None, Some(z)) => {
                    let mut out = Vec::new();
                    flate2::read::ZlibDecoder::new(&unhex(z.as_str().unwrap())[..]).read_to_end(&mut out).unwrap();
                    out
                }
                _ => panic!("tcId {id}: no file"),
            };
            let file = dir.path().join(format!("tc{id}.ebak"));
            fs::write(&file, &bytes).unwrap();
            let secret_type = t["secretType"].as_str().unwrap();
            let mut cmd = Command::cargo_bin("ebak").unwrap();
            cmd.env_clear();
            match secret_type {
                "key" => cmd.env("EBAK_KEY", t["key"].as_str().unwrap()),
                "password" => cmd.env("EBAK_PASSWORD", t["password"].as_str().unwrap()),
                other => panic!("tcId {id}: secret type {other}"),
            };
            let out = cmd.arg("restore").arg(&file).args(["--raw", "-o", "-", "--context", &context]).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            match t["result"].as_str().unwrap() {
                "valid" | "acceptable" => {
                    assert_eq!(out.status.code(), Some(0), "tcId {id} must open: {stderr}");
                    assert_eq!(out.stdout.len() as u64, t["msgLength"].as_u64().unwrap(), "tcId {id}: length");
                    assert_eq!(hex(&Sha512::digest(&out.stdout)), t["msgSha512"].as_str().unwrap(), "tcId {id}: hash");
                    opened += 1;
                }
                "invalid" => {
                    let stage = t["failureStage"].as_str().unwrap();
                    let code = expected_exit(stage, secret_type);
                    assert_eq!(out.status.code(), Some(code), "tcId {id} ({stage}) must exit {code}: {stderr}");
                    assert_eq!(stderr.trim_end().lines().count(), 1, "tcId {id}: one error line, got {stderr:?}");
                    assert!(stderr.starts_with("ebak: "), "tcId {id}: {stderr:?}");
                    rejected += 1;
                }
                other => panic!("tcId {id}: result {other}"),
            }
        }
    }
    println!(
        "CLI against {path}: {opened} opened, {rejected} rejected with the documented exit code, {skipped} skipped (context not UTF-8 text without NUL)"
    );
    assert!(opened >= 20 && rejected >= 90, "too few vectors checked: {opened} opened, {rejected} rejected");
}
