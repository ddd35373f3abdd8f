//! Unit tests of the writer that need its internals.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]

use super::*;
use ebak_core::aead::DefaultAead;
use ebak_core::chunk::MAX_CHUNK_COUNT;

/// The core refuses chunk 2^38; the writer reports that refusal (not an
/// I/O error), keeps failing, and never writes the refused batch.
#[test]
fn the_core_refusing_a_chunk_index_is_a_refusal_not_an_io_error() {
    for threads in [1, 2] {
        let cipher = ChunkCipher::<DefaultAead>::raw(&[1; 32], [2; 12]);
        let mut out = Vec::new();
        let mut w = SealWriter::new(&mut out, cipher, threads);
        // The last batch whose chunks all have indices below 2^38.
        w.pipeline.start_at(MAX_CHUNK_COUNT / crate::BATCH_CHUNKS as u64 - 1);
        let handle = w.failure_handle();
        w.write_all(&vec![7u8; BATCH_PLAINTEXT_BYTES]).unwrap();
        let e = w.finish().unwrap_err();
        assert!(matches!(e, SealError::Payload(cobblestone::SealError::TooManyChunks)), "{e:?}");
        assert_eq!(handle.get(), Some(&Failure::Refused(cobblestone::SealError::TooManyChunks)));
        assert_eq!(out.len(), crate::batch::BATCH_BYTES, "{threads} threads: only the batch below 2^38");

        // Through `Write`: the io::Error carries the refusal.
        let cipher = ChunkCipher::<DefaultAead>::raw(&[1; 32], [2; 12]);
        let mut w = SealWriter::new(io::sink(), cipher, threads);
        w.pipeline.start_at(MAX_CHUNK_COUNT / crate::BATCH_CHUNKS as u64);
        let e = w.write_all(&vec![7u8; 2 * BATCH_PLAINTEXT_BYTES + 1]).and_then(|()| w.flush()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(matches!(
            crate::find_error::<SealError>(&e),
            Some(SealError::Payload(cobblestone::SealError::TooManyChunks))
        ));
        assert!(w.write(b"x").is_err(), "a failed writer accepted more");
    }
}
