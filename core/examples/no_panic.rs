//! The link-time panic-freedom check (`proofs/hax/README.md`).
//!
//! ```text
//! cargo build --release -p ebak-core --features no-panic --example no_panic
//! ```
//!
//! With the `no-panic` feature, the core's pure functions carry
//! `#[no_panic]`: each gets a guard whose drop, reached only if the function
//! unwinds, calls a symbol that does not exist. A release build links only
//! if the optimizer removed every such call, that is, proved that no path
//! of the function can panic. The check fires only for functions that are
//! linked into a binary, so this program calls every one of them, with
//! inputs hidden from the optimizer (`black_box`), so that no call is
//! folded away for one particular value.
//!
//! `const fn`s cannot carry `#[no_panic]`; they are checked here through a
//! plain wrapper each, which is what the attribute does to a function.
//!
//! If the build fails, the linker names the function:
//! `ERROR[no-panic]: detected panic in function `...``.
#![allow(clippy::print_stdout, clippy::arithmetic_side_effects, reason = "example program")]

use core::hint::black_box;
use ebak_core::BackupKey;
use ebak_core::chunk;
use ebak_core::header::{Header, OtherSlot, Slot};
use ebak_core::kdf::{KdfFloor, KdfFloorError, KdfLimitError, KdfLimits, KdfParams};
use ebak_core::recovery_key;
use ebak_core::slot::{PASSWORD_SLOT_BODY_SIZE, SLOT_TYPE_PASSWORD};
use no_panic::no_panic;

/// [`KdfParams::is_valid`] (a `const fn`).
#[no_panic]
fn kdf_params_is_valid(params: &KdfParams) -> bool {
    params.is_valid()
}

/// [`KdfParams::work`] (a `const fn`).
#[no_panic]
fn kdf_params_work(params: &KdfParams) -> u64 {
    params.work()
}

/// [`KdfFloor::check`] (a `const fn`).
#[no_panic]
fn kdf_floor_check(floor: &KdfFloor, params: &KdfParams) -> Result<(), KdfFloorError> {
    floor.check(params)
}

/// [`KdfLimits::check_slot`] (a `const fn`).
#[no_panic]
fn kdf_limits_check_slot(limits: &KdfLimits, params: &KdfParams) -> Result<(), KdfLimitError> {
    limits.check_slot(params)
}

/// Fails with `what` unless `ok`.
fn expect(ok: bool, what: &str) -> Result<(), String> {
    if ok { Ok(()) } else { Err(format!("unexpected result: {what}")) }
}

fn main() -> Result<(), String> {
    // chunk.rs: every function.
    let len: u64 = black_box(20_480);
    expect(chunk::chunk_count(len) == Some(2), "chunk_count")?;
    expect(chunk::final_chunk_len(len) == 4_096, "final_chunk_len")?;
    expect(chunk::ciphertext_len(len) == Some(56 + 20_480 + 32), "ciphertext_len")?;
    expect(chunk::chunk_offset(black_box(3)) == Some(56 + 3 * 16_400), "chunk_offset")?;
    expect(chunk::layout(black_box(56 + 16_400 + 4_112)).map(|l| l.message_len) == Ok(20_480), "layout")?;
    expect(
        chunk::chunk_nonce(&black_box([0u8; 12]), black_box(256)).is_some_and(|n| n.get(10) == Some(&1)),
        "chunk_nonce",
    )?;

    // kdf.rs: the limit checks (`check_all` on a slice iterator, as the
    // core calls it).
    let params = black_box(KdfParams { memory_kib: 65_536, iterations: 3, parallelism: 4 });
    expect(kdf_params_is_valid(&params), "is_valid")?;
    expect(kdf_params_work(&params) == 196_608, "work")?;
    expect(kdf_floor_check(&KdfFloor::V1, &params).is_ok(), "KdfFloor::check")?;
    expect(kdf_limits_check_slot(&KdfLimits::V1, &params).is_ok(), "check_slot")?;
    expect(KdfLimits::V1.check_all(black_box([params, params].iter())).is_ok(), "check_all")?;

    // recovery_key.rs: `parse`, and `format`'s digit layout (`format_ascii`,
    // private, linked through `format`).
    let text = black_box("0123-4567-89ab-cdef-0011-2233-4455-6677-8899-aabb-ccdd-eeff-f0e1-d2c3-b4a5-9687");
    let key = recovery_key::parse(text).map_err(|e| e.to_string())?;
    expect(recovery_key::format(&key).as_str() == text, "format")?;

    // header.rs and slot/: `OtherSlot::new`, `Header::encoded_len`,
    // `PasswordSlot::wrap_context`; and, linked through the parsers and the
    // header MAC (which allocate, so are not checked themselves), the
    // private `check_slots`, `conflict`, `PasswordSlot::decode_body`,
    // `encode_wrap_context`, the `Reader` methods, `hkdf::padded_key` and
    // `hkdf::hmac_sha256`.
    expect(OtherSlot::new(black_box(0x02), black_box(vec![1, 2, 3])).is_ok(), "OtherSlot::new")?;
    expect(Slot::parse(&black_box(vec![0x02, 0x00, 0x01, 0xff])).is_ok(), "Slot::parse (other)")?;
    let mut slot_bytes = vec![SLOT_TYPE_PASSWORD];
    slot_bytes.extend_from_slice(&u16::try_from(PASSWORD_SLOT_BODY_SIZE).map_err(|e| e.to_string())?.to_be_bytes());
    slot_bytes.extend_from_slice(&[9; 16]);
    for word in [params.memory_kib, params.iterations, params.parallelism] {
        slot_bytes.extend_from_slice(&word.to_be_bytes());
    }
    slot_bytes.extend_from_slice(&[0; 104]);
    let Ok(Slot::Password(slot)) = Slot::parse(black_box(&slot_bytes)) else {
        return Err("the password slot did not parse".into());
    };
    expect(slot.wrap_context().starts_with(b"ebak/v1/password-slot"), "wrap_context")?;
    let backup_key = BackupKey::from_bytes(black_box([3; 32]));
    let header = Header::new(&backup_key, vec![Slot::Password(slot)]).map_err(|e| e.to_string())?;
    let bytes = header.to_bytes();
    expect(header.encoded_len() == bytes.len(), "encoded_len")?;
    expect(Header::parse(&bytes).is_ok_and(|h| h.verify_mac(&backup_key)), "Header::parse")?;

    println!(
        "no-panic check: linked, so no function marked #[no_panic] can panic; every call gave the expected result"
    );
    Ok(())
}
