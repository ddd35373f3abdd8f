//! The `stream_open` target: `ebak_stream::open` (the I/O layer, serial or
//! on several threads) against the core's serial [`StreamOpener`], on the
//! same bytes (differential; spec 6.1).
//!
//! The input decodes to a [`StreamOpenInput`]: the target seals a message
//! with Cobblestone-256 under a fixed key, applies the mutations to the
//! ciphertext, and opens it twice: with a [`StreamOpener`] fed the whole
//! input (the reference), and with `ebak_stream::open` on 1 to 4 threads,
//! through a reader and a writer that move as many bytes per call as the
//! input says. It checks that
//!
//! - both give the same verdict: the same error (class and chunk index),
//!   or success with the same length;
//! - the bytes written are exactly the bytes the reference released, the
//!   verified prefix, on success and on failure alike;
//! - at every write, no plaintext is written that the bytes read so far do
//!   not verify: nothing of a chunk before all of it (its tag included)
//!   was read, and nothing of the final chunk before the end of the input;
//! - a changed ciphertext never opens, and an unchanged one opens to
//!   exactly the message (with the right key and context).

use crate::input::{self, Mutation};
use arbitrary::{Arbitrary, Unstructured};
use ebak_core::aead::DefaultAead as A;
use ebak_core::chunk::{CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, PREFIX_SIZE};
use ebak_core::cobblestone::{self, PayloadError, StreamOpener};
use ebak_stream::{BATCH_CHUNKS, OpenError, Options};
use std::io::{self, Read, Write};
use std::sync::Mutex;

/// The most mutations applied to one ciphertext (the rest are ignored).
pub const MAX_MUTATIONS: usize = 8;

/// The fixed salt (the key is [`input::fuzz_key`]).
const SALT: [u8; 24] = [0x3c; 24];

/// The fixed context, and the one a wrong-context opening uses.
const CONTEXT: &[u8] = b"ebak fuzz stream_open";
const OTHER_CONTEXT: &[u8] = b"ebak fuzz stream_open, other";

/// The target's input.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct Fixed {
    /// The message length class (see [`Fixed::message_len`]).
    pub length: u8,
    /// Fine-tunes the length within its class.
    pub length_extra: u16,
    /// Seeds the message bytes.
    pub fill: u8,
    /// Bits 0 and 1: threads minus one (1 to 4); bit 2: open with a key one
    /// bit off; bit 3: open in another context.
    pub flags: u8,
    /// Bytes per read call, used in turn (0 counts as 1).
    pub reads: [u16; 2],
    /// The most bytes per write call (0: no limit).
    pub write: u16,
}

/// The bytes of [`Fixed`] in the order `arbitrary` reads them.
pub const FIXED_SIZE: usize = 1 + 2 + 1 + 1 + 4 + 2;

/// The target's input: the fixed part, then mutation records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamOpenInput {
    /// What to seal and how to open it.
    pub fixed: Fixed,
    /// The changes made to the ciphertext, in order.
    pub mutations: Vec<Mutation>,
}

impl Fixed {
    /// The message length: small, around one and two chunks, a few chunks,
    /// and (one class in sixteen, as it costs 32 chunks of AES each time)
    /// around a batch of the parallel engine.
    #[must_use]
    pub fn message_len(&self) -> usize {
        let extra = usize::from(self.length_extra);
        match self.length % 16 {
            0 => 0,
            1..=5 => extra % 64,
            6 | 7 => extra % 1024,
            8 | 9 => CHUNK_SIZE - 1 + extra % 3,
            10 | 11 => extra % (CHUNK_SIZE + 1),
            12 | 13 => 2 * CHUNK_SIZE - 1 + extra % 3,
            14 => CHUNK_SIZE * (2 + extra % 3) + extra % 700,
            _ => (BATCH_CHUNKS - 1) * CHUNK_SIZE + extra % (2 * CHUNK_SIZE + 1),
        }
    }

    fn message(&self) -> Vec<u8> {
        (0..self.message_len()).map(|i| (i as u8).wrapping_mul(167).wrapping_add(self.fill) ^ (i >> 9) as u8).collect()
    }

    fn threads(&self) -> usize {
        usize::from(self.flags & 3) + 1
    }

    /// Appends the bytes that decode to this.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.length);
        out.extend_from_slice(&self.length_extra.to_le_bytes());
        out.push(self.fill);
        out.push(self.flags);
        for r in self.reads {
            out.extend_from_slice(&r.to_le_bytes());
        }
        out.extend_from_slice(&self.write.to_le_bytes());
    }
}

impl StreamOpenInput {
    /// Decodes the input.
    #[must_use]
    pub fn decode(data: &[u8]) -> Option<Self> {
        let mut u = Unstructured::new(data);
        let fixed = Fixed::arbitrary(&mut u).ok()?;
        Some(Self { fixed, mutations: input::decode_mutations(u, MAX_MUTATIONS) })
    }

    /// The target input that decodes to this.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.fixed.encode(&mut out);
        input::encode_mutations(&self.mutations, &mut out);
        out
    }
}

/// What the core's serial opener releases, and when.
struct Reference {
    released: Vec<u8>,
    verdict: Result<(), PayloadError>,
    /// `(bytes fed, bytes released)` after the prefix and every full chunk.
    steps: Vec<(usize, usize)>,
}

impl Reference {
    fn new(key: &[u8; 32], context: &[u8], ct: &[u8]) -> Self {
        let mut opener = StreamOpener::<A>::new(key, context);
        let mut released = Vec::new();
        let mut steps = vec![(0, 0)];
        let mut fed = 0;
        let mut next = PREFIX_SIZE;
        let mut verdict = Ok(());
        while fed < ct.len() && verdict.is_ok() {
            let end = next.min(ct.len());
            verdict = opener.push(&ct[fed..end], &mut released);
            fed = end;
            steps.push((fed, released.len()));
            next += ENCRYPTED_CHUNK_SIZE;
        }
        if verdict.is_ok() {
            verdict = opener.finish(&mut released);
        }
        Self { released, verdict, steps }
    }

    /// The most plaintext `delivered` bytes verify; all of it once the
    /// reader reported the end.
    fn allowed(&self, delivered: usize, at_end: bool) -> usize {
        if at_end {
            return self.released.len();
        }
        self.steps.iter().take_while(|(fed, _)| *fed <= delivered).last().map_or(0, |s| s.1)
    }
}

/// How far the reader got, and what the writer received.
#[derive(Default)]
struct Watch {
    delivered: usize,
    at_end: bool,
    written: Vec<u8>,
}

struct Reader<'a> {
    data: &'a [u8],
    reads: [u16; 2],
    turn: usize,
    watch: &'a Mutex<Watch>,
}

impl Read for Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let step = usize::from(self.reads[self.turn % 2]).max(1);
        self.turn += 1;
        let n = buf.len().min(step).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        let mut w = self.watch.lock().unwrap();
        w.delivered += n;
        if n == 0 && !buf.is_empty() {
            w.at_end = true;
        }
        Ok(n)
    }
}

struct Writer<'a> {
    step: usize,
    reference: &'a Reference,
    watch: &'a Mutex<Watch>,
}

impl Write for Writer<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step);
        let mut w = self.watch.lock().unwrap();
        let end = w.written.len() + n;
        // Spec 6.1: no plaintext of a chunk before its tag verified.
        let allowed = self.reference.allowed(w.delivered, w.at_end);
        assert!(
            end <= allowed,
            "wrote up to byte {end} after reading {} bytes (end seen: {}): they verify only {allowed}",
            w.delivered,
            w.at_end
        );
        assert!(
            self.reference.released.get(w.written.len()..end) == Some(&buf[..n]),
            "wrote bytes {}..{end} that the serial opener does not release",
            w.written.len()
        );
        w.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The target.
pub fn run(data: &[u8]) {
    if let Some(input) = StreamOpenInput::decode(data) {
        check(&input);
    }
}

fn check(input: &StreamOpenInput) {
    let f = &input.fixed;
    let key = *input::fuzz_key().expose_secret();
    let message = f.message();
    let sealed = cobblestone::seal::<A>(&key, &SALT, CONTEXT, &message).expect("a short message seals");
    let mut ct = sealed.clone();
    for m in &input.mutations {
        // A bare Cobblestone ciphertext: no header before the prefix.
        m.apply(&mut ct, 0);
    }
    let open_key = if f.flags & 4 != 0 { *input::wrong_key().expose_secret() } else { key };
    let context = if f.flags & 8 != 0 { OTHER_CONTEXT } else { CONTEXT };

    let reference = Reference::new(&open_key, context, &ct);
    let watch = Mutex::new(Watch::default());
    let reader = Reader { data: &ct, reads: f.reads, turn: 0, watch: &watch };
    let step = if f.write == 0 { usize::MAX } else { usize::from(f.write) };
    let writer = Writer { step, reference: &reference, watch: &watch };
    let options = Options { threads: f.threads(), progress: None };
    let result = ebak_stream::open::<A>(&open_key, context, reader, writer, &options);
    let written = std::mem::take(&mut watch.lock().unwrap().written);

    match (&result, &reference.verdict) {
        (Ok(n), Ok(())) => assert_eq!(*n, reference.released.len() as u64, "a different message length"),
        (Err(OpenError::Payload(got)), Err(want)) => assert_eq!(got, want, "a different error"),
        (got, want) => panic!("ebak_stream::open gave {got:?}, the serial opener {want:?}"),
    }
    assert!(written == reference.released, "wrote {} bytes, the serial opener released {}", written.len(), {
        reference.released.len()
    });
    let right_secret = f.flags & 12 == 0;
    if ct == sealed && right_secret {
        assert!(result.is_ok() && written == message, "the unchanged ciphertext did not open to its message");
    } else if ct != sealed {
        assert!(result.is_err(), "a changed ciphertext opened");
    } else {
        // Spec 5: a wrong key or context fails at the commitment.
        assert!(matches!(result, Err(OpenError::Payload(PayloadError::Commitment))), "{result:?}");
    }
}
