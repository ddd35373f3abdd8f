//! The `slot` target: password slots and the KDF ceilings (spec 4.2, 4.3,
//! 6 step 2 and 8), against a model written from the spec's words.
//!
//! The input decodes (`arbitrary` derive) to a [`SlotInput`], whose `mode`
//! chooses how the slot bytes are made:
//!
//! - **raw**: the trailing bytes are the slot;
//! - **fields**: a slot frame assembled from typed fields (type, declared
//!   length, salt, m, t, p, wrapped key), optionally cut short or followed
//!   by a byte, so the fuzzer reaches the length and Argon2id parameter
//!   checks without having to find 132 and valid costs by chance;
//! - **genuine**: a slot the target creates for the fixed password with
//!   cheap costs, then one field changed by XOR (or not at all).
//!
//! For every input it asserts that
//!
//! - [`Slot::parse`] gives exactly the model's result (the same error
//!   variant, or the same fields), and what parses re-serializes to the
//!   same bytes;
//! - [`KdfLimits::check_slot`] and [`KdfLimits::check_all`] (with the
//!   input's ceilings and two more slots' costs) give exactly the model's
//!   verdict: the first ceiling crossed, in the order m, t, p, then the
//!   total work;
//! - unwrapping with a password under ceilings no higher than
//!   [`FUZZ_LIMITS`] refuses exactly when the model says so, before Argon2
//!   runs; otherwise a slot the target did not create is the wrong
//!   password, and a genuine slot gives the key when unchanged, the wrong
//!   password when a salt, a cost or the commitment changed, and
//!   `Tampered` (class HeaderMac) when the wrapped key's ciphertext or tag
//!   changed.

use crate::input::{self, CHEAP_COSTS, FUZZ_LIMITS, FUZZ_PASSWORD, OTHER_PASSWORD};
use arbitrary::{Arbitrary, Unstructured};
use ebak_core::aead::DefaultAead as A;
use ebak_core::header::{HeaderError, Slot};
use ebak_core::kdf::{KdfLimitError, KdfLimits, KdfParams};
use ebak_core::slot::{PasswordSlot, SlotUnwrapError, Unwrapped};

/// The target's input: the typed fields, then the raw tail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotInput {
    /// The fixed-size part.
    pub fields: SlotFields,
    /// Raw mode: the slot. Fields mode: the wrapped key (padded or cut to
    /// 104 bytes) of a password slot, or the body of another slot.
    pub rest: Vec<u8>,
}

/// The fixed-size part of a [`SlotInput`], decoded with `arbitrary`.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct SlotFields {
    /// Modulo 3: raw, fields, genuine.
    pub mode: u8,
    /// Fields mode: the slot type.
    pub slot_type: u8,
    /// Fields mode: the declared body length, when `frame` bit 0 is set
    /// (otherwise the body's real length).
    pub body_len: u16,
    /// Fields mode: bit 0 use `body_len`; bit 1 cut the frame to `cut`
    /// bytes (modulo its length + 1); bit 2 append one byte.
    pub frame: u8,
    /// Fields mode: where to cut.
    pub cut: u16,
    /// Fields and genuine modes: the Argon2id salt.
    pub kdf_salt: [u8; 16],
    /// Fields mode: m (genuine mode: modulo 8, the index into
    /// [`CHEAP_COSTS`]).
    pub memory_kib: u32,
    /// Fields mode: t.
    pub iterations: u32,
    /// Fields mode: p.
    pub parallelism: u32,
    /// Genuine mode: the wrap salt.
    pub wrap_salt: [u8; 24],
    /// Genuine mode: the field to change, modulo 9 (none, kdf salt, m, t,
    /// p, wrap salt, commitment, ciphertext, tag).
    pub tweak: u8,
    /// Genuine mode: which byte of the field.
    pub tweak_at: u8,
    /// Genuine mode: what to XOR into it (0: no change).
    pub tweak_xor: u8,
    /// Bit 0: try the other password instead of the fixed one.
    pub password: u8,
    /// The reader's ceilings m, t, p for the ceiling checks.
    pub limits: [u32; 3],
    /// The reader's total work budget.
    pub max_total_work: u32,
    /// Two more password slots' (m, t, p), for the total-work check.
    pub others: [[u32; 3]; 2],
}

impl SlotInput {
    /// Decodes the input.
    #[must_use]
    pub fn decode(data: &[u8]) -> Option<Self> {
        let mut u = Unstructured::new(data);
        let fields = SlotFields::arbitrary(&mut u).ok()?;
        Some(Self { fields, rest: u.take_rest().to_vec() })
    }

    /// The target input that decodes to this.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.fields.encode();
        out.extend_from_slice(&self.rest);
        out
    }
}

impl SlotFields {
    fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.mode, self.slot_type];
        out.extend_from_slice(&self.body_len.to_le_bytes());
        out.push(self.frame);
        out.extend_from_slice(&self.cut.to_le_bytes());
        out.extend_from_slice(&self.kdf_salt);
        for v in [self.memory_kib, self.iterations, self.parallelism] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.wrap_salt);
        out.extend_from_slice(&[self.tweak, self.tweak_at, self.tweak_xor, self.password]);
        for v in self.limits.iter().chain([&self.max_total_work]).chain(self.others.iter().flatten()) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }
}

/// A slot as the model reads it.
#[derive(Debug, PartialEq, Eq)]
pub enum ModelSlot {
    /// A password slot: salt, costs, wrapped key.
    Password([u8; 16], KdfParams, Vec<u8>),
    /// Any other type, and its body.
    Other(u8, Vec<u8>),
}

/// Spec 4.3: valid Argon2id costs.
#[must_use]
pub const fn valid(p: &KdfParams) -> bool {
    p.iterations >= 1
        && p.parallelism >= 1
        && p.parallelism < (1 << 24)
        && p.memory_kib as u64 >= 8 * p.parallelism as u64
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Spec 6 step 1.4, and "nothing may follow the slot" (vectors/README.md).
///
/// # Errors
///
/// The header error the spec gives.
pub fn model_parse(bytes: &[u8]) -> Result<ModelSlot, HeaderError> {
    if bytes.len() < 3 {
        return Err(HeaderError::Truncated);
    }
    let slot_type = bytes[0];
    let len = usize::from(u16::from_be_bytes([bytes[1], bytes[2]]));
    if slot_type == 0 {
        return Err(HeaderError::ReservedSlotType);
    }
    if (slot_type == 1 && len != 132) || len > 1024 {
        return Err(HeaderError::SlotLength { slot_type });
    }
    let Some(body) = bytes.get(3..3 + len) else { return Err(HeaderError::Truncated) };
    let slot = if slot_type == 1 {
        let params =
            KdfParams { memory_kib: be32(&body[16..]), iterations: be32(&body[20..]), parallelism: be32(&body[24..]) };
        if !valid(&params) {
            return Err(HeaderError::InvalidKdfParams);
        }
        ModelSlot::Password(body[..16].try_into().expect("16 bytes"), params, body[28..].to_vec())
    } else {
        ModelSlot::Other(slot_type, body.to_vec())
    };
    if bytes.len() > 3 + len {
        return Err(HeaderError::TrailingData);
    }
    Ok(slot)
}

/// Spec 8: one slot against the per-slot ceilings, in the order m, t, p.
///
/// # Errors
///
/// The first ceiling crossed.
pub const fn model_check_slot(l: &KdfLimits, p: &KdfParams) -> Result<(), KdfLimitError> {
    if p.memory_kib > l.max_memory_kib {
        Err(KdfLimitError::Memory { memory_kib: p.memory_kib, ceiling_kib: l.max_memory_kib })
    } else if p.iterations > l.max_iterations {
        Err(KdfLimitError::Iterations { iterations: p.iterations, ceiling: l.max_iterations })
    } else if p.parallelism > l.max_parallelism {
        Err(KdfLimitError::Parallelism { parallelism: p.parallelism, ceiling: l.max_parallelism })
    } else {
        Ok(())
    }
}

/// Spec 8: every slot, then the sum of m * t over all of them.
///
/// # Errors
///
/// The first ceiling crossed, or the budget.
pub fn model_check_all(l: &KdfLimits, params: &[KdfParams]) -> Result<(), KdfLimitError> {
    let mut work: u128 = 0;
    for p in params {
        model_check_slot(l, p)?;
        work += u128::from(p.memory_kib) * u128::from(p.iterations);
    }
    if work > u128::from(l.max_total_work) {
        return Err(KdfLimitError::TotalWork {
            work: u64::try_from(work).unwrap_or(u64::MAX),
            ceiling: l.max_total_work,
        });
    }
    Ok(())
}

/// The fields of a genuine slot, as (offset in the encoded slot, length).
const FIELDS: [(usize, usize); 8] = [(3, 16), (19, 4), (23, 4), (27, 4), (31, 24), (55, 32), (87, 32), (119, 16)];

/// What a genuine slot's field change does to the fixed password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Key,
    WrongPassword,
    Tampered,
}

fn slot_bytes(input: &SlotInput) -> (Vec<u8>, Option<Expect>) {
    match input.fields.mode % 3 {
        0 => (input.rest.clone(), None),
        1 => {
            let body = if input.fields.slot_type == 1 {
                let mut body = input.fields.kdf_salt.to_vec();
                for v in [input.fields.memory_kib, input.fields.iterations, input.fields.parallelism] {
                    body.extend_from_slice(&v.to_be_bytes());
                }
                let mut wrapped = input.rest.clone();
                wrapped.resize(104, 0);
                body.extend_from_slice(&wrapped);
                body
            } else {
                input.rest.clone()
            };
            let len = if input.fields.frame & 1 != 0 {
                input.fields.body_len
            } else {
                u16::try_from(body.len()).unwrap_or(u16::MAX)
            };
            let mut bytes = vec![input.fields.slot_type];
            bytes.extend_from_slice(&len.to_be_bytes());
            bytes.extend_from_slice(&body);
            if input.fields.frame & 2 != 0 {
                bytes.truncate(usize::from(input.fields.cut) % (bytes.len() + 1));
            }
            if input.fields.frame & 4 != 0 {
                bytes.push(input.fields.tweak_xor);
            }
            (bytes, None)
        }
        _ => {
            let costs = CHEAP_COSTS[(input.fields.memory_kib % 8) as usize];
            let slot = PasswordSlot::create_without_floor::<A>(
                &input::fuzz_key(),
                FUZZ_PASSWORD,
                costs,
                input.fields.kdf_salt,
                input.fields.wrap_salt,
            )
            .expect("a slot with cheap costs is created");
            let mut bytes = Slot::Password(slot).to_bytes();
            let field = usize::from(input.fields.tweak % 9);
            let expect = match field {
                _ if input.fields.tweak_xor == 0 || field == 0 => Expect::Key,
                1..=6 => Expect::WrongPassword,
                _ => Expect::Tampered,
            };
            if let Some(&(offset, len)) = field.checked_sub(1).and_then(|f| FIELDS.get(f)) {
                bytes[offset + usize::from(input.fields.tweak_at) % len] ^= input.fields.tweak_xor;
            }
            (bytes, Some(expect))
        }
    }
}

/// The target.
pub fn run(data: &[u8]) {
    if let Some(input) = SlotInput::decode(data) {
        check(&input);
    }
}

fn check(input: &SlotInput) {
    let (bytes, genuine) = slot_bytes(input);
    let got = Slot::parse(&bytes);
    let want = model_parse(&bytes);
    let slot = match (got, want) {
        (Err(a), Err(b)) => {
            // Three bytes or fewer of a reserved type: the spec fixes the
            // class (HeaderParse), not whether "truncated" or "reserved" wins.
            let short_reserved = bytes.len() < 3 && a == HeaderError::ReservedSlotType;
            assert!(a == b || short_reserved, "slot parse error {a:?}, spec model {b:?}");
            assert!(
                genuine.is_none() || matches!(a, HeaderError::InvalidKdfParams),
                "a genuine slot failed to parse ({a:?})"
            );
            return;
        }
        (Ok(slot), Ok(model)) => {
            assert_eq!(slot.to_bytes(), bytes, "re-serializing the slot gives different bytes");
            match (&slot, &model) {
                (Slot::Password(p), ModelSlot::Password(salt, params, wrapped)) => {
                    assert!(
                        p.kdf_salt() == salt && p.params() == params && p.wrapped_key()[..] == wrapped[..],
                        "fields differ"
                    );
                }
                (Slot::Other(o), ModelSlot::Other(t, body)) => assert!(o.slot_type() == *t && o.body() == &body[..]),
                _ => panic!("parsed a different slot type than the model"),
            }
            slot
        }
        (got, want) => panic!("slot parse {:?}, spec model {:?}", got.err(), want.err()),
    };
    let Slot::Password(slot) = slot else { return };

    // The ceilings, with the input's limits and two more slots.
    let [max_m, max_t, max_p] = input.fields.limits;
    let limits = KdfLimits {
        max_memory_kib: max_m,
        max_iterations: max_t,
        max_parallelism: max_p,
        max_total_work: u64::from(input.fields.max_total_work),
    };
    assert_eq!(
        limits.check_slot(slot.params()),
        model_check_slot(&limits, slot.params()),
        "check_slot differs from spec 8"
    );
    let mut all = vec![*slot.params()];
    all.extend(input.fields.others.iter().map(|&[m, t, p]| KdfParams { memory_kib: m, iterations: t, parallelism: p }));
    assert_eq!(limits.check_all(all.iter()), model_check_all(&limits, &all), "check_all differs from spec 8");

    // Unwrapping, under ceilings no higher than the target's cap.
    let capped = KdfLimits {
        max_memory_kib: max_m.min(FUZZ_LIMITS.max_memory_kib),
        max_iterations: max_t.min(FUZZ_LIMITS.max_iterations),
        max_parallelism: max_p.min(FUZZ_LIMITS.max_parallelism),
        max_total_work: FUZZ_LIMITS.max_total_work,
    };
    let other = input.fields.password & 1 != 0;
    let password = if other { OTHER_PASSWORD } else { FUZZ_PASSWORD };
    let result = slot.unwrap::<A>(password, &capped);
    if let Err(e) = model_check_slot(&capped, slot.params()) {
        assert!(matches!(result, Err(SlotUnwrapError::Limits(got)) if got == e), "expected {e:?} before Argon2");
        return;
    }
    let expect = match genuine {
        Some(e) if !other => e,
        _ => Expect::WrongPassword,
    };
    match (expect, result) {
        (Expect::Key, Ok(Unwrapped::Key(key))) => {
            assert!(key.expose_secret() == input::fuzz_key().expose_secret(), "unwrapped a different key");
        }
        (Expect::WrongPassword, Ok(Unwrapped::WrongPassword)) | (Expect::Tampered, Ok(Unwrapped::Tampered)) => {}
        (expect, got) => panic!("expected {expect:?}, unwrap gave {got:?}"),
    }
}
