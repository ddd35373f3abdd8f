//! A fixed set of connections shared by the blocking worker threads: a
//! caller takes one, uses it, and puts it back; with none free, it waits.

use std::sync::{Condvar, Mutex, PoisonError};

/// A pool of `C`.
#[derive(Debug)]
pub(crate) struct Pool<C> {
    idle: Mutex<Vec<C>>,
    freed: Condvar,
}

impl<C> Pool<C> {
    pub(crate) fn new(connections: Vec<C>) -> Self {
        Self { idle: Mutex::new(connections), freed: Condvar::new() }
    }

    /// Runs `f` with a connection. A panic in `f` loses that connection
    /// (the pool shrinks) rather than returning one in an unknown state.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut C) -> T) -> T {
        let mut conn = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                if let Some(c) = idle.pop() {
                    break c;
                }
                idle = self.freed.wait(idle).unwrap_or_else(PoisonError::into_inner);
            }
        };
        let out = f(&mut conn);
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(conn);
        self.freed.notify_one();
        out
    }
}
