//! The `Write` and `Read` adapters give the core's bytes and verdicts:
//! `SealWriter` writes exactly `cobblestone::seal`'s ciphertext whatever the
//! write sizes and thread count, `OpenReader` releases exactly what the
//! core's serial opener releases and fails with its error, and both work
//! under tar and zstd, in another thread, and back to back (key rotation).
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::{
    BATCH_BYTES, CHUNK, CONTEXT, ENCRYPTED_CHUNK, FailingReader, FailingWriter, KEY, PREFIX, SALT, message, mutations,
    reference_open,
};
use ebak_core::aead::{Aead, DefaultAead};
use ebak_core::chunk::PREFIX_SIZE;
use ebak_core::cobblestone::{self, ChunkCipher, Encryptor, PayloadError};
use ebak_stream::{BATCH_CHUNKS, Failure, OpenError, OpenReader, Options, SealError, SealWriter, find_error};
use std::io::{self, BufRead, Read, Write};
use std::sync::{Arc, Mutex};

const BATCH: usize = BATCH_CHUNKS * CHUNK;

/// A sealing writer whose prefix is already in `out`, keyed the way the
/// library keys it: by the core's cipher.
fn sealer<W: Write, A: Aead + 'static>(mut out: W, threads: usize) -> SealWriter<W, A> {
    let (encryptor, prefix) = Encryptor::<A>::new(&KEY, &SALT, CONTEXT);
    out.write_all(&prefix).unwrap();
    SealWriter::new(out, encryptor.into_cipher(), threads)
}

/// An opening reader over `ct`, keyed by the cipher `check_prefix` gives.
fn opener<A: Aead + 'static>(ct: &[u8], threads: usize) -> OpenReader<&[u8], A> {
    let prefix: [u8; PREFIX_SIZE] = ct[..PREFIX_SIZE].try_into().unwrap();
    let cipher = cobblestone::check_prefix::<A>(&KEY, CONTEXT, &prefix).unwrap();
    OpenReader::new(&ct[PREFIX_SIZE..], cipher, threads)
}

fn seal_in_pieces<A: Aead + 'static>(msg: &[u8], piece: usize, threads: usize) -> (Vec<u8>, u64) {
    let mut w = sealer::<_, A>(Vec::new(), threads);
    for p in msg.chunks(piece) {
        w.write_all(p).unwrap();
    }
    w.finish().unwrap()
}

fn open_in_pieces<A: Aead + 'static>(ct: &[u8], piece: usize, threads: usize) -> Vec<u8> {
    let mut r = opener::<A>(ct, threads);
    let mut out = Vec::new();
    let mut buf = vec![0u8; piece];
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        assert!(n <= piece);
        out.extend_from_slice(&buf[..n]);
    }
    assert!(r.is_done());
    // End of file stays end of file.
    assert_eq!(r.read(&mut buf).unwrap(), 0);
    out
}

fn round_trips<A: Aead + 'static>() {
    let lengths = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, BATCH - 1, BATCH, BATCH + 1, 3 * BATCH + 2 * CHUNK + 7];
    let pieces = [1, 1000, CHUNK - 1, CHUNK, CHUNK + 1, BATCH - 1, BATCH, BATCH + 1, usize::MAX];
    for len in lengths {
        let msg = message(len);
        let expected = cobblestone::seal::<A>(&KEY, &SALT, CONTEXT, &msg).unwrap();
        for threads in [1, 2, 4] {
            for piece in pieces {
                // One-byte writes over several batches are slow, not stronger.
                if piece == 1 && len > 2 * CHUNK + 1 {
                    continue;
                }
                let piece = piece.min(len.max(1));
                let (sealed, n) = seal_in_pieces::<A>(&msg, piece, threads);
                assert_eq!(n, len as u64);
                assert!(sealed == expected, "{len} bytes, writes of {piece}, {threads} threads: not the core's bytes");
                let opened = open_in_pieces::<A>(&expected, piece, threads);
                assert!(opened == msg, "{len} bytes, reads of {piece}, {threads} threads: not the message");
            }
            // BufRead: borrowing the plaintext where it was opened.
            let mut r = opener::<A>(&expected, threads);
            let mut out = Vec::new();
            loop {
                let buf = r.fill_buf().unwrap();
                if buf.is_empty() {
                    break;
                }
                assert!(buf.len() <= CHUNK, "fill_buf goes past a chunk");
                let take = buf.len().min(5000);
                out.extend_from_slice(&buf[..take]);
                r.consume(take);
            }
            assert!(out == msg, "{len} bytes, BufRead, {threads} threads");
            // copy_from: the reader fills the batches.
            let mut w = sealer::<_, A>(Vec::new(), threads);
            assert_eq!(w.copy_from(&mut &msg[..]).unwrap(), len as u64);
            assert!(w.finish().unwrap().0 == expected, "{len} bytes, copy_from, {threads} threads");
        }
    }
}

#[test]
fn the_adapters_give_the_cores_bytes_for_every_write_and_read_size() {
    round_trips::<DefaultAead>();
}

#[cfg(feature = "aws-lc")]
#[test]
fn the_adapters_give_the_cores_bytes_with_aws_lc() {
    round_trips::<ebak_core::aead::AwsLcAes256Gcm>();
}

/// Reads `r` to the end in 7 000-byte reads, as a consumer would: the
/// bytes released and the error it ended with, if any.
fn drain<R: Read>(r: &mut R) -> (Vec<u8>, Option<io::Error>) {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 7000];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => return (out, Some(e)),
        }
    }
}

#[test]
fn every_mutation_gets_the_cores_verdict_through_the_reader() {
    let mut checked = 0;
    for len in [0, 100, CHUNK, 3 * CHUNK + 5, BATCH + CHUNK, 3 * BATCH + 2 * CHUNK + 9] {
        let msg = message(len);
        let ct = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
        for (name, m) in mutations(&ct) {
            let (released, expected) = reference_open::<DefaultAead>(&KEY, CONTEXT, &m);
            let expected = expected.unwrap_or_else(|| panic!("{name}: the core accepted it"));
            for threads in [1, 2, 3] {
                let result = OpenReader::<_, DefaultAead>::with_key(&KEY, CONTEXT, &m[..], threads);
                let mut r = match result {
                    // A prefix failure comes from the constructor.
                    Err(OpenError::Payload(e)) => {
                        assert_eq!(e, expected, "{len} bytes, {name}");
                        assert!(released.is_empty());
                        continue;
                    }
                    Err(e) => panic!("{name}: {e}"),
                    Ok(r) => r,
                };
                let handle = r.failure_handle();
                let (out, err) = drain(&mut r);
                let err = err.unwrap_or_else(|| panic!("{len} bytes, {name}, {threads} threads: clean end of file"));
                assert_eq!(err.kind(), io::ErrorKind::InvalidData);
                match find_error::<OpenError>(&err) {
                    Some(OpenError::Payload(got)) => assert_eq!(*got, expected, "{len} bytes, {name}"),
                    other => panic!("{name}: {other:?}"),
                }
                assert_eq!(handle.get(), Some(&Failure::Payload(expected)), "{name}");
                assert!(
                    out == released,
                    "{name}, {threads} threads: released {} bytes, core {}",
                    out.len(),
                    released.len()
                );
                // Every later call fails the same way, through every API.
                assert!(r.read(&mut [0u8; 10]).is_err());
                assert!(r.fill_buf().is_err());
                assert!(matches!(r.finish(), Err(OpenError::Payload(e)) if e == expected));
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "only {checked} mutations checked");
}

#[test]
fn a_stream_read_only_up_to_its_plaintext_end_is_verified_by_finish() {
    // A message of whole chunks ends with an empty final chunk; without it
    // a consumer that reads exactly the message's bytes sees them all, and
    // only the end of the stream can tell.
    let msg = message(2 * CHUNK);
    let ct = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    let truncated = &ct[..ct.len() - 16];
    for threads in [1, 2] {
        let mut r = opener::<DefaultAead>(truncated, threads);
        let mut got = vec![0u8; msg.len()];
        r.read_exact(&mut got).unwrap();
        assert!(got == msg);
        assert!(!r.is_done());
        assert!(matches!(r.finish(), Err(OpenError::Payload(PayloadError::Truncated { chunks: 2 }))));

        let mut r = opener::<DefaultAead>(&ct, threads);
        r.read_exact(&mut got[..100]).unwrap();
        let (_, len) = r.finish().unwrap();
        assert_eq!(len, msg.len() as u64);
    }
}

#[test]
fn a_writer_dropped_without_finish_never_leaves_a_complete_stream() {
    for len in [0, 5, CHUNK, BATCH, BATCH + 3, 3 * BATCH] {
        for threads in [1, 2, 3] {
            let mut out = Vec::new();
            {
                let mut w = sealer::<_, DefaultAead>(&mut out, threads);
                w.write_all(&message(len)).unwrap();
                w.flush().unwrap();
            }
            let (released, verdict) = reference_open::<DefaultAead>(&KEY, CONTEXT, &out);
            assert!(
                matches!(verdict, Some(PayloadError::Truncated { .. })),
                "{len} bytes, {threads} threads, dropped: {verdict:?}"
            );
            assert!(released.len() <= len);
        }
    }
}

#[test]
fn inner_write_errors_fail_the_writer_for_good() {
    let msg = message(3 * BATCH + 10);
    for threads in [1, 2] {
        for ok_bytes in [PREFIX, PREFIX + 100, PREFIX + BATCH_BYTES + 5] {
            let mut w = sealer::<_, DefaultAead>(FailingWriter { out: Vec::new(), ok_bytes }, threads);
            let handle = w.failure_handle();
            let err = w.write_all(&msg).and_then(|()| w.flush()).unwrap_err();
            assert_eq!(err.to_string(), "disk full");
            assert!(matches!(find_error::<SealError>(&err), Some(SealError::Io(e)) if e.to_string() == "disk full"));
            assert!(
                matches!(handle.get(), Some(Failure::Io { kind: io::ErrorKind::Other, message }) if message == "disk full")
            );
            assert!(w.write(b"more").is_err());
            assert!(w.flush().is_err());
            assert!(matches!(w.finish(), Err(SealError::Io(_))));
        }
    }
    // A failing flush at the end is a failed finish.
    struct NoFlush(Vec<u8>);
    impl Write for NoFlush {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::new(io::ErrorKind::StorageFull, "no space at flush"))
        }
    }
    let mut w = sealer::<_, DefaultAead>(NoFlush(Vec::new()), 1);
    w.write_all(b"x").unwrap();
    assert!(matches!(w.finish(), Err(SealError::Io(e)) if e.kind() == io::ErrorKind::StorageFull));
}

#[test]
fn inner_read_errors_release_the_whole_chunks_before_them_then_fail_for_good() {
    let msg = message(2 * BATCH + 100);
    let ct = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    for ok_bytes in [PREFIX + 5, PREFIX + 3 * ENCRYPTED_CHUNK + 7, PREFIX + BATCH_BYTES + ENCRYPTED_CHUNK] {
        for threads in [1, 2, 4] {
            let reader = FailingReader { data: &ct, ok_bytes };
            let mut r = OpenReader::<_, DefaultAead>::with_key(&KEY, CONTEXT, reader, threads).unwrap();
            let handle = r.failure_handle();
            let (out, err) = drain(&mut r);
            let err = err.unwrap();
            let whole_chunks = (ok_bytes - PREFIX) / ENCRYPTED_CHUNK;
            assert!(out == msg[..whole_chunks * CHUNK], "read error after {ok_bytes} bytes, {threads} threads");
            // The first report carries the reader's own error.
            assert!(matches!(find_error::<OpenError>(&err), Some(OpenError::Io(e)) if e.to_string() == "disk on fire"));
            assert!(matches!(handle.get(), Some(Failure::Io { message, .. }) if message == "disk on fire"));
            let again = r.read(&mut [0u8; 8]).unwrap_err();
            assert!(matches!(find_error::<OpenError>(&again), Some(OpenError::Io(_))));
        }
    }
    // A failure while reading the prefix is an I/O error, not a payload one.
    let reader = FailingReader { data: &ct, ok_bytes: 10 };
    assert!(matches!(OpenReader::<_, DefaultAead>::with_key(&KEY, CONTEXT, reader, 1), Err(OpenError::Io(_))));
}

/// A shared output, to look at what a writer moved into a thread wrote.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn files() -> Vec<(String, Vec<u8>)> {
    vec![
        ("empty".into(), Vec::new()),
        ("small.txt".into(), b"hello, backup".to_vec()),
        ("chunk.bin".into(), message(CHUNK)),
        ("big.bin".into(), message(3 * BATCH + 12_345)),
    ]
}

/// Seals a tar of `files()` through zstd, on another thread (the writer
/// chain is `Send + 'static`), and returns the whole ciphertext.
fn sealed_archive(threads: usize) -> Vec<u8> {
    let out = Shared::default();
    let boxed: Box<dyn Write + Send> = Box::new(out.clone());
    let w = sealer::<_, DefaultAead>(boxed, threads);
    let worker = std::thread::spawn(move || {
        let mut tar = tar::Builder::new(zstd::Encoder::new(w, 3).unwrap());
        for (name, data) in files() {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o600);
            header.set_cksum();
            tar.append_data(&mut header, &name, &data[..]).unwrap();
        }
        let sealer = tar.into_inner().unwrap().finish().unwrap();
        sealer.finish().unwrap().1
    });
    let len = worker.join().unwrap();
    assert!(len > 0);
    out.0.lock().unwrap().clone()
}

fn listing<R: Read>(archive: &mut tar::Archive<R>) -> io::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data)?;
        out.push((name, data));
    }
    Ok(out)
}

#[test]
fn tar_over_zstd_over_the_adapters_round_trips_and_reports_the_payload_error() {
    for threads in [1, 2] {
        let ct = sealed_archive(threads);
        let boxed: Box<dyn Read + Send> = Box::new(io::Cursor::new(ct.clone()));
        let r = OpenReader::<_, DefaultAead>::with_key(&KEY, CONTEXT, boxed, threads).unwrap();
        // On another thread too, zero-copy into zstd (BufRead).
        let got = std::thread::spawn(move || {
            let mut archive = tar::Archive::new(zstd::Decoder::with_buffer(r).unwrap());
            let got = listing(&mut archive).unwrap();
            let reader = archive.into_inner().finish();
            reader.finish().unwrap();
            got
        })
        .join()
        .unwrap();
        assert!(got == files(), "{threads} threads: the archive differs");

        // A flipped bit in chunk 40: tar sees an io::Error from zstd, and
        // the payload error is still in it, class and index.
        let mut bad = ct.clone();
        bad[PREFIX + 40 * ENCRYPTED_CHUNK + 3] ^= 1;
        let r = OpenReader::<_, DefaultAead>::with_key(&KEY, CONTEXT, &bad[..], threads).unwrap();
        let handle = r.failure_handle();
        let mut archive = tar::Archive::new(zstd::Decoder::new(r).unwrap());
        let err = listing(&mut archive).unwrap_err();
        assert!(
            matches!(find_error::<OpenError>(&err), Some(OpenError::Payload(PayloadError::Chunk { index: 40 }))),
            "{err:?}"
        );
        assert_eq!(handle.get(), Some(&Failure::Payload(PayloadError::Chunk { index: 40 })));
    }
}

#[test]
fn io_copy_from_an_opener_to_a_sealer_rotates_the_key() {
    let msg = message(2 * BATCH + 77);
    let ct = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    let new_key = [0x55; 32];
    let new_salt = [0x66; 24];
    let expected = cobblestone::seal::<DefaultAead>(&new_key, &new_salt, CONTEXT, &msg).unwrap();
    for threads in [1, 2] {
        let mut r = opener::<DefaultAead>(&ct, threads);
        let mut w = SealWriter::<_, DefaultAead>::with_key(&new_key, &new_salt, CONTEXT, Vec::new(), threads).unwrap();
        assert_eq!(io::copy(&mut r, &mut w).unwrap(), msg.len() as u64);
        let (out, len) = w.finish().unwrap();
        assert_eq!(len, msg.len() as u64);
        assert!(out == expected, "{threads} threads: io::copy");
        // The same through copy_from (one copy, opener to sealer).
        let mut r = opener::<DefaultAead>(&ct, threads);
        let mut w = SealWriter::<_, DefaultAead>::with_key(&new_key, &new_salt, CONTEXT, Vec::new(), threads).unwrap();
        w.copy_from(&mut r).unwrap();
        assert!(w.finish().unwrap().0 == expected, "{threads} threads: copy_from");
    }
}

#[test]
fn progress_is_reported_per_batch_on_the_callers_thread() {
    let len = 3 * BATCH + 100;
    let msg = message(len);
    for threads in [1, 3] {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = Arc::clone(&seen);
        let mut w = sealer::<_, DefaultAead>(Vec::new(), threads).on_progress(move |n| s.lock().unwrap().push(n));
        w.write_all(&msg).unwrap();
        let (ct, _) = w.finish().unwrap();
        let s = Arc::clone(&seen);
        let mut r = opener::<DefaultAead>(&ct, threads).on_progress(move |n| s.lock().unwrap().push(n));
        let (out, err) = drain(&mut r);
        assert!(err.is_none() && out == msg);
        let seen = seen.lock().unwrap();
        let (sealing, opening) = seen.split_at(4);
        for s in [sealing, opening] {
            assert!(s.windows(2).all(|w| w[0] < w[1]), "not increasing: {s:?}");
            assert_eq!(s.last().copied(), Some(len as u64), "{s:?}");
        }
    }
}

/// Counts the bytes that went through a reader or writer.
struct Counted<T> {
    inner: T,
    count: Arc<Mutex<u64>>,
}

impl<T: Read> Read for Counted<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        *self.count.lock().unwrap() += n as u64;
        Ok(n)
    }
}

impl<T: Write> Write for Counted<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        *self.count.lock().unwrap() += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_adapters_hold_at_most_their_batch_buffers() {
    let len = 30 * BATCH + 5;
    let msg = message(len);
    let ct = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    for threads in [1, 2, 4] {
        let buffers = Options { threads, progress: None }.batch_buffers() as u64;
        // Writing: what was accepted and not yet written out is at most
        // the buffers' plaintext.
        let written = Arc::new(Mutex::new(0u64));
        let sink = Counted { inner: io::sink(), count: Arc::clone(&written) };
        let mut w = sealer::<_, DefaultAead>(sink, threads);
        let mut worst = 0;
        for (i, piece) in msg.chunks(100_000).enumerate() {
            w.write_all(piece).unwrap();
            let accepted = ((i * 100_000) + piece.len()) as u64;
            let out = *written.lock().unwrap() - PREFIX as u64;
            let behind = accepted - out * CHUNK as u64 / ENCRYPTED_CHUNK as u64;
            worst = worst.max(behind);
            assert!(behind <= buffers * BATCH as u64, "{threads} threads: {behind} bytes held");
        }
        assert!(worst > BATCH as u64 / 2, "the check never saw a batch held: it cannot fail");
        w.finish().unwrap();

        // Reading: what was read and not yet released is at most the
        // buffers' ciphertext.
        let read = Arc::new(Mutex::new(0u64));
        let counted = Counted { inner: &ct[PREFIX..], count: Arc::clone(&read) };
        let prefix: [u8; PREFIX_SIZE] = ct[..PREFIX].try_into().unwrap();
        let cipher = cobblestone::check_prefix::<DefaultAead>(&KEY, CONTEXT, &prefix).unwrap();
        let mut r = OpenReader::new(counted, cipher, threads);
        let mut buf = vec![0u8; 100_000];
        let mut released = 0u64;
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            released += n as u64;
            let ahead = *read.lock().unwrap() - released * ENCRYPTED_CHUNK as u64 / CHUNK as u64;
            assert!(ahead <= buffers * BATCH_BYTES as u64, "{threads} threads: read {ahead} bytes ahead");
        }
        assert_eq!(released, len as u64);
    }
}

#[test]
fn the_adapters_are_send_and_static_over_owned_streams() {
    fn check<T: Send + 'static>() {}
    check::<SealWriter<Box<dyn Write + Send>, DefaultAead>>();
    check::<OpenReader<Box<dyn Read + Send>, DefaultAead>>();
    check::<SealWriter<std::fs::File, DefaultAead>>();
    check::<OpenReader<std::fs::File, DefaultAead>>();
    check::<ebak_stream::FailureHandle>();
    // Raw mode keys the adapters too (the Cobblestone appendix).
    let cipher = ChunkCipher::<DefaultAead>::raw(&[3; 32], [4; 12]);
    let mut w = SealWriter::new(Vec::new(), cipher, 1);
    w.write_all(b"raw").unwrap();
    let (chunks, _) = w.finish().unwrap();
    let cipher = ChunkCipher::<DefaultAead>::raw(&[3; 32], [4; 12]);
    let mut r = OpenReader::new(&chunks[..], cipher, 1);
    let mut out = String::new();
    r.read_to_string(&mut out).unwrap();
    assert_eq!(out, "raw");
}
