//! Shared test helpers: deterministic messages, odd readers and writers,
//! and the core's serial reference.
#![allow(dead_code, reason = "each test binary uses a different subset")]
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: bad test data is a test failure"
)]

use ebak_core::aead::Aead;
use ebak_core::cobblestone::{PayloadError, StreamOpener};
use ebak_stream::BATCH_CHUNKS;
use std::io::{self, Read, Write};

pub const KEY: [u8; 32] = [7; 32];
pub const SALT: [u8; 24] = [9; 24];
pub const CONTEXT: &[u8] = b"ebak-stream test";
pub const CHUNK: usize = 16_384;
pub const ENCRYPTED_CHUNK: usize = 16_400;
pub const BATCH_BYTES: usize = BATCH_CHUNKS * ENCRYPTED_CHUNK;

pub const PREFIX: usize = 56;

/// Chunk `k` of a ciphertext.
pub fn chunk(ct: &[u8], k: usize) -> &[u8] {
    let start = PREFIX + k * ENCRYPTED_CHUNK;
    &ct[start..(start + ENCRYPTED_CHUNK).min(ct.len())]
}

pub fn with_chunks(ct: &[u8], order: &[usize]) -> Vec<u8> {
    let mut out = ct[..PREFIX].to_vec();
    for &k in order {
        out.extend_from_slice(chunk(ct, k));
    }
    out
}

/// Named mutations of a valid ciphertext of `chunks` chunks.
pub fn mutations(ct: &[u8]) -> Vec<(String, Vec<u8>)> {
    let chunks = (ct.len() - PREFIX).div_ceil(ENCRYPTED_CHUNK);
    let mut out = Vec::new();
    let mut flip = |name: &str, at: usize| {
        if at < ct.len() {
            let mut m = ct.to_vec();
            m[at] ^= 0x20;
            out.push((format!("bit flip {name} at {at}"), m));
        }
    };
    flip("salt", 3);
    flip("commitment", 40);
    flip("first chunk", PREFIX + 100);
    flip("first tag", PREFIX + ENCRYPTED_CHUNK - 1);
    flip("second chunk", PREFIX + ENCRYPTED_CHUNK + 5);
    flip("second batch", PREFIX + BATCH_BYTES + 17);
    flip("third batch", PREFIX + 2 * BATCH_BYTES + 1);
    flip("last byte", ct.len() - 1);
    flip("last chunk start", PREFIX + (chunks - 1) * ENCRYPTED_CHUNK);

    let mut cut = |name: &str, len: usize| {
        if len < ct.len() {
            out.push((format!("truncated to {len} ({name})"), ct[..len].to_vec()));
        }
    };
    for len in [0, 1, 55, 56, 57, 56 + 15, 56 + 16, 56 + ENCRYPTED_CHUNK - 1] {
        cut("short", len);
    }
    // Chunk boundaries near the start, around each batch boundary and at the
    // end (every boundary of a long message would be slow, not stronger).
    let mut boundaries = vec![1, 2, chunks - 1];
    for b in (BATCH_CHUNKS..chunks).step_by(BATCH_CHUNKS) {
        boundaries.extend([b - 1, b, b + 1]);
    }
    boundaries.retain(|&k| k >= 1 && k < chunks);
    boundaries.sort_unstable();
    boundaries.dedup();
    for k in boundaries {
        // Ending exactly at a chunk boundary: the final chunk is missing.
        cut("at a chunk boundary", PREFIX + k * ENCRYPTED_CHUNK);
        cut("just past a boundary", PREFIX + k * ENCRYPTED_CHUNK + 10);
    }
    cut("last byte missing", ct.len() - 1);
    cut("at a batch boundary", PREFIX + BATCH_BYTES);

    let mut m = ct.to_vec();
    m.push(0);
    out.push(("one trailing byte".into(), m));
    let mut m = ct.to_vec();
    m.extend_from_slice(&[0xaa; 16]);
    out.push(("a trailing tag-sized block".into(), m));
    let mut m = ct.to_vec();
    m.extend_from_slice(chunk(ct, 0));
    out.push(("the first chunk appended".into(), m));
    let mut m = ct.to_vec();
    m.extend_from_slice(&ct[ct.len() - (ct.len() - PREFIX) % ENCRYPTED_CHUNK..]);
    out.push(("the final chunk twice".into(), m));

    if chunks >= 3 {
        let mut order: Vec<usize> = (0..chunks).collect();
        order.swap(0, 1);
        out.push(("chunks 0 and 1 swapped".into(), with_chunks(ct, &order)));
        let mut order: Vec<usize> = (0..chunks).collect();
        order.remove(1);
        out.push(("chunk 1 dropped".into(), with_chunks(ct, &order)));
        let mut order: Vec<usize> = (0..chunks).collect();
        order.insert(1, 1);
        out.push(("chunk 1 duplicated".into(), with_chunks(ct, &order)));
        let mut order: Vec<usize> = (0..chunks).collect();
        order.swap(chunks - 2, chunks - 1);
        out.push(("final chunk moved before the last full one".into(), with_chunks(ct, &order)));
    }
    if chunks > BATCH_CHUNKS + 2 {
        let mut order: Vec<usize> = (0..chunks).collect();
        order.swap(3, BATCH_CHUNKS + 1);
        out.push(("chunks swapped across batches".into(), with_chunks(ct, &order)));
        let mut order: Vec<usize> = (0..chunks).collect();
        order.swap(BATCH_CHUNKS, BATCH_CHUNKS + 1);
        out.push(("chunks swapped in the second batch".into(), with_chunks(ct, &order)));
    }
    out
}

/// A deterministic message of `len` bytes.
pub fn message(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678 ^ len as u32;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// The core's serial verdict for `ciphertext`: what a `StreamOpener`
/// releases, and its error.
pub fn reference_open<A: Aead>(key: &[u8; 32], context: &[u8], ciphertext: &[u8]) -> (Vec<u8>, Option<PayloadError>) {
    let mut opener = StreamOpener::<A>::new(key, context);
    let mut out = Vec::new();
    let verdict = opener.push(ciphertext, &mut out).and_then(|()| opener.finish(&mut out));
    (out, verdict.err())
}

/// A reader that hands out at most `step` bytes per call (and never
/// fills more than one buffer of a vectored read).
pub struct Trickle<'a> {
    pub data: &'a [u8],
    pub step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// A writer that takes at most `step` bytes per call.
pub struct Stingy {
    pub out: Vec<u8>,
    pub step: usize,
}

impl Write for Stingy {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step);
        self.out.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A reader that fails with an I/O error once `ok_bytes` were read.
pub struct FailingReader<'a> {
    pub data: &'a [u8],
    pub ok_bytes: usize,
}

impl Read for FailingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.ok_bytes == 0 {
            return Err(io::Error::other("disk on fire"));
        }
        let n = buf.len().min(self.ok_bytes).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.ok_bytes -= n;
        Ok(n)
    }
}

/// A writer that fails once it took `ok_bytes`.
pub struct FailingWriter {
    pub out: Vec<u8>,
    pub ok_bytes: usize,
}

impl Write for FailingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.ok_bytes == 0 {
            return Err(io::Error::other("disk full"));
        }
        let n = buf.len().min(self.ok_bytes);
        self.out.extend_from_slice(&buf[..n]);
        self.ok_bytes -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
