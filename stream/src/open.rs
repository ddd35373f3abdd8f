//! Opening a stream: the commitment first, then every chunk verified before
//! its plaintext is written, in order.

use crate::Options;
use crate::batch::{BATCH_BYTES, Batch};
use crate::error::OpenError;
use crate::io_util::{read_full, write_all_vectored};
use crate::pipeline::{self, Job};
use ebak_core::aead::{Aead, KEY_SIZE};
use ebak_core::chunk::{CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, PREFIX_SIZE, TAG_SIZE};
use ebak_core::cobblestone::{self, ChunkCipher, ChunkError, PayloadError};
use std::io::{Read, Write};

/// Opens a Cobblestone-256 ciphertext (salt, commitment, chunks) from
/// `input` on [`Options::workers`] threads, writes its verified plaintext
/// to `output`, and returns the message length.
///
/// The verdict is the core's serial one ([`cobblestone::StreamOpener`] over
/// the same bytes): the same error, at the same chunk index, for a modified,
/// reordered, truncated or extended ciphertext, whatever the thread count.
/// Plaintext is written only after its chunk verified, and in order: after
/// an error, `output` holds exactly the plaintext of the chunks before the
/// failing one (the Wycheproof PartialPlaintext rule).
///
/// # Errors
///
/// Reading or writing failed, or the payload does not verify.
pub fn open<A: Aead>(
    input_key: &[u8; KEY_SIZE],
    context: &[u8],
    mut input: impl Read + Send,
    output: impl Write + Send,
    options: &Options<'_>,
) -> Result<u64, OpenError> {
    let mut prefix = [0u8; PREFIX_SIZE];
    let filled = read_full(&mut input, &mut prefix);
    if let Some(e) = filled.error {
        return Err(OpenError::Io(e));
    }
    if filled.bytes < PREFIX_SIZE {
        return Err(OpenError::Payload(PayloadError::MissingPrefix));
    }
    // From the Cobblestone spec: "When decrypting, implementations MUST
    // check the commitment matches the derived value before continuing."
    let cipher = cobblestone::check_prefix::<A>(input_key, context, &prefix).map_err(OpenError::Payload)?;
    pipeline::run(&Opening { cipher }, options.workers(), input, output, options.progress)
}

struct Opening<A: Aead> {
    cipher: ChunkCipher<A>,
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

impl<A: Aead> Opening<A> {
    /// Opens slot `i` (its first `len` bytes) as chunk `first + i`.
    fn open_slot(&self, batch: &mut Batch<PayloadError>, i: usize, len: usize) -> Result<(), PayloadError> {
        let index = batch.index(i);
        let slot = batch.slot_mut(i, len).ok_or(PayloadError::ChunkLength)?;
        self.cipher.open(index, slot).map(|_| ()).map_err(|e| payload_error(e, index))
    }
}

impl<A: Aead> Job for Opening<A> {
    type Failure = PayloadError;
    type Error = OpenError;

    fn read<R: Read>(&self, reader: &mut R, batch: &mut Batch<Self::Failure>) {
        let filled = read_full(reader, batch.bytes_mut());
        batch.full_chunks = filled.bytes / ENCRYPTED_CHUNK_SIZE;
        if let Some(e) = filled.error {
            // The full chunks before the error are still opened and written
            // (as the serial opener would have), the partial one is not.
            batch.read_error = Some(e);
        } else if filled.bytes < BATCH_BYTES {
            // The input ended: what follows the full chunks, possibly
            // nothing, must be the final chunk.
            batch.final_len = Some(filled.bytes % ENCRYPTED_CHUNK_SIZE);
        }
    }

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

    fn write<W: Write>(&self, writer: &mut W, batch: &mut Batch<Self::Failure>) -> Result<u64, OpenError> {
        // Only verified chunks are written: the full ones among the first
        // `done_chunks`, then the final one if it verified too.
        let done = batch.done_chunks;
        let full = done.min(batch.full_chunks);
        let last = batch.final_len.filter(|_| done > batch.full_chunks).map(|len| len.saturating_sub(TAG_SIZE));
        write_all_vectored(writer, &mut batch.plaintexts(full, last))?;
        if let Some(e) = batch.failure.take() {
            return Err(OpenError::Payload(e));
        }
        if let Some(e) = batch.read_error.take() {
            return Err(OpenError::Io(e));
        }
        let plaintext = full.saturating_mul(CHUNK_SIZE).saturating_add(last.unwrap_or(0));
        Ok(plaintext as u64)
    }
}
