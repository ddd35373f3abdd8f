//! A tar body back into a directory: refuses anything that would land
//! outside the target (absolute names, `..`, links whose target leaves the
//! tree, writes through symlinks, devices and FIFOs), and tells the disk's
//! failures ([`Stage::WriteRestored`]) from the archive's
//! ([`ContentError`]).

use super::{ContentError, Refusal};
use crate::error::{Error, Stage};
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// A path from an archive, if it is relative and has only normal
/// components (no root, no `..`, no drive prefix).
fn checked_relative(path: &Path) -> Option<PathBuf> {
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

/// Whether the symlink at `root/link` resolves inside `root`, following
/// the symlinks it meets on the way as the kernel would (RESOLVE_BENEATH
/// in user space); a dangling tail is resolved by name.
fn symlink_stays_inside(root: &Path, link: &Path) -> bool {
    let mut stack: Vec<std::ffi::OsString> =
        link.parent().map(|p| p.iter().map(ToOwned::to_owned).collect()).unwrap_or_default();
    let Ok(target) = fs::read_link(root.join(link)) else { return false };
    let mut pending: Vec<PathBuf> = vec![target];
    let mut hops = 0u32;
    while let Some(next) = pending.pop() {
        let mut components: Vec<Component<'_>> = next.components().collect();
        components.reverse();
        while let Some(c) = components.pop() {
            match c {
                Component::RootDir | Component::Prefix(_) => return false,
                Component::CurDir => {}
                Component::ParentDir => {
                    if stack.pop().is_none() {
                        return false;
                    }
                }
                Component::Normal(n) => {
                    stack.push(n.to_owned());
                    let here: PathBuf = stack.iter().collect();
                    let full = root.join(&here);
                    if fs::symlink_metadata(&full).is_ok_and(|m| m.file_type().is_symlink()) {
                        hops = hops.saturating_add(1);
                        if hops > 40 {
                            return false;
                        }
                        let Ok(inner) = fs::read_link(&full) else { return false };
                        stack.pop();
                        // Resolve the link's target, then the rest of this path.
                        let rest: PathBuf = components.iter().rev().collect();
                        pending.push(rest);
                        pending.push(inner);
                        break;
                    }
                }
            }
        }
    }
    true
}

/// The first symlink under `root` (relative to it) that resolves outside it.
fn symlink_pointing_out(root: &Path) -> Result<Option<PathBuf>, Error> {
    let mut pending = vec![PathBuf::new()];
    while let Some(dir) = pending.pop() {
        let full = root.join(&dir);
        let list_err = |e: io::Error| Error::io_at(Stage::WriteRestored, &full, e);
        for entry in fs::read_dir(&full).map_err(list_err)? {
            let entry = entry.map_err(list_err)?;
            let rel = dir.join(entry.file_name());
            let kind = entry.file_type().map_err(|e| Error::io_at(Stage::WriteRestored, entry.path(), e))?;
            if kind.is_symlink() {
                if !symlink_stays_inside(root, &rel) {
                    return Ok(Some(rel));
                }
            } else if kind.is_dir() {
                pending.push(rel);
            }
        }
    }
    Ok(None)
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

/// A directory whose permissions and time are applied after the whole
/// backup verified.
pub type DirMetadata = (PathBuf, u32, u64);

/// What extraction did.
#[derive(Debug, Default)]
pub struct Extracted {
    /// Entries written.
    pub entries: u64,
    /// Directories to finish with [`apply_dir_metadata`].
    pub dirs: Vec<DirMetadata>,
}

/// The archive is malformed: the decoder's words.
pub(crate) fn malformed(e: &io::Error) -> Error {
    Error::Content(ContentError::Malformed { detail: e.to_string() })
}

fn refused(entry: &Path, what: &'static str, reason: Refusal) -> Error {
    Error::Content(ContentError::Refused { entry: entry.to_path_buf(), what, reason })
}

/// Unpacks a tar body into `root` (an empty directory), refusing any entry
/// that would escape it. `check_top` sees each new top-level name before
/// anything is written under it, and can stop the restore. Directory
/// permissions and times are left for [`apply_dir_metadata`], once the
/// whole backup verified (a read-only directory must not stop the tree
/// from being filled, or removed).
///
/// # Errors
///
/// The archive is malformed or has an entry this refuses
/// ([`ContentError`]), `check_top` refused, or writing failed
/// ([`Stage::WriteRestored`]). A read error of `input` is returned as
/// [`ContentError::Malformed`]: a caller whose input can fail for other
/// reasons (the payload's verification) checks those first.
pub fn extract<R: Read>(
    input: R,
    root: &Path,
    check_top: &dyn Fn(&std::ffi::OsStr) -> Result<(), Error>,
) -> Result<Extracted, Error> {
    let tar_err = |e: io::Error| malformed(&e);
    let mut archive = tar::Archive::new(input);
    archive.set_preserve_permissions(true);
    archive.set_preserve_mtime(true);
    archive.set_overwrite(false);
    let mut dirs: Vec<DirMetadata> = Vec::new();
    let mut tops: std::collections::BTreeSet<std::ffi::OsString> = std::collections::BTreeSet::new();
    let mut stats = Extracted::default();
    for entry in archive.entries().map_err(tar_err)? {
        let mut entry = entry.map_err(tar_err)?;
        let raw = entry.path().map_err(tar_err)?.into_owned();
        let Some(path) = checked_relative(&raw) else {
            return Err(refused(&raw, "entry", Refusal::LeavesTarget));
        };
        if let Some(Component::Normal(top)) = path.components().next()
            && tops.insert(top.to_owned())
        {
            check_top(top)?;
        }
        let kind = entry.header().entry_type();
        match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            tar::EntryType::Directory => {
                let mode = entry.header().mode().map_err(tar_err)?;
                let mtime = entry.header().mtime().map_err(tar_err)?;
                dirs.push((path.clone(), mode, mtime));
                entry.set_preserve_permissions(false);
                entry.set_preserve_mtime(false);
            }
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name()
                    .map_err(tar_err)?
                    .ok_or_else(|| refused(&raw, "symlink", Refusal::NoLinkTarget))?;
                if target.is_absolute() {
                    return Err(refused(&raw, "symlink", Refusal::AbsoluteSymlink));
                }
            }
            tar::EntryType::Link => {
                let target = entry
                    .link_name()
                    .map_err(tar_err)?
                    .ok_or_else(|| refused(&raw, "hard link", Refusal::NoLinkTarget))?;
                if checked_relative(&target).is_none() {
                    return Err(refused(&raw, "hard link", Refusal::HardLinkOutside));
                }
            }
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => continue,
            other => return Err(refused(&raw, "entry", Refusal::UnsupportedType(format!("{other:?}")))),
        }
        // tar checks again that the entry's parent, canonicalized, is
        // inside `root`: that is what stops writes through a symlink.
        let unpacked = entry.unpack_in(root).map_err(|e| {
            // tar's own text names the temporary path; the cause is inside.
            let cause = innermost(&e);
            if is_storage_error(&e) {
                Error::io_at(Stage::WriteRestored, &raw, io::Error::new(e.kind(), cause))
            } else {
                refused(&raw, "entry", Refusal::Unpack(cause))
            }
        })?;
        if !unpacked {
            return Err(refused(&raw, "entry", Refusal::LeavesTarget));
        }
        stats.entries = stats.entries.saturating_add(1);
    }
    // Every symlink in the tree, not only the entries that said they were
    // one: a hard link to a symlink is a symlink too, and at another depth
    // the same target can point elsewhere.
    if let Some(link) = symlink_pointing_out(root)? {
        return Err(refused(&link, "symlink", Refusal::SymlinkOutside));
    }
    stats.dirs = dirs;
    Ok(stats)
}

/// Applies directory permissions and times, deepest first.
///
/// # Errors
///
/// Setting them failed ([`Stage::WriteRestored`]).
pub fn apply_dir_metadata(root: &Path, dirs: &[DirMetadata]) -> Result<(), Error> {
    let mut dirs: Vec<&DirMetadata> = dirs.iter().collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.0.components().count()));
    for (dir, mode, mtime) in dirs {
        let full = root.join(dir);
        set_dir_metadata(&full, *mode, *mtime).map_err(|e| Error::io_at(Stage::WriteRestored, &full, e))?;
    }
    Ok(())
}

fn system_time(mtime: u64) -> io::Result<std::time::SystemTime> {
    std::time::UNIX_EPOCH
        .checked_add(std::time::Duration::from_secs(mtime))
        .ok_or_else(|| io::Error::other("modification time out of range"))
}

#[cfg(unix)]
fn set_dir_metadata(dir: &Path, mode: u32, mtime: u64) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let time = system_time(mtime)?;
    fs::File::open(dir)?.set_modified(time)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(mode & 0o7777))
}

#[cfg(not(unix))]
fn set_dir_metadata(dir: &Path, _mode: u32, mtime: u64) -> io::Result<()> {
    let time = system_time(mtime)?;
    fs::File::open(dir)?.set_modified(time)
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
    let tar_err = |e: io::Error| malformed(&e);
    let mut archive = tar::Archive::new(input);
    let mut entries = 0u64;
    for entry in archive.entries().map_err(tar_err)? {
        let mut entry = entry.map_err(tar_err)?;
        io::copy(&mut entry, &mut io::sink()).map_err(tar_err)?;
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

    #[cfg(unix)]
    #[test]
    fn symlink_resolution_follows_links_on_the_way() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir(root.join("sub")).unwrap();
        symlink("sub", root.join("ok")).unwrap();
        symlink("../sub/x", root.join("sub/up")).unwrap();
        symlink("..", root.join("escape")).unwrap();
        symlink(".", root.join("here")).unwrap();
        // Lexically "here/.." is ".", but "here" is the root itself, so it
        // really is the root's parent.
        symlink("here/..", root.join("sneaky")).unwrap();
        symlink("sub/../../x", root.join("climb")).unwrap();
        symlink("missing/deeper", root.join("dangling")).unwrap();
        assert!(symlink_stays_inside(root, Path::new("ok")));
        assert!(symlink_stays_inside(root, Path::new("sub/up")));
        assert!(symlink_stays_inside(root, Path::new("dangling")));
        assert!(symlink_stays_inside(root, Path::new("here")));
        assert!(!symlink_stays_inside(root, Path::new("escape")));
        assert!(!symlink_stays_inside(root, Path::new("sneaky")));
        assert!(!symlink_stays_inside(root, Path::new("climb")));
    }
}
