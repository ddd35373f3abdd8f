//! Where secrets come from: an environment variable, a file, or a prompt
//! on the terminal. Secrets are held in wiping containers and never printed.
//!
//! A secret read from a file loses exactly one final line break (`\n` or
//! `\r\n`), because editors add one; any other byte, spaces included, is
//! part of it. A secret from an environment variable is used as it is.

use crate::error::{CliError, Context, from_lib};
use ebak_core::header::Header;
use ebak_core::recovery_key;
use ebak_core::slot::PasswordSlot;
use ebak_core::{BackupKey, Password, Secret};
use std::io::{self, IsTerminal};
use std::path::Path;
use zeroize::Zeroizing;

/// The password variable: the current password (to open or to protect).
pub const ENV_PASSWORD: &str = "EBAK_PASSWORD";
/// The 64-digit key variable.
pub const ENV_KEY: &str = "EBAK_KEY";
/// The new password, for `passwd` and `rotate`.
pub const ENV_NEW_PASSWORD: &str = "EBAK_NEW_PASSWORD";

/// Moves a password out of its wiping container into the core's.
pub fn into_password(mut text: Zeroizing<String>) -> Password {
    Password::new(std::mem::take(&mut *text))
}

/// Whether a prompt can be shown: standard error is a terminal, and so is
/// the controlling terminal the prompt is read from (`/dev/tty`, so that
/// standard input can carry the data: `tar c . | ebak backup - ...`).
/// Anything else (a pipe, a file, a CI job) never prompts.
pub fn interactive() -> bool {
    if !io::stderr().is_terminal() {
        return false;
    }
    #[cfg(unix)]
    {
        std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty").is_ok()
    }
    #[cfg(not(unix))]
    {
        io::stdin().is_terminal()
    }
}

/// Removes one final `\n` or `\r\n`.
fn strip_one_line_break(mut text: Zeroizing<String>) -> Zeroizing<String> {
    let len = text.len();
    if text.ends_with("\r\n") {
        text.truncate(len.saturating_sub(2));
    } else if text.ends_with('\n') {
        text.truncate(len.saturating_sub(1));
    }
    text
}

/// Reads a secret file as UTF-8, minus one final line break.
pub fn read_secret_file(path: &Path, what: &str) -> Result<Zeroizing<String>, CliError> {
    let bytes =
        Zeroizing::new(std::fs::read(path).map_err(|e| CliError::io(path, &format!("cannot read {what} file"), &e))?);
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| CliError::usage(format!("{what} file {} is not valid UTF-8", path.display())))?;
    Ok(strip_one_line_break(Zeroizing::new(text.to_owned())))
}

fn env_secret(var: &str) -> Option<Zeroizing<String>> {
    std::env::var(var).ok().map(Zeroizing::new)
}

fn prompt(label: &str) -> Result<Zeroizing<String>, CliError> {
    rpassword::prompt_password(label)
        .map(Zeroizing::new)
        .map_err(|e| CliError::io_plain("cannot read from the terminal", &e))
}

/// Parses a 64-digit key, with the parser's own words for what is wrong.
pub fn parse_key(text: &str, source: &str) -> Result<BackupKey, CliError> {
    recovery_key::parse(text).map_err(|e| CliError::usage(format!("{source}: {e}")))
}

/// Where the command line says a key or password comes from.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// `--password`: use a password (prompted if no file or variable).
    pub password: bool,
    /// `--password-file`.
    pub password_file: Option<std::path::PathBuf>,
    /// `--key`: use the 64-digit key (prompted if no file or variable).
    pub key: bool,
    /// `--key-file`.
    pub key_file: Option<std::path::PathBuf>,
}

impl Sources {
    /// The key, if the command line or the environment gives one: the key
    /// file, then `EBAK_KEY`, then a prompt if `--key` was given.
    pub fn key(&self) -> Result<Option<BackupKey>, CliError> {
        if let Some(path) = &self.key_file {
            let text = read_secret_file(path, "key")?;
            return parse_key(&text, &format!("key file {}", path.display())).map(Some);
        }
        if let Some(text) = env_secret(ENV_KEY) {
            return parse_key(&text, ENV_KEY).map(Some);
        }
        if self.key {
            if !interactive() {
                return Err(CliError::usage(format!(
                    "--key needs a terminal to prompt on; use --key-file or {ENV_KEY}"
                )));
            }
            let text = prompt("64-digit key: ")?;
            return parse_key(&text, "the 64-digit key").map(Some);
        }
        Ok(None)
    }

    /// The password, if given: the password file, then `EBAK_PASSWORD`,
    /// then a prompt (twice when `confirm`) if `--password` was given.
    pub fn password(&self, confirm: bool) -> Result<Option<Password>, CliError> {
        if let Some(path) = &self.password_file {
            return read_secret_file(path, "password").map(|p| Some(into_password(p)));
        }
        if let Some(p) = env_secret(ENV_PASSWORD) {
            return Ok(Some(into_password(p)));
        }
        if self.password {
            return prompt_password(confirm, "Password", ENV_PASSWORD, "--password-file")
                .map(|p| Some(into_password(p)));
        }
        Ok(None)
    }

    /// The secret that opens a file: the key if one is given, else a
    /// password, else (on a terminal) a password prompt.
    pub fn unlock(&self) -> Result<Secret, CliError> {
        if self.key_file.is_some() || self.key {
            return Ok(Secret::Key(self.key()?.ok_or_else(|| CliError::usage("no key given"))?));
        }
        if self.password_file.is_some() || self.password {
            return Ok(Secret::Password(self.password(false)?.ok_or_else(|| CliError::usage("no password given"))?));
        }
        if let Some(key) = self.key()? {
            return Ok(Secret::Key(key));
        }
        if let Some(password) = self.password(false)? {
            return Ok(Secret::Password(password));
        }
        if interactive() {
            return prompt("Password (or run with --key for the 64-digit key): ")
                .map(|p| Secret::Password(into_password(p)));
        }
        Err(CliError::usage(format!(
            "no password or key: set {ENV_PASSWORD} or {ENV_KEY}, or use --password-file or --key-file"
        )))
    }
}

/// Prompts for a password, twice if `confirm`; refuses an empty one when
/// confirming (a new password).
pub fn prompt_password(confirm: bool, what: &str, var: &str, flag: &str) -> Result<Zeroizing<String>, CliError> {
    if !interactive() {
        return Err(CliError::usage(format!("no terminal to prompt for a password on: set {var} or use {flag}")));
    }
    loop {
        let first = prompt(&format!("{what}: "))?;
        if !confirm {
            return Ok(first);
        }
        if first.is_empty() {
            eprintln!("The password is empty; type one, or press Ctrl-C.");
            continue;
        }
        let second = prompt(&format!("{what} (again): "))?;
        if *first == *second {
            return Ok(first);
        }
        eprintln!("The two passwords differ; try again.");
    }
}

/// A new password for `passwd` and `rotate`: `--new-password-file`, then
/// `EBAK_NEW_PASSWORD`, then a double prompt.
pub fn new_password(file: Option<&Path>) -> Result<Password, CliError> {
    let password = if let Some(path) = file {
        read_secret_file(path, "new password")?
    } else if let Some(p) = env_secret(ENV_NEW_PASSWORD) {
        p
    } else {
        prompt_password(true, "New password", ENV_NEW_PASSWORD, "--new-password-file")?
    };
    if password.is_empty() {
        return Err(CliError::usage("the new password is empty"));
    }
    Ok(into_password(password))
}

// A new backup's secrets.

/// A fresh 64-digit key.
pub fn new_key() -> Result<BackupKey, CliError> {
    ebak::new_key().map_err(|_| {
        CliError::io_plain("cannot make a key", &io::Error::other("the system random number generator failed"))
    })
}

/// A password slot with the default costs.
pub fn password_slot(key: &BackupKey, password: &Password) -> Result<PasswordSlot, CliError> {
    ebak::password_slot(key, password).map_err(|e| from_lib(e, Context::new(Path::new(""))))
}

/// How a command names the flags of a new backup's secrets (`backup` says
/// `--key`, `import-whatsapp --to-ebak` says `--ebak-key`).
#[derive(Clone, Copy, Debug)]
pub struct KeyFlags {
    /// The key flags, as "--key or --key-file".
    pub key_flags: &'static str,
    /// The list of key sources, as "--key, --key-file or EBAK_KEY".
    pub key_sources: &'static str,
    /// What is being made, as "this backup".
    pub what: &'static str,
    /// What a key is called, as "a key".
    pub a_key: &'static str,
    /// Ask for a new password on a terminal when nothing was given.
    pub prompt_if_none: bool,
}

/// The secrets of a new backup: its key (given, or new with `--new-key`)
/// and the header with a password slot if a password was given; and
/// whether the key is new and must be shown.
pub fn new_backup_secrets(
    sources: &Sources,
    make_key: bool,
    flags: KeyFlags,
) -> Result<(BackupKey, Header, bool), CliError> {
    if make_key && (sources.key || sources.key_file.is_some()) {
        return Err(CliError::usage(format!(
            "--new-key makes a new key; it cannot be combined with {}",
            flags.key_flags
        )));
    }
    let given_key = if make_key { None } else { sources.key()? };
    let mut password = sources.password(true)?;
    if flags.prompt_if_none && given_key.is_none() && password.is_none() && !make_key && interactive() {
        // Nothing given, on a terminal: ask for a new password (twice).
        let typed = prompt_password(true, "Password", ENV_PASSWORD, "--password-file")?;
        password = Some(into_password(typed));
    }
    if password.as_ref().is_some_and(Password::is_empty) {
        return Err(CliError::usage("the password is empty"));
    }
    if given_key.is_none() && password.is_none() && !make_key {
        return Err(CliError::usage(format!(
            "nothing would open {}: give a password (--password, --password-file or {}), {} ({}), or --new-key",
            flags.what, ENV_PASSWORD, flags.a_key, flags.key_sources,
        )));
    }
    let show_key = given_key.is_none() && make_key;
    let key = match given_key {
        Some(k) => k,
        None => new_key()?,
    };
    let mut slots = Vec::new();
    if let Some(p) = &password {
        slots.push(password_slot(&key, p)?.into());
    }
    let header = ebak::new_header(&key, slots).map_err(|e| from_lib(e, Context::new(Path::new(""))))?;
    Ok((key, header, show_key))
}

/// Prints a new 64-digit key (on standard error when standard output
/// carries the backup) and the warning that goes with it.
pub fn show_new_key(key: &BackupKey, to_stderr: bool) {
    let text = recovery_key::format(key);
    if to_stderr {
        eprintln!("{}", text.as_str());
    } else {
        println!("{}", text.as_str());
    }
    eprintln!("{}", crate::global::KEY_WARNING);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_line_break_is_stripped() {
        let s = |t: &str| strip_one_line_break(Zeroizing::new(t.to_owned())).to_string();
        assert_eq!(s("pw\n"), "pw");
        assert_eq!(s("pw\r\n"), "pw");
        assert_eq!(s("pw\n\n"), "pw\n");
        assert_eq!(s("pw "), "pw ");
        assert_eq!(s(" pw\t\n"), " pw\t");
        assert_eq!(s("pw"), "pw");
    }
}
