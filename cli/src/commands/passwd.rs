//! `ebak passwd`.

use super::{Input, Opened, open_input_how};
use crate::error::Context;
use crate::error::{CliError, from_lib};
use crate::global::Global;
use crate::secrets::password_slot;
use crate::secrets::{self, Sources};
use crate::target::{Target, is_stdio};
use ebak_core::Password;
use ebak_core::file;
use ebak_core::file::Unlocked;
use ebak_core::header::{Header, Slot};
use ebak_core::kdf::KdfLimits;
use ebak_core::slot::VaultSlot;
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
    let (input, unlocked, cx, opened) = open_input_how(&args.file, &args.sources)?;
    if let Opened::Vault { index, slot, password } = opened
        && args.slot.is_none()
    {
        return match args.action {
            PasswdAction::Change => vault_passwd(args, input, &unlocked, cx, (index, &slot, &password), global),
            PasswdAction::Remove => Err(CliError::usage(
                "the password opened this file through its vault: `ebak vault delete FILE` turns the vault off",
            )),
            PasswdAction::Add => add_to_vault_file(args, input, &unlocked, cx, global),
        };
    }
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

/// `passwd` on a file the password opened through its vault: the vault
/// re-registers the record under the new password (spec 6.5), and the
/// header gets the new vault slot in place of the old one (the payload
/// bytes are copied as they are). The file is staged before the vault is
/// changed, so that a file that cannot be written changes nothing.
fn vault_passwd(
    args: &PasswdArgs,
    input: Input,
    unlocked: &Unlocked,
    cx: Context<'_>,
    (index, slot, old): (usize, &VaultSlot, &Password),
    global: Global,
) -> Result<(), CliError> {
    let new = secrets::new_password(args.new_password_file.as_deref())?;
    let mut target = Target::rewrite(&args.file)?;
    let new_slot = crate::progress::while_deriving(|| {
        ebak_vault_client::change_password(
            slot,
            old.expose_secret(),
            new.expose_secret(),
            unlocked.backup_key(),
            &ebak_vault_client::Options::default(),
            &KdfLimits::V1,
        )
    })
    .map_err(|e| crate::vault::error(&args.file, slot.url(), &e))?;
    let mut slots = unlocked.header().slots().to_vec();
    if let Some(s) = slots.get_mut(index) {
        *s = new_slot.to_slot();
    }
    let header =
        unlocked.with_slots(slots).map_err(|e| CliError::usage(format!("cannot write the new header: {e}")))?;
    ebak::seal::replace_header(input, &header, target.writer()).map_err(|e| from_lib(e, cx))?;
    target.commit()?;
    if !global.quiet {
        eprintln!(
            "ebak: changed the vault password of {}; the old one no longer opens it; the payload is unchanged",
            args.file.display()
        );
    }
    Ok(())
}

/// `passwd --add` on a file the password opened through its vault: a
/// password slot, with a warning (it can be guessed offline).
fn add_to_vault_file(
    args: &PasswdArgs,
    input: Input,
    unlocked: &Unlocked,
    cx: Context<'_>,
    global: Global,
) -> Result<(), CliError> {
    eprintln!(
        "ebak: warning: a password slot is not protected by the vault's guess limit: whoever holds the file can guess it offline"
    );
    let p = secrets::new_password(args.new_password_file.as_deref())?;
    let header = unlocked
        .adding(password_slot(unlocked.backup_key(), &p)?)
        .map_err(|e| CliError::usage(format!("cannot write the new header: {e}")))?;
    let mut target = Target::rewrite(&args.file)?;
    ebak::seal::replace_header(input, &header, target.writer()).map_err(|e| from_lib(e, cx))?;
    target.commit()?;
    if !global.quiet {
        eprintln!("ebak: added a password of {}; the payload is unchanged", args.file.display());
    }
    Ok(())
}
