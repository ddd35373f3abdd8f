//! Extraction of a restored archive: refuses anything that would land
//! outside the target (absolute names, `..`, links whose target leaves the
//! tree, writes through symlinks, devices and FIFOs), and tells the disk's
//! failures (exit 5) from the archive's (exit 4).

use crate::error::CliError;
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
fn symlink_pointing_out(root: &Path) -> Result<Option<PathBuf>, CliError> {
    let mut pending = vec![PathBuf::new()];
    while let Some(dir) = pending.pop() {
        let full = root.join(&dir);
        for entry in fs::read_dir(&full).map_err(|e| CliError::io(&full, "cannot list", &e))? {
            let entry = entry.map_err(|e| CliError::io(&full, "cannot list", &e))?;
            let rel = dir.join(entry.file_name());
            let kind = entry.file_type().map_err(|e| CliError::io(&entry.path(), "cannot read", &e))?;
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
/// writable: an I/O error, exit 5) rather than the archive's (exit 4).
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

/// Unpacks a tar archive into `root` (an empty directory), refusing any
/// entry that would escape it. `check_top` sees each new top-level name
/// before anything is written under it, and can stop the restore. Directory permissions and times are left for
/// [`apply_dir_metadata`], once the whole backup has verified (a read-only
/// directory must not stop the tree from being filled, or removed).
pub fn extract<R: Read>(
    input: R,
    root: &Path,
    check_top: &dyn Fn(&std::ffi::OsStr) -> Result<(), CliError>,
) -> Result<Extracted, CliError> {
    let bad = |what: String| CliError::damaged(format!("refusing to restore: {what}"));
    let tar_err = |e: io::Error| CliError::damaged(format!("the archive inside the backup is malformed: {e}"));
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
            return Err(bad(format!("entry {} is absolute or leaves the target with ..", raw.display())));
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
                    .ok_or_else(|| bad(format!("symlink {} has no target", raw.display())))?;
                if target.is_absolute() {
                    return Err(bad(format!("symlink {} points to an absolute path", raw.display())));
                }
            }
            tar::EntryType::Link => {
                let target = entry
                    .link_name()
                    .map_err(tar_err)?
                    .ok_or_else(|| bad(format!("hard link {} has no target", raw.display())))?;
                if checked_relative(&target).is_none() {
                    return Err(bad(format!("hard link {} points outside the archive", raw.display())));
                }
            }
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => continue,
            other => return Err(bad(format!("entry {} has an unsupported type ({other:?})", raw.display()))),
        }
        // tar checks again that the entry's parent, canonicalized, is
        // inside `root`: that is what stops writes through a symlink.
        let unpacked = entry.unpack_in(root).map_err(|e| {
            // tar's own text names the temporary path; the cause is inside.
            let cause = io::Error::new(e.kind(), innermost(&e));
            if is_storage_error(&e) {
                CliError::io_plain(&format!("cannot restore {}", raw.display()), &cause)
            } else {
                bad(format!("entry {}: {cause}", raw.display()))
            }
        })?;
        if !unpacked {
            return Err(bad(format!("entry {} leaves the target", raw.display())));
        }
        stats.entries = stats.entries.saturating_add(1);
    }
    // Every symlink in the tree, not only the entries that said they were
    // one: a hard link to a symlink is a symlink too, and at another depth
    // the same target can point elsewhere.
    if let Some(link) = symlink_pointing_out(root)? {
        return Err(bad(format!("symlink {} points outside the restored tree", link.display())));
    }
    stats.dirs = dirs;
    Ok(stats)
}

/// Applies directory permissions and times, deepest first.
pub fn apply_dir_metadata(root: &Path, dirs: &[DirMetadata]) -> Result<(), CliError> {
    let mut dirs: Vec<&DirMetadata> = dirs.iter().collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.0.components().count()));
    for (dir, mode, mtime) in dirs {
        let full = root.join(dir);
        set_dir_metadata(&full, *mode, *mtime).map_err(|e| CliError::io(&full, "cannot set permissions of", &e))?;
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

/// Reads a tar archive to its end without writing anything (for `verify`):
/// every entry's data is read, so a truncated archive is noticed.
pub fn walk(input: impl Read) -> Result<u64, CliError> {
    let tar_err = |e: io::Error| CliError::damaged(format!("the archive inside the backup is malformed: {e}"));
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
