//! The crypt15 header: a length byte, an optional feature-table flag, and a
//! `BackupPrefix` protobuf that carries the IV.
//!
//! From public reverse engineering (see `spec/whatsapp-crypt15.md`):
//!
//! ```text
//! header = N (1 byte) || [0x01] || BackupPrefix (N bytes, protobuf)
//! BackupPrefix { 1: key_type (enum), 2: c14_cipher (crypt14 only),
//!                3: c15_iv { 1: IV (16 bytes) }, 4: info { 1: app_version,
//!                3: jid_suffix, 4: backup_version, 5..39: feature flags } }
//! ```
//!
//! The optional byte 0x01 after N says a feature table follows (msgstore
//! files). It cannot be confused with the start of the protobuf: 0x01 would
//! be a tag for field number 0, which protobuf does not allow.
//!
//! The header is not authenticated by anything: the GCM tag covers only the
//! ciphertext (there is no AAD) and the MD5 is unkeyed. So the parser is
//! strict where an ambiguity could change what is decrypted (the IV: exactly
//! one, exactly 16 bytes) and merely bounded elsewhere.

use crate::proto::{self, Field, Reader, Value, WireError, WireType};
use core::fmt;

/// The IV's length.
pub const IV_BYTES: usize = 16;
/// The byte that says a feature table follows.
pub const FEATURE_TABLE_FLAG: u8 = 0x01;
/// The longest header: the length byte, the flag, 255 bytes of protobuf.
pub const MAX_HEADER_BYTES: usize = 1 + 1 + 255;
/// Feature flags are the boolean fields of `info` from 5 to this number
/// (public schemas name 5 to 39; later app versions may add more).
pub const MAX_FEATURE_FIELD: u32 = 63;
/// The first feature field.
pub const MIN_FEATURE_FIELD: u32 = 5;

/// Which message a field belongs to, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    /// The outer `BackupPrefix`.
    BackupPrefix,
    /// `BackupPrefix.c15_iv`.
    C15Iv,
    /// `BackupPrefix.info`.
    Info,
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BackupPrefix => "BackupPrefix",
            Self::C15Iv => "BackupPrefix.c15_iv (field 3)",
            Self::Info => "BackupPrefix.info (field 4)",
        })
    }
}

/// What is wrong with a header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// The input is empty.
    Empty,
    /// The input ends before the header does.
    Truncated {
        /// The header's length as its first byte says.
        need: usize,
        /// The bytes there are.
        have: usize,
    },
    /// The protobuf is malformed.
    Wire {
        /// Where.
        message: Message,
        /// What.
        error: WireError,
    },
    /// A known field has the wrong wire type.
    WrongWireType {
        /// Where.
        message: Message,
        /// The field number.
        field: u32,
        /// The wire type it should have.
        expected: WireType,
        /// The wire type it has.
        found: WireType,
    },
    /// A known field appears twice (protobuf would keep the last one, or
    /// merge messages; an unauthenticated header that says two things is
    /// refused instead).
    DuplicateField {
        /// Where.
        message: Message,
        /// The field number.
        field: u32,
    },
    /// The header carries crypt14 parameters (field 2): an older format.
    Crypt14,
    /// No `c15_iv.IV`: not a crypt15 header.
    MissingIv,
    /// The IV is not 16 bytes long.
    IvLength(usize),
    /// A string field is not UTF-8.
    NotUtf8 {
        /// The field number in `info`.
        field: u32,
    },
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the file is empty"),
            Self::Truncated { need, have } => {
                write!(f, "the header is {need} bytes long but the file has only {have}")
            }
            Self::Wire { message, error } => write!(f, "malformed header protobuf in {message}: {error}"),
            Self::WrongWireType { message, field, expected, found } => {
                write!(f, "in {message}, field {field} has wire type {found}; expected {expected}")
            }
            Self::DuplicateField { message, field } => write!(f, "in {message}, field {field} appears twice"),
            Self::Crypt14 => f.write_str(
                "this is a crypt14 header (field 2, the older format with a server salt and a 158-byte key file), not crypt15",
            ),
            Self::MissingIv => f.write_str("the header has no crypt15 IV (BackupPrefix.c15_iv.IV, field 3.1)"),
            Self::IvLength(n) => write!(f, "the crypt15 IV is {n} bytes long; expected {IV_BYTES}"),
            Self::NotUtf8 { field } => write!(f, "in BackupPrefix.info, string field {field} is not UTF-8"),
        }
    }
}

impl core::error::Error for HeaderError {}

/// The feature flags of `info` (fields 5 to 63): which are present, and
/// which of those are true.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    /// Bit `n` set: field `n` is present.
    present: u64,
    /// Bit `n` set: field `n` is present and true.
    set: u64,
}

impl Features {
    /// Records field `number` (5 to 63) as `value`.
    pub fn insert(&mut self, number: u32, value: bool) {
        if (MIN_FEATURE_FIELD..=MAX_FEATURE_FIELD).contains(&number) {
            let bit = 1u64.checked_shl(number).unwrap_or(0);
            self.present |= bit;
            if value {
                self.set |= bit;
            } else {
                self.set &= !bit;
            }
        }
    }

    /// The value of field `number`, if present.
    #[must_use]
    pub fn get(&self, number: u32) -> Option<bool> {
        let bit = 1u64.checked_shl(number).unwrap_or(0);
        (bit != 0 && self.present & bit != 0).then_some(self.set & bit != 0)
    }

    /// The field numbers that are present and true, in order.
    pub fn enabled(&self) -> impl Iterator<Item = u32> + '_ {
        (MIN_FEATURE_FIELD..=MAX_FEATURE_FIELD).filter(|&n| self.get(n) == Some(true))
    }

    /// How many fields are present.
    #[must_use]
    pub const fn present_count(&self) -> u32 {
        self.present.count_ones()
    }

    /// Whether no field is present.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.present == 0
    }
}

/// `BackupPrefix.info`: what the app says about itself. None of it is
/// authenticated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Info {
    /// Field 1: the app version, such as "2.23.18.12".
    pub app_version: Option<String>,
    /// Field 3: the last two digits of the phone number, in public schemas.
    pub jid_suffix: Option<String>,
    /// Field 4: the backup version (an int32; kept as the raw varint).
    pub backup_version: Option<u64>,
    /// Fields 5 to 63: the feature flags.
    pub features: Features,
}

/// The parsed `BackupPrefix`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupPrefix {
    /// Field 1: the key type (an enum; kept as the raw varint).
    pub key_type: Option<u64>,
    /// Field 3.1: the GCM IV.
    pub iv: [u8; IV_BYTES],
    /// Field 4.
    pub info: Option<Info>,
}

/// A crypt15 header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Whether the byte 0x01 follows the length byte (a feature table
    /// follows: msgstore files).
    pub feature_table: bool,
    /// The protobuf.
    pub prefix: BackupPrefix,
}

/// The name public schemas give a key type.
#[must_use]
pub const fn key_type_name(key_type: u64) -> Option<&'static str> {
    match key_type {
        0 => Some("WA_PROVIDED"),
        1 => Some("HSM_CONTROLLED"),
        _ => None,
    }
}

fn wire(message: Message) -> impl Fn(WireError) -> HeaderError {
    move |error| HeaderError::Wire { message, error }
}

fn expect_wire(message: Message, field: &Field<'_>, expected: WireType) -> Result<(), HeaderError> {
    let found = field.value.wire_type();
    if found == expected {
        Ok(())
    } else {
        Err(HeaderError::WrongWireType { message, field: field.number, expected, found })
    }
}

/// Stores `value` in `slot`, refusing a second one.
fn once<T>(slot: &mut Option<T>, value: T, message: Message, field: u32) -> Result<(), HeaderError> {
    if slot.is_some() {
        return Err(HeaderError::DuplicateField { message, field });
    }
    *slot = Some(value);
    Ok(())
}

fn parse_c15_iv(bytes: &[u8]) -> Result<[u8; IV_BYTES], HeaderError> {
    const M: Message = Message::C15Iv;
    let mut r = Reader::new(bytes);
    let mut iv: Option<&[u8]> = None;
    while let Some(field) = r.field().map_err(wire(M))? {
        if field.number == 1 {
            expect_wire(M, &field, WireType::Len)?;
            if let Value::Len(b) = field.value {
                once(&mut iv, b, M, 1)?;
            }
        }
        // Other fields: skipped (the reader already stepped over them).
    }
    let iv = iv.ok_or(HeaderError::MissingIv)?;
    <[u8; IV_BYTES]>::try_from(iv).map_err(|_| HeaderError::IvLength(iv.len()))
}

fn parse_string(bytes: &[u8], field: u32) -> Result<String, HeaderError> {
    core::str::from_utf8(bytes).map(str::to_owned).map_err(|_| HeaderError::NotUtf8 { field })
}

fn parse_info(bytes: &[u8]) -> Result<Info, HeaderError> {
    const M: Message = Message::Info;
    let mut r = Reader::new(bytes);
    let mut info = Info::default();
    while let Some(field) = r.field().map_err(wire(M))? {
        match (field.number, field.value) {
            (1, Value::Len(b)) => once(&mut info.app_version, parse_string(b, 1)?, M, 1)?,
            (3, Value::Len(b)) => once(&mut info.jid_suffix, parse_string(b, 3)?, M, 3)?,
            (4, Value::Varint(v)) => once(&mut info.backup_version, v, M, 4)?,
            (1 | 3, _) => expect_wire(M, &field, WireType::Len)?,
            (4, _) => expect_wire(M, &field, WireType::Varint)?,
            (n @ MIN_FEATURE_FIELD..=MAX_FEATURE_FIELD, Value::Varint(v)) => {
                if info.features.get(n).is_some() {
                    return Err(HeaderError::DuplicateField { message: M, field: n });
                }
                info.features.insert(n, v != 0);
            }
            // Fields this reader does not know, or feature numbers with
            // another wire type (not booleans): skipped.
            _ => {}
        }
    }
    Ok(info)
}

fn parse_prefix(bytes: &[u8]) -> Result<BackupPrefix, HeaderError> {
    const M: Message = Message::BackupPrefix;
    let mut r = Reader::new(bytes);
    let mut key_type = None;
    let mut iv = None;
    let mut info = None;
    while let Some(field) = r.field().map_err(wire(M))? {
        match field.number {
            1 => {
                expect_wire(M, &field, WireType::Varint)?;
                if let Value::Varint(v) = field.value {
                    once(&mut key_type, v, M, 1)?;
                }
            }
            2 => {
                expect_wire(M, &field, WireType::Len)?;
                return Err(HeaderError::Crypt14);
            }
            3 => {
                expect_wire(M, &field, WireType::Len)?;
                if let Value::Len(b) = field.value {
                    once(&mut iv, parse_c15_iv(b)?, M, 3)?;
                }
            }
            4 => {
                expect_wire(M, &field, WireType::Len)?;
                if let Value::Len(b) = field.value {
                    once(&mut info, parse_info(b)?, M, 4)?;
                }
            }
            _ => {}
        }
    }
    Ok(BackupPrefix { key_type, iv: iv.ok_or(HeaderError::MissingIv)?, info })
}

impl Header {
    /// Parses the header at the start of `input` (which may go on with the
    /// ciphertext); returns it and its length in bytes.
    ///
    /// # Errors
    ///
    /// See [`HeaderError`].
    pub fn parse(input: &[u8]) -> Result<(Self, usize), HeaderError> {
        let (&n, rest) = input.split_first().ok_or(HeaderError::Empty)?;
        let n = usize::from(n);
        let (feature_table, rest) = match rest.split_first() {
            Some((&FEATURE_TABLE_FLAG, tail)) => (true, tail),
            _ => (false, rest),
        };
        let flag_len = usize::from(feature_table);
        let need = n.saturating_add(1).saturating_add(flag_len);
        let protobuf = rest.get(..n).ok_or(HeaderError::Truncated { need, have: input.len() })?;
        let prefix = parse_prefix(protobuf)?;
        Ok((Self { feature_table, prefix }, need))
    }

    /// The canonical encoding of the protobuf: known fields only, in field
    /// order, minimal varints.
    #[must_use]
    pub fn encode_prefix(&self) -> Vec<u8> {
        let p = &self.prefix;
        let mut out = Vec::with_capacity(MAX_HEADER_BYTES);
        if let Some(k) = p.key_type {
            proto::put_varint_field(&mut out, 1, k);
        }
        let mut iv = Vec::with_capacity(IV_BYTES.saturating_add(2));
        proto::put_len(&mut iv, 1, &p.iv);
        proto::put_len(&mut out, 3, &iv);
        if let Some(info) = &p.info {
            let mut body = Vec::new();
            if let Some(v) = &info.app_version {
                proto::put_len(&mut body, 1, v.as_bytes());
            }
            if let Some(j) = &info.jid_suffix {
                proto::put_len(&mut body, 3, j.as_bytes());
            }
            if let Some(b) = info.backup_version {
                proto::put_varint_field(&mut body, 4, b);
            }
            for n in MIN_FEATURE_FIELD..=MAX_FEATURE_FIELD {
                if let Some(v) = info.features.get(n) {
                    proto::put_varint_field(&mut body, n, u64::from(v));
                }
            }
            proto::put_len(&mut out, 4, &body);
        }
        out
    }

    /// The whole header, canonically encoded; `None` if the protobuf would
    /// be longer than 255 bytes (the length byte cannot say more). A header
    /// that [`Header::parse`] returned always fits: its canonical encoding
    /// is never longer than the bytes it was parsed from.
    #[must_use]
    pub fn encode(&self) -> Option<Vec<u8>> {
        let prefix = self.encode_prefix();
        let n = u8::try_from(prefix.len()).ok()?;
        let mut out = Vec::with_capacity(prefix.len().saturating_add(2));
        out.push(n);
        if self.feature_table {
            out.push(FEATURE_TABLE_FLAG);
        }
        out.extend_from_slice(&prefix);
        Some(out)
    }

    /// The app version, if the header gives one.
    #[must_use]
    pub fn app_version(&self) -> Option<&str> {
        self.prefix.info.as_ref().and_then(|i| i.app_version.as_deref())
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "tests compute expected values")]
mod tests {
    use super::*;

    /// The header wa-crypt-tools 0.1.0 wrote for an IV of 00 11 .. ff
    /// (its default props), byte for byte.
    const WA_CRYPT_TOOLS_HEADER: &str = "8501080 11a120a10 00112233445566778899aabbccddeeff 226d0a0a322e32332e31382e3132\
        1a023030 2000 2801 3001 3801 4001 4801 5001 5801 6001 6801 7001 7801 800101 880101 900101 980101 a00101 a80101\
        b00101 b80101 c00101 c80101 d00101 d80101 e00101 e80101 f00101 f80101 800201 880201 900200 980201 a00201\
        a80201 b80201";

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(char::is_ascii_hexdigit).collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn parses_a_real_encoder_header() {
        let bytes = unhex(WA_CRYPT_TOOLS_HEADER);
        assert_eq!(bytes.len(), 0x85 + 2);
        let (h, len) = Header::parse(&bytes).unwrap();
        assert_eq!(len, bytes.len());
        assert!(h.feature_table);
        assert_eq!(h.prefix.key_type, Some(1));
        assert_eq!(h.prefix.iv, <[u8; 16]>::try_from(unhex("00112233445566778899aabbccddeeff")).unwrap());
        let info = h.prefix.info.as_ref().unwrap();
        assert_eq!(info.app_version.as_deref(), Some("2.23.18.12"));
        assert_eq!(info.jid_suffix.as_deref(), Some("00"));
        assert_eq!(info.backup_version, Some(0));
        let enabled: Vec<u32> = info.features.enabled().collect();
        let mut want: Vec<u32> = (5..=33).collect();
        want.extend([35, 36, 37, 39]);
        assert_eq!(enabled, want);
        assert_eq!(info.features.get(34), Some(false));
        assert_eq!(info.features.get(38), None);
        // Its encoder writes the canonical form, so ours matches it exactly.
        assert_eq!(h.encode().unwrap(), bytes);
    }

    #[test]
    fn truncation_and_emptiness() {
        assert_eq!(Header::parse(&[]), Err(HeaderError::Empty));
        let bytes = unhex(WA_CRYPT_TOOLS_HEADER);
        for cut in 1..bytes.len() {
            assert!(Header::parse(&bytes[..cut]).is_err(), "{cut}");
        }
        assert_eq!(Header::parse(&bytes[..10]), Err(HeaderError::Truncated { need: 0x87, have: 10 }));
    }

    #[test]
    fn the_iv_must_be_there_once_with_16_bytes() {
        let iv_field = |len: usize| {
            let mut inner = Vec::new();
            proto::put_len(&mut inner, 1, &vec![7; len]);
            let mut p = Vec::new();
            proto::put_len(&mut p, 3, &inner);
            p
        };
        let wrap = |p: &[u8]| {
            let mut h = vec![u8::try_from(p.len()).unwrap()];
            h.extend_from_slice(p);
            h
        };
        assert!(Header::parse(&wrap(&iv_field(16))).is_ok());
        assert_eq!(Header::parse(&wrap(&iv_field(12))), Err(HeaderError::IvLength(12)));
        assert_eq!(Header::parse(&wrap(&iv_field(17))), Err(HeaderError::IvLength(17)));
        assert_eq!(Header::parse(&wrap(&[])), Err(HeaderError::MissingIv));
        assert_eq!(Header::parse(&wrap(&[0x1a, 0x00])), Err(HeaderError::MissingIv));
        let mut twice = iv_field(16);
        twice.extend(iv_field(16));
        assert_eq!(
            Header::parse(&wrap(&twice)),
            Err(HeaderError::DuplicateField { message: Message::BackupPrefix, field: 3 })
        );
        let mut inner_twice = Vec::new();
        proto::put_len(&mut inner_twice, 1, &[1; 16]);
        proto::put_len(&mut inner_twice, 1, &[2; 16]);
        let mut p = Vec::new();
        proto::put_len(&mut p, 3, &inner_twice);
        assert_eq!(Header::parse(&wrap(&p)), Err(HeaderError::DuplicateField { message: Message::C15Iv, field: 1 }));
        // The IV as a varint.
        assert!(matches!(Header::parse(&wrap(&[0x1a, 0x02, 0x08, 0x01])), Err(HeaderError::WrongWireType { .. })));
        // A crypt14 header.
        assert_eq!(Header::parse(&wrap(&[0x12, 0x00])), Err(HeaderError::Crypt14));
    }

    /// Found by the flipped-bit test: a flag byte 0x01 flipped to 0x11 makes
    /// the protobuf start with a 64-bit field 2, which is damage, not crypt14.
    #[test]
    fn field_2_of_another_wire_type_is_not_called_crypt14() {
        let h = [0x09, 0x11, 1, 2, 3, 4, 5, 6, 7, 8];
        assert!(matches!(Header::parse(&h), Err(HeaderError::WrongWireType { field: 2, .. })));
        assert_eq!(Header::parse(&[0x02, 0x12, 0x00]), Err(HeaderError::Crypt14));
    }

    #[test]
    fn unknown_fields_of_every_wire_type_are_skipped() {
        let mut p = Vec::new();
        proto::put_varint_field(&mut p, 9, 1 << 40);
        p.extend([0x51, 1, 2, 3, 4, 5, 6, 7, 8]); // field 10, I64
        p.extend([0x5d, 1, 2, 3, 4]); // field 11, I32
        proto::put_len(&mut p, 12, b"whatever");
        let mut inner = Vec::new();
        proto::put_varint_field(&mut inner, 2, 5);
        proto::put_len(&mut inner, 1, &[3; 16]);
        proto::put_len(&mut p, 3, &inner);
        let mut h = vec![u8::try_from(p.len()).unwrap()];
        h.extend_from_slice(&p);
        h.extend_from_slice(b"ciphertext follows");
        let (parsed, len) = Header::parse(&h).unwrap();
        assert_eq!(len, p.len() + 1);
        assert!(!parsed.feature_table);
        assert_eq!(parsed.prefix.iv, [3; 16]);
        assert_eq!(parsed.prefix.key_type, None);
        assert_eq!(parsed.prefix.info, None);
    }

    #[test]
    fn strings_must_be_utf8() {
        let mut info = Vec::new();
        proto::put_len(&mut info, 1, &[0xff, 0xfe]);
        let mut p = Vec::new();
        let mut iv = Vec::new();
        proto::put_len(&mut iv, 1, &[0; 16]);
        proto::put_len(&mut p, 3, &iv);
        proto::put_len(&mut p, 4, &info);
        let mut h = vec![u8::try_from(p.len()).unwrap()];
        h.extend_from_slice(&p);
        assert_eq!(Header::parse(&h), Err(HeaderError::NotUtf8 { field: 1 }));
    }
}
