//! [`OpenReader`]: a `Read` (and `BufRead`) that opens a Cobblestone-256
//! message from an inner reader and releases only verified plaintext.

use crate::batch::{BATCH_BYTES, Batch};
use crate::error::{Failure, FailureHandle, OpenError};
use crate::io_util::{read_full, write_all_vectored};
use crate::job::Opening;
use crate::pipeline::Pipeline;
use crate::{Progress, workers_for};
use ebak_core::aead::{Aead, KEY_SIZE};
use ebak_core::chunk::{ENCRYPTED_CHUNK_SIZE, PREFIX_SIZE, TAG_SIZE};
use ebak_core::cobblestone::{self, ChunkCipher, PayloadError};
use std::fmt;
use std::io::{self, BufRead, Read, Write};

type OpenBatch = Batch<PayloadError>;

/// Opens one Cobblestone-256 message (the chunks only: the 56-byte salt
/// and commitment were read and checked by whoever made the
/// [`ChunkCipher`]) from the inner reader, reading a batch of
/// [`BATCH_CHUNKS`](crate::BATCH_CHUNKS) encrypted chunks per `read` call
/// on it.
///
/// - **Only verified plaintext**: a chunk's plaintext is released after
///   its tag verified, and never a byte of a chunk that did not. The
///   verdict (class and chunk index) is the core's serial one for the same
///   bytes: after a failure, exactly the plaintext of the chunks before the
///   failing one has been released (the Wycheproof PartialPlaintext rule).
/// - **End of file** (`Ok(0)`) only after the final chunk verified at the
///   end of the inner reader. A truncated, extended or reordered stream
///   ends in an error instead, never in a clean end of file. A consumer
///   that stops reading early (tar at its end-of-archive marker, zstd at
///   the end of its frame) has not seen the end: [`OpenReader::finish`]
///   reads and verifies the rest.
/// - **Failures**: after the first failure every call fails. Every
///   `io::Error` it returns wraps an [`OpenError`] (find it with
///   [`find_error`](crate::find_error) through any wrapping layer), and
///   [`OpenReader::failure_handle`] tells afterwards what ended the stream.
/// - **Threads**: with `threads` other than 1 the AEAD work runs on worker
///   threads the reader owns, which open the batches read ahead (at most
///   `threads + 2` batch buffers, about 525 KB each); reading the inner
///   reader and copying plaintext out stay on the caller's thread.
/// - **Zero copy**: through [`BufRead`], plaintext is borrowed from the
///   batch buffer in which it was opened (up to the end of its chunk per
///   `fill_buf`).
pub struct OpenReader<R: Read, A: Aead + 'static> {
    inner: R,
    pipeline: Pipeline<Opening<A>>,
    /// The batch being served, how much of it the caller consumed, and how
    /// much it may release.
    current: Option<OpenBatch>,
    pos: usize,
    end: usize,
    /// The inner reader ended or failed: nothing more is read from it.
    input_ended: bool,
    /// The final chunk verified and was served: the stream is complete.
    done: bool,
    /// Verified plaintext bytes released to the caller so far, and
    /// verified so far (released or ready to be).
    released: u64,
    verified: u64,
    failure: FailureHandle,
    progress: Option<Progress>,
}

impl<R: Read, A: Aead + 'static> fmt::Debug for OpenReader<R, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenReader")
            .field("released", &self.released)
            .field("done", &self.done)
            .field("failure", &self.failure.get())
            .finish_non_exhaustive()
    }
}

/// An `OpenError` as the `io::Error` a `Read` call returns.
fn io_error(e: OpenError) -> io::Error {
    let kind = match &e {
        OpenError::Io(e) => e.kind(),
        OpenError::Payload(_) => io::ErrorKind::InvalidData,
    };
    io::Error::new(kind, e)
}

/// Why the reader stopped: the failure, and the first time an inner read
/// error is reported, that error itself (later calls rebuild it from the
/// failure's kind and message).
struct Stopped {
    failure: Failure,
    original: Option<io::Error>,
}

impl Stopped {
    fn into_open_error(self) -> OpenError {
        match self.original {
            Some(e) => OpenError::Io(e),
            None => self.failure.to_open_error(),
        }
    }
}

/// What the reader has for its caller.
enum Step {
    /// Verified plaintext is ready in the current batch.
    Data,
    /// The stream is complete.
    End,
}

impl<R: Read, A: Aead + 'static> OpenReader<R, A> {
    /// Opens with `cipher` (from
    /// [`check_prefix`](ebak_core::cobblestone::check_prefix), after the
    /// 56-byte prefix was read from `inner`) on `threads` threads (0: one
    /// per core; 1: serial, on the caller's thread).
    #[must_use]
    pub fn new(inner: R, cipher: ChunkCipher<A>, threads: usize) -> Self {
        Self {
            inner,
            pipeline: Pipeline::new(Opening { cipher }, workers_for(threads)),
            current: None,
            pos: 0,
            end: 0,
            input_ended: false,
            done: false,
            released: 0,
            verified: 0,
            failure: FailureHandle::default(),
            progress: None,
        }
    }

    /// Reads the salt and commitment from `inner`, checks the commitment
    /// against a raw input key (tests, benches, the one-call
    /// [`open`](crate::open)), and returns the reader for the chunks.
    ///
    /// # Errors
    ///
    /// Reading failed, the input is shorter than the prefix
    /// ([`PayloadError::MissingPrefix`]), or the commitment does not match
    /// ([`PayloadError::Commitment`]).
    pub fn with_key(
        input_key: &[u8; KEY_SIZE],
        context: &[u8],
        mut inner: R,
        threads: usize,
    ) -> Result<Self, OpenError> {
        let mut prefix = [0u8; PREFIX_SIZE];
        let filled = read_full(&mut inner, &mut prefix);
        if let Some(e) = filled.error {
            return Err(OpenError::Io(e));
        }
        if filled.bytes < PREFIX_SIZE {
            return Err(OpenError::Payload(PayloadError::MissingPrefix));
        }
        // From the Cobblestone spec: "When decrypting, implementations MUST
        // check the commitment matches the derived value before continuing."
        let cipher = cobblestone::check_prefix::<A>(input_key, context, &prefix).map_err(OpenError::Payload)?;
        Ok(Self::new(inner, cipher, threads))
    }

    /// Calls `progress` with the plaintext bytes verified so far, each time
    /// a batch verified (on the thread that calls the reader).
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

    /// Whether the final chunk verified and all plaintext was released.
    #[must_use]
    pub const fn is_done(&self) -> bool {
        self.done
    }

    /// The verified plaintext bytes released so far.
    #[must_use]
    pub const fn plaintext_released(&self) -> u64 {
        self.released
    }

    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    fn fail(&self, failure: Failure) -> Stopped {
        Stopped { failure: self.failure.set(failure).clone(), original: None }
    }

    /// Reads the next batch of ciphertext into a free buffer and submits
    /// it, as long as buffers are free and the input goes on.
    fn read_ahead(&mut self) {
        while !self.input_ended {
            let Some(mut batch) = self.pipeline.take_buffer() else { return };
            let filled = read_full(&mut self.inner, batch.bytes_mut());
            batch.full_chunks = filled.bytes / ENCRYPTED_CHUNK_SIZE;
            if let Some(e) = filled.error {
                // The full chunks before the error are still opened and
                // released (as the serial opener would have), the partial
                // one is not.
                batch.read_error = Some(e);
            } else if filled.bytes < BATCH_BYTES {
                // The input ended: what follows the full chunks, possibly
                // nothing, must be the final chunk.
                batch.final_len = Some(filled.bytes % ENCRYPTED_CHUNK_SIZE);
            }
            let last = batch.ends_input();
            self.input_ended = last;
            self.pipeline.submit(batch, last);
        }
    }

    /// Makes verified plaintext ready in the current batch, or says the
    /// stream is complete; fails with the first failure, forever.
    fn step(&mut self, progress: &mut dyn FnMut(u64)) -> Result<Step, Stopped> {
        loop {
            if let Some(f) = self.failure.get() {
                return Err(Stopped { failure: f.clone(), original: None });
            }
            if self.pos < self.end {
                return Ok(Step::Data);
            }
            if self.done {
                return Ok(Step::End);
            }
            if let Some(batch) = self.current.as_mut() {
                // The batch is drained: what ended it, if anything?
                if batch.panicked {
                    return Err(self.fail(Failure::Worker));
                }
                if let Some(e) = batch.failure.take() {
                    return Err(self.fail(Failure::Payload(e)));
                }
                if let Some(e) = batch.read_error.take() {
                    let failure = Failure::io(&e);
                    self.failure.set(failure.clone());
                    return Err(Stopped { failure, original: Some(e) });
                }
                if batch.final_len.is_some() {
                    self.done = true;
                    return Ok(Step::End);
                }
            }
            if let Some(old) = self.current.take() {
                self.pipeline.recycle(old);
            }
            self.read_ahead();
            let Some(batch) = self.pipeline.next_done() else {
                // Nothing in flight and the input ended: only a failure
                // recorded above gets here.
                return Err(self.fail(Failure::Worker));
            };
            let final_plaintext = batch.final_len.map(|len| len.saturating_sub(TAG_SIZE));
            self.pos = 0;
            self.end = batch.released_plaintext(final_plaintext);
            self.verified = self.verified.saturating_add(self.end as u64);
            self.current = Some(batch);
            progress(self.verified);
        }
    }

    fn step_with_progress(&mut self) -> Result<Step, Stopped> {
        let mut progress = self.progress.take();
        let result = self.step(&mut |n| {
            if let Some(p) = progress.as_mut() {
                p(n);
            }
        });
        self.progress = progress;
        result
    }

    fn consume_bytes(&mut self, n: usize) {
        let n = n.min(self.end.saturating_sub(self.pos));
        self.pos = self.pos.saturating_add(n);
        self.released = self.released.saturating_add(n as u64);
    }

    /// Reads and verifies the rest of the stream (discarding plaintext the
    /// caller did not read) through its final chunk, stops the workers,
    /// and returns the inner reader and the message length.
    ///
    /// # Errors
    ///
    /// The stream failed before, or fails now: the payload does not verify
    /// or reading failed.
    pub fn finish(mut self) -> Result<(R, u64), OpenError> {
        loop {
            match self.step_with_progress() {
                Ok(Step::Data) => self.consume_bytes(self.end.saturating_sub(self.pos)),
                Ok(Step::End) => break,
                Err(stopped) => return Err(stopped.into_open_error()),
            }
        }
        let len = self.released;
        let Self { inner, pipeline, current, .. } = self;
        drop(current);
        drop(pipeline);
        Ok((inner, len))
    }

    /// Writes all verified plaintext to `writer`, batch by batch (one
    /// vectored write per batch, straight from the buffer it was opened
    /// in), through the end of the stream; returns the message length.
    pub(crate) fn write_to<W: Write + ?Sized>(
        &mut self,
        writer: &mut W,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, OpenError> {
        loop {
            match self.step(&mut |_| {}) {
                Ok(Step::Data) => {
                    let Some(batch) = self.current.as_ref() else { continue };
                    let (mut slices, used) = batch.plaintext_slices(self.pos, self.end);
                    if let Err(e) = write_all_vectored(writer, slices.get_mut(..used).unwrap_or_default()) {
                        self.failure.set(Failure::io(&e));
                        return Err(OpenError::Io(e));
                    }
                    self.consume_bytes(self.end.saturating_sub(self.pos));
                    progress(self.released);
                }
                Ok(Step::End) => return Ok(self.released),
                Err(stopped) => return Err(stopped.into_open_error()),
            }
        }
    }
}

impl<R: Read, A: Aead + 'static> Read for OpenReader<R, A> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.step_with_progress() {
            Ok(Step::End) => return Ok(0),
            Ok(Step::Data) => {}
            Err(stopped) => return Err(io_error(stopped.into_open_error())),
        }
        // Copy across chunk boundaries, up to the end of what the batch
        // released: one call moves up to a whole batch.
        let mut copied = 0;
        while let Some(dst) = buf.get_mut(copied..) {
            let Some(batch) = self.current.as_ref() else { break };
            let src = batch.plaintext_at(self.pos, self.end);
            let n = src.len().min(dst.len());
            if n == 0 {
                break;
            }
            if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
                d.copy_from_slice(s);
            }
            self.consume_bytes(n);
            copied = copied.saturating_add(n);
        }
        Ok(copied)
    }
}

impl<R: Read, A: Aead + 'static> BufRead for OpenReader<R, A> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self.step_with_progress() {
            Ok(Step::End) => Ok(&[]),
            Ok(Step::Data) => Ok(self.current.as_ref().map_or(&[][..], |b| b.plaintext_at(self.pos, self.end))),
            Err(stopped) => Err(io_error(stopped.into_open_error())),
        }
    }

    fn consume(&mut self, amt: usize) {
        self.consume_bytes(amt);
    }
}
