//! In-order sealing: the chunk-level [`Encryptor`] and the push-based
//! [`StreamSealer`].

use super::{ChunkCipher, ChunkError, SealError, derive};
use crate::aead::{Aead, KEY_SIZE, TAG_SIZE};
use crate::chunk::{CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, PREFIX_SIZE, SALT_SIZE};
use alloc::vec::Vec;
use core::fmt;
use zeroize::Zeroize;

/// Seals the chunks of one message in order, in place.
///
/// Full chunks go through [`Encryptor::seal_chunk`]; the message ends with
/// exactly one call to [`Encryptor::seal_final`], whose chunk is shorter
/// than 16 KiB and may be empty. After that every call fails.
pub struct Encryptor<A: Aead> {
    cipher: ChunkCipher<A>,
    next_index: u64,
    finished: bool,
}

impl<A: Aead> fmt::Debug for Encryptor<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encryptor")
            .field("next_index", &self.next_index)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

fn seal_error(e: ChunkError) -> SealError {
    match e {
        ChunkError::IndexOutOfRange => SealError::TooManyChunks,
        ChunkError::Length | ChunkError::Authentication => SealError::ChunkLength,
    }
}

impl<A: Aead> Encryptor<A> {
    /// Starts a message: derives its keys and returns the encryptor and the
    /// 56 bytes (salt, then commitment) that start the ciphertext.
    ///
    /// From the Cobblestone spec: the salt "MUST NOT repeat for a certain
    /// input key, and ... SHOULD be randomly generated".
    #[must_use]
    pub fn new(input_key: &[u8; KEY_SIZE], salt: &[u8; SALT_SIZE], context: &[u8]) -> (Self, [u8; PREFIX_SIZE]) {
        let derived = derive(input_key, salt, context);
        let mut prefix = [0u8; PREFIX_SIZE];
        for (p, b) in prefix.iter_mut().zip(salt.iter().chain(derived.commitment().iter())) {
            *p = *b;
        }
        (Self { cipher: ChunkCipher::new(&derived), next_index: 0, finished: false }, prefix)
    }

    /// Whether the final chunk has been sealed.
    #[must_use]
    pub const fn is_finished(&self) -> bool {
        self.finished
    }

    /// The index the next chunk will get.
    #[must_use]
    pub const fn next_index(&self) -> u64 {
        self.next_index
    }

    /// Seals the next full chunk in place: `chunk` is 16 KiB of plaintext
    /// followed by 16 bytes of room for the tag.
    ///
    /// # Errors
    ///
    /// The buffer is not 16 400 bytes, the message is already finished, or
    /// the chunk counter would reach 2^38.
    pub fn seal_chunk(&mut self, chunk: &mut [u8]) -> Result<(), SealError> {
        if self.finished {
            return Err(SealError::Finished);
        }
        if chunk.len() != ENCRYPTED_CHUNK_SIZE {
            return Err(SealError::ChunkLength);
        }
        self.seal_next(chunk)
    }

    /// Seals the final chunk in place: fewer than 16 KiB of plaintext
    /// (possibly none) followed by 16 bytes of room for the tag.
    ///
    /// From the Cobblestone spec: "the final chunk ... MUST be shorter than
    /// 16 KiB, and MAY be empty."
    ///
    /// # Errors
    ///
    /// The buffer is shorter than a tag or holds a full chunk, the message
    /// is already finished, or the chunk counter would reach 2^38.
    pub fn seal_final(&mut self, chunk: &mut [u8]) -> Result<(), SealError> {
        if self.finished {
            return Err(SealError::Finished);
        }
        if chunk.len() < TAG_SIZE || chunk.len() >= ENCRYPTED_CHUNK_SIZE {
            return Err(SealError::ChunkLength);
        }
        self.seal_next(chunk)?;
        self.finished = true;
        Ok(())
    }

    fn seal_next(&mut self, chunk: &mut [u8]) -> Result<(), SealError> {
        self.cipher.seal(self.next_index, chunk).map_err(seal_error)?;
        // The index was below 2^38 or seal() would have failed.
        self.next_index = self.next_index.checked_add(1).ok_or(SealError::TooManyChunks)?;
        Ok(())
    }

    /// The chunk cipher, for sealing chunks by index on several threads.
    /// The caller then owns the final-chunk rule.
    #[must_use]
    pub fn into_cipher(self) -> ChunkCipher<A> {
        self.cipher
    }
}

/// Push-based streaming seal: feed plaintext in pieces of any size, get
/// ciphertext (salt and commitment first) appended to an output buffer.
///
/// It holds at most one chunk of plaintext. A full chunk is sealed as soon
/// as it is complete (a full chunk is never the final one); [`finish`]
/// seals the rest, possibly empty, as the final chunk.
///
/// [`finish`]: StreamSealer::finish
pub struct StreamSealer<A: Aead> {
    encryptor: Encryptor<A>,
    prefix: Option<[u8; PREFIX_SIZE]>,
    buffer: Vec<u8>,
}

impl<A: Aead> fmt::Debug for StreamSealer<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamSealer").field("encryptor", &self.encryptor).finish_non_exhaustive()
    }
}

impl<A: Aead> Drop for StreamSealer<A> {
    fn drop(&mut self) {
        self.buffer.zeroize();
    }
}

impl<A: Aead> StreamSealer<A> {
    /// Starts a message.
    #[must_use]
    pub fn new(input_key: &[u8; KEY_SIZE], salt: &[u8; SALT_SIZE], context: &[u8]) -> Self {
        let (encryptor, prefix) = Encryptor::new(input_key, salt, context);
        Self { encryptor, prefix: Some(prefix), buffer: Vec::with_capacity(ENCRYPTED_CHUNK_SIZE) }
    }

    fn emit_prefix(&mut self, out: &mut Vec<u8>) {
        if let Some(prefix) = self.prefix.take() {
            out.extend_from_slice(&prefix);
        }
    }

    /// Seals what `input` completes and appends it to `out`.
    ///
    /// # Errors
    ///
    /// The message grew past 2^38 chunks, or it was already finished.
    pub fn push(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), SealError> {
        if self.encryptor.is_finished() {
            return Err(SealError::Finished);
        }
        self.emit_prefix(out);
        while !input.is_empty() {
            let room = CHUNK_SIZE.saturating_sub(self.buffer.len());
            let (now, later) = input.split_at_checked(room).unwrap_or((input, &[]));
            self.buffer.extend_from_slice(now);
            input = later;
            if self.buffer.len() == CHUNK_SIZE {
                self.buffer.resize(ENCRYPTED_CHUNK_SIZE, 0);
                self.encryptor.seal_chunk(&mut self.buffer)?;
                out.extend_from_slice(&self.buffer);
                self.buffer.clear();
            }
        }
        Ok(())
    }

    /// Seals the buffered rest as the final chunk and appends it to `out`.
    ///
    /// # Errors
    ///
    /// The message grew past 2^38 chunks, or it was already finished.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), SealError> {
        if self.encryptor.is_finished() {
            return Err(SealError::Finished);
        }
        self.emit_prefix(out);
        let plaintext_len = self.buffer.len();
        self.buffer.resize(plaintext_len.saturating_add(TAG_SIZE), 0);
        self.encryptor.seal_final(&mut self.buffer)?;
        out.extend_from_slice(&self.buffer);
        self.buffer.clear();
        Ok(())
    }
}
