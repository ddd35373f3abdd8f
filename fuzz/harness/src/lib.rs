//! The checks the ebak fuzz targets run, as a library.
//!
//! Each libFuzzer target in `fuzz/fuzz_targets/` is one line that hands its
//! input bytes to a `run` function here, and the stable corpus replay test
//! (`tests/corpus.rs`) hands every checked-in corpus file to the same
//! function: a regression shows up in `cargo test` without the fuzzer, and
//! replaying a crash runs exactly the code the fuzzer ran.
//!
//! A `run` function never returns an error: it panics when a property of
//! ebak-core is broken (that is the crash libFuzzer records), and returns
//! normally otherwise. Structured inputs are decoded from the raw bytes
//! with `arbitrary` inside `run`, so the byte-to-input mapping is also the
//! same in both places.
//!
//! | Target | Module | What it asserts |
//! |---|---|---|
//! | `header` | [`header`] | parse never panics; what parses re-serializes to the identical bytes; prefixes and suffixes behave |
//! | `open_file` | [`open_file`] | a file opens with the fixed key or password if and only if the target built it and it was not changed |
//! | `stream` | [`stream`] | streaming open in arbitrary pieces agrees with the one-shot open, releases only verified chunks, keeps failing |
//! | `recovery_key` | [`recovery_key`] | the 64-digit key parser agrees with a model of spec 4.5; formatting is canonical |
//! | `crypt15_header` | [`crypt15_header`] | the WhatsApp crypt15 header parser, key-file reader and decryptor never panic and keep the invariants of `ebak_crypt15::fuzzing` |
//! | `stream_open` | [`stream_open`] | `ebak_stream::open` on 1 to 4 threads gives the core's serial verdict and writes exactly the verified prefix, never a byte before its chunk was read and verified |
//! | `slot` | [`slot`] | slot parsing, KDF ceilings and unwrapping agree with a model of spec 4.2, 4.3, 6 step 2 and 8 |
//! | `content` | [`content`] | the content reader (header, zstd, tar, the restore rules) on any payload: a verify refuses every refusal a restore makes without the file system, a restore accepts what a verify accepts but for what needs the file system, and a refused restore leaves nothing |
//! | `vault_messages` | [`vault_messages`] | the vault's message parsers are canonical; a hostile vault cannot make the client accept another key; fuzzed KE3s and tickets never pass |
#![forbid(unsafe_code)]
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a fuzz check reports a broken property by panicking: that is the crash libFuzzer records"
)]
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: an index out of range or an overflow here is a harness bug, which a fuzz run reports \
              as a crash like any failed check (fuzz builds keep overflow checks on)"
)]

pub mod content;
pub mod crypt15_header;
pub mod header;
pub mod input;
pub mod open_file;
pub mod recovery_key;
pub mod slot;
pub mod stream;
pub mod stream_open;
pub mod vault_messages;

/// One fuzz target: its name (the file `fuzz/fuzz_targets/<name>.rs`, the
/// `[[bin]]` in `fuzz/Cargo.toml`, and the corpus `fuzz/corpus/<name>/`)
/// and the function it runs.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// The target's name.
    pub name: &'static str,
    /// Checks one input; panics if a property is broken.
    pub run: fn(&[u8]),
}

/// Every fuzz target. Adding one: a module with a `run` function, a line
/// here, a three-line file in `fuzz/fuzz_targets/`, a `[[bin]]` in
/// `fuzz/Cargo.toml`, and at least one seed in `fuzz/corpus/<name>/`; the
/// replay test checks that all four agree (fuzz/README.md).
pub const TARGETS: &[Target] = &[
    Target { name: "header", run: header::run },
    Target { name: "open_file", run: open_file::run },
    Target { name: "stream", run: stream::run },
    Target { name: "recovery_key", run: recovery_key::run },
    Target { name: "slot", run: slot::run },
    Target { name: "crypt15_header", run: crypt15_header::run },
    Target { name: "vault_messages", run: vault_messages::run },
    Target { name: "stream_open", run: stream_open::run },
    Target { name: "content", run: content::run },
];
