//! Runs `vectors/ebak_v1_keywrap_test.json` against ebak-core: each slot is
//! parsed with the header's slot rules, checked against the KDF ceilings,
//! and tried with the password (spec 6 step 2). The verdict, the failure
//! class and, for valid and acceptable vectors, every intermediate value
//! must match.
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

use common::{Tally, hex_field, load, to_hex};
use ebak_core::ErrorClass;
use ebak_core::aead::{Aead, DefaultAead};
use ebak_core::cobblestone;
use ebak_core::header::Slot;
use ebak_core::kdf::{KdfLimits, normalize_password};
use ebak_core::slot::{PasswordSlot, Unwrapped};
use serde_json::Value;

const FILE: &str = "ebak_v1_keywrap_test.json";

/// Spec 6 step 2 for a header with this one slot: the unwrapped slot and
/// its KEK, or the class of the failure.
fn unlock<A: Aead>(
    slot: &[u8],
    password: &str,
    limits: &KdfLimits,
) -> Result<(PasswordSlot, [u8; 32], [u8; 32]), ErrorClass> {
    let slot = match Slot::parse(slot) {
        Ok(Slot::Password(p)) => p,
        // Spec 4.2: a slot of another type is skipped: no password slot.
        Ok(_) => return Err(ErrorClass::NoSlotOpens),
        Err(_) => return Err(ErrorClass::HeaderParse),
    };
    limits.check_all([slot.params()]).map_err(|_| ErrorClass::KdfLimits)?;
    // Over a ceiling, or Argon2id could not get its memory: both KdfLimits.
    let kek = slot.kek(password, limits).map_err(|_| ErrorClass::KdfLimits)?;
    match slot.unwrap_with_kek::<A>(&kek) {
        Unwrapped::Key(key) => Ok((slot, *kek.expose_secret(), *key.expose_secret())),
        Unwrapped::WrongPassword => Err(ErrorClass::NoSlotOpens),
        Unwrapped::Tampered => Err(ErrorClass::HeaderMac),
    }
}

fn field(t: &Value, key: &str, got: &str) -> Result<(), String> {
    match t[key].as_str() {
        Some(want) if want == got => Ok(()),
        want => Err(format!("{key}: got {got}, expected {want:?}")),
    }
}

fn int(t: &Value, key: &str, got: u32) -> Result<(), String> {
    if t[key].as_u64() == Some(u64::from(got)) { Ok(()) } else { Err(format!("{key}: got {got}, expected {}", t[key])) }
}

fn check<A: Aead>(t: &Value, limits: &KdfLimits) -> Result<(), String> {
    let slot = hex_field(t, "slot")?;
    let password = t["password"].as_str().ok_or("missing password")?;
    field(t, "passwordUtf8", &to_hex(password.as_bytes()))?;
    let opens = matches!(t["result"].as_str(), Some("valid" | "acceptable"));
    match unlock::<A>(&slot, password, limits) {
        Ok((s, kek, key)) if opens => {
            field(t, "backupKey", &to_hex(&key))?;
            field(t, "passwordNfcUtf8", &to_hex(normalize_password(password).as_bytes()))?;
            field(t, "kdfSalt", &to_hex(s.kdf_salt()))?;
            int(t, "memoryKib", s.params().memory_kib)?;
            int(t, "iterations", s.params().iterations)?;
            int(t, "parallelism", s.params().parallelism)?;
            let wrap_salt: [u8; 24] = s.wrapped_key()[..24].try_into().unwrap();
            field(t, "wrapSalt", &to_hex(&wrap_salt))?;
            field(t, "kek", &to_hex(&kek))?;
            field(t, "wrapContext", &to_hex(&s.wrap_context()))?;
            let derived = cobblestone::derive(&kek, &wrap_salt, &s.wrap_context());
            field(t, "wrapKey", &to_hex(derived.key().expose_secret()))?;
            field(t, "wrapBaseNonce", &to_hex(derived.base_nonce()))?;
            field(t, "wrapCommitment", &to_hex(derived.commitment()))?;
            Ok(())
        }
        Ok(_) => Err("invalid vector unwrapped a key".into()),
        Err(class) if opens => Err(format!("{} vector failed with {class}", t["result"])),
        Err(class) => field(t, "failureStage", class.name()),
    }
}

/// Checks every vector of the file with the AEAD backend `A`.
fn run<A: Aead>(backend: &str) -> bool {
    let (doc, tests) = load(FILE, "ebak-v1-keywrap", "EbakKeyWrapTest");
    let c = &doc["testGroups"][0]["kdfCeilings"];
    let limits = KdfLimits {
        max_memory_kib: c["maxMemoryKib"].as_u64().unwrap() as u32,
        max_iterations: c["maxIterations"].as_u64().unwrap() as u32,
        max_parallelism: c["maxParallelism"].as_u64().unwrap() as u32,
        max_total_work: c["maxTotalWork"].as_u64().unwrap(),
    };
    assert_eq!(limits, KdfLimits::V1, "the vectors use the v1 ceilings");
    let mut tally = Tally::default();
    for t in &tests {
        tally.record(FILE, backend, t, check::<A>(t, &limits));
    }
    tally.report(FILE, backend)
}

fn main() {
    let started = std::time::Instant::now();
    #[allow(unused_mut, reason = "only the aws-lc feature adds a second run")]
    let mut ok = run::<DefaultAead>("rustcrypto");
    // The second backend runs the same vectors (`--features aws-lc`).
    #[cfg(feature = "aws-lc")]
    {
        ok &= run::<ebak_core::aead::AwsLcAes256Gcm>("aws-lc");
    }
    println!("({:.1} s)", started.elapsed().as_secs_f64());
    if !ok {
        eprintln!("{FILE}: FAILED");
        std::process::exit(1);
    }
}
