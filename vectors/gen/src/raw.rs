//! Headers and slots built byte by byte, so that the invalid vectors can
//! break exactly one rule (and still carry a correct header MAC when the
//! rule they break is not the MAC).

use ebak_core::BackupKey;
use ebak_core::aead::DefaultAead;
use ebak_core::cobblestone;
use ebak_core::header::{MAGIC, Slot, header_mac_key};
use ebak_core::kdf::{KdfParams, derive_kek, normalize_password};
use ebak_core::slot::{PASSWORD_SLOT_LABEL, SLOT_TYPE_PASSWORD, WRAPPED_KEY_SIZE};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha512};
use std::collections::HashMap;

/// One slot as bytes: `slot_type || body_len || body`, with `body_len` free
/// to disagree with the body.
#[derive(Clone, Debug)]
pub struct RawSlot {
    /// The type byte.
    pub slot_type: u8,
    /// The length field.
    pub body_len: u16,
    /// The body bytes that follow.
    pub body: Vec<u8>,
}

impl RawSlot {
    /// A slot whose length field is right.
    #[must_use]
    pub fn new(slot_type: u8, body: Vec<u8>) -> Self {
        Self { slot_type, body_len: u16::try_from(body.len()).unwrap(), body }
    }

    /// The encoding.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.slot_type];
        out.extend_from_slice(&self.body_len.to_be_bytes());
        out.extend_from_slice(&self.body);
        out
    }
}

/// A header as bytes, with every field free.
#[derive(Clone, Debug)]
pub struct RawHeader {
    /// The magic (normally [`MAGIC`]).
    pub magic: Vec<u8>,
    /// The version byte.
    pub version: u8,
    /// The slot count byte.
    pub count: u8,
    /// The slots.
    pub slots: Vec<RawSlot>,
}

impl RawHeader {
    /// A well-formed header around `slots`.
    #[must_use]
    pub fn new(slots: Vec<RawSlot>) -> Self {
        Self { magic: MAGIC.to_vec(), version: 1, count: u8::try_from(slots.len()).unwrap(), slots }
    }

    /// Every byte before the MAC.
    #[must_use]
    pub fn authenticated(&self) -> Vec<u8> {
        let mut out = self.magic.clone();
        out.push(self.version);
        out.push(self.count);
        for s in &self.slots {
            out.extend_from_slice(&s.encode());
        }
        out
    }

    /// The header with its MAC under `backup_key` (spec 4.4).
    #[must_use]
    pub fn sealed(&self, backup_key: &[u8; 32]) -> Vec<u8> {
        self.sealed_with_mac_key(&mac_key(backup_key))
    }

    /// The header with an HMAC-SHA-256 under `mac_key` (for writer bugs).
    #[must_use]
    pub fn sealed_with_mac_key(&self, mac_key: &[u8; 32]) -> Vec<u8> {
        let mut out = self.authenticated();
        let mac = hmac_sha256(mac_key, &out);
        out.extend_from_slice(&mac);
        out
    }
}

/// The header MAC key (spec 4.4), from `ebak-core`.
#[must_use]
pub fn mac_key(backup_key: &[u8; 32]) -> [u8; 32] {
    *header_mac_key(&BackupKey::from_bytes(*backup_key)).expose_secret()
}

/// HMAC-SHA-256.
#[must_use]
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// HKDF-Expand with SHA-256 (a writer bug: the spec says SHA-512), 32 bytes.
#[must_use]
pub fn hkdf_expand_sha256_32(prk: &[u8; 32], info: &[u8]) -> [u8; 32] {
    let mut m = info.to_vec();
    m.push(1);
    hmac_sha256(prk, &m)
}

/// HKDF-Expand with SHA-512 (spec 3), 32 bytes: the first half of T(1).
#[must_use]
pub fn hkdf_expand_sha512_32(prk: &[u8; 32], info: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(prk).unwrap();
    mac.update(info);
    mac.update(&[1]);
    let t1: [u8; 64] = mac.finalize().into_bytes().into();
    t1[..32].try_into().unwrap()
}

/// Argon2id evaluations, cached: the same password (after NFC), salt and
/// costs give the same KEK, so each is computed once per run.
#[derive(Debug, Default)]
pub struct Kdf {
    cache: HashMap<KdfInputs, [u8; 32]>,
}

/// NFC(password), salt, m, t, p.
type KdfInputs = (Vec<u8>, [u8; 16], u32, u32, u32);

impl Kdf {
    /// `KEK = Argon2id(NFC(password), salt, m, t, p, 32)`, from `ebak-core`.
    pub fn kek(&mut self, password: &str, salt: &[u8; 16], params: &KdfParams) -> [u8; 32] {
        let nfc = normalize_password(password).as_bytes().to_vec();
        let k = (nfc, *salt, params.memory_kib, params.iterations, params.parallelism);
        *self.cache.entry(k).or_insert_with(|| *derive_kek(password, salt, params).unwrap().expose_secret())
    }

    /// How many distinct Argon2id evaluations were made.
    #[must_use]
    pub fn evaluations(&self) -> usize {
        self.cache.len()
    }
}

/// A writer bug: Argon2 with the wrong variant or version, or the password
/// bytes not normalized. `raw_password` goes to Argon2 as it is.
#[must_use]
pub fn buggy_kek(
    raw_password: &[u8],
    salt: &[u8; 16],
    params: &KdfParams,
    algorithm: argon2::Algorithm,
    version: argon2::Version,
) -> [u8; 32] {
    let p = argon2::Params::new(params.memory_kib, params.iterations, params.parallelism, Some(32)).unwrap();
    let mut out = [0u8; 32];
    argon2::Argon2::new(algorithm, version, p).hash_password_into(raw_password, salt, &mut out).unwrap();
    out
}

/// The wrap context of a password slot (spec 4.3), written out here.
#[must_use]
pub fn wrap_context(kdf_salt: &[u8; 16], params: &KdfParams) -> Vec<u8> {
    let mut out = PASSWORD_SLOT_LABEL.to_vec();
    out.extend_from_slice(&[0x00, SLOT_TYPE_PASSWORD]);
    out.extend_from_slice(&params_bytes(kdf_salt, params));
    out
}

/// `kdf_salt || u32(m) || u32(t) || u32(p)`: the first 28 body bytes.
#[must_use]
pub fn params_bytes(kdf_salt: &[u8; 16], params: &KdfParams) -> Vec<u8> {
    let mut out = kdf_salt.to_vec();
    out.extend_from_slice(&params.memory_kib.to_be_bytes());
    out.extend_from_slice(&params.iterations.to_be_bytes());
    out.extend_from_slice(&params.parallelism.to_be_bytes());
    out
}

/// `Cobblestone-Seal(kek, wrap_salt, context, backup key)`: 104 bytes.
#[must_use]
pub fn wrap(kek: &[u8; 32], wrap_salt: &[u8; 24], context: &[u8], backup_key: &[u8; 32]) -> Vec<u8> {
    let w = cobblestone::seal::<DefaultAead>(kek, wrap_salt, context, backup_key).unwrap();
    assert_eq!(w.len(), WRAPPED_KEY_SIZE);
    w
}

/// A password slot body: parameters and wrapped key.
#[must_use]
pub fn password_body(kdf_salt: &[u8; 16], params: &KdfParams, wrapped: &[u8]) -> Vec<u8> {
    let mut body = params_bytes(kdf_salt, params);
    body.extend_from_slice(wrapped);
    body
}

/// The inputs of a password slot.
#[derive(Clone, Debug)]
pub struct SlotInputs {
    /// The password the writer was given.
    pub password: String,
    /// Argon2id costs.
    pub params: KdfParams,
    /// Argon2id salt.
    pub kdf_salt: [u8; 16],
    /// The wrap's Cobblestone salt.
    pub wrap_salt: [u8; 24],
}

impl SlotInputs {
    /// Inputs with salts drawn from `label`.
    #[must_use]
    pub fn new(label: &str, password: &str, params: KdfParams) -> Self {
        Self {
            password: password.to_owned(),
            params,
            kdf_salt: crate::seed::array(&format!("{label}/kdf-salt")),
            wrap_salt: crate::seed::array(&format!("{label}/wrap-salt")),
        }
    }

    /// The slot wrapping `backup_key`, as a conforming writer makes it
    /// (whatever the costs), checked against `ebak-core`'s parser.
    #[must_use]
    pub fn slot(&self, kdf: &mut Kdf, backup_key: &[u8; 32]) -> RawSlot {
        let kek = kdf.kek(&self.password, &self.kdf_salt, &self.params);
        let context = wrap_context(&self.kdf_salt, &self.params);
        let body = password_body(&self.kdf_salt, &self.params, &wrap(&kek, &self.wrap_salt, &context, backup_key));
        let slot = RawSlot::new(SLOT_TYPE_PASSWORD, body);
        match Slot::parse(&slot.encode()) {
            Ok(Slot::Password(p)) => assert_eq!(p.wrap_context().as_slice(), context.as_slice()),
            other => panic!("generator made an unparsable password slot: {other:?}"),
        }
        slot
    }

    /// A slot with these parameters whose wrapped key is sealed under
    /// `kek` (for costs no one can afford to evaluate, and writer bugs).
    #[must_use]
    pub fn slot_with_kek(&self, kek: &[u8; 32], context: &[u8], backup_key: &[u8; 32]) -> RawSlot {
        let body = password_body(&self.kdf_salt, &self.params, &wrap(kek, &self.wrap_salt, context, backup_key));
        RawSlot::new(SLOT_TYPE_PASSWORD, body)
    }
}
