//! What is done to a batch once it is filled: sealing or opening its
//! chunks in place, in order, stopping at the first failure. This is the
//! only work the pipeline hands to worker threads; reading and writing stay
//! with the adapter's caller.

use crate::batch::Batch;
use ebak_core::aead::Aead;
use ebak_core::chunk::{ENCRYPTED_CHUNK_SIZE, TAG_SIZE};
use ebak_core::cobblestone::{self, ChunkCipher, ChunkError, PayloadError};

/// Sealing or opening a batch.
pub(crate) trait Job: Send + Sync + 'static {
    /// What processing a chunk can find wrong.
    type Failure: Send + 'static;

    /// Seals or opens the batch's chunks in place, in order, and records
    /// how many succeeded and the first failure.
    fn process(&self, batch: &mut Batch<Self::Failure>);
}

/// Sealing: the final-chunk rule is the caller's (the adapter marks the
/// batch where the message ends); this only seals what the batch holds.
pub(crate) struct Sealing<A: Aead> {
    pub(crate) cipher: ChunkCipher<A>,
}

/// Opening: every chunk verified before the batch is released.
pub(crate) struct Opening<A: Aead> {
    pub(crate) cipher: ChunkCipher<A>,
}

const fn seal_error(e: ChunkError) -> cobblestone::SealError {
    match e {
        ChunkError::IndexOutOfRange => cobblestone::SealError::TooManyChunks,
        _ => cobblestone::SealError::ChunkLength,
    }
}

impl<A: Aead + 'static> Sealing<A> {
    fn seal_slot(
        &self,
        batch: &mut Batch<cobblestone::SealError>,
        i: usize,
        len: usize,
    ) -> Result<(), cobblestone::SealError> {
        let index = batch.index(i);
        let slot = batch.slot_mut(i, len).ok_or(cobblestone::SealError::ChunkLength)?;
        self.cipher.seal(index, slot).map_err(seal_error)
    }
}

impl<A: Aead + 'static> Job for Sealing<A> {
    type Failure = cobblestone::SealError;

    fn process(&self, batch: &mut Batch<Self::Failure>) {
        for i in 0..batch.full_chunks {
            if let Err(e) = self.seal_slot(batch, i, ENCRYPTED_CHUNK_SIZE) {
                batch.failure = Some(e);
                return;
            }
            batch.done_chunks = i.saturating_add(1);
        }
        if let Some(len) = batch.final_len {
            // From the Cobblestone spec: "the final chunk ... MUST be
            // shorter than 16 KiB, and MAY be empty": the adapter puts
            // whatever follows the last full chunk here, possibly nothing.
            let i = batch.full_chunks;
            match self.seal_slot(batch, i, len.saturating_add(TAG_SIZE)) {
                Ok(()) => batch.done_chunks = i.saturating_add(1),
                Err(e) => batch.failure = Some(e),
            }
        }
    }
}

/// The core `Decryptor`'s classes for a chunk failure.
const fn payload_error(e: ChunkError, index: u64) -> PayloadError {
    match e {
        ChunkError::IndexOutOfRange => PayloadError::TooManyChunks,
        ChunkError::Length => PayloadError::ChunkLength,
        // Authentication, and any failure a later core adds: fail closed,
        // as a chunk that does not verify.
        _ => PayloadError::Chunk { index },
    }
}

impl<A: Aead + 'static> Opening<A> {
    /// Opens slot `i` (its first `len` bytes) as chunk `first + i`.
    fn open_slot(&self, batch: &mut Batch<PayloadError>, i: usize, len: usize) -> Result<(), PayloadError> {
        let index = batch.index(i);
        let slot = batch.slot_mut(i, len).ok_or(PayloadError::ChunkLength)?;
        self.cipher.open(index, slot).map(|_| ()).map_err(|e| payload_error(e, index))
    }
}

impl<A: Aead + 'static> Job for Opening<A> {
    type Failure = PayloadError;

    fn process(&self, batch: &mut Batch<Self::Failure>) {
        for i in 0..batch.full_chunks {
            // A full chunk is never final; it is released once it verifies.
            if let Err(e) = self.open_slot(batch, i, ENCRYPTED_CHUNK_SIZE) {
                batch.failure = Some(e);
                return;
            }
            batch.done_chunks = i.saturating_add(1);
        }
        if let Some(len) = batch.final_len {
            let i = batch.full_chunks;
            // From the Cobblestone spec: "the implementation MUST check that
            // the final chunk is shorter than 16 KiB, and consider the
            // message truncated otherwise"; shorter than a tag (nothing
            // included) is a truncation too, as in the core's Decryptor.
            if len < TAG_SIZE {
                batch.failure = Some(PayloadError::Truncated { chunks: batch.index(i) });
                return;
            }
            match self.open_slot(batch, i, len) {
                Ok(()) => batch.done_chunks = i.saturating_add(1),
                Err(e) => batch.failure = Some(e),
            }
        }
    }
}
