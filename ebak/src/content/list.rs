//! A tar body read to its end without writing anything: what `ebak ls`
//! prints and `ebak verify` checks.

use super::extract::malformed_at;
use super::metadata::EntryMeta;
use crate::error::Error;
use std::io::{self, Read};
use std::path::PathBuf;

/// What `ebak ls` shows of an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntryInfo {
    /// Its name in the archive, as stored.
    pub path: PathBuf,
    /// The tar type flag (`b'0'` a file, `b'5'` a directory, `b'2'` a
    /// symlink, `b'1'` a hard link, `b'S'` a sparse file).
    pub kind: u8,
    /// Its size (for a sparse file, the whole file's).
    pub size: u64,
    /// Permission bits.
    pub mode: u32,
    /// Modification time, in seconds since 1970.
    pub mtime: u64,
    /// Owner id.
    pub uid: u64,
    /// Group id.
    pub gid: u64,
    /// A symlink's target or the name a hard link shares.
    pub link: Option<PathBuf>,
}

/// Reads a tar body to its end, telling `each` about every entry, writing
/// nothing. Every entry's data is read, so a truncated archive is noticed.
///
/// # Errors
///
/// As [`super::extract::walk`].
pub fn list(input: impl Read, each: &mut dyn FnMut(&EntryInfo)) -> Result<u64, Error> {
    let mut archive = tar::Archive::new(input);
    let mut entries = 0u64;
    let mut last: Option<PathBuf> = None;
    for entry in archive.entries().map_err(|e| malformed_at(&e, 0, None))? {
        let mut entry = entry.map_err(|e| malformed_at(&e, entries, last.as_deref()))?;
        let tar_err = |e: io::Error| malformed_at(&e, entries, last.as_deref());
        let kind = entry.header().entry_type();
        if matches!(kind, tar::EntryType::XGlobalHeader | tar::EntryType::XHeader) {
            io::copy(&mut entry, &mut io::sink()).map_err(tar_err)?;
            continue;
        }
        // The entry's PAX records, parsed as a restore parses them, so that
        // a verify finds a malformed one too (content spec 7.7).
        EntryMeta::read(&mut entry).map_err(tar_err)?;
        let header = entry.header();
        let info = EntryInfo {
            path: entry.path().map_err(tar_err)?.into_owned(),
            kind: kind.as_byte(),
            size: entry.size(),
            // As the restore reads them: an unparsable field is 0.
            mode: header.mode().unwrap_or(0),
            mtime: header.mtime().unwrap_or(0),
            uid: header.uid().unwrap_or(0),
            gid: header.gid().unwrap_or(0),
            link: entry.link_name().map_err(tar_err)?.map(std::borrow::Cow::into_owned),
        };
        each(&info);
        last = Some(info.path);
        io::copy(&mut entry, &mut io::sink()).map_err(|e| malformed_at(&e, entries, last.as_deref()))?;
        entries = entries.saturating_add(1);
    }
    Ok(entries)
}
