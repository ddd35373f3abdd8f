//! The backup key vault's vectors (`spec/ebak-vault-v1.md` 12):
//!
//! - `ebak_vault_v1_slot_test.json`: vault slot bodies (ebak-v1 4.6), the
//!   ones a reader with vault support decodes and the ones it refuses,
//!   each with the one rule it breaks; the key id of the pinned keys;
//!   whether the costs are within the v1 ceilings.
//! - `ebak_vault_v1_wrap_test.json`: the client's key derivation from a
//!   fixed OPAQUE `export_key` (ebak-vault v1 4): wrapping key, wrap
//!   context and wrapped key; and wrapped keys that must not open.
//!
//! The expected values are computed here from the spec (a reference
//! decoder, HMAC-SHA-512 and SHA-512 written out; Cobblestone from
//! `raw::wrap`), and cross-checked against `ebak-core`'s `VaultSlot`.

use crate::model::{KdfCeilings, Note, Source, TestGroup, TestResult, VectorFile, assemble};
use crate::raw;
use crate::seed::{self, hex};
use ebak_core::kdf::{KdfLimits, KdfParams};
use ebak_core::slot::VaultSlot;
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::{Digest, Sha512};

/// Spec labels (ebak-vault v1 2.3).
const KEY_ID_LABEL: &[u8] = b"ebak-vault/v1/key-id";
const WRAPPING_KEY_LABEL: &[u8] = b"ebak-vault/v1/wrapping-key";
const WRAPPED_KEY_LABEL: &[u8] = b"ebak-vault/v1/wrapped-key";

// ---------------------------------------------------------------- slots

/// Why a body does not decode (ebak-v1 4.6, in the order it is checked).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SlotError {
    /// `vault_protocol` is not 0x01.
    UnknownProtocol,
    /// The body ends inside a field.
    Truncated,
    /// `url_len` outside 8 to 512, or the URL's bytes not a valid URL.
    InvalidUrl,
    /// Bytes after the URL.
    TrailingData,
    /// The costs are not valid Argon2id parameters.
    InvalidKsf,
}

/// One vault slot test.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotTest {
    /// Test id, from 1.
    pub tc_id: usize,
    /// What the test is.
    pub comment: String,
    /// The slot body (hex).
    pub body: String,
    /// Decoded fields (valid only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vault_id: Option<String>,
    /// See `vault_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opaque_pk: Option<String>,
    /// See `vault_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_pk: Option<String>,
    /// `SHA-512("ebak-vault/v1/key-id" || 0x00 || vault_id || opaque_pk || signing_pk)[0..16]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// See `vault_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Argon2id memory, KiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub m: Option<u32>,
    /// Argon2id passes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub t: Option<u32>,
    /// Argon2id lanes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p: Option<u32>,
    /// The URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// valid or invalid.
    pub result: TestResult,
    /// Why it does not decode (invalid only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<SlotError>,
    /// Flags.
    pub flags: Vec<&'static str>,
}

/// The decoded fields of a body.
struct Fields {
    vault_id: [u8; 16],
    opaque_pk: [u8; 32],
    signing_pk: [u8; 32],
    account: [u8; 16],
    m: u32,
    t: u32,
    p: u32,
    url: String,
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b.try_into().unwrap())
}

/// The reference decoder of ebak-v1 4.6, from the spec's table and rules.
fn decode(body: &[u8]) -> Result<Fields, SlotError> {
    if body.is_empty() {
        return Err(SlotError::Truncated);
    }
    if body[0] != 0x01 {
        return Err(SlotError::UnknownProtocol);
    }
    if body.len() < 111 {
        return Err(SlotError::Truncated);
    }
    let url_len = usize::from(u16::from_be_bytes([body[109], body[110]]));
    if !(8..=512).contains(&url_len) {
        return Err(SlotError::InvalidUrl);
    }
    if body.len() < 111 + url_len {
        return Err(SlotError::Truncated);
    }
    if body.len() > 111 + url_len {
        return Err(SlotError::TrailingData);
    }
    let (m, t, p) = (be32(&body[97..101]), be32(&body[101..105]), be32(&body[105..109]));
    // ebak-v1 4.3: t >= 1, 1 <= p <= 2^24 - 1, m >= 8p.
    if t < 1 || !(1..=0x00FF_FFFF).contains(&p) || u64::from(m) < 8 * u64::from(p) {
        return Err(SlotError::InvalidKsf);
    }
    let url = &body[111..];
    let rest = url.strip_prefix(b"https://").or_else(|| url.strip_prefix(b"http://"));
    if rest.is_none_or(<[u8]>::is_empty) || !url.iter().all(|b| (0x21..=0x7e).contains(b)) {
        return Err(SlotError::InvalidUrl);
    }
    Ok(Fields {
        vault_id: body[1..17].try_into().unwrap(),
        opaque_pk: body[17..49].try_into().unwrap(),
        signing_pk: body[49..81].try_into().unwrap(),
        account: body[81..97].try_into().unwrap(),
        m,
        t,
        p,
        url: String::from_utf8(url.to_vec()).unwrap(),
    })
}

/// ebak-vault v1 2.2.
#[must_use]
pub fn key_id(vault_id: &[u8], opaque_pk: &[u8], signing_pk: &[u8]) -> [u8; 16] {
    let d = Sha512::new()
        .chain_update(KEY_ID_LABEL)
        .chain_update([0u8])
        .chain_update(vault_id)
        .chain_update(opaque_pk)
        .chain_update(signing_pk)
        .finalize();
    d[..16].try_into().unwrap()
}

/// A slot body from its fields, as the spec's table lays it out.
#[allow(clippy::too_many_arguments, reason = "one argument per field of the table")]
fn body(
    protocol: u8,
    vault_id: &[u8; 16],
    opaque_pk: &[u8; 32],
    signing_pk: &[u8; 32],
    account: &[u8; 16],
    ksf: (u32, u32, u32),
    url_len: u16,
    url: &[u8],
) -> Vec<u8> {
    let mut b = vec![protocol];
    b.extend_from_slice(vault_id);
    b.extend_from_slice(opaque_pk);
    b.extend_from_slice(signing_pk);
    b.extend_from_slice(account);
    b.extend_from_slice(&ksf.0.to_be_bytes());
    b.extend_from_slice(&ksf.1.to_be_bytes());
    b.extend_from_slice(&ksf.2.to_be_bytes());
    b.extend_from_slice(&url_len.to_be_bytes());
    b.extend_from_slice(url);
    b
}

const SLOT_NOTES: &[(&str, Note)] = &[
    ("Basic", Note { bug_type: "BASIC", description: "A well-formed vault slot body (ebak-v1 4.6)." }),
    (
        "UrlEdge",
        Note {
            bug_type: "EDGE_CASE",
            description: "A URL at an edge of the rules: 8 or 512 bytes, http://, every printable ASCII byte.",
        },
    ),
    (
        "OverCeilings",
        Note {
            bug_type: "EDGE_CASE",
            description: "Decodes, but the key-stretching costs are over the v1 ceilings (kdfCeilings): a reader MUST refuse to use the slot before it contacts the vault (ebak-v1 4.6), and the header stays valid.",
        },
    ),
    ("UnknownProtocol", Note { bug_type: "MODIFIED_PARAMETER", description: "vault_protocol is not 0x01." }),
    (
        "Truncated",
        Note { bug_type: "BASIC", description: "The body ends inside a field (before url_len, or inside the URL)." },
    ),
    ("TrailingData", Note { bug_type: "CAN_OF_WORMS", description: "Bytes after the URL that url_len announces." }),
    (
        "InvalidUrl",
        Note {
            bug_type: "MODIFIED_PARAMETER",
            description: "url_len outside 8 to 512, a scheme other than https:// or http://, nothing after the scheme, or a byte outside 0x21 to 0x7E (space, control, non-ASCII).",
        },
    ),
    (
        "InvalidKsf",
        Note {
            bug_type: "MODIFIED_PARAMETER",
            description: "The costs are not valid Argon2id parameters (t = 0, p = 0, p over 2^24 - 1, or m < 8p).",
        },
    ),
];

const SLOT_HEADER: &[&str] = &[
    "Test vectors of type EbakVaultSlotTest are vault slot bodies (ebak-v1 4.6; spec/ebak-vault-v1.md).",
    "A valid body decodes to the fields given, and keyId is the key id of its pinned keys (ebak-vault v1 2.2). An invalid body is refused with error, the first rule it breaks in the order of ebak-v1 4.6: UnknownProtocol, Truncated (before url_len), InvalidUrl (url_len out of range), Truncated (inside the URL), TrailingData, InvalidKsf, InvalidUrl (its bytes).",
    "An invalid body makes the slot unusable, never the header invalid: these bodies are valid in a header as slot type 0x02.",
    "See vectors/README.md. License: CC0.",
];

#[derive(Default)]
struct SlotGen {
    tests: Vec<SlotTest>,
}

impl SlotGen {
    fn add(&mut self, comment: &str, flags: &[&'static str], body: &[u8]) {
        let (result, error, fields) = match decode(body) {
            Ok(f) => (TestResult::Valid, None, Some(f)),
            Err(e) => (TestResult::Invalid, Some(e), None),
        };
        let f = fields.as_ref();
        let mut flags = flags.to_vec();
        if let Some(f) = f {
            let over =
                KdfLimits::V1.check_slot(&KdfParams { memory_kib: f.m, iterations: f.t, parallelism: f.p }).is_err();
            assert_eq!(over, flags.contains(&"OverCeilings"), "{comment}: OverCeilings flag");
        } else {
            let name = match error.unwrap() {
                SlotError::UnknownProtocol => "UnknownProtocol",
                SlotError::Truncated => "Truncated",
                SlotError::InvalidUrl => "InvalidUrl",
                SlotError::TrailingData => "TrailingData",
                SlotError::InvalidKsf => "InvalidKsf",
            };
            assert!(flags.contains(&name), "{comment}: expected flag {name}");
        }
        flags.sort_unstable();
        self.tests.push(SlotTest {
            tc_id: self.tests.len() + 1,
            comment: comment.to_owned(),
            body: hex(body),
            vault_id: f.map(|f| hex(&f.vault_id)),
            opaque_pk: f.map(|f| hex(&f.opaque_pk)),
            signing_pk: f.map(|f| hex(&f.signing_pk)),
            key_id: f.map(|f| hex(&key_id(&f.vault_id, &f.opaque_pk, &f.signing_pk))),
            account: f.map(|f| hex(&f.account)),
            m: f.map(|f| f.m),
            t: f.map(|f| f.t),
            p: f.map(|f| f.p),
            url: f.map(|f| f.url.clone()),
            result,
            error,
            flags,
        });
    }
}

/// Builds `ebak_vault_v1_slot_test.json`.
#[must_use]
#[rustfmt::skip] // One vector per line.
pub fn generate_slots() -> VectorFile<SlotTest> {
    let mut g = SlotGen::default();
    let vid: [u8; 16] = seed::array("vault/slot/vault-id");
    let opk: [u8; 32] = seed::array("vault/slot/opaque-pk");
    let spk: [u8; 32] = seed::array("vault/slot/signing-pk");
    let acc: [u8; 16] = seed::array("vault/slot/account");
    let ksf = (65536, 3, 4);
    let url = b"https://vault.example.org/ebak";
    let ok = |k: (u32, u32, u32), u: &[u8]| body(0x01, &vid, &opk, &spk, &acc, k, u.len() as u16, u);
    let good = ok(ksf, url);

    g.add("RFC 9807's second Argon2id configuration, an https URL with a path", &["Basic"], &good);
    g.add("the writing floor with one lane", &["Basic"], &ok((65536, 3, 1), b"https://vault.example"));
    g.add("an http URL of 8 bytes, the shortest", &["Basic", "UrlEdge"], &ok(ksf, b"http://a"));
    let long: Vec<u8> = [b"https://".as_slice(), &[b'a'; 504]].concat();
    g.add("a URL of 512 bytes, the longest", &["Basic", "UrlEdge"], &ok(ksf, &long));
    let printable: Vec<u8> = [b"https://".as_slice(), &(0x21u8..=0x7e).collect::<Vec<_>>()].concat();
    g.add("every printable ASCII byte after the scheme", &["Basic", "UrlEdge"], &ok(ksf, &printable));
    g.add("a URL with a port and a query", &["Basic"], &ok(ksf, b"http://127.0.0.1:8470/?v=1"));
    g.add("all-zero ids and keys (the body is only framed here; the keys are checked when used)", &["Basic"], &body(0x01, &[0; 16], &[0; 32], &[0; 32], &[0; 16], ksf, 21, b"https://vault.example"));
    g.add("m = 8p, t = 1: the smallest valid costs (below the writing floor, still decodes)", &["Basic"], &ok((8, 1, 1), url));
    g.add("the v1 ceilings exactly", &["Basic"], &ok((1 << 20, 16, 16), url));
    g.add("m one over the ceiling", &["OverCeilings"], &ok(((1 << 20) + 1, 3, 4), url));
    g.add("t = 17", &["OverCeilings"], &ok((65536, 17, 4), url));
    g.add("p = 17", &["OverCeilings"], &ok((65536, 3, 17), url));
    g.add("m = 1 GiB with t = 17: the work over the budget too", &["OverCeilings"], &ok((1 << 20, 17, 1), url));

    g.add("empty body", &["Truncated"], &[]);
    g.add("vault_protocol 0x02", &["UnknownProtocol"], &body(0x02, &vid, &opk, &spk, &acc, ksf, url.len() as u16, url));
    g.add("vault_protocol 0x00", &["UnknownProtocol"], &body(0x00, &vid, &opk, &spk, &acc, ksf, url.len() as u16, url));
    g.add("vault_protocol 0x02 and truncated: the protocol is checked first", &["UnknownProtocol"], &[0x02]);
    g.add("only the protocol byte", &["Truncated"], &[0x01]);
    g.add("cut inside the signing key", &["Truncated"], &good[..60]);
    g.add("cut inside url_len", &["Truncated"], &good[..110]);
    g.add("cut after url_len", &["Truncated"], &good[..111]);
    g.add("cut one byte before the end of the URL", &["Truncated"], &good[..good.len() - 1]);
    g.add("url_len one more than the URL", &["Truncated"], &body(0x01, &vid, &opk, &spk, &acc, ksf, url.len() as u16 + 1, url));
    g.add("one byte after the URL", &["TrailingData"], &[good.as_slice(), b"x"].concat());
    g.add("url_len one less than the URL", &["TrailingData"], &body(0x01, &vid, &opk, &spk, &acc, ksf, url.len() as u16 - 1, url));
    g.add("a password slot body's 132 bytes after a valid vault slot body", &["TrailingData"], &[good.as_slice(), &[0u8; 132]].concat());
    g.add("url_len 0", &["InvalidUrl"], &body(0x01, &vid, &opk, &spk, &acc, ksf, 0, b""));
    g.add("url_len 7", &["InvalidUrl"], &ok(ksf, b"http://"));
    g.add("url_len 513", &["InvalidUrl"], &ok(ksf, &[long.as_slice(), b"a"].concat()));
    g.add("url_len 65535, with no URL bytes: the length is checked before the bytes", &["InvalidUrl"], &body(0x01, &vid, &opk, &spk, &acc, ksf, 0xffff, b""));
    g.add("https:// and nothing after it", &["InvalidUrl"], &ok(ksf, b"https://"));
    g.add("scheme ftp://", &["InvalidUrl"], &ok(ksf, b"ftp://vault.example"));
    g.add("scheme HTTPS:// in capitals", &["InvalidUrl"], &ok(ksf, b"HTTPS://vault.example"));
    g.add("no scheme", &["InvalidUrl"], &ok(ksf, b"vault.example.org"));
    g.add("a space in the URL", &["InvalidUrl"], &ok(ksf, b"https://vault example"));
    g.add("a line feed at the end of the URL", &["InvalidUrl"], &ok(ksf, b"https://vault.example\n"));
    g.add("a zero byte in the URL", &["InvalidUrl"], &ok(ksf, b"https://vault\0.example"));
    g.add("a DEL byte (0x7F) in the URL", &["InvalidUrl"], &ok(ksf, b"https://vault\x7f.example"));
    g.add("a non-ASCII host (UTF-8 of e with acute)", &["InvalidUrl"], &ok(ksf, "https://caf\u{e9}.example".as_bytes()));
    g.add("a byte that is not UTF-8 (0xFF)", &["InvalidUrl"], &ok(ksf, b"https://vault\xff.example"));
    g.add("t = 0", &["InvalidKsf"], &ok((65536, 0, 4), url));
    g.add("p = 0", &["InvalidKsf"], &ok((65536, 3, 0), url));
    g.add("p = 2^24", &["InvalidKsf"], &ok((u32::MAX, 3, 1 << 24), url));
    g.add("m = 8p - 1", &["InvalidKsf"], &ok((31, 1, 4), url));
    g.add("t = 0 and an invalid URL: the costs are checked first", &["InvalidKsf"], &ok((65536, 0, 4), b"ftp://vault.example"));
    g.add("t = 0 and a byte after the URL: trailing data is checked first", &["TrailingData"], &[ok((65536, 0, 4), url).as_slice(), b"x"].concat());

    // Cross-check the reference decoder against ebak-core's.
    for t in &g.tests {
        let raw = seed_unhex(&t.body);
        match (VaultSlot::decode_body(&raw), &t.error) {
            (Ok(s), None) => {
                assert_eq!(Some(hex(s.vault_id())), t.vault_id, "tcId {}", t.tc_id);
                assert_eq!(Some(s.url().to_owned()), t.url, "tcId {}", t.tc_id);
                assert_eq!(s.encode_body(), raw, "tcId {}: re-encodes", t.tc_id);
            }
            (Err(e), Some(want)) => assert_eq!(format!("{e:?}").split('(').next().unwrap(), format!("{want:?}"), "tcId {}", t.tc_id),
            (got, want) => panic!("tcId {}: ebak-core gives {got:?}, the spec {want:?}", t.tc_id),
        }
    }

    let group = TestGroup {
        group_type: "EbakVaultSlotTest",
        source: Source { name: "ebak-vectors", version: crate::GENERATOR_VERSION },
        kdf_ceilings: Some(KdfCeilings::v1()),
        tests: g.tests,
    };
    assemble("ebak-vault-v1-slot", "ebak_vault_v1_slot_test_schema.json", SLOT_HEADER.to_vec(), SLOT_NOTES, group, |t| &t.flags)
}

fn seed_unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

// ---------------------------------------------------------------- wrap

/// Why a wrapped key does not open (ebak-vault v1 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum WrapError {
    /// The commitment does not match: another export key, vault, account
    /// or version, or a modified salt or commitment.
    WrongKeyOrContext,
    /// The commitment matches but the tag does not verify.
    Tampered,
}

/// One key-derivation test.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WrapTest {
    /// Test id, from 1.
    pub tc_id: usize,
    /// What the test is.
    pub comment: String,
    /// OPAQUE's export key, 64 bytes.
    pub export_key: String,
    /// The vault id.
    pub vault_id: String,
    /// The account.
    pub account: String,
    /// The record version.
    pub version: u64,
    /// `HKDF-Expand-SHA-512(export_key, "ebak-vault/v1/wrapping-key", 32)`.
    pub wrapping_key: String,
    /// `"ebak-vault/v1/wrapped-key" || 0x00 || vault_id || account || u64(version)`.
    pub wrap_context: String,
    /// The wrapped key to open.
    pub wrapped_key: String,
    /// The backup key it opens to (valid only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_key: Option<String>,
    /// The wrap salt (valid only: the first 24 bytes of `wrapped_key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrap_salt: Option<String>,
    /// valid or invalid.
    pub result: TestResult,
    /// Why it does not open (invalid only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<WrapError>,
    /// Flags.
    pub flags: Vec<&'static str>,
}

/// ebak-vault v1 4, one HMAC block.
#[must_use]
pub fn wrapping_key(export_key: &[u8; 64]) -> [u8; 32] {
    let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(export_key).unwrap();
    mac.update(WRAPPING_KEY_LABEL);
    mac.update(&[0x01]);
    mac.finalize().into_bytes()[..32].try_into().unwrap()
}

/// ebak-vault v1 4.
#[must_use]
pub fn wrap_context(vault_id: &[u8; 16], account: &[u8; 16], version: u64) -> Vec<u8> {
    [WRAPPED_KEY_LABEL, &[0], vault_id, account, &version.to_be_bytes()].concat()
}

const WRAP_NOTES: &[(&str, Note)] = &[
    (
        "Basic",
        Note {
            bug_type: "BASIC",
            description: "The backup key wrapped under an export key (ebak-vault v1 4): derive, then open.",
        },
    ),
    (
        "VersionEdge",
        Note {
            bug_type: "EDGE_CASE",
            description: "A record version at an edge: above 2^32, or 2^64 - 1 (u64, big-endian, in the context).",
        },
    ),
    (
        "WrongContext",
        Note {
            bug_type: "MODIFIED_PARAMETER",
            description: "Opened with another vault id, account or version than it was wrapped for: the commitment does not match.",
        },
    ),
    (
        "WrongExportKey",
        Note {
            bug_type: "AUTH_BYPASS",
            description: "Opened with another export key (another login or password): the commitment does not match.",
        },
    ),
    (
        "ModifiedWrap",
        Note {
            bug_type: "AUTH_BYPASS",
            description: "A byte of the wrapped key changed: in the salt or commitment (WrongKeyOrContext), in the ciphertext or tag (Tampered).",
        },
    ),
];

const WRAP_HEADER: &[&str] = &[
    "Test vectors of type EbakVaultWrapTest are the client's key derivation in the backup key vault (ebak-vault v1 4), from a fixed OPAQUE export_key.",
    "wrappingKey = HKDF-Expand-SHA-512(exportKey, \"ebak-vault/v1/wrapping-key\", 32); wrapContext = \"ebak-vault/v1/wrapped-key\" || 0x00 || vaultId || account || u64(version); wrappedKey = Cobblestone-Seal(wrappingKey, wrapSalt, wrapContext, backupKey).",
    "A valid test opens to backupKey. An invalid one fails with error: WrongKeyOrContext (the commitment) or Tampered (the tag).",
    "See vectors/README.md. License: CC0.",
];

/// Builds `ebak_vault_v1_wrap_test.json`.
#[must_use]
#[rustfmt::skip] // One vector per line.
pub fn generate_wrap() -> VectorFile<WrapTest> {
    let mut tests: Vec<WrapTest> = Vec::new();
    let vid: [u8; 16] = seed::array("vault/wrap/vault-id");
    let acc: [u8; 16] = seed::array("vault/wrap/account");
    let ek: [u8; 64] = seed::array("vault/wrap/export-key");
    let key: [u8; 32] = seed::array("vault/wrap/backup-key");
    let salt: [u8; 24] = seed::array("vault/wrap/salt");
    let mut add = |comment: &str, flags: &[&'static str], ek: &[u8; 64], v: &[u8; 16], a: &[u8; 16], version: u64, wrapped: &[u8], opens: Result<[u8; 32], WrapError>| {
        let wk = wrapping_key(ek);
        let ctx = wrap_context(v, a, version);
        tests.push(WrapTest {
            tc_id: tests.len() + 1,
            comment: comment.to_owned(),
            export_key: hex(ek),
            vault_id: hex(v),
            account: hex(a),
            version,
            wrapping_key: hex(&wk),
            wrap_context: hex(&ctx),
            wrapped_key: hex(wrapped),
            backup_key: opens.ok().map(|k| hex(&k)),
            wrap_salt: opens.ok().map(|_| hex(&wrapped[..24])),
            result: if opens.is_ok() { TestResult::Valid } else { TestResult::Invalid },
            error: opens.err(),
            flags: flags.to_vec(),
        });
    };
    let seal = |ek: &[u8; 64], v: &[u8; 16], a: &[u8; 16], version: u64, key: &[u8; 32], salt: &[u8; 24]| raw::wrap(&wrapping_key(ek), salt, &wrap_context(v, a, version), key);

    let w1 = seal(&ek, &vid, &acc, 1, &key, &salt);
    add("version 1, as registered", &["Basic"], &ek, &vid, &acc, 1, &w1, Ok(key));
    let w2 = seal(&ek, &vid, &acc, 2, &key, &seed::array("vault/wrap/salt-2"));
    add("version 2, after one password change", &["Basic"], &ek, &vid, &acc, 2, &w2, Ok(key));
    let k0 = [0u8; 32];
    let wz = seal(&[0; 64], &[0; 16], &[0; 16], 1, &k0, &[0; 24]);
    add("all-zero export key, ids, salt and backup key", &["Basic"], &[0; 64], &[0; 16], &[0; 16], 1, &wz, Ok(k0));
    let big = (1u64 << 32) + 5;
    let wb = seal(&ek, &vid, &acc, big, &key, &salt);
    add("version 2^32 + 5", &["Basic", "VersionEdge"], &ek, &vid, &acc, big, &wb, Ok(key));
    let wm = seal(&ek, &vid, &acc, u64::MAX, &key, &salt);
    add("version 2^64 - 1", &["Basic", "VersionEdge"], &ek, &vid, &acc, u64::MAX, &wm, Ok(key));
    let ek2: [u8; 64] = seed::array("vault/wrap/export-key-2");
    let key2: [u8; 32] = seed::array("vault/wrap/backup-key-2");
    let w3 = seal(&ek2, &vid, &acc, 7, &key2, &seed::array("vault/wrap/salt-3"));
    add("another export key and backup key", &["Basic"], &ek2, &vid, &acc, 7, &w3, Ok(key2));

    add("wrapped for version 1, opened as version 2", &["WrongContext"], &ek, &vid, &acc, 2, &w1, Err(WrapError::WrongKeyOrContext));
    add("wrapped for version 2, opened as version 1 (an old record served as the current one)", &["WrongContext"], &ek, &vid, &acc, 1, &w2, Err(WrapError::WrongKeyOrContext));
    let mut other_acc = acc;
    other_acc[15] ^= 1;
    add("opened for another account", &["WrongContext"], &ek, &vid, &other_acc, 1, &w1, Err(WrapError::WrongKeyOrContext));
    let mut other_vid = vid;
    other_vid[0] ^= 0x80;
    add("opened for another vault", &["WrongContext"], &ek, &other_vid, &acc, 1, &w1, Err(WrapError::WrongKeyOrContext));
    add("version 2^32 + 5 opened as 5 (a 32-bit version would collide)", &["WrongContext", "VersionEdge"], &ek, &vid, &acc, 5, &wb, Err(WrapError::WrongKeyOrContext));
    add("opened with another export key", &["WrongExportKey"], &ek2, &vid, &acc, 1, &w1, Err(WrapError::WrongKeyOrContext));
    let mut ek_bit = ek;
    ek_bit[63] ^= 1;
    add("opened with the export key's last bit flipped", &["WrongExportKey"], &ek_bit, &vid, &acc, 1, &w1, Err(WrapError::WrongKeyOrContext));
    for (at, what, err) in [(0, "salt", WrapError::WrongKeyOrContext), (23, "salt's last byte", WrapError::WrongKeyOrContext), (24, "commitment", WrapError::WrongKeyOrContext), (55, "commitment's last byte", WrapError::WrongKeyOrContext), (56, "ciphertext", WrapError::Tampered), (87, "ciphertext's last byte", WrapError::Tampered), (88, "tag", WrapError::Tampered), (103, "tag's last byte", WrapError::Tampered)] {
        let mut m = w1.clone();
        m[at] ^= 0x01;
        add(&format!("a bit of the {what} flipped (byte {at})"), &["ModifiedWrap"], &ek, &vid, &acc, 1, &m, Err(err));
    }

    // Cross-check every verdict with ebak-core's Cobblestone opener.
    for t in &tests {
        let wk: [u8; 32] = seed_unhex(&t.wrapping_key).try_into().unwrap();
        let got = ebak_core::cobblestone::open::<ebak_core::DefaultAead>(&wk, &seed_unhex(&t.wrap_context), &seed_unhex(&t.wrapped_key));
        match (got, t.error) {
            (Ok(k), None) => assert_eq!(Some(hex(&k)), t.backup_key, "tcId {}", t.tc_id),
            (Err(ebak_core::cobblestone::PayloadError::Commitment), Some(WrapError::WrongKeyOrContext)) => {}
            (Err(e), Some(WrapError::Tampered)) if e != ebak_core::cobblestone::PayloadError::Commitment => {}
            (got, want) => panic!("tcId {}: ebak-core gives {got:?}, the spec {want:?}", t.tc_id),
        }
    }

    let group = TestGroup {
        group_type: "EbakVaultWrapTest",
        source: Source { name: "ebak-vectors", version: crate::GENERATOR_VERSION },
        kdf_ceilings: None,
        tests,
    };
    assemble("ebak-vault-v1-wrap", "ebak_vault_v1_wrap_test_schema.json", WRAP_HEADER.to_vec(), WRAP_NOTES, group, |t| &t.flags)
}
