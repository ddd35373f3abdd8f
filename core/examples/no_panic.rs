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
#![allow(clippy::print_stdout, reason = "example program")]

use core::hint::black_box;
use ebak_core::BackupKey;
use ebak_core::chunk;
use ebak_core::header::{Header, OtherSlot, Slot};
use ebak_core::kdf::{KdfFloor, KdfFloorError, KdfLimitError, KdfLimits, KdfParams};
use ebak_core::recovery_key;
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

fn main() {
    // chunk.rs: every function.
    let len: u64 = black_box(20_480);
    black_box(chunk::chunk_count(len));
    black_box(chunk::final_chunk_len(len));
    black_box(chunk::ciphertext_len(len));
    black_box(chunk::chunk_offset(black_box(3)));
    black_box(chunk::layout(black_box(56 + 16_400 + 4_112)).is_ok());
    black_box(chunk::chunk_nonce(&black_box([7u8; 12]), black_box(256)));

    // kdf.rs: the limit checks (`check_all` on a slice, as the core calls it).
    let params = black_box(KdfParams { memory_kib: 65_536, iterations: 3, parallelism: 4 });
    black_box(kdf_params_is_valid(&params));
    black_box(kdf_params_work(&params));
    black_box(kdf_floor_check(&KdfFloor::V1, &params).is_ok());
    black_box(kdf_limits_check_slot(&KdfLimits::V1, &params).is_ok());
    black_box(KdfLimits::V1.check_all(black_box([params, params].iter())).is_ok());

    // recovery_key.rs: `parse`, and `format`'s digit layout (`format_ascii`,
    // private, linked through `format`).
    let text = black_box("0123-4567-89ab-cdef-0011-2233-4455-6677-8899-aabb-ccdd-eeff-f0e1-d2c3-b4a5-9687");
    let key = recovery_key::parse(text);
    black_box(key.is_ok());
    let formatted = recovery_key::format(&BackupKey::from_bytes(black_box([0x5a; 32])));
    black_box(formatted.len());

    // header.rs and slot.rs: `OtherSlot::new`, `Header::encoded_len`,
    // `PasswordSlot::wrap_context`; and, linked through the parsers (which
    // allocate, so are not checked themselves), the private `check_slots`,
    // `PasswordSlot::decode_body`, `wrap_context` and the `Reader` methods.
    let other = OtherSlot::new(black_box(0x02), black_box(vec![1, 2, 3]));
    black_box(other.is_ok());
    let slot_bytes = black_box(vec![0x02, 0x00, 0x01, 0xff]);
    black_box(Slot::parse(&slot_bytes).is_ok());
    let mut password_slot = vec![0x01, 0x00, 0x98];
    password_slot.extend_from_slice(&[9; 16]);
    for word in [65_536u32, 3, 4] {
        password_slot.extend_from_slice(&word.to_be_bytes());
    }
    password_slot.extend_from_slice(&[0; 104]);
    if let Ok(Slot::Password(p)) = Slot::parse(black_box(&password_slot)) {
        black_box(p.wrap_context());
        // Links `hkdf::padded_key` and `hkdf::hmac_sha256` through the
        // header MAC.
        let backup_key = BackupKey::from_bytes(black_box([3; 32]));
        if let Ok(header) = Header::new(&backup_key, vec![Slot::Password(p)]) {
            black_box(header.encoded_len());
            black_box(Header::parse(&header.to_bytes()).is_ok());
            black_box(header.verify_mac(&backup_key));
        }
    }
    println!("no-panic check: linked, so no checked function can panic");
}
