//! Runs `vectors/ebak_vault_v1_slot_test.json` against ebak-core's vault
//! slot (ebak-v1 4.6): valid bodies decode to exactly the fields given and
//! re-encode to the same bytes; invalid ones give exactly the error named;
//! every body, valid or not, is accepted in a header as slot type 0x02.
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
use ebak_core::kdf::{KdfLimits, KdfParams};
use ebak_core::slot::{OtherSlot, SLOT_TYPE_VAULT, Slot, VaultSlot, VaultSlotError};
use serde_json::Value;

const FILE: &str = "ebak_vault_v1_slot_test.json";

fn error_name(e: VaultSlotError) -> &'static str {
    match e {
        VaultSlotError::Truncated => "Truncated",
        VaultSlotError::TrailingData => "TrailingData",
        VaultSlotError::UnknownProtocol(_) => "UnknownProtocol",
        VaultSlotError::InvalidKsf => "InvalidKsf",
        VaultSlotError::InvalidUrl => "InvalidUrl",
        _ => "unknown",
    }
}

fn check(t: &Value) -> Result<(), String> {
    let body = hex_field(t, "body")?;
    // ebak-v1 4.6: at the header level every body up to 1024 bytes is a
    // valid type-0x02 slot, whatever it holds.
    let framed = Slot::Other(OtherSlot::new(SLOT_TYPE_VAULT, body.clone()).map_err(|e| format!("{e:?}"))?);
    if Slot::parse(&framed.to_bytes()).as_ref() != Ok(&framed) {
        return Err("the header does not accept the body as a type-0x02 slot".into());
    }
    let decoded = VaultSlot::from_slot(&framed).ok_or("not seen as a vault slot")?;
    match (decoded, t["result"].as_str()) {
        (Ok(s), Some("valid")) => {
            let fields = [
                ("vaultId", to_hex(s.vault_id())),
                ("opaquePk", to_hex(s.opaque_pk())),
                ("signingPk", to_hex(s.signing_pk())),
                ("account", to_hex(s.account())),
            ];
            for (name, got) in fields {
                if t[name].as_str() != Some(got.as_str()) {
                    return Err(format!("{name}: {got}, expected {}", t[name]));
                }
            }
            let ksf = s.ksf();
            if (t["m"].as_u64(), t["t"].as_u64(), t["p"].as_u64())
                != (Some(u64::from(ksf.memory_kib)), Some(u64::from(ksf.iterations)), Some(u64::from(ksf.parallelism)))
            {
                return Err(format!("costs {ksf:?}, expected m {} t {} p {}", t["m"], t["t"], t["p"]));
            }
            if t["url"].as_str() != Some(s.url()) {
                return Err(format!("url {}, expected {}", s.url(), t["url"]));
            }
            if s.encode_body() != body {
                return Err("does not re-encode to the same body".into());
            }
            let over = KdfLimits::V1.check_slot(&KdfParams { ..*ksf }).is_err();
            let flagged = t["flags"].as_array().unwrap().iter().any(|f| f == "OverCeilings");
            if over != flagged {
                return Err(format!("over the ceilings: {over}, flagged: {flagged}"));
            }
            Ok(())
        }
        (Err(e), Some("invalid")) => {
            let got = error_name(e);
            if t["error"].as_str() == Some(got) { Ok(()) } else { Err(format!("error {got}, expected {}", t["error"])) }
        }
        (Ok(_), _) => Err("an invalid body decoded".into()),
        (Err(e), _) => Err(format!("a valid body was refused: {e}")),
    }
}

fn main() {
    let (_, tests) = load(FILE, "ebak-vault-v1-slot", "EbakVaultSlotTest");
    let mut tally = Tally::default();
    for t in &tests {
        tally.record(FILE, "no AEAD", t, check(t));
    }
    if !tally.report(FILE, "no AEAD") {
        eprintln!("{FILE}: FAILED");
        std::process::exit(1);
    }
}
