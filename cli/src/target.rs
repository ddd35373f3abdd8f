//! Where a command's output goes: a file staged by the library's
//! [`LocalDir`] store and renamed into place only when everything
//! succeeded, an object in S3 (`s3://`, [`crate::remote`]) uploaded the
//! same way, standard output, or an existing device or FIFO written in
//! place.

use crate::error::{CliError, store_error};
use crate::interrupt::Pending;
use crate::remote::{self, Remote};
use ebak::store::{LocalDir, Permissions, PutMode, Store, Upload};
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The name that means standard input or output.
pub const STDIO: &str = "-";

/// Whether `p` is `-`.
#[must_use]
pub fn is_stdio(p: &Path) -> bool {
    p.as_os_str() == STDIO
}

/// A command's output.
pub enum Target {
    /// `-`.
    Stdout(BufWriter<io::Stdout>),
    /// An existing character device, FIFO or socket (`/dev/null`, a named
    /// pipe), or a block device with `--force`: written in place, never
    /// replaced by a regular file.
    Special {
        /// The open device.
        file: BufWriter<fs::File>,
        /// Its path, for messages.
        path: PathBuf,
    },
    /// A file staged beside `path` and renamed over it by
    /// [`Target::commit`] (`pending` after `upload`: on an error the staged
    /// file goes first).
    Staged {
        /// The staged write.
        upload: Box<dyn Upload>,
        /// Its registration for the interrupt handler.
        pending: Pending,
        /// Where it goes.
        path: PathBuf,
    },
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Stdout(_) => f.write_str("Target::Stdout"),
            Self::Special { path, .. } => write!(f, "Target::Special({})", path.display()),
            Self::Staged { path, .. } => write!(f, "Target::Staged({})", path.display()),
        }
    }
}

fn exists_error(path: &Path) -> CliError {
    CliError::usage(format!("{} already exists; use --force to replace it", path.display()))
}

/// What an output path turns out to be.
enum Resolved {
    Stdout,
    /// A regular file to create or replace (the symlink followed).
    File(PathBuf),
    /// A device or FIFO to write in place.
    Special(PathBuf),
}

/// Follows a symlink, as a shell redirection would: the file it names is
/// the one replaced (a dangling one is replaced itself); refuses an
/// existing file without `force`.
fn resolve(path: &Path, force: bool) -> Result<Resolved, CliError> {
    if is_stdio(path) {
        return Ok(Resolved::Stdout);
    }
    let Ok(link_meta) = fs::symlink_metadata(path) else {
        return Ok(Resolved::File(path.to_path_buf()));
    };
    let (path, meta) = match fs::canonicalize(path).and_then(|p| fs::metadata(&p).map(|m| (p, m))) {
        Ok((real, meta)) if link_meta.file_type().is_symlink() => (real, meta),
        _ => (path.to_path_buf(), link_meta),
    };
    if meta.is_dir() {
        return Err(CliError::usage(format!("{} is a directory", path.display())));
    }
    if meta.is_file() || meta.file_type().is_symlink() {
        return if force { Ok(Resolved::File(path)) } else { Err(exists_error(&path)) };
    }
    // A device or a FIFO: writing to it replaces no file, except on a
    // block device (a disk), which takes --force.
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if meta.file_type().is_block_device() && !force {
            return Err(exists_error(&path));
        }
    }
    Ok(Resolved::Special(path))
}

/// The store and object name for a local file path: its directory and its
/// file name.
fn local(path: &Path, permissions: Permissions) -> Result<(LocalDir, String), CliError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CliError::usage(format!("{}: the file name must be valid UTF-8", path.display())))?;
    Ok((LocalDir::new(dir).with_permissions(permissions), name.to_owned()))
}

impl Target {
    /// Refuses an output that `create` would refuse, creating nothing (to
    /// check before a prompt).
    pub fn check(path: &Path, force: bool) -> Result<(), CliError> {
        if let Some(remote) = remote::parse(path)? {
            return Self::check_remote(&remote, path, force);
        }
        resolve(path, force).map(drop)
    }

    fn check_remote(remote: &Remote, path: &Path, force: bool) -> Result<(), CliError> {
        if !force && remote.exists()? {
            return Err(exists_error(path));
        }
        Ok(())
    }

    /// An upload of the object `remote`, registered with the interrupt
    /// handler (which aborts it).
    fn remote_staged(remote: &Remote, mode: PutMode, path: &Path) -> Result<Self, CliError> {
        let upload = remote.put(mode)?;
        let pending = Pending::register_upload(upload.abort_handle());
        Ok(Self::Staged { upload, pending, path: path.to_path_buf() })
    }

    /// A staged write of `name` in `store`, registered with the interrupt
    /// handler.
    fn staged_in(store: &LocalDir, name: &str, mode: PutMode, path: PathBuf) -> Result<Self, CliError> {
        let upload = store.put(name, mode).map_err(|e| store_error(&e))?;
        let pending = Pending::register_upload(upload.abort_handle());
        Ok(Self::Staged { upload, pending, path })
    }

    /// The output of `backup -o` or `restore -o`: see [`resolve`].
    pub fn create(path: &Path, force: bool, permissions: Permissions) -> Result<Self, CliError> {
        if let Some(remote) = remote::parse(path)? {
            return Self::remote_staged(&remote, if force { PutMode::Overwrite } else { PutMode::Create }, path);
        }
        Ok(match resolve(path, force)? {
            Resolved::Stdout => Self::Stdout(BufWriter::with_capacity(1 << 20, io::stdout())),
            Resolved::File(path) => {
                let (store, name) = local(&path, permissions)?;
                let mode = if force { PutMode::Overwrite } else { PutMode::Create };
                Self::staged_in(&store, &name, mode, path)?
            }
            Resolved::Special(path) => {
                let file = fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| CliError::io(&path, "cannot open for writing", &e))?;
                Self::Special { file: BufWriter::with_capacity(1 << 20, file), path }
            }
        })
    }

    /// Refuses what [`Target::staged`] would refuse, creating nothing (to
    /// check before asking for a secret).
    pub fn check_staged(path: &Path, force: bool) -> Result<(), CliError> {
        if let Some(remote) = remote::parse(path)? {
            return Self::check_remote(&remote, path, force);
        }
        if !force && fs::symlink_metadata(path).is_ok() {
            return Err(exists_error(path));
        }
        Ok(())
    }

    /// Always a new regular file beside `path`, renamed into place (for
    /// `import-whatsapp`: one tag covers the whole crypt15 file, so its
    /// output never goes to a FIFO, a device or standard output before the
    /// end). An existing `path`, even a symlink, is replaced only with
    /// `force`. Create it after the secrets are read (`crate::interrupt`).
    pub fn staged(path: &Path, force: bool) -> Result<Self, CliError> {
        if let Some(remote) = remote::parse(path)? {
            return Self::remote_staged(&remote, if force { PutMode::Overwrite } else { PutMode::Create }, path);
        }
        Self::check_staged(path, force)?;
        let (store, name) = local(path, Permissions::Private)?;
        let mode = if force { PutMode::Overwrite } else { PutMode::Create };
        Self::staged_in(&store, &name, mode, path.to_path_buf())
    }

    /// A new version of the existing backup `path` (`passwd`, `rotate`):
    /// beside the file a symlink names, with the old file's permissions.
    pub fn rewrite(path: &Path) -> Result<Self, CliError> {
        if let Some(remote) = remote::parse(path)? {
            // A new object replaces the old one whole, when the upload
            // completes: on S3 a new header costs a copy of the payload.
            return Self::remote_staged(&remote, PutMode::Overwrite, path);
        }
        let real = fs::canonicalize(path).map_err(|e| CliError::io(path, "cannot open", &e))?;
        let meta = fs::metadata(&real).map_err(|e| CliError::io(path, "cannot open", &e))?;
        if !meta.is_file() {
            return Err(CliError::usage(format!("{} is not a regular file: it cannot be rewritten", path.display())));
        }
        let (store, name) = local(&real, Permissions::Private)?;
        Self::staged_in(&store, &name, PutMode::Overwrite, real)
    }

    /// The local file being written, if it is a new one (so `backup` does
    /// not archive its own output).
    pub fn staging_path(&self) -> Option<&Path> {
        match self {
            Self::Staged { upload, .. } => upload.staging_path(),
            Self::Stdout(_) | Self::Special { .. } => None,
        }
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut (dyn Write + Send) {
        match self {
            Self::Stdout(s) => s,
            Self::Special { file, .. } => file,
            Self::Staged { upload, .. } => upload.as_mut(),
        }
    }

    /// Makes the file durable and renames it into place.
    pub fn commit(self) -> Result<(), CliError> {
        self.commit_then(|| {})
    }

    /// [`Target::commit`], then `announce` (printing a new 64-digit key)
    /// once the output is in place. For a file, an interruption is held
    /// off from the rename to the end of `announce`: a backup is never left
    /// whole with its only key unprinted.
    pub fn commit_then(self, announce: impl FnOnce()) -> Result<(), CliError> {
        match self {
            Self::Stdout(mut s) => {
                s.flush().map_err(|e| CliError::io_plain("cannot write to standard output", &e))?;
                announce();
                Ok(())
            }
            Self::Special { mut file, path } => {
                file.flush().map_err(|e| CliError::io(&path, "cannot write", &e))?;
                announce();
                Ok(())
            }
            // The upload is moved into the closure, so that on an error it
            // is cleaned up before `pending` forgets it.
            Self::Staged { upload, pending, path } => pending.commit(|| {
                upload.commit().map_err(|e| match e {
                    ebak::store::StoreError::AlreadyExists { .. } => exists_error(&path),
                    other => store_error(&other),
                })?;
                announce();
                Ok(())
            }),
        }
    }
}
