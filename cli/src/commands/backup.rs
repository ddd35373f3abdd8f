//! `ebak backup`.

use crate::error::{CliError, Context, from_lib};
use crate::global::Global;
use crate::progress::Progress;
use crate::secrets::Sources;
use crate::secrets::{KeyFlags, new_backup_secrets, show_new_key};
use crate::target::{Target, is_stdio};
use ebak::content::Compression;
use ebak::content::archive::{self, ArchiveOptions, Counter, Skip};
use ebak::store::Permissions;
use ebak::{BackupWriter, StreamOptions};
use std::io;
use std::path::PathBuf;

/// `ebak backup`.
#[derive(Debug)]
pub struct BackupArgs {
    /// Files and directories, or `-` for standard input.
    pub paths: Vec<PathBuf>,
    /// The backup file, or `-`.
    pub output: PathBuf,
    /// Password and key sources.
    pub sources: Sources,
    /// Make a new key and show it.
    pub new_key: bool,
    /// The application context.
    pub context: String,
    /// Do not compress.
    pub no_compress: bool,
    /// Replace an existing output file.
    pub force: bool,
}

const FLAGS: KeyFlags = KeyFlags {
    key_flags: "--key or --key-file",
    key_sources: "--key, --key-file or EBAK_KEY",
    what: "this backup",
    a_key: "a key",
    prompt_if_none: true,
};

/// `ebak backup`.
pub fn backup(args: &BackupArgs, global: Global) -> Result<(), CliError> {
    let cx = Context::new(&args.output);
    // A context the format cannot hold is refused before any prompt.
    ebak_core::file::payload_context(args.context.as_bytes())
        .map_err(|e| CliError::usage(format!("--context: {e}")))?;
    let from_stdin = args.paths.iter().any(|p| is_stdio(p));
    if from_stdin && args.paths.len() > 1 {
        return Err(CliError::usage("`-` (standard input) must be the only thing backed up"));
    }
    if !from_stdin {
        archive::archive_names(&args.paths).map_err(|e| from_lib(e, cx))?;
    }
    // Refuse an existing output before asking for anything.
    Target::check(&args.output, args.force)?;
    let (key, header, show_key) = new_backup_secrets(&args.sources, args.new_key, FLAGS)?;

    let compression = if args.no_compress { Compression::None } else { Compression::Zstd };
    let total = if from_stdin { None } else { Some(archive::total_size(&args.paths)) };
    let bar = Progress::new(total, global.quiet, "backup");
    let counter = Counter::default();
    let progress = {
        let (bar, counter) = (bar.clone(), counter.clone());
        move |_: u64| bar.set(counter.get())
    };
    let options = StreamOptions { threads: global.threads, progress: Some(Box::new(progress)) };

    let mut target = Target::create(&args.output, args.force, Permissions::Private)?;
    // The backup never archives itself (the file being written, or the one
    // it replaces, when it lies inside a tree being backed up).
    let skip = Skip::new([target.staging_path(), Some(args.output.as_path())].into_iter().flatten());
    let written = (|| {
        let writer = BackupWriter::new(target.writer(), &header, &key, args.context.as_bytes(), options)?;
        let writer = if from_stdin {
            archive::write_stream(io::stdin().lock(), writer, compression, Some(&counter))?
        } else {
            let warn = |w: &archive::Warning| eprintln!("ebak: {w}");
            let options = ArchiveOptions { compression, counter: Some(&counter), skip, on_warning: Some(&warn) };
            archive::write_tree(&args.paths, writer, &options)?
        };
        writer.finish()
    })();
    bar.finish();
    written.map_err(|e| from_lib(e, cx))?;
    target.commit_then(|| {
        if show_key {
            show_new_key(&key, is_stdio(&args.output));
        }
    })?;
    if !global.quiet && !is_stdio(&args.output) {
        eprintln!("ebak: wrote {} ({} bytes read)", args.output.display(), counter.get());
    }
    Ok(())
}
