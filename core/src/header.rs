//! The header: magic, version, key slots, header MAC (spec 4).
//!
//! ```text
//! header = magic (9) || version (1) || slot_count (1) || slot* || mac (32)
//! slot   = slot_type (1) || body_len (2, big-endian) || body (body_len)
//! mac    = HMAC-SHA-256(HKDF-Expand-SHA-512(backup key,
//!                       "ebak/v1/header-mac", 32), every byte before it)
//! ```
//!
//! Every length is bounded before it is used, fixed-width integers leave no
//! choice of spelling, and a header is rejected if anything follows it when
//! it is parsed alone: every header has exactly one encoding.

use crate::codec::Reader;
use crate::hkdf;
use crate::kdf::KdfParams;
use crate::secret::{BackupKey, DerivedKey};
use crate::slot::{PASSWORD_SLOT_BODY_SIZE, PasswordSlot, SLOT_TYPE_PASSWORD, SLOT_TYPE_RESERVED};
use alloc::vec::Vec;
use core::fmt;
use subtle::ConstantTimeEq;

/// Spec 4.1: the magic, in the spirit of PNG's: a non-ASCII first byte,
/// the name, CR LF, the DOS end-of-file byte and LF, so that a text-mode
/// transfer or a line-ending conversion is caught at once.
pub const MAGIC: [u8; 9] = [0x89, b'e', b'b', b'a', b'k', 0x0D, 0x0A, 0x1A, 0x0A];
/// The format version this crate reads and writes.
pub const VERSION: u8 = 0x01;
/// The most slots a header may have.
pub const MAX_SLOTS: usize = 8;
/// The longest body of a slot of a type other than password.
pub const MAX_SLOT_BODY_SIZE: usize = 1024;
/// The header MAC.
pub const HEADER_MAC_SIZE: usize = 32;
/// The label the header MAC key is derived with.
pub const HEADER_MAC_LABEL: &[u8] = b"ebak/v1/header-mac";
/// A header without slots: magic, version, count, MAC.
pub const MIN_HEADER_SIZE: usize = MAGIC.len() + 2 + HEADER_MAC_SIZE;
/// The longest header: eight slots with the longest bodies.
pub const MAX_HEADER_SIZE: usize = MIN_HEADER_SIZE + MAX_SLOTS * (3 + MAX_SLOT_BODY_SIZE);

/// A slot of a type this version does not define (spec 4.2): kept
/// byte for byte, covered by the MAC, and skipped when unlocking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherSlot {
    slot_type: u8,
    body: Vec<u8>,
}

impl OtherSlot {
    /// A slot of type `slot_type` (neither 0x00 nor 0x01) with `body`.
    ///
    /// # Errors
    ///
    /// The type is reserved or is the password type, or the body is longer
    /// than [`MAX_SLOT_BODY_SIZE`].
    pub fn new(slot_type: u8, body: Vec<u8>) -> Result<Self, HeaderError> {
        if slot_type == SLOT_TYPE_RESERVED {
            return Err(HeaderError::ReservedSlotType);
        }
        if slot_type == SLOT_TYPE_PASSWORD || body.len() > MAX_SLOT_BODY_SIZE {
            return Err(HeaderError::SlotLength { slot_type });
        }
        Ok(Self { slot_type, body })
    }

    /// The slot type.
    #[must_use]
    pub const fn slot_type(&self) -> u8 {
        self.slot_type
    }

    /// The body, uninterpreted.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

/// One key slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot {
    /// Type 0x01: the backup key wrapped under a password.
    Password(PasswordSlot),
    /// Any other type, kept as it is.
    Other(OtherSlot),
}

impl Slot {
    /// The slot type byte.
    #[must_use]
    pub const fn slot_type(&self) -> u8 {
        match self {
            Self::Password(_) => SLOT_TYPE_PASSWORD,
            Self::Other(o) => o.slot_type,
        }
    }

    /// Parses one slot, `slot_type || body_len || body`, that is the whole
    /// input, with the header's slot rules (spec 4.2, 4.3; spec 6 step 1.4).
    /// The key-slot test vectors use it.
    ///
    /// # Errors
    ///
    /// See [`HeaderError`]; [`HeaderError::Truncated`] if the input ends
    /// inside the slot, [`HeaderError::TrailingData`] if anything follows it.
    pub fn parse(bytes: &[u8]) -> Result<Self, HeaderError> {
        let mut r = Reader::new(bytes);
        let slot = parse_slot(&mut r)?;
        if !r.rest().is_empty() {
            return Err(HeaderError::TrailingData);
        }
        Ok(slot)
    }

    /// The encoded slot, `slot_type || body_len || body`, as it appears in
    /// a header.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(3_usize.saturating_add(MAX_SLOT_BODY_SIZE));
        self.encode(&mut out);
        out
    }

    /// Appends `slot_type || body_len || body`.
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.slot_type());
        match self {
            Self::Password(p) => {
                out.extend_from_slice(&u16::try_from(PASSWORD_SLOT_BODY_SIZE).unwrap_or(u16::MAX).to_be_bytes());
                p.encode_body(out);
            }
            Self::Other(o) => {
                // The constructor and the parser bound the body to 1024 bytes.
                out.extend_from_slice(&u16::try_from(o.body.len()).unwrap_or(u16::MAX).to_be_bytes());
                out.extend_from_slice(&o.body);
            }
        }
    }
}

/// A malformed header (error class "header parse").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// The input ends inside the header.
    Truncated,
    /// The input does not start with the ebak magic.
    BadMagic,
    /// A version this reader does not know.
    UnsupportedVersion(u8),
    /// More than eight slots.
    TooManySlots(u8),
    /// Slot type 0x00.
    ReservedSlotType,
    /// A slot body of the wrong length for its type.
    SlotLength {
        /// The slot's type.
        slot_type: u8,
    },
    /// A password slot whose costs are not valid Argon2id parameters.
    InvalidKdfParams,
    /// Two identical slots, or two password slots with the same salt.
    DuplicateSlot,
    /// Bytes after the header MAC (when parsing a header alone).
    TrailingData,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("truncated header"),
            Self::BadMagic => f.write_str("not an ebak file (bad magic; was it transferred in text mode?)"),
            Self::UnsupportedVersion(v) => write!(f, "unsupported format version {v}"),
            Self::TooManySlots(n) => write!(f, "{n} key slots, more than the limit of {MAX_SLOTS}"),
            Self::ReservedSlotType => f.write_str("key slot of reserved type 0"),
            Self::SlotLength { slot_type } => write!(f, "key slot of type {slot_type} has a body of the wrong length"),
            Self::InvalidKdfParams => f.write_str("password slot has invalid Argon2id parameters"),
            Self::DuplicateSlot => f.write_str("duplicate key slot"),
            Self::TrailingData => f.write_str("trailing data after the header"),
        }
    }
}

/// A parsed (or built) header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    slots: Vec<Slot>,
    mac: [u8; HEADER_MAC_SIZE],
}

/// Spec 4.4: `HKDF-Expand-SHA-512(backup key, "ebak/v1/header-mac", 32)`.
#[must_use]
pub fn header_mac_key(backup_key: &BackupKey) -> DerivedKey {
    DerivedKey::new(hkdf::expand_sha512(backup_key.expose_secret(), &[HEADER_MAC_LABEL]))
}

/// Checks the slot list: at most eight, no duplicates.
fn check_slots(slots: &[Slot]) -> Result<(), HeaderError> {
    if slots.len() > MAX_SLOTS {
        return Err(HeaderError::TooManySlots(u8::try_from(slots.len()).unwrap_or(u8::MAX)));
    }
    // Spec 4.2: no two slots may be identical, and no two password slots
    // may share an Argon2 salt (the same password would open both).
    for (i, a) in slots.iter().enumerate() {
        for b in slots.iter().skip(i.saturating_add(1)) {
            let same_salt = match (a, b) {
                (Slot::Password(x), Slot::Password(y)) => x.kdf_salt() == y.kdf_salt(),
                _ => false,
            };
            if a == b || same_salt {
                return Err(HeaderError::DuplicateSlot);
            }
        }
    }
    Ok(())
}

/// Reads one slot.
fn parse_slot(r: &mut Reader<'_>) -> Result<Slot, HeaderError> {
    let slot_type = r.u8().ok_or(HeaderError::Truncated)?;
    let body_len = usize::from(r.u16().ok_or(HeaderError::Truncated)?);
    // Spec 4.2: check the type and bound the length before reading the body.
    if slot_type == SLOT_TYPE_RESERVED {
        return Err(HeaderError::ReservedSlotType);
    }
    let expected_ok = if slot_type == SLOT_TYPE_PASSWORD {
        body_len == PASSWORD_SLOT_BODY_SIZE
    } else {
        body_len <= MAX_SLOT_BODY_SIZE
    };
    if !expected_ok {
        return Err(HeaderError::SlotLength { slot_type });
    }
    let body = r.take(body_len).ok_or(HeaderError::Truncated)?;
    if slot_type == SLOT_TYPE_PASSWORD {
        match PasswordSlot::decode_body(body) {
            Some(Ok(p)) => Ok(Slot::Password(p)),
            Some(Err(_)) => Err(HeaderError::InvalidKdfParams),
            None => Err(HeaderError::SlotLength { slot_type }),
        }
    } else {
        Ok(Slot::Other(OtherSlot { slot_type, body: body.to_vec() }))
    }
}

impl Header {
    /// Builds a header for `slots` and computes its MAC under `backup_key`.
    ///
    /// # Errors
    ///
    /// More than eight slots, or duplicates.
    pub fn new(backup_key: &BackupKey, slots: Vec<Slot>) -> Result<Self, HeaderError> {
        check_slots(&slots)?;
        let mut header = Self { slots, mac: [0; HEADER_MAC_SIZE] };
        header.mac = header.compute_mac(backup_key);
        Ok(header)
    }

    /// Parses a header that is the whole input.
    ///
    /// # Errors
    ///
    /// See [`HeaderError`]; [`HeaderError::TrailingData`] if anything
    /// follows the MAC.
    pub fn parse(bytes: &[u8]) -> Result<Self, HeaderError> {
        let (header, len) = Self::parse_prefix(bytes)?;
        if len != bytes.len() {
            return Err(HeaderError::TrailingData);
        }
        Ok(header)
    }

    /// Parses the header at the start of `bytes` (a file, or its first
    /// [`MAX_HEADER_SIZE`] bytes) and returns it with its length.
    ///
    /// Spec 6 step 1: the checks run in this order, and the first that
    /// fails decides the error: magic, version, slot count, then for each
    /// slot its type, its length, its body; then duplicates; then the MAC's
    /// presence.
    ///
    /// # Errors
    ///
    /// See [`HeaderError`]. [`HeaderError::Truncated`] means more input is
    /// needed (a file is never shorter than its header).
    pub fn parse_prefix(bytes: &[u8]) -> Result<(Self, usize), HeaderError> {
        // A wrong byte in what is there beats a short input: "x" is not an
        // ebak file at all, "\x89eb" may be the start of one.
        for (got, want) in bytes.iter().zip(MAGIC.iter()) {
            if got != want {
                return Err(HeaderError::BadMagic);
            }
        }
        let mut r = Reader::new(bytes);
        r.array::<{ MAGIC.len() }>().ok_or(HeaderError::Truncated)?;
        let version = r.u8().ok_or(HeaderError::Truncated)?;
        if version != VERSION {
            return Err(HeaderError::UnsupportedVersion(version));
        }
        let count = r.u8().ok_or(HeaderError::Truncated)?;
        if usize::from(count) > MAX_SLOTS {
            return Err(HeaderError::TooManySlots(count));
        }
        let mut slots = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            slots.push(parse_slot(&mut r)?);
        }
        check_slots(&slots)?;
        let mac = *r.array::<HEADER_MAC_SIZE>().ok_or(HeaderError::Truncated)?;
        let len = bytes.len().saturating_sub(r.rest().len());
        Ok((Self { slots, mac }, len))
    }

    /// The slots, in order.
    #[must_use]
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// The password slots' costs, in order.
    pub fn password_params(&self) -> impl Iterator<Item = &KdfParams> {
        self.slots.iter().filter_map(|s| match s {
            Slot::Password(p) => Some(p.params()),
            Slot::Other(_) => None,
        })
    }

    /// The stored header MAC.
    #[must_use]
    pub const fn mac(&self) -> &[u8; HEADER_MAC_SIZE] {
        &self.mac
    }

    /// Every byte before the MAC.
    #[must_use]
    pub fn authenticated_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAX_HEADER_SIZE);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(u8::try_from(self.slots.len()).unwrap_or(u8::MAX));
        for slot in &self.slots {
            slot.encode(&mut out);
        }
        out
    }

    /// The encoded header.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.authenticated_bytes();
        out.extend_from_slice(&self.mac);
        out
    }

    /// The encoded length.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        let mut len = MIN_HEADER_SIZE;
        for slot in &self.slots {
            let body = match slot {
                Slot::Password(_) => PASSWORD_SLOT_BODY_SIZE,
                Slot::Other(o) => o.body.len(),
            };
            len = len.saturating_add(3).saturating_add(body);
        }
        len
    }

    fn compute_mac(&self, backup_key: &BackupKey) -> [u8; HEADER_MAC_SIZE] {
        let key = header_mac_key(backup_key);
        hkdf::hmac_sha256(key.expose_secret(), &[&self.authenticated_bytes()])
    }

    /// Spec 4.4: whether the MAC verifies under `backup_key`, compared in
    /// constant time.
    #[must_use]
    pub fn verify_mac(&self, backup_key: &BackupKey) -> bool {
        self.compute_mac(backup_key).ct_eq(&self.mac).into()
    }
}

impl core::error::Error for HeaderError {}
