//! ebak's workloads, and the raw AEAD baseline they are measured against.
//!
//! - [`Kind::Raw`]: ONE `seal_in_place` / `open_in_place` call of the
//!   backend over the whole message (through ebak-core's `Aead` trait, a
//!   direct call into the backend), with the key schedule built once,
//!   outside the timer. Nothing chunked can beat it.
//! - [`Kind::Core`]: ebak-core's `Encryptor` / `Decryptor` over the same
//!   message laid out in place (each 16 KiB chunk followed by its tag), so
//!   the difference from `Raw` is exactly what Cobblestone-256 costs: the
//!   HKDF derivation, the key schedule and the commitment per message, and
//!   one AEAD call per 16 KiB chunk. No byte is copied.
//! - [`Kind::Stream`]: `ebak-stream` from a `&[u8]` reader to a `Vec`
//!   writer, on 1 thread or on all cores: what the CLI runs, with the two
//!   copies any `Read`/`Write` API implies (into the batch, out of it).

use crate::{Backend, Op, Workload, filler};
use ebak_core::aead::{Aead, AwsLcAes256Gcm, RustCryptoAes256Gcm};
use ebak_core::chunk::{self, ENCRYPTED_CHUNK_SIZE, PREFIX_SIZE};
use ebak_core::cobblestone::{self, Decryptor, Encryptor};
use ebak_stream::Options;
use std::hint::black_box;

/// The key, salt and context every ebak workload uses.
pub const KEY: [u8; 32] = [0x42; 32];
/// The salt.
pub const SALT: [u8; 24] = [0x24; 24];
/// The Cobblestone context.
pub const CONTEXT: &[u8] = b"ebak bench";
const NONCE: [u8; 12] = [0x12; 12];

/// Which ebak path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One raw AES-256-GCM call over the whole message.
    Raw,
    /// ebak-core in place, chunk by chunk.
    Core,
    /// ebak-stream, `&[u8]` to `Vec`, on this many threads (0: all cores).
    Stream(usize),
}

impl Kind {
    /// A short label.
    #[must_use]
    pub fn label(self) -> String {
        match self {
            Self::Raw => "raw".into(),
            Self::Core => "ebak".into(),
            Self::Stream(1) => "stream-serial".into(),
            Self::Stream(0) => "stream-parallel".into(),
            Self::Stream(n) => format!("stream-{n}-threads"),
        }
    }
}

/// The workload for `kind`, `backend` and `op` on a `len`-byte message.
#[must_use]
pub fn workload(kind: Kind, backend: Backend, op: Op, len: usize) -> Box<dyn Workload> {
    match backend {
        Backend::RustCrypto => typed::<RustCryptoAes256Gcm>(kind, op, len),
        Backend::AwsLc => typed::<AwsLcAes256Gcm>(kind, op, len),
    }
}

fn typed<A: Aead + 'static>(kind: Kind, op: Op, len: usize) -> Box<dyn Workload> {
    match (kind, op) {
        (Kind::Raw, Op::Seal) => Box::new(RawSeal { aead: A::new(&KEY), buf: filler(len) }),
        (Kind::Raw, Op::Open) => {
            let aead = A::new(&KEY);
            let mut ct = filler(len);
            let tag = aead.seal_in_place(&NONCE, &[], &mut ct).expect("seal");
            Box::new(RawOpen { aead, buf: ct.clone(), ct, tag })
        }
        (Kind::Core, Op::Seal) => Box::new(CoreSeal::<A> { buf: laid_out(len), len, aead: std::marker::PhantomData }),
        (Kind::Core, Op::Open) => {
            let sealed = sealed::<A>(len);
            let (prefix, body) = sealed.split_first_chunk::<PREFIX_SIZE>().expect("prefix");
            Box::new(CoreOpen::<A> {
                prefix: *prefix,
                ct: body.to_vec(),
                buf: body.to_vec(),
                len,
                aead: Default::default(),
            })
        }
        (Kind::Stream(threads), Op::Seal) => Box::new(StreamSeal::<A> {
            msg: filler(len),
            out: Vec::with_capacity(ciphertext_len(len)),
            threads,
            aead: Default::default(),
        }),
        (Kind::Stream(threads), Op::Open) => Box::new(StreamOpen::<A> {
            ct: sealed::<A>(len),
            len,
            out: Vec::with_capacity(len),
            threads,
            aead: Default::default(),
        }),
    }
}

fn ciphertext_len(len: usize) -> usize {
    let len = u64::try_from(len).expect("length");
    usize::try_from(chunk::ciphertext_len(len).expect("length")).expect("length")
}

/// A message of `len` bytes laid out for sealing in place: the chunks and
/// their tag room, without the 56-byte prefix.
fn laid_out(len: usize) -> Vec<u8> {
    filler(ciphertext_len(len).saturating_sub(PREFIX_SIZE))
}

/// The whole Cobblestone ciphertext of the filler message.
fn sealed<A: Aead>(len: usize) -> Vec<u8> {
    cobblestone::seal::<A>(&KEY, &SALT, CONTEXT, &filler(len)).expect("seal")
}

struct RawSeal<A> {
    aead: A,
    buf: Vec<u8>,
}

impl<A: Aead> Workload for RawSeal<A> {
    fn bytes(&self) -> u64 {
        self.buf.len() as u64
    }

    fn run(&mut self) {
        black_box(self.aead.seal_in_place(&NONCE, &[], black_box(&mut self.buf)).expect("seal"));
    }
}

struct RawOpen<A> {
    aead: A,
    ct: Vec<u8>,
    buf: Vec<u8>,
    tag: [u8; 16],
}

impl<A: Aead> Workload for RawOpen<A> {
    fn bytes(&self) -> u64 {
        self.buf.len() as u64
    }

    fn needs_prepare(&self) -> bool {
        true
    }

    fn prepare(&mut self) {
        self.buf.copy_from_slice(&self.ct);
    }

    fn run(&mut self) {
        self.aead.open_in_place(&NONCE, &[], black_box(&mut self.buf), &self.tag).expect("open");
    }
}

struct CoreSeal<A> {
    buf: Vec<u8>,
    len: usize,
    aead: std::marker::PhantomData<A>,
}

impl<A: Aead> Workload for CoreSeal<A> {
    fn bytes(&self) -> u64 {
        self.len as u64
    }

    fn run(&mut self) {
        // Per message: HKDF, key schedule, commitment; then each chunk.
        let (mut enc, prefix) = Encryptor::<A>::new(&KEY, &SALT, CONTEXT);
        // The in-place layout is exactly the chunking: full chunks of
        // 16 400 bytes, then the shorter final one.
        let buf = black_box(self.buf.as_mut_slice());
        let last = buf.len().div_ceil(ENCRYPTED_CHUNK_SIZE).saturating_sub(1);
        for (i, chunk) in buf.chunks_mut(ENCRYPTED_CHUNK_SIZE).enumerate() {
            if i < last {
                enc.seal_chunk(chunk).expect("seal");
            } else {
                enc.seal_final(chunk).expect("seal");
            }
        }
        black_box(prefix);
    }
}

struct CoreOpen<A> {
    prefix: [u8; PREFIX_SIZE],
    ct: Vec<u8>,
    buf: Vec<u8>,
    len: usize,
    aead: std::marker::PhantomData<A>,
}

impl<A: Aead> Workload for CoreOpen<A> {
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
        // Per message: HKDF, key schedule, the commitment check.
        let mut dec = Decryptor::<A>::new(&KEY, CONTEXT, &self.prefix).expect("commitment");
        let buf = black_box(self.buf.as_mut_slice());
        let last = buf.len().div_ceil(ENCRYPTED_CHUNK_SIZE).saturating_sub(1);
        for (i, chunk) in buf.chunks_mut(ENCRYPTED_CHUNK_SIZE).enumerate() {
            if i < last {
                black_box(dec.open_chunk(chunk).expect("open"));
            } else {
                black_box(dec.open_final(chunk).expect("open"));
            }
        }
        assert!(dec.is_done(), "the final chunk was not opened");
    }
}

struct StreamSeal<A> {
    msg: Vec<u8>,
    out: Vec<u8>,
    threads: usize,
    aead: std::marker::PhantomData<A>,
}

impl<A: Aead + 'static> Workload for StreamSeal<A> {
    fn bytes(&self) -> u64 {
        self.msg.len() as u64
    }

    fn run(&mut self) {
        self.out.clear();
        let opts = Options { threads: self.threads, progress: None };
        ebak_stream::seal::<A>(&KEY, &SALT, CONTEXT, &self.msg[..], &mut self.out, &opts).expect("seal");
    }
}

struct StreamOpen<A> {
    ct: Vec<u8>,
    len: usize,
    out: Vec<u8>,
    threads: usize,
    aead: std::marker::PhantomData<A>,
}

impl<A: Aead + 'static> Workload for StreamOpen<A> {
    fn bytes(&self) -> u64 {
        self.len as u64
    }

    fn run(&mut self) {
        self.out.clear();
        let opts = Options { threads: self.threads, progress: None };
        ebak_stream::open::<A>(&KEY, CONTEXT, &self.ct[..], &mut self.out, &opts).expect("open");
    }
}
