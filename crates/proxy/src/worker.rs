//! Which worker the current thread is. Each worker is a thread with its
//! own single-threaded runtime; connections stay on the worker that
//! accepted them, and per-worker state (idle upstream connections,
//! connection counts) is indexed by this id.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

static WORKERS: AtomicUsize = AtomicUsize::new(1);

thread_local! {
    static WORKER: Cell<usize> = const { Cell::new(0) };
}

/// Sets the number of workers; once at start, before pools are built.
pub fn set_count(n: usize) {
    WORKERS.store(n.max(1), Relaxed);
}

pub fn count() -> usize {
    WORKERS.load(Relaxed)
}

/// Marks the calling thread as worker `id`.
pub fn set_current(id: usize) {
    WORKER.with(|w| w.set(id));
}

/// The calling thread's worker id (0 for the main thread and any thread
/// that is not a worker).
pub fn current() -> usize {
    WORKER.with(Cell::get)
}
