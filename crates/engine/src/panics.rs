//! Detector panics, counted per detector. The engine has no I/O: the proxy
//! reads these counts for its metrics and logs each detector's first panic
//! (with where it happened) once.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static COUNTS: Mutex<Vec<(&'static str, u64)>> = Mutex::new(Vec::new());
/// First panic of each detector, not yet taken by [`take_first`].
static FIRST: Mutex<Vec<(&'static str, String)>> = Mutex::new(Vec::new());
static NEW: AtomicBool = AtomicBool::new(false);
static TOTAL: AtomicU64 = AtomicU64::new(0);

pub(crate) fn note(detector: &'static str, location: &impl std::fmt::Display) {
    TOTAL.fetch_add(1, Ordering::Relaxed);
    let mut c = COUNTS.lock().unwrap_or_else(|e| e.into_inner());
    match c.iter_mut().find(|(d, _)| *d == detector) {
        Some((_, n)) => *n += 1,
        None => {
            c.push((detector, 1));
            FIRST.lock().unwrap_or_else(|e| e.into_inner()).push((detector, location.to_string()));
            NEW.store(true, Ordering::Release);
        }
    }
}

/// Panics so far, per detector.
pub fn counts() -> Vec<(&'static str, u64)> {
    COUNTS.lock().map(|c| c.clone()).unwrap_or_default()
}

/// All panics so far (a cheap check for "anything new?").
pub fn total() -> u64 {
    TOTAL.load(Ordering::Relaxed)
}

/// Detectors that panicked for the first time since the last call, with
/// where (one atomic load when there are none).
pub fn take_first() -> Vec<(&'static str, String)> {
    // A load first: a swap on every request would write a line every
    // worker reads.
    if !NEW.load(Ordering::Acquire) || !NEW.swap(false, Ordering::AcqRel) {
        return Vec::new();
    }
    std::mem::take(&mut *FIRST.lock().unwrap_or_else(|e| e.into_inner()))
}
