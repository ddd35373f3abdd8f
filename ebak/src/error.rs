//! Errors: typed, `#[non_exhaustive]`, no exit codes and no text built for
//! a terminal. A caller that shows them to a user chooses the words (the
//! CLI maps each to one line and an exit code); `Display` gives a plain
//! lowercase description that never contains a secret.

use crate::registry::Kind;
use crate::store::StoreError;
use ebak_core::error::{ErrorClass, OpenError};
use ebak_core::file::SealError;
use ebak_core::slot::SlotError;
use std::fmt;
use std::io;
use std::path::PathBuf;

/// Where an I/O failure happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Reading the backup file (its header or its payload).
    ReadBackup,
    /// Writing a backup file.
    WriteBackup,
    /// Reading what is being backed up (a file of the tree, standard input).
    ReadSource,
    /// Writing restored data (a stream, or a file of the tree).
    WriteRestored,
    /// Drawing random bytes from the operating system.
    Random,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ReadBackup => "cannot read the backup",
            Self::WriteBackup => "cannot write the backup",
            Self::ReadSource => "cannot read what is being backed up",
            Self::WriteRestored => "cannot write the restored data",
            Self::Random => "the system random number generator failed",
        })
    }
}

/// Why an operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The backup does not open: a malformed header, a wrong secret, a
    /// header or payload that does not authenticate. [`Error::class`] says
    /// which layer refused (spec 9).
    Open {
        /// The core's verdict.
        error: OpenError,
        /// The header's length in the file, when it was parsed: with a
        /// chunk index it places a damaged chunk ([`Error::offset`]).
        header_len: Option<u64>,
    },
    /// A header could not be made (too many slots, costs over what readers
    /// accept, a context over the limit).
    Seal(SealError),
    /// A password slot could not be made (the empty password, Argon2id).
    Slot(SlotError),
    /// The content inside a verified payload: not made by ebak, the wrong
    /// kind, malformed, or refused by extraction.
    Content(ContentError),
    /// Reading or writing failed.
    Io {
        /// What was being read or written.
        stage: Stage,
        /// The file concerned, when there is one (a file of the tree).
        path: Option<PathBuf>,
        /// The cause.
        source: io::Error,
    },
    /// A store operation failed.
    Store(StoreError),
}

impl Error {
    /// An I/O failure at `stage`.
    #[must_use]
    pub const fn io(stage: Stage, source: io::Error) -> Self {
        Self::Io { stage, path: None, source }
    }

    /// An I/O failure at `stage` about `path`.
    #[must_use]
    pub fn io_at(stage: Stage, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io { stage, path: Some(path.into()), source }
    }

    /// The class of an [`Error::Open`] (spec 9); `None` for other errors.
    #[must_use]
    pub const fn class(&self) -> Option<ErrorClass> {
        match self {
            Self::Open { error, .. } => Some(error.class()),
            _ => None,
        }
    }

    /// For a chunk that did not verify, its byte offset in the file.
    #[must_use]
    pub fn offset(&self) -> Option<u64> {
        let Self::Open { error: OpenError::Payload(p), header_len } = self else { return None };
        let ebak_core::cobblestone::PayloadError::Chunk { index } = p else { return None };
        let in_payload = ebak_core::chunk::chunk_offset(*index)?;
        header_len.unwrap_or(0).checked_add(in_payload)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Open { error, .. } => write!(f, "{error}"),
            Self::Seal(e) => write!(f, "cannot make the header: {e}"),
            Self::Slot(e) => write!(f, "cannot protect with this password: {e}"),
            Self::Content(e) => write!(f, "{e}"),
            Self::Io { stage, path: Some(path), source } => {
                write!(f, "{stage}: {}: {}", path.display(), io_reason(source))
            }
            Self::Io { stage, path: None, source } => write!(f, "{stage}: {}", io_reason(source)),
            Self::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Open { error, .. } => Some(error),
            Self::Seal(e) => Some(e),
            Self::Slot(e) => Some(e),
            Self::Content(e) => Some(e),
            Self::Io { source, .. } => Some(source),
            Self::Store(e) => Some(e),
        }
    }
}

impl From<OpenError> for Error {
    fn from(error: OpenError) -> Self {
        Self::Open { error, header_len: None }
    }
}

impl From<SealError> for Error {
    fn from(e: SealError) -> Self {
        Self::Seal(e)
    }
}

impl From<SlotError> for Error {
    fn from(e: SlotError) -> Self {
        Self::Slot(e)
    }
}

impl From<ContentError> for Error {
    fn from(e: ContentError) -> Self {
        Self::Content(e)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

pub use crate::io_util::io_reason;

/// Why a restore refuses an archive entry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// Its name is absolute or climbs out with `..`.
    LeavesTarget,
    /// A link with an empty target.
    NoLinkTarget,
    /// It would be written through a symlink (a parent of its name, or of
    /// a hard link's target, is one).
    ThroughSymlink,
    /// A hard link to a name outside the archive.
    HardLinkOutside,
    /// A hard link to a name that is not a regular file restored before it.
    HardLinkMissing,
    /// A device, FIFO or other type a backup does not restore.
    UnsupportedType(String),
    /// The archive library refused to write it (through a symlink, over a
    /// directory): its words.
    Unpack(String),
    /// Its name was stored before, and not as two directories (found by a
    /// verify; a restore finds it as an [`Refusal::Unpack`] failure).
    Repeated,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LeavesTarget => f.write_str("is absolute or leaves the target with .."),
            Self::NoLinkTarget => f.write_str("has no target"),
            Self::ThroughSymlink => f.write_str("would be written through a symlink"),
            Self::HardLinkOutside => f.write_str("points outside the archive"),
            Self::HardLinkMissing => f.write_str("does not name a regular file stored before it"),
            Self::UnsupportedType(t) => write!(f, "has an unsupported type ({t})"),
            Self::Unpack(why) => f.write_str(why),
            Self::Repeated => f.write_str("is stored twice (only a directory may be)"),
        }
    }
}

/// The content inside a verified payload is not what this version reads,
/// or cannot be restored as asked.
#[derive(Debug)]
#[non_exhaustive]
pub enum ContentError {
    /// The payload has no ebak content header: another application's
    /// data, to be taken as it is.
    NotEbakContent,
    /// The header names a kind or compression this version does not know:
    /// a newer writer made it.
    Unsupported {
        /// `"kind"` or `"compression"`.
        field: &'static str,
        /// The unknown byte.
        value: u8,
    },
    /// A tree was asked for and the backup holds one stream, or the
    /// reverse.
    WrongKind {
        /// What the backup holds.
        found: Kind,
    },
    /// The archive or the compressed body is malformed.
    Malformed {
        /// What the decoder said.
        detail: String,
    },
    /// An archive entry a restore refuses.
    Refused {
        /// The entry's name in the archive.
        entry: PathBuf,
        /// Whether it is a symlink, a hard link or another entry (for the
        /// message).
        what: &'static str,
        /// Why.
        reason: Refusal,
    },
    /// A restore would replace something that exists, and was not told to.
    Exists {
        /// What exists.
        path: PathBuf,
    },
    /// Two paths to back up would get the same name in the archive.
    DuplicateName {
        /// The name.
        name: PathBuf,
    },
    /// A path to back up has no last component to name it by (`/`, `..`).
    NoName {
        /// The path.
        path: PathBuf,
    },
    /// A path asked for in a partial restore is absolute or climbs with
    /// `..`: it cannot be in a backup.
    BadSelection {
        /// The path as given.
        path: PathBuf,
    },
    /// A path asked for in a partial restore is not in the backup.
    NotInBackup {
        /// The path.
        path: PathBuf,
    },
    /// A partial restore includes a hard link but not the file it shares
    /// its data with (stored earlier in the archive).
    LinkTargetNotSelected {
        /// The hard link.
        entry: PathBuf,
        /// The name it shares.
        target: PathBuf,
    },
    /// A restore would put a file where the target has a directory: never
    /// done, even with `force` (the directory may hold anything).
    WouldReplaceDirectory {
        /// The directory.
        path: PathBuf,
    },
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotEbakContent => f.write_str("the payload has no ebak content header"),
            Self::Unsupported { field, value } => {
                write!(f, "the content was made by a newer version of ebak (unknown {field} {value})")
            }
            Self::WrongKind { found: Kind::Stream } => f.write_str("the backup holds a single stream, not files"),
            Self::WrongKind { found: Kind::Tar } => f.write_str("the backup holds files, not a single stream"),
            Self::Malformed { detail } => write!(f, "the content inside the backup is malformed: {detail}"),
            Self::Refused { entry, what, reason: reason @ Refusal::Unpack(_) } => {
                write!(f, "{what} {}: {reason}", entry.display())
            }
            Self::Refused { entry, what, reason } => write!(f, "{what} {} {reason}", entry.display()),
            Self::Exists { path } => write!(f, "{} already exists", path.display()),
            Self::DuplicateName { name } => write!(f, "two paths would both be stored as {}", name.display()),
            Self::NoName { path } => write!(f, "{} has no name (back up what is inside it)", path.display()),
            Self::BadSelection { path } => {
                write!(f, "{} cannot be in a backup (names in a backup are relative, without ..)", path.display())
            }
            Self::NotInBackup { path } => write!(f, "{} is not in the backup", path.display()),
            Self::LinkTargetNotSelected { entry, target } => write!(
                f,
                "{} is a hard link to {}, which is not being restored: name it too",
                entry.display(),
                target.display()
            ),
            Self::WouldReplaceDirectory { path } => {
                write!(f, "{} is a directory, and the backup holds a file there", path.display())
            }
        }
    }
}

impl std::error::Error for ContentError {}
