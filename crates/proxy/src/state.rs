//! What every connection shares: the current runtime (swapped on reload),
//! the event sink, the access log and the metrics.

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::{ArcSwap, ArcSwapOption};
use haetae_config::{AccessLogFormat, Config};
use haetae_events::{AccessRecord, EventSink, LineWriter};

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
    pub events: ArcSwap<EventSink>,
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
}

impl Shared {
    pub fn new(cfg: Config, config_path: Option<PathBuf>) -> Result<Arc<Self>, String> {
        let metrics = Metrics::default();
        let events = open_events(&cfg)?;
        let access = open_access(&cfg)?;
        let rt = Runtime::build(cfg, None, &metrics)?;
        Ok(Arc::new(Self {
            rt: ArcSwap::from_pointee(rt),
            events: ArcSwap::from_pointee(events),
            access: ArcSwapOption::from(access.map(Arc::new)),
            metrics,
            config_path,
            shed: tokio::sync::watch::channel(0).0,
            offload: Arc::new(tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get()))),
        }))
    }

    /// Swaps in a new config. The log files are reopened (which also
    /// serves log rotation), and replaced if their settings changed.
    pub fn apply(&self, cfg: Config) -> Result<(), String> {
        let old = self.rt.load_full();
        let events_changed = old.config.events.file != cfg.events.file || old.config.events.ring_size != cfg.events.ring_size;
        let access_changed = old.config.access_log.file != cfg.access_log.file || old.config.access_log.format != cfg.access_log.format;
        let new_events = if events_changed { Some(open_events(&cfg)?) } else { None };
        let new_access = if access_changed { Some(open_access(&cfg)?) } else { None };
        let rt = Runtime::build(cfg, Some(&old), &self.metrics)?;
        rt.spawn_health_checks();
        self.rt.store(Arc::new(rt));
        match new_events {
            Some(e) => self.events.store(Arc::new(e)),
            None => {
                if let Some(w) = self.events.load().file_writer() {
                    w.reopen();
                }
            }
        }
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

fn open_events(cfg: &Config) -> Result<EventSink, String> {
    EventSink::new(cfg.events.ring_size, cfg.events.file.clone())
        .map_err(|e| format!("events file {}: {e}", cfg.events.file.as_ref().map(|p| p.display().to_string()).unwrap_or_default()))
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
