//! The whole protocol, client and server steps, in memory: sizes,
//! registration, logins right and wrong, the dummy login, recovery, a
//! password change under a rotated key set, deletion; and what the client
//! refuses (other keys, other requests' answers, tampered answers).
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unreachable,
    reason = "test code: a failed expectation is a test failure"
)]

use ebak_core::BackupKey;
use ebak_core::DefaultAead as A;
use ebak_core::kdf::KdfParams;
use ebak_vault_proto::client::{self, ClientError, LoginReply, Registration};
use ebak_vault_proto::keys::ServerKeys;
use ebak_vault_proto::msg::{self, MessageType, Outcome, Request, Response};
use ebak_vault_proto::server::{ServerLoginState, upload_is_valid};
use ebak_vault_proto::{AccountId, Ksf, PublicKeys, SessionId, VaultId};
use getrandom::SysRng;

/// Cheap costs: the tests run many logins.
fn ksf() -> Ksf {
    Ksf::checked(KdfParams { memory_kib: 64, iterations: 1, parallelism: 1 }, &ebak_core::kdf::KdfLimits::V1).unwrap()
}

struct Record {
    upload: [u8; msg::REGISTRATION_UPLOAD_SIZE],
    wrapped: [u8; msg::WRAPPED_KEY_SIZE],
    version: u64,
}

/// A toy server over the proto steps: one account, no counter (the
/// counter is the server crate's and is tested there).
struct Toy {
    keys: ServerKeys,
    record: Option<Record>,
    session: Option<(SessionId, ServerLoginState)>,
    change: Option<u64>,
}

fn sign(keys: &ServerKeys, request: &[u8], ty: MessageType, outcome: Outcome, body: Vec<u8>) -> Vec<u8> {
    keys.sign_response(request, Response { message_type: ty, outcome, body }.to_unsigned_bytes())
}

impl Toy {
    fn handle(&mut self, ty: MessageType, bytes: &[u8]) -> Vec<u8> {
        let request = Request::parse(ty, bytes).unwrap();
        let ok = |keys: &ServerKeys, body: Vec<u8>| sign(keys, bytes, ty, Outcome::Ok, body);
        match request {
            Request::RegisterStart { guess_limit, request, .. } => {
                let account = AccountId([0x42; 16]);
                let ticket = self.keys.issue_ticket(account, guess_limit, 100);
                let response = self.keys.registration_response(&account, 1, &request).unwrap();
                ok(&self.keys, msg::RegisterStarted { ticket, response }.to_bytes())
            }
            Request::RegisterFinish { ticket, upload, wrapped_key, .. } => {
                assert!(self.keys.check_ticket(&ticket, 50));
                assert!(!self.keys.check_ticket(&ticket, 101));
                assert!(upload_is_valid(&upload));
                self.record = Some(Record { upload, wrapped: wrapped_key, version: 1 });
                let body = msg::Registered {
                    account: ticket.account,
                    version: 1,
                    guess_limit: ticket.guess_limit,
                    lifetime_budget: 100,
                };
                ok(&self.keys, body.to_bytes())
            }
            Request::LoginStart { account, request, .. } => {
                let (record, version) = match &self.record {
                    Some(r) if account == AccountId([0x42; 16]) => (Some(&r.upload), r.version),
                    _ => (None, 0),
                };
                let (ke2, state) = self.keys.login_start(&mut SysRng, record, &account, version, &request).unwrap();
                let session = SessionId([7; 16]);
                self.session = Some((session, state));
                ok(&self.keys, msg::LoginStarted { session, response: ke2 }.to_bytes())
            }
            Request::LoginFinish { session, finalization, action } => {
                let (s, state) = self.session.take().unwrap();
                assert_eq!(s, session);
                if state.finish(&finalization).is_err() {
                    return sign(&self.keys, bytes, ty, Outcome::LoginFailed, vec![]);
                }
                let record = self.record.as_ref().unwrap();
                match action {
                    msg::Action::Recover => ok(
                        &self.keys,
                        msg::Recovered { version: record.version, wrapped_key: record.wrapped }.to_bytes(),
                    ),
                    msg::Action::Delete => {
                        self.record = None;
                        ok(&self.keys, vec![])
                    }
                    msg::Action::ChangePassword(request) => {
                        // A rotated key set would sign here too; this toy keeps one.
                        let version = record.version + 1;
                        let response =
                            self.keys.registration_response(&AccountId([0x42; 16]), version, &request).unwrap();
                        self.change = Some(version);
                        let body = msg::ChangeStarted { version, keys: *self.keys.public(), response };
                        ok(&self.keys, body.to_bytes())
                    }
                }
            }
            Request::PasswordFinish { upload, wrapped_key, .. } => {
                let version = self.change.take().unwrap();
                self.record = Some(Record { upload, wrapped: wrapped_key, version });
                ok(&self.keys, msg::PasswordChanged { version }.to_bytes())
            }
            Request::LoginAbort { .. } => ok(&self.keys, vec![]),
            Request::Keys { .. } => ok(&self.keys, msg::KeysAnswer { keys: *self.keys.public() }.to_bytes()),
            Request::Status { .. } => unreachable!(),
        }
    }
}

fn toy() -> Toy {
    Toy {
        keys: ServerKeys::generate(&mut SysRng, VaultId([1; 16])).unwrap(),
        record: None,
        session: None,
        change: None,
    }
}

fn register(toy: &mut Toy, password: &str, key: &BackupKey) -> AccountId {
    let pin = *toy.keys.public();
    let reg = Registration::start(&mut SysRng, pin, password, 10, ksf()).unwrap();
    assert_eq!(reg.request().len(), 1 + 16 + 1 + 32);
    let answer = toy.handle(MessageType::RegisterStart, reg.request());
    let upload = reg.finish::<A, _>(&mut SysRng, &answer, key).unwrap();
    assert_eq!(upload.request().len(), 370);
    let answer = toy.handle(MessageType::RegisterFinish, upload.request());
    let registered = upload.complete(&answer).unwrap();
    assert_eq!(registered.version, 1);
    registered.account
}

fn login(toy: &mut Toy, account: AccountId, password: &str) -> LoginReply {
    let login = client::Login::start(&mut SysRng, *toy.keys.public(), account, password, ksf()).unwrap();
    assert_eq!(login.request().len(), 1 + 16 + 16 + 96);
    let answer = toy.handle(MessageType::LoginStart, login.request());
    assert_eq!(answer.len(), 2 + 16 + 320 + 64);
    login.receive(&mut SysRng, &answer).unwrap()
}

#[test]
fn register_recover_change_delete() {
    let mut toy = toy();
    let key = BackupKey::from_bytes([0x5a; 32]);
    let account = register(&mut toy, "correct horse", &key);

    let LoginReply::Verified(logged_in) = login(&mut toy, account, "correct horse") else { panic!("right password") };
    let recover = logged_in.recover();
    let answer = toy.handle(MessageType::LoginFinish, recover.request());
    let (got, version) = recover.complete::<A>(&answer).unwrap();
    assert_eq!((got, version), (key.clone(), 1));

    let LoginReply::WrongPassword(abort) = login(&mut toy, account, "wrong horse") else { panic!("wrong password") };
    let answer = toy.handle(MessageType::LoginAbort, abort.request());
    abort.complete(&answer).unwrap();

    // NFC: the decomposed spelling of the same password logs in.
    let mut toy2 = self::toy();
    let account2 = register(&mut toy2, "caf\u{e9}", &key);
    assert!(matches!(login(&mut toy2, account2, "cafe\u{301}"), LoginReply::Verified(_)));

    // Change the password: one login, the same backup key under version 2.
    let LoginReply::Verified(logged_in) = login(&mut toy, account, "correct horse") else { panic!() };
    let change = logged_in.change_password(&mut SysRng, "new horse", ksf()).unwrap();
    let answer = toy.handle(MessageType::LoginFinish, change.request());
    let upload = change.complete::<A, _>(&mut SysRng, &answer, &key).unwrap();
    let answer = toy.handle(MessageType::PasswordFinish, upload.request());
    let (keys, version) = upload.complete(&answer).unwrap();
    assert_eq!((keys, version), (*toy.keys.public(), 2));
    assert!(matches!(login(&mut toy, account, "correct horse"), LoginReply::WrongPassword(_)));
    let LoginReply::Verified(logged_in) = login(&mut toy, account, "new horse") else { panic!() };
    let recover = logged_in.recover();
    let answer = toy.handle(MessageType::LoginFinish, recover.request());
    assert_eq!(recover.complete::<A>(&answer).unwrap(), (key.clone(), 2));

    let LoginReply::Verified(logged_in) = login(&mut toy, account, "new horse") else { panic!() };
    let delete = logged_in.delete();
    let answer = toy.handle(MessageType::LoginFinish, delete.request());
    delete.complete(&answer).unwrap();
    // Deleted: the dummy login looks like a wrong password.
    assert!(matches!(login(&mut toy, account, "new horse"), LoginReply::WrongPassword(_)));
}

#[test]
fn unknown_account_gets_a_dummy_login_that_fails_like_a_wrong_password() {
    let mut toy = toy();
    assert!(matches!(login(&mut toy, AccountId([9; 16]), "anything"), LoginReply::WrongPassword(_)));
}

#[test]
fn client_refuses_answers_not_signed_by_the_pin_or_for_another_request() {
    let mut toy = toy();
    let key = BackupKey::from_bytes([1; 32]);
    let account = register(&mut toy, "pw", &key);

    // An answer signed by another key set (a vault that is not the pinned one).
    let other = ServerKeys::generate(&mut SysRng, VaultId([1; 16])).unwrap();
    let login = client::Login::start(&mut SysRng, *toy.keys.public(), account, "pw", ksf()).unwrap();
    let genuine = toy.handle(MessageType::LoginStart, login.request());
    let (unsigned, _) = genuine.split_at(genuine.len() - 64);
    let forged = other.sign_response(login.request(), unsigned.to_vec());
    let login2 = client::Login::start(&mut SysRng, *toy.keys.public(), account, "pw", ksf()).unwrap();
    assert_eq!(login2.receive(&mut SysRng, &forged).unwrap_err(), ClientError::BadSignature);

    // The genuine answer to one login, replayed to another login.
    let login3 = client::Login::start(&mut SysRng, *toy.keys.public(), account, "pw", ksf()).unwrap();
    assert_eq!(login3.receive(&mut SysRng, &genuine).unwrap_err(), ClientError::BadSignature);

    // Every flipped bit of a genuine (self-signed) keys answer is refused.
    let request = client::keys_request(&mut SysRng).unwrap();
    let answer = toy.handle(MessageType::Keys, &request);
    assert_eq!(client::keys_answer(&request, &answer).unwrap(), *toy.keys.public());
    for i in 0..answer.len() {
        for bit in 0..8 {
            let mut t = answer.clone();
            t[i] ^= 1 << bit;
            assert!(client::keys_answer(&request, &t).is_err(), "byte {i} bit {bit}");
        }
    }
    let mut other_request = request.clone();
    other_request[5] ^= 1;
    assert_eq!(client::keys_answer(&other_request, &answer).unwrap_err(), ClientError::BadSignature);
    // Truncations of a genuine answer are refused as malformed.
    for n in 0..genuine.len() {
        let l = client::Login::start(&mut SysRng, *toy.keys.public(), account, "pw", ksf()).unwrap();
        assert!(l.receive(&mut SysRng, &genuine[..n]).is_err());
    }
    assert!(login.receive(&mut SysRng, &genuine).is_ok());
}

#[test]
fn registration_refuses_a_vault_with_another_opaque_key() {
    let mut toy = toy();
    // The client pins the right signing key but another OPAQUE key: the
    // signed registration response carries the vault's real key.
    let mut pin: PublicKeys = *toy.keys.public();
    pin.opaque_pk = ServerKeys::generate(&mut SysRng, VaultId([1; 16])).unwrap().public().opaque_pk;
    let reg = Registration::start(&mut SysRng, pin, "pw", 10, ksf()).unwrap();
    let answer = toy.handle(MessageType::RegisterStart, reg.request());
    // The toy signs with its real keys, whose key id differs from the pin's:
    // the signature does not verify under the pin.
    let err = reg.finish::<A, _>(&mut SysRng, &answer, &BackupKey::from_bytes([0; 32])).unwrap_err();
    assert!(matches!(err, ClientError::BadSignature | ClientError::KeyMismatch));
}

#[test]
fn guess_limits_and_passwords_are_checked_before_anything_is_sent() {
    let pin = *toy().keys.public();
    assert_eq!(Registration::start(&mut SysRng, pin, "pw", 0, ksf()).unwrap_err(), ClientError::InvalidGuessLimit);
    assert_eq!(Registration::start(&mut SysRng, pin, "pw", 11, ksf()).unwrap_err(), ClientError::InvalidGuessLimit);
    assert_eq!(Registration::start(&mut SysRng, pin, "", 10, ksf()).unwrap_err(), ClientError::EmptyPassword);
    assert_eq!(
        client::Login::start(&mut SysRng, pin, AccountId([0; 16]), "", ksf()).unwrap_err(),
        ClientError::EmptyPassword
    );
    let huge = KdfParams { memory_kib: 1 << 21, iterations: 1, parallelism: 1 };
    assert!(Ksf::checked(huge, &ebak_core::kdf::KdfLimits::V1).is_err());
    assert!(
        Ksf::checked(KdfParams { memory_kib: 64, iterations: 0, parallelism: 1 }, &ebak_core::kdf::KdfLimits::V1)
            .is_err()
    );
}
