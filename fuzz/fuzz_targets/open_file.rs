//! The `open_file` fuzz target: see ebak_fuzz_harness::open_file for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ebak_fuzz_harness::open_file::run(data));
