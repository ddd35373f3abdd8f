//! A batch: [`BATCH_CHUNKS`] consecutive chunks of one stream, each in its
//! ciphertext slot (16 KiB of plaintext room, then 16 bytes for the tag),
//! with what reading and processing found.
//!
//! The layout is the ciphertext's, so that the side that carries
//! ciphertext (the inner writer when sealing, the inner reader when
//! opening) moves a whole batch in one call, and sealing and opening work
//! in place. The plaintext side (the caller of a `Write` or `Read`
//! adapter) moves bytes chunk by chunk, skipping the tag slots.

use crate::BATCH_CHUNKS;
use ebak_core::chunk::{CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, TAG_SIZE};
use std::io::{self, IoSlice, IoSliceMut};
use zeroize::Zeroize;

/// The bytes of one batch buffer.
pub(crate) const BATCH_BYTES: usize = BATCH_CHUNKS * ENCRYPTED_CHUNK_SIZE;

/// The plaintext bytes of a batch of full chunks.
pub(crate) const BATCH_PLAINTEXT_BYTES: usize = BATCH_CHUNKS * CHUNK_SIZE;

/// A batch buffer. Plaintext passes through it, so it is wiped on drop
/// (once, when the stream ends: buffers are reused batch after batch).
struct Buffer(Box<[u8]>);

impl Drop for Buffer {
    fn drop(&mut self) {
        // `[u8]::zeroize` is one `memset` behind an optimization barrier;
        // `Vec<u8>::zeroize` would be a volatile store per byte (measured:
        // 30% of a 1 MiB seal when a batch was wiped per stream).
        self.0.zeroize();
    }
}

/// One batch in flight. `F` is the failure processing can find (a payload
/// error when opening, a seal error when sealing).
pub(crate) struct Batch<F> {
    buf: Buffer,
    /// The batch's number in its stream: batch `seq` holds chunks
    /// `seq * BATCH_CHUNKS ..`.
    pub(crate) seq: u64,
    /// The stream index of the first chunk.
    first_index: u64,
    /// Full chunks (16 KiB of plaintext, or 16 400 bytes encrypted).
    pub(crate) full_chunks: usize,
    /// The stream ends in this batch, and this is the length of what comes
    /// after the full chunks, the final chunk (plaintext length when
    /// sealing, encrypted length when opening). It is in slot `full_chunks`.
    pub(crate) final_len: Option<usize>,
    /// Reading failed after the full chunks (opening; the partial chunk is
    /// dropped).
    pub(crate) read_error: Option<io::Error>,
    /// Chunks sealed or verified, from the first; the ones after a failure
    /// are neither processed nor released.
    pub(crate) done_chunks: usize,
    /// The first chunk that failed, if one did.
    pub(crate) failure: Option<F>,
    /// Processing panicked (a bug; the stream then fails, never hangs).
    pub(crate) panicked: bool,
}

impl<F> Batch<F> {
    /// An empty batch. The buffer is allocated zeroed: untouched pages
    /// cost no memory until a read or write fills them.
    pub(crate) fn new() -> Self {
        Self {
            buf: Buffer(vec![0u8; BATCH_BYTES].into_boxed_slice()),
            seq: 0,
            first_index: 0,
            full_chunks: 0,
            final_len: None,
            read_error: None,
            done_chunks: 0,
            failure: None,
            panicked: false,
        }
    }

    /// Starts batch number `seq` of the stream. The slots keep stale bytes;
    /// only the ones the next fill writes are ever used.
    pub(crate) fn reset(&mut self, seq: u64) {
        self.seq = seq;
        // Saturates far past 2^38, where the core rejects every index.
        self.first_index = seq.saturating_mul(BATCH_CHUNKS as u64);
        self.full_chunks = 0;
        self.final_len = None;
        self.read_error = None;
        self.done_chunks = 0;
        self.failure = None;
        self.panicked = false;
    }

    /// Whether the stream ended (or reading failed) in this batch.
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
        &mut self.buf.0
    }

    /// The bytes of slot `i`, the first `len` of them.
    pub(crate) fn slot_mut(&mut self, i: usize, len: usize) -> Option<&mut [u8]> {
        let start = i.checked_mul(ENCRYPTED_CHUNK_SIZE)?;
        self.buf.0.get_mut(start..start.checked_add(len)?)
    }

    /// Where plaintext byte `pos` of the batch lives in the buffer, and how
    /// many plaintext bytes its chunk holds from there.
    const fn locate(pos: usize) -> (usize, usize) {
        let chunk = pos / CHUNK_SIZE;
        let offset = pos % CHUNK_SIZE;
        (chunk.saturating_mul(ENCRYPTED_CHUNK_SIZE).saturating_add(offset), CHUNK_SIZE.saturating_sub(offset))
    }

    /// The plaintext room from plaintext byte `pos` to the end of its
    /// chunk's 16 KiB (empty once `pos` reaches the end of the batch).
    pub(crate) fn room_at(&mut self, pos: usize) -> &mut [u8] {
        if pos >= BATCH_PLAINTEXT_BYTES {
            return &mut [];
        }
        let (at, len) = Self::locate(pos);
        self.buf.0.get_mut(at..at.saturating_add(len)).unwrap_or_default()
    }

    /// The plaintext room of every slot from plaintext byte `pos` on, in
    /// order, for reading a message straight into the batch: the slices,
    /// and how many of them are used (on the stack: no allocation).
    pub(crate) fn room_from(&mut self, pos: usize) -> ([IoSliceMut<'_>; BATCH_CHUNKS], usize) {
        let skip = pos / CHUNK_SIZE;
        let offset = pos % CHUNK_SIZE;
        let mut out: [IoSliceMut<'_>; BATCH_CHUNKS] = std::array::from_fn(|_| IoSliceMut::new(&mut []));
        let mut used = 0;
        let rooms = self.buf.0.chunks_exact_mut(ENCRYPTED_CHUNK_SIZE).skip(skip).enumerate();
        for ((i, slot), dst) in rooms.zip(out.iter_mut()) {
            if let Some(room) = slot.get_mut(if i == 0 { offset } else { 0 }..CHUNK_SIZE) {
                *dst = IoSliceMut::new(room);
                used = i.saturating_add(1);
            }
        }
        (out, used)
    }

    /// The encrypted bytes of a sealed batch: the full chunks and the
    /// final one, if it is here.
    pub(crate) fn sealed_bytes(&self) -> Option<&[u8]> {
        let done = self.done_chunks.min(self.full_chunks);
        let mut len = done.checked_mul(ENCRYPTED_CHUNK_SIZE)?;
        if self.done_chunks > self.full_chunks {
            len = len.checked_add(self.final_len?.checked_add(TAG_SIZE)?)?;
        }
        self.buf.0.get(..len)
    }

    /// The plaintext bytes a processed batch may release: those of the
    /// chunks that sealed or verified (plaintext length when opening).
    pub(crate) fn released_plaintext(&self, final_plaintext: Option<usize>) -> usize {
        let full = self.done_chunks.min(self.full_chunks).saturating_mul(CHUNK_SIZE);
        if self.done_chunks > self.full_chunks { full.saturating_add(final_plaintext.unwrap_or(0)) } else { full }
    }

    /// The plaintext from byte `pos` of the batch to the end of its chunk,
    /// but not past byte `end`.
    pub(crate) fn plaintext_at(&self, pos: usize, end: usize) -> &[u8] {
        let (at, room) = Self::locate(pos);
        let len = room.min(end.saturating_sub(pos));
        self.buf.0.get(at..at.saturating_add(len)).unwrap_or_default()
    }

    /// The plaintext bytes `pos..end` of the batch, chunk by chunk, for
    /// writing opened chunks out: the slices, and how many are used (a
    /// batch has at most [`BATCH_CHUNKS`] chunks; on the stack).
    pub(crate) fn plaintext_slices(&self, mut pos: usize, end: usize) -> ([IoSlice<'_>; BATCH_CHUNKS], usize) {
        let mut out: [IoSlice<'_>; BATCH_CHUNKS] = [IoSlice::new(&[]); BATCH_CHUNKS];
        let mut used = 0usize;
        for dst in &mut out {
            let piece = self.plaintext_at(pos, end);
            if piece.is_empty() {
                break;
            }
            pos = pos.saturating_add(piece.len());
            *dst = IoSlice::new(piece);
            used = used.saturating_add(1);
        }
        (out, used)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing, reason = "test code")]
mod tests {
    use super::*;

    #[test]
    fn plaintext_positions_skip_the_tag_slots() {
        let mut b: Batch<()> = Batch::new();
        assert_eq!(b.room_at(0).len(), CHUNK_SIZE);
        assert_eq!(b.room_at(5).len(), CHUNK_SIZE - 5);
        b.room_at(CHUNK_SIZE - 1)[0] = 7;
        b.room_at(CHUNK_SIZE)[0] = 8;
        assert_eq!(b.bytes_mut()[CHUNK_SIZE - 1], 7);
        assert_eq!(b.bytes_mut()[ENCRYPTED_CHUNK_SIZE], 8);
        assert!(b.room_at(BATCH_PLAINTEXT_BYTES).is_empty());
        assert_eq!(b.room_at(BATCH_PLAINTEXT_BYTES - 1).len(), 1);
        let (rooms, used) = b.room_from(CHUNK_SIZE + 3);
        assert_eq!(used, BATCH_CHUNKS - 1);
        let room: usize = rooms[..used].iter().map(|s| s.len()).sum();
        assert_eq!(room, BATCH_PLAINTEXT_BYTES - CHUNK_SIZE - 3);
        b.full_chunks = 2;
        b.done_chunks = 3;
        assert_eq!(b.released_plaintext(Some(10)), 2 * CHUNK_SIZE + 10);
        let (pieces, used) = b.plaintext_slices(CHUNK_SIZE - 1, 2 * CHUNK_SIZE + 10);
        let pieces = &pieces[..used];
        assert_eq!(pieces.iter().map(|s| s.len()).collect::<Vec<_>>(), [1, CHUNK_SIZE, 10]);
        assert_eq!(pieces[0][0], 7);
        assert_eq!(pieces[1][0], 8);
    }
}
