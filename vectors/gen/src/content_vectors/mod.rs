//! `ebak_v1_content_test.json`: the content inside a payload
//! (`spec/ebak-content-v1.md`): whole ebak files, each opened with the
//! backup key, whose payload holds a tar tree, a stream, raw data, or
//! content a reader must refuse, with the class of content spec 8.
//!
//! The tar bytes are built block by block ([`tar`]) from the spec, not
//! from a file system; the expected listing of each restored tree comes
//! from the same entry descriptions ([`tar::listing`]), and the verdicts
//! from the rule each vector breaks, not from the library.

mod cases;
pub mod tar;
#[cfg(test)]
mod writer_layout;
pub mod zstd;

use crate::model::{ContentTest, ListingEntry, Note, Source, TestGroup, TestResult, VectorFile, assemble};
use crate::raw::RawHeader;
use crate::seed::{self, hex, zlib_hex};
use sha2::{Digest, Sha256};

/// Files longer than this are given zlib-compressed (`fileZlib`).
const ZLIB_ABOVE_BYTES: usize = 4096;

/// The content header's magic (content spec 3.1).
pub const MAGIC: &[u8; 8] = b"ebakcli1";
/// Kind bytes (content spec 3.2).
pub const KIND_TAR: u8 = 0x01;
/// See [`KIND_TAR`].
pub const KIND_STREAM: u8 = 0x02;
/// Compression bytes (content spec 3.3).
pub const NONE: u8 = 0x00;
/// See [`NONE`].
pub const ZSTD: u8 = 0x01;

/// The content header and `body` (already compressed as `compression` says).
#[must_use]
pub fn content(kind: u8, compression: u8, body: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.push(kind);
    out.push(compression);
    out.extend_from_slice(body);
    out
}

const fn kind_name(kind: u8) -> &'static str {
    if kind == KIND_TAR { "tar" } else { "stream" }
}

const fn compression_name(compression: u8) -> &'static str {
    if compression == NONE { "none" } else { "zstd" }
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// The content failure classes (content spec 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Unknown kind or compression.
    Unsupported,
    /// The header, the compression or the archive is malformed.
    Malformed,
    /// A well-formed entry a restorer must refuse.
    Refused,
}

impl Class {
    const fn name(self) -> &'static str {
        match self {
            Self::Unsupported => "Unsupported",
            Self::Malformed => "Malformed",
            Self::Refused => "Refused",
        }
    }
}

/// The vectors, in the order they are numbered.
#[derive(Debug)]
pub struct Gen {
    key: [u8; 32],
    tests: Vec<ContentTest>,
}

impl Gen {
    fn new() -> Self {
        Self { key: seed::array("content/backup-key"), tests: Vec::new() }
    }

    fn base(&self, comment: &str, flags: &[&'static str], payload: &[u8]) -> ContentTest {
        let tc_id = self.tests.len() + 1;
        let salt: [u8; 24] = seed::array(&format!("content/payload-salt/{comment}"));
        let sealed = crate::payload::seal(&self.key, &salt, b"", payload.to_vec());
        let mut file = RawHeader::new(Vec::new()).sealed(&self.key);
        file.extend_from_slice(&sealed.bytes);
        let mut t = ContentTest {
            tc_id,
            comment: comment.to_owned(),
            key: hex(&self.key),
            context: String::new(),
            file_length: file.len(),
            payload_length: payload.len(),
            payload_sha256: sha256_hex(payload),
            flags: flags.to_vec(),
            ..ContentTest::default()
        };
        if file.len() > ZLIB_ABOVE_BYTES {
            t.file_zlib = Some(zlib_hex(&file));
        } else {
            t.file = Some(hex(&file));
        }
        t
    }

    fn check_unique(&self, comment: &str) {
        assert!(self.tests.iter().all(|t| t.comment != comment), "two vectors called {comment}");
    }

    /// A tree that restores: `compressed` is the body as stored, `body`
    /// the tar archive it decompresses to, `entries` what it describes.
    #[allow(clippy::too_many_arguments, reason = "one call per vector, every argument named at the call site")]
    pub fn tree(
        &mut self,
        comment: &str,
        flags: &[&'static str],
        result: TestResult,
        compression: u8,
        compressed: &[u8],
        body: &[u8],
        entries: &[tar::Entry],
    ) {
        self.check_unique(comment);
        let mut t = self.base(comment, flags, &content(KIND_TAR, compression, compressed));
        t.content_kind = Some("tar");
        t.compression = Some(compression_name(compression));
        t.body_length = Some(body.len());
        t.body_sha256 = Some(sha256_hex(body));
        t.entries = Some(
            tar::listing(entries)
                .into_iter()
                .map(|r| ListingEntry {
                    path: r.path,
                    kind: r.kind,
                    mode: r.mode,
                    mtime: r.mtime,
                    size: r.size,
                    sha256: r.sha256,
                    target: r.target,
                    linked_to: r.linked_to,
                })
                .collect(),
        );
        t.result = Some(result);
        self.tests.push(t);
    }

    /// A stream backup that restores to `body`.
    pub fn stream(
        &mut self,
        comment: &str,
        flags: &[&'static str],
        result: TestResult,
        compression: u8,
        compressed: &[u8],
        body: &[u8],
    ) {
        self.check_unique(comment);
        let mut t = self.base(comment, flags, &content(KIND_STREAM, compression, compressed));
        t.content_kind = Some("stream");
        t.compression = Some(compression_name(compression));
        t.body_length = Some(body.len());
        t.body_sha256 = Some(sha256_hex(body));
        t.result = Some(result);
        self.tests.push(t);
    }

    /// A raw payload: no content header.
    pub fn raw(&mut self, comment: &str, flags: &[&'static str], payload: &[u8]) {
        self.check_unique(comment);
        assert!(!payload.starts_with(MAGIC));
        let mut t = self.base(comment, flags, payload);
        t.content_kind = Some("raw");
        t.result = Some(TestResult::Valid);
        self.tests.push(t);
    }

    /// Content that must be refused with `class`. `header` is the decoded
    /// content header when it decodes, `body` the decompressed body when
    /// it decompresses.
    pub fn fails(
        &mut self,
        comment: &str,
        flags: &[&'static str],
        class: Class,
        payload: &[u8],
        header: Option<(u8, u8)>,
        body: Option<&[u8]>,
    ) {
        self.check_unique(comment);
        let mut t = self.base(comment, flags, payload);
        if let Some((kind, compression)) = header {
            t.content_kind = Some(kind_name(kind));
            t.compression = Some(compression_name(compression));
        }
        if let Some(body) = body {
            assert!(header.is_some());
            t.body_length = Some(body.len());
            t.body_sha256 = Some(sha256_hex(body));
        }
        t.result = Some(TestResult::Invalid);
        t.failure_class = Some(class.name());
        self.tests.push(t);
    }

    /// A tar archive (uncompressed body) that must be refused.
    pub fn bad_tar(&mut self, comment: &str, flags: &[&'static str], class: Class, tar: &[u8]) {
        self.fails(comment, flags, class, &content(KIND_TAR, NONE, tar), Some((KIND_TAR, NONE)), Some(tar));
    }
}

const HEADER: &[&str] = &[
    "Test vectors for the ebak content format (spec/ebak-content-v1.md): what the ebak tool puts inside a payload.",
    "Each test is a whole ebak v1 file with no key slot, opened with the backup key `key` and the empty application context. Its payload plaintext (payloadLength, payloadSha256) is the content.",
    "Valid and acceptable tar content restores to exactly `entries` (sorted by path); stream content to the body; raw content is not ebak content. Invalid content must be refused with `failureClass` (content spec 8).",
    "Generated by vectors/gen (ebak-vectors) from fixed seeds; see vectors/README.md.",
];

const NOTES: &[(&str, Note)] = &[
    (
        "WriterLayout",
        Note {
            bug_type: "BASIC",
            description: "The archive exactly as an ebak writer lays it out (content spec 6.4 to 6.7): GNU headers, the whole st_mode in mode, entries sorted by name within a directory, the directory first, two zero blocks at the end. The generator's tests check that ebak's archive::write_tree writes these blocks for the same tree.",
        },
    ),
    ("NoCompression", Note { bug_type: "BASIC", description: "Compression 0x00: the body is stored as it is." }),
    (
        "GnuLongName",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "A name over 100 bytes, in a GNU long name record ('L') before the entry (content spec 6.5); the entry's own name field holds a truncated name that must not be used.",
        },
    ),
    (
        "GnuLongLink",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "A symlink target over 100 bytes, in a GNU long link record ('K'); the entry's own linkname field is empty.",
        },
    ),
    (
        "NameBoundary",
        Note {
            bug_type: "EDGE_CASE",
            description: "A name of exactly 100 bytes: it fills the name field, with no NUL.",
        },
    ),
    (
        "Base256",
        Note {
            bug_type: "EDGE_CASE",
            description: "Numeric fields in base-256 (content spec 6.3): a writer uses it for values that do not fit the octal digits, a reader accepts it in every field.",
        },
    ),
    (
        "EmptyArchive",
        Note { bug_type: "EDGE_CASE", description: "A tar archive with no entry: only the end-of-archive marker." },
    ),
    ("StreamKind", Note { bug_type: "BASIC", description: "Kind 0x02: one stream (content spec 5)." }),
    ("EmptyBody", Note { bug_type: "EDGE_CASE", description: "An empty stream, or an empty payload." }),
    (
        "RawPayload",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "A payload without the content header: raw data of another application, not ebak content (content spec 3.4 rule 1). It is not an error of the file; a restore that wants ebak content refuses it, a raw restore returns the payload as it is.",
        },
    ),
    (
        "MagicPrefix",
        Note {
            bug_type: "EDGE_CASE",
            description: "A raw payload that starts like the magic, is shorter than it, or differs from it in one byte or in case: raw, not content.",
        },
    ),
    (
        "SymlinkTargetData",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "A symlink whose target is absolute, leaves the tree, or does not exist: restored as a link with exactly this target, never followed (content spec 7.3).",
        },
    ),
    (
        "UstarHeader",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "A POSIX ustar header (magic \"ustar\\0\" \"00\") whose name is prefix \"/\" name (content spec 6.8). ebak writers write GNU headers; readers accept both.",
        },
    ),
    (
        "PaxHeader",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "PAX extended headers ('x') giving path and linkpath, with keywords a reader must ignore (SCHILY.xattr.*, LIBARCHIVE.*, uid) (content spec 6.8).",
        },
    ),
    (
        "PaxSize",
        Note {
            bug_type: "CAN_OF_WORMS",
            description: "A PAX size keyword that differs from the header's size field: the PAX size wins (content spec 6.8, 11).",
        },
    ),
    (
        "PaxGlobal",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "A PAX global header ('g'): checked, then ignored (content spec 6.8); its path keyword must not rename anything.",
        },
    ),
    (
        "OldTypeflag",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "Type flags NUL (old regular file) and '7' (contiguous file): regular files (content spec 6.9).",
        },
    ),
    (
        "NumericSpelling",
        Note {
            bug_type: "EDGE_CASE",
            description: "Octal fields spelled as other writers do: GNU tar's checksum (six digits, NUL, space), fields ending in a space, leading spaces (content spec 6.3).",
        },
    ),
    (
        "LoneZeroBlock",
        Note {
            bug_type: "EDGE_CASE",
            description: "An archive that ends with a single zero block: accepted (content spec 6.7).",
        },
    ),
    (
        "RecordPadding",
        Note {
            bug_type: "EDGE_CASE",
            description: "Zero bytes after the end-of-archive marker up to a 10240-byte record, as other tar writers add: accepted (content spec 6.7).",
        },
    ),
    (
        "HardLink",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "A hard link ('1') to an earlier regular file of the archive: restored as a link to it, or a copy (content spec 7.2, 6.10).",
        },
    ),
    (
        "RepeatedDirectory",
        Note {
            bug_type: "EDGE_CASE",
            description: "A directory entry repeated: allowed, the later entry's mode and time apply (content spec 7.1).",
        },
    ),
    (
        "ZstdFrames",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "A body of several zstd frames, or with skippable frames: accepted (content spec 4.2), although an ebak writer writes one frame.",
        },
    ),
    (
        "ZstdChecksum",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "A frame with a content checksum (and content size): the writer's choice; a reader verifies it.",
        },
    ),
    (
        "ZstdWindow",
        Note {
            bug_type: "EDGE_CASE",
            description: "The frame's Window_Size: up to 8 MiB must be accepted, over 128 MiB refused before the window is allocated (content spec 4.2).",
        },
    ),
    (
        "UnknownKind",
        Note {
            bug_type: "MODIFIED_PARAMETER",
            description: "The magic, then a kind this version does not know (0x00 reserved included): refused as made by a newer writer, never taken for raw data (content spec 3.4).",
        },
    ),
    (
        "UnknownCompression",
        Note {
            bug_type: "MODIFIED_PARAMETER",
            description: "The magic, then a compression this version does not know: refused, never taken for raw data (content spec 3.4).",
        },
    ),
    (
        "HeaderCutShort",
        Note {
            bug_type: "EDGE_CASE",
            description: "The payload has the magic but ends before the kind or the compression byte (content spec 3.4 rule 2).",
        },
    ),
    (
        "ZstdTrailingData",
        Note {
            bug_type: "MISSING_STEP",
            description: "Bytes after the last zstd frame that are not a frame: garbage or zero padding (content spec 4.2).",
        },
    ),
    ("ZstdTruncated", Note { bug_type: "MISSING_STEP", description: "The zstd frame is cut short." }),
    (
        "ZstdNoFrame",
        Note { bug_type: "EDGE_CASE", description: "No zstd frame at all: an empty body, or only a skippable frame." },
    ),
    (
        "ZstdContentSize",
        Note { bug_type: "MISSING_STEP", description: "A Frame_Content_Size that differs from the frame's content." },
    ),
    (
        "ZstdReservedBit",
        Note { bug_type: "MODIFIED_PARAMETER", description: "The reserved bit of the Frame_Header_Descriptor is set." },
    ),
    ("ZstdDictionary", Note { bug_type: "MODIFIED_PARAMETER", description: "A frame that needs a dictionary." }),
    (
        "BadChecksum",
        Note {
            bug_type: "MISSING_STEP",
            description: "A tar header whose chksum is not the sum of its bytes (content spec 6.2).",
        },
    ),
    (
        "BadNumber",
        Note {
            bug_type: "MODIFIED_PARAMETER",
            description: "A numeric field that is not octal digits nor base-256, or a negative size (content spec 6.3).",
        },
    ),
    (
        "TruncatedArchive",
        Note {
            bug_type: "MISSING_STEP",
            description: "The body ends inside a header or inside an entry's data (content spec 6.7).",
        },
    ),
    (
        "NoEndMarker",
        Note {
            bug_type: "MISSING_STEP",
            description: "The body ends without the end-of-archive marker, at an entry boundary, or is empty (content spec 6.7).",
        },
    ),
    (
        "TarTrailingData",
        Note {
            bug_type: "MISSING_STEP",
            description: "Bytes other than zeros after the end-of-archive marker (content spec 6.7).",
        },
    ),
    (
        "DanglingRecord",
        Note { bug_type: "EDGE_CASE", description: "A GNU long name record that no entry follows (content spec 6.5)." },
    ),
    (
        "RepeatedRecord",
        Note {
            bug_type: "CAN_OF_WORMS",
            description: "Two GNU long name records before one entry (content spec 6.5).",
        },
    ),
    (
        "PaxMalformed",
        Note {
            bug_type: "MISSING_STEP",
            description: "A PAX header whose records are not \"LEN KEY=VALUE\\n\" with the right length (content spec 6.8).",
        },
    ),
    (
        "ExtensionTooLarge",
        Note {
            bug_type: "MISSING_STEP",
            description: "A PAX extended or global header or a GNU long name record of 1 MiB and one byte, refused before its data is read (content spec 6.5, 6.8, 9); one of exactly 1 MiB is accepted. A reader that reads such a record into memory whatever its size lets a small zstd body make it allocate gigabytes.",
        },
    ),
    (
        "NoMagic",
        Note {
            bug_type: "EDGE_CASE",
            description: "A header with neither the GNU nor the ustar magic (a pre-POSIX v7 header): refused as malformed (content spec 6.8 says SHOULD; a reader may accept v7 headers of a few types, so this vector's result is ebak's choice).",
        },
    ),
    (
        "RecordAndKeyword",
        Note {
            bug_type: "CAN_OF_WORMS",
            description: "An entry with both a GNU long name record and a PAX path keyword, or a long link record and a linkpath keyword: readers disagree on which applies, so it must be refused (content spec 6.8).",
        },
    ),
    (
        "RecordBeforeGlobal",
        Note {
            bug_type: "CAN_OF_WORMS",
            description: "A GNU long name record or a PAX extended header, then a PAX global header, then the entry: readers disagree on whether the records apply to the global header (the Rust tar crate) or to the entry, so it must be refused (content spec 6.8).",
        },
    ),
    (
        "NegativeTime",
        Note {
            bug_type: "EDGE_CASE",
            description: "A time before 1970: a negative mtime, which a writer stores in base-256 as 0xFF and its two's complement over the whole field, and a reader restores (content spec 6.3). ebak wrote such times as an unsigned base-256 number before 2026-12-04, which made its own backups of them unrestorable.",
        },
    ),
    (
        "AbsoluteName",
        Note { bug_type: "AUTH_BYPASS", description: "An entry name starting with '/' (content spec 7.1)." },
    ),
    (
        "DotDot",
        Note {
            bug_type: "AUTH_BYPASS",
            description: "A '..' component in a name, leaving the target or not (content spec 7.1).",
        },
    ),
    ("EmptyName", Note { bug_type: "EDGE_CASE", description: "A name with no component but '.' (content spec 7.1)." }),
    (
        "SpecialFile",
        Note {
            bug_type: "AUTH_BYPASS",
            description: "A character device, block device or FIFO entry (content spec 6.9).",
        },
    ),
    (
        "UnknownType",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "A type flag this version does not restore: refused, not extracted as a regular file (content spec 6.9).",
        },
    ),
    (
        "SparseEntry",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "A GNU sparse entry ('S') or a PAX GNU.sparse keyword: refused (content spec 6.9, 6.10).",
        },
    ),
    (
        "HardLinkTarget",
        Note {
            bug_type: "AUTH_BYPASS",
            description: "A hard link whose target is not an earlier regular file of the archive: missing, absolute, with '..', or a directory (content spec 7.2).",
        },
    ),
    (
        "RepeatedName",
        Note {
            bug_type: "AUTH_BYPASS",
            description: "Two entries with the same path, other than two directories (content spec 7.1).",
        },
    ),
    (
        "EmptyLinkTarget",
        Note { bug_type: "EDGE_CASE", description: "A symlink with an empty target (content spec 7.3)." },
    ),
    (
        "WriteThroughSymlink",
        Note {
            bug_type: "AUTH_BYPASS",
            description: "An entry whose parent is a symlink restored earlier: refused whether the symlink leaves the tree or not (content spec 7.4).",
        },
    ),
];

/// The vector file.
#[must_use]
pub fn generate() -> VectorFile<ContentTest> {
    let mut g = Gen::new();
    cases::all(&mut g);
    let group = TestGroup {
        group_type: "EbakContentTest",
        source: Source { name: "ebak-vectors", version: crate::GENERATOR_VERSION },
        kdf_ceilings: None,
        tests: g.tests,
    };
    assemble("ebak-v1-content", "ebak_v1_content_test_schema.json", HEADER.to_vec(), NOTES, group, |t| &t.flags)
}
