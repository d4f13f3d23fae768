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

/// The CPUs this process may run on, in order (empty if unknown).
pub fn allowed_cpus() -> Vec<usize> {
    // SAFETY: `cpu_set_t` is plain data; the kernel fills it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &set)).collect()
    }
}

/// Pins the calling thread to `cpu`.
pub fn pin_to(cpu: usize) -> std::io::Result<()> {
    // SAFETY: as above; the set is built and read by the libc macros.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The CPU for each worker under `cpu_affinity = "auto"`: one each, from
/// the CPUs the process may use, when there are several workers and at
/// least as many CPUs. Otherwise none (the kernel places the threads):
/// one worker may run anywhere, and more workers than CPUs would share.
pub fn plan(workers: usize, allowed: &[usize]) -> Option<Vec<usize>> {
    (workers > 1 && workers <= allowed.len()).then(|| allowed[..workers].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_cpu_per_worker_or_none() {
        assert_eq!(plan(2, &[0, 1]), Some(vec![0, 1]));
        assert_eq!(plan(2, &[2, 5, 7]), Some(vec![2, 5]));
        assert_eq!(plan(1, &[0, 1]), None);
        assert_eq!(plan(3, &[0, 1]), None);
    }

    #[test]
    fn a_thread_can_be_pinned_to_an_allowed_cpu() {
        let cpus = allowed_cpus();
        assert!(!cpus.is_empty());
        let last = *cpus.last().unwrap();
        std::thread::spawn(move || {
            pin_to(last).unwrap();
            assert_eq!(allowed_cpus(), vec![last]);
        })
        .join()
        .unwrap();
    }
}
