//! A tar body read to its end without writing anything: what `ebak ls`
//! prints and `ebak verify` checks.

use super::Refusal;
use super::extract::{checked_relative, malformed_at, refused, skip_pax_header};
use super::header_check::HeaderCheck;
use super::metadata::EntryMeta;
use crate::error::Error;
use std::collections::{HashMap, HashSet};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

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
    /// Modification time, in seconds since 1970 (negative before).
    pub mtime: i64,
    /// Owner id.
    pub uid: u64,
    /// Group id.
    pub gid: u64,
    /// A symlink's target or the name a hard link shares.
    pub link: Option<PathBuf>,
}

/// The rules of content spec 7.1 to 7.3 that need no file system, applied
/// as the entries go by, so that a verify (and `ebak ls`) refuses what a
/// restore would (content spec 7.7): names (7.1 steps 1 to 4, and a name
/// stored twice unless both are directories), types (6.9), hard links to
/// an earlier regular file (7.2), symlinks with a target (7.3). What
/// depends on the file system (7.1 step 5, 7.4) only a restore finds.
#[derive(Default)]
struct Rules {
    /// Every path so far, and whether it was a directory.
    seen: HashMap<PathBuf, bool>,
    /// Regular files and hard links to them: what a hard link may name.
    files: HashSet<PathBuf>,
}

impl Rules {
    fn check(&mut self, raw: &Path, kind: tar::EntryType, meta: &EntryMeta, link: Option<&Path>) -> Result<(), Error> {
        use tar::EntryType as T;
        let Some(path) = checked_relative(raw) else {
            return Err(refused(raw, "entry", Refusal::LeavesTarget));
        };
        match kind {
            T::Regular | T::Continuous if meta.gnu_sparse => {
                return Err(refused(raw, "entry", Refusal::UnsupportedType("a PAX sparse file".into())));
            }
            T::Regular | T::Continuous | T::Directory => {}
            T::Symlink => {
                if link.is_none_or(|t| t.as_os_str().is_empty()) {
                    return Err(refused(raw, "symlink", Refusal::NoLinkTarget));
                }
            }
            T::Link => {
                let target = link.ok_or_else(|| refused(raw, "hard link", Refusal::NoLinkTarget))?;
                let target =
                    checked_relative(target).ok_or_else(|| refused(raw, "hard link", Refusal::HardLinkOutside))?;
                if !self.files.contains(&target) {
                    return Err(refused(raw, "hard link", Refusal::HardLinkMissing));
                }
            }
            other => return Err(refused(raw, "entry", Refusal::UnsupportedType(format!("{other:?}")))),
        }
        let is_dir = kind == T::Directory;
        match self.seen.insert(path.clone(), is_dir) {
            Some(true) if is_dir => {}
            Some(_) => return Err(refused(raw, "entry", Refusal::Repeated)),
            None => {}
        }
        if matches!(kind, T::Regular | T::Continuous | T::Link) {
            self.files.insert(path);
        }
        Ok(())
    }
}

/// Reads a tar body to its end, telling `each` about every entry, writing
/// nothing. Every entry's data is read, so a truncated archive is noticed,
/// and every entry is held to the rules of content spec 7.1 to 7.3 that
/// need no file system, so that what a restore would refuse is refused
/// here too.
///
/// # Errors
///
/// As [`super::extract::walk`]; an entry a restore would refuse whatever
/// the target holds is [`ContentError::Refused`](super::ContentError::Refused).
pub fn list(input: impl Read, each: &mut dyn FnMut(&EntryInfo)) -> Result<u64, Error> {
    let mut archive = tar::Archive::new(HeaderCheck::new(input));
    let mut entries = 0u64;
    let mut last: Option<PathBuf> = None;
    let mut rules = Rules::default();
    for entry in archive.entries().map_err(|e| malformed_at(&e, 0, None))? {
        let mut entry = entry.map_err(|e| malformed_at(&e, entries, last.as_deref()))?;
        let tar_err = |e: io::Error| malformed_at(&e, entries, last.as_deref());
        if skip_pax_header(&mut entry).map_err(tar_err)? {
            continue;
        }
        let kind = entry.header().entry_type();
        // The entry's numeric fields and PAX records, read as a restore
        // reads them, so that a verify finds a malformed one too (content
        // spec 7.7).
        let meta = EntryMeta::read(&mut entry).map_err(tar_err)?;
        let info = EntryInfo {
            path: entry.path().map_err(tar_err)?.into_owned(),
            kind: kind.as_byte(),
            size: entry.size(),
            mode: meta.mode,
            mtime: meta.mtime,
            uid: meta.uid,
            gid: meta.gid,
            link: entry.link_name().map_err(tar_err)?.map(std::borrow::Cow::into_owned),
        };
        rules.check(&info.path, kind, &meta, info.link.as_deref())?;
        each(&info);
        last = Some(info.path);
        io::copy(&mut entry, &mut io::sink()).map_err(|e| malformed_at(&e, entries, last.as_deref()))?;
        entries = entries.saturating_add(1);
    }
    Ok(entries)
}
