//! Files and directory trees into the content body: a tar archive in the
//! dialect `spec/ebak-content-v1.md` fixes (GNU headers as the `tar`
//! crate writes them; entries sorted by name within each directory, so the
//! same tree gives the same archive), or one stream.

use super::exclude::Exclude;
use super::source;
use super::walk::Walker;
use super::{Compression, ContentError, ContentHeader, Kind, encoder};
use crate::error::{Error, Stage};
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts the bytes read from the sources (for a progress bar); clones
/// count together.
#[derive(Clone, Debug, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    pub(crate) fn add(&self, n: usize) {
        self.0.fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Bytes so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

struct Counting<'a, R> {
    inner: R,
    counter: Option<&'a Counter>,
    read: u64,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(c) = self.counter {
            c.add(n);
        }
        self.read = self.read.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        Ok(n)
    }
}

/// Files a backup must not archive: its own output, by device and inode
/// (the file being written is inside the tree when a user backs up `~` to
/// `~/home.ebak`).
#[derive(Debug, Default)]
pub struct Skip(Vec<(u64, u64)>);

impl Skip {
    /// The files at `paths` that exist now.
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Self {
        Self(paths.into_iter().filter_map(|p| file_id(&fs::metadata(p).ok()?)).collect())
    }

    pub(crate) fn contains(&self, meta: &fs::Metadata) -> bool {
        file_id(meta).is_some_and(|id| self.0.contains(&id))
    }
}

#[cfg(unix)]
pub(crate) fn file_id(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
pub(crate) fn file_id(_: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Something left out of a backup, or stored other than it was, which did
/// not stop it. A caller that shows these must let the user know the
/// backup is not whole (the CLI exits with "completed with warnings").
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// The file is the backup being written: left out.
    OwnOutput(PathBuf),
    /// A FIFO or a device (a backup cannot restore them): left out.
    NotAFile(PathBuf),
    /// A socket: left out. Only its server can make it anew (when it
    /// starts), so this is a note rather than something missing.
    Socket(PathBuf),
    /// It could not be read (permission denied, a path longer than the
    /// system allows, gone since its directory was listed): left out,
    /// with everything under it.
    Unreadable {
        /// The file or directory.
        path: PathBuf,
        /// The cause's kind.
        kind: io::ErrorKind,
        /// The cause, in the system's words.
        reason: String,
    },
    /// A directory whose entries could not be listed: stored empty.
    Unlisted {
        /// The directory.
        path: PathBuf,
        /// The cause, in the system's words.
        reason: String,
    },
    /// The file shrank while it was read: it is stored with the length it
    /// had, the missing end as zeros.
    Shrank {
        /// The file.
        path: PathBuf,
        /// The length stored.
        size: u64,
        /// The bytes that could be read.
        read: u64,
    },
    /// Reading the file failed part-way: it is stored with its length,
    /// the unread rest as zeros.
    ReadFailed {
        /// The file.
        path: PathBuf,
        /// The bytes read before the failure.
        read: u64,
        /// The cause, in the system's words.
        reason: String,
    },
    /// Its extended attributes could not be read (or have a name that is
    /// not UTF-8): it is stored without them.
    Xattrs {
        /// The file.
        path: PathBuf,
        /// The cause.
        reason: String,
    },
    /// One extended attribute left out, the others stored: its name or
    /// value holds a line break (0x0A), which this version's reader would
    /// take for a malformed PAX record (content spec 10), or the attributes
    /// together exceed the 1 MiB a PAX header may hold (content spec 9).
    XattrLeftOut {
        /// The file.
        path: PathBuf,
        /// The attribute's name.
        name: String,
        /// Why, in a few words.
        reason: &'static str,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OwnOutput(p) => write!(f, "skipping {}: it is the backup being written", p.display()),
            Self::NotAFile(p) => write!(f, "skipping {}: not a regular file, directory or symlink", p.display()),
            Self::Socket(p) => write!(f, "skipping {}: a socket (its program makes it anew)", p.display()),
            Self::Unreadable { path, reason, .. } => write!(f, "skipping {}: {reason}", path.display()),
            Self::Unlisted { path, reason } => {
                write!(f, "{}: cannot list its entries ({reason}): stored as an empty directory", path.display())
            }
            Self::Shrank { path, size, read } => write!(
                f,
                "{}: shrank while it was read: stored as {size} bytes, the last {} of them zeros",
                path.display(),
                size.saturating_sub(*read)
            ),
            Self::ReadFailed { path, read, reason } => {
                write!(f, "{}: read failed after {read} bytes ({reason}): the rest is stored as zeros", path.display())
            }
            Self::Xattrs { path, reason } => {
                write!(f, "{}: stored without its extended attributes ({reason})", path.display())
            }
            Self::XattrLeftOut { path, name, reason } => {
                write!(f, "{}: extended attribute {name} left out ({reason})", path.display())
            }
        }
    }
}

/// How to archive a tree. The default: zstd, nothing excluded or skipped,
/// warnings ignored.
#[derive(Default)]
pub struct ArchiveOptions<'a> {
    /// How to compress the body.
    pub compression: Compression,
    /// Counts the bytes read.
    pub counter: Option<&'a Counter>,
    /// Files left out (the backup's own output).
    pub skip: Skip,
    /// Patterns that leave paths out.
    pub exclude: Exclude,
    /// Told of each file left out or stored other than it was.
    pub on_warning: Option<&'a dyn Fn(&Warning)>,
}

impl ArchiveOptions<'_> {
    pub(crate) fn warn(&self, w: &Warning) {
        if let Some(f) = self.on_warning {
            f(w);
        }
    }
}

impl fmt::Debug for ArchiveOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArchiveOptions")
            .field("compression", &self.compression)
            .field("exclude", &self.exclude)
            .finish_non_exhaustive()
    }
}

/// The name a path gets in the archive: its last component (`tar -C
/// parent name`, the way people expect `backup ~/photos` to restore as
/// `photos/`). A symlink given here is named by its own name.
///
/// # Errors
///
/// The path does not exist ([`Error::Io`]), or has no name
/// ([`ContentError::NoName`]).
pub fn archive_name(path: &Path) -> Result<PathBuf, Error> {
    let absolute = fs::canonicalize(path).map_err(|e| Error::io_at(Stage::ReadSource, path, e))?;
    let named = if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        path.to_path_buf()
    } else {
        absolute
    };
    named
        .file_name()
        .map(PathBuf::from)
        .ok_or_else(|| Error::Content(ContentError::NoName { path: path.to_path_buf() }))
}

/// The archive names of `paths`, checked to be distinct.
///
/// # Errors
///
/// As [`archive_name`], or two paths share a name
/// ([`ContentError::DuplicateName`]).
pub fn archive_names(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut seen = std::collections::BTreeSet::new();
    let mut names = Vec::with_capacity(paths.len());
    for p in paths {
        let name = archive_name(p)?;
        if !seen.insert(name.clone()) {
            return Err(Error::Content(ContentError::DuplicateName { name }));
        }
        names.push(name);
    }
    Ok(names)
}

/// Total size of the regular files under `paths`, less what `exclude`
/// leaves out (for a progress bar).
#[must_use]
pub fn total_size(paths: &[PathBuf], exclude: &Exclude) -> u64 {
    fn walk(p: &Path, name: &Path, meta: fs::Metadata, exclude: &Exclude, total: &mut u64) {
        if exclude.excludes(name, meta.is_dir()) {
            return;
        }
        if meta.is_file() {
            *total = total.saturating_add(meta.len());
        } else if meta.is_dir()
            && let Ok(entries) = fs::read_dir(p)
        {
            for e in entries.flatten() {
                if let Ok(m) = fs::symlink_metadata(e.path()) {
                    walk(&e.path(), &name.join(e.file_name()), m, exclude, total);
                }
            }
        }
    }
    let mut total = 0;
    for p in paths {
        if let (Ok(meta), Ok(name)) = (fs::metadata(p), archive_name(p)) {
            walk(p, &name, meta, exclude, &mut total);
        }
    }
    total
}

/// An error writing the archive: the output's, unless the output is fine
/// and the cause is a source file (told apart by the caller).
pub(crate) fn write_err(e: io::Error) -> Error {
    Error::io(Stage::WriteBackup, e)
}

/// Writes the content header and a tar archive of `paths` (each under its
/// [`archive_name`]) to `out`, compressed as asked, and returns `out`.
///
/// Each path is followed if it is a symlink; inside the trees, symlinks
/// are stored as links. Regular files with several names in the trees
/// are stored once, then as hard links (`'1'`); files with holes with
/// their whole content (the holes as zeros, not read: content spec 6.10);
/// extended attributes as PAX `SCHILY.xattr.*` records; owner and group as
/// numeric ids. What cannot be read inside a tree, or changes
/// while read, is reported through `options.on_warning` and does not stop
/// the archive ([`Warning`]).
///
/// # Errors
///
/// A path given cannot be read ([`Stage::ReadSource`], with its path), or
/// writing failed ([`Stage::WriteBackup`]).
pub fn write_tree<W: Write>(paths: &[PathBuf], out: W, options: &ArchiveOptions<'_>) -> Result<W, Error> {
    let names = archive_names(paths)?;
    let body = encoder(out, ContentHeader { kind: Kind::Tar, compression: options.compression }).map_err(write_err)?;
    let mut builder = tar::Builder::new(body);
    builder.follow_symlinks(false);
    let mut walker = Walker::new(builder, options);
    for (path, name) in paths.iter().zip(&names) {
        walker.append_path(path, name, true)?;
    }
    walker.builder.into_inner().map_err(write_err)?.finish().map_err(write_err)
}

/// Writes the content header and `input` (one stream) to `out`, compressed
/// as asked, and returns `out`.
///
/// # Errors
///
/// Reading `input` failed ([`Stage::ReadSource`]) or writing failed
/// ([`Stage::WriteBackup`]).
pub fn write_stream<R: Read, W: Write>(
    input: R,
    out: W,
    compression: Compression,
    counter: Option<&Counter>,
) -> Result<W, Error> {
    let mut body = encoder(out, ContentHeader { kind: Kind::Stream, compression }).map_err(write_err)?;
    let mut input = Counting { inner: input, counter, read: 0 };
    let mut buf = vec![0u8; source::FILE_BUFFER_BYTES];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(Stage::ReadSource, e)),
        };
        body.write_all(buf.get(..n).unwrap_or_default()).map_err(write_err)?;
    }
    body.finish().map_err(write_err)
}
