//! The `header` fuzz target: see ebak_fuzz_harness::header for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ebak_fuzz_harness::header::run(data));
