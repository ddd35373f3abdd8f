//! The `slot` fuzz target: see ebak_fuzz_harness::slot for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ebak_fuzz_harness::slot::run(data));
