//! Rules that mutation testing (`proofs/mutants.sh`) found no test defending.
//! Each test names the rule; a change to the code that breaks it fails here.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    reason = "test code: a failed expectation is a test failure"
)]

use ebak_core::aead::{AeadError, DefaultAead as A, RustCryptoAes256Gcm};
use ebak_core::chunk::{ENCRYPTED_CHUNK_SIZE, LayoutError, TAG_SIZE};
use ebak_core::cobblestone::{self, ChunkCipher, ChunkError, Encryptor, PayloadError, SealError};
use ebak_core::error::{ContextTooLong, OpenError};
use ebak_core::error::{ErrorClass, HeaderError};
use ebak_core::file;
use ebak_core::header::{Header, MAX_HEADER_SIZE, MAX_SLOT_BODY_SIZE, MAX_SLOTS, MIN_HEADER_SIZE, OtherSlot, Slot};
use ebak_core::kdf::{KdfError, KdfFloorError, KdfLimitError, KdfParams};
use ebak_core::recovery_key::RecoveryKeyError;
use ebak_core::secret::RngError;
use ebak_core::slot::PasswordSlot;
use ebak_core::slot::password::{SlotError, SlotUnwrapError};
use ebak_core::{Aead, BackupKey};
use rand_core::{TryCryptoRng, TryRng};
use std::collections::BTreeSet;
use std::convert::Infallible;

/// A generator that hands out 1, 2, 3, ... (so that what it produced can
/// be recognised in the output).
struct Counting(u8);

impl TryRng for Counting {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for b in dst {
            self.0 = self.0.wrapping_add(1);
            *b = self.0;
        }
        Ok(())
    }
}

impl TryCryptoRng for Counting {}

/// A generator that always fails.
struct Broken;

impl TryRng for Broken {
    type Error = RngError;

    fn try_next_u32(&mut self) -> Result<u32, RngError> {
        Err(RngError)
    }

    fn try_next_u64(&mut self) -> Result<u64, RngError> {
        Err(RngError)
    }

    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), RngError> {
        Err(RngError)
    }
}

impl TryCryptoRng for Broken {}

fn counted(from: u8, n: usize) -> Vec<u8> {
    (1..=n).map(|i| from.wrapping_add(i as u8)).collect()
}

/// Spec 3 and 7.1: the backup key and every salt are the CSPRNG's bytes,
/// fresh each time (not zeros, not a constant, not reused).
#[test]
fn keys_and_salts_are_the_rngs_bytes() {
    let mut rng = Counting(0);
    let a = BackupKey::generate(&mut rng).unwrap();
    let b = BackupKey::generate(&mut rng).unwrap();
    assert_eq!(a.expose_secret()[..], counted(0, 32)[..]);
    assert_eq!(b.expose_secret()[..], counted(32, 32)[..]);
    assert_ne!(a, b, "two fresh keys are equal");

    // A password slot: the Argon2id salt (16 bytes), then the wrap salt
    // (the first 24 bytes of the wrapped key). At the writing floor: the
    // one Argon2id run of these tests.
    let floor = KdfParams { memory_kib: 65_536, iterations: 3, parallelism: 1 };
    let slot = PasswordSlot::create_with_rng::<A, _>(&a, "pw", floor, &mut Counting(100)).unwrap();
    assert_eq!(slot.kdf_salt()[..], counted(100, 16)[..]);
    assert_eq!(slot.wrapped_key()[..24], counted(116, 24)[..]);

    // A file: the payload salt comes right after the header.
    let mut rng = Counting(200);
    let f = file::seal_with_rng::<A, _>(&a, Vec::new(), b"", b"data", &mut rng).unwrap();
    assert_eq!(f[MIN_HEADER_SIZE..MIN_HEADER_SIZE + 24], counted(200, 24)[..]);
    let g = file::seal_with_rng::<A, _>(&a, Vec::new(), b"", b"data", &mut rng).unwrap();
    assert_ne!(f[MIN_HEADER_SIZE..MIN_HEADER_SIZE + 24], g[MIN_HEADER_SIZE..MIN_HEADER_SIZE + 24]);
}

/// A failing RNG is an error, never a key or salt made of something else.
#[test]
fn an_rng_failure_is_an_error() {
    assert_eq!(BackupKey::generate(&mut Broken).unwrap_err(), RngError);
    let key = BackupKey::from_bytes([1; 32]);
    assert_eq!(
        PasswordSlot::create_with_rng::<A, _>(&key, "pw", KdfParams::DEFAULT, &mut Broken).unwrap_err(),
        SlotError::Rng(RngError)
    );
    assert_eq!(
        file::seal_with_rng::<A, _>(&key, Vec::new(), b"", b"data", &mut Broken).unwrap_err(),
        file::SealError::Rng(RngError)
    );
}

/// Backup keys compare by value: a key differing in any one bit is another
/// key (the comparison is constant-time, not constant).
#[test]
fn backup_keys_compare_by_value() {
    let base = [0x5c; 32];
    assert_eq!(BackupKey::from_bytes(base), BackupKey::from_bytes(base));
    for i in 0..32 {
        for bit in [0, 7] {
            let mut other = base;
            other[i] ^= 1 << bit;
            assert_ne!(BackupKey::from_bytes(base), BackupKey::from_bytes(other), "byte {i} bit {bit}");
        }
    }
}

/// Cobblestone: "the final chunk ... MUST be shorter than 16 KiB": a writer
/// refuses a full-size final chunk (the reader would see it as a full chunk
/// and the message as truncated), and one shorter than a tag.
#[test]
fn a_writer_refuses_a_final_chunk_that_is_not_short() {
    for len in [ENCRYPTED_CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE + 1, TAG_SIZE - 1, 0] {
        let (mut e, _) = Encryptor::<A>::new(&[3; 32], &[4; 24], b"");
        assert_eq!(e.seal_final(&mut vec![0; len]), Err(SealError::ChunkLength), "{len} bytes");
        assert!(!e.is_finished());
    }
    for len in [TAG_SIZE, ENCRYPTED_CHUNK_SIZE - 1] {
        let (mut e, _) = Encryptor::<A>::new(&[3; 32], &[4; 24], b"");
        assert_eq!(e.seal_final(&mut vec![0; len]), Ok(()), "{len} bytes");
        assert!(e.is_finished());
        assert_eq!(e.seal_final(&mut vec![0; len]), Err(SealError::Finished));
    }
}

/// Spec 8: the longest header is eight slots of 1024-byte bodies, 8 259
/// bytes, and the reader's bound is exactly that.
#[test]
fn the_longest_header_is_max_header_size() {
    assert_eq!(MAX_HEADER_SIZE, 8_259);
    let slots: Vec<Slot> = (0..MAX_SLOTS)
        .map(|i| Slot::Other(OtherSlot::new(2 + i as u8, vec![i as u8; MAX_SLOT_BODY_SIZE]).unwrap()))
        .collect();
    let header = Header::new(&BackupKey::from_bytes([9; 32]), slots).unwrap();
    assert_eq!(header.encoded_len(), MAX_HEADER_SIZE);
    let bytes = header.to_bytes();
    assert_eq!(Header::parse_prefix(&bytes).unwrap().1, MAX_HEADER_SIZE);
}

/// Every failure has a message of its own (STYLE rule 4: the CLI prints
/// them): not empty, and different from the other errors of its type.
#[test]
fn every_error_has_a_message_of_its_own() {
    fn all<T: ToString>(errors: &[T]) -> Vec<String> {
        errors.iter().map(ToString::to_string).collect()
    }
    let by_type: Vec<Vec<String>> = vec![
        all(&[AeadError]),
        all(&[RngError]),
        all(&[LayoutError::MissingPrefix, LayoutError::Truncated, LayoutError::TooManyChunks]),
        all(&[SealError::TooManyChunks, SealError::ChunkLength, SealError::Finished]),
        all(&[
            PayloadError::MissingPrefix,
            PayloadError::Commitment,
            PayloadError::Chunk { index: 7 },
            PayloadError::Truncated { chunks: 7 },
            PayloadError::TooManyChunks,
            PayloadError::TrailingData,
            PayloadError::ChunkLength,
        ]),
        all(&[ChunkError::IndexOutOfRange, ChunkError::Length, ChunkError::Authentication]),
        all(&[
            HeaderError::Truncated,
            HeaderError::BadMagic,
            HeaderError::UnsupportedVersion(2),
            HeaderError::TooManySlots(9),
            HeaderError::ReservedSlotType,
            HeaderError::SlotLength { slot_type: 1 },
            HeaderError::InvalidKdfParams,
            HeaderError::DuplicateSlot,
            HeaderError::TrailingData,
        ]),
        all(&[
            KdfFloorError::Memory { memory_kib: 8, floor_kib: 65_536 },
            KdfFloorError::Iterations { iterations: 1, floor: 3 },
        ]),
        all(&[
            KdfLimitError::Memory { memory_kib: 9, ceiling_kib: 8 },
            KdfLimitError::Iterations { iterations: 9, ceiling: 8 },
            KdfLimitError::Parallelism { parallelism: 9, ceiling: 8 },
            KdfLimitError::TotalWork { work: 9, ceiling: 8 },
        ]),
        all(&[KdfError::InvalidParams, KdfError::OutOfMemory, KdfError::PasswordTooLong]),
        all(&[
            SlotError::EmptyPassword,
            SlotError::InvalidParams,
            SlotError::BelowFloor(KdfFloorError::Iterations { iterations: 1, floor: 3 }),
            SlotError::OverCeiling(KdfLimitError::Iterations { iterations: 99, ceiling: 16 }),
            SlotError::Kdf(KdfError::OutOfMemory),
            SlotError::Rng(RngError),
        ]),
        all(&[
            SlotUnwrapError::Limits(KdfLimitError::Iterations { iterations: 99, ceiling: 16 }),
            SlotUnwrapError::Kdf(KdfError::OutOfMemory),
        ]),
        all(&[ContextTooLong]),
        all(&[
            file::SealError::Header(HeaderError::DuplicateSlot),
            file::SealError::ContextTooLong,
            file::SealError::Rng(RngError),
        ]),
        all(&[
            OpenError::Header(HeaderError::BadMagic),
            OpenError::NoSlotOpens,
            OpenError::HeaderMac,
            OpenError::Payload(PayloadError::Commitment),
            OpenError::ContextTooLong,
        ]),
        all(&[
            RecoveryKeyError::InvalidCharacter { character: 'x', position: 3 },
            RecoveryKeyError::TooShort { missing: 2 },
            RecoveryKeyError::TooLong { extra: 2 },
        ]),
        all(&CLASSES),
    ];
    for messages in &by_type {
        for m in messages {
            assert!(m.len() >= 4, "{m:?} is not a message");
        }
        let distinct: BTreeSet<&String> = messages.iter().collect();
        assert_eq!(distinct.len(), messages.len(), "two errors share a message: {messages:?}");
    }
    // The numbers in an error are in its message.
    assert!(PayloadError::Chunk { index: 7 }.to_string().contains('7'));
    assert!(HeaderError::TooManySlots(9).to_string().contains('9'));
    assert!(KdfLimitError::Memory { memory_kib: 12_345, ceiling_kib: 8 }.to_string().contains("12345"));
}

const CLASSES: [ErrorClass; 7] = [
    ErrorClass::HeaderParse,
    ErrorClass::KdfLimits,
    ErrorClass::NoSlotOpens,
    ErrorClass::HeaderMac,
    ErrorClass::Commitment,
    ErrorClass::Payload,
    ErrorClass::Usage,
];

/// The class names are the test vectors' `failureStage` names, exactly.
#[test]
fn class_names_are_the_vectors_stage_names() {
    let names: Vec<&str> = CLASSES.iter().map(|c| c.name()).collect();
    assert_eq!(names, ["HeaderParse", "KdfLimits", "NoSlotOpens", "HeaderMac", "Commitment", "Payload", "Usage"]);
    for c in CLASSES {
        assert_eq!(c.to_string(), c.name());
    }
}

/// Secrets print as redacted (STYLE rule 5), and say what they are.
#[test]
fn secrets_print_as_redacted() {
    let key = [0xab; 32];
    let derived = cobblestone::derive(&key, &[0xcd; 24], b"");
    let shown = [
        format!("{:?}", RustCryptoAes256Gcm::new(&key)),
        format!("{derived:?}"),
        format!("{:?}", ChunkCipher::<A>::new(&derived)),
    ];
    for s in &shown {
        assert!(s.contains("redacted"), "{s}");
        assert!(!s.to_lowercase().contains("abab") && !s.to_lowercase().contains("cdcd"), "{s}");
    }
    assert!(shown[0].contains("Aes256Gcm") && shown[1].starts_with("Derived") && shown[2].starts_with("ChunkCipher"));
    // A password slot shows its public costs, not its salt or wrapped key.
    let slot = PasswordSlot::create_without_floor::<A>(
        &BackupKey::from_bytes(key),
        "pw",
        KdfParams { memory_kib: 8, iterations: 1, parallelism: 1 },
        [0xab; 16],
        [0xcd; 24],
    )
    .unwrap();
    let shown = format!("{slot:?}");
    assert!(shown.starts_with("PasswordSlot") && shown.contains("memory_kib: 8"), "{shown}");
    assert!(!shown.contains("171") && !shown.to_lowercase().contains("abab"), "{shown}");
}

/// `PasswordSlot::create`'s contract, run: the first check that fails
/// decides the error, in the order floor, password, validity, ceilings;
/// each error carries the values that failed.
#[test]
fn create_reports_the_first_check_that_fails() {
    use ebak_core::kdf::{KdfFloor, KdfLimits};
    let key = BackupKey::from_bytes([2; 32]);
    let create = |password: &str, memory_kib, iterations, parallelism| {
        let params = KdfParams { memory_kib, iterations, parallelism };
        PasswordSlot::create::<A>(&key, password, params, [1; 16], [2; 24])
    };
    let below = KdfParams { memory_kib: 8, iterations: 1, parallelism: 0 };
    // Below the floor, empty and invalid too: the floor is checked first.
    assert_eq!(create("", 8, 1, 0).unwrap_err(), SlotError::BelowFloor(KdfFloor::V1.check(&below).unwrap_err()));
    assert_eq!(
        create("pw", 65_536, 2, 1).unwrap_err(),
        SlotError::BelowFloor(KdfFloorError::Iterations { iterations: 2, floor: 3 })
    );
    // Above the floor: the password, then validity, then the ceilings.
    assert_eq!(create("", 65_536, 3, 0).unwrap_err(), SlotError::EmptyPassword);
    assert_eq!(create("pw", 65_536, 99, 0).unwrap_err(), SlotError::InvalidParams);
    assert_eq!(create("pw", 65_536, 3, 1 << 24).unwrap_err(), SlotError::InvalidParams);
    let over = KdfParams { memory_kib: 65_536, iterations: 17, parallelism: 1 };
    assert_eq!(
        create("pw", 65_536, 17, 1).unwrap_err(),
        SlotError::OverCeiling(KdfLimits::V1.check_slot(&over).unwrap_err())
    );
    assert_eq!(
        create("pw", (1 << 20) + 1, 3, 1).unwrap_err(),
        SlotError::OverCeiling(KdfLimitError::Memory { memory_kib: (1 << 20) + 1, ceiling_kib: 1 << 20 })
    );
    // No rule broken: it succeeds (Argon2id at the floor) and keeps the
    // costs and the salt it was given.
    let slot = create("pw", 65_536, 3, 1).unwrap();
    assert_eq!(*slot.params(), KdfParams { memory_kib: 65_536, iterations: 3, parallelism: 1 });
    assert_eq!(*slot.kdf_salt(), [1; 16]);
}

/// A password says whether it is empty (spec 4.3: no slot for the empty
/// password), and prints as redacted.
#[test]
fn a_password_knows_whether_it_is_empty() {
    use ebak_core::Password;
    assert!(Password::from("").is_empty());
    for p in ["x", " ", "correct horse"] {
        let password = Password::from(p);
        assert!(!password.is_empty(), "{p:?}");
        assert_eq!(password.expose_secret(), p);
        assert_eq!(format!("{password:?}"), "Password([redacted])");
    }
}

/// Accessors give back what was put in: an unknown slot keeps its type and
/// body byte for byte (spec 4.2: kept, covered by the MAC), and a secret
/// says which kind it is.
#[test]
fn accessors_give_back_what_was_put_in() {
    let body = vec![0x5a, 0, 0xff, 7];
    let slot = OtherSlot::new(0x07, body.clone()).unwrap();
    assert_eq!(slot.slot_type(), 0x07);
    assert_eq!(slot.body(), &body[..]);
    assert_eq!(Slot::Other(slot).slot_type(), 0x07);
    assert!(ebak_core::Secret::key(&BackupKey::from_bytes([1; 32])).is_key());
    assert!(!ebak_core::Secret::password("pw").is_key());
}

/// The in-order machines print where they stand, never a key.
#[test]
fn machines_print_their_state_not_their_keys() {
    use ebak_core::cobblestone::{Decryptor, RandomAccess, StreamOpener, StreamSealer};
    let key = [0xab; 32];
    let (mut encryptor, prefix) = Encryptor::<A>::new(&key, &[0xcd; 24], b"");
    encryptor.seal_chunk(&mut vec![0; ENCRYPTED_CHUNK_SIZE]).unwrap();
    let shown = [
        format!("{encryptor:?}"),
        format!("{:?}", Decryptor::<A>::new(&key, b"", &prefix).unwrap()),
        format!("{:?}", StreamOpener::<A>::new(&key, b"")),
        format!("{:?}", RandomAccess::<A>::new(&key, b"", &prefix, 56 + 16).unwrap()),
        format!("{:?}", StreamSealer::<A>::new(&key, &[0xcd; 24], b"")),
    ];
    assert!(shown[4].contains("StreamSealer") && shown[4].contains("next_index: 0"), "{}", shown[4]);
    assert!(shown[0].contains("Encryptor") && shown[0].contains("next_index: 1"), "{}", shown[0]);
    assert!(shown[1].contains("Decryptor") && shown[1].contains("next_index: 0"), "{}", shown[1]);
    assert!(shown[2].contains("StreamOpener") && shown[2].contains("prefix"), "{}", shown[2]);
    assert!(shown[3].contains("RandomAccess") && shown[3].contains("chunk_count: 1"), "{}", shown[3]);
    for s in &shown {
        assert!(!s.to_lowercase().contains("abab") && !s.contains("171"), "{s}");
    }
}

/// The encryptor counts the chunks it sealed: the next one's index.
#[test]
fn the_encryptor_counts_its_chunks() {
    let (mut e, _) = Encryptor::<A>::new(&[3; 32], &[4; 24], b"");
    for k in 0..3 {
        assert_eq!(e.next_index(), k);
        e.seal_chunk(&mut vec![0; ENCRYPTED_CHUNK_SIZE]).unwrap();
    }
    e.seal_final(&mut [0; TAG_SIZE]).unwrap();
    assert_eq!(e.next_index(), 4);
}

/// Random access (spec 6.1): chunk k is at 56 + 16 400 k, the last one as
/// long as the layout says; each opens alone, only with its own length and
/// index; the final chunk authenticates the message length.
#[test]
fn random_access_opens_each_chunk_where_it_is() {
    use ebak_core::cobblestone::RandomAccess;
    let key = [6; 32];
    let msg: Vec<u8> = (0..2 * 16_384 + 100).map(|i| (i % 251) as u8).collect();
    let ct = cobblestone::seal::<A>(&key, &[8; 24], b"ctx", &msg).unwrap();
    let prefix: [u8; 56] = ct[..56].try_into().unwrap();
    let ra = RandomAccess::<A>::new(&key, b"ctx", &prefix, ct.len() as u64).unwrap();
    assert_eq!(ra.layout().chunk_count, 3);
    assert_eq!(ra.chunk_range(0), Some((56, 16_400)));
    assert_eq!(ra.chunk_range(1), Some((56 + 16_400, 16_400)));
    assert_eq!(ra.chunk_range(2), Some((56 + 2 * 16_400, 116)));
    assert_eq!(ra.chunk_range(3), None);
    for k in 0..3u64 {
        let (at, len) = ra.chunk_range(k).unwrap();
        let mut chunk = ct[at as usize..(at + len) as usize].to_vec();
        let plain = ra.open_chunk(k, &mut chunk).unwrap().to_vec();
        assert_eq!(plain, msg[k as usize * 16_384..(k as usize * 16_384 + plain.len())], "chunk {k}");
        // The same bytes as another chunk, or with a byte more or less, do not open.
        let mut chunk = ct[at as usize..(at + len) as usize].to_vec();
        // Chunk 0 as chunk 1 has the right length and fails its tag; the
        // others have the wrong length for the index asked.
        let want = if k == 0 { PayloadError::Chunk { index: 1 } } else { PayloadError::ChunkLength };
        assert_eq!(ra.open_chunk((k + 1) % 3, &mut chunk).unwrap_err(), want, "chunk {k} as another");
        let mut longer = ct[at as usize..(at + len) as usize].to_vec();
        longer.push(0);
        assert_eq!(ra.open_chunk(k, &mut longer).unwrap_err(), PayloadError::ChunkLength, "chunk {k} with a byte more");
    }
    let mut last = ct[56 + 2 * 16_400..].to_vec();
    assert_eq!(ra.authenticate_length(&mut last), Ok(msg.len() as u64));
    let mut bad = ct[56 + 2 * 16_400..].to_vec();
    bad[3] ^= 1;
    assert_eq!(ra.authenticate_length(&mut bad), Err(PayloadError::Chunk { index: 2 }));
    // A ciphertext one chunk shorter than claimed: the "final" chunk is a
    // full one and fails as such.
    let ra = RandomAccess::<A>::new(&key, b"ctx", &prefix, 56 + 16_400 + 116).unwrap();
    let mut not_final = ct[56 + 16_400..56 + 16_400 + 116].to_vec();
    assert_eq!(ra.authenticate_length(&mut not_final), Err(PayloadError::Chunk { index: 1 }));
}
