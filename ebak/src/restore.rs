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
    let decoded = content::decoder(&mut payload, header.compression).map_err(|e| content_read_error(&failure, e))?;
    let mut body = TarBody::new(decoded);
    let entries = match staged.extract(&mut body) {
        Ok(entries) => entries,
        // content spec 6.7: an archive that ends inside an entry is
        // malformed, whatever the unpacker made of the short entry.
        Err(Error::Content(ContentError::Refused { reason: content::Refusal::Unpack(_), .. })) if body.ended => {
            return Err(failure.get().unwrap_or_else(|| malformed("the archive ends inside an entry")));
        }
        Err(e) => return Err(blame_payload(&failure, e)),
    };
    body.finish().map_err(|e| blame_body(&failure, e))?;
    drop(body);
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

/// Lists a tree backup's entries as they are read, writing nothing: each
/// comes from authenticated chunks, but a payload that fails later has
/// still listed the entries before the failure, as a stream restore
/// would.
///
/// # Errors
///
/// The payload does not verify, holds a stream or no ebak content
/// ([`ContentError::WrongKind`], [`ContentError::NotEbakContent`]), or the
/// archive is malformed.
pub fn list<R: Read>(mut payload: Payload<R>, each: &mut dyn FnMut(&extract::EntryInfo)) -> Result<Summary, Error> {
    let failure = payload.failure_handle();
    let header = match read_content_header(&mut payload, &failure)? {
        (Decoded::Content(c), _) if c.kind == Kind::Tar => c,
        (Decoded::Content(c), _) => return after_verifying(payload, ContentError::WrongKind { found: c.kind }),
        (Decoded::Raw, _) => return after_verifying(payload, ContentError::NotEbakContent),
    };
    let mut decoded =
        content::decoder(&mut payload, header.compression).map_err(|e| content_read_error(&failure, e))?;
    let entries = extract::list(&mut decoded, each).map_err(|e| blame_payload(&failure, e))?;
    io::copy(&mut decoded, &mut io::sink()).map_err(|e| content_read_error(&failure, e))?;
    drop(decoded);
    payload.finish()?;
    Ok(Summary::Tree { entries, compression: header.compression })
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
            let mut body = TarBody::new(&mut decoded);
            let entries = extract::walk(&mut body).map_err(|e| blame_payload(&failure, e))?;
            body.finish().map_err(|e| blame_body(&failure, e))?;
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

fn malformed(detail: &str) -> Error {
    Error::Content(ContentError::Malformed { detail: detail.into() })
}

/// A failure of [`TarBody::finish`]: the payload's if it failed, else a
/// read error of the decoder or the archive's own fault.
fn blame_body(failure: &PayloadFailure, e: BodyEnd) -> Error {
    match e {
        BodyEnd::Read(e) => content_read_error(failure, e),
        BodyEnd::Malformed(detail) => failure.get().unwrap_or_else(|| malformed(detail)),
    }
}

/// Why a tar body did not end as content spec 6.7 says it must.
enum BodyEnd {
    /// Reading the rest of the body failed (the decoder, the payload).
    Read(io::Error),
    /// No end-of-archive marker, or bytes other than zeros after it.
    Malformed(&'static str),
}

/// The tar body as the archive reader consumes it, noting whether the
/// input ended under it: the archive reader stops, without reading on, at
/// the first all-zero block (the end-of-archive marker), and takes the end
/// of its input for the end of the archive too. Content spec 6.7 tells
/// them apart: an archive MUST end with the marker, and only zero bytes
/// (the marker's second block, record padding) may follow it.
struct TarBody<R> {
    inner: R,
    /// A read returned 0: the body ended.
    ended: bool,
}

impl<R: Read> TarBody<R> {
    const fn new(inner: R) -> Self {
        Self { inner, ended: false }
    }

    /// Called once the archive reader saw the end of the archive: checks
    /// that it was the marker, and reads the rest of the body (to the end
    /// of the last compressed frame), which must be zeros.
    fn finish(&mut self) -> Result<(), BodyEnd> {
        if self.ended {
            return Err(BodyEnd::Malformed("the archive has no end-of-archive marker"));
        }
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match self.inner.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    if buf.get(..n).unwrap_or_default().iter().any(|&b| b != 0) {
                        return Err(BodyEnd::Malformed("bytes other than zeros follow the end of the archive"));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(BodyEnd::Read(e)),
            }
        }
    }
}

impl<R: Read> Read for TarBody<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.ended = true;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar body with one file and the end-of-archive marker.
    fn archive() -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(5);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        builder.append_data(&mut header, "f", &b"hello"[..]).unwrap();
        builder.into_inner().unwrap()
    }

    fn walk_and_finish(body: &[u8]) -> Result<u64, String> {
        let mut body = TarBody::new(body);
        let n = extract::walk(&mut body).map_err(|e| e.to_string())?;
        body.finish().map_err(|e| match e {
            BodyEnd::Read(e) => e.to_string(),
            BodyEnd::Malformed(m) => m.to_owned(),
        })?;
        Ok(n)
    }

    #[test]
    fn a_tar_body_must_end_with_the_marker_and_only_zeros_after_it() {
        let good = archive();
        assert_eq!(walk_and_finish(&good), Ok(1));
        let mut padded = good.clone();
        padded.resize(10240, 0);
        assert_eq!(walk_and_finish(&padded), Ok(1), "record padding");
        assert_eq!(walk_and_finish(&good[..good.len() - 512]), Ok(1), "a lone zero block");
        let unmarked = walk_and_finish(&good[..good.len() - 1024]);
        assert!(unmarked.unwrap_err().contains("no end-of-archive marker"));
        assert!(walk_and_finish(b"").unwrap_err().contains("no end-of-archive marker"));
        let mut junk = good;
        junk.extend_from_slice(b"junk");
        assert!(walk_and_finish(&junk).unwrap_err().contains("other than zeros"));
    }
}
