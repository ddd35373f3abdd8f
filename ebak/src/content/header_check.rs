//! What the tar reader must refuse before it reads on, which the `tar`
//! crate does not (content spec 6.5, 6.8, 9):
//!
//! - an extension record (a GNU long name or long link record, a PAX
//!   extended or global header) of more than 1 MiB, refused before its
//!   data is read: the crate reads such a record into memory whatever its
//!   header's `size` says, so a small zstd body could make it allocate
//!   gigabytes;
//! - a header with neither the GNU nor the ustar magic (a v7 header, or
//!   garbage with a valid checksum), which the spec says a reader SHOULD
//!   refuse, and which the crate takes as an entry even when its type
//!   says it is an extension record;
//! - an entry with both a GNU long name record and a PAX `path` keyword,
//!   or a long link record and a `linkpath` keyword: readers disagree on
//!   which applies (the crate takes the GNU record);
//! - a GNU record or a PAX `'x'` header followed by a PAX global header
//!   before its entry: the crate applies them to the global header (and
//!   so to nothing), another reader to the entry.
//!
//! [`HeaderCheck`] sits between the body and the `tar` reader and follows the
//! archive block by block as that reader does: a header, then its data
//! rounded up to whole blocks, where a PAX `size` keyword replaces the
//! `size` field of the entry it applies to. It uses the `tar` crate's own
//! header and PAX parsers for that, so that both agree on where every
//! header is. A fault fails the read of the header that shows it, with a
//! [`TarFault`].

use std::fmt;
use std::io::{self, Read};

/// The most data an extension record may hold (content spec 9).
pub(crate) const MAX_EXTENSION_DATA: usize = 1 << 20;

/// The tar block size.
const BLOCK: usize = 512;

/// What [`HeaderCheck`] refuses (class Malformed).
#[derive(Debug)]
pub(crate) enum TarFault {
    /// An extension record whose header says it holds more than
    /// [`MAX_EXTENSION_DATA`] bytes: what it is, and its `size` field.
    OverLimit { what: &'static str, size: u64 },
    /// A header with neither the GNU nor the ustar magic (content spec
    /// 6.8: a v7 header, or garbage with a valid checksum).
    NoMagic,
    /// An entry with both a GNU record and the PAX keyword for the same
    /// field (6.8): readers could disagree on which applies.
    Both { record: &'static str, keyword: &'static str },
    /// A GNU record or a PAX `'x'` header followed by a PAX global header
    /// before its entry (6.8): the `tar` crate applies them to the global
    /// header, where they are lost, and another reader to the entry.
    BeforeGlobal,
    /// A `size` field in base-256 that is negative, 2^63 or more, or
    /// starts with a byte other than `0x80` and `0xFF` (6.3): the `tar`
    /// crate reads only its last 8 bytes, so it could take a size that
    /// another reader refuses for a small one.
    SizeOutOfRange,
}

impl fmt::Display for TarFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OverLimit { what, size } => write!(f, "a {what} of {size} bytes, over the 1 MiB limit"),
            Self::NoMagic => f.write_str("a tar header that is neither GNU nor ustar"),
            Self::Both { record, keyword } => write!(f, "an entry with both a {record} and a PAX {keyword} keyword"),
            Self::BeforeGlobal => f.write_str("a GNU record or PAX header before a PAX global header, not an entry"),
            Self::SizeOutOfRange => f.write_str("a base-256 size field that is negative or 2^63 or more"),
        }
    }
}

impl std::error::Error for TarFault {}

fn fault(f: TarFault) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, f)
}

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

/// A tar body that fails to read at the first header the module
/// documentation lists.
pub(crate) struct HeaderCheck<R> {
    inner: R,
    at: At,
    header: [u8; BLOCK],
    /// The data of the PAX `'x'` header being read, and how long it is.
    pax: Option<(Vec<u8>, usize)>,
    /// What the PAX `'x'` header before the next entry says: its `size`
    /// keyword, and whether it has `path` and `linkpath`.
    pax_size: Option<u64>,
    pax_path: bool,
    pax_linkpath: bool,
    /// A GNU long name or long link record, or a PAX `'x'` header, came
    /// before the next entry.
    long_name: bool,
    long_link: bool,
    pax_header: bool,
    /// Bytes followed so far.
    pos: u64,
    /// Where each header the `tar` reader hands on as an entry starts (for
    /// the tests: they must be where the `tar` reader says).
    #[cfg(test)]
    entries: Vec<u64>,
}

impl<R: Read> HeaderCheck<R> {
    pub(crate) const fn new(inner: R) -> Self {
        Self {
            inner,
            at: At::Header { have: 0 },
            header: [0; BLOCK],
            pax: None,
            pax_size: None,
            pax_path: false,
            pax_linkpath: false,
            long_name: false,
            long_link: false,
            pax_header: false,
            pos: 0,
            #[cfg(test)]
            entries: Vec::new(),
        }
    }

    /// Follows the archive over `bytes`, just read.
    fn follow(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        self.pos = self.pos.saturating_add(bytes.len() as u64);
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
                        self.end_pax();
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
                        let at = self.pos.saturating_sub(bytes.len() as u64).saturating_sub(BLOCK as u64);
                        self.at = self.next_after_header(at)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Where a whole header block just read leads, as the `tar` reader
    /// takes it (its `next_entry_raw` and `next_entry`).
    fn next_after_header(&mut self, at: u64) -> io::Result<At> {
        use tar::EntryType as T;
        if self.header.iter().all(|&b| b == 0) {
            return Ok(At::Done);
        }
        let header = tar::Header::from_byte_slice(&self.header);
        // The checksum is the tar reader's to check; a header that fails
        // it stops that reader before anything here matters.
        if header.as_gnu().is_none() && header.as_ustar().is_none() {
            return Err(fault(TarFault::NoMagic));
        }
        if !base256_size_in_range(&self.header) {
            return Err(fault(TarFault::SizeOutOfRange));
        }
        let Ok(mut size) = header.entry_size() else { return Ok(At::Done) };
        let kind = header.entry_type();
        // These the tar reader takes as extension records of the next
        // entry; any other header (a global header included) ends the
        // entry it is building.
        let record = matches!(kind, T::GNULongName | T::GNULongLink | T::XHeader);
        let what = match kind {
            T::XHeader => Some("PAX extended header"),
            T::XGlobalHeader => Some("PAX global header"),
            T::GNULongName => Some("GNU long name record"),
            T::GNULongLink => Some("GNU long link record"),
            _ => None,
        };
        if let Some(what) = what {
            if size > MAX_EXTENSION_DATA as u64 {
                return Err(fault(TarFault::OverLimit { what, size }));
            }
        } else if let Some(pax_size) = self.pax_size {
            size = pax_size;
        }
        if kind == T::XGlobalHeader && (self.long_name || self.long_link || self.pax_header) {
            return Err(fault(TarFault::BeforeGlobal));
        }
        self.long_name |= kind == T::GNULongName;
        self.long_link |= kind == T::GNULongLink;
        self.pax_header |= kind == T::XHeader;
        if !record {
            if self.long_name && self.pax_path {
                return Err(fault(TarFault::Both { record: "GNU long name record", keyword: "path" }));
            }
            if self.long_link && self.pax_linkpath {
                return Err(fault(TarFault::Both { record: "GNU long link record", keyword: "linkpath" }));
            }
            (self.pax_size, self.pax_path, self.pax_linkpath) = (None, false, false);
            (self.long_name, self.long_link, self.pax_header) = (false, false, false);
            #[cfg(test)]
            self.entries.push(at);
        }
        #[cfg(not(test))]
        let _ = at;
        if kind == T::GNUSparse {
            return Ok(At::Done);
        }
        if kind == T::XHeader {
            let len = usize::try_from(size).unwrap_or(MAX_EXTENSION_DATA);
            self.pax = Some((Vec::with_capacity(len), len));
        }
        let Some(padded) = size.checked_next_multiple_of(BLOCK as u64) else { return Ok(At::Done) };
        if padded == 0 {
            self.end_pax();
            return Ok(At::Header { have: 0 });
        }
        Ok(At::Data { left: padded })
    }
}

impl<R> HeaderCheck<R> {
    /// The PAX `'x'` header's data is all read: what it says of the next
    /// entry.
    fn end_pax(&mut self) {
        if let Some((pax, _)) = self.pax.take() {
            self.pax_size = pax_size(&pax);
            let has = |key: &str| tar::PaxExtensions::new(&pax).any(|r| r.is_ok_and(|r| r.key() == Ok(key)));
            (self.pax_path, self.pax_linkpath) = (has("path"), has("linkpath"));
        }
    }
}

/// Whether a header's `size` field, if it is in base-256 (its first byte
/// has the high bit), is `0x80` and a number below 2^63 (content spec
/// 6.3): the top 4 of its 11 number bytes zero, and the next one below
/// `0x80`.
fn base256_size_in_range(header: &[u8; BLOCK]) -> bool {
    match header.get(124..136) {
        Some([first, rest @ ..]) if first & 0x80 != 0 => {
            *first == 0x80
                && rest.get(..3).is_some_and(|high| high.iter().all(|&b| b == 0))
                && rest.get(3).is_some_and(|&b| b < 0x80)
        }
        _ => true,
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

impl<R: Read> Read for HeaderCheck<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.follow(buf.get(..n).unwrap_or_default())?;
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "test code: the generated sizes are small")]
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
            let mut archive = tar::Archive::new(HeaderCheck::new(body));
            let e = archive.entries().unwrap().next().unwrap().err().expect("refused");
            let fault = e.get_ref().and_then(|e| e.downcast_ref::<TarFault>()).expect("the check's error");
            assert!(matches!(fault, TarFault::OverLimit { size: 0x100_0000_0000, .. }), "{fault}");
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
        let mut check = HeaderCheck::new(body.as_slice());
        io::copy(&mut check, &mut io::sink()).unwrap();
        assert!(matches!(check.at, At::Done));
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
        let mut archive = tar::Archive::new(HeaderCheck::new(body.as_slice()));
        let mut names = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            names.push(entry.path().unwrap().into_owned());
            io::copy(&mut entry, &mut io::sink()).unwrap();
        }
        assert_eq!(names, [std::path::PathBuf::from("f")]);
    }

    /// The fault a body makes the `tar` reader stop at, if any.
    fn fault_of(body: &[u8]) -> Option<String> {
        let mut archive = tar::Archive::new(HeaderCheck::new(body));
        for entry in archive.entries().unwrap() {
            match entry {
                Ok(mut entry) => {
                    io::copy(&mut entry, &mut io::sink()).unwrap();
                }
                Err(e) => return Some(e.get_ref().and_then(|e| e.downcast_ref::<TarFault>()).unwrap().to_string()),
            }
        }
        None
    }

    #[test]
    fn a_header_without_the_magic_is_refused() {
        for kind in [tar::EntryType::Regular, tar::EntryType::XHeader] {
            let mut body = block(tar::Header::new_old(), "v7", kind, 0);
            body.extend([0; 2 * BLOCK]);
            assert_eq!(fault_of(&body).as_deref(), Some("a tar header that is neither GNU nor ustar"));
        }
    }

    #[test]
    fn a_gnu_record_and_the_pax_keyword_for_the_same_field_are_refused() {
        use tar::EntryType as T;
        let long = |kind: T, value: &[u8]| {
            let mut out = block(tar::Header::new_gnu(), "././@LongLink", kind, value.len() as u64);
            out.extend(padded(value));
            out
        };
        let pax = |key: &str| {
            let data = record(key, "x");
            let mut out = block(tar::Header::new_ustar(), "PaxHeaders/x", T::XHeader, data.len() as u64);
            out.extend(padded(data.as_bytes()));
            out
        };
        let entry = block(tar::Header::new_gnu(), "short", T::Symlink, 0);
        let cases = [
            (
                long(T::GNULongName, b"long"),
                pax("path"),
                Some("an entry with both a GNU long name record and a PAX path keyword"),
            ),
            (
                pax("path"),
                long(T::GNULongName, b"long"),
                Some("an entry with both a GNU long name record and a PAX path keyword"),
            ),
            (
                long(T::GNULongLink, b"t"),
                pax("linkpath"),
                Some("an entry with both a GNU long link record and a PAX linkpath keyword"),
            ),
            (long(T::GNULongName, b"long"), pax("linkpath"), None),
            (long(T::GNULongLink, b"t"), pax("path"), None),
        ];
        for (first, second, want) in cases {
            let body = [first, second, entry.clone(), vec![0; 2 * BLOCK]].concat();
            assert_eq!(fault_of(&body).as_deref(), want);
        }
    }

    #[test]
    fn a_base256_size_is_read_whole() {
        let with_size = |field: [u8; 12]| {
            let mut h = block(tar::Header::new_gnu(), "f", tar::EntryType::Regular, 6);
            h[124..136].copy_from_slice(&field);
            let mut h2 = tar::Header::new_gnu();
            h2.as_mut_bytes().copy_from_slice(&h);
            h2.set_cksum();
            [h2.as_bytes().as_slice(), &padded(b"hello\n"), &[0; 2 * BLOCK]].concat()
        };
        let six = |first: u8, high: [u8; 4]| {
            let mut f = [0u8; 12];
            f[0] = first;
            f[1..4].copy_from_slice(&high[..3]);
            f[4] = high[3];
            f[11] = 6;
            f
        };
        let refused = Some("a base-256 size field that is negative or 2^63 or more");
        assert_eq!(fault_of(&with_size(six(0x80, [0; 4]))), None, "6 in base-256");
        assert_eq!(fault_of(&with_size(six(0x80, [0, 0, 1, 0]))).as_deref(), refused, "2^64 + 6");
        assert_eq!(fault_of(&with_size(six(0x80, [0, 0, 0, 0x80]))).as_deref(), refused, "2^63 + 6");
        assert_eq!(fault_of(&with_size(six(0x81, [0; 4]))).as_deref(), refused, "not 0x80");
        assert_eq!(fault_of(&with_size([0xFF; 12])).as_deref(), refused, "-1");
    }

    #[test]
    fn a_record_before_a_global_header_is_refused() {
        use tar::EntryType as T;
        let global = {
            let data = record("comment", "g");
            let mut out = block(tar::Header::new_gnu(), "pax_global_header", T::XGlobalHeader, data.len() as u64);
            out.extend(padded(data.as_bytes()));
            out
        };
        let size = size_record(0);
        let mut pax = block(tar::Header::new_ustar(), "PaxHeaders/x", T::XHeader, size.len() as u64);
        pax.extend(padded(size.as_bytes()));
        let mut long = block(tar::Header::new_gnu(), "././@LongLink", T::GNULongName, 5);
        long.extend(padded(b"long\0"));
        let entry = block(tar::Header::new_gnu(), "f", T::Regular, 0);
        let end = vec![0; 2 * BLOCK];
        let refused = Some("a GNU record or PAX header before a PAX global header, not an entry");
        for before in [&pax, &long] {
            let body = [before.as_slice(), &global, &entry, &end].concat();
            assert_eq!(fault_of(&body).as_deref(), refused);
        }
        // After its entry, or before the records, a global header is fine.
        let body = [global.as_slice(), &pax, &long, &entry, &global, &end].concat();
        assert_eq!(fault_of(&body), None);
    }

    /// One part of a generated archive.
    #[derive(Clone, Debug)]
    enum Piece {
        /// A file of `len` bytes of data; with `pax`, a PAX `size` keyword
        /// gives its length and the header's `size` field says `pax`
        /// instead; `fake` puts an oversized PAX header's block at that
        /// block of its data, which only a reader that lost its place
        /// takes for a header.
        File { len: usize, pax: Option<u64>, fake: Option<usize> },
        /// A PAX global header whose data is `len` bytes.
        Global { len: usize },
        /// A GNU long name record of `len` bytes, then a directory.
        LongName { len: usize },
        /// A directory.
        Dir,
    }

    fn piece() -> impl proptest::strategy::Strategy<Value = Piece> {
        use proptest::prelude::*;
        prop_oneof![
            (0..3000usize, proptest::option::of(0..3000u64), proptest::option::of(0..6usize))
                .prop_map(|(len, pax, fake)| Piece::File { len, pax, fake }),
            (20..1500usize).prop_map(|len| Piece::Global { len }),
            (1..1200usize).prop_map(|len| Piece::LongName { len }),
            Just(Piece::Dir),
        ]
    }

    fn block(mut h: tar::Header, name: &str, kind: tar::EntryType, size: u64) -> Vec<u8> {
        h.set_path(name).unwrap();
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(0o644);
        h.set_cksum();
        h.as_bytes().to_vec()
    }

    /// `data` and its padding to whole blocks.
    fn padded(data: &[u8]) -> Vec<u8> {
        let mut out = data.to_vec();
        out.resize(data.len().next_multiple_of(BLOCK), 0);
        out
    }

    /// A PAX header's data of `len` bytes (at least 20).
    fn records(len: usize) -> Vec<u8> {
        let mut r = format!("{len} comment=").into_bytes();
        r.resize(len - 1, b'c');
        r.push(b'\n');
        r
    }

    /// The PAX record `"LEN KEY=VALUE\n"`.
    fn record(key: &str, value: &str) -> String {
        let body = format!(" {key}={value}\n");
        let mut n = body.len() + 1;
        while n != body.len() + n.to_string().len() {
            n = body.len() + n.to_string().len();
        }
        format!("{n}{body}")
    }

    /// The PAX record `"LEN size=SIZE\n"`.
    fn size_record(size: u64) -> String {
        record("size", &size.to_string())
    }

    fn archive(pieces: &[Piece]) -> Vec<u8> {
        use tar::EntryType as T;
        let gnu = tar::Header::new_gnu;
        let mut out = Vec::new();
        for (i, p) in pieces.iter().enumerate() {
            let name = format!("e{i}");
            match p {
                Piece::File { len, pax, fake } => {
                    let mut data = vec![b'd'; *len];
                    if let Some(k) = fake
                        && let Some(slot) = data.get_mut(k * BLOCK..(k + 1) * BLOCK)
                    {
                        slot.copy_from_slice(&header(T::XHeader, 1 << 40));
                    }
                    let field = match pax {
                        Some(field) => {
                            let kw = size_record(*len as u64);
                            out.extend(block(tar::Header::new_ustar(), "PaxHeaders/x", T::XHeader, kw.len() as u64));
                            out.extend(padded(kw.as_bytes()));
                            *field
                        }
                        None => *len as u64,
                    };
                    out.extend(block(gnu(), &name, T::Regular, field));
                    out.extend(padded(&data));
                }
                Piece::Global { len } => {
                    out.extend(block(gnu(), "pax_global_header", T::XGlobalHeader, *len as u64));
                    out.extend(padded(&records(*len)));
                }
                Piece::LongName { len } => {
                    let mut data = vec![b'n'; *len];
                    data.push(0);
                    out.extend(block(gnu(), "././@LongLink", T::GNULongName, data.len() as u64));
                    out.extend(padded(&data));
                    out.extend(block(gnu(), "short", T::Directory, 0));
                }
                Piece::Dir => out.extend(block(gnu(), &name, T::Directory, 0)),
            }
        }
        out.extend([0; 2 * BLOCK]);
        out
    }

    proptest::proptest! {
        /// The check finds every header where the `tar` reader reads one:
        /// the entries it hands on start where [`HeaderCheck`] saw them, and
        /// nothing in a file's data (an oversized PAX header's block
        /// included) is taken for a header. Pieces cover the reader's
        /// special cases: a PAX `size` keyword that differs from the
        /// header's, global headers, and long name records.
        #[test]
        fn headers_are_found_where_the_tar_reader_finds_them(
            pieces in proptest::collection::vec(piece(), 0..12),
            chunk in 1..2000usize,
        ) {
            let body = archive(&pieces);
            // Reads of any size: the check follows bytes, not calls.
            let reader = Chunked { data: &body, chunk };
            let mut archive = tar::Archive::new(HeaderCheck::new(reader));
            let mut positions = Vec::new();
            for entry in archive.entries().unwrap() {
                let mut entry = entry.unwrap();
                positions.push(entry.raw_header_position());
                io::copy(&mut entry, &mut io::sink()).unwrap();
            }
            let check = archive.into_inner();
            proptest::prop_assert_eq!(&check.entries, &positions);
            proptest::prop_assert!(matches!(check.at, At::Done));
        }
    }

    /// A reader that gives at most `chunk` bytes per call.
    struct Chunked<'a> {
        data: &'a [u8],
        chunk: usize,
    }

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.chunk).min(self.data.len());
            let (now, rest) = self.data.split_at(n);
            buf[..n].copy_from_slice(now);
            self.data = rest;
            Ok(n)
        }
    }
}
