//! The names in the protocol: vault, account, session and key-set ids.
//! None of them is secret; each prints as hex.

use core::fmt;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; ID_SIZE]);

        impl $name {
            /// The id's bytes.
            #[must_use]
            pub const fn as_bytes(&self) -> &[u8; ID_SIZE] {
                &self.0
            }

            /// Lowercase hex, 32 digits.
            #[must_use]
            pub fn to_hex(&self) -> alloc::string::String {
                hex(&self.0)
            }

            /// Parses 32 hex digits.
            #[must_use]
            pub fn from_hex(text: &str) -> Option<Self> {
                unhex::<ID_SIZE>(text).map(Self)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), hex(&self.0))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex(&self.0))
            }
        }
    };
}

/// Every id is 16 bytes.
pub const ID_SIZE: usize = 16;

id! {
    /// A vault: 16 random bytes drawn when it first starts, kept across key
    /// rotations.
    VaultId
}
id! {
    /// An account on a vault: 16 random bytes the vault draws at
    /// registration (spec 4.1), never reused.
    AccountId
}
id! {
    /// A login session: 16 random bytes the vault draws at login start.
    SessionId
}
id! {
    /// A key set of a vault: derived from its public keys (spec 2.2).
    KeyId
}

/// Lowercase hex of `bytes`.
#[must_use]
pub fn hex(bytes: &[u8]) -> alloc::string::String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = alloc::string::String::with_capacity(bytes.len().saturating_mul(2));
    for &b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            if let Some(&d) = DIGITS.get(usize::from(nibble)) {
                out.push(char::from(d));
            }
        }
    }
    out
}

/// Exactly `2 * N` hex digits (either case) as `N` bytes.
#[must_use]
pub fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != N.checked_mul(2)? {
        return None;
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let [hi, lo] = <[u8; 2]>::try_from(pair).ok()?;
        *o = (nibble(hi)? << 4) | nibble(lo)?;
    }
    Some(out)
}

fn nibble(d: u8) -> Option<u8> {
    match d {
        b'0'..=b'9' => d.checked_sub(b'0'),
        b'a'..=b'f' => d.checked_sub(b'a' - 10),
        b'A'..=b'F' => d.checked_sub(b'A' - 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_rejects() {
        let id = AccountId([0xab; 16]);
        assert_eq!(id.to_hex(), "abababababababababababababababab");
        assert_eq!(AccountId::from_hex(&id.to_hex()), Some(id));
        assert_eq!(AccountId::from_hex("ABABABABABABABABABABABABABABABAB"), Some(id));
        assert_eq!(AccountId::from_hex("ab"), None);
        assert_eq!(AccountId::from_hex("zbababababababababababababababab"), None);
        assert_eq!(unhex::<1>("0g"), None);
        assert_eq!(unhex::<2>("0a1F"), Some([0x0a, 0x1f]));
    }
}
