//! The limits cannot drift: every constant of the Why3 model
//! (`proofs/why3/chunk.mlw`) equals the `ebak-core` constant it models, with
//! the same integer type; every public constant of `core/src/chunk.rs` is
//! modelled; and the spec's limit tables and its sections 5 and 6.1 give
//! the same numbers as the code.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    reason = "test helpers report a failed expectation by panicking"
)]

use ebak_core::chunk;
use ebak_core::file::MAX_CONTEXT_SIZE;
use ebak_core::header::{HEADER_MAC_SIZE, MAGIC, MAX_HEADER_SIZE, MAX_SLOT_BODY_SIZE, MAX_SLOTS, MIN_HEADER_SIZE};
use ebak_core::kdf::{ARGON2_MAX_PARALLELISM, KDF_SALT_SIZE, KdfFloor, KdfLimits, KdfParams};
use ebak_core::secret::BACKUP_KEY_SIZE;
use ebak_core::slot::{PASSWORD_SLOT_BODY_SIZE, PASSWORD_SLOT_PARAMS_SIZE, WRAPPED_KEY_SIZE};
use ebak_proofs::{mlw, spec};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    let p = root().join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A Rust integer constant: its value and the name of its type.
trait RustInt: Copy {
    const TYPE: &'static str;
    fn value(self) -> u128;
}

macro_rules! rust_int {
    ($($t:ty),*) => {$(
        impl RustInt for $t {
            const TYPE: &'static str = stringify!($t);
            fn value(self) -> u128 {
                u128::try_from(self).unwrap()
            }
        }
    )*};
}
rust_int!(u8, u32, u64, usize);

/// The WhyML type that models a Rust integer type (spec of the mirror:
/// `usize` is modelled as the 32-bit `usize = uint32` of the model).
fn why3_type(rust: &str) -> &'static [&'static str] {
    match rust {
        "u64" => &["uint64", "U64.uint64"],
        "u32" => &["uint32"],
        "usize" => &["usize"],
        "u8" => &["uint8"],
        _ => &[],
    }
}

struct Expected {
    rust_name: &'static str,
    value: u128,
    ty: &'static str,
}

fn expect<T: RustInt>(rust_name: &'static str, v: T) -> Expected {
    Expected { rust_name, value: v.value(), ty: T::TYPE }
}

/// Every constant of the Why3 model, by (module, name), with the Rust
/// constant it models.
fn table() -> BTreeMap<(&'static str, &'static str), Expected> {
    let limits = KdfLimits::V1;
    let floor = KdfFloor::V1;
    BTreeMap::from([
        (("Checked", "u64_max"), expect("u64::MAX", u64::MAX)),
        (("Chunk", "chunk_size_bytes"), expect("CHUNK_SIZE_BYTES", chunk::CHUNK_SIZE_BYTES)),
        (("Chunk", "tag_size_bytes"), expect("TAG_SIZE_BYTES", chunk::TAG_SIZE_BYTES)),
        (
            ("Chunk", "encrypted_chunk_size_bytes"),
            expect("ENCRYPTED_CHUNK_SIZE_BYTES", chunk::ENCRYPTED_CHUNK_SIZE_BYTES),
        ),
        (("Chunk", "salt_size_bytes"), expect("SALT_SIZE_BYTES", chunk::SALT_SIZE_BYTES)),
        (("Chunk", "commitment_size_bytes"), expect("COMMITMENT_SIZE_BYTES", chunk::COMMITMENT_SIZE_BYTES)),
        (("Chunk", "prefix_size_bytes"), expect("PREFIX_SIZE_BYTES", chunk::PREFIX_SIZE_BYTES)),
        (("Chunk", "nonce_size_bytes"), expect("NONCE_SIZE_BYTES", chunk::NONCE_SIZE_BYTES)),
        (("Chunk", "max_chunk_count"), expect("MAX_CHUNK_COUNT", chunk::MAX_CHUNK_COUNT)),
        (("Chunk", "max_message_bytes"), expect("MAX_MESSAGE_BYTES", chunk::MAX_MESSAGE_BYTES)),
        (("Chunk", "chunk_size"), expect("CHUNK_SIZE", chunk::CHUNK_SIZE)),
        (("Chunk", "tag_size"), expect("TAG_SIZE", chunk::TAG_SIZE)),
        (("Chunk", "encrypted_chunk_size"), expect("ENCRYPTED_CHUNK_SIZE", chunk::ENCRYPTED_CHUNK_SIZE)),
        (("Chunk", "salt_size"), expect("SALT_SIZE", chunk::SALT_SIZE)),
        (("Chunk", "commitment_size"), expect("COMMITMENT_SIZE", chunk::COMMITMENT_SIZE)),
        (("Chunk", "prefix_size"), expect("PREFIX_SIZE", chunk::PREFIX_SIZE)),
        // The nonce module's 64-bit word for MAX_CHUNK_COUNT (a bit vector,
        // so no Rust integer type to compare).
        (
            ("Nonce", "max_chunk_count_word"),
            Expected { rust_name: "MAX_CHUNK_COUNT", value: u128::from(chunk::MAX_CHUNK_COUNT), ty: "B64.t" },
        ),
        (("Limits", "magic_len"), expect("MAGIC.len()", MAGIC.len())),
        (("Limits", "max_slots"), expect("MAX_SLOTS", MAX_SLOTS)),
        (("Limits", "max_slot_body_size"), expect("MAX_SLOT_BODY_SIZE", MAX_SLOT_BODY_SIZE)),
        (("Limits", "header_mac_size"), expect("HEADER_MAC_SIZE", HEADER_MAC_SIZE)),
        (("Limits", "min_header_size"), expect("MIN_HEADER_SIZE", MIN_HEADER_SIZE)),
        (("Limits", "max_header_size"), expect("MAX_HEADER_SIZE", MAX_HEADER_SIZE)),
        (("Limits", "kdf_salt_size"), expect("KDF_SALT_SIZE", KDF_SALT_SIZE)),
        (("Limits", "wrapped_key_size"), expect("WRAPPED_KEY_SIZE", WRAPPED_KEY_SIZE)),
        (("Limits", "password_slot_params_size"), expect("PASSWORD_SLOT_PARAMS_SIZE", PASSWORD_SLOT_PARAMS_SIZE)),
        (("Limits", "password_slot_body_size"), expect("PASSWORD_SLOT_BODY_SIZE", PASSWORD_SLOT_BODY_SIZE)),
        (("Limits", "max_context_size"), expect("MAX_CONTEXT_SIZE", MAX_CONTEXT_SIZE)),
        (("Limits", "backup_key_size"), expect("BACKUP_KEY_SIZE", BACKUP_KEY_SIZE)),
        (("Limits", "argon2_max_parallelism"), expect("ARGON2_MAX_PARALLELISM", ARGON2_MAX_PARALLELISM)),
        (("Limits", "kdf_max_memory_kib"), expect("KdfLimits::V1.max_memory_kib", limits.max_memory_kib)),
        (("Limits", "kdf_max_iterations"), expect("KdfLimits::V1.max_iterations", limits.max_iterations)),
        (("Limits", "kdf_max_parallelism"), expect("KdfLimits::V1.max_parallelism", limits.max_parallelism)),
        (("Limits", "kdf_max_total_work"), expect("KdfLimits::V1.max_total_work", limits.max_total_work)),
        (("Limits", "kdf_min_memory_kib"), expect("KdfFloor::V1.min_memory_kib", floor.min_memory_kib)),
        (("Limits", "kdf_min_iterations"), expect("KdfFloor::V1.min_iterations", floor.min_iterations)),
    ])
}

#[test]
fn why3_constants_equal_the_rust_constants() {
    let model = mlw::constants(&read("proofs/why3/chunk.mlw")).unwrap();
    let table = table();
    let mut seen = Vec::new();
    for c in &model {
        let key = (c.module.as_str(), c.name.as_str());
        let Some(e) = table.iter().find(|(k, _)| **k == key).map(|(_, e)| e) else {
            panic!("{}.{} is in the Why3 model but not in this test's table: add it", c.module, c.name);
        };
        assert_eq!(
            c.value, e.value,
            "{}.{} = {} in the Why3 model, {} = {} in ebak-core",
            c.module, c.name, c.value, e.rust_name, e.value
        );
        let types = why3_type(e.ty);
        assert!(
            types.contains(&c.ty.as_str()) || c.ty == e.ty,
            "{}.{} has type {} in the Why3 model, but {} is a {}",
            c.module,
            c.name,
            c.ty,
            e.rust_name,
            e.ty
        );
        seen.push(key);
    }
    for key in table.keys() {
        assert!(seen.contains(key), "{}.{} is in this test's table but not in the Why3 model", key.0, key.1);
    }
    println!("{} constants of the Why3 model checked against ebak-core", model.len());
}

/// Every `pub const` of `core/src/chunk.rs` has a Why3 counterpart of the
/// same name (lowercase) and type in module `Chunk`: a constant added to the
/// Rust code without the model fails here.
#[test]
fn every_chunk_constant_is_modelled() {
    let model = mlw::constants(&read("proofs/why3/chunk.mlw")).unwrap();
    let rust = mlw::rust_consts(&read("core/src/chunk.rs"));
    assert!(rust.len() >= 15, "expected the chunk constants in core/src/chunk.rs, found {rust:?}");
    for (name, ty) in &rust {
        let lower = name.to_lowercase();
        let Some(c) = model.iter().find(|c| c.module == "Chunk" && c.name == lower) else {
            panic!("core/src/chunk.rs has {name}: {ty}, the Why3 model (module Chunk) has no {lower}");
        };
        assert!(why3_type(ty).contains(&c.ty.as_str()), "{name}: {ty} in Rust is modelled as {}", c.ty);
    }
    let modelled = model.iter().filter(|c| c.module == "Chunk").count();
    assert_eq!(modelled, rust.len(), "module Chunk models constants that core/src/chunk.rs does not have");
}

fn row_numbers(section: &str, label: &str, column: usize) -> Vec<u128> {
    let r = spec::row(section, label).unwrap_or_else(|| panic!("the spec has no table row {label:?}"));
    spec::numbers(r.get(column).unwrap_or_else(|| panic!("row {label:?} has no column {column}")))
}

/// The "Limits at a glance" table.
#[test]
fn spec_limits_at_a_glance_are_the_code_limits() {
    let text = read("spec/ebak-v1.md");
    let s = spec::section(&text, "### Limits at a glance").expect("the spec's limits table");
    let limits = KdfLimits::V1;
    let floor = KdfFloor::V1;
    let n = |v: u64| u128::from(v);
    let z = |v: usize| v as u128;
    let w = |v: u32| u128::from(v);
    assert_eq!(row_numbers(s, "Backup key", 1), [z(BACKUP_KEY_SIZE)]);
    assert_eq!(row_numbers(s, "Key slots per header", 1), [0, z(MAX_SLOTS)]);
    assert_eq!(row_numbers(s, "Body of a password slot", 1), [z(PASSWORD_SLOT_BODY_SIZE)]);
    assert_eq!(row_numbers(s, "Body of any other slot", 1), [0, z(MAX_SLOT_BODY_SIZE)]);
    assert_eq!(row_numbers(s, "Header", 1), [z(MIN_HEADER_SIZE), z(MAX_HEADER_SIZE)]);
    assert_eq!(row_numbers(s, "Application context", 1), [0, z(MAX_CONTEXT_SIZE)]);
    assert_eq!(
        row_numbers(s, "Payload message", 1),
        [0, n(chunk::MAX_MESSAGE_BYTES), n(chunk::MAX_CHUNK_COUNT), n(chunk::CHUNK_SIZE_BYTES / 1024)]
    );
    assert_eq!(
        row_numbers(s, "Argon2id memory m, when writing", 1),
        [
            w(floor.min_memory_kib),
            w(limits.max_memory_kib),
            w(floor.min_memory_kib / 1024),
            w(limits.max_memory_kib / (1024 * 1024))
        ]
    );
    assert_eq!(
        row_numbers(s, "Argon2id passes t, when writing", 1),
        [w(floor.min_iterations), w(limits.max_iterations)]
    );
    assert_eq!(row_numbers(s, "Argon2id lanes p", 1), [1, w(limits.max_parallelism)]);
    assert_eq!(row_numbers(s, "Argon2id work, all password slots of a header", 1), [n(limits.max_total_work)]);
}

/// Section 8's table.
#[test]
fn spec_section_8_limits_are_the_code_limits() {
    let text = read("spec/ebak-v1.md");
    let s = spec::section(&text, "## 8. Limits").expect("spec section 8");
    let limits = KdfLimits::V1;
    let floor = KdfFloor::V1;
    let d = KdfParams::DEFAULT;
    let z = |v: usize| v as u128;
    let w = |v: u32| u128::from(v);
    assert_eq!(row_numbers(s, "`MAX_SLOTS`", 1), [z(MAX_SLOTS)]);
    assert_eq!(row_numbers(s, "`MAX_SLOT_BODY`", 1), [z(MAX_SLOT_BODY_SIZE)]);
    assert_eq!(row_numbers(s, "password slot body", 1), [z(PASSWORD_SLOT_BODY_SIZE)]);
    assert_eq!(row_numbers(s, "`MAX_HEADER`", 1), [z(MAX_HEADER_SIZE)]);
    assert_eq!(row_numbers(s, "`MAX_CONTEXT`", 1), [z(MAX_CONTEXT_SIZE)]);
    assert_eq!(row_numbers(s, "chunks per payload", 1), [u128::from(chunk::MAX_CHUNK_COUNT)]);
    assert_eq!(
        row_numbers(s, "writing floor", 1),
        [w(floor.min_memory_kib), w(floor.min_memory_kib / 1024), w(floor.min_iterations)]
    );
    assert_eq!(
        row_numbers(s, "ceilings", 1),
        [
            w(limits.max_memory_kib),
            w(limits.max_memory_kib / (1024 * 1024)),
            w(limits.max_iterations),
            w(limits.max_parallelism)
        ]
    );
    assert_eq!(row_numbers(s, "work ceiling", 1), [u128::from(limits.max_total_work)]);
    assert_eq!(
        row_numbers(s, "default costs", 1),
        [w(d.memory_kib), w(d.memory_kib / 1024), w(d.iterations), w(d.parallelism)]
    );
}

/// The text of a spec section with its line breaks and runs of spaces
/// made single spaces, so that a number split across two lines reads whole.
fn prose(text: &str, heading: &str) -> String {
    let s = spec::section(text, heading).unwrap_or_else(|| panic!("the spec has no section {heading:?}"));
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The numbers between `start` and the next `end` in `text`.
fn numbers_between(text: &str, start: &str, end: char) -> Vec<u128> {
    let after = text.split_once(start).unwrap_or_else(|| panic!("the spec no longer says {start:?}")).1;
    spec::numbers(after.split(end).next().unwrap_or(""))
}

/// Sections 4.1, 5, 6 and 6.1: the numbers in the prose.
#[test]
fn spec_prose_limits_are_the_code_limits() {
    let text = read("spec/ebak-v1.md");
    let z = |v: usize| v as u128;
    let n = |v: u64| u128::from(v);
    let s41 = prose(&text, "### 4.1 Layout");
    assert_eq!(
        numbers_between(&s41, "and is at most ", ')'),
        [z(MAX_HEADER_SIZE), z(MIN_HEADER_SIZE), z(MAX_SLOTS), 3, z(MAX_SLOT_BODY_SIZE)]
    );
    let s5 = prose(&text, "## 5. The payload");
    assert_eq!(spec::number_after(&s5, "is a byte string of at most "), Some(z(MAX_CONTEXT_SIZE)));
    assert_eq!(spec::number_after(&s5, "`payload_salt` MUST be "), Some(n(chunk::SALT_SIZE_BYTES)));
    assert_eq!(spec::number_after(&s5, "Cobblestone specification says: "), Some(n(chunk::CHUNK_SIZE_BYTES / 1024)));
    assert_eq!(spec::number_after(&s5, "empty AAD, at most "), Some(n(chunk::MAX_CHUNK_COUNT)));
    let s6 = prose(&text, "## 6. Opening a file");
    assert_eq!(spec::number_after(&s6, "The payload MUST be at least "), Some(n(chunk::PREFIX_SIZE_BYTES)));
    let s61 = prose(&text, "### 6.1 Streaming and random access");
    assert_eq!(spec::number_after(&s61, "in pieces of "), Some(n(chunk::ENCRYPTED_CHUNK_SIZE_BYTES)));
    assert_eq!(numbers_between(&s61, "the remaining bytes (", ')'), [0, n(chunk::ENCRYPTED_CHUNK_SIZE_BYTES - 1)]);
    assert_eq!(spec::number_after(&s61, "are the final chunk: fewer than "), Some(n(chunk::TAG_SIZE_BYTES)));
    assert_eq!(spec::number_after(&s61, "A chunk counter that reaches "), Some(n(chunk::MAX_CHUNK_COUNT)));
    assert_eq!(
        numbers_between(&s61, "at payload offset `", '`'),
        [n(chunk::PREFIX_SIZE_BYTES), n(chunk::ENCRYPTED_CHUNK_SIZE_BYTES)]
    );
    assert_eq!(
        numbers_between(&s61, "(`n = len - ", ')'),
        [
            n(chunk::PREFIX_SIZE_BYTES),
            n(chunk::ENCRYPTED_CHUNK_SIZE_BYTES),
            n(chunk::ENCRYPTED_CHUNK_SIZE_BYTES),
            n(chunk::TAG_SIZE_BYTES)
        ]
    );
}
