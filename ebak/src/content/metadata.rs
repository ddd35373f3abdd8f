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
    /// Seconds since 1970, negative before.
    pub(crate) mtime: i64,
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
        /// The field `name` at `at`, as a `T`.
        fn number<T>(
            header: &[u8; 512],
            name: &'static str,
            at: std::ops::Range<usize>,
            convert: impl FnOnce(i128) -> Option<T>,
        ) -> io::Result<T> {
            header
                .get(at)
                .and_then(field_number)
                .and_then(convert)
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, NotANumber(name)))
        }
        let header = entry.header().as_bytes();
        let mode = number(header, "mode", 100..108, |n| u32::try_from(n).ok())?;
        let uid = number(header, "uid", 108..116, |n| u64::try_from(n).ok())?;
        let gid = number(header, "gid", 116..124, |n| u64::try_from(n).ok())?;
        let mtime = number(header, "mtime", 136..148, mtime_from)?;
        let Records { xattrs, gnu_sparse } = Records::read(entry)?;
        Ok(Self { mode, mtime, uid, gid, xattrs, gnu_sparse })
    }
}

/// A numeric header field as content spec 6.3 reads it: octal digits (the
/// bytes up to the first `NUL`, spaces around them stripped), or
/// base-256 (`0x80`, then the number big-endian; `0xFF`, a negative
/// number in two's complement over the whole field). `None` if it is
/// neither. (The `tar` crate reads only the last 8 bytes of a 12-byte
/// base-256 field, and takes any first byte with the high bit for one.)
pub(crate) fn field_number(field: &[u8]) -> Option<i128> {
    let base256 = |bytes: &[u8]| bytes.iter().try_fold(0i128, |n, &b| n.checked_mul(256)?.checked_add(i128::from(b)));
    match field.first() {
        Some(0x80) => base256(field.get(1..)?),
        Some(0xFF) => {
            // At most 12 bytes: 96 bits, well inside an i128.
            let bits = u32::try_from(field.len()).ok()?.checked_mul(8)?;
            base256(field)?.checked_sub(1i128.checked_shl(bits)?)
        }
        _ => {
            let mut text = field.split(|&b| b == 0).next()?;
            while let [b' ', rest @ ..] = text {
                text = rest;
            }
            while let [rest @ .., b' '] = text {
                text = rest;
            }
            if text.is_empty() || !text.iter().all(|b| (b'0'..=b'7').contains(b)) {
                return None;
            }
            text.iter().try_fold(0i128, |n, &d| n.checked_mul(8)?.checked_add(i128::from(d.checked_sub(b'0')?)))
        }
    }
}

/// An `mtime` field's value in seconds: in range of an `i64`, with one
/// exception read for what it is. Before 2026-12-04, ebak's writer stored
/// a time before 1970 as `0x80`, three zero bytes, and the time's 64-bit
/// two's complement (the `tar` crate's base-256 of the time cast to an
/// unsigned number): a number of 2^63 or more that no time can be, read
/// as that negative time.
fn mtime_from(n: i128) -> Option<i64> {
    i64::try_from(n).ok().or_else(|| {
        let low = u64::try_from(n).ok()?;
        (low >= 1 << 63).then(|| i64::from_be_bytes(low.to_be_bytes()))
    })
}

/// A numeric field of an entry's header that is neither octal nor
/// base-256 (content spec 6.3), or out of range for what it holds (a
/// negative mode, owner or group).
#[derive(Debug)]
pub(crate) struct NotANumber(pub(crate) &'static str);

impl std::fmt::Display for NotANumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a header's {} field is not a number, or out of range", self.0)
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

fn system_time(mtime: i64) -> io::Result<std::time::SystemTime> {
    let span = std::time::Duration::from_secs(mtime.unsigned_abs());
    let time =
        if mtime < 0 { std::time::UNIX_EPOCH.checked_sub(span) } else { std::time::UNIX_EPOCH.checked_add(span) };
    time.ok_or_else(|| io::Error::other("modification time out of range"))
}

/// Sets a regular file's mode (all 12 bits: the process umask does not
/// apply) and modification time.
pub(crate) fn set_file(file: &fs::File, mode: u32, mtime: i64) -> io::Result<()> {
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
pub(crate) fn set_dir(dir: &Path, mode: u32, mtime: i64) -> io::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_fields_are_read_as_content_spec_6_3_says() {
        assert_eq!(field_number(b"0000644\0"), Some(0o644));
        assert_eq!(field_number(b"  644 \0\0\0"), Some(0o644), "spaces around the digits");
        assert_eq!(field_number(b"644"), Some(0o644), "no NUL");
        for bad in [&b"\0\0\0\0\0\0\0\0"[..], b"        ", b"0006x4\0", b"\t644\0", b"-644\0", b"\x81\0\0\0\0\0\0\x06"]
        {
            assert_eq!(field_number(bad), None, "{bad:?}");
        }
        // Base-256, read whole: 2^64 + 6 is not 6.
        assert_eq!(field_number(b"\x80\0\0\x01\0\0\0\0\0\0\0\x06"), Some((1 << 64) + 6));
        assert_eq!(field_number(b"\x80\0\0\0\0\0\0\x06"), Some(6));
        // 0xFF: two's complement over the whole field.
        assert_eq!(field_number(&[0xFF; 12]), Some(-1));
        let mut minus_1960 = [0xFFu8; 12];
        minus_1960[8..].copy_from_slice(&(-315_619_200i32).to_be_bytes());
        assert_eq!(field_number(&minus_1960), Some(-315_619_200));
    }

    #[test]
    fn an_mtime_is_an_i64_or_what_ebak_wrote_before_1970() {
        assert_eq!(mtime_from(1_700_000_000), Some(1_700_000_000));
        assert_eq!(mtime_from(-315_619_200), Some(-315_619_200));
        // ebak's writer before 2026-12-04: the time's two's complement
        // as an unsigned 64-bit number, behind 0x80.
        let legacy = field_number(b"\x80\0\0\0\xFF\xFF\xFF\xFF\xED\x30\x08\x80").unwrap();
        assert_eq!(mtime_from(legacy), Some(-315_619_200));
        assert_eq!(mtime_from(1 << 64), None, "no time");
    }
}
