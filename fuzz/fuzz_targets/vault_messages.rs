//! The `vault_messages` target: see ebak_fuzz_harness::vault_messages for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ebak_fuzz_harness::vault_messages::run(data));
