//! Regular files restored from a tar entry: created new, written with
//! holes where the data has long runs of zeros, given their mode and time.

use super::metadata::{self, EntryMeta};
use std::fs;
use std::io::{self, Read};
use std::path::Path;

/// How much of a file's data is written (or, all zeros, skipped as a hole)
/// at a time.
const HOLE_BLOCK_BYTES: usize = 64 << 10;

/// Why writing a file failed: reading its data from the archive, or the
/// disk.
pub(crate) enum FileError {
    /// Reading the entry's data failed (the archive or the payload).
    Read(io::Error),
    /// Creating or writing the file failed.
    Write(io::Error),
}

/// Writes a regular file's data from `entry` to `full` (new: an existing
/// name, even a dangling symlink, is refused by the system), with its mode
/// and time. Blocks of 64 KiB that are all zeros become holes (content
/// spec 6.10: a sparse file comes back sparse).
pub(crate) fn write_file<R: Read>(
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
