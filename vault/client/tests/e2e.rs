//! The vault end to end over HTTP on loopback (issue 16's first "done
//! when"): register, recover with the right password, ten wrong passwords
//! destroy the record and the right one then fails; a client that sends
//! only the first login message still spends a guess; password change and
//! deletion.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::{CHEAP, TestVault, cheap_options, unlimited};
use ebak_core::BackupKey;
use ebak_core::kdf::KdfLimits;
use ebak_vault_client::{
    Error, change_password, delete, fetch_keys, recover, register, register_without_floor, status,
};
use ebak_vault_proto::msg::{AccountState, MessageType};
use ebak_vault_proto::{AccountId, Ksf, client as proto};

fn key() -> BackupKey {
    BackupKey::generate(&mut getrandom::SysRng).unwrap()
}

#[test]
fn register_recover_then_ten_wrong_passwords_destroy_the_record() {
    let (config, http) = unlimited();
    for (engine, v) in TestVault::each(config, http) {
        assert_eq!(fetch_keys(&v.url).unwrap(), v.keys, "{engine}");
        let backup_key = key();
        let slot = register_without_floor(&v.url, v.keys, "correct horse", &backup_key, &cheap_options()).unwrap();
        assert_eq!(recover(&slot, "correct horse", &KdfLimits::V1).unwrap(), backup_key, "{engine}");
        let s = status(&slot).unwrap();
        assert_eq!((s.state, s.guess_limit, s.guesses_left), (AccountState::Live, 10, 10), "{engine}");
        for left in (0..10u8).rev() {
            match recover(&slot, "wrong horse", &KdfLimits::V1) {
                Err(Error::WrongPassword { guesses_left: Some(n) }) => assert_eq!(n, left, "{engine}"),
                // The tenth: its abort destroyed the record at once.
                Err(Error::Destroyed) => assert_eq!(left, 0, "{engine}"),
                other => panic!("{engine}: {other:?}"),
            }
        }
        assert_eq!(status(&slot).unwrap().state, AccountState::Destroyed, "{engine}");
        assert!(matches!(recover(&slot, "correct horse", &KdfLimits::V1), Err(Error::Destroyed)), "{engine}");
    }
}

#[test]
fn a_client_that_sends_only_the_first_login_message_spends_a_guess() {
    let (config, http) = unlimited();
    let v = TestVault::sqlite(config, http);
    let backup_key = key();
    let slot = register_without_floor(&v.url, v.keys, "pw", &backup_key, &cheap_options()).unwrap();
    let account = AccountId(*slot.account());
    for expected_left in [9u8, 8, 7] {
        let login = proto::Login::start(
            &mut getrandom::SysRng,
            v.keys,
            account,
            "whatever",
            Ksf::checked(CHEAP, &KdfLimits::V1).unwrap(),
        )
        .unwrap();
        let answer = ureq_post(&v.url, MessageType::LoginStart, login.request());
        assert_eq!(answer.0, 200);
        // ... and never finishes or aborts.
        assert_eq!(status(&slot).unwrap().guesses_left, expected_left);
    }
    // The right password still works, and resets the count.
    assert_eq!(recover(&slot, "pw", &KdfLimits::V1).unwrap(), backup_key);
    assert_eq!(status(&slot).unwrap().guesses_left, 10);
}

#[test]
fn change_password_then_delete() {
    let (config, http) = unlimited();
    let v = TestVault::sqlite(config, http);
    let backup_key = key();
    let slot = register_without_floor(&v.url, v.keys, "old", &backup_key, &cheap_options()).unwrap();
    // Below the writing floor, the public API refuses.
    assert!(matches!(
        change_password(&slot, "old", "new", &backup_key, &cheap_options(), &KdfLimits::V1),
        Err(Error::Usage(_))
    ));
    assert!(matches!(register(&v.url, v.keys, "x", &backup_key, &cheap_options()), Err(Error::Usage(_))));
    let options = ebak_vault_client::Options::default();
    let new_slot = change_password(&slot, "old", "new", &backup_key, &options, &KdfLimits::V1).unwrap();
    assert_eq!(new_slot.account(), slot.account());
    assert_eq!(status(&new_slot).unwrap().version, 2);
    assert!(matches!(recover(&slot, "old", &KdfLimits::V1), Err(Error::WrongPassword { guesses_left: Some(9) })));
    assert_eq!(recover(&new_slot, "new", &KdfLimits::V1).unwrap(), backup_key);
    // Wrong password: nothing deleted.
    assert!(matches!(delete(&new_slot, "old", &KdfLimits::V1), Err(Error::WrongPassword { .. })));
    delete(&new_slot, "new", &KdfLimits::V1).unwrap();
    assert_eq!(status(&new_slot).unwrap().state, AccountState::Deleted);
    assert!(matches!(recover(&new_slot, "new", &KdfLimits::V1), Err(Error::Deleted)));
}

#[test]
fn a_slot_whose_costs_exceed_the_readers_ceiling_is_refused_before_anything_is_sent() {
    let (config, http) = unlimited();
    let v = TestVault::sqlite(config, http);
    let slot = register_without_floor(&v.url, v.keys, "pw", &key(), &cheap_options()).unwrap();
    let tight = KdfLimits { max_memory_kib: 32, ..KdfLimits::V1 };
    assert!(matches!(recover(&slot, "pw", &tight), Err(Error::BadSlot(_))));
    assert_eq!(status(&slot).unwrap().guesses_left, 10, "no guess spent");
}

/// A raw POST: status and body.
pub fn ureq_post(base: &str, ty: MessageType, body: &[u8]) -> (u16, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut r = agent.post(&format!("{base}{}", ty.path())).send(body).unwrap();
    (r.status().as_u16(), r.body_mut().read_to_vec().unwrap())
}
