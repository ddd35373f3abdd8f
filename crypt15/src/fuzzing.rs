//! The invariants the `crypt15_header` fuzz target checks, as a function
//! that returns what was violated instead of panicking (the fuzz target
//! panics on an `Err`; `cargo test` runs the same function over the corpus
//! and over generated hostile inputs).
//!
//! For any input bytes:
//!
//! 1. [`Header::parse`] returns (it never panics). When it accepts, the
//!    length it reports is within the input and the header limit; the
//!    canonical encoding of what it parsed fits the length byte, is no
//!    longer than the input it came from, and parses back to the same
//!    header with its own length (parse ∘ encode = id); encoding is
//!    idempotent.
//! 2. [`parse_key_file`] returns; when it accepts, the input is exactly
//!    the 59-byte key file of the key it returned.
//! 3. [`crate::zip::list`] returns.
//! 4. [`crate::stream::survey`] and [`crate::stream::decrypt`] (under a
//!    fixed key) return; they agree with `Header::parse` on whether the
//!    header is valid, and `decrypt` writes nothing it then calls
//!    authenticated unless a tag verified (with random input, it must fail).

use crate::header::{Header, MAX_HEADER_BYTES};
use crate::key::{RootKey, key_file_bytes, parse_key_file};
use crate::stream::{self, ImportError};
use core::fmt;

/// A broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation(pub String);

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invariant violated: {}", self.0)
    }
}

impl std::error::Error for Violation {}

fn violated(what: impl Into<String>) -> Result<(), Violation> {
    Err(Violation(what.into()))
}

/// The key `check_header` decrypts under.
const FUZZ_KEY: [u8; 32] = [0x42; 32];

/// Checks every invariant above on `data`.
///
/// # Errors
///
/// The first invariant that does not hold.
pub fn check_header(data: &[u8]) -> Result<(), Violation> {
    let parsed = Header::parse(data);
    if let Ok((header, len)) = &parsed {
        let len = *len;
        if len > data.len() || len > MAX_HEADER_BYTES {
            return violated(format!("parse reported length {len} for {} bytes of input", data.len()));
        }
        let Some(encoded) = header.encode() else {
            return violated("a parsed header does not encode (its protobuf grew past 255 bytes)");
        };
        if encoded.len() > len {
            return violated(format!("the canonical encoding ({}) is longer than the input ({len})", encoded.len()));
        }
        match Header::parse(&encoded) {
            Ok((again, l)) if again == *header && l == encoded.len() => {}
            Ok(_) => return violated("parse(encode(header)) is a different header or length"),
            Err(e) => return violated(format!("parse(encode(header)) fails: {e}")),
        }
        if header.encode().as_deref() != Some(encoded.as_slice()) {
            return violated("encoding is not deterministic");
        }
    }

    if let Ok(key) = parse_key_file(data)
        && key_file_bytes(&key).as_slice() != data
    {
        return violated("a key file was accepted that is not the canonical 59 bytes of its key");
    }

    // The ZIP lister only has to return.
    let _ = crate::zip::list(std::io::Cursor::new(data));

    let surveyed = stream::survey(data);
    if surveyed.is_ok() != parsed.is_ok() {
        return violated("survey and Header::parse disagree on the header");
    }
    if let (Ok(s), Ok((h, len))) = (&surveyed, &parsed)
        && (s.header != *h || s.header_len != *len)
    {
        return violated("survey read a different header");
    }

    let mut out = Vec::new();
    match stream::decrypt(&RootKey::from_bytes(FUZZ_KEY), data, &mut out) {
        Err(ImportError::Header(_)) if parsed.is_ok() => violated("decrypt refused a header that parses"),
        Ok(_) if parsed.is_err() => violated("decrypt accepted a header that does not parse"),
        Ok(report) if report.output_len != u64::try_from(out.len()).unwrap_or(u64::MAX) => {
            violated("decrypt's report disagrees with what it wrote")
        }
        Err(ImportError::Read(e) | ImportError::Write(e)) => violated(format!("I/O error from memory: {e}")),
        _ => Ok(()),
    }
}
