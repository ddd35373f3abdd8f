//! The `recovery_key` fuzz target: see ebak_fuzz_harness::recovery_key for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ebak_fuzz_harness::recovery_key::run(data));
