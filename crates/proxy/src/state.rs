//! What every connection shares: the current runtime (swapped on reload),
//! the event sink, the access log and the metrics.

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::{ArcSwap, ArcSwapOption};
use haetae_config::{AccessLogFormat, Config};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use haetae_events::{AccessRecord, Event, Events, FileSink, LineWriter, Ring, Sink};

use crate::metrics::Metrics;
use crate::runtime::Runtime;

pub struct AccessLog {
    pub writer: LineWriter,
    pub format: AccessLogFormat,
}

impl AccessLog {
    pub fn write(&self, r: &AccessRecord) {
        let line = match self.format {
            AccessLogFormat::Json => serde_json::to_string(r).unwrap_or_default(),
            AccessLogFormat::Combined => r.combined(),
        };
        self.writer.write_line(line);
    }
}

pub struct Shared {
    pub rt: ArcSwap<Runtime>,
    /// The event fan-out of the current config; the ring in it lives as
    /// long as the process (a reload neither empties it nor resets the
    /// count of recorded events).
    pub events: ArcSwap<Events>,
    ring: Arc<Ring>,
    pub events_recorded: AtomicU64,
    pub access: ArcSwapOption<AccessLog>,
    pub metrics: Metrics,
    pub config_path: Option<PathBuf>,
    /// Inspections of large bodies running on the blocking pool at once
    /// (one per CPU).
    pub offload: Arc<tokio::sync::Semaphore>,
    /// Bumped when the process runs out of file descriptors: every client
    /// connection then closes once its request in flight is done (idle
    /// keep-alive ones at once), to make room.
    pub shed: tokio::sync::watch::Sender<u64>,
    /// The event store, when `[store]` is set and opened (a store that
    /// cannot be opened at start is reported and left out: the proxy
    /// serves, events go to the other sinks).
    pub store: Option<Arc<haetae_store::Store>>,
    store_sink: Option<Arc<dyn Sink>>,
    /// Per-site, per-minute counters the store drains.
    pub tally: Arc<haetae_events::tally::Tally>,
}

impl Shared {
    pub fn new(cfg: Config, config_path: Option<PathBuf>) -> Result<Arc<Self>, String> {
        let metrics = Metrics::default();
        let ring = Arc::new(Ring::new(cfg.events.ring_size));
        let tally = Arc::new(haetae_events::tally::Tally::default());
        let (store, store_sink) = match open_store(&cfg, &tally) {
            Ok(Some((s, sink))) => (Some(s), Some(sink)),
            Ok(None) => (None, None),
            Err(e) => {
                tracing::error!("event store: {e}; serving without it (events go to the other sinks)");
                (None, None)
            }
        };
        let events = open_events(&cfg, ring.clone(), None, store_sink.clone())?;
        let access = open_access(&cfg)?;
        let rt = Runtime::build(cfg, None, &metrics).map_err(|e| e.to_string())?;
        Ok(Arc::new(Self {
            rt: ArcSwap::from_pointee(rt),
            events: ArcSwap::from_pointee(events),
            ring,
            events_recorded: AtomicU64::new(0),
            access: ArcSwapOption::from(access.map(Arc::new)),
            metrics,
            config_path,
            shed: tokio::sync::watch::channel(0).0,
            offload: Arc::new(tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get()))),
            store,
            store_sink,
            tally,
        }))
    }

    /// Records a security event in every sink.
    pub fn record(&self, ev: Event) {
        self.events_recorded.fetch_add(1, Relaxed);
        self.events.load().record(ev);
    }

    pub fn ring(&self) -> &Arc<Ring> {
        &self.ring
    }

    /// Swaps in a new config. Log files are reopened (which also serves
    /// log rotation), and replaced if their path changed.
    pub fn apply(&self, cfg: Config) -> Result<(), String> {
        let old = self.rt.load_full();
        let access_changed = old.config.access_log.file != cfg.access_log.file || old.config.access_log.format != cfg.access_log.format;
        let same_file = old.config.events.file == cfg.events.file;
        if old.config.store != cfg.store {
            tracing::warn!("[store] changed: the new settings take effect at the next start");
        }
        let new_events = open_events(&cfg, self.ring.clone(), same_file.then(|| self.events.load_full()), self.store_sink.clone())?;
        let new_access = if access_changed { Some(open_access(&cfg)?) } else { None };
        let rt = Runtime::build(cfg, Some(&old), &self.metrics).map_err(|e| e.to_string())?;
        rt.spawn_health_checks();
        self.ring.resize(rt.config.events.ring_size);
        self.rt.store(Arc::new(rt));
        if same_file {
            new_events.reopen();
        }
        self.events.store(Arc::new(new_events));
        match new_access {
            Some(a) => self.access.store(a.map(Arc::new)),
            None => {
                if let Some(a) = self.access.load().as_ref() {
                    a.writer.reopen();
                }
            }
        }
        Ok(())
    }
}

/// The fan-out for `cfg`: the ring, then the events file (the previous
/// fan-out's sinks are kept when the file is the same).
fn open_events(cfg: &Config, ring: Arc<Ring>, keep: Option<Arc<Events>>, store: Option<Arc<dyn Sink>>) -> Result<Events, String> {
    if let Some(old) = keep {
        return Ok(Events::new(ring, old.sinks().to_vec()));
    }
    let mut sinks: Vec<Arc<dyn Sink>> = Vec::new();
    if let Some(p) = &cfg.events.file {
        let f = FileSink::open(p.clone()).map_err(|e| format!("events file {}: {e}", p.display()))?;
        sinks.push(Arc::new(f));
    }
    sinks.extend(store);
    Ok(Events::new(ring, sinks))
}

/// An open store and the sink that feeds it.
type StoreAndSink = (Arc<haetae_store::Store>, Arc<dyn Sink>);

/// The store `[store]` names, with its sink (fed by the tally).
fn open_store(cfg: &Config, tally: &Arc<haetae_events::tally::Tally>) -> Result<Option<StoreAndSink>, String> {
    let Some(sc) = store_config(cfg) else { return Ok(None) };
    let store = haetae_store::Store::open(sc).map_err(|e| e.to_string())?;
    let sink = store.sink(Some(tally.clone())).map_err(|e| e.to_string())?;
    tracing::info!("events stored in {}", store.config().describe());
    Ok(Some((store, Arc::new(sink))))
}

/// The store's settings from the config file (None without `[store]`).
pub fn store_config(cfg: &Config) -> Option<haetae_store::StoreConfig> {
    let s = cfg.store.as_ref()?;
    let backend = match (&s.path, &s.url) {
        (_, Some(u)) => haetae_store::Backend::Postgres(u.clone()),
        (Some(p), None) => haetae_store::Backend::Sqlite(p.clone()),
        (None, None) => return None,
    };
    let mut sc = haetae_store::StoreConfig::new(backend);
    if let Some(n) = &s.node {
        sc.node = n.clone();
    }
    if let Some(k) = &s.key {
        sc.key = k.clone();
    }
    sc.checkpoint_every = s.checkpoint_every;
    sc.checkpoint_interval = s.checkpoint_interval.0;
    sc.checkpoint_file = s.checkpoint_file.clone();
    sc.max_age = s.max_age.map(|d| d.0);
    sc.max_size = s.max_size.map(|b| b.0);
    sc.queue = s.queue;
    Some(sc)
}

fn open_access(cfg: &Config) -> Result<Option<AccessLog>, String> {
    cfg.access_log
        .file
        .clone()
        .map(|p| {
            let shown = p.display().to_string();
            LineWriter::open(p, "access")
                .map(|writer| AccessLog { writer, format: cfg.access_log.format })
                .map_err(|e| format!("access log {shown}: {e}"))
        })
        .transpose()
}
