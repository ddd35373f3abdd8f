//! The password slot: the backup key wrapped under a password (spec 4.3).
//!
//! ```text
//! KEK     = Argon2id(NFC(password), kdf_salt, m, t, p)        32 bytes
//! context = "ebak/v1/password-slot" || 0x00 || 0x01 || kdf_salt || m || t || p
//! wrapped = Cobblestone-256(input key = KEK, salt = wrap_salt,
//!                           context, message = backup key)  104 bytes
//! ```
//!
//! The wrap is committing: a wrong password fails at the commitment, before
//! the AEAD is tried, and no key other than the KEK that made the slot can
//! open it (which rules out partitioning-oracle attacks on the password).
//!
//! The hax contracts cover the slot body codec (decoding then encoding
//! gives the input back), the wrap context's layout, and the checks a slot
//! passes before Argon2 runs. Argon2id and the AEAD are opaque to them.

use crate::aead::Aead;
use crate::chunk::SALT_SIZE;
use crate::cobblestone::{self, PayloadError};
use crate::codec::Reader;
use crate::kdf::{self, KDF_SALT_SIZE, KdfError, KdfFloor, KdfFloorError, KdfLimitError, KdfLimits, KdfParams};
use crate::secret::{BACKUP_KEY_SIZE, BackupKey, DerivedKey, RngError, fill_random};
use alloc::vec::Vec;
use core::fmt;
use rand_core::TryCryptoRng;
use zeroize::Zeroize;

/// The slot type of a password slot.
pub const SLOT_TYPE_PASSWORD: u8 = 0x01;

/// The label that starts a password slot's wrap context.
pub const PASSWORD_SLOT_LABEL: &[u8] = b"ebak/v1/password-slot";

/// The wrapped backup key: salt, commitment, 32-byte chunk and its tag.
pub const WRAPPED_KEY_SIZE: usize = 104;
/// The parameters part of the body: salt, m, t, p.
pub const PASSWORD_SLOT_PARAMS_SIZE: usize = KDF_SALT_SIZE + 12;
/// A password slot body: parameters and wrapped key.
pub const PASSWORD_SLOT_BODY_SIZE: usize = PASSWORD_SLOT_PARAMS_SIZE + WRAPPED_KEY_SIZE;
/// The wrap context: label, 0x00, type, parameters.
pub const WRAP_CONTEXT_SIZE: usize = PASSWORD_SLOT_LABEL.len() + 2 + PASSWORD_SLOT_PARAMS_SIZE;

/// A password slot.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordSlot {
    params: KdfParams,
    kdf_salt: [u8; KDF_SALT_SIZE],
    wrapped_key: [u8; WRAPPED_KEY_SIZE],
}

impl fmt::Debug for PasswordSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Nothing in a slot is secret, but the wrapped key is noise to a reader.
        f.debug_struct("PasswordSlot").field("params", &self.params).finish_non_exhaustive()
    }
}

/// Why a password slot could not be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SlotError {
    /// Spec 4.3: a writer MUST NOT create a slot for the empty password.
    EmptyPassword,
    /// The costs are not valid Argon2id parameters.
    InvalidParams,
    /// The costs are below the creation floor.
    BelowFloor(KdfFloorError),
    /// The costs are over the ceiling: no reader would open the slot.
    OverCeiling(KdfLimitError),
    /// Argon2id could not run.
    Kdf(KdfError),
    /// The random number generator failed.
    Rng(RngError),
}

impl fmt::Display for SlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyPassword => f.write_str("the password is empty"),
            Self::InvalidParams => f.write_str("invalid Argon2id parameters"),
            Self::BelowFloor(e) => write!(f, "{e}"),
            Self::OverCeiling(e) => write!(f, "{e}"),
            Self::Kdf(e) => write!(f, "{e}"),
            Self::Rng(e) => write!(f, "{e}"),
        }
    }
}

/// What trying a password on a slot gave.
#[derive(Debug)]
pub enum Unwrapped {
    /// The password opened the slot.
    Key(BackupKey),
    /// Not this slot's password (the commitment did not match).
    WrongPassword,
    /// The commitment matched but the wrapped key did not authenticate: the
    /// slot was modified (spec 6 step 2 reports this in the header-MAC class).
    Tampered,
}

#[hax_lib::attributes]
impl PasswordSlot {
    /// Wraps `backup_key` under `password`, with every random input given.
    ///
    /// Spec 4.3: a writer MUST use costs at or above the floor
    /// ([`KdfFloor::V1`]) and at or below the ceilings ([`KdfLimits::V1`]).
    ///
    /// # Errors
    ///
    /// See [`SlotError`].
    #[hax_lib::ensures(|result| match result {
        Ok(slot) => KdfFloor::V1.check(&params).is_ok() && spec::created_from(&slot, password, &params, &kdf_salt),
        // The first check that fails decides the error, in this order: the
        // floor, the password, the costs' validity, the ceilings, and only
        // then Argon2id itself. So it fails only as stated, and succeeds
        // whenever every check passes and Argon2id runs.
        Err(SlotError::BelowFloor(e)) => KdfFloor::V1.check(&params) == Err(e),
        Err(SlotError::EmptyPassword) => KdfFloor::V1.check(&params).is_ok() && password.is_empty(),
        Err(SlotError::InvalidParams) => {
            KdfFloor::V1.check(&params).is_ok() && !password.is_empty() && !params.is_valid()
        }
        Err(SlotError::OverCeiling(e)) => {
            KdfFloor::V1.check(&params).is_ok()
                && !password.is_empty()
                && params.is_valid()
                && KdfLimits::V1.check_slot(&params) == Err(e)
        }
        Err(SlotError::Kdf(_)) => {
            KdfFloor::V1.check(&params).is_ok()
                && !password.is_empty()
                && params.is_valid()
                && KdfLimits::V1.check_slot(&params).is_ok()
        }
        Err(SlotError::Rng(_)) => false,
    })]
    pub fn create<A: Aead>(
        backup_key: &BackupKey,
        password: &str,
        params: KdfParams,
        kdf_salt: [u8; KDF_SALT_SIZE],
        wrap_salt: [u8; SALT_SIZE],
    ) -> Result<Self, SlotError> {
        KdfFloor::V1.check(&params).map_err(SlotError::BelowFloor)?;
        Self::create_without_floor::<A>(backup_key, password, params, kdf_salt, wrap_salt)
    }

    /// Like [`PasswordSlot::create`], drawing both salts from `rng`.
    ///
    /// # Errors
    ///
    /// See [`SlotError`].
    pub fn create_with_rng<A: Aead, R: TryCryptoRng + ?Sized>(
        backup_key: &BackupKey,
        password: &str,
        params: KdfParams,
        rng: &mut R,
    ) -> Result<Self, SlotError> {
        let kdf_salt = fill_random(rng).map_err(SlotError::Rng)?;
        let wrap_salt = fill_random(rng).map_err(SlotError::Rng)?;
        Self::create::<A>(backup_key, password, params, kdf_salt, wrap_salt)
    }

    /// Like [`PasswordSlot::create`] but without the creation floor, so
    /// that test vectors, property tests and fuzzers can use cheap costs.
    /// Never use it for a real backup: readers accept such slots, but their
    /// passwords are cheap to guess.
    ///
    /// # Errors
    ///
    /// See [`SlotError`].
    #[hax_lib::ensures(|result| match result {
        Ok(slot) => spec::created_from(&slot, password, &params, &kdf_salt),
        Err(SlotError::EmptyPassword) => password.is_empty(),
        Err(SlotError::InvalidParams) => !password.is_empty() && !params.is_valid(),
        Err(SlotError::OverCeiling(e)) => {
            !password.is_empty() && params.is_valid() && KdfLimits::V1.check_slot(&params) == Err(e)
        }
        Err(SlotError::Kdf(_)) => {
            !password.is_empty() && params.is_valid() && KdfLimits::V1.check_slot(&params).is_ok()
        }
        Err(_) => false,
    })]
    pub fn create_without_floor<A: Aead>(
        backup_key: &BackupKey,
        password: &str,
        params: KdfParams,
        kdf_salt: [u8; KDF_SALT_SIZE],
        wrap_salt: [u8; SALT_SIZE],
    ) -> Result<Self, SlotError> {
        if password.is_empty() {
            return Err(SlotError::EmptyPassword);
        }
        if !params.is_valid() {
            return Err(SlotError::InvalidParams);
        }
        KdfLimits::V1.check_slot(&params).map_err(SlotError::OverCeiling)?;
        let kek = kdf::derive_kek(password, &kdf_salt, &params).map_err(SlotError::Kdf)?;
        let context = encode_wrap_context(&params, &kdf_salt);
        let mut sealed = cobblestone::seal::<A>(kek.expose_secret(), &wrap_salt, &context, backup_key.expose_secret())
            .map_err(|_| SlotError::InvalidParams)?;
        let mut wrapped_key = [0u8; WRAPPED_KEY_SIZE];
        // The Cobblestone ciphertext of a 32-byte message is exactly 104
        // bytes: 24 salt, 32 commitment, 32 ciphertext, 16 tag.
        if sealed.len() != WRAPPED_KEY_SIZE {
            sealed.zeroize();
            return Err(SlotError::InvalidParams);
        }
        for (w, s) in wrapped_key.iter_mut().zip(sealed.iter()) {
            *w = *s;
        }
        Ok(Self { params, kdf_salt, wrapped_key })
    }

    /// The Argon2id costs.
    #[must_use]
    pub const fn params(&self) -> &KdfParams {
        &self.params
    }

    /// The Argon2id salt.
    #[must_use]
    pub const fn kdf_salt(&self) -> &[u8; KDF_SALT_SIZE] {
        &self.kdf_salt
    }

    /// The wrapped backup key (a Cobblestone-256 ciphertext).
    #[must_use]
    pub const fn wrapped_key(&self) -> &[u8; WRAPPED_KEY_SIZE] {
        &self.wrapped_key
    }

    /// The Cobblestone context the wrap is bound to.
    #[must_use]
    #[hax_lib::ensures(|result| result[..] == spec::wrap_context_bytes(&self.params, &self.kdf_salt)[..])]
    #[cfg_attr(feature = "no-panic", no_panic::no_panic)]
    pub fn wrap_context(&self) -> [u8; WRAP_CONTEXT_SIZE] {
        encode_wrap_context(&self.params, &self.kdf_salt)
    }

    /// The key-encryption key `password` gives for this slot (a test-vector
    /// intermediate value). Checks the slot's costs against `limits` first.
    ///
    /// # Errors
    ///
    /// Over a ceiling, or Argon2id could not run.
    #[hax_lib::ensures(|result| match result {
        Err(SlotUnwrapError::Limits(_)) => limits.check_slot(&self.params).is_err(),
        _ => limits.check_slot(&self.params).is_ok(),
    })]
    pub fn kek(&self, password: &str, limits: &KdfLimits) -> Result<DerivedKey, SlotUnwrapError> {
        limits.check_slot(&self.params).map_err(SlotUnwrapError::Limits)?;
        kdf::derive_kek(password, &self.kdf_salt, &self.params).map_err(SlotUnwrapError::Kdf)
    }

    /// Tries `password` on this slot. Checks the slot's costs against
    /// `limits` before Argon2id runs.
    ///
    /// # Errors
    ///
    /// Over a ceiling, or Argon2id could not run. A wrong password is not
    /// an error here but [`Unwrapped::WrongPassword`].
    pub fn unwrap<A: Aead>(&self, password: &str, limits: &KdfLimits) -> Result<Unwrapped, SlotUnwrapError> {
        let kek = self.kek(password, limits)?;
        Ok(self.unwrap_with_kek::<A>(&kek))
    }

    /// Opens the wrap with a KEK already derived.
    #[must_use]
    pub fn unwrap_with_kek<A: Aead>(&self, kek: &DerivedKey) -> Unwrapped {
        let context = self.wrap_context();
        match cobblestone::open::<A>(kek.expose_secret(), &context, &self.wrapped_key) {
            Ok(mut key) => {
                let result = match <[u8; BACKUP_KEY_SIZE]>::try_from(key.as_slice()) {
                    Ok(bytes) => Unwrapped::Key(BackupKey::from_bytes(bytes)),
                    Err(_) => Unwrapped::Tampered,
                };
                key.zeroize();
                result
            }
            Err(PayloadError::Commitment) => Unwrapped::WrongPassword,
            Err(_) => Unwrapped::Tampered,
        }
    }

    /// Appends the slot body (spec 4.3 table) to `out`.
    #[hax_lib::ensures(|()| {
        let new = future(out);
        new.len() == out.len() + PASSWORD_SLOT_BODY_SIZE
            && new[..out.len()] == out[..]
            && new[out.len()..] == spec::body_bytes(self)[..]
    })]
    pub(crate) fn encode_body(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.kdf_salt);
        out.extend_from_slice(&self.params.memory_kib.to_be_bytes());
        out.extend_from_slice(&self.params.iterations.to_be_bytes());
        out.extend_from_slice(&self.params.parallelism.to_be_bytes());
        out.extend_from_slice(&self.wrapped_key);
    }

    /// Decodes a slot body of exactly [`PASSWORD_SLOT_BODY_SIZE`] bytes;
    /// `None` if the length is wrong or the costs are not valid Argon2id
    /// parameters.
    #[hax_lib::ensures(|result| match result {
        None => body.len() != PASSWORD_SLOT_BODY_SIZE,
        Some(Ok(slot)) => slot.params.is_valid() && spec::body_bytes(&slot) == body,
        Some(Err(InvalidParams)) => body.len() == PASSWORD_SLOT_BODY_SIZE && !spec::params_in(body).is_valid(),
    })]
    #[cfg_attr(feature = "no-panic", no_panic::no_panic)]
    pub(crate) fn decode_body(body: &[u8]) -> Option<Result<Self, InvalidParams>> {
        if body.len() != PASSWORD_SLOT_BODY_SIZE {
            return None;
        }
        let mut r = Reader::new(body);
        let kdf_salt = *r.array::<KDF_SALT_SIZE>()?;
        let params = KdfParams { memory_kib: r.u32()?, iterations: r.u32()?, parallelism: r.u32()? };
        let wrapped_key = *r.array::<WRAPPED_KEY_SIZE>()?;
        if !params.is_valid() {
            return Some(Err(InvalidParams));
        }
        Some(Ok(Self { params, kdf_salt, wrapped_key }))
    }
}

/// A slot whose costs are not valid Argon2id parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InvalidParams;

/// Why trying a password on a slot could not even start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SlotUnwrapError {
    /// A cost is over the reader's ceiling.
    Limits(KdfLimitError),
    /// Argon2id could not run.
    Kdf(KdfError),
}

/// `"ebak/v1/password-slot" || 0x00 || 0x01 || kdf_salt || m || t || p`.
#[hax_lib::ensures(|result| result[..] == spec::wrap_context_bytes(params, kdf_salt)[..])]
#[cfg_attr(feature = "no-panic", no_panic::no_panic)]
fn encode_wrap_context(params: &KdfParams, kdf_salt: &[u8; KDF_SALT_SIZE]) -> [u8; WRAP_CONTEXT_SIZE] {
    let m = params.memory_kib.to_be_bytes();
    let t = params.iterations.to_be_bytes();
    let p = params.parallelism.to_be_bytes();
    let parts: [&[u8]; 6] = [PASSWORD_SLOT_LABEL, &[0x00, SLOT_TYPE_PASSWORD], kdf_salt, &m, &t, &p];
    let mut out = [0u8; WRAP_CONTEXT_SIZE];
    let mut dst = out.iter_mut();
    for part in parts {
        // The source first: zip stops on it without taking from `dst`.
        for (s, d) in part.iter().zip(dst.by_ref()) {
            *d = *s;
        }
    }
    out
}

impl fmt::Display for SlotUnwrapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Limits(e) => write!(f, "{e}"),
            Self::Kdf(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for SlotError {}

/// Predicates for the contracts above (only with `--cfg hax`).
#[cfg(hax)]
#[allow(dead_code, reason = "predicates are used by contracts and by the prover only")]
pub(crate) mod spec {
    use super::*;

    /// Spec 4.3: `kdf_salt (16) || m (4) || t (4) || p (4) || wrapped_key
    /// (104)`, integers big-endian.
    pub(crate) fn body_bytes(slot: &PasswordSlot) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&slot.kdf_salt);
        out.extend_from_slice(&slot.params.memory_kib.to_be_bytes());
        out.extend_from_slice(&slot.params.iterations.to_be_bytes());
        out.extend_from_slice(&slot.params.parallelism.to_be_bytes());
        out.extend_from_slice(&slot.wrapped_key);
        out
    }

    /// The costs a body of the right length holds, valid or not.
    pub(crate) fn params_in(body: &[u8]) -> KdfParams {
        let word = |at: usize| u32::from_be_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]);
        KdfParams {
            memory_kib: word(KDF_SALT_SIZE),
            iterations: word(KDF_SALT_SIZE + 4),
            parallelism: word(KDF_SALT_SIZE + 8),
        }
    }

    /// Spec 4.3: the wrap context.
    pub(crate) fn wrap_context_bytes(params: &KdfParams, kdf_salt: &[u8; KDF_SALT_SIZE]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(PASSWORD_SLOT_LABEL);
        out.push(0x00);
        out.push(SLOT_TYPE_PASSWORD);
        out.extend_from_slice(kdf_salt);
        out.extend_from_slice(&params.memory_kib.to_be_bytes());
        out.extend_from_slice(&params.iterations.to_be_bytes());
        out.extend_from_slice(&params.parallelism.to_be_bytes());
        out
    }

    /// A slot made from these inputs passed every check a writer must make
    /// (spec 4.3): a non-empty password, valid costs within the ceilings;
    /// and it stores the costs and the salt it was given.
    pub(crate) fn created_from(
        slot: &PasswordSlot,
        password: &str,
        params: &KdfParams,
        kdf_salt: &[u8; KDF_SALT_SIZE],
    ) -> bool {
        !password.is_empty()
            && params.is_valid()
            && KdfLimits::V1.check_slot(params).is_ok()
            && slot.params == *params
            && slot.kdf_salt == *kdf_salt
    }
}

impl core::error::Error for SlotUnwrapError {}
