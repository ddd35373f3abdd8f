//! Chunk arithmetic of Cobblestone-256: sizes, counts, offsets and nonces.
//!
//! Every function here is pure, total and panic-free: the integer widths are
//! chosen so that no operation can overflow for any input, and the limits
//! are checked before any arithmetic depends on them. These are the
//! functions the Why3 models in `proofs/why3/` mirror one to one.
//!
//! Each function carries a hax contract (`proofs/hax/README.md`): the
//! postconditions state the closed forms the Cobblestone spec gives, and
//! the lemmas in [`spec`] state what follows from them (one chunking per
//! length, increasing offsets, distinct nonces). With the `no-panic`
//! feature, each is also checked at link time to contain no panic path.

/// From the Cobblestone spec: "The message is split into chunks of 16 KiB".
pub const CHUNK_SIZE_BYTES: u64 = 16_384;

/// The AES-GCM tag appended to every encrypted chunk.
pub const TAG_SIZE_BYTES: u64 = 16;

/// A full chunk once encrypted: 16 KiB of ciphertext and its tag.
pub const ENCRYPTED_CHUNK_SIZE_BYTES: u64 = 16_400;

/// The salt that starts every Cobblestone ciphertext.
pub const SALT_SIZE_BYTES: u64 = 24;

/// The key commitment that follows the salt.
pub const COMMITMENT_SIZE_BYTES: u64 = 32;

/// Salt and commitment: the fixed prefix before the first chunk.
pub const PREFIX_SIZE_BYTES: u64 = 56;

/// The AES-GCM nonce size.
pub const NONCE_SIZE_BYTES: usize = 12;

/// From the Cobblestone spec: "the message MUST NOT exceed 2^38 chunks".
pub const MAX_CHUNK_COUNT: u64 = 1 << 38;

/// The longest message: 2^38 chunks, the last of them shorter than 16 KiB,
/// that is 4 PiB - 1 byte.
pub const MAX_MESSAGE_BYTES: u64 = MAX_CHUNK_COUNT * CHUNK_SIZE_BYTES - 1;

/// `usize` versions of the sizes, for buffers.
pub const CHUNK_SIZE: usize = 16_384;
/// `usize` version of [`TAG_SIZE_BYTES`].
pub const TAG_SIZE: usize = 16;
/// `usize` version of [`ENCRYPTED_CHUNK_SIZE_BYTES`].
pub const ENCRYPTED_CHUNK_SIZE: usize = 16_400;
/// `usize` version of [`SALT_SIZE_BYTES`].
pub const SALT_SIZE: usize = 24;
/// `usize` version of [`COMMITMENT_SIZE_BYTES`].
pub const COMMITMENT_SIZE: usize = 32;
/// `usize` version of [`PREFIX_SIZE_BYTES`].
pub const PREFIX_SIZE: usize = 56;

/// The number of chunks a message of `message_len` bytes is split into, or
/// `None` if the message is longer than [`MAX_MESSAGE_BYTES`].
///
/// From the Cobblestone spec: "there is only one correct chunking for each
/// message length": `message_len / 16 KiB` full chunks and one final chunk
/// of `message_len % 16 KiB` bytes, possibly empty.
#[must_use]
#[hax_lib::ensures(|result| match result {
    Some(count) => message_len <= MAX_MESSAGE_BYTES
        && count >= 1
        && count <= MAX_CHUNK_COUNT
        && count == message_len / CHUNK_SIZE_BYTES + 1,
    None => message_len > MAX_MESSAGE_BYTES,
})]
#[cfg_attr(feature = "no-panic", no_panic::no_panic)]
pub fn chunk_count(message_len: u64) -> Option<u64> {
    if message_len > MAX_MESSAGE_BYTES {
        return None;
    }
    // Cannot overflow: message_len / CHUNK_SIZE_BYTES < 2^38.
    (message_len / CHUNK_SIZE_BYTES).checked_add(1)
}

/// The plaintext length of the final chunk of a message of `message_len`
/// bytes: always shorter than a full chunk, and possibly zero.
#[must_use]
#[hax_lib::ensures(|result| result < CHUNK_SIZE_BYTES && result == message_len % CHUNK_SIZE_BYTES)]
#[cfg_attr(feature = "no-panic", no_panic::no_panic)]
pub fn final_chunk_len(message_len: u64) -> u64 {
    message_len % CHUNK_SIZE_BYTES
}

/// The length of the Cobblestone ciphertext (salt, commitment and chunks)
/// of a message of `message_len` bytes, or `None` past the limit.
#[must_use]
#[hax_lib::ensures(|result| match result {
    Some(len) => message_len <= MAX_MESSAGE_BYTES && spec::is_ciphertext_len(message_len, len),
    None => message_len > MAX_MESSAGE_BYTES,
})]
#[cfg_attr(feature = "no-panic", no_panic::no_panic)]
pub fn ciphertext_len(message_len: u64) -> Option<u64> {
    let chunks = chunk_count(message_len)?;
    // Cannot overflow: message_len < 2^52 and chunks <= 2^38, so the sum
    // is below 2^53; checked anyway, so a wrong bound cannot wrap silently.
    PREFIX_SIZE_BYTES.checked_add(message_len)?.checked_add(chunks.checked_mul(TAG_SIZE_BYTES)?)
}

/// The offset of chunk `index` in a Cobblestone ciphertext, or `None` if
/// `index` is not below [`MAX_CHUNK_COUNT`].
///
/// From the Cobblestone spec: "Chunk k can be found at ciphertext offset
/// 56 + k * (16384 + len(tag))".
#[must_use]
#[hax_lib::ensures(|result| match result {
    Some(offset) => index < MAX_CHUNK_COUNT && spec::is_chunk_offset(index, offset),
    None => index >= MAX_CHUNK_COUNT,
})]
#[cfg_attr(feature = "no-panic", no_panic::no_panic)]
pub fn chunk_offset(index: u64) -> Option<u64> {
    if index >= MAX_CHUNK_COUNT {
        return None;
    }
    // Cannot overflow: index < 2^38 and the chunk size < 2^15.
    PREFIX_SIZE_BYTES.checked_add(index.checked_mul(ENCRYPTED_CHUNK_SIZE_BYTES)?)
}

/// How a Cobblestone ciphertext of a given length splits into chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The number of chunks, the final one included (at least 1).
    pub chunk_count: u64,
    /// The encrypted length of the final chunk, tag included
    /// (from `TAG_SIZE_BYTES` to `ENCRYPTED_CHUNK_SIZE_BYTES - 1`).
    pub final_chunk_len: u64,
    /// The length of the message it decrypts to, if it is valid.
    pub message_len: u64,
}

/// Why a ciphertext length cannot be a valid Cobblestone ciphertext.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// Shorter than the 56-byte salt and commitment.
    MissingPrefix,
    /// The final chunk is missing or shorter than a tag (a full chunk cannot
    /// be final).
    Truncated,
    /// More than 2^38 chunks.
    TooManyChunks,
}

/// The chunk layout of a Cobblestone ciphertext of `ciphertext_len` bytes.
///
/// From the Cobblestone spec: "any message of encrypted length
/// 56 + k * (16 KiB + len(tag)) is truncated, and any message of encrypted
/// length < 56, or > 56 + k * (16 KiB + len(tag)) and
/// < 56 + k * (16 KiB + len(tag)) + len(tag) is invalid."
///
/// # Errors
///
/// The length is one that no message encrypts to.
#[hax_lib::ensures(|result| match result {
    Ok(l) => spec::is_layout(ciphertext_len, l),
    Err(LayoutError::MissingPrefix) => ciphertext_len < PREFIX_SIZE_BYTES,
    Err(LayoutError::Truncated) => ciphertext_len >= PREFIX_SIZE_BYTES
        && (ciphertext_len - PREFIX_SIZE_BYTES) % ENCRYPTED_CHUNK_SIZE_BYTES < TAG_SIZE_BYTES,
    Err(LayoutError::TooManyChunks) => ciphertext_len >= PREFIX_SIZE_BYTES
        && (ciphertext_len - PREFIX_SIZE_BYTES) % ENCRYPTED_CHUNK_SIZE_BYTES >= TAG_SIZE_BYTES
        && (ciphertext_len - PREFIX_SIZE_BYTES) / ENCRYPTED_CHUNK_SIZE_BYTES >= MAX_CHUNK_COUNT,
})]
#[cfg_attr(feature = "no-panic", no_panic::no_panic)]
pub fn layout(ciphertext_len: u64) -> Result<Layout, LayoutError> {
    let Some(body) = ciphertext_len.checked_sub(PREFIX_SIZE_BYTES) else {
        return Err(LayoutError::MissingPrefix);
    };
    let full_chunks = body / ENCRYPTED_CHUNK_SIZE_BYTES;
    let final_chunk_len = body % ENCRYPTED_CHUNK_SIZE_BYTES;
    if final_chunk_len < TAG_SIZE_BYTES {
        return Err(LayoutError::Truncated);
    }
    if full_chunks >= MAX_CHUNK_COUNT {
        return Err(LayoutError::TooManyChunks);
    }
    // Cannot overflow: full_chunks < 2^38, so the count is at most 2^38,
    // and the message length is below 2^52.
    let message_len = full_chunks
        .checked_mul(CHUNK_SIZE_BYTES)
        .and_then(|full| full.checked_add(final_chunk_len.checked_sub(TAG_SIZE_BYTES)?));
    match (full_chunks.checked_add(1), message_len) {
        (Some(chunk_count), Some(message_len)) => Ok(Layout { chunk_count, final_chunk_len, message_len }),
        _ => Err(LayoutError::TooManyChunks),
    }
}

/// The nonce of chunk `index`: the base nonce XOR'd with the index as a
/// 96-bit big-endian integer, or `None` if `index` is not below
/// [`MAX_CHUNK_COUNT`].
///
/// From the Cobblestone spec: "If the chunk counter reaches or exceeds
/// 2^38 while encrypting or decrypting, implementations MUST abort."
#[must_use]
#[hax_lib::ensures(|result| match result {
    Some(nonce) => index < MAX_CHUNK_COUNT && spec::is_chunk_nonce(base_nonce, index, &nonce),
    None => index >= MAX_CHUNK_COUNT,
})]
#[cfg_attr(feature = "no-panic", no_panic::no_panic)]
pub fn chunk_nonce(base_nonce: &[u8; NONCE_SIZE_BYTES], index: u64) -> Option<[u8; NONCE_SIZE_BYTES]> {
    if index >= MAX_CHUNK_COUNT {
        return None;
    }
    let [h0, h1, h2, h3, l0, l1, l2, l3, l4, l5, l6, l7] = *base_nonce;
    // The index is below 2^38, so it only touches the low 8 bytes (in fact
    // the low 5, as the spec says).
    let low = u64::from_be_bytes([l0, l1, l2, l3, l4, l5, l6, l7]) ^ index;
    let [m0, m1, m2, m3, m4, m5, m6, m7] = low.to_be_bytes();
    Some([h0, h1, h2, h3, m0, m1, m2, m3, m4, m5, m6, m7])
}

impl core::fmt::Display for LayoutError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::MissingPrefix => "shorter than the 56-byte salt and commitment",
            Self::Truncated => "the final chunk is missing or shorter than a tag",
            Self::TooManyChunks => "more than 2^38 chunks",
        })
    }
}

impl core::error::Error for LayoutError {}

/// The predicates the contracts above are written with, and the lemmas that
/// follow from the contracts. Only compiled with `--cfg hax`: in a normal
/// build the contracts are erased and nothing refers to this module.
///
/// Arithmetic here is on mathematical integers (`hax_lib::Int`), so that a
/// specification cannot overflow where the code must not.
#[cfg(hax)]
#[allow(dead_code, reason = "predicates and lemmas are used by contracts and by the prover only")]
pub(crate) mod spec {
    use super::*;
    use hax_lib::{Int, Prop, ToInt, implies};

    /// `56 + message_len + chunk_count * 16`: the Cobblestone ciphertext of
    /// a message of `message_len` bytes has this many bytes.
    pub(crate) fn is_ciphertext_len(message_len: u64, len: u64) -> bool {
        let chunks: Int = (message_len / CHUNK_SIZE_BYTES).to_int() + 1u64.to_int();
        len.to_int() == PREFIX_SIZE_BYTES.to_int() + message_len.to_int() + chunks * TAG_SIZE_BYTES.to_int()
    }

    /// From the Cobblestone spec: "Chunk k can be found at ciphertext
    /// offset 56 + k * (16384 + len(tag))".
    pub(crate) fn is_chunk_offset(index: u64, offset: u64) -> bool {
        offset.to_int() == PREFIX_SIZE_BYTES.to_int() + index.to_int() * ENCRYPTED_CHUNK_SIZE_BYTES.to_int()
    }

    /// `message_len` splits into `count - 1` full chunks and a final chunk
    /// of `final_len` bytes, strictly shorter than a full one.
    pub(crate) fn is_chunking(message_len: u64, count: u64, final_len: u64) -> bool {
        count >= 1
            && count <= MAX_CHUNK_COUNT
            && final_len < CHUNK_SIZE_BYTES
            && message_len.to_int() == (count.to_int() - 1u64.to_int()) * CHUNK_SIZE_BYTES.to_int() + final_len.to_int()
    }

    /// `l` describes a valid ciphertext of `ciphertext_len` bytes: `count - 1`
    /// full encrypted chunks, then a final one that holds at least a tag
    /// and is strictly shorter than a full one, and the message it decrypts
    /// to has the chunking of that shape.
    pub(crate) fn is_layout(ciphertext_len: u64, l: Layout) -> bool {
        l.final_chunk_len >= TAG_SIZE_BYTES
            && l.final_chunk_len < ENCRYPTED_CHUNK_SIZE_BYTES
            && is_chunking(l.message_len, l.chunk_count, l.final_chunk_len - TAG_SIZE_BYTES)
            && ciphertext_len.to_int()
                == PREFIX_SIZE_BYTES.to_int()
                    + (l.chunk_count.to_int() - 1u64.to_int()) * ENCRYPTED_CHUNK_SIZE_BYTES.to_int()
                    + l.final_chunk_len.to_int()
    }

    /// The high four bytes of a nonce, which no chunk index touches.
    pub(crate) fn nonce_high(nonce: &[u8; NONCE_SIZE_BYTES]) -> [u8; 4] {
        [nonce[0], nonce[1], nonce[2], nonce[3]]
    }

    /// The low eight bytes of a nonce, as a big-endian integer.
    pub(crate) fn nonce_low(nonce: &[u8; NONCE_SIZE_BYTES]) -> u64 {
        u64::from_be_bytes([nonce[4], nonce[5], nonce[6], nonce[7], nonce[8], nonce[9], nonce[10], nonce[11]])
    }

    /// From the Cobblestone spec: the nonce of chunk `index` is the base
    /// nonce XOR'd with the index as a 96-bit big-endian integer (the index
    /// is below 2^38, so the high 32 bits are the base nonce's).
    pub(crate) fn is_chunk_nonce(
        base_nonce: &[u8; NONCE_SIZE_BYTES],
        index: u64,
        nonce: &[u8; NONCE_SIZE_BYTES],
    ) -> bool {
        nonce_high(nonce) == nonce_high(base_nonce) && nonce_low(nonce) == nonce_low(base_nonce) ^ index
    }

    /// Cobblestone: "there is only one correct chunking for each message
    /// length", and it is the one [`chunk_count`] and [`final_chunk_len`] give.
    pub(crate) fn chunking_is_unique_statement(message_len: u64, count: u64, final_len: u64) -> Prop {
        implies(
            message_len <= MAX_MESSAGE_BYTES && is_chunking(message_len, count, final_len),
            chunk_count(message_len) == Some(count) && final_chunk_len(message_len) == final_len,
        )
    }

    /// The chunking [`chunk_count`] and [`final_chunk_len`] give is one.
    pub(crate) fn chunking_exists_statement(message_len: u64) -> Prop {
        implies(
            message_len <= MAX_MESSAGE_BYTES,
            match chunk_count(message_len) {
                Some(count) => is_chunking(message_len, count, final_chunk_len(message_len)),
                None => false,
            },
        )
    }

    /// Chunks do not overlap: chunk `i` ends at or before chunk `j` starts
    /// when `i < j` (so offsets strictly increase, and index <-> offset is
    /// a bijection on the valid indices).
    pub(crate) fn chunk_offsets_increase_statement(i: u64, j: u64) -> Prop {
        implies(
            i < j && j < MAX_CHUNK_COUNT,
            match (chunk_offset(i), chunk_offset(j)) {
                (Some(a), Some(b)) => a.to_int() + ENCRYPTED_CHUNK_SIZE_BYTES.to_int() <= b.to_int(),
                _ => false,
            },
        )
    }

    /// Every chunk of a message gets a distinct nonce.
    pub(crate) fn chunk_nonces_are_distinct_statement(base_nonce: &[u8; NONCE_SIZE_BYTES], i: u64, j: u64) -> Prop {
        implies(
            i != j && i < MAX_CHUNK_COUNT && j < MAX_CHUNK_COUNT,
            chunk_nonce(base_nonce, i) != chunk_nonce(base_nonce, j),
        )
    }

    /// [`layout`] inverts [`ciphertext_len`]: a message's ciphertext length
    /// gives back the message length and its chunking.
    pub(crate) fn layout_inverts_ciphertext_len_statement(message_len: u64) -> Prop {
        implies(
            message_len <= MAX_MESSAGE_BYTES,
            match (ciphertext_len(message_len), chunk_count(message_len)) {
                (Some(len), Some(chunk_count)) => {
                    let final_chunk_len = final_chunk_len(message_len) + TAG_SIZE_BYTES;
                    layout(len) == Ok(Layout { chunk_count, final_chunk_len, message_len })
                }
                _ => false,
            },
        )
    }

    // The lemmas: each states its statement for all inputs. The proofs are
    // F*'s (SMT), on a machine with the hax toolchain (`proofs/hax.sh`).

    #[hax_lib::lemma]
    pub(crate) fn chunking_is_unique(
        m: u64,
        count: u64,
        final_len: u64,
    ) -> Proof<{ chunking_is_unique_statement(m, count, final_len) }> {
    }

    #[hax_lib::lemma]
    pub(crate) fn chunking_exists(m: u64) -> Proof<{ chunking_exists_statement(m) }> {}

    #[hax_lib::lemma]
    pub(crate) fn chunk_offsets_increase(i: u64, j: u64) -> Proof<{ chunk_offsets_increase_statement(i, j) }> {}

    #[hax_lib::lemma]
    pub(crate) fn chunk_nonces_are_distinct(
        n: &[u8; NONCE_SIZE_BYTES],
        i: u64,
        j: u64,
    ) -> Proof<{ chunk_nonces_are_distinct_statement(n, i, j) }> {
    }

    #[hax_lib::lemma]
    pub(crate) fn layout_inverts_ciphertext_len(m: u64) -> Proof<{ layout_inverts_ciphertext_len_statement(m) }> {}
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "tests compute expected values")]
mod tests {
    use super::*;

    #[test]
    fn examples_from_the_cobblestone_spec() {
        // "An empty message is encrypted as a single empty chunk."
        assert_eq!(chunk_count(0), Some(1));
        assert_eq!(final_chunk_len(0), 0);
        // "A message of 16 KiB is encrypted as two chunks, one of 16 KiB and
        // one empty."
        assert_eq!(chunk_count(16_384), Some(2));
        assert_eq!(final_chunk_len(16_384), 0);
        // "A message of 20 KiB is encrypted as two chunks, one of 16 KiB and
        // one of 4 KiB."
        assert_eq!(chunk_count(20_480), Some(2));
        assert_eq!(final_chunk_len(20_480), 4_096);
    }

    #[test]
    fn limits() {
        assert_eq!(chunk_count(MAX_MESSAGE_BYTES), Some(MAX_CHUNK_COUNT));
        assert_eq!(chunk_count(MAX_MESSAGE_BYTES + 1), None);
        assert_eq!(chunk_offset(MAX_CHUNK_COUNT - 1), Some(56 + (MAX_CHUNK_COUNT - 1) * 16_400));
        assert_eq!(chunk_offset(MAX_CHUNK_COUNT), None);
        assert!(chunk_nonce(&[0; 12], MAX_CHUNK_COUNT - 1).is_some());
        assert_eq!(chunk_nonce(&[0; 12], MAX_CHUNK_COUNT), None);
        let max = ciphertext_len(MAX_MESSAGE_BYTES).unwrap();
        assert_eq!(
            layout(max),
            Ok(Layout { chunk_count: MAX_CHUNK_COUNT, final_chunk_len: 16_399, message_len: MAX_MESSAGE_BYTES })
        );
        assert_eq!(layout(max + 1), Err(LayoutError::Truncated));
        assert_eq!(layout(max + 17), Err(LayoutError::TooManyChunks));
        assert_eq!(layout(u64::MAX).map(|l| l.chunk_count).ok(), None);
    }

    #[test]
    fn layout_inverts_ciphertext_len() {
        for len in [0, 1, 16_383, 16_384, 16_385, 32_768, 4_194_305] {
            let ct = ciphertext_len(len).unwrap();
            let l = layout(ct).unwrap();
            assert_eq!(l.message_len, len);
            assert_eq!(l.chunk_count, chunk_count(len).unwrap());
            assert_eq!(l.final_chunk_len, final_chunk_len(len) + 16);
        }
        assert_eq!(layout(55), Err(LayoutError::MissingPrefix));
        assert_eq!(layout(56), Err(LayoutError::Truncated));
        assert_eq!(layout(56 + 15), Err(LayoutError::Truncated));
        assert_eq!(layout(56 + 16_400), Err(LayoutError::Truncated));
        assert_eq!(layout(56 + 16_400 + 15), Err(LayoutError::Truncated));
    }

    #[test]
    fn nonce_xors_the_low_bytes() {
        let base = [0xff; 12];
        let n = chunk_nonce(&base, 0x01_0203_0405).unwrap();
        assert_eq!(n, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa]);
        assert_eq!(chunk_nonce(&base, 0).unwrap(), base);
        // Counter crossing a byte boundary (the Wycheproof CounterRollover case).
        let n = chunk_nonce(&[0; 12], 256).unwrap();
        assert_eq!(n, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    }
}
