//! `ebak rotate`.

use super::{Global, KEY_WARNING, Target, Watched, is_stdio, new_key, open_input, password_slot, plaintext_len};
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

/// `ebak rotate`.
#[derive(Debug)]
pub struct RotateArgs {
    /// The backup file.
    pub file: PathBuf,
    /// Current secret sources.
    pub sources: Sources,
    /// `--new-password-file`.
    pub new_password_file: Option<PathBuf>,
    /// `--no-password`: the new file has no password slot.
    pub no_password: bool,
    /// `--new-key`: show the new key.
    pub new_key: bool,
    /// The application context.
    pub context: String,
}

/// `ebak rotate`: a new backup key and a re-encrypted payload.
pub fn rotate(args: &RotateArgs, global: Global) -> Result<(), CliError> {
    container::payload_context(args.context.as_bytes())?;
    if is_stdio(&args.file) {
        return Err(CliError::usage("rotate rewrites a file in place; it cannot work on standard input"));
    }
    if args.no_password && !args.new_key {
        return Err(CliError::usage(
            "with --no-password, --new-key is needed: otherwise nothing would open the new file",
        ));
    }
    let (read, unlocked) = open_input(&args.file, &args.sources)?;
    let dropped = unlocked.header().slots().iter().filter(|s| !matches!(s, Slot::Password(_))).count();
    let new_password =
        if args.no_password { None } else { Some(secrets::new_password(args.new_password_file.as_deref())?) };
    let key = new_key()?;
    let mut slots = Vec::new();
    if let Some(p) = &new_password {
        slots.push(Slot::Password(password_slot(&key, p)?));
    }
    let header = file::new_header(&key, slots).map_err(|e| CliError::usage(format!("cannot make the header: {e}")))?;
    let mut target = Target::rewrite(&args.file)?;
    {
        let mut out = target.writer();
        out.write_all(&header.to_bytes()).map_err(|e| CliError::io_plain("cannot write", &e))?;
        let bar = Progress::new(plaintext_len(&args.file, read.header_len), global.quiet, "rotate");
        let progress = |n: u64| bar.set(n);
        let options = ebak_stream::Options { threads: global.threads, progress: Some(&progress) };
        let quiet = ebak_stream::Options { threads: global.threads, progress: None };
        let (reader, writer) = crate::chan::pipe();
        let header_len = read.header_len;
        let sealer_gone = AtomicBool::new(false);
        let writer = Watched { inner: writer, failed: &sealer_gone };
        let (opened, sealed) = std::thread::scope(|s| {
            let opener = s.spawn(|| {
                container::open_payload(
                    &args.file,
                    &unlocked,
                    args.context.as_bytes(),
                    read.payload,
                    writer,
                    header_len,
                    &options,
                )
            });
            let sealed = container::seal_payload(&key, args.context.as_bytes(), reader, &mut out, &quiet);
            (opener.join(), sealed)
        });
        bar.finish();
        let opened = opened
            .unwrap_or_else(|_| Err(CliError::io_plain("rotate failed", &io::Error::other("worker thread panicked"))));
        match (opened, sealed) {
            // Writing the new file failed: the opener only saw the pipe close.
            (Err(_), Err(e)) if sealer_gone.load(Ordering::Relaxed) => return Err(e),
            (Err(e), _) | (Ok(_), Err(e)) => return Err(e),
            (Ok(_), Ok(_)) => {}
        }
        out.flush().map_err(|e| CliError::io_plain("cannot write", &e))?;
    }
    target.commit_then(|| {
        if args.new_key {
            println!("{}", recovery_key::format(&key).as_str());
            eprintln!("{KEY_WARNING}");
        }
    })?;
    if !global.quiet {
        eprintln!(
            "ebak: {} now has a new backup key; old copies still open with the old secrets: delete them",
            args.file.display()
        );
        if dropped > 0 {
            eprintln!("ebak: dropped {dropped} slot(s) of other types (they wrapped the old key)");
        }
    }
    Ok(())
}
