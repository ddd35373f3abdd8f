//! The client flows end to end, and one tamper test per error class.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::hex;
use ebak_core::aead::DefaultAead as A;
use ebak_core::cobblestone::PayloadError;
use ebak_core::error::{ErrorClass, OpenError};
use ebak_core::file::{self, Secret};
use ebak_core::header::{Header, HeaderError, OtherSlot, Slot};
use ebak_core::kdf::{KdfLimits, KdfParams};
use ebak_core::slot::PasswordSlot;
use ebak_core::{BackupKey, recovery_key};

/// Cheap costs for tests (below the writing floor; readers accept them).
const CHEAP: KdfParams = KdfParams { memory_kib: 64, iterations: 1, parallelism: 1 };
const LIMITS: KdfLimits = KdfLimits::V1;

fn key(b: u8) -> BackupKey {
    BackupKey::from_bytes([b; 32])
}

fn pw_slot(bk: &BackupKey, password: &str, salt: u8) -> PasswordSlot {
    PasswordSlot::create_without_floor::<A>(bk, password, CHEAP, [salt; 16], [salt; 24]).unwrap()
}

fn sealed(bk: &BackupKey, passwords: &[&str], ctx: &[u8], data: &[u8]) -> Vec<u8> {
    let slots = passwords.iter().enumerate().map(|(i, p)| Slot::Password(pw_slot(bk, p, i as u8 + 1))).collect();
    file::seal::<A>(bk, slots, ctx, &[0x77; 24], data).unwrap()
}

fn class(r: Result<Vec<u8>, OpenError>) -> ErrorClass {
    r.expect_err("expected a failure").class()
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + 7) as u8).collect()
}

#[test]
fn password_slot_opens_with_password_and_with_key() {
    let bk = key(1);
    let text = data(40_000);
    let f = sealed(&bk, &["hunter2"], b"msgstore", &text);
    assert_eq!(file::open::<A>(&f, &Secret::password("hunter2"), b"msgstore", &LIMITS).unwrap(), text);
    assert_eq!(file::open::<A>(&f, &Secret::key(&bk), b"msgstore", &LIMITS).unwrap(), text);
    // The 64-digit key, as text, round-trips to the same key.
    let typed = recovery_key::format(&bk).to_uppercase().replace('-', " ");
    let parsed = recovery_key::parse(&typed).unwrap();
    assert_eq!(file::open::<A>(&f, &Secret::key(&parsed), b"msgstore", &LIMITS).unwrap(), text);
}

#[test]
fn zero_slots_open_with_the_key_only() {
    let bk = key(2);
    let f = sealed(&bk, &[], b"", b"data");
    assert_eq!(file::open::<A>(&f, &Secret::key(&bk), b"", &LIMITS).unwrap(), b"data");
    assert_eq!(class(file::open::<A>(&f, &Secret::password("x"), b"", &LIMITS)), ErrorClass::NoSlotOpens);
}

#[test]
fn several_passwords_each_open() {
    let bk = key(3);
    let f = sealed(&bk, &["one", "two", "three"], b"", b"data");
    for p in ["one", "two", "three"] {
        assert_eq!(file::open::<A>(&f, &Secret::password(p), b"", &LIMITS).unwrap(), b"data");
    }
    assert_eq!(class(file::open::<A>(&f, &Secret::password("four"), b"", &LIMITS)), ErrorClass::NoSlotOpens);
}

#[test]
fn nfd_password_opens_nfc_slot() {
    let bk = key(4);
    let f = sealed(&bk, &["caf\u{e9}"], b"", b"data");
    assert_eq!(file::open::<A>(&f, &Secret::password("cafe\u{301}"), b"", &LIMITS).unwrap(), b"data");
}

#[test]
fn changing_the_password_leaves_the_payload_byte_identical() {
    let bk = key(5);
    let text = data(70_000);
    let f = sealed(&bk, &["old password"], b"", &text);
    let (header, payload) = file::split(&f).unwrap();
    let unlocked = file::unlock::<A>(&header, &Secret::password("old password"), &LIMITS).unwrap();
    let index = unlocked.opened_slot().unwrap();
    let new_slot = pw_slot(unlocked.backup_key(), "new password", 9);
    let new_header = unlocked.replacing(index, new_slot).unwrap();
    let g = file::replace_header(&f, &new_header).unwrap();
    let (_, new_payload) = file::split(&g).unwrap();
    assert_eq!(new_payload, payload, "payload bytes changed");
    assert_ne!(&g[..new_header.encoded_len()], &f[..header.encoded_len()]);
    assert_eq!(file::open::<A>(&g, &Secret::password("new password"), b"", &LIMITS).unwrap(), text);
    assert_eq!(class(file::open::<A>(&g, &Secret::password("old password"), b"", &LIMITS)), ErrorClass::NoSlotOpens);
    assert_eq!(file::open::<A>(&g, &Secret::key(&bk), b"", &LIMITS).unwrap(), text);

    // Add a second password, then remove the first.
    let unlocked = file::unlock::<A>(&new_header, &Secret::key(&bk), &LIMITS).unwrap();
    let added = unlocked.adding(pw_slot(&bk, "second", 10)).unwrap();
    let h = file::replace_header(&g, &added).unwrap();
    assert_eq!(file::open::<A>(&h, &Secret::password("second"), b"", &LIMITS).unwrap(), text);
    let unlocked = file::unlock::<A>(&added, &Secret::key(&bk), &LIMITS).unwrap();
    let removed = unlocked.removing(0).unwrap();
    let i = file::replace_header(&h, &removed).unwrap();
    assert_eq!(class(file::open::<A>(&i, &Secret::password("new password"), b"", &LIMITS)), ErrorClass::NoSlotOpens);
    assert_eq!(file::open::<A>(&i, &Secret::password("second"), b"", &LIMITS).unwrap(), text);
    assert_eq!(file::split(&i).unwrap().1, payload);

    // A slot the header does not have is named as such.
    let unlocked = file::unlock::<A>(&removed, &Secret::key(&bk), &LIMITS).unwrap();
    let count = removed.slots().len();
    assert_eq!(unlocked.removing(count), Err(file::SealError::NoSuchSlot { index: count, slots: count }));
    assert_eq!(
        unlocked.replacing(usize::MAX, pw_slot(&bk, "third", 11)),
        Err(file::SealError::NoSuchSlot { index: usize::MAX, slots: count })
    );
    assert_eq!(
        unlocked.removing(count).unwrap_err().to_string(),
        format!("there is no key slot {count}: the header has {count} (numbered from 0)")
    );
}

#[test]
fn unknown_slots_are_skipped_and_kept() {
    let bk = key(6);
    let vault = Slot::Other(OtherSlot::new(0x02, b"vault.example/account-42".to_vec()).unwrap());
    let f = file::seal::<A>(&bk, vec![vault.clone(), Slot::Password(pw_slot(&bk, "pw", 1))], b"", &[1; 24], b"data")
        .unwrap();
    assert_eq!(file::open::<A>(&f, &Secret::password("pw"), b"", &LIMITS).unwrap(), b"data");
    let (header, _) = file::split(&f).unwrap();
    let unlocked = file::unlock::<A>(&header, &Secret::password("pw"), &LIMITS).unwrap();
    assert_eq!(unlocked.opened_slot(), Some(1));
    let changed = unlocked.replacing(1, pw_slot(&bk, "pw2", 2)).unwrap();
    assert_eq!(changed.slots()[0], vault, "the unknown slot must be kept byte for byte");
    // A file whose only slot is unknown opens with the key, not a password.
    let g = file::seal::<A>(&bk, vec![vault], b"", &[1; 24], b"data").unwrap();
    assert_eq!(file::open::<A>(&g, &Secret::key(&bk), b"", &LIMITS).unwrap(), b"data");
    assert_eq!(class(file::open::<A>(&g, &Secret::password("pw"), b"", &LIMITS)), ErrorClass::NoSlotOpens);
}

// One tamper test per error class (spec 9).

#[test]
fn class_header_parse() {
    let bk = key(7);
    let f = sealed(&bk, &["pw"], b"", b"data");
    let open = |f: &[u8]| class(file::open::<A>(f, &Secret::key(&bk), b"", &LIMITS));
    let mut bad_magic = f.clone();
    bad_magic[5] = b'\n'; // CR converted
    assert_eq!(open(&bad_magic), ErrorClass::HeaderParse);
    let mut v2 = f.clone();
    v2[9] = 2;
    assert_eq!(
        file::open::<A>(&v2, &Secret::key(&bk), b"", &LIMITS),
        Err(OpenError::Header(HeaderError::UnsupportedVersion(2)))
    );
    let mut nine = f.clone();
    nine[10] = 9;
    assert_eq!(open(&nine), ErrorClass::HeaderParse);
    for cut in [0, 1, 8, 10, 11, 12, 50, 145, 177] {
        assert_eq!(open(&f[..cut]), ErrorClass::HeaderParse, "cut at {cut}");
    }
    let mut zero_type = f.clone();
    zero_type[11] = 0;
    assert_eq!(open(&zero_type), ErrorClass::HeaderParse);
    let mut long_body = f.clone();
    long_body[13] = 0x85;
    assert_eq!(open(&long_body), ErrorClass::HeaderParse);
    let mut zero_t = f.clone();
    zero_t[14 + 16 + 4..14 + 16 + 8].copy_from_slice(&[0; 4]);
    assert_eq!(open(&zero_t), ErrorClass::HeaderParse);
}

#[test]
fn class_kdf_limits_before_argon2_runs() {
    let bk = key(8);
    let f = sealed(&bk, &["pw"], b"", b"data");
    let mut huge = f.clone();
    // m = 2^31 KiB (2 TiB): Argon2 would abort allocating it; the ceiling
    // refuses it first, so this test finishes at once.
    huge[14 + 16..14 + 20].copy_from_slice(&0x8000_0000u32.to_be_bytes());
    assert!(matches!(file::open::<A>(&huge, &Secret::password("pw"), b"", &LIMITS), Err(OpenError::KdfLimits(_))));
    // With the key, the slot's costs do not matter; the header MAC catches
    // the change.
    assert_eq!(class(file::open::<A>(&huge, &Secret::key(&bk), b"", &LIMITS)), ErrorClass::HeaderMac);
    // A reader with lower ceilings refuses an honest file.
    let phone = KdfLimits { max_memory_kib: 32, ..KdfLimits::V1 };
    assert_eq!(class(file::open::<A>(&f, &Secret::password("pw"), b"", &phone)), ErrorClass::KdfLimits);
}

#[test]
fn class_no_slot_opens() {
    let bk = key(9);
    let f = sealed(&bk, &["pw"], b"", b"data");
    assert_eq!(file::open::<A>(&f, &Secret::password("wrong"), b"", &LIMITS), Err(OpenError::NoSlotOpens));
    // A modified wrap salt looks exactly like a wrong password.
    let mut g = f.clone();
    g[14 + 28] ^= 1;
    assert_eq!(class(file::open::<A>(&g, &Secret::password("pw"), b"", &LIMITS)), ErrorClass::NoSlotOpens);
}

#[test]
fn class_header_mac() {
    let bk = key(10);
    let f = sealed(&bk, &["pw"], b"", b"data");
    assert_eq!(file::open::<A>(&f, &Secret::key(&key(11)), b"", &LIMITS), Err(OpenError::HeaderMac));
    let mut mac = f.clone();
    mac[177] ^= 0x80;
    assert_eq!(class(file::open::<A>(&mac, &Secret::password("pw"), b"", &LIMITS)), ErrorClass::HeaderMac);
    // The right password on a slot whose wrapped key was modified.
    let mut wrapped = f.clone();
    wrapped[14 + 28 + 56] ^= 1;
    assert_eq!(class(file::open::<A>(&wrapped, &Secret::password("pw"), b"", &LIMITS)), ErrorClass::HeaderMac);
}

#[test]
fn class_commitment() {
    let bk = key(12);
    let f = sealed(&bk, &["pw"], b"msgstore", b"data");
    assert_eq!(class(file::open::<A>(&f, &Secret::key(&bk), b"media", &LIMITS)), ErrorClass::Commitment);
    let hl = file::split(&f).unwrap().0.encoded_len();
    let mut salt = f.clone();
    salt[hl] ^= 1;
    assert_eq!(class(file::open::<A>(&salt, &Secret::key(&bk), b"msgstore", &LIMITS)), ErrorClass::Commitment);
    // The payload of a file made under another backup key.
    let other = sealed(&key(13), &[], b"msgstore", b"data");
    let (header, _) = file::split(&f).unwrap();
    let swapped = file::replace_header(&other, &header).unwrap();
    assert_eq!(
        file::open::<A>(&swapped, &Secret::password("pw"), b"msgstore", &LIMITS),
        Err(OpenError::Payload(PayloadError::Commitment))
    );
}

#[test]
fn class_payload() {
    let bk = key(14);
    let text = data(3 * 16_384 + 100);
    let f = sealed(&bk, &[], b"", &text);
    let hl = file::split(&f).unwrap().0.encoded_len();
    let open = |f: &[u8]| file::open::<A>(f, &Secret::key(&bk), b"", &LIMITS);
    let chunk = |k: usize| hl + 56 + k * 16_400;
    let mut flipped = f.clone();
    flipped[chunk(1) + 5] ^= 1;
    assert_eq!(open(&flipped), Err(OpenError::Payload(PayloadError::Chunk { index: 1 })));
    // Truncated to the end of chunk 2: the final chunk is missing.
    assert_eq!(open(&f[..chunk(3)]), Err(OpenError::Payload(PayloadError::Truncated { chunks: 3 })));
    assert_eq!(open(&f[..hl + 40]), Err(OpenError::Payload(PayloadError::MissingPrefix)));
    assert_eq!(class(open(&f[..f.len() - 1])), ErrorClass::Payload);
    let mut extended = f.clone();
    extended.extend_from_slice(&[0; 16]);
    assert_eq!(class(open(&extended)), ErrorClass::Payload);
    let mut swapped = f.clone();
    swapped.copy_within(chunk(0)..chunk(1), chunk(1));
    swapped[chunk(0)..chunk(1)].copy_from_slice(&f[chunk(1)..chunk(2)]);
    assert_eq!(open(&swapped), Err(OpenError::Payload(PayloadError::Chunk { index: 0 })));
}

#[test]
fn a_context_over_the_limit_is_a_usage_error_before_the_file_is_read() {
    let bk = key(9);
    let long = vec![b'c'; file::MAX_CONTEXT_SIZE + 1];
    let f = sealed(&bk, &[], b"", b"data");
    // Whatever the file, even no file at all: the context is refused first.
    for bytes in [&f[..], &b"not an ebak file"[..], &[][..]] {
        let e = file::open::<A>(bytes, &Secret::key(&bk), &long, &LIMITS).unwrap_err();
        assert_eq!(e, OpenError::ContextTooLong);
        assert_eq!(e.class(), ErrorClass::Usage);
        assert_eq!(e.to_string(), "application context longer than 1024 bytes");
    }
    let (header, _) = file::split(&f).unwrap();
    let unlocked = file::unlock::<A>(&header, &Secret::key(&bk), &LIMITS).unwrap();
    assert_eq!(unlocked.stream_opener::<A>(&long).err(), Some(OpenError::ContextTooLong));
    assert_eq!(
        unlocked.decryptor::<A>(&long, &[0; ebak_core::chunk::PREFIX_SIZE]).err(),
        Some(OpenError::ContextTooLong)
    );
    // At the limit, a context works.
    let at_limit = vec![b'c'; file::MAX_CONTEXT_SIZE];
    let g = sealed(&bk, &[], &at_limit, b"data");
    assert_eq!(file::open::<A>(&g, &Secret::key(&bk), &at_limit, &LIMITS).unwrap(), b"data");
    assert_eq!(file::seal::<A>(&bk, vec![], &long, &[0; 24], b"data").unwrap_err(), file::SealError::ContextTooLong);
}

#[test]
fn duplicate_slots_are_rejected_both_ways() {
    let bk = key(15);
    let s = pw_slot(&bk, "pw", 1);
    assert_eq!(
        file::seal::<A>(&bk, vec![Slot::Password(s.clone()), Slot::Password(s.clone())], b"", &[0; 24], b"")
            .unwrap_err(),
        file::SealError::Header(HeaderError::DuplicateSlot)
    );
    // Same salt, different password: still a duplicate.
    let t = PasswordSlot::create_without_floor::<A>(&bk, "other", CHEAP, [1; 16], [2; 24]).unwrap();
    assert!(Header::new(&bk, vec![Slot::Password(s), Slot::Password(t)]).is_err());
}

#[test]
fn writer_limits() {
    let bk = key(16);
    use ebak_core::slot::SlotError;
    let floor = KdfParams { memory_kib: 65_536, iterations: 3, parallelism: 1 };
    assert!(matches!(
        PasswordSlot::create::<A>(&bk, "pw", KdfParams { iterations: 2, ..floor }, [0; 16], [0; 24]),
        Err(SlotError::BelowFloor(_))
    ));
    assert!(matches!(
        PasswordSlot::create::<A>(&bk, "pw", KdfParams { memory_kib: (1 << 20) + 8, ..floor }, [0; 16], [0; 24]),
        Err(SlotError::OverCeiling(_))
    ));
    assert_eq!(PasswordSlot::create::<A>(&bk, "", floor, [0; 16], [0; 24]).unwrap_err(), SlotError::EmptyPassword);
    assert!(file::payload_context(&[0; 1025]).is_err());
    assert!(file::payload_context(&[0; 1024]).is_ok());
}

#[test]
fn errors_and_debug_never_show_secrets() {
    let bk = BackupKey::from_bytes([0xa5; 32]);
    let secret = Secret::key(&bk);
    assert!(!format!("{secret:?}{bk:?}").contains("a5"));
    assert_eq!(format!("{:?}", Secret::password("hunter2")), "Secret::Password([redacted])");
    let f = sealed(&bk, &["hunter2"], b"", b"data");
    let (header, _) = file::split(&f).unwrap();
    let unlocked = file::unlock::<A>(&header, &Secret::password("hunter2"), &LIMITS).unwrap();
    let shown = format!("{unlocked:?}");
    assert!(!shown.contains("a5") && !shown.contains("165"), "{shown}");
    let e = file::open::<A>(&f, &Secret::password("hunter3"), b"", &LIMITS).unwrap_err();
    assert!(!e.to_string().contains("hunter"));
}

#[test]
fn the_spec_worked_example_opens() {
    // spec/ebak-v1.md section 12: the file's hex is read from the spec
    // itself, so the spec and the code cannot drift apart.
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/ebak-v1.md")).unwrap();
    let after = &spec[spec.find("The whole file, 262 bytes:").expect("worked example in the spec")..];
    let block = after.split("```").nth(1).unwrap();
    let f = hex(&block.split_whitespace().collect::<String>());
    assert_eq!(f.len(), 262);
    let bk = BackupKey::from_bytes(core::array::from_fn(|i| i as u8));
    let password = "correct horse battery staple";
    assert_eq!(file::open::<A>(&f, &Secret::password(password), b"msgstore", &LIMITS).unwrap(), b"Hello, ebak!");
    assert_eq!(file::open::<A>(&f, &Secret::key(&bk), b"msgstore", &LIMITS).unwrap(), b"Hello, ebak!");
    assert_eq!(class(file::open::<A>(&f, &Secret::key(&bk), b"", &LIMITS)), ErrorClass::Commitment);
    // And sealing with the same inputs gives the same bytes.
    let params = KdfParams { memory_kib: 65_536, iterations: 3, parallelism: 1 };
    let slot = PasswordSlot::create::<A>(
        &bk,
        password,
        params,
        core::array::from_fn(|i| 0x40 + i as u8),
        core::array::from_fn(|i| 0x50 + i as u8),
    )
    .unwrap();
    let again = file::seal::<A>(
        &bk,
        vec![Slot::Password(slot)],
        b"msgstore",
        &core::array::from_fn(|i| 0x70 + i as u8),
        b"Hello, ebak!",
    )
    .unwrap();
    assert_eq!(again, f);
}
