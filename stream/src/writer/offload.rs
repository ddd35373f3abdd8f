//! The I/O thread's side of [`SealWriter`]: starting it when the workers
//! start, taking buffers back from it, joining it, and resuming a panic of
//! the inner writer on the caller's thread.

use super::{SealWriter, Sink};
use crate::error::{Failure, SealError};
use crate::io_thread::{FromIo, spawn_writer};
use ebak_core::aead::Aead;
use ebak_core::cobblestone::ChunkCipher;
use std::io::{self, Write};

impl<W: Write, A: Aead + 'static> SealWriter<W, A> {
    /// Handles what the I/O thread sent back; `block`: wait for one
    /// message. Returns a flush result if one came.
    pub(super) fn collect(
        &mut self,
        block: bool,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Option<io::Result<()>>, SealError> {
        let mut flushed = None;
        loop {
            let Sink::Thread(t) = &mut self.sink else { return Ok(flushed) };
            let message = if block && flushed.is_none() {
                t.recv().ok_or(())
            } else {
                match t.try_recv() {
                    Ok(Some(m)) => Ok(m),
                    Ok(None) => return Ok(flushed),
                    Err(()) => Err(()),
                }
            };
            match message {
                Ok(FromIo::Done(batch)) => {
                    t.outstanding = t.outstanding.saturating_sub(1);
                    if self.failure.get().is_none() {
                        self.count_written(&batch, progress);
                    }
                    self.pipeline.recycle(batch);
                    if block && flushed.is_none() {
                        return Ok(None);
                    }
                }
                Ok(FromIo::Flushed(r)) => flushed = Some(r),
                Err(()) => return Err(self.io_thread_gone()),
            }
        }
    }

    /// The I/O thread stopped answering: it can only have panicked (in the
    /// inner writer). The panic is resumed here, on the caller's thread, as
    /// it would have happened here without the I/O thread; if there is
    /// none, the stream fails.
    pub(super) fn io_thread_gone(&mut self) -> SealError {
        if let Sink::Thread(t) = &mut self.sink
            && let Err(panic) = t.join()
        {
            std::panic::resume_unwind(panic);
        }
        self.sink = Sink::Gone;
        self.failure.set(Failure::Worker);
        Failure::Worker.to_seal_error()
    }

    /// Moves the inner writer to its own thread, if this writer was made
    /// with [`SealWriter::with_io_thread`] and its workers have started.
    pub(super) fn offload_if_due(&mut self) {
        if !self.pipeline.started() {
            return;
        }
        let Some(spawn) = self.offload.take() else { return };
        if let Sink::Local(w) = std::mem::replace(&mut self.sink, Sink::Gone) {
            self.sink = match spawn(w, self.pipeline.capacity(), self.failure.clone()) {
                Ok(thread) => Sink::Thread(thread),
                // No thread: the caller keeps writing, as with `new`.
                Err(Some(w)) => Sink::Local(w),
                Err(None) => Sink::Gone,
            };
        }
    }

    /// Waits for the I/O thread to write everything it was given, and takes
    /// the inner writer back. A panic of the inner writer on that thread is
    /// resumed here, as it would have happened here without the thread.
    pub(super) fn join_io_thread(&mut self, progress: &mut dyn FnMut(u64)) -> Result<(), SealError> {
        let Sink::Thread(t) = &mut self.sink else { return Ok(()) };
        let joined = t.join();
        // The buffers it gave back, and how much it wrote.
        while self.collect_after_join(progress) {}
        match joined {
            Ok(Some(w)) => {
                self.sink = Sink::Local(w);
                Ok(())
            }
            Ok(None) => {
                self.sink = Sink::Gone;
                Err(self.fail(SealError::Io(io::Error::other("the inner writer was lost"))))
            }
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// Handles one message from a joined I/O thread; false when none is
    /// left.
    pub(super) fn collect_after_join(&mut self, progress: &mut dyn FnMut(u64)) -> bool {
        let Sink::Thread(t) = &mut self.sink else { return false };
        match t.try_recv() {
            Ok(Some(FromIo::Done(batch))) => {
                t.outstanding = t.outstanding.saturating_sub(1);
                if self.failure.get().is_none() {
                    self.count_written(&batch, progress);
                }
                self.pipeline.recycle(batch);
                true
            }
            Ok(Some(FromIo::Flushed(_))) => true,
            Ok(None) | Err(()) => false,
        }
    }
}

impl<W: Write + Send + 'static, A: Aead + 'static> SealWriter<W, A> {
    /// As [`SealWriter::new`], and in parallel (`threads` other than 1) the
    /// inner writer moves to an I/O thread the writer owns once the
    /// workers start, so that writing the ciphertext overlaps the caller's
    /// copying of plaintext: the caller's thread then does one copy per
    /// byte instead of two, which is what bounds a parallel stream (see
    /// bench/README.md). The thread is joined, and the inner writer taken
    /// back, by `finish` (or dropped with the writer); `get_ref` is `None`
    /// meanwhile; `flush` asks the thread to flush. Same bytes, same
    /// failures.
    #[must_use]
    pub fn with_io_thread(inner: W, cipher: ChunkCipher<A>, threads: usize) -> Self {
        let mut w = Self::new(inner, cipher, threads);
        w.offload = Some(spawn_writer::<W>);
        w
    }
}
