//! Files whose header parses but whose secret does not get through: KDF
//! ceilings (spec 6 step 2.1), no slot opens (2.4), and the header MAC
//! (2.3 and 3).

use super::fixtures::{CONTEXT, Fixtures, PASSWORD_1, join};
use super::{Gen, Secret};
use crate::model::Stage::{HeaderMac, KdfLimits, NoSlotOpens};
use crate::raw::{RawHeader, RawSlot, SlotInputs, hkdf_expand_sha256_32, hkdf_expand_sha512_32, mac_key, wrap_context};
use crate::seed;
use ebak_core::header::HEADER_MAC_LABEL;
use ebak_core::kdf::KdfParams;

pub fn add(g: &mut Gen, f: &Fixtures) {
    kdf_limits(g, f);
    no_slot_opens(g, f);
    header_mac(g, f);
}

/// A slot with `params` whose wrapped key is sealed under a stand-in KEK
/// (see the KdfCeiling note): no one evaluates Argon2id at these costs.
pub(super) fn stand_in_slot(f: &Fixtures, label: &str, params: KdfParams) -> RawSlot {
    let inputs = SlotInputs::new(&format!("file/slot/{label}"), PASSWORD_1, params);
    let kek: [u8; 32] = seed::array(&format!("file/stand-in-kek/{label}"));
    inputs.slot_with_kek(&kek, &wrap_context(&inputs.kdf_salt, &inputs.params), &f.key_a)
}

const fn params(memory_kib: u32, iterations: u32, parallelism: u32) -> KdfParams {
    KdfParams { memory_kib, iterations, parallelism }
}

#[rustfmt::skip] // One vector per line.
fn kdf_limits(g: &mut Gen, f: &Fixtures) {
    let s = &f.short.bytes;
    let pw = Secret::Password(PASSWORD_1);
    for (label, p, what) in [
        ("m-over", params(1_048_577, 1, 1), "m = 1048577 KiB, one over the ceiling"),
        ("t-over", params(65_536, 17, 1), "t = 17, one over the ceiling"),
        ("p-over", params(65_536, 1, 17), "p = 17, one over the ceiling"),
        ("m-max", params(u32::MAX, 1, 1), "m = 2^32 - 1 KiB (4 TiB): a reader that runs Argon2id first runs out of memory"),
        ("p-max", params(8 * 0x00FF_FFFF, 1, 0x00FF_FFFF), "p = 2^24 - 1, the most lanes Argon2id allows, with m = 8p"),
    ] {
        let slot = stand_in_slot(f, label, p);
        let file = join(&f.header_a(&[&slot]), s);
        g.fails(&format!("password slot over the KDF ceiling: {what}"), &["KdfCeiling"], pw, CONTEXT, &file, KdfLimits, Some(178));
    }
    let a = stand_in_slot(f, "budget-a", params(1 << 20, 9, 1));
    let b = stand_in_slot(f, "budget-b", params(1 << 20, 9, 1));
    g.fails("two password slots of m = 2^20 KiB, t = 9: each within the ceilings, together 2^24 + 2^20 KiB-passes, over the budget", &["KdfWorkBudget"], pw, CONTEXT, &join(&f.header_a(&[&a, &b]), s), KdfLimits, Some(313));
    let cheap = SlotInputs::new("file/slot/budget-cheap", PASSWORD_1, params(8, 1, 1)).slot(&mut g.kdf, &f.key_a);
    let max = stand_in_slot(f, "budget-max", params(1 << 20, 16, 1));
    g.fails("a cheap slot the password opens, then a slot at the ceilings (m = 2^20, t = 16): together 2^24 + 8 KiB-passes; the budget is checked before Argon2id runs for the first slot", &["KdfWorkBudget"], pw, CONTEXT, &join(&f.header_a(&[&cheap, &max]), s), KdfLimits, Some(313));
    let over = super::valid::over_ceiling_slot(f);
    g.fails("the first slot opens with the password, the second is over the ceiling: every slot is checked before Argon2id runs for any", &["KdfCeiling"], pw, CONTEXT, &join(&f.header_a(&[&f.slot_1, &over]), s), KdfLimits, Some(313));
}

#[rustfmt::skip] // One vector per line.
fn no_slot_opens(g: &mut Gen, f: &Fixtures) {
    let s = &f.short.bytes;
    let one = join(&f.header_a(&[&f.slot_1]), s);
    g.fails("wrong password", &["WrongPassword"], Secret::Password("Tr0ub4dor&3"), CONTEXT, &one, NoSlotOpens, Some(178));
    g.fails("the password of another file's slot, on a file with two slots", &["WrongPassword", "MultipleSlots"], Secret::Password(super::fixtures::PASSWORD_2_NFC), CONTEXT, &join(&f.header_a(&[&f.slot_1, &f.slot_3]), s), NoSlotOpens, Some(313));
    g.fails("a password, on a file without slots", &["NoPasswordSlot"], Secret::Password(PASSWORD_1), CONTEXT, &join(&f.header_a(&[]), s), NoSlotOpens, Some(43));
    let unknown = join(&f.header_a(&[&f.vault, &f.unknown_ff]), s);
    let len = unknown.len() - s.len();
    g.fails("a password, on a file whose only slots are of unknown types", &["NoPasswordSlot", "UnknownSlotType"], Secret::Password(PASSWORD_1), CONTEXT, &unknown, NoSlotOpens, Some(len));
    // Slot 1 of a one-slot header: type at 11, body_len at 12, kdf_salt at
    // 14, m at 30, t at 34, p at 38, wrap salt at 42, commitment at 66,
    // wrapped key at 98, tag at 130, header MAC at 146.
    let mut m = one.clone();
    m[14] ^= 0x01;
    g.fails("the right password, but the slot's kdf_salt was modified: its commitment no longer matches", &["ModifiedSlot"], Secret::Password(PASSWORD_1), CONTEXT, &m, NoSlotOpens, Some(178));
    let mut m = one.clone();
    m[70] ^= 0x01;
    g.fails("the right password, but the slot's commitment was modified", &["ModifiedSlot"], Secret::Password(PASSWORD_1), CONTEXT, &m, NoSlotOpens, Some(178));
}

#[rustfmt::skip] // One vector per line.
fn header_mac(g: &mut Gen, f: &Fixtures) {
    // The generator's own HKDF agrees with the core's MAC key derivation.
    assert_eq!(hkdf_expand_sha512_32(&f.key_a, HEADER_MAC_LABEL), mac_key(&f.key_a));
    let k = Secret::Key(&f.key_a);
    let s = &f.short.bytes;
    let one = join(&f.header_a(&[&f.slot_1]), s);
    g.fails("wrong 64-digit key", &["WrongKey"], Secret::Key(&f.key_b), CONTEXT, &one, HeaderMac, Some(178));
    let none = join(&f.header_a(&[]), s);
    g.fails("wrong 64-digit key, file without slots", &["WrongKey"], Secret::Key(&f.key_b), CONTEXT, &none, HeaderMac, Some(43));
    let mut m = none.clone();
    m[42] ^= 0x01;
    g.fails("last byte of the header MAC modified", &["ModifiedHeader"], k, CONTEXT, &m, HeaderMac, Some(43));
    let mut m = none.clone();
    m[11..43].fill(0);
    g.fails("header MAC replaced by zero bytes", &["ModifiedHeader"], k, CONTEXT, &m, HeaderMac, Some(43));
    let mut m = one.clone();
    m[177] ^= 0x80;
    g.fails("header MAC modified, opened with the right password", &["ModifiedHeader"], Secret::Password(PASSWORD_1), CONTEXT, &m, HeaderMac, Some(178));

    let unknown_header = f.header_a(&[&f.vault, &f.unknown_ff]);
    let len = unknown_header.len();
    let mut m = join(&unknown_header, s);
    m[20] ^= 0x01;
    g.fails("a byte of an unknown slot's body modified: the MAC covers unknown slots", &["ModifiedHeader", "UnknownSlotType"], k, CONTEXT, &m, HeaderMac, Some(len));
    let mut m = join(&unknown_header, s);
    m[11] = 0x03;
    g.fails("an unknown slot's type changed from 0x02 to 0x03", &["ModifiedHeader", "UnknownSlotType"], k, CONTEXT, &m, HeaderMac, Some(len));

    let header_one = f.header_a(&[&f.slot_1]);
    let added = RawSlot::new(0x02, b"added by the storage provider".to_vec());
    let mut forged = RawHeader::new(vec![f.slot_1.clone(), added.clone()]).authenticated();
    forged.extend_from_slice(&header_one[146..]);
    let forged_len = forged.len();
    g.fails("a slot of unknown type appended (slot count 2), MAC of the one-slot header kept", &["ModifiedHeader", "UnknownSlotType"], k, CONTEXT, &join(&forged, s), HeaderMac, Some(forged_len));
    let header_two = f.header_a(&[&f.slot_1, &f.slot_3]);
    let mut forged = RawHeader::new(vec![f.slot_1.clone()]).authenticated();
    forged.extend_from_slice(&header_two[281..]);
    g.fails("the second of two password slots removed (slot count 1), MAC of the two-slot header kept", &["ModifiedHeader"], k, CONTEXT, &join(&forged, s), HeaderMac, Some(178));
    let mut m = join(&header_two, s);
    m[10] = 1;
    g.fails("slot count lowered from 2 to 1: the second slot's first 32 bytes are read as the MAC", &["ModifiedHeader"], k, CONTEXT, &m, HeaderMac, Some(178));

    let mut m = one.clone();
    m[100] ^= 0x01;
    g.fails("the right password, but the wrapped key was modified: the slot's commitment matches, its tag does not", &["ModifiedSlot"], Secret::Password(PASSWORD_1), CONTEXT, &m, HeaderMac, Some(178));
    let mut m = one.clone();
    m[145] ^= 0x01;
    g.fails("the right password, but the wrapped key's tag was modified", &["ModifiedSlot"], Secret::Password(PASSWORD_1), CONTEXT, &m, HeaderMac, Some(178));

    let bug = RawHeader::new(vec![]).sealed_with_mac_key(&f.key_a);
    g.fails("writer bug: the header MAC keyed with the backup key itself, not the derived header MAC key", &["WriterBug"], k, CONTEXT, &join(&bug, s), HeaderMac, Some(43));
    let bug = RawHeader::new(vec![]).sealed_with_mac_key(&hkdf_expand_sha256_32(&f.key_a, HEADER_MAC_LABEL));
    g.fails("writer bug: the header MAC key derived with HKDF-Expand-SHA-256 instead of SHA-512", &["WriterBug"], k, CONTEXT, &join(&bug, s), HeaderMac, Some(43));
}
