//! What the CLI puts inside a payload, and how it comes back out.
//!
//! The payload plaintext starts with a 10-byte content header:
//! `"ebakcli1"`, a kind byte (`0x01` a tar archive of files and
//! directories, `0x02` a single stream), and a compression byte (`0x00`
//! none, `0x01` zstd); the (compressed) content follows. A payload that
//! does not start with it is "raw": some other application's data, which
//! `restore --raw` hands back untouched.
//!
//! Extraction, and what it refuses, is in [`crate::extract`].

use crate::error::CliError;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub use crate::extract::{DirMetadata, Extracted, apply_dir_metadata, extract, walk};

/// The content header's magic.
pub const CONTENT_MAGIC: &[u8; 8] = b"ebakcli1";
/// The content header's length.
pub const CONTENT_HEADER_LEN: usize = 10;
/// How much of a file being archived is read at a time.
const FILE_BUFFER_BYTES: usize = 1 << 20;

/// What the payload holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A tar archive of files and directory trees.
    Tar,
    /// One stream (a backup of standard input).
    Stream,
}

/// How the content is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// zstd.
    Zstd,
}

/// The decoded content header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Content {
    /// What it holds.
    pub kind: Kind,
    /// How it is compressed.
    pub compression: Compression,
}

impl Content {
    /// The 10 header bytes.
    #[must_use]
    pub fn encode(&self) -> [u8; CONTENT_HEADER_LEN] {
        let [m0, m1, m2, m3, m4, m5, m6, m7] = *CONTENT_MAGIC;
        let kind = match self.kind {
            Kind::Tar => 1,
            Kind::Stream => 2,
        };
        let compression = match self.compression {
            Compression::None => 0,
            Compression::Zstd => 1,
        };
        [m0, m1, m2, m3, m4, m5, m6, m7, kind, compression]
    }

    /// Decodes a content header; `None` if `bytes` is not one (a raw
    /// payload).
    #[must_use]
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (magic, rest) = bytes.split_first_chunk::<8>()?;
        if magic != CONTENT_MAGIC {
            return None;
        }
        let kind = match rest.first()? {
            1 => Kind::Tar,
            2 => Kind::Stream,
            _ => return None,
        };
        let compression = match rest.get(1)? {
            0 => Compression::None,
            1 => Compression::Zstd,
            _ => return None,
        };
        Some(Self { kind, compression })
    }
}

/// Counts bytes read from the sources (for the progress bar).
#[derive(Debug, Default)]
pub struct Counter(pub AtomicU64);

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
    counter: &'a Counter,
    read: u64,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.add(n);
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

/// The name a command-line path gets in the archive: its last component
/// (`tar -C parent name`, the way people expect `backup ~/photos` to
/// restore as `photos/`).
pub fn archive_name(path: &Path) -> Result<PathBuf, CliError> {
    let absolute = fs::canonicalize(path).map_err(|e| CliError::io(path, "cannot back up", &e))?;
    // Name a symlink given on the command line by its own name, not its
    // target's.
    let named = if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        path.to_path_buf()
    } else {
        absolute
    };
    named.file_name().map(PathBuf::from).ok_or_else(|| {
        CliError::usage(format!("cannot back up {}: it has no name (back up what is inside it)", path.display()))
    })
}

/// Total size of the regular files under `paths` (for the progress bar).
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

/// Appends `src` (a file, a symlink or a directory tree) under `name`.
/// Symlinks are stored as links, never followed. Sockets, FIFOs and
/// devices are skipped with a warning (a backup cannot restore them).
fn append_path<W: Write>(
    builder: &mut tar::Builder<W>,
    src: &Path,
    name: &Path,
    counter: &Counter,
    skip: &Skip,
) -> Result<(), CliError> {
    let meta = fs::symlink_metadata(src).map_err(|e| CliError::io(src, "cannot read", &e))?;
    if meta.is_file() && skip.contains(&meta) {
        eprintln!("ebak: skipping {}: it is the backup being written", src.display());
        return Ok(());
    }
    let file_type = meta.file_type();
    if file_type.is_symlink() || file_type.is_dir() {
        let mut header = tar::Header::new_gnu();
        header.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
        if file_type.is_symlink() {
            let target = fs::read_link(src).map_err(|e| CliError::io(src, "cannot read link", &e))?;
            builder.append_link(&mut header, name, &target).map_err(|e| CliError::io(src, "cannot archive", &e))?;
            return Ok(());
        }
        builder.append_data(&mut header, name, io::empty()).map_err(|e| CliError::io(src, "cannot archive", &e))?;
        let mut children: Vec<_> = fs::read_dir(src)
            .map_err(|e| CliError::io(src, "cannot list", &e))?
            .collect::<Result<_, _>>()
            .map_err(|e| CliError::io(src, "cannot list", &e))?;
        // Sorted, so that the same tree gives the same archive.
        children.sort_by_key(fs::DirEntry::file_name);
        for child in children {
            append_path(builder, &child.path(), &name.join(child.file_name()), counter, skip)?;
        }
        return Ok(());
    }
    if !file_type.is_file() {
        eprintln!("ebak: skipping {}: not a regular file, directory or symlink", src.display());
        return Ok(());
    }
    let file = fs::File::open(src).map_err(|e| CliError::io(src, "cannot open", &e))?;
    let mut header = tar::Header::new_gnu();
    header.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
    let size = meta.len();
    // The header promises `size` bytes: read exactly that many, so a file
    // that grows while it is read cannot corrupt the archive.
    // tar copies in 8 KiB pieces; a 1 MiB buffer makes that a copy in
    // memory rather than a system call per piece.
    let buffered = io::BufReader::with_capacity(FILE_BUFFER_BYTES, file);
    let mut reader = Counting { inner: buffered.take(size), counter, read: 0 };
    builder.append_data(&mut header, name, &mut reader).map_err(|e| CliError::io(src, "cannot archive", &e))?;
    if reader.read != size {
        return Err(CliError::io_plain(
            &format!("cannot back up {}", src.display()),
            &io::Error::other("the file shrank while it was being read"),
        ));
    }
    Ok(())
}

/// Writes the content header and a tar archive of `paths` (each under its
/// `archive_name`) to `out`, compressed if asked.
pub fn write_archive<W: Write>(
    paths: &[PathBuf],
    out: W,
    compression: Compression,
    counter: &Counter,
    skip: &Skip,
) -> Result<(), CliError> {
    let pipe_err = |e: io::Error| CliError::io_plain("cannot write the archive", &e);
    let mut out = out;
    out.write_all(&Content { kind: Kind::Tar, compression }.encode()).map_err(pipe_err)?;
    let sink: Box<dyn Write> = match compression {
        Compression::None => Box::new(out),
        Compression::Zstd => Box::new(zstd::Encoder::new(out, 3).map_err(pipe_err)?.auto_finish()),
    };
    let mut builder = tar::Builder::new(sink);
    builder.follow_symlinks(false);
    for path in paths {
        let name = archive_name(path)?;
        append_path(&mut builder, path, &name, counter, skip)?;
    }
    let mut sink = builder.into_inner().map_err(pipe_err)?;
    sink.flush().map_err(pipe_err)?;
    drop(sink);
    Ok(())
}

/// Writes the content header and `input` (standard input) to `out`.
pub fn write_stream<R: Read, W: Write>(
    input: R,
    out: W,
    compression: Compression,
    counter: &Counter,
) -> Result<(), CliError> {
    let pipe_err = |e: io::Error| CliError::io_plain("cannot back up standard input", &e);
    let mut out = out;
    out.write_all(&Content { kind: Kind::Stream, compression }.encode()).map_err(pipe_err)?;
    let mut input = Counting { inner: input, counter, read: 0 };
    match compression {
        Compression::None => {
            io::copy(&mut input, &mut out).map_err(pipe_err)?;
            out.flush().map_err(pipe_err)?;
        }
        Compression::Zstd => {
            let mut enc = zstd::Encoder::new(out, 3).map_err(pipe_err)?;
            io::copy(&mut input, &mut enc).map_err(pipe_err)?;
            enc.finish().map_err(pipe_err)?.flush().map_err(pipe_err)?;
        }
    }
    Ok(())
}

/// Reads the content header from `input`; returns it (`None` for a raw
/// payload) and the bytes read while looking, which belong to the content.
pub fn read_content_header<R: Read>(input: &mut R) -> io::Result<(Option<Content>, Vec<u8>)> {
    let mut head = Vec::with_capacity(CONTENT_HEADER_LEN);
    input.by_ref().take(CONTENT_HEADER_LEN as u64).read_to_end(&mut head)?;
    match Content::decode(&head) {
        Some(c) => Ok((Some(c), Vec::new())),
        None => Ok((None, head)),
    }
}

/// The decompressed content after the header.
pub fn decoder<'a, R: Read + 'a>(input: R, compression: Compression) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match compression {
        Compression::None => Box::new(input),
        Compression::Zstd => Box::new(zstd::Decoder::new(input)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_header_round_trips_and_rejects_others() {
        for kind in [Kind::Tar, Kind::Stream] {
            for compression in [Compression::None, Compression::Zstd] {
                let c = Content { kind, compression };
                assert_eq!(Content::decode(&c.encode()), Some(c));
            }
        }
        assert_eq!(Content::decode(b"ebakcli1\x03\x00"), None);
        assert_eq!(Content::decode(b"ebakcli1\x01\x02"), None);
        assert_eq!(Content::decode(b"Hello, ebak!"), None);
        assert_eq!(Content::decode(b"ebak"), None);
    }
}
