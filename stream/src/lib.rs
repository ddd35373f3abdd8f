//! # ebak-stream
//!
//! Cobblestone-256 over `Read` and `Write`, on one thread or on many, with
//! bounded memory and the same bytes either way.
//!
//! [`seal`] reads a message from a reader and writes its Cobblestone-256
//! ciphertext (salt, commitment, chunks) to a writer; [`open`] does the
//! reverse and writes only verified plaintext. Both take [`Options`]: how
//! many threads, and a progress callback.
//!
//! The same engine is available as adapters, for callers that produce or
//! consume the message themselves (an archiver, a compressor, another
//! stream): [`SealWriter`] is a `Write` that seals what it is given and
//! writes the chunks to an inner writer, [`OpenReader`] a `Read` and
//! `BufRead` that releases the verified plaintext of an inner reader. Both
//! are keyed by the core's [`ChunkCipher`](ebak_core::cobblestone::ChunkCipher),
//! so that a caller who derived it (and wrote or checked the 56-byte
//! prefix) never hands raw key bytes to this crate; both own their inner
//! stream and their worker threads, so they are `Send + 'static` when it
//! is. `seal` and `open` are these adapters driven from a reader to a
//! writer.
//!
//! ## How the work is split
//!
//! Chunks are independent given their index (the core's
//! [`ChunkCipher`](ebak_core::cobblestone::ChunkCipher) seals or opens
//! chunk `k` alone), so the stream is cut into batches of
//! [`BATCH_CHUNKS`] chunks, laid out as the ciphertext is (each chunk's
//! 16 KiB followed by room for its tag), and sealed or opened in place.
//!
//! - **I/O on the caller's thread**: the ciphertext side moves a whole
//!   batch per call (one `read` or `write` of about 525 KB); the plaintext
//!   side copies in or out chunk by chunk, or not at all through
//!   [`SealWriter::copy_from`] (the reader fills the batch) and
//!   `BufRead` (the caller borrows the batch).
//! - **AEAD on `N` workers** when `threads` is not 1: a filled batch goes
//!   to whichever worker is free, and comes back in its own buffer; the
//!   caller takes batches back strictly in stream order, so the bytes and
//!   verdicts are the serial ones. `threads = 1` processes each batch on
//!   the calling thread, with no thread or channel at all.
//! - **Memory** is one batch buffer serial, `N + 2` parallel (about
//!   `(N + 2) x 525 KB`), whatever the input's length, allocated once per
//!   stream and reused (wiped when the stream is dropped).
//! - **Opening** releases a batch only after its chunks verified, in order,
//!   and stops at the first chunk that does not: the output holds exactly
//!   the verified prefix, and the error (class and chunk index) is the one
//!   the serial opener reports.
//!
//! ## Errors, and what is left behind
//!
//! On any error the caller must treat the output as garbage (the CLI writes
//! into a temporary file and renames it only on success). What was written
//! before an opening error is verified plaintext of the leading chunks,
//! never more. The adapters keep failing after their first failure, and
//! say what it was through a [`FailureHandle`] and through the error inside
//! every `io::Error` they return ([`find_error`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod batch;
mod error;
mod io_util;
mod job;
mod open;
mod pipeline;
mod reader;
mod seal;
mod writer;

pub use error::{Failure, FailureHandle, OpenError, SealError, find_error};
pub use open::open;
pub use reader::OpenReader;
pub use seal::seal;
pub use writer::SealWriter;

use std::fmt;

/// Chunks per batch: 32 chunks, 512 KiB of plaintext (about 525 KB
/// encrypted). Large enough that the per-batch hand-over to a worker and
/// the per-batch system call are noise next to the AEAD work, small enough
/// that a batch stays in a core's L2 cache between reading, sealing and
/// writing, and that `N + 2` of them in flight stay within a few MiB.
pub const BATCH_CHUNKS: usize = 32;

/// The most worker threads used, whatever is asked (memory is one batch
/// per thread).
pub const MAX_THREADS: usize = 64;

/// How to seal or open.
pub struct Options<'a> {
    /// Worker threads: 0 for one per available core, 1 for serial (on the
    /// calling thread), at most [`MAX_THREADS`].
    pub threads: usize,
    /// Called with the plaintext bytes processed so far, after each batch
    /// is written (on the calling thread; `Sync` for compatibility).
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
}

impl fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options").field("threads", &self.threads).field("progress", &self.progress.is_some()).finish()
    }
}

impl Options<'_> {
    /// Serial, without progress.
    pub const SERIAL: Options<'static> = Options { threads: 1, progress: None };

    /// One thread per core, without progress.
    pub const ALL_CORES: Options<'static> = Options { threads: 0, progress: None };

    /// The number of workers these options give on this machine.
    #[must_use]
    pub fn workers(&self) -> usize {
        workers_for(self.threads)
    }

    /// The most batch buffers (about 525 KB each) a stream holds with these
    /// options: one serial, `workers + 2` in parallel (one the caller fills
    /// or drains, one per worker, one done and waiting its turn).
    #[must_use]
    pub fn batch_buffers(&self) -> usize {
        buffers_for(self.workers())
    }
}

/// The batch buffers for `workers` workers.
pub(crate) const fn buffers_for(workers: usize) -> usize {
    if workers <= 1 { 1 } else { workers.saturating_add(2) }
}

/// The workers for a `threads` setting: 0 for one per available core,
/// otherwise `threads`, at most [`MAX_THREADS`].
pub(crate) fn workers_for(threads: usize) -> usize {
    let asked = match threads {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        n => n,
    };
    asked.clamp(1, MAX_THREADS)
}

/// An adapter's progress callback.
pub(crate) type Progress = Box<dyn FnMut(u64) + Send>;
