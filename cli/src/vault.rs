//! The backup key vault, as the tool uses it (`spec/ebak-vault-v1.md`,
//! the vault slot of `spec/ebak-v1.md` 4.6): registering a new backup's
//! key, recovering it with the password, the last-guess rule, and the
//! words and exit codes of every vault failure.
//!
//! Nothing here prints or returns a secret: the client's errors carry
//! none, and the messages name the file, the vault's URL and counts.

use crate::error::{CliError, Exit};
use crate::secrets::interactive;
use ebak_core::header::Header;
use ebak_core::kdf::KdfLimits;
use ebak_core::slot::{VaultSlot, VaultSlotError};
use ebak_core::{BackupKey, Password};
use ebak_vault_client::{self as client, Error, Options, VaultStatus};
use ebak_vault_proto::KeyId;
use ebak_vault_proto::msg::AccountState;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

/// What the messages say about the key that still opens a file.
pub const KEY_STILL_OPENS: &str = "the 64-digit key still opens the file (--key, --key-file or EBAK_KEY)";

/// The first vault slot of a header: its index, and its body decoded (a
/// body that does not decode makes the slot unusable, not the header
/// invalid: spec 4.6).
#[must_use]
pub fn find(header: &Header) -> Option<(usize, Result<VaultSlot, VaultSlotError>)> {
    header.slots().iter().enumerate().find_map(|(i, s)| VaultSlot::from_slot(s).map(|r| (i, r)))
}

/// A vault slot that does not decode, when a password has nothing else to
/// open: no slot opens with it (exit 3, as for a file without a password).
#[must_use]
pub fn unusable(file: &Path, e: VaultSlotError) -> CliError {
    CliError {
        exit: Exit::WrongSecret,
        message: format!(
            "{}: the vault slot is unusable ({e}), and no other slot opens with a password; {KEY_STILL_OPENS}",
            file.display()
        ),
    }
}

/// The key id of the vault keys a slot pins (what `--vault-key` names).
#[must_use]
pub fn key_id(slot: &VaultSlot) -> KeyId {
    client::pinned_keys(slot).key_id()
}

/// Checks a URL against the vault slot's rules (spec 4.6: `http://` or
/// `https://`, 8 to 512 printable ASCII bytes) before anything is asked.
pub fn check_url(url: &str) -> Result<(), CliError> {
    let ksf = ebak_vault_proto::DEFAULT_KSF;
    VaultSlot::new([0; 16], [0; 32], [0; 32], [0; 16], ksf, url).map(|_| ()).map_err(|_| {
        CliError::usage(format!(
            "--vault {}: not a vault URL (http:// or https://, up to 512 printable characters, no spaces)",
            crate::error::printable(url)
        ))
    })
}

/// Parses `--vault-key`: the 32 hex digits of a key id.
pub fn parse_key_id(text: &str) -> Result<KeyId, CliError> {
    KeyId::from_hex(text.trim()).ok_or_else(|| {
        CliError::usage("--vault-key: expected the vault's key id, 32 hex digits (`ebak-vault keys` prints it)")
    })
}

/// The message and exit code of a vault failure about `file`.
#[must_use]
pub fn error(file: &Path, url: &str, e: &Error) -> CliError {
    let name = file.display();
    let wrong = |message: String| CliError { exit: Exit::WrongSecret, message };
    match e {
        Error::WrongPassword { guesses_left: Some(n) } => wrong(format!(
            "{name}: wrong password: the vault has {n} guess{} left for this backup before it destroys its copy of the key{}",
            if *n == 1 { "" } else { "es" },
            if *n == 1 { " (the next attempt asks before it spends the last one)" } else { "" }
        )),
        Error::WrongPassword { guesses_left: None } => {
            wrong(format!("{name}: wrong password (the vault did not say how many guesses are left)"))
        }
        Error::Destroyed => wrong(format!(
            "{name}: the vault destroyed its copy of this backup's key after too many wrong passwords: no password opens it through the vault any more; {KEY_STILL_OPENS}"
        )),
        Error::Deleted => wrong(format!(
            "{name}: the vault record of this backup was deleted (encrypted backup turned off): the vault password no longer opens it; {KEY_STILL_OPENS}"
        )),
        Error::NoGuessesLeft => wrong(format!(
            "{name}: the vault has no guess left for this backup right now (another login may be running, or the record is being destroyed); {KEY_STILL_OPENS}"
        )),
        Error::UnknownAccount => wrong(format!(
            "{name}: the vault at {url} holds no record for this backup (another vault at that address?); {KEY_STILL_OPENS}"
        )),
        Error::Transport(m) => CliError { exit: Exit::Io, message: format!("cannot reach the vault at {url}: {m}") },
        Error::Protocol(p) => CliError::damaged(format!(
            "the vault at {url} answered outside the protocol, or not with the keys this file pins ({p}): refused"
        )),
        Error::BadSlot(m) => CliError::damaged(format!("{name}: unusable vault slot: {m}")),
        Error::Usage(m) => CliError::usage(m.clone()),
        other => CliError { exit: Exit::Io, message: format!("vault at {url}: {other}") },
    }
}

/// The signed status of the slot's record.
pub fn status(file: &Path, slot: &VaultSlot) -> Result<VaultStatus, CliError> {
    client::status(slot).map_err(|e| error(file, slot.url(), &e))
}

/// Before a login (which spends a guess): the record must be live with a
/// guess left, and the last guess is spent only when the user says so
/// (on a terminal: a question; otherwise `--spend-last-guess`).
pub fn before_login(file: &Path, slot: &VaultSlot, spend_last_guess: bool) -> Result<(), CliError> {
    let s = status(file, slot)?;
    match s.state {
        AccountState::Live => {}
        AccountState::Destroyed => return Err(error(file, slot.url(), &Error::Destroyed)),
        AccountState::Deleted => return Err(error(file, slot.url(), &Error::Deleted)),
        AccountState::Unknown => return Err(error(file, slot.url(), &Error::UnknownAccount)),
    }
    match s.guesses_left {
        0 => Err(error(file, slot.url(), &Error::NoGuessesLeft)),
        1 if spend_last_guess => {
            eprintln!("ebak: warning: spending the vault's last guess for {} (--spend-last-guess)", file.display());
            Ok(())
        }
        1 => confirm_last_guess(file),
        _ => Ok(()),
    }
}

const LAST_GUESS: &str =
    "the vault has 1 guess left for this backup: a wrong password now destroys its copy of the key for good";

/// The last-guess question, on the terminal; a refusal (exit 2) without one.
fn confirm_last_guess(file: &Path) -> Result<(), CliError> {
    let refuse = || {
        CliError::usage(format!(
            "{}: {LAST_GUESS}; not spending it: run on a terminal to confirm, or give --spend-last-guess; without the vault, {KEY_STILL_OPENS}",
            file.display()
        ))
    };
    if !interactive() {
        return Err(refuse());
    }
    eprintln!("ebak: warning: {}: {LAST_GUESS}; without the vault, {KEY_STILL_OPENS}.", file.display());
    let answer = ask("Type yes to spend the last guess: ")
        .map_err(|e| CliError::io_plain("cannot read from the terminal", &e))?;
    if answer.trim() == "yes" { Ok(()) } else { Err(refuse()) }
}

/// One line from the controlling terminal, after `prompt` on it.
fn ask(prompt: &str) -> std::io::Result<String> {
    let mut tty = std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty")?;
    tty.write_all(prompt.as_bytes())?;
    tty.flush()?;
    let mut line = String::new();
    BufReader::new(tty).read_line(&mut line)?;
    Ok(line)
}

/// The backup key, recovered from the vault with `password` (one guess,
/// after [`before_login`]).
pub fn recover(
    file: &Path,
    slot: &VaultSlot,
    password: &Password,
    spend_last_guess: bool,
) -> Result<BackupKey, CliError> {
    before_login(file, slot, spend_last_guess)?;
    crate::progress::while_deriving(|| client::recover(slot, password.expose_secret(), &KdfLimits::V1))
        .map_err(|e| error(file, slot.url(), &e))
}

/// Registers `key` under `password` on the vault at `url` for a new
/// backup `file`: fetches the vault's keys, shows their key id and
/// checks it against `pin` (`--vault-key`), and returns the slot that
/// pins them.
pub fn register(
    file: &Path,
    url: &str,
    pin: Option<KeyId>,
    password: &Password,
    key: &BackupKey,
    quiet: bool,
) -> Result<VaultSlot, CliError> {
    let keys = client::fetch_keys(url).map_err(|e| error(file, url, &e))?;
    let id = keys.key_id();
    match pin {
        Some(p) if p != id => {
            return Err(CliError::damaged(format!(
                "the vault at {url} presents key id {id}, not the {p} given with --vault-key: not registering (another vault, or its keys changed)"
            )));
        }
        Some(_) if !quiet => eprintln!("ebak: vault {url}: key id {id} (matches --vault-key)"),
        None if !quiet => eprintln!(
            "ebak: vault {url}: key id {id}, pinned in this backup on first use (compare it with the one the vault's operator publishes; --vault-key pins it explicitly)"
        ),
        _ => {}
    }
    crate::progress::while_deriving(|| client::register(url, keys, password.expose_secret(), key, &Options::default()))
        .map_err(|e| error(file, url, &e))
}
