//! Files that open: with the 64-digit key, at the chunk boundaries, with
//! unknown slots, and with a password (including the acceptable ones).

use super::fixtures::{CONTEXT, Fixtures, PASSWORD_1, PASSWORD_2_NFC, PASSWORD_2_NFD, PASSWORD_3, join};
use super::{Gen, Secret};
use crate::model::TestResult::{Acceptable, Valid};
use crate::payload;
use crate::raw::{RawSlot, SlotInputs, wrap_context};
use crate::seed;
use ebak_core::kdf::KdfParams;

pub fn add(g: &mut Gen, f: &Fixtures) {
    with_the_key(g, f);
    with_a_password(g, f);
}

#[rustfmt::skip] // One vector per line: a table reads better than one argument per line.
fn with_the_key(g: &mut Gen, f: &Fixtures) {
    let k = &f.key_a;
    let none = f.header_a(&[]);

    let p = payload::seal(k, &seed::array("file/payload-salt/empty-no-context"), b"", Vec::new());
    g.opens("empty message, no slots, empty context", &["EmptyMessage"], Secret::Key(k), &join(&none, &p.bytes), Valid, None, &p);
    let p = payload::seal(k, &seed::array("file/payload-salt/empty"), CONTEXT, Vec::new());
    g.opens("empty message, no slots", &["EmptyMessage"], Secret::Key(k), &join(&none, &p.bytes), Valid, None, &p);
    g.opens("short message in one final chunk, no slots", &[], Secret::Key(k), &join(&none, &f.short.bytes), Valid, None, &f.short);

    for (len, what) in [
        (16_383, "16 KiB - 1 bytes: one almost full final chunk"),
        (16_384, "16 KiB: a full chunk and an empty final chunk"),
        (16_385, "16 KiB + 1 bytes: a full chunk and a 1-byte final chunk"),
        (32_768, "32 KiB: two full chunks and an empty final chunk"),
    ] {
        let p = f.keystream_a(&format!("boundary-{len}"), len);
        g.opens(what, &["ChunkBoundary", "KeystreamPlaintext"], Secret::Key(k), &join(&none, &p.bytes), Valid, None, &p);
    }
    let p = payload::seal(k, &seed::array("file/payload-salt/random-16385"), CONTEXT, seed::bytes("file/message/random-16385", 16_385));
    g.opens("16 KiB + 1 bytes of pseudorandom data (the ciphertext does not compress)", &["ChunkBoundary"], Secret::Key(k), &join(&none, &p.bytes), Valid, None, &p);
    let p = f.keystream_a("several", 3 * 16_384 + 1000);
    g.opens("three full chunks and a 1000-byte final chunk", &["KeystreamPlaintext"], Secret::Key(k), &join(&none, &p.bytes), Valid, None, &p);
    let p = f.keystream_a("rollover", 256 * 16_384 + 1000);
    g.opens("257 chunks: 256 full chunks and a 1000-byte final chunk at index 256 (0x100)", &["CounterRollover", "KeystreamPlaintext"], Secret::Key(k), &join(&none, &p.bytes), Valid, None, &p);

    let ctx = b"msg\x00store";
    let p = payload::seal(k, &seed::array("file/payload-salt/zero-in-context"), ctx, b"context with a zero byte".to_vec());
    g.opens("application context with a zero byte inside", &[], Secret::Key(k), &join(&none, &p.bytes), Valid, None, &p);
    let ctx = seed::bytes("file/context/long", 1024);
    let p = payload::seal(k, &seed::array("file/payload-salt/long-context"), &ctx, b"longest context".to_vec());
    g.opens("application context of 1024 bytes, the longest allowed", &["LongContext"], Secret::Key(k), &join(&none, &p.bytes), Valid, None, &p);

    let s = &f.short;
    g.opens("one password slot, opened with the 64-digit key", &[], Secret::Key(k), &join(&f.header_a(&[&f.slot_1]), &s.bytes), Valid, None, s);
    g.opens("a vault slot (type 0x02) and a slot of type 0xFF, no password slot: opened with the key", &["UnknownSlotType"], Secret::Key(k), &join(&f.header_a(&[&f.vault, &f.unknown_ff]), &s.bytes), Valid, None, s);
    let a = RawSlot::new(0x03, b"same type, first body".to_vec());
    let b = RawSlot::new(0x03, b"same type, other body".to_vec());
    let c = RawSlot::new(0x04, b"same type, first body".to_vec());
    g.opens("unknown slots of one type with different bodies, and of different types with one body: not duplicates", &["UnknownSlotType"], Secret::Key(k), &join(&f.header_a(&[&a, &b, &c]), &s.bytes), Valid, None, s);
    let big: Vec<RawSlot> = (0x02..=0x09u8).map(|t| RawSlot::new(t, vec![t; 1024])).collect();
    let big_refs: Vec<&RawSlot> = big.iter().collect();
    g.opens("eight unknown slots with 1024-byte bodies: an 8259-byte header", &["MaxHeader", "UnknownSlotType"], Secret::Key(k), &join(&f.header_a(&big_refs), &s.bytes), Valid, None, s);

    // Spec 10: a header and a payload under the same key and context are
    // not bound to each other.
    let other = payload::seal(k, &seed::array("file/payload-salt/splice"), CONTEXT, b"a newer backup under the same key".to_vec());
    g.opens("the header of one file and the payload of another under the same key and context: opens (spec 10)", &["HeaderPayloadSplice"], Secret::Key(k), &join(&f.header_a(&[&f.slot_1]), &other.bytes), Valid, None, &other);

    // Acceptable with the key: slots no conforming writer makes.
    let over = over_ceiling_slot(f);
    g.opens("a password slot over the KDF ceiling (m = 1048577 KiB), opened with the 64-digit key: no slot is used", &["KdfCeiling"], Secret::Key(k), &join(&f.header_a(&[&f.slot_1, &over]), &s.bytes), Acceptable, None, s);
}

/// A slot whose memory cost is one KiB over the ceiling; its wrapped key is
/// sealed under a stand-in KEK (see the KdfCeiling note).
pub fn over_ceiling_slot(f: &Fixtures) -> RawSlot {
    let inputs = SlotInputs::new(
        "file/slot/over-ceiling",
        PASSWORD_1,
        KdfParams { memory_kib: 1_048_577, iterations: 1, parallelism: 1 },
    );
    let kek: [u8; 32] = seed::array("file/stand-in-kek");
    inputs.slot_with_kek(&kek, &wrap_context(&inputs.kdf_salt, &inputs.params), &f.key_a)
}

#[rustfmt::skip] // One vector per line.
fn with_a_password(g: &mut Gen, f: &Fixtures) {
    let k = &f.key_a;
    let s = &f.short;
    let one = join(&f.header_a(&[&f.slot_1]), &s.bytes);
    g.opens("one password slot at the writing floor (m = 65536, t = 3, p = 1), ASCII password", &[], Secret::Password(PASSWORD_1), &one, Valid, Some(0), s);
    let two = join(&f.header_a(&[&f.slot_2]), &s.bytes);
    g.opens("password with accents, given in NFC as it was when the slot was made", &[], Secret::Password(PASSWORD_2_NFC), &two, Valid, Some(0), s);
    g.opens("the same password given in NFD (decomposed accents): NFC makes it the same", &["UnicodeNormalization"], Secret::Password(PASSWORD_2_NFD), &two, Valid, Some(0), s);
    let both = join(&f.header_a(&[&f.slot_1, &f.slot_3]), &s.bytes);
    g.opens("two password slots; the password opens the second", &["MultipleSlots"], Secret::Password(PASSWORD_3), &both, Valid, Some(1), s);
    let vault_first = join(&f.header_a(&[&f.vault, &f.slot_1]), &s.bytes);
    g.opens("a vault slot (unknown to v1) before the password slot: skipped", &["UnknownSlotType"], Secret::Password(PASSWORD_1), &vault_first, Valid, Some(1), s);

    let cheap = SlotInputs::new("file/slot/below-floor", PASSWORD_1, KdfParams { memory_kib: 8, iterations: 1, parallelism: 1 }).slot(&mut g.kdf, k);
    let cheap_file = join(&f.header_a(&[&cheap]), &s.bytes);
    g.opens("a password slot below the writing floor (m = 8, t = 1, p = 1): readers accept it", &["BelowWritingFloor"], Secret::Password(PASSWORD_1), &cheap_file, Acceptable, Some(0), s);
    g.opens("a password slot below the writing floor, opened with the 64-digit key", &["BelowWritingFloor"], Secret::Key(k), &cheap_file, Acceptable, None, s);
}
