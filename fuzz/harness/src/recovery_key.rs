//! The `recovery_key` target: arbitrary text to the 64-digit key parser
//! (spec 4.5), against a model written from the spec's words.
//!
//! The input bytes are the text when they are UTF-8, and their lossy
//! decoding otherwise (so every input reaches the parser). It asserts that
//! the parser never panics and gives exactly the model's answer: the key,
//! or the first invalid character with its position in code points
//! (counting from 1), or how many digits are missing or too many. Every
//! key it accepts formats to the canonical spelling (16 groups of 4
//! lowercase digits joined by dashes), which parses back to the same key.

use ebak_core::BackupKey;
use ebak_core::recovery_key::{self, RecoveryKeyError};

/// Spec 4.5, literally: skip spaces and dashes; the first other character
/// that is not an ASCII hex digit is the error; then exactly 64 digits.
pub fn model(text: &str) -> Result<[u8; 32], RecoveryKeyError> {
    let mut digits = Vec::new();
    for (i, c) in text.chars().enumerate() {
        if c == ' ' || c == '-' {
            continue;
        }
        match c.to_digit(16) {
            Some(d) if c.is_ascii() => digits.push(d as u8),
            _ => return Err(RecoveryKeyError::InvalidCharacter { character: c, position: i + 1 }),
        }
    }
    if digits.len() < 64 {
        return Err(RecoveryKeyError::TooShort { missing: 64 - digits.len() });
    }
    if digits.len() > 64 {
        return Err(RecoveryKeyError::TooLong { extra: digits.len() - 64 });
    }
    let mut key = [0u8; 32];
    for (byte, pair) in key.iter_mut().zip(digits.chunks(2)) {
        *byte = pair[0] << 4 | pair[1];
    }
    Ok(key)
}

/// The canonical spelling of a key, from the spec's words.
#[must_use]
pub fn canonical(key: &[u8; 32]) -> String {
    let hex: Vec<String> = key.chunks(2).map(|g| format!("{:02x}{:02x}", g[0], g[1])).collect();
    hex.join("-")
}

/// The target.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let got = recovery_key::parse(&text);
    let want = model(&text);
    match (&got, &want) {
        (Ok(key), Ok(bytes)) => assert!(key.expose_secret() == bytes, "parsed to a different key than the model"),
        (Err(a), Err(b)) => assert_eq!(a, b, "the parser's error differs from spec 4.5's"),
        (a, b) => panic!("parser {:?}, spec 4.5 model {:?}", a.as_ref().err(), b.as_ref().err()),
    }
    let Ok(key) = got else { return };
    let formatted = recovery_key::format(&key);
    assert_eq!(formatted.as_str(), canonical(key.expose_secret()), "the formatted key is not canonical");
    let again: Result<BackupKey, _> = recovery_key::parse(&formatted);
    assert_eq!(again, Ok(key), "the formatted key does not parse to the same key");
}
