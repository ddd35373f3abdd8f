//! Spec 2.3: every label the vault protocol uses. Each is used for one
//! purpose; where data follows a label, a zero byte separates them, so
//! that no label can run into the data after it (no label holds a zero
//! byte or is a prefix of another). None starts with ebak v1's `"ebak/"`.

/// The key-set id (spec 2.2).
pub const KEY_ID: &[u8] = b"ebak-vault/v1/key-id";
/// Response signatures (spec 5.2).
pub const RESPONSE: &[u8] = b"ebak-vault/v1/response";
/// Registration tickets (spec 6.1).
pub const TICKET: &[u8] = b"ebak-vault/v1/ticket";
/// The OPAQUE credential identifier of a record (spec 3).
pub const CREDENTIAL: &[u8] = b"ebak-vault/v1/credential";
/// The OPAQUE credential identifier of a dummy login (spec 6.3).
pub const DUMMY_CREDENTIAL: &[u8] = b"ebak-vault/v1/dummy-credential";
/// The OPAQUE context (spec 3).
pub const OPAQUE_CONTEXT: &[u8] = b"ebak-vault/v1/opaque";
/// HKDF info of the wrapping key (spec 4).
pub const WRAPPING_KEY: &[u8] = b"ebak-vault/v1/wrapping-key";
/// The start of the wrapped key's Cobblestone context (spec 4).
pub const WRAPPED_KEY: &[u8] = b"ebak-vault/v1/wrapped-key";

/// Every label, for the tests and the vector generator.
pub const ALL: [&[u8]; 8] =
    [KEY_ID, RESPONSE, TICKET, CREDENTIAL, DUMMY_CREDENTIAL, OPAQUE_CONTEXT, WRAPPING_KEY, WRAPPED_KEY];

#[cfg(test)]
mod tests {
    use super::ALL;

    #[test]
    fn no_label_is_a_prefix_of_another_or_holds_a_zero() {
        for (i, a) in ALL.iter().enumerate() {
            assert!(!a.contains(&0));
            assert!(!a.starts_with(b"ebak/"));
            for (j, b) in ALL.iter().enumerate() {
                if i != j {
                    assert!(!b.starts_with(a), "{:?} starts {:?}", core::str::from_utf8(a), core::str::from_utf8(b));
                }
            }
        }
    }
}
