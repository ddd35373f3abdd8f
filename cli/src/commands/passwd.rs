//! `ebak passwd`.

use super::{Global, Target, is_stdio, password_slot};
use crate::container;
use crate::error::CliError;
use crate::secrets::{self, Sources};
use ebak_core::file;
use ebak_core::header::{Header, Slot};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Copies the payload of `read` after `header`'s bytes into a new file
/// beside `file`, and renames it over `file`.
fn rewrite_with_header(file: &Path, new_header: &Header, payload: &mut impl Read) -> Result<(), CliError> {
    let mut target = Target::rewrite(file)?;
    {
        let mut out = target.writer();
        out.write_all(&new_header.to_bytes()).map_err(|e| CliError::io(file, "cannot write", &e))?;
        io::copy(payload, &mut out).map_err(|e| CliError::io(file, "cannot copy the payload of", &e))?;
        out.flush().map_err(|e| CliError::io(file, "cannot write", &e))?;
    }
    target.commit()
}

/// What `passwd` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswdAction {
    /// Replace a password (the one that opened the file, or `--slot`).
    Change,
    /// Add a password.
    Add,
    /// Remove a password.
    Remove,
}

/// `ebak passwd`.
#[derive(Debug)]
pub struct PasswdArgs {
    /// The backup file.
    pub file: PathBuf,
    /// What to do.
    pub action: PasswdAction,
    /// Which slot.
    pub slot: Option<usize>,
    /// Current secret sources.
    pub sources: Sources,
    /// `--new-password-file`.
    pub new_password_file: Option<PathBuf>,
}

fn password_slots(header: &Header) -> Vec<usize> {
    header.slots().iter().enumerate().filter(|(_, s)| matches!(s, Slot::Password(_))).map(|(i, _)| i).collect()
}

/// `ebak passwd`: a new header, the same payload bytes.
pub fn passwd(args: &PasswdArgs, global: Global) -> Result<(), CliError> {
    if is_stdio(&args.file) {
        return Err(CliError::usage("passwd rewrites a file in place; it cannot work on standard input"));
    }
    let input = fs::File::open(&args.file).map_err(|e| CliError::io(&args.file, "cannot open", &e))?;
    let mut read = container::read_header(&args.file, input)?;
    let secret = args.sources.unlock()?;
    let by_key = secret.is_key();
    let unlocked = container::unlock(&args.file, &read.header, &secret, read.header_len)?;
    let slots = password_slots(unlocked.header());
    let chosen = match args.slot {
        Some(i) if slots.contains(&i) => Some(i),
        Some(i) => return Err(CliError::usage(format!("slot {i} is not a password slot (see `ebak inspect`)"))),
        None => unlocked.opened_slot(),
    };
    let bad = |e: file::SealError| CliError::usage(format!("cannot write the new header: {e}"));
    let (new_header, what) = match args.action {
        PasswdAction::Add => {
            let p = secrets::new_password(args.new_password_file.as_deref())?;
            (unlocked.adding(password_slot(unlocked.backup_key(), &p)?).map_err(bad)?, "added a password")
        }
        PasswdAction::Change => {
            let index = match (chosen, slots.as_slice()) {
                (Some(i), _) => Some(i),
                (None, []) => None,
                (None, [only]) => Some(*only),
                (None, _) => {
                    return Err(CliError::usage(
                        "this file has several passwords: say which with --slot N (see `ebak inspect`)",
                    ));
                }
            };
            let p = secrets::new_password(args.new_password_file.as_deref())?;
            let slot = password_slot(unlocked.backup_key(), &p)?;
            match index {
                Some(i) => (unlocked.replacing(i, slot).map_err(bad)?, "changed the password"),
                None => (unlocked.adding(slot).map_err(bad)?, "added a password (the file had none)"),
            }
        }
        PasswdAction::Remove => {
            let index = chosen.or(if slots.len() == 1 { slots.first().copied() } else { None }).ok_or_else(|| {
                CliError::usage("say which password to remove: open with it, or give --slot N (see `ebak inspect`)")
            })?;
            if slots.len() == 1 && !by_key {
                return Err(CliError::usage(
                    "this is the only password: without it only the 64-digit key opens the file. Prove you have the key (open with --key) to remove it",
                ));
            }
            (unlocked.removing(index).map_err(bad)?, "removed the password")
        }
    };
    rewrite_with_header(&args.file, &new_header, &mut read.payload)?;
    if !global.quiet {
        eprintln!("ebak: {what} of {}; the payload is unchanged", args.file.display());
    }
    Ok(())
}
