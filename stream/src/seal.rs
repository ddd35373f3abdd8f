//! Sealing a stream: salt and commitment first, then the chunks, the final
//! one being whatever shorter-than-16-KiB rest the input ends with.

use crate::Options;
use crate::batch::Batch;
use crate::error::SealError;
use crate::io_util::read_full_vectored;
use crate::pipeline::{self, Job};
use ebak_core::aead::{Aead, KEY_SIZE};
use ebak_core::chunk::{CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, SALT_SIZE, TAG_SIZE};
use ebak_core::cobblestone::{self, ChunkCipher, ChunkError, Encryptor};
use std::io::{Read, Write};

/// Seals `input` as one Cobblestone-256 ciphertext (salt, commitment,
/// chunks) to `output`, on [`Options::workers`] threads, and returns the
/// message length.
///
/// From the Cobblestone spec: the salt "MUST NOT repeat for a certain
/// input key, and ... SHOULD be randomly generated". The output is the
/// same, byte for byte, for any number of threads, and is what
/// [`ebak_core::cobblestone::seal`] gives for the whole message.
///
/// # Errors
///
/// Reading or writing failed, or the message grew past 2^38 chunks. The
/// output is then incomplete and must be discarded.
pub fn seal<A: Aead>(
    input_key: &[u8; KEY_SIZE],
    salt: &[u8; SALT_SIZE],
    context: &[u8],
    input: impl Read + Send,
    mut output: impl Write + Send,
    options: &Options<'_>,
) -> Result<u64, SealError> {
    let (encryptor, prefix) = Encryptor::<A>::new(input_key, salt, context);
    output.write_all(&prefix)?;
    // The stream layer now owns the final-chunk rule (see `read` below).
    let job = Sealing { cipher: encryptor.into_cipher() };
    pipeline::run(&job, options.workers(), input, output, options.progress)
}

struct Sealing<A: Aead> {
    cipher: ChunkCipher<A>,
}

fn seal_error(e: ChunkError) -> cobblestone::SealError {
    match e {
        ChunkError::IndexOutOfRange => cobblestone::SealError::TooManyChunks,
        _ => cobblestone::SealError::ChunkLength,
    }
}

impl<A: Aead> Job for Sealing<A> {
    type Failure = cobblestone::SealError;
    type Error = SealError;

    fn read<R: Read>(&self, reader: &mut R, batch: &mut Batch<Self::Failure>) {
        let filled = read_full_vectored(reader, &mut batch.plaintext_room());
        batch.full_chunks = filled.bytes / CHUNK_SIZE;
        if let Some(e) = filled.error {
            batch.read_error = Some(e);
        } else if filled.bytes < crate::BATCH_CHUNKS * CHUNK_SIZE {
            // From the Cobblestone spec: "the final chunk ... MUST be
            // shorter than 16 KiB, and MAY be empty": the input ended, and
            // what is left after the full chunks is the final chunk. A
            // message that fills its last batch exactly ends with an empty
            // final chunk in the next one.
            batch.final_len = Some(filled.bytes % CHUNK_SIZE);
        }
    }

    fn process(&self, batch: &mut Batch<Self::Failure>) {
        for i in 0..batch.full_chunks {
            let index = batch.index(i);
            let sealed = match batch.slot_mut(i, ENCRYPTED_CHUNK_SIZE) {
                Some(slot) => self.cipher.seal(index, slot).map_err(seal_error),
                None => Err(cobblestone::SealError::ChunkLength),
            };
            if let Err(e) = sealed {
                batch.failure = Some(e);
                return;
            }
            batch.done_chunks = i.saturating_add(1);
        }
        if let Some(len) = batch.final_len {
            let i = batch.full_chunks;
            let index = batch.index(i);
            let sealed = match batch.slot_mut(i, len.saturating_add(TAG_SIZE)) {
                Some(slot) => self.cipher.seal(index, slot).map_err(seal_error),
                None => Err(cobblestone::SealError::ChunkLength),
            };
            match sealed {
                Ok(()) => batch.done_chunks = i.saturating_add(1),
                Err(e) => batch.failure = Some(e),
            }
        }
    }

    fn write<W: Write>(&self, writer: &mut W, batch: &mut Batch<Self::Failure>) -> Result<u64, SealError> {
        if let Some(e) = batch.failure.take() {
            return Err(SealError::Payload(e));
        }
        let full = batch.full_chunks;
        let encrypted = full
            .saturating_mul(ENCRYPTED_CHUNK_SIZE)
            .saturating_add(batch.final_len.map_or(0, |len| len.saturating_add(TAG_SIZE)));
        let bytes = batch.prefix(encrypted).ok_or(SealError::Payload(cobblestone::SealError::ChunkLength))?;
        writer.write_all(bytes)?;
        if let Some(e) = batch.read_error.take() {
            return Err(SealError::Io(e));
        }
        let plaintext = full.saturating_mul(CHUNK_SIZE).saturating_add(batch.final_len.unwrap_or(0));
        Ok(plaintext as u64)
    }
}
