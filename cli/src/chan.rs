//! An in-process pipe between two threads: the same contract as
//! `std::io::pipe` (the reader sees end of file once the writer is dropped;
//! a write fails with `BrokenPipe` once the reader is dropped), but the
//! bytes travel in large buffers handed over by a bounded channel, so that
//! a stage writing 8 KiB at a time (tar) costs a copy in memory, not two
//! system calls and two copies through the kernel per piece.
//!
//! Memory is bounded: at most [`DEPTH`] full buffers wait in the channel,
//! plus the one each side holds, whatever the length of the stream.

use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};

/// The size of one buffer handed from the writer to the reader.
pub const BUFFER_BYTES: usize = 1 << 20;
/// How many full buffers may wait for the reader.
pub const DEPTH: usize = 2;

/// A connected pair: what is written to the [`PipeWriter`] is read from
/// the [`PipeReader`], in order.
#[must_use]
pub fn pipe() -> (PipeReader, PipeWriter) {
    let (full_tx, full_rx) = mpsc::sync_channel(DEPTH);
    // Emptied buffers go back to the writer, so that a long stream reuses
    // a few allocations instead of faulting in fresh pages for every MiB.
    let (empty_tx, empty_rx) = mpsc::sync_channel(DEPTH.saturating_add(2));
    let reader = PipeReader { full: full_rx, empty: empty_tx, current: Vec::new(), pos: 0 };
    let writer = PipeWriter { full: Some(full_tx), empty: empty_rx, current: Vec::new() };
    (reader, writer)
}

/// The writing end.
#[derive(Debug)]
pub struct PipeWriter {
    full: Option<SyncSender<Vec<u8>>>,
    empty: Receiver<Vec<u8>>,
    current: Vec<u8>,
}

/// The reading end.
#[derive(Debug)]
pub struct PipeReader {
    full: Receiver<Vec<u8>>,
    empty: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
}

fn broken_pipe() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the reading side of the pipe has gone away")
}

impl PipeWriter {
    /// Hands the current buffer to the reader (blocking while [`DEPTH`]
    /// buffers wait) and takes an empty one.
    fn send(&mut self) -> io::Result<()> {
        let Some(tx) = &self.full else { return Err(broken_pipe()) };
        if self.current.is_empty() {
            return Ok(());
        }
        let next = match self.empty.try_recv() {
            Ok(mut v) => {
                v.clear();
                v
            }
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => Vec::with_capacity(BUFFER_BYTES),
        };
        let full = std::mem::replace(&mut self.current, next);
        if tx.send(full).is_err() {
            // Every later write or flush fails too, as on an OS pipe.
            self.full = None;
            return Err(broken_pipe());
        }
        Ok(())
    }
}

impl Write for PipeWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.full.is_none() {
            return Err(broken_pipe());
        }
        if buf.is_empty() {
            return Ok(0);
        }
        if self.current.capacity() == 0 {
            self.current.reserve_exact(BUFFER_BYTES);
        }
        let room = BUFFER_BYTES.saturating_sub(self.current.len());
        let n = buf.len().min(room);
        self.current.extend_from_slice(buf.get(..n).unwrap_or_default());
        if self.current.len() >= BUFFER_BYTES {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Drop for PipeWriter {
    fn drop(&mut self) {
        // What was written and not yet flushed still reaches the reader, as
        // with an OS pipe; then the reader sees end of file.
        if self.full.is_some() {
            let _ = self.send();
        }
        self.full = None;
    }
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.pos >= self.current.len() {
            match self.full.recv() {
                Ok(next) => {
                    let done = std::mem::replace(&mut self.current, next);
                    self.pos = 0;
                    // The writer may have gone or have enough spares: then
                    // the buffer is simply freed.
                    let _ = self.empty.try_send(done);
                }
                // The writer is gone and everything it sent was read.
                Err(_) => return Ok(0),
            }
        }
        let rest = self.current.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.pos = self.pos.saturating_add(n);
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing, reason = "tests compute expected values")]
mod tests {
    use super::{BUFFER_BYTES, pipe};
    use std::io::{ErrorKind, Read, Write};

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[test]
    fn bytes_arrive_in_order_whatever_the_piece_sizes() {
        for len in [0, 1, 8191, BUFFER_BYTES - 1, BUFFER_BYTES, BUFFER_BYTES + 1, 5 * BUFFER_BYTES + 12345] {
            let data = pattern(len);
            let (mut r, mut w) = pipe();
            let got = std::thread::scope(|s| {
                let reader = s.spawn(move || {
                    let mut got = Vec::new();
                    let mut piece = vec![0u8; 3001];
                    loop {
                        let n = r.read(&mut piece).unwrap();
                        if n == 0 {
                            break got;
                        }
                        got.extend_from_slice(&piece[..n]);
                    }
                });
                for part in data.chunks(8192 + 17) {
                    w.write_all(part).unwrap();
                }
                drop(w);
                reader.join().unwrap()
            });
            assert_eq!(got.len(), data.len(), "length {len}");
            assert!(got == data, "content, length {len}");
        }
    }

    #[test]
    fn flush_hands_over_a_partial_buffer() {
        let (mut r, mut w) = pipe();
        w.write_all(b"abc").unwrap();
        w.flush().unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(r.read(&mut buf).unwrap(), 3);
        assert_eq!(&buf[..3], b"abc");
    }

    #[test]
    fn a_gone_reader_breaks_the_pipe() {
        let (r, mut w) = pipe();
        drop(r);
        // The first buffer may still be accepted into memory; a full
        // buffer's hand-over must fail, and every write after it.
        let big = vec![0u8; BUFFER_BYTES];
        let err = w.write_all(&big).and_then(|()| w.write_all(&big)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
        assert_eq!(w.flush().unwrap_err().kind(), ErrorKind::BrokenPipe);
    }

    #[test]
    fn a_gone_writer_is_end_of_file_after_the_rest() {
        let (mut r, mut w) = pipe();
        w.write_all(b"tail").unwrap();
        drop(w);
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"tail");
        assert_eq!(r.read(&mut [0u8; 4]).unwrap(), 0);
    }
}
