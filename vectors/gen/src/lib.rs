//! The ebak v1 test vector generator.
//!
//! Every "random" input (keys, salts, plaintexts) is derived from a fixed
//! label with SHA-512 ([`seed`]), so running the generator twice writes
//! identical bytes; CI regenerates the files and fails on any difference.
//!
//! The generator states, for every vector, what a conforming reader must do
//! (open it, or fail at a given stage and release a given prefix) from the
//! way the vector was built, following the spec; it does not ask
//! `ebak-core` for the verdict. The runner (`tests/`) then checks
//! `ebak-core` against the files, and the independent Python checker
//! (`vectors/check/`) does the same from the spec alone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "generator over fixed inputs: a failed expectation is a bug in the generator, reported by a panic"
)]

pub mod content_vectors;
pub mod file_vectors;
pub mod keywrap_vectors;
pub mod model;
pub mod one_change;
pub mod payload;
pub mod raw;
pub mod recovery_key_vectors;
pub mod seed;
pub mod vault_vectors;

/// The generator's version, written into every file.
pub const GENERATOR_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The file names, as written under `vectors/`.
pub const FILE_VECTORS: &str = "ebak_v1_file_test.json";
/// See [`FILE_VECTORS`].
pub const KEYWRAP_VECTORS: &str = "ebak_v1_keywrap_test.json";
/// See [`FILE_VECTORS`].
pub const CONTENT_VECTORS: &str = "ebak_v1_content_test.json";
/// See [`FILE_VECTORS`].
pub const RECOVERY_KEY_VECTORS: &str = "ebak_v1_recovery_key_test.json";
/// See [`FILE_VECTORS`] (`spec/ebak-vault-v1.md` 12).
pub const VAULT_SLOT_VECTORS: &str = "ebak_vault_v1_slot_test.json";
/// See [`FILE_VECTORS`] (`spec/ebak-vault-v1.md` 12).
pub const VAULT_WRAP_VECTORS: &str = "ebak_vault_v1_wrap_test.json";

/// Every vector file: its name and its JSON text (pretty-printed, with a
/// final newline).
#[must_use]
pub fn generate_all() -> Vec<(&'static str, String)> {
    vec![
        (FILE_VECTORS, model::to_json(&file_vectors::generate())),
        (KEYWRAP_VECTORS, model::to_json(&keywrap_vectors::generate())),
        (RECOVERY_KEY_VECTORS, model::to_json(&recovery_key_vectors::generate())),
        (CONTENT_VECTORS, model::to_json(&content_vectors::generate())),
        (VAULT_SLOT_VECTORS, model::to_json(&vault_vectors::generate_slots())),
        (VAULT_WRAP_VECTORS, model::to_json(&vault_vectors::generate_wrap())),
    ]
}
