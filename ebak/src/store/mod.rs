//! Where backups live: a [`Store`] holds named objects (backup files) and
//! writes each one through a staged [`Upload`], so that nothing ever appears
//! under its final name until it is complete.
//!
//! The rules every implementation keeps, and the shared test suite
//! ([`conformance`]) checks:
//!
//! - **Staged writes.** [`Store::put`] returns an [`Upload`]; bytes written
//!   to it are invisible under the object's name until [`Upload::commit`]
//!   returns `Ok`. An upload dropped, aborted, or interrupted (its
//!   [`AbortHandle`] called from another thread, as the CLI's signal handler
//!   does) leaves no object under the name and cleans up what it staged.
//! - **No clobbering.** [`PutMode::Create`] fails with
//!   [`StoreError::AlreadyExists`] if the name exists when the upload
//!   commits, even if another writer created it meanwhile; only
//!   [`PutMode::Overwrite`] replaces.
//! - **Reads** return the committed bytes, whole ([`Store::get`]) or a byte
//!   range ([`Store::get_range`]), so that a reader fetches the header and
//!   the chunks it needs rather than the whole object ([`RangedReader`]
//!   makes a `Read + Seek` of an object from them).
//!
//! Names are `/`-separated relative paths (`photos/2026-12-04.ebak`); every
//! implementation refuses names with empty, `.` or `..` components, a
//! leading `/`, or NUL bytes, so that a name never escapes its store.
//!
//! [`LocalDir`] (a directory on this machine) is the first implementation;
//! `ebak-store-s3` provides S3-compatible object storage.

mod local;
mod ranged;

pub use local::{LocalDir, Permissions};
pub use ranged::RangedReader;

use std::fmt;
use std::io::{self, Read, Write};
use std::ops::Range;
use std::sync::Arc;

#[cfg(any(test, feature = "store-conformance"))]
pub mod conformance;

/// Whether a put may replace an existing object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutMode {
    /// Fail with [`StoreError::AlreadyExists`] if the name exists at commit.
    Create,
    /// Replace whatever is there, atomically.
    Overwrite,
}

/// What a store says about one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The object's name in the store.
    pub name: String,
    /// Its length in bytes.
    pub size: u64,
}

/// A storage backend for backup files.
///
/// Object-safe: the CLI holds a `Box<dyn Store>` chosen by the location the
/// user gave (a path, an `s3://` URL).
pub trait Store: fmt::Debug + Send + Sync {
    /// Where `name` is, for messages: a path or a URL. Never contains
    /// credentials.
    fn describe(&self, name: &str) -> String;

    /// Starts writing the object `name`. Nothing appears under `name` until
    /// the returned upload commits.
    ///
    /// # Errors
    ///
    /// The name is invalid, or the store cannot stage a write (no space,
    /// no permission, unreachable). With [`PutMode::Create`], an object
    /// that already exists may be reported here or at commit.
    fn put(&self, name: &str, mode: PutMode) -> Result<Box<dyn Upload>, StoreError>;

    /// Reads the whole object.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`], or the store failed.
    fn get(&self, name: &str) -> Result<Box<dyn Read + Send>, StoreError>;

    /// Reads the bytes of `range` (clamped to the object's end: a range
    /// past the end reads fewer bytes, or none).
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`], or the store failed.
    fn get_range(&self, name: &str, range: Range<u64>) -> Result<Box<dyn Read + Send>, StoreError>;

    /// The object's name and length.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`], or the store failed.
    fn head(&self, name: &str) -> Result<ObjectInfo, StoreError>;

    /// The objects whose names start with `prefix`, sorted by name.
    ///
    /// # Errors
    ///
    /// The store failed.
    fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError>;

    /// Deletes the object.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`], or the store failed.
    fn delete(&self, name: &str) -> Result<(), StoreError>;
}

/// A write in progress: bytes go to a staging area (a temporary file, a
/// multipart upload) and reach the object's name only at [`commit`].
///
/// Dropping an upload without committing it aborts it.
///
/// [`commit`]: Upload::commit
pub trait Upload: Write + Send {
    /// Makes the object durable and visible under its name, atomically.
    ///
    /// # Errors
    ///
    /// [`StoreError::AlreadyExists`] under [`PutMode::Create`], or the
    /// store failed; either way nothing is left under the name that was not
    /// there before, and the staged bytes are removed.
    fn commit(self: Box<Self>) -> Result<(), StoreError>;

    /// Discards the staged bytes.
    ///
    /// # Errors
    ///
    /// The store could not clean up (the staged bytes may linger, never
    /// under the object's name).
    fn abort(self: Box<Self>) -> Result<(), StoreError>;

    /// A handle that aborts this upload from another thread, for a signal
    /// handler; calling it after the upload committed or aborted does
    /// nothing.
    fn abort_handle(&self) -> AbortHandle;

    /// The local file the bytes are staged in, if there is one (so that a
    /// backup of a tree that holds it can leave it out).
    fn staging_path(&self) -> Option<&std::path::Path> {
        None
    }
}

/// Aborts an upload from another thread (see [`Upload::abort_handle`]).
#[derive(Clone)]
pub struct AbortHandle(Arc<dyn Fn() + Send + Sync>);

impl AbortHandle {
    /// A handle that runs `abort`; it must be idempotent and safe to call
    /// at any time, including after a commit (then it does nothing).
    pub fn new(abort: impl Fn() + Send + Sync + 'static) -> Self {
        Self(Arc::new(abort))
    }

    /// Aborts the upload (best effort: errors cannot be reported).
    pub fn abort(&self) {
        (self.0)();
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AbortHandle")
    }
}

/// Why a store operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// No object has this name (or the bucket or directory does not exist).
    NotFound {
        /// Where it was looked for ([`Store::describe`]).
        location: String,
    },
    /// [`PutMode::Create`] and the name is taken.
    AlreadyExists {
        /// Where ([`Store::describe`]).
        location: String,
    },
    /// The name is not a valid object name (see the module docs).
    InvalidName {
        /// The name as given.
        name: String,
    },
    /// The store refused the credentials or the operation.
    Denied {
        /// Where ([`Store::describe`]).
        location: String,
        /// The store's reason, without credentials.
        reason: String,
    },
    /// Reading, writing or reaching the store failed.
    Io {
        /// What was being done ("write", "rename into place", "list").
        op: &'static str,
        /// Where ([`Store::describe`]).
        location: String,
        /// The cause.
        source: io::Error,
    },
}

impl StoreError {
    /// An I/O failure while doing `op` at `location`.
    pub fn io(op: &'static str, location: impl Into<String>, source: io::Error) -> Self {
        Self::Io { op, location: location.into(), source }
    }

    /// The `io::ErrorKind` that best describes the failure, for callers
    /// that report I/O errors uniformly.
    #[must_use]
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            Self::NotFound { .. } => io::ErrorKind::NotFound,
            Self::AlreadyExists { .. } => io::ErrorKind::AlreadyExists,
            Self::InvalidName { .. } => io::ErrorKind::InvalidInput,
            Self::Denied { .. } => io::ErrorKind::PermissionDenied,
            Self::Io { source, .. } => source.kind(),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound { location } => write!(f, "{location}: not found"),
            Self::AlreadyExists { location } => write!(f, "{location} already exists"),
            Self::InvalidName { name } => write!(f, "{name:?} is not a valid object name"),
            Self::Denied { location, reason } => write!(f, "{location}: access denied: {reason}"),
            Self::Io { op, location, source } => {
                write!(f, "cannot {op} {location}: {}", crate::io_util::io_reason(source))
            }
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Checks an object name (see the module docs).
///
/// # Errors
///
/// [`StoreError::InvalidName`].
pub fn check_name(name: &str) -> Result<(), StoreError> {
    let bad = name.is_empty()
        || name.contains('\0')
        || name.split('/').any(|part| part.is_empty() || part == "." || part == "..");
    if bad { Err(StoreError::InvalidName { name: name.to_owned() }) } else { Ok(()) }
}
