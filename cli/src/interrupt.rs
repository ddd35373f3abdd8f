//! Interruptions (Ctrl-C, SIGTERM, SIGHUP) while a command writes.
//!
//! A command writes every output file or directory under a temporary name
//! and renames it into place only once everything verified; a failure
//! drops the temporary and nothing is left behind. A signal does not run
//! destructors, so without this module an interrupted `backup` or
//! `restore` would leave its `.ebak-*.partial` file or `.ebak-restore-*`
//! directory behind. Each temporary is registered here ([`Pending`]) from
//! its creation until its rename; on a signal the handler removes what is
//! registered, says so, and exits with [`EXIT_INTERRUPTED`].
//!
//! The rename is atomic with respect to the handler: [`Pending::commit`]
//! holds the registry's lock across it, and the handler takes the same
//! lock, so a signal lands either before (the output is removed) or after
//! (the output is whole, and only the temporary's leftovers go). What must
//! follow the rename runs in the same step (`Target::commit_then`): a new
//! 64-digit key is printed before a signal can end the process, so a
//! backup is never left in place with its only key unprinted.
//!
//! The handler is installed when the first temporary is registered, and
//! every command asks for its secrets before that: a handler that exits
//! during a prompt would leave the terminal with echo turned off, where
//! the default action lets the shell restore it.

use ebak::store::AbortHandle;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};
use std::{fs, io, process};

/// The exit code after an interruption (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;

/// What the handler removes.
#[derive(Debug)]
enum Removal {
    /// A temporary file, or a temporary directory with what it holds.
    Temporary(PathBuf),
    /// A directory the command created for its output, removed only if
    /// empty (once the temporaries inside it are gone).
    CreatedDir(PathBuf),
    /// A store's staged upload (a temporary file, a multipart upload),
    /// aborted through its handle.
    Upload(AbortHandle),
}

/// The temporaries of this process, by registration number.
static PENDING: Mutex<Vec<(u64, Removal)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
static INSTALL: Once = Once::new();

fn registry() -> MutexGuard<'static, Vec<(u64, Removal)>> {
    // A thread that panicked while holding the lock left the list whole.
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A temporary file or directory that an interruption must remove.
///
/// Declare it after the value that owns the temporary (a struct's fields
/// drop in order), so that on an error the temporary is removed before it
/// is forgotten here.
#[derive(Debug)]
#[must_use = "dropping it forgets the temporary at once"]
pub struct Pending {
    id: u64,
}

impl Pending {
    /// Registers the temporary file or directory `path`, and installs the
    /// handler if this is the first registration.
    pub fn register(path: &Path) -> Self {
        Self::add(Removal::Temporary(absolute(path)))
    }

    /// Registers a store's staged upload, aborted through `handle`.
    pub fn register_upload(handle: AbortHandle) -> Self {
        Self::add(Removal::Upload(handle))
    }

    /// Registers a directory created to hold the output (`restore -C` of
    /// a new DIR): removed on an interruption if it is empty by then.
    /// Register it before the temporaries inside it: the handler removes
    /// the newest registrations first.
    pub fn register_created_dir(path: &Path) -> Self {
        Self::add(Removal::CreatedDir(absolute(path)))
    }

    fn add(removal: Removal) -> Self {
        INSTALL.call_once(|| {
            // Failing to install (another handler is set: only in tests
            // that embed the library) leaves the default action.
            let _ = ctrlc::set_handler(on_signal);
        });
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        registry().push((id, removal));
        Self { id }
    }

    /// Runs `rename`, which moves the output into place, with the handler
    /// held off, then forgets the temporary.
    pub fn commit<T>(self, rename: impl FnOnce() -> T) -> T {
        let mut pending = registry();
        let out = rename();
        pending.retain(|(id, ..)| *id != self.id);
        drop(pending);
        out
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        registry().retain(|(id, ..)| *id != self.id);
    }
}

/// The handler may run at any time, in any directory: paths are absolute.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Removes a temporary whatever it is. A worker thread may still be
/// creating files in a directory, so its removal is retried a few times.
fn remove(removal: &Removal) {
    let path = match removal {
        Removal::CreatedDir(path) => {
            let _ = fs::remove_dir(path);
            return;
        }
        Removal::Upload(handle) => {
            handle.abort();
            return;
        }
        Removal::Temporary(path) => path,
    };
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            for _ in 0..5 {
                match fs::remove_dir_all(path) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => {}
                    _ => return,
                }
            }
        }
        Ok(_) => {
            let _ = fs::remove_file(path);
        }
        Err(_) => {}
    }
}

fn on_signal() {
    // Keeps the lock until the process exits: no rename starts after this.
    let pending = registry();
    for (_, removal) in pending.iter().rev() {
        remove(removal);
    }
    let mut err = io::stderr().lock();
    if err.is_terminal() {
        // Clear a progress bar's line.
        let _ = write!(err, "\r\x1b[2K");
    }
    let temporaries = pending.iter().any(|(_, r)| !matches!(r, Removal::CreatedDir(_)));
    let what = if temporaries { "; the unfinished output was removed" } else { "" };
    let _ = writeln!(err, "ebak: interrupted{what}");
    process::exit(EXIT_INTERRUPTED);
}

#[cfg(test)]
mod tests {
    use super::{Pending, registry};
    use std::path::Path;

    fn registered(path: &Path) -> bool {
        let path = std::path::absolute(path).unwrap();
        registry().iter().any(|(_, r)| matches!(r, super::Removal::Temporary(p) if *p == path))
    }

    #[test]
    fn a_temporary_is_forgotten_when_dropped_or_committed() {
        let a = Path::new("interrupt-test-a.partial");
        let b = Path::new("interrupt-test-b.partial");
        let pa = Pending::register(a);
        let pb = Pending::register(b);
        assert!(registered(a) && registered(b));
        drop(pa);
        assert!(!registered(a) && registered(b));
        // (The rename closure must not take the registry's lock: commit holds it.)
        assert_eq!(pb.commit(|| 7), 7);
        assert!(!registered(b));
    }
}
