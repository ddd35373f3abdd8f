//! Reading what is backed up: a file's bytes as exactly the length its tar
//! header promised (whatever the file does meanwhile), the map of its data
//! when it has holes, and its extended attributes.

use super::archive::Counter;
use std::fs;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// How much of a file is read at a time.
pub(crate) const FILE_BUFFER_BYTES: usize = 1 << 20;

/// The PAX keyword prefix of an extended attribute (content spec 6.4).
pub(crate) const XATTR_KEYWORD: &str = "SCHILY.xattr.";

/// What went wrong while a file was read, after its header was written:
/// the rest of its stored length is zeros.
#[derive(Debug)]
pub(crate) enum ShortRead {
    /// The file ended early: it shrank while it was read.
    Shrank,
    /// A read failed.
    Failed(io::Error),
}

/// A stretch of a file's stored data.
#[derive(Clone, Copy, Debug)]
enum Segment {
    /// Read `len` bytes from `offset`.
    Data { offset: u64, len: u64 },
    /// A hole: `len` zeros, not read.
    Zeros(u64),
}

/// A file's data as a tar body: exactly `size` bytes. Data is read where
/// the file has data; its holes (`ranges` says where the data is) are
/// given as zeros without reading them. If the file ends early or a read
/// fails, the rest is zeros and [`ExactReader::short`] says why: the
/// archive stays well formed, and the caller warns.
pub(crate) struct ExactReader<'b> {
    file: fs::File,
    buf: &'b mut [u8],
    pos: usize,
    filled: usize,
    segments: std::vec::IntoIter<Segment>,
    /// The current segment, and how much of it is left.
    current: Option<Segment>,
    left: u64,
    /// Bytes read from the file (not the zeros).
    read: u64,
    /// Where the file's offset is once the current segment is read.
    position: u64,
    short: Option<ShortRead>,
    counter: Option<&'b Counter>,
}

/// The segments of a file of `size` bytes whose data is at `ranges`
/// (offset, length; sorted), or all data if `None`.
fn segments(size: u64, ranges: Option<&[(u64, u64)]>) -> Vec<Segment> {
    let Some(ranges) = ranges else { return vec![Segment::Data { offset: 0, len: size }] };
    let mut out = Vec::with_capacity(ranges.len().saturating_mul(2).saturating_add(1));
    let mut at = 0u64;
    for &(offset, len) in ranges {
        let offset = offset.clamp(at, size);
        let end = offset.saturating_add(len).min(size);
        if offset > at {
            out.push(Segment::Zeros(offset.saturating_sub(at)));
        }
        if end > offset {
            out.push(Segment::Data { offset, len: end.saturating_sub(offset) });
        }
        at = at.max(end);
    }
    if at < size {
        out.push(Segment::Zeros(size.saturating_sub(at)));
    }
    out
}

impl<'b> ExactReader<'b> {
    /// Reads the `size` bytes of `file` (its data at `ranges`, if it has
    /// holes) through `buf`.
    pub(crate) fn new(
        file: fs::File,
        size: u64,
        ranges: Option<&[(u64, u64)]>,
        buf: &'b mut [u8],
        counter: Option<&'b Counter>,
    ) -> Self {
        let segments = segments(size, ranges).into_iter();
        Self {
            file,
            buf,
            pos: 0,
            filled: 0,
            segments,
            current: None,
            left: 0,
            read: 0,
            position: 0,
            short: None,
            counter,
        }
    }

    /// Why the stored data ends in zeros, if it does.
    pub(crate) fn short(self) -> Option<ShortRead> {
        self.short
    }

    /// Bytes read from the file.
    pub(crate) const fn bytes_read(&self) -> u64 {
        self.read
    }

    fn refill(&mut self) {
        while self.left == 0 {
            let Some(segment) = self.segments.next() else { return };
            self.current = Some(segment);
            self.left = match segment {
                Segment::Data { offset, len } => {
                    // A file opened is at offset 0: no seek for the first
                    // (for most files, the only) segment.
                    if self.short.is_none()
                        && offset != self.position
                        && let Err(e) = self.file.seek(SeekFrom::Start(offset))
                    {
                        self.short = Some(ShortRead::Failed(e));
                    }
                    self.position = offset.saturating_add(len);
                    len
                }
                Segment::Zeros(len) => len,
            };
        }
        let want = usize::try_from(self.left).unwrap_or(usize::MAX).min(self.buf.len());
        let Some(space) = self.buf.get_mut(..want) else { return };
        let mut n = 0;
        if self.short.is_none() && matches!(self.current, Some(Segment::Data { .. })) {
            n = loop {
                match self.file.read(space) {
                    Ok(0) => {
                        self.short = Some(ShortRead::Shrank);
                        break 0;
                    }
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.short = Some(ShortRead::Failed(e));
                        break 0;
                    }
                }
            };
            self.read = self.read.saturating_add(u64::try_from(n).unwrap_or(0));
            if let Some(c) = self.counter {
                c.add(n);
            }
        }
        if n == 0 {
            // A hole, or the rest after a short read: zeros.
            space.fill(0);
            n = want;
        }
        self.pos = 0;
        self.filled = n;
        self.left = self.left.saturating_sub(u64::try_from(n).unwrap_or(u64::MAX));
    }
}

impl Read for ExactReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.filled {
            self.refill();
        }
        let Some(ready) = self.buf.get(self.pos..self.filled) else { return Ok(0) };
        let n = ready.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), ready.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.pos = self.pos.saturating_add(n);
        Ok(n)
    }
}

/// The data ranges of a file with holes (offset, length, sorted), so that
/// the holes are given as zeros without reading them (content spec 6.10:
/// a sparse file is stored with its whole content, and zstd makes next to
/// nothing of the zeros); `None` if the file has no holes, or the system
/// cannot tell.
#[cfg(unix)]
pub(crate) fn data_ranges(file: &fs::File, meta: &fs::Metadata) -> Option<Vec<(u64, u64)>> {
    use rustix::fs::SeekFrom as S;
    use std::os::unix::fs::MetadataExt;
    let size = meta.len();
    // Fewer blocks allocated than the size needs: there are holes.
    if size == 0 || meta.blocks().saturating_mul(512) >= size {
        return None;
    }
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    let mut at = 0u64;
    while at < size {
        let start = match rustix::fs::seek(file, S::Data(at)) {
            Ok(start) => start,
            // No data after `at`: the rest is a hole.
            Err(rustix::io::Errno::NXIO) => break,
            // The file system cannot tell: read the file whole.
            Err(_) => return None,
        };
        let end = rustix::fs::seek(file, S::Hole(start)).ok()?.min(size);
        if end <= start {
            break;
        }
        ranges.push((start, end.saturating_sub(start)));
        at = end;
    }
    match ranges.as_slice() {
        [(0, len)] if *len == size => None,
        _ => Some(ranges),
    }
}

/// Files are read whole on systems without holes to report.
#[cfg(not(unix))]
pub(crate) fn data_ranges(_: &fs::File, _: &fs::Metadata) -> Option<Vec<(u64, u64)>> {
    None
}

/// The extended attributes of `path` (the link itself, for a symlink), as
/// PAX records `SCHILY.xattr.NAME`, sorted by name. A file system without
/// them gives none.
///
/// # Errors
///
/// Listing or reading them failed, or a name is not UTF-8 (a PAX key
/// must be).
#[cfg(unix)]
pub(crate) fn xattrs(path: &Path) -> io::Result<Vec<(String, Vec<u8>)>> {
    use rustix::io::Errno;
    let unsupported = |e: Errno| e == Errno::NOTSUP || e == Errno::OPNOTSUPP;
    let mut names = vec![0u8; 1024];
    let len = loop {
        match rustix::fs::llistxattr(path, &mut names[..]) {
            Ok(n) => break n,
            Err(Errno::RANGE) => {
                let need = rustix::fs::llistxattr_query(path).map_err(io::Error::from)?;
                names.resize(need.max(names.len().saturating_mul(2)), 0);
            }
            Err(e) if unsupported(e) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        }
    };
    let mut out = Vec::new();
    for name in names.get(..len).unwrap_or_default().split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let text = std::str::from_utf8(name)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "an attribute name is not UTF-8"))?;
        let mut value = vec![0u8; 256];
        let n = loop {
            match rustix::fs::lgetxattr(path, name, &mut value[..]) {
                Ok(n) => break Some(n),
                Err(Errno::RANGE) => {
                    let need = rustix::fs::lgetxattr_query(path, name).map_err(io::Error::from)?;
                    value.resize(need.max(value.len().saturating_mul(2)), 0);
                }
                // Removed since it was listed.
                Err(Errno::NODATA) => break None,
                Err(e) => return Err(e.into()),
            }
        };
        if let Some(n) = n {
            value.truncate(n);
            out.push((format!("{XATTR_KEYWORD}{text}"), value));
        }
    }
    out.sort();
    Ok(out)
}

/// No extended attributes off unix.
#[cfg(not(unix))]
pub(crate) fn xattrs(_: &Path) -> io::Result<Vec<(String, Vec<u8>)>> {
    Ok(Vec::new())
}
