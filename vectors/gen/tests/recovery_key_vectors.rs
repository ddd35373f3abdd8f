//! Runs `vectors/ebak_v1_recovery_key_test.json` against ebak-core's
//! 64-digit key codec: accepted spellings parse to the key and format back
//! canonically; rejected ones give exactly the error of spec 4.5.
//!
//! A custom harness, so that the counts are always printed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::{Tally, load, to_hex};
use ebak_core::recovery_key::{self, RecoveryKeyError};
use serde_json::{Value, json};

const FILE: &str = "ebak_v1_recovery_key_test.json";

/// The error as the vectors spell it.
fn error_json(e: &RecoveryKeyError) -> Value {
    match e {
        RecoveryKeyError::InvalidCharacter { character, position } => {
            json!({"kind": "InvalidCharacter", "character": character.to_string(), "position": position})
        }
        RecoveryKeyError::TooShort { missing } => json!({"kind": "TooShort", "missing": missing}),
        RecoveryKeyError::TooLong { extra } => json!({"kind": "TooLong", "extra": extra}),
        other => json!({"kind": format!("{other:?}")}),
    }
}

fn check(t: &Value) -> Result<(), String> {
    let text = t["text"].as_str().ok_or("missing text")?;
    match (recovery_key::parse(text), t["result"].as_str()) {
        (Ok(key), Some("valid")) => {
            let hex = to_hex(key.expose_secret());
            if t["key"].as_str() != Some(hex.as_str()) {
                return Err(format!("parsed to {hex}, expected {}", t["key"]));
            }
            let formatted = recovery_key::format(&key);
            if t["formatted"].as_str() != Some(formatted.as_str()) {
                return Err(format!("formats as {}, expected {}", formatted.as_str(), t["formatted"]));
            }
            // The canonical spelling parses back to the same key.
            if recovery_key::parse(&formatted).ok() != Some(key) {
                return Err("the formatted key does not parse back".into());
            }
            Ok(())
        }
        (Err(e), Some("invalid")) => {
            let got = error_json(&e);
            if got == t["error"] { Ok(()) } else { Err(format!("error {got}, expected {}", t["error"])) }
        }
        (Ok(_), _) => Err("invalid text parsed".into()),
        (Err(e), _) => Err(format!("valid text rejected: {e}")),
    }
}

fn main() {
    let (_, tests) = load(FILE, "ebak-v1-recovery-key", "EbakRecoveryKeyTest");
    let mut tally = Tally::default();
    for t in &tests {
        tally.record(FILE, "no AEAD", t, check(t));
    }
    if !tally.report(FILE, "no AEAD") {
        eprintln!("{FILE}: FAILED");
        std::process::exit(1);
    }
}
