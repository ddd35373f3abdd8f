//! Shared test helpers: deterministic messages, odd readers and writers,
//! and the core's serial reference.
#![allow(dead_code, reason = "each test binary uses a different subset")]
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    reason = "test helpers: bad test data is a test failure"
)]

use ebak_core::aead::Aead;
use ebak_core::cobblestone::{PayloadError, StreamOpener};
use std::io::{self, Read, Write};

pub const KEY: [u8; 32] = [7; 32];
pub const SALT: [u8; 24] = [9; 24];
pub const CONTEXT: &[u8] = b"ebak-stream test";
pub const CHUNK: usize = 16_384;
pub const ENCRYPTED_CHUNK: usize = 16_400;
pub const BATCH_BYTES: usize = ebak_stream::BATCH_CHUNKS * ENCRYPTED_CHUNK;

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
