//! The two ways a stream fails: the I/O around it, or the core's verdict.
//!
//! Both enums are exhaustive on purpose: a stream fails in I/O or in the
//! payload and in nothing else, and callers (the CLI) match both arms to
//! pick an exit code.

use ebak_core::cobblestone::{self, PayloadError};
use std::sync::{Arc, OnceLock};
use std::{fmt, io};

/// Sealing failed.
#[derive(Debug)]
pub enum SealError {
    /// Reading the message or writing the ciphertext failed.
    Io(io::Error),
    /// The core refused: the message grew past 2^38 chunks.
    Payload(cobblestone::SealError),
}

/// Opening failed.
#[derive(Debug)]
pub enum OpenError {
    /// Reading the ciphertext or writing the plaintext failed.
    Io(io::Error),
    /// The payload did not verify: the class and position are the ones
    /// the core's serial opener reports for the same bytes.
    Payload(PayloadError),
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "{e}"),
            Self::Payload(e) => write!(f, "{e}"),
        }
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "{e}"),
            Self::Payload(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SealError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Payload(e) => Some(e),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Payload(e) => Some(e),
        }
    }
}

impl From<io::Error> for SealError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<io::Error> for OpenError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// What ended a stream, kept by a [`FailureHandle`]: cloneable, so that a
/// caller who only sees the `io::Error` a wrapping layer (tar, zstd) made
/// of it can still ask afterwards what happened, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// Opening: the payload did not verify. The class and chunk index are
    /// the ones the core's serial opener reports for the same bytes.
    Payload(PayloadError),
    /// Sealing: the core refused (the message grew past 2^38 chunks).
    Refused(cobblestone::SealError),
    /// Reading or writing the inner stream (the ciphertext side) failed.
    Io {
        /// The kind of the original error.
        kind: io::ErrorKind,
        /// The original error's message.
        message: String,
    },
    /// A worker thread failed (a bug: the core does not panic).
    Worker,
}

impl Failure {
    pub(crate) fn io(e: &io::Error) -> Self {
        Self::Io { kind: e.kind(), message: e.to_string() }
    }

    /// The `io::ErrorKind` a `Read` or `Write` call reports for it.
    #[must_use]
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            Self::Payload(_) => io::ErrorKind::InvalidData,
            Self::Refused(_) => io::ErrorKind::InvalidInput,
            Self::Io { kind, .. } => *kind,
            Self::Worker => io::ErrorKind::Other,
        }
    }

    /// The same failure as an [`OpenError`] (an I/O failure is rebuilt
    /// from its kind and message).
    #[must_use]
    pub fn to_open_error(&self) -> OpenError {
        match self {
            Self::Payload(e) => OpenError::Payload(*e),
            _ => OpenError::Io(io::Error::new(self.kind(), self.to_string())),
        }
    }

    /// The same failure as a [`SealError`] (an I/O failure is rebuilt
    /// from its kind and message).
    #[must_use]
    pub fn to_seal_error(&self) -> SealError {
        match self {
            Self::Refused(e) => SealError::Payload(*e),
            _ => SealError::Io(io::Error::new(self.kind(), self.to_string())),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Payload(e) => write!(f, "{e}"),
            Self::Refused(e) => write!(f, "{e}"),
            Self::Io { message, .. } => f.write_str(message),
            Self::Worker => f.write_str("a stream worker thread failed"),
        }
    }
}

impl std::error::Error for Failure {}

/// A cloneable view of what ended an adapter's stream
/// ([`OpenReader::failure_handle`](crate::OpenReader::failure_handle),
/// [`SealWriter::failure_handle`](crate::SealWriter::failure_handle)).
/// It keeps the first failure; it stays empty while the stream is healthy,
/// and after a clean end.
#[derive(Clone, Debug, Default)]
pub struct FailureHandle(Arc<OnceLock<Failure>>);

impl FailureHandle {
    /// What ended the stream, if something did.
    #[must_use]
    pub fn get(&self) -> Option<&Failure> {
        self.0.get()
    }

    /// Records the first failure (later ones are consequences) and returns
    /// the one recorded.
    pub(crate) fn set(&self, failure: Failure) -> &Failure {
        self.0.get_or_init(|| failure)
    }
}

/// Finds an error of type `T` in `error`'s chain, looking inside every
/// `io::Error` on the way (`io::Error::source` skips the error it wraps, so
/// `Error::source` alone would miss an [`OpenError`] that tar or zstd
/// wrapped).
///
/// ```
/// # use std::io;
/// # use ebak_core::cobblestone::PayloadError;
/// # use ebak_stream::{OpenError, find_error};
/// let inner = io::Error::new(io::ErrorKind::InvalidData, OpenError::Payload(PayloadError::Chunk { index: 3 }));
/// let wrapped = io::Error::new(inner.kind(), inner); // as a decompressor might
/// let found = find_error::<OpenError>(&wrapped);
/// assert!(matches!(found, Some(OpenError::Payload(PayloadError::Chunk { index: 3 }))));
/// ```
#[must_use]
pub fn find_error<'a, T: std::error::Error + 'static>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a T> {
    let mut current = error;
    // A chain is finite, but a cycle through `source` is possible in
    // principle; no real chain is this deep.
    for _ in 0..64 {
        if let Some(found) = current.downcast_ref::<T>() {
            return Some(found);
        }
        let inner = current
            .downcast_ref::<io::Error>()
            .and_then(|io| io.get_ref())
            .map(|e| e as &(dyn std::error::Error + 'static));
        current = inner.or_else(|| current.source())?;
    }
    None
}
