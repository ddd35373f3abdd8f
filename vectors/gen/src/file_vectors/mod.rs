//! `ebak_v1_file_test.json`: whole files, opened with the 64-digit key or a
//! password, valid and invalid, with the stage that must reject each
//! invalid one (spec 6 and 9).

mod edges;
mod fixtures;
mod header;
mod payload;
mod secrets;
mod valid;

use crate::model::{FileTest, Note, SecretType, Source, Stage, TestGroup, TestResult, VectorFile, assemble};
use crate::payload::{Payload, stream_outcome};
use crate::raw::{Kdf, mac_key};
use crate::seed::{hex, sha512_hex, zlib_hex};
use ebak_core::chunk::PREFIX_SIZE;
use ebak_core::cobblestone;
use ebak_core::file::payload_context;

/// Files longer than this are given zlib-compressed (`fileZlib`).
pub const ZLIB_ABOVE_BYTES: usize = 4096;

/// The secret a vector tries.
#[derive(Clone, Copy, Debug)]
pub enum Secret<'a> {
    /// The backup key bytes (what the 64-digit key parses to).
    Key(&'a [u8; 32]),
    /// A password, exact code points.
    Password(&'a str),
}

/// The vectors, in the order they are numbered.
#[derive(Debug, Default)]
pub struct Gen {
    /// Argon2id, cached.
    pub kdf: Kdf,
    tests: Vec<FileTest>,
    /// The valid files that payload vectors were made from and that are not
    /// vectors themselves (for [`crate::one_change`]).
    bases: Vec<crate::one_change::FileCase>,
}

impl Gen {
    fn base(&self, comment: &str, flags: &[&'static str], secret: Secret<'_>, context: &[u8], file: &[u8]) -> FileTest {
        let mut t = FileTest {
            tc_id: self.tests.len() + 1,
            comment: comment.to_owned(),
            context: hex(context),
            file_length: file.len(),
            flags: flags.to_vec(),
            ..FileTest::default()
        };
        match secret {
            Secret::Key(k) => {
                t.secret_type = Some(SecretType::Key);
                t.key = Some(hex(k));
            }
            Secret::Password(p) => {
                t.secret_type = Some(SecretType::Password);
                t.password = Some(p.to_owned());
                t.password_utf8 = Some(hex(p.as_bytes()));
            }
        }
        if file.len() > ZLIB_ABOVE_BYTES {
            t.file_zlib = Some(zlib_hex(file));
        } else {
            t.file = Some(hex(file));
        }
        t
    }

    /// A file that opens: `file` is a header followed by `payload` (which
    /// knows its backup key and context); with a password, `opened_slot` is
    /// the index of the slot it opens.
    #[allow(clippy::too_many_arguments, reason = "one call per vector, every argument named at the call site")]
    pub fn opens(
        &mut self,
        comment: &str,
        flags: &[&'static str],
        secret: Secret<'_>,
        file: &[u8],
        result: TestResult,
        opened_slot: Option<usize>,
        payload: &Payload,
    ) {
        assert_ne!(result, TestResult::Invalid);
        assert!(file.ends_with(&payload.bytes), "{comment}");
        assert_eq!(opened_slot.is_some(), matches!(secret, Secret::Password(_)), "{comment}");
        let (key, context) = (&payload.key, payload.app_context.as_slice());
        let header_len = file.len() - payload.bytes.len();
        let mut t = self.base(comment, flags, secret, context, file);
        let salt: [u8; 24] = payload.bytes[..24].try_into().unwrap();
        let derived = cobblestone::derive(key, &salt, &payload_context(context).unwrap());
        assert_eq!(derived.commitment().as_slice(), &payload.bytes[24..PREFIX_SIZE]);
        t.header_length = Some(header_len);
        t.opened_slot = opened_slot;
        t.backup_key = Some(hex(key));
        t.header_mac_key = Some(hex(&mac_key(key)));
        t.payload_key = Some(hex(derived.key().expose_secret()));
        t.payload_base_nonce = Some(hex(derived.base_nonce()));
        t.payload_commitment = Some(hex(derived.commitment()));
        t.msg_length = Some(payload.plaintext.len());
        t.msg_sha512 = Some(sha512_hex(&payload.plaintext));
        t.result = Some(result);
        self.tests.push(t);
    }

    /// A file that must fail at `stage`, releasing nothing.
    #[allow(clippy::too_many_arguments, reason = "one call per vector, every argument named at the call site")]
    pub fn fails(
        &mut self,
        comment: &str,
        flags: &[&'static str],
        secret: Secret<'_>,
        context: &[u8],
        file: &[u8],
        stage: Stage,
        header_len: Option<usize>,
    ) {
        assert!(!flags.contains(&"PartialPlaintext"));
        assert_eq!(header_len.is_none(), stage == Stage::HeaderParse, "{comment}");
        let mut t = self.base(comment, flags, secret, context, file);
        t.header_length = header_len;
        t.result = Some(TestResult::Invalid);
        t.failure_stage = Some(stage);
        self.tests.push(t);
    }

    /// A file whose header is `header` (opened with `key`) and whose payload
    /// is `payload`, a modified copy of `original` with its prefix intact:
    /// it must fail at the payload stage after releasing exactly
    /// `released_chunks` full chunks (checked against the model of spec 6.1).
    #[allow(clippy::too_many_arguments, reason = "one call per vector, every argument named at the call site")]
    pub fn fails_in_payload(
        &mut self,
        comment: &str,
        flags: &[&'static str],
        key: &[u8; 32],
        header: &[u8],
        original: &Payload,
        payload: &[u8],
        released_chunks: usize,
    ) {
        let outcome = stream_outcome(original, payload);
        assert!(!outcome.opens, "{comment}: the modified payload still opens");
        assert_eq!(outcome.released_chunks, released_chunks, "{comment}");
        assert_eq!(flags.contains(&"PartialPlaintext"), released_chunks > 0, "{comment}");
        assert_eq!(flags.contains(&"ValidFinalChunk"), outcome.valid_final_chunk, "{comment}");
        let mut file = header.to_vec();
        file.extend_from_slice(payload);
        let context = original.app_context.clone();
        self.bases.push(crate::one_change::FileCase {
            tc_id: 0,
            file: [header, &original.bytes[..]].concat(),
            secret: crate::one_change::Try::Key(*key),
            context: context.clone(),
            backup_key: Some(*key),
        });
        let mut t = self.base(comment, flags, Secret::Key(key), &context, &file);
        t.header_length = Some(header.len());
        if released_chunks > 0 {
            let released = original.first_chunks_plaintext(released_chunks);
            t.msg_length = Some(released.len());
            t.msg_sha512 = Some(sha512_hex(&released));
        }
        t.result = Some(TestResult::Invalid);
        t.failure_stage = Some(Stage::Payload);
        self.tests.push(t);
    }
}

/// The flags of this file.
pub const NOTES: &[(&str, Note)] = &[
    (
        "BadMagic",
        Note {
            bug_type: "BASIC",
            description: "The file does not start with the ebak magic: another format, or a magic damaged by a 7-bit or text-mode transfer (high bit stripped, CR LF turned into LF or LF into CR LF). It must be rejected while parsing the header.",
        },
    ),
    (
        "BelowWritingFloor",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "A password slot's Argon2id costs are below the writing floor (m >= 65536, t >= 3). A conforming writer never makes such a slot, but a reader must accept it (spec 8): the result is acceptable, and the file must open.",
        },
    ),
    (
        "ChunkBoundary",
        Note {
            bug_type: "EDGE_CASE",
            description: "The message length is at or next to a multiple of 16 KiB: the final chunk is empty, or almost full, or the message has just one byte in its final chunk.",
        },
    ),
    (
        "ChunkReordering",
        Note {
            bug_type: "AUTH_BYPASS",
            description: "Payload chunks were swapped, duplicated, inserted or dropped, or one was taken from another payload under the same key. The chunk nonces (and keys) must make the first misplaced chunk fail.",
        },
    ),
    (
        "CounterRollover",
        Note {
            bug_type: "EDGE_CASE",
            description: "The payload has 257 chunks, so the chunk counter XOR'd into the nonce reaches 256 and crosses a byte boundary.",
        },
    ),
    (
        "DuplicateSlot",
        Note {
            bug_type: "CAN_OF_WORMS",
            description: "Two slots are identical, or two password slots share a kdf_salt (spec 4.2). The header must be rejected while parsing, before any Argon2id runs.",
        },
    ),
    (
        "EmptyMessage",
        Note {
            bug_type: "EDGE_CASE",
            description: "The backup data is empty: the payload is a salt, a commitment and one empty final chunk (a lone tag).",
        },
    ),
    (
        "ForeignPayload",
        Note {
            bug_type: "AUTH_BYPASS",
            description: "The header is intact but the payload was sealed under another backup key. The payload commitment must reject it.",
        },
    ),
    (
        "HeaderPayloadSplice",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "The header of one file followed by the payload of another file made under the same backup key and context. ebak v1 does not bind the two (spec 10), so this file opens; a reader must not reject it.",
        },
    ),
    (
        "InvalidKdfParams",
        Note {
            bug_type: "MODIFIED_PARAMETER",
            description: "A password slot's costs are not valid Argon2id parameters (t >= 1, 1 <= p <= 2^24 - 1, m >= 8p; spec 4.3). The header must be rejected while parsing (HeaderParse), not at the KDF ceilings.",
        },
    ),
    (
        "KdfCeiling",
        Note {
            bug_type: "CAN_OF_WORMS",
            description: "A password slot's m, t or p is over the reader's ceiling (spec 8: m <= 1048576, t <= 16, p <= 16). With a password the reader must refuse (KdfLimits) before running Argon2id for any slot; a reader that runs it anyway spends up to 4 TiB of memory. With the 64-digit key no slot is used, the file opens, and the result is acceptable (a conforming writer never makes such a slot). The wrapped key in such a slot is not the wrap of the backup key under the real KEK (computing that KEK would cost the resources the ceiling protects); a reader never gets that far.",
        },
    ),
    (
        "KdfLimitBoundary",
        Note {
            bug_type: "EDGE_CASE",
            description: "The ceilings and the work budget are inclusive (spec 8): a password slot with costs exactly at a ceiling, or slots whose total m * t is exactly 2^24 KiB-passes, must not be refused. The password opens an earlier, floor-cost slot, so the costly slot is never evaluated (spec 6 step 2.3 stops at the first slot that opens); its wrapped key is sealed under a stand-in KEK, as for KdfCeiling.",
        },
    ),
    (
        "KdfWorkBudget",
        Note {
            bug_type: "CAN_OF_WORMS",
            description: "Every password slot is within the per-slot ceilings, but the sum of m * t over the header's password slots is over 2^24 KiB-passes (spec 8). The reader must refuse (KdfLimits) before running Argon2id.",
        },
    ),
    (
        "KeystreamPlaintext",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "To keep the file small, each chunk's plaintext is that chunk's AES-256-GCM keystream (the encryption of zero bytes under the payload key and the chunk's nonce), so every ciphertext byte outside the tags is zero and the zlib-compressed file is tiny. Nothing else is special: decrypt it as any other file and compare msgSha512.",
        },
    ),
    (
        "LongContext",
        Note {
            bug_type: "EDGE_CASE",
            description: "The application context is 1024 bytes, the longest allowed (spec 5).",
        },
    ),
    (
        "MaxHeader",
        Note {
            bug_type: "EDGE_CASE",
            description: "The header has eight slots with 1024-byte bodies: 8259 bytes, the longest header (spec 4.1).",
        },
    ),
    (
        "ModifiedCiphertext",
        Note {
            bug_type: "AUTH_BYPASS",
            description: "A byte of the payload (salt, commitment, chunk body or tag) was changed. A changed salt or commitment fails at the commitment, a changed chunk at the payload stage.",
        },
    ),
    (
        "ModifiedHeader",
        Note {
            bug_type: "AUTH_BYPASS",
            description: "The header was changed without the backup key: a MAC byte, an unknown slot, a slot added or removed, the slot count. The header MAC must reject it (HeaderMac).",
        },
    ),
    (
        "ModifiedSlot",
        Note {
            bug_type: "AUTH_BYPASS",
            description: "A byte of a password slot was changed. A changed kdf_salt, cost, wrap salt or commitment makes the slot's commitment differ, so the right password no longer finds its slot (NoSlotOpens); a changed wrapped key or tag is caught when the wrap's final chunk fails to authenticate (HeaderMac, spec 6 step 2.3).",
        },
    ),
    (
        "MultipleSlots",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "The header has several password slots and the password opens one that is not the first: the reader must try every password slot in header order.",
        },
    ),
    (
        "NonCanonicalChunking",
        Note {
            bug_type: "MISSING_STEP",
            description: "The payload's chunks each verify at their index, but the message is not chunked the one way Cobblestone allows (16 KiB chunks, the final one shorter): a short or empty chunk comes before the final one. A reader finds chunks by position (spec 6.1), so the first piece fails: Payload. A reader that takes chunk boundaries from anywhere else accepts a second encoding of the same message.",
        },
    ),
    (
        "NoPasswordSlot",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "A password is tried on a file with no password slot (none at all, or only slots of unknown type): NoSlotOpens.",
        },
    ),
    (
        "PartialPlaintext",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "The payload is invalid, but it starts with chunks that verify. msgLength and msgSha512 describe the plaintext a streaming reader releases before it fails, by the rule of spec 6.1: after the commitment, every full 16400-byte piece is opened as the next chunk when it arrives; the remainder at the end of the input is the final chunk. The reader must still fail, and keep failing.",
        },
    ),
    (
        "ReservedSlotType",
        Note {
            bug_type: "MODIFIED_PARAMETER",
            description: "A slot has the reserved type 0x00, which is never valid (spec 4.2): HeaderParse.",
        },
    ),
    (
        "SlotCount",
        Note {
            bug_type: "CAN_OF_WORMS",
            description: "The header declares more than eight slots (spec 4.1): HeaderParse, before any slot is read.",
        },
    ),
    (
        "SlotLength",
        Note {
            bug_type: "MODIFIED_PARAMETER",
            description: "A slot's body_len is wrong for its type: not 132 for a password slot, over 1024 for another type (spec 4.2). It must be rejected from the length field alone, before the body is read: HeaderParse.",
        },
    ),
    (
        "TrailingData",
        Note {
            bug_type: "AUTH_BYPASS",
            description: "Bytes follow the payload's final chunk (garbage, a lone tag's worth, or an encrypted chunk). The streaming rule folds them into the final chunk, which then fails: Payload.",
        },
    ),
    (
        "Truncation",
        Note {
            bug_type: "AUTH_BYPASS",
            description: "The file was cut short: inside the header (HeaderParse), inside the payload's salt or commitment, inside or between chunks, or just before the final chunk (Payload). A file that ends after a full chunk lacks its final chunk: a full-size final chunk is a truncation.",
        },
    ),
    (
        "UnicodeNormalization",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "The password is given in another Unicode normalization form than the one the slot was made from; after NFC (spec 4.3) both are the same, so the file must open.",
        },
    ),
    (
        "UnknownSlotType",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "The header has slots that a reader without vault support does not know: type 0x02 (the vault slot, spec 4.6; here with a body that does not decode as one, which makes that slot unusable and the header still valid) or 0x03-0xFF. A reader must accept them (bodies up to 1024 bytes), must not use them to unlock with a key or a password, and must cover them with the header MAC (spec 4.2).",
        },
    ),
    (
        "UnknownVersion",
        Note {
            bug_type: "BASIC",
            description: "The version byte is not 0x01: a v1 reader must reject the file while parsing the header.",
        },
    ),
    (
        "WriterBug",
        Note {
            bug_type: "MISSING_STEP",
            description: "The file was made by a writer with a known bug (the header MAC keyed with the backup key itself, or its key derived with the wrong hash; the payload context without its label or separator). A reader with the same bug would accept it; a conforming reader rejects it at the stage given.",
        },
    ),
    (
        "ValidFinalChunk",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "The payload is invalid, but the chunk its length designates as the final one verifies at its index (spec 6.1, random access: index (len - 56) / 16400, length (len - 56) mod 16400): authenticating the payload length through the final chunk succeeds. It must fail for every other vector whose failureStage is Payload.",
        },
    ),
    (
        "WrongContext",
        Note {
            bug_type: "MISSING_STEP",
            description: "The reader's application context differs from the writer's: the payload commitment must reject it before any chunk is decrypted.",
        },
    ),
    (
        "WrongKey",
        Note {
            bug_type: "MISSING_STEP",
            description: "The 64-digit key is not the file's backup key: the header MAC must reject it (spec 6 step 3).",
        },
    ),
    (
        "WrongPassword",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "The password matches no password slot's commitment: NoSlotOpens.",
        },
    ),
];

/// The header lines of the file.
const HEADER: &[&str] = &[
    "Test vectors of type EbakFileTest are whole ebak v1 files (spec/ebak-v1.md), opened with the 64-digit key (key: the backup key bytes) or a password, in an application context.",
    "A valid or acceptable vector must open to a message of msgLength bytes with SHA-512 msgSha512; backupKey, headerMacKey and the payload* fields are intermediate values.",
    "An invalid vector must fail at failureStage, the first failing step of spec section 6 (classes of section 9). With the PartialPlaintext flag, msgLength and msgSha512 describe what a streaming reader releases before failing (spec 6.1).",
    "Readers use the v1 KDF ceilings in kdfCeilings. See vectors/README.md. License: CC0.",
];

/// Builds the file.
#[must_use]
pub fn generate() -> VectorFile<FileTest> {
    let (file, report) = generate_checked();
    assert!(report.problems.is_empty(), "file vectors that break more than one rule:\n{}", report.problems.join("\n"));
    file
}

/// Builds the file, and checks that every invalid vector is one change
/// away from a valid file ([`crate::one_change`]).
#[must_use]
pub fn generate_checked() -> (VectorFile<FileTest>, crate::one_change::Report) {
    let mut g = Gen::default();
    let f = fixtures::Fixtures::new(&mut g.kdf);
    valid::add(&mut g, &f);
    secrets::add(&mut g, &f);
    header::add(&mut g, &f);
    payload::add(&mut g, &f);
    edges::add(&mut g, &f);
    for t in &g.tests {
        assert!(t.secret_type.is_some() && t.result.is_some());
    }
    let report = crate::one_change::check_file_vectors(&g.tests, &g.bases);
    let group = TestGroup {
        group_type: "EbakFileTest",
        source: Source { name: "ebak-vectors", version: crate::GENERATOR_VERSION },
        kdf_ceilings: Some(crate::model::KdfCeilings::v1()),
        tests: g.tests,
    };
    (assemble("ebak-v1-file", "ebak_v1_file_test_schema.json", HEADER.to_vec(), NOTES, group, |t| &t.flags), report)
}
