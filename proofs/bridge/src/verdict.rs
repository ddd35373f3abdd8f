//! The Rust side's verdicts, printed in the format the model's driver
//! (`proofs/coq/driver/driver.ml`) prints its own in, so that the two can be
//! compared line by line.
//!
//! - header (`H`, `P`): `ok LEN SLOTS MAC canonical|NONCANONICAL` or
//!   `err KIND`, where SLOTS is `-` or the slots joined by `|`, each
//!   `pw:SALT:M:T:P:WRAPPED` or `other:TYPE:BODY`, and the last word says
//!   whether re-encoding the parsed header gives back the bytes read;
//! - slot (`S`): `ok SLOT canonical|NONCANONICAL` or `err KIND`;
//! - 64-digit key (`K`): `ok KEYHEX`, `err InvalidCharacter:CODEPOINTHEX:POS`,
//!   `err TooShort:N` or `err TooLong:N`;
//! - formatting (`F`): `fmt TEXT`.

use ebak_core::header::{Header, HeaderError, Slot};
use ebak_core::recovery_key::{self, RecoveryKeyError};
use ebak_core::secret::BackupKey;
use std::fmt::Write as _;

/// Lowercase hex.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn show_slot(slot: &Slot) -> String {
    match slot {
        Slot::Password(p) => {
            let k = p.params();
            format!(
                "pw:{}:{}:{}:{}:{}",
                hex(p.kdf_salt()),
                k.memory_kib,
                k.iterations,
                k.parallelism,
                hex(p.wrapped_key())
            )
        }
        Slot::Other(o) => format!("other:{}:{}", o.slot_type(), hex(o.body())),
    }
}

fn show_slots(slots: &[Slot]) -> String {
    if slots.is_empty() { "-".to_owned() } else { slots.iter().map(show_slot).collect::<Vec<_>>().join("|") }
}

/// The name of a header error, as the model's driver prints it.
#[must_use]
pub fn header_error(e: &HeaderError) -> String {
    match e {
        HeaderError::Truncated => "Truncated".to_owned(),
        HeaderError::BadMagic => "BadMagic".to_owned(),
        HeaderError::UnsupportedVersion(v) => format!("UnsupportedVersion:{v}"),
        HeaderError::TooManySlots(n) => format!("TooManySlots:{n}"),
        HeaderError::ReservedSlotType => "ReservedSlotType".to_owned(),
        HeaderError::SlotLength { slot_type } => format!("SlotLength:{slot_type}"),
        HeaderError::InvalidKdfParams => "InvalidKdfParams".to_owned(),
        HeaderError::DuplicateSlot => "DuplicateSlot".to_owned(),
        HeaderError::TrailingData => "TrailingData".to_owned(),
        // The enum is non-exhaustive: a new error the model does not know
        // is a disagreement, reported as such.
        other => format!("Unmodelled({other:?})"),
    }
}

fn show_header(h: &Header, len: usize, input: &[u8]) -> String {
    let canonical = if Some(h.to_bytes().as_slice()) == input.get(..len) { "canonical" } else { "NONCANONICAL" };
    format!("ok {len} {} {} {canonical}", show_slots(h.slots()), hex(h.mac()))
}

/// `Header::parse` on `input`.
#[must_use]
pub fn parse(input: &[u8]) -> String {
    match Header::parse(input) {
        Ok(h) => show_header(&h, input.len(), input),
        Err(e) => format!("err {}", header_error(&e)),
    }
}

/// `Header::parse_prefix` on `input`.
#[must_use]
pub fn parse_prefix(input: &[u8]) -> String {
    match Header::parse_prefix(input) {
        Ok((h, len)) => show_header(&h, len, input),
        Err(e) => format!("err {}", header_error(&e)),
    }
}

/// `Slot::parse` on `input`.
#[must_use]
pub fn parse_slot(input: &[u8]) -> String {
    match Slot::parse(input) {
        Ok(s) => {
            let canonical = if s.to_bytes() == input { "canonical" } else { "NONCANONICAL" };
            format!("ok {} {canonical}", show_slot(&s))
        }
        Err(e) => format!("err {}", header_error(&e)),
    }
}

/// `recovery_key::parse` on `text`.
#[must_use]
pub fn parse_key(text: &str) -> String {
    match recovery_key::parse(text) {
        Ok(key) => format!("ok {}", hex(key.expose_secret())),
        Err(RecoveryKeyError::InvalidCharacter { character, position }) => {
            format!("err InvalidCharacter:{:x}:{position}", u32::from(character))
        }
        Err(RecoveryKeyError::TooShort { missing }) => format!("err TooShort:{missing}"),
        Err(RecoveryKeyError::TooLong { extra }) => format!("err TooLong:{extra}"),
        Err(other) => format!("err Unmodelled({other:?})"),
    }
}

/// `recovery_key::format` of `key`, with characters outside printable
/// ASCII written `\u{HEX}` (the model's driver does the same).
#[must_use]
pub fn format_key(key: &[u8; 32]) -> String {
    let text = recovery_key::format(&BackupKey::from_bytes(*key));
    let mut out = String::from("fmt ");
    for c in text.chars() {
        if (' '..='~').contains(&c) {
            out.push(c);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    out
}
