//! Where a command's output goes: a file written beside its final path and
//! renamed into place only when everything succeeded, standard output, or
//! an existing device or FIFO written in place.

use super::is_stdio;
use crate::error::CliError;
use crate::interrupt::Pending;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Who may read a new file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NewFile {
    /// Only its owner (0600): backups.
    Private,
    /// What the umask allows (0666 minus the umask), like a shell
    /// redirection: restored data.
    Umask,
}

/// A command's output.
pub(crate) enum Target {
    /// `-`.
    Stdout(io::Stdout),
    /// An existing character device, FIFO or socket (`/dev/null`, a named
    /// pipe), or a block device with `--force`: written in place, never
    /// replaced by a regular file.
    Special { file: fs::File, path: PathBuf },
    /// A temporary file beside `path`, renamed over it by [`Target::commit`]
    /// (`pending` after `temp`: on an error the file goes first).
    File { temp: tempfile::NamedTempFile, pending: Pending, path: PathBuf, force: bool },
}

fn exists_error(path: &Path) -> CliError {
    CliError::usage(format!("{} already exists; use --force to replace it", path.display()))
}

fn temp_beside(path: &Path, new_file: NewFile) -> Result<tempfile::NamedTempFile, CliError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".ebak-").suffix(".partial");
    #[cfg(unix)]
    if new_file == NewFile::Umask {
        use std::os::unix::fs::PermissionsExt;
        // The kernel applies the umask to the mode given at creation.
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    #[cfg(not(unix))]
    let _ = new_file;
    builder.tempfile_in(&dir).map_err(|e| CliError::io(&dir, "cannot create a file in", &e))
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

impl Target {
    /// Refuses an output that `create` would refuse, creating nothing (to
    /// check before a prompt).
    pub(crate) fn check(path: &Path, force: bool) -> Result<(), CliError> {
        resolve(path, force).map(drop)
    }

    /// The output of `backup -o` or `restore -o`: see [`resolve`].
    pub(crate) fn create(path: &Path, force: bool, new_file: NewFile) -> Result<Self, CliError> {
        Ok(match resolve(path, force)? {
            Resolved::Stdout => Self::Stdout(io::stdout()),
            Resolved::File(path) => {
                let temp = temp_beside(&path, new_file)?;
                let pending = Pending::register(temp.path());
                Self::File { temp, pending, path, force }
            }
            Resolved::Special(path) => {
                let file = fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| CliError::io(&path, "cannot open for writing", &e))?;
                Self::Special { file, path }
            }
        })
    }

    /// Refuses what [`Target::staged`] would refuse, creating nothing (to
    /// check before asking for a secret).
    pub(crate) fn check_staged(path: &Path, force: bool) -> Result<(), CliError> {
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
    pub(crate) fn staged(path: &Path, force: bool) -> Result<Self, CliError> {
        Self::check_staged(path, force)?;
        let temp = temp_beside(path, NewFile::Private)?;
        let pending = Pending::register(temp.path());
        Ok(Self::File { temp, pending, path: path.to_path_buf(), force })
    }

    /// A new version of the existing backup `path` (`passwd`, `rotate`):
    /// beside the file a symlink names, with the old file's permissions.
    pub(crate) fn rewrite(path: &Path) -> Result<Self, CliError> {
        let real = fs::canonicalize(path).map_err(|e| CliError::io(path, "cannot open", &e))?;
        let meta = fs::metadata(&real).map_err(|e| CliError::io(path, "cannot open", &e))?;
        if !meta.is_file() {
            return Err(CliError::usage(format!("{} is not a regular file: it cannot be rewritten", path.display())));
        }
        let temp = temp_beside(&real, NewFile::Private)?;
        temp.as_file()
            .set_permissions(meta.permissions())
            .map_err(|e| CliError::io(temp.path(), "cannot set the permissions of", &e))?;
        let pending = Pending::register(temp.path());
        Ok(Self::File { temp, pending, path: real, force: true })
    }

    /// The file being written, if it is a new one (so `backup` does not
    /// archive its own output).
    pub(crate) fn temp_path(&self) -> Option<&Path> {
        match self {
            Self::File { temp, .. } => Some(temp.path()),
            Self::Stdout(_) | Self::Special { .. } => None,
        }
    }

    pub(crate) fn writer(&mut self) -> Box<dyn Write + Send + '_> {
        match self {
            Self::Stdout(_) => Box::new(BufWriter::with_capacity(1 << 20, io::stdout())),
            Self::Special { file, .. } => Box::new(BufWriter::with_capacity(1 << 20, file)),
            Self::File { temp, .. } => Box::new(BufWriter::with_capacity(1 << 20, temp.as_file_mut())),
        }
    }

    /// Makes the file durable and renames it into place.
    pub(crate) fn commit(self) -> Result<(), CliError> {
        self.commit_then(|| {})
    }

    /// [`Target::commit`], then `announce` (printing a new 64-digit key)
    /// once the output is in place. For a file, an interruption is held
    /// off from the rename to the end of `announce`: a backup is never left
    /// whole with its only key unprinted.
    pub(crate) fn commit_then(self, announce: impl FnOnce()) -> Result<(), CliError> {
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
            // The temporary is moved into the closure, so that on an error
            // it is removed before `pending` forgets it.
            Self::File { temp, pending, path, force } => pending.commit(|| {
                temp.as_file().sync_all().map_err(|e| CliError::io(&path, "cannot write", &e))?;
                let result =
                    if force { temp.persist(&path).map(drop) } else { temp.persist_noclobber(&path).map(drop) };
                result.map_err(|e| {
                    if e.error.kind() == io::ErrorKind::AlreadyExists {
                        exists_error(&path)
                    } else {
                        CliError::io(&path, "cannot rename into place", &e.error)
                    }
                })?;
                // The rename itself durable too (best effort: not every
                // system can sync a directory).
                #[cfg(unix)]
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    let _ = fs::File::open(dir).and_then(|d| d.sync_all());
                }
                announce();
                Ok(())
            }),
        }
    }
}
