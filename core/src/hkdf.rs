//! HKDF-Expand (RFC 5869 section 2.3) with SHA-512, and HMAC-SHA-256.
//!
//! Written out here rather than taken from the `hkdf` crate because ebak,
//! like Cobblestone, expands directly from a 32-byte key: the `hkdf` crate
//! refuses a PRK shorter than the hash output (64 bytes for SHA-512), which
//! RFC 5869 recommends but does not require.
//!
//! Keys are at most one hash block long, so HMAC's key is the key padded
//! with zero bytes to the block size (FIPS 198-1 step 2): padding it here
//! and calling the fixed-size constructor is the same function and cannot
//! fail.
//!
//! HMAC and SHA-2 are RustCrypto's: the functions that call them are
//! `#[hax_lib::opaque]`, so the proofs take them as given (the trusted base,
//! `proofs/hax/README.md`). The key padding is ours and has a contract.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha512};
use zeroize::Zeroize;

/// SHA-512 output size, the size of one HKDF-Expand block.
const SHA512_OUTPUT_BYTES: usize = 64;
/// SHA-512 block size.
const SHA512_BLOCK_BYTES: usize = 128;
/// SHA-256 block size.
const SHA256_BLOCK_BYTES: usize = 64;
/// The longest HKDF-Expand output (RFC 5869: L <= 255 * HashLen).
const MAX_EXPAND_BYTES: usize = 255 * SHA512_OUTPUT_BYTES;

/// Copies `key` into a zero block of `N` bytes (HMAC's K0 for short keys).
#[hax_lib::requires(N >= 32)]
#[hax_lib::ensures(|result| result[..32] == key[..] && result[32..].iter().all(|&b| b == 0))]
#[cfg_attr(feature = "no-panic", no_panic::no_panic)]
fn padded_key<const N: usize>(key: &[u8; 32]) -> [u8; N] {
    let mut block = [0u8; N];
    for (b, k) in block.iter_mut().zip(key.iter()) {
        *b = *k;
    }
    block
}

/// HMAC-SHA-512 keyed with a 32-byte key.
#[hax_lib::opaque]
fn hmac_sha512(key: &[u8; 32]) -> Hmac<Sha512> {
    let mut block = padded_key::<SHA512_BLOCK_BYTES>(key);
    let mac = <Hmac<Sha512> as KeyInit>::new(&block.into());
    block.zeroize();
    mac
}

/// HKDF-Expand(SHA-512, `prk`, `info`, `L`), with `info` given as the
/// concatenation of `info_parts`.
#[hax_lib::opaque]
pub(crate) fn expand_sha512<const L: usize>(prk: &[u8; 32], info_parts: &[&[u8]]) -> [u8; L] {
    const { assert!(L <= MAX_EXPAND_BYTES, "HKDF-Expand output too long") };
    let mut okm = [0u8; L];
    let mut previous = [0u8; SHA512_OUTPUT_BYTES];
    let mut counter: u8 = 1;
    let mut first = true;
    for block in okm.chunks_mut(SHA512_OUTPUT_BYTES) {
        // T(i) = HMAC(PRK, T(i-1) || info || i), with T(0) empty.
        let mut mac = hmac_sha512(prk);
        if !first {
            mac.update(&previous);
        }
        for part in info_parts {
            mac.update(part);
        }
        mac.update(&[counter]);
        previous = mac.finalize().into_bytes().into();
        for (o, t) in block.iter_mut().zip(previous.iter()) {
            *o = *t;
        }
        first = false;
        // At most 255 blocks (checked above), so the counter never wraps.
        counter = counter.wrapping_add(1);
    }
    previous.zeroize();
    okm
}

/// HMAC-SHA-256 of the concatenation of `parts` under a 32-byte key.
#[hax_lib::opaque]
#[cfg_attr(feature = "no-panic", no_panic::no_panic)]
pub(crate) fn hmac_sha256(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = padded_key::<SHA256_BLOCK_BYTES>(key);
    let mut mac = <Hmac<Sha256> as KeyInit>::new(&block.into());
    block.zeroize();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "tests compute expected values")]
mod tests {
    use super::*;

    fn hex(s: &str) -> alloc::vec::Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn hmac_sha256_rfc4231_case_2_style_key() {
        // RFC 4231 test case 1 uses a 20-byte key; pad it to 32 bytes with
        // zeros: HMAC pads short keys with zeros, so the MAC is the same.
        let mut key = [0u8; 32];
        key[..20].copy_from_slice(&[0x0b; 20]);
        let mac = hmac_sha256(&key, &[b"Hi ", b"There"]);
        assert_eq!(mac.to_vec(), hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
    }

    #[test]
    fn expand_matches_rfc5869_structure() {
        // RFC 5869 has no SHA-512 vectors. The Cobblestone vectors exercise
        // this function end to end (tests/wycheproof.rs); here we check the
        // block chaining against a direct HMAC computation.
        let prk = [7u8; 32];
        let okm: [u8; 100] = expand_sha512(&prk, &[b"in", b"fo"]);
        let mut m1 = hmac_sha512(&prk);
        m1.update(b"info\x01");
        let t1: [u8; 64] = m1.finalize().into_bytes().into();
        let mut m2 = hmac_sha512(&prk);
        m2.update(&t1);
        m2.update(b"info\x02");
        let t2: [u8; 64] = m2.finalize().into_bytes().into();
        assert_eq!(okm[..64], t1);
        assert_eq!(okm[64..], t2[..36]);
    }
}
