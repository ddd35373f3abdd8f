//! Deterministic "random" bytes: SHA-512 of a fixed seed, a label and a
//! block counter. Labels name what the bytes are for, so that adding or
//! reordering vectors does not change the others.

use sha2::{Digest, Sha512};

/// The seed every label is prefixed with.
pub const SEED: &str = "ebak v1 test vectors";

/// `len` bytes for `label`: `SHA-512(SEED || 0x00 || label || 0x00 || u64(i))`
/// for i = 0, 1, ..., concatenated and cut to `len`.
#[must_use]
pub fn bytes(label: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    let mut counter: u64 = 0;
    while out.len() < len {
        let mut h = Sha512::new();
        h.update(SEED.as_bytes());
        h.update([0u8]);
        h.update(label.as_bytes());
        h.update([0u8]);
        h.update(counter.to_be_bytes());
        out.extend_from_slice(&h.finalize());
        counter += 1;
    }
    out.truncate(len);
    out
}

/// `N` bytes for `label`.
#[must_use]
pub fn array<const N: usize>(label: &str) -> [u8; N] {
    bytes(label, N).try_into().unwrap()
}

/// Lowercase hex.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        write!(s, "{b:02x}").unwrap();
    }
    s
}

/// SHA-512, as lowercase hex.
#[must_use]
pub fn sha512_hex(bytes: &[u8]) -> String {
    hex(&Sha512::digest(bytes))
}

/// zlib (RFC 1950) at the best compression level, as lowercase hex: what
/// Wycheproof calls CompressedHexBytes.
#[must_use]
pub fn zlib_hex(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(bytes).unwrap();
    hex(&z.finish().unwrap())
}
