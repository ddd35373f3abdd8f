//! A tar body back into a directory (the staging directory of a
//! [`super::staged::StagedTree`]).
//!
//! What is refused: names that are absolute or climb out with `..`, any
//! write through a symlink (an entry whose parent, or a hard link whose
//! target, goes through a symlink), hard links to names outside the
//! archive or not restored before them, symlinks with an empty target, and
//! devices and FIFOs. Symlinks themselves are recreated as they were, with
//! absolute targets or targets outside the tree too (as tar and restic
//! do): a link is only a name, and nothing is ever written through one.
//!
//! The disk's failures ([`Stage::WriteRestored`]) are told from the
//! archive's ([`ContentError`]); messages never carry the staging
//! directory's name or raw header bytes.

use super::files::{FileError, write_file};
use super::header_check::{HeaderCheck, TarFault};
pub use super::list::{EntryInfo, list};
use super::metadata::{self, EntryMeta, NotANumber, Records};
pub use super::options::{ExtractOptions, RestoreWarning, Selection, Xattrs};
use super::{ContentError, Refusal};
use crate::error::{Error, Stage};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ffi::OsString;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// A path from an archive, if it is relative and has only normal
/// components (no root, no `..`, no drive prefix).
pub(crate) fn checked_relative(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    if out.as_os_str().is_empty() { None } else { Some(out) }
}

/// The text of the innermost error inside `e` (tar wraps the OS error in
/// its own, whose text is only "failed to unpack PATH").
fn innermost(e: &io::Error) -> String {
    // io::Error's source() is its wrapped error's source(): tar's cause.
    let mut cause: &dyn std::error::Error = e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

/// Whether an error while unpacking is the disk's (full, too large, not
/// writable: an I/O error) rather than the archive's.
fn is_storage_error(e: &io::Error) -> bool {
    use io::ErrorKind as K;
    matches!(
        e.kind(),
        K::StorageFull
            | K::FileTooLarge
            | K::PermissionDenied
            | K::ReadOnlyFilesystem
            | K::QuotaExceeded
            | K::OutOfMemory
            | K::WriteZero
    )
}

/// A directory whose permissions and time are applied once the tree is in
/// place (relative path, mode, modification time).
pub type DirMetadata = (PathBuf, u32, i64);

/// What extraction did.
#[derive(Debug, Default)]
pub struct Extracted {
    /// Entries written.
    pub entries: u64,
    /// Directories to finish once in place: see
    /// [`super::staged::StagedTree::commit`].
    pub dirs: Vec<DirMetadata>,
    /// Metadata that could not be put back.
    pub warnings: Vec<RestoreWarning>,
}

/// The archive is malformed, said without the header's bytes (which the
/// tar reader's messages quote): where, and whether it ends early.
pub(crate) fn malformed_at(e: &io::Error, entries: u64, last: Option<&Path>) -> Error {
    let inner = e.get_ref();
    let what = if let Some(fault) = inner.and_then(|i| i.downcast_ref::<TarFault>()) {
        fault.to_string()
    } else if let Some(field) = inner.and_then(|i| i.downcast_ref::<NotANumber>()) {
        field.to_string()
    } else if e.kind() == io::ErrorKind::UnexpectedEof {
        "the archive ends inside an entry (cut short)".into()
    } else {
        "a tar header is malformed".into()
    };
    let detail = match last {
        Some(last) => format!("{what}, after entry {} ({})", entries, last.display()),
        None => format!("{what}, before the first entry"),
    };
    Error::Content(ContentError::Malformed { detail })
}

pub(crate) fn refused(entry: &Path, what: &'static str, reason: Refusal) -> Error {
    Error::Content(ContentError::Refused { entry: entry.to_path_buf(), what, reason })
}

/// The state of one extraction into `root`.
struct Extraction<'r> {
    root: &'r Path,
    /// Directories under `root` known to be real directories (not
    /// symlinks): a parent is checked once.
    real_dirs: HashSet<PathBuf>,
    /// Regular files (and hard links to them) written so far: what a
    /// hard link may name.
    files: HashSet<PathBuf>,
    /// The copy buffer for file data.
    buf: Vec<u8>,
}

impl Extraction<'_> {
    /// Refuses `path` (relative to the root) if any of its parents is a
    /// symlink: writing there would write through it.
    fn check_parents(&mut self, entry: &Path, path: &Path, what: &'static str) -> Result<(), Error> {
        let mut here = PathBuf::new();
        let Some(parent) = path.parent() else { return Ok(()) };
        for c in parent.components() {
            here.push(c);
            if self.real_dirs.contains(&here) {
                continue;
            }
            match fs::symlink_metadata(self.root.join(&here)) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(refused(entry, what, Refusal::ThroughSymlink));
                }
                Ok(m) if m.is_dir() => {
                    self.real_dirs.insert(here.clone());
                }
                // Missing (tar creates it), or not a directory (tar fails).
                _ => {}
            }
        }
        Ok(())
    }
}

/// Unpacks a tar body into `root` (an empty directory), refusing any entry
/// that would escape it. `check_top` sees each new top-level name before
/// anything is written under it, and can stop the restore. Directory
/// permissions and times are left for after (a read-only directory must
/// not stop the tree from being filled, or removed).
///
/// # Errors
///
/// The archive is malformed or has an entry this refuses
/// ([`ContentError`]), a selected path is not in it
/// ([`ContentError::NotInBackup`]), `check_top` refused, or writing failed
/// ([`Stage::WriteRestored`]). A read error of `input` is returned as
/// [`ContentError::Malformed`]: a caller whose input can fail for other
/// reasons (the payload's verification) checks those first.
pub fn extract<R: Read>(
    input: R,
    root: &Path,
    options: &ExtractOptions,
    check_top: &dyn Fn(&std::ffi::OsStr) -> Result<(), Error>,
) -> Result<Extracted, Error> {
    let mut archive = tar::Archive::new(HeaderCheck::new(input));
    archive.set_preserve_permissions(true);
    archive.set_preserve_mtime(true);
    archive.set_overwrite(false);
    // Owners and attributes are set here, not by tar, so that a failure
    // is a warning, and for directories and symlinks too.
    archive.set_preserve_ownerships(false);
    archive.set_unpack_xattrs(false);
    let mut state = Extraction { root, real_dirs: HashSet::new(), files: HashSet::new(), buf: Vec::new() };
    let mut dirs: BTreeMap<PathBuf, (u32, i64)> = BTreeMap::new();
    let mut tops: BTreeSet<OsString> = BTreeSet::new();
    let mut archive_files: HashSet<PathBuf> = HashSet::new();
    let mut found = vec![false; options.selection.paths.len()];
    let mut stats = Extracted::default();
    let mut seen = 0u64;
    let mut last: Option<PathBuf> = None;
    let entries = archive.entries().map_err(|e| malformed_at(&e, 0, None))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| malformed_at(&e, seen, last.as_deref()))?;
        if skip_pax_header(&mut entry).map_err(|e| malformed_at(&e, seen, last.as_deref()))? {
            continue;
        }
        let raw = entry.path().map_err(|e| malformed_at(&e, seen, last.as_deref()))?.into_owned();
        let Some(path) = checked_relative(&raw) else {
            return Err(refused(&raw, "entry", Refusal::LeavesTarget));
        };
        seen = seen.saturating_add(1);
        last = Some(path.clone());
        let tar_err = |e: io::Error| malformed_at(&e, seen, Some(&path));
        let kind = entry.header().entry_type();
        let meta = EntryMeta::read(&mut entry).map_err(tar_err)?;
        if kind == tar::EntryType::Directory {
            dirs.insert(path.clone(), (meta.mode, meta.mtime));
        }
        // With a selection, every regular file of the archive, selected or
        // not, and every hard link to one (content spec 7.2): what a hard
        // link may name. (Restoring everything, these are `state.files`.)
        let selecting = !options.selection.is_all();
        let names_a_file = selecting
            && match kind {
                tar::EntryType::Regular | tar::EntryType::Continuous => true,
                tar::EntryType::Link => entry
                    .link_name()
                    .map_err(tar_err)?
                    .and_then(|t| checked_relative(&t))
                    .is_some_and(|t| archive_files.contains(&t)),
                _ => false,
            };
        if names_a_file {
            archive_files.insert(path.clone());
        }
        if selecting {
            match options.selection.find(&path) {
                Some(i) => {
                    if let Some(f) = found.get_mut(i) {
                        *f = true;
                    }
                }
                None => continue,
            }
        }
        if let Some(Component::Normal(top)) = path.components().next()
            && tops.insert(top.to_owned())
        {
            check_top(top)?;
        }
        match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous if meta.gnu_sparse => {
                // content spec 6.8: a PAX sparse map would be restored as
                // the file's content by a reader that ignored it.
                return Err(refused(&raw, "entry", Refusal::UnsupportedType("a PAX sparse file".into())));
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                state.check_parents(&raw, &path, "entry")?;
                let full = root.join(&path);
                // Known to exist (checked above): no mkdir per file.
                let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
                let make_parents = parent.is_some_and(|p| !state.real_dirs.contains(p));
                write_file(&mut entry, &full, &meta, &mut state.buf, make_parents).map_err(|e| match e {
                    FileError::Read(e) => malformed_at(&e, seen, Some(&path)),
                    FileError::Write(e) => unpack_error(&e, &raw, root),
                })?;
                if make_parents {
                    for dir in path.ancestors().skip(1).filter(|p| !p.as_os_str().is_empty()) {
                        state.real_dirs.insert(dir.to_path_buf());
                    }
                }
                state.files.insert(path.clone());
                metadata::apply(&full, &path, kind, &meta, options, &mut stats.warnings);
                stats.entries = stats.entries.saturating_add(1);
                continue;
            }
            tar::EntryType::Directory => entry.set_preserve_permissions(false),
            tar::EntryType::Symlink => {
                let target = entry.link_name().map_err(tar_err)?;
                if target.is_none_or(|t| t.as_os_str().is_empty()) {
                    return Err(refused(&raw, "symlink", Refusal::NoLinkTarget));
                }
            }
            tar::EntryType::Link => {
                let target = entry.link_name().map_err(tar_err)?;
                let target = target.ok_or_else(|| refused(&raw, "hard link", Refusal::NoLinkTarget))?;
                let Some(target) = checked_relative(&target) else {
                    return Err(refused(&raw, "hard link", Refusal::HardLinkOutside));
                };
                // content spec 7.2: an earlier regular file of this
                // archive; 7.9: one this restore writes.
                if !state.files.contains(&target) {
                    return Err(if options.selection.is_all() || !archive_files.contains(&target) {
                        refused(&raw, "hard link", Refusal::HardLinkMissing)
                    } else {
                        Error::Content(ContentError::LinkTargetNotSelected { entry: path, target })
                    });
                }
                state.check_parents(&raw, &target, "hard link")?;
            }
            other => return Err(refused(&raw, "entry", Refusal::UnsupportedType(format!("{other:?}")))),
        }
        state.check_parents(&raw, &path, "entry")?;
        // tar checks again that the entry's parent, canonicalized, is
        // inside `root`.
        let unpacked = entry.unpack_in(root).map_err(|e| unpack_error(&e, &raw, root))?;
        if !unpacked {
            return Err(refused(&raw, "entry", Refusal::LeavesTarget));
        }
        let full = root.join(&path);
        if kind == tar::EntryType::Directory {
            // Writable until the end; its own mode is applied then.
            metadata::make_owner_writable(&full).map_err(|e| Error::io_at(Stage::WriteRestored, &raw, e))?;
            state.real_dirs.insert(path.clone());
        } else if kind == tar::EntryType::Link {
            state.files.insert(path.clone());
        }
        metadata::apply(&full, &path, kind, &meta, options, &mut stats.warnings);
        stats.entries = stats.entries.saturating_add(1);
    }
    if let Some(missing) = options.selection.paths.iter().zip(&found).find(|(_, f)| !**f) {
        return Err(Error::Content(ContentError::NotInBackup { path: missing.0.clone() }));
    }
    // Directory entries not restored themselves but created as parents of
    // what was selected get their metadata too.
    stats.dirs = dirs
        .into_iter()
        .filter(|(p, _)| fs::symlink_metadata(root.join(p)).is_ok_and(|m| m.is_dir()))
        .map(|(p, (mode, mtime))| (p, mode, mtime))
        .collect();
    Ok(stats)
}

/// Whether `entry` is a PAX header that the tar reader handed on as an
/// entry of its own (a global header `'g'`; an `'x'` it only hands on
/// without the ustar or GNU magic, which [`HeaderCheck`] refuses first):
/// its records are parsed, so that malformed ones are refused as anywhere
/// else (content spec 6.8), and then it is skipped. It is not an entry:
/// its own name is never a path (7.1), never counted and never selected.
///
/// # Errors
///
/// Its records do not parse, or its data ends early.
pub(crate) fn skip_pax_header<R: Read>(entry: &mut tar::Entry<'_, R>) -> io::Result<bool> {
    if !matches!(entry.header().entry_type(), tar::EntryType::XGlobalHeader | tar::EntryType::XHeader) {
        return Ok(false);
    }
    // Its records only: the numeric fields of an extension record are not
    // read (content spec 6.3).
    Records::read(entry)?;
    io::copy(entry, &mut io::sink())?;
    Ok(true)
}

/// A failure to write `entry` under `root`: the disk's, or a refusal in
/// the words of its innermost cause (tar's own text names the staging
/// path).
fn unpack_error(e: &io::Error, entry: &Path, root: &Path) -> Error {
    let cause = scrub(&innermost(e), root);
    if is_storage_error(e) {
        Error::io_at(Stage::WriteRestored, entry, io::Error::new(e.kind(), cause))
    } else {
        refused(entry, "entry", Refusal::Unpack(cause))
    }
}

/// `text` without the staging directory's name.
fn scrub(text: &str, root: &Path) -> String {
    match root.to_str() {
        Some(r) if !r.is_empty() => text.replace(r, "<restore directory>"),
        _ => text.to_owned(),
    }
}

/// Applies directory permissions and times under `root`, deepest first.
///
/// # Errors
///
/// Setting them failed ([`Stage::WriteRestored`]).
pub fn apply_dir_metadata(root: &Path, dirs: &[DirMetadata]) -> Result<(), Error> {
    let mut dirs: Vec<&DirMetadata> = dirs.iter().collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.0.components().count()));
    for (dir, mode, mtime) in dirs {
        let full = root.join(dir);
        // Never through a symlink: only what is a directory itself.
        if !fs::symlink_metadata(&full).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        metadata::set_dir(&full, *mode, *mtime).map_err(|e| Error::io_at(Stage::WriteRestored, &full, e))?;
    }
    Ok(())
}

/// Reads a tar body to its end without writing anything (for a verify):
/// every entry's data is read, so a truncated archive is noticed, and the
/// number of entries is returned.
///
/// # Errors
///
/// The archive is malformed ([`ContentError::Malformed`], also for a read
/// error of `input`: see [`extract`]).
pub fn walk(input: impl Read) -> Result<u64, Error> {
    list(input, &mut |_| {})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_pass() {
        assert_eq!(checked_relative(Path::new("a/b")), Some(PathBuf::from("a/b")));
        assert_eq!(checked_relative(Path::new("./a")), Some(PathBuf::from("a")));
        assert_eq!(checked_relative(Path::new("/etc/passwd")), None);
        assert_eq!(checked_relative(Path::new("a/../../b")), None);
        assert_eq!(checked_relative(Path::new("..")), None);
        assert_eq!(checked_relative(Path::new(".")), None);
    }

    #[test]
    fn a_verify_parses_pax_records_as_a_restore_does() {
        let mut b = tar::Builder::new(Vec::new());
        // "20 SCHILY.xattr.a=b\n" is 20 bytes; say 30.
        let mut x = tar::Header::new_ustar();
        let record = b"30 SCHILY.xattr.a=b\n";
        x.set_size(record.len() as u64);
        x.set_entry_type(tar::EntryType::XHeader);
        x.set_cksum();
        b.append(&x, &record[..]).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        h.set_cksum();
        b.append_data(&mut h, "f", &b"x"[..]).unwrap();
        let archive = b.into_inner().unwrap();
        let e = walk(archive.as_slice()).unwrap_err();
        assert!(matches!(e, Error::Content(ContentError::Malformed { .. })), "{e}");
    }

    /// An oversized extension record is refused by a verify and by a
    /// restore alike, in words that say why (content spec 9).
    #[test]
    fn an_oversized_pax_header_is_malformed_and_said_so() {
        let mut x = tar::Header::new_ustar();
        x.set_size(1 << 40);
        x.set_entry_type(tar::EntryType::XHeader);
        x.set_cksum();
        let body = [x.as_bytes().as_slice(), &[0; 4096]].concat();
        let dir = tempfile::tempdir().unwrap();
        let refusals = [
            walk(body.as_slice()).unwrap_err(),
            extract(body.as_slice(), dir.path(), &ExtractOptions::default(), &|_| Ok(())).unwrap_err(),
        ];
        for e in refusals {
            let Error::Content(ContentError::Malformed { detail }) = &e else { panic!("{e}") };
            assert_eq!(
                detail,
                "a PAX extended header of 1099511627776 bytes, over the 1 MiB limit, before the first entry"
            );
        }
    }

    #[test]
    fn selections_match_whole_components() {
        let s = Selection::only(["tree/sub", "./notes.txt"]).unwrap();
        assert_eq!(s.find(Path::new("tree/sub")), Some(0));
        assert_eq!(s.find(Path::new("tree/sub/x")), Some(0));
        assert_eq!(s.find(Path::new("tree/subway")), None);
        assert_eq!(s.find(Path::new("notes.txt")), Some(1));
        assert!(Selection::only(["../x"]).is_err());
        assert!(Selection::only(["/etc"]).is_err());
    }
}
