//! The engine under both adapters: batches are filled by the caller,
//! processed (sealed or opened in place) on the calling thread or on `N`
//! worker threads, and handed back to the caller strictly in the order they
//! were submitted, each in the buffer it was filled in (no copy).
//!
//! - **Serial** (`N = 1`): one buffer; a submitted batch is processed on
//!   the spot.
//! - **Parallel**: `N + 2` buffers (one being filled or drained by the
//!   caller, `N` being processed, one done and waiting its turn), so memory
//!   is bounded whatever the stream's length. Workers are started with the
//!   first batch that is not the last one (a message under one batch never
//!   starts a thread), and are stopped and joined when the pipeline drops.
//! - **Order**: batches get consecutive numbers when submitted; results
//!   come back from the workers in any order and wait in a reorder window
//!   of at most `N + 2` slots until every earlier batch was handed back.
//! - **Allocation**: buffers are allocated once (lazily, up to the
//!   capacity) and recycled; the channels are bounded arrays. Nothing is
//!   allocated per batch in steady state.

use crate::batch::Batch;
use crate::job::Job;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// Serial, or the number of worker threads.
pub(crate) struct Pipeline<J: Job> {
    job: Arc<J>,
    workers: usize,
    pool: Option<Pool<J::Failure>>,
    /// The most buffers that exist at once.
    capacity: usize,
    allocated: usize,
    idle: Vec<Batch<J::Failure>>,
    /// The number the next submitted batch gets.
    next_seq: u64,
    /// Batches submitted and not yet handed back, oldest first: `Some`
    /// once processed. The front is batch `next_seq - window.len()`.
    window: VecDeque<Option<Batch<J::Failure>>>,
    /// A worker could not be reached: every later batch is processed on
    /// the calling thread.
    pool_broken: bool,
}

/// The worker threads, and the channels to and from them.
struct Pool<F> {
    jobs: Option<SyncSender<Batch<F>>>,
    results: Receiver<Batch<F>>,
    threads: Vec<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
}

impl<F> Drop for Pool<F> {
    fn drop(&mut self) {
        // Queued batches come back unprocessed; closing the job channel
        // ends every worker's loop.
        self.stop.store(true, Ordering::Release);
        self.jobs = None;
        for t in self.threads.drain(..) {
            // A worker never panics outside `catch_unwind`; if one did, its
            // batch is lost and the stream has already failed.
            let _ = t.join();
        }
    }
}

fn worker<J: Job>(
    job: &J,
    jobs: &Mutex<Receiver<Batch<J::Failure>>>,
    results: &SyncSender<Batch<J::Failure>>,
    stop: &AtomicBool,
) {
    loop {
        let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(mut batch) = next else { return };
        if !stop.load(Ordering::Acquire) && catch_unwind(AssertUnwindSafe(|| job.process(&mut batch))).is_err() {
            batch.panicked = true;
        }
        if results.send(batch).is_err() {
            return;
        }
    }
}

impl<F: Send + 'static> Pool<F> {
    /// Starts `n` workers; `None` if not even one thread could start.
    fn spawn<J: Job<Failure = F>>(job: &Arc<J>, n: usize, capacity: usize) -> Option<Self> {
        let (jobs_tx, jobs_rx) = mpsc::sync_channel::<Batch<F>>(capacity);
        let (results_tx, results_rx) = mpsc::sync_channel::<Batch<F>>(capacity);
        let jobs_rx = Arc::new(Mutex::new(jobs_rx));
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::with_capacity(n);
        for i in 0..n {
            let (job, jobs_rx, results_tx, stop) =
                (Arc::clone(job), Arc::clone(&jobs_rx), results_tx.clone(), Arc::clone(&stop));
            let spawned = std::thread::Builder::new()
                .name(format!("ebak-stream-{i}"))
                .spawn(move || worker(&*job, &jobs_rx, &results_tx, &stop));
            match spawned {
                Ok(t) => threads.push(t),
                // Fewer workers than asked still give the same bytes.
                Err(_) => break,
            }
        }
        if threads.is_empty() {
            return None;
        }
        Some(Self { jobs: Some(jobs_tx), results: results_rx, threads, stop })
    }
}

impl<J: Job> Pipeline<J> {
    /// A pipeline on `workers` threads (1: serial, on the calling thread).
    pub(crate) fn new(job: J, workers: usize) -> Self {
        let workers = workers.max(1);
        let capacity = crate::buffers_for(workers);
        Self {
            job: Arc::new(job),
            workers,
            pool: None,
            capacity,
            allocated: 0,
            idle: Vec::new(),
            next_seq: 0,
            window: VecDeque::with_capacity(capacity),
            pool_broken: false,
        }
    }

    /// The number the next submitted batch gets.
    #[cfg(test)]
    pub(crate) fn start_at(&mut self, seq: u64) {
        self.next_seq = seq;
    }

    /// An empty buffer, reset as the next batch of the stream (the one the
    /// next [`Pipeline::submit`] numbers), if fewer than the capacity are in
    /// use; otherwise the caller must take a batch back first.
    pub(crate) fn take_buffer(&mut self) -> Option<Batch<J::Failure>> {
        let mut batch = match self.idle.pop() {
            Some(b) => b,
            None if self.allocated < self.capacity => {
                self.allocated = self.allocated.saturating_add(1);
                Batch::new()
            }
            None => return None,
        };
        batch.reset(self.next_seq);
        Some(batch)
    }

    /// Gives a buffer back once the caller is done with its batch.
    pub(crate) fn recycle(&mut self, batch: Batch<J::Failure>) {
        self.idle.push(batch);
    }

    /// Batches submitted and not yet handed back.
    pub(crate) fn in_flight(&self) -> usize {
        self.window.len()
    }

    /// Submits a filled batch (from [`Pipeline::take_buffer`], so its number
    /// is the next one). `last`: no batch follows, so a pipeline that has
    /// not started its workers yet processes it on the calling thread.
    pub(crate) fn submit(&mut self, mut batch: Batch<J::Failure>, last: bool) {
        self.next_seq = self.next_seq.saturating_add(1);
        if self.workers > 1 && !self.pool_broken && (self.pool.is_some() || !last) {
            if self.pool.is_none() {
                self.pool = Pool::spawn(&self.job, self.workers, self.capacity);
            }
            if let Some(tx) = self.pool.as_ref().and_then(|p| p.jobs.as_ref()) {
                match tx.send(batch) {
                    Ok(()) => {
                        self.window.push_back(None);
                        return;
                    }
                    // Every worker is gone: the batch comes back, and this
                    // and every later one is processed here.
                    Err(mpsc::SendError(b)) => batch = b,
                }
            }
            self.pool_broken = true;
        }
        self.job.process(&mut batch);
        self.window.push_back(Some(batch));
    }

    /// Files a result from a worker in its slot of the window.
    fn file(&mut self, batch: Batch<J::Failure>) {
        let base = self.next_seq.saturating_sub(self.window.len() as u64);
        let slot = batch.seq.checked_sub(base).and_then(|i| usize::try_from(i).ok());
        if let Some(entry) = slot.and_then(|i| self.window.get_mut(i)) {
            *entry = Some(batch);
        }
    }

    /// The oldest batch submitted and not yet handed back, once processed
    /// (blocking until it is); `None` if no batch is in flight.
    pub(crate) fn next_done(&mut self) -> Option<Batch<J::Failure>> {
        loop {
            match self.window.front() {
                None => return None,
                Some(Some(_)) => return self.window.pop_front().flatten(),
                Some(None) => {}
            }
            let received = self.pool.as_ref().map(|p| p.results.recv());
            match received {
                Some(Ok(batch)) => self.file(batch),
                // No worker can answer any more (none survives a panic
                // outside `catch_unwind`): the oldest batch is lost, and
                // the stream fails on it.
                Some(Err(_)) | None => return self.lost_batch(),
            }
        }
    }

    /// The oldest batch, if it is already processed (never blocks).
    pub(crate) fn try_next_done(&mut self) -> Option<Batch<J::Failure>> {
        loop {
            match self.window.front() {
                None => return None,
                Some(Some(_)) => return self.window.pop_front().flatten(),
                Some(None) => {}
            }
            let received = self.pool.as_ref().map(|p| p.results.try_recv());
            match received {
                Some(Ok(batch)) => self.file(batch),
                Some(Err(TryRecvError::Empty)) => return None,
                Some(Err(TryRecvError::Disconnected)) | None => return self.lost_batch(),
            }
        }
    }

    /// A stand-in for a batch a worker lost: marked as panicked, so that
    /// the caller fails the stream on it.
    fn lost_batch(&mut self) -> Option<Batch<J::Failure>> {
        self.window.pop_front()?;
        self.pool_broken = true;
        let mut b = self.idle.pop().unwrap_or_else(Batch::new);
        b.reset(self.next_seq.saturating_sub(self.window.len() as u64).saturating_sub(1));
        b.panicked = true;
        Some(b)
    }
}
