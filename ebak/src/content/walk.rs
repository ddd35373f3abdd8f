//! The walk that writes a tree into a tar archive: one entry per file,
//! directory and symlink, what cannot be read left out with a warning.

use super::archive::{ArchiveOptions, Warning, file_id, write_err};
// The most data a PAX extended header may hold (content spec 9): a reader
// refuses more.
use super::header_check::MAX_EXTENSION_DATA as MAX_PAX_DATA;
use super::source;
use crate::error::{Error, Stage};
use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The state of one archive being written.
pub(crate) struct Walker<'o, 'a, W: Write> {
    pub(crate) builder: tar::Builder<W>,
    options: &'o ArchiveOptions<'a>,
    /// Regular files with more than one link, by (device, inode): the
    /// archive name they were first stored under.
    links: HashMap<(u64, u64), PathBuf>,
    /// The read buffer, shared by every file.
    buf: Vec<u8>,
}

/// The length of the PAX record `"LEN KEY=VALUE\n"` (content spec 6.8),
/// `LEN` included: the smallest length whose decimal digits, added to the
/// rest, give that length back.
fn pax_record_len(key: usize, value: usize) -> usize {
    // ' ', '=' and '\n'.
    let rest = key.saturating_add(value).saturating_add(3);
    let digits =
        |n: usize| n.checked_ilog10().map_or(1, |d| usize::try_from(d.saturating_add(1)).unwrap_or(usize::MAX));
    let mut len = rest.saturating_add(1);
    loop {
        let next = rest.saturating_add(digits(len));
        if next == len {
            return len;
        }
        len = next;
    }
}

/// Sets `header`'s link name to `target`'s bytes as they are, if they fit
/// its 100-byte field (and hold no `NUL`); whether it did.
fn literal_link_name(header: &mut tar::Header, target: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        header.set_link_name_literal(target.as_os_str().as_bytes()).is_ok()
    }
    #[cfg(not(unix))]
    {
        let _ = (header, target);
        false
    }
}

/// A file's header with its metadata: mode, owner and group ids, size and
/// modification time (`tar::HeaderMode::Complete`).
fn header_for(meta: &fs::Metadata) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_metadata_in_mode(meta, tar::HeaderMode::Complete);
    negative_mtime(&mut header, meta);
    header
}

/// A time before 1970 in base-256 as content spec 6.3 writes a negative
/// number: `0xFF` first, two's complement over the whole 12-byte field.
/// (The tar crate casts the time to an unsigned number, which readers take
/// for a time far in the future.)
fn negative_mtime(header: &mut tar::Header, meta: &fs::Metadata) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.mtime() < 0
            && let Some(field) = header.as_mut_bytes().get_mut(136..148)
            && let Some(bytes) = i128::from(meta.mtime()).to_be_bytes().get(4..)
        {
            field.copy_from_slice(bytes);
        }
    }
    #[cfg(not(unix))]
    let _ = (header, meta);
}

impl<'o, 'a, W: Write> Walker<'o, 'a, W> {
    /// A walk that writes into `builder`.
    pub(crate) fn new(builder: tar::Builder<W>, options: &'o ArchiveOptions<'a>) -> Self {
        Self { builder, options, links: HashMap::new(), buf: Vec::new() }
    }

    fn warn(&self, w: Warning) {
        self.options.warn(&w);
    }

    /// Writes a PAX header with the extended attributes of `src`, if it
    /// has any, for the entry that follows.
    fn append_xattrs(&mut self, src: &Path) -> Result<(), Error> {
        match source::xattrs(src) {
            Ok(records) => {
                let records = self.storable_xattrs(src, records);
                if records.is_empty() {
                    return Ok(());
                }
                self.builder
                    .append_pax_extensions(records.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
                    .map_err(write_err)
            }
            Err(e) => {
                self.warn(Warning::Xattrs { path: src.to_path_buf(), reason: crate::io_util::io_reason(&e) });
                Ok(())
            }
        }
    }

    /// The records of `records` that a reader of this version restores,
    /// in order: a record whose keyword or value holds a line break is
    /// left out (the reader splits PAX data at 0x0A: content spec 10), and
    /// so is every record past the 1 MiB a PAX header may hold (content
    /// spec 9), each with a warning, so that the backup restores.
    fn storable_xattrs(&self, src: &Path, records: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
        let mut kept = Vec::with_capacity(records.len());
        let mut size = 0usize;
        for (key, value) in records {
            let name = key.strip_prefix(source::XATTR_KEYWORD).unwrap_or(&key).to_owned();
            if key.as_bytes().contains(&b'\n') || value.contains(&b'\n') {
                self.warn(Warning::XattrLeftOut {
                    path: src.to_path_buf(),
                    name,
                    reason: "a line break in its name or value, which this version cannot restore",
                });
                continue;
            }
            let record = pax_record_len(key.len(), value.len());
            match size.checked_add(record) {
                Some(total) if total <= MAX_PAX_DATA => {
                    size = total;
                    kept.push((key, value));
                }
                _ => self.warn(Warning::XattrLeftOut {
                    path: src.to_path_buf(),
                    name,
                    reason: "the attributes together exceed the 1 MiB a PAX header holds",
                }),
            }
        }
        kept
    }

    /// Appends `src` (a file, a symlink or a directory tree) under `name`.
    /// Symlinks inside a tree are stored as links, never followed; `top`,
    /// a path the caller named, is followed if it is a symlink (as `tar
    /// -h` does for its arguments), so that a link to a directory backs up
    /// the directory. Only a failure to read `top` itself, or to write,
    /// stops the archive: what cannot be read inside a tree is left out
    /// with a warning.
    pub(crate) fn append_path(&mut self, src: &Path, name: &Path, top: bool) -> Result<(), Error> {
        let meta = match if top { fs::metadata(src) } else { fs::symlink_metadata(src) } {
            Ok(meta) => meta,
            Err(e) if top => return Err(Error::io_at(Stage::ReadSource, src, e)),
            Err(e) => {
                self.unreadable(src, &e);
                return Ok(());
            }
        };
        let file_type = meta.file_type();
        if self.options.exclude.excludes(name, file_type.is_dir()) {
            return Ok(());
        }
        if file_type.is_symlink() {
            let target = match fs::read_link(src) {
                Ok(t) => t,
                Err(e) => {
                    self.unreadable(src, &e);
                    return Ok(());
                }
            };
            self.append_xattrs(src)?;
            let mut header = header_for(&meta);
            // A target that fits the header's field is stored exactly as
            // `readlink` gives it (content spec 6.4): the tar crate's
            // `append_link` would drop repeated `/` and inner `.`
            // components. A longer one goes into a long link record,
            // which the crate writes as it is.
            if literal_link_name(&mut header, &target) {
                return self.builder.append_data(&mut header, name, io::empty()).map_err(write_err);
            }
            return self.builder.append_link(&mut header, name, &target).map_err(write_err);
        }
        if file_type.is_dir() {
            return self.append_dir(src, name, &meta);
        }
        if !file_type.is_file() {
            self.warn(if is_socket(&file_type) {
                Warning::Socket(src.to_path_buf())
            } else {
                Warning::NotAFile(src.to_path_buf())
            });
            return Ok(());
        }
        if self.options.skip.contains(&meta) {
            self.warn(Warning::OwnOutput(src.to_path_buf()));
            return Ok(());
        }
        self.append_file(src, name, &meta)
    }

    fn unreadable(&self, src: &Path, e: &io::Error) {
        self.warn(Warning::Unreadable {
            path: src.to_path_buf(),
            kind: e.kind(),
            reason: crate::io_util::io_reason(e),
        });
    }

    fn append_dir(&mut self, src: &Path, name: &Path, meta: &fs::Metadata) -> Result<(), Error> {
        let listed = fs::read_dir(src).and_then(|entries| entries.collect::<Result<Vec<_>, _>>());
        let mut children = match listed {
            Ok(children) => children,
            Err(e) => {
                self.warn(Warning::Unlisted { path: src.to_path_buf(), reason: crate::io_util::io_reason(&e) });
                Vec::new()
            }
        };
        self.append_xattrs(src)?;
        let mut header = header_for(meta);
        self.builder.append_data(&mut header, name, io::empty()).map_err(write_err)?;
        // Sorted, so that the same tree gives the same archive.
        children.sort_by_key(fs::DirEntry::file_name);
        for child in children {
            self.append_path(&child.path(), &name.join(child.file_name()), false)?;
        }
        Ok(())
    }

    fn append_file(&mut self, src: &Path, name: &Path, meta: &fs::Metadata) -> Result<(), Error> {
        let id = if link_count(meta) > 1 { file_id(meta) } else { None };
        if let Some(first) = id.and_then(|id| self.links.get(&id)) {
            // A second name of a file already stored: a hard link to it.
            let mut header = header_for(meta);
            header.set_entry_type(tar::EntryType::Link);
            header.set_size(0);
            let first = first.clone();
            return self.builder.append_link(&mut header, name, &first).map_err(write_err);
        }
        let file = match fs::File::open(src) {
            Ok(f) => f,
            Err(e) => {
                self.unreadable(src, &e);
                return Ok(());
            }
        };
        self.append_xattrs(src)?;
        let mut header = header_for(meta);
        let size = meta.len();
        let ranges = source::data_ranges(&file, meta);
        // The header promises exactly `size` bytes: the reader gives
        // exactly them, so a file that grows or shrinks while it is read
        // cannot corrupt the archive (a shrunk one ends in zeros).
        let mut buf = std::mem::take(&mut self.buf);
        if buf.is_empty() {
            buf = vec![0u8; source::FILE_BUFFER_BYTES];
        }
        let mut reader = source::ExactReader::new(file, size, ranges.as_deref(), &mut buf, self.options.counter);
        let written = self.builder.append_data(&mut header, name, &mut reader);
        let read = reader.bytes_read();
        let short = reader.short();
        self.buf = buf;
        // The reader never fails: an error here is the output's.
        written.map_err(write_err)?;
        match short {
            None => {}
            Some(source::ShortRead::Shrank) => self.warn(Warning::Shrank { path: src.to_path_buf(), size, read }),
            Some(source::ShortRead::Failed(e)) => {
                self.warn(Warning::ReadFailed { path: src.to_path_buf(), read, reason: crate::io_util::io_reason(&e) })
            }
        }
        if let Some(id) = id {
            self.links.insert(id, name.to_path_buf());
        }
        Ok(())
    }
}

#[cfg(unix)]
fn link_count(meta: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.nlink()
}

#[cfg(not(unix))]
fn link_count(_: &fs::Metadata) -> u64 {
    1
}

#[cfg(unix)]
fn is_socket(t: &fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    t.is_socket()
}

#[cfg(not(unix))]
fn is_socket(_: &fs::FileType) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::pax_record_len;

    #[test]
    fn pax_record_lengths_count_their_own_digits() {
        // content spec 6.4's example: "30 SCHILY.xattr.user.test=val\n".
        assert_eq!(pax_record_len("SCHILY.xattr.user.test".len(), 3), 30);
        assert_eq!(pax_record_len(0, 0), 4); // "4 =\n"
        assert_eq!(pax_record_len(1, 2), 7); // "7 k=vv\n"
        // 96 bytes without the length, 2 digits: 98.
        assert_eq!(pax_record_len(40, 53), 98);
        // 97 + 2 = 99; 98 + 2 = 100 has 3 digits, so 101.
        assert_eq!(pax_record_len(40, 54), 99);
        assert_eq!(pax_record_len(40, 55), 101);
        for (k, v) in [(10, 1000), (22, 1 << 20), (5, 99_990)] {
            let len = pax_record_len(k, v);
            assert_eq!(len, len.to_string().len() + k + v + 3);
        }
    }
}
