//! A model of the guess counter (spec/ebak-vault-v1.md 6.3 to 6.6): the
//! record's durable state, the logins in flight (volatile: a crash loses
//! them), time (a tick makes every session expire and the last guess
//! stale), and ghost counters of what happened to the record's OPRF key.
//!
//! Each storage call is one atomic step here, as each is one statement in
//! the store (tests/storage.rs checks that with 200 threads).

/// The guess limit in the model.
pub const LIMIT: u8 = 3;
/// The lifetime budget in the model.
pub const BUDGET: u16 = 5;

/// The durable record.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Rec {
    /// A record: counters, version, and whether its last guess is older
    /// than a session lifetime.
    Live { used: u8, life: u16, version: u64, stale: bool },
    /// Destroyed: its guesses ran out.
    Destroyed,
    /// Deleted by its owner.
    Deleted,
}

impl Rec {
    fn exhausted(self) -> bool {
        matches!(self, Self::Live { used, life, .. } if used >= LIMIT || life >= BUDGET)
    }
}

/// A login in flight: the version it was granted on, or a dummy.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Session {
    /// A granted guess on this record version.
    Real(u64),
    /// A dummy login (no live record): it can only fail.
    Dummy,
}

/// Who acts.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Role {
    /// Knows the password: a granted login of theirs verifies.
    Owner,
    /// Does not: their logins fail (KE3 does not verify, or they abort).
    Attacker,
}

/// One step.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Action {
    /// Client `i` sends a login start (the guess step).
    Start(usize),
    /// Client `i` finishes: the owner's KE3 verifies (recover); an
    /// attacker's fails (or they abort).
    Finish(usize),
    /// The owner's verified login changes the password (reset, replace).
    Change(usize),
    /// The owner's verified login deletes the record.
    Delete(usize),
    /// A session lifetime passes: every session expires, the last guess is stale.
    Tick,
    /// The vault is killed and restarted: sessions are lost, the store stays.
    Crash,
    /// The periodic sweep.
    Sweep,
}

/// What a step returned (compared with the store in the differential test).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    Granted,
    Exhausted { destroyed: bool },
    Absent,
    Verified(bool),
    Failed { destroyed: bool },
    Replaced(bool),
    DeletedIt(bool),
    Swept(bool),
    Nothing,
}

/// The whole state.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct State {
    pub rec: Rec,
    pub sessions: Vec<Option<Session>>,
    pub starts_left: Vec<u8>,
    pub ticks_left: u8,
    pub crashes_left: u8,
    /// Ghost: granted evaluations on the record since the last verified login.
    pub evals_since_reset: u8,
    /// Ghost: granted evaluations that did not verify, over the record's life.
    pub failed_evals: u16,
    /// Ghost: granted evaluations while the record was not live (must stay 0).
    pub evals_when_gone: u16,
}

impl State {
    /// A fresh record and clients with these roles and login budgets.
    pub fn new(starts: &[u8], ticks: u8, crashes: u8) -> Self {
        Self {
            rec: Rec::Live { used: 0, life: 0, version: 1, stale: true },
            sessions: vec![None; starts.len()],
            starts_left: starts.to_vec(),
            ticks_left: ticks,
            crashes_left: crashes,
            evals_since_reset: 0,
            failed_evals: 0,
            evals_when_gone: 0,
        }
    }
}

/// Client 0 is the owner, every other client an attacker.
pub fn role(i: usize) -> Role {
    if i == 0 { Role::Owner } else { Role::Attacker }
}

/// The actions enabled in `s`.
pub fn enabled(s: &State) -> Vec<Action> {
    let mut out = Vec::new();
    for i in 0..s.sessions.len() {
        match s.sessions[i] {
            None if s.starts_left[i] > 0 => out.push(Action::Start(i)),
            None => {}
            Some(_) => {
                out.push(Action::Finish(i));
                if role(i) == Role::Owner {
                    out.push(Action::Change(i));
                    out.push(Action::Delete(i));
                }
            }
        }
    }
    if s.ticks_left > 0 {
        out.push(Action::Tick);
    }
    if s.crashes_left > 0 {
        out.push(Action::Crash);
    }
    out.push(Action::Sweep);
    out
}

/// The spec's verified-login reset on `version`: `used = 0`, one guess
/// given back to the lifetime count. Whether the record was live there.
fn reset(s: &mut State, version: u64) -> bool {
    match &mut s.rec {
        Rec::Live { used, life, version: v, .. } if *v == version => {
            *used = 0;
            *life = life.saturating_sub(1);
            s.evals_since_reset = 0;
            s.failed_evals = s.failed_evals.saturating_sub(1);
            true
        }
        _ => false,
    }
}

/// Applies `a` to `s` (which must enable it).
pub fn step(s: &mut State, a: Action) -> Outcome {
    match a {
        Action::Start(i) => {
            s.starts_left[i] -= 1;
            match s.rec {
                Rec::Live { used, life, version, .. } if !s.rec.exhausted() => {
                    s.rec = Rec::Live { used: used + 1, life: life + 1, version, stale: false };
                    s.sessions[i] = Some(Session::Real(version));
                    s.evals_since_reset += 1;
                    s.failed_evals += 1;
                    Outcome::Granted
                }
                Rec::Live { stale: true, .. } => {
                    s.rec = Rec::Destroyed;
                    Outcome::Exhausted { destroyed: true }
                }
                Rec::Live { .. } => Outcome::Exhausted { destroyed: false },
                Rec::Destroyed | Rec::Deleted => {
                    s.sessions[i] = Some(Session::Dummy);
                    Outcome::Absent
                }
            }
        }
        Action::Finish(i) => {
            let session = s.sessions[i].take();
            match (session, role(i)) {
                (Some(Session::Real(v)), Role::Owner) => Outcome::Verified(reset(s, v)),
                (Some(Session::Real(v)), Role::Attacker) => {
                    let destroy = matches!(s.rec, Rec::Live { version, .. } if version == v) && s.rec.exhausted();
                    if destroy {
                        s.rec = Rec::Destroyed;
                    }
                    Outcome::Failed { destroyed: destroy }
                }
                _ => Outcome::Nothing,
            }
        }
        Action::Change(i) => match s.sessions[i].take() {
            Some(Session::Real(v)) if reset(s, v) => {
                if let Rec::Live { life, stale, .. } = s.rec {
                    s.rec = Rec::Live { used: 0, life, version: v + 1, stale };
                }
                Outcome::Replaced(true)
            }
            _ => Outcome::Replaced(false),
        },
        Action::Delete(i) => match s.sessions[i].take() {
            Some(Session::Real(v)) if reset(s, v) => {
                s.rec = Rec::Deleted;
                Outcome::DeletedIt(true)
            }
            _ => Outcome::DeletedIt(false),
        },
        Action::Tick => {
            s.ticks_left -= 1;
            s.sessions.iter_mut().for_each(|x| *x = None);
            if let Rec::Live { stale, .. } = &mut s.rec {
                *stale = true;
            }
            Outcome::Nothing
        }
        Action::Crash => {
            s.crashes_left -= 1;
            s.sessions.iter_mut().for_each(|x| *x = None);
            Outcome::Nothing
        }
        Action::Sweep => {
            let destroy = matches!(s.rec, Rec::Live { stale: true, .. }) && s.rec.exhausted();
            if destroy {
                s.rec = Rec::Destroyed;
            }
            Outcome::Swept(destroy)
        }
    }
}

/// The invariants of spec 6.4's "bounds these rules give", checked on every
/// reachable state, and the ones about transitions.
pub fn check(before: &State, a: Action, after: &State) -> Result<(), String> {
    if after.evals_since_reset > LIMIT {
        return Err(format!("{} evaluations since the last verified login", after.evals_since_reset));
    }
    if after.failed_evals > BUDGET {
        return Err(format!("{} failed evaluations over the record's life", after.failed_evals));
    }
    if after.evals_when_gone != 0 {
        return Err("an evaluation on a destroyed or deleted record".into());
    }
    if matches!(before.rec, Rec::Destroyed | Rec::Deleted) && after.rec != before.rec {
        return Err(format!("{:?} came back as {:?}", before.rec, after.rec));
    }
    if a == Action::Crash && after.rec != before.rec {
        return Err("a crash changed the durable record".into());
    }
    if let (Rec::Live { used: u0, .. }, Rec::Live { used: u1, .. }) = (before.rec, after.rec) {
        let resetting = matches!(a, Action::Finish(0) | Action::Change(0) | Action::Delete(0));
        if u1 < u0 && !resetting {
            return Err(format!("{a:?} refunded a guess ({u0} -> {u1})"));
        }
    }
    if let Rec::Live { used, .. } = after.rec
        && used != after.evals_since_reset
    {
        return Err(format!("used {used} but {} evaluations since the reset", after.evals_since_reset));
    }
    Ok(())
}
