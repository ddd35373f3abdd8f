//! `SealWriter::with_io_thread`: the inner writer on its own thread gives
//! the same bytes and the same failures as `SealWriter::new`, flushes on
//! request, never leaves a complete stream when dropped, and stays within
//! its buffers.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::{BATCH_BYTES, CHUNK, CONTEXT, ENCRYPTED_CHUNK, FailingWriter, KEY, PREFIX, SALT, message, reference_open};
use ebak_core::aead::{Aead, DefaultAead};
use ebak_core::cobblestone::{self, Encryptor, PayloadError};
use ebak_stream::{BATCH_CHUNKS, Failure, OpenError, OpenReader, Options, SealError, SealWriter, find_error};
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const BATCH: usize = BATCH_CHUNKS * CHUNK;

fn sealer<W: Write + Send + 'static, A: Aead + 'static>(mut out: W, threads: usize) -> SealWriter<W, A> {
    let (encryptor, prefix) = Encryptor::<A>::new(&KEY, &SALT, CONTEXT);
    out.write_all(&prefix).unwrap();
    SealWriter::with_io_thread(out, encryptor.into_cipher(), threads)
}

/// A shared output, to look at what the I/O thread wrote, and how often
/// it was flushed.
#[derive(Clone, Default)]
struct Shared {
    bytes: Arc<Mutex<Vec<u8>>>,
    flushes: Arc<AtomicUsize>,
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flushes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn round_trips<A: Aead + 'static>() {
    for len in [0, 1, CHUNK, BATCH - 1, BATCH, BATCH + 1, 4 * BATCH + 2 * CHUNK + 7] {
        let msg = message(len);
        let expected = cobblestone::seal::<A>(&KEY, &SALT, CONTEXT, &msg).unwrap();
        for threads in [1, 2, 4] {
            for piece in [1000, CHUNK + 1, BATCH + 1, usize::MAX] {
                let piece = piece.min(len.max(1));
                let mut w = sealer::<_, A>(Vec::new(), threads);
                for p in msg.chunks(piece) {
                    w.write_all(p).unwrap();
                }
                let (out, n) = w.finish().unwrap();
                assert_eq!(n, len as u64);
                assert!(out == expected, "{len} bytes, writes of {piece}, {threads} threads: not the core's bytes");
            }
            let mut w = sealer::<_, A>(Vec::new(), threads);
            w.copy_from(&mut &msg[..]).unwrap();
            assert!(w.finish().unwrap().0 == expected, "{len} bytes, copy_from, {threads} threads");
        }
    }
}

#[test]
fn the_io_thread_writes_the_cores_bytes() {
    round_trips::<DefaultAead>();
}

#[cfg(feature = "aws-lc")]
#[test]
fn the_io_thread_writes_the_cores_bytes_with_aws_lc() {
    round_trips::<ebak_core::aead::AwsLcAes256Gcm>();
}

#[test]
fn flush_reaches_the_inner_writer_and_the_writer_comes_back() {
    let msg = message(3 * BATCH + 5);
    for threads in [1, 2] {
        let out = Shared::default();
        let mut w = sealer::<_, DefaultAead>(out.clone(), threads);
        w.write_all(&msg).unwrap();
        w.flush().unwrap();
        assert_eq!(out.flushes.load(Ordering::SeqCst), 1, "{threads} threads: flush did not reach the inner writer");
        // Everything but the partial batch is out.
        assert_eq!(out.bytes.lock().unwrap().len(), PREFIX + 3 * BATCH_BYTES);
        let (back, n) = w.finish().unwrap();
        assert_eq!(n, msg.len() as u64);
        assert_eq!(back.flushes.load(Ordering::SeqCst), 2, "finish flushes once more");
        let ct = out.bytes.lock().unwrap().clone();
        assert!(ct == cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap());
    }
}

#[test]
fn a_dropped_writer_leaves_no_complete_stream() {
    for len in [5, BATCH, 3 * BATCH + 3] {
        for threads in [2, 3] {
            let out = Shared::default();
            {
                let mut w = sealer::<_, DefaultAead>(out.clone(), threads);
                w.write_all(&message(len)).unwrap();
                w.flush().unwrap();
            }
            let ct = out.bytes.lock().unwrap().clone();
            let (_, verdict) = reference_open::<DefaultAead>(&KEY, CONTEXT, &ct);
            assert!(matches!(verdict, Some(PayloadError::Truncated { .. })), "{len} bytes, {threads}: {verdict:?}");
        }
    }
}

#[test]
fn a_write_error_on_the_io_thread_fails_the_writer_for_good() {
    let msg = message(6 * BATCH);
    for ok_bytes in [PREFIX, PREFIX + 100, PREFIX + 2 * BATCH_BYTES + 5] {
        for threads in [2, 3] {
            let mut w = sealer::<_, DefaultAead>(FailingWriter { out: Vec::new(), ok_bytes }, threads);
            let handle = w.failure_handle();
            // The error surfaces on a later call: a write, the flush, or finish.
            let err = w.write_all(&msg).and_then(|()| w.flush()).unwrap_err();
            assert!(matches!(find_error::<SealError>(&err), Some(SealError::Io(_))), "{err:?}");
            assert!(matches!(handle.get(), Some(Failure::Io { message, .. }) if message == "disk full"));
            assert!(w.write(b"more").is_err());
            assert!(matches!(w.finish(), Err(SealError::Io(_))));
        }
    }
}

#[test]
fn progress_counts_what_the_io_thread_wrote() {
    let len = 5 * BATCH + 100;
    let msg = message(len);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    let mut w = sealer::<_, DefaultAead>(Vec::new(), 2).on_progress(move |n| s.lock().unwrap().push(n));
    w.write_all(&msg).unwrap();
    w.finish().unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 6, "one report per batch: {seen:?}");
    assert!(seen.windows(2).all(|p| p[0] < p[1]), "{seen:?}");
    assert_eq!(seen.last().copied(), Some(len as u64));
}

#[test]
fn tar_over_zstd_over_the_io_thread_on_another_thread() {
    let data = message(3 * BATCH + 999);
    let out = Shared::default();
    let w = sealer::<_, DefaultAead>(out.clone(), 2);
    let d = data.clone();
    std::thread::spawn(move || {
        let mut tar = tar::Builder::new(zstd::Encoder::new(w, 1).unwrap());
        let mut header = tar::Header::new_gnu();
        header.set_size(d.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        tar.append_data(&mut header, "big.bin", &d[..]).unwrap();
        tar.into_inner().unwrap().finish().unwrap().finish().unwrap();
    })
    .join()
    .unwrap();
    let ct = out.bytes.lock().unwrap().clone();
    let r = OpenReader::<_, DefaultAead>::with_key(&KEY, CONTEXT, &ct[..], 2).unwrap();
    let mut archive = tar::Archive::new(zstd::Decoder::with_buffer(r).unwrap());
    let mut entry = archive.entries().unwrap().next().unwrap().unwrap();
    let mut got = Vec::new();
    entry.read_to_end(&mut got).unwrap();
    assert!(got == data);
}

/// Counts what reached the inner writer.
struct Counted(Arc<Mutex<u64>>);

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        *self.0.lock().unwrap() += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_io_thread_holds_no_more_than_the_batch_buffers() {
    let msg = message(30 * BATCH + 5);
    for threads in [2, 4] {
        let buffers = Options { threads, progress: None }.batch_buffers() as u64;
        let written = Arc::new(Mutex::new(0u64));
        let mut w = sealer::<_, DefaultAead>(Counted(Arc::clone(&written)), threads);
        let mut worst = 0;
        for (i, piece) in msg.chunks(100_000).enumerate() {
            w.write_all(piece).unwrap();
            let accepted = (i * 100_000 + piece.len()) as u64;
            let out = *written.lock().unwrap() - PREFIX as u64;
            let behind = accepted - out * CHUNK as u64 / ENCRYPTED_CHUNK as u64;
            worst = worst.max(behind);
            assert!(behind <= buffers * BATCH as u64, "{threads} threads: {behind} bytes held");
        }
        assert!(worst > BATCH as u64 / 2, "the check never saw a batch held: it cannot fail");
        w.finish().unwrap();
    }
}

/// Panics on its first write of sealed chunks (after the prefix).
struct PanicsOnChunks(usize);

impl Write for PanicsOnChunks {
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
fn a_panic_of_the_inner_writer_on_the_io_thread_is_resumed_on_the_callers_thread() {
    // In a later write, a flush or finish: whichever notices first.
    let msg = message(4 * BATCH);
    let caught = std::panic::catch_unwind(move || {
        let mut w = sealer::<_, DefaultAead>(PanicsOnChunks(0), 2);
        let _ = w.write_all(&msg);
        let _ = w.finish();
    });
    assert!(caught.is_err(), "the panic was swallowed");
    // Dropped without finish: nothing hangs (the panic may or may not have
    // been noticed by a write before the drop).
    let caught = std::panic::catch_unwind(|| {
        let mut w = sealer::<_, DefaultAead>(PanicsOnChunks(0), 2);
        let _ = w.write_all(&message(4 * BATCH));
        drop(w);
    });
    drop(caught);
}

#[test]
fn the_payload_opens_and_damage_is_still_found() {
    let msg = message(2 * BATCH + 17);
    let out = Shared::default();
    let mut w = sealer::<_, DefaultAead>(out.clone(), 3);
    w.write_all(&msg).unwrap();
    w.finish().unwrap();
    let mut ct = out.bytes.lock().unwrap().clone();
    ct[PREFIX + 40 * ENCRYPTED_CHUNK + 1] ^= 4;
    let mut r = OpenReader::<_, DefaultAead>::with_key(&KEY, CONTEXT, &ct[..], 2).unwrap();
    let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
    assert!(matches!(find_error::<OpenError>(&err), Some(OpenError::Payload(PayloadError::Chunk { index: 40 }))));
}

// ---- OpenReader::with_io_thread ----

fn opener_io<A: Aead + 'static>(ct: Vec<u8>, threads: usize) -> OpenReader<io::Cursor<Vec<u8>>, A> {
    let prefix: [u8; PREFIX] = ct[..PREFIX].try_into().unwrap();
    let cipher = cobblestone::check_prefix::<A>(&KEY, CONTEXT, &prefix).unwrap();
    let mut inner = io::Cursor::new(ct);
    inner.set_position(PREFIX as u64);
    OpenReader::with_io_thread(inner, cipher, threads)
}

fn drain<R: Read>(r: &mut R, piece: usize) -> (Vec<u8>, Option<io::Error>) {
    let mut out = Vec::new();
    let mut buf = vec![0u8; piece];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => return (out, Some(e)),
        }
    }
}

fn opens<A: Aead + 'static>() {
    for len in [0, 1, CHUNK, BATCH - 1, BATCH, BATCH + 1, 5 * BATCH + 2 * CHUNK + 7] {
        let msg = message(len);
        let ct = cobblestone::seal::<A>(&KEY, &SALT, CONTEXT, &msg).unwrap();
        for threads in [1, 2, 4] {
            for piece in [1000, CHUNK + 1, BATCH + 1] {
                let mut r = opener_io::<A>(ct.clone(), threads);
                let (out, err) = drain(&mut r, piece);
                assert!(err.is_none(), "{len} bytes, {threads} threads: {err:?}");
                assert!(out == msg, "{len} bytes, reads of {piece}, {threads} threads");
                assert!(r.is_done());
                let (inner, n) = r.finish().unwrap();
                assert_eq!(n, len as u64);
                assert_eq!(inner.position(), ct.len() as u64, "the inner reader comes back, read to its end");
            }
            let mut r = opener_io::<A>(ct.clone(), threads);
            let mut out = Vec::new();
            r.copy_to(&mut out).unwrap();
            assert!(out == msg, "{len} bytes, copy_to, {threads} threads");
        }
    }
}

#[test]
fn the_reading_thread_gives_the_message_back() {
    opens::<DefaultAead>();
}

#[cfg(feature = "aws-lc")]
#[test]
fn the_reading_thread_gives_the_message_back_with_aws_lc() {
    opens::<ebak_core::aead::AwsLcAes256Gcm>();
}

#[test]
fn every_mutation_gets_the_cores_verdict_through_the_reading_thread() {
    let mut checked = 0;
    for len in [CHUNK, BATCH + CHUNK, 4 * BATCH + 2 * CHUNK + 9] {
        let msg = message(len);
        let ct = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
        for (name, m) in common::mutations(&ct) {
            let (released, expected) = reference_open::<DefaultAead>(&KEY, CONTEXT, &m);
            let expected = expected.unwrap();
            if m.len() < PREFIX || matches!(expected, PayloadError::Commitment) {
                continue; // refused before any reader exists
            }
            for threads in [2, 3] {
                let mut r = opener_io::<DefaultAead>(m.clone(), threads);
                let handle = r.failure_handle();
                let (out, err) = drain(&mut r, 7000);
                let err = err.unwrap_or_else(|| panic!("{len} bytes, {name}, {threads} threads: clean end of file"));
                match find_error::<OpenError>(&err) {
                    Some(OpenError::Payload(got)) => assert_eq!(*got, expected, "{len} bytes, {name}"),
                    other => panic!("{name}: {other:?}"),
                }
                assert_eq!(handle.get(), Some(&Failure::Payload(expected)));
                assert!(
                    out == released,
                    "{name}, {threads} threads: released {} bytes, core {}",
                    out.len(),
                    released.len()
                );
                assert!(r.read(&mut [0u8; 4]).is_err());
                checked += 1;
            }
        }
    }
    assert!(checked > 60, "only {checked} mutations checked");
}

/// An owned reader that fails once `ok_bytes` were read.
struct FailingOwned {
    data: Vec<u8>,
    pos: usize,
    ok_bytes: usize,
}

impl Read for FailingOwned {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.ok_bytes {
            return Err(io::Error::other("disk on fire"));
        }
        let n = buf.len().min(self.ok_bytes - self.pos).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn a_read_error_on_the_reading_thread_releases_the_chunks_before_it() {
    let msg = message(4 * BATCH + 100);
    let ct = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    for ok_bytes in [PREFIX + BATCH_BYTES + 3 * ENCRYPTED_CHUNK + 7, PREFIX + 3 * BATCH_BYTES] {
        for threads in [2, 3] {
            let reader = FailingOwned { data: ct.clone(), pos: 0, ok_bytes };
            let mut r = OpenReader::<_, DefaultAead>::with_key(&KEY, CONTEXT, reader, threads).unwrap();
            let (out, err) = drain(&mut r, 10_000);
            let err = err.unwrap();
            let whole_chunks = (ok_bytes - PREFIX) / ENCRYPTED_CHUNK;
            assert!(out == msg[..whole_chunks * CHUNK], "read error after {ok_bytes} bytes, {threads} threads");
            assert!(matches!(find_error::<OpenError>(&err), Some(OpenError::Io(e)) if e.to_string() == "disk on fire"));
        }
    }
}

#[test]
fn a_reader_dropped_midway_stops_its_thread() {
    let msg = message(20 * BATCH);
    let ct = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    for threads in [2, 4] {
        let mut r = opener_io::<DefaultAead>(ct.clone(), threads);
        let mut head = vec![0u8; BATCH + 5];
        r.read_exact(&mut head).unwrap();
        assert!(head == msg[..BATCH + 5]);
        drop(r);
    }
}

/// Counts what was read from the inner reader.
struct CountedRead {
    inner: io::Cursor<Vec<u8>>,
    count: Arc<Mutex<u64>>,
}

impl Read for CountedRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        *self.count.lock().unwrap() += n as u64;
        Ok(n)
    }
}

#[test]
fn the_reading_thread_reads_ahead_no_more_than_the_batch_buffers() {
    let len = 30 * BATCH + 5;
    let msg = message(len);
    let ct = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    for threads in [2, 4] {
        let buffers = Options { threads, progress: None }.batch_buffers() as u64;
        let read = Arc::new(Mutex::new(0u64));
        let inner = CountedRead { inner: io::Cursor::new(ct[PREFIX..].to_vec()), count: Arc::clone(&read) };
        let prefix: [u8; PREFIX] = ct[..PREFIX].try_into().unwrap();
        let cipher = cobblestone::check_prefix::<DefaultAead>(&KEY, CONTEXT, &prefix).unwrap();
        let mut r = OpenReader::with_io_thread(inner, cipher, threads);
        let mut buf = vec![0u8; 100_000];
        let (mut released, mut worst) = (0u64, 0u64);
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            released += n as u64;
            // Give the thread a moment to read as far ahead as it may.
            std::thread::yield_now();
            let ahead = *read.lock().unwrap() - released * ENCRYPTED_CHUNK as u64 / CHUNK as u64;
            worst = worst.max(ahead);
            assert!(ahead <= buffers * BATCH_BYTES as u64, "{threads} threads: read {ahead} bytes ahead");
        }
        assert_eq!(released, len as u64);
        assert!(worst > BATCH_BYTES as u64, "the check never saw a read-ahead: it cannot fail");
    }
}

/// Panics when read past its first batch.
struct PanicsLater(io::Cursor<Vec<u8>>);

impl Read for PanicsLater {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        assert!(self.0.position() < 2 * BATCH_BYTES as u64, "reader panics on purpose");
        self.0.read(buf)
    }
}

#[test]
fn a_panic_of_the_inner_reader_on_the_reading_thread_is_resumed_on_the_callers_thread() {
    let ct = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &message(6 * BATCH)).unwrap();
    let caught = std::panic::catch_unwind(move || {
        let prefix: [u8; PREFIX] = ct[..PREFIX].try_into().unwrap();
        let cipher = cobblestone::check_prefix::<DefaultAead>(&KEY, CONTEXT, &prefix).unwrap();
        let mut r = OpenReader::with_io_thread(PanicsLater(io::Cursor::new(ct[PREFIX..].to_vec())), cipher, 2);
        let _ = io::copy(&mut r, &mut io::sink());
    });
    assert!(caught.is_err(), "the panic was swallowed (or the reader hung)");
}

#[test]
fn tar_over_zstd_over_the_reading_thread() {
    let data = message(3 * BATCH + 999);
    let mut w = SealWriter::<_, DefaultAead>::with_key(&KEY, &SALT, CONTEXT, Vec::new(), 1).unwrap();
    {
        let mut tar = tar::Builder::new(zstd::Encoder::new(&mut w, 1).unwrap());
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        tar.append_data(&mut header, "big.bin", &data[..]).unwrap();
        tar.into_inner().unwrap().finish().unwrap();
    }
    let (ct, _) = w.finish().unwrap();
    let r = opener_io::<DefaultAead>(ct, 2);
    let got = std::thread::spawn(move || {
        let mut archive = tar::Archive::new(zstd::Decoder::with_buffer(r).unwrap());
        let mut entry = archive.entries().unwrap().next().unwrap().unwrap();
        let mut got = Vec::new();
        entry.read_to_end(&mut got).unwrap();
        drop(entry);
        archive.into_inner().finish().finish().unwrap();
        got
    })
    .join()
    .unwrap();
    assert!(got == data);
}
