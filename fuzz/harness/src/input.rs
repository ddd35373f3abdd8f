//! What the file-building targets (`open_file`, `stream`) share: the fixed
//! secrets, the structured description of a file the target seals itself,
//! the mutations applied to it, and what an unchanged file must give.
//!
//! Every structured input is a fixed-size part that derives `Arbitrary`
//! (integers little-endian, arrays byte by byte; bytes missing at the end
//! of the input read as zero) followed by a tail taken as it is: raw bytes,
//! or a list of fixed-size [`Mutation`] records. The `encode` functions
//! write exactly that layout; the seeding test uses them to turn chosen
//! inputs into corpus files, and checks that decoding gives the same
//! values back (so a change in `arbitrary` shows up there).

use arbitrary::{Arbitrary, Unstructured};
use ebak_core::aead::DefaultAead as A;
use ebak_core::error::{ErrorClass, OpenError};
use ebak_core::file::{self, Secret};
use ebak_core::header::{OtherSlot, Slot};
use ebak_core::kdf::{KdfLimits, KdfParams};
use ebak_core::slot::PasswordSlot;
use ebak_core::{BackupKey, recovery_key};

/// The fixed 64-digit key the targets seal with. Nothing else knows it, so
/// a file that opens with it was built by a target (or the key was broken).
pub const FUZZ_KEY_TEXT: &str = "e8a1-7c4d-92f0-3b56-d1e4-08a7-6c3f-b915-24de-7a80-c5f1-3e69-0b2d-87c4-f15a-6e03";
/// The fixed password of the slots the targets build.
pub const FUZZ_PASSWORD: &str = "fuzz: correct horse battery staple";
/// The password of a second slot.
pub const OTHER_PASSWORD: &str = "fuzz: other password";
/// A password no built slot has.
pub const WRONG_PASSWORD: &str = "fuzz: wrong password";

/// The reader ceilings inside the targets: far below spec 8's, so that no
/// input, however crafted, makes Argon2id cost more than a few dozen
/// microseconds (the targets must run thousands of times a second).
pub const FUZZ_LIMITS: KdfLimits =
    KdfLimits { max_memory_kib: 32, max_iterations: 2, max_parallelism: 4, max_total_work: 64 };

/// The costs the targets' own slots use: valid, within [`FUZZ_LIMITS`] (two
/// of them together too), and cheap. Argon2id's cost here is mostly the
/// BLAKE2b that fills each lane's first two blocks, so lanes cost more
/// than memory: one or two lanes only.
pub const CHEAP_COSTS: [KdfParams; 8] = [
    KdfParams { memory_kib: 8, iterations: 1, parallelism: 1 },
    KdfParams { memory_kib: 8, iterations: 2, parallelism: 1 },
    KdfParams { memory_kib: 16, iterations: 1, parallelism: 2 },
    KdfParams { memory_kib: 16, iterations: 1, parallelism: 1 },
    KdfParams { memory_kib: 9, iterations: 1, parallelism: 1 },
    KdfParams { memory_kib: 16, iterations: 2, parallelism: 2 },
    KdfParams { memory_kib: 24, iterations: 1, parallelism: 1 },
    KdfParams { memory_kib: 8, iterations: 1, parallelism: 1 },
];

/// The fixed backup key.
#[must_use]
pub fn fuzz_key() -> BackupKey {
    recovery_key::parse(FUZZ_KEY_TEXT).expect("the fixed 64-digit key parses")
}

/// A key that differs from the fixed one in one bit.
#[must_use]
pub fn wrong_key() -> BackupKey {
    let mut bytes = *fuzz_key().expose_secret();
    bytes[31] ^= 1;
    BackupKey::from_bytes(bytes)
}

/// The application contexts a built file may use: empty, two roles, and the
/// longest allowed (1024 bytes).
#[must_use]
pub fn context(index: u8) -> Vec<u8> {
    match index % 4 {
        0 => Vec::new(),
        1 => b"msgstore".to_vec(),
        2 => b"media".to_vec(),
        _ => vec![0xc5; file::MAX_CONTEXT_SIZE],
    }
}

/// A file the target seals itself, with the fixed key.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct FileSpec {
    /// Bit 0: a password slot for [`FUZZ_PASSWORD`]; bit 1: a second one for
    /// [`OTHER_PASSWORD`]; bit 2: a slot of unknown type; bit 3: the unknown
    /// slot comes first.
    pub slots: u8,
    /// Low 3 bits: the first password slot's costs ([`CHEAP_COSTS`]); next 3:
    /// the second's.
    pub costs: u8,
    /// The first password slot's Argon2 salt (the second flips its first bit).
    pub kdf_salt: [u8; 16],
    /// The first password slot's wrap salt (the second reverses it).
    pub wrap_salt: [u8; 24],
    /// The payload salt.
    pub payload_salt: [u8; 24],
    /// The unknown slot's type (0 and 1 become 2, the vault type).
    pub unknown_type: u8,
    /// The unknown slot's body length, modulo 1025.
    pub unknown_len: u16,
    /// The application context ([`context`]).
    pub context: u8,
    /// The plaintext length class (see [`FileSpec::plaintext_len`]).
    pub length: u8,
    /// Fine-tunes the length within its class.
    pub length_extra: u16,
    /// Seeds the plaintext bytes.
    pub fill: u8,
}

/// The bytes of [`FileSpec`] in the order `arbitrary` reads them.
pub const FILE_SPEC_SIZE: usize = 1 + 1 + 16 + 24 + 24 + 1 + 2 + 1 + 1 + 2 + 1;

/// A file a target sealed, with what it needs to know about it.
#[derive(Clone, Debug)]
pub struct Built {
    /// The sealed file.
    pub file: Vec<u8>,
    /// Its plaintext.
    pub plaintext: Vec<u8>,
    /// Where its payload starts.
    pub header_len: usize,
    /// The application context it was sealed with.
    pub context: Vec<u8>,
    /// Whether it has a slot for [`FUZZ_PASSWORD`].
    pub has_password: bool,
    /// Whether it has a slot for [`OTHER_PASSWORD`].
    pub has_other_password: bool,
}

impl FileSpec {
    /// The plaintext length: small lengths, and lengths around one, two and
    /// three 16 KiB chunks (0, 16 KiB - 1, 16 KiB, 16 KiB + 1 among them).
    #[must_use]
    pub fn plaintext_len(&self) -> usize {
        // Big files cost AES time in every execution: half the classes are
        // small, so that the targets stay fast.
        let extra = usize::from(self.length_extra);
        match self.length % 16 {
            0 => 0,
            1..=5 => extra % 64,
            6 | 7 => extra % 1024,
            8 | 9 => 16_383 + extra % 3,
            10 | 11 => extra % 16_385,
            12 | 13 => 32_767 + extra % 3,
            14 => 3 * 16_384 + extra % 700 - 350,
            _ => 16_384 * (1 + extra % 4),
        }
    }

    /// The plaintext: a cheap deterministic pattern.
    #[must_use]
    pub fn plaintext(&self) -> Vec<u8> {
        (0..self.plaintext_len()).map(|i| (i as u8).wrapping_mul(31).wrapping_add(self.fill) ^ (i >> 8) as u8).collect()
    }

    fn slots(&self, key: &BackupKey) -> Vec<Slot> {
        let mut slots = Vec::new();
        if self.slots & 1 != 0 {
            let costs = CHEAP_COSTS[usize::from(self.costs % 8)];
            let slot =
                PasswordSlot::create_without_floor::<A>(key, FUZZ_PASSWORD, costs, self.kdf_salt, self.wrap_salt)
                    .expect("a slot with cheap costs is created");
            slots.push(Slot::Password(slot));
        }
        if self.slots & 2 != 0 {
            let costs = CHEAP_COSTS[usize::from((self.costs >> 3) % 8)];
            let mut kdf_salt = self.kdf_salt;
            kdf_salt[0] ^= 0x80;
            let mut wrap_salt = self.wrap_salt;
            wrap_salt.reverse();
            let slot = PasswordSlot::create_without_floor::<A>(key, OTHER_PASSWORD, costs, kdf_salt, wrap_salt)
                .expect("a slot with cheap costs is created");
            slots.push(Slot::Password(slot));
        }
        if self.slots & 4 != 0 {
            let slot_type = self.unknown_type.max(2);
            let len = usize::from(self.unknown_len) % 1025;
            let body = (0..len).map(|i| (i as u8) ^ self.fill).collect();
            let slot = Slot::Other(OtherSlot::new(slot_type, body).expect("an unknown slot of at most 1024 bytes"));
            if self.slots & 8 != 0 {
                slots.insert(0, slot);
            } else {
                slots.push(slot);
            }
        }
        slots
    }

    /// Seals the file this spec describes, with the fixed key.
    #[must_use]
    pub fn build(&self) -> Built {
        let key = fuzz_key();
        let plaintext = self.plaintext();
        let context = context(self.context);
        let slots = self.slots(&key);
        let file = file::seal::<A>(&key, slots, &context, &self.payload_salt, &plaintext)
            .expect("the target's own file seals");
        let header_len = file::split(&file).expect("the target's own header parses").0.encoded_len();
        Built {
            file,
            plaintext,
            header_len,
            context,
            has_password: self.slots & 1 != 0,
            has_other_password: self.slots & 2 != 0,
        }
    }

    /// Appends the bytes that decode to this spec.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.slots);
        out.push(self.costs);
        out.extend_from_slice(&self.kdf_salt);
        out.extend_from_slice(&self.wrap_salt);
        out.extend_from_slice(&self.payload_salt);
        out.push(self.unknown_type);
        out.extend_from_slice(&self.unknown_len.to_le_bytes());
        out.push(self.context);
        out.push(self.length);
        out.extend_from_slice(&self.length_extra.to_le_bytes());
        out.push(self.fill);
    }
}

/// One change to a built file.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mutation {
    /// Low 3 bits: the operation; next 2 bits: the region `at` points into
    /// (anywhere, the header, the payload's salt and commitment, the last
    /// 64 bytes).
    pub op: u8,
    /// The position, modulo the region's length (a chunk index for the
    /// chunk operations).
    pub at: u32,
    /// The operation's argument.
    pub value: u8,
}

/// The bytes of one [`Mutation`].
pub const MUTATION_SIZE: usize = 6;

/// Decodes the mutations that fill the rest of an input, [`MUTATION_SIZE`]
/// bytes each (a short last one is zero-filled), at most `max` of them.
#[must_use]
pub fn decode_mutations(mut u: Unstructured<'_>, max: usize) -> Vec<Mutation> {
    let mut out = Vec::new();
    while !u.is_empty() && out.len() < max {
        match Mutation::arbitrary(&mut u) {
            Ok(m) => out.push(m),
            Err(_) => break,
        }
    }
    out
}

/// Appends the bytes that [`decode_mutations`] reads back as `mutations`.
pub fn encode_mutations(mutations: &[Mutation], out: &mut Vec<u8>) {
    for m in mutations {
        m.encode(out);
    }
}

impl Mutation {
    /// Appends the bytes that decode to this mutation.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.op);
        out.extend_from_slice(&self.at.to_le_bytes());
        out.push(self.value);
    }

    /// The position this mutation points at in a file of `len` bytes whose
    /// payload starts at `header_len` (`None` for an empty file).
    fn position(&self, len: usize, header_len: usize) -> Option<usize> {
        let at = self.at as usize;
        let pos = match (self.op >> 3) % 4 {
            0 => at % len.max(1),
            1 => at % header_len.max(1),
            2 => header_len + at % 56,
            _ => len.saturating_sub(1 + at % 64),
        };
        (pos < len).then_some(pos)
    }

    /// Applies this mutation to `file`, whose payload starts at `header_len`.
    pub fn apply(&self, file: &mut Vec<u8>, header_len: usize) {
        const CHUNK: usize = ebak_core::chunk::ENCRYPTED_CHUNK_SIZE;
        let chunks_start = header_len + 56;
        // The encrypted chunks as they lie in the file now.
        let chunk_range = |file: &Vec<u8>, k: usize| {
            let start = (chunks_start + k * CHUNK).min(file.len());
            start..(start + CHUNK).min(file.len())
        };
        let chunk_count = file.len().saturating_sub(chunks_start).div_ceil(CHUNK).max(1);
        match self.op % 8 {
            0 => {
                if let Some(p) = self.position(file.len(), header_len) {
                    file[p] ^= 1 << (self.value % 8);
                }
            }
            1 => {
                if let Some(p) = self.position(file.len(), header_len) {
                    file[p] = self.value;
                }
            }
            2 => {
                let cut = self.position(file.len(), header_len).unwrap_or(0);
                file.truncate(cut);
            }
            3 => file.extend_from_slice(&[self.value; 32][..1 + usize::from(self.value) % 32]),
            4 => {
                let p = self.position(file.len(), header_len).unwrap_or(0);
                file.insert(p, self.value);
            }
            5 => {
                if let Some(p) = self.position(file.len(), header_len) {
                    file.remove(p);
                }
            }
            6 => {
                // Swap two chunks (the same one: no change).
                let (i, j) = (self.at as usize % chunk_count, usize::from(self.value) % chunk_count);
                let (a, b) = (chunk_range(file, i.min(j)), chunk_range(file, i.max(j)));
                if a != b && a.end <= b.start {
                    let (x, y) = (file[a.clone()].to_vec(), file[b.clone()].to_vec());
                    let mut out = file[..a.start].to_vec();
                    out.extend_from_slice(&y);
                    out.extend_from_slice(&file[a.end..b.start]);
                    out.extend_from_slice(&x);
                    out.extend_from_slice(&file[b.end..]);
                    *file = out;
                }
            }
            _ => {
                // Duplicate a chunk in place.
                // (Copies by slices: `splice` moves byte by byte, which the
                // coverage instrumentation makes slow.)
                let r = chunk_range(file, self.at as usize % chunk_count);
                let mut out = Vec::with_capacity(file.len() + r.len());
                out.extend_from_slice(&file[..r.end]);
                out.extend_from_slice(&file[r.clone()]);
                out.extend_from_slice(&file[r.end..]);
                *file = out;
            }
        }
    }
}

/// Which secret and context a target opens a file with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opener {
    /// The fixed key.
    Key,
    /// The fixed password.
    Password,
    /// A key one bit away from the fixed one.
    WrongKey,
    /// The second slot's password.
    OtherPassword,
    /// A password no slot has.
    WrongPassword,
}

/// Decodes the `open` byte of an input: bits 0 to 2 the secret, bit 3 a
/// context other than the one the file was sealed with.
#[must_use]
pub const fn opener(open: u8) -> (Opener, bool) {
    let secret = match open & 7 {
        0 | 5 => Opener::Key,
        1 | 6 => Opener::Password,
        2 => Opener::WrongKey,
        3 => Opener::OtherPassword,
        _ => Opener::WrongPassword,
    };
    (secret, open & 8 != 0)
}

/// Opens `file` with one of the secrets, under [`FUZZ_LIMITS`].
pub fn open_with(file: &[u8], secret: Opener, context: &[u8]) -> Result<Vec<u8>, OpenError> {
    let key = fuzz_key();
    let wrong = wrong_key();
    let secret = match secret {
        Opener::Key => Secret::key(&key),
        Opener::Password => Secret::password(FUZZ_PASSWORD),
        Opener::WrongKey => Secret::key(&wrong),
        Opener::OtherPassword => Secret::password(OTHER_PASSWORD),
        Opener::WrongPassword => Secret::password(WRONG_PASSWORD),
    };
    file::open::<A>(file, &secret, context, &FUZZ_LIMITS)
}

/// What opening an unchanged built file must give (spec 6 and 9): the
/// plaintext, or the class that must reject it.
pub fn expected_unchanged(built: &Built, secret: Opener, other_context: bool) -> Result<(), ErrorClass> {
    match secret {
        Opener::WrongKey => Err(ErrorClass::HeaderMac),
        Opener::WrongPassword => Err(ErrorClass::NoSlotOpens),
        Opener::Password if !built.has_password => Err(ErrorClass::NoSlotOpens),
        Opener::OtherPassword if !built.has_other_password => Err(ErrorClass::NoSlotOpens),
        Opener::Key | Opener::Password | Opener::OtherPassword if other_context => Err(ErrorClass::Commitment),
        Opener::Key | Opener::Password | Opener::OtherPassword => Ok(()),
    }
}

/// Checks a verdict on an unchanged built file against
/// [`expected_unchanged`]: the exact plaintext, or the right class.
pub fn check_unchanged(built: &Built, secret: Opener, other_context: bool, got: &Result<Vec<u8>, OpenError>) {
    match (expected_unchanged(built, secret, other_context), got) {
        (Ok(()), Ok(plaintext)) => assert!(plaintext == &built.plaintext, "opened to a different plaintext"),
        (Err(class), Err(e)) => assert_eq!(e.class(), class, "unchanged file, {secret:?}: wrong class ({e})"),
        (want, got) => panic!(
            "unchanged file, {secret:?}, other context {other_context}: expected {want:?}, got {:?}",
            got.as_ref().map(Vec::len)
        ),
    }
}
