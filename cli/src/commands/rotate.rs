//! `ebak rotate`.

use super::{open_input, plaintext_len, with_progress};
use crate::error::{CliError, from_lib};
use crate::global::Global;
use crate::progress::Progress;
use crate::secrets::{self, Sources};
use crate::secrets::{new_key, password_slot, show_new_key};
use crate::target::{Target, is_stdio};
use ebak_core::header::Slot;
use std::path::PathBuf;

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
    ebak_core::file::payload_context(args.context.as_bytes())
        .map_err(|e| CliError::usage(format!("--context: {e}")))?;
    if is_stdio(&args.file) {
        return Err(CliError::usage("rotate rewrites a file in place; it cannot work on standard input"));
    }
    if args.no_password && !args.new_key {
        return Err(CliError::usage(
            "with --no-password, --new-key is needed: otherwise nothing would open the new file",
        ));
    }
    let (input, unlocked, cx) = open_input(&args.file, &args.sources)?;
    let dropped = unlocked.header().slots().iter().filter(|s| !matches!(s, Slot::Password(_))).count();
    let new_password =
        if args.no_password { None } else { Some(secrets::new_password(args.new_password_file.as_deref())?) };
    let key = new_key()?;
    let mut slots = Vec::new();
    if let Some(p) = &new_password {
        slots.push(password_slot(&key, p)?.into());
    }
    let header = ebak::new_header(&key, slots).map_err(|e| from_lib(e, cx))?;
    let mut target = Target::rewrite(&args.file)?;
    let bar = Progress::new(plaintext_len(&args.file, input.header_len()), global.quiet, "rotate");
    let rotated = ebak::seal::rotate(
        input,
        &unlocked,
        args.context.as_bytes(),
        &key,
        &header,
        target.writer(),
        with_progress(global, &bar),
    );
    bar.finish();
    rotated.map_err(|e| from_lib(e, cx))?;
    target.commit_then(|| {
        if args.new_key {
            show_new_key(&key, false);
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
