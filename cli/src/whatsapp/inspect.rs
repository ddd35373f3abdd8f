//! `ebak inspect` on a WhatsApp crypt15 file: what its header claims and
//! whether it ends with a matching MD5, without the key.

use super::import_error;
use crate::error::CliError;
use ebak_core::header::MAGIC;
use ebak_crypt15::decrypt::Md5Check;
use ebak_crypt15::header::{MAX_HEADER_BYTES, key_type_name};
use ebak_crypt15::{HeaderError, ImportError};
use std::io::{self, Read};
use std::path::Path;

/// For `ebak inspect`: if `input` is a crypt15 file, describes it and
/// returns `None`; otherwise returns a reader that yields the whole input
/// again, for the ebak path.
///
/// # Errors
///
/// A file that is named `*.crypt15` (or has a crypt14 header) but does not
/// parse, and I/O errors.
pub fn inspect_if_crypt15(
    file: &Path,
    mut input: Box<dyn Read + Send>,
    json: bool,
) -> Result<Option<Box<dyn Read + Send>>, CliError> {
    let mut head = Vec::with_capacity(MAX_HEADER_BYTES);
    input
        .by_ref()
        .take(u64::try_from(MAX_HEADER_BYTES).unwrap_or(u64::MAX))
        .read_to_end(&mut head)
        .map_err(|e| CliError::io(file, "cannot read", &e))?;
    let named_crypt15 = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("crypt15"));
    let parsed = ebak_crypt15::Header::parse(&head);
    match parsed {
        _ if head.starts_with(&MAGIC) => {}
        Ok(_) => {
            let all = io::Cursor::new(head).chain(input);
            let survey = ebak_crypt15::survey(all).map_err(|e| import_error(file, file, e))?;
            print_survey(file, &survey, json);
            return Ok(None);
        }
        Err(e @ HeaderError::Crypt14) => return Err(import_error(file, file, ImportError::Header(e))),
        Err(e) if named_crypt15 => return Err(import_error(file, file, ImportError::Header(e))),
        Err(_) => {}
    }
    Ok(Some(Box::new(io::Cursor::new(head).chain(input))))
}

fn print_survey(file: &Path, s: &ebak_crypt15::Survey, json: bool) {
    let h = &s.header;
    let info = h.prefix.info.as_ref();
    let md5 = s.md5 == Md5Check::Matches;
    let trailer: u64 = if md5 { 32 } else { 16 };
    let ciphertext = s.body_len.checked_sub(trailer);
    let variant = match (md5, h.feature_table) {
        (true, _) => "msgstore",
        (false, true) => "msgstore-damaged",
        (false, false) => "multi-file-or-damaged",
    };
    let features: Vec<u32> = info.map(|i| i.features.enabled().collect()).unwrap_or_default();
    if json {
        let iv: String = h.prefix.iv.iter().map(|b| format!("{b:02x}")).collect();
        let value = serde_json::json!({
            "format": "whatsapp-crypt15",
            "headerLength": s.header_len,
            "featureTable": h.feature_table,
            "keyType": h.prefix.key_type,
            "keyTypeName": h.prefix.key_type.and_then(key_type_name),
            "appVersion": h.app_version(),
            "backupVersion": info.and_then(|i| i.backup_version),
            "featureFlags": features,
            "iv": iv,
            "bodyLength": s.body_len,
            "md5Matches": md5,
            "ciphertextLength": ciphertext,
            "variant": variant,
            "headerAuthenticated": false,
        });
        println!("{value:#}");
        return;
    }
    println!(
        "{}: WhatsApp crypt15 backup (not an ebak file; `ebak import-whatsapp` opens it with the 64-digit key)",
        file.display()
    );
    println!(
        "header: {} bytes, feature table flag: {} (not authenticated: these fields are what the file claims)",
        s.header_len,
        if h.feature_table { "yes" } else { "no" }
    );
    match h.prefix.key_type {
        Some(k) => println!("key type: {k} ({})", key_type_name(k).unwrap_or("unknown")),
        None => println!("key type: not given"),
    }
    match h.app_version() {
        Some(v) => println!("app version: {v:?}"),
        None => println!("app version: not given"),
    }
    if let Some(b) = info.and_then(|i| i.backup_version) {
        println!("backup version: {b}");
    }
    if !features.is_empty() {
        println!("feature flags: {} set", features.len());
    }
    let v = match variant {
        "msgstore" => {
            "msgstore database: ends with a GCM tag and an MD5 of the rest, and the MD5 matches (the file is intact; the MD5 is not keyed, so this says nothing about who made it)"
        }
        "msgstore-damaged" => {
            "msgstore database by its header, but the MD5 at the end does not match: damaged or truncated"
        }
        _ => {
            "no matching MD5 at the end: a multi-file backup (stickers, wallpapers: a ZIP, tag only), or a damaged file"
        }
    };
    println!("variant: {v}");
    match ciphertext {
        Some(c) => println!(
            "payload: {} bytes after the header: {c} bytes of AES-256-GCM ciphertext, a 16-byte tag{}",
            s.body_len,
            if md5 { ", a 16-byte MD5" } else { "" }
        ),
        None => println!("payload: {} bytes after the header: too short for a tag (truncated)", s.body_len),
    }
}
