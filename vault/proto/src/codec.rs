//! A cursor over untrusted bytes (the same shape as the core's): every read
//! returns `Option`, nothing indexes, and the caller decides what running
//! out means. Writers append to a `Vec`.

use alloc::vec::Vec;

/// Reads big-endian integers and fixed-size byte strings from the front of
/// a slice.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) const fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// The next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.rest.split_first_chunk::<N>()?;
        self.rest = rest;
        Some(*head)
    }

    /// The next `len` bytes.
    pub(crate) fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.rest.split_at_checked(len)?;
        self.rest = rest;
        Some(head)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|[b]| b)
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.array::<2>().map(u16::from_be_bytes)
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        self.array::<8>().map(u64::from_be_bytes)
    }

    /// `Some(())` if every byte was read: trailing data is an error.
    pub(crate) fn end(&self) -> Option<()> {
        self.rest.is_empty().then_some(())
    }
}

/// Concatenates `parts` into a new vector.
pub(crate) fn concat(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len()).fold(0usize, usize::saturating_add));
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Reader;

    #[test]
    fn reads_runs_out_and_sees_trailing_bytes() {
        let mut r = Reader::new(&[1, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 9]);
        assert_eq!(r.u8(), Some(1));
        assert_eq!(r.u16(), Some(2));
        assert_eq!(r.array::<4>(), Some([0, 0, 0, 3]));
        assert_eq!(r.u64(), Some(4));
        assert_eq!(r.end(), None);
        assert_eq!(r.u16(), None);
        assert_eq!(r.take(1), Some(&[9][..]));
        assert_eq!(r.end(), Some(()));
        assert_eq!(r.u8(), None);
    }
}
