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
//! ## How the work is split
//!
//! Chunks are independent given their index (the core's
//! [`ChunkCipher`](ebak_core::cobblestone::ChunkCipher) seals or opens
//! chunk `k` alone), so the stream is cut into batches of
//! [`BATCH_CHUNKS`] chunks. Each of `N` workers owns one batch buffer and
//! loops: take the input lock and read the next batch, seal or open its
//! chunks without any lock, then wait for its turn and write the batch in
//! stream order. Reading and writing are serialized (they must be: a
//! stream has one order), the AEAD work runs on all `N` threads.
//!
//! - **Memory** is `N` batch buffers (about `N x 512 KiB`), whatever the
//!   input's length: a worker reads a new batch only after writing its last.
//! - **Bytes**: the chunk at stream position `k` gets index `k`, and the
//!   final chunk is the one found at the end of the input, exactly as on
//!   one thread; `threads = 1` runs the same code on the calling thread.
//! - **Opening** writes a batch only after its chunks verified, in order,
//!   and stops at the first chunk that does not: the output holds exactly
//!   the verified prefix, and the error (class and chunk index) is the one
//!   the serial opener reports, since batches are written in order and the
//!   first failing batch stops the stream.
//!
//! ## Errors, and what is left behind
//!
//! On any error the caller must treat the output as garbage (the CLI writes
//! into a temporary file and renames it only on success). What was written
//! before an opening error is verified plaintext of the leading chunks,
//! never more.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod batch;
mod error;
mod io_util;
mod open;
mod pipeline;
mod seal;

pub use error::{OpenError, SealError};
pub use open::open;
pub use seal::seal;

use std::fmt;

/// Chunks per batch: 32 chunks, 512 KiB of plaintext (about 525 KB
/// encrypted). Large enough that the per-batch locking is noise next to
/// the AEAD work, small enough that a batch stays in a core's L2 cache
/// between reading, sealing and writing, and that `N` of them in flight
/// stay within a few MiB.
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
    /// is written (from whichever worker wrote it, hence `Sync`).
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
        let asked = match self.threads {
            0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            n => n,
        };
        asked.clamp(1, MAX_THREADS)
    }
}
