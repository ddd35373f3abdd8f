//! The engine that seals and opens on `N` threads: every worker owns one
//! batch buffer and loops read (under the input lock) → process (no lock)
//! → write (under the output lock, in its turn). With one worker it is the
//! serial loop, run on the calling thread.
//!
//! Why it gives the serial result:
//!
//! - batch numbers are handed out under the input lock in the order the
//!   bytes are read, so batch `s` holds stream chunks `32s..32s+31`;
//! - batches are written strictly in batch-number order (a worker waits
//!   for its turn), and the first batch whose write reports an error stops
//!   the stream: no later batch is written, whatever its workers found;
//! - a worker reads again only after writing, so at most `N` batches
//!   exist, however long the input.

use crate::batch::Batch;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// What the pipeline does to a batch: sealing or opening.
pub(crate) trait Job: Sync {
    /// What processing a chunk can find wrong.
    type Failure: Send;
    /// The error the whole stream fails with.
    type Error: Send + From<io::Error>;

    /// Fills `batch` (already reset) from `reader`, and records whether the
    /// input ended or failed in it.
    fn read<R: Read>(&self, reader: &mut R, batch: &mut Batch<Self::Failure>);

    /// Seals or opens the batch's chunks in place, in order, stopping at
    /// the first failure.
    fn process(&self, batch: &mut Batch<Self::Failure>);

    /// Writes what the batch may release, and returns the plaintext bytes
    /// it stands for, or the error that ends the stream here.
    fn write<W: Write>(&self, writer: &mut W, batch: &mut Batch<Self::Failure>) -> Result<u64, Self::Error>;
}

struct Input<R> {
    reader: R,
    next_seq: u64,
    ended: bool,
}

struct Output<W, E> {
    writer: W,
    /// The batch whose turn it is to be written.
    next_seq: u64,
    /// No batch is written any more: the stream ended, failed, or a worker
    /// panicked.
    stopped: bool,
    /// The last batch was written: the stream is complete.
    complete: bool,
    error: Option<E>,
    plaintext_bytes: u64,
}

struct Shared<'a, J: Job, R, W> {
    job: &'a J,
    progress: Option<&'a (dyn Fn(u64) + Sync)>,
    input: Mutex<Input<R>>,
    output: Mutex<Output<W, J::Error>>,
    turn: Condvar,
    /// Set with `output.stopped`, read without the lock by readers so that
    /// they stop reading input nobody will write.
    stop: AtomicBool,
}

/// Runs `job` over the whole input on `workers` threads (the calling thread
/// is one of them) and flushes the writer. Returns the plaintext bytes.
pub(crate) fn run<J: Job, R: Read + Send, W: Write + Send>(
    job: &J,
    workers: usize,
    reader: R,
    writer: W,
    progress: Option<&(dyn Fn(u64) + Sync)>,
) -> Result<u64, J::Error> {
    let shared = Shared {
        job,
        progress,
        input: Mutex::new(Input { reader, next_seq: 0, ended: false }),
        output: Mutex::new(Output {
            writer,
            next_seq: 0,
            stopped: false,
            complete: false,
            error: None,
            plaintext_bytes: 0,
        }),
        turn: Condvar::new(),
        stop: AtomicBool::new(false),
    };
    // The calling thread reads the first batch. If that is the whole input
    // (a message under 512 KiB), it finishes alone: spawning threads would
    // cost more than the work.
    let mut first = Batch::new();
    if let Some(seq) = shared.read_next(&mut first) {
        if first.ends_input() || workers <= 1 {
            shared.work(first, Some(seq));
        } else {
            std::thread::scope(|scope| {
                for _ in 1..workers {
                    scope.spawn(|| shared.work(Batch::new(), None));
                }
                shared.work(first, Some(seq));
            });
        }
    }
    let output = shared.output.into_inner().unwrap_or_else(PoisonError::into_inner);
    let Output { mut writer, complete, error, plaintext_bytes, .. } = output;
    if let Some(e) = error {
        return Err(e);
    }
    if !complete {
        // Only a worker that panicked (and then the scope re-panics before
        // this line) or a poisoned lock leaves the stream incomplete.
        return Err(io::Error::other("a stream worker failed").into());
    }
    writer.flush()?;
    Ok(plaintext_bytes)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock means a worker panicked; the panic guard has already
    // stopped the stream, and the state is still consistent enough to read
    // that it stopped.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<J: Job, R: Read, W: Write> Shared<'_, J, R, W> {
    /// One worker's loop, starting with batch number `pending` if it
    /// already read one into `batch`.
    fn work(&self, mut batch: Batch<J::Failure>, mut pending: Option<u64>) {
        let _guard = StopOnPanic { stop: &self.stop, output: &self.output, turn: &self.turn };
        while let Some(seq) = pending.take().or_else(|| self.read_next(&mut batch)) {
            self.job.process(&mut batch);
            if !self.write_in_turn(seq, &mut batch) {
                break;
            }
        }
    }

    /// Reads the next batch; `None` when there is nothing more to do.
    fn read_next(&self, batch: &mut Batch<J::Failure>) -> Option<u64> {
        let mut input = lock(&self.input);
        if input.ended || self.stop.load(Ordering::Acquire) {
            return None;
        }
        let seq = input.next_seq;
        input.next_seq = seq.saturating_add(1);
        batch.reset(seq);
        self.job.read(&mut input.reader, batch);
        if batch.ends_input() {
            input.ended = true;
        }
        Some(seq)
    }

    /// Waits until batch `seq` is next, writes it; false if the stream
    /// stopped (before or because of this batch).
    fn write_in_turn(&self, seq: u64, batch: &mut Batch<J::Failure>) -> bool {
        let mut output = lock(&self.output);
        while output.next_seq != seq && !output.stopped {
            output = self.turn.wait(output).unwrap_or_else(PoisonError::into_inner);
        }
        if output.stopped {
            return false;
        }
        let out = &mut *output;
        match self.job.write(&mut out.writer, batch) {
            Ok(bytes) => {
                out.plaintext_bytes = out.plaintext_bytes.saturating_add(bytes);
                if let Some(progress) = self.progress {
                    progress(out.plaintext_bytes);
                }
                if batch.ends_input() {
                    out.complete = true;
                    out.stopped = true;
                }
            }
            Err(e) => {
                out.error = Some(e);
                out.stopped = true;
                self.stop.store(true, Ordering::Release);
            }
        }
        out.next_seq = seq.saturating_add(1);
        let go_on = !out.stopped;
        drop(output);
        self.turn.notify_all();
        go_on
    }
}

/// Stops the stream and wakes every waiting worker if this worker unwinds
/// (a panicking reader, writer or progress callback), so that no one waits
/// forever for a batch that will never be written.
struct StopOnPanic<'a, W, E> {
    stop: &'a AtomicBool,
    output: &'a Mutex<Output<W, E>>,
    turn: &'a Condvar,
}

impl<W, E> Drop for StopOnPanic<'_, W, E> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.stop.store(true, Ordering::Release);
            lock(self.output).stopped = true;
            self.turn.notify_all();
        }
    }
}
