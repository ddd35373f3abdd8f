//! Lists the entries of a multi-file backup's ZIP archive from its central
//! directory (PKWARE APPNOTE 4.3.12 and 4.3.16), for the summary the CLI
//! prints. Nothing is extracted.
//!
//! The reader is bounded like the header's: the end record is looked for
//! only in the last 64 KiB + 22 bytes, every offset and length is checked
//! against the file before it is used, at most [`MAX_DIRECTORY_BYTES`] of
//! directory are read, and the entry count must match the end record. ZIP64
//! archives (the 0xFFFF / 0xFFFFFFFF markers) are recognised and not
//! listed.

use core::fmt;
use std::io::{self, Read, Seek, SeekFrom};

/// The end of central directory record's fixed size.
const EOCD_BYTES: usize = 22;
/// A central directory file header's fixed size.
const CDFH_BYTES: usize = 46;
/// The longest ZIP comment.
const MAX_COMMENT_BYTES: usize = 0xffff;
/// The most central directory this reader reads.
pub const MAX_DIRECTORY_BYTES: u64 = 16 << 20;

/// One entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its name, as stored (lossily decoded as UTF-8).
    pub name: String,
    /// Its uncompressed size.
    pub size: u64,
}

/// What the central directory says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    /// The entries, in directory order.
    pub entries: Vec<Entry>,
}

/// Why the directory could not be listed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ZipError {
    /// Reading failed.
    Io(io::Error),
    /// No end of central directory record.
    NoEndRecord,
    /// A ZIP64 archive (not listed).
    Zip64,
    /// An archive split over several disks.
    MultiDisk,
    /// The directory is not where the end record says, or is malformed.
    BadDirectory(&'static str),
    /// The directory is longer than [`MAX_DIRECTORY_BYTES`].
    TooLarge(u64),
}

impl fmt::Display for ZipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "cannot read the ZIP archive: {e}"),
            Self::NoEndRecord => f.write_str("no end of central directory record"),
            Self::Zip64 => f.write_str("a ZIP64 archive (not listed)"),
            Self::MultiDisk => f.write_str("an archive split over several disks"),
            Self::BadDirectory(what) => write!(f, "malformed central directory: {what}"),
            Self::TooLarge(n) => write!(f, "a central directory of {n} bytes (not listed)"),
        }
    }
}

impl std::error::Error for ZipError {}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at.checked_add(2)?)?.try_into().ok().map(u16::from_le_bytes)
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?)?.try_into().ok().map(u32::from_le_bytes)
}

/// Lists the archive in `r`.
///
/// # Errors
///
/// See [`ZipError`].
pub fn list<R: Read + Seek>(mut r: R) -> Result<Listing, ZipError> {
    let len = r.seek(SeekFrom::End(0)).map_err(ZipError::Io)?;
    let tail_len = len.min(u64::try_from(EOCD_BYTES.saturating_add(MAX_COMMENT_BYTES)).unwrap_or(u64::MAX));
    let tail_start = len.saturating_sub(tail_len);
    r.seek(SeekFrom::Start(tail_start)).map_err(ZipError::Io)?;
    let mut tail = Vec::new();
    r.by_ref().take(tail_len).read_to_end(&mut tail).map_err(ZipError::Io)?;
    // The last "PK\x05\x06" whose comment length reaches exactly the end.
    let eocd_at = (0..=tail.len().saturating_sub(EOCD_BYTES))
        .rev()
        .find(|&i| {
            tail.get(i..i.saturating_add(4)) == Some(b"PK\x05\x06")
                && u16_at(&tail, i.saturating_add(20)).map(usize::from)
                    == Some(tail.len().saturating_sub(i).saturating_sub(EOCD_BYTES))
        })
        .ok_or(ZipError::NoEndRecord)?;
    let field = |off: usize| u16_at(&tail, eocd_at.saturating_add(off)).ok_or(ZipError::NoEndRecord);
    let (disk, cd_disk, on_disk, total) = (field(4)?, field(6)?, field(8)?, field(10)?);
    let cd_size = u32_at(&tail, eocd_at.saturating_add(12)).ok_or(ZipError::NoEndRecord)?;
    let cd_offset = u32_at(&tail, eocd_at.saturating_add(16)).ok_or(ZipError::NoEndRecord)?;
    if total == 0xffff || on_disk == 0xffff || cd_size == u32::MAX || cd_offset == u32::MAX {
        return Err(ZipError::Zip64);
    }
    if disk != 0 || cd_disk != 0 || on_disk != total {
        return Err(ZipError::MultiDisk);
    }
    let eocd_pos = tail_start.saturating_add(u64::try_from(eocd_at).unwrap_or(u64::MAX));
    let (cd_size, cd_offset) = (u64::from(cd_size), u64::from(cd_offset));
    if cd_offset.checked_add(cd_size).is_none_or(|end| end > eocd_pos) {
        return Err(ZipError::BadDirectory("it does not end before the end record"));
    }
    if cd_size > MAX_DIRECTORY_BYTES {
        return Err(ZipError::TooLarge(cd_size));
    }
    r.seek(SeekFrom::Start(cd_offset)).map_err(ZipError::Io)?;
    let mut cd = Vec::new();
    r.take(cd_size).read_to_end(&mut cd).map_err(ZipError::Io)?;
    let mut entries = Vec::new();
    let mut rest: &[u8] = &cd;
    while !rest.is_empty() {
        let fixed = rest.get(..CDFH_BYTES).ok_or(ZipError::BadDirectory("a truncated entry"))?;
        if fixed.get(..4) != Some(b"PK\x01\x02") {
            return Err(ZipError::BadDirectory("an entry without its signature"));
        }
        let at = |o: usize| u16_at(fixed, o).map(usize::from).ok_or(ZipError::BadDirectory("a truncated entry"));
        let (name_len, extra_len, comment_len) = (at(28)?, at(30)?, at(32)?);
        let size = u32_at(fixed, 24).ok_or(ZipError::BadDirectory("a truncated entry"))?;
        let name = rest
            .get(CDFH_BYTES..CDFH_BYTES.saturating_add(name_len))
            .ok_or(ZipError::BadDirectory("a name past the directory's end"))?;
        let whole = CDFH_BYTES.saturating_add(name_len).saturating_add(extra_len).saturating_add(comment_len);
        rest = rest.get(whole..).ok_or(ZipError::BadDirectory("an entry past the directory's end"))?;
        entries.push(Entry { name: String::from_utf8_lossy(name).into_owned(), size: u64::from(size) });
        if entries.len() > usize::from(total) {
            break;
        }
    }
    if entries.len() != usize::from(total) {
        return Err(ZipError::BadDirectory("the entry count differs from the end record's"));
    }
    Ok(Listing { entries })
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "tests compute expected values")]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A ZIP made by Python's zipfile (two stored entries, "a.txt" = "hello"
    /// and "d/b.bin" = 3 zero bytes, dated 1980-01-01), byte for byte.
    fn python_zip() -> Vec<u8> {
        let hex = concat!(
            "504b03041400000000000000210086a61036050000000500000005000000612e74787468656c6c6f504b0304140000000000",
            "0000210012d941ff030000000300000007000000642f622e62696e000000504b010214031400000000000000210086a61036",
            "0500000005000000050000000000000000000000800100000000612e747874504b010214031400000000000000210012d941",
            "ff0300000003000000070000000000000000000000800128000000642f622e62696e504b0506000000000200020068000000",
            "500000000000",
        );
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn lists_entries() {
        let l = list(Cursor::new(python_zip())).unwrap();
        assert_eq!(l.entries, vec![Entry { name: "a.txt".into(), size: 5 }, Entry { name: "d/b.bin".into(), size: 3 }]);
        // An empty archive.
        let empty = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
        assert_eq!(list(Cursor::new(empty)).unwrap().entries, vec![]);
    }

    #[test]
    fn every_truncation_and_corruption_is_an_error_not_a_panic() {
        let z = python_zip();
        for cut in 0..z.len() {
            assert!(list(Cursor::new(z[..cut].to_vec())).is_err(), "{cut}");
        }
        for at in 0..z.len() {
            for bit in 0..8 {
                let mut bad = z.clone();
                bad[at] ^= 1 << bit;
                let _ = list(Cursor::new(bad));
            }
        }
        let mut zip64 = z.clone();
        let n = zip64.len();
        zip64[n - 12..n - 8].copy_from_slice(&[0xff; 4]);
        assert!(matches!(list(Cursor::new(zip64)), Err(ZipError::Zip64)));
    }
}
