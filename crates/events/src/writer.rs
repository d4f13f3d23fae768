//! Appends lines to a file from a background thread. The request path only
//! pushes into a bounded queue; if the disk stalls long enough to fill it,
//! lines are counted as dropped (and the count is exported) rather than
//! blocking requests. Write errors (a full disk) are logged once per burst
//! and counted; the writer keeps trying, so logging resumes when space
//! returns.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

enum Msg {
    Line(String),
    /// Reopen the file (after log rotation); reply when done.
    Reopen(SyncSender<()>),
    Flush(SyncSender<()>),
}

#[derive(Default)]
pub struct WriterStats {
    pub written: AtomicU64,
    pub dropped: AtomicU64,
    pub errors: AtomicU64,
}

pub struct LineWriter {
    tx: Mutex<Option<SyncSender<Msg>>>,
    pub stats: Arc<WriterStats>,
    pub path: PathBuf,
}

const QUEUE: usize = 16 * 1024;

fn open(path: &PathBuf) -> std::io::Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut o = OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Logs hold client data: owner-only by default (B4).
        o.mode(0o640);
    }
    o.open(path)
}

impl LineWriter {
    /// Opens (creating) `path` for appending; fails now, not later, if the
    /// file cannot be opened.
    pub fn open(path: PathBuf, what: &'static str) -> std::io::Result<Self> {
        let file = open(&path)?;
        let (tx, rx) = sync_channel(QUEUE);
        let stats = Arc::new(WriterStats::default());
        let st = stats.clone();
        let p = path.clone();
        std::thread::Builder::new().name(format!("haetae-{what}-writer")).spawn(move || run(rx, file, p, st, what))?;
        Ok(Self { tx: Mutex::new(Some(tx)), stats, path })
    }

    pub fn write_line(&self, line: String) {
        let Ok(g) = self.tx.lock() else { return };
        let Some(tx) = g.as_ref() else { return };
        match tx.try_send(Msg::Line(line)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn roundtrip(&self, make: impl FnOnce(SyncSender<()>) -> Msg) {
        let (tx, rx) = sync_channel(1);
        let sent = self.tx.lock().ok().and_then(|g| g.as_ref().map(|s| s.send(make(tx)).is_ok())).unwrap_or(false);
        if sent {
            let _ = rx.recv_timeout(Duration::from_secs(5));
        }
    }

    /// Blocks until queued lines are written.
    pub fn flush(&self) {
        self.roundtrip(Msg::Flush);
    }

    /// Reopens the file (for log rotation: SIGHUP after `mv`).
    pub fn reopen(&self) {
        self.roundtrip(Msg::Reopen);
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        self.flush();
        if let Ok(mut g) = self.tx.lock() {
            g.take();
        }
    }
}

fn run(rx: Receiver<Msg>, file: File, path: PathBuf, st: Arc<WriterStats>, what: &'static str) {
    let mut w = BufWriter::with_capacity(64 * 1024, file);
    let mut failing = false;
    let write = |w: &mut BufWriter<File>, line: &str, failing: &mut bool| {
        let r = w.write_all(line.as_bytes()).and_then(|_| w.write_all(b"\n"));
        match r {
            Ok(()) => {
                st.written.fetch_add(1, Ordering::Relaxed);
                *failing = false;
            }
            Err(e) => {
                st.errors.fetch_add(1, Ordering::Relaxed);
                if !*failing {
                    tracing::error!("{what} log {}: write failed: {e}", path.display());
                }
                *failing = true;
            }
        }
    };
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(Msg::Line(l)) => write(&mut w, &l, &mut failing),
            Ok(Msg::Flush(done)) => {
                let _ = w.flush();
                let _ = done.send(());
            }
            Ok(Msg::Reopen(done)) => {
                let _ = w.flush();
                match open(&path) {
                    Ok(f) => w = BufWriter::with_capacity(64 * 1024, f),
                    Err(e) => tracing::error!("{what} log {}: reopen failed: {e}", path.display()),
                }
                let _ = done.send(());
            }
            Err(RecvTimeoutError::Timeout) => {
                let _ = w.flush();
            }
            Err(RecvTimeoutError::Disconnected) => {
                let _ = w.flush();
                return;
            }
        }
    }
}
