//! Reading a payload's content back: as one stream, into a directory, or
//! only to verify it. In each, a payload that fails to verify is the
//! failure that counts: whatever a decoder made of the stream it saw cut
//! short is only its consequence.

use crate::content::staged::StagedTree;
use crate::content::{self, Compression, ContentError, Decoded, Kind, ReadHeaderError, extract};
use crate::error::{Error, Stage};
use crate::open::{Payload, PayloadFailure};
use std::io::{self, Read, Write};

/// What a payload held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Summary {
    /// A tar archive of files and directory trees.
    Tree {
        /// Its entries.
        entries: u64,
        /// How the body was compressed.
        compression: Compression,
    },
    /// One stream.
    Stream {
        /// Its length, decompressed.
        bytes: u64,
        /// How the body was compressed.
        compression: Compression,
    },
    /// Not ebak content: the payload as it is.
    Raw {
        /// Its length.
        bytes: u64,
    },
}

/// A read error inside the content: the payload's failure if it failed,
/// else the content is malformed.
fn content_read_error(failure: &PayloadFailure, e: io::Error) -> Error {
    failure.blame(e, |e| Error::Content(ContentError::Malformed { detail: e.to_string() }))
}

fn read_content_header<R: Read>(
    payload: &mut Payload<R>,
    failure: &PayloadFailure,
) -> Result<(Decoded, Vec<u8>), Error> {
    content::read_header(payload).map_err(|e| match e {
        ReadHeaderError::Read(e) => content_read_error(failure, e),
        // An unknown kind in a payload that then fails to verify: the
        // payload's failure is what counts.
        ReadHeaderError::Content(c) => failure.get().unwrap_or(Error::Content(c)),
    })
}

/// Verifies the rest of the payload, then reports `e`: a payload that does
/// not verify beats what its content looked like.
fn after_verifying<R: Read, T>(payload: Payload<R>, e: ContentError) -> Result<T, Error> {
    payload.finish()?;
    Err(Error::Content(e))
}

/// Copies, telling a failing input (the decoder, the payload) from a
/// failing output.
fn copy_out<W: Write + ?Sized>(from: &mut impl Read, to: &mut W, failure: &PayloadFailure) -> Result<u64, Error> {
    crate::io_util::copy(from, to, |e| content_read_error(failure, e), |e| Error::io(Stage::WriteRestored, e))
}

/// Writes the content of `payload` to `out` as one stream (the body of a
/// stream backup, or the tar archive of a tree backup), decompressed; with
/// `raw`, the payload as it is, without looking for ebak content. Only
/// verified bytes are written, but a payload that fails part-way leaves
/// its verified prefix in `out`: write to a staged output.
///
/// # Errors
///
/// The payload does not verify ([`Error::Open`]), has no ebak content and
/// `raw` is not set ([`ContentError::NotEbakContent`]), the content is
/// malformed, or writing failed ([`Stage::WriteRestored`]).
pub fn to_stream<R: Read, W: Write + ?Sized>(
    mut payload: Payload<R>,
    out: &mut W,
    raw: bool,
) -> Result<Summary, Error> {
    let failure = payload.failure_handle();
    if raw {
        let n = copy_out(&mut payload, out, &failure)?;
        payload.finish()?;
        out.flush().map_err(|e| Error::io(Stage::WriteRestored, e))?;
        return Ok(Summary::Raw { bytes: n });
    }
    let header = match read_content_header(&mut payload, &failure)? {
        (Decoded::Content(c), _) => c,
        (Decoded::Raw, _) => return after_verifying(payload, ContentError::NotEbakContent),
    };
    let mut decoded =
        content::decoder(&mut payload, header.compression).map_err(|e| content_read_error(&failure, e))?;
    let n = copy_out(&mut decoded, out, &failure)?;
    drop(decoded);
    payload.finish()?;
    out.flush().map_err(|e| Error::io(Stage::WriteRestored, e))?;
    // A tree backup written as one stream is its tar archive: either way
    // the summary counts the bytes written.
    Ok(Summary::Stream { bytes: n, compression: header.compression })
}

/// Unpacks a tree backup into `staged` (see [`StagedTree`]); commit it
/// once this returns `Ok`.
///
/// # Errors
///
/// The payload does not verify, holds a stream or no ebak content, the
/// archive is malformed or refused, or writing failed.
pub fn to_tree<R: Read>(mut payload: Payload<R>, staged: &mut StagedTree) -> Result<Summary, Error> {
    let failure = payload.failure_handle();
    let header = match read_content_header(&mut payload, &failure)? {
        (Decoded::Content(c), _) if c.kind == Kind::Tar => c,
        (Decoded::Content(c), _) => return after_verifying(payload, ContentError::WrongKind { found: c.kind }),
        (Decoded::Raw, _) => return after_verifying(payload, ContentError::NotEbakContent),
    };
    let mut decoded =
        content::decoder(&mut payload, header.compression).map_err(|e| content_read_error(&failure, e))?;
    let entries = staged.extract(&mut decoded).map_err(|e| blame_payload(&failure, e))?;
    // What follows tar's end-of-archive marker, and the zstd frame's end.
    io::copy(&mut decoded, &mut io::sink()).map_err(|e| content_read_error(&failure, e))?;
    drop(decoded);
    payload.finish()?;
    Ok(Summary::Tree { entries, compression: header.compression })
}

/// A content error is the payload's failure when the payload failed.
fn blame_payload(failure: &PayloadFailure, e: Error) -> Error {
    match e {
        Error::Content(_) => failure.get().unwrap_or(e),
        other => other,
    }
}

/// Reads and authenticates the whole payload and decodes its content,
/// writing nothing.
///
/// # Errors
///
/// The payload does not verify, or its content is malformed.
pub fn verify<R: Read>(mut payload: Payload<R>) -> Result<Summary, Error> {
    let failure = payload.failure_handle();
    let (header, head) = read_content_header(&mut payload, &failure)?;
    let header = match header {
        Decoded::Content(c) => c,
        Decoded::Raw => {
            let rest = io::copy(&mut payload, &mut io::sink()).map_err(|e| content_read_error(&failure, e))?;
            payload.finish()?;
            return Ok(Summary::Raw { bytes: rest.saturating_add(u64::try_from(head.len()).unwrap_or(0)) });
        }
    };
    let mut decoded =
        content::decoder(&mut payload, header.compression).map_err(|e| content_read_error(&failure, e))?;
    let summary = match header.kind {
        Kind::Tar => {
            let entries = extract::walk(&mut decoded).map_err(|e| blame_payload(&failure, e))?;
            io::copy(&mut decoded, &mut io::sink()).map_err(|e| content_read_error(&failure, e))?;
            Summary::Tree { entries, compression: header.compression }
        }
        Kind::Stream => {
            let bytes = io::copy(&mut decoded, &mut io::sink()).map_err(|e| content_read_error(&failure, e))?;
            Summary::Stream { bytes, compression: header.compression }
        }
    };
    drop(decoded);
    payload.finish()?;
    Ok(summary)
}
