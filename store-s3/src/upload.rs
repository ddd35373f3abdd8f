//! [`S3Upload`]: a streaming multipart upload with bounded memory.
//!
//! Bytes fill one part buffer; a full buffer is handed to the runtime as a
//! part upload, and the writer goes on filling the next while at most
//! `parts_in_flight` parts travel: memory stays at `parts_in_flight + 1`
//! parts whatever the object's size. The multipart upload is created when
//! the first part fills; an object smaller than one part is one PUT at
//! commit. Either way S3 shows the object under its name only when the
//! final request (the PUT, or CompleteMultipartUpload) succeeds: parts of
//! an unfinished upload are never an object.
//!
//! [`PutMode::Create`] is `If-None-Match: *` on that final request: S3
//! answers 412 (or 409 when another completion races it) if the name is
//! taken, and the upload is aborted.
//!
//! Aborting (an error, a drop, [`Upload::abort`], the [`AbortHandle`] from
//! a signal handler) cancels the part uploads in flight and sends
//! AbortMultipartUpload, so that the server frees the parts.

use crate::config::{MAX_PART_SIZE_BYTES, MAX_PARTS};
use crate::error::{self, Op};
use crate::{Inner, block_on};
use ebak::store::{AbortHandle, PutMode, StoreError, Upload};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{MultipartId, ObjectStore, PutOptions, PutPayload};
use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::task::JoinHandle;

/// How long an abort may wait for the server (an interrupted command
/// waits for it before exiting).
const ABORT_TIMEOUT: Duration = Duration::from_secs(20);

/// Where an upload stands, shared with its [`AbortHandle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Open,
    Committed,
    Aborted,
}

struct State {
    phase: Phase,
    /// The multipart upload, once created.
    upload_id: Option<MultipartId>,
    /// The part uploads in flight, to cancel on an abort.
    tasks: Vec<tokio::task::AbortHandle>,
}

/// What an upload and its abort handle share.
struct Shared {
    inner: Arc<Inner>,
    path: Path,
    location: String,
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the state whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Aborts the upload if it is still open: cancels the parts in flight
    /// and aborts the multipart upload on the server.
    fn abort(&self) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.phase != Phase::Open {
            return Ok(());
        }
        state.phase = Phase::Aborted;
        for task in state.tasks.drain(..) {
            task.abort();
        }
        let Some(id) = state.upload_id.take() else { return Ok(()) };
        let store = Arc::clone(&self.inner.store);
        let path = self.path.clone();
        // Bounded: a signal handler waits for this before the process exits.
        // (The timer is made inside the runtime, where it is driven.)
        let abort = async move { tokio::time::timeout(ABORT_TIMEOUT, store.abort_multipart(&path, &id)).await };
        match block_on(&self.inner.runtime, abort) {
            Ok(done) => done.map_err(|e| self.error(&e, Op::Write, "abort the upload of")),
            Err(_) => Err(StoreError::io(
                "abort the upload of",
                self.location.clone(),
                io::Error::new(io::ErrorKind::TimedOut, "the server did not answer in time"),
            )),
        }
    }

    fn error(&self, e: &object_store::Error, op: Op, what: &'static str) -> StoreError {
        error::map(e, op, what, &self.location, self.inner.credentials.as_ref())
    }
}

/// A staged write of one object (see the module docs).
pub(crate) struct S3Upload {
    shared: Arc<Shared>,
    mode: PutMode,
    /// The part being filled.
    buffer: Vec<u8>,
    /// Parts uploaded, in order.
    parts: Vec<PartId>,
    /// Parts travelling, oldest first.
    in_flight: VecDeque<JoinHandle<object_store::Result<PartId>>>,
    /// The index of the next part to send.
    next_part: usize,
    /// The first failure: every later write and the commit report it.
    failed: Option<StoreError>,
}

impl S3Upload {
    pub(crate) fn new(inner: Arc<Inner>, path: Path, location: String, mode: PutMode) -> Self {
        let state = State { phase: Phase::Open, upload_id: None, tasks: Vec::new() };
        Self {
            shared: Arc::new(Shared { inner, path, location, state: Mutex::new(state) }),
            mode,
            buffer: Vec::new(),
            parts: Vec::new(),
            in_flight: VecDeque::new(),
            next_part: 0,
            failed: None,
        }
    }

    /// The size of part `index`: the configured size for the first 1000
    /// parts, doubling every 1000 parts after (capped at S3's 5 GiB), so
    /// that the 10 000 parts S3 allows hold far more than 10 000 × 8 MiB.
    fn part_size(&self, index: usize) -> usize {
        let doublings = u32::try_from(index / 1000).unwrap_or(u32::MAX).min(10);
        self.shared.inner.part_size_bytes.checked_shl(doublings).unwrap_or(MAX_PART_SIZE_BYTES).min(MAX_PART_SIZE_BYTES)
    }

    fn fail(&mut self, e: StoreError) -> io::Error {
        let out = io::Error::new(e.kind(), e.to_string());
        if self.failed.is_none() {
            self.failed = Some(e);
        }
        out
    }

    fn check_open(&self) -> Result<(), StoreError> {
        if let Some(e) = &self.failed {
            return Err(copy_error(e));
        }
        match self.shared.state().phase {
            Phase::Open => Ok(()),
            Phase::Committed | Phase::Aborted => Err(ended(&self.shared.location)),
        }
    }

    /// The multipart upload's ID, created now if it is not yet.
    fn upload_id(&self) -> Result<MultipartId, StoreError> {
        let mut state = self.shared.state();
        if state.phase != Phase::Open {
            return Err(ended(&self.shared.location));
        }
        if let Some(id) = &state.upload_id {
            return Ok(id.clone());
        }
        // The lock is held across the request: an abort handle called
        // meanwhile waits, then aborts the upload this creates.
        let store = Arc::clone(&self.shared.inner.store);
        let path = self.shared.path.clone();
        let id = block_on(&self.shared.inner.runtime, async move { store.create_multipart(&path).await })
            .map_err(|e| self.shared.error(&e, Op::Write, "start the upload of"))?;
        state.upload_id = Some(id.clone());
        Ok(id)
    }

    /// Waits for the oldest part in flight.
    fn wait_oldest(&mut self) -> Result<(), StoreError> {
        let Some(task) = self.in_flight.pop_front() else { return Ok(()) };
        let done = block_on(&self.shared.inner.runtime, task);
        match done {
            Ok(Ok(part)) => {
                self.parts.push(part);
                Ok(())
            }
            Ok(Err(e)) => Err(self.shared.error(&e, Op::Write, "upload a part of")),
            // Cancelled by an abort (or the task panicked).
            Err(_) => Err(ended(&self.shared.location)),
        }
    }

    /// Sends the full buffer as the next part.
    fn send_part(&mut self) -> Result<(), StoreError> {
        if self.next_part >= MAX_PARTS {
            return Err(StoreError::io(
                "write",
                self.shared.location.clone(),
                io::Error::new(io::ErrorKind::FileTooLarge, "the object would need more than 10 000 parts"),
            ));
        }
        let id = self.upload_id()?;
        while self.in_flight.len() >= self.shared.inner.parts_in_flight {
            self.wait_oldest()?;
        }
        let next_size = self.part_size(self.next_part.saturating_add(1));
        let payload = PutPayload::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(next_size)));
        let store = Arc::clone(&self.shared.inner.store);
        let path = self.shared.path.clone();
        let index = self.next_part;
        let mut state = self.shared.state();
        if state.phase != Phase::Open {
            return Err(ended(&self.shared.location));
        }
        let task = self.shared.inner.runtime.spawn(async move { store.put_part(&path, &id, index, payload).await });
        state.tasks.retain(|t| !t.is_finished());
        state.tasks.push(task.abort_handle());
        drop(state);
        self.in_flight.push_back(task);
        self.next_part = self.next_part.saturating_add(1);
        Ok(())
    }

    fn finish(&mut self) -> Result<(), StoreError> {
        self.check_open()?;
        let multipart = self.shared.state().upload_id.is_some();
        if !multipart {
            return self.put_whole();
        }
        if !self.buffer.is_empty() {
            self.send_part()?;
        }
        while !self.in_flight.is_empty() {
            self.wait_oldest()?;
        }
        let mut state = self.shared.state();
        if state.phase != Phase::Open {
            return Err(ended(&self.shared.location));
        }
        let Some(id) = state.upload_id.clone() else { return Err(ended(&self.shared.location)) };
        // Create completes through the client that sends If-None-Match: *.
        let (store, op) = match self.mode {
            PutMode::Create => (Arc::clone(&self.shared.inner.create_store), Op::Create),
            PutMode::Overwrite => (Arc::clone(&self.shared.inner.store), Op::Write),
        };
        let path = self.shared.path.clone();
        let parts = std::mem::take(&mut self.parts);
        // The lock is held: an abort handle waits for the outcome.
        let done =
            block_on(&self.shared.inner.runtime, async move { store.complete_multipart(&path, &id, parts).await });
        match done {
            Ok(_) => {
                state.phase = Phase::Committed;
                state.upload_id = None;
                Ok(())
            }
            Err(e) => Err(self.shared.error(&e, op, "complete the upload of")),
        }
    }

    /// An object smaller than one part: one PUT.
    fn put_whole(&mut self) -> Result<(), StoreError> {
        let mut state = self.shared.state();
        if state.phase != Phase::Open {
            return Err(ended(&self.shared.location));
        }
        let store = Arc::clone(&self.shared.inner.store);
        let path = self.shared.path.clone();
        let payload = PutPayload::from(std::mem::take(&mut self.buffer));
        let (opts, op) = match self.mode {
            PutMode::Create => (PutOptions::from(object_store::PutMode::Create), Op::Create),
            PutMode::Overwrite => (PutOptions::from(object_store::PutMode::Overwrite), Op::Write),
        };
        let done = block_on(&self.shared.inner.runtime, async move { store.put_opts(&path, payload, opts).await });
        match done {
            Ok(_) => {
                state.phase = Phase::Committed;
                Ok(())
            }
            Err(object_store::Error::AlreadyExists { .. }) if op == Op::Create => {
                state.phase = Phase::Aborted;
                Err(StoreError::AlreadyExists { location: self.shared.location.clone() })
            }
            Err(e) => {
                state.phase = Phase::Aborted;
                Err(self.shared.error(&e, op, "write"))
            }
        }
    }
}

fn ended(location: &str) -> StoreError {
    StoreError::io("write", location.to_owned(), io::Error::other("the upload was aborted or has ended"))
}

/// A copy of a sticky error, for the calls after the first that failed.
fn copy_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::NotFound { location } => StoreError::NotFound { location: location.clone() },
        StoreError::AlreadyExists { location } => StoreError::AlreadyExists { location: location.clone() },
        StoreError::InvalidName { name } => StoreError::InvalidName { name: name.clone() },
        StoreError::Denied { location, reason } => {
            StoreError::Denied { location: location.clone(), reason: reason.clone() }
        }
        StoreError::Io { op, location, source } => {
            StoreError::io(op, location.clone(), io::Error::new(source.kind(), source.to_string()))
        }
        other => StoreError::io("write", String::new(), io::Error::other(other.to_string())),
    }
}

impl Write for S3Upload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Err(e) = self.check_open() {
            return Err(self.fail(e));
        }
        let size = self.part_size(self.next_part);
        if self.buffer.len() >= size {
            // The buffer is sent only once more bytes come, so that the
            // final part is never empty.
            if let Err(e) = self.send_part() {
                let _ = self.shared.abort();
                return Err(self.fail(e));
            }
        }
        if self.buffer.capacity() == 0 {
            self.buffer.reserve_exact(size);
        }
        let room = size.saturating_sub(self.buffer.len());
        let n = room.min(buf.len());
        self.buffer.extend_from_slice(buf.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        // Bytes reach the server a part at a time; nothing to push early.
        Ok(())
    }
}

impl Upload for S3Upload {
    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        let result = self.finish();
        if result.is_err() {
            // Nothing stays staged on the server; the commit's error is
            // the one to report.
            let _ = self.shared.abort();
        }
        result
    }

    fn abort(self: Box<Self>) -> Result<(), StoreError> {
        self.shared.abort()
    }

    fn abort_handle(&self) -> AbortHandle {
        let shared = Arc::clone(&self.shared);
        AbortHandle::new(move || {
            let _ = shared.abort();
        })
    }
}

impl Drop for S3Upload {
    fn drop(&mut self) {
        let _ = self.shared.abort();
    }
}
