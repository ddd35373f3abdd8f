//! The OPAQUE cipher suite, its key-stretching function, and the adapter
//! from the workspace's RNG traits to the ones opaque-ke 4.0 takes.
//!
//! Spec (ebak-vault-v1) 3: OPAQUE-3DH (RFC 9807) with the OPRF
//! ristretto255-SHA512, the 3DH key exchange over ristretto255 with
//! SHA-512, and Argon2id (version 0x13, salt of 16 zero bytes, output 64
//! bytes) as the key-stretching function, with the costs the vault slot
//! names.

use ebak_core::kdf::{KdfLimitError, KdfLimits, KdfParams};
use opaque_ke::ciphersuite::CipherSuite;
use opaque_ke::errors::InternalError;
use opaque_ke::generic_array::{ArrayLength, GenericArray};
use zeroize::Zeroize;

/// The cipher suite: ristretto255 OPRF, 3DH with SHA-512, Argon2id.
#[derive(Debug, Clone, Copy)]
pub struct Suite;

impl CipherSuite for Suite {
    type OprfCs = opaque_ke::Ristretto255;
    type KeyExchange = opaque_ke::TripleDh<opaque_ke::Ristretto255, sha2_v010::Sha512>;
    type Ksf = Ksf;
}

/// Spec 3: the default key-stretching costs, RFC 9807's second
/// recommended Argon2id configuration (64 MiB, 3 passes, 4 lanes).
pub const DEFAULT_KSF: KdfParams = KdfParams { memory_kib: 64 * 1024, iterations: 3, parallelism: 4 };

/// Spec 3: the salt of the key-stretching function (RFC 9807 6.2: the
/// OPRF output is already unique per password and account).
const KSF_SALT: [u8; 16] = [0; 16];

/// Argon2id with given costs, as OPAQUE's key-stretching function.
///
/// Only [`Ksf::checked`] makes one, after the costs passed the reader's
/// ceilings, so a crafted vault slot cannot make the client spend more
/// memory or time than it agreed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ksf(KdfParams);

impl Ksf {
    /// The key-stretching function with `params`, if they are valid Argon2id
    /// costs within `limits`.
    ///
    /// # Errors
    ///
    /// Over a ceiling, or not valid Argon2id costs.
    pub fn checked(params: KdfParams, limits: &KdfLimits) -> Result<Self, KsfError> {
        if !params.is_valid() {
            return Err(KsfError::Invalid);
        }
        limits.check_slot(&params).map_err(KsfError::Limits)?;
        Ok(Self(params))
    }

    /// The costs.
    #[must_use]
    pub const fn params(&self) -> &KdfParams {
        &self.0
    }
}

impl Default for Ksf {
    /// [`DEFAULT_KSF`]. (opaque-ke requires a default; ebak always passes
    /// the checked one explicitly.)
    fn default() -> Self {
        Self(DEFAULT_KSF)
    }
}

impl opaque_ke::ksf::Ksf for Ksf {
    fn hash<L: ArrayLength<u8>>(&self, input: GenericArray<u8, L>) -> Result<GenericArray<u8, L>, InternalError> {
        let mut builder = argon2::ParamsBuilder::new();
        builder
            .m_cost(self.0.memory_kib)
            .t_cost(self.0.iterations)
            .p_cost(self.0.parallelism)
            .output_len(<L as opaque_ke::generic_array::typenum::Unsigned>::USIZE);
        let params = builder.build().map_err(|_| InternalError::KsfError)?;
        let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = GenericArray::<u8, L>::default();
        if argon.hash_password_into(&input, &KSF_SALT, &mut out).is_err() {
            out.zeroize();
            return Err(InternalError::KsfError);
        }
        Ok(out)
    }
}

/// Why the key-stretching costs were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KsfError {
    /// Not valid Argon2id costs.
    Invalid,
    /// Over the reader's ceiling.
    Limits(KdfLimitError),
}

impl core::fmt::Display for KsfError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Invalid => f.write_str("invalid Argon2id costs for the vault's key stretching"),
            Self::Limits(e) => write!(f, "vault key stretching: {e}"),
        }
    }
}

impl core::error::Error for KsfError {}

/// Any RNG of the workspace's `rand_core` (0.10), as the `rand_core` 0.6
/// RNG that opaque-ke 4.0 takes. A failure of the underlying RNG cannot be
/// reported through the 0.6 `RngCore::fill_bytes` that opaque-ke calls, so
/// it is recorded and the caller checks [`Rng06::failed`] before using any
/// output (the protocol steps in this crate do).
#[derive(Debug)]
pub struct Rng06<'a, R: rand_core::TryCryptoRng + ?Sized> {
    inner: &'a mut R,
    failed: bool,
}

impl<'a, R: rand_core::TryCryptoRng + ?Sized> Rng06<'a, R> {
    /// Wraps `inner`.
    pub fn new(inner: &'a mut R) -> Self {
        Self { inner, failed: false }
    }

    /// Whether the underlying RNG failed at any call so far (the bytes it
    /// gave are then zeros and MUST NOT be used).
    #[must_use]
    pub const fn failed(&self) -> bool {
        self.failed
    }
}

impl<R: rand_core::TryCryptoRng + ?Sized> rand_core_v06::RngCore for Rng06<'_, R> {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        if self.inner.try_fill_bytes(dest).is_err() {
            self.failed = true;
            dest.fill(0);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core_v06::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl<R: rand_core::TryCryptoRng + ?Sized> rand_core_v06::CryptoRng for Rng06<'_, R> {}
