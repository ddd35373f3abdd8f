//! The opening state machines against a model of spec 6.1, on random
//! sequences of calls (issue 18, part 2): the in-order [`Decryptor`] and the
//! push-based [`StreamOpener`].
//!
//! Each test draws a sequence of operations, runs it on the real machine and
//! on a model written from the spec, and compares them after every call:
//! the result (the plaintext, or the exact error), the plaintext released so
//! far, and the machine's own counters. The model says:
//!
//! - **released = verified prefix**: after every call, the bytes released
//!   are exactly the plaintext of the chunks verified so far, in order,
//!   nothing of a chunk whose tag did not verify, nothing past them;
//! - **failed stays failed**: after an error, every call returns that same
//!   error and releases nothing;
//! - **after Done, trailing data**: once the final chunk verified, any
//!   further chunk, and any further byte, is `TrailingData`.
//!
//! The model decides authenticity symbolically: a chunk verifies at index
//! `k` if and only if it is exactly what the sealer produced for chunk `k`
//! (any other bytes are a forgery, which AES-GCM rejects but for a
//! negligible probability). The chunks are drawn from that set and from its
//! near misses: the right chunk at the wrong index, the wrong length, one
//! bit flipped, cut short, junk of every length class around 16, 16 400 and
//! in between. `PROPTEST_CASES=N` overrides the case counts.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    reason = "test code: a failed expectation is a test failure"
)]

mod props;

use ebak_core::aead::DefaultAead as A;
use ebak_core::chunk::{CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, PREFIX_SIZE, TAG_SIZE};
use ebak_core::cobblestone::{self, ChunkCipher, Decryptor, Encryptor, PayloadError, StreamOpener};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use std::cell::RefCell;
use std::collections::BTreeSet;

const KEY: [u8; 32] = [0x5a; 32];
const SALT: [u8; 24] = [0x17; 24];
const CONTEXT: &[u8] = b"ebak state machines";

/// Plaintext byte `i` of chunk `index`: a pattern that differs per chunk, so
/// that a chunk released at the wrong place shows.
fn plaintext(index: u64, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(29) ^ (i >> 7) as u8 ^ (index as u8).wrapping_mul(101)).collect()
}

/// The one sealing of `len` plaintext bytes as chunk `index`: what a
/// verifying chunk at that index is, in this model.
fn sealed(index: u64, len: usize) -> Vec<u8> {
    let cipher = ChunkCipher::<A>::new(&cobblestone::derive(&KEY, &SALT, CONTEXT));
    let mut chunk = plaintext(index, len);
    chunk.resize(len + TAG_SIZE, 0);
    cipher.seal(index, &mut chunk).unwrap();
    chunk
}

/// The salt and commitment that start the ciphertext.
fn prefix() -> [u8; PREFIX_SIZE] {
    Encryptor::<A>::new(&KEY, &SALT, CONTEXT).1
}

/// Whether `bytes` is what the sealer produced for chunk `index`, and its
/// plaintext if so.
fn authentic(bytes: &[u8], index: u64) -> Option<Vec<u8>> {
    let len = bytes.len().checked_sub(TAG_SIZE)?;
    (len <= CHUNK_SIZE && sealed(index, len) == bytes).then(|| plaintext(index, len))
}

/// A chunk handed to a machine, described by how it is made from the
/// sealer's output.
#[derive(Clone, Debug)]
enum Piece {
    /// The full chunk the machine expects next (index resolved when used).
    NextFull,
    /// A final chunk of `len` plaintext bytes at the expected index.
    NextFinal(usize),
    /// The full chunk at a fixed index.
    Full(u64),
    /// A final chunk of `len` plaintext bytes at a fixed index.
    Final(u64, usize),
    /// `len` bytes of `fill`.
    Junk(usize, u8),
    /// A piece with bit `bit` of byte `at` (modulo its length) flipped.
    Flipped(Box<Piece>, usize, u8),
    /// A piece cut to `len` bytes (modulo its length plus one).
    Cut(Box<Piece>, usize),
}

impl Piece {
    fn bytes(&self, next: u64) -> Vec<u8> {
        match self {
            Self::NextFull => sealed(next, CHUNK_SIZE),
            Self::NextFinal(len) => sealed(next, *len),
            Self::Full(index) => sealed(*index, CHUNK_SIZE),
            Self::Final(index, len) => sealed(*index, *len),
            Self::Junk(len, fill) => vec![*fill; *len],
            Self::Flipped(inner, at, bit) => {
                let mut bytes = inner.bytes(next);
                if !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] ^= 1 << (bit % 8);
                }
                bytes
            }
            Self::Cut(inner, len) => {
                let mut bytes = inner.bytes(next);
                bytes.truncate(len % (bytes.len() + 1));
                bytes
            }
        }
    }
}

/// Lengths around every boundary a chunk length check has: empty, a tag,
/// a full chunk, and in between.
fn junk_len() -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0),
        TAG_SIZE - 1..=TAG_SIZE + 1,
        ENCRYPTED_CHUNK_SIZE - 1..=ENCRYPTED_CHUNK_SIZE + 1,
        0..2 * ENCRYPTED_CHUNK_SIZE,
    ]
}

/// Final-chunk plaintext lengths: empty, one byte, one short of a chunk,
/// anything shorter.
fn final_len() -> impl Strategy<Value = usize> {
    prop_oneof![Just(0), Just(1), Just(CHUNK_SIZE - 1), 0..CHUNK_SIZE]
}

fn piece() -> impl Strategy<Value = Piece> {
    let genuine = prop_oneof![
        6 => Just(Piece::NextFull),
        2 => final_len().prop_map(Piece::NextFinal),
        1 => (0..6u64).prop_map(Piece::Full),
        1 => (0..6u64, final_len()).prop_map(|(i, l)| Piece::Final(i, l)),
        1 => (junk_len(), any::<u8>()).prop_map(|(l, f)| Piece::Junk(l, f)),
    ];
    genuine.prop_recursive(2, 4, 1, |inner| {
        prop_oneof![
            (inner.clone(), any::<usize>(), any::<u8>()).prop_map(|(p, at, bit)| Piece::Flipped(Box::new(p), at, bit)),
            (inner, any::<usize>()).prop_map(|(p, len)| Piece::Cut(Box::new(p), len)),
        ]
    })
}

/// Where an in-order opening stands, in the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Progress {
    Open,
    Done,
    Failed(PayloadError),
}

/// The model of spec 6.1 for the chunk-level machine.
#[derive(Debug)]
struct DecryptorModel {
    next: u64,
    progress: Progress,
    released: Vec<u8>,
}

impl DecryptorModel {
    const fn new() -> Self {
        Self { next: 0, progress: Progress::Open, released: Vec::new() }
    }

    fn fail(&mut self, e: PayloadError) -> Result<Vec<u8>, PayloadError> {
        self.progress = Progress::Failed(e);
        Err(e)
    }

    /// A full chunk (`is_final` false) or the end of the input.
    fn open(&mut self, chunk: &[u8], is_final: bool) -> Result<Vec<u8>, PayloadError> {
        match self.progress {
            // After the final chunk, anything is trailing data.
            Progress::Done => return Err(PayloadError::TrailingData),
            // A machine that failed keeps failing with the same error.
            Progress::Failed(e) => return Err(e),
            Progress::Open => {}
        }
        let len = chunk.len();
        if is_final && !(TAG_SIZE..ENCRYPTED_CHUNK_SIZE).contains(&len) {
            // Cobblestone: a final chunk of a full chunk's size (or more)
            // means the message was truncated; shorter than a tag too.
            return self.fail(PayloadError::Truncated { chunks: self.next });
        }
        if !is_final && len != ENCRYPTED_CHUNK_SIZE {
            return self.fail(PayloadError::ChunkLength);
        }
        let Some(plaintext) = authentic(chunk, self.next) else {
            return self.fail(PayloadError::Chunk { index: self.next });
        };
        self.next += 1;
        if is_final {
            self.progress = Progress::Done;
        }
        self.released.extend_from_slice(&plaintext);
        Ok(plaintext)
    }
}

#[derive(Clone, Debug)]
enum DecryptorOp {
    OpenChunk(Piece),
    OpenFinal(Piece),
}

/// Mostly the calls an honest reader makes (the next full chunk, then a
/// final one), so that runs reach deep states; the rest, any piece to
/// either call.
fn decryptor_op() -> impl Strategy<Value = DecryptorOp> {
    prop_oneof![
        6 => Just(DecryptorOp::OpenChunk(Piece::NextFull)),
        2 => final_len().prop_map(|l| DecryptorOp::OpenFinal(Piece::NextFinal(l))),
        2 => piece().prop_map(DecryptorOp::OpenChunk),
        1 => piece().prop_map(DecryptorOp::OpenFinal),
    ]
}

/// Whether `released` is the plaintext of chunks 0, 1, 2, ... in order
/// (16 KiB each, the last one possibly shorter): the verified prefix of
/// some message, never bytes of another chunk or another place.
fn verified_prefix_ok(released: &[u8]) -> bool {
    released.chunks(CHUNK_SIZE).enumerate().all(|(index, c)| c == plaintext(index as u64, c.len()))
}

/// Runs `check` on `cases` inputs drawn from `strategy` (shrinking any
/// failure), then requires every outcome in `must_see` to have been reached
/// by some case: a state machine test whose runs never reach the end, or
/// never fail in some way, would test less than it says.
fn run_and_require<S: Strategy>(
    default_cases: u32,
    strategy: S,
    must_see: &[&str],
    check: impl Fn(S::Value, &mut BTreeSet<String>) -> Result<(), TestCaseError>,
) where
    S::Value: Clone + std::fmt::Debug,
{
    let seen = RefCell::new(BTreeSet::new());
    let mut runner = TestRunner::new(props::config(default_cases));
    let result = runner.run(&strategy, |value| {
        let mut outcomes = BTreeSet::new();
        let r = check(value, &mut outcomes);
        seen.borrow_mut().extend(outcomes);
        r
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let seen = seen.into_inner();
    let missing: Vec<_> = must_see.iter().filter(|o| !seen.contains(**o)).collect();
    assert!(missing.is_empty(), "no case reached {missing:?}; reached {seen:?}");
}

/// The name of an outcome, for [`run_and_require`].
fn outcome<T>(r: &Result<T, PayloadError>) -> String {
    match r {
        Ok(_) => "Ok".into(),
        Err(e) => format!("{e:?}").split([' ', '{', '(']).next().unwrap_or_default().to_string(),
    }
}

/// `Decryptor::open_chunk` and `open_final` in any order, on any chunk.
#[test]
fn decryptor_releases_the_verified_prefix_and_keeps_failing() {
    let must_see = [
        "open_chunk Ok",
        "open_final Ok",
        "open_chunk ChunkLength",
        "open_chunk Chunk",
        "open_final Chunk",
        "open_final Truncated",
        "open_chunk TrailingData",
        "open_final TrailingData",
        "again after failing",
        "two chunks released",
    ];
    run_and_require(256, proptest::collection::vec(decryptor_op(), 1..12), &must_see, |ops, seen| {
        let mut machine = Decryptor::<A>::new(&KEY, CONTEXT, &prefix()).unwrap();
        let mut model = DecryptorModel::new();
        let mut released = Vec::new();
        for (step, op) in ops.iter().enumerate() {
            let (piece, is_final) = match op {
                DecryptorOp::OpenChunk(p) => (p, false),
                DecryptorOp::OpenFinal(p) => (p, true),
            };
            let failed_before = matches!(model.progress, Progress::Failed(_));
            let original = piece.bytes(model.next);
            let mut buffer = original.clone();
            let got = if is_final { machine.open_final(&mut buffer) } else { machine.open_chunk(&mut buffer) };
            let got = got.map(|p| p.to_vec());
            let want = model.open(&original, is_final);
            prop_assert_eq!(&got, &want, "step {}: {:?}", step, op);
            seen.insert(format!("{} {}", if is_final { "open_final" } else { "open_chunk" }, outcome(&got)));
            if failed_before {
                seen.insert("again after failing".into());
            }
            match got {
                Ok(p) => released.extend_from_slice(&p),
                Err(_) => {
                    // No plaintext is left in the caller's buffer on failure:
                    // the bytes before the tag are the ciphertext as handed
                    // in, or wiped.
                    let body = original.len().saturating_sub(TAG_SIZE);
                    prop_assert!(
                        buffer == original || buffer[..body].iter().all(|&b| b == 0),
                        "step {}: a failed call left other bytes in the buffer",
                        step
                    );
                }
            }
            if released.len() > CHUNK_SIZE {
                seen.insert("two chunks released".into());
            }
            prop_assert_eq!(&released, &model.released, "step {}: released bytes", step);
            prop_assert!(verified_prefix_ok(&released), "step {}: released is not the verified prefix", step);
            prop_assert_eq!(machine.chunks_verified(), model.next, "step {}: chunks verified", step);
            prop_assert_eq!(machine.is_done(), model.progress == Progress::Done, "step {}: done", step);
        }
        Ok(())
    });
}

/// Where a push-based opening stands, in the model.
#[derive(Debug)]
struct StreamModel {
    /// Every byte pushed so far.
    fed: Vec<u8>,
    progress: Progress,
    released: Vec<u8>,
}

/// What spec 6 step 4 and 6.1 give for the bytes `fed` so far: the
/// plaintext released, and `Err` if they already fail. `at_end`: the input
/// has ended (`finish`), so what follows the full chunks is the final chunk.
fn decode(fed: &[u8], at_end: bool) -> (Vec<u8>, Result<bool, PayloadError>) {
    let mut released = Vec::new();
    let Some((head, mut body)) = fed.split_first_chunk::<PREFIX_SIZE>() else {
        return (released, if at_end { Err(PayloadError::MissingPrefix) } else { Ok(false) });
    };
    if *head != prefix() {
        // The salt or the commitment changed: in this model no other
        // prefix carries a matching commitment.
        return (released, Err(PayloadError::Commitment));
    }
    let mut index = 0;
    // A full piece is never final: it is opened as soon as it is complete.
    while let Some((chunk, rest)) = body.split_at_checked(ENCRYPTED_CHUNK_SIZE) {
        match authentic(chunk, index) {
            Some(p) => released.extend_from_slice(&p),
            None => return (released, Err(PayloadError::Chunk { index })),
        }
        index += 1;
        body = rest;
    }
    if !at_end {
        return (released, Ok(false));
    }
    if body.len() < TAG_SIZE {
        return (released, Err(PayloadError::Truncated { chunks: index }));
    }
    match authentic(body, index) {
        Some(p) => {
            released.extend_from_slice(&p);
            (released, Ok(true))
        }
        None => (released, Err(PayloadError::Chunk { index })),
    }
}

impl StreamModel {
    const fn new() -> Self {
        Self { fed: Vec::new(), progress: Progress::Open, released: Vec::new() }
    }

    fn fail(&mut self, e: PayloadError) -> Result<(), PayloadError> {
        self.progress = Progress::Failed(e);
        Err(e)
    }

    fn push(&mut self, piece: &[u8]) -> Result<(), PayloadError> {
        match self.progress {
            Progress::Failed(e) => Err(e),
            // Spec 6 step 4.3: data after the final chunk fails, whatever
            // its length.
            Progress::Done if piece.is_empty() => Ok(()),
            Progress::Done => self.fail(PayloadError::TrailingData),
            Progress::Open => {
                self.fed.extend_from_slice(piece);
                let (released, verdict) = decode(&self.fed, false);
                self.released = released;
                verdict.map(drop).or_else(|e| self.fail(e))
            }
        }
    }

    fn finish(&mut self) -> Result<(), PayloadError> {
        match self.progress {
            Progress::Failed(e) => Err(e),
            Progress::Done => self.fail(PayloadError::TrailingData),
            Progress::Open => {
                let (released, verdict) = decode(&self.fed, true);
                self.released = released;
                match verdict {
                    Ok(_) => {
                        self.progress = Progress::Done;
                        Ok(())
                    }
                    Err(e) => self.fail(e),
                }
            }
        }
    }
}

/// The bytes a push-based opener is fed: a prefix, then chunks, laid end to
/// end (the machine sees only bytes; the pieces it is pushed cut across
/// chunk boundaries anywhere).
#[derive(Clone, Debug)]
struct Tape {
    prefix: PrefixKind,
    chunks: Vec<Piece>,
}

#[derive(Clone, Debug)]
enum PrefixKind {
    Genuine,
    /// One bit flipped (the salt or the commitment).
    Flipped(usize, u8),
    /// Cut short.
    Cut(usize),
}

impl Tape {
    fn bytes(&self) -> Vec<u8> {
        let mut out = prefix().to_vec();
        match self.prefix {
            PrefixKind::Genuine => {}
            PrefixKind::Flipped(at, bit) => out[at % PREFIX_SIZE] ^= 1 << (bit % 8),
            PrefixKind::Cut(len) => out.truncate(len % PREFIX_SIZE),
        }
        // `NextFull` and `NextFinal` take the index of their place.
        for (k, piece) in self.chunks.iter().enumerate() {
            out.extend_from_slice(&piece.bytes(k as u64));
        }
        out
    }
}

fn tape() -> impl Strategy<Value = Tape> {
    let prefix = prop_oneof![
        8 => Just(PrefixKind::Genuine),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(at, bit)| PrefixKind::Flipped(at, bit)),
        1 => any::<usize>().prop_map(PrefixKind::Cut),
    ];
    // Mostly genuine chunks in order, ending in a final one, so that runs
    // reach deep states; the pieces strategy adds the near misses.
    let chunk = prop_oneof![6 => Just(Piece::NextFull), 3 => piece()];
    let ending = prop_oneof![
        4 => final_len().prop_map(|l| Some(Piece::NextFinal(l))),
        1 => Just(None),
        1 => piece().prop_map(Some),
    ];
    (prefix, proptest::collection::vec(chunk, 0..4), ending).prop_map(|(prefix, mut chunks, ending)| {
        chunks.extend(ending);
        Tape { prefix, chunks }
    })
}

#[derive(Clone, Debug)]
enum StreamOp {
    /// Push the next `n` bytes of the tape (past its end: `n` bytes of junk).
    Push(usize),
    /// Push an empty piece.
    PushEmpty,
    /// Push the rest of the tape in one piece.
    PushRest,
    Finish,
}

fn stream_op() -> impl Strategy<Value = StreamOp> {
    prop_oneof![
        6 => prop_oneof![1..64usize, 16_350..16_450usize, 1..40_000usize].prop_map(StreamOp::Push),
        1 => Just(StreamOp::PushEmpty),
        2 => Just(StreamOp::PushRest),
        2 => Just(StreamOp::Finish),
    ]
}

/// `StreamOpener::push` and `finish` in any order, with any piece sizes, on
/// any sequence of chunks, before and after the end.
#[test]
fn stream_opener_releases_the_verified_prefix_and_keeps_failing() {
    let must_see = [
        "push Ok",
        "finish Ok",
        "push Commitment",
        "push Chunk",
        "finish Chunk",
        "finish MissingPrefix",
        "finish Truncated",
        "push TrailingData",
        "finish TrailingData",
        "again after failing",
        "two chunks released",
    ];
    let strategy = (tape(), proptest::collection::vec(stream_op(), 1..16));
    run_and_require(256, strategy, &must_see, |(tape, ops), seen| {
        let bytes = tape.bytes();
        let mut rest: &[u8] = &bytes;
        let mut machine = StreamOpener::<A>::new(&KEY, CONTEXT);
        let mut model = StreamModel::new();
        let mut released = Vec::new();
        for (step, op) in ops.iter().enumerate() {
            let failed_before = matches!(model.progress, Progress::Failed(_));
            let (got, want) = match op {
                StreamOp::Finish => (machine.finish(&mut released), model.finish()),
                StreamOp::PushEmpty => (machine.push(&[], &mut released), model.push(&[])),
                StreamOp::Push(_) | StreamOp::PushRest => {
                    let n = match op {
                        StreamOp::Push(n) => *n,
                        _ => rest.len().max(1),
                    };
                    let piece = if rest.is_empty() {
                        vec![0xa5; n]
                    } else {
                        let (now, later) = rest.split_at(n.min(rest.len()));
                        rest = later;
                        now.to_vec()
                    };
                    (machine.push(&piece, &mut released), model.push(&piece))
                }
            };
            prop_assert_eq!(got, want, "step {}: {:?}", step, op);
            let name = if matches!(op, StreamOp::Finish) { "finish" } else { "push" };
            seen.insert(format!("{name} {}", outcome(&got)));
            if failed_before {
                seen.insert("again after failing".into());
            }
            if released.len() > CHUNK_SIZE {
                seen.insert("two chunks released".into());
            }
            prop_assert_eq!(&released, &model.released, "step {}: released bytes", step);
            prop_assert!(verified_prefix_ok(&released), "step {}: released is not the verified prefix", step);
            if model.progress == Progress::Open {
                prop_assert_eq!(machine.chunks_verified(), (released.len() / CHUNK_SIZE) as u64, "step {}", step);
            }
        }
        Ok(())
    });
}

/// After the final chunk verified, a single byte is trailing data, at once
/// and for good (spec 6 step 4.3; the `push` that takes it fails, not only
/// a later `finish`).
#[test]
fn after_done_any_byte_is_trailing_data() {
    let mut ciphertext = prefix().to_vec();
    ciphertext.extend_from_slice(&sealed(0, CHUNK_SIZE));
    ciphertext.extend_from_slice(&sealed(1, 5));
    for extra in [1usize, 15, 16, ENCRYPTED_CHUNK_SIZE - 1, ENCRYPTED_CHUNK_SIZE, 3 * ENCRYPTED_CHUNK_SIZE] {
        let mut opener = StreamOpener::<A>::new(&KEY, CONTEXT);
        let mut out = Vec::new();
        opener.push(&ciphertext, &mut out).unwrap();
        opener.finish(&mut out).unwrap();
        let whole = out.clone();
        assert_eq!(opener.push(&[], &mut out), Ok(()), "an empty piece is no data");
        assert_eq!(opener.push(&vec![0; extra], &mut out), Err(PayloadError::TrailingData), "{extra} bytes");
        assert_eq!(opener.push(&[], &mut out), Err(PayloadError::TrailingData), "failed stays failed");
        assert_eq!(opener.finish(&mut out), Err(PayloadError::TrailingData));
        assert_eq!(out, whole, "nothing released after the end");
    }
    // The chunk-level machine: any chunk after the final one.
    let mut d = Decryptor::<A>::new(&KEY, CONTEXT, &prefix()).unwrap();
    d.open_chunk(&mut sealed(0, CHUNK_SIZE)).unwrap();
    d.open_final(&mut sealed(1, 5)).unwrap();
    for mut chunk in [sealed(2, CHUNK_SIZE), sealed(2, 0), Vec::new(), vec![0; 3]] {
        assert_eq!(d.open_chunk(&mut chunk.clone()), Err(PayloadError::TrailingData));
        assert_eq!(d.open_final(&mut chunk), Err(PayloadError::TrailingData));
        assert!(d.is_done());
        assert_eq!(d.chunks_verified(), 2);
    }
}

/// A wrong prefix fails at the commitment, before any chunk (spec 6 step
/// 4.2), for the chunk-level machine too.
#[test]
fn a_changed_prefix_fails_at_the_commitment() {
    for at in 0..PREFIX_SIZE {
        let mut p = prefix();
        p[at] ^= 0x01;
        assert_eq!(Decryptor::<A>::new(&KEY, CONTEXT, &p).unwrap_err(), PayloadError::Commitment, "byte {at}");
    }
    assert_eq!(Decryptor::<A>::new(&KEY, b"other", &prefix()).unwrap_err(), PayloadError::Commitment);
}
