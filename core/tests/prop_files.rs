//! Properties of whole files (STYLE.md rule 9; spec 6, 6.1, 7.2 and 9):
//!
//! - open after seal is the identity, for every length class (0, 16 KiB - 1,
//!   16 KiB, 16 KiB + 1, several chunks), with zero to two password slots
//!   and an unknown slot, in any context;
//! - every bit flip, truncation, extension, swap, duplication or removal
//!   of chunks is rejected, in the class the spec names for where it lands
//!   ([`props::Sealed::expected`] is that rule, written from the spec);
//! - a streaming open fed the file in arbitrary pieces agrees with the
//!   one-shot open, releases only verified chunks, and keeps failing;
//! - changing a password rewrites only the header: the new file opens with
//!   the new password, not the old one, and with the key.
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

use ebak_core::aead::DefaultAead as A;
use ebak_core::chunk;
use ebak_core::error::ErrorClass;
use ebak_core::file::{self, Secret};
use ebak_core::slot::PasswordSlot;
use props::{LIMITS, Plan, Try, plan, stream_open, tamper};
use proptest::prelude::*;

proptest! {
    #![proptest_config(props::config(64))]

    #[test]
    fn open_after_seal_is_the_identity(plan in plan(0..=2)) {
        let sealed = plan.seal();
        let payload_len = chunk::ciphertext_len(plan.plaintext.len() as u64).unwrap();
        prop_assert_eq!(sealed.file.len() as u64, sealed.header_len as u64 + payload_len);
        for secret in sealed.secrets() {
            prop_assert_eq!(&sealed.open(&sealed.file, &secret).unwrap(), &plan.plaintext);
        }
        // Spec 5: another application context fails at the commitment.
        let key = plan.backup_key();
        let mut other = plan.context.clone();
        if other.len() == file::MAX_CONTEXT_SIZE {
            // A context at the limit cannot grow: change a byte instead.
            other[0] ^= 1;
        } else {
            other.push(0);
        }
        let r = file::open::<A>(&sealed.file, &Secret::key(&key), &other, &LIMITS);
        prop_assert_eq!(r.unwrap_err().class(), ErrorClass::Commitment);
    }

    #[test]
    fn every_change_is_rejected_in_the_class_the_spec_names(
        plan in plan(0..=2),
        tampers in proptest::collection::vec(tamper(), 1..8),
    ) {
        let sealed = plan.seal();
        for t in &tampers {
            let changed = sealed.apply(t);
            for secret in sealed.secrets() {
                let got = sealed.open(&changed, &secret);
                match (sealed.expected(&changed, &secret), got) {
                    (None, Ok(plaintext)) => prop_assert_eq!(&plaintext, &plan.plaintext, "{:?}", t),
                    (Some(want), Err(e)) => prop_assert_eq!(e.class(), want, "{:?} with {:?}: {}", t, secret, e),
                    (want, got) => prop_assert!(false, "{:?} with {:?}: expected {:?}, got {:?}", t, secret, want, got.map(|p| p.len())),
                }
            }
        }
    }

    #[test]
    fn streaming_in_any_pieces_agrees_with_one_shot(
        plan in plan(0..=1),
        tamper in proptest::option::of(tamper()),
        pieces in proptest::collection::vec(prop_oneof![1..64usize, 16_350..16_450usize, 1..40_000usize], 1..5),
        use_password in any::<bool>(),
    ) {
        let sealed = plan.seal();
        let changed = tamper.as_ref().map_or_else(|| sealed.file.clone(), |t| sealed.apply(t));
        let key = plan.backup_key();
        let (secret, try_) = match plan.passwords.first() {
            Some(p) if use_password => (Secret::password(p), Try::Password(p.clone())),
            _ => (Secret::key(&key), Try::Key),
        };
        let one_shot = sealed.open(&changed, &try_);
        let streamed = stream_open(&changed, &secret, &plan.context, &pieces);
        // Spec 6.1: what was released is verified plaintext, in order.
        prop_assert!(plan.plaintext.starts_with(&streamed.released), "released bytes that were not sealed");
        match (one_shot, streamed.verdict) {
            (Ok(plaintext), Ok(())) => prop_assert_eq!(plaintext, streamed.released),
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "one-shot {:?}, streaming {:?}", a.map(|p| p.len()), b),
        }
    }

    #[test]
    fn changing_a_password_changes_only_the_header(
        plan in plan(1..=2),
        new_password in "[a-z]{1,10}!",
        salts in any::<([u8; 16], [u8; 24])>(),
    ) {
        let sealed = plan.seal();
        let old_password = plan.passwords[0].clone();
        let (header, payload) = file::split(&sealed.file).unwrap();
        let unlocked = file::unlock::<A>(&header, &Secret::password(&old_password), &LIMITS).unwrap();
        let index = unlocked.opened_slot().unwrap();
        let slot = PasswordSlot::create_without_floor::<A>(unlocked.backup_key(), &new_password, props::CHEAP, salts.0, salts.1).unwrap();
        let new_header = match unlocked.replacing(index, slot) {
            Ok(h) => h,
            // The new salt equals another slot's: the writer must refuse.
            Err(file::SealError::Header(_)) => return Ok(()),
            Err(e) => panic!("{e}"),
        };
        let changed = file::replace_header(&sealed.file, &new_header).unwrap();
        prop_assert_eq!(&changed[new_header.encoded_len()..], payload, "the payload bytes changed");
        prop_assert_ne!(&changed[..new_header.encoded_len()], &sealed.file[..sealed.header_len]);
        let key = plan.backup_key();
        let open = |secret: &Secret| file::open::<A>(&changed, secret, &plan.context, &LIMITS);
        prop_assert_eq!(open(&Secret::password(&new_password)).unwrap(), plan.plaintext.clone());
        prop_assert_eq!(open(&Secret::key(&key)).unwrap(), plan.plaintext.clone());
        if !plan.passwords[1..].contains(&old_password) {
            prop_assert_eq!(open(&Secret::password(&old_password)).unwrap_err().class(), ErrorClass::NoSlotOpens);
        }
        // The other passwords still open it.
        for other in &plan.passwords[1..] {
            prop_assert_eq!(open(&Secret::password(other)).unwrap(), plan.plaintext.clone());
        }
    }
}

/// Every single bit flip of a small file, exhaustively (the proptest above
/// samples positions in files of every size): with the key and with the
/// password, each is rejected in the class the spec model names for it.
#[test]
fn every_bit_flip_of_a_small_file_is_rejected_in_its_class() {
    let plan = Plan {
        key: [0x3c; 32],
        passwords: vec!["pw".into()],
        unknown: Some((0x02, b"vault".to_vec(), false)),
        context: b"msgstore".to_vec(),
        payload_salt: [7; 24],
        salts: [[1; 16], [2; 16]],
        plaintext: b"a small backup".to_vec(),
    };
    let sealed = plan.seal();
    let mut seen = std::collections::BTreeMap::new();
    for at in 0..sealed.file.len() {
        for bit in 0..8 {
            let mut changed = sealed.file.clone();
            changed[at] ^= 1 << bit;
            for secret in sealed.secrets() {
                let want = sealed.expected(&changed, &secret).expect("a flip is a change");
                let got = sealed.open(&changed, &secret).expect_err("a flipped file opened").class();
                assert_eq!(got, want, "bit {bit} of byte {at}, {secret:?}");
                *seen.entry(want).or_insert(0) += 1;
            }
        }
    }
    // Every class a flip can reach was reached.
    let classes = [ErrorClass::HeaderParse, ErrorClass::KdfLimits, ErrorClass::NoSlotOpens, ErrorClass::HeaderMac];
    for class in classes.into_iter().chain([ErrorClass::Commitment, ErrorClass::Payload]) {
        assert!(seen.contains_key(&class), "no flip was rejected as {class}: {seen:?}");
    }
}
