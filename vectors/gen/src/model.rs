//! The shape of the vector files (Wycheproof's, and `/vectors/README.md`):
//! serde structs, so that every file has its fields in a fixed order.

use serde::Serialize;
use std::collections::BTreeMap;

/// A whole vector file.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VectorFile<T> {
    /// What is tested.
    pub algorithm: &'static str,
    /// The JSON Schema file, in `vectors/schema/`.
    pub schema: &'static str,
    /// The generator's version.
    pub generator_version: &'static str,
    /// The number of tests in all groups.
    pub number_of_tests: usize,
    /// Free documentation.
    pub header: Vec<&'static str>,
    /// What every flag means.
    pub notes: BTreeMap<&'static str, Note>,
    /// The groups (one per file here).
    pub test_groups: Vec<TestGroup<T>>,
}

/// The meaning of a flag.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// Wycheproof's bug type: what kind of bug the vectors with this flag catch.
    pub bug_type: &'static str,
    /// What the flag means.
    pub description: &'static str,
}

/// Where the vectors come from.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Source {
    /// The generator.
    pub name: &'static str,
    /// Its version.
    pub version: &'static str,
}

/// The KDF ceilings a reader uses for these vectors (spec 8).
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KdfCeilings {
    /// Most memory for one slot, KiB.
    pub max_memory_kib: u32,
    /// Most passes for one slot.
    pub max_iterations: u32,
    /// Most lanes for one slot.
    pub max_parallelism: u32,
    /// Most total work over a header's password slots, KiB-passes.
    pub max_total_work: u64,
}

impl KdfCeilings {
    /// The v1 ceilings, from `ebak-core`.
    #[must_use]
    pub const fn v1() -> Self {
        let l = ebak_core::kdf::KdfLimits::V1;
        Self {
            max_memory_kib: l.max_memory_kib,
            max_iterations: l.max_iterations,
            max_parallelism: l.max_parallelism,
            max_total_work: l.max_total_work,
        }
    }
}

/// A group of tests.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestGroup<T> {
    /// The group type.
    #[serde(rename = "type")]
    pub group_type: &'static str,
    /// Where the vectors come from.
    pub source: Source,
    /// The ceilings a reader applies (file and key-slot vectors only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kdf_ceilings: Option<KdfCeilings>,
    /// The tests.
    pub tests: Vec<T>,
}

/// A test's expected result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestResult {
    /// Conforming writers may produce it; readers must accept it.
    Valid,
    /// Readers must accept it, but conforming writers never produce it.
    Acceptable,
    /// Readers must reject it.
    Invalid,
}

/// Which secret a file vector tries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretType {
    /// The 64-digit key (the backup key bytes).
    Key,
    /// A password.
    Password,
}

/// The layer that must reject an invalid vector (spec 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Stage {
    /// Spec 6 step 1.
    HeaderParse,
    /// Spec 6 step 2.1.
    KdfLimits,
    /// Spec 6 step 2.4.
    NoSlotOpens,
    /// Spec 6 steps 2.3 and 3.
    HeaderMac,
    /// Spec 6 step 4.2.
    Commitment,
    /// Spec 6 steps 4.1 and 4.3.
    Payload,
}

/// One whole-file test (`ebak_v1_file_test.json`).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileTest {
    /// Test id, from 1.
    pub tc_id: usize,
    /// What the test is.
    pub comment: String,
    /// Which secret is tried.
    pub secret_type: Option<SecretType>,
    /// The backup key bytes tried (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The password tried, exact code points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The password's UTF-8 bytes before normalization (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_utf8: Option<String>,
    /// The application context (hex).
    pub context: String,
    /// The file (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The file, zlib-compressed (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_zlib: Option<String>,
    /// The file's length in bytes (an addition to the contract).
    pub file_length: usize,
    /// The header's length, when the header parses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_length: Option<usize>,
    /// The index of the slot the password opens (an addition; valid and
    /// acceptable password vectors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened_slot: Option<usize>,
    /// The backup key (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_key: Option<String>,
    /// The header MAC key (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_mac_key: Option<String>,
    /// The payload's Cobblestone AEAD key (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_key: Option<String>,
    /// The payload's base nonce (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_base_nonce: Option<String>,
    /// The payload's commitment (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_commitment: Option<String>,
    /// Plaintext (or released prefix) length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_length: Option<usize>,
    /// Its SHA-512 (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_sha512: Option<String>,
    /// valid, acceptable or invalid.
    pub result: Option<TestResult>,
    /// The stage that must reject it (invalid only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_stage: Option<Stage>,
    /// Flags (names of notes).
    pub flags: Vec<&'static str>,
}

/// One key-slot test (`ebak_v1_keywrap_test.json`).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyWrapTest {
    /// Test id, from 1.
    pub tc_id: usize,
    /// What the test is.
    pub comment: String,
    /// The encoded slot (hex).
    pub slot: String,
    /// The password tried, exact code points.
    pub password: String,
    /// Its UTF-8 bytes before normalization (hex).
    pub password_utf8: String,
    /// The UTF-8 bytes of NFC(password), Argon2id's input (an addition; valid and acceptable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_nfc_utf8: Option<String>,
    /// Argon2id salt (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kdf_salt: Option<String>,
    /// m, KiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_kib: Option<u32>,
    /// t.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u32>,
    /// p.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    /// The wrap's Cobblestone salt (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrap_salt: Option<String>,
    /// Argon2id's output (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kek: Option<String>,
    /// The wrap's Cobblestone context (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrap_context: Option<String>,
    /// The wrap's AEAD key (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrap_key: Option<String>,
    /// The wrap's base nonce (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrap_base_nonce: Option<String>,
    /// The wrap's commitment (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrap_commitment: Option<String>,
    /// The unwrapped backup key (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_key: Option<String>,
    /// valid, acceptable or invalid.
    pub result: Option<TestResult>,
    /// The stage that must reject it (invalid only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_stage: Option<Stage>,
    /// Flags (names of notes).
    pub flags: Vec<&'static str>,
}

/// What is wrong with a 64-digit key (spec 4.5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind")]
pub enum RecoveryKeyError {
    /// The first character that is neither a hex digit, a space nor a dash.
    InvalidCharacter {
        /// The character.
        character: String,
        /// Its position, in characters from 1.
        position: usize,
    },
    /// Fewer than 64 digits.
    TooShort {
        /// 64 - n.
        missing: usize,
    },
    /// More than 64 digits.
    TooLong {
        /// n - 64.
        extra: usize,
    },
}

/// One 64-digit key test (`ebak_v1_recovery_key_test.json`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryKeyTest {
    /// Test id, from 1.
    pub tc_id: usize,
    /// What the test is.
    pub comment: String,
    /// The input, exact code points.
    pub text: String,
    /// The key bytes (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The canonical spelling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// valid or invalid.
    pub result: TestResult,
    /// The error (invalid only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RecoveryKeyError>,
    /// Flags (names of notes).
    pub flags: Vec<&'static str>,
}

/// Pretty JSON with a final newline.
#[must_use]
pub fn to_json<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap();
    s.push('\n');
    s
}

/// Checks that every flag used has a note and every note is used, numbers
/// the tests, and assembles the file.
#[must_use]
pub fn assemble<T>(
    algorithm: &'static str,
    schema: &'static str,
    header: Vec<&'static str>,
    notes: &[(&'static str, Note)],
    group: TestGroup<T>,
    flags_of: impl Fn(&T) -> &[&'static str],
) -> VectorFile<T> {
    let notes: BTreeMap<&'static str, Note> = notes.iter().copied().collect();
    let mut used = std::collections::BTreeSet::new();
    for t in &group.tests {
        for f in flags_of(t) {
            assert!(notes.contains_key(f), "flag {f} has no note");
            used.insert(*f);
        }
    }
    for n in notes.keys() {
        assert!(used.contains(n), "note {n} is never used");
    }
    VectorFile {
        algorithm,
        schema,
        generator_version: crate::GENERATOR_VERSION,
        number_of_tests: group.tests.len(),
        header,
        notes,
        test_groups: vec![group],
    }
}

/// One entry of a restored tree's listing (`ebak_v1_content_test.json`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListingEntry {
    /// The path under the target, `/`-separated.
    pub path: String,
    /// `file`, `directory` or `symlink`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Permission bits, `mode & 0o7777` (files and directories).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    /// Modification time, seconds (files and directories; negative before
    /// 1970).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtime: Option<i64>,
    /// Length (files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// SHA-256 of the content (files, hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The symlink's target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// A hard link: the path of the file it is a link to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_to: Option<String>,
}

/// One content test (`ebak_v1_content_test.json`).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentTest {
    /// Test id, from 1.
    pub tc_id: usize,
    /// What the test is.
    pub comment: String,
    /// The backup key (hex): every file opens with it.
    pub key: String,
    /// The application context (hex).
    pub context: String,
    /// The file (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The file, zlib-compressed (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_zlib: Option<String>,
    /// The file's length.
    pub file_length: usize,
    /// The payload plaintext's length.
    pub payload_length: usize,
    /// Its SHA-256 (hex).
    pub payload_sha256: String,
    /// `tar`, `stream` or `raw`, when the content header decodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_kind: Option<&'static str>,
    /// `none` or `zstd`, for tar and stream content whose header decodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<&'static str>,
    /// The decompressed body's length, when it decompresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_length: Option<usize>,
    /// Its SHA-256 (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_sha256: Option<String>,
    /// The restored tree (valid and acceptable tar content).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<ListingEntry>>,
    /// valid, acceptable or invalid.
    pub result: Option<TestResult>,
    /// The class that must reject it (invalid only): content spec 8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_class: Option<&'static str>,
    /// Flags (names of notes).
    pub flags: Vec<&'static str>,
}
