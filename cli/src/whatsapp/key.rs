//! Where the WhatsApp root key comes from: `--key`, `--key-file` (the
//! Java-serialized `encrypted_backup.key`, or text), `EBAK_WA_KEY`, or a
//! prompt. The key never reaches a message.

use super::{ENV_WA_KEY, ImportArgs};
use crate::error::CliError;
use crate::secrets;
use ebak_core::recovery_key;
use ebak_crypt15::RootKey;
use std::fs;
use std::path::Path;
use zeroize::Zeroizing;

/// Parses 64 hexadecimal digits (spaces and dashes skipped) as a root key.
fn parse_hex(text: &str, source: &str) -> Result<RootKey, CliError> {
    let key = recovery_key::parse(text)
        .map_err(|e| CliError::usage(format!("{source}: {e} (a WhatsApp 64-digit key is 64 hexadecimal digits)")))?;
    Ok(RootKey::from_bytes(*key.expose_secret()))
}

/// The WhatsApp root key: `--key`, `--key-file`, `EBAK_WA_KEY`, or a prompt.
pub(super) fn wa_key(args: &ImportArgs) -> Result<RootKey, CliError> {
    if let Some(text) = &args.key {
        return parse_hex(&Zeroizing::new(text.clone()), "--key");
    }
    if let Some(path) = &args.key_file {
        return read_key_file(path);
    }
    if let Ok(text) = std::env::var(ENV_WA_KEY) {
        return parse_hex(&Zeroizing::new(text), ENV_WA_KEY);
    }
    if secrets::interactive() {
        let text = rpassword::prompt_password("WhatsApp 64-digit key: ")
            .map(Zeroizing::new)
            .map_err(|e| CliError::io_plain("cannot read from the terminal", &e))?;
        return parse_hex(&text, "the 64-digit key");
    }
    Err(CliError::usage(format!(
        "no WhatsApp key: give --key-file encrypted_backup.key, set {ENV_WA_KEY} to the 64-digit key, or use --key"
    )))
}

/// A key file: the 59-byte Java-serialized `encrypted_backup.key`, or text
/// holding the 64 hexadecimal digits (one final line break removed).
fn read_key_file(path: &Path) -> Result<RootKey, CliError> {
    let bytes = Zeroizing::new(fs::read(path).map_err(|e| CliError::io(path, "cannot read key file", &e))?);
    let name = path.display();
    let binary = bytes.starts_with(&[0xac, 0xed]) || bytes.len() == ebak_crypt15::key::KEY_FILE_BYTES;
    if binary {
        return ebak_crypt15::parse_key_file(&bytes).map_err(|e| CliError::usage(format!("key file {name}: {e}")));
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Err(CliError::usage(format!(
            "key file {name}: neither a WhatsApp key file (encrypted_backup.key, {} bytes, Java-serialized) nor text with the 64-digit key",
            ebak_crypt15::key::KEY_FILE_BYTES
        )));
    };
    let text = text.strip_suffix("\r\n").or_else(|| text.strip_suffix('\n')).unwrap_or(text);
    parse_hex(text, &format!("key file {name}"))
}
