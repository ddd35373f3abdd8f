//! The keys, passwords, slots and payloads the file vectors share.

use crate::payload::{self, Payload};
use crate::raw::{Kdf, RawHeader, RawSlot, SlotInputs};
use crate::seed;
use ebak_core::kdf::KdfParams;
use ebak_core::slot::SLOT_TYPE_VAULT;

/// The writing floor (spec 8): what valid password vectors use.
pub const FLOOR: KdfParams = KdfParams { memory_kib: 65_536, iterations: 3, parallelism: 1 };

/// The application context most vectors use.
pub const CONTEXT: &[u8] = b"msgstore";

/// The first password (ASCII).
pub const PASSWORD_1: &str = "correct horse battery staple";
/// The second password, in NFC (composed accents).
pub const PASSWORD_2_NFC: &str = "Cr\u{e8}me br\u{fb}l\u{e9}e au caf\u{e9}";
/// The second password, in NFD (decomposed accents): the same after NFC.
pub const PASSWORD_2_NFD: &str = "Cre\u{300}me bru\u{302}le\u{301}e au cafe\u{301}";
/// The third password.
pub const PASSWORD_3: &str = "zweites Passwort, second password";

/// Shared inputs.
#[derive(Debug)]
pub struct Fixtures {
    /// The backup key of most files.
    pub key_a: [u8; 32],
    /// Another backup key (wrong key, foreign payload).
    pub key_b: [u8; 32],
    /// The slot for [`PASSWORD_1`] under `key_a`.
    pub slot_1: RawSlot,
    /// Its inputs.
    pub inputs_1: SlotInputs,
    /// The slot for [`PASSWORD_2_NFC`] under `key_a`.
    pub slot_2: RawSlot,
    /// The slot for [`PASSWORD_3`] under `key_a`.
    pub slot_3: RawSlot,
    /// A slot of type 0x02 whose body does not decode as a vault slot
    /// (spec 4.6): skipped, and the header stays valid.
    pub vault: RawSlot,
    /// A slot of type 0xFF with an empty body: unknown to v1.
    pub unknown_ff: RawSlot,
    /// A short message under `key_a` and [`CONTEXT`].
    pub short: Payload,
}

impl Fixtures {
    /// Builds them (three Argon2id evaluations at the floor).
    pub fn new(kdf: &mut Kdf) -> Self {
        let key_a = seed::array("file/backup-key/a");
        let key_b = seed::array("file/backup-key/b");
        let inputs_1 = SlotInputs::new("file/slot/1", PASSWORD_1, FLOOR);
        let slot_1 = inputs_1.slot(kdf, &key_a);
        let slot_2 = SlotInputs::new("file/slot/2", PASSWORD_2_NFC, FLOOR).slot(kdf, &key_a);
        let slot_3 = SlotInputs::new("file/slot/3", PASSWORD_3, FLOOR).slot(kdf, &key_a);
        // A made-up type-0x02 body that is not a vault slot body (its first
        // byte is not vault_protocol 0x01): the header stays valid (4.6).
        let mut vault_body = b"vault.example.invalid\x00account-1234\x00".to_vec();
        vault_body.extend_from_slice(&seed::bytes("file/vault-body", 16));
        let vault = RawSlot::new(SLOT_TYPE_VAULT, vault_body);
        let unknown_ff = RawSlot::new(0xFF, Vec::new());
        let short = payload::seal(
            &key_a,
            &seed::array("file/payload-salt/short"),
            CONTEXT,
            b"ebak v1 test vector: a short backup in a single final chunk.".to_vec(),
        );
        Self { key_a, key_b, slot_1, inputs_1, slot_2, slot_3, vault, unknown_ff, short }
    }

    /// A header under `key_a` with `slots`, MAC and all.
    #[must_use]
    pub fn header_a(&self, slots: &[&RawSlot]) -> Vec<u8> {
        RawHeader::new(slots.iter().map(|s| (*s).clone()).collect()).sealed(&self.key_a)
    }

    /// A payload under `key_a` whose message is `len` keystream bytes
    /// (see the KeystreamPlaintext note), in [`CONTEXT`].
    #[must_use]
    pub fn keystream_a(&self, label: &str, len: usize) -> Payload {
        payload::seal_keystream(&self.key_a, &seed::array(&format!("file/payload-salt/{label}")), CONTEXT, len)
    }
}

/// `header || payload`.
#[must_use]
pub fn join(header: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut f = header.to_vec();
    f.extend_from_slice(payload);
    f
}
