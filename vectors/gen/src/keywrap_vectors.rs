//! `ebak_v1_keywrap_test.json`: one password slot at a time (spec 4.2,
//! 4.3, 8), parsed with the header's slot rules, checked against the KDF
//! ceilings, then tried with a password (spec 6 step 2).

use crate::model::Stage::{HeaderMac, HeaderParse, KdfLimits, NoSlotOpens};
use crate::model::TestResult::{Acceptable, Invalid, Valid};
use crate::model::{KdfCeilings, KeyWrapTest, Note, Source, Stage, TestGroup, TestResult, VectorFile, assemble};
use crate::raw::{Kdf, RawSlot, SlotInputs, buggy_kek, params_bytes, password_body, wrap, wrap_context};
use crate::seed::{self, hex};
use ebak_core::aead::DefaultAead;
use ebak_core::cobblestone::{self, ChunkCipher};
use ebak_core::kdf::{KdfParams, normalize_password};
use ebak_core::slot::{PASSWORD_SLOT_LABEL, SLOT_TYPE_PASSWORD, SLOT_TYPE_RESERVED};

const fn params(memory_kib: u32, iterations: u32, parallelism: u32) -> KdfParams {
    KdfParams { memory_kib, iterations, parallelism }
}

/// The writing floor.
const FLOOR: KdfParams = params(65_536, 3, 1);

/// The vectors, in the order they are numbered.
#[derive(Debug)]
struct Gen {
    kdf: Kdf,
    key: [u8; 32],
    tests: Vec<KeyWrapTest>,
    /// Valid slots, with their passwords, that invalid vectors were made
    /// from and that are not vectors themselves (for [`crate::one_change`]).
    bases: Vec<(Vec<u8>, String)>,
}

impl Gen {
    fn base(&self, comment: &str, flags: &[&'static str], slot: &[u8], password: &str) -> KeyWrapTest {
        KeyWrapTest {
            tc_id: self.tests.len() + 1,
            comment: comment.to_owned(),
            slot: hex(slot),
            password: password.to_owned(),
            password_utf8: hex(password.as_bytes()),
            flags: flags.to_vec(),
            ..KeyWrapTest::default()
        }
    }

    /// The slot a writer makes from `inputs`, tried with `password` (the
    /// same password, possibly spelled differently): it opens.
    fn opens(
        &mut self,
        comment: &str,
        flags: &[&'static str],
        inputs: &SlotInputs,
        password: &str,
        result: TestResult,
    ) {
        assert_ne!(result, Invalid);
        let nfc = normalize_password(password);
        assert_eq!(nfc.as_str(), normalize_password(&inputs.password).as_str());
        let slot = inputs.slot(&mut self.kdf, &self.key).encode();
        let kek = self.kdf.kek(password, &inputs.kdf_salt, &inputs.params);
        let context = wrap_context(&inputs.kdf_salt, &inputs.params);
        let derived = cobblestone::derive(&kek, &inputs.wrap_salt, &context);
        let mut t = self.base(comment, flags, &slot, password);
        t.password_nfc_utf8 = Some(hex(nfc.as_bytes()));
        t.kdf_salt = Some(hex(&inputs.kdf_salt));
        t.memory_kib = Some(inputs.params.memory_kib);
        t.iterations = Some(inputs.params.iterations);
        t.parallelism = Some(inputs.params.parallelism);
        t.wrap_salt = Some(hex(&inputs.wrap_salt));
        t.kek = Some(hex(&kek));
        t.wrap_context = Some(hex(&context));
        t.wrap_key = Some(hex(derived.key().expose_secret()));
        t.wrap_base_nonce = Some(hex(derived.base_nonce()));
        t.wrap_commitment = Some(hex(derived.commitment()));
        t.backup_key = Some(hex(&self.key));
        t.result = Some(result);
        self.tests.push(t);
    }

    /// A slot that must fail at `stage` when tried with `password`.
    fn fails(&mut self, comment: &str, flags: &[&'static str], slot: &[u8], password: &str, stage: Stage) {
        let mut t = self.base(comment, flags, slot, password);
        t.result = Some(Invalid);
        t.failure_stage = Some(stage);
        self.tests.push(t);
    }

    /// Inputs with salts drawn from `label`.
    fn inputs(label: &str, password: &str, params: KdfParams) -> SlotInputs {
        SlotInputs::new(&format!("keywrap/{label}"), password, params)
    }
}

/// The flags of this file.
const NOTES: &[(&str, Note)] = &[
    (
        "Argon2Lanes",
        Note {
            bug_type: "EDGE_CASE",
            description: "p > 1, or a memory size that is not a multiple of 4p: Argon2id uses m' = 4p * floor(m / 4p) KiB of memory. An implementation that gets the lanes or the rounding wrong derives another KEK.",
        },
    ),
    (
        "BelowWritingFloor",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "The costs are below the writing floor (m >= 65536, t >= 3). Conforming writers never make such a slot; readers must accept it (spec 8): the result is acceptable, and the slot must open.",
        },
    ),
    (
        "InvalidKdfParams",
        Note {
            bug_type: "MODIFIED_PARAMETER",
            description: "The costs are not valid Argon2id parameters (t >= 1, 1 <= p <= 2^24 - 1, m >= 8p): the slot is malformed (HeaderParse), whatever the ceilings.",
        },
    ),
    (
        "KdfCeiling",
        Note {
            bug_type: "CAN_OF_WORMS",
            description: "A cost is over the reader's ceiling (m <= 1048576, t <= 16, p <= 16): the reader must refuse (KdfLimits) before running Argon2id. The wrapped key is sealed under a stand-in KEK, as computing the real one would cost what the ceiling protects.",
        },
    ),
    (
        "MalformedSlot",
        Note {
            bug_type: "MODIFIED_PARAMETER",
            description: "The slot's encoding is wrong: truncated, with bytes after it, of the reserved type 0x00, or with a body_len other than 132 for a password slot or over 1024 for another type. HeaderParse.",
        },
    ),
    (
        "ModifiedSlot",
        Note {
            bug_type: "AUTH_BYPASS",
            description: "A byte of a valid slot was changed. The wrap context binds the salt and the costs, so a changed kdf_salt, m, t or p (a cost downgrade included), wrap salt or commitment makes the commitment differ: NoSlotOpens. A changed wrapped key or tag passes the commitment and fails the AEAD: HeaderMac (spec 6 step 2.3).",
        },
    ),
    (
        "NotNfkc",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "The password differs from the slot's only by a compatibility character (a ligature). NFC keeps it, so the slot must not open; an implementation that uses NFKC, or folds case or trims, opens it.",
        },
    ),
    (
        "PasswordEdgeCase",
        Note {
            bug_type: "EDGE_CASE",
            description: "An unusual but valid password: a U+0000 inside (a C-string API truncates it), a long one, characters outside the Basic Multilingual Plane.",
        },
    ),
    (
        "UnicodeNormalization",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "The password is given in another normalization form than the writer's (decomposed accents, Hangul jamo, U+212B ANGSTROM SIGN); NFC (spec 4.3) makes them equal, so the slot must open. passwordNfcUtf8 is Argon2id's input.",
        },
    ),
    (
        "UnknownSlotType",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "A slot of a type v1 does not define, holding a password slot's body: a reader must skip it, not try the password on it, so no password slot opens (NoSlotOpens).",
        },
    ),
    (
        "WriterBug",
        Note {
            bug_type: "MISSING_STEP",
            description: "The slot was made by a writer with a known bug: the wrap context without the slot type byte, the password not normalized before Argon2id, Argon2i instead of Argon2id, Argon2 version 0x10 instead of 0x13, or the wrapped key sealed as chunk 1. A reader with the same bug opens it; a conforming reader fails at the stage given.",
        },
    ),
    (
        "WrongPassword",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "Not the slot's password (including one that differs by a trailing space, or the empty password): the commitment does not match, NoSlotOpens.",
        },
    ),
];

const HEADER: &[&str] = &[
    "Test vectors of type EbakKeyWrapTest are single ebak v1 key slots (slot_type || body_len || body, spec 4.2 and 4.3), as they appear in a header.",
    "Parse the slot with the header's slot rules (nothing may follow it), check the KDF ceilings in kdfCeilings, then try the password (spec 6 step 2): a valid or acceptable vector unwraps backupKey, with the intermediate values given; an invalid one fails at failureStage.",
    "See vectors/README.md. License: CC0.",
];

/// Builds the file.
#[must_use]
pub fn generate() -> VectorFile<KeyWrapTest> {
    let (file, report) = generate_checked();
    assert!(
        report.problems.is_empty(),
        "key-slot vectors that break more than one rule:\n{}",
        report.problems.join("\n")
    );
    file
}

/// Builds the file, and checks that every invalid vector is one change
/// away from a valid slot ([`crate::one_change`]).
#[must_use]
pub fn generate_checked() -> (VectorFile<KeyWrapTest>, crate::one_change::Report) {
    let mut g =
        Gen { kdf: Kdf::default(), key: seed::array("keywrap/backup-key"), tests: Vec::new(), bases: Vec::new() };
    valid(&mut g);
    malformed(&mut g);
    ceilings(&mut g);
    wrong(&mut g);
    for t in &g.tests {
        assert!(t.result.is_some());
    }
    let report = crate::one_change::check_keywrap_vectors(&g.tests, &g.bases);
    let group = TestGroup {
        group_type: "EbakKeyWrapTest",
        source: Source { name: "ebak-vectors", version: crate::GENERATOR_VERSION },
        kdf_ceilings: Some(KdfCeilings::v1()),
        tests: g.tests,
    };
    (
        assemble("ebak-v1-keywrap", "ebak_v1_keywrap_test_schema.json", HEADER.to_vec(), NOTES, group, |t| &t.flags),
        report,
    )
}

const ASCII: &str = "correct horse battery staple";
const ACCENTS_NFC: &str = "Gr\u{fc}\u{df}e, J\u{fc}rgen! \u{1f510} \u{30d1}\u{30b9}\u{30ef}\u{30fc}\u{30c9}";
const ACCENTS_NFD: &str =
    "Gru\u{308}\u{df}e, Ju\u{308}rgen! \u{1f510} \u{30cf}\u{309a}\u{30b9}\u{30ef}\u{30fc}\u{30c8}\u{3099}";
const HANGUL_NFC: &str = "\u{c5}ngstr\u{f6}m \u{d55c}\u{ad6d}\u{c5b4}";
const HANGUL_ODD: &str = "\u{212b}ngstro\u{308}m \u{1112}\u{1161}\u{11ab}\u{1100}\u{116e}\u{11a8}\u{110b}\u{1165}";

#[rustfmt::skip] // One vector per line.
fn valid(g: &mut Gen) {
    let ascii = Gen::inputs("ascii", ASCII, FLOOR);
    g.opens("ASCII password, the writing floor (m = 65536, t = 3, p = 1)", &[], &ascii, ASCII, Valid);
    let i = Gen::inputs("p2", "two lanes, one password", params(65_536, 3, 2));
    g.opens("p = 2", &["Argon2Lanes"], &i, "two lanes, one password", Valid);
    let i = Gen::inputs("p3", "three lanes: m rounds down to 65532", params(65_536, 3, 3));
    g.opens("p = 3: m = 65536 is not a multiple of 4p = 12", &["Argon2Lanes"], &i, "three lanes: m rounds down to 65532", Valid);
    let i = Gen::inputs("m65537", "m is not a multiple of four", params(65_537, 3, 1));
    g.opens("m = 65537: not a multiple of 4p = 4", &["Argon2Lanes"], &i, "m is not a multiple of four", Valid);
    let accents = Gen::inputs("accents", ACCENTS_NFC, FLOOR);
    g.opens("non-ASCII password in NFC (accents, an emoji, katakana)", &["PasswordEdgeCase"], &accents, ACCENTS_NFC, Valid);
    g.opens("the same password given in NFD", &["UnicodeNormalization"], &accents, ACCENTS_NFD, Valid);
    let i = Gen::inputs("hangul", HANGUL_NFC, FLOOR);
    g.opens("slot made from NFC; password given with U+212B ANGSTROM SIGN, a combining diaeresis and Hangul jamo", &["UnicodeNormalization"], &i, HANGUL_ODD, Valid);
    let nul = "before\u{0}after";
    let i = Gen::inputs("nul", nul, FLOOR);
    g.opens("a password with U+0000 inside", &["PasswordEdgeCase"], &i, nul, Valid);
    let long = "a long passphrase, repeated. ".repeat(20);
    let i = Gen::inputs("long", &long, FLOOR);
    g.opens("a 580-byte password", &["PasswordEdgeCase"], &i, &long, Valid);

    // Argon2Lanes marks every slot with p > 1 or m not a multiple of 4p, so
    // that a reader whose Argon2id lacks lanes can tell which vectors need them.
    for (label, p, what, flags) in [
        ("tiny", params(8, 1, 1), "m = 8, t = 1, p = 1: the cheapest valid Argon2id", &["BelowWritingFloor"][..]),
        ("m-below", params(65_535, 3, 1), "m = 65535, one below the floor", &["BelowWritingFloor", "Argon2Lanes"]),
        ("t-below", params(65_536, 2, 1), "t = 2, one below the floor", &["BelowWritingFloor"]),
        ("lanes-16", params(128, 1, 16), "p = 16 (the ceiling) with m = 8p = 128", &["BelowWritingFloor", "Argon2Lanes"]),
    ] {
        let i = Gen::inputs(label, ASCII, p);
        g.opens(&format!("below the writing floor: {what}"), flags, &i, ASCII, Acceptable);
    }
}

#[rustfmt::skip] // One vector per line.
fn malformed(g: &mut Gen) {
    let slot = Gen::inputs("ascii", ASCII, FLOOR).slot(&mut g.kdf, &g.key);
    let bytes = slot.encode();
    for (len, what) in [(0, "empty input"), (1, "the slot type alone"), (2, "half of body_len"), (3, "no body"), (134, "body cut to 131 of 132 bytes")] {
        g.fails(&format!("truncated slot: {what}"), &["MalformedSlot"], &bytes[..len], ASCII, HeaderParse);
    }
    let mut extra = bytes.clone();
    extra.push(0);
    g.fails("a zero byte after the slot", &["MalformedSlot"], &extra, ASCII, HeaderParse);
    g.fails("a valid password slot body under the reserved type 0x00", &["MalformedSlot"], &RawSlot::new(SLOT_TYPE_RESERVED, slot.body.clone()).encode(), ASCII, HeaderParse);
    g.fails("password slot with body_len 131", &["MalformedSlot"], &RawSlot::new(SLOT_TYPE_PASSWORD, slot.body[..131].to_vec()).encode(), ASCII, HeaderParse);
    let mut longer = slot.body.clone();
    longer.push(0);
    g.fails("password slot with body_len 133", &["MalformedSlot"], &RawSlot::new(SLOT_TYPE_PASSWORD, longer).encode(), ASCII, HeaderParse);
    g.fails("slot of type 0x02 with body_len 1025", &["MalformedSlot", "UnknownSlotType"], &RawSlot::new(0x02, vec![0; 1025]).encode(), ASCII, HeaderParse);
    for (label, p, what) in [
        ("t-zero", params(65_536, 0, 1), "t = 0"),
        ("p-zero", params(65_536, 3, 0), "p = 0"),
        ("m-zero", params(0, 3, 1), "m = 0"),
        ("m-below-8p", params(31, 1, 4), "m = 31 < 8p with p = 4"),
        ("p-too-many", params(1 << 27, 1, 1 << 24), "p = 2^24 with m = 8p"),
    ] {
        g.fails(&format!("invalid Argon2id parameters: {what}"), &["InvalidKdfParams"], &stand_in(g, label, p), ASCII, HeaderParse);
    }
}

/// A slot with `params` whose wrapped key is sealed under a stand-in KEK.
fn stand_in(g: &Gen, label: &str, p: KdfParams) -> Vec<u8> {
    let i = Gen::inputs(label, ASCII, p);
    let kek: [u8; 32] = seed::array(&format!("keywrap/stand-in-kek/{label}"));
    i.slot_with_kek(&kek, &wrap_context(&i.kdf_salt, &p), &g.key).encode()
}

#[rustfmt::skip] // One vector per line.
fn ceilings(g: &mut Gen) {
    for (label, p, what) in [
        ("m-over", params(1_048_577, 1, 1), "m = 1048577 KiB"),
        ("t-over", params(65_536, 17, 1), "t = 17"),
        ("p-over", params(136, 1, 17), "p = 17 (m = 8p)"),
        ("m-max", params(u32::MAX, 1, 1), "m = 2^32 - 1 KiB"),
        ("p-max", params(8 * 0x00FF_FFFF, 1, 0x00FF_FFFF), "p = 2^24 - 1 with m = 8p (both over)"),
    ] {
        g.fails(&format!("over the KDF ceiling: {what}"), &["KdfCeiling"], &stand_in(g, label, p), ASCII, KdfLimits);
    }
}

#[rustfmt::skip] // One vector per line.
fn wrong(g: &mut Gen) {
    let inputs = Gen::inputs("ascii", ASCII, FLOOR);
    let slot = inputs.slot(&mut g.kdf, &g.key).encode();
    g.fails("wrong password", &["WrongPassword"], &slot, "Tr0ub4dor&3", NoSlotOpens);
    g.fails("the password with a trailing space", &["WrongPassword"], &slot, "correct horse battery staple ", NoSlotOpens);
    g.fails("the empty password", &["WrongPassword"], &slot, "", NoSlotOpens);
    let office = Gen::inputs("office", "office", FLOOR).slot(&mut g.kdf, &g.key).encode();
    g.bases.push((office.clone(), "office".into()));
    g.fails("slot made from \"office\"; password \"o\u{fb01}ce\" with the U+FB01 ligature, which NFKC (not NFC) turns into \"fi\"", &["NotNfkc"], &office, "o\u{fb01}ce", NoSlotOpens);

    // Body offsets in the encoded slot (3 bytes of type and body_len first):
    // kdf_salt 3, m 19, t 23, p 27, wrap salt 31, commitment 55, wrapped
    // key 87, tag 119.
    let set = |at: usize, value: &[u8]| { let mut s = slot.clone(); s[at..at + value.len()].copy_from_slice(value); s };
    let flip = |at: usize| { let mut s = slot.clone(); s[at] ^= 0x01; s };
    g.fails("kdf_salt modified", &["ModifiedSlot"], &flip(3), ASCII, NoSlotOpens);
    g.fails("m lowered from 65536 to 8 (a cost downgrade)", &["ModifiedSlot"], &set(19, &8u32.to_be_bytes()), ASCII, NoSlotOpens);
    g.fails("t lowered from 3 to 1 (a cost downgrade)", &["ModifiedSlot"], &set(23, &1u32.to_be_bytes()), ASCII, NoSlotOpens);
    g.fails("p raised from 1 to 2", &["ModifiedSlot"], &set(27, &2u32.to_be_bytes()), ASCII, NoSlotOpens);
    g.fails("wrap salt modified", &["ModifiedSlot"], &flip(31), ASCII, NoSlotOpens);
    g.fails("commitment modified", &["ModifiedSlot"], &flip(86), ASCII, NoSlotOpens);
    g.fails("a wrapped key byte modified: the commitment matches, the tag does not", &["ModifiedSlot"], &flip(87), ASCII, HeaderMac);
    g.fails("a tag byte modified", &["ModifiedSlot"], &flip(134), ASCII, HeaderMac);

    let mut unknown = slot.clone();
    unknown[0] = 0x02;
    g.fails("a valid password slot body under type 0x02 (vault): skipped, so no password slot", &["UnknownSlotType"], &unknown, ASCII, NoSlotOpens);
    unknown[0] = 0xFF;
    g.fails("a valid password slot body under type 0xFF: skipped", &["UnknownSlotType"], &unknown, ASCII, NoSlotOpens);

    // Writer bugs.
    let kek = g.kdf.kek(ASCII, &inputs.kdf_salt, &inputs.params);
    let mut no_type = PASSWORD_SLOT_LABEL.to_vec();
    no_type.push(0x00);
    no_type.extend_from_slice(&params_bytes(&inputs.kdf_salt, &inputs.params));
    let bug = inputs.slot_with_kek(&kek, &no_type, &g.key).encode();
    g.fails("writer bug: the wrap context without the slot type byte 0x01", &["WriterBug"], &bug, ASCII, NoSlotOpens);
    let nfd = Gen::inputs("unnormalized", ACCENTS_NFD, FLOOR);
    let raw_kek = buggy_kek(ACCENTS_NFD.as_bytes(), &nfd.kdf_salt, &FLOOR, argon2::Algorithm::Argon2id, argon2::Version::V0x13);
    let bug = nfd.slot_with_kek(&raw_kek, &wrap_context(&nfd.kdf_salt, &FLOOR), &g.key).encode();
    g.fails("writer bug: the NFD password given to Argon2id without NFC; tried with the same NFD password", &["WriterBug"], &bug, ACCENTS_NFD, NoSlotOpens);
    let argon2i = buggy_kek(ASCII.as_bytes(), &inputs.kdf_salt, &FLOOR, argon2::Algorithm::Argon2i, argon2::Version::V0x13);
    let bug = inputs.slot_with_kek(&argon2i, &wrap_context(&inputs.kdf_salt, &FLOOR), &g.key).encode();
    g.fails("writer bug: the KEK from Argon2i instead of Argon2id", &["WriterBug"], &bug, ASCII, NoSlotOpens);
    let v10 = buggy_kek(ASCII.as_bytes(), &inputs.kdf_salt, &FLOOR, argon2::Algorithm::Argon2id, argon2::Version::V0x10);
    let bug = inputs.slot_with_kek(&v10, &wrap_context(&inputs.kdf_salt, &FLOOR), &g.key).encode();
    g.fails("writer bug: the KEK from Argon2id version 0x10 instead of 0x13", &["WriterBug"], &bug, ASCII, NoSlotOpens);
    // The wrap's only chunk sealed at index 1 instead of 0.
    let context = wrap_context(&inputs.kdf_salt, &FLOOR);
    let derived = cobblestone::derive(&kek, &inputs.wrap_salt, &context);
    let mut chunk = g.key.to_vec();
    chunk.extend_from_slice(&[0; 16]);
    ChunkCipher::<DefaultAead>::new(&derived).seal(1, &mut chunk).unwrap();
    let mut wrapped = inputs.wrap_salt.to_vec();
    wrapped.extend_from_slice(derived.commitment());
    wrapped.extend_from_slice(&chunk);
    let bug = RawSlot::new(SLOT_TYPE_PASSWORD, password_body(&inputs.kdf_salt, &FLOOR, &wrapped)).encode();
    g.fails("writer bug: the wrapped key sealed as chunk 1 instead of chunk 0: the commitment matches, the tag does not", &["WriterBug"], &bug, ASCII, HeaderMac);
    // The generator's wrap agrees with ebak-core's.
    assert_eq!(&slot[31..], wrap(&kek, &inputs.wrap_salt, &context, &g.key).as_slice());
}
