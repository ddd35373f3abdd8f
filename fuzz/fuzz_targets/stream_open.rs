//! The `stream_open` fuzz target: see ebak_fuzz_harness::stream_open for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ebak_fuzz_harness::stream_open::run(data));
