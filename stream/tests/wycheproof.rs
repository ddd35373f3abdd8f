//! Wycheproof's Cobblestone-256 vectors through the adapters: every valid
//! vector opens to its message and reseals to its ciphertext (salt
//! injected) through `SealWriter`; every invalid one fails, having
//! released exactly the plaintext the vector allows (the PartialPlaintext
//! rule), on one thread and on several.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a test failure"
)]

use ebak_core::aead::{Aead, DefaultAead};
use ebak_stream::{OpenError, OpenReader, SealWriter};
use serde_json::Value;
use sha2::{Digest, Sha512};
use std::io::{Read, Write};
use std::path::PathBuf;

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd-length hex");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit")).collect()
}

fn inflate(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(bytes).read_to_end(&mut out).expect("zlib");
    out
}

/// The vectors, or `None` (skipped, unless `CI=true`) when they are missing.
fn load() -> Option<Value> {
    let dir = std::env::var_os("EBAK_WYCHEPROOF_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/wycheproof"), PathBuf::from);
    let path = dir.join("c2sp_chunked_encryption_aes_256_gcm_test.json");
    match std::fs::read(&path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).expect("valid JSON")),
        Err(e) => {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "{}: {e} (CI=true: the external vectors must be present; set EBAK_WYCHEPROOF_DIR)",
                path.display()
            );
            eprintln!("SKIPPED: {}: {e} (set EBAK_WYCHEPROOF_DIR; with CI=true this fails)", path.display());
            None
        }
    }
}

fn check<A: Aead + 'static>(t: &Value, threads: usize) -> Result<bool, String> {
    let key = hex(t["key"].as_str().unwrap());
    let ctx = hex(t["ctx"].as_str().unwrap());
    let ct = inflate(&hex(t["ct"].as_str().unwrap()));
    let valid = t["result"] == "valid";
    let flags: Vec<&str> = t["flags"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    let msg = t.get("msgLength").map(|l| (l.as_u64().unwrap(), hex(t["msgSha512"].as_str().unwrap())));
    // InvalidKeySize: the API takes exactly 32 bytes.
    let Ok(key) = <[u8; 32]>::try_from(key.as_slice()) else {
        return if valid { Err("valid vector with a non-32-byte key".into()) } else { Ok(false) };
    };
    let mut released = Vec::new();
    let verdict = match OpenReader::<_, A>::with_key(&key, &ctx, &ct[..], threads) {
        Err(e) => Err(e),
        Ok(mut r) => match r.read_to_end(&mut released) {
            Ok(_) => Ok(()),
            Err(e) => Err(ebak_stream::find_error::<OpenError>(&e).map_or_else(
                || OpenError::Io(std::io::Error::other("no OpenError inside")),
                |e| match e {
                    OpenError::Payload(p) => OpenError::Payload(*p),
                    OpenError::Io(io) => OpenError::Io(std::io::Error::new(io.kind(), io.to_string())),
                },
            )),
        },
    };
    match (&verdict, valid) {
        (Ok(()), false) => return Err("invalid vector opened".into()),
        (Err(e), true) => return Err(format!("valid vector failed: {e}")),
        (Err(OpenError::Io(e)), false) => return Err(format!("an I/O error instead of a verdict: {e}")),
        _ => {}
    }
    let allowed = if valid || flags.contains(&"PartialPlaintext") {
        msg.clone()
    } else {
        Some((0, Sha512::digest(b"").to_vec()))
    };
    let (len, hash) = allowed.ok_or("no message for a vector that releases plaintext")?;
    if released.len() as u64 != len || Sha512::digest(&released).to_vec() != hash {
        return Err(format!("released {} bytes, the vector allows {len}", released.len()));
    }
    if valid {
        // Salt-injected sealing through the writer, in odd pieces.
        let salt: [u8; 24] = ct[..24].try_into().unwrap();
        let mut w = SealWriter::<_, A>::with_key(&key, &salt, &ctx, Vec::new(), threads).map_err(|e| e.to_string())?;
        for piece in released.chunks(16_385) {
            w.write_all(piece).map_err(|e| e.to_string())?;
        }
        let (sealed, n) = w.finish().map_err(|e| e.to_string())?;
        if sealed != ct || n != len {
            return Err("resealing through SealWriter differs from the vector".into());
        }
    }
    Ok(valid)
}

fn run<A: Aead + 'static>(backend: &str) {
    let Some(doc) = load() else { return };
    assert_eq!(doc["algorithm"], "Cobblestone-256");
    for threads in [1, 2, 3] {
        let (mut total, mut valid, mut failures) = (0, 0, Vec::new());
        for group in doc["testGroups"].as_array().unwrap() {
            for t in group["tests"].as_array().unwrap() {
                total += 1;
                match check::<A>(t, threads) {
                    Ok(v) => valid += usize::from(v),
                    Err(why) => failures.push(format!("tcId {}: {why}", t["tcId"])),
                }
            }
        }
        assert_eq!(total as u64, doc["numberOfTests"].as_u64().unwrap());
        assert!(failures.is_empty(), "[{backend}, {threads} threads] {failures:#?}");
        assert!(valid >= 10, "only {valid} valid vectors");
        println!(
            "wycheproof Cobblestone-256 through the adapters [{backend}, {threads} threads]: {total} of {total} ({valid} valid)"
        );
    }
}

#[test]
fn wycheproof_cobblestone_vectors_through_the_adapters() {
    run::<DefaultAead>("default");
}

#[cfg(feature = "aws-lc")]
#[test]
fn wycheproof_cobblestone_vectors_through_the_adapters_with_aws_lc() {
    run::<ebak_core::aead::AwsLcAes256Gcm>("aws-lc");
}
