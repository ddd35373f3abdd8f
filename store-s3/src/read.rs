//! A GET's body as a blocking `Read`: one network buffer at a time, so a
//! restore streams a backup of any size in constant memory.

use crate::Inner;
use crate::error::{self, Op};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::Result as OsResult;
use std::io::{self, Read};
use std::sync::Arc;

/// Bytes as they arrive.
pub(crate) type Body = BoxStream<'static, OsResult<bytes::Bytes>>;

/// A body read by blocking on the store's runtime (which it keeps alive:
/// the reader may outlive the store it came from).
pub(crate) struct BodyReader {
    body: Body,
    inner: Arc<Inner>,
    /// The bytes received and not yet read.
    current: bytes::Bytes,
    location: String,
    done: bool,
}

impl BodyReader {
    pub(crate) fn new(body: Body, inner: Arc<Inner>, location: String) -> Self {
        Self { body, inner, current: bytes::Bytes::new(), location, done: false }
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            if self.done {
                return Ok(0);
            }
            match crate::block_on(&self.inner.runtime, self.body.next()) {
                Some(Ok(bytes)) => self.current = bytes,
                Some(Err(e)) => {
                    // A body cut short (the server went away) is an error,
                    // never a short read that looks like the end.
                    self.done = true;
                    let e = error::map(&e, Op::Read, "read", &self.location, self.inner.credentials.as_ref());
                    return Err(io::Error::new(e.kind(), e));
                }
                None => self.done = true,
            }
        }
        let n = buf.len().min(self.current.len());
        let chunk = self.current.split_to(n);
        if let Some(dst) = buf.get_mut(..n) {
            dst.copy_from_slice(&chunk);
        }
        Ok(n)
    }
}
