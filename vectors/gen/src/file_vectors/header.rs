//! Files whose header does not parse (spec 6 step 1): every one fails at
//! HeaderParse, whatever the secret, and releases nothing.

use super::fixtures::{CONTEXT, Fixtures, PASSWORD_1, join};
use super::{Gen, Secret};
use crate::model::Stage::HeaderParse;
use crate::raw::{RawHeader, RawSlot, SlotInputs, password_body, wrap, wrap_context};
use ebak_core::kdf::KdfParams;
use ebak_core::slot::{SLOT_TYPE_PASSWORD, SLOT_TYPE_RESERVED};

pub fn add(g: &mut Gen, f: &Fixtures) {
    truncated(g, f);
    magic_and_version(g, f);
    slots(g, f);
}

#[rustfmt::skip] // One vector per line.
fn truncated(g: &mut Gen, f: &Fixtures) {
    let k = Secret::Key(&f.key_a);
    let one = join(&f.header_a(&[&f.slot_1]), &f.short.bytes);
    for (len, what) in [
        (0, "an empty file"),
        (5, "inside the magic"),
        (9, "after the magic"),
        (10, "after the version"),
        (11, "after the slot count (1), before the slot"),
        (13, "inside the slot's body_len"),
        (100, "inside the password slot's body"),
        (146, "after the slot, before the header MAC"),
        (177, "inside the header MAC (31 of 32 bytes)"),
    ] {
        g.fails(&format!("file truncated to {len} bytes: {what}"), &["Truncation"], k, CONTEXT, &one[..len], HeaderParse, None);
    }
    let none = join(&f.header_a(&[]), &f.short.bytes);
    g.fails("file without slots truncated to 27 bytes, inside the header MAC", &["Truncation"], k, CONTEXT, &none[..27], HeaderParse, None);
    g.fails("file truncated inside the header MAC, tried with a password", &["Truncation"], Secret::Password(PASSWORD_1), CONTEXT, &one[..160], HeaderParse, None);
}

#[rustfmt::skip] // One vector per line.
fn magic_and_version(g: &mut Gen, f: &Fixtures) {
    let k = Secret::Key(&f.key_a);
    let none = join(&f.header_a(&[]), &f.short.bytes);
    let mut m = none.clone();
    m[0] = 0x09;
    g.fails("the magic's first byte with its high bit stripped (a 7-bit transfer)", &["BadMagic"], k, CONTEXT, &m, HeaderParse, None);
    // CR LF -> LF drops the 0x0D at offset 5.
    let mut m = none.clone();
    m.remove(5);
    g.fails("text-mode transfer: the magic's CR LF turned into LF", &["BadMagic"], k, CONTEXT, &m, HeaderParse, None);
    // LF -> CR LF adds a 0x0D before each 0x0A of the magic.
    let mut m = none[..5].to_vec();
    m.extend_from_slice(b"\r\r\n\x1a\r\n");
    m.extend_from_slice(&none[9..]);
    g.fails("text-mode transfer: the magic's LFs turned into CR LF", &["BadMagic"], k, CONTEXT, &m, HeaderParse, None);
    let mut m = b"\x89PNG\r\n\x1a\n".to_vec();
    m.extend_from_slice(&none[8..]);
    g.fails("a PNG signature: the same first byte and line-ending bytes, not ebak", &["BadMagic"], k, CONTEXT, &m, HeaderParse, None);
    g.fails("a short text file", &["BadMagic"], k, CONTEXT, b"ebak\n", HeaderParse, None);
    for v in [0x02, 0x00, 0xFF] {
        let mut h = RawHeader::new(vec![]);
        h.version = v;
        g.fails(&format!("version 0x{v:02x}, with a correct MAC"), &["UnknownVersion"], k, CONTEXT, &join(&h.sealed(&f.key_a), &f.short.bytes), HeaderParse, None);
    }
    let mut h = RawHeader::new(vec![f.slot_1.clone()]);
    h.version = 0x02;
    g.fails("version 0x02, tried with the password: the header fails before any Argon2id", &["UnknownVersion"], Secret::Password(PASSWORD_1), CONTEXT, &join(&h.sealed(&f.key_a), &f.short.bytes), HeaderParse, None);
}

/// A password slot with `params`, as a writer would make it if the costs
/// were accepted (a stand-in KEK: Argon2id refuses invalid costs).
fn invalid_params_slot(f: &Fixtures, label: &str, params: KdfParams) -> RawSlot {
    let inputs = SlotInputs::new(&format!("file/slot/{label}"), PASSWORD_1, params);
    let kek: [u8; 32] = crate::seed::array(&format!("file/stand-in-kek/{label}"));
    let ctx = wrap_context(&inputs.kdf_salt, &params);
    RawSlot::new(
        SLOT_TYPE_PASSWORD,
        password_body(&inputs.kdf_salt, &params, &wrap(&kek, &inputs.wrap_salt, &ctx, &f.key_a)),
    )
}

#[rustfmt::skip] // One vector per line.
fn slots(g: &mut Gen, f: &Fixtures) {
    let k = Secret::Key(&f.key_a);
    let s = &f.short.bytes;
    let sealed = |slots: Vec<RawSlot>| join(&RawHeader::new(slots).sealed(&f.key_a), s);

    let nine: Vec<RawSlot> = (0..9u8).map(|i| RawSlot::new(0x10 + i, Vec::new())).collect();
    g.fails("nine slots (of unknown types, empty bodies), one over the limit", &["SlotCount"], k, CONTEXT, &sealed(nine), HeaderParse, None);
    let mut h = RawHeader::new(vec![]);
    h.count = 0xFF;
    g.fails("slot count 255, no slots follow", &["SlotCount"], k, CONTEXT, &join(&h.sealed(&f.key_a), s), HeaderParse, None);

    g.fails("a slot of reserved type 0x00 with an empty body", &["ReservedSlotType"], k, CONTEXT, &sealed(vec![RawSlot::new(SLOT_TYPE_RESERVED, Vec::new())]), HeaderParse, None);
    g.fails("a valid password slot body under the reserved type 0x00", &["ReservedSlotType"], k, CONTEXT, &sealed(vec![RawSlot::new(SLOT_TYPE_RESERVED, f.slot_1.body.clone())]), HeaderParse, None);
    g.fails("a reserved slot (0x00) after a password slot, tried with the password", &["ReservedSlotType"], Secret::Password(PASSWORD_1), CONTEXT, &sealed(vec![f.slot_1.clone(), RawSlot::new(SLOT_TYPE_RESERVED, Vec::new())]), HeaderParse, None);

    let body = &f.slot_1.body;
    g.fails("password slot with body_len 131 (its body cut by one byte)", &["SlotLength"], k, CONTEXT, &sealed(vec![RawSlot::new(SLOT_TYPE_PASSWORD, body[..131].to_vec())]), HeaderParse, None);
    let mut longer = body.clone();
    longer.push(0);
    g.fails("password slot with body_len 133 (a zero byte appended to its body)", &["SlotLength"], k, CONTEXT, &sealed(vec![RawSlot::new(SLOT_TYPE_PASSWORD, longer)]), HeaderParse, None);
    g.fails("password slot with body_len 0", &["SlotLength"], k, CONTEXT, &sealed(vec![RawSlot::new(SLOT_TYPE_PASSWORD, Vec::new())]), HeaderParse, None);
    g.fails("unknown slot (type 0x02) with a 1025-byte body, one over the limit", &["SlotLength", "UnknownSlotType"], k, CONTEXT, &sealed(vec![RawSlot::new(0x02, vec![0x02; 1025])]), HeaderParse, None);
    let mut h = RawHeader::new(vec![]);
    h.count = 1;
    let mut bytes = h.authenticated();
    bytes.extend_from_slice(&[0x02, 0xFF, 0xFF]);
    g.fails("unknown slot with body_len 65535 and the payload after it: rejected from the length alone", &["SlotLength", "UnknownSlotType"], k, CONTEXT, &join(&bytes, s), HeaderParse, None);

    for (label, p, what) in [
        ("t-zero", KdfParams { memory_kib: 65_536, iterations: 0, parallelism: 1 }, "t = 0"),
        ("p-zero", KdfParams { memory_kib: 65_536, iterations: 3, parallelism: 0 }, "p = 0"),
        ("m-zero", KdfParams { memory_kib: 0, iterations: 3, parallelism: 1 }, "m = 0"),
        ("m-below-8p", KdfParams { memory_kib: 15, iterations: 1, parallelism: 2 }, "m = 15 < 8p with p = 2"),
        ("p-too-many", KdfParams { memory_kib: 1 << 27, iterations: 1, parallelism: 1 << 24 }, "p = 2^24 (m = 2^27 = 8p), one over Argon2id's limit"),
    ] {
        let slot = invalid_params_slot(f, label, p);
        g.fails(&format!("password slot with invalid Argon2id parameters: {what}"), &["InvalidKdfParams"], Secret::Password(PASSWORD_1), CONTEXT, &sealed(vec![slot]), HeaderParse, None);
    }

    g.fails("two identical slots of unknown type", &["DuplicateSlot", "UnknownSlotType"], k, CONTEXT, &sealed(vec![f.vault.clone(), f.vault.clone()]), HeaderParse, None);
    g.fails("the same password slot twice, tried with its password", &["DuplicateSlot"], Secret::Password(PASSWORD_1), CONTEXT, &sealed(vec![f.slot_1.clone(), f.slot_1.clone()]), HeaderParse, None);
    let twin = SlotInputs { wrap_salt: crate::seed::array("file/slot/1-twin/wrap-salt"), ..f.inputs_1.clone() }.slot(&mut g.kdf, &f.key_a);
    assert_ne!(twin.body, f.slot_1.body);
    g.fails("two password slots with the same kdf_salt (same password, different wrap salts)", &["DuplicateSlot"], Secret::Password(PASSWORD_1), CONTEXT, &sealed(vec![f.slot_1.clone(), twin]), HeaderParse, None);
}
