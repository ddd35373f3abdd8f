//! Serial stand-in for the `ebak-stream` API (the parallel implementation
//! replaces this file when it lands).
use ebak_core::aead::Aead;
use ebak_core::chunk::{CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, PREFIX_SIZE, TAG_SIZE};
use ebak_core::cobblestone::{self, Decryptor, Encryptor, PayloadError};
use std::fmt;
use std::io::{self, Read, Write};

/// Options.
pub struct Options<'a> {
    /// Worker threads (0 = all cores, 1 = serial).
    pub threads: usize,
    /// Called with the plaintext bytes processed so far.
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
}

impl fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options").field("threads", &self.threads).finish_non_exhaustive()
    }
}

/// Sealing failed.
#[derive(Debug)]
pub enum SealError {
    /// Reading or writing failed.
    Io(io::Error),
    /// The core refused.
    Payload(cobblestone::SealError),
}

/// Opening failed.
#[derive(Debug)]
pub enum OpenError {
    /// Reading or writing failed.
    Io(io::Error),
    /// The payload did not verify.
    Payload(PayloadError),
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "{e}"),
            Self::Payload(e) => write!(f, "{e}"),
        }
    }
}
impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "{e}"),
            Self::Payload(e) => write!(f, "{e}"),
        }
    }
}
impl std::error::Error for SealError {}
impl std::error::Error for OpenError {}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..) {
        if rest.is_empty() {
            break;
        }
        match r.read(rest) {
            Ok(0) => break,
            Ok(n) => filled = filled.saturating_add(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Seals `input` as one Cobblestone-256 ciphertext to `output`.
///
/// # Errors
///
/// I/O or the core's limits.
pub fn seal<A: Aead>(
    input_key: &[u8; 32],
    salt: &[u8; 24],
    context: &[u8],
    mut input: impl Read,
    mut output: impl Write,
    opts: &Options<'_>,
) -> Result<u64, SealError> {
    let (mut enc, prefix) = Encryptor::<A>::new(input_key, salt, context);
    output.write_all(&prefix).map_err(SealError::Io)?;
    let mut buf = vec![0u8; ENCRYPTED_CHUNK_SIZE];
    let mut total: u64 = 0;
    loop {
        let n = read_full(&mut input, buf.get_mut(..CHUNK_SIZE).unwrap_or_default()).map_err(SealError::Io)?;
        total = total.saturating_add(n as u64);
        if n == CHUNK_SIZE {
            enc.seal_chunk(&mut buf).map_err(SealError::Payload)?;
            output.write_all(&buf).map_err(SealError::Io)?;
        } else {
            let last = buf.get_mut(..n.saturating_add(TAG_SIZE)).unwrap_or_default();
            enc.seal_final(last).map_err(SealError::Payload)?;
            output.write_all(last).map_err(SealError::Io)?;
            break;
        }
        if let Some(p) = opts.progress {
            p(total);
        }
    }
    output.flush().map_err(SealError::Io)?;
    if let Some(p) = opts.progress {
        p(total);
    }
    Ok(total)
}

/// Opens a Cobblestone-256 ciphertext from `input`, writing verified
/// plaintext to `output`.
///
/// # Errors
///
/// I/O or a payload failure.
pub fn open<A: Aead>(
    input_key: &[u8; 32],
    context: &[u8],
    mut input: impl Read,
    mut output: impl Write,
    opts: &Options<'_>,
) -> Result<u64, OpenError> {
    let mut prefix = [0u8; PREFIX_SIZE];
    if read_full(&mut input, &mut prefix).map_err(OpenError::Io)? < PREFIX_SIZE {
        return Err(OpenError::Payload(PayloadError::MissingPrefix));
    }
    let mut dec = Decryptor::<A>::new(input_key, context, &prefix).map_err(OpenError::Payload)?;
    let mut buf = vec![0u8; ENCRYPTED_CHUNK_SIZE];
    let mut total: u64 = 0;
    loop {
        let n = read_full(&mut input, &mut buf).map_err(OpenError::Io)?;
        let chunk = buf.get_mut(..n).unwrap_or_default();
        let plain = if n == ENCRYPTED_CHUNK_SIZE { dec.open_chunk(chunk) } else { dec.open_final(chunk) }
            .map_err(OpenError::Payload)?;
        output.write_all(plain).map_err(OpenError::Io)?;
        total = total.saturating_add(plain.len() as u64);
        if let Some(p) = opts.progress {
            p(total);
        }
        if dec.is_done() {
            break;
        }
    }
    output.flush().map_err(OpenError::Io)?;
    Ok(total)
}
