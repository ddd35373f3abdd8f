//! The header: magic, version, key slots, header MAC (spec 4).
//!
//! ```text
//! header = magic (9) || version (1) || slot_count (1) || slot* || mac (32)
//! slot   = slot_type (1) || body_len (2, big-endian) || body (body_len)
//! mac    = HMAC-SHA-256(HKDF-Expand-SHA-512(backup key,
//!                       "ebak/v1/header-mac", 32), every byte before it)
//! ```
//!
//! Every length is bounded before it is used, fixed-width integers leave no
//! choice of spelling, and a header is rejected if anything follows it when
//! it is parsed alone: every header has exactly one encoding.
//!
//! The hax contracts state that: whatever parses re-encodes to exactly the
//! bytes it was parsed from, and the slot rules hold of every header this
//! module builds or accepts (`proofs/hax/README.md`).

use crate::codec::{Codec, Reader, read_all};
use crate::hkdf;
use crate::kdf::KdfParams;
use crate::secret::{BackupKey, DerivedKey};
use crate::slot::conflict;

pub use crate::error::HeaderError;
pub use crate::limits::{MAX_SLOT_BODY_SIZE, MAX_SLOTS};
pub use crate::slot::{OtherSlot, Slot};
use alloc::vec::Vec;
use subtle::ConstantTimeEq;

/// Spec 4.1: the magic, in the spirit of PNG's: a non-ASCII first byte,
/// the name, CR LF, the DOS end-of-file byte and LF, so that a text-mode
/// transfer or a line-ending conversion is caught at once.
pub const MAGIC: [u8; 9] = [0x89, b'e', b'b', b'a', b'k', 0x0D, 0x0A, 0x1A, 0x0A];
/// The format version this crate reads and writes.
pub const VERSION: u8 = 0x01;
/// The header MAC.
pub const HEADER_MAC_SIZE: usize = 32;
/// The label the header MAC key is derived with.
pub const HEADER_MAC_LABEL: &[u8] = b"ebak/v1/header-mac";
/// A header without slots: magic, version, count, MAC.
pub const MIN_HEADER_SIZE: usize = MAGIC.len() + 2 + HEADER_MAC_SIZE;
/// The longest header: eight slots with the longest bodies.
pub const MAX_HEADER_SIZE: usize = MIN_HEADER_SIZE + MAX_SLOTS * (3 + MAX_SLOT_BODY_SIZE);

/// A parsed (or built) header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    slots: Vec<Slot>,
    mac: [u8; HEADER_MAC_SIZE],
}

/// Spec 4.4: `HKDF-Expand-SHA-512(backup key, "ebak/v1/header-mac", 32)`.
#[must_use]
#[hax_lib::opaque]
pub fn header_mac_key(backup_key: &BackupKey) -> DerivedKey {
    DerivedKey::new(hkdf::expand_sha512(backup_key.expose_secret(), &[HEADER_MAC_LABEL]))
}

/// Checks the slot list: at most eight, no duplicates.
#[hax_lib::ensures(|result| match result {
    Ok(()) => spec::slots_ok(slots),
    Err(HeaderError::TooManySlots(_)) => hax_lib::Prop::from(slots.len() > MAX_SLOTS),
    Err(HeaderError::DuplicateSlot) => hax_lib::Prop::from(slots.len() <= MAX_SLOTS) & !spec::slots_ok(slots),
    Err(_) => hax_lib::Prop::from(false),
})]
#[cfg_attr(feature = "no-panic", no_panic::no_panic)]
fn check_slots(slots: &[Slot]) -> Result<(), HeaderError> {
    if slots.len() > MAX_SLOTS {
        return Err(HeaderError::TooManySlots(u8::try_from(slots.len()).unwrap_or(u8::MAX)));
    }
    // Spec 4.2: no two slots may be identical, and no two password slots
    // may share an Argon2 salt. Index loops (rather than iterator chains)
    // so that the invariants can name the pairs already checked.
    for i in 0..slots.len() {
        hax_lib::loop_invariant!(|i: usize| spec::no_conflict_before(slots, i));
        for j in i.saturating_add(1)..slots.len() {
            hax_lib::loop_invariant!(|j: usize| spec::no_conflict_before(slots, i)
                & hax_lib::forall(|k: usize| hax_lib::implies(
                    i < k && k < j,
                    !crate::slot::spec::conflict(&slots[i], &slots[k])
                )));
            if let (Some(a), Some(b)) = (slots.get(i), slots.get(j))
                && conflict(a, b)
            {
                return Err(HeaderError::DuplicateSlot);
            }
        }
    }
    Ok(())
}

#[hax_lib::attributes]
impl Header {
    /// Builds a header for `slots` and computes its MAC under `backup_key`.
    ///
    /// # Errors
    ///
    /// More than eight slots, or duplicates.
    #[hax_lib::ensures(|result| match result {
        Ok(header) => hax_lib::Prop::from(header.slots == slots) & spec::slots_ok(&slots),
        Err(_) => !spec::slots_ok(&slots),
    })]
    pub fn new(backup_key: &BackupKey, slots: Vec<Slot>) -> Result<Self, HeaderError> {
        check_slots(&slots)?;
        let mut header = Self { slots, mac: [0; HEADER_MAC_SIZE] };
        header.mac = header.compute_mac(backup_key);
        Ok(header)
    }

    /// Parses a header that is the whole input.
    ///
    /// # Errors
    ///
    /// See [`HeaderError`]; [`HeaderError::TrailingData`] if anything
    /// follows the MAC.
    #[hax_lib::ensures(|result| match (result, model::header_verdict(bytes)) {
        // Sound and complete: it accepts exactly the inputs that are one
        // header, and what it returns re-encodes to them.
        (Ok(header), Ok(len)) => len == bytes.len() && header.to_bytes() == bytes,
        (Err(HeaderError::TrailingData), Ok(len)) => len < bytes.len(),
        // Otherwise the first rule broken, in spec 6 step 1's order.
        (Err(e), Err(first)) => e == first,
        _ => false,
    })]
    pub fn parse(bytes: &[u8]) -> Result<Self, HeaderError> {
        read_all(bytes, HeaderError::TrailingData)
    }

    /// Parses the header at the start of `bytes` (a file, or its first
    /// [`MAX_HEADER_SIZE`] bytes) and returns it with its length.
    ///
    /// Spec 6 step 1: the checks run in this order, and the first that
    /// fails decides the error: magic, version, slot count, then for each
    /// slot its type, its length, its body; then duplicates; then the MAC's
    /// presence.
    ///
    /// # Errors
    ///
    /// See [`HeaderError`]. [`HeaderError::Truncated`] means more input is
    /// needed (a file is never shorter than its header).
    #[hax_lib::ensures(|result| match (result, model::header_verdict(bytes)) {
        // Sound and complete: a header is found exactly when the input
        // starts with one, with its exact length and bytes.
        (Ok((header, len)), Ok(first_len)) => hax_lib::Prop::from(
            len == first_len
                && len <= bytes.len()
                && len >= MIN_HEADER_SIZE
                && len <= MAX_HEADER_SIZE
                && len == header.encoded_len()
                && header.to_bytes() == bytes[..len]
        ) & spec::slots_ok(&header.slots),
        // Otherwise the first rule broken, in spec 6 step 1's order
        // (`BadMagic` exactly when the input does not start with a prefix
        // of the magic).
        (Err(e), Err(first)) => hax_lib::Prop::from(e == first),
        _ => hax_lib::Prop::from(false),
    })]
    pub fn parse_prefix(bytes: &[u8]) -> Result<(Self, usize), HeaderError> {
        // A wrong byte in what is there beats a short input: "x" is not an
        // ebak file at all, "\x89eb" may be the start of one.
        for i in 0..MAGIC.len() {
            hax_lib::loop_invariant!(|i: usize| hax_lib::forall(|k: usize| hax_lib::implies(
                k < i && k < bytes.len(),
                bytes[k] == MAGIC[k]
            )));
            if let (Some(got), Some(want)) = (bytes.get(i), MAGIC.get(i))
                && got != want
            {
                return Err(HeaderError::BadMagic);
            }
        }
        let mut r = Reader::new(bytes);
        r.array::<{ MAGIC.len() }>().ok_or(HeaderError::Truncated)?;
        let version = r.u8().ok_or(HeaderError::Truncated)?;
        if version != VERSION {
            return Err(HeaderError::UnsupportedVersion(version));
        }
        let count = r.u8().ok_or(HeaderError::Truncated)?;
        if usize::from(count) > MAX_SLOTS {
            return Err(HeaderError::TooManySlots(count));
        }
        let mut slots = Vec::with_capacity(usize::from(count));
        for _n in 0..count {
            hax_lib::loop_invariant!(|n: u8| slots.len() == usize::from(n));
            slots.push(Slot::read(&mut r)?);
        }
        check_slots(&slots)?;
        let mac = *r.array::<HEADER_MAC_SIZE>().ok_or(HeaderError::Truncated)?;
        let len = bytes.len().saturating_sub(r.rest().len());
        Ok((Self { slots, mac }, len))
    }

    /// The slots, in order.
    #[must_use]
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// The password slots' costs, in order.
    pub fn password_params(&self) -> impl Iterator<Item = &KdfParams> {
        self.slots.iter().filter_map(|s| match s {
            Slot::Password(p) => Some(p.params()),
            Slot::Other(_) => None,
        })
    }

    /// The stored header MAC.
    #[must_use]
    pub const fn mac(&self) -> &[u8; HEADER_MAC_SIZE] {
        &self.mac
    }

    /// Every byte before the MAC.
    #[must_use]
    #[hax_lib::requires(self.slots.len() <= MAX_SLOTS)]
    #[hax_lib::ensures(|result| spec::is_authenticated_bytes(&self.slots, &result))]
    pub fn authenticated_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAX_HEADER_SIZE);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.push(u8::try_from(self.slots.len()).unwrap_or(u8::MAX));
        for slot in &self.slots {
            slot.encode(&mut out);
        }
        out
    }

    /// The encoded header.
    #[must_use]
    #[hax_lib::requires(self.slots.len() <= MAX_SLOTS)]
    #[hax_lib::ensures(|result| {
        let body = self.authenticated_bytes();
        result.len() == body.len() + HEADER_MAC_SIZE && result[..body.len()] == body[..] && result[body.len()..] == self.mac
    })]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.authenticated_bytes();
        out.extend_from_slice(&self.mac);
        out
    }

    /// The encoded length.
    #[must_use]
    #[hax_lib::requires(self.slots.len() <= MAX_SLOTS)]
    #[hax_lib::ensures(|result| result == self.to_bytes().len() && result <= MAX_HEADER_SIZE)]
    #[cfg_attr(feature = "no-panic", no_panic::no_panic)]
    pub fn encoded_len(&self) -> usize {
        let mut len = MIN_HEADER_SIZE;
        for slot in &self.slots {
            len = len.saturating_add(slot.encoded_len());
        }
        len
    }

    /// Spec 4.4: HMAC-SHA-256 under the header MAC key (opaque to the
    /// proofs: the HMAC is RustCrypto's, in the trusted base).
    #[hax_lib::opaque]
    fn compute_mac(&self, backup_key: &BackupKey) -> [u8; HEADER_MAC_SIZE] {
        let key = header_mac_key(backup_key);
        hkdf::hmac_sha256(key.expose_secret(), &[&self.authenticated_bytes()])
    }

    /// Spec 4.4: whether the MAC verifies under `backup_key`, compared in
    /// constant time.
    #[must_use]
    #[hax_lib::opaque]
    pub fn verify_mac(&self, backup_key: &BackupKey) -> bool {
        self.compute_mac(backup_key).ct_eq(&self.mac).into()
    }
}

/// The header as a [`Codec`]: [`Header::parse_prefix`] and
/// [`Header::to_bytes`].
impl Codec for Header {
    type Error = HeaderError;

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, HeaderError> {
        let (header, len) = Self::parse_prefix(r.rest())?;
        r.take(len).ok_or(HeaderError::Truncated)?;
        Ok(header)
    }
}

/// The header grammar as a function of the input (spec 4.1, 4.2 and 6 step
/// 1), for the contracts above and for the tests that check them: the
/// length of the header the input starts with, or the first rule it
/// breaks, in the spec's order. Written from the spec, not from
/// `parse_prefix`: it reads the fields by position and compares slots as
/// bytes.
#[cfg(any(hax, test))]
pub(crate) mod model {
    use super::{HEADER_MAC_SIZE, MAGIC, MAX_SLOTS, VERSION};
    use crate::error::HeaderError;
    use crate::slot::SLOT_TYPE_PASSWORD;
    use crate::slot::model::slot_verdict;
    use alloc::vec::Vec;

    /// Spec 4.2: two slots conflict when they are the same bytes, or are
    /// both password slots with the same Argon2id salt (body bytes 0..16).
    fn conflict(a: &[u8], b: &[u8]) -> bool {
        let salt = |s: &[u8]| s.get(3..19).map(<[u8]>::to_vec);
        a == b
            || (a.first() == Some(&SLOT_TYPE_PASSWORD) && b.first() == Some(&SLOT_TYPE_PASSWORD) && salt(a) == salt(b))
    }

    /// The header at the start of `bytes`: its length, or the first error:
    /// a byte of the magic differs (`BadMagic`, even in a short input); the
    /// input ends inside the magic, the version or the count (`Truncated`);
    /// another version (`UnsupportedVersion`); more than eight slots
    /// (`TooManySlots`); each slot in turn ([`slot_verdict`]); two slots in
    /// conflict (`DuplicateSlot`); the input ends inside the MAC
    /// (`Truncated`).
    pub(crate) fn header_verdict(bytes: &[u8]) -> Result<usize, HeaderError> {
        for (i, m) in MAGIC.iter().enumerate() {
            if bytes.get(i).is_some_and(|b| b != m) {
                return Err(HeaderError::BadMagic);
            }
        }
        let version = *bytes.get(9).ok_or(HeaderError::Truncated)?;
        if version != VERSION {
            return Err(HeaderError::UnsupportedVersion(version));
        }
        let count = *bytes.get(10).ok_or(HeaderError::Truncated)?;
        if usize::from(count) > MAX_SLOTS {
            return Err(HeaderError::TooManySlots(count));
        }
        // magic (9), version, count
        let mut at: usize = 11;
        let mut slots: Vec<&[u8]> = Vec::new();
        for _ in 0..count {
            let rest = bytes.get(at..).unwrap_or_default();
            let len = slot_verdict(rest)?;
            slots.push(rest.get(..len).unwrap_or_default());
            at = at.checked_add(len).ok_or(HeaderError::Truncated)?;
        }
        for (i, a) in slots.iter().enumerate() {
            if slots.iter().skip(i.saturating_add(1)).any(|b| conflict(a, b)) {
                return Err(HeaderError::DuplicateSlot);
            }
        }
        let len = at.checked_add(HEADER_MAC_SIZE).ok_or(HeaderError::Truncated)?;
        if bytes.len() < len {
            return Err(HeaderError::Truncated);
        }
        Ok(len)
    }
}

/// Predicates for the contracts above (only with `--cfg hax`).
#[cfg(hax)]
#[allow(dead_code, reason = "predicates are used by contracts and by the prover only")]
pub(crate) mod spec {
    use super::*;
    use hax_lib::{Prop, forall, implies};

    /// No slot before index `i` conflicts with any slot after it.
    pub(crate) fn no_conflict_before(slots: &[Slot], i: usize) -> Prop {
        forall(|a: usize| {
            forall(|b: usize| {
                implies(a < i && a < b && b < slots.len(), !crate::slot::spec::conflict(&slots[a], &slots[b]))
            })
        })
    }

    /// Spec 4.2: at most eight slots, no two in conflict.
    pub(crate) fn slots_ok(slots: &[Slot]) -> Prop {
        Prop::from(slots.len() <= MAX_SLOTS) & no_conflict_before(slots, slots.len())
    }

    /// The input starts with the magic, or with a prefix of it.
    pub(crate) fn may_start_with_magic(bytes: &[u8]) -> bool {
        let n = if bytes.len() < MAGIC.len() { bytes.len() } else { MAGIC.len() };
        bytes[..n] == MAGIC[..n]
    }

    /// `encoded` is `magic || version || slot_count || slot*`.
    pub(crate) fn is_authenticated_bytes(slots: &[Slot], encoded: &[u8]) -> bool {
        let mut expected: Vec<u8> = Vec::new();
        expected.extend_from_slice(&MAGIC);
        expected.push(VERSION);
        expected.push(slots.len() as u8);
        for slot in slots {
            expected.extend_from_slice(&slot.to_bytes());
        }
        encoded == &expected[..]
    }
}

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    reason = "tests compute expected values from small numbers"
)]
mod tests {
    use super::*;
    use crate::slot::model::slot_verdict;
    use crate::slot::read_slot;
    use alloc::collections::BTreeSet;
    use alloc::format;
    use alloc::string::String;

    /// The header's `Codec` view is its byte encoding: `encode` writes
    /// exactly `to_bytes`, and reading it back gives the same header.
    #[test]
    fn the_codec_view_is_the_encoding() {
        let slot = Slot::Other(OtherSlot::new(0x02, alloc::vec![7; 5]).unwrap());
        let header = Header::new(&BackupKey::from_bytes([4; 32]), alloc::vec![slot]).unwrap();
        let mut out = alloc::vec![0xaa];
        Codec::encode(&header, &mut out);
        assert_eq!(out.first(), Some(&0xaa));
        assert_eq!(out.get(1..), Some(&header.to_bytes()[..]));
        assert_eq!(read_all::<Header>(out.get(1..).unwrap(), HeaderError::TrailingData), Ok(header));
    }

    /// xorshift64: deterministic inputs.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }
    }

    /// A slot's bytes: a password slot with costs valid or not, or a slot
    /// of another type, of a length its type allows or not.
    fn slot(rng: &mut Rng) -> Vec<u8> {
        let mut out = Vec::new();
        if rng.below(2) == 0 {
            let costs: [[u32; 3]; 6] = [[8, 1, 1], [65_536, 3, 1], [0, 1, 1], [64, 0, 1], [64, 1, 0], [15, 1, 2]];
            let [m, t, p] = costs[rng.below(costs.len())];
            out.extend_from_slice(&[1, 0, 132]);
            out.extend_from_slice(&rng.bytes(16));
            for v in [m, t, p] {
                out.extend_from_slice(&v.to_be_bytes());
            }
            out.extend_from_slice(&rng.bytes(104));
        } else {
            let len = [0, 1, 40, 1024, 1025][rng.below(5)];
            out.push([0, 2, 3, 0xff][rng.below(4)]);
            out.extend_from_slice(&(len as u16).to_be_bytes());
            out.extend_from_slice(&rng.bytes(len));
        }
        out
    }

    /// A header's bytes, mostly well formed, with repeats and shared salts.
    fn header(rng: &mut Rng) -> Vec<u8> {
        let count = [0, 1, 2, 3, 8, 9][rng.below(6)];
        let mut slots: Vec<Vec<u8>> = (0..count).map(|_| slot(rng)).collect();
        if count >= 2 && rng.below(3) == 0 {
            let (a, b) = (rng.below(count), rng.below(count));
            slots[b] = slots[a].clone();
            if rng.below(2) == 0 && slots[b].len() > 20 {
                let last = slots[b].len() - 1;
                slots[b][last] ^= 1; // same salt, other bytes
            }
        }
        let mut out = MAGIC.to_vec();
        out.push(VERSION);
        out.push(count as u8);
        for s in &slots {
            out.extend_from_slice(s);
        }
        out.extend_from_slice(&rng.bytes(HEADER_MAC_SIZE));
        out
    }

    /// One change anywhere: a byte, a cut, bytes added or removed.
    fn mutate(rng: &mut Rng, b: &mut Vec<u8>) {
        let at = rng.below(b.len() + 1);
        match rng.below(7) {
            0 if at < b.len() => b[at] ^= 1 << rng.below(8),
            1 if at < b.len() => b[at] = [0, 1, 2, 8, 9, 0x84, 0xff][rng.below(7)],
            2 => b.truncate(at),
            3 => {
                let n = 1 + rng.below(40);
                b.extend(rng.bytes(n));
            }
            4 => b.insert(at, rng.next() as u8),
            5 if at < b.len() => {
                b.remove(at);
            }
            _ => {}
        }
    }

    fn name(e: &HeaderError) -> String {
        String::from(format!("{e:?}").split([' ', '(', '{']).next().unwrap_or_default())
    }

    /// The parser contracts, checked on the Rust functions: for headers and
    /// slots, well formed and changed in every way, each parser returns
    /// exactly what its `ensures` says, with the verdict of the model of
    /// spec 6 step 1 (soundness, completeness, and the first error in the
    /// spec's order).
    #[test]
    fn the_parsers_meet_their_contracts() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut header_errors, mut slot_errors) = (BTreeSet::new(), BTreeSet::new());
        let mut accepted = 0;
        for case in 0..6000 {
            let mut b = header(&mut rng);
            for _ in 0..rng.below(3) {
                mutate(&mut rng, &mut b);
            }
            let verdict = model::header_verdict(&b);
            // parse_prefix
            match (Header::parse_prefix(&b), verdict) {
                (Ok((h, len)), Ok(first)) => {
                    assert!(len == first && len <= b.len() && (MIN_HEADER_SIZE..=MAX_HEADER_SIZE).contains(&len));
                    assert!(len == h.encoded_len() && h.to_bytes() == b[..len], "case {case}");
                    accepted += 1;
                }
                (Err(e), Err(first)) => {
                    assert_eq!(e, first, "case {case}: parse_prefix");
                    header_errors.insert(name(&e));
                }
                (got, want) => panic!("case {case}: parse_prefix {:?}, model {want:?}", got.map(|x| x.1)),
            }
            // parse
            match (Header::parse(&b), verdict) {
                (Ok(h), Ok(len)) => assert!(len == b.len() && h.to_bytes() == b, "case {case}"),
                (Err(HeaderError::TrailingData), Ok(len)) => assert!(len < b.len(), "case {case}"),
                (Err(e), Err(first)) => assert_eq!(e, first, "case {case}: parse"),
                (got, want) => panic!("case {case}: parse {:?}, model {want:?}", got.map(|_| ())),
            }
            // Slot::parse and read_slot, on the input from the first slot on
            // and on a cut of it.
            let from = b.get(11..).unwrap_or_default();
            let cut = &from[..rng.below(from.len() + 1)];
            for x in [from, cut] {
                let verdict = slot_verdict(x);
                match (Slot::parse(x), verdict) {
                    (Ok(s), Ok(len)) => assert!(len == x.len() && s.to_bytes() == x, "case {case}"),
                    (Err(HeaderError::TrailingData), Ok(len)) => assert!(len < x.len(), "case {case}"),
                    (Err(e), Err(first)) => {
                        assert_eq!(e, first, "case {case}: Slot::parse");
                        slot_errors.insert(name(&e));
                    }
                    (got, want) => panic!("case {case}: Slot::parse {:?}, model {want:?}", got.map(|_| ())),
                }
                let mut r = Reader::new(x);
                match (read_slot(&mut r), verdict) {
                    (Ok(s), Ok(len)) => {
                        assert!(s.encoded_len() == len && s.to_bytes() == x[..len] && r.rest() == &x[len..]);
                    }
                    (Err(e), Err(first)) => assert_eq!(e, first, "case {case}: read_slot"),
                    (got, want) => panic!("case {case}: read_slot {:?}, model {want:?}", got.map(|_| ())),
                }
            }
        }
        // Every verdict was reached, so every arm above was checked.
        assert!(accepted > 300, "{accepted} headers accepted");
        let all_header = [
            "BadMagic",
            "Truncated",
            "UnsupportedVersion",
            "TooManySlots",
            "ReservedSlotType",
            "SlotLength",
            "InvalidKdfParams",
            "DuplicateSlot",
        ];
        for want in all_header {
            assert!(header_errors.contains(want), "no header ended in {want}: {header_errors:?}");
        }
        for want in ["Truncated", "ReservedSlotType", "SlotLength", "InvalidKdfParams"] {
            assert!(slot_errors.contains(want), "no slot ended in {want}: {slot_errors:?}");
        }
    }
}
