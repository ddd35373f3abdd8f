//! `ebak backup`.

use crate::error::{CliError, Context, from_lib, printable};
use crate::global::Global;
use crate::progress::Progress;
use crate::secrets::Sources;
use crate::secrets::{
    ENV_PASSWORD, KeyFlags, interactive, into_password, new_backup_secrets, new_key, prompt_password, show_new_key,
    warn_if_weak,
};
use crate::target::{Target, is_stdio};
use crate::vault;
use ebak::content::Compression;
use ebak::content::archive::{self, ArchiveOptions, Counter, Skip};
use ebak::content::exclude::Exclude;
use ebak::store::Permissions;
use ebak::{BackupWriter, StreamOptions};
use ebak_core::BackupKey;
use ebak_core::header::Header;
use std::cell::Cell;
use std::io;
use std::path::{Path, PathBuf};

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
    /// `--exclude` patterns.
    pub exclude: Vec<String>,
    /// `--exclude-file` files of patterns.
    pub exclude_files: Vec<PathBuf>,
    /// `--vault URL`: register the key on this vault under the password.
    pub vault: Option<String>,
    /// `--vault-key HEX`: the vault key id to expect.
    pub vault_key: Option<String>,
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
    if from_stdin && !(args.exclude.is_empty() && args.exclude_files.is_empty()) {
        return Err(CliError::usage("--exclude and --exclude-file apply to files and directories, not to `-`"));
    }
    let exclude = exclude_patterns(args)?;
    if !from_stdin {
        archive::archive_names(&args.paths).map_err(|e| from_lib(e, cx))?;
    }
    // Refuse an existing output before asking for anything.
    Target::check(&args.output, args.force)?;
    let (key, header, show_key) = match &args.vault {
        Some(url) => vault_secrets(args, url, global)?,
        None if args.vault_key.is_some() => return Err(CliError::usage("--vault-key goes with --vault URL")),
        None => new_backup_secrets(&args.sources, args.new_key, FLAGS)?,
    };

    let compression = if args.no_compress { Compression::None } else { Compression::Zstd };
    // The total takes a walk of the trees: only for a bar that shows it.
    let total = if from_stdin || !Progress::shown(global.quiet) {
        None
    } else {
        Some(archive::total_size(&args.paths, &exclude))
    };
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
    let staging = target.staging_path().map(Path::to_path_buf);
    let warnings = Cell::new(0u64);
    let written = (|| {
        let writer = BackupWriter::new(target.writer(), &header, &key, args.context.as_bytes(), options)?;
        let writer = if from_stdin {
            archive::write_stream(io::stdin().lock(), writer, compression, Some(&counter))?
        } else {
            let warn = |w: &archive::Warning| match w {
                // The file being written is ebak's own temporary: nothing
                // to say. The old backup it replaces is left out, as it
                // should be, and so are sockets: a note, not a warning.
                archive::Warning::OwnOutput(p) if Some(p.as_path()) == staging.as_deref() => {}
                archive::Warning::OwnOutput(_) | archive::Warning::Socket(_) => {
                    bar.suspend(|| eprintln!("ebak: {}", printable(&w.to_string())));
                }
                _ => {
                    warnings.set(warnings.get().saturating_add(1));
                    bar.suspend(|| eprintln!("ebak: warning: {}", printable(&w.to_string())));
                }
            };
            let options =
                ArchiveOptions { compression, counter: Some(&counter), skip, exclude, on_warning: Some(&warn) };
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
    match warnings.get() {
        0 => Ok(()),
        n => Err(CliError::warnings(format!(
            "completed with {n} warning{}: the backup was written, without what the warnings name",
            if n == 1 { "" } else { "s" }
        ))),
    }
}

/// A new backup's secrets with `--vault`: its key (given, else new and
/// shown), registered on the vault under the password, and a header with
/// the vault slot. The password goes to the vault only: a password slot
/// with the same password would let whoever holds the file guess it
/// offline, which is what the vault is there to prevent.
fn vault_secrets(args: &BackupArgs, url: &str, global: Global) -> Result<(BackupKey, Header, bool), CliError> {
    vault::check_url(url)?;
    let pin = args.vault_key.as_deref().map(vault::parse_key_id).transpose()?;
    if args.new_key && (args.sources.key || args.sources.key_file.is_some()) {
        return Err(CliError::usage("--new-key makes a new key; it cannot be combined with --key or --key-file"));
    }
    let given_key = if args.new_key { None } else { args.sources.key()? };
    let password = match args.sources.password(true)? {
        Some(p) => p,
        None if interactive() => {
            into_password(prompt_password(true, "Vault password", ENV_PASSWORD, "--password-file")?)
        }
        None => {
            return Err(CliError::usage(format!(
                "--vault registers the key under a password: give it with --password-file or {ENV_PASSWORD} (or run on a terminal)"
            )));
        }
    };
    if password.is_empty() {
        return Err(CliError::usage("the password is empty"));
    }
    warn_if_weak(&password);
    let show_key = given_key.is_none();
    let key = match given_key {
        Some(k) => k,
        None => new_key()?,
    };
    let slot = vault::register(&args.output, url, pin, &password, &key, global.quiet)?;
    let header = ebak::new_header(&key, [slot.to_slot()]).map_err(|e| from_lib(e, Context::new(&args.output)))?;
    Ok((key, header, show_key))
}

/// The `--exclude` patterns, then those of each `--exclude-file`.
fn exclude_patterns(args: &BackupArgs) -> Result<Exclude, CliError> {
    let mut exclude = Exclude::default();
    for p in &args.exclude {
        exclude.add(p).map_err(|e| CliError::usage(format!("--exclude: {e}")))?;
    }
    for file in &args.exclude_files {
        let text = std::fs::read(file).map_err(|e| CliError::io(file, "cannot read exclude file", &e))?;
        let text = String::from_utf8(text)
            .map_err(|_| CliError::usage(format!("exclude file {} is not valid UTF-8", file.display())))?;
        exclude.add_lines(&text).map_err(|e| CliError::usage(format!("exclude file {}: {e}", file.display())))?;
    }
    Ok(exclude)
}
