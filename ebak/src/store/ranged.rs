//! [`RangedReader`]: an object in a [`Store`] as `Read + Seek`, over
//! ranged reads, so that [`crate::random::RandomReader`] fetches the
//! header and the chunks it opens, not the whole object.

use super::{Store, StoreError};
use std::io::{self, Read, Seek, SeekFrom};

/// An object read by ranges: each read at a new position opens one ranged
/// read of at least the bytes asked for, and reads that follow it
/// continue on the same response until it ends.
#[derive(Debug)]
pub struct RangedReader<'a> {
    store: &'a dyn Store,
    name: String,
    len: u64,
    pos: u64,
    /// The smallest range one request asks for.
    min_fetch_bytes: u64,
    /// The open response: where it is at, where it ends.
    current: Option<Open>,
}

struct Open {
    at: u64,
    end: u64,
    reader: Box<dyn Read + Send>,
}

impl std::fmt::Debug for Open {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Open").field("at", &self.at).field("end", &self.end).finish_non_exhaustive()
    }
}

impl<'a> RangedReader<'a> {
    /// The object `name`, whose length one [`Store::head`] tells. Each
    /// request fetches only the bytes a read asks for; see
    /// [`RangedReader::with_min_fetch`] for sequential reading.
    ///
    /// # Errors
    ///
    /// As [`Store::head`].
    pub fn new(store: &'a dyn Store, name: &str) -> Result<Self, StoreError> {
        let len = store.head(name)?.size;
        Ok(Self { store, name: name.to_owned(), len, pos: 0, min_fetch_bytes: 0, current: None })
    }

    /// Each request asks for at least `bytes` (fewer round trips when
    /// reading on; more bytes fetched than read when seeking about).
    #[must_use]
    pub const fn with_min_fetch(mut self, bytes: u64) -> Self {
        self.min_fetch_bytes = bytes;
        self
    }

    /// The object's length.
    #[must_use]
    pub const fn len(&self) -> u64 {
        self.len
    }

    /// Whether the object is empty.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Read for RangedReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.pos >= self.len {
            return Ok(0);
        }
        let reusable = self.current.as_ref().is_some_and(|o| o.at == self.pos && o.at < o.end);
        if !reusable {
            let want = (buf.len() as u64).max(self.min_fetch_bytes);
            let end = self.pos.saturating_add(want).min(self.len);
            let reader = self.store.get_range(&self.name, self.pos..end).map_err(|e| io::Error::new(e.kind(), e))?;
            self.current = Some(Open { at: self.pos, end, reader });
        }
        let Some(open) = self.current.as_mut() else { return Ok(0) };
        let room = usize::try_from(open.end.saturating_sub(open.at)).unwrap_or(usize::MAX).min(buf.len());
        let n = open.reader.read(buf.get_mut(..room).unwrap_or_default())?;
        if n == 0 {
            // The range ended before the length the store gave: the
            // object changed or was cut short.
            self.current = None;
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("{} ended early", self.name)));
        }
        open.at = open.at.saturating_add(n as u64);
        self.pos = self.pos.saturating_add(n as u64);
        Ok(n)
    }
}

impl Seek for RangedReader<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek to a negative or overflowing position"))?;
        self.pos = target;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{LocalDir, ObjectInfo, PutMode, Upload};
    use std::io::Write;
    use std::ops::Range;
    use std::sync::Mutex;

    /// A store that records the ranges asked of the one it wraps.
    #[derive(Debug)]
    struct Recording<'a> {
        inner: &'a LocalDir,
        ranges: Mutex<Vec<Range<u64>>>,
    }

    impl Store for Recording<'_> {
        fn describe(&self, name: &str) -> String {
            self.inner.describe(name)
        }
        fn put(&self, name: &str, mode: PutMode) -> Result<Box<dyn Upload>, StoreError> {
            self.inner.put(name, mode)
        }
        fn get(&self, name: &str) -> Result<Box<dyn Read + Send>, StoreError> {
            self.inner.get(name)
        }
        fn get_range(&self, name: &str, range: Range<u64>) -> Result<Box<dyn Read + Send>, StoreError> {
            self.ranges.lock().unwrap().push(range.clone());
            self.inner.get_range(name, range)
        }
        fn head(&self, name: &str) -> Result<ObjectInfo, StoreError> {
            self.inner.head(name)
        }
        fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
            self.inner.list(prefix)
        }
        fn delete(&self, name: &str) -> Result<(), StoreError> {
            self.inner.delete(name)
        }
    }

    #[test]
    fn reads_fetch_what_they_ask_and_continue_on_one_response() {
        let dir = tempfile::tempdir().unwrap();
        let local = LocalDir::new(dir.path());
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut up = local.put("o", PutMode::Create).unwrap();
        up.write_all(&bytes).unwrap();
        up.commit().unwrap();
        let store = Recording { inner: &local, ranges: Mutex::new(Vec::new()) };

        let mut r = RangedReader::new(&store, "o").unwrap();
        assert_eq!(r.len(), 100_000);
        let mut buf = [0u8; 10];
        r.seek(SeekFrom::Start(5000)).unwrap();
        r.read_exact(&mut buf).unwrap();
        assert_eq!(buf, bytes[5000..5010]);
        r.seek(SeekFrom::End(-4)).unwrap();
        let mut tail = Vec::new();
        r.read_to_end(&mut tail).unwrap();
        assert_eq!(tail, bytes[99_996..]);
        assert_eq!(*store.ranges.lock().unwrap(), [5000..5010, 99_996..100_000]);

        // With a minimum fetch, sequential reads share one response.
        let mut r = RangedReader::new(&store, "o").unwrap().with_min_fetch(1 << 20);
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all, bytes);
        assert_eq!(store.ranges.lock().unwrap().last(), Some(&(0..100_000)));
        assert!(r.seek(SeekFrom::Current(-200_000)).is_err());
    }

    #[test]
    fn an_object_shorter_than_its_head_said_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let local = LocalDir::new(dir.path());
        let mut up = local.put("o", PutMode::Create).unwrap();
        up.write_all(&[7u8; 1000]).unwrap();
        up.commit().unwrap();
        let mut r = RangedReader::new(&local, "o").unwrap();
        std::fs::write(dir.path().join("o"), [7u8; 10]).unwrap();
        let mut out = Vec::new();
        assert_eq!(r.read_to_end(&mut out).unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    }
}
