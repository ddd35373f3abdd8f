//! The `header` target: arbitrary bytes to the header parser (spec 4, 6
//! step 1).
//!
//! It asserts that parsing never panics, and that
//!
//! - what [`Header::parse`] accepts, [`Header::to_bytes`] gives back byte
//!   for byte (the encoding is canonical), with [`Header::encoded_len`]
//!   its length and the MAC its last 32 bytes; every slot re-parses alone
//!   to itself;
//! - [`Header::parse_prefix`] agrees with [`Header::parse`]: the same error,
//!   or a header whose length is the whole input (otherwise `parse` says
//!   `TrailingData` and the prefix alone parses to the same header);
//! - every strict prefix of a parsed header is `Truncated`, never another
//!   error (a streaming reader waits for more bytes on `Truncated`; spec 6
//!   step 1).

use ebak_core::header::{Header, HeaderError, MAX_HEADER_SIZE, Slot};

/// The target.
pub fn run(data: &[u8]) {
    let whole = Header::parse(data);
    let prefix = Header::parse_prefix(data);
    match (&prefix, &whole) {
        (Err(a), Err(b)) => assert_eq!(a, b, "parse and parse_prefix disagree"),
        (Ok((header, len)), Ok(whole)) => {
            assert_eq!(*len, data.len(), "parse accepted a header shorter than its input");
            assert_eq!(header, whole, "parse and parse_prefix give different headers");
        }
        (Ok((header, len)), Err(e)) => {
            assert!(*len < data.len(), "parse_prefix used the whole input but parse said {e}");
            assert_eq!(*e, HeaderError::TrailingData, "a header followed by bytes is trailing data");
            assert_eq!(Header::parse(&data[..*len]).as_ref(), Ok(header), "the prefix alone parses differently");
        }
        (Err(e), Ok(_)) => panic!("parse accepted what parse_prefix rejects ({e})"),
    }
    let Ok((header, len)) = prefix else { return };
    let bytes = &data[..len];
    assert!(len <= MAX_HEADER_SIZE, "a header of {len} bytes, over the maximum");
    assert_eq!(header.to_bytes(), bytes, "re-serializing gives different bytes: the encoding is not canonical");
    assert_eq!(header.encoded_len(), len, "encoded_len is not the encoded length");
    assert_eq!(&bytes[len - 32..], header.mac(), "the MAC is not the last 32 bytes");
    assert_eq!(
        header.authenticated_bytes(),
        &bytes[..len - 32],
        "authenticated bytes are not the bytes before the MAC"
    );
    for slot in header.slots() {
        assert_eq!(Slot::parse(&slot.to_bytes()).as_ref(), Ok(slot), "a slot does not re-parse to itself");
    }
    // Strict prefixes: always "need more input". Checking every one would
    // cost O(len^2); the last byte, the first 11 and one the input picks
    // cover the boundaries.
    let picked = usize::from(data[len - 1]) * 31 % len;
    for cut in [len - 1, 0, 9, 10, 11, picked] {
        if cut < len {
            assert_eq!(
                Header::parse_prefix(&bytes[..cut]).err(),
                Some(HeaderError::Truncated),
                "a strict prefix of {cut} bytes of a valid header is not reported as truncated"
            );
        }
    }
}
