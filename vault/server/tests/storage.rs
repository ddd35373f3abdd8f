//! The storage suite, run on SQLite and on a real PostgreSQL server
//! (spec 6.3, 6.9): the counter rules one by one, then 200 threads on one
//! account, then a reopen.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::{engines, fresh_account, new_record};
use ebak_vault::storage::{Account, Guess, Storage, Tombstone};
use std::sync::{Arc, Barrier};

const TIMEOUT: u64 = 60;

fn granted(g: Guess) -> ebak_vault::storage::Record {
    match g {
        Guess::Granted(r) => *r,
        other => panic!("expected a granted guess, got {other:?}"),
    }
}

#[test]
fn counts_up_to_the_limit_then_refuses_then_destroys_after_the_timeout() {
    let (engines, _dir) = engines(2);
    for (name, s) in engines {
        let a = fresh_account();
        assert!(s.create(&new_record(a, 3)).unwrap(), "{name}");
        assert!(!s.create(&new_record(a, 3)).unwrap(), "{name}: a name is registered once");
        for i in 1..=3u8 {
            let r = granted(s.begin_guess(&a, 1000 + u64::from(i), TIMEOUT).unwrap());
            assert_eq!((r.used, r.lifetime_used, r.last_guess_at), (i, u16::from(i), 1000 + u64::from(i)), "{name}");
        }
        // At the limit, with the last login possibly still running: refused, kept.
        assert_eq!(s.begin_guess(&a, 1010, TIMEOUT).unwrap(), Guess::Exhausted { destroyed: false }, "{name}");
        let Account::Live(r) = s.get(&a).unwrap() else { panic!("{name}: still live") };
        assert_eq!(r.used, 3);
        // Once no login on it can finish, the next attempt destroys it.
        assert_eq!(s.begin_guess(&a, 1003 + TIMEOUT, TIMEOUT).unwrap(), Guess::Exhausted { destroyed: true }, "{name}");
        assert_eq!(s.get(&a).unwrap(), Account::Gone(Tombstone::Destroyed), "{name}");
        assert_eq!(s.begin_guess(&a, 5000, TIMEOUT).unwrap(), Guess::Absent, "{name}");
        assert!(!s.create(&new_record(a, 3)).unwrap(), "{name}: a destroyed name is never reused");
        assert!(!s.guess_verified(&a, 1).unwrap(), "{name}: destruction is permanent");
        assert_eq!(s.begin_guess(&fresh_account(), 1, TIMEOUT).unwrap(), Guess::Absent, "{name}");
    }
}

#[test]
fn a_verified_login_resets_the_count_and_refunds_itself() {
    let (engines, _dir) = engines(1);
    for (name, s) in engines {
        let a = fresh_account();
        s.create(&new_record(a, 10)).unwrap();
        for _ in 0..4 {
            granted(s.begin_guess(&a, 10, TIMEOUT).unwrap());
        }
        assert!(s.guess_verified(&a, 1).unwrap(), "{name}");
        let Account::Live(r) = s.get(&a).unwrap() else { panic!() };
        assert_eq!((r.used, r.lifetime_used), (0, 3), "{name}: reset, and the verified guess not counted");
        assert!(!s.guess_verified(&a, 2).unwrap(), "{name}: another version does not reset");
    }
}

#[test]
fn a_failed_login_destroys_only_an_exhausted_record() {
    let (engines, _dir) = engines(1);
    for (name, s) in engines {
        let a = fresh_account();
        s.create(&new_record(a, 2)).unwrap();
        granted(s.begin_guess(&a, 10, TIMEOUT).unwrap());
        assert!(!s.guess_failed(&a, 1).unwrap(), "{name}: one guess left");
        granted(s.begin_guess(&a, 11, TIMEOUT).unwrap());
        assert!(!s.guess_failed(&a, 2).unwrap(), "{name}: another version");
        assert!(s.guess_failed(&a, 1).unwrap(), "{name}: the last guess failed");
        assert_eq!(s.get(&a).unwrap(), Account::Gone(Tombstone::Destroyed), "{name}");
    }
}

#[test]
fn the_lifetime_budget_survives_resets_and_password_changes() {
    let (engines, _dir) = engines(1);
    for (name, s) in engines {
        let a = fresh_account();
        let mut rec = new_record(a, 10);
        rec.lifetime_budget = 5;
        s.create(&rec).unwrap();
        // 3 failed guesses, then a verified one (refunded), then a change.
        for _ in 0..4 {
            granted(s.begin_guess(&a, 10, TIMEOUT).unwrap());
        }
        assert!(s.guess_verified(&a, 1).unwrap());
        assert!(s.replace(&a, 1, 1, &[0x33; 192], &[0x44; 104]).unwrap(), "{name}");
        let Account::Live(r) = s.get(&a).unwrap() else { panic!() };
        assert_eq!((r.version, r.generation, r.used, r.lifetime_used), (2, 1, 0, 3), "{name}");
        assert_eq!((r.registration, r.wrapped_key), ([0x33; 192], [0x44; 104]));
        // Two more, and the lifetime budget is spent although used < limit.
        granted(s.begin_guess(&a, 20, TIMEOUT).unwrap());
        let r = granted(s.begin_guess(&a, 21, TIMEOUT).unwrap());
        assert_eq!((r.used, r.lifetime_used), (2, 5));
        assert!(r.exhausted());
        assert_eq!(s.begin_guess(&a, 22, TIMEOUT).unwrap(), Guess::Exhausted { destroyed: false }, "{name}");
        assert!(s.guess_failed(&a, 2).unwrap(), "{name}");
        assert_eq!(s.get(&a).unwrap(), Account::Gone(Tombstone::Destroyed));
    }
}

#[test]
fn replace_and_delete_are_compare_and_swap_on_the_version() {
    let (engines, _dir) = engines(1);
    for (name, s) in engines {
        let a = fresh_account();
        s.create(&new_record(a, 10)).unwrap();
        assert!(!s.replace(&a, 2, 0, &[1; 192], &[1; 104]).unwrap(), "{name}");
        assert!(!s.delete(&a, 2).unwrap(), "{name}");
        assert!(s.replace(&a, 1, 0, &[1; 192], &[1; 104]).unwrap(), "{name}");
        assert!(!s.replace(&a, 1, 0, &[2; 192], &[2; 104]).unwrap(), "{name}: the old version is gone");
        assert!(s.delete(&a, 2).unwrap(), "{name}");
        assert_eq!(s.get(&a).unwrap(), Account::Gone(Tombstone::Deleted), "{name}");
        assert!(!s.delete(&a, 2).unwrap(), "{name}");
        assert!(!s.replace(&a, 2, 0, &[1; 192], &[1; 104]).unwrap(), "{name}");
        assert_eq!(s.begin_guess(&a, 1, TIMEOUT).unwrap(), Guess::Absent, "{name}");
        assert!(!s.create(&new_record(a, 10)).unwrap(), "{name}: a deleted name is never reused");
    }
}

#[test]
fn sweep_destroys_exactly_the_stale_exhausted_records() {
    let (engines, _dir) = engines(1);
    for (name, s) in engines {
        let (stale, fresh, spare) = (fresh_account(), fresh_account(), fresh_account());
        for a in [stale, fresh, spare] {
            s.create(&new_record(a, 1)).unwrap();
        }
        granted(s.begin_guess(&stale, 100, TIMEOUT).unwrap());
        granted(s.begin_guess(&fresh, 150, TIMEOUT).unwrap());
        let n = s.sweep(100 + TIMEOUT, TIMEOUT).unwrap();
        assert!(n >= 1, "{name}");
        assert_eq!(s.get(&stale).unwrap(), Account::Gone(Tombstone::Destroyed), "{name}");
        assert!(matches!(s.get(&fresh).unwrap(), Account::Live(_)), "{name}");
        assert!(matches!(s.get(&spare).unwrap(), Account::Live(_)), "{name}: not exhausted");
    }
}

#[test]
fn two_hundred_threads_on_one_account_get_exactly_the_limit() {
    let (engines, _dir) = engines(8);
    for (name, s) in engines {
        let a = fresh_account();
        s.create(&new_record(a, 10)).unwrap();
        let barrier = Arc::new(Barrier::new(200));
        let threads: Vec<_> = (0..200)
            .map(|_| {
                let (s, barrier) = (Arc::clone(&s), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    s.begin_guess(&a, 500, TIMEOUT).unwrap()
                })
            })
            .collect();
        let results: Vec<Guess> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let granted: Vec<u8> = results
            .iter()
            .filter_map(|g| match g {
                Guess::Granted(r) => Some(r.used),
                _ => None,
            })
            .collect();
        let refused = results.iter().filter(|g| **g == Guess::Exhausted { destroyed: false }).count();
        let mut seen = granted.clone();
        seen.sort_unstable();
        assert_eq!(seen, (1..=10).collect::<Vec<u8>>(), "{name}: each count handed out once");
        assert_eq!(refused, 190, "{name}");
        let Account::Live(r) = s.get(&a).unwrap() else { panic!() };
        assert_eq!((r.used, r.lifetime_used), (10, 10), "{name}");
    }
}

#[test]
fn a_reopened_store_keeps_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let accounts: Vec<_> = (0..20).map(|_| fresh_account()).collect();
    {
        let s = ebak_vault::storage::sqlite::SqliteStorage::open(&path, 2).unwrap();
        for (i, a) in accounts.iter().enumerate() {
            s.create(&new_record(*a, 10)).unwrap();
            for _ in 0..(i % 10) {
                granted(s.begin_guess(a, 1, TIMEOUT).unwrap());
            }
        }
    }
    let s = ebak_vault::storage::sqlite::SqliteStorage::open(&path, 1).unwrap();
    assert_eq!(s.count().unwrap(), 20);
    for (i, a) in accounts.iter().enumerate() {
        let Account::Live(r) = s.get(a).unwrap() else { panic!() };
        assert_eq!(usize::from(r.used), i % 10);
    }
    if let Some(url) = common::postgres_url() {
        let p = ebak_vault::storage::postgres::PostgresStorage::connect(&url, 1).unwrap();
        let a = fresh_account();
        p.create(&new_record(a, 10)).unwrap();
        granted(p.begin_guess(&a, 1, TIMEOUT).unwrap());
        drop(p);
        let p = ebak_vault::storage::postgres::PostgresStorage::connect(&url, 1).unwrap();
        let Account::Live(r) = p.get(&a).unwrap() else { panic!() };
        assert_eq!(r.used, 1);
    }
}
