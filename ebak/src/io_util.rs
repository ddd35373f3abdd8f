//! Two I/O helpers every layer of the library uses (a leaf module: it
//! depends on nothing else in the crate but the error type's shape).

use std::io::{self, Read, Write};

/// `io::Error`'s text without the "(os error N)" noise.
#[must_use]
pub fn io_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text.get(..i).unwrap_or(&text).to_owned(),
        None => text,
    }
}

/// Copies `from` to `to` through a 1 MiB buffer, and returns the byte
/// count; the two sides' failures become the errors `read_err` and
/// `write_err` make of them.
pub(crate) fn copy<W: Write + ?Sized, E>(
    from: &mut impl Read,
    to: &mut W,
    read_err: impl Fn(io::Error) -> E,
    write_err: impl Fn(io::Error) -> E,
) -> Result<u64, E> {
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_err(e)),
        };
        to.write_all(buf.get(..n).unwrap_or_default()).map_err(&write_err)?;
        total = total.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
    }
}
