//! [`SealWriter`]: a `Write` that seals what it is given as the chunks of
//! one Cobblestone-256 message and writes them to an inner writer.

use crate::batch::{BATCH_PLAINTEXT_BYTES, Batch};
use crate::error::{Failure, FailureHandle, SealError};
use crate::io_util::{read_full_vectored, write_all_or_fail};
use crate::job::Sealing;
use crate::pipeline::Pipeline;
use crate::{Progress, workers_for};
use ebak_core::aead::{Aead, KEY_SIZE};
use ebak_core::chunk::{CHUNK_SIZE, SALT_SIZE};
use ebak_core::cobblestone::{self, ChunkCipher, Encryptor};
use std::fmt;
use std::io::{self, Read, Write};

type SealBatch = Batch<cobblestone::SealError>;

/// Seals everything written to it as one Cobblestone-256 message (the
/// chunks only: the 56-byte salt and commitment are written before, by
/// whoever derived the [`ChunkCipher`]) and writes the sealed chunks to
/// the inner writer, a batch of [`BATCH_CHUNKS`](crate::BATCH_CHUNKS)
/// chunks per `write` call on it.
///
/// - **Ending**: only [`SealWriter::finish`] seals the final chunk (the
///   buffered rest, shorter than 16 KiB and possibly empty). A writer
///   dropped without `finish` leaves a stream without a final chunk, which
///   every opener rejects as truncated: it can never pass for a complete
///   message.
/// - **Threads**: with `threads` other than 1 the AEAD work runs on worker
///   threads the writer owns (started at the first full batch, joined by
///   `finish` or drop); `write` copies into a batch buffer and writes
///   sealed batches out in order, on the caller's thread. Memory is
///   `threads + 2` batch buffers (about 525 KB each). The bytes are the
///   same for any number of threads.
/// - **Failures**: after the first failure every call fails. Every
///   `io::Error` it returns wraps a [`SealError`] (find it with
///   [`find_error`](crate::find_error) through any wrapping layer), and
///   [`SealWriter::failure_handle`] tells afterwards what ended the stream.
/// - **Flush** writes out every sealed batch and flushes the inner writer;
///   it cannot seal a partial chunk (a short chunk ends a message), so up
///   to one batch of plaintext stays buffered until more comes or
///   `finish`.
pub struct SealWriter<W: Write, A: Aead + 'static> {
    inner: W,
    pipeline: Pipeline<Sealing<A>>,
    /// The batch being filled, and the plaintext bytes in it.
    current: Option<SealBatch>,
    filled: usize,
    /// Plaintext bytes sealed and written to the inner writer.
    written: u64,
    failure: FailureHandle,
    progress: Option<Progress>,
}

impl<W: Write, A: Aead + 'static> fmt::Debug for SealWriter<W, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealWriter")
            .field("written", &self.written)
            .field("failure", &self.failure.get())
            .finish_non_exhaustive()
    }
}

fn io_error(e: SealError) -> io::Error {
    let kind = match &e {
        SealError::Io(e) => e.kind(),
        SealError::Payload(_) => io::ErrorKind::InvalidInput,
    };
    io::Error::new(kind, e)
}

impl<W: Write, A: Aead + 'static> SealWriter<W, A> {
    /// Seals with `cipher` (from
    /// [`Encryptor::into_cipher`](ebak_core::cobblestone::Encryptor::into_cipher),
    /// after its 56-byte prefix was written to `inner`) on `threads`
    /// threads (0: one per core; 1: serial, on the caller's thread).
    #[must_use]
    pub fn new(inner: W, cipher: ChunkCipher<A>, threads: usize) -> Self {
        Self {
            inner,
            pipeline: Pipeline::new(Sealing { cipher }, workers_for(threads)),
            current: None,
            filled: 0,
            written: 0,
            failure: FailureHandle::default(),
            progress: None,
        }
    }

    /// Derives the keys from a raw input key (tests, benches, the
    /// one-call [`seal`](crate::seal)), writes the salt and commitment to
    /// `inner`, and returns the writer for the chunks.
    ///
    /// # Errors
    ///
    /// Writing the prefix failed.
    pub fn with_key(
        input_key: &[u8; KEY_SIZE],
        salt: &[u8; SALT_SIZE],
        context: &[u8],
        mut inner: W,
        threads: usize,
    ) -> Result<Self, SealError> {
        let (encryptor, prefix) = Encryptor::<A>::new(input_key, salt, context);
        inner.write_all(&prefix)?;
        Ok(Self::new(inner, encryptor.into_cipher(), threads))
    }

    /// Calls `progress` with the plaintext bytes sealed and written so far,
    /// after each batch is written (on the thread that calls the writer).
    #[must_use]
    pub fn on_progress(mut self, progress: impl FnMut(u64) + Send + 'static) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// A handle that says, now or later, what ended the stream.
    #[must_use]
    pub fn failure_handle(&self) -> FailureHandle {
        self.failure.clone()
    }

    /// The plaintext bytes accepted so far (written to this writer, sealed
    /// or still buffered).
    #[must_use]
    pub fn plaintext_len(&self) -> u64 {
        self.written.saturating_add(self.buffered())
    }

    fn buffered(&self) -> u64 {
        let in_flight = self.pipeline.in_flight().saturating_mul(BATCH_PLAINTEXT_BYTES);
        in_flight.saturating_add(self.filled) as u64
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    fn check(&self) -> Result<(), SealError> {
        self.failure.get().map_or(Ok(()), |f| Err(f.to_seal_error()))
    }

    fn fail(&self, e: SealError) -> SealError {
        let failure = match &e {
            SealError::Io(io) => Failure::io(io),
            SealError::Payload(p) => Failure::Refused(*p),
        };
        self.failure.set(failure);
        e
    }

    /// Writes out a processed batch and recycles its buffer.
    fn write_out(&mut self, mut batch: SealBatch, progress: &mut dyn FnMut(u64)) -> Result<(), SealError> {
        let result = if batch.panicked {
            self.failure.set(Failure::Worker);
            Err(Failure::Worker.to_seal_error())
        } else if let Some(e) = batch.failure.take() {
            Err(self.fail(SealError::Payload(e)))
        } else {
            match batch.sealed_bytes() {
                Some(bytes) => write_all_or_fail(&mut self.inner, bytes).map_err(|e| self.fail(SealError::Io(e))),
                None => Err(self.fail(SealError::Payload(cobblestone::SealError::ChunkLength))),
            }
        };
        if result.is_ok() {
            let plaintext = batch.released_plaintext(batch.final_len);
            self.written = self.written.saturating_add(plaintext as u64);
            progress(self.written);
        }
        self.pipeline.recycle(batch);
        result
    }

    /// Writes out the batches that are already sealed, oldest first,
    /// without waiting for the others.
    fn write_ready(&mut self, progress: &mut dyn FnMut(u64)) -> Result<(), SealError> {
        while let Some(batch) = self.pipeline.try_next_done() {
            self.write_out(batch, progress)?;
        }
        Ok(())
    }

    /// Writes out every submitted batch, waiting for each.
    fn write_all_submitted(&mut self, progress: &mut dyn FnMut(u64)) -> Result<(), SealError> {
        while let Some(batch) = self.pipeline.next_done() {
            self.write_out(batch, progress)?;
        }
        Ok(())
    }

    /// The batch being filled, taking a buffer (and first writing out the
    /// oldest batch, if every buffer is in use) when there is none.
    fn current(&mut self, progress: &mut dyn FnMut(u64)) -> Result<&mut SealBatch, SealError> {
        if self.current.is_none() {
            let batch = loop {
                if let Some(b) = self.pipeline.take_buffer() {
                    break b;
                }
                match self.pipeline.next_done() {
                    Some(done) => self.write_out(done, progress)?,
                    None => return Err(self.fail(SealError::Io(io::Error::other("no stream buffer is free")))),
                }
            };
            self.filled = 0;
            self.current = Some(batch);
        }
        self.current.as_mut().ok_or_else(|| SealError::Io(io::Error::other("no stream buffer")))
    }

    /// Submits the batch being filled: full chunks only, or (`last`) with
    /// the rest as the final chunk.
    fn submit(&mut self, last: bool, progress: &mut dyn FnMut(u64)) -> Result<(), SealError> {
        let Some(mut batch) = self.current.take() else { return Ok(()) };
        batch.full_chunks = self.filled / CHUNK_SIZE;
        // From the Cobblestone spec: "the final chunk ... MUST be shorter
        // than 16 KiB, and MAY be empty": a full chunk is never final, so
        // a message that fills its last batch exactly ends with an empty
        // final chunk in a batch of its own.
        batch.final_len = last.then_some(self.filled % CHUNK_SIZE);
        self.filled = 0;
        self.pipeline.submit(batch, last);
        self.write_ready(progress)
    }

    /// Copies `buf` into the stream (up to the end of the current batch);
    /// seals and submits the batch when it is full.
    fn write_inner(&mut self, buf: &[u8], progress: &mut dyn FnMut(u64)) -> Result<usize, SealError> {
        self.check()?;
        if buf.is_empty() {
            return Ok(0);
        }
        let mut taken = 0;
        let mut filled = self.filled;
        let batch = self.current(progress)?;
        while let Some(rest) = buf.get(taken..) {
            let room = batch.room_at(filled);
            let n = room.len().min(rest.len());
            if n == 0 {
                break;
            }
            if let (Some(dst), Some(src)) = (room.get_mut(..n), rest.get(..n)) {
                dst.copy_from_slice(src);
            }
            taken = taken.saturating_add(n);
            filled = filled.saturating_add(n);
        }
        self.filled = filled;
        if filled >= BATCH_PLAINTEXT_BYTES {
            self.submit(false, progress)?;
        }
        Ok(taken)
    }

    /// Reads `reader` to its end straight into the stream's batch buffers
    /// (the reader's copy is the only one) and returns the bytes read:
    /// the fast path for sealing a file, a pipe or another adapter.
    ///
    /// # Errors
    ///
    /// Reading failed ([`SealError::Io`]; the stream then fails), or
    /// sealing or writing a batch failed.
    pub fn copy_from<R: Read + ?Sized>(&mut self, reader: &mut R) -> Result<u64, SealError> {
        let mut progress = self.progress.take();
        let result = self.copy_from_inner(reader, &mut |n| {
            if let Some(p) = progress.as_mut() {
                p(n);
            }
        });
        self.progress = progress;
        result
    }

    pub(crate) fn copy_from_inner<R: Read + ?Sized>(
        &mut self,
        reader: &mut R,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, SealError> {
        self.check()?;
        let mut total = 0u64;
        loop {
            let filled = self.filled;
            let batch = self.current(progress)?;
            let (mut room, used) = batch.room_from(filled);
            let got = read_full_vectored(reader, room.get_mut(..used).unwrap_or_default());
            self.filled = filled.saturating_add(got.bytes);
            total = total.saturating_add(got.bytes as u64);
            if let Some(e) = got.error {
                return Err(self.fail(SealError::Io(e)));
            }
            if self.filled >= BATCH_PLAINTEXT_BYTES {
                self.submit(false, progress)?;
            } else {
                return Ok(total);
            }
        }
    }

    /// Seals the final chunk, writes out every batch, flushes the inner
    /// writer, stops the workers, and returns the inner writer and the
    /// message length.
    ///
    /// # Errors
    ///
    /// The stream failed before, or sealing, writing or flushing failed
    /// now: the output is then incomplete and must be discarded.
    pub fn finish(mut self) -> Result<(W, u64), SealError> {
        let mut progress = self.progress.take();
        let result = self.finish_inner(&mut |n| {
            if let Some(p) = progress.as_mut() {
                p(n);
            }
        });
        result.map(|len| (self.into_parts(), len))
    }

    pub(crate) fn finish_inner(&mut self, progress: &mut dyn FnMut(u64)) -> Result<u64, SealError> {
        self.check()?;
        self.current(progress)?;
        self.submit(true, progress)?;
        self.write_all_submitted(progress)?;
        self.inner.flush().map_err(|e| self.fail(SealError::Io(e)))?;
        Ok(self.written)
    }

    fn into_parts(self) -> W {
        // Dropping the pipeline joins the workers; the buffers are wiped.
        let Self { inner, pipeline, current, .. } = self;
        drop(current);
        drop(pipeline);
        inner
    }
}

impl<W: Write, A: Aead + 'static> Write for SealWriter<W, A> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut progress = self.progress.take();
        let result = self.write_inner(buf, &mut |n| {
            if let Some(p) = progress.as_mut() {
                p(n);
            }
        });
        self.progress = progress;
        result.map_err(io_error)
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut progress = self.progress.take();
        let result = self.check().and_then(|()| {
            self.write_all_submitted(&mut |n| {
                if let Some(p) = progress.as_mut() {
                    p(n);
                }
            })
        });
        self.progress = progress;
        result.map_err(io_error)?;
        self.inner.flush().map_err(|e| io_error(self.fail(SealError::Io(e))))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
mod tests {
    use super::*;
    use ebak_core::aead::DefaultAead;
    use ebak_core::chunk::MAX_CHUNK_COUNT;

    /// The core refuses chunk 2^38; the writer reports that refusal (not an
    /// I/O error), keeps failing, and never writes the refused batch.
    #[test]
    fn the_core_refusing_a_chunk_index_is_a_refusal_not_an_io_error() {
        for threads in [1, 2] {
            let cipher = ChunkCipher::<DefaultAead>::raw(&[1; 32], [2; 12]);
            let mut out = Vec::new();
            let mut w = SealWriter::new(&mut out, cipher, threads);
            // The last batch whose chunks all have indices below 2^38.
            w.pipeline.start_at(MAX_CHUNK_COUNT / crate::BATCH_CHUNKS as u64 - 1);
            let handle = w.failure_handle();
            w.write_all(&vec![7u8; BATCH_PLAINTEXT_BYTES]).unwrap();
            let e = w.finish().unwrap_err();
            assert!(matches!(e, SealError::Payload(cobblestone::SealError::TooManyChunks)), "{e:?}");
            assert_eq!(handle.get(), Some(&Failure::Refused(cobblestone::SealError::TooManyChunks)));
            assert_eq!(out.len(), crate::batch::BATCH_BYTES, "{threads} threads: only the batch below 2^38");

            // Through `Write`: the io::Error carries the refusal.
            let cipher = ChunkCipher::<DefaultAead>::raw(&[1; 32], [2; 12]);
            let mut w = SealWriter::new(io::sink(), cipher, threads);
            w.pipeline.start_at(MAX_CHUNK_COUNT / crate::BATCH_CHUNKS as u64);
            let e = w.write_all(&vec![7u8; 2 * BATCH_PLAINTEXT_BYTES + 1]).and_then(|()| w.flush()).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            assert!(matches!(
                crate::find_error::<SealError>(&e),
                Some(SealError::Payload(cobblestone::SealError::TooManyChunks))
            ));
            assert!(w.write(b"x").is_err(), "a failed writer accepted more");
        }
    }
}
