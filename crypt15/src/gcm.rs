//! AES-256-GCM decryption with a 16-byte IV, streamed: counter mode and
//! GHASH advance together over the ciphertext as it arrives, in constant
//! memory, and the tag is computed at the end.
//!
//! NIST SP 800-38D, section 7.2, for an IV that is not 96 bits long:
//! `J0 = GHASH_H(IV || 0^s+64 || [len(IV)]_64)` (for a 128-bit IV, s = 0:
//! one IV block and one length block); the keystream starts at
//! `inc32(J0)`; the tag is `E(K, J0) xor GHASH_H(C || 0^v || [0]_64 ||
//! [len(C)]_64)` (crypt15 has no additional data).
//!
//! The RustCrypto `aes-gcm` crate implements this IV size
//! (`AesGcm<Aes256, U16>`) but only over a whole buffer; this module builds
//! the same function from the same crates' parts (`aes`, `ctr`, `ghash`) so
//! that a multi-gigabyte backup never has to fit in memory. The plaintext it
//! yields is unauthenticated until the caller has checked a tag; see
//! [`crate::decrypt`] for how that is enforced.

use crate::key::EncryptionKey;
use aes::Aes256;
use aes::cipher::{BlockCipherEncrypt, InnerIvInit, KeyInit, StreamCipher};
use ctr::Ctr32BE;
use ghash::GHash;
use ghash::universal_hash::UniversalHash;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// The block and tag size.
pub const BLOCK_BYTES: usize = 16;

/// NIST SP 800-38D, section 5.2.1.1: the plaintext (hence the ciphertext)
/// is at most 2^39 - 256 bits, 2^36 - 32 bytes: the 32-bit counter never
/// wraps into `J0`.
pub const MAX_CIPHERTEXT_BYTES: u64 = (1 << 36) - 32;

/// The ciphertext is longer than GCM allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLong;

/// A streaming GCM decryption in progress.
pub(crate) struct GcmDecryptor {
    ctr: Ctr32BE<Aes256>,
    ghash: GHash,
    /// `E(K, J0)`, xored into the GHASH output to make the tag.
    mask: [u8; BLOCK_BYTES],
    /// Ciphertext bytes not yet a whole GHASH block.
    partial: [u8; BLOCK_BYTES],
    partial_len: usize,
    /// Ciphertext bytes so far.
    len: u64,
}

impl core::fmt::Debug for GcmDecryptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GcmDecryptor").field("len", &self.len).finish_non_exhaustive()
    }
}

impl Drop for GcmDecryptor {
    fn drop(&mut self) {
        self.mask.zeroize();
        self.partial.zeroize();
    }
}

/// Feeds `data` into GHASH, whole blocks at once, keeping the remainder in
/// `partial`.
fn absorb(ghash: &mut GHash, partial: &mut [u8; BLOCK_BYTES], partial_len: &mut usize, mut data: &[u8]) {
    if *partial_len > 0 {
        let room = BLOCK_BYTES.saturating_sub(*partial_len);
        let (head, tail) = data.split_at_checked(room).unwrap_or((data, &[]));
        if let Some(dst) = partial.get_mut(*partial_len..partial_len.saturating_add(head.len())) {
            dst.copy_from_slice(head);
        }
        *partial_len = partial_len.saturating_add(head.len());
        data = tail;
        if *partial_len < BLOCK_BYTES {
            return;
        }
        ghash.update(&[(*partial).into()]);
        *partial_len = 0;
    }
    let (blocks, rest) = data.as_chunks::<BLOCK_BYTES>();
    ghash.update(ghash::Block::cast_slice_from_core(blocks));
    if let Some(dst) = partial.get_mut(..rest.len()) {
        dst.copy_from_slice(rest);
    }
    *partial_len = rest.len();
}

/// A GHASH length block: `[len(A)]_64 || [len(C)]_64`, in bits.
fn length_block(aad_bytes: u64, ct_bytes: u64) -> ghash::Block {
    let mut block = [0u8; BLOCK_BYTES];
    let (a, c) = block.split_at_mut(8);
    a.copy_from_slice(&aad_bytes.saturating_mul(8).to_be_bytes());
    c.copy_from_slice(&ct_bytes.saturating_mul(8).to_be_bytes());
    block.into()
}

impl GcmDecryptor {
    /// Starts decrypting under `key` with a 16-byte `iv`.
    pub(crate) fn new(key: &EncryptionKey, iv: &[u8; BLOCK_BYTES]) -> Self {
        let aes = Aes256::new(key.expose_secret().into());
        // H = E(K, 0^128).
        let mut h = ghash::Key::default();
        aes.encrypt_block(&mut h);
        let ghash = GHash::new(&h);
        h.zeroize();
        // J0 = GHASH_H(IV || [128]_64 in a block of its own).
        let mut j0_hash = ghash.clone();
        j0_hash.update(&[(*iv).into(), length_block(0, 16)]);
        let j0: [u8; BLOCK_BYTES] = j0_hash.finalize().into();
        let mut mask = ghash::Block::from(j0);
        aes.encrypt_block(&mut mask);
        // inc32(J0): the low 32 bits count, modulo 2^32.
        let mut first = j0;
        if let Some((_, low)) = first.split_last_chunk_mut::<4>() {
            *low = u32::from_be_bytes(*low).wrapping_add(1).to_be_bytes();
        }
        let core = ctr::CtrCore::<Aes256, ctr::flavors::Ctr32BE>::inner_iv_init(aes, &first.into());
        let ctr = Ctr32BE::<Aes256>::from_core(core);
        Self { ctr, ghash, mask: mask.into(), partial: [0; BLOCK_BYTES], partial_len: 0, len: 0 }
    }

    /// The ciphertext length so far.
    pub(crate) const fn len(&self) -> u64 {
        self.len
    }

    /// Decrypts `buf` in place (GHASH sees the ciphertext first). The
    /// result is unauthenticated.
    ///
    /// # Errors
    ///
    /// [`TooLong`] if the ciphertext would pass GCM's limit; nothing is
    /// changed then.
    pub(crate) fn decrypt(&mut self, buf: &mut [u8]) -> Result<(), TooLong> {
        let n = u64::try_from(buf.len()).map_err(|_| TooLong)?;
        let len = self.len.checked_add(n).filter(|&l| l <= MAX_CIPHERTEXT_BYTES).ok_or(TooLong)?;
        absorb(&mut self.ghash, &mut self.partial, &mut self.partial_len, buf);
        // Within the limit, the 32-bit counter cannot run out.
        self.ctr.try_apply_keystream(buf).map_err(|_| TooLong)?;
        self.len = len;
        Ok(())
    }

    /// The tag the ciphertext so far, followed by `extra` more ciphertext
    /// bytes, would have. Does not change the state.
    pub(crate) fn tag_with(&self, extra: &[u8]) -> Result<[u8; BLOCK_BYTES], TooLong> {
        let n = u64::try_from(extra.len()).map_err(|_| TooLong)?;
        let len = self.len.checked_add(n).filter(|&l| l <= MAX_CIPHERTEXT_BYTES).ok_or(TooLong)?;
        let mut ghash = self.ghash.clone();
        let mut partial = self.partial;
        let mut partial_len = self.partial_len;
        absorb(&mut ghash, &mut partial, &mut partial_len, extra);
        if partial_len > 0 {
            // The last block is padded with zeros.
            if let Some(pad) = partial.get_mut(partial_len..) {
                pad.fill(0);
            }
            ghash.update(&[partial.into()]);
        }
        partial.zeroize();
        ghash.update(&[length_block(0, len)]);
        let mut tag: [u8; BLOCK_BYTES] = ghash.finalize().into();
        for (t, m) in tag.iter_mut().zip(self.mask.iter()) {
            *t ^= *m;
        }
        Ok(tag)
    }

    /// Whether `tag` is the tag of the ciphertext so far followed by
    /// `extra`, compared in constant time.
    pub(crate) fn verify_with(&self, extra: &[u8], tag: &[u8; BLOCK_BYTES]) -> bool {
        self.tag_with(extra).is_ok_and(|t| bool::from(t.ct_eq(tag)))
    }

    /// Decrypts `extra` (the bytes `tag_with` was given) after the tag
    /// verified.
    pub(crate) fn decrypt_extra(&mut self, extra: &mut [u8]) -> Result<(), TooLong> {
        self.decrypt(extra)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "tests compute expected values")]
mod tests {
    use super::*;
    use aes_gcm::aead::AeadInOut;
    use aes_gcm::aead::consts::U16;
    use aes_gcm::{AesGcm, Nonce};

    type Reference = AesGcm<Aes256, U16>;

    fn reference_seal(key: &[u8; 32], iv: &[u8; 16], msg: &[u8]) -> (Vec<u8>, [u8; 16]) {
        let cipher = Reference::new(key.into());
        let mut buf = msg.to_vec();
        let tag = cipher.encrypt_inout_detached(&Nonce::<U16>::from(*iv), b"", buf.as_mut_slice().into()).unwrap();
        (buf, tag.into())
    }

    fn stream_open(key: &[u8; 32], iv: &[u8; 16], ct: &[u8], step: usize) -> (Vec<u8>, [u8; 16]) {
        let mut d = GcmDecryptor::new(&EncryptionKey::from_bytes(*key), iv);
        let mut out = Vec::new();
        for piece in ct.chunks(step.max(1)) {
            let mut piece = piece.to_vec();
            d.decrypt(&mut piece).unwrap();
            out.extend(piece);
        }
        (out, d.tag_with(b"").unwrap())
    }

    #[test]
    fn matches_aes_gcm_with_a_16_byte_nonce_at_every_split() {
        let key = [0x5a; 32];
        let iv: [u8; 16] = core::array::from_fn(|i| u8::try_from(i * 17).unwrap());
        for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 100, 1000] {
            let msg: Vec<u8> = (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect();
            let (ct, tag) = reference_seal(&key, &iv, &msg);
            for step in [1, 3, 16, 17, 64, 4096] {
                let (pt, t) = stream_open(&key, &iv, &ct, step);
                assert_eq!(pt, msg, "len {len} step {step}");
                assert_eq!(t, tag, "len {len} step {step}");
            }
        }
    }

    #[test]
    fn tag_with_extra_equals_the_tag_of_the_longer_ciphertext() {
        let key = [7; 32];
        let iv = [9; 16];
        let msg: Vec<u8> = (0..77u8).collect();
        let (ct, tag) = reference_seal(&key, &iv, &msg);
        for split in [0, 1, 15, 16, 40, 61, 77] {
            let (head, tail) = ct.split_at(split);
            let mut d = GcmDecryptor::new(&EncryptionKey::from_bytes(key), &iv);
            let mut h = head.to_vec();
            d.decrypt(&mut h).unwrap();
            assert!(d.verify_with(tail, &tag), "split {split}");
            let mut wrong = tag;
            wrong[0] ^= 1;
            assert!(!d.verify_with(tail, &wrong));
            let mut t = tail.to_vec();
            d.decrypt_extra(&mut t).unwrap();
            h.extend(t);
            assert_eq!(h, msg);
        }
    }

    #[test]
    fn the_length_limit_is_enforced() {
        let mut d = GcmDecryptor::new(&EncryptionKey::from_bytes([0; 32]), &[0; 16]);
        d.len = MAX_CIPHERTEXT_BYTES - 1;
        assert!(d.tag_with(&[0; 2]).is_err());
        assert_eq!(d.decrypt(&mut [0; 2]), Err(TooLong));
        assert_eq!(d.len(), MAX_CIPHERTEXT_BYTES - 1, "a refused call changes nothing");
        assert!(d.decrypt(&mut [0; 1]).is_ok());
    }

    /// spec/whatsapp-crypt15.md, section 9: the worked example's E(K, J0)
    /// (J0 from a 16-byte IV through GHASH) and its tag.
    #[test]
    fn the_worked_example_of_the_spec() {
        let key: [u8; 32] =
            unhex("4e54c0777a7214dfdf0af5b6e153acfa2fbdac603fea6fd1630b824e5c29eef5").try_into().unwrap();
        let iv: [u8; 16] = unhex("00112233445566778899aabbccddeeff").try_into().unwrap();
        let mut d = GcmDecryptor::new(&EncryptionKey::from_bytes(key), &iv);
        assert_eq!(d.mask.to_vec(), unhex("bc8ee5c04b24d1634decde5258d8b949"));
        let mut ct = unhex("ba8e6596768e3c855e126947e7f266f8e53d68fb2404cfa6b961dde437a5d8");
        d.decrypt(&mut ct).unwrap();
        assert_eq!(ct, unhex("78010b0ef4c92c495548cb2fca4d2c513066c848cdc9c957402201c1f40bab"));
        assert_eq!(d.tag_with(&[]).unwrap().to_vec(), unhex("ea730a69d2d868054b4d7e78235f7fbe"));
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// Wycheproof's AES-256-GCM vectors with 128-bit IVs (all without AAD,
    /// including the counter-wrap cases), read from `../shared/wycheproof`.
    #[test]
    fn wycheproof_aes_256_gcm_with_128_bit_ivs() {
        let dir = std::env::var_os("EBAK_WYCHEPROOF_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/wycheproof"));
        let path = dir.join("aes_gcm_test.json");
        let Ok(bytes) = std::fs::read(&path) else {
            assert!(std::env::var("CI").ok().is_none_or(|v| v != "true"), "CI=true: {} must exist", path.display());
            eprintln!("SKIPPED: {} missing (set EBAK_WYCHEPROOF_DIR)", path.display());
            return;
        };
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let mut checked = 0;
        for group in doc["testGroups"].as_array().unwrap() {
            if group["keySize"] != 256 || group["ivSize"] != 128 {
                continue;
            }
            for t in group["tests"].as_array().unwrap() {
                let id = &t["tcId"];
                assert_eq!(t["aad"], "", "tcId {id}: these vectors have no AAD");
                let key: [u8; 32] = unhex(t["key"].as_str().unwrap()).try_into().unwrap();
                let iv: [u8; 16] = unhex(t["iv"].as_str().unwrap()).try_into().unwrap();
                let ct = unhex(t["ct"].as_str().unwrap());
                let tag: [u8; 16] = unhex(t["tag"].as_str().unwrap()).try_into().unwrap();
                let msg = unhex(t["msg"].as_str().unwrap());
                for step in [1, 7, 16, 1 << 20] {
                    let (pt, got) = stream_open(&key, &iv, &ct, step);
                    let valid = got == tag;
                    assert_eq!(valid, t["result"] == "valid", "tcId {id} step {step}");
                    if valid {
                        assert_eq!(pt, msg, "tcId {id}");
                    }
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 19, "the 19 AES-256 vectors with 128-bit IVs");
    }
}
