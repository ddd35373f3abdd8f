//! The metadata a restore puts back beyond what tar's unpacking sets
//! (modes and times of files): owners and groups, extended attributes,
//! and directory modes and times, set once the tree is in place. Failures
//! to set owners or attributes are warnings, not errors: the data is
//! restored either way.

use super::extract::{ExtractOptions, RestoreWarning};
use std::fs;
use std::io;
use std::path::Path;

/// What an entry's header and PAX records say beyond its data.
#[derive(Debug, Default)]
pub(crate) struct EntryMeta {
    pub(crate) mode: u32,
    pub(crate) mtime: u64,
    pub(crate) uid: u64,
    pub(crate) gid: u64,
    /// `SCHILY.xattr.NAME` records: (NAME, value).
    pub(crate) xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    /// A `GNU.sparse.*` PAX record is present (content spec 6.8: refused).
    pub(crate) gnu_sparse: bool,
}

/// The PAX key prefix of an extended attribute (as GNU tar and star write).
const XATTR_PREFIX: &[u8] = b"SCHILY.xattr.";

impl EntryMeta {
    /// Reads the metadata of `entry`: its header's numeric fields, which
    /// must parse (content spec 6.3), and its PAX records (6.8).
    ///
    /// # Errors
    ///
    /// A `mode`, `mtime`, `uid` or `gid` field is neither octal nor
    /// base-256, or the PAX records are malformed.
    pub(crate) fn read<R: io::Read>(entry: &mut tar::Entry<'_, R>) -> io::Result<Self> {
        fn number<T>(field: &'static str, value: io::Result<T>) -> io::Result<T> {
            value.map_err(|_| io::Error::new(io::ErrorKind::InvalidData, NotANumber(field)))
        }
        let header = entry.header();
        let (mode, mtime) = (number("mode", header.mode())?, number("mtime", header.mtime())?);
        let (uid, gid) = (number("uid", header.uid())?, number("gid", header.gid())?);
        let Records { xattrs, gnu_sparse } = Records::read(entry)?;
        Ok(Self { mode, mtime, uid, gid, xattrs, gnu_sparse })
    }
}

/// A numeric field of an entry's header that is neither octal nor
/// base-256 (content spec 6.3).
#[derive(Debug)]
pub(crate) struct NotANumber(pub(crate) &'static str);

impl std::fmt::Display for NotANumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a header's {} field is not a number", self.0)
    }
}

impl std::error::Error for NotANumber {}

/// What an entry's PAX records say that the tar reader does not apply.
#[derive(Default)]
pub(crate) struct Records {
    /// `SCHILY.xattr.NAME` records: (NAME, value).
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    /// A `GNU.sparse.*` record is present.
    gnu_sparse: bool,
}

impl Records {
    /// Reads and checks the PAX records of `entry` (those of the `'x'`
    /// header before it, or its own data if it is a PAX header itself).
    ///
    /// # Errors
    ///
    /// They are malformed, or the data ends early.
    pub(crate) fn read<R: io::Read>(entry: &mut tar::Entry<'_, R>) -> io::Result<Self> {
        let mut out = Self::default();
        if let Some(records) = entry.pax_extensions()? {
            for record in records {
                let record = record?;
                if let Some(name) = record.key_bytes().strip_prefix(XATTR_PREFIX) {
                    out.xattrs.push((name.to_vec(), record.value_bytes().to_vec()));
                }
                out.gnu_sparse |= record.key_bytes().starts_with(b"GNU.sparse.");
            }
        }
        Ok(out)
    }
}

/// Sets the owner, group and extended attributes of the entry just
/// unpacked at `full` (named `entry` in the archive), as `options` asks;
/// what fails becomes a warning.
pub(crate) fn apply(
    full: &Path,
    entry: &Path,
    kind: tar::EntryType,
    meta: &EntryMeta,
    options: &ExtractOptions,
    warnings: &mut Vec<RestoreWarning>,
) {
    if kind == tar::EntryType::Link {
        // The same inode as the entry it names: already done.
        return;
    }
    if options.owners
        && let Err(e) = set_owner(full, meta, kind)
    {
        warnings.push(RestoreWarning::Owner { entry: entry.to_path_buf(), reason: crate::io_util::io_reason(&e) });
    }
    for (name, value) in meta.xattrs.iter().filter(|(name, _)| options.xattrs.includes(name)) {
        if let Err(e) = set_xattr(full, name, value) {
            warnings.push(RestoreWarning::Xattr {
                entry: entry.to_path_buf(),
                name: String::from_utf8_lossy(name).into_owned(),
                reason: crate::io_util::io_reason(&e),
            });
        }
    }
}

#[cfg(unix)]
fn set_owner(full: &Path, meta: &EntryMeta, kind: tar::EntryType) -> io::Result<()> {
    use rustix::fs::{AtFlags, CWD, Gid, Uid};
    let id = |v: u64| u32::try_from(v).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "id out of range"));
    let (uid, gid) = (Uid::from_raw(id(meta.uid)?), Gid::from_raw(id(meta.gid)?));
    rustix::fs::chownat(CWD, full, Some(uid), Some(gid), AtFlags::SYMLINK_NOFOLLOW)?;
    // A change of owner clears the set-user-ID and set-group-ID bits of a
    // file: they are put back (root restoring a setuid program, as tar).
    if kind != tar::EntryType::Symlink && kind != tar::EntryType::Directory && meta.mode & 0o6000 != 0 {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(full, fs::Permissions::from_mode(meta.mode & 0o7777))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_owner(_: &Path, _: &EntryMeta, _: tar::EntryType) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "owners are not restored on this system"))
}

#[cfg(unix)]
fn set_xattr(full: &Path, name: &[u8], value: &[u8]) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::OsStr::from_bytes(name);
    rustix::fs::lsetxattr(full, name, value, rustix::fs::XattrFlags::empty()).map_err(io::Error::from)
}

#[cfg(not(unix))]
fn set_xattr(_: &Path, _: &[u8], _: &[u8]) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "extended attributes are not restored on this system"))
}

/// Makes a directory being filled writable and searchable by its owner
/// (its mode from the archive is applied at the end).
pub(crate) fn make_owner_writable(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::symlink_metadata(dir)?.permissions().mode();
        if mode & 0o700 != 0o700 {
            fs::set_permissions(dir, fs::Permissions::from_mode(mode | 0o700))?;
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn system_time(mtime: u64) -> io::Result<std::time::SystemTime> {
    std::time::UNIX_EPOCH
        .checked_add(std::time::Duration::from_secs(mtime))
        .ok_or_else(|| io::Error::other("modification time out of range"))
}

/// Sets a regular file's mode (all 12 bits: the process umask does not
/// apply) and modification time.
pub(crate) fn set_file(file: &fs::File, mode: u32, mtime: u64) -> io::Result<()> {
    file.set_modified(system_time(mtime)?)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(mode & 0o7777))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    Ok(())
}

/// Sets a directory's modification time and mode.
pub(crate) fn set_dir(dir: &Path, mode: u32, mtime: u64) -> io::Result<()> {
    let time = system_time(mtime)?;
    let handle = fs::File::open(dir)?;
    handle.set_modified(time)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        handle.set_permissions(fs::Permissions::from_mode(mode & 0o7777))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    Ok(())
}
