//! The peers, measured in the same run: the `age` crate's payload stream,
//! a ChaCha20-Poly1305 STREAM, and `memcpy`.
//!
//! - **age** (X25519 recipient): the timer covers the payload stream only,
//!   writing the message through `StreamWriter` and `finish`, or reading
//!   it back through `StreamReader`. The key wrap (X25519, HKDF, header
//!   MAC) happens in [`Workload::prepare`], untimed. Like `ebak-stream`,
//!   age goes from a buffer to a `Vec` through its own 64 KiB buffer.
//! - **ChaCha20-Poly1305 STREAM** (RustCrypto `aead::stream`, big-endian
//!   32-bit counter, 16 KiB segments like ebak's chunks): in place, each
//!   segment followed by its tag, like [`crate::ebak::Kind::Core`], so the
//!   two differ only in the cipher and the chunk bookkeeping.
//! - **memcpy**: copying the message once, the ceiling for anything that
//!   has to touch every byte.

use crate::{Op, Workload, filler};
use chacha20poly1305::aead::generic_array::GenericArray;
use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::{Buffer, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key};
use std::hint::black_box;
use std::io::{Cursor, Read, Write};
use std::sync::Arc;

/// The age workload for `op` on a `len`-byte message.
#[must_use]
pub fn age(op: Op, len: usize) -> Box<dyn Workload> {
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public();
    let msg = filler(len);
    match op {
        Op::Seal => Box::new(AgeSeal { recipient, msg, out: Some(Vec::with_capacity(len + 4096)), writer: None }),
        Op::Open => {
            let mut ct = Vec::new();
            let mut w = encryptor(&recipient).wrap_output(&mut ct).expect("age header");
            w.write_all(&msg).expect("age");
            w.finish().expect("age");
            Box::new(AgeOpen { identity, ct: Arc::from(ct), len, out: Vec::with_capacity(len), reader: None })
        }
    }
}

fn encryptor(recipient: &age::x25519::Recipient) -> age::Encryptor {
    age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient)).expect("age recipient")
}

struct AgeSeal {
    recipient: age::x25519::Recipient,
    msg: Vec<u8>,
    out: Option<Vec<u8>>,
    writer: Option<age::stream::StreamWriter<Vec<u8>>>,
}

impl Workload for AgeSeal {
    fn bytes(&self) -> u64 {
        self.msg.len() as u64
    }

    fn needs_prepare(&self) -> bool {
        true
    }

    fn prepare(&mut self) {
        // The key wrap and the header: not the payload stream, not timed.
        let mut out = self.out.take().unwrap_or_default();
        out.clear();
        self.writer = Some(encryptor(&self.recipient).wrap_output(out).expect("age header"));
    }

    fn run(&mut self) {
        let mut w = self.writer.take().expect("prepared");
        w.write_all(black_box(&self.msg)).expect("age");
        self.out = Some(w.finish().expect("age"));
    }
}

struct AgeOpen {
    identity: age::x25519::Identity,
    ct: Arc<[u8]>,
    len: usize,
    out: Vec<u8>,
    reader: Option<age::stream::StreamReader<Cursor<Arc<[u8]>>>>,
}

impl Workload for AgeOpen {
    fn bytes(&self) -> u64 {
        self.len as u64
    }

    fn needs_prepare(&self) -> bool {
        true
    }

    fn prepare(&mut self) {
        // Header parse and key unwrap: not timed.
        self.out.clear();
        let decryptor = age::Decryptor::new_buffered(Cursor::new(Arc::clone(&self.ct))).expect("age header");
        let identity = &self.identity as &dyn age::Identity;
        self.reader = Some(decryptor.decrypt(std::iter::once(identity)).expect("age key"));
    }

    fn run(&mut self) {
        let mut r = self.reader.take().expect("prepared");
        r.read_to_end(&mut self.out).expect("age");
        assert_eq!(self.out.len(), self.len, "age: wrong length");
    }
}

/// The ChaCha20-Poly1305 STREAM segment size: ebak's chunk size.
const SEGMENT: usize = 16 * 1024;
const SEGMENT_TAGGED: usize = SEGMENT + 16;
const CHACHA_KEY: [u8; 32] = [0x33; 32];
const STREAM_NONCE: [u8; 7] = [0x07; 7];

/// The ChaCha20-Poly1305 STREAM workload for `op` on a `len`-byte message.
#[must_use]
pub fn chacha_stream(op: Op, len: usize) -> Box<dyn Workload> {
    let segments = len.div_ceil(SEGMENT).max(1);
    let mut buf = vec![0u8; len + 16 * segments];
    // Lay the message out in place: each segment then its tag room.
    for (slot, piece) in buf.chunks_mut(SEGMENT_TAGGED).zip(filler(len).chunks(SEGMENT)) {
        slot[..piece.len()].copy_from_slice(piece);
    }
    let mut seal = ChachaSeal { buf, len };
    match op {
        Op::Seal => Box::new(seal),
        Op::Open => {
            seal.run();
            Box::new(ChachaOpen { ct: seal.buf.clone(), buf: seal.buf, len })
        }
    }
}

/// A segment window as an `aead::Buffer`: the body, growing into the tag
/// room when the tag is appended.
struct Window<'a> {
    slot: &'a mut [u8],
    len: usize,
}

impl AsRef<[u8]> for Window<'_> {
    fn as_ref(&self) -> &[u8] {
        &self.slot[..self.len]
    }
}

impl AsMut<[u8]> for Window<'_> {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.slot[..self.len]
    }
}

impl Buffer for Window<'_> {
    fn extend_from_slice(&mut self, other: &[u8]) -> chacha20poly1305::aead::Result<()> {
        let end = self.len + other.len();
        self.slot.get_mut(self.len..end).ok_or(chacha20poly1305::aead::Error)?.copy_from_slice(other);
        self.len = end;
        Ok(())
    }

    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
}

/// Segment slots of a laid-out buffer and the plaintext length of each.
fn slots(buf: &mut [u8], len: usize, tagged: bool) -> impl Iterator<Item = Window<'_>> {
    let segments = len.div_ceil(SEGMENT).max(1);
    buf.chunks_mut(SEGMENT_TAGGED).enumerate().map(move |(i, slot)| {
        let body = if i + 1 < segments { SEGMENT } else { len - SEGMENT * (segments - 1) };
        Window { slot, len: if tagged { body + 16 } else { body } }
    })
}

struct ChachaSeal {
    buf: Vec<u8>,
    len: usize,
}

impl Workload for ChachaSeal {
    fn bytes(&self) -> u64 {
        self.len as u64
    }

    fn run(&mut self) {
        let aead = ChaCha20Poly1305::new(Key::from_slice(&CHACHA_KEY));
        let mut enc = EncryptorBE32::<ChaCha20Poly1305>::from_aead(aead, GenericArray::from_slice(&STREAM_NONCE));
        let mut windows = slots(black_box(&mut self.buf), self.len, false).peekable();
        while let Some(mut w) = windows.next() {
            if windows.peek().is_some() {
                enc.encrypt_next_in_place(&[], &mut w).expect("chacha");
            } else {
                enc.encrypt_last_in_place(&[], &mut w).expect("chacha");
                break;
            }
        }
    }
}

struct ChachaOpen {
    ct: Vec<u8>,
    buf: Vec<u8>,
    len: usize,
}

impl Workload for ChachaOpen {
    fn bytes(&self) -> u64 {
        self.len as u64
    }

    fn needs_prepare(&self) -> bool {
        true
    }

    fn prepare(&mut self) {
        self.buf.copy_from_slice(&self.ct);
    }

    fn run(&mut self) {
        let aead = ChaCha20Poly1305::new(Key::from_slice(&CHACHA_KEY));
        let mut dec = DecryptorBE32::<ChaCha20Poly1305>::from_aead(aead, GenericArray::from_slice(&STREAM_NONCE));
        let mut windows = slots(black_box(&mut self.buf), self.len, true).peekable();
        while let Some(mut w) = windows.next() {
            if windows.peek().is_some() {
                dec.decrypt_next_in_place(&[], &mut w).expect("chacha");
            } else {
                dec.decrypt_last_in_place(&[], &mut w).expect("chacha");
                break;
            }
        }
    }
}

/// Copying `len` bytes once: the physical ceiling.
#[must_use]
pub fn memcpy(len: usize) -> Box<dyn Workload> {
    Box::new(Memcpy { src: filler(len), dst: vec![0u8; len] })
}

struct Memcpy {
    src: Vec<u8>,
    dst: Vec<u8>,
}

impl Workload for Memcpy {
    fn bytes(&self) -> u64 {
        self.src.len() as u64
    }

    fn run(&mut self) {
        black_box(&mut self.dst).copy_from_slice(black_box(&self.src));
    }
}
