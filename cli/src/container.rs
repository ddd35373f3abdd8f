//! Reading and writing ebak files: the header, unlocking, and the payload
//! streamed through `ebak-stream`, with every failure turned into a
//! `CliError`.

use crate::error::{CliError, Offsets, open_error, payload_error};
#[cfg(not(feature = "aws-lc"))]
use ebak_core::aead::DefaultAead;
use ebak_core::file::{self, Secret, Unlocked};
use ebak_core::header::{Header, HeaderError, MAX_HEADER_SIZE};
use ebak_core::kdf::KdfLimits;
use std::io::{self, Read, Write};
use std::path::Path;

/// The AEAD backend the tool uses: RustCrypto's `aes-gcm` by default,
/// AWS-LC's with the `aws-lc` feature. Both write and read the same bytes.
#[cfg(not(feature = "aws-lc"))]
pub type Backend = DefaultAead;
/// The AEAD backend the tool uses: AWS-LC's (the `aws-lc` feature), which
/// writes and reads the same bytes as the default, about 3x faster.
#[cfg(feature = "aws-lc")]
pub type Backend = ebak_core::aead::AwsLcAes256Gcm;

/// Reads into `buf` until it is full or the input ends.
pub fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0usize;
    while let Some(rest) = buf.get_mut(filled..) {
        if rest.is_empty() {
            break;
        }
        match r.read(rest) {
            Ok(0) => break,
            Ok(n) => filled = filled.saturating_add(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A file whose header has been read.
#[derive(Debug)]
pub struct HeaderRead<R> {
    /// The header.
    pub header: Header,
    /// Its length in the file.
    pub header_len: u64,
    /// The rest of the file: the payload.
    pub payload: io::Chain<io::Cursor<Vec<u8>>, R>,
}

/// Reads and parses the header at the start of `input` (spec 6 step 1).
pub fn read_header<R: Read>(path: &Path, mut input: R) -> Result<HeaderRead<R>, CliError> {
    let mut buf = vec![0u8; MAX_HEADER_SIZE];
    let n = read_full(&mut input, &mut buf).map_err(|e| CliError::io(path, "cannot read", &e))?;
    buf.truncate(n);
    let at = Offsets { header_len: 0 };
    let (header, len) = Header::parse_prefix(&buf).map_err(|e| open_error(path, e.into(), false, at))?;
    let rest = buf.split_off(len);
    Ok(HeaderRead {
        header,
        header_len: u64::try_from(len).unwrap_or(u64::MAX),
        payload: io::Cursor::new(rest).chain(input),
    })
}

/// Unlocks a header with a secret (spec 6 steps 2 and 3).
pub fn unlock(path: &Path, header: &Header, secret: &Secret, header_len: u64) -> Result<Unlocked, CliError> {
    file::unlock::<Backend>(header, secret, &KdfLimits::V1)
        .map_err(|e| open_error(path, e, secret.is_key(), Offsets { header_len }))
}

/// The payload's Cobblestone context for an application context.
pub fn payload_context(app_context: &[u8]) -> Result<Vec<u8>, CliError> {
    file::payload_context(app_context).map_err(|e| CliError::usage(format!("--context: {e}")))
}

/// Streams and verifies the payload, writing verified plaintext to `out`.
pub fn open_payload<R: Read + Send, W: Write + Send>(
    path: &Path,
    unlocked: &Unlocked,
    context: &[u8],
    payload: R,
    out: W,
    header_len: u64,
    options: &ebak_stream::Options<'_>,
) -> Result<u64, CliError> {
    let ctx = payload_context(context)?;
    ebak_stream::open::<Backend>(unlocked.backup_key().expose_secret(), &ctx, payload, out, options).map_err(
        |e| match e {
            ebak_stream::OpenError::Payload(p) => payload_error(path, p, Offsets { header_len }),
            ebak_stream::OpenError::Io(e) => CliError::io(path, "cannot read or write while opening", &e),
        },
    )
}

/// Seals `input` as the payload after a header already written to `out`.
pub fn seal_payload<R: Read + Send, W: Write + Send>(
    key: &ebak_core::BackupKey,
    context: &[u8],
    input: R,
    out: W,
    options: &ebak_stream::Options<'_>,
) -> Result<u64, CliError> {
    let ctx = payload_context(context)?;
    let mut salt = [0u8; 24];
    getrandom::fill(&mut salt)
        .map_err(|e| CliError::io_plain("the system random number generator failed", &io::Error::other(e)))?;
    ebak_stream::seal::<Backend>(key.expose_secret(), &salt, &ctx, input, out, options).map_err(|e| match e {
        ebak_stream::SealError::Io(e) => CliError::io_plain("cannot write the backup", &e),
        ebak_stream::SealError::Payload(p) => CliError::io_plain("cannot seal", &io::Error::other(p.to_string())),
    })
}

/// Whether a header error means "not ebak" (for `inspect`'s other formats).
#[must_use]
pub fn is_bad_magic(e: &HeaderError) -> bool {
    matches!(e, HeaderError::BadMagic)
}
