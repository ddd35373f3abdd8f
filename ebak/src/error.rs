//! Errors: typed, `#[non_exhaustive]`, no exit codes and no text built for
//! a terminal. A caller that shows them to a user chooses the words (the
//! CLI maps each to one line and an exit code); `Display` gives a plain
//! lowercase description that never contains a secret.

use crate::content::ContentError;
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

/// `io::Error`'s text without the "(os error N)" noise.
#[must_use]
pub fn io_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text.get(..i).unwrap_or(&text).to_owned(),
        None => text,
    }
}
