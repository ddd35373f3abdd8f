//! `ebak vault status` and `ebak vault delete`: the vault record a file's
//! vault slot names.
//!
//! `delete` leaves the file as it is: its vault slot holds no secret, every
//! copy of the file names the same record, and rewriting the header would
//! need the backup key. Afterwards the slot names a deleted record, which
//! `status` and every unlock attempt report as such.

use super::read_input;
use crate::error::CliError;
use crate::global::Global;
use crate::secrets::Sources;
use crate::vault::{self, KEY_STILL_OPENS};
use ebak_core::Secret;
use ebak_core::header::Slot;
use ebak_core::kdf::KdfLimits;
use ebak_core::slot::VaultSlot;
use ebak_vault_proto::msg::AccountState;
use std::path::{Path, PathBuf};

/// `ebak vault status|delete FILE`.
#[derive(Debug)]
pub struct VaultArgs {
    /// The backup file (`-` for standard input), or s3://BUCKET/KEY.
    pub file: PathBuf,
    /// Secret sources (delete: the password).
    pub sources: Sources,
}

/// The file's vault slot, decoded.
fn slot_of(file: &Path) -> Result<(usize, VaultSlot, usize), CliError> {
    let input = read_input(file)?;
    let password_slots = input.header().slots().iter().filter(|s| matches!(s, Slot::Password(_))).count();
    let (index, slot) = vault::find(input.header()).ok_or_else(|| {
        CliError::usage(format!("{}: this backup has no vault slot (see `ebak inspect`)", file.display()))
    })?;
    let slot = slot.map_err(|e| vault::unusable(file, e))?;
    Ok((index, slot, password_slots))
}

/// `ebak vault status`: what the vault says about the file's record (no
/// secret needed, no guess spent).
pub fn vault_status(args: &VaultArgs) -> Result<(), CliError> {
    let (index, slot, _) = slot_of(&args.file)?;
    let s = vault::status(&args.file, &slot)?;
    println!("{}: vault slot {index}", args.file.display());
    println!("  vault:   {}", slot.url());
    println!("  vault id {}, key id {}", ebak_vault_proto::ids::hex(slot.vault_id()), vault::key_id(&slot));
    println!("  account: {}", ebak_vault_proto::ids::hex(slot.account()));
    let state = match s.state {
        AccountState::Live => format!(
            "live: {} of {} guess{} left (record version {}; {} failed guesses left over the record's life)",
            s.guesses_left,
            s.guess_limit,
            if s.guess_limit == 1 { "" } else { "es" },
            s.version,
            s.lifetime_left
        ),
        AccountState::Destroyed => {
            format!("destroyed after too many wrong passwords: no password opens it; {KEY_STILL_OPENS}")
        }
        AccountState::Deleted => format!("deleted (encrypted backup turned off); {KEY_STILL_OPENS}"),
        AccountState::Unknown => format!("unknown: the vault holds no record under this account; {KEY_STILL_OPENS}"),
    };
    println!("  state:   {state}");
    Ok(())
}

/// `ebak vault delete`: logs in with the password (one guess, after the
/// last-guess rule) and deletes the record.
pub fn vault_delete(args: &VaultArgs, global: Global) -> Result<(), CliError> {
    let (_, slot, password_slots) = slot_of(&args.file)?;
    if args.sources.key || args.sources.key_file.is_some() {
        return Err(CliError::usage(
            "vault delete needs the vault password (the vault deletes a record only after a login with it), not the key",
        ));
    }
    let Secret::Password(password) = args.sources.unlock()? else {
        return Err(CliError::usage(
            "vault delete needs the vault password: unset EBAK_KEY, or give --password-file or EBAK_PASSWORD",
        ));
    };
    vault::before_login(&args.file, &slot, args.sources.spend_last_guess)?;
    crate::progress::while_deriving(|| ebak_vault_client::delete(&slot, password.expose_secret(), &KdfLimits::V1))
        .map_err(|e| vault::error(&args.file, slot.url(), &e))?;
    if !global.quiet {
        eprintln!(
            "ebak: deleted the vault record of {}: the vault password no longer opens it; only the 64-digit key does{}",
            args.file.display(),
            if password_slots > 0 { " (and its password slots)" } else { "" }
        );
        eprintln!("ebak: the file keeps its vault slot (it holds no secret); `ebak vault status` reports it deleted");
    }
    Ok(())
}
