//! What this machine allows a parallel stream, measured without ebak:
//! the bounds the stream layer's parallel rows are read against.
//!
//! - [`raw_threads`]: the raw AEAD on `P` threads at once, each on its own
//!   contiguous part of the message (one call per part). Against the raw
//!   call on one thread it is the cipher's own scaling here: what two
//!   cores give when nothing is shared and nothing waits (memory
//!   bandwidth, frequency and the hypervisor included).
//! - [`memcpy_threads`]: `memcpy` the same way, each thread its own part:
//!   the memory bandwidth two cores' copies share.
//! - [`bare_pipeline`]: the smallest pipeline a `Read`/`Write` stream over
//!   an in-place AEAD can be, and nothing of ebak's: the caller copies
//!   512 KiB of the message into a buffer, a worker seals or opens it in
//!   16 KiB calls, the caller copies it out in order; std threads and
//!   bounded `mpsc` channels, `P + 2` buffers reused. On one thread the
//!   same without threads. Its parallel / serial ratio is what any such
//!   pipeline reaches on this machine; ebak-stream's ratio is read against
//!   it.
//! - [`handoff_round_trip`]: one value sent to a blocked thread and one
//!   sent back: the cost of waking a sleeping thread twice, which a
//!   pipeline pays whenever a worker or the caller waited.

use crate::{Backend, Op, Workload, filler};
use ebak_core::aead::{Aead, AwsLcAes256Gcm, RustCryptoAes256Gcm};
use ebak_core::chunk::{CHUNK_SIZE, TAG_SIZE};
use std::hint::black_box;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

const KEY: [u8; 32] = [0x42; 32];
const NONCE: [u8; 12] = [0x12; 12];

/// Chunks per batch, as in ebak-stream.
const BATCH_CHUNKS: usize = ebak_stream::BATCH_CHUNKS;

/// `threads` as ebak-stream reads it: 0 for one per core.
fn resolve(threads: usize) -> usize {
    ebak_stream::Options { threads, progress: None }.workers()
}

/// The raw AEAD on `threads` threads (0: one per core), each on its own
/// part of a `len`-byte message.
#[must_use]
pub fn raw_threads(backend: Backend, op: Op, len: usize, threads: usize) -> Box<dyn Workload> {
    match backend {
        Backend::RustCrypto => Box::new(RawThreads::<RustCryptoAes256Gcm>::new(op, len, resolve(threads))),
        Backend::AwsLc => Box::new(RawThreads::<AwsLcAes256Gcm>::new(op, len, resolve(threads))),
    }
}

struct RawThreads<A> {
    aead: A,
    op: Op,
    parts: usize,
    /// The message (sealing) or the parts' ciphertexts (opening).
    ct: Vec<u8>,
    buf: Vec<u8>,
    tags: Vec<[u8; TAG_SIZE]>,
}

impl<A: Aead> RawThreads<A> {
    fn new(op: Op, len: usize, parts: usize) -> Self {
        let aead = A::new(&KEY);
        let mut ct = filler(len);
        let part = len.div_ceil(parts.max(1)).max(1);
        let tags = match op {
            Op::Seal => Vec::new(),
            Op::Open => ct.chunks_mut(part).map(|p| aead.seal_in_place(&NONCE, &[], p).expect("seal")).collect(),
        };
        Self { aead, op, parts, buf: ct.clone(), ct, tags }
    }
}

impl<A: Aead> Workload for RawThreads<A> {
    fn bytes(&self) -> u64 {
        self.buf.len() as u64
    }

    fn needs_prepare(&self) -> bool {
        self.op == Op::Open
    }

    fn prepare(&mut self) {
        self.buf.copy_from_slice(&self.ct);
    }

    fn run(&mut self) {
        let part = self.buf.len().div_ceil(self.parts.max(1)).max(1);
        let (aead, op, tags) = (&self.aead, self.op, &self.tags);
        let one = |i: usize, p: &mut [u8]| match op {
            Op::Seal => {
                black_box(aead.seal_in_place(&NONCE, &[], p).expect("seal"));
            }
            Op::Open => aead.open_in_place(&NONCE, &[], p, &tags[i]).expect("open"),
        };
        std::thread::scope(|s| {
            let mut parts = black_box(self.buf.as_mut_slice()).chunks_mut(part).enumerate();
            // The first part on this thread, the others on their own.
            let first = parts.next();
            for (i, p) in parts {
                s.spawn(move || one(i, p));
            }
            if let Some((i, p)) = first {
                one(i, p);
            }
        });
    }
}

/// `memcpy` on `threads` threads (0: one per core), each copying its own
/// part of a `len`-byte buffer: the memory bandwidth the copies of a
/// parallel stream share.
#[must_use]
pub fn memcpy_threads(len: usize, threads: usize) -> Box<dyn Workload> {
    Box::new(MemcpyThreads { src: filler(len), dst: vec![0u8; len], parts: resolve(threads) })
}

struct MemcpyThreads {
    src: Vec<u8>,
    dst: Vec<u8>,
    parts: usize,
}

impl Workload for MemcpyThreads {
    fn bytes(&self) -> u64 {
        self.src.len() as u64
    }

    fn run(&mut self) {
        let part = self.src.len().div_ceil(self.parts.max(1)).max(1);
        std::thread::scope(|s| {
            let mut pairs = black_box(self.dst.as_mut_slice()).chunks_mut(part).zip(self.src.chunks(part));
            let first = pairs.next();
            for (d, src) in pairs {
                s.spawn(move || d.copy_from_slice(src));
            }
            if let Some((d, src)) = first {
                d.copy_from_slice(src);
            }
        });
    }
}

/// The bare pipeline on `threads` threads (0: one per core; 1: serial),
/// from a `len`-byte message (or its ciphertext) to a `Vec`.
#[must_use]
pub fn bare_pipeline(backend: Backend, op: Op, len: usize, threads: usize) -> Box<dyn Workload> {
    match backend {
        Backend::RustCrypto => Box::new(Bare::<RustCryptoAes256Gcm>::new(op, len, resolve(threads))),
        Backend::AwsLc => Box::new(Bare::<AwsLcAes256Gcm>::new(op, len, resolve(threads))),
    }
}

/// A batch in the bare pipeline: its number and its buffer.
type Job = (usize, Vec<u8>);

struct Bare<A> {
    aead: Arc<A>,
    op: Op,
    workers: usize,
    /// The message (sealing) or its ciphertext, sealed in 16 KiB calls
    /// (opening).
    src: Vec<u8>,
    tags: Arc<Vec<[u8; TAG_SIZE]>>,
    out: Vec<u8>,
    /// The batch buffers, reused run after run.
    idle: Vec<Vec<u8>>,
}

const BATCH_BYTES: usize = BATCH_CHUNKS * CHUNK_SIZE;

impl<A: Aead + 'static> Bare<A> {
    fn new(op: Op, len: usize, workers: usize) -> Self {
        let aead = A::new(&KEY);
        let mut src = filler(len);
        let tags = match op {
            Op::Seal => Vec::new(),
            Op::Open => src.chunks_mut(CHUNK_SIZE).map(|c| aead.seal_in_place(&NONCE, &[], c).expect("seal")).collect(),
        };
        let buffers = if workers <= 1 { 1 } else { workers + 2 };
        Self {
            aead: Arc::new(aead),
            op,
            workers,
            src,
            tags: Arc::new(tags),
            out: Vec::with_capacity(len),
            idle: (0..buffers).map(|_| vec![0u8; BATCH_BYTES]).collect(),
        }
    }
}

/// Seals or opens batch `seq` in place, 16 KiB per call.
fn process<A: Aead>(aead: &A, op: Op, tags: &[[u8; TAG_SIZE]], seq: usize, buf: &mut [u8]) {
    for (i, chunk) in buf.chunks_mut(CHUNK_SIZE).enumerate() {
        match op {
            Op::Seal => {
                black_box(aead.seal_in_place(&NONCE, &[], chunk).expect("seal"));
            }
            Op::Open => aead.open_in_place(&NONCE, &[], chunk, &tags[seq * BATCH_CHUNKS + i]).expect("open"),
        }
    }
}

impl<A: Aead + 'static> Workload for Bare<A> {
    fn bytes(&self) -> u64 {
        self.src.len() as u64
    }

    fn run(&mut self) {
        self.out.clear();
        let (aead, op, tags) = (Arc::clone(&self.aead), self.op, Arc::clone(&self.tags));
        if self.workers <= 1 {
            let buf = &mut self.idle[0];
            for (seq, piece) in black_box(&self.src).chunks(BATCH_BYTES).enumerate() {
                let room = &mut buf[..piece.len()];
                room.copy_from_slice(piece);
                process(&*aead, op, &tags, seq, room);
                self.out.extend_from_slice(room);
            }
            black_box(&mut self.out);
            return;
        }
        let (to_workers, jobs) = mpsc::sync_channel::<Job>(self.idle.len());
        let (done, results) = mpsc::sync_channel::<Job>(self.idle.len());
        let jobs = Arc::new(Mutex::new(jobs));
        let src = &self.src;
        let total = src.len();
        let len_of = move |seq: usize| BATCH_BYTES.min(total - seq * BATCH_BYTES);
        let (out, idle) = (&mut self.out, &mut self.idle);
        std::thread::scope(|s| {
            for _ in 0..self.workers {
                let (aead, tags, jobs, done) = (Arc::clone(&aead), Arc::clone(&tags), Arc::clone(&jobs), done.clone());
                s.spawn(move || {
                    loop {
                        let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        let Ok((seq, mut buf)) = next else { return };
                        process(&*aead, op, &tags, seq, &mut buf[..len_of(seq)]);
                        if done.send((seq, buf)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(done);
            let batches = src.len().div_ceil(BATCH_BYTES);
            // Results wait here until every earlier batch was written.
            let mut window: Vec<Option<Vec<u8>>> = (0..batches).map(|_| None).collect();
            let (mut sent, mut written) = (0, 0);
            while written < batches {
                if sent < batches
                    && let Some(mut buf) = idle.pop()
                {
                    let len = len_of(sent);
                    buf[..len].copy_from_slice(&src[sent * BATCH_BYTES..sent * BATCH_BYTES + len]);
                    to_workers.send((sent, buf)).expect("send");
                    sent += 1;
                    continue;
                }
                let (seq, buf) = results.recv().expect("worker");
                window[seq] = Some(buf);
                while let Some(buf) = window.get_mut(written).and_then(Option::take) {
                    out.extend_from_slice(&buf[..len_of(written)]);
                    idle.push(buf);
                    written += 1;
                }
            }
            drop(to_workers);
        });
        black_box(&mut self.out);
    }
}

/// The median time, over `n` round trips, of sending a value to a thread
/// blocked in `recv` and receiving its answer.
#[must_use]
pub fn handoff_round_trip(n: usize) -> Duration {
    let (to, from_main) = mpsc::sync_channel::<u32>(1);
    let (back, from_peer) = mpsc::sync_channel::<u32>(1);
    let peer = std::thread::spawn(move || {
        while let Ok(v) = from_main.recv() {
            if back.send(v).is_err() {
                return;
            }
        }
    });
    let mut samples: Vec<f64> = (0..n.max(1))
        .map(|i| {
            // Let the peer fall asleep in `recv` first, as a worker does
            // between batches.
            std::thread::sleep(Duration::from_micros(200));
            let t = Instant::now();
            to.send(u32::try_from(i).unwrap_or(0)).expect("send");
            from_peer.recv().expect("recv");
            t.elapsed().as_secs_f64()
        })
        .collect();
    drop(to);
    peer.join().expect("peer");
    Duration::from_secs_f64(crate::timing::median(&mut samples))
}
