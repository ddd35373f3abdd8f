//! A small, bounded protobuf wire-format reader and writer: just enough
//! for the crypt15 header.
//!
//! From the protobuf encoding guide: a message is a sequence of records,
//! each a *tag* (a varint holding `field_number << 3 | wire_type`) and a
//! value whose shape the wire type gives: 0 a varint, 1 eight bytes, 2 a
//! varint length then that many bytes, 5 four bytes; 3 and 4 open and close
//! a group (deprecated); 6 and 7 are not defined.
//!
//! Every read returns a `Result` and consumes nothing on failure; nothing
//! here indexes, allocates or recurses. A varint is at most 10 bytes and
//! must fit in 64 bits; a length is checked against the bytes that remain
//! before it is used, so no input can make the reader look past its end.
//! Groups and the undefined wire types are refused: the crypt15 header
//! never uses them, and skipping a group correctly would need the nesting
//! the rest of the reader avoids.

use core::fmt;

/// The longest varint: 10 bytes carry 64 bits (7 bits each).
pub const MAX_VARINT_BYTES: usize = 10;

/// The largest field number protobuf allows (2^29 - 1).
pub const MAX_FIELD_NUMBER: u32 = (1 << 29) - 1;

/// A wire type the reader accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireType {
    /// 0: a varint.
    Varint,
    /// 1: eight bytes (fixed64, sfixed64, double).
    I64,
    /// 2: a length-delimited value (bytes, string, embedded message).
    Len,
    /// 5: four bytes (fixed32, sfixed32, float).
    I32,
}

impl WireType {
    /// The number the tag carries.
    #[must_use]
    pub const fn number(self) -> u8 {
        match self {
            Self::Varint => 0,
            Self::I64 => 1,
            Self::Len => 2,
            Self::I32 => 5,
        }
    }
}

impl fmt::Display for WireType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Varint => "varint (0)",
            Self::I64 => "64-bit (1)",
            Self::Len => "length-delimited (2)",
            Self::I32 => "32-bit (5)",
        })
    }
}

/// What is wrong with the wire format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// The input ends inside a varint, a fixed-size value or a
    /// length-delimited value.
    Truncated,
    /// A varint runs past 10 bytes, or its 10th byte carries bits beyond 64.
    VarintTooLong,
    /// A length-delimited value claims more bytes than remain.
    LengthBeyondInput {
        /// The claimed length.
        len: u64,
        /// The bytes that remain.
        remaining: usize,
    },
    /// Field number 0, or one above 2^29 - 1.
    InvalidFieldNumber(u64),
    /// A group (wire types 3 and 4, deprecated): refused.
    Group,
    /// Wire types 6 and 7 are not defined.
    InvalidWireType(u8),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("the protobuf ends in the middle of a value"),
            Self::VarintTooLong => f.write_str("a protobuf varint is longer than 10 bytes or overflows 64 bits"),
            Self::LengthBeyondInput { len, remaining } => {
                write!(f, "a protobuf value claims {len} bytes but only {remaining} remain")
            }
            Self::InvalidFieldNumber(n) => write!(f, "invalid protobuf field number {n}"),
            Self::Group => f.write_str("a protobuf group (deprecated wire type 3 or 4), which the header never uses"),
            Self::InvalidWireType(t) => write!(f, "undefined protobuf wire type {t}"),
        }
    }
}

impl core::error::Error for WireError {}

/// One record's value, borrowed from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A varint, as the 64-bit number it encodes.
    Varint(u64),
    /// Eight bytes.
    I64([u8; 8]),
    /// A length-delimited value.
    Len(&'a [u8]),
    /// Four bytes.
    I32([u8; 4]),
}

impl Value<'_> {
    /// The wire type that carried this value.
    #[must_use]
    pub const fn wire_type(&self) -> WireType {
        match self {
            Self::Varint(_) => WireType::Varint,
            Self::I64(_) => WireType::I64,
            Self::Len(_) => WireType::Len,
            Self::I32(_) => WireType::I32,
        }
    }
}

/// A record: a field number and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    /// The field number, 1 to 2^29 - 1.
    pub number: u32,
    /// The value.
    pub value: Value<'a>,
}

/// A cursor over one message's bytes.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`, one whole message.
    #[must_use]
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Whether the whole message has been read.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Reads one varint (at most 10 bytes, at most 64 bits). A varint may
    /// carry redundant zero continuation groups (protobuf encoders do not
    /// write them, but parsers accept them), as long as it stays within 10
    /// bytes.
    ///
    /// # Errors
    ///
    /// [`WireError::Truncated`] or [`WireError::VarintTooLong`].
    pub fn varint(&mut self) -> Result<u64, WireError> {
        let mut value: u64 = 0;
        let mut rest = self.rest;
        for i in 0..MAX_VARINT_BYTES {
            let (&byte, tail) = rest.split_first().ok_or(WireError::Truncated)?;
            rest = tail;
            let low = u64::from(byte & 0x7f);
            // i < 10, so the shift is at most 63. The 10th byte holds bit 63
            // only: anything above it would be lost, so it is refused.
            let shift = 7u32.saturating_mul(u32::try_from(i).unwrap_or(u32::MAX));
            if i == MAX_VARINT_BYTES.saturating_sub(1) && low > 1 {
                return Err(WireError::VarintTooLong);
            }
            value |= low.checked_shl(shift).unwrap_or(0);
            if byte & 0x80 == 0 {
                self.rest = rest;
                return Ok(value);
            }
        }
        Err(WireError::VarintTooLong)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], WireError> {
        let (taken, rest) = self.rest.split_at_checked(len).ok_or(WireError::Truncated)?;
        self.rest = rest;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let (taken, rest) = self.rest.split_first_chunk::<N>().ok_or(WireError::Truncated)?;
        self.rest = rest;
        Ok(*taken)
    }

    /// Reads the next record, or `None` at the end of the message.
    ///
    /// # Errors
    ///
    /// See [`WireError`]; the reader is left where it was.
    pub fn field(&mut self) -> Result<Option<Field<'a>>, WireError> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let saved = self.rest;
        let result = self.field_inner();
        if result.is_err() {
            self.rest = saved;
        }
        result.map(Some)
    }

    fn field_inner(&mut self) -> Result<Field<'a>, WireError> {
        let tag = self.varint()?;
        let number = tag >> 3;
        let number = match u32::try_from(number) {
            Ok(n) if (1..=MAX_FIELD_NUMBER).contains(&n) => n,
            _ => return Err(WireError::InvalidFieldNumber(number)),
        };
        let wire = u8::try_from(tag & 7).unwrap_or(u8::MAX);
        let value = match wire {
            0 => Value::Varint(self.varint()?),
            1 => Value::I64(self.array::<8>()?),
            2 => {
                let len = self.varint()?;
                let remaining = self.rest.len();
                let n = usize::try_from(len)
                    .ok()
                    .filter(|&n| n <= remaining)
                    .ok_or(WireError::LengthBeyondInput { len, remaining })?;
                Value::Len(self.take(n)?)
            }
            3 | 4 => return Err(WireError::Group),
            5 => Value::I32(self.array::<4>()?),
            other => return Err(WireError::InvalidWireType(other)),
        };
        Ok(Field { number, value })
    }
}

/// Appends `value` as a minimal varint.
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(u8::try_from(value & 0x7f).unwrap_or(0) | 0x80);
        value >>= 7;
    }
    out.push(u8::try_from(value).unwrap_or(0));
}

/// Appends a tag.
pub fn put_tag(out: &mut Vec<u8>, number: u32, wire: WireType) {
    put_varint(out, (u64::from(number) << 3) | u64::from(wire.number()));
}

/// Appends a length-delimited field.
pub fn put_len(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    put_tag(out, number, WireType::Len);
    put_varint(out, u64::try_from(bytes.len()).unwrap_or(u64::MAX));
    out.extend_from_slice(bytes);
}

/// Appends a varint field.
pub fn put_varint_field(out: &mut Vec<u8>, number: u32, value: u64) {
    put_tag(out, number, WireType::Varint);
    put_varint(out, value);
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "tests compute expected values")]
mod tests {
    use super::*;

    fn varint(bytes: &[u8]) -> Result<(u64, usize), WireError> {
        let mut r = Reader::new(bytes);
        let v = r.varint()?;
        Ok((v, bytes.len() - r.rest.len()))
    }

    #[test]
    fn varints_decode_and_round_trip() {
        assert_eq!(varint(&[0x00]), Ok((0, 1)));
        assert_eq!(varint(&[0x96, 0x01]), Ok((150, 2)));
        assert_eq!(varint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), Ok((u64::MAX, 10)));
        // Redundant continuation groups are accepted within 10 bytes.
        assert_eq!(varint(&[0x81, 0x80, 0x00]), Ok((1, 3)));
        for v in [0u64, 1, 127, 128, 300, 1 << 35, u64::MAX - 1, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(varint(&out), Ok((v, out.len())), "{v}");
        }
    }

    #[test]
    fn bad_varints_are_refused() {
        assert_eq!(varint(&[]), Err(WireError::Truncated));
        assert_eq!(varint(&[0x80]), Err(WireError::Truncated));
        // Bits beyond 64 in the 10th byte.
        assert_eq!(
            varint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]),
            Err(WireError::VarintTooLong)
        );
        // An 11th byte.
        assert_eq!(varint(&[0x80; 11]), Err(WireError::VarintTooLong));
        assert_eq!(
            varint(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
            Err(WireError::VarintTooLong)
        );
    }

    #[test]
    fn fields_of_every_wire_type() {
        let bytes = [0x08, 0x96, 0x01, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x1a, 0x02, b'h', b'i', 0x25, 9, 9, 9, 9];
        let mut r = Reader::new(&bytes);
        assert_eq!(r.field(), Ok(Some(Field { number: 1, value: Value::Varint(150) })));
        assert_eq!(r.field(), Ok(Some(Field { number: 2, value: Value::I64([1, 2, 3, 4, 5, 6, 7, 8]) })));
        assert_eq!(r.field(), Ok(Some(Field { number: 3, value: Value::Len(b"hi") })));
        assert_eq!(r.field(), Ok(Some(Field { number: 4, value: Value::I32([9; 4]) })));
        assert_eq!(r.field(), Ok(None));
    }

    #[test]
    fn hostile_records_are_refused_without_moving() {
        for (bytes, want) in [
            (&[0x00, 0x00][..], WireError::InvalidFieldNumber(0)),
            (&[0x0b], WireError::Group),
            (&[0x0c], WireError::Group),
            (&[0x0e], WireError::InvalidWireType(6)),
            (&[0x0f], WireError::InvalidWireType(7)),
            (&[0x0a, 0x05, 1, 2], WireError::LengthBeyondInput { len: 5, remaining: 2 }),
            (&[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f], WireError::LengthBeyondInput { len: 0xffff_ffff, remaining: 0 }),
            (&[0x09, 1, 2, 3], WireError::Truncated),
            (&[0x0d, 1], WireError::Truncated),
            (&[0x08], WireError::Truncated),
            (&[0x80, 0x80, 0x80, 0x80, 0x10, 0x00], WireError::InvalidFieldNumber(1 << 29)),
        ] {
            let mut r = Reader::new(bytes);
            assert_eq!(r.field(), Err(want), "{bytes:02x?}");
            assert_eq!(r.rest, bytes, "the reader moved on a failure");
        }
        // The largest field number is fine.
        let mut out = Vec::new();
        put_varint_field(&mut out, MAX_FIELD_NUMBER, 7);
        assert_eq!(Reader::new(&out).field(), Ok(Some(Field { number: MAX_FIELD_NUMBER, value: Value::Varint(7) })));
    }
}
