//! Payloads (spec 5): sealing, the keystream trick that keeps big vectors
//! small, chunk surgery for the invalid vectors, and a model of the
//! streaming rule (spec 6.1) that says what a reader releases.

use ebak_core::aead::{Aead, DefaultAead};
use ebak_core::chunk::{self, CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, PREFIX_SIZE, TAG_SIZE};
use ebak_core::cobblestone;
use ebak_core::file::payload_context;

/// A sealed payload and what went into it.
#[derive(Clone, Debug)]
pub struct Payload {
    /// The backup key it is sealed under.
    pub key: [u8; 32],
    /// The application context.
    pub app_context: Vec<u8>,
    /// The plaintext.
    pub plaintext: Vec<u8>,
    /// Salt, commitment and chunks.
    pub bytes: Vec<u8>,
}

/// The message a payload with the keystream trick carries: each chunk's
/// plaintext is the AES-256-GCM keystream of that chunk (the encryption of
/// zero bytes under the chunk's key and nonce), so every ciphertext byte
/// outside the tags is zero and the file compresses to almost nothing.
/// Wycheproof's big Cobblestone vectors keep their size down the same way.
#[must_use]
pub fn keystream_message(key: &[u8; 32], salt: &[u8; 24], app_context: &[u8], len: usize) -> Vec<u8> {
    let context = payload_context(app_context).unwrap();
    let derived = cobblestone::derive(key, salt, &context);
    let aead = DefaultAead::new(derived.key().expose_secret());
    let count = chunk::chunk_count(len as u64).unwrap();
    let mut out = Vec::with_capacity(len);
    for index in 0..count {
        let this = if index + 1 < count { CHUNK_SIZE } else { len % CHUNK_SIZE };
        let nonce = chunk::chunk_nonce(derived.base_nonce(), index).unwrap();
        let mut block = vec![0u8; this];
        aead.seal_in_place(&nonce, &[], &mut block).unwrap();
        out.extend_from_slice(&block);
    }
    assert_eq!(out.len(), len);
    out
}

/// Seals `plaintext` as a payload (spec 5).
#[must_use]
pub fn seal(key: &[u8; 32], salt: &[u8; 24], app_context: &[u8], plaintext: Vec<u8>) -> Payload {
    let context = payload_context(app_context).unwrap();
    let bytes = cobblestone::seal::<DefaultAead>(key, salt, &context, &plaintext).unwrap();
    Payload { key: *key, app_context: app_context.to_vec(), plaintext, bytes }
}

/// Seals a keystream message of `len` bytes, and checks the trick worked.
#[must_use]
pub fn seal_keystream(key: &[u8; 32], salt: &[u8; 24], app_context: &[u8], len: usize) -> Payload {
    let p = seal(key, salt, app_context, keystream_message(key, salt, app_context, len));
    for c in p.chunks() {
        assert!(c[..c.len() - TAG_SIZE].iter().all(|&b| b == 0), "keystream trick failed");
    }
    p
}

impl Payload {
    /// The encrypted chunks, in order (full ones, then the final one).
    #[must_use]
    pub fn chunks(&self) -> Vec<Vec<u8>> {
        split_chunks(&self.bytes[PREFIX_SIZE..])
    }

    /// The salt and commitment.
    #[must_use]
    pub fn prefix(&self) -> &[u8] {
        &self.bytes[..PREFIX_SIZE]
    }

    /// The payload rebuilt from its prefix and a list of chunks.
    #[must_use]
    pub fn with_chunks(&self, chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut out = self.prefix().to_vec();
        for c in chunks {
            out.extend_from_slice(c);
        }
        out
    }

    /// The plaintext of the first `n` chunks (all full chunks).
    #[must_use]
    pub fn first_chunks_plaintext(&self, n: usize) -> Vec<u8> {
        self.plaintext[..n * CHUNK_SIZE].to_vec()
    }
}

/// Splits the chunks a writer made (the payload after its 56-byte prefix):
/// 16 400-byte pieces, then the final chunk of 16 to 16 399 bytes.
#[must_use]
pub fn split_chunks(body: &[u8]) -> Vec<Vec<u8>> {
    assert!(body.len() % ENCRYPTED_CHUNK_SIZE >= TAG_SIZE, "not a writer's chunk sequence");
    body.chunks(ENCRYPTED_CHUNK_SIZE).map(<[u8]>::to_vec).collect()
}

/// What a streaming reader does with a (possibly modified) payload, by the
/// rule of spec 6.1, given the chunks the writer made: a full 16 400-byte
/// piece verifies exactly when it is the writer's chunk of that index (the
/// AEAD is deterministic: anything else is a forgery), and so does the
/// remainder at the end of the input, which must be 16 to 16 399 bytes and
/// the writer's final chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamOutcome {
    /// The payload opens.
    pub opens: bool,
    /// How many full chunks verified and were released before the end or
    /// the failure.
    pub released_chunks: usize,
    /// Random access: the chunk that the payload length designates as the
    /// final one verifies at its index (Wycheproof's ValidFinalChunk).
    pub valid_final_chunk: bool,
}

/// Models spec 6.1 on `payload`, a modified copy of `original`'s bytes
/// whose 56-byte prefix is intact.
#[must_use]
pub fn stream_outcome(original: &Payload, payload: &[u8]) -> StreamOutcome {
    assert!(payload.len() >= PREFIX_SIZE && payload[..PREFIX_SIZE] == *original.prefix());
    let writer = original.chunks();
    let body = &payload[PREFIX_SIZE..];
    let full = body.len() / ENCRYPTED_CHUNK_SIZE;
    let rest = &body[full * ENCRYPTED_CHUNK_SIZE..];
    let mut released = 0;
    let mut failed = false;
    for k in 0..full {
        let piece = &body[k * ENCRYPTED_CHUNK_SIZE..(k + 1) * ENCRYPTED_CHUNK_SIZE];
        if writer.get(k).is_some_and(|c| c == piece) {
            released += 1;
        } else {
            failed = true;
            break;
        }
    }
    let opens = !failed && rest.len() >= TAG_SIZE && writer.len() == full + 1 && writer[full] == rest;
    // Random access: the final chunk's index and length follow from the
    // payload length; it must be at least a tag long.
    let valid_final_chunk = rest.len() >= TAG_SIZE && writer.get(full).is_some_and(|c| c == rest);
    StreamOutcome { opens, released_chunks: released, valid_final_chunk }
}
