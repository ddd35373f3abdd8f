//! `ebak_stream::open` as a state machine watched from outside (issue 18,
//! part 2): at any thread count, through readers of any piece size, on
//! intact and damaged ciphertexts, every write the opener makes is checked
//! against what the input has delivered so far.
//!
//! The reference is the core's serial [`StreamOpener`], itself checked
//! against a model of spec 6.1 in `core/tests/state_machines.rs`. From it
//! the test knows, for every number of bytes read, how much plaintext has
//! verified by then. The reader records how far it has been read (and
//! whether it reported the end); the writer checks, at every call, that
//!
//! - what has been written, this call included, is a prefix of the serial
//!   opener's output (the same bytes, in order), and
//! - no more than what the bytes delivered so far verify: no plaintext of
//!   a chunk is written before the whole chunk, tag included, has been
//!   read, and the final chunk only after the end of the input;
//!
//! and at the end, the verdict is the serial one (the same error at the
//! same chunk, or the same length) and the output is exactly the serial
//! output: the verified prefix. Progress reports never run ahead of the
//! bytes written. A reader that fails part-way gets an error, and the
//! output is still a prefix of what the bytes before the failure verify.
//! An input that ended or failed is never read again.
//! `PROPTEST_CASES=N` overrides the case count.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::{CHUNK, CONTEXT, ENCRYPTED_CHUNK, KEY, SALT, message};
use ebak_core::aead::DefaultAead as A;
use ebak_core::chunk::PREFIX_SIZE;
use ebak_core::cobblestone::{self, PayloadError, StreamOpener};
use ebak_stream::{BATCH_CHUNKS, OpenError, Options};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

/// What the serial opener says about a ciphertext.
struct Reference {
    /// Everything it releases, up to its verdict.
    released: Vec<u8>,
    verdict: Option<PayloadError>,
    /// `(bytes fed, bytes released)` at every point where the release can
    /// grow: the prefix, then every chunk boundary.
    steps: Vec<(usize, usize)>,
}

impl Reference {
    fn new(key: &[u8; 32], context: &[u8], ct: &[u8]) -> Self {
        let mut opener = StreamOpener::<A>::new(key, context);
        let mut released = Vec::new();
        let mut steps = vec![(0, 0)];
        let mut fed = 0;
        let mut verdict = None;
        let mut next = PREFIX_SIZE;
        while fed < ct.len() {
            let end = next.min(ct.len());
            if let Err(e) = opener.push(&ct[fed..end], &mut released) {
                verdict = Some(e);
                break;
            }
            fed = end;
            steps.push((fed, released.len()));
            next += ENCRYPTED_CHUNK;
        }
        if verdict.is_none() {
            verdict = opener.finish(&mut released).err();
        }
        Self { released, verdict, steps }
    }

    /// The most plaintext that `delivered` bytes verify, before the end of
    /// the input is known (`at_end` false) or after it.
    fn allowed(&self, delivered: usize, at_end: bool) -> usize {
        if at_end {
            return self.released.len();
        }
        // Released only grows at a step; without the end, nothing of the
        // final chunk.
        let partial = self.steps.iter().take_while(|(fed, _)| *fed <= delivered).last().map_or(0, |s| s.1);
        partial.min(self.released.len())
    }
}

/// What the reader has handed out, and what went wrong, seen by the writer.
#[derive(Default)]
struct Watch {
    delivered: usize,
    at_end: bool,
    /// The reader returned an error.
    failed: bool,
    written: Vec<u8>,
    progress: u64,
    violations: Vec<String>,
}

impl Watch {
    /// Records a broken rule (the first few: one is enough to fail).
    fn violation(&mut self, msg: String) {
        if self.violations.len() < 4 {
            self.violations.push(msg);
        }
    }
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
    step: usize,
    /// Fail with an I/O error once this many bytes were read.
    fail_at: Option<usize>,
    watch: Arc<Mutex<Watch>>,
}

impl Read for Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        {
            // An input that ended or failed is not read again ("nothing more
            // is read from it").
            let mut w = self.watch.lock().unwrap();
            if w.at_end || w.failed {
                let msg = format!("the input was read again after it {}", if w.failed { "failed" } else { "ended" });
                w.violation(msg);
            }
        }
        if self.fail_at.is_some_and(|f| self.at >= f) {
            self.watch.lock().unwrap().failed = true;
            return Err(io::Error::other("disk on fire"));
        }
        let limit = self.fail_at.unwrap_or(usize::MAX).min(self.data.len());
        let n = buf.len().min(self.step).min(limit - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        let mut w = self.watch.lock().unwrap();
        w.delivered = self.at;
        if n == 0 && !buf.is_empty() {
            w.at_end = true;
        }
        Ok(n)
    }
}

struct Writer<'a> {
    step: usize,
    reference: &'a Reference,
    watch: Arc<Mutex<Watch>>,
}

impl Write for Writer<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step);
        let mut w = self.watch.lock().unwrap();
        let end = w.written.len() + n;
        let allowed = self.reference.allowed(w.delivered, w.at_end);
        if end > allowed {
            let msg = format!(
                "wrote up to {end} bytes with {} bytes read (end seen: {}): only {allowed} verified",
                w.delivered, w.at_end
            );
            w.violation(msg);
        }
        if self.reference.released.get(w.written.len()..end) != Some(&buf[..n]) {
            let msg = format!("bytes {}..{end} are not the serial opener's", w.written.len());
            w.violation(msg);
        }
        w.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A change to the sealed ciphertext.
#[derive(Clone, Debug)]
enum Change {
    Flip(usize, u8),
    Truncate(usize),
    Append(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    SwapChunks(usize, usize),
    DuplicateChunk(usize),
    DropChunk(usize),
}

impl Change {
    fn apply(&self, ct: &mut Vec<u8>) {
        let len = ct.len();
        let chunks = len.saturating_sub(PREFIX_SIZE).div_ceil(ENCRYPTED_CHUNK).max(1);
        let range = |k: usize| {
            let start = (PREFIX_SIZE + k * ENCRYPTED_CHUNK).min(len);
            start..(start + ENCRYPTED_CHUNK).min(len)
        };
        match *self {
            Self::Flip(at, bit) if len > 0 => ct[at % len] ^= 1 << (bit % 8),
            Self::Truncate(at) => ct.truncate(at % (len + 1)),
            Self::Append(n, byte) => ct.extend(std::iter::repeat_n(byte, n)),
            Self::Insert(at, byte) => ct.insert(at % (len + 1), byte),
            Self::Delete(at) if len > 0 => {
                ct.remove(at % len);
            }
            Self::SwapChunks(i, j) => {
                let (a, b) = (range(i % chunks), range(j % chunks));
                let (a, b) = if a.start <= b.start { (a, b) } else { (b, a) };
                if a.end <= b.start {
                    let mut out = ct[..a.start].to_vec();
                    out.extend_from_slice(&ct[b.clone()]);
                    out.extend_from_slice(&ct[a.end..b.start]);
                    out.extend_from_slice(&ct[a.clone()]);
                    out.extend_from_slice(&ct[b.end..]);
                    *ct = out;
                }
            }
            Self::DuplicateChunk(k) => {
                let r = range(k % chunks);
                let copy = ct[r.clone()].to_vec();
                ct.splice(r.end..r.end, copy);
            }
            Self::DropChunk(k) => {
                ct.drain(range(k % chunks));
            }
            Self::Flip(..) | Self::Delete(_) => {}
        }
    }
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        3 => (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Change::Flip(a, b)),
        2 => any::<usize>().prop_map(Change::Truncate),
        1 => (1..40usize, any::<u8>()).prop_map(|(n, b)| Change::Append(n, b)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Change::Insert(a, b)),
        1 => any::<usize>().prop_map(Change::Delete),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Change::SwapChunks(i, j)),
        1 => any::<usize>().prop_map(Change::DuplicateChunk),
        1 => any::<usize>().prop_map(Change::DropChunk),
    ]
}

/// Message lengths: every chunk boundary class, and around a batch (the
/// unit the parallel engine reads and writes).
fn length() -> impl Strategy<Value = usize> {
    let batch = BATCH_CHUNKS * CHUNK;
    prop_oneof![
        2 => Just(0),
        4 => 0..300usize,
        4 => CHUNK - 1..=CHUNK + 1,
        4 => (2..5usize, 0..3usize).prop_map(|(k, d)| k * CHUNK + d - 1),
        1 => batch - 1..=batch + 1,
        1 => batch + CHUNK - 1..=batch + CHUNK + 1,
    ]
}

/// Read sizes: a byte at a time, odd sizes, around a chunk, large.
fn piece() -> impl Strategy<Value = usize> {
    prop_oneof![1..20usize, 20..5000usize, ENCRYPTED_CHUNK - 1..=ENCRYPTED_CHUNK + 1, Just(1 << 20)]
}

#[derive(Clone, Debug)]
struct Case {
    len: usize,
    changes: Vec<Change>,
    /// 0: one per core.
    threads: usize,
    read_step: usize,
    write_step: usize,
    wrong_key: bool,
    /// Make the reader fail after this fraction (in 1/256) of the input.
    fail_reader: Option<u8>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        length(),
        prop_oneof![2 => Just(Vec::new()), 3 => proptest::collection::vec(change(), 1..4)],
        0..=5usize,
        piece(),
        prop_oneof![1..4000usize, Just(usize::MAX)],
        proptest::bool::weighted(0.05),
        proptest::option::weighted(0.1, any::<u8>()),
    )
        .prop_map(|(len, changes, threads, read_step, write_step, wrong_key, fail_reader)| Case {
            len,
            changes,
            threads,
            read_step,
            write_step,
            wrong_key,
            fail_reader,
        })
}

fn check(case: &Case, seen: &mut Vec<&'static str>) -> Result<(), TestCaseError> {
    let msg = message(case.len);
    let mut ct = cobblestone::seal::<A>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    for c in &case.changes {
        c.apply(&mut ct);
    }
    let mut key = KEY;
    key[0] ^= u8::from(case.wrong_key);
    // Byte-at-a-time reads of a long input would only be slow.
    let read_step = if ct.len() > 100_000 { case.read_step.max(4096) } else { case.read_step };
    let reference = Reference::new(&key, CONTEXT, &ct);
    let fail_at = case.fail_reader.map(|f| ct.len() * usize::from(f) / 256);
    let watch = Arc::new(Mutex::new(Watch::default()));
    let reader = Reader { data: &ct, at: 0, step: read_step, fail_at, watch: Arc::clone(&watch) };
    let writer = Writer { step: case.write_step, reference: &reference, watch: Arc::clone(&watch) };
    let progress = |n: u64| {
        let mut w = watch.lock().unwrap();
        if n < w.progress || n > w.written.len() as u64 {
            let msg = format!("progress {n} after {} (written: {})", w.progress, w.written.len());
            w.violation(msg);
        }
        w.progress = n;
    };
    let result = ebak_stream::open::<A>(
        &key,
        CONTEXT,
        reader,
        writer,
        &Options { threads: case.threads, progress: Some(&progress) },
    );
    let w = watch.lock().unwrap();
    prop_assert!(w.violations.is_empty(), "{:?}", w.violations);
    match fail_at {
        Some(at) => {
            // An I/O error, or a payload error the bytes before it already
            // give; the output is what those bytes verify, or less.
            let before = Reference::new(&key, CONTEXT, &ct[..at]);
            match &result {
                Err(OpenError::Io(_)) => seen.push("reader failed: Io"),
                Err(OpenError::Payload(e)) => {
                    prop_assert!(
                        before.verdict == Some(*e) && before.allowed(at, false) >= w.written.len(),
                        "{e:?} after a read error at {at}"
                    );
                    seen.push("reader failed: Payload");
                }
                Ok(n) => prop_assert!(false, "opened ({n} bytes) though the reader failed at {at}"),
            }
            prop_assert!(w.written.len() <= reference.allowed(at, false));
        }
        None => {
            match (&result, reference.verdict) {
                (Ok(n), None) => {
                    prop_assert_eq!(*n, reference.released.len() as u64);
                    seen.push("opened");
                }
                (Err(OpenError::Payload(got)), Some(want)) => {
                    prop_assert_eq!(*got, want);
                    seen.push(match want {
                        PayloadError::Chunk { index: 0 } => "failed at chunk 0",
                        PayloadError::Chunk { .. } => "failed past chunk 0",
                        PayloadError::Truncated { .. } => "truncated",
                        PayloadError::Commitment => "commitment",
                        PayloadError::MissingPrefix => "missing prefix",
                        _ => "other error",
                    });
                }
                (got, want) => prop_assert!(false, "got {:?}, the serial opener says {:?}", got, want),
            }
            // Released = the verified prefix, exactly.
            prop_assert!(
                w.written == reference.released,
                "wrote {} bytes, serial {}",
                w.written.len(),
                reference.released.len()
            );
            if w.written.len() >= 2 * CHUNK && reference.verdict.is_some() {
                seen.push("failed after releasing chunks");
            }
        }
    }
    Ok(())
}

#[test]
fn open_writes_only_verified_plaintext_at_any_thread_count_and_piece_size() {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(96);
    let mut runner = TestRunner::new(Config { cases, ..Config::default() });
    let seen = Mutex::new(Vec::new());
    let result = runner.run(&case(), |c| {
        let mut s = Vec::new();
        let r = check(&c, &mut s);
        seen.lock().unwrap().extend(s);
        r
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The cases reached every kind of ending, so the checks above ran on
    // each (a test that never fails part-way would check little).
    let seen = seen.into_inner().unwrap();
    for want in [
        "opened",
        "failed at chunk 0",
        "failed past chunk 0",
        "truncated",
        "failed after releasing chunks",
        "reader failed: Io",
    ] {
        assert!(seen.contains(&want), "no case {want}: {seen:?}");
    }
}

/// `OpenReader` as a state machine: `read` calls of any size, at any thread
/// count, through an inner reader of any piece size.
///
/// - every byte a `read` returns is the serial opener's plaintext, in
///   order, and none before the bytes read from the input verify it;
/// - end of file (`Ok(0)`) only when the serial opener accepts the whole
///   input, after exactly its plaintext; it stays at end of file;
/// - after the first error, every call fails (with the same `OpenError`,
///   found through the `io::Error`), returns no byte, and exactly the
///   verified prefix has been returned (a read into an empty buffer may
///   return `Ok(0)` in any state, as `Read` allows);
/// - `plaintext_released` counts what was returned;
/// - the input is not read again once it ended.
#[test]
fn open_reader_releases_the_verified_prefix_and_keeps_failing() {
    use ebak_stream::{OpenReader, find_error};
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(96);
    let mut runner = TestRunner::new(Config { cases, ..Config::default() });
    let seen = Mutex::new(Vec::new());
    let strategy = (case(), proptest::collection::vec(prop_oneof![0..3usize, 1..100usize, 1..70_000usize], 1..6));
    let result = runner.run(&strategy, |(case, reads)| {
        let msg = message(case.len);
        let mut ct = cobblestone::seal::<A>(&KEY, &SALT, CONTEXT, &msg).unwrap();
        for c in &case.changes {
            c.apply(&mut ct);
        }
        let mut key = KEY;
        key[0] ^= u8::from(case.wrong_key);
        let read_step = if ct.len() > 100_000 { case.read_step.max(4096) } else { case.read_step };
        let reference = Reference::new(&key, CONTEXT, &ct);
        let watch = Arc::new(Mutex::new(Watch::default()));
        let inner = Reader { data: &ct, at: 0, step: read_step, fail_at: None, watch: Arc::clone(&watch) };
        let mut reader = match OpenReader::<_, A>::with_key(&key, CONTEXT, inner, case.threads) {
            Ok(r) => r,
            Err(OpenError::Payload(e)) => {
                // The prefix is checked before any chunk.
                prop_assert!(matches!(e, PayloadError::MissingPrefix | PayloadError::Commitment));
                prop_assert_eq!(Some(e), reference.verdict);
                seen.lock().unwrap().push("refused at the prefix");
                return Ok(());
            }
            Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
        };
        let mut out = Vec::new();
        let mut failed: Option<PayloadError> = None;
        let mut eof = false;
        let mut buf = vec![0u8; 70_000];
        for call in 0..40 {
            let n = reads[call % reads.len()];
            let r = reader.read(&mut buf[..n]);
            let (delivered, at_end) = {
                let w = watch.lock().unwrap();
                (w.delivered, w.at_end)
            };
            match r {
                // An empty buffer reads nothing, whatever the state (the
                // `Read` convention: Ok(0) for a 0-byte buffer is not an end
                // of file).
                Ok(0) if n == 0 => {}
                Ok(k) => {
                    prop_assert!(failed.is_none(), "a read succeeded after a failure");
                    prop_assert!(k <= n);
                    out.extend_from_slice(&buf[..k]);
                    // Spec 6.1: nothing before it verified.
                    prop_assert!(out.len() <= reference.allowed(delivered, at_end), "returned unverified bytes");
                    prop_assert!(reference.released.starts_with(&out), "returned bytes the serial opener does not");
                    if k == 0 && n > 0 {
                        // End of file: only for a whole, valid input.
                        prop_assert!(reference.verdict.is_none(), "clean end of file, but {:?}", reference.verdict);
                        prop_assert!(out == reference.released);
                        prop_assert!(reader.is_done());
                        eof = true;
                    } else if k > 0 {
                        prop_assert!(!eof, "bytes after end of file");
                    }
                }
                Err(e) => {
                    let Some(OpenError::Payload(p)) = find_error::<OpenError>(&e) else {
                        return Err(TestCaseError::fail(format!("not a payload error: {e}")));
                    };
                    prop_assert_eq!(Some(*p), reference.verdict);
                    if let Some(first) = failed {
                        prop_assert_eq!(first, *p, "a later call failed differently");
                    }
                    // Exactly the verified prefix was returned.
                    prop_assert!(
                        out == reference.released,
                        "{} bytes returned, {} verified",
                        out.len(),
                        reference.released.len()
                    );
                    failed = Some(*p);
                }
            }
            prop_assert_eq!(reader.plaintext_released(), out.len() as u64);
        }
        let violations = watch.lock().unwrap().violations.clone();
        prop_assert!(violations.is_empty(), "{:?}", violations);
        let mut s = seen.lock().unwrap();
        if failed.is_some() {
            s.push("failed, then kept failing");
        }
        if eof {
            s.push("end of file");
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let seen = seen.into_inner().unwrap();
    for want in ["refused at the prefix", "failed, then kept failing", "end of file"] {
        assert!(seen.contains(&want), "no case {want}");
    }
}

/// `Options` print what they are: the thread count, and whether a progress
/// callback is set (a closure has nothing else to show).
#[test]
fn options_print_their_threads_and_progress() {
    let progress = |_: u64| {};
    let shown = format!("{:?}", Options { threads: 3, progress: Some(&progress) });
    assert!(shown.contains("threads: 3") && shown.contains("progress: true"), "{shown}");
    assert!(format!("{:?}", Options::SERIAL).contains("progress: false"));
}
