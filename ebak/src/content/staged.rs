//! A restore into a directory that shows nothing there until the whole
//! backup verified: the tree is unpacked into a hidden staging directory
//! inside the target (`.ebak-restore-XXXXXX`, on the same file system),
//! and moved into place only at [`StagedTree::commit`].
//!
//! Putting in place merges: each entry of the backup goes where its name
//! says; an existing directory receives the backup's entries and keeps
//! its others; an existing file or symlink is replaced only with `force`;
//! a directory is never replaced by a file. Nothing is written through a
//! symlink of the target either: a symlink where the backup has a
//! directory is replaced (with `force`), not followed.
//!
//! A staging directory holds a lock file that its restore keeps locked
//! (`flock`) while it runs. A restore that was killed (SIGKILL, a crash, a
//! power cut) leaves its staging directory behind, unlocked:
//! [`remove_stale`] finds those and removes them.

use super::ContentError;
use super::extract::{self, ExtractOptions, Extracted, RestoreWarning};
use crate::error::{Error, Stage};
use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The prefix of the temporary directory a restore unpacks into.
pub const TEMP_PREFIX: &str = ".ebak-restore-";

/// The lock file inside a staging directory, and what it holds.
const LOCK_NAME: &str = "ebak-restore.lock";
const LOCK_TEXT: &[u8] = b"ebak restore staging directory v1\n";

/// A restore in progress into a directory. Dropping it without
/// [`StagedTree::commit`] removes everything it unpacked.
#[derive(Debug)]
pub struct StagedTree {
    dir: PathBuf,
    /// `None` once committed.
    temp: Option<tempfile::TempDir>,
    staging: PathBuf,
    force: bool,
    options: ExtractOptions,
    extracted: Option<Extracted>,
    /// The lock file, locked while this restore runs (closing it unlocks).
    _lock: fs::File,
}

impl StagedTree {
    /// Starts a restore of the whole backup into `dir`, which must exist,
    /// without owners or extended attributes. With `force`, entries of
    /// the backup replace the files and symlinks that have their names in
    /// `dir`; without it, a top-level name that exists in `dir` stops the
    /// restore before anything is written under it.
    ///
    /// # Errors
    ///
    /// The staging directory cannot be made ([`Stage::WriteRestored`]).
    pub fn new(dir: &Path, force: bool) -> Result<Self, Error> {
        Self::with_options(dir, force, ExtractOptions::default())
    }

    /// [`StagedTree::new`], with the entries, owners and attributes
    /// `options` asks for.
    ///
    /// # Errors
    ///
    /// As [`StagedTree::new`].
    pub fn with_options(dir: &Path, force: bool, options: ExtractOptions) -> Result<Self, Error> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(TEMP_PREFIX);
        // Owner only (content spec 7.6): until the end, the restored files
        // sit in directories with the umask's modes, not the backup's, and
        // no one else may reach them, during the restore or after a kill.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        let temp = builder.tempdir_in(dir).map_err(|e| Error::io_at(Stage::WriteRestored, dir, e))?;
        let lock = create_lock(temp.path()).map_err(|e| Error::io_at(Stage::WriteRestored, dir, e))?;
        let staging = temp.path().join("new");
        fs::create_dir(&staging).map_err(|e| Error::io_at(Stage::WriteRestored, dir, e))?;
        Ok(Self { dir: dir.to_path_buf(), temp: Some(temp), staging, force, options, extracted: None, _lock: lock })
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
        let extracted = extract::extract(input, &self.staging, &self.options, &check_top)?;
        let entries = extracted.entries;
        self.extracted = Some(extracted);
        Ok(entries)
    }

    /// The metadata that could not be put back (owners, attributes).
    #[must_use]
    pub fn warnings(&self) -> &[RestoreWarning] {
        self.extracted.as_ref().map(|e| e.warnings.as_slice()).unwrap_or_default()
    }

    /// Puts the tree in place (see the module's documentation), then sets
    /// directory modes and times. If a step of the merge fails, the steps
    /// done are undone: the target is as it was. Call it only after the
    /// whole backup verified.
    ///
    /// # Errors
    ///
    /// A rename failed ([`Stage::WriteRestored`]), an entry appeared in the
    /// target meanwhile without `force` ([`ContentError::Exists`]), or the
    /// backup holds a file where the target has a directory
    /// ([`ContentError::WouldReplaceDirectory`]).
    pub fn commit(mut self) -> Result<(), Error> {
        let Some(temp) = self.temp.take() else { return Ok(()) };
        let dirs = self.extracted.as_ref().map(|e| e.dirs.as_slice()).unwrap_or_default();
        let placed = merge::put_in_place(&self.dir, &self.staging, temp.path(), self.force)
            .and_then(|()| extract::apply_dir_metadata(&self.dir, dirs));
        // Make what is left (a partial tree, or what `force` replaced)
        // removable.
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

/// Writes the lock file into a new staging directory and locks it.
fn create_lock(temp: &Path) -> std::io::Result<fs::File> {
    let mut file = fs::OpenOptions::new().write(true).create_new(true).open(temp.join(LOCK_NAME))?;
    file.write_all(LOCK_TEXT)?;
    lock(&file, true)?;
    Ok(file)
}

/// Locks `file` exclusively; without `wait`, fails at once if another
/// process holds it.
#[cfg(unix)]
fn lock(file: &fs::File, wait: bool) -> std::io::Result<()> {
    use rustix::fs::FlockOperation as Op;
    let op = if wait { Op::LockExclusive } else { Op::NonBlockingLockExclusive };
    rustix::fs::flock(file, op).map_err(std::io::Error::from)
}

#[cfg(not(unix))]
fn lock(_: &fs::File, wait: bool) -> std::io::Result<()> {
    // Without flock no staging directory can be proved abandoned.
    if wait { Ok(()) } else { Err(std::io::Error::from(std::io::ErrorKind::WouldBlock)) }
}

/// The staging directories [`remove_stale`] found in a directory.
#[derive(Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stale {
    /// Left by a restore that is no longer running: removed.
    pub removed: Vec<PathBuf>,
    /// Named like a staging directory but without ebak's lock file (an
    /// older ebak's, or not ebak's at all): left alone.
    pub unknown: Vec<PathBuf>,
}

/// Finds the staging directories in `dir` left by restores that were
/// killed, and removes them: a directory named `.ebak-restore-*` whose lock
/// file says it is ebak's and is not locked (no restore holds it). Those
/// of a restore still running are locked and left alone, and so is what
/// has the name but not the lock file.
///
/// # Errors
///
/// Listing `dir` or removing a stale directory failed
/// ([`Stage::WriteRestored`]).
pub fn remove_stale(dir: &Path) -> Result<Stale, Error> {
    let mut stale = Stale::default();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(stale),
        Err(e) => return Err(Error::io_at(Stage::WriteRestored, dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io_at(Stage::WriteRestored, dir, e))?;
        if !entry.file_name().as_encoded_bytes().starts_with(TEMP_PREFIX.as_bytes())
            || !entry.file_type().is_ok_and(|t| t.is_dir())
        {
            continue;
        }
        let path = entry.path();
        let lock_path = path.join(LOCK_NAME);
        let ours = fs::symlink_metadata(&lock_path).is_ok_and(|m| m.is_file())
            && fs::read(&lock_path).is_ok_and(|text| text == LOCK_TEXT);
        if !ours {
            stale.unknown.push(path);
            continue;
        }
        let Ok(file) = fs::File::open(&lock_path) else { continue };
        if lock(&file, false).is_err() {
            // A restore is running there.
            continue;
        }
        make_writable(&path);
        fs::remove_dir_all(&path).map_err(|e| Error::io_at(Stage::WriteRestored, &path, e))?;
        stale.removed.push(path);
    }
    stale.removed.sort();
    stale.unknown.sort();
    Ok(stale)
}

mod merge {
    //! Moving a staged tree into its target, entry by entry where both
    //! have a directory.

    use super::ContentError;
    use crate::error::{Error, Stage};
    use std::fs;
    use std::path::{Path, PathBuf};

    /// A step of the merge.
    enum Step {
        /// Rename the staged entry into the target, where nothing is.
        Move(PathBuf),
        /// Move the target's entry aside, then rename the staged one in.
        Replace(PathBuf),
    }

    /// The steps that put `staging` into `dir`, planned before anything
    /// moves, so that a refusal changes nothing.
    fn plan(dir: &Path, staging: &Path, rel: &Path, force: bool, steps: &mut Vec<Step>) -> Result<(), Error> {
        let from = staging.join(rel);
        let read = |e| Error::io_at(Stage::WriteRestored, rel, e);
        let mut children: Vec<_> = fs::read_dir(&from).map_err(read)?.collect::<Result<_, _>>().map_err(read)?;
        children.sort_by_key(fs::DirEntry::file_name);
        for child in children {
            let rel = rel.join(child.file_name());
            let staged_dir = child.file_type().map_err(read)?.is_dir();
            let target = dir.join(&rel);
            match fs::symlink_metadata(&target) {
                Err(_) => steps.push(Step::Move(rel)),
                Ok(m) if m.is_dir() && staged_dir => plan(dir, staging, &rel, force, steps)?,
                Ok(m) if m.is_dir() => {
                    return Err(Error::Content(ContentError::WouldReplaceDirectory { path: target }));
                }
                Ok(_) if force => steps.push(Step::Replace(rel)),
                Ok(_) => return Err(Error::Content(ContentError::Exists { path: target })),
            }
        }
        Ok(())
    }

    /// Merges `staging` into `dir` (see the module's documentation of
    /// [`super`]); what `force` replaces goes into `temp/replaced`. A
    /// failure undoes the steps done.
    pub(super) fn put_in_place(dir: &Path, staging: &Path, temp: &Path, force: bool) -> Result<(), Error> {
        let mut steps = Vec::new();
        plan(dir, staging, Path::new(""), force, &mut steps)?;
        let replaced = temp.join("replaced");
        // (staged entry, target, where the old one went)
        let mut done: Vec<(PathBuf, PathBuf, Option<PathBuf>)> = Vec::new();
        let mut result = Ok(());
        for (n, step) in steps.iter().enumerate() {
            let (rel, replace) = match step {
                Step::Move(rel) => (rel, false),
                Step::Replace(rel) => (rel, true),
            };
            let (from, to) = (staging.join(rel), dir.join(rel));
            let mut aside = None;
            if replace {
                let old = replaced.join(n.to_string());
                if let Err(e) = fs::create_dir_all(&replaced).and_then(|()| fs::rename(&to, &old)) {
                    result = Err(Error::io_at(Stage::WriteRestored, &to, e));
                    break;
                }
                aside = Some(old);
            }
            if let Err(e) = fs::rename(&from, &to) {
                if let Some(old) = &aside {
                    let _ = fs::rename(old, &to);
                }
                result = Err(Error::io_at(Stage::WriteRestored, &to, e));
                break;
            }
            done.push((from, to, aside));
        }
        if result.is_err() {
            for (from, to, aside) in done.iter().rev() {
                let _ = fs::rename(to, from);
                if let Some(old) = aside {
                    let _ = fs::rename(old, to);
                }
            }
        }
        result
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unlocked_staging_directories_with_the_lock_file_are_stale() {
        let dir = tempfile::tempdir().unwrap();
        // A restore running now: its lock is held.
        let running = StagedTree::new(dir.path(), false).unwrap();
        // A killed one: the lock file, nobody holding it.
        let killed = dir.path().join(".ebak-restore-killed");
        fs::create_dir_all(killed.join("new/tree")).unwrap();
        fs::write(killed.join(LOCK_NAME), LOCK_TEXT).unwrap();
        fs::write(killed.join("new/tree/plain.txt"), "plaintext").unwrap();
        // Read-only directories do not keep it.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(killed.join("new/tree"), fs::Permissions::from_mode(0o500)).unwrap();
        }
        // Named alike, but not provably ebak's.
        let foreign = dir.path().join(".ebak-restore-foreign");
        fs::create_dir(&foreign).unwrap();
        let odd_lock = dir.path().join(".ebak-restore-odd");
        fs::create_dir(&odd_lock).unwrap();
        fs::write(odd_lock.join(LOCK_NAME), "something else\n").unwrap();
        // Not a directory at all.
        fs::write(dir.path().join(".ebak-restore-file"), "x").unwrap();

        let stale = remove_stale(dir.path()).unwrap();
        assert_eq!(stale.removed, std::slice::from_ref(&killed));
        assert_eq!(stale.unknown, [foreign.clone(), odd_lock.clone()]);
        assert!(!killed.exists());
        assert!(running.temp_path().exists(), "a running restore is left alone");
        drop(running);
        assert!(remove_stale(dir.path()).unwrap().removed.is_empty());
    }

    #[test]
    fn the_staging_directory_is_its_owners_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let staged = StagedTree::with_options(dir.path(), false, ExtractOptions::default()).unwrap();
        let mode = fs::metadata(staged.temp_path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    }

    #[test]
    fn a_refused_merge_moves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::create_dir_all(target.join("t/keep")).unwrap();
        fs::write(target.join("t/a"), "old a").unwrap();
        fs::write(target.join("t/keep/mine"), "mine").unwrap();
        let staging = dir.path().join("staging");
        fs::create_dir_all(staging.join("t/keep")).unwrap();
        fs::write(staging.join("t/a"), "new a").unwrap();
        fs::write(staging.join("t/keep/new"), "new").unwrap();
        // `t/z` sorts after the others: a directory in the target where the
        // backup has a file is refused while planning, before any move.
        fs::create_dir(target.join("t/z")).unwrap();
        fs::write(staging.join("t/z"), "file").unwrap();
        let temp = dir.path().join("temp");
        fs::create_dir(&temp).unwrap();
        let err = merge::put_in_place(&target, &staging, &temp, true).unwrap_err();
        assert!(matches!(err, Error::Content(ContentError::WouldReplaceDirectory { .. })), "{err}");
        assert_eq!(fs::read_to_string(target.join("t/a")).unwrap(), "old a");
        assert!(!target.join("t/keep/new").exists());
        fs::remove_dir(target.join("t/z")).unwrap();
        merge::put_in_place(&target, &staging, &temp, true).unwrap();
        assert_eq!(fs::read_to_string(target.join("t/a")).unwrap(), "new a");
        assert_eq!(fs::read_to_string(target.join("t/keep/new")).unwrap(), "new");
        assert_eq!(fs::read_to_string(target.join("t/keep/mine")).unwrap(), "mine");
        assert_eq!(fs::read_to_string(target.join("t/z")).unwrap(), "file");
    }
}
