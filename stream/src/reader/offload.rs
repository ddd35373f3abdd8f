//! The I/O thread's side of [`OpenReader`]: handing the inner reader to
//! it when the workers start, and resuming a panic of the inner reader on
//! the caller's thread.

use super::{OpenReader, Source, Stopped};
use crate::error::Failure;
use crate::io_thread::{ReaderStart, spawn_reader};
use ebak_core::aead::Aead;
use ebak_core::cobblestone::ChunkCipher;
use std::io::{self, Read};

impl<R: Read, A: Aead + 'static> OpenReader<R, A> {
    /// Moves the inner reader to its own thread, which from now on reads
    /// ahead and feeds the workers (the workers have just started).
    pub(super) fn offload_reading(&mut self) {
        let Some(spawn) = self.offload.take() else { return };
        let Some(jobs) = self.pipeline.job_sender() else { return };
        let Source::Local(inner) = std::mem::replace(&mut self.source, Source::Gone) else { return };
        let seq = self.pipeline.next_seq();
        let (allocated, capacity) = (self.pipeline.allocated(), self.pipeline.capacity());
        match spawn(inner, ReaderStart { jobs, seq, allocated, capacity }) {
            Ok(thread) => {
                // The thread reads everything from here on.
                self.pipeline.submitted_elsewhere();
                self.input_ended = true;
                self.source = Source::Thread(thread);
            }
            // No thread: the caller's thread goes on reading, as with `new`.
            Err(Some(inner)) => self.source = Source::Local(inner),
            Err(None) => {
                self.failure
                    .set(Failure::Io { kind: io::ErrorKind::Other, message: "the inner reader was lost".into() });
            }
        }
    }

    /// A batch came back marked as failed: if the I/O thread panicked (in
    /// the inner reader), the panic is resumed here, as it would have
    /// happened here without the thread; otherwise a worker failed.
    pub(super) fn worker_or_reader_failed(&mut self) -> Stopped {
        if let Source::Thread(t) = &mut self.source
            && let Err(panic) = t.join()
        {
            std::panic::resume_unwind(panic);
        }
        self.fail(Failure::Worker)
    }
}

impl<R: Read + Send + 'static, A: Aead + 'static> OpenReader<R, A> {
    /// As [`OpenReader::new`], and in parallel (`threads` other than 1)
    /// the inner reader moves to an I/O thread the reader owns once the
    /// workers start, which reads ahead into the free batch buffers and
    /// feeds the workers, so that reading the ciphertext overlaps the
    /// caller's copying of plaintext: the caller's thread then does one
    /// copy per byte instead of two (see bench/README.md). `finish` joins
    /// the thread and gives the inner reader back; dropping the reader
    /// stops and joins it (after the read it is in, if any); `get_ref` is
    /// `None` meanwhile. Same plaintext, same verdicts.
    #[must_use]
    pub fn with_io_thread(inner: R, cipher: ChunkCipher<A>, threads: usize) -> Self {
        let mut r = Self::new(inner, cipher, threads);
        r.offload = Some(spawn_reader::<R>);
        r
    }
}
