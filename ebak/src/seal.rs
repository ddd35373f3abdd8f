//! Writing a backup to any `Write`: the header, then the payload sealed as
//! it is written ([`BackupWriter`]); and the two rewrites of an existing
//! backup, a new header over the same payload bytes (a password change)
//! and a re-encryption under a new key (a rotation).

use crate::error::{Error, Stage};
use crate::open::{Locked, Rest};
use crate::{Backend, StreamOptions};
use ebak_core::BackupKey;
use ebak_core::chunk::SALT_SIZE;
use ebak_core::file::{self, SealError, Unlocked};
use ebak_core::header::Header;
use ebak_stream::SealWriter;
use std::io::{self, Read, Write};

/// A fresh payload salt from the operating system's CSPRNG.
fn payload_salt() -> Result<[u8; SALT_SIZE], Error> {
    let mut salt = [0u8; SALT_SIZE];
    getrandom::fill(&mut salt).map_err(|e| Error::io(Stage::Random, io::Error::other(e)))?;
    Ok(salt)
}

/// A backup being written: what is written to it is the payload's
/// plaintext, sealed chunk by chunk into the inner writer after the header.
/// [`BackupWriter::finish`] writes the final chunk; a writer dropped
/// without it leaves a payload with no final chunk, which never opens as
/// complete.
#[derive(Debug)]
pub struct BackupWriter<W: Write> {
    inner: SealWriter<W, Backend>,
}

impl<W: Write> BackupWriter<W> {
    /// Writes `header` and the payload's salt and key commitment to `out`
    /// (spec 7.1), with a fresh salt, and returns the writer for the
    /// payload's plaintext.
    ///
    /// # Errors
    ///
    /// The context is too long ([`Error::Seal`]), the system RNG failed, or
    /// writing failed ([`Stage::WriteBackup`]).
    pub fn new(
        mut out: W,
        header: &Header,
        backup_key: &BackupKey,
        context: &[u8],
        options: StreamOptions,
    ) -> Result<Self, Error> {
        let salt = payload_salt()?;
        let (cipher, prefix) = file::payload_sealer::<Backend>(backup_key, &salt, context)
            .map_err(|_| Error::Seal(SealError::ContextTooLong))?;
        let write_err = |e| Error::io(Stage::WriteBackup, e);
        out.write_all(&header.to_bytes()).map_err(write_err)?;
        out.write_all(&prefix).map_err(write_err)?;
        let mut inner = SealWriter::new(out, cipher, options.threads);
        if let Some(progress) = options.progress {
            inner = inner.on_progress(progress);
        }
        Ok(Self { inner })
    }

    /// Seals everything `reader` gives, reading straight into the stream's
    /// buffers (the only copy), and returns the byte count.
    ///
    /// # Errors
    ///
    /// Reading failed ([`Stage::ReadSource`]) or writing failed
    /// ([`Stage::WriteBackup`]).
    pub fn copy_from<R: Read + ?Sized>(&mut self, reader: &mut R) -> Result<u64, Error> {
        let mut read_failed = false;
        let mut watched = WatchRead { inner: reader, failed: &mut read_failed };
        let result = self.inner.copy_from(&mut watched);
        result.map_err(|e| seal_error(e, if read_failed { Stage::ReadSource } else { Stage::WriteBackup }))
    }

    /// Writes the final chunk, flushes, and returns the inner writer and
    /// the plaintext length.
    ///
    /// # Errors
    ///
    /// Sealing or writing failed.
    pub fn finish(self) -> Result<(W, u64), Error> {
        let (mut out, n) = self.inner.finish().map_err(|e| seal_error(e, Stage::WriteBackup))?;
        out.flush().map_err(|e| Error::io(Stage::WriteBackup, e))?;
        Ok((out, n))
    }
}

/// Notes whether a read failed.
struct WatchRead<'a, R: ?Sized> {
    inner: &'a mut R,
    failed: &'a mut bool,
}

impl<R: Read + ?Sized> Read for WatchRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| *self.failed |= e.kind() != io::ErrorKind::Interrupted)
    }
}

fn seal_error(e: ebak_stream::SealError, io_stage: Stage) -> Error {
    match e {
        ebak_stream::SealError::Io(e) => Error::io(io_stage, e),
        ebak_stream::SealError::Payload(p) => Error::io(Stage::WriteBackup, io::Error::other(p.to_string())),
    }
}

impl<W: Write> Write for BackupWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `new_header` and then the payload of `locked` byte for byte to
/// `out` (spec 7.2: how a password is added, changed or removed), and
/// returns `out`.
///
/// # Errors
///
/// Reading the backup or writing failed.
pub fn replace_header<R: Read, W: Write>(locked: Locked<R>, new_header: &Header, mut out: W) -> Result<W, Error> {
    out.write_all(&new_header.to_bytes()).map_err(|e| Error::io(Stage::WriteBackup, e))?;
    let mut payload: Rest<R> = locked.into_payload();
    crate::io_util::copy(
        &mut payload,
        &mut out,
        |e| Error::io(Stage::ReadBackup, e),
        |e| Error::io(Stage::WriteBackup, e),
    )?;
    out.flush().map_err(|e| Error::io(Stage::WriteBackup, e))?;
    Ok(out)
}

/// Re-encrypts the payload of `locked` (opened with `unlocked` and
/// `context`) under `new_key` with `new_header` into `out` (spec 7.3: key
/// rotation), and returns `out` and the plaintext length. The plaintext
/// never leaves memory, and only verified plaintext is sealed again: if
/// the old payload fails to verify part-way, the new one is left without a
/// final chunk and the error says why.
///
/// # Errors
///
/// The old payload does not verify ([`Error::Open`]), or reading or
/// writing failed.
pub fn rotate<R: Read, W: Write>(
    locked: Locked<R>,
    unlocked: &Unlocked,
    context: &[u8],
    new_key: &BackupKey,
    new_header: &Header,
    out: W,
    options: StreamOptions,
) -> Result<(W, u64), Error> {
    let StreamOptions { threads, progress } = options;
    let mut payload = locked.open(unlocked, context, StreamOptions { threads, progress })?;
    let failure = payload.failure_handle();
    let mut writer = BackupWriter::new(out, new_header, new_key, context, StreamOptions { threads, progress: None })?;
    // The old payload failing is the cause of any read error the writer
    // sees.
    writer.copy_from(&mut payload).map_err(|e| failure.get().unwrap_or(e))?;
    payload.finish()?;
    writer.finish()
}
