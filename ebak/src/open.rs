//! Opening a backup from any `Read`: the header first ([`Locked`]), then
//! the secret ([`Locked::unlock`]), then the payload as a `Read` of
//! verified plaintext ([`Payload`]).

use crate::error::{Error, Stage};
use crate::{Backend, StreamOptions};
use ebak_core::Secret;
use ebak_core::chunk::PREFIX_SIZE;
use ebak_core::cobblestone::PayloadError;
use ebak_core::error::OpenError;
use ebak_core::file::{self, Unlocked};
use ebak_core::header::{Header, MAX_HEADER_SIZE};
use ebak_core::kdf::KdfLimits;
use ebak_stream::{Failure, FailureHandle, OpenReader};
use std::io::{self, Chain, Cursor, Read};

/// Reads up to `limit` bytes, fewer only at the end of the input.
fn read_up_to(r: &mut impl Read, limit: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(limit);
    r.take(u64::try_from(limit).unwrap_or(u64::MAX)).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Reads exactly `N` bytes; `None` if the input ends first.
pub(crate) fn read_array<const N: usize>(r: &mut impl Read) -> io::Result<Option<[u8; N]>> {
    let mut out = [0u8; N];
    match r.read_exact(&mut out) {
        Ok(()) => Ok(Some(out)),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

/// What follows the header: the bytes read past it while looking for its
/// end, then the rest of the input.
pub type Rest<R> = Chain<Cursor<Vec<u8>>, R>;

/// A backup whose header was read and parsed (spec 6 step 1), not yet
/// unlocked: enough to show its slots, or to rewrite its header.
#[derive(Debug)]
pub struct Locked<R> {
    header: Header,
    header_len: u64,
    rest: Rest<R>,
}

impl<R: Read> Locked<R> {
    /// Reads the header at the start of `input` (at most
    /// [`MAX_HEADER_SIZE`] bytes are read before it is parsed).
    ///
    /// # Errors
    ///
    /// Reading failed ([`Stage::ReadBackup`]) or the header is malformed
    /// ([`Error::Open`], class HeaderParse).
    pub fn read(mut input: R) -> Result<Self, Error> {
        let mut buf = read_up_to(&mut input, MAX_HEADER_SIZE).map_err(|e| Error::io(Stage::ReadBackup, e))?;
        let (header, len) =
            Header::parse_prefix(&buf).map_err(|e| Error::Open { error: e.into(), header_len: Some(0) })?;
        let rest = buf.split_off(len);
        Ok(Self { header, header_len: u64::try_from(len).unwrap_or(u64::MAX), rest: Cursor::new(rest).chain(input) })
    }

    /// The header.
    #[must_use]
    pub const fn header(&self) -> &Header {
        &self.header
    }

    /// The header's length in bytes: where the payload starts.
    #[must_use]
    pub const fn header_len(&self) -> u64 {
        self.header_len
    }

    /// Unlocks the header with `secret` (spec 6 steps 2 and 3): a password
    /// is tried on every password slot after the costs of all of them were
    /// checked against [`KdfLimits::V1`]; the header MAC is then checked.
    ///
    /// # Errors
    ///
    /// [`Error::Open`]: costs over the ceiling, no slot opens, or the MAC
    /// does not verify.
    pub fn unlock(&self, secret: &Secret) -> Result<Unlocked, Error> {
        file::unlock::<Backend>(&self.header, secret, &KdfLimits::V1)
            .map_err(|error| Error::Open { error, header_len: Some(self.header_len) })
    }

    /// The payload bytes as they are (to copy under a new header).
    pub fn into_payload(self) -> Rest<R> {
        self.rest
    }

    /// Starts opening the payload with the key `unlocked` holds: reads the
    /// 56-byte prefix and checks the key commitment (spec 6 step 4), then
    /// returns the verified plaintext as a reader.
    ///
    /// # Errors
    ///
    /// The context is too long, the payload is missing or its commitment
    /// does not match ([`Error::Open`]), or reading failed.
    pub fn open(self, unlocked: &Unlocked, context: &[u8], options: StreamOptions) -> Result<Payload<R>, Error> {
        let header_len = self.header_len;
        let open_err = |error: OpenError| Error::Open { error, header_len: Some(header_len) };
        // A usage error, refused before the payload is read (spec 5).
        file::payload_context(context).map_err(|_| open_err(OpenError::ContextTooLong))?;
        let mut rest = self.rest;
        let prefix = read_array::<PREFIX_SIZE>(&mut rest)
            .map_err(|e| Error::io(Stage::ReadBackup, e))?
            .ok_or(open_err(OpenError::Payload(PayloadError::MissingPrefix)))?;
        let cipher = unlocked.payload_cipher::<Backend>(context, &prefix).map_err(open_err)?;
        let mut reader = OpenReader::new(rest, cipher, options.threads);
        if let Some(progress) = options.progress {
            reader = reader.on_progress(progress);
        }
        let failure = reader.failure_handle();
        Ok(Payload { reader, failure, header_len })
    }
}

/// The verified plaintext of a payload, as a reader: it releases a chunk's
/// bytes only after the chunk verified, and ends (`Ok(0)`) only after the
/// final chunk verified. Consumers that stop at their own end (tar, zstd)
/// leave the rest: [`Payload::finish`] verifies it.
#[derive(Debug)]
pub struct Payload<R: Read> {
    reader: OpenReader<Rest<R>, Backend>,
    failure: FailureHandle,
    header_len: u64,
}

impl<R: Read> Payload<R> {
    /// What ended the payload stream, if it failed: [`Error::Open`] (a
    /// chunk did not verify, the stream was cut or extended) or reading
    /// the backup failed.
    #[must_use]
    pub fn failure(&self) -> Option<Error> {
        failure_error(&self.failure, self.header_len)
    }

    /// A handle for [`Payload::failure`] that outlives the reader (once a
    /// decoder owns it).
    #[must_use]
    pub fn failure_handle(&self) -> PayloadFailure {
        PayloadFailure { handle: self.failure.clone(), header_len: self.header_len }
    }

    /// Reads and verifies the rest of the payload, and returns the whole
    /// plaintext length.
    ///
    /// # Errors
    ///
    /// The rest does not verify, or reading failed.
    pub fn finish(self) -> Result<u64, Error> {
        let header_len = self.header_len;
        let failure = self.failure.clone();
        self.reader.finish().map(|(_, n)| n).map_err(|e| {
            failure_error(&failure, header_len).unwrap_or_else(|| match e {
                ebak_stream::OpenError::Payload(error) => {
                    Error::Open { error: error.into(), header_len: Some(header_len) }
                }
                ebak_stream::OpenError::Io(e) => Error::io(Stage::ReadBackup, e),
            })
        })
    }
}

impl<R: Read> Read for Payload<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

impl<R: Read> io::BufRead for Payload<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.reader.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.reader.consume(amount);
    }
}

/// Says what ended a [`Payload`] (see [`Payload::failure_handle`]).
#[derive(Clone, Debug)]
pub struct PayloadFailure {
    handle: FailureHandle,
    header_len: u64,
}

impl PayloadFailure {
    /// What ended the payload stream, if it failed.
    #[must_use]
    pub fn get(&self) -> Option<Error> {
        failure_error(&self.handle, self.header_len)
    }

    /// The error a consumer's read failure stands for: the payload's own
    /// failure if there was one (the consumer only saw its consequence),
    /// else `otherwise(e)`.
    pub fn blame(&self, e: io::Error, otherwise: impl FnOnce(io::Error) -> Error) -> Error {
        self.get().unwrap_or_else(|| otherwise(e))
    }
}

fn failure_error(handle: &FailureHandle, header_len: u64) -> Option<Error> {
    Some(match handle.get()? {
        Failure::Payload(p) => Error::Open { error: OpenError::Payload(*p), header_len: Some(header_len) },
        Failure::Io { kind, message } => Error::io(Stage::ReadBackup, io::Error::new(*kind, message.clone())),
        other => Error::io(Stage::ReadBackup, io::Error::other(format!("{other:?}"))),
    })
}
