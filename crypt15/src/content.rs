//! What the plaintext holds, recognised from its first bytes, and the zlib
//! stream inflated as it arrives.
//!
//! A msgstore backup's plaintext is a zlib stream (RFC 1950) of the SQLite
//! database. A multi-file backup's plaintext is a ZIP archive as it is
//! (public decrypters find "PK\x03\x04" straight after decryption); a zlib
//! stream around a ZIP is handled too, since inflating it gives the ZIP.
//! Anything else is an unknown variant.
//!
//! Everything this stage writes is as unauthenticated as its input: the
//! caller decides what to keep once the GCM tag has been checked.

use core::fmt;
use flate2::{Decompress, FlushDecompress, Status};
use std::io::{self, Write};

/// The inflater's output buffer.
const INFLATE_BUFFER_BYTES: usize = 64 * 1024;
/// How many compressed bytes must inflate cleanly before a zlib stream is
/// taken as evidence that the key is right (random bytes that happen to
/// start with a valid zlib header almost never decode this far).
const PLAUSIBLE_ZLIB_BYTES: u64 = 32;

/// What the plaintext is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentKind {
    /// A zlib stream (inflated on the way out): a msgstore database.
    Zlib,
    /// A ZIP archive (written as it is): a multi-file backup.
    Zip,
}

impl fmt::Display for ContentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Zlib => "zlib stream",
            Self::Zip => "ZIP archive",
        })
    }
}

/// Authenticated plaintext that is not what a crypt15 file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentError {
    /// Neither a zlib stream nor a ZIP archive: an unknown variant.
    Unknown {
        /// The first bytes (at most 4), for the message.
        first_bytes: Vec<u8>,
    },
    /// The zlib stream is malformed (or its Adler-32 does not match).
    ZlibInvalid(String),
    /// The zlib stream stops before its end.
    ZlibIncomplete,
    /// Bytes follow the end of the zlib stream.
    TrailingData(u64),
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown { first_bytes } if first_bytes.is_empty() => {
                f.write_str("unknown variant: the decrypted content is empty (expected a zlib stream or a ZIP archive)")
            }
            Self::Unknown { first_bytes } => {
                write!(f, "unknown variant: the decrypted content starts with")?;
                for b in first_bytes {
                    write!(f, " {b:02x}")?;
                }
                f.write_str(", neither a zlib stream (msgstore) nor a ZIP archive (multi-file)")
            }
            Self::ZlibInvalid(e) => write!(f, "the decrypted zlib stream is malformed: {e}"),
            Self::ZlibIncomplete => f.write_str("the decrypted zlib stream ends before its end marker"),
            Self::TrailingData(n) => write!(f, "{n} bytes follow the end of the decrypted zlib stream"),
        }
    }
}

impl core::error::Error for ContentError {}

/// RFC 1950: CM = 8 (deflate), CINFO <= 7, no preset dictionary, and the
/// header as a 16-bit number is a multiple of 31.
fn is_zlib_header(cmf: u8, flg: u8) -> bool {
    cmf & 0x0f == 8 && cmf >> 4 <= 7 && flg & 0x20 == 0 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0
}

/// A local file header, or the end record of an empty archive.
fn is_zip_magic(b: &[u8; 4]) -> bool {
    matches!(b, [b'P', b'K', 3, 4] | [b'P', b'K', 5, 6])
}

enum State {
    Sniffing { seen: [u8; 4], len: usize },
    Zlib(Box<Inflate>),
    Zip,
    Unknown { first_bytes: Vec<u8> },
}

struct Inflate {
    d: Decompress,
    buf: Vec<u8>,
    done: bool,
    error: Option<String>,
    trailing: u64,
}

/// The content stage: plaintext in, output bytes to a writer.
pub(crate) struct Content {
    state: State,
    written: u64,
}

impl Content {
    pub(crate) const fn new() -> Self {
        Self { state: State::Sniffing { seen: [0; 4], len: 0 }, written: 0 }
    }

    /// Bytes written so far.
    pub(crate) const fn written(&self) -> u64 {
        self.written
    }

    /// Feeds plaintext. Only errors of `out` are returned; content problems
    /// are recorded for [`Content::finish`].
    pub(crate) fn feed<W: Write>(&mut self, mut pt: &[u8], out: &mut W) -> io::Result<()> {
        if let State::Sniffing { seen, len } = &mut self.state {
            let want = 4usize.saturating_sub(*len);
            let (head, rest) = pt.split_at_checked(want).unwrap_or((pt, &[]));
            if let Some(dst) = seen.get_mut(*len..len.saturating_add(head.len())) {
                dst.copy_from_slice(head);
            }
            *len = len.saturating_add(head.len());
            pt = rest;
            let (seen, len) = (*seen, *len);
            if let Some(next) = Self::recognise(&seen, len, false) {
                self.state = next;
                // Replay the sniffed bytes into the new state.
                let sniffed = seen.get(..len).unwrap_or_default();
                self.pass(sniffed, out)?;
            }
        }
        self.pass(pt, out)
    }

    /// The state the first `len` bytes call for, or `None` to wait for more
    /// (`at_end`: there will be no more).
    fn recognise(seen: &[u8; 4], len: usize, at_end: bool) -> Option<State> {
        let first = seen.get(..len).unwrap_or_default();
        if let [cmf, flg, ..] = *first
            && is_zlib_header(cmf, flg)
        {
            return Some(State::Zlib(Box::new(Inflate {
                d: Decompress::new(true),
                buf: vec![0; INFLATE_BUFFER_BYTES],
                done: false,
                error: None,
                trailing: 0,
            })));
        }
        if len == 4 && is_zip_magic(seen) {
            return Some(State::Zip);
        }
        // Unknown once four bytes (or all there is) have been seen.
        (at_end || len == 4).then(|| State::Unknown { first_bytes: first.to_vec() })
    }

    fn pass<W: Write>(&mut self, pt: &[u8], out: &mut W) -> io::Result<()> {
        match &mut self.state {
            State::Sniffing { .. } | State::Unknown { .. } => Ok(()),
            State::Zip => {
                out.write_all(pt)?;
                self.written = self.written.saturating_add(u64::try_from(pt.len()).unwrap_or(u64::MAX));
                Ok(())
            }
            State::Zlib(z) => {
                let n = z.inflate(pt, out)?;
                self.written = self.written.saturating_add(n);
                Ok(())
            }
        }
    }

    /// Whether the content so far looks like what the right key would give
    /// (used only to word an authentication failure; proves nothing).
    pub(crate) fn looks_right(&self) -> bool {
        match &self.state {
            State::Zip => true,
            State::Zlib(z) => {
                z.done && z.error.is_none() || z.error.is_none() && z.d.total_in() >= PLAUSIBLE_ZLIB_BYTES
            }
            State::Sniffing { .. } | State::Unknown { .. } => false,
        }
    }

    /// Whether a zlib stream was decoding cleanly but has not ended (a hint
    /// of truncation when authentication fails).
    pub(crate) fn zlib_unfinished(&self) -> bool {
        matches!(&self.state, State::Zlib(z) if !z.done && z.error.is_none())
    }

    /// After authentication: what the content was, or why it is not
    /// acceptable.
    pub(crate) fn finish<W: Write>(&mut self, out: &mut W) -> io::Result<Result<ContentKind, ContentError>> {
        if let State::Sniffing { seen, len } = &self.state {
            let (seen, len) = (*seen, *len);
            if let Some(next) = Self::recognise(&seen, len, true) {
                self.state = next;
                self.pass(seen.get(..len).unwrap_or_default(), out)?;
            }
        }
        Ok(match &self.state {
            State::Zip => Ok(ContentKind::Zip),
            State::Zlib(z) => match (&z.error, z.done, z.trailing) {
                (Some(e), _, _) => Err(ContentError::ZlibInvalid(e.clone())),
                (None, false, _) => Err(ContentError::ZlibIncomplete),
                (None, true, 0) => Ok(ContentKind::Zlib),
                (None, true, n) => Err(ContentError::TrailingData(n)),
            },
            State::Unknown { first_bytes } => Err(ContentError::Unknown { first_bytes: first_bytes.clone() }),
            State::Sniffing { seen, len } => {
                Err(ContentError::Unknown { first_bytes: seen.get(..*len).unwrap_or_default().to_vec() })
            }
        })
    }
}

impl Inflate {
    /// Inflates `input`, writing what comes out; returns the bytes written.
    fn inflate<W: Write>(&mut self, mut input: &[u8], out: &mut W) -> io::Result<u64> {
        let mut written: u64 = 0;
        loop {
            if self.done {
                self.trailing = self.trailing.saturating_add(u64::try_from(input.len()).unwrap_or(u64::MAX));
                return Ok(written);
            }
            if self.error.is_some() {
                return Ok(written);
            }
            let (in_before, out_before) = (self.d.total_in(), self.d.total_out());
            let status = self.d.decompress(input, &mut self.buf, FlushDecompress::None);
            let consumed = usize::try_from(self.d.total_in().saturating_sub(in_before)).unwrap_or(usize::MAX);
            let produced = usize::try_from(self.d.total_out().saturating_sub(out_before)).unwrap_or(usize::MAX);
            let chunk = self.buf.get(..produced).unwrap_or_default();
            out.write_all(chunk)?;
            written = written.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
            input = input.get(consumed..).unwrap_or_default();
            match status {
                Ok(Status::StreamEnd) => self.done = true,
                Ok(Status::Ok | Status::BufError) => {
                    let output_full = produced == self.buf.len();
                    if input.is_empty() && !output_full {
                        return Ok(written);
                    }
                    if consumed == 0 && produced == 0 {
                        self.error = Some("the inflater made no progress".to_owned());
                    }
                }
                Err(e) => self.error = Some(e.to_string()),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "tests compute expected values")]
mod tests {
    use super::*;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn run(pt: &[u8], step: usize) -> (Vec<u8>, Result<ContentKind, ContentError>) {
        let mut c = Content::new();
        let mut out = Vec::new();
        for piece in pt.chunks(step.max(1)) {
            c.feed(piece, &mut out).unwrap();
        }
        let r = c.finish(&mut out).unwrap();
        (out, r)
    }

    #[test]
    fn zlib_is_inflated_at_every_split() {
        let data: Vec<u8> = (0..300_000u32).map(|i| u8::try_from((i * 7 + i / 1000) % 256).unwrap()).collect();
        let z = zlib(&data);
        for step in [1, 2, 3, 5, 4096, 1 << 20] {
            let (out, r) = run(&z, step);
            assert_eq!(r, Ok(ContentKind::Zlib), "{step}");
            assert_eq!(out, data, "{step}");
        }
        let (out, r) = run(&zlib(b""), 1);
        assert_eq!((out, r), (Vec::new(), Ok(ContentKind::Zlib)));
    }

    #[test]
    fn zip_is_passed_through() {
        let zip = b"PK\x03\x04 then whatever the archive holds".to_vec();
        for step in [1, 2, 3, 100] {
            assert_eq!(run(&zip, step), (zip.clone(), Ok(ContentKind::Zip)));
        }
        let empty = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
        assert_eq!(run(&empty, 1), (empty.clone(), Ok(ContentKind::Zip)));
    }

    #[test]
    fn what_is_refused() {
        let z = zlib(b"some database");
        assert_eq!(run(&z[..z.len() - 1], 3).1, Err(ContentError::ZlibIncomplete));
        let mut trailing = z.clone();
        trailing.extend(b"xyz");
        assert_eq!(run(&trailing, 2).1, Err(ContentError::TrailingData(3)));
        let mut bad_adler = z.clone();
        *bad_adler.last_mut().unwrap() ^= 1;
        assert!(matches!(run(&bad_adler, 5).1, Err(ContentError::ZlibInvalid(_))));
        assert_eq!(run(b"", 1).1, Err(ContentError::Unknown { first_bytes: vec![] }));
        assert_eq!(run(b"SQLite format 3\0", 1).1, Err(ContentError::Unknown { first_bytes: b"SQLi".to_vec() }));
        assert_eq!(run(b"PK", 1).1, Err(ContentError::Unknown { first_bytes: b"PK".to_vec() }));
        assert_eq!(run(b"PK\x01\x02", 1).1, Err(ContentError::Unknown { first_bytes: b"PK\x01\x02".to_vec() }));
        assert_eq!(run(b"\x78", 1).1, Err(ContentError::Unknown { first_bytes: b"\x78".to_vec() }));
        // A zlib header with a preset dictionary is refused (0x78 0xbb: FDICT set).
        assert_eq!(run(b"\x78\xbb....", 1).1, Err(ContentError::Unknown { first_bytes: b"\x78\xbb..".to_vec() }));
    }

    #[test]
    fn a_zip_bomb_inflates_in_bounded_pieces() {
        // 64 MiB of zeros compresses to about 64 KiB; the output goes out in
        // pieces of the inflater's buffer, never held whole.
        struct Max(usize, u64);
        impl Write for Max {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0 = self.0.max(b.len());
                self.1 += b.len() as u64;
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let z = zlib(&vec![0u8; 64 << 20]);
        let mut c = Content::new();
        let mut out = Max(0, 0);
        c.feed(&z, &mut out).unwrap();
        assert_eq!(c.finish(&mut out).unwrap(), Ok(ContentKind::Zlib));
        assert_eq!(out.1, 64 << 20);
        assert!(out.0 <= INFLATE_BUFFER_BYTES);
    }
}
