//! What the ebak tool puts inside a payload, and how it comes back out:
//! the content format of `spec/ebak-content-v1.md`.
//!
//! ```text
//! content = "ebakcli1" (8) || kind (1) || compression (1) || body
//! kind:        0x01 a tar archive of files and directory trees
//!              0x02 one stream (a backup of standard input)
//! compression: 0x00 none, 0x01 one zstd frame
//! ```
//!
//! A payload that does not start with the 8-byte magic is not ebak
//! content ("raw": another application's data, returned as it is). One
//! that starts with the magic but names a kind or a compression this
//! version does not know was made by a newer writer and is refused: it is
//! never mistaken for raw data, nor decoded as something else.
//!
//! - [`archive`]: files and directory trees into a tar stream;
//! - [`exclude`]: the patterns that leave paths out of it;
//! - [`extract`]: a tar stream back into a directory, refusing whatever
//!   would land outside it;
//! - [`staged`]: a restore into a directory that shows nothing until the
//!   whole backup verified.

pub mod archive;
pub mod exclude;
pub mod extract;
mod files;
mod header_check;
mod list;
mod metadata;
mod options;
mod source;
pub mod staged;
mod walk;

pub use crate::error::{ContentError, Refusal};
pub use crate::registry::{Compression, Kind};

use std::fmt;
use std::io::{self, Read, Write};

/// The content header's magic.
pub const CONTENT_MAGIC: &[u8; 8] = b"ebakcli1";
/// The content header's length.
pub const CONTENT_HEADER_SIZE: usize = 10;
/// The zstd level the tool writes (any level reads back).
pub const ZSTD_LEVEL: i32 = 3;

/// The decoded content header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentHeader {
    /// What the body holds.
    pub kind: Kind,
    /// How it is compressed.
    pub compression: Compression,
}

/// What the first bytes of a payload say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// ebak content.
    Content(ContentHeader),
    /// Not ebak content: the payload is some other application's data.
    Raw,
}

impl ContentHeader {
    /// The 10 header bytes.
    #[must_use]
    pub fn encode(&self) -> [u8; CONTENT_HEADER_SIZE] {
        let [m0, m1, m2, m3, m4, m5, m6, m7] = *CONTENT_MAGIC;
        [m0, m1, m2, m3, m4, m5, m6, m7, self.kind.byte(), self.compression.byte()]
    }

    /// Decodes the first bytes of a payload (all of it if it is shorter
    /// than [`CONTENT_HEADER_SIZE`]).
    ///
    /// # Errors
    ///
    /// The magic matches but the kind or the compression is unknown
    /// ([`ContentError::Unsupported`]), or the payload ends inside the
    /// header ([`ContentError::Malformed`]).
    pub fn decode(bytes: &[u8]) -> Result<Decoded, ContentError> {
        let magic_part = bytes.get(..CONTENT_MAGIC.len()).unwrap_or(bytes);
        if CONTENT_MAGIC.get(..magic_part.len()) != Some(magic_part) || bytes.is_empty() {
            return Ok(Decoded::Raw);
        }
        let (Some(&kind), Some(&compression)) = (bytes.get(8), bytes.get(9)) else {
            // A payload shorter than the magic that matches it so far is
            // raw data (a few bytes of anything); one with the whole magic
            // but cut inside the header is damaged content.
            return if bytes.len() < CONTENT_MAGIC.len() {
                Ok(Decoded::Raw)
            } else {
                Err(ContentError::Malformed { detail: "the content header is cut short".into() })
            };
        };
        let kind = Kind::from_byte(kind).ok_or(ContentError::Unsupported { field: "kind", value: kind })?;
        let compression = Compression::from_byte(compression)
            .ok_or(ContentError::Unsupported { field: "compression", value: compression })?;
        Ok(Decoded::Content(Self { kind, compression }))
    }
}

/// Reads the content header from the front of `input`: what it says, and
/// the bytes read while looking (for a raw payload, its first bytes, which
/// belong to the data).
///
/// # Errors
///
/// Reading failed (the error as the reader gave it), or
/// [`ContentHeader::decode`] refused.
pub fn read_header<R: Read>(input: &mut R) -> Result<(Decoded, Vec<u8>), ReadHeaderError> {
    let mut head = Vec::with_capacity(CONTENT_HEADER_SIZE);
    input.by_ref().take(CONTENT_HEADER_SIZE as u64).read_to_end(&mut head).map_err(ReadHeaderError::Read)?;
    match ContentHeader::decode(&head).map_err(ReadHeaderError::Content)? {
        Decoded::Content(c) => Ok((Decoded::Content(c), Vec::new())),
        Decoded::Raw => Ok((Decoded::Raw, head)),
    }
}

/// Why [`read_header`] failed.
#[derive(Debug)]
pub enum ReadHeaderError {
    /// The reader failed.
    Read(io::Error),
    /// The header is not one this version reads.
    Content(ContentError),
}

/// The body after the content header, decompressed.
///
/// # Errors
///
/// The zstd decoder could not start.
pub fn decoder<'a, R: Read + 'a>(input: R, compression: Compression) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match compression {
        Compression::None => Box::new(input),
        Compression::Zstd => Box::new(zstd::Decoder::new(input)?),
    })
}

/// Writes the content header for `header`, then returns the writer for the
/// body, compressing it if asked. Call [`Encoder::finish`] at the end.
///
/// # Errors
///
/// Writing the header failed, or the zstd encoder could not start.
pub fn encoder<W: Write>(mut out: W, header: ContentHeader) -> io::Result<Encoder<W>> {
    out.write_all(&header.encode())?;
    Ok(match header.compression {
        Compression::None => Encoder::Plain(out),
        Compression::Zstd => Encoder::Zstd(zstd::Encoder::new(out, ZSTD_LEVEL)?),
    })
}

/// The writer for a content body ([`encoder`]).
pub enum Encoder<W: Write> {
    /// Not compressed.
    Plain(W),
    /// One zstd frame.
    Zstd(zstd::Encoder<'static, W>),
}

impl<W: Write> fmt::Debug for Encoder<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Plain(_) => "Encoder::Plain",
            Self::Zstd(_) => "Encoder::Zstd",
        })
    }
}

impl<W: Write> Encoder<W> {
    /// Ends the body (the zstd frame) and returns the inner writer.
    ///
    /// # Errors
    ///
    /// Writing failed.
    pub fn finish(self) -> io::Result<W> {
        match self {
            Self::Plain(mut w) => {
                w.flush()?;
                Ok(w)
            }
            Self::Zstd(z) => {
                let mut w = z.finish()?;
                w.flush()?;
                Ok(w)
            }
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(w) => w.write(buf),
            Self::Zstd(z) => z.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Self::Plain(w) => w.write_all(buf),
            Self::Zstd(z) => z.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(w) => w.flush(),
            Self::Zstd(z) => z.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_header_round_trips_and_tells_raw_from_unsupported() {
        for kind in [Kind::Tar, Kind::Stream] {
            for compression in [Compression::None, Compression::Zstd] {
                let c = ContentHeader { kind, compression };
                assert_eq!(ContentHeader::decode(&c.encode()).unwrap(), Decoded::Content(c));
            }
        }
        assert!(matches!(
            ContentHeader::decode(b"ebakcli1\x03\x00"),
            Err(ContentError::Unsupported { field: "kind", value: 3 })
        ));
        assert!(matches!(
            ContentHeader::decode(b"ebakcli1\x01\x02"),
            Err(ContentError::Unsupported { field: "compression", value: 2 })
        ));
        assert!(matches!(ContentHeader::decode(b"ebakcli1\x01"), Err(ContentError::Malformed { .. })));
        assert_eq!(ContentHeader::decode(b"Hello, ebak!").unwrap(), Decoded::Raw);
        assert_eq!(ContentHeader::decode(b"ebak").unwrap(), Decoded::Raw);
        assert_eq!(ContentHeader::decode(b"").unwrap(), Decoded::Raw);
        assert_eq!(ContentHeader::decode(b"ebakcli2\x01\x00").unwrap(), Decoded::Raw);
    }
}
