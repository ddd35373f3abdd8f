//! Files and directory trees into the content body: a tar archive in the
//! dialect `spec/ebak-content-v1.md` fixes (GNU headers as the `tar`
//! crate writes them; entries sorted by name within each directory, so the
//! same tree gives the same archive), or one stream.

use super::{Compression, ContentError, ContentHeader, Kind, encoder};
use crate::error::{Error, Stage};
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How much of a file being archived is read at a time.
const FILE_BUFFER_BYTES: usize = 1 << 20;

/// Counts the bytes read from the sources (for a progress bar); clones
/// count together.
#[derive(Clone, Debug, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    fn add(&self, n: usize) {
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

    fn contains(&self, meta: &fs::Metadata) -> bool {
        file_id(meta).is_some_and(|id| self.0.contains(&id))
    }
}

#[cfg(unix)]
fn file_id(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Something left out of a backup, which did not stop it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// The file is the backup being written.
    OwnOutput(PathBuf),
    /// Not a regular file, directory or symlink (a socket, FIFO or device:
    /// a backup cannot restore them).
    NotAFile(PathBuf),
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OwnOutput(p) => write!(f, "skipping {}: it is the backup being written", p.display()),
            Self::NotAFile(p) => write!(f, "skipping {}: not a regular file, directory or symlink", p.display()),
        }
    }
}

/// How to archive a tree. The default: zstd, nothing skipped, warnings
/// ignored.
#[derive(Default)]
pub struct ArchiveOptions<'a> {
    /// How to compress the body.
    pub compression: Compression,
    /// Counts the bytes read.
    pub counter: Option<&'a Counter>,
    /// Files left out (the backup's own output).
    pub skip: Skip,
    /// Told of each file left out.
    pub on_warning: Option<&'a dyn Fn(&Warning)>,
}

impl ArchiveOptions<'_> {
    fn warn(&self, w: &Warning) {
        if let Some(f) = self.on_warning {
            f(w);
        }
    }
}

impl fmt::Debug for ArchiveOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArchiveOptions").field("compression", &self.compression).finish_non_exhaustive()
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

/// Total size of the regular files under `paths` (for a progress bar).
#[must_use]
pub fn total_size(paths: &[PathBuf]) -> u64 {
    fn walk(p: &Path, total: &mut u64) {
        let Ok(meta) = fs::symlink_metadata(p) else { return };
        if meta.is_file() {
            *total = total.saturating_add(meta.len());
        } else if meta.is_dir()
            && let Ok(entries) = fs::read_dir(p)
        {
            for e in entries.flatten() {
                walk(&e.path(), total);
            }
        }
    }
    let mut total = 0;
    for p in paths {
        walk(p, &mut total);
    }
    total
}

/// An error writing the archive: the output's, unless the output is fine
/// and the cause is a source file (told apart by the caller).
fn write_err(e: io::Error) -> Error {
    Error::io(Stage::WriteBackup, e)
}

/// Appends `src` (a file, a symlink or a directory tree) under `name`.
/// Symlinks are stored as links, never followed.
fn append_path<W: Write>(
    builder: &mut tar::Builder<W>,
    src: &Path,
    name: &Path,
    options: &ArchiveOptions<'_>,
) -> Result<(), Error> {
    let source = |e: io::Error| Error::io_at(Stage::ReadSource, src, e);
    let meta = fs::symlink_metadata(src).map_err(source)?;
    if meta.is_file() && options.skip.contains(&meta) {
        options.warn(&Warning::OwnOutput(src.to_path_buf()));
        return Ok(());
    }
    let file_type = meta.file_type();
    if file_type.is_symlink() || file_type.is_dir() {
        let mut header = tar::Header::new_gnu();
        header.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
        if file_type.is_symlink() {
            let target = fs::read_link(src).map_err(source)?;
            builder.append_link(&mut header, name, &target).map_err(write_err)?;
            return Ok(());
        }
        builder.append_data(&mut header, name, io::empty()).map_err(write_err)?;
        let mut children: Vec<_> = fs::read_dir(src).map_err(source)?.collect::<Result<_, _>>().map_err(source)?;
        // Sorted, so that the same tree gives the same archive.
        children.sort_by_key(fs::DirEntry::file_name);
        for child in children {
            append_path(builder, &child.path(), &name.join(child.file_name()), options)?;
        }
        return Ok(());
    }
    if !file_type.is_file() {
        options.warn(&Warning::NotAFile(src.to_path_buf()));
        return Ok(());
    }
    let file = fs::File::open(src).map_err(source)?;
    let mut header = tar::Header::new_gnu();
    header.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
    let size = meta.len();
    // The header promises `size` bytes: read exactly that many, so a file
    // that grows while it is read cannot corrupt the archive. tar copies in
    // 8 KiB pieces; a 1 MiB buffer makes that a copy in memory rather than
    // a system call per piece.
    let buffered = io::BufReader::with_capacity(FILE_BUFFER_BYTES, file);
    let mut reader = Counting { inner: buffered.take(size), counter: options.counter, read: 0 };
    // tar reports a read error of the source and a write error of the
    // output alike: the source's own error is kept to tell them apart.
    let mut failed_read: Option<io::ErrorKind> = None;
    let result = {
        let mut watched = WatchRead { inner: &mut reader, failed: &mut failed_read };
        builder.append_data(&mut header, name, &mut watched)
    };
    if let Err(e) = result {
        return Err(if failed_read.is_some() { source(e) } else { write_err(e) });
    }
    if reader.read != size {
        return Err(source(io::Error::other("the file shrank while it was being read")));
    }
    Ok(())
}

/// Notes whether a read failed.
struct WatchRead<'a, R> {
    inner: R,
    failed: &'a mut Option<io::ErrorKind>,
}

impl<R: Read> Read for WatchRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| *self.failed = Some(e.kind()))
    }
}

/// Writes the content header and a tar archive of `paths` (each under its
/// [`archive_name`]) to `out`, compressed as asked, and returns `out`.
///
/// # Errors
///
/// A path cannot be read ([`Stage::ReadSource`], with its path), or
/// writing failed ([`Stage::WriteBackup`]).
pub fn write_tree<W: Write>(paths: &[PathBuf], out: W, options: &ArchiveOptions<'_>) -> Result<W, Error> {
    let names = archive_names(paths)?;
    let body = encoder(out, ContentHeader { kind: Kind::Tar, compression: options.compression }).map_err(write_err)?;
    let mut builder = tar::Builder::new(body);
    builder.follow_symlinks(false);
    for (path, name) in paths.iter().zip(&names) {
        append_path(&mut builder, path, name, options)?;
    }
    builder.into_inner().map_err(write_err)?.finish().map_err(write_err)
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
    let mut buf = vec![0u8; FILE_BUFFER_BYTES];
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
