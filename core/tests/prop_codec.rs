//! Inverse properties of the codecs (STYLE.md rule 9): for headers, slots
//! and 64-digit keys, parse after serialize is the identity, and serialize
//! after parse is the identity on every input that parses (the encoding is
//! canonical: spec 4 and 11, "every header has exactly one encoding").
//!
//! `PROPTEST_CASES=N` overrides the case counts.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed expectation is a test failure"
)]

mod props;

use ebak_core::header::{Header, MAGIC, Slot};
use ebak_core::kdf::ARGON2_MAX_PARALLELISM;
use ebak_core::{BackupKey, recovery_key};
use proptest::prelude::*;

/// Valid Argon2id costs (spec 4.3): t >= 1, 1 <= p < 2^24, m >= 8p, with
/// the edges drawn often.
fn costs() -> impl Strategy<Value = (u32, u32, u32)> {
    let p = prop_oneof![Just(1u32), Just(16), Just(ARGON2_MAX_PARALLELISM), 1..=ARGON2_MAX_PARALLELISM];
    (p, prop_oneof![Just(1u32), Just(u32::MAX), any::<u32>().prop_map(|t| t.max(1))], any::<u32>()).prop_map(
        |(p, t, extra)| {
            let floor = 8 * p; // at most 8 * (2^24 - 1), which fits a u32
            (floor + extra % (u32::MAX - floor + 1).max(1), t, p)
        },
    )
}

/// A slot as it appears in a header: a password slot (valid costs, any
/// salt and wrapped key) or a slot of any other non-reserved type.
fn slot_bytes() -> impl Strategy<Value = Vec<u8>> {
    let password = (any::<[u8; 16]>(), costs(), proptest::collection::vec(any::<u8>(), 104)).prop_map(
        |(salt, (m, t, p), wrapped)| {
            let mut out = vec![1, 0, 132];
            out.extend_from_slice(&salt);
            for v in [m, t, p] {
                out.extend_from_slice(&v.to_be_bytes());
            }
            out.extend_from_slice(&wrapped);
            out
        },
    );
    let body = prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..64),
        1 => proptest::collection::vec(any::<u8>(), 1024),
    ];
    let other = (2..=255u8, body).prop_map(|(t, body)| {
        let mut out = vec![t];
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        out.extend_from_slice(&body);
        out
    });
    prop_oneof![password, other]
}

/// Up to eight slots without duplicates, and a backup key.
fn header_parts() -> impl Strategy<Value = (BackupKey, Vec<Slot>)> {
    (any::<[u8; 32]>(), proptest::collection::vec(slot_bytes(), 0..=8)).prop_map(|(key, encoded)| {
        let mut slots: Vec<Slot> = Vec::new();
        for bytes in encoded {
            let slot = Slot::parse(&bytes).unwrap();
            let dup = slots.iter().any(|s| {
                *s == slot
                    || matches!((s, &slot), (Slot::Password(a), Slot::Password(b)) if a.kdf_salt() == b.kdf_salt())
            });
            if !dup {
                slots.push(slot);
            }
        }
        (BackupKey::from_bytes(key), slots)
    })
}

/// One edit of a byte string: overwrite, insert or remove a byte, or cut.
#[derive(Clone, Debug)]
enum Edit {
    Set(prop::sample::Index, u8),
    Insert(prop::sample::Index, u8),
    Remove(prop::sample::Index),
    Cut(prop::sample::Index),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        4 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        1 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        1 => any::<prop::sample::Index>().prop_map(Edit::Remove),
        1 => any::<prop::sample::Index>().prop_map(Edit::Cut),
    ];
    proptest::collection::vec(edit, 1..4)
}

fn apply(bytes: &mut Vec<u8>, edits: &[Edit]) {
    for e in edits {
        if bytes.is_empty() {
            return;
        }
        match e {
            Edit::Set(i, b) => {
                let i = i.index(bytes.len());
                bytes[i] = *b;
            }
            Edit::Insert(i, b) => bytes.insert(i.index(bytes.len() + 1), *b),
            Edit::Remove(i) => {
                bytes.remove(i.index(bytes.len()));
            }
            Edit::Cut(i) => bytes.truncate(i.index(bytes.len())),
        }
    }
}

proptest! {
    #![proptest_config(props::config(512))]

    #[test]
    fn slot_parse_serialize_is_the_identity(bytes in slot_bytes()) {
        let slot = Slot::parse(&bytes).unwrap();
        prop_assert_eq!(slot.to_bytes(), bytes.clone());
        prop_assert_eq!(Slot::parse(&slot.to_bytes()).unwrap(), slot);
    }

    #[test]
    fn header_parse_serialize_is_the_identity((key, slots) in header_parts()) {
        let header = Header::new(&key, slots).unwrap();
        let bytes = header.to_bytes();
        prop_assert_eq!(bytes.len(), header.encoded_len());
        let parsed = Header::parse(&bytes).unwrap();
        prop_assert!(parsed.verify_mac(&key));
        prop_assert_eq!(parsed.to_bytes(), bytes.clone());
        prop_assert_eq!(&parsed, &header);
        // In front of a payload, the header still ends where it did.
        let mut file = bytes.clone();
        file.extend_from_slice(&[0xee; 70]);
        prop_assert_eq!(Header::parse_prefix(&file).unwrap(), (header, bytes.len()));
    }

    #[test]
    fn what_parses_as_a_header_serializes_to_the_same_bytes((key, slots) in header_parts(), edits in edits()) {
        // Edited valid headers: many still parse (an edit in a body or the
        // MAC), and each of those must be canonical.
        let mut bytes = Header::new(&key, slots).unwrap().to_bytes();
        apply(&mut bytes, &edits);
        if let Ok(h) = Header::parse(&bytes) {
            prop_assert_eq!(h.to_bytes(), bytes);
        }
    }

    #[test]
    fn what_parses_as_a_slot_serializes_to_the_same_bytes(bytes in slot_bytes(), edits in edits()) {
        let mut bytes = bytes;
        apply(&mut bytes, &edits);
        if let Ok(slot) = Slot::parse(&bytes) {
            prop_assert_eq!(slot.to_bytes(), bytes);
        }
    }

    #[test]
    fn what_parses_from_raw_bytes_is_canonical(count in 0..=9u8, tail in proptest::collection::vec(any::<u8>(), 0..400)) {
        let bytes = [&MAGIC[..], &[1, count], &tail].concat();
        if let Ok(h) = Header::parse(&bytes) {
            prop_assert_eq!(h.to_bytes(), bytes);
        }
        if let Ok(s) = Slot::parse(&tail) {
            prop_assert_eq!(s.to_bytes(), tail);
        }
    }

    #[test]
    fn key_parse_format_is_the_identity(key in any::<[u8; 32]>()) {
        let key = BackupKey::from_bytes(key);
        let text = recovery_key::format(&key);
        prop_assert_eq!(text.len(), recovery_key::FORMATTED_LEN);
        prop_assert_eq!(recovery_key::parse(&text).unwrap(), key);
    }

    #[test]
    fn every_lenient_spelling_parses_to_the_key(
        key in any::<[u8; 32]>(),
        upper in any::<[bool; 64]>(),
        seps in proptest::collection::vec((0..=64usize, prop_oneof![Just(' '), Just('-')]), 0..30),
    ) {
        // Spec 4.5: either case, spaces and dashes anywhere.
        let key = BackupKey::from_bytes(key);
        let digits: Vec<char> = recovery_key::format(&key).chars().filter(|c| *c != '-').collect();
        let mut text: Vec<char> = digits.iter().zip(upper).map(|(c, u)| if u { c.to_ascii_uppercase() } else { *c }).collect();
        for (at, sep) in seps {
            text.insert(at.min(text.len()), sep);
        }
        let text: String = text.into_iter().collect();
        prop_assert_eq!(recovery_key::parse(&text).unwrap(), key);
    }

    #[test]
    fn what_parses_as_a_key_formats_canonically(text in "[0-9a-fA-F -]{60,90}|[0-9a-f]{64}|[0-9a-fA-Fg \\-\t]{0,80}") {
        // format(parse(text)) is the canonical spelling: the digits of
        // the text, lowercase, in groups of four.
        if let Ok(key) = recovery_key::parse(&text) {
            let digits: String = text.chars().filter(|c| c.is_ascii_hexdigit()).collect::<String>().to_lowercase();
            let groups: Vec<&str> = (0..16).map(|g| &digits[4 * g..4 * g + 4]).collect();
            let formatted = recovery_key::format(&key);
            prop_assert_eq!(formatted.as_str(), groups.join("-"));
            prop_assert_eq!(recovery_key::parse(&recovery_key::format(&key)).unwrap(), key);
        }
    }
}
