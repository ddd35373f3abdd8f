//! The I/O thread of a parallel [`SealWriter`](crate::SealWriter) made
//! with [`with_io_thread`](crate::SealWriter::with_io_thread): it owns the
//! inner writer and writes sealed batches in the order it gets them, so
//! that writing the ciphertext overlaps the caller's copying of plaintext
//! (the caller's thread then carries one copy per byte instead of two).
//!
//! The caller hands it batches already taken back from the workers in
//! stream order, and gets every buffer back (written or, after a failure,
//! not), so buffers stay bounded and the caller never waits on a buffer
//! the thread keeps. A write error is recorded in the stream's
//! [`FailureHandle`]; after it, nothing more is written.

use crate::batch::Batch;
use crate::error::{Failure, FailureHandle};
use crate::io_util::write_all_or_fail;
use ebak_core::cobblestone;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

type SealBatch = Batch<cobblestone::SealError>;

/// To the thread.
pub(crate) enum ToIo {
    /// Write this sealed batch.
    Batch(SealBatch),
    /// Flush the inner writer.
    Flush,
}

/// From the thread.
pub(crate) enum FromIo {
    /// A batch's buffer, written (unless the stream failed).
    Done(SealBatch),
    /// The inner writer was flushed, or failed to.
    Flushed(io::Result<()>),
}

/// The caller's side of the I/O thread.
pub(crate) struct WriterThread<W> {
    to_io: Option<SyncSender<ToIo>>,
    from_io: Receiver<FromIo>,
    handle: Option<JoinHandle<Option<W>>>,
    stop: Arc<AtomicBool>,
    /// Batches handed over and not yet given back.
    pub(crate) outstanding: usize,
}

/// How a writer that knows its inner writer is `Send + 'static` starts the
/// thread: a function pointer, so that the writer's other methods need no
/// such bound. Gives the inner writer back (`Err(Some)`) if no thread could
/// start.
pub(crate) type SpawnWriter<W> = fn(W, usize, FailureHandle) -> Result<WriterThread<W>, Option<W>>;

/// The thread's loop: write each batch (unless the stream failed or is
/// being dropped), give every buffer back, flush on request.
fn run<W: Write>(w: &mut W, rx: &Receiver<ToIo>, tx: &SyncSender<FromIo>, failure: &FailureHandle, stop: &AtomicBool) {
    while let Ok(message) = rx.recv() {
        let reply = match message {
            ToIo::Batch(batch) => {
                if !stop.load(Ordering::Acquire) && failure.get().is_none() {
                    let written = batch.sealed_bytes().map(|bytes| write_all_or_fail(w, bytes));
                    if let Some(Err(e)) = written {
                        failure.set(Failure::io(&e));
                    }
                }
                FromIo::Done(batch)
            }
            ToIo::Flush => {
                let flushed = w.flush();
                if let Err(e) = &flushed {
                    failure.set(Failure::io(e));
                }
                FromIo::Flushed(flushed)
            }
        };
        if tx.send(reply).is_err() {
            return;
        }
    }
}

/// Starts the I/O thread for `inner`; the channels hold `capacity`
/// messages each (every buffer of the stream, and a flush).
pub(crate) fn spawn_writer<W: Write + Send + 'static>(
    inner: W,
    capacity: usize,
    failure: FailureHandle,
) -> Result<WriterThread<W>, Option<W>> {
    let (to_io, rx) = mpsc::sync_channel::<ToIo>(capacity.saturating_add(1));
    let (tx, from_io) = mpsc::sync_channel::<FromIo>(capacity.saturating_add(1));
    let stop = Arc::new(AtomicBool::new(false));
    // The writer goes through a slot, so that it comes back if the thread
    // cannot start (a spawn error drops the closure and what it owns).
    let slot = Arc::new(Mutex::new(Some(inner)));
    let (thread_slot, thread_stop) = (Arc::clone(&slot), Arc::clone(&stop));
    let spawned = std::thread::Builder::new().name("ebak-stream-io".into()).spawn(move || {
        let mut w = thread_slot.lock().unwrap_or_else(PoisonError::into_inner).take()?;
        run(&mut w, &rx, &tx, &failure, &thread_stop);
        Some(w)
    });
    match spawned {
        Ok(handle) => Ok(WriterThread { to_io: Some(to_io), from_io, handle: Some(handle), stop, outstanding: 0 }),
        Err(_) => Err(slot.lock().unwrap_or_else(PoisonError::into_inner).take()),
    }
}

impl<W> WriterThread<W> {
    /// Hands a batch over; gives it back if the thread is gone.
    pub(crate) fn send(&mut self, message: ToIo) -> Result<(), ToIo> {
        let Some(tx) = &self.to_io else { return Err(message) };
        tx.send(message).map_err(|mpsc::SendError(m)| m)
    }

    /// The next message from the thread, without waiting; `Ok(None)` if
    /// there is none yet, `Err` if the thread is gone.
    pub(crate) fn try_recv(&self) -> Result<Option<FromIo>, ()> {
        match self.from_io.try_recv() {
            Ok(m) => Ok(Some(m)),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(()),
        }
    }

    /// The next message from the thread; `None` if the thread is gone.
    pub(crate) fn recv(&self) -> Option<FromIo> {
        self.from_io.recv().ok()
    }

    /// Closes the channel, waits for the thread to write what it was given,
    /// and returns the inner writer (`None` if the thread panicked, with
    /// the panic, or lost it). The messages it sent stay readable.
    pub(crate) fn join(&mut self) -> Result<Option<W>, Box<dyn std::any::Any + Send>> {
        self.to_io = None;
        match self.handle.take() {
            Some(h) => h.join(),
            None => Ok(None),
        }
    }
}

impl<W> Drop for WriterThread<W> {
    fn drop(&mut self) {
        // Dropped without `join` (the stream was abandoned): write nothing
        // more, and wait for the thread (it finishes at most the write it
        // is in).
        self.stop.store(true, Ordering::Release);
        self.to_io = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// The I/O thread of a parallel [`OpenReader`](crate::OpenReader) made
/// with [`with_io_thread`](crate::OpenReader::with_io_thread): it owns the
/// inner reader, reads batches ahead into the buffers the caller gives
/// back (or new ones, up to the stream's capacity), numbers them and hands
/// them straight to the workers, so that reading the ciphertext overlaps
/// the caller's copying of plaintext out. It stops after the batch in
/// which the input ended or failed.
pub(crate) struct ReaderThread<R> {
    free: Option<SyncSender<OpenBatch>>,
    handle: Option<JoinHandle<Option<R>>>,
    stop: Arc<AtomicBool>,
}

type OpenBatch = Batch<cobblestone::PayloadError>;

/// How a reader that knows its inner reader is `Send + 'static` starts the
/// thread (see [`SpawnWriter`]).
pub(crate) type SpawnReader<R> = fn(R, ReaderStart) -> Result<ReaderThread<R>, Option<R>>;

/// Where the reading thread starts.
pub(crate) struct ReaderStart {
    /// The workers' job queue.
    pub(crate) jobs: SyncSender<OpenBatch>,
    /// The number of the next batch.
    pub(crate) seq: u64,
    /// Buffers the caller already allocated, and the most there may be.
    pub(crate) allocated: usize,
    pub(crate) capacity: usize,
}

/// Sends a batch marked as failed in the place of the one being read if
/// the inner reader panics, so that the caller, waiting for that batch,
/// learns it (and resumes the panic) instead of waiting forever.
struct PanicNotice<'a> {
    jobs: &'a SyncSender<OpenBatch>,
    seq: u64,
}

impl Drop for PanicNotice<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut b = Batch::new();
            b.reset(self.seq);
            b.panicked = true;
            let _ = self.jobs.send(b);
        }
    }
}

fn read_loop<R: io::Read>(r: &mut R, start: &ReaderStart, free: &Receiver<OpenBatch>, stop: &AtomicBool) {
    let mut notice = PanicNotice { jobs: &start.jobs, seq: start.seq };
    let mut allocated = start.allocated;
    loop {
        if stop.load(Ordering::Acquire) {
            return;
        }
        let mut batch = if allocated < start.capacity {
            allocated = allocated.saturating_add(1);
            Batch::new()
        } else {
            match free.recv() {
                Ok(b) => b,
                Err(_) => return,
            }
        };
        batch.reset(notice.seq);
        crate::reader::fill_batch(r, &mut batch);
        notice.seq = notice.seq.saturating_add(1);
        let last = batch.ends_input();
        if start.jobs.send(batch).is_err() || last {
            return;
        }
    }
}

/// Starts the reading thread for `inner`.
pub(crate) fn spawn_reader<R: io::Read + Send + 'static>(
    inner: R,
    start: ReaderStart,
) -> Result<ReaderThread<R>, Option<R>> {
    let (free_tx, free_rx) = mpsc::sync_channel::<OpenBatch>(start.capacity.saturating_add(1));
    let stop = Arc::new(AtomicBool::new(false));
    let slot = Arc::new(Mutex::new(Some(inner)));
    let (thread_slot, thread_stop) = (Arc::clone(&slot), Arc::clone(&stop));
    let spawned = std::thread::Builder::new().name("ebak-stream-io".into()).spawn(move || {
        let mut r = thread_slot.lock().unwrap_or_else(PoisonError::into_inner).take()?;
        read_loop(&mut r, &start, &free_rx, &thread_stop);
        Some(r)
    });
    match spawned {
        Ok(handle) => Ok(ReaderThread { free: Some(free_tx), handle: Some(handle), stop }),
        Err(_) => Err(slot.lock().unwrap_or_else(PoisonError::into_inner).take()),
    }
}

impl<R> ReaderThread<R> {
    /// Gives a drained buffer back for the next read (dropped, and wiped,
    /// if the thread has stopped).
    pub(crate) fn give_back(&self, batch: OpenBatch) {
        if let Some(tx) = &self.free {
            let _ = tx.try_send(batch);
        }
    }

    /// Waits for the thread (which stops after the last batch) and returns
    /// the inner reader (`None` if it was lost), or the thread's panic.
    pub(crate) fn join(&mut self) -> Result<Option<R>, Box<dyn std::any::Any + Send>> {
        self.free = None;
        match self.handle.take() {
            Some(h) => h.join(),
            None => Ok(None),
        }
    }
}

impl<R> Drop for ReaderThread<R> {
    fn drop(&mut self) {
        // Abandoned: read nothing more; wait for the thread (it finishes at
        // most the read it is in).
        self.stop.store(true, Ordering::Release);
        self.free = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
