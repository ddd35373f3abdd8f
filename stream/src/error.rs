//! The two ways a stream fails: the I/O around it, or the core's verdict.
//!
//! Both enums are exhaustive on purpose: a stream fails in I/O or in the
//! payload and in nothing else, and callers (the CLI) match both arms to
//! pick an exit code.

use ebak_core::cobblestone::{self, PayloadError};
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
