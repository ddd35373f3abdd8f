//! The external vectors: all 35 Wycheproof Cobblestone-256 vectors, applied
//! every way the Wycheproof documentation describes, and the AES-256-GCM
//! vectors with 96-bit IVs and 128-bit tags through the AEAD trait.
//!
//! A custom harness (no libtest) so the counts are always printed.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::{hex, inflate, load_wycheproof, sha512};
use ebak_core::aead::{Aead, DefaultAead};
use ebak_core::chunk::PREFIX_SIZE;
use ebak_core::cobblestone::{self, ChunkCipher, Decryptor, PayloadError, RandomAccess, StreamOpener};
use serde_json::Value;

struct Vector {
    tc_id: u64,
    key: Vec<u8>,
    ctx: Vec<u8>,
    ct: Vec<u8>,
    aead_key: Option<Vec<u8>>,
    base_nonce: Option<Vec<u8>>,
    msg: Option<(u64, Vec<u8>)>,
    valid: bool,
    flags: Vec<String>,
}

impl Vector {
    fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

fn vectors(doc: &Value) -> Vec<Vector> {
    let mut out = Vec::new();
    for group in doc["testGroups"].as_array().unwrap() {
        assert_eq!(group["aead"], "AEAD_AES_256_GCM");
        assert_eq!(group["sha"], "SHA-512");
        for t in group["tests"].as_array().unwrap() {
            let opt_hex = |k: &str| t.get(k).map(|v| hex(v.as_str().unwrap()));
            out.push(Vector {
                tc_id: t["tcId"].as_u64().unwrap(),
                key: hex(t["key"].as_str().unwrap()),
                ctx: hex(t["ctx"].as_str().unwrap()),
                ct: inflate(&hex(t["ct"].as_str().unwrap())),
                aead_key: opt_hex("aeadKey"),
                base_nonce: opt_hex("baseNonce"),
                msg: t.get("msgLength").map(|l| (l.as_u64().unwrap(), opt_hex("msgSha512").unwrap())),
                valid: t["result"] == "valid",
                flags: t["flags"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_owned()).collect(),
            });
        }
    }
    out
}

/// Feeds `input` to `opener` in pieces of `piece` bytes, then finishes;
/// returns what was released and the verdict.
fn stream<A: Aead>(mut opener: StreamOpener<A>, input: &[u8], piece: usize) -> (Vec<u8>, Result<(), PayloadError>) {
    let mut out = Vec::new();
    let mut verdict = Ok(());
    for p in input.chunks(piece.max(1)) {
        verdict = opener.push(p, &mut out);
        if verdict.is_err() {
            break;
        }
    }
    if verdict.is_ok() {
        verdict = opener.finish(&mut out);
    }
    if let Err(e) = verdict {
        // Once failed, it keeps failing with the same error.
        assert_eq!(opener.push(b"more", &mut out), Err(e), "stream did not keep failing");
        assert_eq!(opener.finish(&mut out), Err(e), "stream did not keep failing");
    }
    (out, verdict)
}

/// Checks one vector every applicable way; returns a failure description.
fn check_cobblestone<A: Aead>(v: &Vector) -> Result<(), String> {
    // InvalidKeySize: the API takes exactly 32 bytes, so such a key is
    // rejected before anything else, as the vector requires.
    let Ok(key) = <[u8; 32]>::try_from(v.key.as_slice()) else {
        return if v.valid { Err("valid vector with a non-32-byte key".into()) } else { Ok(()) };
    };

    // 1. Full decryption.
    let whole = cobblestone::open::<A>(&key, &v.ctx, &v.ct);
    match (&whole, v.valid) {
        (Ok(pt), true) => {
            let (len, hash) = v.msg.as_ref().unwrap();
            if pt.len() as u64 != *len || sha512(pt) != *hash {
                return Err("valid vector decrypted to the wrong message".into());
            }
        }
        (Err(e), false) => {
            let header_stage = matches!(e, PayloadError::MissingPrefix | PayloadError::Commitment);
            if v.has("HeaderFailure") != header_stage {
                return Err(format!("HeaderFailure flag {} but error {e:?}", v.has("HeaderFailure")));
            }
        }
        (Ok(_), false) => return Err("invalid vector decrypted".into()),
        (Err(e), true) => return Err(format!("valid vector failed: {e}")),
    }

    // 2. Streaming, in several piece sizes, with the PartialPlaintext rule:
    //    what is released is exactly the longest valid prefix.
    let expected_release = if v.valid || v.has("PartialPlaintext") { v.msg.clone() } else { Some((0, sha512(b""))) };
    for piece in [1, 13, 16_400, 16_401, 65_536, v.ct.len()] {
        let (released, verdict) = stream(StreamOpener::<A>::new(&key, &v.ctx), &v.ct, piece);
        if verdict.is_ok() != v.valid {
            return Err(format!("streaming (pieces of {piece}) verdict {verdict:?}"));
        }
        let (len, hash) = expected_release.as_ref().unwrap();
        if released.len() as u64 != *len || sha512(&released) != *hash {
            return Err(format!("streaming (pieces of {piece}) released {} bytes, expected {len}", released.len()));
        }
        if let Err(e) = verdict
            && whole.as_ref().err() != Some(&e)
        {
            return Err(format!("streaming error {e:?} differs from one-shot {:?}", whole.as_ref().err()));
        }
    }

    // 3. Raw mode: aeadKey and baseNonce directly, on the chunks.
    if let (Some(aead_key), Some(base_nonce)) = (&v.aead_key, &v.base_nonce) {
        let aead_key: [u8; 32] = aead_key.as_slice().try_into().unwrap();
        let base_nonce: [u8; 12] = base_nonce.as_slice().try_into().unwrap();
        if v.ct.len() >= PREFIX_SIZE {
            // The derivation gives the published intermediate values.
            let salt: [u8; 24] = v.ct[..24].try_into().unwrap();
            let derived = cobblestone::derive(&key, &salt, &v.ctx);
            if derived.key().expose_secret() != &aead_key || derived.base_nonce() != &base_nonce {
                return Err("derived key or base nonce differs from aeadKey/baseNonce".into());
            }
            let opener =
                StreamOpener::from_decryptor(Decryptor::from_cipher(ChunkCipher::<A>::raw(&aead_key, base_nonce)));
            let (released, verdict) = stream(opener, &v.ct[PREFIX_SIZE..], 16_400);
            if verdict.is_ok() != v.valid {
                return Err(format!("raw mode verdict {verdict:?}"));
            }
            if v.valid && sha512(&released) != v.msg.as_ref().unwrap().1 {
                return Err("raw mode decrypted to the wrong message".into());
            }
        }
    }

    // 4. Salt-injected encryption reproduces the ciphertext byte for byte.
    if v.valid {
        let salt: [u8; 24] = v.ct[..24].try_into().unwrap();
        let pt = whole.as_ref().unwrap();
        let sealed = cobblestone::seal::<A>(&key, &salt, &v.ctx, pt).map_err(|e| e.to_string())?;
        if sealed != v.ct {
            return Err("salt-injected encryption differs from the vector".into());
        }
    }

    // 5. Length authentication through the final chunk (ValidFinalChunk).
    let length_ok = (|| {
        let prefix: [u8; PREFIX_SIZE] = v.ct.get(..PREFIX_SIZE)?.try_into().ok()?;
        let ra = RandomAccess::<A>::new(&key, &v.ctx, &prefix, v.ct.len() as u64).ok()?;
        let last = ra.layout().chunk_count - 1;
        let (offset, len) = ra.chunk_range(last)?;
        let mut chunk = v.ct[offset as usize..(offset + len) as usize].to_vec();
        ra.authenticate_length(&mut chunk).ok()
    })();
    let should = v.valid || v.has("ValidFinalChunk");
    if length_ok.is_some() != should {
        return Err(format!("length authentication gave {length_ok:?}, expected success = {should}"));
    }
    if v.valid && length_ok != Some(v.msg.as_ref().unwrap().0) {
        return Err("length authentication returned the wrong length".into());
    }

    // 6. Random access to every chunk of a valid message.
    if v.valid {
        let prefix: [u8; PREFIX_SIZE] = v.ct[..PREFIX_SIZE].try_into().unwrap();
        let ra = RandomAccess::<A>::new(&key, &v.ctx, &prefix, v.ct.len() as u64).map_err(|e| e.to_string())?;
        let mut joined = Vec::new();
        for k in 0..ra.layout().chunk_count {
            let (offset, len) = ra.chunk_range(k).unwrap();
            let mut chunk = v.ct[offset as usize..(offset + len) as usize].to_vec();
            joined.extend_from_slice(ra.open_chunk(k, &mut chunk).map_err(|e| e.to_string())?);
        }
        if sha512(&joined) != v.msg.as_ref().unwrap().1 {
            return Err("random access decrypted to the wrong message".into());
        }
    }
    Ok(())
}

fn run_cobblestone<A: Aead>(backend: &str) -> Option<bool> {
    let doc = load_wycheproof("c2sp_chunked_encryption_aes_256_gcm_test.json")?;
    assert_eq!(doc["algorithm"], "Cobblestone-256");
    let vs = vectors(&doc);
    assert_eq!(vs.len() as u64, doc["numberOfTests"].as_u64().unwrap());
    let (mut passed, mut valid, mut invalid) = (0, 0, 0);
    for v in &vs {
        match check_cobblestone::<A>(v) {
            Ok(()) => {
                passed += 1;
                if v.valid { valid += 1 } else { invalid += 1 }
            }
            Err(why) => eprintln!("FAIL Cobblestone-256 tcId {} ({backend}): {why}", v.tc_id),
        }
    }
    println!(
        "wycheproof Cobblestone-256 [{backend}]: {passed} of {} passed ({valid} valid, {invalid} invalid; full, streaming, raw, salt-injected, length-authentication and random-access modes)",
        vs.len()
    );
    Some(passed == vs.len())
}

fn run_aes_gcm<A: Aead>(backend: &str) -> Option<bool> {
    let doc = load_wycheproof("aes_gcm_test.json")?;
    let (mut total, mut passed, mut valid, mut invalid) = (0, 0, 0, 0);
    for group in doc["testGroups"].as_array().unwrap() {
        if group["keySize"] != 256 || group["ivSize"] != 96 || group["tagSize"] != 128 {
            continue;
        }
        for t in group["tests"].as_array().unwrap() {
            total += 1;
            let tc = t["tcId"].as_u64().unwrap();
            let get = |k: &str| hex(t[k].as_str().unwrap());
            let (key, iv, aad, msg, ct, tag) = (get("key"), get("iv"), get("aad"), get("msg"), get("ct"), get("tag"));
            let is_valid = t["result"] == "valid";
            let aead = A::new(key.as_slice().try_into().unwrap());
            let nonce: [u8; 12] = iv.as_slice().try_into().unwrap();
            let tag: [u8; 16] = tag.as_slice().try_into().unwrap();
            let mut buf = msg.clone();
            let sealed_tag = aead.seal_in_place(&nonce, &aad, &mut buf);
            let enc_ok = sealed_tag.is_ok_and(|st| st == tag) && buf == ct;
            let mut buf = ct.clone();
            let dec_ok = aead.open_in_place(&nonce, &aad, &mut buf, &tag).is_ok() && buf == msg;
            let ok = if is_valid { enc_ok && dec_ok } else { !dec_ok };
            if ok {
                passed += 1;
                if is_valid { valid += 1 } else { invalid += 1 }
            } else {
                eprintln!(
                    "FAIL AES-256-GCM tcId {tc} ({backend}): encrypt {enc_ok}, decrypt {dec_ok}, expected {}",
                    t["result"]
                );
            }
        }
    }
    println!(
        "wycheproof AES-256-GCM (96-bit IV, 128-bit tag) [{backend}]: {passed} of {total} passed ({valid} valid, {invalid} invalid)"
    );
    Some(passed == total && total > 0)
}

fn main() {
    let mut ok = true;
    #[allow(unused_mut, reason = "only the aws-lc feature adds to it")]
    let mut results = vec![run_cobblestone::<DefaultAead>("rustcrypto"), run_aes_gcm::<DefaultAead>("rustcrypto")];
    // The second backend runs the same suites (`--features aws-lc`).
    #[cfg(feature = "aws-lc")]
    results.extend([
        run_cobblestone::<ebak_core::aead::AwsLcAes256Gcm>("aws-lc"),
        run_aes_gcm::<ebak_core::aead::AwsLcAes256Gcm>("aws-lc"),
    ]);
    for result in results {
        ok &= result.unwrap_or(true);
    }
    if !ok {
        eprintln!("wycheproof: FAILED");
        std::process::exit(1);
    }
}
