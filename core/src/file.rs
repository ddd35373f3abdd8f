//! The flows a client needs (spec 6 and 7): create a key, seal a backup, unlock
//! and open it with the 64-digit key or a password, and add, change or
//! remove a password by writing a new header for the same payload.
//!
//! Everything here works on bytes in memory or on single chunks; reading
//! and writing files is the caller's business (the CLI's std layer).

use crate::aead::Aead;
use crate::chunk::{PREFIX_SIZE, SALT_SIZE};
use crate::cobblestone::{self, ChunkCipher, Decryptor, Encryptor, RandomAccess, StreamOpener};
pub use crate::error::ContextTooLong;
pub use crate::limits::MAX_CONTEXT_SIZE;

use crate::error::OpenError;
use crate::header::{Header, HeaderError, Slot};
use crate::kdf::{KdfLimitError, KdfLimits};
use crate::secret::{BackupKey, RngError, fill_random};

pub use crate::secret::Secret;
use crate::slot::{PasswordSlot, SlotUnwrapError, Unwrapped};
use alloc::vec::Vec;
use core::fmt;
use rand_core::TryCryptoRng;

/// The label that starts the payload's Cobblestone context.
pub const PAYLOAD_LABEL: &[u8] = b"ebak/v1/payload";

/// Spec 5: the payload's Cobblestone context,
/// `"ebak/v1/payload" || 0x00 || application context`.
///
/// # Errors
///
/// The application context is longer than 1024 bytes.
pub fn payload_context(app_context: &[u8]) -> Result<Vec<u8>, ContextTooLong> {
    if app_context.len() > MAX_CONTEXT_SIZE {
        return Err(ContextTooLong);
    }
    let mut out = Vec::with_capacity(PAYLOAD_LABEL.len().saturating_add(1).saturating_add(app_context.len()));
    out.extend_from_slice(PAYLOAD_LABEL);
    out.push(0x00);
    out.extend_from_slice(app_context);
    Ok(out)
}

/// Why sealing failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// The slots do not make a valid header (too many, duplicates).
    Header(HeaderError),
    /// The password slots together cost more than a reader will spend.
    KdfLimits(KdfLimitError),
    /// The application context is too long.
    ContextTooLong,
    /// The payload is too long, or a chunk buffer was wrong.
    Payload(cobblestone::SealError),
    /// The random number generator failed.
    Rng(RngError),
    /// [`Unlocked::removing`] or [`Unlocked::replacing`] was given a slot
    /// index the header does not have.
    NoSuchSlot {
        /// The index asked for.
        index: usize,
        /// How many slots the header has.
        slots: usize,
    },
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Header(e) => write!(f, "{e}"),
            Self::KdfLimits(e) => write!(f, "{e}"),
            Self::ContextTooLong => write!(f, "{ContextTooLong}"),
            Self::Payload(e) => write!(f, "{e}"),
            Self::Rng(e) => write!(f, "{e}"),
            Self::NoSuchSlot { index, slots } => {
                write!(f, "there is no key slot {index}: the header has {slots} (numbered from 0)")
            }
        }
    }
}

/// Builds the header for a new file: checks the slots and the KDF budget
/// (a writer must not make a file readers refuse), and computes the MAC.
///
/// # Errors
///
/// See [`SealError`].
pub fn new_header(backup_key: &BackupKey, slots: Vec<Slot>) -> Result<Header, SealError> {
    let header = Header::new(backup_key, slots).map_err(SealError::Header)?;
    KdfLimits::V1.check_all(header.password_params()).map_err(SealError::KdfLimits)?;
    Ok(header)
}

/// Seals `plaintext` into a whole file held in memory, with every random
/// input given (the payload salt; the slots carry their own).
///
/// # Errors
///
/// See [`SealError`].
pub fn seal<A: Aead>(
    backup_key: &BackupKey,
    slots: Vec<Slot>,
    app_context: &[u8],
    payload_salt: &[u8; SALT_SIZE],
    plaintext: &[u8],
) -> Result<Vec<u8>, SealError> {
    let header = new_header(backup_key, slots)?;
    let context = payload_context(app_context).map_err(|_| SealError::ContextTooLong)?;
    let payload = cobblestone::seal::<A>(backup_key.expose_secret(), payload_salt, &context, plaintext)
        .map_err(SealError::Payload)?;
    let mut file = header.to_bytes();
    file.extend_from_slice(&payload);
    Ok(file)
}

/// Like [`seal`], drawing the payload salt from `rng`.
///
/// # Errors
///
/// See [`SealError`].
pub fn seal_with_rng<A: Aead, R: TryCryptoRng + ?Sized>(
    backup_key: &BackupKey,
    slots: Vec<Slot>,
    app_context: &[u8],
    plaintext: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    let salt = fill_random(rng).map_err(SealError::Rng)?;
    seal::<A>(backup_key, slots, app_context, &salt, plaintext)
}

/// Starts a payload under `backup_key` for a chunk-by-chunk writer (spec 5,
/// 7.1): the 56-byte prefix (salt and key commitment) to write right after
/// the header, and the cipher that seals chunk `k` of what follows.
///
/// The caller owns the final-chunk rule (`ebak-stream` keeps it); for an
/// in-order writer that enforces it, use [`Encryptor`] on the payload
/// context directly.
///
/// # Errors
///
/// The application context is longer than [`MAX_CONTEXT_SIZE`].
pub fn payload_sealer<A: Aead>(
    backup_key: &BackupKey,
    payload_salt: &[u8; SALT_SIZE],
    app_context: &[u8],
) -> Result<(ChunkCipher<A>, [u8; PREFIX_SIZE]), ContextTooLong> {
    let context = payload_context(app_context)?;
    let (encryptor, prefix) = Encryptor::<A>::new(backup_key.expose_secret(), payload_salt, &context);
    Ok((encryptor.into_cipher(), prefix))
}

/// A header whose MAC verified, with the backup key it verified under.
#[derive(Debug)]
pub struct Unlocked {
    backup_key: BackupKey,
    header: Header,
    opened_slot: Option<usize>,
}

/// Unlocks `header` with `secret` (spec 6 steps 2 and 3).
///
/// With a password: every password slot's costs are checked against
/// `limits` before Argon2 runs for any of them; then each password slot is
/// tried in order, and slots of other types are skipped. With the key:
/// nothing is tried. Either way the header MAC is then checked in constant
/// time under the backup key.
///
/// # Errors
///
/// [`OpenError::KdfLimits`], [`OpenError::Kdf`], [`OpenError::NoSlotOpens`]
/// or [`OpenError::HeaderMac`].
pub fn unlock<A: Aead>(header: &Header, secret: &Secret, limits: &KdfLimits) -> Result<Unlocked, OpenError> {
    let (backup_key, opened_slot) = match secret {
        Secret::Key(key) => (key.clone(), None),
        Secret::Password(password) => {
            let password = password.expose_secret();
            // Spec 6 step 2: MUST check every ceiling before running Argon2.
            limits.check_all(header.password_params())?;
            let mut found = None;
            for (index, slot) in header.slots().iter().enumerate() {
                let Slot::Password(slot) = slot else { continue };
                match slot.unwrap::<A>(password, limits) {
                    Ok(Unwrapped::Key(key)) => {
                        found = Some((key, Some(index)));
                        break;
                    }
                    Ok(Unwrapped::WrongPassword) => {}
                    // Spec 6: the right password on a modified slot is a
                    // header authentication failure, not a wrong password.
                    Ok(Unwrapped::Tampered) => return Err(OpenError::HeaderMac),
                    Err(SlotUnwrapError::Limits(e)) => return Err(OpenError::KdfLimits(e)),
                    Err(SlotUnwrapError::Kdf(e)) => return Err(OpenError::Kdf(e)),
                }
            }
            found.ok_or(OpenError::NoSlotOpens)?
        }
    };
    // Spec 6 step 3: the MAC is checked before anything else uses the key.
    if !header.verify_mac(&backup_key) {
        return Err(OpenError::HeaderMac);
    }
    Ok(Unlocked { backup_key, header: header.clone(), opened_slot })
}

impl Unlocked {
    /// The backup key.
    #[must_use]
    pub const fn backup_key(&self) -> &BackupKey {
        &self.backup_key
    }

    /// The verified header.
    #[must_use]
    pub const fn header(&self) -> &Header {
        &self.header
    }

    /// The index of the slot the password opened (`None` with the key).
    #[must_use]
    pub const fn opened_slot(&self) -> Option<usize> {
        self.opened_slot
    }

    /// Starts decrypting the payload in order: checks the commitment in
    /// `prefix`, the payload's first 56 bytes.
    ///
    /// # Errors
    ///
    /// The context is too long ([`OpenError::ContextTooLong`]), or the
    /// commitment does not match.
    pub fn decryptor<A: Aead>(
        &self,
        app_context: &[u8],
        prefix: &[u8; PREFIX_SIZE],
    ) -> Result<Decryptor<A>, OpenError> {
        let context = payload_context(app_context).map_err(|_| OpenError::ContextTooLong)?;
        Ok(Decryptor::new(self.backup_key.expose_secret(), &context, prefix)?)
    }

    /// Checks the payload's key commitment in `prefix` (its first 56 bytes)
    /// and returns the cipher that opens chunk `k` of what follows, for a
    /// chunk-by-chunk reader that keeps the final-chunk rule itself
    /// (`ebak-stream`).
    ///
    /// # Errors
    ///
    /// The context is too long ([`OpenError::ContextTooLong`]), or the
    /// commitment does not match (class Commitment).
    pub fn payload_cipher<A: Aead>(
        &self,
        app_context: &[u8],
        prefix: &[u8; PREFIX_SIZE],
    ) -> Result<ChunkCipher<A>, OpenError> {
        let context = payload_context(app_context).map_err(|_| OpenError::ContextTooLong)?;
        Ok(cobblestone::check_prefix::<A>(self.backup_key.expose_secret(), &context, prefix)?)
    }

    /// Random access to a payload of `payload_len` bytes (spec 6.1): checks
    /// the commitment in `prefix`, then opens any chunk by index.
    ///
    /// # Errors
    ///
    /// The context is too long, the commitment does not match, or no
    /// payload has this length.
    pub fn random_access<A: Aead>(
        &self,
        app_context: &[u8],
        prefix: &[u8; PREFIX_SIZE],
        payload_len: u64,
    ) -> Result<RandomAccess<A>, OpenError> {
        let context = payload_context(app_context).map_err(|_| OpenError::ContextTooLong)?;
        Ok(RandomAccess::new(self.backup_key.expose_secret(), &context, prefix, payload_len)?)
    }

    /// A push-based opener for the payload bytes that follow the header.
    ///
    /// # Errors
    ///
    /// The context is too long ([`OpenError::ContextTooLong`]).
    pub fn stream_opener<A: Aead>(&self, app_context: &[u8]) -> Result<StreamOpener<A>, OpenError> {
        let context = payload_context(app_context).map_err(|_| OpenError::ContextTooLong)?;
        Ok(StreamOpener::new(self.backup_key.expose_secret(), &context))
    }

    /// A new header with the same backup key and `slots` in place of the
    /// current ones.
    ///
    /// # Errors
    ///
    /// The slots do not make a valid header.
    pub fn with_slots(&self, slots: Vec<Slot>) -> Result<Header, SealError> {
        new_header(&self.backup_key, slots)
    }

    /// A new header with `slot` added after the existing ones.
    ///
    /// # Errors
    ///
    /// Already eight slots, or a duplicate.
    pub fn adding(&self, slot: PasswordSlot) -> Result<Header, SealError> {
        let mut slots = self.header.slots().to_vec();
        slots.push(Slot::Password(slot));
        self.with_slots(slots)
    }

    /// A new header without slot `index`.
    ///
    /// # Errors
    ///
    /// There is no slot `index`.
    pub fn removing(&self, index: usize) -> Result<Header, SealError> {
        let mut slots = self.header.slots().to_vec();
        if index >= slots.len() {
            return Err(SealError::NoSuchSlot { index, slots: slots.len() });
        }
        slots.remove(index);
        self.with_slots(slots)
    }

    /// A new header with slot `index` replaced by `slot`: a password change.
    ///
    /// # Errors
    ///
    /// There is no slot `index`, or the new slot duplicates another.
    pub fn replacing(&self, index: usize, slot: PasswordSlot) -> Result<Header, SealError> {
        let mut slots = self.header.slots().to_vec();
        let count = slots.len();
        let Some(old) = slots.get_mut(index) else {
            return Err(SealError::NoSuchSlot { index, slots: count });
        };
        *old = Slot::Password(slot);
        self.with_slots(slots)
    }
}

/// Splits a file held in memory into its header and its payload bytes.
///
/// # Errors
///
/// The header is malformed.
pub fn split(file: &[u8]) -> Result<(Header, &[u8]), HeaderError> {
    let (header, len) = Header::parse_prefix(file)?;
    let payload = file.get(len..).ok_or(HeaderError::Truncated)?;
    Ok((header, payload))
}

/// Opens a whole file held in memory (spec 6, all steps).
///
/// # Errors
///
/// See [`OpenError`]; no plaintext is returned on any error.
pub fn open<A: Aead>(
    file: &[u8],
    secret: &Secret,
    app_context: &[u8],
    limits: &KdfLimits,
) -> Result<Vec<u8>, OpenError> {
    // A usage error, refused before the file is read (spec 5).
    let context = payload_context(app_context).map_err(|_| OpenError::ContextTooLong)?;
    let (header, payload) = split(file)?;
    let unlocked = unlock::<A>(&header, secret, limits)?;
    Ok(cobblestone::open::<A>(unlocked.backup_key.expose_secret(), &context, payload)?)
}

/// The file with its header replaced by `header` and its payload bytes
/// unchanged: how a password is added, changed or removed (spec 7.2).
///
/// # Errors
///
/// The file's current header is malformed.
pub fn replace_header(file: &[u8], header: &Header) -> Result<Vec<u8>, HeaderError> {
    let (_, payload) = split(file)?;
    let mut out = header.to_bytes();
    out.extend_from_slice(payload);
    Ok(out)
}

impl core::error::Error for SealError {}
