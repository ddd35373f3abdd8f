//! The subcommands.

mod backup;
mod inspect;
mod keygen;
mod ls;
mod passwd;
mod restore;
mod rotate;
mod vault;
mod verify;

pub use backup::{BackupArgs, backup};
pub use inspect::inspect;
pub use keygen::keygen;
pub use ls::{LsArgs, ls};
pub use passwd::{PasswdAction, PasswdArgs, passwd};
pub use restore::{RestoreArgs, restore};
pub use rotate::{RotateArgs, rotate};
pub use vault::{VaultArgs, vault_delete, vault_status};
pub use verify::{VerifyArgs, verify};

use crate::error::{CliError, Context, from_lib};
use crate::global::Global;
use crate::progress::Progress;
use crate::secrets::Sources;
use crate::target::is_stdio;
use ebak::{Locked, StreamOptions};
use ebak_core::Secret;
use ebak_core::chunk;
use ebak_core::error::OpenError;
use ebak_core::file::Unlocked;
use std::fs;
use std::io::{self, Read};
use std::path::Path;

/// A backup file (or standard input), its header read.
pub(crate) type Input = Locked<Box<dyn Read + Send>>;

/// Opens the backup file (or standard input) and reads its header.
pub(crate) fn read_input(file: &Path) -> Result<Input, CliError> {
    let input: Box<dyn Read + Send> = if is_stdio(file) {
        Box::new(io::stdin())
    } else if let Some(remote) = crate::remote::parse(file)? {
        remote.reader()?
    } else {
        Box::new(fs::File::open(file).map_err(|e| CliError::io(file, "cannot open", &e))?)
    };
    Locked::read(input).map_err(|e| from_lib(e, Context::new(file)))
}

/// How a file was opened.
#[derive(Debug)]
pub(crate) enum Opened {
    /// With the 64-digit key.
    Key,
    /// With a password, by a password slot.
    PasswordSlot,
    /// With a password, through the vault slot at `index` (the backup key
    /// recovered from the vault; the password is kept for a password
    /// change, which logs in again).
    Vault {
        /// The vault slot's index in the header.
        index: usize,
        /// The vault slot.
        slot: ebak_core::slot::VaultSlot,
        /// The password the vault accepted.
        password: ebak_core::Password,
    },
}

/// Opens the input file (or standard input), asks for the secret, and
/// unlocks it; returns the context its errors are told in (which secret).
pub(crate) fn open_input<'a>(file: &'a Path, sources: &Sources) -> Result<(Input, Unlocked, Context<'a>), CliError> {
    open_input_how(file, sources).map(|(input, unlocked, cx, _)| (input, unlocked, cx))
}

/// [`open_input`], and how the file was opened.
///
/// A password is tried on the password slots first (that costs time, not
/// vault guesses); if none opens and the header has a vault slot, the
/// password goes to the vault (one guess, after the last-guess rule of
/// [`crate::vault::before_login`]), and the key it returns must pass the
/// header MAC like any other.
pub(crate) fn open_input_how<'a>(
    file: &'a Path,
    sources: &Sources,
) -> Result<(Input, Unlocked, Context<'a>, Opened), CliError> {
    let input = read_input(file)?;
    let secret = sources.unlock()?;
    let password_slots =
        input.header().slots().iter().filter(|s| matches!(s, ebak_core::header::Slot::Password(_))).count();
    let cx = Context { by_key: secret.is_key(), password_slots: Some(password_slots), ..Context::new(file) };
    let vault = crate::vault::find(input.header());
    let password = match (&secret, vault) {
        (Secret::Password(p), Some(v)) => Some((p, v)),
        _ => None,
    };
    let Some((password, (index, slot))) = password else {
        let unlock = || input.unlock(&secret);
        let unlocked = if secret.is_key() { unlock() } else { crate::progress::while_deriving(unlock) };
        let unlocked = unlocked.map_err(|e| from_lib(e, cx))?;
        let how = if secret.is_key() { Opened::Key } else { Opened::PasswordSlot };
        return Ok((input, unlocked, cx, how));
    };
    let mut no_slot_opens = None;
    if password_slots > 0 {
        match crate::progress::while_deriving(|| input.unlock(&secret)) {
            Ok(unlocked) => return Ok((input, unlocked, cx, Opened::PasswordSlot)),
            Err(e @ ebak::Error::Open { error: OpenError::NoSlotOpens, .. }) => no_slot_opens = Some(e),
            Err(e) => return Err(from_lib(e, cx)),
        }
    }
    // Spec 4.6: a vault slot whose body does not decode is unusable, and
    // skipped like a slot of an unknown type.
    let slot = match (slot, no_slot_opens) {
        (Ok(slot), _) => slot,
        (Err(_), Some(e)) => return Err(from_lib(e, cx)),
        (Err(e), None) => return Err(crate::vault::unusable(file, e)),
    };
    let key = crate::vault::recover(file, &slot, password, sources.spend_last_guess)?;
    let unlocked = input.unlock(&Secret::Key(key)).map_err(|e| match e {
        ebak::Error::Open { error: OpenError::HeaderMac, .. } => CliError::damaged(format!(
            "{}: the key the vault released does not authenticate this file's header (the header or its vault slot was altered)",
            file.display()
        )),
        other => from_lib(other, Context { by_key: true, ..cx }),
    })?;
    Ok((input, unlocked, cx, Opened::Vault { index, slot, password: password.clone() }))
}

/// The plaintext length, if the input is a file (for the progress bar).
pub(crate) fn plaintext_len(file: &Path, header_len: u64) -> Option<u64> {
    let len = match crate::remote::parse(file) {
        Ok(Some(remote)) => remote.size().ok()?,
        _ => fs::metadata(file).ok()?.len(),
    };
    chunk::layout(len.checked_sub(header_len)?).ok().map(|l| l.message_len)
}

/// Stream options with a progress bar moved by the stream.
pub(crate) fn with_progress(global: Global, bar: &Progress) -> StreamOptions {
    let bar = bar.clone();
    StreamOptions { threads: global.threads, progress: Some(Box::new(move |n| bar.set(n))) }
}
