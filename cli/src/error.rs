//! Errors the tool reports: one line each, in words, with an exit code per
//! kind of failure (documented in `cli/README.md`).

use ebak_core::cobblestone::PayloadError;
use ebak_core::error::OpenError;
use ebak_core::header::HeaderError;
use std::fmt;
use std::io;
use std::path::Path;

/// The exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
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

    /// A damaged-file error.
    pub fn damaged(message: impl Into<String>) -> Self {
        Self { exit: Exit::Damaged, message: message.into() }
    }

    /// An I/O error about `path`.
    pub fn io(path: &Path, what: &str, e: &io::Error) -> Self {
        Self { exit: Exit::Io, message: format!("{what} {}: {}", path.display(), io_reason(e)) }
    }

    /// An I/O error without a path.
    pub fn io_plain(what: &str, e: &io::Error) -> Self {
        Self { exit: Exit::Io, message: format!("{what}: {}", io_reason(e)) }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// `io::Error`'s text without the "(os error N)" noise.
fn io_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text.get(..i).unwrap_or(&text).to_owned(),
        None => text,
    }
}

/// Where the payload starts in the file, to turn a chunk index into a byte
/// offset for the message.
#[derive(Clone, Copy, Debug)]
pub struct Offsets {
    /// The header's length.
    pub header_len: u64,
}

/// The message and exit code for a payload failure.
pub fn payload_error(file: &Path, e: PayloadError, at: Offsets) -> CliError {
    let name = file.display();
    match e {
        PayloadError::Commitment => CliError::damaged(format!(
            "{name}: the payload does not belong to this key and context (wrong --context, or the payload was replaced or modified)"
        )),
        PayloadError::Chunk { index } => {
            let offset = at.header_len.saturating_add(56).saturating_add(index.saturating_mul(16_400));
            CliError::damaged(format!("{name}: file is damaged or was tampered with at byte {offset} (chunk {index})"))
        }
        PayloadError::Truncated { .. } => CliError::damaged(format!("{name}: truncated: the final chunk is missing")),
        PayloadError::MissingPrefix => {
            CliError::damaged(format!("{name}: truncated: the payload is missing or shorter than 56 bytes"))
        }
        PayloadError::TooManyChunks => CliError::damaged(format!("{name}: the payload has more than 2^38 chunks")),
        other => CliError::damaged(format!("{name}: {other}")),
    }
}

/// The message and exit code for a failure to open a file.
/// `by_key`: the 64-digit key was tried (a header MAC failure then means a
/// wrong key), not a password.
pub fn open_error(file: &Path, e: OpenError, by_key: bool, at: Offsets) -> CliError {
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
        OpenError::NoSlotOpens => {
            CliError { exit: Exit::WrongSecret, message: format!("{name}: wrong password or key: no key slot opens") }
        }
        OpenError::HeaderMac => match by_key {
            true => CliError {
                exit: Exit::WrongSecret,
                message: format!(
                    "{name}: wrong password or key (with the 64-digit key, a modified header looks the same)"
                ),
            },
            false => CliError::damaged(format!(
                "{name}: the header was tampered with: the password opens a key slot but the header does not authenticate"
            )),
        },
        OpenError::Payload(p) => payload_error(file, p, at),
        OpenError::ContextTooLong => CliError::usage(format!("--context: {}", OpenError::ContextTooLong)),
        other => CliError::damaged(format!("{name}: {other}")),
    }
}
