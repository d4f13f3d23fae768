//! Security events and the access log.
//!
//! The proxy builds an [`Event`] for every request a detector or a protocol
//! check flagged, hands it to [`EventSink::record`] (which keeps it in the
//! ring and queues it for the file) and goes on; the file is written by a
//! background thread so a slow disk never stalls a request.

pub mod mask;
pub mod time;
pub mod writer;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

pub use writer::LineWriter;

/// What the proxy did with a flagged request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Prevention mode: answered 403.
    Blocked,
    /// Detection mode: logged, passed.
    Logged,
    /// Learning mode: recorded, passed.
    Learned,
    /// Refused by a protocol limit or check before inspection (4xx).
    Rejected,
    /// Inspection failed or ran out of time; passed (`fail_open = true`).
    FailedOpen,
    /// Inspection failed or ran out of time; answered 503.
    FailedClosed,
}

/// One match inside an event.
#[derive(Debug, Clone, Serialize)]
pub struct Match {
    pub detector: &'static str,
    pub rule_id: u32,
    pub location: String,
    pub reason: String,
    pub confidence: haetae_model::Confidence,
    pub score: u32,
    /// Masked, shortened evidence.
    pub excerpt: String,
}

/// A security event.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: String,
    pub time: String,
    pub site: String,
    pub client_ip: String,
    pub method: String,
    pub host: String,
    pub url: String,
    pub status: u16,
    pub action: Disposition,
    pub mode: &'static str,
    pub score: u32,
    pub threshold: u32,
    pub matches: Vec<Match>,
}

impl Event {
    /// A request refused by a protocol check (bad framing, limits, unknown
    /// host) rather than by inspection. Callers fill in what they know of
    /// the request.
    pub fn rejected(status: u16, reason: String) -> Self {
        Event {
            id: new_event_id(),
            time: time::rfc3339_now(),
            site: "-".into(),
            client_ip: String::new(),
            method: String::new(),
            host: String::new(),
            url: String::new(),
            status,
            action: Disposition::Rejected,
            mode: "-",
            score: 0,
            threshold: 0,
            matches: vec![Match {
                detector: "protocol",
                rule_id: 1000,
                location: String::new(),
                reason,
                confidence: haetae_model::Confidence::High,
                score: 0,
                excerpt: String::new(),
            }],
        }
    }

    /// Builds the match list from engine findings, masking excerpts.
    pub fn matches_from(findings: &[haetae_model::Finding], excerpt_chars: usize) -> Vec<Match> {
        findings
            .iter()
            .map(|f| Match {
                detector: f.detector,
                rule_id: f.rule_id,
                location: f.location.clone(),
                reason: f.reason.clone(),
                confidence: f.confidence,
                score: f.score,
                excerpt: mask::excerpt(&f.location, &f.excerpt, excerpt_chars),
            })
            .collect()
    }
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// A new event id: 16 hex digits, time-ordered, unique within a process
/// (milliseconds in the high bits, a counter in the low 20).
pub fn new_event_id() -> String {
    let ms = time::unix_millis();
    let n = SEQ.fetch_add(1, Ordering::Relaxed) & 0xF_FFFF;
    format!("{:016x}", (ms << 20) | n)
}

/// Where events go: a bounded in-memory ring (for the admin API) and,
/// optionally, a JSON-lines file.
pub struct EventSink {
    ring: Mutex<VecDeque<Arc<Event>>>,
    cap: usize,
    file: Option<LineWriter>,
    pub recorded: AtomicU64,
}

impl EventSink {
    pub fn new(ring_size: usize, file: Option<PathBuf>) -> std::io::Result<Self> {
        let file = file.map(|p| LineWriter::open(p, "events")).transpose()?;
        Ok(Self {
            ring: Mutex::new(VecDeque::with_capacity(ring_size.min(4096))),
            cap: ring_size.max(1),
            file,
            recorded: AtomicU64::new(0),
        })
    }

    pub fn record(&self, ev: Event) {
        let ev = Arc::new(ev);
        if let Some(f) = &self.file {
            match serde_json::to_string(&*ev) {
                Ok(line) => f.write_line(line),
                Err(e) => tracing::error!("event {} could not be serialized: {e}", ev.id),
            }
        }
        tracing::info!(target: "haetae::event", id = %ev.id, site = %ev.site, action = ?ev.action, score = ev.score, "{} {} {}", ev.method, ev.host, ev.url);
        if let Ok(mut r) = self.ring.lock() {
            if r.len() >= self.cap {
                r.pop_front();
            }
            r.push_back(ev);
        }
        self.recorded.fetch_add(1, Ordering::Relaxed);
    }

    /// The newest `limit` events, newest first.
    pub fn recent(&self, limit: usize) -> Vec<Arc<Event>> {
        self.ring.lock().map(|r| r.iter().rev().take(limit).cloned().collect()).unwrap_or_default()
    }

    /// Looks an event up by id (in the ring only).
    pub fn get(&self, id: &str) -> Option<Arc<Event>> {
        self.ring.lock().ok()?.iter().rev().find(|e| e.id == id).cloned()
    }

    pub fn file_writer(&self) -> Option<&LineWriter> {
        self.file.as_ref()
    }

    /// Waits until everything queued so far is on disk.
    pub fn flush(&self) {
        if let Some(f) = &self.file {
            f.flush();
        }
    }
}

/// One access-log record.
#[derive(Debug, Clone, Serialize)]
pub struct AccessRecord {
    pub time: String,
    pub site: String,
    pub client_ip: String,
    pub method: String,
    pub host: String,
    pub uri: String,
    pub version: &'static str,
    pub status: u16,
    pub bytes: u64,
    pub duration_ms: f64,
    pub upstream: Option<String>,
    pub referer: Option<String>,
    pub user_agent: Option<String>,
    pub event_id: Option<String>,
}

impl AccessRecord {
    /// NCSA combined log format.
    pub fn combined(&self) -> String {
        let q = |s: &Option<String>| s.as_deref().map_or_else(|| "-".to_owned(), |v| v.replace('"', "\\\""));
        format!(
            "{} - - [{}] \"{} {} {}\" {} {} \"{}\" \"{}\"",
            self.client_ip,
            time::clf_now(),
            self.method,
            self.uri.replace('"', "%22"),
            self.version,
            self.status,
            self.bytes,
            q(&self.referer),
            q(&self.user_agent)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str) -> Event {
        Event {
            id: id.into(),
            time: time::rfc3339_now(),
            site: "s".into(),
            client_ip: "127.0.0.1".into(),
            method: "GET".into(),
            host: "h".into(),
            url: "/".into(),
            status: 403,
            action: Disposition::Blocked,
            mode: "prevention",
            score: 8,
            threshold: 5,
            matches: vec![],
        }
    }

    #[test]
    fn ring_keeps_the_newest() {
        let s = EventSink::new(2, None).unwrap();
        for i in 0..3 {
            s.record(ev(&i.to_string()));
        }
        let ids: Vec<_> = s.recent(10).iter().map(|e| e.id.clone()).collect();
        assert_eq!(ids, ["2", "1"]);
        assert!(s.get("0").is_none());
        assert!(s.get("2").is_some());
    }

    #[test]
    fn events_reach_the_file_as_json_lines() {
        let dir = std::env::temp_dir().join(format!("haetae-ev-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ev.jsonl");
        let s = EventSink::new(10, Some(path.clone())).unwrap();
        s.record(ev("a"));
        s.record(ev("b"));
        s.flush();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["id"], "b");
        assert_eq!(lines[0]["action"], "blocked");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn ids_are_unique_and_ordered() {
        let a = new_event_id();
        let b = new_event_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
    }
}
