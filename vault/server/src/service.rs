//! The vault's protocol, request by request (spec 6), over a store and
//! the key sets. No I/O of its own: [`Vault::handle`] takes a request's
//! route and bytes and the time, and returns the HTTP status and body.
//!
//! The order that makes the guess counter hold is in the login start
//! arm: the KE1 is checked, then the store's one-statement guess step
//! commits, and only then is anything derived from the record computed.

use crate::keyfile::KeySets;
use crate::storage::{Account, Guess, LIFETIME_GUESS_BUDGET, Record, Storage, StorageError, Tombstone};
use ebak_vault_proto::keys::ServerKeys;
use ebak_vault_proto::msg::{
    AccountState, Action, ChangeStarted, KeysAnswer, LoginStarted, MessageType, Outcome, PasswordChanged, Recovered,
    RegisterStarted, Registered, Request, Response, Status,
};
use ebak_vault_proto::server::{ServerLoginState, ke1_is_valid, upload_is_valid};
use ebak_vault_proto::{AccountId, SessionId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Timing and capacity settings.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Spec 6.3: how long a login session lives (seconds); also how long an
    /// exhausted record waits for its last login before it is destroyed.
    pub session_timeout: u64,
    /// Spec 6.1: how long a registration ticket is valid (seconds).
    pub ticket_lifetime: u64,
    /// Open sessions at most; a login start beyond it is refused (503)
    /// before a guess is counted.
    pub max_sessions: usize,
    /// Login starts per account per minute (spec 8); 0 for no limit.
    pub account_logins_per_minute: u32,
    /// Fault injection for the crash tests: sleep this long between the
    /// durable guess step and the reply (zero, the default, in service).
    pub fault_pause_after_guess: std::time::Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            session_timeout: 60,
            ticket_lifetime: 300,
            max_sessions: 100_000,
            account_logins_per_minute: 20,
            fault_pause_after_guess: std::time::Duration::ZERO,
        }
    }
}

/// What happened, for the log line (no secrets: names and outcomes only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The route's message type, if the route exists.
    pub route: Option<MessageType>,
    /// The account concerned, if known.
    pub account: Option<AccountId>,
    /// A short outcome word.
    pub outcome: &'static str,
    /// The guess count after this request, for login starts.
    pub used: Option<u8>,
    /// For the operator: the store's error message, when it failed.
    pub detail: Option<String>,
}

/// An HTTP answer: status, content type, body.
#[derive(Clone, Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// `application/octet-stream` for protocol answers, `text/plain`
    /// for transport errors.
    pub binary: bool,
    /// The body.
    pub body: Vec<u8>,
    /// For the log.
    pub event: Event,
}

impl Reply {
    fn text(status: u16, message: &str, event: Event) -> Self {
        Self { status, binary: false, body: format!("{message}\n").into_bytes(), event }
    }
}

enum Phase {
    /// Between login start and finish. `None`: a dummy login.
    Login(Option<ServerLoginState>),
    /// Between a verified login asking for a password change and the upload.
    Change { new_version: u64, new_generation: u32 },
}

struct Session {
    account: AccountId,
    version: u64,
    generation: u32,
    phase: Phase,
    expires: u64,
}

/// What the vault has done since it started: the operator's counters,
/// and what the tests count evaluations with.
#[derive(Debug, Default)]
pub struct Stats {
    /// Login starts whose guess was granted: OPRF evaluations on a record.
    pub granted: AtomicU64,
    /// Login starts on no live record: dummy evaluations.
    pub dummies: AtomicU64,
    /// Login starts refused with NoGuessesLeft.
    pub refused: AtomicU64,
    /// Logins whose KE3 verified.
    pub verified: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// See [`Stats::granted`].
    pub granted: u64,
    /// See [`Stats::dummies`].
    pub dummies: u64,
    /// See [`Stats::refused`].
    pub refused: u64,
    /// See [`Stats::verified`].
    pub verified: u64,
}

/// The vault: key sets, a store, the open sessions.
pub struct Vault {
    stats: Stats,
    keys: KeySets,
    storage: Arc<dyn Storage>,
    sessions: Mutex<HashMap<SessionId, Session>>,
    account_starts: Mutex<HashMap<AccountId, (u64, u32)>>,
    config: Config,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("vault_id", &self.keys.vault_id())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn random_id() -> Option<[u8; 16]> {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).ok().map(|()| id)
}

impl Vault {
    /// A vault over `storage` with `keys`.
    #[must_use]
    pub fn new(keys: KeySets, storage: Arc<dyn Storage>, config: Config) -> Self {
        Self {
            stats: Stats::default(),
            keys,
            storage,
            sessions: Mutex::new(HashMap::new()),
            account_starts: Mutex::new(HashMap::new()),
            config,
        }
    }

    /// The key sets.
    #[must_use]
    pub const fn keys(&self) -> &KeySets {
        &self.keys
    }

    /// The store.
    #[must_use]
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// Spec 6.3: drops expired sessions and destroys the records whose
    /// last login can no longer finish. Returns how many were destroyed.
    ///
    /// # Errors
    ///
    /// The store failed.
    pub fn sweep(&self, now: u64) -> Result<u64, StorageError> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner).retain(|_, s| s.expires > now);
        self.account_starts.lock().unwrap_or_else(PoisonError::into_inner).retain(|_, (minute, _)| *minute >= now / 60);
        self.storage.sweep(now, self.config.session_timeout)
    }

    /// The counters since start.
    #[must_use]
    pub fn stats(&self) -> StatsSnapshot {
        let s = &self.stats;
        StatsSnapshot {
            granted: s.granted.load(Ordering::Relaxed),
            dummies: s.dummies.load(Ordering::Relaxed),
            refused: s.refused.load(Ordering::Relaxed),
            verified: s.verified.load(Ordering::Relaxed),
        }
    }

    /// Open sessions (for the tests and the log).
    #[must_use]
    pub fn open_sessions(&self) -> usize {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Answers one request: `route` is the request path, `body` its bytes,
    /// `now` the Unix time in seconds.
    #[must_use]
    pub fn handle(&self, route: &str, body: &[u8], now: u64) -> Reply {
        let mut event = Event { route: None, account: None, outcome: "", used: None, detail: None };
        let Some(ty) = MessageType::from_path(route) else {
            event.outcome = "no such route";
            return Reply::text(404, "no such route", event);
        };
        event.route = Some(ty);
        let request = match Request::parse(ty, body) {
            Ok(r) => r,
            Err(e) => {
                event.outcome = "malformed";
                return Reply::text(400, &format!("malformed request: {e}"), event);
            }
        };
        match self.dispatch(request, body, now, &mut event) {
            Ok(reply) => reply,
            Err(e) => {
                event.outcome = "storage error";
                // The engine's message goes to the operator's log; the
                // client is told only that the store is unavailable.
                event.detail = Some(e.to_string());
                Reply::text(503, "the vault's store is unavailable; try again later", event)
            }
        }
    }

    fn signed(
        keys: &ServerKeys,
        request: &[u8],
        ty: MessageType,
        outcome: Outcome,
        body: Vec<u8>,
        event: &mut Event,
    ) -> Reply {
        event.outcome = match outcome {
            Outcome::Ok => "ok",
            Outcome::LoginFailed => "login failed",
            Outcome::NoGuessesLeft => "no guesses left",
            Outcome::UnknownSession => "unknown session",
            Outcome::Conflict => "conflict",
            Outcome::BadTicket => "bad ticket",
            Outcome::Gone => "gone",
        };
        let response = Response { message_type: ty, outcome, body };
        Reply {
            status: outcome.http_status(),
            binary: true,
            body: keys.sign_response(request, response.to_unsigned_bytes()),
            event: event.clone(),
        }
    }

    fn take_session(&self, id: &SessionId, now: u64) -> Option<Session> {
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        sessions.remove(id).filter(|s| s.expires > now)
    }

    /// Spec 8: the per-account rate limit on login starts.
    fn account_rate_ok(&self, account: &AccountId, now: u64) -> bool {
        let limit = self.config.account_logins_per_minute;
        if limit == 0 {
            return true;
        }
        let minute = now / 60;
        let mut starts = self.account_starts.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = starts.entry(*account).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        if entry.1 >= limit {
            return false;
        }
        entry.1 = entry.1.saturating_add(1);
        true
    }

    /// Why a verified login's record is no longer there at its version.
    fn conflict_or_gone(&self, account: &AccountId) -> Result<Outcome, StorageError> {
        Ok(match self.storage.get(account)? {
            Account::Live(_) => Outcome::Conflict,
            Account::Gone(_) | Account::Unknown => Outcome::Gone,
        })
    }

    #[allow(
        clippy::too_many_lines,
        reason = "one arm per request type, each short; split it and the order is harder to read"
    )]
    fn dispatch(&self, request: Request, bytes: &[u8], now: u64, event: &mut Event) -> Result<Reply, StorageError> {
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
