//! The std layer: a whole crypt15 file from a `Read`, its content to a
//! `Write`, in constant memory.

use crate::content::{Content, ContentError, ContentKind};
use crate::decrypt::{DecryptError, Decryptor, Layout, MD5_BYTES, Md5Check};
use crate::header::{Header, HeaderError, MAX_HEADER_BYTES};
use crate::key::RootKey;
use core::fmt;
use md5::{Digest, Md5};
use std::io::{self, Read, Write};

/// How much ciphertext is read at a time.
pub const READ_CHUNK_BYTES: usize = 64 * 1024;

/// A file that decrypted and verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The header.
    pub header: Header,
    /// The header's length in bytes.
    pub header_len: usize,
    /// How the file ends.
    pub layout: Layout,
    /// What the plaintext was.
    pub content: ContentKind,
    /// The ciphertext's length.
    pub ciphertext_len: u64,
    /// The bytes written to the output (the inflated database, or the ZIP).
    pub output_len: u64,
}

/// Why a file was not imported.
#[derive(Debug)]
#[non_exhaustive]
pub enum ImportError {
    /// Reading the file failed.
    Read(io::Error),
    /// Writing the output failed.
    Write(io::Error),
    /// The header is malformed or not crypt15.
    Header(HeaderError),
    /// The file does not decrypt.
    Decrypt {
        /// Why.
        error: DecryptError,
        /// Whether the header had the feature-table flag (msgstore files,
        /// which carry an MD5).
        feature_table: bool,
        /// Whether the tentative plaintext looked like a zlib stream or a
        /// ZIP archive: a hint that the key is right and the file damaged.
        /// Unauthenticated; it only words the message.
        content_looked_right: bool,
        /// Whether that zlib stream was decoding cleanly but had not ended:
        /// a hint of truncation.
        zlib_unfinished: bool,
    },
    /// The file authenticated, but its content is not a zlib stream or a
    /// ZIP archive, or the zlib stream is malformed.
    Content(ContentError),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(e) => write!(f, "cannot read: {e}"),
            Self::Write(e) => write!(f, "cannot write: {e}"),
            Self::Header(e) => write!(f, "not a crypt15 file: {e}"),
            Self::Decrypt { error, .. } => write!(f, "{error}"),
            Self::Content(e) => write!(f, "the file authenticates, but {e}"),
        }
    }
}

impl std::error::Error for ImportError {}

/// Reads into `buf` until it is full or the input ends.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
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

/// A header read from the start of a file.
#[derive(Clone, Debug)]
pub struct HeaderRead {
    /// The header.
    pub header: Header,
    /// Its bytes as they are in the file (the MD5 covers them).
    pub raw: Vec<u8>,
    /// Bytes read past the header: the start of the ciphertext.
    pub rest: Vec<u8>,
}

/// Reads and parses the header at the start of `input`.
///
/// # Errors
///
/// [`ImportError::Read`] or [`ImportError::Header`].
pub fn read_header<R: Read>(input: &mut R) -> Result<HeaderRead, ImportError> {
    let mut buf = vec![0u8; MAX_HEADER_BYTES];
    let n = read_full(input, &mut buf).map_err(ImportError::Read)?;
    buf.truncate(n);
    let (header, len) = Header::parse(&buf).map_err(ImportError::Header)?;
    let rest = buf.split_off(len);
    Ok(HeaderRead { header, raw: buf, rest })
}

/// Decrypts the crypt15 file read from `input` with `key`, and writes its
/// content to `output`: the inflated database for a msgstore backup, the
/// ZIP archive as it is for a multi-file backup.
///
/// **What reaches `output` is unauthenticated until this returns `Ok`.**
/// GCM has one tag for the whole file, so the bytes are written as they are
/// decrypted and only judged at the end. The caller must write to a place
/// that is thrown away on `Err` (a temporary file, renamed only on `Ok`).
///
/// Memory is constant: 64 KiB of ciphertext at a time, a 64 KiB inflate
/// buffer, and the last 32 bytes of the file held back.
///
/// # Errors
///
/// See [`ImportError`]. The verdict of the tag comes before any complaint
/// about the content: a wrong key is reported as such, not as a malformed
/// zlib stream.
pub fn decrypt<R: Read, W: Write>(key: &RootKey, mut input: R, mut output: W) -> Result<Report, ImportError> {
    let HeaderRead { header, raw, rest } = read_header(&mut input)?;
    let enc_key = key.encryption_key();
    let mut dec = Decryptor::new(&enc_key, &header.prefix.iv, &raw);
    drop(enc_key);
    let mut content = Content::new();
    let mut pt = Vec::with_capacity(READ_CHUNK_BYTES.saturating_add(64));
    let mut buf = vec![0u8; READ_CHUNK_BYTES];
    let fail = |error: DecryptError, content: &Content| ImportError::Decrypt {
        error,
        feature_table: header.feature_table,
        content_looked_right: content.looks_right(),
        zlib_unfinished: content.zlib_unfinished(),
    };
    let mut feed = |chunk: &[u8], dec: &mut Decryptor, content: &mut Content| {
        pt.clear();
        dec.update(chunk, &mut pt).map_err(|e| fail(e, content))?;
        content.feed(&pt, &mut output).map_err(ImportError::Write)
    };
    feed(&rest, &mut dec, &mut content)?;
    loop {
        let n = read_full(&mut input, &mut buf).map_err(ImportError::Read)?;
        if n == 0 {
            break;
        }
        feed(buf.get(..n).unwrap_or_default(), &mut dec, &mut content)?;
    }
    pt.clear();
    let verified = dec.finish(&mut pt, header.feature_table).map_err(|e| fail(e, &content))?;
    content.feed(&pt, &mut output).map_err(ImportError::Write)?;
    let kind = content.finish(&mut output).map_err(ImportError::Write)?.map_err(ImportError::Content)?;
    output.flush().map_err(ImportError::Write)?;
    Ok(Report {
        header,
        header_len: raw.len(),
        layout: verified.layout,
        content: kind,
        ciphertext_len: verified.ciphertext_len,
        output_len: content.written(),
    })
}

/// What can be said about a crypt15 file without the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Survey {
    /// The header.
    pub header: Header,
    /// The header's length.
    pub header_len: usize,
    /// The bytes after the header (ciphertext, tag, and maybe an MD5).
    pub body_len: u64,
    /// Whether the last 16 bytes are the MD5 of everything before them.
    /// Unkeyed: anyone can make it match, so this says the file was not
    /// damaged by accident, nothing more.
    pub md5: Md5Check,
}

/// Reads a whole crypt15 file without a key: its header, its length, and
/// whether it ends with a matching MD5 (which tells the msgstore layout from
/// the tag-only one, or a damaged file).
///
/// # Errors
///
/// [`ImportError::Read`] or [`ImportError::Header`].
pub fn survey<R: Read>(mut input: R) -> Result<Survey, ImportError> {
    let HeaderRead { header, raw, rest } = read_header(&mut input)?;
    let mut md5 = Md5::new();
    md5.update(&raw);
    // Everything but the last 16 bytes goes into the MD5.
    let mut held: Vec<u8> = rest;
    let mut body_len = u64::try_from(held.len()).unwrap_or(u64::MAX);
    let mut buf = vec![0u8; READ_CHUNK_BYTES];
    loop {
        let n = read_full(&mut input, &mut buf).map_err(ImportError::Read)?;
        if n == 0 {
            break;
        }
        body_len = body_len.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        held.extend_from_slice(buf.get(..n).unwrap_or_default());
        let release = held.len().saturating_sub(MD5_BYTES);
        md5.update(held.get(..release).unwrap_or_default());
        held.drain(..release);
    }
    let release = held.len().saturating_sub(MD5_BYTES);
    md5.update(held.get(..release).unwrap_or_default());
    let last = held.get(release..).unwrap_or_default();
    let md5 = if last.len() == MD5_BYTES && md5.finalize().as_slice() == last {
        Md5Check::Matches
    } else {
        Md5Check::Differs
    };
    Ok(Survey { header, header_len: raw.len(), body_len, md5 })
}
