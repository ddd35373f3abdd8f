//! A restore into a directory that shows nothing there until the whole
//! backup verified: the tree is unpacked into a hidden temporary directory
//! inside the target (`.ebak-restore-XXXXXX`, on the same file system),
//! and each top-level entry is renamed into place only at
//! [`StagedTree::commit`].

use super::ContentError;
use super::extract::{self, Extracted};
use crate::error::{Error, Stage};
use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The prefix of the temporary directory a restore unpacks into.
pub const TEMP_PREFIX: &str = ".ebak-restore-";

/// A restore in progress into a directory. Dropping it without
/// [`StagedTree::commit`] removes everything it unpacked.
#[derive(Debug)]
pub struct StagedTree {
    dir: PathBuf,
    /// `None` once committed.
    temp: Option<tempfile::TempDir>,
    staging: PathBuf,
    force: bool,
    extracted: Option<Extracted>,
}

impl StagedTree {
    /// Starts a restore into `dir`, which must exist. With `force`, entries
    /// of the backup replace what has their names in `dir`; without it,
    /// such a name stops the restore before anything is written under it.
    ///
    /// # Errors
    ///
    /// The temporary directory cannot be made ([`Stage::WriteRestored`]).
    pub fn new(dir: &Path, force: bool) -> Result<Self, Error> {
        let temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempdir_in(dir)
            .map_err(|e| Error::io_at(Stage::WriteRestored, dir, e))?;
        let staging = temp.path().join("new");
        fs::create_dir(&staging).map_err(|e| Error::io_at(Stage::WriteRestored, &staging, e))?;
        Ok(Self { dir: dir.to_path_buf(), temp: Some(temp), staging, force, extracted: None })
    }

    /// The temporary directory (for a signal handler to remove).
    #[must_use]
    pub fn temp_path(&self) -> &Path {
        self.temp.as_ref().map_or(&self.staging, tempfile::TempDir::path)
    }

    /// Unpacks a tar body (see [`extract::extract`]) and returns the number
    /// of entries.
    ///
    /// # Errors
    ///
    /// As [`extract::extract`]; a name that exists in the target without
    /// `force` is [`ContentError::Exists`].
    pub fn extract<R: Read>(&mut self, input: R) -> Result<u64, Error> {
        let dir = self.dir.clone();
        let force = self.force;
        let check_top = move |name: &OsStr| {
            let target = dir.join(name);
            if !force && fs::symlink_metadata(&target).is_ok() {
                return Err(Error::Content(ContentError::Exists { path: target }));
            }
            Ok(())
        };
        let extracted = extract::extract(input, &self.staging, &check_top)?;
        let entries = extracted.entries;
        self.extracted = Some(extracted);
        Ok(entries)
    }

    /// Puts the tree in place: directory times and permissions, then each
    /// top-level entry renamed from the temporary directory into the target
    /// (replacing, with `force`, what was there). If a rename fails, the
    /// entries already moved go back and what they replaced is put back:
    /// the target is as it was. Call it only after the whole backup
    /// verified.
    ///
    /// # Errors
    ///
    /// A rename failed ([`Stage::WriteRestored`]), or an entry appeared in
    /// the target meanwhile without `force` ([`ContentError::Exists`]).
    pub fn commit(mut self) -> Result<(), Error> {
        let Some(temp) = self.temp.take() else { return Ok(()) };
        let dirs = self.extracted.as_ref().map(|e| e.dirs.as_slice()).unwrap_or_default();
        let placed = put_in_place(&self.dir, &self.staging, temp.path(), dirs, self.force);
        // Directory permissions may have been applied: make what is left
        // (the partial tree, or what `force` replaced) removable.
        make_writable(temp.path());
        placed?;
        temp.close().map_err(|e| Error::io_at(Stage::WriteRestored, &self.dir, e))
    }
}

impl Drop for StagedTree {
    fn drop(&mut self) {
        // Read-only directories of a partial tree must not keep it; the
        // temporary directory then removes itself.
        if let Some(temp) = &self.temp {
            make_writable(temp.path());
        }
    }
}

fn put_in_place(
    dir: &Path,
    staging: &Path,
    temp: &Path,
    dirs: &[extract::DirMetadata],
    force: bool,
) -> Result<(), Error> {
    extract::apply_dir_metadata(staging, dirs)?;
    let io_err = |path: &Path, e| Error::io_at(Stage::WriteRestored, path, e);
    let replaced = temp.join("replaced");
    let entries: Vec<_> = fs::read_dir(staging)
        .map_err(|e| io_err(staging, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| io_err(staging, e))?;
    // (new entry in staging, its place in dir, where the old one went)
    let mut done: Vec<(PathBuf, PathBuf, Option<PathBuf>)> = Vec::new();
    let mut result = Ok(());
    for entry in entries {
        let target = dir.join(entry.file_name());
        let mut aside = None;
        if fs::symlink_metadata(&target).is_ok() {
            if !force {
                result = Err(Error::Content(ContentError::Exists { path: target }));
                break;
            }
            let to = replaced.join(entry.file_name());
            if let Err(e) = fs::create_dir_all(&replaced).and_then(|()| fs::rename(&target, &to)) {
                result = Err(io_err(&target, e));
                break;
            }
            aside = Some(to);
        }
        if let Err(e) = fs::rename(entry.path(), &target) {
            if let Some(old) = &aside {
                let _ = fs::rename(old, &target);
            }
            result = Err(io_err(&target, e));
            break;
        }
        done.push((entry.path(), target, aside));
    }
    if result.is_err() {
        for (new, target, aside) in done.iter().rev() {
            let _ = fs::rename(target, new);
            if let Some(old) = aside {
                let _ = fs::rename(old, target);
            }
        }
    }
    result
}

/// Makes every directory under `root` writable by its owner, so a tree with
/// read-only directories can be removed.
fn make_writable(root: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = fs::symlink_metadata(root)
            && m.is_dir()
        {
            let mode = m.permissions().mode() | 0o700;
            let _ = fs::set_permissions(root, fs::Permissions::from_mode(mode));
            if let Ok(entries) = fs::read_dir(root) {
                for e in entries.flatten() {
                    make_writable(&e.path());
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = root;
}
