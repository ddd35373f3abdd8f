//! The `crypt15_header` target: the WhatsApp crypt15 header parser, key-file
//! reader and streaming decryptor of ebak-crypt15. The invariants live in
//! `ebak_crypt15::fuzzing::check_header`, which reports a violation instead
//! of panicking (so that crate's own tests can run it over generated
//! hostile inputs); this wrapper turns a violation into the crash libFuzzer
//! records.

/// Checks one input; panics if an invariant of ebak-crypt15 is broken.
pub fn run(data: &[u8]) {
    if let Err(violation) = ebak_crypt15::fuzzing::check_header(data) {
        panic!("{violation}");
    }
}
