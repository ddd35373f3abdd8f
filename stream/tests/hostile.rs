//! Damaged input gets the serial verdict: for every mutation (a flipped
//! bit anywhere, truncation at every interesting length, trailing data, a
//! missing final chunk, reordered, duplicated or dropped chunks, a wrong
//! key or context) the parallel opener on 1 to 4 threads returns the error
//! the core's serial `StreamOpener` returns, at the same chunk index, and
//! writes exactly what that opener releases: the plaintext of the chunks
//! before the failing one, nothing past the last verified chunk.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::panic,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::{
    BATCH_BYTES, CHUNK, CONTEXT, ENCRYPTED_CHUNK, FailingReader, FailingWriter, KEY, PREFIX, SALT, message, mutations,
    reference_open,
};
use ebak_core::aead::DefaultAead;
use ebak_core::cobblestone::{self, PayloadError};
use ebak_stream::{BATCH_CHUNKS, OpenError, Options};
use std::io::{self, Write};

fn open(ct: &[u8], key: &[u8; 32], context: &[u8], threads: usize) -> (Vec<u8>, Result<u64, OpenError>) {
    let mut out = Vec::new();
    let result = ebak_stream::open::<DefaultAead>(key, context, ct, &mut out, &Options { threads, progress: None });
    (out, result)
}

fn check(name: &str, ct: &[u8], key: &[u8; 32], context: &[u8]) -> usize {
    let (released, expected) = reference_open::<DefaultAead>(key, context, ct);
    for threads in 1..=4 {
        let (out, result) = open(ct, key, context, threads);
        match (&result, expected) {
            (Err(OpenError::Payload(got)), Some(want)) => {
                assert_eq!(*got, want, "{name}, {threads} threads: wrong error");
            }
            (Ok(n), None) => assert_eq!(*n, out.len() as u64),
            _ => panic!("{name}, {threads} threads: got {result:?}, the serial opener says {expected:?}"),
        }
        assert!(
            out == released,
            "{name}, {threads} threads: wrote {} bytes, the serial opener released {}",
            out.len(),
            released.len()
        );
        assert!(out.len() % CHUNK == 0 || expected.is_none(), "{name}: wrote a partial chunk");
    }
    usize::from(expected.is_some())
}

#[test]
fn every_mutation_gets_the_serial_error_and_the_serial_prefix() {
    let batch = BATCH_CHUNKS * CHUNK;
    let mut rejected = 0;
    for len in [0, 100, CHUNK, 3 * CHUNK + 5, batch + CHUNK, 3 * batch + 2 * CHUNK + 9] {
        let msg = message(len);
        let ct = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
        check("intact", &ct, &KEY, CONTEXT);
        for (name, m) in mutations(&ct) {
            // Every mutation is one the format must reject.
            let name = format!("{len} bytes, {name}");
            assert_eq!(check(&name, &m, &KEY, CONTEXT), 1, "{name}: accepted");
            rejected += 1;
        }
        let mut other_key = KEY;
        other_key[0] ^= 1;
        rejected += check("wrong key", &ct, &other_key, CONTEXT);
        rejected += check("wrong context", &ct, &KEY, b"another role");
    }
    assert!(rejected > 150, "only {rejected} mutations checked");
}

#[test]
fn the_errors_name_the_right_class_and_position() {
    let msg = message(3 * BATCH_CHUNKS * CHUNK + 5);
    let ct = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    let chunks = (ct.len() - PREFIX).div_ceil(ENCRYPTED_CHUNK);
    let mut m = ct.clone();
    m[PREFIX + (BATCH_CHUNKS + 2) * ENCRYPTED_CHUNK + 9] ^= 1;
    let (out, r) = open(&m, &KEY, CONTEXT, 4);
    assert!(matches!(r, Err(OpenError::Payload(PayloadError::Chunk { index })) if index == BATCH_CHUNKS as u64 + 2));
    assert_eq!(out, msg[..(BATCH_CHUNKS + 2) * CHUNK], "not exactly the chunks before the damaged one");

    let (out, r) = open(&ct[..PREFIX + (chunks - 1) * ENCRYPTED_CHUNK], &KEY, CONTEXT, 3);
    assert!(matches!(r, Err(OpenError::Payload(PayloadError::Truncated { chunks: c })) if c == chunks as u64 - 1));
    assert_eq!(out, msg[..(chunks - 1) * CHUNK]);

    let (out, r) = open(&ct[..30], &KEY, CONTEXT, 2);
    assert!(matches!(r, Err(OpenError::Payload(PayloadError::MissingPrefix))));
    assert!(out.is_empty());

    let (out, r) = open(&ct, &[0; 32], CONTEXT, 2);
    assert!(matches!(r, Err(OpenError::Payload(PayloadError::Commitment))));
    assert!(out.is_empty());
}

#[test]
fn a_read_error_writes_only_the_whole_chunks_before_it() {
    let msg = message(2 * BATCH_CHUNKS * CHUNK + 100);
    let ct = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    for ok_bytes in [10, PREFIX + 5, PREFIX + 3 * ENCRYPTED_CHUNK + 7, PREFIX + BATCH_BYTES + ENCRYPTED_CHUNK] {
        for threads in [1, 2, 4] {
            let reader = FailingReader { data: &ct, ok_bytes };
            let mut out = Vec::new();
            let r =
                ebak_stream::open::<DefaultAead>(&KEY, CONTEXT, reader, &mut out, &Options { threads, progress: None });
            assert!(matches!(r, Err(OpenError::Io(_))), "{ok_bytes}: {r:?}");
            let whole_chunks = ok_bytes.saturating_sub(PREFIX) / ENCRYPTED_CHUNK;
            assert_eq!(out, msg[..whole_chunks * CHUNK], "read error after {ok_bytes} bytes, {threads} threads");
        }
    }
}

#[test]
fn write_errors_are_reported_on_both_sides() {
    let msg = message(3 * BATCH_CHUNKS * CHUNK);
    let ct = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    for threads in [1, 3] {
        let opts = Options { threads, progress: None };
        let mut w = FailingWriter { out: Vec::new(), ok_bytes: BATCH_CHUNKS * CHUNK + 3 };
        let r = ebak_stream::open::<DefaultAead>(&KEY, CONTEXT, &ct[..], &mut w, &opts);
        assert!(matches!(r, Err(OpenError::Io(_))));
        let mut w = FailingWriter { out: Vec::new(), ok_bytes: 100 };
        let r = ebak_stream::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg[..], &mut w, &opts);
        assert!(matches!(r, Err(ebak_stream::SealError::Io(_))));
    }
}

/// A writer that panics on its second write.
struct Panicking(usize);

impl Write for Panicking {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += 1;
        assert!(self.0 < 2, "writer panics on purpose");
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_panicking_writer_propagates_and_does_not_hang_the_workers() {
    let msg = message(8 * BATCH_CHUNKS * CHUNK);
    let ct = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    let caught = std::panic::catch_unwind(|| {
        let opts = Options { threads: 4, progress: None };
        let _ = ebak_stream::open::<DefaultAead>(&KEY, CONTEXT, &ct[..], Panicking(0), &opts);
    });
    assert!(caught.is_err(), "the panic was swallowed");
}
