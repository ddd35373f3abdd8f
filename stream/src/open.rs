//! Opening a whole stream in one call: [`OpenReader`] drained straight
//! into a writer.

use crate::Options;
use crate::error::OpenError;
use crate::reader::OpenReader;
use ebak_core::aead::{Aead, KEY_SIZE};
use std::io::{Read, Write};

/// Opens a Cobblestone-256 ciphertext (salt, commitment, chunks) from
/// `input` on [`Options::workers`] threads, writes its verified plaintext
/// to `output`, and returns the message length.
///
/// The verdict is the core's serial one
/// ([`StreamOpener`](ebak_core::cobblestone::StreamOpener) over the same
/// bytes): the same error, at the same chunk index, for a modified,
/// reordered, truncated or extended ciphertext, whatever the thread count.
/// Plaintext is written only after its chunk verified, and in order: after
/// an error, `output` holds exactly the plaintext of the chunks before the
/// failing one (the Wycheproof PartialPlaintext rule). Each batch is
/// written with one vectored call, straight from the buffer it was opened
/// in.
///
/// # Errors
///
/// Reading or writing failed, or the payload does not verify.
pub fn open<A: Aead + 'static>(
    input_key: &[u8; KEY_SIZE],
    context: &[u8],
    input: impl Read + Send,
    mut output: impl Write + Send,
    options: &Options<'_>,
) -> Result<u64, OpenError> {
    let mut reader = OpenReader::<_, A>::with_key(input_key, context, input, options.threads)?;
    let mut progress = |n: u64| {
        if let Some(p) = options.progress {
            p(n);
        }
    };
    let len = reader.write_to(&mut output, &mut progress)?;
    output.flush()?;
    Ok(len)
}
