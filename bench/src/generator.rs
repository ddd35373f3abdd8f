//! A message and its ciphertext, produced on the fly: readers of any
//! length that hold a few KiB, so that a memory measurement sees only what
//! the code under test keeps.

use ebak_core::aead::Aead;
use ebak_core::cobblestone::StreamSealer;
use std::io::{self, Read};

/// `len` bytes of a cheap, deterministic pattern.
#[derive(Debug)]
pub struct MessageReader {
    left: u64,
    counter: u64,
}

impl MessageReader {
    /// A message of `len` bytes.
    #[must_use]
    pub const fn new(len: u64) -> Self {
        Self { left: len, counter: 0 }
    }
}

impl Read for MessageReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = usize::try_from(self.left).map_or(buf.len(), |left| left.min(buf.len()));
        for word in buf[..n].chunks_mut(8) {
            self.counter = self.counter.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let bytes = self.counter.to_le_bytes();
            word.copy_from_slice(&bytes[..word.len()]);
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// The Cobblestone-256 ciphertext of a [`MessageReader`] message, sealed
/// as it is read (with the core's serial `StreamSealer`, which holds one
/// chunk).
pub struct CiphertextReader<A: Aead> {
    message: MessageReader,
    sealer: StreamSealer<A>,
    piece: Vec<u8>,
    pending: Vec<u8>,
    pos: usize,
    finished: bool,
}

impl<A: Aead> std::fmt::Debug for CiphertextReader<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CiphertextReader").field("finished", &self.finished).finish_non_exhaustive()
    }
}

impl<A: Aead> CiphertextReader<A> {
    /// The ciphertext of a `len`-byte message under ebak-bench's key.
    #[must_use]
    pub fn new(len: u64) -> Self {
        use crate::ebak::{CONTEXT, KEY, SALT};
        Self {
            message: MessageReader::new(len),
            sealer: StreamSealer::new(&KEY, &SALT, CONTEXT),
            piece: vec![0; 64 * 1024],
            pending: Vec::with_capacity(70 * 1024),
            pos: 0,
            finished: false,
        }
    }
}

impl<A: Aead> Read for CiphertextReader<A> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.pending.len() {
            if self.finished {
                return Ok(0);
            }
            self.pending.clear();
            self.pos = 0;
            let n = self.message.read(&mut self.piece)?;
            let sealed = if n == 0 {
                self.finished = true;
                self.sealer.finish(&mut self.pending)
            } else {
                self.sealer.push(&self.piece[..n], &mut self.pending)
            };
            sealed.map_err(|e| io::Error::other(e.to_string()))?;
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
