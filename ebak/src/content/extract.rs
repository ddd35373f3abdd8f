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

use super::metadata::{self, EntryMeta};
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
pub type DirMetadata = (PathBuf, u32, u64);

/// Which entries a restore writes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    paths: Vec<PathBuf>,
}

impl Selection {
    /// Every entry of the backup.
    #[must_use]
    pub const fn all() -> Self {
        Self { paths: Vec::new() }
    }

    /// Only the entries named by `paths` (as `ebak ls` shows them), and
    /// what is under those that are directories.
    ///
    /// # Errors
    ///
    /// A path is absolute, empty or climbs with `..`
    /// ([`ContentError::BadSelection`]).
    pub fn only<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> Result<Self, ContentError> {
        let paths = paths
            .into_iter()
            .map(|p| {
                checked_relative(p.as_ref())
                    .ok_or_else(|| ContentError::BadSelection { path: p.as_ref().to_path_buf() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { paths })
    }

    /// Whether every entry is restored.
    #[must_use]
    pub fn is_all(&self) -> bool {
        self.paths.is_empty()
    }

    /// The index of the first selected path `path` is or is under.
    fn find(&self, path: &Path) -> Option<usize> {
        self.paths.iter().position(|s| path.starts_with(s))
    }
}

/// How to restore a tree.
#[derive(Clone, Debug, Default)]
pub struct ExtractOptions {
    /// Which entries.
    pub selection: Selection,
    /// Set owners and groups from the archive (the ids it holds). Only
    /// root can give a file away: leave it off otherwise.
    pub owners: bool,
    /// Which extended attributes to set from the archive.
    pub xattrs: Xattrs,
}

/// Which extended attributes a restore sets (content spec 6.10: those of
/// the `security.` and `trusted.` namespaces only when asked).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Xattrs {
    /// None.
    #[default]
    None,
    /// `user.*` attributes and POSIX ACLs (`system.posix_acl_*`).
    User,
    /// All of them, `security.*` (SELinux labels, file capabilities) and
    /// `trusted.*` included. Setting those takes privileges: a user
    /// other than root gets warnings for them.
    All,
}

impl Xattrs {
    /// Whether the attribute `name` is set.
    #[must_use]
    pub fn includes(self, name: &[u8]) -> bool {
        match self {
            Self::None => false,
            Self::User => name.starts_with(b"user.") || name.starts_with(b"system.posix_acl_"),
            Self::All => true,
        }
    }
}

/// Metadata a restore could not put back; the files are there.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RestoreWarning {
    /// An extended attribute could not be set.
    Xattr {
        /// The entry's name in the archive.
        entry: PathBuf,
        /// The attribute's name.
        name: String,
        /// The system's words.
        reason: String,
    },
    /// The owner or group could not be set.
    Owner {
        /// The entry's name in the archive.
        entry: PathBuf,
        /// The system's words.
        reason: String,
    },
}

impl std::fmt::Display for RestoreWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Xattr { entry, name, reason } => {
                write!(f, "{}: extended attribute {name} not restored ({reason})", entry.display())
            }
            Self::Owner { entry, reason } => write!(f, "{}: owner and group not restored ({reason})", entry.display()),
        }
    }
}

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
    let what = if e.kind() == io::ErrorKind::UnexpectedEof {
        "the archive ends inside an entry (cut short)"
    } else {
        "a tar header is malformed"
    };
    let detail = match last {
        Some(last) => format!("{what}, after entry {} ({})", entries, last.display()),
        None => format!("{what}, before the first entry"),
    };
    Error::Content(ContentError::Malformed { detail })
}

fn refused(entry: &Path, what: &'static str, reason: Refusal) -> Error {
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
    let mut archive = tar::Archive::new(input);
    archive.set_preserve_permissions(true);
    archive.set_preserve_mtime(true);
    archive.set_overwrite(false);
    // Owners and attributes are set here, not by tar, so that a failure
    // is a warning, and for directories and symlinks too.
    archive.set_preserve_ownerships(false);
    archive.set_unpack_xattrs(false);
    let mut state = Extraction { root, real_dirs: HashSet::new(), files: HashSet::new(), buf: Vec::new() };
    let mut dirs: BTreeMap<PathBuf, (u32, u64)> = BTreeMap::new();
    let mut tops: BTreeSet<OsString> = BTreeSet::new();
    let mut found = vec![false; options.selection.paths.len()];
    let mut stats = Extracted::default();
    let mut seen = 0u64;
    let mut last: Option<PathBuf> = None;
    let entries = archive.entries().map_err(|e| malformed_at(&e, 0, None))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| malformed_at(&e, seen, last.as_deref()))?;
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
        if !options.selection.is_all() {
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
                write_file(&mut entry, &full, &meta, &mut state.buf, make_parents)
                    .map_err(|e| e.into_error(&raw, root, seen, &path))?;
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
                // content spec 7.2: an earlier regular file of this archive.
                if !state.files.contains(&target) {
                    return Err(if options.selection.is_all() || dirs.contains_key(&target) {
                        refused(&raw, "hard link", Refusal::HardLinkMissing)
                    } else {
                        Error::Content(ContentError::LinkTargetNotSelected { entry: path, target })
                    });
                }
                state.check_parents(&raw, &target, "hard link")?;
            }
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => continue,
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

/// How much of a file's data is written (or, all zeros, skipped as a hole)
/// at a time.
const HOLE_BLOCK_BYTES: usize = 64 << 10;

/// Why writing a file failed: reading its data from the archive, or the
/// disk.
enum FileError {
    Read(io::Error),
    Write(io::Error),
}

impl FileError {
    fn into_error(self, raw: &Path, root: &Path, seen: u64, path: &Path) -> Error {
        match self {
            Self::Read(e) => malformed_at(&e, seen, Some(path)),
            Self::Write(e) => unpack_error(&e, raw, root),
        }
    }
}

/// Writes a regular file's data from `entry` to `full` (new: an existing
/// name, even a dangling symlink, is refused by the system), with its mode
/// and time. Blocks of 64 KiB that are all zeros become holes (content
/// spec 6.10: a sparse file comes back sparse).
fn write_file<R: Read>(
    entry: &mut R,
    full: &Path,
    meta: &EntryMeta,
    buf: &mut Vec<u8>,
    make_parents: bool,
) -> Result<(), FileError> {
    use std::io::{Seek, SeekFrom, Write};
    if make_parents && let Some(parent) = full.parent() {
        fs::create_dir_all(parent).map_err(FileError::Write)?;
    }
    let mut file = fs::OpenOptions::new().write(true).create_new(true).open(full).map_err(FileError::Write)?;
    buf.resize(HOLE_BLOCK_BYTES, 0);
    let mut len = 0u64;
    let mut ends_in_hole = false;
    loop {
        // A whole block (or the last, shorter one), so that holes stay
        // aligned to the file's blocks.
        let mut n = 0;
        while let Some(space) = buf.get_mut(n..).filter(|s| !s.is_empty()) {
            match entry.read(space) {
                Ok(0) => break,
                Ok(k) => n = n.saturating_add(k),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(FileError::Read(e)),
            }
        }
        let Some(block) = buf.get(..n).filter(|b| !b.is_empty()) else { break };
        let n64 = u64::try_from(n).unwrap_or(u64::MAX);
        if n == HOLE_BLOCK_BYTES && block.iter().all(|&b| b == 0) {
            file.seek(SeekFrom::Current(i64::try_from(n).unwrap_or(i64::MAX))).map_err(FileError::Write)?;
            ends_in_hole = true;
        } else {
            file.write_all(block).map_err(FileError::Write)?;
            ends_in_hole = false;
        }
        len = len.saturating_add(n64);
        if n < HOLE_BLOCK_BYTES {
            break;
        }
    }
    if ends_in_hole {
        file.set_len(len).map_err(FileError::Write)?;
    }
    metadata::set_file(&file, meta.mode, meta.mtime).map_err(FileError::Write)
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
/// As [`walk`].
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
