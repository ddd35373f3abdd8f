//! Sealing a whole stream in one call: [`SealWriter`] fed straight from a
//! reader.

use crate::Options;
use crate::error::SealError;
use crate::writer::SealWriter;
use ebak_core::aead::{Aead, KEY_SIZE};
use ebak_core::chunk::SALT_SIZE;
use std::io::{Read, Write};

/// Seals `input` as one Cobblestone-256 ciphertext (salt, commitment,
/// chunks) to `output`, on [`Options::workers`] threads, and returns the
/// message length.
///
/// From the Cobblestone spec: the salt "MUST NOT repeat for a certain
/// input key, and ... SHOULD be randomly generated". The output is the
/// same, byte for byte, for any number of threads, and is what
/// [`ebak_core::cobblestone::seal`] gives for the whole message. The input
/// is read straight into the batch buffers ([`SealWriter::copy_from`]), a
/// batch per read call, and each sealed batch is written in one call.
///
/// # Errors
///
/// Reading or writing failed, or the message grew past 2^38 chunks. The
/// output is then incomplete and must be discarded.
pub fn seal<A: Aead + 'static>(
    input_key: &[u8; KEY_SIZE],
    salt: &[u8; SALT_SIZE],
    context: &[u8],
    mut input: impl Read + Send,
    output: impl Write + Send,
    options: &Options<'_>,
) -> Result<u64, SealError> {
    let mut writer = SealWriter::<_, A>::with_key(input_key, salt, context, output, options.threads)?;
    let mut progress = |n: u64| {
        if let Some(p) = options.progress {
            p(n);
        }
    };
    writer.copy_from_inner(&mut input, &mut progress)?;
    writer.finish_inner(&mut progress)
}
