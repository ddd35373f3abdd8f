//! `ebak backup`.

use super::{Global, KEY_WARNING, NewFile, Target, Watched, is_stdio, new_key, password_slot};
use crate::archive::{self, Compression, Counter};
use crate::container;
use crate::error::CliError;
use crate::progress::Progress;
use crate::secrets::{self, Sources};
use ebak_core::file;
use ebak_core::header::Slot;
use ebak_core::recovery_key;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// `ebak backup`.
pub fn backup(args: &BackupArgs, global: Global) -> Result<(), CliError> {
    // A context the format cannot hold is refused before any prompt.
    container::payload_context(args.context.as_bytes())?;
    let from_stdin = args.paths.iter().any(|p| is_stdio(p));
    if from_stdin && args.paths.len() > 1 {
        return Err(CliError::usage("`-` (standard input) must be the only thing backed up"));
    }
    if !from_stdin {
        let mut names = std::collections::BTreeSet::new();
        for p in &args.paths {
            let name = archive::archive_name(p)?;
            if !names.insert(name.clone()) {
                return Err(CliError::usage(format!("two paths would both be stored as {}", name.display())));
            }
        }
    }
    if args.new_key && (args.sources.key || args.sources.key_file.is_some()) {
        return Err(CliError::usage("--new-key makes a new key; it cannot be combined with --key or --key-file"));
    }
    // Refuse an existing output before asking for anything.
    Target::check(&args.output, args.force)?;
    let given_key = if args.new_key { None } else { args.sources.key()? };
    let mut password = args.sources.password(true)?;
    if given_key.is_none() && password.is_none() && !args.new_key && secrets::interactive() {
        // Nothing given, on a terminal: ask for a new password (twice).
        password = Some(secrets::prompt_password(true, "Password", secrets::ENV_PASSWORD, "--password-file")?);
    }
    if password.as_ref().is_some_and(|p| p.is_empty()) {
        return Err(CliError::usage("the password is empty"));
    }
    if given_key.is_none() && password.is_none() && !args.new_key {
        return Err(CliError::usage(format!(
            "nothing would open this backup: give a password (--password, --password-file or {}), a key (--key, --key-file or {}), or --new-key",
            secrets::ENV_PASSWORD,
            secrets::ENV_KEY
        )));
    }
    let show_key = given_key.is_none() && args.new_key;
    let key = match given_key {
        Some(k) => k,
        None => new_key()?,
    };
    let mut slots = Vec::new();
    if let Some(p) = &password {
        slots.push(Slot::Password(password_slot(&key, p)?));
    }
    let header = file::new_header(&key, slots).map_err(|e| CliError::usage(format!("cannot make the header: {e}")))?;

    let compression = if args.no_compress { Compression::None } else { Compression::Zstd };
    let total = if from_stdin { None } else { Some(archive::total_size(&args.paths)) };
    let bar = Progress::new(total, global.quiet, "backup");
    let counter = Counter::default();
    let progress = |_: u64| bar.set(counter.get());
    let options = ebak_stream::Options { threads: global.threads, progress: Some(&progress) };

    let mut target = Target::create(&args.output, args.force, NewFile::Private)?;
    // The backup never archives itself (the file being written, or the one
    // it replaces, when it lies inside a tree being backed up).
    let skip = archive::Skip::new([target.temp_path(), Some(args.output.as_path())].into_iter().flatten());
    {
        let mut out = target.writer();
        out.write_all(&header.to_bytes()).map_err(|e| CliError::io_plain("cannot write the backup", &e))?;
        let (reader, writer) = crate::chan::pipe();
        let sealer_gone = AtomicBool::new(false);
        let writer = Watched { inner: writer, failed: &sealer_gone };
        let (sealed, produced) = std::thread::scope(|s| {
            let producer = s.spawn(|| {
                if from_stdin {
                    archive::write_stream(io::stdin().lock(), writer, compression, &counter)
                } else {
                    archive::write_archive(&args.paths, writer, compression, &counter, &skip)
                }
            });
            let sealed = container::seal_payload(&key, args.context.as_bytes(), reader, &mut out, &options);
            (sealed, producer.join())
        });
        bar.finish();
        let produced = produced.unwrap_or_else(|_| {
            Err(CliError::io_plain("backup failed", &io::Error::other("archiver thread panicked")))
        });
        match (produced, sealed) {
            // Writing the backup failed: the archiver then only saw its
            // pipe close.
            (Err(_), Err(e)) if sealer_gone.load(Ordering::Relaxed) => return Err(e),
            // Reading the files failed: the sealer then only saw a short
            // stream.
            (Err(e), _) | (Ok(()), Err(e)) => return Err(e),
            (Ok(()), Ok(_)) => {}
        }
        out.flush().map_err(|e| CliError::io_plain("cannot write the backup", &e))?;
    }
    target.commit_then(|| {
        if show_key {
            let text = recovery_key::format(&key);
            if is_stdio(&args.output) {
                eprintln!("{}", text.as_str());
            } else {
                println!("{}", text.as_str());
            }
            eprintln!("{KEY_WARNING}");
        }
    })?;
    if !global.quiet && !is_stdio(&args.output) {
        eprintln!("ebak: wrote {} ({} bytes read)", args.output.display(), counter.get());
    }
    Ok(())
}
