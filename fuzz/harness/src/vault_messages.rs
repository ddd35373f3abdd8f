//! The `vault_messages` target: the backup key vault's message parsers and
//! the protocol steps of both sides (ebak-vault-proto), on hostile input.
//!
//! The first byte picks a mode (modulo 5), the rest is the input:
//!
//! - **0, requests**: every request type parses the bytes; what parses is
//!   of that type and re-encodes to exactly the input (one encoding per
//!   message), at most 512 bytes; a first byte of another type is refused.
//! - **1, responses**: every response type splits the bytes into response
//!   and signature; what splits re-assembles to the input; every `Ok` body
//!   parser re-encodes what it accepts; a status never claims more guesses
//!   left than its limit.
//! - **2, a hostile vault**: the bytes after a sub-mode byte are a response
//!   body that the *pinned* key signs (a vault that holds its keys and lies),
//!   handed to a genuine client step: registration, login, recovery,
//!   status. Nothing panics; a recovery that succeeds returns exactly the
//!   backup key the client registered (the wrap is committing: no body a
//!   vault can make without the export key opens to another key).
//! - **3, server steps**: a KE1, a stored record, a KE3, a registration
//!   request and a ticket cut from the bytes go through the server's steps:
//!   nothing panics, a KE3 made of fuzz bytes never verifies, and only a
//!   ticket the vault issued passes.
//! - **4, vault slots** (ebak-core, spec 4.6): what decodes re-encodes to
//!   the input, and every body up to 1024 bytes stays a valid header slot.
//!
//! The vault's keys, the password and the backup key are fixed, and made
//! with a deterministic generator, so that a crash replays exactly.

use ebak_core::kdf::{KdfLimits, KdfParams};
use ebak_core::slot::{OtherSlot, SLOT_TYPE_VAULT, Slot, VaultSlot};
use ebak_core::{BackupKey, DefaultAead};
use ebak_vault_proto::client::{self as proto, LoginReply};
use ebak_vault_proto::keys::ServerKeys;
use ebak_vault_proto::msg::{
    ChangeStarted, KeysAnswer, LoginStarted, MAX_GUESS_LIMIT, MAX_REQUEST_SIZE, MessageType, Outcome, PasswordChanged,
    Recovered, RegisterStarted, Registered, Request, Response, Status, Ticket,
};
use ebak_vault_proto::{AccountId, Ksf, SessionId, VaultId};
use std::convert::Infallible;
use std::sync::OnceLock;

/// The password of the registered record the hostile-vault mode uses.
pub const VAULT_PASSWORD: &str = "fuzz vault password";

/// A deterministic generator (SplitMix64) with the workspace's RNG traits:
/// not a CSPRNG, only for reproducible fuzz inputs.
#[derive(Debug, Clone)]
pub struct Det(pub u64);

impl rand_core::TryRng for Det {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.try_next_u64().map(|v| v as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Ok(z ^ (z >> 31))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for Det {}

/// Cheap key stretching: what the client runs per execution.
pub fn cheap_ksf() -> Ksf {
    Ksf::checked(KdfParams { memory_kib: 8, iterations: 1, parallelism: 1 }, &KdfLimits::V1).unwrap()
}

/// The fixed vault.
pub fn keys() -> &'static ServerKeys {
    static KEYS: OnceLock<ServerKeys> = OnceLock::new();
    KEYS.get_or_init(|| ServerKeys::generate(&mut Det(1), VaultId([0x5a; 16])).unwrap())
}

/// The backup key of the fixed record.
pub fn backup_key() -> BackupKey {
    BackupKey::from_bytes([0xb7; 32])
}

/// A toy vault over the fixed keys, for the genuine halves of the hostile
/// mode and for the seeds: it registers one account and answers logins
/// against it (no counter: that is the server crate's, tested there).
#[derive(Debug)]
pub struct Genuine {
    pub account: AccountId,
    record: [u8; 192],
    wrapped: [u8; 104],
}

impl Genuine {
    /// Registers [`VAULT_PASSWORD`] and [`backup_key`] on the fixed vault.
    pub fn register(rng: &mut Det) -> Self {
        let k = keys();
        let account = AccountId([0x11; 16]);
        let reg = proto::Registration::start(rng, *k.public(), VAULT_PASSWORD, 10, cheap_ksf()).unwrap();
        let Request::RegisterStart { request, guess_limit, .. } =
            Request::parse(MessageType::RegisterStart, reg.request()).unwrap()
        else {
            panic!("the request just made does not parse as its own type")
        };
        let ticket = k.issue_ticket(account, guess_limit, u64::MAX);
        let response = k.registration_response(&account, 1, &request).unwrap();
        let answer = sign(reg.request(), MessageType::RegisterStart, RegisterStarted { ticket, response }.to_bytes());
        let upload = reg.finish::<DefaultAead, _>(rng, &answer, &backup_key()).unwrap();
        let Request::RegisterFinish { upload: record, wrapped_key, .. } =
            Request::parse(MessageType::RegisterFinish, upload.request()).unwrap()
        else {
            panic!("the request just made does not parse as its own type")
        };
        Self { account, record, wrapped: wrapped_key }
    }

    /// A login with the right password, verified.
    pub fn logged_in(&self, rng: &mut Det) -> proto::LoggedIn {
        let k = keys();
        let login = proto::Login::start(rng, *k.public(), self.account, VAULT_PASSWORD, cheap_ksf()).unwrap();
        let Request::LoginStart { request, .. } = Request::parse(MessageType::LoginStart, login.request()).unwrap()
        else {
            panic!("the request just made does not parse as its own type")
        };
        let (ke2, _state) = k.login_start(rng, Some(&self.record), &self.account, 1, &request).unwrap();
        let body = LoginStarted { session: SessionId([0x22; 16]), response: ke2 }.to_bytes();
        let answer = sign(login.request(), MessageType::LoginStart, body);
        match login.receive(rng, &answer).unwrap() {
            LoginReply::Verified(l) => l,
            other => panic!("the right password did not verify: {other:?}"),
        }
    }

    /// The genuine recovery answer body.
    pub fn recovered_body(&self) -> Vec<u8> {
        Recovered { version: 1, wrapped_key: self.wrapped }.to_bytes()
    }
}

fn genuine() -> &'static Genuine {
    static G: OnceLock<Genuine> = OnceLock::new();
    G.get_or_init(|| Genuine::register(&mut Det(2)))
}

/// `Ok` + `body`, signed by the fixed vault as the answer to `request`.
pub fn sign(request: &[u8], ty: MessageType, body: Vec<u8>) -> Vec<u8> {
    keys().sign_response(request, Response { message_type: ty, outcome: Outcome::Ok, body }.to_unsigned_bytes())
}

/// Checks one input.
pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 5 {
        0 => requests(rest),
        1 => responses(rest),
        2 => hostile_vault(rest),
        3 => server_steps(rest),
        _ => slots(rest),
    }
}

fn requests(bytes: &[u8]) {
    for ty in MessageType::ALL {
        match Request::parse(ty, bytes) {
            Ok(request) => {
                assert_eq!(request.message_type(), ty);
                assert_eq!(request.to_bytes(), bytes, "{ty:?}: not the one encoding");
                assert!(bytes.len() <= MAX_REQUEST_SIZE);
            }
            Err(_) => assert!(bytes.first() != Some(&(ty as u8)) || Request::parse(ty, bytes).is_err()),
        }
        if bytes.first().is_some_and(|&b| b != ty as u8) {
            assert!(Request::parse(ty, bytes).is_err(), "{ty:?} accepted another type's byte");
        }
    }
}

fn round_trip<T>(
    body: &[u8],
    parse: fn(&[u8]) -> Result<T, ebak_vault_proto::msg::ParseError>,
    encode: fn(&T) -> Vec<u8>,
) {
    if let Ok(v) = parse(body) {
        assert_eq!(encode(&v), body, "a body parser accepted a non-canonical encoding");
    }
}

fn responses(bytes: &[u8]) {
    for ty in MessageType::ALL {
        let Ok((response, unsigned, signature)) = Response::split_signed(ty, bytes) else { continue };
        assert_eq!([unsigned, &signature[..]].concat(), bytes);
        assert_eq!(response.to_unsigned_bytes(), unsigned);
        if response.outcome != Outcome::Ok {
            assert!(response.body.is_empty());
        }
    }
    round_trip(bytes, RegisterStarted::parse, RegisterStarted::to_bytes);
    round_trip(bytes, Registered::parse, Registered::to_bytes);
    round_trip(bytes, LoginStarted::parse, LoginStarted::to_bytes);
    round_trip(bytes, Recovered::parse, Recovered::to_bytes);
    round_trip(bytes, ChangeStarted::parse, ChangeStarted::to_bytes);
    round_trip(bytes, PasswordChanged::parse, PasswordChanged::to_bytes);
    round_trip(bytes, KeysAnswer::parse, KeysAnswer::to_bytes);
    round_trip(bytes, Status::parse, Status::to_bytes);
    if let Ok(s) = Status::parse(bytes) {
        assert!(s.guesses_left <= s.guess_limit && s.guess_limit <= MAX_GUESS_LIMIT);
    }
}

fn hostile_vault(bytes: &[u8]) {
    let Some((&sub, body)) = bytes.split_first() else { return };
    let k = keys();
    let mut rng = Det(u64::from(sub));
    match sub % 5 {
        0 => {
            let reg = proto::Registration::start(&mut rng, *k.public(), "pw", 10, cheap_ksf()).unwrap();
            let answer = sign(reg.request(), MessageType::RegisterStart, body.to_vec());
            if let Ok(upload) = reg.finish::<DefaultAead, _>(&mut rng, &answer, &backup_key()) {
                let started = RegisterStarted::parse(body).unwrap();
                assert_eq!(upload.account(), &started.ticket.account);
            }
        }
        1 => {
            let g = genuine();
            let login = proto::Login::start(&mut rng, *k.public(), g.account, VAULT_PASSWORD, cheap_ksf()).unwrap();
            let answer = sign(login.request(), MessageType::LoginStart, body.to_vec());
            let _ = login.receive(&mut rng, &answer);
        }
        2 => {
            // The vault lies about the wrapped key: only the genuine one opens.
            let recover = genuine().logged_in(&mut rng).recover();
            let answer = sign(recover.request(), MessageType::LoginFinish, body.to_vec());
            if let Ok((key, _)) = recover.complete::<DefaultAead>(&answer) {
                assert_eq!(key, backup_key(), "a hostile vault made the client accept another backup key");
            }
        }
        3 => {
            let request = proto::status_request(&mut rng, k.public(), AccountId([0; 16])).unwrap();
            let answer = sign(&request, MessageType::Status, body.to_vec());
            if let Ok(s) = proto::status_answer(k.public(), &request, &answer) {
                assert!(s.guesses_left <= s.guess_limit);
            }
        }
        _ => {
            // Unsigned bytes as any answer: never accepted.
            let request = proto::keys_request(&mut rng).unwrap();
            if let Ok(keys) = proto::keys_answer(&request, body) {
                // Only a vault's own key can sign its keys answer.
                assert_eq!(&keys, k.public(), "a keys answer verified under keys the fuzzer chose");
            }
        }
    }
}

fn take<const N: usize>(bytes: &mut &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let n = N.min(bytes.len());
    out[..n].copy_from_slice(&bytes[..n]);
    *bytes = &bytes[n..];
    out
}

fn server_steps(mut bytes: &[u8]) {
    let k = keys();
    let ke1: [u8; 96] = take(&mut bytes);
    let record: [u8; 192] = take(&mut bytes);
    let ke3: [u8; 64] = take(&mut bytes);
    let registration: [u8; 32] = take(&mut bytes);
    let account = AccountId(take(&mut bytes));
    let [limit]: [u8; 1] = take(&mut bytes);
    let expires = u64::from_be_bytes(take(&mut bytes));
    let tag: [u8; 32] = take(&mut bytes);
    let use_record = bytes.first().is_some_and(|b| b & 1 == 1);

    let _ = ebak_vault_proto::server::ke1_is_valid(&ke1);
    let _ = ebak_vault_proto::server::upload_is_valid(&record);
    let _ = k.registration_response(&account, 1, &registration);
    let started = k.login_start(&mut Det(3), use_record.then_some(&record), &account, 1, &ke1);
    if let Ok((_, state)) = started {
        assert!(state.finish(&ke3).is_err(), "a KE3 made of fuzz bytes verified");
    }
    let ticket = Ticket { account, guess_limit: limit, expires, tag };
    if k.check_ticket(&ticket, 0) {
        assert_eq!(k.issue_ticket(account, limit, expires).tag, tag, "a forged ticket passed");
    }
}

fn slots(bytes: &[u8]) {
    if let Ok(slot) = VaultSlot::decode_body(bytes) {
        assert_eq!(slot.encode_body(), bytes, "a vault slot body with two encodings");
    }
    if let Ok(other) = OtherSlot::new(SLOT_TYPE_VAULT, bytes.to_vec()) {
        let framed = Slot::Other(other);
        assert_eq!(Slot::parse(&framed.to_bytes()).as_ref(), Ok(&framed), "a type-0x02 body broke the header");
    } else {
        assert!(bytes.len() > 1024);
    }
}

/// Seeds: a genuine message of every kind, for each mode (deterministic).
pub fn seed_inputs() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rng = Det(7);
    let k = keys();
    let g = genuine();
    let reg = proto::Registration::start(&mut rng, *k.public(), "pw", 10, cheap_ksf()).unwrap();
    let login = proto::Login::start(&mut rng, *k.public(), g.account, VAULT_PASSWORD, cheap_ksf()).unwrap();
    let status = proto::status_request(&mut rng, k.public(), g.account).unwrap();
    let keys_req = proto::keys_request(&mut rng).unwrap();
    let logged = g.logged_in(&mut rng);
    let recover = logged.recover();
    let requests: [(&str, Vec<u8>); 6] = [
        ("register-start", reg.request().to_vec()),
        ("login-start", login.request().to_vec()),
        ("status", status.clone()),
        ("keys", keys_req.clone()),
        ("login-finish", recover.request().to_vec()),
        ("abort", Request::LoginAbort { session: SessionId([3; 16]) }.to_bytes()),
    ];
    for (name, r) in &requests {
        out.push((format!("request-{name}"), [&[0u8][..], r].concat()));
    }
    let ticket = k.issue_ticket(g.account, 10, 99);
    let bodies: [(&str, MessageType, Vec<u8>); 4] = [
        ("recovered", MessageType::LoginFinish, g.recovered_body()),
        (
            "status",
            MessageType::Status,
            Status {
                state: ebak_vault_proto::msg::AccountState::Live,
                guess_limit: 10,
                guesses_left: 7,
                lifetime_left: 90,
                version: 1,
            }
            .to_bytes(),
        ),
        ("keys", MessageType::Keys, KeysAnswer { keys: *k.public() }.to_bytes()),
        ("register-started", MessageType::RegisterStart, RegisterStarted { ticket, response: [0x44; 64] }.to_bytes()),
    ];
    for (name, ty, body) in &bodies {
        out.push((format!("response-{name}"), [&[1u8][..], &sign(b"seed", *ty, body.clone())].concat()));
        out.push((format!("response-body-{name}"), [&[1u8][..], body].concat()));
    }
    for (sub, body) in [
        (0u8, bodies[3].2.clone()),
        (2, g.recovered_body()),
        (3, bodies[1].2.clone()),
        (4, sign(&keys_req, MessageType::Keys, bodies[2].2.clone())),
    ] {
        out.push((format!("hostile-{sub}"), [&[2u8, sub][..], &body].concat()));
    }
    let Request::LoginStart { request: ke1, .. } = Request::parse(MessageType::LoginStart, login.request()).unwrap()
    else {
        panic!("the request just made does not parse as its own type")
    };
    let steps =
        [&ke1[..], &g.record, &[0u8; 64], &[0u8; 32], &g.account.0, &[10], &99u64.to_be_bytes(), &ticket.tag, &[1]]
            .concat();
    out.push(("server-steps-genuine".into(), [&[3u8][..], &steps].concat()));
    out
}
