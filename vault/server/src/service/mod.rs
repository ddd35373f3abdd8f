//! The vault's protocol, request by request (spec 6), over a store and
//! the key sets. No I/O of its own: [`Vault::handle`] takes a request's
//! route and bytes and the time, and returns the HTTP status and body.
//!
//! The requests are answered in `dispatch.rs`, one arm per request type.

mod dispatch;

use crate::keyfile::KeySets;
use crate::storage::{Account, Storage, StorageError};
use ebak_vault_proto::keys::ServerKeys;
use ebak_vault_proto::msg::{MessageType, Outcome, Request, Response};
use ebak_vault_proto::server::ServerLoginState;
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
}
