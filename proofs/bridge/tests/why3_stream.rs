//! The Why3 model of the opening state machines, tested against the Rust
//! code.
//!
//! `proofs/why3/stream.mlw` proves, of its model of `Decryptor` and
//! `StreamOpener`, that every call keeps released = verified prefix (`dinv`
//! and `inv`), that a failed machine returns the same error and does not
//! change, and that after the final chunk any byte is trailing data. Its
//! step functions (`open_chunk`, `open_final`, `push`, `finish`) determine
//! the next state completely; they are transcribed below, line for line.
//! This test runs the Rust machines and the transcription side by side on
//! random sequences of calls and compares them after every call: the
//! outcome (success, or the same error), the plaintext released (its length,
//! and that it is the plaintext of the chunks counted), and the number of
//! chunks verified. The model's authenticity oracle is computed from the
//! bytes: a piece verifies as chunk k exactly when it is the sealer's output
//! for chunk k (any other bytes would be a forgery of AES-GCM).
//!
//! This tests the Rust code against the proved model on the sequences
//! tried; it does not prove it, and the transcription is by hand.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: the model is transcribed in u128, and a failed expectation is a test failure"
)]

use ebak_core::aead::DefaultAead as A;
use ebak_core::chunk::{CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, MAX_CHUNK_COUNT, PREFIX_SIZE, TAG_SIZE};
use ebak_core::cobblestone::{self, ChunkCipher, Decryptor, Encryptor, PayloadError, StreamOpener};
use ebak_proofs::mlw;
use ebak_proofs::rng::Rng;
use std::collections::{BTreeSet, HashMap};

const KEY: [u8; 32] = [0x6b; 32];
const SALT: [u8; 24] = [0x2d; 24];
const CONTEXT: &[u8] = b"why3 stream model";

const PREFIX: u128 = 56;
const TAG: u128 = 16;
const CHUNK: u128 = 16_384;
const ENCRYPTED: u128 = 16_400;
const MAX: u128 = 1 << 38;

#[test]
fn the_models_constants_are_the_rust_ones() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../why3/stream.mlw");
    let model = mlw::constants(&std::fs::read_to_string(path).unwrap()).unwrap();
    let value = |name: &str| model.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("{name}")).value;
    assert_eq!(value("prefix_size"), PREFIX_SIZE as u128);
    assert_eq!(value("tag_size"), TAG_SIZE as u128);
    assert_eq!(value("chunk_size"), CHUNK_SIZE as u128);
    assert_eq!(value("encrypted_chunk_size"), ENCRYPTED_CHUNK_SIZE as u128);
    assert_eq!(value("max_chunks"), u128::from(MAX_CHUNK_COUNT));
    assert_eq!((PREFIX, TAG, CHUNK, ENCRYPTED, MAX), (56, 16, 16_384, 16_400, u128::from(MAX_CHUNK_COUNT)));
}

// ---- The model, transcribed from stream.mlw. ----

/// `stage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Open,
    Done,
    Failed(PayloadError),
}

/// `dstate`; `dout` is the result of the last call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DState {
    next: u128,
    dstage: Stage,
    dreleased: u128,
    dout: Result<(), PayloadError>,
}

fn dfail(s: DState, e: PayloadError) -> DState {
    DState { dstage: Stage::Failed(e), dout: Err(e), ..s }
}

/// `open_chunk`.
fn open_chunk(s: DState, len: u128, ok: bool) -> DState {
    match s.dstage {
        Stage::Failed(e) => DState { dout: Err(e), ..s },
        Stage::Done => DState { dout: Err(PayloadError::TrailingData), ..s },
        Stage::Open => {
            if len != ENCRYPTED {
                dfail(s, PayloadError::ChunkLength)
            } else if s.next >= MAX {
                dfail(s, PayloadError::TooManyChunks)
            } else if !ok {
                dfail(s, PayloadError::Chunk { index: s.next as u64 })
            } else {
                DState { next: s.next + 1, dreleased: s.dreleased + CHUNK, dout: Ok(()), ..s }
            }
        }
    }
}

/// `open_final`.
fn open_final(s: DState, len: u128, ok: bool) -> DState {
    match s.dstage {
        Stage::Failed(e) => DState { dout: Err(e), ..s },
        Stage::Done => DState { dout: Err(PayloadError::TrailingData), ..s },
        Stage::Open => {
            if !(TAG..ENCRYPTED).contains(&len) {
                dfail(s, PayloadError::Truncated { chunks: s.next as u64 })
            } else if s.next >= MAX {
                dfail(s, PayloadError::TooManyChunks)
            } else if !ok {
                dfail(s, PayloadError::Chunk { index: s.next as u64 })
            } else {
                DState { next: s.next + 1, dstage: Stage::Done, dreleased: s.dreleased + (len - TAG), dout: Ok(()) }
            }
        }
    }
}

/// `oracle`: what the bytes fed verify as.
struct Oracle<'a> {
    bytes: &'a [u8],
}

impl Oracle<'_> {
    fn commit_ok(&self) -> bool {
        self.bytes.get(..PREFIX_SIZE) == Some(&prefix()[..])
    }

    fn full_ok(&self, k: u128) -> bool {
        let start = (PREFIX + k * ENCRYPTED) as usize;
        self.bytes.get(start..start + ENCRYPTED_CHUNK_SIZE).is_some_and(|c| authentic(c, k as u64))
    }

    fn final_ok(&self, k: u128, r: u128) -> bool {
        let start = (PREFIX + k * ENCRYPTED) as usize;
        self.bytes.get(start..start + r as usize).is_some_and(|c| authentic(c, k as u64))
    }
}

/// `state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct State {
    fed: u128,
    snext: u128,
    released: u128,
    stage: Stage,
    ended: bool,
    out: Result<(), PayloadError>,
}

const START: State = State { fed: 0, snext: 0, released: 0, stage: Stage::Open, ended: false, out: Ok(()) };

fn fail(s: State, e: PayloadError) -> State {
    State { stage: Stage::Failed(e), out: Err(e), ..s }
}

/// `first_bad`.
fn first_bad(o: &Oracle<'_>, from: u128, upto: u128) -> u128 {
    let mut k = from;
    while k < upto {
        if !o.full_ok(k) || k >= MAX {
            return k;
        }
        k += 1;
    }
    upto
}

/// `bad_error`.
fn bad_error(k: u128) -> PayloadError {
    if k >= MAX { PayloadError::TooManyChunks } else { PayloadError::Chunk { index: k as u64 } }
}

/// `complete`.
fn complete(fed: u128) -> u128 {
    if fed < PREFIX { 0 } else { (fed - PREFIX) / ENCRYPTED }
}

/// `push`.
fn push(o: &Oracle<'_>, s: State, n: u128) -> State {
    match s.stage {
        Stage::Failed(e) => State { out: Err(e), ..s },
        Stage::Done => {
            if n == 0 {
                State { out: Ok(()), ..s }
            } else {
                fail(s, PayloadError::TrailingData)
            }
        }
        Stage::Open => {
            let fed = s.fed + n;
            if fed < PREFIX {
                State { fed, out: Ok(()), ..s }
            } else if !o.commit_ok() {
                fail(State { fed, ..s }, PayloadError::Commitment)
            } else {
                let upto = complete(fed);
                let b = first_bad(o, s.snext, upto);
                if b < upto {
                    fail(State { fed, snext: b, released: CHUNK * b, ..s }, bad_error(b))
                } else {
                    State { fed, snext: upto, released: CHUNK * upto, out: Ok(()), ..s }
                }
            }
        }
    }
}

/// `finish`.
fn finish(o: &Oracle<'_>, s: State) -> State {
    match s.stage {
        Stage::Failed(e) => State { out: Err(e), ..s },
        Stage::Done => fail(s, PayloadError::TrailingData),
        Stage::Open => {
            if s.fed < PREFIX {
                return fail(s, PayloadError::MissingPrefix);
            }
            let r = s.fed - PREFIX - ENCRYPTED * s.snext;
            if r < TAG {
                fail(s, PayloadError::Truncated { chunks: s.snext as u64 })
            } else if s.snext >= MAX {
                fail(s, PayloadError::TooManyChunks)
            } else if !o.final_ok(s.snext, r) {
                fail(s, PayloadError::Chunk { index: s.snext as u64 })
            } else {
                State {
                    snext: s.snext + 1,
                    stage: Stage::Done,
                    ended: true,
                    released: s.released + (r - TAG),
                    out: Ok(()),
                    ..s
                }
            }
        }
    }
}

// ---- Chunks, and what they verify as. ----

fn plaintext(index: u64, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(13) ^ (i >> 8) as u8 ^ (index as u8).wrapping_mul(71)).collect()
}

thread_local! {
    static SEALED: std::cell::RefCell<HashMap<(u64, usize), Vec<u8>>> = std::cell::RefCell::new(HashMap::new());
}

/// The sealer's output for `len` plaintext bytes as chunk `index`.
fn sealed(index: u64, len: usize) -> Vec<u8> {
    SEALED.with(|cache| {
        cache
            .borrow_mut()
            .entry((index, len))
            .or_insert_with(|| {
                let cipher = ChunkCipher::<A>::new(&cobblestone::derive(&KEY, &SALT, CONTEXT));
                let mut chunk = plaintext(index, len);
                chunk.resize(len + TAG_SIZE, 0);
                cipher.seal(index, &mut chunk).unwrap();
                chunk
            })
            .clone()
    })
}

fn prefix() -> [u8; PREFIX_SIZE] {
    Encryptor::<A>::new(&KEY, &SALT, CONTEXT).1
}

fn authentic(bytes: &[u8], index: u64) -> bool {
    bytes.len() >= TAG_SIZE && bytes.len() - TAG_SIZE <= CHUNK_SIZE && sealed(index, bytes.len() - TAG_SIZE) == bytes
}

/// A piece of input: mostly what an honest sealer wrote at `at`, else a
/// near miss (another index, another length, a flipped bit, junk).
fn piece(rng: &mut Rng, at: u64) -> Vec<u8> {
    let final_len = |rng: &mut Rng| {
        let any = rng.below(CHUNK_SIZE as u64) as usize;
        *rng.pick(&[0, 1, CHUNK_SIZE - 1, any])
    };
    match rng.below(10) {
        0..=4 => sealed(at, CHUNK_SIZE),
        5 | 6 => sealed(at, final_len(rng)),
        7 => sealed(rng.below(5), CHUNK_SIZE),
        8 => {
            let mut p = sealed(at, CHUNK_SIZE);
            let i = rng.below(p.len() as u64) as usize;
            p[i] ^= 1 << rng.below(8);
            p
        }
        _ => {
            let len = *rng.pick(&[0, 15, 16, 17, ENCRYPTED_CHUNK_SIZE - 1, ENCRYPTED_CHUNK_SIZE + 1]);
            vec![rng.byte(); len]
        }
    }
}

/// The name of an outcome's variant.
fn outcome(r: Result<(), PayloadError>) -> String {
    match r {
        Ok(()) => "Ok".into(),
        Err(e) => format!("{e:?}").split([' ', '{']).next().unwrap_or_default().to_string(),
    }
}

fn released_is_the_chunks_plaintext(released: &[u8]) -> bool {
    released.chunks(CHUNK_SIZE).enumerate().all(|(k, c)| c == plaintext(k as u64, c.len()))
}

#[test]
fn decryptor_follows_the_proved_model() {
    let mut rng = Rng::new(0x5354_5245_414d);
    let mut calls = 0;
    let mut seen = BTreeSet::new();
    for case in 0..1500 {
        let mut machine = Decryptor::<A>::new(&KEY, CONTEXT, &prefix()).unwrap();
        let mut model = DState { next: 0, dstage: Stage::Open, dreleased: 0, dout: Ok(()) };
        let mut released = Vec::new();
        for step in 0..rng.range(1, 10) {
            let mut bytes = piece(&mut rng, model.next as u64);
            let ok = authentic(&bytes, model.next as u64);
            let len = bytes.len() as u128;
            let is_final = rng.below(4) == 0;
            let got = if is_final { machine.open_final(&mut bytes) } else { machine.open_chunk(&mut bytes) };
            let got = got.map(|p| released.extend_from_slice(p));
            model = if is_final { open_final(model, len, ok) } else { open_chunk(model, len, ok) };
            let at = format!("case {case}, call {step} ({})", if is_final { "open_final" } else { "open_chunk" });
            assert_eq!(got, model.dout, "{at}: outcome");
            assert_eq!(released.len() as u128, model.dreleased, "{at}: plaintext released");
            assert!(released_is_the_chunks_plaintext(&released), "{at}: released is not the verified chunks");
            assert_eq!(u128::from(machine.chunks_verified()), model.next, "{at}: chunks verified");
            assert_eq!(machine.is_done(), model.dstage == Stage::Done, "{at}: done");
            seen.insert(outcome(model.dout));
            calls += 1;
        }
    }
    println!("Decryptor: {calls} calls agreed with the model; outcomes {seen:?}");
    for want in ["Ok", "Chunk", "ChunkLength", "Truncated", "TrailingData"] {
        assert!(seen.contains(want), "no call ended in {want}");
    }
}

#[test]
fn stream_opener_follows_the_proved_model() {
    let mut rng = Rng::new(0x4f50_454e_4552);
    let mut calls = 0;
    let mut seen = BTreeSet::new();
    for case in 0..1500 {
        // The input: a prefix (usually right), chunks, then the calls. The
        // oracle reads the bytes the calls will feed, junk past the end
        // included.
        let mut tape = prefix().to_vec();
        match rng.below(10) {
            0 => tape[rng.below(PREFIX_SIZE as u64) as usize] ^= 1,
            1 => tape.truncate(rng.below(PREFIX_SIZE as u64) as usize),
            _ => {}
        }
        let full = rng.below(4);
        for k in 0..full {
            tape.extend_from_slice(&if rng.below(4) == 0 { piece(&mut rng, k) } else { sealed(k, CHUNK_SIZE) });
        }
        match rng.below(4) {
            0 => tape.extend_from_slice(&piece(&mut rng, full)),
            1 => {}
            _ => tape.extend_from_slice(&sealed(full, rng.below(CHUNK_SIZE as u64) as usize)),
        }
        // The calls: pushes of odd sizes, the rest of the input, and
        // `finish`, in any order; planned ahead so that the oracle can read
        // every byte they will feed (junk past the end of the input).
        let sizes = [1, 7, 56, 100, 16_399, 16_400, 16_401, 40_000];
        let mut planned_at = 0;
        let calls_planned: Vec<Option<usize>> = (0..rng.range(1, 12))
            .map(|_| match rng.below(8) {
                0 | 1 => None,
                2 | 3 => {
                    let n = tape.len().saturating_sub(planned_at).max(1);
                    planned_at += n;
                    Some(n)
                }
                _ => {
                    let n = *rng.pick(&sizes);
                    planned_at += n;
                    Some(n)
                }
            })
            .collect();
        let mut bytes = tape.clone();
        bytes.resize(planned_at.max(tape.len()), 0xa5);
        let oracle = Oracle { bytes: &bytes };

        let mut machine = StreamOpener::<A>::new(&KEY, CONTEXT);
        let mut model = START;
        let mut released = Vec::new();
        let mut at = 0;
        for (step, call) in calls_planned.iter().enumerate() {
            let got = match call {
                Some(n) => {
                    let r = machine.push(&bytes[at..at + n], &mut released);
                    model = push(&oracle, model, *n as u128);
                    // The oracle reads absolute positions: a failed or
                    // finished machine takes in nothing more, and nor does
                    // the model, so later bytes are never asked about.
                    at += n;
                    r
                }
                None => {
                    let r = machine.finish(&mut released);
                    model = finish(&oracle, model);
                    r
                }
            };
            let where_ = format!("case {case}, call {step} ({call:?})");
            assert_eq!(got, model.out, "{where_}: outcome");
            assert_eq!(released.len() as u128, model.released, "{where_}: plaintext released");
            assert!(released_is_the_chunks_plaintext(&released), "{where_}: released is not the verified chunks");
            if model.stage == Stage::Open {
                assert_eq!(u128::from(machine.chunks_verified()), model.snext, "{where_}: chunks verified");
            }
            seen.insert(format!("{} {}", if call.is_some() { "push" } else { "finish" }, outcome(model.out)));
            if model.ended {
                seen.insert("ended".into());
            }
            calls += 1;
        }
    }
    println!("StreamOpener: {calls} calls agreed with the model; outcomes {seen:?}");
    for want in [
        "ended",
        "push Ok",
        "push Commitment",
        "push Chunk",
        "push TrailingData",
        "finish Ok",
        "finish MissingPrefix",
        "finish Truncated",
        "finish Chunk",
        "finish TrailingData",
    ] {
        assert!(seen.contains(want), "no call ended in {want}");
    }
}
