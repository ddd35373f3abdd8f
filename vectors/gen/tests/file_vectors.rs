//! Runs `vectors/ebak_v1_file_test.json` against ebak-core: every tcId is
//! opened in one shot and by streaming (spec 6.1) in several piece sizes;
//! its verdict and failure class must match, and so must every
//! intermediate value, the plaintext hash, the released prefix
//! (PartialPlaintext) and length authentication through the final chunk
//! (ValidFinalChunk).
//!
//! A custom harness, so that the counts are always printed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::{Tally, has_flag, hex_field, inflate, load, sha512_hex, to_hex};
use ebak_core::aead::{Aead, DefaultAead};
use ebak_core::chunk::PREFIX_SIZE;
use ebak_core::cobblestone::{self, RandomAccess};
use ebak_core::error::OpenError;
use ebak_core::file::{self, Secret, Unlocked, payload_context};
use ebak_core::header::{Header, MAX_HEADER_SIZE, header_mac_key};
use ebak_core::kdf::KdfLimits;
use ebak_core::{BackupKey, ErrorClass};
use serde_json::Value;

const FILE: &str = "ebak_v1_file_test.json";

/// What a streaming reader did: the plaintext it released, and its verdict.
struct Streamed {
    released: Vec<u8>,
    verdict: Result<(), OpenError>,
}

/// Opens `file` as a streaming reader does: the header from the first
/// bytes, then the payload pushed in pieces of each size in `pieces`.
/// Argon2id runs once; every piece size gets its own stream opener.
fn stream<A: Aead>(
    file: &[u8],
    secret: &Secret,
    context: &[u8],
    limits: &KdfLimits,
    pieces: &[usize],
) -> Result<(Unlocked, usize, Vec<Streamed>), OpenError> {
    let (header, header_len) = Header::parse_prefix(&file[..file.len().min(MAX_HEADER_SIZE)])?;
    let unlocked = file::unlock::<A>(&header, secret, limits)?;
    let payload = &file[header_len..];
    let mut runs = Vec::new();
    for &piece in pieces {
        let mut opener = unlocked.stream_opener::<A>(context)?;
        let mut released = Vec::new();
        let mut verdict = Ok(());
        for p in payload.chunks(piece.max(1)) {
            verdict = opener.push(p, &mut released);
            if verdict.is_err() {
                break;
            }
        }
        if verdict.is_ok() {
            verdict = opener.finish(&mut released);
        }
        if let Err(e) = verdict {
            // A reader that has failed keeps failing with the same error.
            assert_eq!(opener.push(b"more", &mut released), Err(e), "the stream did not keep failing");
            assert_eq!(opener.finish(&mut released), Err(e), "the stream did not keep failing");
        }
        runs.push(Streamed { released, verdict: verdict.map_err(OpenError::from) });
    }
    Ok((unlocked, header_len, runs))
}

fn expect_eq(what: &str, got: &str, want: &Value) -> Result<(), String> {
    match want.as_str() {
        Some(w) if w == got => Ok(()),
        Some(w) => Err(format!("{what}: got {got}, expected {w}")),
        None => Err(format!("{what}: missing in the vector")),
    }
}

fn check<A: Aead>(t: &Value, limits: &KdfLimits) -> Result<(), String> {
    let file = match (t.get("file"), t.get("fileZlib")) {
        (Some(_), None) => hex_field(t, "file")?,
        (None, Some(_)) => inflate(&hex_field(t, "fileZlib")?)?,
        _ => return Err("exactly one of file and fileZlib".into()),
    };
    if t["fileLength"].as_u64() != Some(file.len() as u64) {
        return Err("fileLength differs from the file".into());
    }
    let context = hex_field(t, "context")?;
    let key_bytes;
    let backup_key;
    let secret = match t["secretType"].as_str() {
        Some("key") => {
            key_bytes = hex_field(t, "key")?;
            backup_key = BackupKey::from_bytes(key_bytes.as_slice().try_into().map_err(|_| "key is not 32 bytes")?);
            Secret::key(&backup_key)
        }
        Some("password") => {
            let password = t["password"].as_str().ok_or("missing password")?;
            if to_hex(password.as_bytes()) != t["passwordUtf8"].as_str().unwrap_or_default() {
                return Err("passwordUtf8 is not the UTF-8 of password".into());
            }
            Secret::password(password)
        }
        _ => return Err("bad secretType".into()),
    };
    let result = t["result"].as_str().ok_or("missing result")?;
    let opens = result == "valid" || result == "acceptable";

    // The header length, where the header parses.
    let parsed = Header::parse_prefix(&file[..file.len().min(MAX_HEADER_SIZE)]);
    match (&parsed, t["headerLength"].as_u64()) {
        (Ok((_, len)), Some(want)) if *len as u64 == want => {}
        (Err(_), None) => {}
        (p, want) => return Err(format!("header parse {:?}, headerLength {want:?}", p.as_ref().map(|x| x.1))),
    }

    // One shot.
    let whole = file::open::<A>(&file, &secret, &context, limits);
    // Streaming, in several piece sizes (for the 4 MiB files, one size that
    // is not a multiple of the chunk size: each pass costs a fraction of a
    // second in a debug build).
    let pieces: &[usize] = if file.len() < 100_000 { &[1, 13, 16_400, 16_401, usize::MAX] } else { &[16_401] };
    let streamed = stream::<A>(&file, &secret, &context, limits, pieces);

    if opens {
        let plaintext = whole.map_err(|e| format!("{result} vector failed to open: {e} ({})", e.class()))?;
        let length = t["msgLength"].as_u64().ok_or("missing msgLength")?;
        if plaintext.len() as u64 != length {
            return Err(format!("opened to {} bytes, expected {length}", plaintext.len()));
        }
        expect_eq("msgSha512", &sha512_hex(&plaintext), &t["msgSha512"])?;
        let (unlocked, header_len, runs) = streamed.map_err(|e| format!("streaming: {e}"))?;
        for s in runs {
            s.verdict.map_err(|e| format!("streaming: {e}"))?;
            if s.released != plaintext {
                return Err("streaming released another plaintext".into());
            }
        }
        // Intermediate values.
        let key = unlocked.backup_key();
        expect_eq("backupKey", &to_hex(key.expose_secret()), &t["backupKey"])?;
        expect_eq("headerMacKey", &to_hex(header_mac_key(key).expose_secret()), &t["headerMacKey"])?;
        if unlocked.opened_slot().map(|i| i as u64) != t["openedSlot"].as_u64() {
            return Err(format!("opened slot {:?}, expected {}", unlocked.opened_slot(), t["openedSlot"]));
        }
        let payload = &file[header_len..];
        let salt: [u8; 24] = payload[..24].try_into().unwrap();
        let derived = cobblestone::derive(key.expose_secret(), &salt, &payload_context(&context).unwrap());
        expect_eq("payloadKey", &to_hex(derived.key().expose_secret()), &t["payloadKey"])?;
        expect_eq("payloadBaseNonce", &to_hex(derived.base_nonce()), &t["payloadBaseNonce"])?;
        expect_eq("payloadCommitment", &to_hex(derived.commitment()), &t["payloadCommitment"])?;
        return Ok(());
    }

    let stage = t["failureStage"].as_str().ok_or("invalid vector without failureStage")?;
    let error = match whole {
        Ok(_) => return Err("invalid vector opened".into()),
        Err(e) => e,
    };
    if error.class().name() != stage {
        return Err(format!("failed with {error} ({}), expected {stage}", error.class()));
    }
    // What a streaming reader releases: the verified prefix, and only with
    // the PartialPlaintext flag.
    let (want_len, want_hash) = if has_flag(t, "PartialPlaintext") {
        (t["msgLength"].as_u64().ok_or("missing msgLength")?, t["msgSha512"].clone())
    } else {
        if t.get("msgLength").is_some() {
            return Err("msgLength on an invalid vector without PartialPlaintext".into());
        }
        (0, Value::String(sha512_hex(b"")))
    };
    match streamed {
        Err(e)
            if e.class() == error.class()
                && error.class() != ErrorClass::Payload
                && error.class() != ErrorClass::Commitment => {}
        Err(e) => return Err(format!("streaming failed before the payload with {e}, one-shot with {error}")),
        Ok((_, _, runs)) => {
            for (s, piece) in runs.iter().zip(pieces) {
                match s.verdict {
                    Err(e) if e == error => {}
                    other => return Err(format!("streaming (pieces of {piece}): {other:?}, one-shot {error:?}")),
                }
                if s.released.len() as u64 != want_len {
                    return Err(format!(
                        "streaming (pieces of {piece}) released {} bytes, expected {want_len}",
                        s.released.len()
                    ));
                }
                expect_eq("released prefix's SHA-512", &sha512_hex(&s.released), &want_hash)?;
            }
        }
    }
    // Random access: the length is authenticated through the final chunk
    // exactly for the ValidFinalChunk vectors.
    if error.class() == ErrorClass::Payload {
        let Secret::Key(key) = secret else { return Err("payload vectors are opened with the key".into()) };
        let (_, header_len) = Header::parse_prefix(&file).map_err(|e| e.to_string())?;
        let payload = &file[header_len..];
        let length_ok = (|| {
            let prefix: [u8; PREFIX_SIZE] = payload.get(..PREFIX_SIZE)?.try_into().ok()?;
            let context = payload_context(&context).ok()?;
            let ra = RandomAccess::<A>::new(key.expose_secret(), &context, &prefix, payload.len() as u64).ok()?;
            let (offset, len) = ra.chunk_range(ra.layout().chunk_count - 1)?;
            let mut last = payload[offset as usize..(offset + len) as usize].to_vec();
            ra.authenticate_length(&mut last).ok()
        })();
        if length_ok.is_some() != has_flag(t, "ValidFinalChunk") {
            return Err(format!(
                "length authentication {length_ok:?}, ValidFinalChunk {}",
                has_flag(t, "ValidFinalChunk")
            ));
        }
    }
    Ok(())
}

/// Checks every vector of the file with the AEAD backend `A`.
fn run<A: Aead>(backend: &str) -> bool {
    let (doc, tests) = load(FILE, "ebak-v1-file", "EbakFileTest");
    let c = &doc["testGroups"][0]["kdfCeilings"];
    let limits = KdfLimits {
        max_memory_kib: c["maxMemoryKib"].as_u64().unwrap() as u32,
        max_iterations: c["maxIterations"].as_u64().unwrap() as u32,
        max_parallelism: c["maxParallelism"].as_u64().unwrap() as u32,
        max_total_work: c["maxTotalWork"].as_u64().unwrap(),
    };
    assert_eq!(limits, KdfLimits::V1, "the vectors use the v1 ceilings");
    let mut tally = Tally::default();
    for t in &tests {
        tally.record(FILE, backend, t, check::<A>(t, &limits));
    }
    tally.report(FILE, backend)
}

fn main() {
    let started = std::time::Instant::now();
    #[allow(unused_mut, reason = "only the aws-lc feature adds a second run")]
    let mut ok = run::<DefaultAead>("rustcrypto");
    // The second backend runs the same vectors (`--features aws-lc`).
    #[cfg(feature = "aws-lc")]
    {
        ok &= run::<ebak_core::aead::AwsLcAes256Gcm>("aws-lc");
    }
    println!("({:.1} s)", started.elapsed().as_secs_f64());
    if !ok {
        eprintln!("{FILE}: FAILED");
        std::process::exit(1);
    }
}
