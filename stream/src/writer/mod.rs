//! [`SealWriter`]: a `Write` that seals what it is given as the chunks of
//! one Cobblestone-256 message and writes them to an inner writer.

use crate::batch::{BATCH_PLAINTEXT_BYTES, Batch};
use crate::error::{Failure, FailureHandle, SealError};
use crate::io_thread::{SpawnWriter, ToIo, WriterThread};
use crate::io_util::{read_full_vectored, write_all_or_fail};
use crate::job::Sealing;
use crate::pipeline::Pipeline;
use crate::{Progress, workers_for};
use ebak_core::aead::{Aead, KEY_SIZE};
use ebak_core::chunk::{CHUNK_SIZE, SALT_SIZE};
use ebak_core::cobblestone::{self, ChunkCipher, Encryptor};
use std::fmt;
use std::io::{self, Read, Write};

mod offload;

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
    sink: Sink<W>,
    /// Set by [`SealWriter::with_io_thread`]: how to move the inner writer
    /// to its own thread when the workers start.
    offload: Option<SpawnWriter<W>>,
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

/// Where sealed batches are written.
enum Sink<W> {
    /// On the caller's thread.
    Local(W),
    /// On the writer's I/O thread, which owns the inner writer.
    Thread(WriterThread<W>),
    /// Lost (an I/O thread that panicked took it along).
    Gone,
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
            sink: Sink::Local(inner),
            offload: None,
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
        let outstanding = match &self.sink {
            Sink::Thread(t) => t.outstanding,
            _ => 0,
        };
        let in_flight = self.pipeline.in_flight().saturating_add(outstanding).saturating_mul(BATCH_PLAINTEXT_BYTES);
        in_flight.saturating_add(self.filled) as u64
    }

    /// The inner writer; `None` while an I/O thread owns it (see
    /// [`SealWriter::with_io_thread`]).
    pub fn get_ref(&self) -> Option<&W> {
        match &self.sink {
            Sink::Local(w) => Some(w),
            _ => None,
        }
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

    /// Counts a batch the inner writer took, and reports progress.
    fn count_written(&mut self, batch: &SealBatch, progress: &mut dyn FnMut(u64)) {
        let plaintext = batch.released_plaintext(batch.final_len);
        self.written = self.written.saturating_add(plaintext as u64);
        progress(self.written);
    }

    /// Writes out a processed batch (or hands it to the I/O thread), and
    /// recycles its buffer.
    fn write_out(&mut self, mut batch: SealBatch, progress: &mut dyn FnMut(u64)) -> Result<(), SealError> {
        let checked = if batch.panicked {
            self.failure.set(Failure::Worker);
            Err(Failure::Worker.to_seal_error())
        } else if let Some(e) = batch.failure.take() {
            Err(self.fail(SealError::Payload(e)))
        } else {
            self.check()
        };
        if let Err(e) = checked {
            self.pipeline.recycle(batch);
            return Err(e);
        }
        self.offload_if_due();
        match &mut self.sink {
            Sink::Local(w) => {
                let result = match batch.sealed_bytes() {
                    Some(bytes) => write_all_or_fail(w, bytes).map_err(SealError::Io),
                    None => Err(SealError::Payload(cobblestone::SealError::ChunkLength)),
                };
                match result {
                    Ok(()) => self.count_written(&batch, progress),
                    Err(e) => {
                        self.pipeline.recycle(batch);
                        return Err(self.fail(e));
                    }
                }
                self.pipeline.recycle(batch);
                Ok(())
            }
            Sink::Thread(t) => match t.send(ToIo::Batch(batch)) {
                Ok(()) => {
                    t.outstanding = t.outstanding.saturating_add(1);
                    self.collect(false, progress).map(|_| ())
                }
                Err(message) => {
                    if let ToIo::Batch(b) = message {
                        self.pipeline.recycle(b);
                    }
                    Err(self.io_thread_gone())
                }
            },
            Sink::Gone => {
                self.pipeline.recycle(batch);
                self.failure.set(Failure::Worker);
                Err(Failure::Worker.to_seal_error())
            }
        }
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
                self.check()?;
                self.collect(false, progress)?;
                if let Some(b) = self.pipeline.take_buffer() {
                    break b;
                }
                if let Some(done) = self.pipeline.next_done() {
                    self.write_out(done, progress)?;
                    continue;
                }
                // Every buffer is with the I/O thread: wait for one back.
                match &self.sink {
                    Sink::Thread(t) if t.outstanding > 0 => {
                        self.collect(true, progress)?;
                    }
                    _ => return Err(self.fail(SealError::Io(io::Error::other("no stream buffer is free")))),
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
        })?;
        match self.into_parts() {
            Some(w) => Ok((w, result)),
            None => Err(SealError::Io(io::Error::other("the inner writer was lost"))),
        }
    }

    pub(crate) fn finish_inner(&mut self, progress: &mut dyn FnMut(u64)) -> Result<u64, SealError> {
        self.check()?;
        self.current(progress)?;
        self.submit(true, progress)?;
        self.write_all_submitted(progress)?;
        self.join_io_thread(progress)?;
        self.check()?;
        match &mut self.sink {
            Sink::Local(w) => w.flush().map_err(SealError::Io).map_err(|e| self.fail(e))?,
            _ => return Err(self.fail(SealError::Io(io::Error::other("the inner writer was lost")))),
        }
        Ok(self.written)
    }

    fn into_parts(mut self) -> Option<W> {
        // Dropping the pipeline joins the workers; the buffers are wiped.
        drop(self.current.take());
        match std::mem::replace(&mut self.sink, Sink::Gone) {
            Sink::Local(w) => Some(w),
            _ => None,
        }
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
        let mut report = |n: u64| {
            if let Some(p) = progress.as_mut() {
                p(n);
            }
        };
        let result = self.check().and_then(|()| self.write_all_submitted(&mut report)).and_then(|()| {
            match &mut self.sink {
                Sink::Local(w) => w.flush().map_err(|e| self.fail(SealError::Io(e))),
                Sink::Thread(t) => {
                    if t.send(ToIo::Flush).is_err() {
                        return Err(self.io_thread_gone());
                    }
                    let flushed = loop {
                        if let Some(flushed) = self.collect(true, &mut report)? {
                            break flushed.map_err(SealError::Io);
                        }
                    };
                    // A write before the flush may have failed on the thread.
                    flushed.and_then(|()| self.check())
                }
                Sink::Gone => Err(SealError::Io(io::Error::other("the inner writer was lost"))),
            }
        });
        self.progress = progress;
        result.map_err(io_error)
    }
}

#[cfg(test)]
mod tests;
