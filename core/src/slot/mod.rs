//! Key slots (spec 4.2): each one wraps the backup key for one way of
//! unlocking a file, or names where the key can be had.
//!
//! ```text
//! slot = slot_type (1) || body_len (2, big-endian) || body (body_len)
//! ```
//!
//! This module holds what every slot shares: the type registry, the
//! framing, the rule that no two slots of a header may conflict, and slots
//! of types this version does not define, kept byte for byte. Each defined
//! type has its own module with its body's codec and its unwrapping:
//!
//! - [`password`]: type 0x01, the backup key wrapped under a password
//!   (spec 4.3);
//! - [`vault`]: type 0x02, where the backup key can be had: a backup key
//!   vault and an account on it (spec 4.6). It holds no secret; at the
//!   header level it is an [`OtherSlot`] (a header is valid whatever its
//!   body holds), decoded by [`VaultSlot::from_slot`] when it is used.

pub mod password;
pub mod vault;

pub use password::{
    PASSWORD_SLOT_BODY_SIZE, PASSWORD_SLOT_LABEL, PASSWORD_SLOT_PARAMS_SIZE, PasswordSlot, SLOT_TYPE_PASSWORD,
    SlotError, SlotUnwrapError, Unwrapped, WRAP_CONTEXT_SIZE, WRAPPED_KEY_SIZE,
};

use crate::codec::{Codec, Reader, read_all};
use crate::error::HeaderError;
use alloc::vec::Vec;

pub use crate::limits::MAX_SLOT_BODY_SIZE;
pub use vault::{VaultSlot, VaultSlotError};

/// Never a valid slot type: a reader rejects the header (spec 4.2).
pub const SLOT_TYPE_RESERVED: u8 = 0x00;
/// The vault slot (spec 4.6): kept at the header level as an [`OtherSlot`],
/// so that a reader without vault support skips it like any type it does
/// not know.
pub const SLOT_TYPE_VAULT: u8 = 0x02;

/// A slot of a type this version does not define (spec 4.2): kept
/// byte for byte, covered by the MAC, and skipped when unlocking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherSlot {
    slot_type: u8,
    body: Vec<u8>,
}

#[hax_lib::attributes]
impl OtherSlot {
    /// A slot of type `slot_type` (neither 0x00 nor 0x01) with `body`.
    ///
    /// # Errors
    ///
    /// The type is reserved or is the password type, or the body is longer
    /// than [`MAX_SLOT_BODY_SIZE`].
    #[hax_lib::ensures(|result| match result {
        Ok(o) => o.slot_type == slot_type
            && o.body == body
            && slot_type != SLOT_TYPE_RESERVED
            && slot_type != SLOT_TYPE_PASSWORD
            && body.len() <= MAX_SLOT_BODY_SIZE,
        Err(HeaderError::ReservedSlotType) => slot_type == SLOT_TYPE_RESERVED,
        Err(HeaderError::SlotLength { slot_type: t }) => t == slot_type
            && slot_type != SLOT_TYPE_RESERVED
            && (slot_type == SLOT_TYPE_PASSWORD || body.len() > MAX_SLOT_BODY_SIZE),
        Err(_) => false,
    })]
    #[cfg_attr(feature = "no-panic", no_panic::no_panic)]
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

#[hax_lib::attributes]
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
    #[hax_lib::ensures(|result| match (result, model::slot_verdict(bytes)) {
        // Sound and complete: it accepts exactly the inputs that are one
        // slot, and what it returns re-encodes to them.
        (Ok(slot), Ok(len)) => len == bytes.len() && slot.to_bytes() == bytes,
        (Err(HeaderError::TrailingData), Ok(len)) => len < bytes.len(),
        // Otherwise the first rule broken, in spec 6 step 1.4's order.
        (Err(e), Err(first)) => e == first,
        _ => false,
    })]
    pub fn parse(bytes: &[u8]) -> Result<Self, HeaderError> {
        read_all(bytes, HeaderError::TrailingData)
    }

    /// The encoded slot, `slot_type || body_len || body`, as it appears in
    /// a header.
    #[must_use]
    #[hax_lib::ensures(|result| spec::is_slot_encoding(self, &result))]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(3_usize.saturating_add(MAX_SLOT_BODY_SIZE));
        self.encode(&mut out);
        out
    }
}

/// Whether two slots may not share a header (spec 4.2): they are
/// identical, or both are password slots with the same Argon2 salt (the
/// same password would open both).
#[hax_lib::ensures(|result| result == spec::conflict(a, b))]
#[cfg_attr(feature = "no-panic", no_panic::no_panic)]
pub(crate) fn conflict(a: &Slot, b: &Slot) -> bool {
    let same_salt = match (a, b) {
        (Slot::Password(x), Slot::Password(y)) => x.kdf_salt() == y.kdf_salt(),
        _ => false,
    };
    a == b || same_salt
}

/// Reads one slot: `slot_type || body_len || body` (spec 4.2).
#[hax_lib::ensures(|result| match (result, model::slot_verdict(r.rest())) {
    // Sound and complete: a slot is read exactly when the input starts with
    // one, and the cursor moves past exactly its bytes.
    (Ok(slot), Ok(len)) => slot.encoded_len() == len && spec::splits_slot(r.rest(), &slot, future(r).rest()),
    // Otherwise the first rule broken, in spec 6 step 1.4's order.
    (Err(e), Err(first)) => e == first,
    _ => false,
})]
pub(crate) fn read_slot(r: &mut Reader<'_>) -> Result<Slot, HeaderError> {
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

impl From<PasswordSlot> for Slot {
    fn from(slot: PasswordSlot) -> Self {
        Self::Password(slot)
    }
}

/// The slot framing as a [`Codec`]: what a header is made of.
#[hax_lib::attributes]
impl Codec for Slot {
    type Error = HeaderError;

    /// Appends `slot_type || body_len || body`.
    #[hax_lib::ensures(|()| {
        let new = future(out);
        new.len() >= out.len() && new[..out.len()] == out[..] && spec::is_slot_encoding(self, &new[out.len()..])
    })]
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

    fn read(r: &mut Reader<'_>) -> Result<Self, HeaderError> {
        read_slot(r)
    }
}

impl Slot {
    /// The length of the encoded slot: the 3-byte framing and the body.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        let body = match self {
            Self::Password(_) => PASSWORD_SLOT_BODY_SIZE,
            Self::Other(o) => o.body.len(),
        };
        body.saturating_add(3)
    }
}

/// The slot grammar as a function of the input (spec 4.2, 4.3 and 6 step
/// 1.4), for the contracts above and for the tests that check them: the
/// length of the slot the input starts with, or the first rule it breaks,
/// in the spec's order. Written from the spec, not from `read_slot`: it
/// reads the fields by position.
#[cfg(any(hax, test))]
pub(crate) mod model {
    use super::{MAX_SLOT_BODY_SIZE, PASSWORD_SLOT_BODY_SIZE, SLOT_TYPE_PASSWORD, SLOT_TYPE_RESERVED};
    use crate::error::HeaderError;
    use crate::kdf::KdfParams;

    /// Big-endian `u32` at `at`, if the input has it.
    fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
        let b = bytes.get(at..at.checked_add(4)?)?;
        Some(u32::from_be_bytes([*b.first()?, *b.get(1)?, *b.get(2)?, *b.get(3)?]))
    }

    /// The slot at the start of `bytes`: its encoded length, or the first
    /// error: the input ends inside the 3-byte framing (`Truncated`); type
    /// 0 (`ReservedSlotType`); a length its type does not allow
    /// (`SlotLength`); the input ends inside the body (`Truncated`); a
    /// password body whose m, t, p are not valid Argon2id parameters
    /// (`InvalidKdfParams`).
    pub(crate) fn slot_verdict(bytes: &[u8]) -> Result<usize, HeaderError> {
        let (Some(&slot_type), Some(&hi), Some(&lo)) = (bytes.first(), bytes.get(1), bytes.get(2)) else {
            return Err(HeaderError::Truncated);
        };
        let body_len = usize::from(u16::from_be_bytes([hi, lo]));
        if slot_type == SLOT_TYPE_RESERVED {
            return Err(HeaderError::ReservedSlotType);
        }
        let allowed = if slot_type == SLOT_TYPE_PASSWORD {
            body_len == PASSWORD_SLOT_BODY_SIZE
        } else {
            body_len <= MAX_SLOT_BODY_SIZE
        };
        if !allowed {
            return Err(HeaderError::SlotLength { slot_type });
        }
        let len = body_len.checked_add(3).ok_or(HeaderError::Truncated)?;
        if bytes.len() < len {
            return Err(HeaderError::Truncated);
        }
        if slot_type == SLOT_TYPE_PASSWORD {
            // Body: kdf_salt (16), m, t, p (4 each), wrapped key (104).
            let params = KdfParams {
                memory_kib: u32_at(bytes, 3 + 16).ok_or(HeaderError::Truncated)?,
                iterations: u32_at(bytes, 3 + 20).ok_or(HeaderError::Truncated)?,
                parallelism: u32_at(bytes, 3 + 24).ok_or(HeaderError::Truncated)?,
            };
            if !params.is_valid() {
                return Err(HeaderError::InvalidKdfParams);
            }
        }
        Ok(len)
    }
}

/// Predicates for the contracts above (only with `--cfg hax`).
#[cfg(hax)]
#[allow(dead_code, reason = "predicates are used by contracts and by the prover only")]
pub(crate) mod spec {
    use super::*;

    /// Spec 4.2: the two slots may not share a header.
    pub(crate) fn conflict(a: &Slot, b: &Slot) -> bool {
        a == b
            || match (a, b) {
                (Slot::Password(x), Slot::Password(y)) => x.kdf_salt() == y.kdf_salt(),
                _ => false,
            }
    }

    /// `encoded` is `slot_type || body_len (2, big-endian) || body`, with
    /// the body of the slot's type.
    pub(crate) fn is_slot_encoding(slot: &Slot, encoded: &[u8]) -> bool {
        let body: Vec<u8> = match slot {
            Slot::Password(p) => password::spec::body_bytes(p),
            Slot::Other(o) => o.body.clone(),
        };
        body.len() <= usize::from(u16::MAX)
            && encoded.len() == 3 + body.len()
            && encoded[0] == slot.slot_type()
            && encoded[1..3] == (body.len() as u16).to_be_bytes()
            && encoded[3..] == body[..]
    }

    /// `whole` is the encoding of `slot` followed by `rest`.
    pub(crate) fn splits_slot(whole: &[u8], slot: &Slot, rest: &[u8]) -> bool {
        let encoded = slot.to_bytes();
        crate::codec::spec::splits(whole, &encoded, rest)
    }
}
