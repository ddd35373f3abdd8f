//! The 64-digit key: the backup key spelled as 64 hexadecimal digits.
//!
//! Spec 4.5: it is formatted as 16 groups of 4 lowercase hexadecimal digits
//! joined by dashes, and parsed leniently (either case; spaces and dashes
//! anywhere are ignored) and strictly (exactly 64 hexadecimal digits and
//! nothing else), with an error that says what is wrong and where.
//!
//! The hax contracts state the codec completely: [`parse`] accepts exactly
//! the texts whose characters are hexadecimal digits, spaces and dashes,
//! with 64 digits, and returns the key those digits spell; each error says
//! truly what is wrong; [`format`] gives 79 characters that parse back to
//! the key.

use crate::secret::{BACKUP_KEY_SIZE, BackupKey};
use alloc::string::String;
use core::fmt;
use zeroize::Zeroizing;

/// Hexadecimal digits in a 64-digit key.
pub const DIGITS: usize = 64;
/// Digits per group in the formatted key.
pub const GROUP_DIGITS: usize = 4;
/// The character between groups in the formatted key.
pub const GROUP_SEPARATOR: char = '-';
/// The length of the formatted key: 64 digits and 15 separators.
pub const FORMATTED_LEN: usize = 79;

/// What is wrong with a 64-digit key. Never contains a digit of the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecoveryKeyError {
    /// A character that is neither a hexadecimal digit, a space nor a dash.
    InvalidCharacter {
        /// The character.
        character: char,
        /// Its position in the input, counting characters from 1.
        position: usize,
    },
    /// Fewer than 64 hexadecimal digits.
    TooShort {
        /// How many digits are missing.
        missing: usize,
    },
    /// More than 64 hexadecimal digits.
    TooLong {
        /// How many digits too many.
        extra: usize,
    },
}

impl fmt::Display for RecoveryKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidCharacter { character, position } => {
                write!(f, "invalid character {character:?} at position {position} of the 64-digit key")
            }
            Self::TooShort { missing } => {
                write!(f, "64-digit key too short by {missing} digit{}", if *missing == 1 { "" } else { "s" })
            }
            Self::TooLong { extra } => {
                write!(f, "64-digit key too long by {extra} digit{}", if *extra == 1 { "" } else { "s" })
            }
        }
    }
}

/// The value of a hexadecimal digit, either case.
#[hax_lib::ensures(|result| match result {
    Some(v) => v < 16 && c.is_ascii_hexdigit(),
    None => !c.is_ascii_hexdigit(),
})]
const fn hex_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some((c as u8).wrapping_sub(b'0')),
        'a'..='f' => Some((c as u8).wrapping_sub(b'a').wrapping_add(10)),
        'A'..='F' => Some((c as u8).wrapping_sub(b'A').wrapping_add(10)),
        _ => None,
    }
}

/// The lowercase hexadecimal digit for a value below 16.
#[hax_lib::requires(v < 16)]
#[hax_lib::ensures(|result| matches!(hex_value(result), Some(x) if x == v) && !result.is_ascii_uppercase())]
const fn hex_digit(v: u8) -> char {
    match v {
        0..=9 => (b'0'.wrapping_add(v)) as char,
        _ => (b'a'.wrapping_add(v.wrapping_sub(10) & 0x0f)) as char,
    }
}

/// Parses a 64-digit key.
///
/// Spaces and dashes are skipped wherever they are; every other character
/// must be a hexadecimal digit (either case), and there must be exactly 64
/// of them. The first invalid character is reported before any length
/// problem.
///
/// # Errors
///
/// See [`RecoveryKeyError`].
#[hax_lib::ensures(|result| match result {
    Ok(key) => spec::first_invalid(text).is_none()
        && spec::digit_values(text).len() == DIGITS
        && spec::digit_values(text) == spec::nibbles(key.expose_secret()),
    Err(RecoveryKeyError::InvalidCharacter { character, position }) => {
        spec::first_invalid(text) == Some((position, character))
    }
    Err(RecoveryKeyError::TooShort { missing }) => spec::first_invalid(text).is_none()
        && missing >= 1
        && spec::digit_values(text).len() + missing == DIGITS,
    Err(RecoveryKeyError::TooLong { extra }) => spec::first_invalid(text).is_none()
        && extra >= 1
        && spec::digit_values(text).len() == DIGITS + extra,
})]
#[cfg_attr(feature = "no-panic", no_panic::no_panic)]
pub fn parse(text: &str) -> Result<BackupKey, RecoveryKeyError> {
    let mut bytes = Zeroizing::new([0u8; BACKUP_KEY_SIZE]);
    let mut digits: usize = 0;
    let mut position: usize = 0;
    for c in text.chars() {
        position = position.saturating_add(1);
        if c == ' ' || c == GROUP_SEPARATOR {
            continue;
        }
        let Some(value) = hex_value(c) else {
            return Err(RecoveryKeyError::InvalidCharacter { character: c, position });
        };
        // Digits past the 64th are only counted, for the error message.
        if let Some(byte) = bytes.get_mut(digits / 2) {
            *byte = if digits.is_multiple_of(2) { value << 4 } else { *byte | value };
        }
        digits = digits.saturating_add(1);
    }
    if digits < DIGITS {
        return Err(RecoveryKeyError::TooShort { missing: DIGITS.saturating_sub(digits) });
    }
    if digits > DIGITS {
        return Err(RecoveryKeyError::TooLong { extra: digits.saturating_sub(DIGITS) });
    }
    Ok(BackupKey::from_bytes(*bytes))
}

/// Formats a backup key as 16 groups of 4 lowercase hexadecimal digits
/// joined by dashes (79 characters). The string wipes itself on drop.
#[must_use]
#[hax_lib::ensures(|result| result.len() == FORMATTED_LEN
    && spec::is_canonical(result.as_bytes())
    && parse(&result) == Ok(key.clone()))]
pub fn format(key: &BackupKey) -> Zeroizing<String> {
    let ascii = format_ascii(key.expose_secret());
    let mut out = Zeroizing::new(String::with_capacity(FORMATTED_LEN));
    for &c in ascii.iter() {
        out.push(char::from(c));
    }
    out
}

/// The formatted key as ASCII bytes: the part of [`format`] that does not
/// allocate, so that it can be checked free of panics. The array wipes
/// itself on drop.
#[hax_lib::ensures(|result| spec::is_canonical(&result[..]) && spec::spells(&result[..], key))]
#[cfg_attr(feature = "no-panic", no_panic::no_panic)]
fn format_ascii(key: &[u8; BACKUP_KEY_SIZE]) -> Zeroizing<[u8; FORMATTED_LEN]> {
    let mut out = Zeroizing::new([0u8; FORMATTED_LEN]);
    let mut slots = out.iter_mut();
    for (i, byte) in key.iter().enumerate() {
        hax_lib::loop_invariant!(|i: usize| i <= BACKUP_KEY_SIZE);
        // Two bytes make one group of four digits. Every character below
        // is ASCII, and 79 slots take the 64 digits and 15 separators, so
        // each `next` finds its slot.
        if i > 0
            && i.is_multiple_of(2)
            && let Some(slot) = slots.next()
        {
            *slot = GROUP_SEPARATOR as u8;
        }
        for digit in [hex_digit(byte >> 4), hex_digit(byte & 0x0f)] {
            if let Some(slot) = slots.next() {
                *slot = digit as u8;
            }
        }
    }
    out
}

impl core::error::Error for RecoveryKeyError {}

/// Predicates for the contracts above (only with `--cfg hax`).
#[cfg(hax)]
#[allow(dead_code, reason = "predicates are used by contracts and by the prover only")]
pub(crate) mod spec {
    use super::*;
    use alloc::vec::Vec;

    /// The characters a 64-digit key may contain.
    pub(crate) fn allowed(c: char) -> bool {
        c == ' ' || c == GROUP_SEPARATOR || c.is_ascii_hexdigit()
    }

    /// The first character that is not allowed, with its position counted
    /// from 1.
    pub(crate) fn first_invalid(text: &str) -> Option<(usize, char)> {
        text.chars().enumerate().find(|(_, c)| !allowed(*c)).map(|(i, c)| (i + 1, c))
    }

    /// The values of the hexadecimal digits of `text`, in order.
    pub(crate) fn digit_values(text: &str) -> Vec<u8> {
        text.chars().filter_map(|c| c.to_digit(16)).map(|d| d as u8).collect()
    }

    /// The 64 nibbles of a key, high nibble first.
    pub(crate) fn nibbles(key: &[u8; BACKUP_KEY_SIZE]) -> Vec<u8> {
        key.iter().flat_map(|b| [b >> 4, b & 0x0f]).collect()
    }

    /// Spec 4.5: 16 groups of 4 lowercase hexadecimal digits joined by
    /// dashes.
    pub(crate) fn is_canonical(ascii: &[u8]) -> bool {
        ascii.len() == FORMATTED_LEN
            && ascii.iter().enumerate().all(|(i, &c)| {
                if i % (GROUP_DIGITS + 1) == GROUP_DIGITS {
                    c == GROUP_SEPARATOR as u8
                } else {
                    c.is_ascii_digit() || (b'a'..=b'f').contains(&c)
                }
            })
    }

    /// The digits of `ascii` spell `key`.
    pub(crate) fn spells(ascii: &[u8], key: &[u8; BACKUP_KEY_SIZE]) -> bool {
        let digits: Vec<u8> = ascii.iter().filter_map(|&c| char::from(c).to_digit(16)).map(|d| d as u8).collect();
        digits == nibbles(key)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "tests compute expected values")]
mod tests {
    use super::*;

    const CANONICAL: &str = "0123-4567-89ab-cdef-0011-2233-4455-6677-8899-aabb-ccdd-eeff-f0e1-d2c3-b4a5-9687";

    fn key() -> BackupKey {
        let mut b = [0u8; 32];
        let hex = CANONICAL.replace('-', "");
        for (i, byte) in b.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        BackupKey::from_bytes(b)
    }

    #[test]
    fn format_is_canonical() {
        let s = format(&key());
        assert_eq!(s.as_str(), CANONICAL);
        assert_eq!(s.len(), FORMATTED_LEN);
    }

    #[test]
    fn lenient_spellings_parse() {
        let k = key();
        for text in [
            CANONICAL.to_string(),
            CANONICAL.to_uppercase(),
            CANONICAL.replace('-', " "),
            CANONICAL.replace('-', ""),
            format!("  {CANONICAL} -- "),
            CANONICAL.replace('-', " - "),
        ] {
            assert_eq!(parse(&text), Ok(k.clone()), "{text}");
        }
    }

    #[test]
    fn errors_say_what_and_where() {
        assert_eq!(parse(""), Err(RecoveryKeyError::TooShort { missing: 64 }));
        assert_eq!(parse(&CANONICAL[..CANONICAL.len() - 1]), Err(RecoveryKeyError::TooShort { missing: 1 }));
        assert_eq!(parse(&format!("{CANONICAL}ab")), Err(RecoveryKeyError::TooLong { extra: 2 }));
        assert_eq!(parse("01x3"), Err(RecoveryKeyError::InvalidCharacter { character: 'x', position: 3 }));
        assert_eq!(parse("0123\t"), Err(RecoveryKeyError::InvalidCharacter { character: '\t', position: 5 }));
        assert_eq!(parse("é0"), Err(RecoveryKeyError::InvalidCharacter { character: 'é', position: 1 }));
        // The invalid character wins over the length.
        assert_eq!(parse("g"), Err(RecoveryKeyError::InvalidCharacter { character: 'g', position: 1 }));
        assert_eq!(parse("01x3").unwrap_err().to_string(), "invalid character 'x' at position 3 of the 64-digit key");
        assert_eq!(parse("abc").unwrap_err().to_string(), "64-digit key too short by 61 digits");
        assert_eq!(parse(&format!("{CANONICAL}a")).unwrap_err().to_string(), "64-digit key too long by 1 digit");
    }

    extern crate std;
    use alloc::format;
    use alloc::string::ToString;
    use std::string::String as StdString;

    #[test]
    fn every_byte_value_round_trips() {
        for v in 0..=255u8 {
            let k = BackupKey::from_bytes([v; 32]);
            let s: StdString = format(&k).to_string();
            assert_eq!(parse(&s), Ok(k));
        }
    }
}
