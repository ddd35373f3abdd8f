//! Shared by the property tests: the case count, strategies, sealed files,
//! a model of which error class rejects a changed file, and a streaming
//! reader of whole files.
#![allow(dead_code, reason = "each test binary uses a different subset")]
#![allow(
    clippy::arithmetic_side_effects,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers: bad test data is a test failure"
)]

use ebak_core::BackupKey;
use ebak_core::aead::DefaultAead as A;
use ebak_core::cobblestone::StreamOpener;
use ebak_core::error::{ErrorClass, OpenError};
use ebak_core::file::{self, Secret};
use ebak_core::header::{Header, HeaderError, MAX_HEADER_SIZE, OtherSlot, Slot};
use ebak_core::kdf::{KdfLimits, KdfParams};
use ebak_core::slot::PasswordSlot;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// The proptest configuration: `default_cases` cases, or `PROPTEST_CASES`
/// when it is set (for long runs: `PROPTEST_CASES=10000 cargo test -p
/// ebak-core --release --test prop_files`).
pub fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default_cases);
    Config { cases, ..Config::default() }
}

/// Cheap Argon2id costs (below the writing floor; readers accept them).
pub const CHEAP: KdfParams = KdfParams { memory_kib: 8, iterations: 1, parallelism: 1 };

/// Reader ceilings low enough that a changed cost never makes a test slow:
/// a tampered m, t or p either stays cheap or is refused before Argon2id.
pub const LIMITS: KdfLimits =
    KdfLimits { max_memory_kib: 64, max_iterations: 3, max_parallelism: 4, max_total_work: 256 };

/// Plaintext lengths: the chunk boundaries (0, 16 KiB - 1, 16 KiB,
/// 16 KiB + 1), small lengths, and two to four chunks give or take a byte.
pub fn length() -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0),
        Just(16_383),
        Just(16_384),
        Just(16_385),
        0..200usize,
        (2..=4usize, 0..3usize).prop_map(|(k, d)| k * 16_384 + d - 1),
    ]
}

/// Application contexts: empty, short, or the longest allowed.
pub fn context() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 0..24),
        1 => Just(vec![0x42; file::MAX_CONTEXT_SIZE]),
    ]
}

/// What a test seals.
#[derive(Clone, Debug)]
pub struct Plan {
    pub key: [u8; 32],
    /// One password slot per password, in order.
    pub passwords: Vec<String>,
    /// A slot of unknown type (type, body), placed first or last.
    pub unknown: Option<(u8, Vec<u8>, bool)>,
    pub context: Vec<u8>,
    pub payload_salt: [u8; 24],
    pub salts: [[u8; 16]; 2],
    pub plaintext: Vec<u8>,
}

/// Plans with zero, one or two password slots, maybe an unknown slot.
pub fn plan(passwords: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Plan> {
    (
        any::<[u8; 32]>(),
        proptest::collection::vec("[a-zA-Z0-9 é]{1,12}", passwords),
        proptest::option::weighted(0.3, (2..=255u8, proptest::collection::vec(any::<u8>(), 0..40), any::<bool>())),
        context(),
        any::<[u8; 24]>(),
        any::<[[u8; 16]; 2]>(),
        length(),
        any::<u8>(),
    )
        .prop_map(|(key, mut passwords, unknown, context, payload_salt, mut salts, len, fill)| {
            passwords.dedup();
            salts[1][0] = !salts[0][0]; // two password slots never share a salt
            let plaintext = (0..len).map(|i| (i as u8).wrapping_mul(13) ^ fill ^ (i >> 9) as u8).collect();
            Plan { key, passwords, unknown, context, payload_salt, salts, plaintext }
        })
}

/// A sealed file and what the writer knows about it.
#[derive(Clone, Debug)]
pub struct Sealed {
    pub plan: Plan,
    pub file: Vec<u8>,
    pub header_len: usize,
    /// The password slots' bodies, with the password of each.
    pub password_bodies: Vec<(String, Vec<u8>)>,
}

impl Plan {
    pub fn backup_key(&self) -> BackupKey {
        BackupKey::from_bytes(self.key)
    }

    pub fn seal(&self) -> Sealed {
        let key = self.backup_key();
        let mut slots = Vec::new();
        let mut password_bodies = Vec::new();
        for (i, password) in self.passwords.iter().enumerate() {
            let wrap_salt = [i as u8 ^ self.key[0]; 24];
            let slot =
                PasswordSlot::create_without_floor::<A>(&key, password, CHEAP, self.salts[i], wrap_salt).unwrap();
            password_bodies.push((password.clone(), Slot::Password(slot.clone()).to_bytes()[3..].to_vec()));
            slots.push(Slot::Password(slot));
        }
        if let Some((t, body, first)) = &self.unknown {
            let slot = Slot::Other(OtherSlot::new(*t, body.clone()).unwrap());
            if *first { slots.insert(0, slot) } else { slots.push(slot) }
        }
        let file = file::seal::<A>(&key, slots, &self.context, &self.payload_salt, &self.plaintext).unwrap();
        let header_len = file::split(&file).unwrap().0.encoded_len();
        Sealed { plan: self.clone(), file, header_len, password_bodies }
    }
}

/// The secrets a test opens with.
#[derive(Clone, Debug)]
pub enum Try {
    Key,
    Password(String),
}

impl Sealed {
    pub fn open(&self, file: &[u8], secret: &Try) -> Result<Vec<u8>, OpenError> {
        let key = self.plan.backup_key();
        let secret = match secret {
            Try::Key => Secret::key(&key),
            Try::Password(p) => Secret::password(p),
        };
        file::open::<A>(file, &secret, &self.plan.context, &LIMITS)
    }

    /// The secrets that open this file.
    pub fn secrets(&self) -> Vec<Try> {
        let mut out = vec![Try::Key];
        out.extend(self.plan.passwords.iter().cloned().map(Try::Password));
        out
    }

    /// Which class must reject `changed` (a changed copy of this file)
    /// when opened with `secret` and the right context, or `None` if it
    /// must open. The model of spec 6 and 9: it parses the header by the
    /// rules of step 1 and compares bytes with what the writer made, where
    /// the reader compares MACs, commitments and tags (which cannot match
    /// changed bytes, short of breaking HMAC, HKDF or AES-GCM).
    pub fn expected(&self, changed: &[u8], secret: &Try) -> Option<ErrorClass> {
        let Some((slots, header_len)) = model_parse_header(changed) else { return Some(ErrorClass::HeaderParse) };
        let header_same = changed[..header_len] == self.file[..self.header_len];
        match secret {
            Try::Key => {}
            Try::Password(password) => {
                let costs: Vec<KdfParams> = slots.iter().filter(|(t, _)| *t == 1).map(|(_, b)| params(b)).collect();
                if model_over_limits(&costs) {
                    return Some(ErrorClass::KdfLimits);
                }
                let mine: Vec<&Vec<u8>> =
                    self.password_bodies.iter().filter(|(p, _)| p == password).map(|(_, b)| b).collect();
                let mut opened = false;
                for (_, body) in slots.iter().filter(|(t, _)| *t == 1) {
                    if mine.contains(&body) {
                        opened = true;
                        break;
                    }
                    // Same KEK inputs, wrap salt and commitment: the
                    // commitment matches, the tag does not (spec 6 step 2.3).
                    if mine.iter().any(|m| m[..84] == body[..84]) {
                        return Some(ErrorClass::HeaderMac);
                    }
                }
                if !opened {
                    return Some(ErrorClass::NoSlotOpens);
                }
            }
        }
        if !header_same {
            return Some(ErrorClass::HeaderMac);
        }
        let payload = &changed[header_len..];
        let original = &self.file[self.header_len..];
        if payload == original {
            None
        } else if payload.len() < 56 {
            Some(ErrorClass::Payload)
        } else if payload[..56] != original[..56] {
            Some(ErrorClass::Commitment)
        } else {
            Some(ErrorClass::Payload)
        }
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b[..4].try_into().unwrap())
}

/// A password slot body's costs.
fn params(body: &[u8]) -> KdfParams {
    KdfParams { memory_kib: be32(&body[16..]), iterations: be32(&body[20..]), parallelism: be32(&body[24..]) }
}

/// Spec 8 with [`LIMITS`]: any slot over a ceiling, or all over the budget.
fn model_over_limits(costs: &[KdfParams]) -> bool {
    let l = LIMITS;
    let total: u64 = costs.iter().map(|p| u64::from(p.memory_kib) * u64::from(p.iterations)).sum();
    costs.iter().any(|p| {
        p.memory_kib > l.max_memory_kib || p.iterations > l.max_iterations || p.parallelism > l.max_parallelism
    }) || total > l.max_total_work
}

/// A slot as the model sees it: its type and body.
pub type ModelSlot = (u8, Vec<u8>);

/// Spec 6 step 1, from the spec's words: the slots and the header length,
/// or `None` if the header is malformed or truncated.
pub fn model_parse_header(bytes: &[u8]) -> Option<(Vec<ModelSlot>, usize)> {
    const MAGIC: [u8; 9] = [0x89, b'e', b'b', b'a', b'k', 0x0d, 0x0a, 0x1a, 0x0a];
    if bytes.get(..9)? != MAGIC || *bytes.get(9)? != 1 || *bytes.get(10)? > 8 {
        return None;
    }
    let mut at = 11;
    let mut slots: Vec<ModelSlot> = Vec::new();
    for _ in 0..bytes[10] {
        let t = *bytes.get(at)?;
        let len = usize::from(u16::from_be_bytes(bytes.get(at + 1..at + 3)?.try_into().unwrap()));
        if t == 0 || (t == 1 && len != 132) || len > 1024 {
            return None;
        }
        let body = bytes.get(at + 3..at + 3 + len)?.to_vec();
        if t == 1 {
            let p = params(&body);
            let valid = p.iterations >= 1
                && p.parallelism >= 1
                && p.parallelism < 1 << 24
                && u64::from(p.memory_kib) >= 8 * u64::from(p.parallelism);
            if !valid {
                return None;
            }
        }
        slots.push((t, body));
        at += 3 + len;
    }
    for (i, a) in slots.iter().enumerate() {
        for b in &slots[i + 1..] {
            if a == b || (a.0 == 1 && b.0 == 1 && a.1[..16] == b.1[..16]) {
                return None;
            }
        }
    }
    bytes.get(at..at + 32)?;
    Some((slots, at + 32))
}

/// One change to a file: the kinds the tamper properties draw.
#[derive(Clone, Debug)]
pub enum Tamper {
    /// Flip bit `bit` of byte `at` (an index into the file).
    Flip { at: prop::sample::Index, bit: u8 },
    /// Keep the first `at` bytes.
    Truncate { at: prop::sample::Index },
    /// Append bytes.
    Extend { bytes: Vec<u8> },
    /// Swap chunks `a` and `b` of the payload.
    SwapChunks { a: prop::sample::Index, b: prop::sample::Index },
    /// Insert a copy of chunk `a` after it.
    DuplicateChunk { a: prop::sample::Index },
    /// Remove chunk `a`.
    DropChunk { a: prop::sample::Index },
}

pub fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        6 => (any::<prop::sample::Index>(), 0..8u8).prop_map(|(at, bit)| Tamper::Flip { at, bit }),
        2 => any::<prop::sample::Index>().prop_map(|at| Tamper::Truncate { at }),
        1 => proptest::collection::vec(any::<u8>(), 1..40).prop_map(|bytes| Tamper::Extend { bytes }),
        1 => (any::<prop::sample::Index>(), any::<prop::sample::Index>()).prop_map(|(a, b)| Tamper::SwapChunks { a, b }),
        1 => any::<prop::sample::Index>().prop_map(|a| Tamper::DuplicateChunk { a }),
        1 => any::<prop::sample::Index>().prop_map(|a| Tamper::DropChunk { a }),
    ]
}

/// Where the bits a flip lands in are drawn from: the whole file is mostly
/// chunk bytes, so half the flips go to the header and the payload prefix.
pub fn flip_position(sealed: &Sealed, at: &prop::sample::Index) -> usize {
    let n = at.index(usize::MAX);
    let prefix_end = sealed.header_len + 56;
    match n % 4 {
        0 => n / 4 % sealed.header_len,
        1 => n / 4 % prefix_end,
        _ => n / 4 % sealed.file.len(),
    }
}

impl Sealed {
    /// The payload's encrypted chunks, as byte ranges of the file.
    pub fn chunks(&self) -> Vec<std::ops::Range<usize>> {
        let start = self.header_len + 56;
        let mut out = Vec::new();
        let mut at = start;
        while at < self.file.len() {
            let end = (at + 16_400).min(self.file.len());
            out.push(at..end);
            at = end;
        }
        out
    }

    /// `self.file` with `tamper` applied.
    pub fn apply(&self, tamper: &Tamper) -> Vec<u8> {
        let f = &self.file;
        let chunks = self.chunks();
        let join = |order: &[std::ops::Range<usize>]| {
            let mut out = f[..self.header_len + 56].to_vec();
            for r in order {
                out.extend_from_slice(&f[r.clone()]);
            }
            out
        };
        match tamper {
            Tamper::Flip { at, bit } => {
                let mut out = f.clone();
                out[flip_position(self, at)] ^= 1 << bit;
                out
            }
            Tamper::Truncate { at } => f[..at.index(f.len())].to_vec(),
            Tamper::Extend { bytes } => [&f[..], bytes].concat(),
            Tamper::SwapChunks { a, b } => {
                let mut order = chunks.clone();
                order.swap(a.index(chunks.len()), b.index(chunks.len()));
                join(&order)
            }
            Tamper::DuplicateChunk { a } => {
                let mut order = chunks.clone();
                let i = a.index(chunks.len());
                order.insert(i, chunks[i].clone());
                join(&order)
            }
            Tamper::DropChunk { a } => {
                let mut order = chunks.clone();
                order.remove(a.index(chunks.len()));
                join(&order)
            }
        }
    }
}

/// What a streaming reader released, and its verdict.
pub struct Streamed {
    pub released: Vec<u8>,
    pub verdict: Result<(), OpenError>,
}

/// Opens `file` as a streaming reader does, fed pieces of the given sizes
/// in turn: collect the header (at most [`MAX_HEADER_SIZE`] bytes), unlock
/// it, then push the payload through a [`StreamOpener`]. After every piece
/// it checks spec 6.1: exactly the verified chunks have been released, 16
/// KiB each. After a failure it checks that the reader keeps failing.
pub fn stream_open(file: &[u8], secret: &Secret, context: &[u8], pieces: &[usize]) -> Streamed {
    let mut released = Vec::new();
    let mut header_bytes: Vec<u8> = Vec::new();
    let mut opener: Option<StreamOpener<A>> = None;
    let mut rest = file;
    let mut turn = 0;
    let verdict = loop {
        if rest.is_empty() {
            break match &mut opener {
                Some(o) => o.finish(&mut released).map_err(OpenError::from),
                None => Err(Header::parse_prefix(&header_bytes).err().unwrap_or(HeaderError::Truncated).into()),
            };
        }
        let n = pieces[turn % pieces.len()].clamp(1, rest.len());
        turn += 1;
        let (piece, later) = rest.split_at(n);
        rest = later;
        let step = match &mut opener {
            Some(o) => o.push(piece, &mut released).map_err(OpenError::from),
            None => {
                header_bytes.extend_from_slice(piece);
                match Header::parse_prefix(&header_bytes) {
                    Err(HeaderError::Truncated) => {
                        assert!(header_bytes.len() < MAX_HEADER_SIZE, "still truncated after MAX_HEADER_SIZE bytes");
                        Ok(())
                    }
                    Err(e) => Err(e.into()),
                    Ok((header, len)) => file::unlock::<A>(&header, secret, &LIMITS)
                        .and_then(|u| u.stream_opener::<A>(context))
                        .and_then(|mut o| {
                            let r = o.push(&header_bytes[len..], &mut released).map_err(OpenError::from);
                            opener = Some(o);
                            r
                        }),
                }
            }
        };
        if let Err(e) = step {
            break Err(e);
        }
        if let Some(o) = &opener {
            assert_eq!(released.len() as u64, o.chunks_verified() * 16_384, "released past the verified chunks");
        }
    };
    if let (Err(e), Some(o)) = (&verdict, &mut opener) {
        let before = released.len();
        assert_eq!(o.push(b"more", &mut released).map_err(OpenError::from), Err(*e), "did not keep failing");
        assert_eq!(o.finish(&mut released).map_err(OpenError::from), Err(*e), "did not keep failing");
        assert_eq!(released.len(), before, "released more after failing");
    }
    Streamed { released, verdict }
}
