//! The bound on extension records (content spec 6.5, 6.8, 9): a GNU long
//! name or long link record and a PAX extended or global header hold at
//! most 1 MiB of data, and a reader refuses a larger one before reading
//! it.
//!
//! The `tar` crate reads such a record into memory whatever its header's
//! `size` says, so a small zstd body could make it allocate gigabytes.
//! [`Bounded`] sits between the body and the `tar` reader and follows the
//! archive block by block as that reader does: a header, then its data
//! rounded up to whole blocks, where a PAX `size` keyword replaces the
//! `size` field of the entry it applies to. It uses the `tar` crate's own
//! header and PAX parsers for that, so that both agree on where every
//! header is. When a header names an extension record over the bound, its
//! read fails with [`OverLimit`], before any of the record's data is
//! read.

use std::fmt;
use std::io::{self, Read};

/// The most data an extension record may hold (content spec 9).
pub(crate) const MAX_EXTENSION_DATA: usize = 1 << 20;

/// The tar block size.
const BLOCK: usize = 512;

/// An extension record whose header says it holds more than
/// [`MAX_EXTENSION_DATA`] bytes.
#[derive(Debug)]
pub(crate) struct OverLimit {
    /// What the record is.
    pub(crate) what: &'static str,
    /// Its `size` field.
    pub(crate) size: u64,
}

impl fmt::Display for OverLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} of {} bytes, over the 1 MiB limit", self.what, self.size)
    }
}

impl std::error::Error for OverLimit {}

/// Where the reader is in the archive.
enum At {
    /// Inside a header block, `have` bytes of it read.
    Header { have: usize },
    /// Inside an entry's data and padding, `left` bytes to go.
    Data { left: u64 },
    /// Past what needs following: the end-of-archive marker, a header the
    /// `tar` reader fails on, or an entry ebak refuses whatever follows
    /// (a GNU sparse file, content spec 6.9). The `tar` reader reads no
    /// further header after any of them.
    Done,
}

/// A tar body that refuses an oversized extension record (see the module
/// documentation).
pub(crate) struct Bounded<R> {
    inner: R,
    at: At,
    header: [u8; BLOCK],
    /// The data of the PAX `'x'` header being read, and how long it is.
    pax: Option<(Vec<u8>, usize)>,
    /// The `size` keyword of the last PAX `'x'` header, for the entry it
    /// applies to.
    pax_size: Option<u64>,
}

impl<R: Read> Bounded<R> {
    pub(crate) const fn new(inner: R) -> Self {
        Self { inner, at: At::Header { have: 0 }, header: [0; BLOCK], pax: None, pax_size: None }
    }

    /// Follows the archive over `bytes`, just read.
    fn follow(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            match self.at {
                At::Done => return Ok(()),
                At::Data { left } => {
                    let k = usize::try_from(left).unwrap_or(usize::MAX).min(bytes.len());
                    let (data, rest) = bytes.split_at(k);
                    if let Some((pax, len)) = &mut self.pax {
                        let want = len.saturating_sub(pax.len()).min(data.len());
                        pax.extend_from_slice(data.get(..want).unwrap_or_default());
                    }
                    bytes = rest;
                    let left = left.saturating_sub(k as u64);
                    self.at = At::Data { left };
                    if left == 0 {
                        if let Some((pax, _)) = self.pax.take() {
                            self.pax_size = pax_size(&pax);
                        }
                        self.at = At::Header { have: 0 };
                    }
                }
                At::Header { have } => {
                    let k = BLOCK.saturating_sub(have).min(bytes.len());
                    let (part, rest) = bytes.split_at(k);
                    if let Some(slot) = self.header.get_mut(have..have.saturating_add(k)) {
                        slot.copy_from_slice(part);
                    }
                    bytes = rest;
                    let have = have.saturating_add(k);
                    self.at = At::Header { have };
                    if have == BLOCK {
                        self.at = self.next_after_header()?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Where a whole header block just read leads, as the `tar` reader
    /// takes it (its `next_entry_raw` and `next_entry`).
    fn next_after_header(&mut self) -> io::Result<At> {
        use tar::EntryType as T;
        if self.header.iter().all(|&b| b == 0) {
            return Ok(At::Done);
        }
        let header = tar::Header::from_byte_slice(&self.header);
        let Ok(mut size) = header.entry_size() else { return Ok(At::Done) };
        let kind = header.entry_type();
        // Only these, with the ustar or GNU magic, does the tar reader
        // take as extension records of the next entry; any other header
        // (a global header included) ends the entry it is building.
        let recognized = header.as_gnu().is_some() || header.as_ustar().is_some();
        let record = recognized && matches!(kind, T::GNULongName | T::GNULongLink | T::XHeader);
        let what = match kind {
            T::XHeader => Some("PAX extended header"),
            T::XGlobalHeader => Some("PAX global header"),
            T::GNULongName if recognized => Some("GNU long name record"),
            T::GNULongLink if recognized => Some("GNU long link record"),
            _ => None,
        };
        if let Some(what) = what {
            if size > MAX_EXTENSION_DATA as u64 {
                return Err(io::Error::new(io::ErrorKind::InvalidData, OverLimit { what, size }));
            }
        } else if let Some(pax_size) = self.pax_size {
            size = pax_size;
        }
        if !record {
            self.pax_size = None;
        }
        if kind == T::GNUSparse {
            return Ok(At::Done);
        }
        if recognized && kind == T::XHeader {
            let len = usize::try_from(size).unwrap_or(MAX_EXTENSION_DATA);
            self.pax = Some((Vec::with_capacity(len), len));
        }
        let Some(padded) = size.checked_next_multiple_of(BLOCK as u64) else { return Ok(At::Done) };
        if padded == 0 {
            if let Some((pax, _)) = self.pax.take() {
                self.pax_size = pax_size(&pax);
            }
            return Ok(At::Header { have: 0 });
        }
        Ok(At::Data { left: padded })
    }
}

/// The `size` keyword of a PAX header's data, as the `tar` reader reads it
/// (the first `size` record; nothing if a record before it, or its value,
/// does not parse).
fn pax_size(data: &[u8]) -> Option<u64> {
    for record in tar::PaxExtensions::new(data) {
        let record = record.ok()?;
        if record.key() == Ok("size") {
            return record.value().ok()?.parse().ok();
        }
    }
    None
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.follow(buf.get(..n).unwrap_or_default())?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar header of `kind` for `size` bytes of data.
    fn header(kind: tar::EntryType, size: u64) -> Vec<u8> {
        let mut h = tar::Header::new_gnu();
        h.set_path("PaxHeaders/x").unwrap();
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(0o644);
        h.set_cksum();
        h.as_bytes().to_vec()
    }

    /// Zeros without end (up to `limit` bytes), counting what was read.
    struct Zeros {
        read: u64,
        limit: u64,
    }

    impl Read for Zeros {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(usize::try_from(self.limit.saturating_sub(self.read)).unwrap_or(usize::MAX));
            buf[..n].fill(0);
            self.read = self.read.saturating_add(n as u64);
            Ok(n)
        }
    }

    #[test]
    fn an_oversized_record_is_refused_before_its_data_is_read() {
        for kind in [
            tar::EntryType::XHeader,
            tar::EntryType::XGlobalHeader,
            tar::EntryType::GNULongName,
            tar::EntryType::GNULongLink,
        ] {
            let mut zeros = Zeros { read: 0, limit: 64 << 20 };
            let body = io::Cursor::new(header(kind, 1 << 40)).chain(&mut zeros);
            let mut archive = tar::Archive::new(Bounded::new(body));
            let e = archive.entries().unwrap().next().unwrap().err().expect("refused");
            let over = e.get_ref().and_then(|e| e.downcast_ref::<OverLimit>()).expect("the bound's error");
            assert_eq!(over.size, 1 << 40);
            drop(archive);
            assert_eq!(zeros.read, 0, "{kind:?}: read past the header");
        }
    }

    #[test]
    fn a_record_of_exactly_one_mib_passes() {
        let mut data = Vec::new();
        let value = vec![b'a'; MAX_EXTENSION_DATA - 20];
        let body_len = "comment=".len() + value.len() + 2;
        let len = body_len + 7;
        data.extend_from_slice(format!("{len} comment=").as_bytes());
        data.extend_from_slice(&value);
        data.push(b'\n');
        data.resize(MAX_EXTENSION_DATA, b'\n');
        let mut body = header(tar::EntryType::XGlobalHeader, data.len() as u64);
        body.extend_from_slice(&data);
        body.extend(std::iter::repeat_n(0, 2 * BLOCK));
        let mut bounded = Bounded::new(body.as_slice());
        io::copy(&mut bounded, &mut io::sink()).unwrap();
        assert!(matches!(bounded.at, At::Done));
    }

    /// A PAX `size` keyword moves the next header: a file whose data holds
    /// what looks like an oversized record's header is not refused.
    #[test]
    fn the_pax_size_keyword_is_followed() {
        let inner = header(tar::EntryType::XHeader, 1 << 30);
        let mut b = tar::Builder::new(Vec::new());
        b.append_pax_extensions([("size", format!("{}", inner.len()).as_bytes())]).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_path("f").unwrap();
        h.set_size(0);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, io::empty()).unwrap();
        let mut body = b.into_inner().unwrap();
        body.extend_from_slice(&inner);
        body.extend(std::iter::repeat_n(0, 2 * BLOCK));
        let mut archive = tar::Archive::new(Bounded::new(body.as_slice()));
        let mut names = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            names.push(entry.path().unwrap().into_owned());
            io::copy(&mut entry, &mut io::sink()).unwrap();
        }
        assert_eq!(names, [std::path::PathBuf::from("f")]);
    }
}
