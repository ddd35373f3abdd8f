//! Issue 18 part 4: the guess counter, model-checked and tied to the code.
//!
//! 1. **Exhaustive exploration** (breadth-first, every interleaving) of the
//!    model in `model/`: an owner and two attackers logging in
//!    concurrently, ticks of the session clock, crashes and sweeps, within
//!    bounds; every reachable state and transition must keep the
//!    invariants: at most `LIMIT` evaluations between verified logins, at
//!    most `BUDGET` failed evaluations over the record's life, no evaluation
//!    after destruction, destruction and deletion permanent, a crash never
//!    changes the record, no step but a verified login refunds a guess.
//! 2. **Differential test**: seeded random walks through the same actions,
//!    applied step by step to the model and to the real store (SQLite, and
//!    PostgreSQL), with a crash as a reopened store and a tick as the clock
//!    moving past the session lifetime: the same outcome at every step, the
//!    same counters after it.
//!
//! What this proves and what it does not: the exploration is exhaustive
//! only within its bounds (3 clients, the starts, ticks and crashes below);
//! the differential test samples the store against the model on thousands
//! of steps, it does not prove them equal.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;
mod model;

use ebak_vault::storage::{Account, Guess, Storage, Tombstone};
use model::{Action, BUDGET, LIMIT, Outcome, Rec, Session, State, check, enabled, step};

use std::collections::{HashSet, VecDeque};

#[test]
fn every_reachable_state_keeps_the_counter_invariants() {
    // Owner: 2 logins; attackers: 6 and 4 starts; 2 ticks; 2 crashes.
    let start = State::new(&[2, 6, 4], 2, 2);
    let mut seen = HashSet::new();
    let mut queue = VecDeque::new();
    seen.insert(start.clone());
    queue.push_back(start);
    let mut transitions = 0u64;
    let mut destroyed_states = 0u64;
    while let Some(s) = queue.pop_front() {
        if s.rec == Rec::Destroyed {
            destroyed_states += 1;
        }
        for a in enabled(&s) {
            let mut next = s.clone();
            step(&mut next, a);
            transitions += 1;
            if let Err(why) = check(&s, a, &next) {
                panic!("invariant broken by {a:?}\nfrom {s:?}\nto   {next:?}\n{why}");
            }
            if seen.insert(next.clone()) {
                queue.push_back(next);
            }
        }
    }
    println!(
        "explored {} states, {transitions} transitions ({destroyed_states} with the record destroyed)",
        seen.len()
    );
    assert!(seen.len() > 10_000, "the bounds explore too little: {}", seen.len());
    assert!(destroyed_states > 0, "destruction is reachable");
    // The attackers can spend the whole lifetime budget across the owner's resets.
    assert!(seen.iter().any(|s| s.failed_evals == BUDGET));
}

#[test]
fn the_checker_catches_a_broken_rule() {
    // A counter that forgets to count evaluations at the limit: the
    // invariant check must see it (the exploration is not vacuous).
    let mut s = State::new(&[0, 9], 0, 1);
    for _ in 0..LIMIT - 1 {
        step(&mut s, Action::Start(1));
        step(&mut s, Action::Finish(1));
    }
    assert!(matches!(s.rec, Rec::Live { used, .. } if used == LIMIT - 1));
    let before = s.clone();
    // One evaluation more than the limit allows.
    let mut over = s.clone();
    over.evals_since_reset = LIMIT + 1;
    assert!(check(&before, Action::Start(1), &over).is_err());
    // A crash that refunds a guess.
    let mut refund = s.clone();
    if let Rec::Live { used, .. } = &mut refund.rec {
        *used -= 1;
    }
    assert!(check(&before, Action::Crash, &refund).is_err());
    // A destroyed record that comes back.
    let mut gone = s.clone();
    gone.rec = Rec::Destroyed;
    assert!(check(&gone, Action::Sweep, &before).is_err());
    // An evaluation with nothing to evaluate.
    let mut ghost = s.clone();
    ghost.evals_when_gone = 1;
    assert!(check(&before, Action::Start(1), &ghost).is_err());
}

/// A tiny deterministic generator for the walks.
struct Walk(u64);

impl Walk {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

const TIMEOUT: u64 = 60;

/// The store's outcome for the same action, from the same state.
fn apply(
    store: &dyn Storage,
    account: &ebak_vault_proto::AccountId,
    a: Action,
    model: &State,
    now: &mut u64,
) -> Outcome {
    match a {
        Action::Start(_) => match store.begin_guess(account, *now, TIMEOUT).unwrap() {
            Guess::Granted(_) => Outcome::Granted,
            Guess::Exhausted { destroyed } => Outcome::Exhausted { destroyed },
            Guess::Absent => Outcome::Absent,
        },
        Action::Finish(i) => match (model.sessions[i], model::role(i)) {
            (Some(Session::Real(v)), model::Role::Owner) => {
                Outcome::Verified(store.guess_verified(account, v).unwrap())
            }
            (Some(Session::Real(v)), model::Role::Attacker) => {
                Outcome::Failed { destroyed: store.guess_failed(account, v).unwrap() }
            }
            _ => Outcome::Nothing,
        },
        Action::Change(i) => match model.sessions[i] {
            Some(Session::Real(v)) => {
                let ok = store.guess_verified(account, v).unwrap()
                    && store.replace(account, v, 0, &[7; 192], &[8; 104]).unwrap();
                Outcome::Replaced(ok)
            }
            _ => Outcome::Replaced(false),
        },
        Action::Delete(i) => match model.sessions[i] {
            Some(Session::Real(v)) => {
                Outcome::DeletedIt(store.guess_verified(account, v).unwrap() && store.delete(account, v).unwrap())
            }
            _ => Outcome::DeletedIt(false),
        },
        Action::Tick => {
            *now += TIMEOUT;
            Outcome::Nothing
        }
        Action::Crash => Outcome::Nothing,
        Action::Sweep => {
            // Other walks share the PostgreSQL table: count only this record.
            let before = store.get(account).unwrap();
            store.sweep(*now, TIMEOUT).unwrap();
            let after = store.get(account).unwrap();
            Outcome::Swept(matches!(before, Account::Live(_)) && after == Account::Gone(Tombstone::Destroyed))
        }
    }
}

fn same_state(store: &dyn Storage, account: &ebak_vault_proto::AccountId, model: &State) -> Result<(), String> {
    match (store.get(account).unwrap(), model.rec) {
        (Account::Live(r), Rec::Live { used, life, version, .. })
            if r.used == used && r.lifetime_used == life && r.version == version =>
        {
            Ok(())
        }
        (Account::Gone(Tombstone::Destroyed), Rec::Destroyed) | (Account::Gone(Tombstone::Deleted), Rec::Deleted) => {
            Ok(())
        }
        (got, want) => Err(format!("the store holds {got:?}, the model {want:?}")),
    }
}

fn differential(name: &str, open: &dyn Fn() -> Box<dyn Storage>) {
    let mut steps = 0;
    for seed in 0..24u64 {
        let mut walk = Walk(seed);
        let mut model = State::new(&[6, 12, 8], 6, 3);
        let mut store = open();
        let account = common::fresh_account();
        let mut record = common::new_record(account, LIMIT);
        record.lifetime_budget = BUDGET;
        assert!(store.create(&record).unwrap());
        // The model starts stale: the record's last guess is at 0, long ago.
        let mut now = 10 * TIMEOUT;
        loop {
            let actions = enabled(&model);
            // Stop when only the clock, crashes and sweeps are left.
            if actions.iter().all(|a| matches!(a, Action::Tick | Action::Crash | Action::Sweep)) {
                break;
            }
            let a = actions[walk.below(actions.len())];
            let got = apply(store.as_ref(), &account, a, &model, &mut now);
            let before = model.clone();
            let want = step(&mut model, a);
            check(&before, a, &model).unwrap();
            assert_eq!(got, want, "{name} seed {seed}: {a:?} from {before:?}");
            if a == Action::Crash {
                drop(store);
                store = open();
            }
            if let Err(why) = same_state(store.as_ref(), &account, &model) {
                panic!("{name} seed {seed}: after {a:?}: {why}");
            }
            steps += 1;
        }
    }
    println!("{name}: {steps} steps agree with the model");
    assert!(steps > 1000);
}

#[test]
fn the_sqlite_store_behaves_like_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    differential("sqlite", &|| Box::new(ebak_vault::storage::sqlite::SqliteStorage::open(&path, 1).unwrap()));
}

#[test]
fn the_postgres_store_behaves_like_the_model() {
    let Some(url) = common::postgres_url() else { return };
    differential("postgres", &|| Box::new(ebak_vault::storage::postgres::PostgresStorage::connect(&url, 1).unwrap()));
}
