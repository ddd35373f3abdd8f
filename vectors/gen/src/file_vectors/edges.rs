//! Vectors at the edges of the KDF limits and of the payload encoding,
//! added after the first release. They come last, so that the tcIds before
//! them stay what they were.

use super::fixtures::{CONTEXT, Fixtures, PASSWORD_1, join};
use super::secrets::stand_in_slot;
use super::{Gen, Secret};
use crate::model::TestResult::Valid;
use crate::payload;
use crate::seed;
use ebak_core::aead::DefaultAead;
use ebak_core::chunk::TAG_SIZE;
use ebak_core::cobblestone::{self, ChunkCipher};
use ebak_core::file::payload_context;
use ebak_core::kdf::KdfParams;

pub fn add(g: &mut Gen, f: &Fixtures) {
    kdf_limits_inclusive(g, f);
    non_canonical_chunking(g, f);
}

/// Spec 8's ceilings and work budget are inclusive. The password opens the
/// first slot (the floor-cost `slot_1`), so the costly second slot is never
/// evaluated (spec 6 step 2.3 stops at the first slot that opens) and its
/// wrapped key can be sealed under a stand-in KEK.
#[rustfmt::skip] // One vector per line.
fn kdf_limits_inclusive(g: &mut Gen, f: &Fixtures) {
    let floor_work = 65_536 * 3;
    for (label, params, what) in [
        ("at-budget", KdfParams { memory_kib: 1_036_288, iterations: 16, parallelism: 16 }, "then m = 1036288, t = 16, p = 16: together exactly 2^24 KiB-passes, the budget, with t and p at their ceilings"),
        ("at-memory-ceiling", KdfParams { memory_kib: 1 << 20, iterations: 15, parallelism: 16 }, "then m = 2^20 KiB, t = 15, p = 16: m and p at their ceilings, within the budget"),
    ] {
        let work = floor_work + u64::from(params.memory_kib) * u64::from(params.iterations);
        assert!(work <= 1 << 24, "{label}");
        let costly = stand_in_slot(f, label, params);
        let file = join(&f.header_a(&[&f.slot_1, &costly]), &f.short.bytes);
        g.opens(&format!("the limits are inclusive: a floor-cost slot the password opens, {what}"), &["KdfLimitBoundary"], Secret::Password(PASSWORD_1), &file, Valid, Some(0), &f.short);
    }
}

/// Chunks that are each a valid AEAD at their index, but not the only
/// chunking of the message (16 KiB chunks, the last one short): the reader
/// finds chunk boundaries by position, so the first piece fails.
#[rustfmt::skip] // One vector per line.
fn non_canonical_chunking(g: &mut Gen, f: &Fixtures) {
    let key = &f.key_a;
    let none = f.header_a(&[]);
    let salt: [u8; 24] = seed::array("file/payload-salt/non-canonical");
    let message = seed::bytes("file/message/non-canonical", 2000);
    let canonical = payload::seal(key, &salt, CONTEXT, message.clone());
    let derived = cobblestone::derive(key, &salt, &payload_context(CONTEXT).unwrap());
    let cipher = ChunkCipher::<DefaultAead>::new(&derived);
    let sealed = |index: u64, plaintext: &[u8]| {
        let mut chunk = plaintext.to_vec();
        chunk.extend_from_slice(&[0; TAG_SIZE]);
        cipher.seal(index, &mut chunk).unwrap();
        chunk
    };
    let split = canonical.with_chunks(&[sealed(0, &message[..1000]), sealed(1, &message[1000..])]);
    g.fails_in_payload("a 2000-byte message sealed as two 1000-byte chunks, each valid at its index: chunk 0 is short but not final", &["NonCanonicalChunking"], key, &none, &canonical, &split, 0);
    let empty_first = canonical.with_chunks(&[sealed(0, &[]), sealed(1, &message)]);
    g.fails_in_payload("a 2000-byte message sealed as an empty chunk 0 (a lone tag) and a 2000-byte chunk 1", &["NonCanonicalChunking"], key, &none, &canonical, &empty_first, 0);
}
