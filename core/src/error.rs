//! The error classes (spec 9): every failure to open a file belongs to
//! exactly one, and the classes are kept apart, as the Wycheproof and CCTV
//! vector suites do, so that a test vector can say which layer must catch
//! it.

use crate::cobblestone::PayloadError;
use crate::kdf::{KdfError, KdfLimitError};
use crate::limits::MAX_CONTEXT_SIZE;
use core::fmt;

/// The layer that rejected a file, in the order spec 6 checks them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorClass {
    /// The header is malformed: magic, version, lengths, slot types,
    /// duplicates, non-canonical encoding, truncation inside the header.
    HeaderParse,
    /// A password slot's KDF costs are over the reader's ceiling (checked
    /// before Argon2 runs), or Argon2 could not get its memory.
    KdfLimits,
    /// No slot opens with the password; the file has no slot for it.
    NoSlotOpens,
    /// The header MAC does not verify: a wrong 64-digit key, or a modified
    /// header (including a modified slot whose password was right).
    HeaderMac,
    /// The payload's key commitment does not match: a payload made under a
    /// different key or context, or a modified salt or commitment.
    Commitment,
    /// The payload's chunks: modified, reordered, duplicated, truncated,
    /// extended, or trailing data.
    Payload,
    /// Not a class of spec section 9, and no file is at fault: the caller
    /// asked for something no file can satisfy (an application context
    /// longer than `MAX_CONTEXT_SIZE`). No test vector has this class.
    Usage,
}

impl ErrorClass {
    /// The name the test vectors use (`failureStage`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::HeaderParse => "HeaderParse",
            Self::KdfLimits => "KdfLimits",
            Self::NoSlotOpens => "NoSlotOpens",
            Self::HeaderMac => "HeaderMac",
            Self::Commitment => "Commitment",
            Self::Payload => "Payload",
            Self::Usage => "Usage",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A malformed header (error class "header parse").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// The input ends inside the header.
    Truncated,
    /// The input does not start with the ebak magic.
    BadMagic,
    /// A version this reader does not know.
    UnsupportedVersion(u8),
    /// More than eight slots.
    TooManySlots(u8),
    /// Slot type 0x00.
    ReservedSlotType,
    /// A slot body of the wrong length for its type.
    SlotLength {
        /// The slot's type.
        slot_type: u8,
    },
    /// A password slot whose costs are not valid Argon2id parameters.
    InvalidKdfParams,
    /// Two identical slots, or two password slots with the same salt.
    DuplicateSlot,
    /// Bytes after the header MAC (when parsing a header alone).
    TrailingData,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("truncated header"),
            Self::BadMagic => f.write_str("not an ebak file (bad magic; was it transferred in text mode?)"),
            Self::UnsupportedVersion(v) => write!(f, "unsupported format version {v}"),
            Self::TooManySlots(n) => write!(f, "{n} key slots, more than the limit of {}", crate::limits::MAX_SLOTS),
            Self::ReservedSlotType => f.write_str("key slot of reserved type 0"),
            Self::SlotLength { slot_type } => write!(f, "key slot of type {slot_type} has a body of the wrong length"),
            Self::InvalidKdfParams => f.write_str("password slot has invalid Argon2id parameters"),
            Self::DuplicateSlot => f.write_str("duplicate key slot"),
            Self::TrailingData => f.write_str("trailing data after the header"),
        }
    }
}

/// The application context is longer than [`MAX_CONTEXT_SIZE`] (spec 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContextTooLong;

impl fmt::Display for ContextTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "application context longer than {MAX_CONTEXT_SIZE} bytes")
    }
}

/// Why a file did not open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenError {
    /// Malformed header.
    Header(HeaderError),
    /// KDF costs over the ceiling.
    KdfLimits(KdfLimitError),
    /// Argon2 could not run (out of memory).
    Kdf(KdfError),
    /// No slot opens with the password.
    NoSlotOpens,
    /// The header MAC does not verify (or a slot was modified).
    HeaderMac,
    /// The payload (commitment or chunks).
    Payload(PayloadError),
    /// The application context is longer than `MAX_CONTEXT_SIZE` (spec 5:
    /// a usage error, refused before the file is read).
    ContextTooLong,
}

impl OpenError {
    /// The error's class.
    #[must_use]
    pub const fn class(&self) -> ErrorClass {
        match self {
            Self::Header(_) => ErrorClass::HeaderParse,
            Self::KdfLimits(_) | Self::Kdf(_) => ErrorClass::KdfLimits,
            Self::NoSlotOpens => ErrorClass::NoSlotOpens,
            Self::HeaderMac => ErrorClass::HeaderMac,
            Self::Payload(PayloadError::Commitment) => ErrorClass::Commitment,
            Self::Payload(_) => ErrorClass::Payload,
            Self::ContextTooLong => ErrorClass::Usage,
        }
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Header(e) => write!(f, "malformed header: {e}"),
            Self::KdfLimits(e) => write!(f, "refusing to derive the key: {e}"),
            Self::Kdf(e) => write!(f, "cannot derive the key: {e}"),
            Self::NoSlotOpens => f.write_str("wrong password: no key slot opens with it"),
            Self::HeaderMac => f.write_str("header authentication failed: wrong key, or the header was modified"),
            Self::Payload(e) => write!(f, "{e}"),
            Self::ContextTooLong => write!(f, "{ContextTooLong}"),
        }
    }
}

impl From<HeaderError> for OpenError {
    fn from(e: HeaderError) -> Self {
        Self::Header(e)
    }
}

impl From<PayloadError> for OpenError {
    fn from(e: PayloadError) -> Self {
        Self::Payload(e)
    }
}

impl From<KdfLimitError> for OpenError {
    fn from(e: KdfLimitError) -> Self {
        Self::KdfLimits(e)
    }
}

impl core::error::Error for OpenError {}

impl core::error::Error for HeaderError {}

impl core::error::Error for ContextTooLong {}
