//! A cursor over untrusted bytes, and the shape every encoding has.
//!
//! [`Reader`]: every read returns `Option`, nothing indexes, and the caller
//! decides what running out means. The contracts say that each read either
//! splits off exactly the bytes it returns, leaving the rest, or returns
//! `None` and consumes nothing.
//!
//! [`Codec`]: a value with exactly one encoding (STYLE rule 3), read from
//! the front of a [`Reader`] and appended to a `Vec`; [`read_all`] adds
//! the rule that nothing may follow it. The header ([`crate::header`]) and
//! each slot ([`crate::slot`]) implement it; their contracts (round trip,
//! canonical encoding) are on the inherent functions the impls call.

use alloc::vec::Vec;

/// A value with exactly one byte encoding: `read` accepts what `encode`
/// writes and nothing else.
pub(crate) trait Codec: Sized {
    /// Why `read` refused the bytes.
    type Error;

    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Reads one value from the front of `r`, leaving what follows it.
    fn read(r: &mut Reader<'_>) -> Result<Self, Self::Error>;
}

/// Reads a `T` that must be the whole of `bytes`: `trailing` if anything
/// follows it.
pub(crate) fn read_all<T: Codec>(bytes: &[u8], trailing: T::Error) -> Result<T, T::Error> {
    let mut r = Reader::new(bytes);
    let value = T::read(&mut r)?;
    if r.rest().is_empty() { Ok(value) } else { Err(trailing) }
}

/// Reads big-endian integers and byte strings from the front of a slice.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

#[hax_lib::attributes]
impl<'a> Reader<'a> {
    pub(crate) const fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// The next `len` bytes, or `None` if fewer remain.
    #[hax_lib::ensures(|result| match result {
        Some(head) => spec::splits(self.rest, head, future(self).rest) && head.len() == len,
        None => self.rest.len() < len && future(self).rest == self.rest,
    })]
    #[cfg_attr(feature = "no-panic", no_panic::no_panic)]
    pub(crate) fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.rest.split_at_checked(len)?;
        self.rest = rest;
        Some(head)
    }

    /// The next `N` bytes as an array.
    #[hax_lib::ensures(|result| match result {
        Some(head) => spec::splits(self.rest, head, future(self).rest),
        None => self.rest.len() < N && future(self).rest == self.rest,
    })]
    #[cfg_attr(feature = "no-panic", no_panic::no_panic)]
    pub(crate) fn array<const N: usize>(&mut self) -> Option<&'a [u8; N]> {
        let (head, rest) = self.rest.split_first_chunk::<N>()?;
        self.rest = rest;
        Some(head)
    }

    /// The next byte.
    #[hax_lib::ensures(|result| match result {
        Some(v) => spec::splits(self.rest, &[v], future(self).rest),
        None => self.rest.is_empty() && future(self).rest == self.rest,
    })]
    #[cfg_attr(feature = "no-panic", no_panic::no_panic)]
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|&[b]| b)
    }

    /// The next two bytes, big-endian.
    #[hax_lib::ensures(|result| match result {
        Some(v) => spec::splits(self.rest, &v.to_be_bytes(), future(self).rest),
        None => self.rest.len() < 2 && future(self).rest == self.rest,
    })]
    #[cfg_attr(feature = "no-panic", no_panic::no_panic)]
    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.array::<2>().map(|b| u16::from_be_bytes(*b))
    }

    /// The next four bytes, big-endian.
    #[hax_lib::ensures(|result| match result {
        Some(v) => spec::splits(self.rest, &v.to_be_bytes(), future(self).rest),
        None => self.rest.len() < 4 && future(self).rest == self.rest,
    })]
    #[cfg_attr(feature = "no-panic", no_panic::no_panic)]
    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.array::<4>().map(|b| u32::from_be_bytes(*b))
    }

    /// What has not been read.
    pub(crate) const fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

/// Predicates for the contracts above (only with `--cfg hax`).
#[cfg(hax)]
#[allow(dead_code, reason = "predicates are used by contracts and by the prover only")]
pub(crate) mod spec {
    /// `whole` is `head` followed by `rest`: a read took exactly `head`
    /// from the front and left `rest`.
    pub(crate) fn splits(whole: &[u8], head: &[u8], rest: &[u8]) -> bool {
        whole.len() == head.len() + rest.len() && &whole[..head.len()] == head && &whole[head.len()..] == rest
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, reason = "tests compute expected values")]
mod tests {
    use super::Reader;

    #[test]
    fn reads_and_runs_out() {
        let mut r = Reader::new(&[1, 0, 2, 0, 0, 0, 3, 9]);
        assert_eq!(r.u8(), Some(1));
        assert_eq!(r.u16(), Some(2));
        assert_eq!(r.u32(), Some(3));
        assert_eq!(r.u16(), None);
        assert_eq!(r.rest(), &[9]);
        assert_eq!(r.take(2), None);
        assert_eq!(r.take(1), Some(&[9][..]));
        assert_eq!(r.u8(), None);
    }
}
