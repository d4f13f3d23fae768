//! Where events go. A [`Sink`] takes each event without blocking the
//! request that made it: the ring is a short lock, the file a bounded
//! queue to a writer thread, and [`Queued`] puts any slow destination (a
//! database, a network log) behind such a queue, counting what it drops.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::Event;
use crate::writer::LineWriter;

/// What a sink did with the events it was given: each one is written,
/// dropped (queue full, or the destination failed), or still queued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinkStats {
    pub written: u64,
    pub dropped: u64,
    /// Failed attempts to write (a batch may hold many events).
    pub errors: u64,
}

pub trait Sink: Send + Sync {
    /// For metrics (`sink="file"`).
    fn name(&self) -> &'static str;
    /// Takes the event; never blocks for long.
    fn record(&self, ev: &Arc<Event>);
    /// Waits (bounded) until what was given so far is written.
    fn flush(&self) {}
    /// Reopens files (log rotation).
    fn reopen(&self) {}
    fn stats(&self) -> SinkStats;
}

/// The newest events in memory, for the admin API.
pub struct Ring {
    events: Mutex<VecDeque<Arc<Event>>>,
    cap: AtomicU64,
    written: AtomicU64,
}

impl Ring {
    pub fn new(cap: usize) -> Self {
        Self {
            events: Mutex::new(VecDeque::with_capacity(cap.min(4096))),
            cap: AtomicU64::new(cap.max(1) as u64),
            written: AtomicU64::new(0),
        }
    }

    /// Keeps at most `cap` events from now on (a reload that changed
    /// `ring_size` keeps what it holds, trimmed).
    pub fn resize(&self, cap: usize) {
        self.cap.store(cap.max(1) as u64, Ordering::Relaxed);
        if let Ok(mut r) = self.events.lock() {
            while r.len() > cap.max(1) {
                r.pop_front();
            }
        }
    }

    /// The newest `limit` events, newest first.
    pub fn recent(&self, limit: usize) -> Vec<Arc<Event>> {
        self.events.lock().map(|r| r.iter().rev().take(limit).cloned().collect()).unwrap_or_default()
    }

    /// Looks an event up by id.
    pub fn get(&self, id: &str) -> Option<Arc<Event>> {
        self.events.lock().ok()?.iter().rev().find(|e| e.id == id).cloned()
    }
}

impl Sink for Ring {
    fn name(&self) -> &'static str {
        "ring"
    }

    fn record(&self, ev: &Arc<Event>) {
        let cap = self.cap.load(Ordering::Relaxed) as usize;
        if let Ok(mut r) = self.events.lock() {
            while r.len() >= cap {
                r.pop_front();
            }
            r.push_back(ev.clone());
        }
        self.written.fetch_add(1, Ordering::Relaxed);
    }

    fn stats(&self) -> SinkStats {
        SinkStats { written: self.written.load(Ordering::Relaxed), ..Default::default() }
    }
}

/// Events as JSON lines in a file (written whole; see [`LineWriter`]).
pub struct FileSink {
    writer: LineWriter,
}

impl FileSink {
    pub fn open(path: PathBuf) -> std::io::Result<Self> {
        Ok(Self { writer: LineWriter::open(path, "events")? })
    }

    pub fn path(&self) -> &std::path::Path {
        &self.writer.path
    }
}

impl Sink for FileSink {
    fn name(&self) -> &'static str {
        "file"
    }

    fn record(&self, ev: &Arc<Event>) {
        match serde_json::to_string(&**ev) {
            Ok(line) => self.writer.write_line(line),
            Err(e) => {
                tracing::error!("event {} could not be serialized: {e}", ev.id);
                self.writer.stats.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn flush(&self) {
        self.writer.flush();
    }

    fn reopen(&self) {
        self.writer.reopen();
    }

    fn stats(&self) -> SinkStats {
        let s = &self.writer.stats;
        SinkStats {
            written: s.written.load(Ordering::Relaxed),
            dropped: s.dropped.load(Ordering::Relaxed),
            errors: s.errors.load(Ordering::Relaxed),
        }
    }
}

/// What a [`Queued`] sink's thread does with a batch: write all of it, or
/// fail (then the whole batch counts as dropped).
pub trait Deliver: Send + 'static {
    fn deliver(&mut self, batch: &[Arc<Event>]) -> Result<(), String>;
    /// Called on the sink's thread about every 100 ms, events or not
    /// (periodic work: checkpoints, counters, retention).
    fn tick(&mut self) {}
    /// Called when someone waits for everything to be written (shutdown,
    /// a test): periodic work that is pending is done now.
    fn flush(&mut self) {}
}

enum Msg {
    Event(Arc<Event>),
    Flush(SyncSender<()>),
}

/// Any slow destination behind a bounded queue and a thread of its own,
/// delivering in batches; a full queue drops (and counts) instead of
/// waiting.
pub struct Queued {
    name: &'static str,
    tx: SyncSender<Msg>,
    stats: Arc<Counters>,
}

#[derive(Default)]
struct Counters {
    written: AtomicU64,
    dropped: AtomicU64,
    errors: AtomicU64,
}

/// Most events handed to the deliverer at once.
const BATCH: usize = 512;

impl Queued {
    pub fn new(name: &'static str, capacity: usize, mut d: impl Deliver) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel::<Msg>(capacity.max(1));
        let stats = Arc::new(Counters::default());
        let st = stats.clone();
        std::thread::Builder::new().name(format!("haetae-{name}-sink")).spawn(move || run(rx, &mut d, &st, name))?;
        Ok(Self { name, tx, stats })
    }
}

fn run(rx: Receiver<Msg>, d: &mut impl Deliver, st: &Counters, name: &str) {
    let mut batch: Vec<Arc<Event>> = Vec::with_capacity(BATCH);
    let mut waiting: Vec<SyncSender<()>> = Vec::new();
    let mut failing = false;
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Msg::Event(e)) => batch.push(e),
            Ok(Msg::Flush(done)) => waiting.push(done),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                deliver(d, &mut batch, st, name, &mut failing);
                d.flush();
                return;
            }
        }
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(Msg::Event(e)) => batch.push(e),
                Ok(Msg::Flush(done)) => waiting.push(done),
                Err(_) => break,
            }
        }
        deliver(d, &mut batch, st, name, &mut failing);
        d.tick();
        if !waiting.is_empty() {
            d.flush();
        }
        for w in waiting.drain(..) {
            let _ = w.send(());
        }
    }
}

fn deliver(d: &mut impl Deliver, batch: &mut Vec<Arc<Event>>, st: &Counters, name: &str, failing: &mut bool) {
    if batch.is_empty() {
        return;
    }
    match d.deliver(batch) {
        Ok(()) => {
            st.written.fetch_add(batch.len() as u64, Ordering::Relaxed);
            if *failing {
                tracing::info!("{name} event sink: writing again");
            }
            *failing = false;
        }
        Err(e) => {
            st.errors.fetch_add(1, Ordering::Relaxed);
            st.dropped.fetch_add(batch.len() as u64, Ordering::Relaxed);
            if !*failing {
                tracing::error!("{name} event sink: {} event(s) lost: {e}", batch.len());
            }
            *failing = true;
        }
    }
    batch.clear();
}

impl Sink for Queued {
    fn name(&self) -> &'static str {
        self.name
    }

    fn record(&self, ev: &Arc<Event>) {
        match self.tx.try_send(Msg::Event(ev.clone())) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn flush(&self) {
        let (tx, rx) = sync_channel(1);
        // Blocks only while the queue is full: the flush waits its turn.
        if self.tx.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.recv_timeout(Duration::from_secs(5));
        }
    }

    fn stats(&self) -> SinkStats {
        SinkStats {
            written: self.stats.written.load(Ordering::Relaxed),
            dropped: self.stats.dropped.load(Ordering::Relaxed),
            errors: self.stats.errors.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::ev;

    struct Stuck(Arc<Mutex<()>>, Arc<AtomicU64>);

    impl Deliver for Stuck {
        fn deliver(&mut self, batch: &[Arc<Event>]) -> Result<(), String> {
            let _held = self.0.lock().map_err(|e| e.to_string())?;
            self.1.fetch_add(batch.len() as u64, Ordering::Relaxed);
            Ok(())
        }
    }

    #[test]
    fn a_stuck_destination_never_blocks_and_every_drop_is_counted() {
        let gate = Arc::new(Mutex::new(()));
        let seen = Arc::new(AtomicU64::new(0));
        let held = gate.lock().unwrap();
        let q = Queued::new("test", 8, Stuck(gate.clone(), seen.clone())).unwrap();
        let t = std::time::Instant::now();
        for i in 0..1000 {
            q.record(&Arc::new(ev(&i.to_string())));
        }
        assert!(t.elapsed() < Duration::from_millis(500), "recording must not wait on the destination");
        drop(held);
        q.flush();
        let s = q.stats();
        assert_eq!(s.written + s.dropped, 1000, "{s:?}");
        assert!(s.dropped > 0);
        assert_eq!(seen.load(Ordering::Relaxed), s.written);
    }

    struct Failing;

    impl Deliver for Failing {
        fn deliver(&mut self, _: &[Arc<Event>]) -> Result<(), String> {
            Err("database is down".into())
        }
    }

    #[test]
    fn a_failing_destination_drops_its_batches_counted() {
        let q = Queued::new("down", 64, Failing).unwrap();
        for i in 0..10 {
            q.record(&Arc::new(ev(&i.to_string())));
        }
        q.flush();
        assert_eq!(q.stats().dropped, 10);
        assert!(q.stats().errors >= 1);
    }

    #[test]
    fn the_ring_keeps_the_newest_and_resizes() {
        let r = Ring::new(3);
        for i in 0..5 {
            r.record(&Arc::new(ev(&i.to_string())));
        }
        let ids: Vec<_> = r.recent(10).iter().map(|e| e.id.clone()).collect();
        assert_eq!(ids, ["4", "3", "2"]);
        r.resize(2);
        assert_eq!(r.recent(10).len(), 2);
        assert!(r.get("4").is_some() && r.get("2").is_none());
    }
}
