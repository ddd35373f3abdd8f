//! The `content` fuzz target: see ebak_fuzz_harness::content for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ebak_fuzz_harness::content::run(data));
