//! The protocol, one arm per request (spec 6). The order that makes the
//! guess counter hold is in the login start arm: the KE1, the session
//! table and the rate limit are checked, then the store's one-statement
//! guess step commits, and only then is anything derived from the record
//! computed.

use super::{Event, Phase, Reply, Session, Vault, random_id};
use crate::storage::{Account, Guess, LIFETIME_GUESS_BUDGET, Record, StorageError, Tombstone};
use ebak_vault_proto::msg::{
    AccountState, Action, ChangeStarted, KeysAnswer, LoginStarted, Outcome, PasswordChanged, Recovered,
    RegisterStarted, Registered, Request, Status,
};
use ebak_vault_proto::server::{ke1_is_valid, upload_is_valid};
use ebak_vault_proto::{AccountId, SessionId};
use std::sync::PoisonError;
use std::sync::atomic::Ordering;

impl Vault {
    #[allow(
        clippy::too_many_lines,
        reason = "one arm per request type, each short; split it and the order is harder to read"
    )]
    pub(super) fn dispatch(
        &self,
        request: Request,
        bytes: &[u8],
        now: u64,
        event: &mut Event,
    ) -> Result<Reply, StorageError> {
        let ty = request.message_type();
        let timeout = self.config.session_timeout;
        match request {
            Request::RegisterStart { key_id, guess_limit, request } => {
                let (_, keys) = self.keys.current();
                if keys.public().key_id() != key_id {
                    event.outcome = "not the current key set";
                    return Ok(Reply::text(
                        409,
                        "registration needs the vault's current key set (GET its keys)",
                        event.clone(),
                    ));
                }
                let Some(id) = random_id() else { return Ok(Reply::text(500, "no randomness", event.clone())) };
                let account = AccountId(id);
                event.account = Some(account);
                let Ok(response) = keys.registration_response(&account, 1, &request) else {
                    event.outcome = "malformed";
                    return Ok(Reply::text(400, "malformed request: invalid registration request", event.clone()));
                };
                let ticket = keys.issue_ticket(account, guess_limit, now.saturating_add(self.config.ticket_lifetime));
                Ok(Self::signed(keys, bytes, ty, Outcome::Ok, RegisterStarted { ticket, response }.to_bytes(), event))
            }
            Request::RegisterFinish { key_id, ticket, upload, wrapped_key } => {
                let Some((generation, keys)) = self.keys.by_id(&key_id) else {
                    return Ok(unknown_key_set(event));
                };
                event.account = Some(ticket.account);
                if !keys.check_ticket(&ticket, now) {
                    return Ok(Self::signed(keys, bytes, ty, Outcome::BadTicket, Vec::new(), event));
                }
                if !upload_is_valid(&upload) {
                    event.outcome = "malformed";
                    return Ok(Reply::text(400, "malformed request: invalid registration record", event.clone()));
                }
                let record = Record {
                    account: ticket.account,
                    generation,
                    version: 1,
                    registration: upload,
                    wrapped_key,
                    guess_limit: ticket.guess_limit,
                    used: 0,
                    lifetime_used: 0,
                    lifetime_budget: LIFETIME_GUESS_BUDGET,
                    last_guess_at: 0,
                };
                if !self.storage.create(&record)? {
                    return Ok(Self::signed(keys, bytes, ty, Outcome::Conflict, Vec::new(), event));
                }
                let body = Registered {
                    account: ticket.account,
                    version: 1,
                    guess_limit: ticket.guess_limit,
                    lifetime_budget: LIFETIME_GUESS_BUDGET,
                };
                Ok(Self::signed(keys, bytes, ty, Outcome::Ok, body.to_bytes(), event))
            }
            Request::LoginStart { key_id, account, request } => {
                event.account = Some(account);
                let Some((generation, keys)) = self.keys.by_id(&key_id) else {
                    return Ok(unknown_key_set(event));
                };
                // Garbage, a full session table or a rate limit spends no guess.
                if !ke1_is_valid(&request) {
                    event.outcome = "malformed";
                    return Ok(Reply::text(400, "malformed request: invalid KE1", event.clone()));
                }
                if self.open_sessions() >= self.config.max_sessions {
                    event.outcome = "busy";
                    return Ok(Reply::text(503, "too many logins in progress; try again later", event.clone()));
                }
                if !self.account_rate_ok(&account, now) {
                    event.outcome = "account rate limited";
                    return Ok(Reply::text(
                        429,
                        "too many login attempts on this account; wait a minute",
                        event.clone(),
                    ));
                }
                // Spec 6.3: the guess is counted, durably, before anything
                // derived from the record exists.
                let (record, version) = match self.storage.begin_guess(&account, now, timeout)? {
                    Guess::Granted(r) if r.generation == generation => {
                        event.used = Some(r.used);
                        self.stats.granted.fetch_add(1, Ordering::Relaxed);
                        (Some(r.registration), r.version)
                    }
                    // A record under another key set than the client pins:
                    // the guess is spent, the login is a dummy.
                    Guess::Granted(r) => {
                        event.used = Some(r.used);
                        self.stats.dummies.fetch_add(1, Ordering::Relaxed);
                        (None, 0)
                    }
                    Guess::Absent => {
                        self.stats.dummies.fetch_add(1, Ordering::Relaxed);
                        (None, 0)
                    }
                    Guess::Exhausted { .. } => {
                        self.stats.refused.fetch_add(1, Ordering::Relaxed);
                        return Ok(Self::signed(keys, bytes, ty, Outcome::NoGuessesLeft, Vec::new(), event));
                    }
                };
                if !self.config.fault_pause_after_guess.is_zero() {
                    std::thread::sleep(self.config.fault_pause_after_guess);
                }
                let started = keys.login_start(&mut getrandom::SysRng, record.as_ref(), &account, version, &request);
                let Ok((ke2, state)) = started else {
                    event.outcome = "login start failed";
                    return Ok(Reply::text(500, "the vault could not answer this login", event.clone()));
                };
                let Some(id) = random_id() else { return Ok(Reply::text(500, "no randomness", event.clone())) };
                let session = SessionId(id);
                let phase = Phase::Login(record.map(|_| state));
                self.sessions.lock().unwrap_or_else(PoisonError::into_inner).insert(
                    session,
                    Session { account, version, generation, phase, expires: now.saturating_add(timeout) },
                );
                Ok(Self::signed(
                    keys,
                    bytes,
                    ty,
                    Outcome::Ok,
                    LoginStarted { session, response: ke2 }.to_bytes(),
                    event,
                ))
            }
            Request::LoginFinish { session, finalization, action } => {
                let Some(s) = self.take_session(&session, now) else {
                    return Ok(Self::signed(
                        self.keys.current().1,
                        bytes,
                        ty,
                        Outcome::UnknownSession,
                        Vec::new(),
                        event,
                    ));
                };
                event.account = Some(s.account);
                let keys = self.keys.generation(s.generation).unwrap_or(self.keys.current().1);
                let Phase::Login(login) = s.phase else {
                    return Ok(Self::signed(keys, bytes, ty, Outcome::UnknownSession, Vec::new(), event));
                };
                let Some(login) = login else {
                    // A dummy login never verifies.
                    return Ok(Self::signed(keys, bytes, ty, Outcome::LoginFailed, Vec::new(), event));
                };
                if login.finish(&finalization).is_err() {
                    self.storage.guess_failed(&s.account, s.version)?;
                    return Ok(Self::signed(keys, bytes, ty, Outcome::LoginFailed, Vec::new(), event));
                }
                self.stats.verified.fetch_add(1, Ordering::Relaxed);
                // Spec 6.4: the reset, only now that KE3 verified.
                if !self.storage.guess_verified(&s.account, s.version)? {
                    let outcome = self.conflict_or_gone(&s.account)?;
                    return Ok(Self::signed(keys, bytes, ty, outcome, Vec::new(), event));
                }
                match action {
                    Action::Recover => match self.storage.get(&s.account)? {
                        Account::Live(r) if r.version == s.version => {
                            let body = Recovered { version: r.version, wrapped_key: r.wrapped_key };
                            Ok(Self::signed(keys, bytes, ty, Outcome::Ok, body.to_bytes(), event))
                        }
                        Account::Live(_) => Ok(Self::signed(keys, bytes, ty, Outcome::Conflict, Vec::new(), event)),
                        _ => Ok(Self::signed(keys, bytes, ty, Outcome::Gone, Vec::new(), event)),
                    },
                    Action::Delete => {
                        if self.storage.delete(&s.account, s.version)? {
                            Ok(Self::signed(keys, bytes, ty, Outcome::Ok, Vec::new(), event))
                        } else {
                            let outcome = self.conflict_or_gone(&s.account)?;
                            Ok(Self::signed(keys, bytes, ty, outcome, Vec::new(), event))
                        }
                    }
                    Action::ChangePassword(registration) => {
                        let (new_generation, new_keys) = self.keys.current();
                        let new_version = s.version.saturating_add(1);
                        let Ok(response) = new_keys.registration_response(&s.account, new_version, &registration)
                        else {
                            event.outcome = "malformed";
                            return Ok(Reply::text(
                                400,
                                "malformed request: invalid registration request",
                                event.clone(),
                            ));
                        };
                        let body = ChangeStarted { version: new_version, keys: *new_keys.public(), response };
                        self.sessions.lock().unwrap_or_else(PoisonError::into_inner).insert(
                            session,
                            Session {
                                phase: Phase::Change { new_version, new_generation },
                                expires: now.saturating_add(timeout),
                                ..s
                            },
                        );
                        Ok(Self::signed(keys, bytes, ty, Outcome::Ok, body.to_bytes(), event))
                    }
                }
            }
            Request::LoginAbort { session } => {
                let Some(s) = self.take_session(&session, now) else {
                    return Ok(Self::signed(
                        self.keys.current().1,
                        bytes,
                        ty,
                        Outcome::UnknownSession,
                        Vec::new(),
                        event,
                    ));
                };
                event.account = Some(s.account);
                let keys = self.keys.generation(s.generation).unwrap_or(self.keys.current().1);
                if let Phase::Login(Some(_)) = s.phase {
                    self.storage.guess_failed(&s.account, s.version)?;
                }
                Ok(Self::signed(keys, bytes, ty, Outcome::Ok, Vec::new(), event))
            }
            Request::PasswordFinish { session, upload, wrapped_key } => {
                let Some(s) = self.take_session(&session, now) else {
                    return Ok(Self::signed(
                        self.keys.current().1,
                        bytes,
                        ty,
                        Outcome::UnknownSession,
                        Vec::new(),
                        event,
                    ));
                };
                event.account = Some(s.account);
                let keys = self.keys.generation(s.generation).unwrap_or(self.keys.current().1);
                let Phase::Change { new_version, new_generation } = s.phase else {
                    return Ok(Self::signed(keys, bytes, ty, Outcome::UnknownSession, Vec::new(), event));
                };
                if !upload_is_valid(&upload) {
                    event.outcome = "malformed";
                    return Ok(Reply::text(400, "malformed request: invalid registration record", event.clone()));
                }
                if self.storage.replace(&s.account, s.version, new_generation, &upload, &wrapped_key)? {
                    Ok(Self::signed(
                        keys,
                        bytes,
                        ty,
                        Outcome::Ok,
                        PasswordChanged { version: new_version }.to_bytes(),
                        event,
                    ))
                } else {
                    let outcome = self.conflict_or_gone(&s.account)?;
                    Ok(Self::signed(keys, bytes, ty, outcome, Vec::new(), event))
                }
            }
            Request::Status { key_id, account, .. } => {
                event.account = Some(account);
                let Some((_, keys)) = self.keys.by_id(&key_id) else {
                    return Ok(unknown_key_set(event));
                };
                let status = match self.storage.get(&account)? {
                    Account::Live(r) => Status {
                        state: AccountState::Live,
                        guess_limit: r.guess_limit,
                        guesses_left: if r.lifetime_used >= r.lifetime_budget {
                            0
                        } else {
                            r.guess_limit.saturating_sub(r.used)
                        },
                        lifetime_left: r.lifetime_budget.saturating_sub(r.lifetime_used),
                        version: r.version,
                    },
                    other => {
                        let state = match other {
                            Account::Gone(Tombstone::Destroyed) => AccountState::Destroyed,
                            Account::Gone(Tombstone::Deleted) => AccountState::Deleted,
                            _ => AccountState::Unknown,
                        };
                        Status { state, guess_limit: 0, guesses_left: 0, lifetime_left: 0, version: 0 }
                    }
                };
                Ok(Self::signed(keys, bytes, ty, Outcome::Ok, status.to_bytes(), event))
            }
            Request::Keys { .. } => {
                let (_, keys) = self.keys.current();
                Ok(Self::signed(keys, bytes, ty, Outcome::Ok, KeysAnswer { keys: *keys.public() }.to_bytes(), event))
            }
        }
    }
}

fn unknown_key_set(event: &mut Event) -> Reply {
    event.outcome = "unknown key set";
    Reply::text(404, "unknown key set: this vault does not hold the pinned keys", event.clone())
}
