//! Random access to a backup on a `Read + Seek` (a file, a store's ranged
//! reads): open any chunk by index, reading only its bytes (spec 6.1).
//!
//! The key commitment is checked when the reader is made; every chunk is
//! authenticated before a byte of it is returned; the payload's length is
//! authenticated only by opening its final chunk ([`RandomReader::verify_len`]),
//! which a caller seeking from the end must do first (the Cobblestone
//! spec's rule).

use crate::Backend;
use crate::error::{Error, Stage};
use crate::open::read_array;
use ebak_core::chunk::{Layout, PREFIX_SIZE};
use ebak_core::cobblestone::{PayloadError, RandomAccess};
use ebak_core::error::OpenError;
use ebak_core::file::Unlocked;
use std::io::{Read, Seek, SeekFrom};

/// Opens chunks of a payload by index.
#[derive(Debug)]
pub struct RandomReader<R> {
    inner: R,
    header_len: u64,
    access: RandomAccess<Backend>,
    buffer: Vec<u8>,
}

impl<R: Read + Seek> RandomReader<R> {
    /// Random access to the payload that starts at `header_len` in `inner`
    /// and runs to its end, with the key `unlocked` holds: reads the
    /// prefix and checks the key commitment.
    ///
    /// # Errors
    ///
    /// The commitment does not match or no payload has this length
    /// ([`Error::Open`]), or reading failed.
    pub fn new(mut inner: R, header_len: u64, unlocked: &Unlocked, context: &[u8]) -> Result<Self, Error> {
        let read_err = |e| Error::io(Stage::ReadBackup, e);
        let open_err = |error: OpenError| Error::Open { error, header_len: Some(header_len) };
        let end = inner.seek(SeekFrom::End(0)).map_err(read_err)?;
        let payload_len =
            end.checked_sub(header_len).ok_or(open_err(OpenError::Payload(PayloadError::MissingPrefix)))?;
        inner.seek(SeekFrom::Start(header_len)).map_err(read_err)?;
        let prefix = read_array::<PREFIX_SIZE>(&mut inner)
            .map_err(read_err)?
            .ok_or(open_err(OpenError::Payload(PayloadError::MissingPrefix)))?;
        let access = unlocked.random_access::<Backend>(context, &prefix, payload_len).map_err(open_err)?;
        Ok(Self { inner, header_len, access, buffer: Vec::new() })
    }

    /// The chunk layout the payload's length implies (authenticated only
    /// once [`RandomReader::verify_len`] or the final chunk's read succeeded).
    #[must_use]
    pub const fn layout(&self) -> Layout {
        self.access.layout()
    }

    /// The plaintext of chunk `index` (16 KiB, less for the final chunk),
    /// authenticated. Reads only that chunk's bytes.
    ///
    /// # Errors
    ///
    /// No such chunk, it does not verify ([`Error::Open`]), or reading
    /// failed.
    pub fn read_chunk(&mut self, index: u64) -> Result<&[u8], Error> {
        let header_len = self.header_len;
        let open_err = |p: PayloadError| Error::Open { error: OpenError::Payload(p), header_len: Some(header_len) };
        let (offset, len) = self.access.chunk_range(index).ok_or(open_err(PayloadError::Chunk { index }))?;
        let len = usize::try_from(len).map_err(|_| open_err(PayloadError::ChunkLength))?;
        let at = header_len.checked_add(offset).ok_or(open_err(PayloadError::ChunkLength))?;
        self.inner.seek(SeekFrom::Start(at)).map_err(|e| Error::io(Stage::ReadBackup, e))?;
        self.buffer.resize(len, 0);
        match self.inner.read_exact(&mut self.buffer) {
            Ok(()) => {}
            // The length said the chunk is there: the file shrank.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(open_err(PayloadError::Truncated { chunks: index }));
            }
            Err(e) => return Err(Error::io(Stage::ReadBackup, e)),
        }
        let plaintext = self.access.open_chunk(index, &mut self.buffer).map_err(open_err)?;
        Ok(plaintext)
    }

    /// Authenticates the payload's length by opening its final chunk, and
    /// returns the plaintext length.
    ///
    /// # Errors
    ///
    /// As [`RandomReader::read_chunk`] for the final chunk.
    pub fn verify_len(&mut self) -> Result<u64, Error> {
        let last = self.layout().chunk_count.saturating_sub(1);
        self.read_chunk(last)?;
        Ok(self.layout().message_len)
    }

    /// Reads plaintext at `offset` into `buf`, opening the chunks it spans;
    /// returns the bytes read (fewer than asked only at the end).
    ///
    /// # Errors
    ///
    /// As [`RandomReader::read_chunk`].
    pub fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, Error> {
        let chunk = ebak_core::chunk::CHUNK_SIZE_BYTES;
        let mut done = 0usize;
        while done < buf.len() {
            let at = offset.saturating_add(done as u64);
            if at >= self.layout().message_len {
                break;
            }
            let index = at.checked_div(chunk).unwrap_or(0);
            let within = usize::try_from(at.checked_rem(chunk).unwrap_or(0)).unwrap_or(0);
            let plaintext = self.read_chunk(index)?;
            let available = plaintext.get(within..).unwrap_or_default();
            let Some(out) = buf.get_mut(done..) else { break };
            let n = available.len().min(out.len());
            if n == 0 {
                break;
            }
            if let (Some(dst), Some(src)) = (out.get_mut(..n), available.get(..n)) {
                dst.copy_from_slice(src);
            }
            done = done.saturating_add(n);
        }
        Ok(done)
    }

    /// The inner reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}
