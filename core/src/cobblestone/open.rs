//! Opening: the in-order [`Decryptor`], the push-based [`StreamOpener`],
//! and [`RandomAccess`].
//!
//! The rule all three keep (spec 6.1, and the Cobblestone implementation
//! notes): no plaintext of a chunk is released before its tag verifies, and
//! a stream that has failed keeps failing with the same error.

use super::{ChunkCipher, ChunkError, PayloadError, check_prefix};
use crate::aead::{Aead, KEY_SIZE};
use crate::chunk::{self, ENCRYPTED_CHUNK_SIZE, Layout, LayoutError, PREFIX_SIZE, TAG_SIZE};
use alloc::vec::Vec;
use core::fmt;
use zeroize::{Zeroize, Zeroizing};

/// Where an in-order decryption stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Progress {
    /// Expecting chunk `next_index`.
    Open,
    /// The final chunk verified; anything more is trailing data.
    Done,
    /// Failed; every later call returns the same error.
    Failed(PayloadError),
}

/// Opens the chunks of one message in order, in place.
///
/// Full chunks (exactly 16 400 bytes) go through [`Decryptor::open_chunk`]
/// and are released as soon as they verify; the end of the input is
/// reported with [`Decryptor::open_final`], which must get a chunk shorter
/// than a full one.
pub struct Decryptor<A: Aead> {
    cipher: ChunkCipher<A>,
    next_index: u64,
    progress: Progress,
}

impl<A: Aead> fmt::Debug for Decryptor<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decryptor")
            .field("next_index", &self.next_index)
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}

impl<A: Aead> Decryptor<A> {
    /// Checks the commitment in `prefix` (salt, then commitment) and starts
    /// decrypting at chunk 0.
    ///
    /// # Errors
    ///
    /// [`PayloadError::Commitment`] if the commitment does not match.
    pub fn new(input_key: &[u8; KEY_SIZE], context: &[u8], prefix: &[u8; PREFIX_SIZE]) -> Result<Self, PayloadError> {
        check_prefix(input_key, context, prefix).map(Self::from_cipher)
    }

    /// Starts at chunk 0 with a cipher whose key was already checked (or
    /// raw mode).
    #[must_use]
    pub const fn from_cipher(cipher: ChunkCipher<A>) -> Self {
        Self { cipher, next_index: 0, progress: Progress::Open }
    }

    /// The number of chunks verified so far.
    #[must_use]
    pub const fn chunks_verified(&self) -> u64 {
        self.next_index
    }

    /// Whether the final chunk has verified.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.progress == Progress::Done
    }

    fn check_open(&self) -> Result<(), PayloadError> {
        match self.progress {
            Progress::Open => Ok(()),
            Progress::Done => Err(PayloadError::TrailingData),
            Progress::Failed(e) => Err(e),
        }
    }

    fn fail(&mut self, e: PayloadError) -> PayloadError {
        self.progress = Progress::Failed(e);
        e
    }

    fn open_next<'b>(&mut self, chunk: &'b mut [u8]) -> Result<&'b mut [u8], PayloadError> {
        let index = self.next_index;
        let plaintext = match self.cipher.open(index, chunk) {
            Ok(p) => p,
            Err(ChunkError::IndexOutOfRange) => return Err(self.fail(PayloadError::TooManyChunks)),
            Err(ChunkError::Length) => return Err(self.fail(PayloadError::ChunkLength)),
            Err(ChunkError::Authentication) => return Err(self.fail(PayloadError::Chunk { index })),
        };
        // open() checked index < 2^38, so this cannot overflow.
        self.next_index = index.saturating_add(1);
        Ok(plaintext)
    }

    /// Opens the next full chunk (16 400 bytes) in place and returns its
    /// plaintext.
    ///
    /// # Errors
    ///
    /// The chunk does not verify, the stream already failed or ended, or
    /// the buffer is not a full chunk.
    pub fn open_chunk<'b>(&mut self, chunk: &'b mut [u8]) -> Result<&'b mut [u8], PayloadError> {
        self.check_open()?;
        if chunk.len() != ENCRYPTED_CHUNK_SIZE {
            return Err(self.fail(PayloadError::ChunkLength));
        }
        self.open_next(chunk)
    }

    /// Opens what remains at the end of the input as the final chunk.
    ///
    /// From the Cobblestone spec: "When decrypting, the implementation MUST
    /// check that the final chunk is shorter than 16 KiB, and consider the
    /// message truncated otherwise." A remainder shorter than a tag (an
    /// empty one included) is also a truncation.
    ///
    /// # Errors
    ///
    /// The remainder is truncated or does not verify, or the stream already
    /// failed or ended.
    pub fn open_final<'b>(&mut self, chunk: &'b mut [u8]) -> Result<&'b mut [u8], PayloadError> {
        self.check_open()?;
        if chunk.len() < TAG_SIZE || chunk.len() >= ENCRYPTED_CHUNK_SIZE {
            return Err(self.fail(PayloadError::Truncated { chunks: self.next_index }));
        }
        let plaintext = self.open_next(chunk)?;
        self.progress = Progress::Done;
        Ok(plaintext)
    }
}

/// The stages of a [`StreamOpener`].
enum Stage<A: Aead> {
    /// Collecting the 56-byte salt and commitment.
    Prefix { input_key: Zeroizing<[u8; KEY_SIZE]>, context: Vec<u8> },
    /// Collecting and opening chunks.
    Chunks(Decryptor<A>),
    /// Failed before any chunk (while collecting or checking the prefix).
    Failed(PayloadError),
}

/// Push-based streaming open of a whole Cobblestone ciphertext (salt and
/// commitment first): feed it pieces of any size, get verified plaintext
/// appended to an output buffer.
///
/// It holds at most one encrypted chunk. A full chunk is opened and
/// released as soon as it is complete; whatever is left when [`finish`]
/// is called must be the final chunk. Plaintext is only ever appended after
/// its tag verified, so on error `out` holds exactly the verified prefix of
/// the message (the Wycheproof PartialPlaintext rule).
///
/// [`finish`]: StreamOpener::finish
pub struct StreamOpener<A: Aead> {
    stage: Stage<A>,
    buffer: Vec<u8>,
}

impl<A: Aead> fmt::Debug for StreamOpener<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match &self.stage {
            Stage::Prefix { .. } => "prefix",
            Stage::Chunks(_) => "chunks",
            Stage::Failed(_) => "failed",
        };
        f.debug_struct("StreamOpener").field("stage", &stage).finish_non_exhaustive()
    }
}

impl<A: Aead> Drop for StreamOpener<A> {
    fn drop(&mut self) {
        self.buffer.zeroize();
    }
}

impl<A: Aead> StreamOpener<A> {
    /// Starts opening a ciphertext sealed under `input_key` and `context`.
    #[must_use]
    pub fn new(input_key: &[u8; KEY_SIZE], context: &[u8]) -> Self {
        Self {
            stage: Stage::Prefix { input_key: Zeroizing::new(*input_key), context: context.to_vec() },
            buffer: Vec::with_capacity(ENCRYPTED_CHUNK_SIZE),
        }
    }

    /// Continues after the salt and commitment were checked elsewhere (or
    /// in raw mode, where there are none).
    #[must_use]
    pub fn from_decryptor(decryptor: Decryptor<A>) -> Self {
        Self { stage: Stage::Chunks(decryptor), buffer: Vec::with_capacity(ENCRYPTED_CHUNK_SIZE) }
    }

    /// The number of chunks verified so far.
    #[must_use]
    pub const fn chunks_verified(&self) -> u64 {
        match &self.stage {
            Stage::Chunks(d) => d.chunks_verified(),
            Stage::Prefix { .. } | Stage::Failed(_) => 0,
        }
    }

    fn fail(&mut self, e: PayloadError) -> PayloadError {
        self.buffer.zeroize();
        self.buffer.clear();
        self.stage = Stage::Failed(e);
        e
    }

    /// Takes in `input`; appends the plaintext of every chunk it completes
    /// and verifies to `out`.
    ///
    /// # Errors
    ///
    /// The commitment or a chunk fails to verify, `input` is not empty
    /// after a successful [`finish`](StreamOpener::finish)
    /// ([`PayloadError::TrailingData`]), or an earlier call failed (the
    /// same error again).
    pub fn push(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), PayloadError> {
        loop {
            let step = match &mut self.stage {
                Stage::Failed(e) => return Err(*e),
                Stage::Prefix { input_key, context } => {
                    fill(&mut self.buffer, &mut input, PREFIX_SIZE);
                    let Some(prefix) = self.buffer.first_chunk::<PREFIX_SIZE>() else {
                        return Ok(());
                    };
                    Decryptor::new(input_key, context, prefix).map(Some)
                }
                Stage::Chunks(decryptor) => {
                    if input.is_empty() {
                        return Ok(());
                    }
                    if decryptor.is_done() {
                        // Spec 6 step 4.3: data after the final chunk fails,
                        // at its first byte (not only once a chunk's worth
                        // has gathered, or at a later `finish`).
                        return Err(self.fail(PayloadError::TrailingData));
                    }
                    fill(&mut self.buffer, &mut input, ENCRYPTED_CHUNK_SIZE);
                    if self.buffer.len() == ENCRYPTED_CHUNK_SIZE {
                        // A full chunk is never final: open and release it now.
                        match decryptor.open_chunk(&mut self.buffer) {
                            Ok(plaintext) => {
                                out.extend_from_slice(plaintext);
                                self.buffer.zeroize();
                                self.buffer.clear();
                                Ok(None)
                            }
                            Err(e) => Err(e),
                        }
                    } else {
                        Ok(None)
                    }
                }
            };
            match step {
                Ok(Some(decryptor)) => {
                    self.buffer.clear();
                    self.stage = Stage::Chunks(decryptor);
                }
                Ok(None) => {}
                Err(e) => return Err(self.fail(e)),
            }
        }
    }

    /// Ends the input: what is buffered must be the final chunk; its
    /// plaintext is appended to `out`.
    ///
    /// # Errors
    ///
    /// The input was truncated (in the prefix, or without a short final
    /// chunk), the final chunk does not verify, or an earlier call failed.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), PayloadError> {
        match &mut self.stage {
            Stage::Failed(e) => Err(*e),
            Stage::Prefix { .. } => Err(self.fail(PayloadError::MissingPrefix)),
            Stage::Chunks(decryptor) => match decryptor.open_final(&mut self.buffer) {
                Ok(plaintext) => {
                    out.extend_from_slice(plaintext);
                    self.buffer.zeroize();
                    self.buffer.clear();
                    Ok(())
                }
                Err(e) => Err(self.fail(e)),
            },
        }
    }
}

/// Moves bytes from the front of `input` into `buffer` until it holds
/// `want` bytes or `input` is empty.
fn fill(buffer: &mut Vec<u8>, input: &mut &[u8], want: usize) {
    let room = want.saturating_sub(buffer.len());
    let (now, later) = input.split_at_checked(room).unwrap_or((input, &[]));
    buffer.extend_from_slice(now);
    *input = later;
}

/// Random access to a Cobblestone ciphertext of known length: open chunk
/// `k` alone, and authenticate the length through the final chunk.
pub struct RandomAccess<A: Aead> {
    cipher: ChunkCipher<A>,
    layout: Layout,
}

impl<A: Aead> fmt::Debug for RandomAccess<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RandomAccess").field("layout", &self.layout).finish_non_exhaustive()
    }
}

fn layout_error(e: LayoutError) -> PayloadError {
    match e {
        LayoutError::MissingPrefix => PayloadError::MissingPrefix,
        LayoutError::Truncated => PayloadError::Truncated { chunks: 0 },
        LayoutError::TooManyChunks => PayloadError::TooManyChunks,
    }
}

impl<A: Aead> RandomAccess<A> {
    /// Checks the commitment in `prefix`, then that `ciphertext_len` (the
    /// whole Cobblestone ciphertext, prefix included) is a valid length.
    ///
    /// From the Cobblestone spec: "All decryption implementations must
    /// check the commitment before decrypting any chunk."
    ///
    /// # Errors
    ///
    /// The commitment does not match, or no message has that length.
    pub fn new(
        input_key: &[u8; KEY_SIZE],
        context: &[u8],
        prefix: &[u8; PREFIX_SIZE],
        ciphertext_len: u64,
    ) -> Result<Self, PayloadError> {
        let cipher = check_prefix(input_key, context, prefix)?;
        Self::from_cipher(cipher, ciphertext_len)
    }

    /// Random access with a cipher whose key was already checked (or raw
    /// mode, where `ciphertext_len` still counts the 56-byte prefix).
    ///
    /// # Errors
    ///
    /// No message has that length.
    pub fn from_cipher(cipher: ChunkCipher<A>, ciphertext_len: u64) -> Result<Self, PayloadError> {
        let layout = chunk::layout(ciphertext_len).map_err(layout_error)?;
        Ok(Self { cipher, layout })
    }

    /// The chunk layout: count, final chunk length, message length.
    #[must_use]
    pub const fn layout(&self) -> Layout {
        self.layout
    }

    /// Where chunk `index` is: its offset in the ciphertext and its
    /// encrypted length, or `None` past the final chunk.
    #[must_use]
    pub fn chunk_range(&self, index: u64) -> Option<(u64, u64)> {
        let last = self.layout.chunk_count.checked_sub(1)?;
        let offset = chunk::chunk_offset(index)?;
        if index < last {
            Some((offset, chunk::ENCRYPTED_CHUNK_SIZE_BYTES))
        } else if index == last {
            Some((offset, self.layout.final_chunk_len))
        } else {
            None
        }
    }

    /// Opens chunk `index`, the bytes at [`RandomAccess::chunk_range`], in
    /// place. Opening the final chunk also authenticates the length.
    ///
    /// # Errors
    ///
    /// The index is past the end, the buffer does not have the chunk's
    /// length, or the chunk does not verify.
    pub fn open_chunk<'b>(&self, index: u64, chunk: &'b mut [u8]) -> Result<&'b mut [u8], PayloadError> {
        let (_, len) = self.chunk_range(index).ok_or(PayloadError::ChunkLength)?;
        if u64::try_from(chunk.len()).ok() != Some(len) {
            return Err(PayloadError::ChunkLength);
        }
        self.cipher.open(index, chunk).map_err(|e| match e {
            ChunkError::IndexOutOfRange => PayloadError::TooManyChunks,
            ChunkError::Length => PayloadError::ChunkLength,
            ChunkError::Authentication => PayloadError::Chunk { index },
        })
    }

    /// Authenticates the message length by opening the final chunk (the
    /// bytes at the last [`RandomAccess::chunk_range`]), and returns it.
    ///
    /// From the Cobblestone spec: this check "must be performed if the
    /// application requests a seek offset relative to the end of the
    /// message."
    ///
    /// # Errors
    ///
    /// The final chunk does not verify: the ciphertext was truncated,
    /// extended or modified.
    pub fn authenticate_length(&self, final_chunk: &mut [u8]) -> Result<u64, PayloadError> {
        let last = self.layout.chunk_count.saturating_sub(1);
        self.open_chunk(last, final_chunk)?;
        final_chunk.zeroize();
        Ok(self.layout.message_len)
    }
}
