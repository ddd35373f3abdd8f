//! Reading until a buffer is full, and writing scattered buffers whole.
//!
//! The pipeline keeps each chunk in its ciphertext slot (16 KiB of
//! plaintext, then the tag), so that sealing and opening work in place and
//! no byte is copied between the reader, the AEAD and the writer: sealing
//! reads straight into the slots (`read_vectored`), opening writes straight
//! from them (`write_vectored`), skipping the tags. Readers and writers
//! without vectored I/O still work, one buffer per call.

use std::io::{self, IoSlice, IoSliceMut, Read, Write};

/// What a read into a batch got: the bytes read, and the error that ended
/// it early, if any (the bytes before it are still good).
#[derive(Debug)]
pub(crate) struct Filled {
    /// Bytes read.
    pub(crate) bytes: usize,
    /// The read error that stopped the filling; `None` at the end of the
    /// input or when the buffer is full.
    pub(crate) error: Option<io::Error>,
}

impl Filled {
    const fn ok(bytes: usize) -> Self {
        Self { bytes, error: None }
    }
}

/// Reads into `buf` until it is full, the input ends, or reading fails.
pub(crate) fn read_full(reader: &mut (impl Read + ?Sized), buf: &mut [u8]) -> Filled {
    let mut filled = 0usize;
    while let Some(rest) = buf.get_mut(filled..) {
        if rest.is_empty() {
            break;
        }
        match reader.read(rest) {
            Ok(0) => break,
            // A reader claiming more than it was given ends the batch (the
            // `get_mut` above then fails); `filled` never exceeds the buffer.
            Ok(n) => filled = filled.saturating_add(n).min(buf.len()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Filled { bytes: filled, error: Some(e) },
        }
    }
    Filled::ok(filled)
}

fn total_len<T: std::ops::Deref<Target = [u8]>>(bufs: &[T]) -> usize {
    bufs.iter().fold(0usize, |sum, b| sum.saturating_add(b.len()))
}

fn claimed_too_much() -> io::Error {
    io::Error::other("the reader or writer reported more bytes than it was given")
}

/// Reads into the buffers, in order, until all are full, the input ends, or
/// reading fails.
pub(crate) fn read_full_vectored(reader: &mut (impl Read + ?Sized), mut bufs: &mut [IoSliceMut<'_>]) -> Filled {
    let mut filled = 0usize;
    IoSliceMut::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        match reader.read_vectored(bufs) {
            Ok(0) => break,
            Ok(n) if n > total_len(bufs) => return Filled { bytes: filled, error: Some(claimed_too_much()) },
            Ok(n) => {
                filled = filled.saturating_add(n);
                IoSliceMut::advance_slices(&mut bufs, n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Filled { bytes: filled, error: Some(e) },
        }
    }
    Filled::ok(filled)
}

/// Writes every byte of the buffers, in order (`Write::write_all` for
/// scattered buffers).
pub(crate) fn write_all_vectored(writer: &mut (impl Write + ?Sized), mut bufs: &mut [IoSlice<'_>]) -> io::Result<()> {
    IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        match writer.write_vectored(bufs) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(n) if n > total_len(bufs) => return Err(claimed_too_much()),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes every byte of `buf` (`Write::write_all`, but a writer that
/// claims more than it was given is an error, not a panic).
pub(crate) fn write_all_or_fail(writer: &mut (impl Write + ?Sized), buf: &[u8]) -> io::Result<()> {
    write_all_vectored(writer, &mut [IoSlice::new(buf)])
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "test code")]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per call.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn vectored_reads_fill_in_order_through_short_reads() {
        let data: Vec<u8> = (0..=255).collect();
        let (mut a, mut b, mut c) = ([0u8; 7], [0u8; 0], [0u8; 300]);
        let mut bufs = [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b), IoSliceMut::new(&mut c)];
        let got = read_full_vectored(&mut Trickle { data: &data, step: 5 }, &mut bufs);
        assert_eq!(got.bytes, 256);
        assert!(got.error.is_none());
        assert_eq!(&a[..], &data[..7]);
        assert_eq!(&c[..249], &data[7..]);
    }

    #[test]
    fn vectored_writes_write_everything_in_order() {
        let mut out = Vec::new();
        let mut bufs = [IoSlice::new(b""), IoSlice::new(b"abc"), IoSlice::new(b""), IoSlice::new(b"de")];
        write_all_vectored(&mut out, &mut bufs).unwrap();
        assert_eq!(out, b"abcde");
        // Only empty buffers: nothing to write, and no WriteZero error.
        write_all_vectored(&mut out, &mut [IoSlice::new(b"")]).unwrap();
        assert_eq!(out, b"abcde");
    }

    #[test]
    fn a_lying_reader_is_an_error_not_a_panic() {
        struct Liar;
        impl Read for Liar {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                Ok(buf.len() + 1)
            }
        }
        let mut a = [0u8; 4];
        let got = read_full_vectored(&mut Liar, &mut [IoSliceMut::new(&mut a)]);
        assert!(got.error.is_some());
        let got = read_full(&mut Liar, &mut a);
        assert_eq!(got.bytes, 4);
    }
}
