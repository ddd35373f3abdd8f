//! Argon2id: from a password to a key-encryption key (spec 4.3), with the
//! creation floor and the opening ceilings (spec 8).
//!
//! The hax contracts state what each check accepts and which error it
//! gives, in the order the spec fixes. Argon2id and the Unicode
//! normalization are opaque to them (RustCrypto's `argon2` and the
//! `unicode-normalization` crate are in the trusted base).

use crate::secret::DerivedKey;
use alloc::string::String;
use argon2::{Algorithm, Argon2, Params, Version};
use core::fmt;
use unicode_normalization::UnicodeNormalization;
use zeroize::{Zeroize, Zeroizing};

/// The Argon2id salt stored in a password slot.
pub const KDF_SALT_SIZE: usize = 16;
/// The KEK length.
pub const KEK_SIZE: usize = 32;

/// Argon2id costs, as stored in a password slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KdfParams {
    /// m: memory in KiB.
    pub memory_kib: u32,
    /// t: passes over memory.
    pub iterations: u32,
    /// p: lanes.
    pub parallelism: u32,
}

/// The most lanes Argon2 allows (RFC 9106 section 3.1: p < 2^24).
pub const ARGON2_MAX_PARALLELISM: u32 = 0x00FF_FFFF;

#[hax_lib::attributes]
impl KdfParams {
    /// The costs a new slot gets by default: 256 MiB, 10 passes, 2 lanes,
    /// about one second on a 2-core machine (spec 8 gives the measurement).
    pub const DEFAULT: Self = Self { memory_kib: 256 * 1024, iterations: 10, parallelism: 2 };

    /// Whether these are parameters Argon2id accepts at all (RFC 9106
    /// section 3.1): t >= 1, 1 <= p < 2^24, m >= 8p. A slot whose costs are
    /// not is malformed.
    #[must_use]
    #[hax_lib::ensures(|result| result
        == (self.iterations >= 1
            && self.parallelism >= 1
            && self.parallelism <= ARGON2_MAX_PARALLELISM
            && self.memory_kib as u64 >= 8 * self.parallelism as u64))]
    pub const fn is_valid(&self) -> bool {
        self.iterations >= 1
            && self.parallelism >= 1
            && self.parallelism <= ARGON2_MAX_PARALLELISM
            && (self.memory_kib as u64) >= (self.parallelism as u64).saturating_mul(8)
    }

    /// m * t, the work a slot costs in KiB-passes (two `u32`s: the product
    /// fits a `u64`, so it never saturates).
    #[must_use]
    #[hax_lib::ensures(|result| result == self.memory_kib as u64 * self.iterations as u64)]
    pub const fn work(&self) -> u64 {
        (self.memory_kib as u64).saturating_mul(self.iterations as u64)
    }
}

/// The least a writer may use (spec 8): RFC 9106's second recommended
/// option, m = 64 MiB and t = 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfFloor {
    /// Least memory, in KiB.
    pub min_memory_kib: u32,
    /// Fewest passes.
    pub min_iterations: u32,
}

#[hax_lib::attributes]
impl KdfFloor {
    /// The floor of ebak v1.
    pub const V1: Self = Self { min_memory_kib: 64 * 1024, min_iterations: 3 };

    /// Checks `params` against the floor.
    ///
    /// # Errors
    ///
    /// Memory or passes below the floor.
    #[hax_lib::ensures(|result| match result {
        Ok(()) => params.memory_kib >= self.min_memory_kib && params.iterations >= self.min_iterations,
        Err(KdfFloorError::Memory { memory_kib, floor_kib }) => params.memory_kib < self.min_memory_kib
            && memory_kib == params.memory_kib
            && floor_kib == self.min_memory_kib,
        Err(KdfFloorError::Iterations { iterations, floor }) => params.memory_kib >= self.min_memory_kib
            && params.iterations < self.min_iterations
            && iterations == params.iterations
            && floor == self.min_iterations,
    })]
    pub const fn check(&self, params: &KdfParams) -> Result<(), KdfFloorError> {
        if params.memory_kib < self.min_memory_kib {
            return Err(KdfFloorError::Memory { memory_kib: params.memory_kib, floor_kib: self.min_memory_kib });
        }
        if params.iterations < self.min_iterations {
            return Err(KdfFloorError::Iterations { iterations: params.iterations, floor: self.min_iterations });
        }
        Ok(())
    }
}

/// Costs below the creation floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KdfFloorError {
    /// Too little memory.
    Memory {
        /// Requested.
        memory_kib: u32,
        /// The floor.
        floor_kib: u32,
    },
    /// Too few passes.
    Iterations {
        /// Requested.
        iterations: u32,
        /// The floor.
        floor: u32,
    },
}

impl fmt::Display for KdfFloorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory { memory_kib, floor_kib } => {
                write!(f, "Argon2 memory {memory_kib} KiB is below the floor of {floor_kib} KiB")
            }
            Self::Iterations { iterations, floor } => {
                write!(f, "Argon2 passes {iterations} are below the floor of {floor}")
            }
        }
    }
}

/// The most a reader will spend on Argon2 for one header (spec 8). Checked
/// for every password slot before Argon2 runs for any of them, so a crafted
/// header cannot make a reader exhaust memory or time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfLimits {
    /// Most memory for one slot, in KiB.
    pub max_memory_kib: u32,
    /// Most passes for one slot.
    pub max_iterations: u32,
    /// Most lanes for one slot.
    pub max_parallelism: u32,
    /// Most total work (sum of m * t, in KiB-passes) over all password
    /// slots of a header.
    pub max_total_work: u64,
}

#[hax_lib::attributes]
impl KdfLimits {
    /// The ceilings of ebak v1: 1 GiB, 16 passes, 16 lanes, and a total of
    /// 2^24 KiB-passes (one 1 GiB slot at 16 passes).
    pub const V1: Self =
        Self { max_memory_kib: 1024 * 1024, max_iterations: 16, max_parallelism: 16, max_total_work: 1 << 24 };

    /// Checks one slot's costs against the per-slot ceilings.
    ///
    /// # Errors
    ///
    /// A cost is over its ceiling.
    #[hax_lib::ensures(|result| match result {
        Ok(()) => params.memory_kib <= self.max_memory_kib
            && params.iterations <= self.max_iterations
            && params.parallelism <= self.max_parallelism,
        Err(KdfLimitError::Memory { memory_kib, ceiling_kib }) => params.memory_kib > self.max_memory_kib
            && memory_kib == params.memory_kib
            && ceiling_kib == self.max_memory_kib,
        Err(KdfLimitError::Iterations { iterations, ceiling }) => params.memory_kib <= self.max_memory_kib
            && params.iterations > self.max_iterations
            && iterations == params.iterations
            && ceiling == self.max_iterations,
        Err(KdfLimitError::Parallelism { parallelism, ceiling }) => params.memory_kib <= self.max_memory_kib
            && params.iterations <= self.max_iterations
            && params.parallelism > self.max_parallelism
            && parallelism == params.parallelism
            && ceiling == self.max_parallelism,
        Err(KdfLimitError::TotalWork { .. }) => false,
    })]
    pub const fn check_slot(&self, params: &KdfParams) -> Result<(), KdfLimitError> {
        if params.memory_kib > self.max_memory_kib {
            return Err(KdfLimitError::Memory { memory_kib: params.memory_kib, ceiling_kib: self.max_memory_kib });
        }
        if params.iterations > self.max_iterations {
            return Err(KdfLimitError::Iterations { iterations: params.iterations, ceiling: self.max_iterations });
        }
        if params.parallelism > self.max_parallelism {
            return Err(KdfLimitError::Parallelism { parallelism: params.parallelism, ceiling: self.max_parallelism });
        }
        Ok(())
    }

    /// Checks every slot's costs, then their total work.
    ///
    /// # Errors
    ///
    /// A cost is over its ceiling, or the total is over the budget.
    #[cfg_attr(feature = "no-panic", no_panic::no_panic)]
    pub fn check_all<'a, I: IntoIterator<Item = &'a KdfParams>>(&self, params: I) -> Result<(), KdfLimitError> {
        let mut total: u64 = 0;
        for p in params {
            self.check_slot(p)?;
            total = total.saturating_add(p.work());
        }
        if total > self.max_total_work {
            return Err(KdfLimitError::TotalWork { work: total, ceiling: self.max_total_work });
        }
        Ok(())
    }
}

/// A KDF cost over the reader's ceiling (error class "KDF limits").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KdfLimitError {
    /// Memory over the ceiling.
    Memory {
        /// Requested.
        memory_kib: u32,
        /// The ceiling.
        ceiling_kib: u32,
    },
    /// Passes over the ceiling.
    Iterations {
        /// Requested.
        iterations: u32,
        /// The ceiling.
        ceiling: u32,
    },
    /// Lanes over the ceiling.
    Parallelism {
        /// Requested.
        parallelism: u32,
        /// The ceiling.
        ceiling: u32,
    },
    /// The password slots together cost more than the budget.
    TotalWork {
        /// Requested, in KiB-passes.
        work: u64,
        /// The budget.
        ceiling: u64,
    },
}

impl fmt::Display for KdfLimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory { memory_kib, ceiling_kib } => {
                write!(f, "Argon2 memory {memory_kib} KiB is over the ceiling of {ceiling_kib} KiB")
            }
            Self::Iterations { iterations, ceiling } => {
                write!(f, "Argon2 passes {iterations} are over the ceiling of {ceiling}")
            }
            Self::Parallelism { parallelism, ceiling } => {
                write!(f, "Argon2 lanes {parallelism} are over the ceiling of {ceiling}")
            }
            Self::TotalWork { work, ceiling } => {
                write!(f, "the password slots together cost {work} KiB-passes, over the ceiling of {ceiling}")
            }
        }
    }
}

/// Argon2id could not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KdfError {
    /// The parameters are not valid Argon2id parameters.
    InvalidParams,
    /// The memory could not be allocated.
    OutOfMemory,
    /// The password is longer than Argon2 accepts (2^32 - 1 bytes).
    PasswordTooLong,
}

impl fmt::Display for KdfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InvalidParams => "invalid Argon2id parameters",
            Self::OutOfMemory => "not enough memory for Argon2id",
            Self::PasswordTooLong => "password too long for Argon2id",
        })
    }
}

/// The password in Unicode Normalization Form C, as UTF-8 (spec 4.3): a
/// phone keyboard and a laptop may encode "é" differently, and both must
/// derive the same key. The string wipes itself on drop.
#[must_use]
#[hax_lib::opaque]
pub fn normalize_password(password: &str) -> Zeroizing<String> {
    // NFC at most triples the UTF-8 length (UAX #15, section 9), so the
    // string never reallocates and leaves no unwiped copy behind.
    let mut out = Zeroizing::new(String::with_capacity(password.len().saturating_mul(3)));
    for c in password.nfc() {
        out.push(c);
    }
    out
}

/// What an Argon2 failure means to a caller: no memory, a password too
/// long for Argon2 (2^32 - 1 bytes), or parameters it refused.
#[hax_lib::opaque]
const fn kdf_error(e: argon2::Error) -> KdfError {
    match e {
        argon2::Error::OutOfMemory => KdfError::OutOfMemory,
        argon2::Error::PwdTooLong => KdfError::PasswordTooLong,
        _ => KdfError::InvalidParams,
    }
}

/// Argon2id version 0x13 with a 32-byte output, secret and associated data
/// as RFC 9106 defines them (ebak uses neither; the RFC's test vector does).
#[hax_lib::opaque]
pub(crate) fn argon2id_raw(
    password: &[u8],
    salt: &[u8],
    params: &KdfParams,
    secret: &[u8],
    associated_data: &[u8],
) -> Result<DerivedKey, KdfError> {
    let mut builder = argon2::ParamsBuilder::new();
    builder.m_cost(params.memory_kib).t_cost(params.iterations).p_cost(params.parallelism).output_len(KEK_SIZE);
    if !associated_data.is_empty() {
        builder.data(argon2::AssociatedData::new(associated_data).map_err(|_| KdfError::InvalidParams)?);
    }
    let argon_params: Params = builder.build().map_err(|_| KdfError::InvalidParams)?;
    let argon = if secret.is_empty() {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params)
    } else {
        Argon2::new_with_secret(secret, Algorithm::Argon2id, Version::V0x13, argon_params)
            .map_err(|_| KdfError::InvalidParams)?
    };
    let mut out = [0u8; KEK_SIZE];
    let result = argon.hash_password_into(password, salt, &mut out).map_err(kdf_error);
    let key = DerivedKey::new(out);
    out.zeroize();
    result.map(|()| key)
}

/// The key-encryption key of a password slot:
/// `KEK = Argon2id(password = NFC(password), salt, m, t, p, length = 32)`,
/// version 0x13, no secret, no associated data (spec 4.3).
///
/// The caller must have checked `params` against [`KdfLimits`] first.
///
/// # Errors
///
/// Argon2id could not run (see [`KdfError`]).
#[hax_lib::ensures(|result| match result {
    Err(KdfError::InvalidParams) => true,
    _ => params.is_valid(),
})]
pub fn derive_kek(password: &str, salt: &[u8; KDF_SALT_SIZE], params: &KdfParams) -> Result<DerivedKey, KdfError> {
    if !params.is_valid() {
        return Err(KdfError::InvalidParams);
    }
    let normalized = normalize_password(password);
    argon2id_raw(normalized.as_bytes(), salt, params, &[], &[])
}

impl core::error::Error for KdfFloorError {}

impl core::error::Error for KdfLimitError {}

impl core::error::Error for KdfError {}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "tests compute expected values")]
mod tests {
    use super::*;

    /// Each Argon2 failure keeps its meaning (out of memory is not a bad
    /// parameter; the caller's message and class depend on it). The first
    /// two cannot be provoked here: the ceilings keep Argon2 from asking
    /// for more memory than a machine has, and a password of 4 GiB is out
    /// of reach of a test.
    #[test]
    fn argon2_errors_keep_their_meaning() {
        assert_eq!(kdf_error(argon2::Error::OutOfMemory), KdfError::OutOfMemory);
        assert_eq!(kdf_error(argon2::Error::PwdTooLong), KdfError::PasswordTooLong);
        for other in [argon2::Error::MemoryTooLittle, argon2::Error::ThreadsTooFew, argon2::Error::SaltTooShort] {
            assert_eq!(kdf_error(other), KdfError::InvalidParams);
        }
    }

    fn hex(s: &str) -> alloc::vec::Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn rfc9106_argon2id_test_vector() {
        // RFC 9106 section 5.3.
        let params = KdfParams { memory_kib: 32, iterations: 3, parallelism: 4 };
        let tag = argon2id_raw(&[0x01; 32], &[0x02; 16], &params, &[0x03; 8], &[0x04; 12]).unwrap();
        assert_eq!(
            tag.expose_secret().to_vec(),
            hex("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659")
        );
    }

    #[test]
    fn nfc_and_nfd_derive_the_same_kek() {
        let params = KdfParams { memory_kib: 64, iterations: 1, parallelism: 1 };
        let nfc = "caf\u{e9}";
        let nfd = "cafe\u{301}";
        assert_ne!(nfc.as_bytes(), nfd.as_bytes());
        assert_eq!(normalize_password(nfd).as_str(), nfc);
        let a = derive_kek(nfc, &[9; 16], &params).unwrap();
        let b = derive_kek(nfd, &[9; 16], &params).unwrap();
        assert_eq!(a.expose_secret(), b.expose_secret());
    }

    #[test]
    fn validity_floor_and_ceilings() {
        assert!(KdfParams::DEFAULT.is_valid());
        assert!(KdfFloor::V1.check(&KdfParams::DEFAULT).is_ok());
        assert!(KdfLimits::V1.check_slot(&KdfParams::DEFAULT).is_ok());
        assert!(!KdfParams { memory_kib: 15, iterations: 1, parallelism: 2 }.is_valid());
        assert!(!KdfParams { memory_kib: 64, iterations: 0, parallelism: 1 }.is_valid());
        assert!(!KdfParams { memory_kib: 64, iterations: 1, parallelism: 0 }.is_valid());
        assert!(!KdfParams { memory_kib: u32::MAX, iterations: 1, parallelism: 1 << 24 }.is_valid());
        let rfc_second = KdfParams { memory_kib: 1 << 16, iterations: 3, parallelism: 4 };
        assert!(KdfFloor::V1.check(&rfc_second).is_ok());
        assert!(KdfFloor::V1.check(&KdfParams { memory_kib: (1 << 16) - 1, ..rfc_second }).is_err());
        assert!(KdfFloor::V1.check(&KdfParams { iterations: 2, ..rfc_second }).is_err());
        let max = KdfParams { memory_kib: 1 << 20, iterations: 16, parallelism: 16 };
        assert!(KdfLimits::V1.check_all([&max]).is_ok());
        assert!(matches!(KdfLimits::V1.check_all([&max, &rfc_second]), Err(KdfLimitError::TotalWork { .. })));
        assert!(KdfLimits::V1.check_slot(&KdfParams { memory_kib: (1 << 20) + 1, ..max }).is_err());
        assert!(KdfLimits::V1.check_slot(&KdfParams { iterations: 17, ..max }).is_err());
        assert!(KdfLimits::V1.check_slot(&KdfParams { parallelism: 17, ..max }).is_err());
    }
}
