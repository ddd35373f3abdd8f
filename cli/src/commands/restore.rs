//! `ebak restore`: into a directory (`-C`) or as one stream (`-o`).

use super::{Consumer, Global, NewFile, STDIO, Target, drain, is_stdio, open_input, pipe_plaintext};
use crate::archive::{self, Content, Kind};
use crate::container::{self, HeaderRead};
use crate::error::CliError;
use crate::interrupt::Pending;
use crate::secrets::Sources;
use ebak_core::file::Unlocked;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// `ebak restore`.
#[derive(Debug)]
pub struct RestoreArgs {
    /// The backup, or `-`.
    pub file: PathBuf,
    /// `-C DIR`.
    pub dir: Option<PathBuf>,
    /// `-o OUT` (or `-`).
    pub output: Option<PathBuf>,
    /// Write the payload as it is, without decoding the content.
    pub raw: bool,
    /// Replace an existing target.
    pub force: bool,
    /// Secret sources.
    pub sources: Sources,
    /// The application context.
    pub context: String,
}

/// `ebak restore`.
pub fn restore(args: &RestoreArgs, global: Global) -> Result<(), CliError> {
    container::payload_context(args.context.as_bytes())?;
    match (&args.dir, &args.output) {
        (Some(_), Some(_)) => return Err(CliError::usage("give either -C DIR or -o FILE, not both")),
        (None, None) => {
            return Err(CliError::usage("where to? give -C DIR (a directory) or -o FILE (- for standard output)"));
        }
        (Some(_), None) if args.raw => return Err(CliError::usage("--raw writes one stream: use it with -o")),
        _ => {}
    }
    if let Some(dir) = &args.dir {
        return restore_dir(args, dir, global);
    }
    let output = args.output.as_deref().unwrap_or(Path::new(STDIO));
    // Refuse the target before asking for a password; create it after.
    Target::check(output, args.force)?;
    let (read, unlocked) = open_input(&args.file, &args.sources)?;
    let mut target = Target::create(output, args.force, NewFile::Umask)?;
    let raw = args.raw;
    let summary = {
        let out = target.writer();
        let consume: Consumer<'_> = Box::new(move |mut reader| {
            let mut out = out;
            let werr = |e: io::Error| CliError::io_plain("cannot write the restored data", &e);
            if raw {
                let n = io::copy(&mut reader, &mut out).map_err(werr)?;
                out.flush().map_err(werr)?;
                return Ok(format!("{n} bytes"));
            }
            let (content, _) = archive::read_content_header(&mut reader).map_err(werr)?;
            let Some(content) = content else {
                drain(reader)?;
                return Err(CliError::damaged(
                    "this backup was not made by the ebak tool (its payload has no ebak content header); use --raw to get the payload as it is",
                ));
            };
            let mut decoded = archive::decoder(&mut reader, content.compression).map_err(werr)?;
            let n = copy(&mut decoded, &mut out).map_err(|e| match e {
                Copy::Read(e) => CliError::damaged(format!("the content inside the backup is malformed: {e}")),
                Copy::Write(e) => werr(e),
            })?;
            drop(decoded);
            drain(reader)?;
            out.flush().map_err(werr)?;
            Ok(format!("{n} bytes"))
        });
        pipe_plaintext(&args.file, read, &unlocked, &args.context, global, "restore", consume)?
    };
    target.commit()?;
    if !global.quiet && !is_stdio(output) {
        eprintln!("ebak: restored {summary} to {}", output.display());
    }
    Ok(())
}

/// Which side of a copy failed.
enum Copy {
    Read(io::Error),
    Write(io::Error),
}

/// `io::copy`, telling a malformed input from a failing output.
fn copy(from: &mut impl Read, to: &mut impl Write) -> Result<u64, Copy> {
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Copy::Read(e)),
        };
        to.write_all(buf.get(..n).unwrap_or_default()).map_err(Copy::Write)?;
        total = total.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
    }
}

fn restore_dir(args: &RestoreArgs, dir: &Path, global: Global) -> Result<(), CliError> {
    if fs::symlink_metadata(dir).is_ok_and(|m| !m.is_dir()) {
        return Err(CliError::usage(format!("{} exists and is not a directory", dir.display())));
    }
    let (read, unlocked) = open_input(&args.file, &args.sources)?;
    // The directories this restore creates, deepest first.
    let created: Vec<PathBuf> =
        dir.ancestors().take_while(|a| !a.as_os_str().is_empty() && !a.exists()).map(Path::to_path_buf).collect();
    // Shallowest first: an interruption removes the newest registration first.
    let _created_guards: Vec<Pending> = created.iter().rev().map(|d| Pending::register_created_dir(d)).collect();
    fs::create_dir_all(dir).map_err(|e| CliError::io(dir, "cannot create", &e))?;
    let result = restore_into(args, dir, read, &unlocked, global);
    if result.is_err() {
        // Nothing left behind: the directories this restore created go too
        // (they are empty: the partial tree lived in the temporary directory).
        for d in &created {
            let _ = fs::remove_dir(d);
        }
    }
    let summary = result?;
    if !global.quiet {
        eprintln!("ebak: restored {summary} into {}", dir.display());
    }
    Ok(())
}

/// Restores into a temporary directory inside `dir`, then renames each
/// top-level entry into place once everything verified.
fn restore_into(
    args: &RestoreArgs,
    dir: &Path,
    read: HeaderRead<Box<dyn Read + Send>>,
    unlocked: &Unlocked,
    global: Global,
) -> Result<String, CliError> {
    let tree = TempTree::new(dir)?;
    let temp = &tree.temp;
    let staging = temp.path().join("new");
    fs::create_dir(&staging).map_err(|e| CliError::io(&staging, "cannot create", &e))?;
    let dirs = std::sync::Mutex::new(Vec::new());
    let force = args.force;
    let check_top = |name: &std::ffi::OsStr| {
        let target = dir.join(name);
        if !force && fs::symlink_metadata(&target).is_ok() {
            return Err(CliError::usage(format!("{} already exists; use --force to replace it", target.display())));
        }
        Ok(())
    };
    let consume: Consumer<'_> = Box::new(|mut reader| {
        let werr = |e: io::Error| CliError::damaged(format!("the content inside the backup is malformed: {e}"));
        let (content, _) = archive::read_content_header(&mut reader).map_err(werr)?;
        let content = match content {
            Some(c @ Content { kind: Kind::Tar, .. }) => c,
            Some(_) => {
                drain(reader)?;
                return Err(CliError::usage(
                    "this backup holds a single stream, not files: restore it with -o FILE (or -o -)",
                ));
            }
            None => {
                drain(reader)?;
                return Err(CliError::damaged(
                    "this backup was not made by the ebak tool (its payload has no ebak content header); use --raw -o FILE",
                ));
            }
        };
        let mut decoded = archive::decoder(&mut reader, content.compression).map_err(werr)?;
        let extracted = archive::extract(&mut decoded, &staging, &check_top)?;
        drain(&mut decoded)?;
        drop(decoded);
        drain(reader)?;
        if let Ok(mut d) = dirs.lock() {
            *d = extracted.dirs;
        }
        Ok(format!("{} entries", extracted.entries))
    });
    // On any error, `tree` is dropped and removes the partial tree.
    let summary = pipe_plaintext(&args.file, read, unlocked, &args.context, global, "restore", consume)?;
    let dirs = dirs.into_inner().unwrap_or_default();
    let TempTree { temp, pending } = tree;
    // Putting the tree in place is one step for an interruption: it lands
    // before it or after the temporary directory is gone.
    pending.commit(|| {
        let placed = put_in_place(dir, &staging, temp.path(), &dirs, force);
        // Directory permissions may have been applied: make what is left
        // (the partial tree, or what --force replaced) removable.
        make_writable(temp.path());
        placed?;
        temp.close().map_err(|e| CliError::io(dir, "restored, but cannot remove the temporary directory in", &e))
    })?;
    Ok(summary)
}

/// The temporary directory a restore unpacks into, registered for removal
/// on an interruption (`pending` after `temp`: on an error the tree goes
/// first).
struct TempTree {
    temp: tempfile::TempDir,
    pending: Pending,
}

impl TempTree {
    fn new(dir: &Path) -> Result<Self, CliError> {
        let temp = tempfile::Builder::new()
            .prefix(".ebak-restore-")
            .tempdir_in(dir)
            .map_err(|e| CliError::io(dir, "cannot create a directory in", &e))?;
        let pending = Pending::register(temp.path());
        Ok(Self { temp, pending })
    }
}

/// After everything verified: directory times and permissions, then each
/// top-level entry renamed from `staging` into `dir` (replacing, with
/// `force`, what was there: it is moved into `temp` and removed with it).
/// If a rename fails, the entries already moved go back, and what they
/// replaced is put back: `dir` is as it was.
fn put_in_place(
    dir: &Path,
    staging: &Path,
    temp: &Path,
    dirs: &[archive::DirMetadata],
    force: bool,
) -> Result<(), CliError> {
    archive::apply_dir_metadata(staging, dirs)?;
    let replaced = temp.join("replaced");
    let entries: Vec<_> = fs::read_dir(staging)
        .map_err(|e| CliError::io(staging, "cannot list", &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::io(staging, "cannot list", &e))?;
    // (new entry in staging, its place in dir, where the old one went)
    let mut done: Vec<(PathBuf, PathBuf, Option<PathBuf>)> = Vec::new();
    let mut result = Ok(());
    for entry in entries {
        let target = dir.join(entry.file_name());
        let mut aside = None;
        if fs::symlink_metadata(&target).is_ok() {
            if !force {
                result =
                    Err(CliError::usage(format!("{} already exists; use --force to replace it", target.display())));
                break;
            }
            let to = replaced.join(entry.file_name());
            if let Err(e) = fs::create_dir_all(&replaced).and_then(|()| fs::rename(&target, &to)) {
                result = Err(CliError::io(&target, "cannot move aside", &e));
                break;
            }
            aside = Some(to);
        }
        if let Err(e) = fs::rename(entry.path(), &target) {
            if let Some(old) = &aside {
                let _ = fs::rename(old, &target);
            }
            result = Err(CliError::io(&target, "cannot rename into place", &e));
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
}
