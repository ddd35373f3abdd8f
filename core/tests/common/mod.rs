//! Helpers shared by the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]
#![allow(
    clippy::arithmetic_side_effects,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: bad test data is a test failure"
)]

use std::path::PathBuf;

/// Decodes lowercase or uppercase hex; panics on bad input (test data).
pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd-length hex");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit")).collect()
}

/// Encodes lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Inflates a zlib stream (Wycheproof's CompressedHexBytes).
pub fn inflate(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(bytes).read_to_end(&mut out).expect("zlib");
    out
}

/// The Wycheproof directory: `EBAK_WYCHEPROOF_DIR`, or `../shared/wycheproof`
/// beside the project.
pub fn wycheproof_dir() -> PathBuf {
    match std::env::var_os("EBAK_WYCHEPROOF_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/wycheproof"),
    }
}

/// Loads a Wycheproof file. When it is missing: with `CI=true` that is a
/// failure; otherwise the suite is skipped with a message (`None`).
pub fn load_wycheproof(name: &str) -> Option<serde_json::Value> {
    let path = wycheproof_dir().join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).expect("valid JSON")),
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "{}: {e} (CI=true: the external vectors must be present; set EBAK_WYCHEPROOF_DIR)",
                    path.display()
                );
            }
            eprintln!("SKIPPED: {}: {e} (set EBAK_WYCHEPROOF_DIR; with CI=true this fails)", path.display());
            None
        }
    }
}

pub fn sha512(data: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha512::digest(data).to_vec()
}
