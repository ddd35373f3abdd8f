//! The parallel pipeline gives the serial bytes: sealing on 1 to 4 threads
//! is byte for byte the core's one-shot seal, and opening gives back the
//! message, for lengths around every boundary (empty, a chunk, a batch,
//! many batches) and through readers and writers that move a few bytes at
//! a time. Memory stays bounded: the reader is never more than the
//! pipeline's batch buffers (one serial, workers + 2 parallel) ahead of
//! the writer.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::{BATCH_BYTES, CHUNK, CONTEXT, KEY, SALT, Stingy, Trickle, message};
use ebak_core::aead::{Aead, DefaultAead};
use ebak_core::cobblestone;
use ebak_stream::{BATCH_CHUNKS, Options};
use std::io::{self, Read, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Every length the pipeline treats differently, and a few odd ones.
fn lengths() -> Vec<usize> {
    let batch = BATCH_CHUNKS * CHUNK;
    vec![
        0,
        1,
        CHUNK - 1,
        CHUNK,
        CHUNK + 1,
        2 * CHUNK + 77,
        batch - 1,
        batch,
        batch + 1,
        batch + CHUNK,
        3 * batch - CHUNK + 5,
        4 * batch,
        5 * batch + 3 * CHUNK + 1234,
    ]
}

fn options(threads: usize) -> Options<'static> {
    Options { threads, progress: None }
}

fn check_backend<A: Aead + 'static>() {
    for len in lengths() {
        let msg = message(len);
        let expected = cobblestone::seal::<A>(&KEY, &SALT, CONTEXT, &msg).unwrap();
        for threads in 1..=4 {
            let mut sealed = Vec::new();
            let n = ebak_stream::seal::<A>(&KEY, &SALT, CONTEXT, &msg[..], &mut sealed, &options(threads)).unwrap();
            assert_eq!(n, len as u64, "seal length, {len} bytes on {threads} threads");
            assert!(sealed == expected, "sealed bytes differ from the serial seal: {len} bytes on {threads} threads");

            let mut opened = Vec::new();
            let n = ebak_stream::open::<A>(&KEY, CONTEXT, &sealed[..], &mut opened, &options(threads)).unwrap();
            assert_eq!(n, len as u64);
            assert!(opened == msg, "opened bytes differ: {len} bytes on {threads} threads");
        }
    }
}

#[test]
fn parallel_sealing_and_opening_give_the_serial_bytes() {
    check_backend::<DefaultAead>();
}

#[cfg(feature = "aws-lc")]
#[test]
fn parallel_sealing_and_opening_give_the_serial_bytes_with_aws_lc() {
    check_backend::<ebak_core::aead::AwsLcAes256Gcm>();
}

#[test]
fn short_reads_and_short_writes_give_the_same_bytes() {
    for len in [0, CHUNK + 3, BATCH_CHUNKS * CHUNK + 5, 2 * BATCH_CHUNKS * CHUNK + 3 * CHUNK] {
        let msg = message(len);
        let expected = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
        for (threads, step) in [(1, 1000), (2, 7_777), (3, 16_399), (4, 100_003)] {
            let mut out = Stingy { out: Vec::new(), step: step / 3 + 1 };
            let reader = Trickle { data: &msg, step };
            ebak_stream::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, reader, &mut out, &options(threads)).unwrap();
            assert!(out.out == expected, "sealed bytes differ: {len} bytes, {threads} threads, steps of {step}");

            let mut opened = Stingy { out: Vec::new(), step: step / 2 + 1 };
            let reader = Trickle { data: &expected, step };
            ebak_stream::open::<DefaultAead>(&KEY, CONTEXT, reader, &mut opened, &options(threads)).unwrap();
            assert!(opened.out == msg, "opened bytes differ: {len} bytes, {threads} threads, steps of {step}");
        }
    }
}

#[test]
fn progress_reports_every_batch_in_order_and_ends_at_the_length() {
    let len = 3 * BATCH_CHUNKS * CHUNK + 100;
    let msg = message(len);
    for threads in [1, 3] {
        let seen = Mutex::new(Vec::new());
        let progress = |n: u64| seen.lock().unwrap().push(n);
        let opts = Options { threads, progress: Some(&progress) };
        let mut sealed = Vec::new();
        ebak_stream::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg[..], &mut sealed, &opts).unwrap();
        let seal_seen = std::mem::take(&mut *seen.lock().unwrap());
        ebak_stream::open::<DefaultAead>(&KEY, CONTEXT, &sealed[..], io::sink(), &opts).unwrap();
        let open_seen = std::mem::take(&mut *seen.lock().unwrap());
        for seen in [seal_seen, open_seen] {
            assert_eq!(seen.len(), 4, "one report per batch: {seen:?}");
            assert!(seen.windows(2).all(|w| w[0] < w[1]), "not increasing: {seen:?}");
            assert_eq!(seen.last().copied(), Some(len as u64));
        }
    }
}

/// Counts what went through a reader and checks, at every write, that the
/// reader is at most `ahead` bytes beyond what was written.
struct Counting<'a, T> {
    inner: T,
    counter: &'a AtomicU64,
}

impl<T: Read> Read for Counting<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}

struct Bounded<'a> {
    read: &'a AtomicU64,
    written: u64,
    /// Plaintext-to-ciphertext scale of the writes: opening writes 16 384
    /// bytes for each 16 400 read.
    scale_num: u64,
    scale_den: u64,
    ahead: u64,
    worst: u64,
}

impl Write for Bounded<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let read = self.read.load(Ordering::SeqCst);
        let written_as_read = self.written * self.scale_num / self.scale_den;
        let lead = read.saturating_sub(written_as_read);
        self.worst = self.worst.max(lead);
        assert!(lead <= self.ahead, "the reader is {lead} bytes ahead of the writer (bound {})", self.ahead);
        self.written += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_reader_is_never_more_than_the_batch_buffers_ahead() {
    let len = 40 * BATCH_CHUNKS * CHUNK + 5;
    let msg = message(len);
    let sealed = cobblestone::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    for threads in [1, 2, 4] {
        let buffers = options(threads).batch_buffers();
        assert_eq!(buffers, if threads == 1 { 1 } else { threads + 2 });
        // Opening: at most `buffers` batches read and not yet written, plus
        // the 56-byte prefix.
        let read = AtomicU64::new(0);
        let reader = Counting { inner: &sealed[..], counter: &read };
        let ahead = (buffers * BATCH_BYTES + 56) as u64;
        let mut w = Bounded { read: &read, written: 0, scale_num: 16_400, scale_den: 16_384, ahead, worst: 0 };
        ebak_stream::open::<DefaultAead>(&KEY, CONTEXT, reader, &mut w, &options(threads)).unwrap();
        assert_eq!(w.written, len as u64);
        assert!(w.worst > 0, "the check never saw a lead: it cannot fail");

        // Sealing: writes carry tags, reads do not.
        let read = AtomicU64::new(0);
        let reader = Counting { inner: &msg[..], counter: &read };
        let ahead = (buffers * BATCH_CHUNKS * CHUNK) as u64;
        let mut w = Bounded { read: &read, written: 0, scale_num: 16_384, scale_den: 16_400, ahead, worst: 0 };
        ebak_stream::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, reader, &mut w, &options(threads)).unwrap();
        assert_eq!(w.written, sealed.len() as u64);
    }
}

#[test]
fn zero_threads_means_all_cores_and_gives_the_same_bytes() {
    assert!(Options::ALL_CORES.workers() >= 1);
    assert_eq!(Options { threads: 10_000, progress: None }.workers(), ebak_stream::MAX_THREADS);
    let msg = message(2 * BATCH_CHUNKS * CHUNK + 9);
    let mut a = Vec::new();
    let mut b = Vec::new();
    ebak_stream::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg[..], &mut a, &Options::ALL_CORES).unwrap();
    ebak_stream::seal::<DefaultAead>(&KEY, &SALT, CONTEXT, &msg[..], &mut b, &Options::SERIAL).unwrap();
    assert!(a == b);
}
