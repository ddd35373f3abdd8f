//! `ebak passwd`.

use super::open_input;
use crate::error::{CliError, from_lib};
use crate::global::Global;
use crate::secrets::password_slot;
use crate::secrets::{self, Sources};
use crate::target::{Target, is_stdio};
use ebak_core::file;
use ebak_core::header::{Header, Slot};
use std::path::PathBuf;

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
    let (input, unlocked, cx) = open_input(&args.file, &args.sources)?;
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
            if slots.len() == 1 && !cx.by_key {
                return Err(CliError::usage(
                    "this is the only password: without it only the 64-digit key opens the file. Prove you have the key (open with --key) to remove it",
                ));
            }
            (unlocked.removing(index).map_err(bad)?, "removed the password")
        }
    };
    let mut target = Target::rewrite(&args.file)?;
    ebak::seal::replace_header(input, &new_header, target.writer()).map_err(|e| from_lib(e, cx))?;
    target.commit()?;
    if !global.quiet {
        eprintln!("ebak: {what} of {}; the payload is unchanged", args.file.display());
    }
    Ok(())
}
