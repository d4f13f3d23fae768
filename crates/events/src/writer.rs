//! Appends lines to a file from a background thread. The request path only
//! pushes into a bounded queue; if the disk stalls long enough to fill it,
//! lines are counted as dropped (and the count is exported) rather than
//! blocking requests. Write errors (a full disk) are logged once per burst
//! and counted; the writer keeps trying, so logging resumes when space
//! returns.

use std::fs::{File, OpenOptions};
use std::io::Write;
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

/// Every line handed to the writer ends up counted once: `written` (whole
/// in the file) or `dropped` (the queue was full, or the write failed);
/// `errors` counts failed write attempts.
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
        let file = open_terminated(&path)?;
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

/// What the writer needs of its file: appending, its length, and cutting
/// it back (a fake in the tests fails on demand, as a full disk does).
pub trait LogFile {
    fn append(&mut self, buf: &[u8]) -> std::io::Result<usize>;
    fn size(&mut self) -> std::io::Result<u64>;
    fn truncate(&mut self, len: u64) -> std::io::Result<()>;
}

impl LogFile for File {
    fn append(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write(buf)
    }
    fn size(&mut self) -> std::io::Result<u64> {
        self.metadata().map(|m| m.len())
    }
    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        self.set_len(len)
    }
}

/// Whole lines, batched. A line is either entirely in the file or counted
/// as dropped: when a write fails half-way (a full disk), the file is cut
/// back to the end of the last whole line, so the next record never glues
/// onto a partial one.
pub struct Batch<F: LogFile> {
    file: F,
    buf: Vec<u8>,
    /// End of each line in `buf`.
    ends: Vec<usize>,
    /// Length of the file as far as whole lines go; `None` when unknown.
    pos: Option<u64>,
    failing: bool,
}

/// Written whole lines, lost lines, and whether this attempt failed.
pub struct Flushed {
    pub written: u64,
    pub lost: u64,
    pub error: Option<std::io::Error>,
}

impl<F: LogFile> Batch<F> {
    pub fn new(mut file: F) -> Self {
        let pos = file.size().ok();
        Self { file, buf: Vec::with_capacity(64 * 1024), ends: Vec::new(), pos, failing: false }
    }

    pub fn push(&mut self, line: &str) {
        self.buf.extend_from_slice(line.as_bytes());
        self.buf.push(b'\n');
        self.ends.push(self.buf.len());
    }

    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    pub fn flush(&mut self) -> Flushed {
        let lines = self.ends.len() as u64;
        if lines == 0 {
            return Flushed { written: 0, lost: 0, error: None };
        }
        let start = match self.pos {
            Some(p) => p,
            None => match self.file.size() {
                Ok(p) => p,
                Err(e) => return self.lose_all(e),
            },
        };
        let mut done = 0;
        let err = loop {
            if done == self.buf.len() {
                break None;
            }
            match self.file.append(&self.buf[done..]) {
                Ok(0) => break Some(std::io::Error::new(std::io::ErrorKind::WriteZero, "wrote nothing")),
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Some(e),
            }
        };
        let Some(e) = err else {
            self.pos = Some(start + self.buf.len() as u64);
            self.buf.clear();
            self.ends.clear();
            self.failing = false;
            return Flushed { written: lines, lost: 0, error: None };
        };
        // Keep the lines that landed whole; cut the partial one off.
        let kept = self.ends.iter().take_while(|&&end| end <= done).count();
        let keep_bytes = if kept == 0 { 0 } else { self.ends[kept - 1] };
        if done > keep_bytes {
            match self.file.truncate(start + keep_bytes as u64) {
                Ok(()) => self.pos = Some(start + keep_bytes as u64),
                // Cannot cut: the next flush starts with a newline so no
                // record is glued to the partial one.
                Err(_) => {
                    self.pos = None;
                    self.buf.clear();
                    self.ends.clear();
                    self.buf.push(b'\n');
                    self.ends.push(1);
                    return Flushed { written: kept as u64, lost: lines - kept as u64, error: Some(e) };
                }
            }
        } else {
            self.pos = Some(start + done as u64);
        }
        self.buf.clear();
        self.ends.clear();
        Flushed { written: kept as u64, lost: lines - kept as u64, error: Some(e) }
    }

    fn lose_all(&mut self, e: std::io::Error) -> Flushed {
        let lost = self.ends.len() as u64;
        self.buf.clear();
        self.ends.clear();
        Flushed { written: 0, lost, error: Some(e) }
    }

    /// Replaces the file (after log rotation), flushing first.
    pub fn reopen(&mut self, file: F) -> Flushed {
        let f = self.flush();
        *self = Batch::new(file);
        f
    }
}

/// Opens the log and makes sure a line left partial by a crash (or an
/// older version) ends, so the next record starts on a line of its own.
fn open_terminated(path: &PathBuf) -> std::io::Result<File> {
    let f = open(path)?;
    use std::io::{Read, Seek, SeekFrom};
    if let Ok(mut r) = File::open(path)
        && r.seek(SeekFrom::End(-1)).is_ok()
    {
        let mut last = [0u8; 1];
        if r.read_exact(&mut last).is_ok() && last[0] != b'\n' {
            (&f).write_all(b"\n")?;
        }
    }
    Ok(f)
}

fn run(rx: Receiver<Msg>, file: File, path: PathBuf, st: Arc<WriterStats>, what: &'static str) {
    let mut batch = Batch::new(file);
    let account = |f: Flushed, batch_failing: &mut bool| {
        st.written.fetch_add(f.written, Ordering::Relaxed);
        st.dropped.fetch_add(f.lost, Ordering::Relaxed);
        match f.error {
            Some(e) => {
                st.errors.fetch_add(1, Ordering::Relaxed);
                if !*batch_failing {
                    tracing::error!("{what} log {}: write failed, {} record(s) lost: {e}", path.display(), f.lost);
                }
                *batch_failing = true;
            }
            None if f.written > 0 => *batch_failing = false,
            None => {}
        }
    };
    let mut failing = false;
    loop {
        let msg = match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => {
                account(batch.flush(), &mut failing);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => {
                account(batch.flush(), &mut failing);
                return;
            }
        };
        match msg {
            Msg::Line(l) => {
                batch.push(&l);
                // Take what else is queued, then write it in one go.
                while batch.pending() < 64 * 1024 {
                    match rx.try_recv() {
                        Ok(Msg::Line(l)) => batch.push(&l),
                        Ok(other) => {
                            account(batch.flush(), &mut failing);
                            handle(other, &mut batch, &path, what, &account, &mut failing);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                account(batch.flush(), &mut failing);
            }
            other => handle(other, &mut batch, &path, what, &account, &mut failing),
        }
    }
}

fn handle(msg: Msg, batch: &mut Batch<File>, path: &PathBuf, what: &'static str, account: &dyn Fn(Flushed, &mut bool), failing: &mut bool) {
    match msg {
        Msg::Line(l) => batch.push(&l),
        Msg::Flush(done) => {
            account(batch.flush(), failing);
            let _ = done.send(());
        }
        Msg::Reopen(done) => {
            match open_terminated(path) {
                Ok(f) => account(batch.reopen(f), failing),
                Err(e) => {
                    account(batch.flush(), failing);
                    tracing::error!("{what} log {}: reopen failed: {e}", path.display());
                }
            }
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file that takes `room` more bytes, then fails as a full disk does
    /// (a short write, then ENOSPC).
    struct Disk {
        data: Vec<u8>,
        room: usize,
    }

    impl LogFile for Disk {
        fn append(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::Error::from_raw_os_error(28));
            }
            let n = buf.len().min(self.room);
            self.data.extend_from_slice(&buf[..n]);
            self.room -= n;
            Ok(n)
        }
        fn size(&mut self) -> std::io::Result<u64> {
            Ok(self.data.len() as u64)
        }
        fn truncate(&mut self, len: u64) -> std::io::Result<()> {
            self.data.truncate(len as usize);
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_leaves_whole_lines_and_counts_every_lost_one() {
        let mut b = Batch::new(Disk { data: Vec::new(), room: 25 });
        for i in 0..5 {
            b.push(&format!("{{\"n\":{i}}}"));
        }
        // 8 bytes a line: three fit whole, the fourth is cut at 1 byte.
        let f = b.flush();
        assert_eq!((f.written, f.lost), (3, 2));
        assert!(f.error.is_some());
        assert_eq!(b.file.data, b"{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n");
        // Still full: everything lost, nothing half-written.
        b.push("{\"n\":5}");
        let f = b.flush();
        assert_eq!((f.written, f.lost), (0, 1));
        // Space returns: the next line starts on its own line.
        b.file.room = 1000;
        b.push("{\"n\":6}");
        let f = b.flush();
        assert_eq!((f.written, f.lost), (1, 0));
        let text = String::from_utf8(b.file.data.clone()).unwrap();
        for l in text.lines() {
            serde_json::from_str::<serde_json::Value>(l).unwrap();
        }
        assert_eq!(text.lines().count(), 4);
    }
}
