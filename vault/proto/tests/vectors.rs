//! Runs the vault's vector files against this crate: the key derivation
//! and the wrap (`vectors/ebak_vault_v1_wrap_test.json`: wrapping key,
//! wrap context, the wrapped key for the given salt, every verdict), and
//! the key ids of `vectors/ebak_vault_v1_slot_test.json`. A failing vector
//! names its tcId.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed expectation is a test failure"
)]

use ebak_core::{BackupKey, DefaultAead as A};
use ebak_vault_proto::wrap::{self, ExportKey, UnwrapError};
use ebak_vault_proto::{AccountId, PublicKeys, VaultId};
use serde_json::Value;
use std::path::PathBuf;

fn load(name: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../vectors").join(name);
    let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    doc["testGroups"].as_array().unwrap().iter().flat_map(|g| g["tests"].as_array().unwrap().clone()).collect()
}

fn unhex(v: &Value) -> Vec<u8> {
    let s = v.as_str().unwrap();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn check_wrap(t: &Value) -> Result<(), String> {
    let ek = ExportKey::from_bytes(unhex(&t["exportKey"]).try_into().unwrap());
    let vault = VaultId(unhex(&t["vaultId"]).try_into().unwrap());
    let account = AccountId(unhex(&t["account"]).try_into().unwrap());
    let version = t["version"].as_u64().ok_or("version is not a u64")?;
    let wk = ek.wrapping_key();
    if hex(wk.as_ref()) != t["wrappingKey"].as_str().unwrap() {
        return Err(format!("wrapping key {}", hex(wk.as_ref())));
    }
    let ctx = wrap::wrap_context(&vault, &account, version);
    if hex(&ctx) != t["wrapContext"].as_str().unwrap() {
        return Err(format!("wrap context {}", hex(&ctx)));
    }
    let wrapped: [u8; 104] = unhex(&t["wrappedKey"]).try_into().unwrap();
    match (wrap::unwrap::<A>(&ek, &vault, &account, version, &wrapped), t["result"].as_str()) {
        (Ok(key), Some("valid")) => {
            if hex(key.expose_secret()) != t["backupKey"].as_str().unwrap() {
                return Err("opened to another key".into());
            }
            let salt: [u8; 24] = unhex(&t["wrapSalt"]).try_into().unwrap();
            let again =
                wrap::wrap::<A>(&ek, &salt, &vault, &account, version, &BackupKey::from_bytes(*key.expose_secret()));
            if again != Some(wrapped) {
                return Err("wrapping with the given salt gives other bytes".into());
            }
            Ok(())
        }
        (Err(e), Some("invalid")) => {
            let name = match e {
                UnwrapError::WrongKeyOrContext => "WrongKeyOrContext",
                UnwrapError::Tampered => "Tampered",
                _ => "unknown",
            };
            if t["error"].as_str() == Some(name) {
                Ok(())
            } else {
                Err(format!("error {name}, expected {}", t["error"]))
            }
        }
        (got, _) => Err(format!("got {got:?}")),
    }
}

fn check_key_id(t: &Value) -> Result<(), String> {
    if t["result"] != "valid" {
        return Ok(());
    }
    let keys = PublicKeys {
        vault_id: VaultId(unhex(&t["vaultId"]).try_into().unwrap()),
        opaque_pk: unhex(&t["opaquePk"]).try_into().unwrap(),
        signing_pk: unhex(&t["signingPk"]).try_into().unwrap(),
    };
    let id = keys.key_id();
    if id.to_hex() == t["keyId"].as_str().unwrap() { Ok(()) } else { Err(format!("key id {id}")) }
}

fn run(file: &str, check: fn(&Value) -> Result<(), String>) -> bool {
    let tests = load(file);
    let mut failed = 0;
    for t in &tests {
        if let Err(why) = check(t) {
            eprintln!("FAIL {file} tcId {}: {why} ({})", t["tcId"], t["comment"]);
            failed += 1;
        }
    }
    println!("{file}: {} of {} passed", tests.len() - failed, tests.len());
    failed == 0 && !tests.is_empty()
}

fn main() {
    let ok = run("ebak_vault_v1_wrap_test.json", check_wrap) & run("ebak_vault_v1_slot_test.json", check_key_id);
    if !ok {
        eprintln!("vault vectors: FAILED");
        std::process::exit(1);
    }
}
