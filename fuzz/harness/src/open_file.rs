//! The `open_file` target: whole files opened with the fixed 64-digit key
//! or the fixed password (spec 6).
//!
//! The first input byte chooses the mode:
//!
//! - below 0x80, **raw**: the rest of the input is a file, opened with the
//!   fixed key and with both fixed passwords. It must never open: only a
//!   file sealed with the fixed key can, and only this target's built mode
//!   seals one. With the key, the error is never `KdfLimits` or
//!   `NoSlotOpens` (a key uses no slot, spec 6 step 2).
//! - 0x80 and above, **built**: the rest decodes to a [`BuiltInput`]: the
//!   target seals a file with the fixed key (and password slots), applies
//!   the mutations, and opens the result. It opens if and only if the bytes
//!   are unchanged (mutations that cancel out count as no change), and then
//!   gives exactly the plaintext, or exactly the class of
//!   [`input::expected_unchanged`] (wrong key, wrong password, other
//!   context). A changed file never opens.
//!
//! Argon2id is capped by [`input::FUZZ_LIMITS`], so a crafted slot cannot
//! slow the target down.

use crate::input::{self, FileSpec, Mutation, Opener};
use arbitrary::{Arbitrary, Unstructured};
use ebak_core::error::ErrorClass;

/// The most mutations applied to one built file (the rest are ignored).
pub const MAX_MUTATIONS: usize = 16;

/// A built-mode input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltInput {
    /// The file to seal.
    pub spec: FileSpec,
    /// The secret and context to open with ([`input::opener`]).
    pub open: u8,
    /// The changes made to the sealed file, in order.
    pub mutations: Vec<Mutation>,
}

impl BuiltInput {
    /// Decodes the input after the mode byte.
    #[must_use]
    pub fn decode(data: &[u8]) -> Option<Self> {
        let mut u = Unstructured::new(data);
        let spec = FileSpec::arbitrary(&mut u).ok()?;
        let open = u8::arbitrary(&mut u).ok()?;
        Some(Self { spec, open, mutations: input::decode_mutations(u, MAX_MUTATIONS) })
    }

    /// The target input (mode byte included) that decodes to this.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![0x80];
        self.spec.encode(&mut out);
        out.push(self.open);
        input::encode_mutations(&self.mutations, &mut out);
        out
    }
}

/// The target.
pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode < 0x80 {
        raw(rest, mode);
    } else if let Some(input) = BuiltInput::decode(rest) {
        built(&input);
    }
}

/// A file the target did not build: it must not open.
fn raw(file: &[u8], mode: u8) {
    let context = input::context(mode);
    for secret in [Opener::Key, Opener::Password, Opener::OtherPassword] {
        match input::open_with(file, secret, &context) {
            Ok(_) => panic!("a file the target did not seal opened with {secret:?}"),
            Err(e) if secret == Opener::Key => assert!(
                !matches!(e.class(), ErrorClass::KdfLimits | ErrorClass::NoSlotOpens),
                "opening with the key failed in class {} ({e}): a key uses no slot",
                e.class()
            ),
            Err(_) => {}
        }
    }
}

/// A file the target built, maybe changed: it opens if and only if unchanged.
fn built(input: &BuiltInput) {
    let built = input.spec.build();
    let mut file = built.file.clone();
    for m in &input.mutations {
        m.apply(&mut file, built.header_len);
    }
    let (secret, other_context) = input::opener(input.open);
    let context =
        if other_context { input::context(input.spec.context.wrapping_add(1)) } else { built.context.clone() };
    let got = input::open_with(&file, secret, &context);
    if file == built.file {
        input::check_unchanged(&built, secret, other_context, &got);
    } else {
        match got {
            Ok(_) => panic!("a changed file opened with {secret:?}"),
            Err(e) if matches!(secret, Opener::Key | Opener::WrongKey) => assert!(
                !matches!(e.class(), ErrorClass::KdfLimits | ErrorClass::NoSlotOpens),
                "opening with a key failed in class {} ({e}): a key uses no slot",
                e.class()
            ),
            Err(_) => {}
        }
    }
}
