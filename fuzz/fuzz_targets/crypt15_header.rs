//! Fuzz target: the WhatsApp crypt15 header parser, key-file reader and
//! streaming decryptor (ebak-crypt15). A thin wrapper: the invariants live
//! in `ebak_crypt15::fuzzing::check_header`, which `cargo test -p
//! ebak-crypt15 --test hostile` also runs over this target's corpus
//! (`fuzz/corpus/crypt15_header/`).
//!
//! Needs in fuzz/Cargo.toml:
//!   ebak-crypt15 = { path = "../crypt15" }
//!   [[bin]] name = "crypt15_header", path = "fuzz_targets/crypt15_header.rs",
//!           test = false, doc = false, bench = false
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = ebak_crypt15::fuzzing::check_header(data) {
        panic!("{violation}");
    }
});
