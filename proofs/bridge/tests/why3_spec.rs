//! The Why3 model's postconditions, tested against the Rust code.
//!
//! `proofs/why3/chunk.mlw` proves that its mirror of each function of
//! `core/src/chunk.rs` meets a postcondition that characterizes its result
//! completely (`None` exactly when ..., otherwise exactly this value). The
//! mirror is tied to the Rust code by reading; this test ties the proved
//! postconditions to the Rust code directly: each is transcribed below in
//! `u128` arithmetic (which cannot overflow for these inputs) and checked
//! against the Rust function on every boundary the postconditions name and
//! on random inputs. A Rust function that drifted from its mirror would
//! fail here on the inputs tried.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    reason = "the postconditions are computed in u128 and compared with the u64 results"
)]

use ebak_core::chunk::{self, Layout, LayoutError};
use ebak_proofs::rng::Rng;

const CHUNK: u128 = 16_384;
const TAG: u128 = 16;
const ENCRYPTED: u128 = 16_400;
const PREFIX: u128 = 56;
const MAX_CHUNKS: u128 = 1 << 38;
const MAX_MESSAGE: u128 = (1 << 52) - 1;

/// `Chunk.chunk_count`'s postcondition.
fn chunk_count_spec(m: u64) -> Option<u64> {
    let m = u128::from(m);
    (m <= MAX_MESSAGE).then(|| (m / CHUNK + 1) as u64)
}

/// `Chunk.final_chunk_len`'s postcondition.
fn final_chunk_len_spec(m: u64) -> u64 {
    (u128::from(m) % CHUNK) as u64
}

/// `Chunk.ciphertext_len`'s postcondition.
fn ciphertext_len_spec(m: u64) -> Option<u64> {
    let m = u128::from(m);
    (m <= MAX_MESSAGE).then(|| (PREFIX + m + TAG * (m / CHUNK + 1)) as u64)
}

/// `Chunk.chunk_offset`'s postcondition.
fn chunk_offset_spec(i: u64) -> Option<u64> {
    let i = u128::from(i);
    (i < MAX_CHUNKS).then(|| (PREFIX + i * ENCRYPTED) as u64)
}

/// `Chunk.layout_spec`.
fn layout_spec(n: u64) -> Result<Layout, LayoutError> {
    let n = u128::from(n);
    if n < PREFIX {
        return Err(LayoutError::MissingPrefix);
    }
    let body = n - PREFIX;
    let (full, last) = (body / ENCRYPTED, body % ENCRYPTED);
    if last < TAG {
        Err(LayoutError::Truncated)
    } else if full >= MAX_CHUNKS {
        Err(LayoutError::TooManyChunks)
    } else {
        Ok(Layout {
            chunk_count: (full + 1) as u64,
            final_chunk_len: last as u64,
            message_len: (full * CHUNK + last - TAG) as u64,
        })
    }
}

/// `Nonce.is_xor_nonce`: the base nonce XOR'd with the index as a 96-bit
/// big-endian integer.
fn chunk_nonce_spec(base: &[u8; 12], i: u64) -> Option<[u8; 12]> {
    if u128::from(i) >= MAX_CHUNKS {
        return None;
    }
    let mut wide = [0u8; 16];
    wide[4..].copy_from_slice(base);
    let x = u128::from_be_bytes(wide) ^ u128::from(i);
    let mut out = [0u8; 12];
    out.copy_from_slice(&x.to_be_bytes()[4..]);
    Some(out)
}

/// The boundaries the postconditions name, and their neighbours.
fn boundaries() -> Vec<u64> {
    let mut points = vec![0u64, u64::MAX, u64::MAX - 1, 1 << 52, 1 << 53, (1 << 52) - 1];
    let mut near = |x: u128| {
        for d in -17i128..=17 {
            let v = x as i128 + d;
            if let Ok(v) = u64::try_from(v) {
                points.push(v);
            }
        }
    };
    for k in [0u128, 1, 2, 3, 1000, MAX_CHUNKS - 2, MAX_CHUNKS - 1, MAX_CHUNKS, MAX_CHUNKS + 1] {
        near(k * CHUNK);
        near(PREFIX + k * ENCRYPTED);
        near(PREFIX + k * ENCRYPTED + TAG);
        near(k);
    }
    near(MAX_MESSAGE);
    near(PREFIX + MAX_MESSAGE + TAG * MAX_CHUNKS);
    points.sort_unstable();
    points.dedup();
    points
}

fn inputs() -> Vec<u64> {
    let mut rng = Rng::new(38);
    let mut v = boundaries();
    for _ in 0..200_000 {
        let x = rng.next_u64();
        // Uniform, then scaled into the ranges where the limits are.
        v.push(x);
        v.push(x >> 11);
        v.push(x >> 25);
        v.push(x >> 48);
    }
    v
}

#[test]
fn chunk_arithmetic_meets_the_proved_postconditions() {
    let inputs = inputs();
    for &x in &inputs {
        assert_eq!(chunk::chunk_count(x), chunk_count_spec(x), "chunk_count({x})");
        assert_eq!(chunk::final_chunk_len(x), final_chunk_len_spec(x), "final_chunk_len({x})");
        assert_eq!(chunk::ciphertext_len(x), ciphertext_len_spec(x), "ciphertext_len({x})");
        assert_eq!(chunk::chunk_offset(x), chunk_offset_spec(x), "chunk_offset({x})");
        assert_eq!(chunk::layout(x), layout_spec(x), "layout({x})");
    }
    println!("5 chunk functions checked against their Why3 postconditions on {} inputs each", inputs.len());
}

#[test]
fn chunk_nonce_meets_the_proved_postcondition() {
    let mut rng = Rng::new(96);
    let mut indices = boundaries();
    indices.extend((0..50_000).map(|_| rng.next_u64() >> rng.below(64)));
    let bases: Vec<[u8; 12]> = [[0u8; 12], [0xff; 12]].into_iter().chain((0..8).map(|_| rng.array())).collect();
    for base in &bases {
        for &i in &indices {
            assert_eq!(chunk::chunk_nonce(base, i), chunk_nonce_spec(base, i), "chunk_nonce({base:02x?}, {i})");
        }
    }
    println!("chunk_nonce checked against its Why3 postcondition on {} inputs", bases.len() * indices.len());
}
