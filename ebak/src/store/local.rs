//! [`LocalDir`]: a directory on this machine as a [`Store`].
//!
//! An object `a/b.ebak` is the file `ROOT/a/b.ebak`. A put writes a
//! temporary file `.ebak-XXXXXX.partial` beside it, and its commit makes the
//! bytes durable (`fsync`), renames the temporary over the final name (with
//! [`PutMode::Create`], a rename that fails if the name exists), and syncs
//! the directory so that the rename survives a crash too.

use super::{AbortHandle, ObjectInfo, PutMode, Store, StoreError, Upload, check_name};
use std::fs;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Who may read a new file a [`LocalDir`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permissions {
    /// Only its owner (0600): the default, right for backups (they hold
    /// nothing readable, but their owner decides who gets a copy).
    Private,
    /// What the umask allows (0666 minus the umask), like a shell
    /// redirection: for restored data.
    Umask,
}

/// A directory as a [`Store`].
#[derive(Clone, Debug)]
pub struct LocalDir {
    root: PathBuf,
    permissions: Permissions,
}

/// The buffer between a writer and the temporary file.
const WRITE_BUFFER_BYTES: usize = 1 << 20;

impl LocalDir {
    /// The directory `root`, which must exist when something is put in it
    /// (a mistyped path is not silently created); the directories of a
    /// name with `/` in it are created below it. New files are
    /// [`Permissions::Private`]; a file that replaces another
    /// ([`PutMode::Overwrite`]) keeps the old one's permissions.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into(), permissions: Permissions::Private }
    }

    /// The same directory, writing new files with `permissions`.
    #[must_use]
    pub fn with_permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = permissions;
        self
    }

    /// The directory.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of object `name`.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidName`].
    pub fn path(&self, name: &str) -> Result<PathBuf, StoreError> {
        check_name(name)?;
        Ok(name.split('/').fold(self.root.clone(), |p, part| p.join(part)))
    }

    fn location(path: &Path) -> String {
        path.display().to_string()
    }

    fn open_file(&self, name: &str) -> Result<(fs::File, PathBuf), StoreError> {
        let path = self.path(name)?;
        let file = fs::File::open(&path).map_err(|e| not_found_or(e, "open", &path))?;
        let meta = file.metadata().map_err(|e| StoreError::io("read", Self::location(&path), e))?;
        if !meta.is_file() {
            return Err(StoreError::io(
                "read",
                Self::location(&path),
                io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"),
            ));
        }
        Ok((file, path))
    }
}

fn not_found_or(e: io::Error, op: &'static str, path: &Path) -> StoreError {
    let location = LocalDir::location(path);
    match e.kind() {
        io::ErrorKind::NotFound => StoreError::NotFound { location },
        io::ErrorKind::PermissionDenied => StoreError::Denied { location, reason: crate::io_util::io_reason(&e) },
        _ => StoreError::io(op, location, e),
    }
}

impl Store for LocalDir {
    fn describe(&self, name: &str) -> String {
        self.path(name).map_or_else(|_| name.to_owned(), |p| Self::location(&p))
    }

    fn put(&self, name: &str, mode: PutMode) -> Result<Box<dyn Upload>, StoreError> {
        let path = self.path(name)?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if mode == PutMode::Create && fs::symlink_metadata(&path).is_ok() {
            return Err(StoreError::AlreadyExists { location: Self::location(&path) });
        }
        if dir != self.root {
            if !self.root.is_dir() {
                let missing = io::Error::new(io::ErrorKind::NotFound, "no such directory");
                return Err(StoreError::io("create a file in", Self::location(&self.root), missing));
            }
            fs::create_dir_all(&dir).map_err(|e| StoreError::io("create the directory", Self::location(&dir), e))?;
        }
        let mut builder = tempfile::Builder::new();
        builder.prefix(".ebak-").suffix(".partial");
        #[cfg(unix)]
        if self.permissions == Permissions::Umask {
            use std::os::unix::fs::PermissionsExt;
            // The kernel applies the umask to the mode given at creation.
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let temp =
            builder.tempfile_in(&dir).map_err(|e| StoreError::io("create a file in", Self::location(&dir), e))?;
        if mode == PutMode::Overwrite
            && let Ok(old) = fs::metadata(&path)
            && old.is_file()
        {
            temp.as_file()
                .set_permissions(old.permissions())
                .map_err(|e| StoreError::io("set the permissions of", Self::location(temp.path()), e))?;
        }
        let temp_path = std::path::absolute(temp.path()).unwrap_or_else(|_| temp.path().to_path_buf());
        let (file, temp) = temp.into_parts();
        Ok(Box::new(LocalUpload {
            out: Some(BufWriter::with_capacity(WRITE_BUFFER_BYTES, file)),
            temp: Some(temp),
            temp_path,
            path,
            mode,
        }))
    }

    fn get(&self, name: &str) -> Result<Box<dyn Read + Send>, StoreError> {
        let (file, _) = self.open_file(name)?;
        Ok(Box::new(file))
    }

    fn get_range(&self, name: &str, range: Range<u64>) -> Result<Box<dyn Read + Send>, StoreError> {
        let (mut file, path) = self.open_file(name)?;
        file.seek(SeekFrom::Start(range.start)).map_err(|e| StoreError::io("seek in", Self::location(&path), e))?;
        Ok(Box::new(file.take(range.end.saturating_sub(range.start))))
    }

    fn head(&self, name: &str) -> Result<ObjectInfo, StoreError> {
        let (file, path) = self.open_file(name)?;
        let meta = file.metadata().map_err(|e| StoreError::io("read", Self::location(&path), e))?;
        Ok(ObjectInfo { name: name.to_owned(), size: meta.len() })
    }

    fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        let mut out = Vec::new();
        let mut pending = vec![(self.root.clone(), String::new())];
        while let Some((dir, rel)) = pending.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(e) => e,
                // An empty store: nothing written yet.
                Err(e) if e.kind() == io::ErrorKind::NotFound && rel.is_empty() => continue,
                Err(e) => return Err(not_found_or(e, "list", &dir)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| StoreError::io("list", Self::location(&dir), e))?;
                let Some(file_name) = entry.file_name().to_str().map(str::to_owned) else { continue };
                let name = if rel.is_empty() { file_name.clone() } else { format!("{rel}/{file_name}") };
                if check_name(&name).is_err() {
                    continue;
                }
                let meta = entry.metadata().map_err(|e| StoreError::io("list", Self::location(&entry.path()), e))?;
                if meta.is_dir() {
                    // Descend only where a name under the prefix can be.
                    if name.starts_with(prefix) || prefix.starts_with(&format!("{name}/")) {
                        pending.push((entry.path(), name));
                    }
                } else if meta.is_file() && name.starts_with(prefix) && !is_temporary(&file_name) {
                    out.push(ObjectInfo { name, size: meta.len() });
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        let path = self.path(name)?;
        fs::remove_file(&path).map_err(|e| not_found_or(e, "delete", &path))
    }
}

/// A put's own temporary (never listed as an object).
fn is_temporary(file_name: &str) -> bool {
    file_name.starts_with(".ebak-") && file_name.ends_with(".partial")
}

/// A [`LocalDir`] put: a temporary file beside the final name.
struct LocalUpload {
    out: Option<BufWriter<fs::File>>,
    /// Removes the temporary when dropped, unless persisted.
    temp: Option<tempfile::TempPath>,
    temp_path: PathBuf,
    path: PathBuf,
    mode: PutMode,
}

impl LocalUpload {
    fn writer(&mut self) -> io::Result<&mut BufWriter<fs::File>> {
        self.out.as_mut().ok_or_else(|| io::Error::other("the upload has ended"))
    }
}

impl Write for LocalUpload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer()?.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer()?.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer()?.flush()
    }
}

impl Upload for LocalUpload {
    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        let location = LocalDir::location(&self.path);
        let out = self
            .out
            .take()
            .ok_or_else(|| StoreError::io("write", location.clone(), io::Error::other("the upload has ended")))?;
        let file = out.into_inner().map_err(|e| StoreError::io("write", location.clone(), e.into_error()))?;
        file.sync_all().map_err(|e| StoreError::io("write", location.clone(), e))?;
        drop(file);
        let temp = self
            .temp
            .take()
            .ok_or_else(|| StoreError::io("write", location.clone(), io::Error::other("the upload has ended")))?;
        let persisted = match self.mode {
            PutMode::Overwrite => temp.persist(&self.path).map_err(|e| (e.error, e.path)),
            PutMode::Create => temp.persist_noclobber(&self.path).map_err(|e| (e.error, e.path)),
        };
        if let Err((error, temp)) = persisted {
            // `temp` removes the temporary when it drops here.
            drop(temp);
            return Err(if error.kind() == io::ErrorKind::AlreadyExists {
                StoreError::AlreadyExists { location }
            } else {
                StoreError::io("rename into place", location, error)
            });
        }
        // The rename itself durable too (best effort: not every system can
        // sync a directory).
        #[cfg(unix)]
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }

    fn abort(mut self: Box<Self>) -> Result<(), StoreError> {
        self.out = None;
        match self.temp.take() {
            Some(temp) => temp.close().map_err(|e| StoreError::io("remove", LocalDir::location(&self.temp_path), e)),
            None => Ok(()),
        }
    }

    fn staging_path(&self) -> Option<&Path> {
        Some(&self.temp_path)
    }

    fn abort_handle(&self) -> AbortHandle {
        let path = self.temp_path.clone();
        AbortHandle::new(move || {
            // After a commit the temporary is gone: nothing to remove.
            let _ = fs::remove_file(&path);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_suite_passes() {
        let dir = tempfile::tempdir().unwrap();
        crate::store::conformance::run(&LocalDir::new(dir.path()));
    }

    #[cfg(unix)]
    #[test]
    fn new_files_are_private_and_replacements_keep_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::new(dir.path());
        let mut up = store.put("a", PutMode::Create).unwrap();
        up.write_all(b"one").unwrap();
        up.commit().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("a")), 0o600);
        fs::set_permissions(dir.path().join("a"), fs::Permissions::from_mode(0o640)).unwrap();
        let mut up = store.put("a", PutMode::Overwrite).unwrap();
        up.write_all(b"two").unwrap();
        up.commit().unwrap();
        assert_eq!(mode(&dir.path().join("a")), 0o640);
        assert_eq!(fs::read(dir.path().join("a")).unwrap(), b"two");
    }

    #[test]
    fn an_abort_handle_removes_the_temporary_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::new(dir.path());
        let mut up = store.put("a", PutMode::Create).unwrap();
        up.write_all(b"partial").unwrap();
        up.flush().unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        up.abort_handle().abort();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        // The upload itself then fails to commit, and leaves nothing.
        assert!(up.commit().is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
