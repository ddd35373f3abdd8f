//! Errors the tool reports: one line each, in words, with an exit code per
//! kind of failure (documented in `cli/README.md`). The library's typed
//! errors ([`ebak::Error`]) are turned into these here, and only here.

use crate::target::is_stdio;
use ebak::content::ContentError;
use ebak::store::StoreError;
use ebak::{Error, Stage};
use ebak_core::chunk;
use ebak_core::cobblestone::PayloadError;
use ebak_core::error::OpenError;
use ebak_core::file::SealError;
use ebak_core::header::HeaderError;
use std::fmt;
use std::fs;
use std::io;
use std::path::Path;

/// The exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 1: the command completed, with warnings: a backup was written
    /// without some files (each named in a warning), or a restore could not
    /// put back some metadata.
    Warnings = 1,
    /// 2: the command line is wrong, or the tool refuses (an existing
    /// target without `--force`, a malformed 64-digit key, no secret).
    Usage = 2,
    /// 3: the password or the 64-digit key is wrong.
    WrongSecret = 3,
    /// 4: the file is damaged, was tampered with, is not an ebak file, or
    /// asks for more than this reader will spend.
    Damaged = 4,
    /// 5: reading or writing failed (missing file, full disk, no memory).
    Io = 5,
}

/// A failure, with the line to print and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// What kind of failure, hence the exit code.
    pub exit: Exit,
    /// The message: one line, no secrets.
    pub message: String,
}

impl CliError {
    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        Self { exit: Exit::Usage, message: message.into() }
    }

    /// A command that completed, with warnings (each printed already).
    pub fn warnings(message: impl Into<String>) -> Self {
        Self { exit: Exit::Warnings, message: message.into() }
    }

    /// A damaged-file error.
    pub fn damaged(message: impl Into<String>) -> Self {
        Self { exit: Exit::Damaged, message: message.into() }
    }

    /// An I/O error about `path`.
    pub fn io(path: &Path, what: &str, e: &io::Error) -> Self {
        Self { exit: Exit::Io, message: format!("{what} {}: {}", path.display(), ebak::error::io_reason(e)) }
    }

    /// An I/O error without a path.
    pub fn io_plain(what: &str, e: &io::Error) -> Self {
        Self { exit: Exit::Io, message: format!("{what}: {}", ebak::error::io_reason(e)) }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// `text` with control characters (a terminal's escape sequences, line
/// breaks) shown as escapes: names from an archive or a file system are
/// anybody's bytes, and a message is one line a terminal shows as it is.
#[must_use]
pub fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

/// What a command was doing, for the words of a library error.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The backup file (or `-`), named in messages about it.
    pub file: &'a Path,
    /// Whether the 64-digit key was tried (a header MAC failure then means
    /// a wrong key), rather than a password.
    pub by_key: bool,
    /// What to suggest for a payload without ebak content.
    pub raw_hint: &'static str,
    /// How many password slots the file has, once its header was read (a
    /// password that opens none: wrong, or the slot is damaged; or the
    /// file has none).
    pub password_slots: Option<usize>,
    /// The words before an archive entry a restore refuses ("refusing to
    /// restore", or for a verify or a listing, which restore nothing, that
    /// a restore would).
    pub refusal: &'static str,
}

impl<'a> Context<'a> {
    /// The context of a command on `file`.
    #[must_use]
    pub const fn new(file: &'a Path) -> Self {
        Self {
            file,
            by_key: false,
            raw_hint: "use --raw to get the payload as it is",
            password_slots: None,
            refusal: "refusing to restore",
        }
    }
}

/// The message and exit code for a library error.
#[must_use]
pub fn from_lib(e: Error, cx: Context<'_>) -> CliError {
    let offset = e.offset();
    match e {
        Error::Open { error, .. } => open_error(error, cx, offset),
        Error::Seal(SealError::ContextTooLong) => context_too_long(),
        Error::Seal(e) => CliError::usage(format!("cannot make the header: {e}")),
        Error::Slot(e) => CliError::usage(format!("cannot protect with this password: {e}")),
        Error::Content(c) => content_error(c, cx),
        Error::Io { stage, path, source } => io_error(stage, path.as_deref(), &source, cx),
        Error::Store(s) => store_error(&s),
        // A later library version's error: its own words.
        other => CliError::damaged(other.to_string()),
    }
}

fn context_too_long() -> CliError {
    CliError::usage(format!("--context: {}", OpenError::ContextTooLong))
}

fn io_error(stage: Stage, path: Option<&Path>, e: &io::Error, cx: Context<'_>) -> CliError {
    match (stage, path) {
        (Stage::ReadBackup, _) => CliError::io(cx.file, "cannot read", e),
        (Stage::WriteBackup, _) => CliError::io_plain("cannot write the backup", e),
        (Stage::ReadSource, Some(p)) => CliError::io(p, "cannot back up", e),
        (Stage::ReadSource, None) => CliError::io_plain("cannot back up standard input", e),
        (Stage::WriteRestored, Some(p)) => CliError::io(p, "cannot restore", e),
        (Stage::WriteRestored, None) => CliError::io_plain("cannot write the restored data", e),
        (Stage::Random, _) => CliError::io_plain("the system random number generator failed", e),
        (other, _) => CliError::io_plain(&other.to_string(), e),
    }
}

/// The message and exit code for a store error.
#[must_use]
pub fn store_error(e: &StoreError) -> CliError {
    match e {
        StoreError::AlreadyExists { location } => {
            CliError::usage(format!("{location} already exists; use --force to replace it"))
        }
        StoreError::InvalidName { .. } => CliError::usage(e.to_string()),
        _ => CliError { exit: Exit::Io, message: e.to_string() },
    }
}

fn content_error(c: ContentError, cx: Context<'_>) -> CliError {
    match c {
        ContentError::NotEbakContent => CliError::damaged(format!(
            "this backup was not made by the ebak tool (its payload has no ebak content header); {}",
            cx.raw_hint
        )),
        ContentError::WrongKind { found: ebak::content::Kind::Stream } => {
            CliError::usage("this backup holds a single stream, not files: restore it with -o FILE (or -o -)")
        }
        ContentError::Refused { .. } => CliError::damaged(format!("{}: {c}", cx.refusal)),
        ContentError::Exists { path } => CliError::usage(format!(
            "{} already exists; use --force to restore into it (what the backup holds is replaced, the rest kept)",
            path.display()
        )),
        ContentError::NotInBackup { path } => {
            CliError::usage(format!("{} is not in the backup (`ebak ls` lists what is)", path.display()))
        }
        ContentError::BadSelection { .. } | ContentError::LinkTargetNotSelected { .. } => {
            CliError::usage(c.to_string())
        }
        ContentError::WouldReplaceDirectory { .. } => CliError::usage(format!("refusing to restore: {c}")),
        ContentError::DuplicateName { .. } => CliError::usage(c.to_string()),
        ContentError::NoName { path } => {
            CliError::usage(format!("cannot back up {}: it has no name (back up what is inside it)", path.display()))
        }
        other => CliError::damaged(other.to_string()),
    }
}

/// Whether the chunk at byte `offset` of `file` is its last, and cut
/// short or shorter than a full chunk: a file cut inside a chunk fails
/// there, and so does a modified last chunk (the format cannot tell them
/// apart; the words name both).
fn is_last_chunk(file: &Path, offset: u64) -> bool {
    if is_stdio(file) {
        return false;
    }
    fs::metadata(file)
        .ok()
        .filter(fs::Metadata::is_file)
        .and_then(|m| m.len().checked_sub(offset))
        .is_some_and(|left| left < chunk::ENCRYPTED_CHUNK_SIZE_BYTES)
}

/// The message and exit code for a payload failure.
fn payload_error(file: &Path, e: PayloadError, offset: Option<u64>) -> CliError {
    let name = file.display();
    match e {
        PayloadError::Commitment => CliError::damaged(format!(
            "{name}: the payload does not belong to this key and context (wrong --context, or the payload was replaced or modified)"
        )),
        PayloadError::Chunk { index } => match offset {
            Some(offset) if is_last_chunk(file, offset) => CliError::damaged(format!(
                "{name}: truncated or damaged: the last chunk (chunk {index}, at byte {offset}) does not authenticate, as when a file is cut short"
            )),
            Some(offset) => CliError::damaged(format!(
                "{name}: file is damaged or was tampered with at byte {offset} (chunk {index})"
            )),
            None => CliError::damaged(format!("{name}: file is damaged or was tampered with (chunk {index})")),
        },
        PayloadError::Truncated { .. } => CliError::damaged(format!("{name}: truncated: the final chunk is missing")),
        PayloadError::MissingPrefix => CliError::damaged(format!(
            "{name}: truncated: the payload is missing or shorter than {} bytes",
            chunk::PREFIX_SIZE_BYTES
        )),
        PayloadError::TooManyChunks => CliError::damaged(format!("{name}: the payload has more than 2^38 chunks")),
        other => CliError::damaged(format!("{name}: {other}")),
    }
}

/// The message and exit code for a failure to open a file.
fn open_error(e: OpenError, cx: Context<'_>, offset: Option<u64>) -> CliError {
    let (file, by_key) = (cx.file, cx.by_key);
    let name = file.display();
    match e {
        OpenError::Header(HeaderError::BadMagic) => {
            CliError::damaged(format!("{name}: not an ebak backup (bad magic; was it transferred in text mode?)"))
        }
        OpenError::Header(HeaderError::Truncated) => {
            CliError::damaged(format!("{name}: truncated: the header is incomplete"))
        }
        OpenError::Header(HeaderError::UnsupportedVersion(v)) => {
            CliError::damaged(format!("{name}: made by a newer ebak (format version {v}; this one reads version 1)"))
        }
        OpenError::Header(h) => CliError::damaged(format!("{name}: malformed header: {h}")),
        OpenError::KdfLimits(k) => CliError::damaged(format!("{name}: refusing to derive the key: {k}")),
        OpenError::Kdf(k) => CliError { exit: Exit::Io, message: format!("{name}: cannot derive the key: {k}") },
        // A password that opens no slot: a wrong one, or a slot whose salt
        // or costs were damaged (the same Argon2 output either way: the
        // two cannot be told apart).
        OpenError::NoSlotOpens if !by_key && cx.password_slots == Some(0) => CliError {
            exit: Exit::WrongSecret,
            message: format!(
                "{name}: this backup has no password: open it with its 64-digit key (--key, --key-file or EBAK_KEY)"
            ),
        },
        OpenError::NoSlotOpens if !by_key => CliError {
            exit: Exit::WrongSecret,
            message: format!("{name}: wrong password, or the key slot is damaged: no key slot opens with it"),
        },
        OpenError::NoSlotOpens => {
            CliError { exit: Exit::WrongSecret, message: format!("{name}: wrong password or key: no key slot opens") }
        }
        OpenError::HeaderMac if by_key => CliError {
            exit: Exit::WrongSecret,
            message: format!("{name}: wrong password or key (with the 64-digit key, a modified header looks the same)"),
        },
        OpenError::HeaderMac => CliError::damaged(format!(
            "{name}: the header was tampered with: the password opens a key slot but the header does not authenticate"
        )),
        OpenError::Payload(p) => payload_error(file, p, offset),
        OpenError::ContextTooLong => context_too_long(),
        other => CliError::damaged(format!("{name}: {other}")),
    }
}
