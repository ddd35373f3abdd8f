//! A batch: [`BATCH_CHUNKS`] consecutive chunks of one stream, each in its
//! ciphertext slot (16 KiB of plaintext room, then 16 bytes for the tag),
//! with what reading and processing found.

use crate::BATCH_CHUNKS;
use ebak_core::chunk::{CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE};
use std::io::{self, IoSlice, IoSliceMut};
use zeroize::Zeroizing;

/// The bytes of one batch buffer.
pub(crate) const BATCH_BYTES: usize = BATCH_CHUNKS * ENCRYPTED_CHUNK_SIZE;

/// One batch in flight. `F` is the failure processing can find (a payload
/// error when opening, a seal error when sealing).
pub(crate) struct Batch<F> {
    /// The slots. Plaintext passes through it, so it is wiped on drop.
    buf: Zeroizing<Vec<u8>>,
    /// The stream index of the first chunk.
    first_index: u64,
    /// Full chunks read (16 KiB of plaintext, or 16 400 bytes encrypted).
    pub(crate) full_chunks: usize,
    /// The input ended in this batch, and this is the length of what came
    /// after the full chunks, the final chunk (plaintext length when
    /// sealing, encrypted length when opening). It is in slot `full_chunks`.
    pub(crate) final_len: Option<usize>,
    /// Reading failed after the full chunks (the partial one is dropped).
    pub(crate) read_error: Option<io::Error>,
    /// Chunks sealed or verified, from the first; the ones after a failure
    /// are neither processed nor written.
    pub(crate) done_chunks: usize,
    /// The first chunk that failed, if one did.
    pub(crate) failure: Option<F>,
}

impl<F> Batch<F> {
    /// An empty batch. The buffer is allocated zeroed (untouched pages cost
    /// no memory until a read fills them).
    pub(crate) fn new() -> Self {
        Self {
            buf: Zeroizing::new(vec![0u8; BATCH_BYTES]),
            first_index: 0,
            full_chunks: 0,
            final_len: None,
            read_error: None,
            done_chunks: 0,
            failure: None,
        }
    }

    /// Starts batch number `seq` of the stream: its first chunk is
    /// `seq * BATCH_CHUNKS`. The slots keep stale bytes; only the ones the
    /// next read fills are ever used.
    pub(crate) fn reset(&mut self, seq: u64) {
        // Saturates far past 2^38, where the core rejects every index.
        self.first_index = seq.saturating_mul(BATCH_CHUNKS as u64);
        self.full_chunks = 0;
        self.final_len = None;
        self.read_error = None;
        self.done_chunks = 0;
        self.failure = None;
    }

    /// Whether the input ended (or failed) in this batch.
    pub(crate) const fn ends_input(&self) -> bool {
        self.final_len.is_some() || self.read_error.is_some()
    }

    /// The stream index of chunk `i` of the batch (saturating, like
    /// [`Batch::reset`]).
    pub(crate) const fn index(&self, i: usize) -> u64 {
        self.first_index.saturating_add(i as u64)
    }

    /// The whole buffer, for reading ciphertext into it.
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    /// The bytes of slot `i`, the first `len` of them.
    pub(crate) fn slot_mut(&mut self, i: usize, len: usize) -> Option<&mut [u8]> {
        let start = i.checked_mul(ENCRYPTED_CHUNK_SIZE)?;
        self.buf.get_mut(start..start.checked_add(len)?)
    }

    /// The plaintext room of every slot, in order, for reading a message
    /// into the batch.
    pub(crate) fn plaintext_room(&mut self) -> Vec<IoSliceMut<'_>> {
        self.buf
            .chunks_exact_mut(ENCRYPTED_CHUNK_SIZE)
            .filter_map(|s| s.get_mut(..CHUNK_SIZE))
            .map(IoSliceMut::new)
            .collect()
    }

    /// The first `len` bytes of the buffer, for writing sealed chunks out.
    pub(crate) fn prefix(&self, len: usize) -> Option<&[u8]> {
        self.buf.get(..len)
    }

    /// The plaintext of the first `full` slots (16 KiB each) and then
    /// `last` bytes of the next one, for writing opened chunks out.
    pub(crate) fn plaintexts(&self, full: usize, last: Option<usize>) -> Vec<IoSlice<'_>> {
        let mut out: Vec<IoSlice<'_>> = self
            .buf
            .chunks_exact(ENCRYPTED_CHUNK_SIZE)
            .take(full)
            .filter_map(|s| s.get(..CHUNK_SIZE))
            .map(IoSlice::new)
            .collect();
        if let Some(len) = last
            && let Some(start) = full.checked_mul(ENCRYPTED_CHUNK_SIZE)
            && let Some(body) = start.checked_add(len).and_then(|end| self.buf.get(start..end))
        {
            out.push(IoSlice::new(body));
        }
        out
    }
}
