//! `ebak restore`: into a directory (`-C`) or as one stream (`-o`).

use super::{open_input, plaintext_len, with_progress};
use crate::error::{CliError, Context, from_lib, printable};
use crate::global::Global;
use crate::interrupt::Pending;
use crate::progress::Progress;
use crate::secrets::Sources;
use crate::target::{STDIO, Target, is_stdio};
use ebak::content::extract::{ExtractOptions, Selection, Xattrs};
use ebak::content::staged::{self, StagedTree};
use ebak::restore::{self, Summary};
use ebak::store::Permissions;
use std::fs;
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
    /// Restore only these entries (and what is under them).
    pub paths: Vec<PathBuf>,
    /// Set extended attributes even when not root.
    pub xattrs: bool,
}

/// `ebak restore`.
pub fn restore(args: &RestoreArgs, global: Global) -> Result<(), CliError> {
    ebak_core::file::payload_context(args.context.as_bytes())
        .map_err(|e| CliError::usage(format!("--context: {e}")))?;
    match (&args.dir, &args.output) {
        (Some(_), Some(_)) => return Err(CliError::usage("give either -C DIR or -o FILE, not both")),
        (None, None) => {
            return Err(CliError::usage("where to? give -C DIR (a directory) or -o FILE (- for standard output)"));
        }
        (Some(_), None) if args.raw => return Err(CliError::usage("--raw writes one stream: use it with -o")),
        (None, Some(_)) if !args.paths.is_empty() => {
            return Err(CliError::usage("PATH... picks entries to restore into a directory: use it with -C DIR"));
        }
        _ => {}
    }
    if let Some(dir) = &args.dir {
        return restore_dir(args, dir, global);
    }
    let output = args.output.as_deref().unwrap_or(Path::new(STDIO));
    // Refuse the target before asking for a password; create it after.
    Target::check(output, args.force)?;
    let (input, unlocked, cx) = open_input(&args.file, &args.sources)?;
    let mut target = Target::create(output, args.force, Permissions::Umask)?;
    let bar = Progress::new(plaintext_len(&args.file, input.header_len()), global.quiet, "restore");
    let restored = input
        .open(&unlocked, args.context.as_bytes(), with_progress(global, &bar))
        .and_then(|payload| restore::to_stream(payload, target.writer(), args.raw));
    bar.finish();
    let summary = restored.map_err(|e| from_lib(e, cx))?;
    target.commit()?;
    if !global.quiet && !is_stdio(output) {
        let n = match summary {
            Summary::Stream { bytes, .. } | Summary::Raw { bytes } => bytes,
            _ => 0,
        };
        eprintln!("ebak: restored {n} bytes to {}", output.display());
    }
    Ok(())
}

/// Whether this process runs as root (who restores owners, as tar does).
fn is_root() -> bool {
    #[cfg(unix)]
    {
        rustix::process::geteuid().is_root()
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Removes what killed restores left in `dir`, and says so.
fn remove_stale(dir: &Path) -> Result<(), CliError> {
    let stale = staged::remove_stale(dir).map_err(|e| from_lib(e, Context::new(dir)))?;
    for p in &stale.removed {
        eprintln!(
            "ebak: removed {}: left behind by a restore that was interrupted",
            printable(&p.display().to_string())
        );
    }
    for p in &stale.unknown {
        eprintln!(
            "ebak: note: {} looks like a restore's temporary directory but is not known to be ebak's: left alone",
            printable(&p.display().to_string())
        );
    }
    Ok(())
}

fn restore_dir(args: &RestoreArgs, dir: &Path, global: Global) -> Result<(), CliError> {
    let resolved;
    let dir = match fs::symlink_metadata(dir) {
        // `-C LINK` where LINK names a directory: restore into that
        // directory, as `tar -C` does. Only this top-level name is
        // followed; nothing inside the backup ever is.
        Ok(m) if m.file_type().is_symlink() && fs::metadata(dir).is_ok_and(|t| t.is_dir()) => {
            resolved = fs::canonicalize(dir).map_err(|e| CliError::io(dir, "cannot resolve", &e))?;
            resolved.as_path()
        }
        Ok(m) if !m.is_dir() => {
            return Err(CliError::usage(format!("{} exists and is not a directory", dir.display())));
        }
        _ => dir,
    };
    let selection = Selection::only(&args.paths).map_err(|e| from_lib(e.into(), Context::new(&args.file)))?;
    let (input, unlocked, cx) = open_input(&args.file, &args.sources)?;
    let cx = Context { raw_hint: "use --raw -o FILE", ..cx };
    remove_stale(dir)?;
    let root = is_root();
    // As root, as tar does: owners, groups, user attributes and ACLs;
    // --xattrs adds the security and trusted ones (content spec 6.10: only
    // when asked), and asks for all of them when not root.
    let xattrs = match (args.xattrs, root) {
        (true, _) => Xattrs::All,
        (false, true) => Xattrs::User,
        (false, false) => Xattrs::None,
    };
    let options = ExtractOptions { selection, owners: root, xattrs };
    // The directories this restore creates, deepest first.
    let created: Vec<PathBuf> =
        dir.ancestors().take_while(|a| !a.as_os_str().is_empty() && !a.exists()).map(Path::to_path_buf).collect();
    // Shallowest first: an interruption removes the newest registration first.
    let _created_guards: Vec<Pending> = created.iter().rev().map(|d| Pending::register_created_dir(d)).collect();
    fs::create_dir_all(dir).map_err(|e| CliError::io(dir, "cannot create", &e))?;
    let result = (|| {
        // `pending` after `staged`: on an error the tree goes first.
        let mut staged = StagedTree::with_options(dir, args.force, options).map_err(|e| from_lib(e, cx))?;
        let pending = Pending::register(staged.temp_path());
        let bar = Progress::new(plaintext_len(&args.file, input.header_len()), global.quiet, "restore");
        let restored = input
            .open(&unlocked, args.context.as_bytes(), with_progress(global, &bar))
            .and_then(|payload| restore::to_tree(payload, &mut staged));
        bar.finish();
        let summary = restored.map_err(|e| from_lib(e, cx))?;
        let warnings: Vec<String> = staged.warnings().iter().map(ToString::to_string).collect();
        // Putting the tree in place is one step for an interruption: it
        // lands before it or after the temporary directory is gone.
        pending.commit(|| staged.commit()).map_err(|e| from_lib(e, cx))?;
        Ok((summary, warnings))
    })();
    if result.is_err() {
        // Nothing left behind: the directories this restore created go too
        // (they are empty: the partial tree lived in the temporary directory).
        for d in &created {
            let _ = fs::remove_dir(d);
        }
    }
    let (summary, warnings) = result?;
    for w in &warnings {
        eprintln!("ebak: warning: {}", printable(w));
    }
    if !global.quiet {
        let entries = match summary {
            Summary::Tree { entries, .. } => entries,
            _ => 0,
        };
        eprintln!("ebak: restored {entries} entries into {}", dir.display());
    }
    match warnings.len() {
        0 => Ok(()),
        n => Err(CliError::warnings(format!(
            "completed with {n} warning{}: the files are restored, without the metadata the warnings name",
            if n == 1 { "" } else { "s" }
        ))),
    }
}
