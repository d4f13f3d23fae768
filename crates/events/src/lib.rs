//! Security events and the access log.
//!
//! The proxy builds an [`Event`] for every request a detector or a protocol
//! check flagged and hands it to [`Events::record`], which passes it to
//! every [`Sink`]: the in-memory ring the admin API reads, the JSON-lines
//! file, and whatever else is configured (the database and syslog sinks of
//! later issues are more sinks). A sink never blocks the request: one that
//! writes somewhere slow queues (bounded) and counts what it drops.

pub mod mask;
pub mod sink;
pub mod tally;
pub mod time;
pub mod writer;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

pub use sink::{FileSink, Ring, Sink, SinkStats};
pub use writer::LineWriter;

/// What the proxy did with a flagged request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Inspection failed or ran out of time; passed.
    FailedOpen,
    /// Inspection failed or ran out of time; answered 503.
    FailedClosed,
    /// Scored below the threshold and let through (`record_notes`).
    Noted,
}

impl Disposition {
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Blocked => "blocked",
            Disposition::Logged => "logged",
            Disposition::Learned => "learned",
            Disposition::Rejected => "rejected",
            Disposition::FailedOpen => "failed_open",
            Disposition::FailedClosed => "failed_closed",
            Disposition::Noted => "noted",
        }
    }
}

/// One match inside an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub detector: String,
    pub rule_id: u32,
    /// The shape's stable id (`haetae rules --native` lists them).
    #[serde(default)]
    pub shape: String,
    /// Where it matched, as shown (`ARGS:q (base64)`).
    pub location: String,
    pub reason: String,
    pub confidence: haetae_model::Confidence,
    pub score: u32,
    /// Masked, shortened evidence.
    pub excerpt: String,
}

/// A security event. Owns its data: it outlives the request, crosses
/// threads to its sinks, and is read back from files and stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub mode: String,
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
            mode: "-".into(),
            score: 0,
            threshold: 0,
            matches: vec![Match {
                detector: "protocol".into(),
                rule_id: 1000,
                shape: "protocol.refused".into(),
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
            .map(|f| {
                let location = f.location.to_string();
                Match {
                    detector: f.detector.to_owned(),
                    rule_id: f.rule_id,
                    shape: f.shape.to_owned(),
                    excerpt: mask::excerpt(&location, &f.excerpt, excerpt_chars),
                    location,
                    reason: f.reason.clone(),
                    confidence: f.confidence,
                    score: f.score,
                }
            })
            .collect()
    }
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// A new event id: 16 hex digits, time-ordered, unique within a process
/// (milliseconds in the high bits, a counter in the low 20). The counter
/// starts where the process's start time and id put it, so two nodes
/// writing to one store rarely make the same id in the same millisecond.
pub fn new_event_id() -> String {
    static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let start = *START.get_or_init(|| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos() as u64);
        (nanos ^ (u64::from(std::process::id()) << 7)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 44
    });
    let ms = time::unix_millis();
    let n = SEQ.fetch_add(1, Ordering::Relaxed).wrapping_add(start) & 0xF_FFFF;
    format!("{:016x}", (ms << 20) | n)
}

/// The fan-out: the ring (always), then every other sink in order.
pub struct Events {
    ring: Arc<Ring>,
    sinks: Vec<Arc<dyn Sink>>,
}

impl Events {
    /// Events into `ring` and `sinks`.
    pub fn new(ring: Arc<Ring>, sinks: Vec<Arc<dyn Sink>>) -> Self {
        Self { ring, sinks }
    }

    pub fn record(&self, ev: Event) {
        let ev = Arc::new(ev);
        tracing::info!(target: "haetae::event", id = %ev.id, site = %ev.site, action = ?ev.action, score = ev.score, "{} {} {}", ev.method, ev.host, ev.url);
        self.ring.record(&ev);
        for s in &self.sinks {
            s.record(&ev);
        }
    }

    pub fn ring(&self) -> &Arc<Ring> {
        &self.ring
    }

    /// The sinks besides the ring.
    pub fn sinks(&self) -> &[Arc<dyn Sink>] {
        &self.sinks
    }

    /// Waits until every sink has written what it was given.
    pub fn flush(&self) {
        for s in &self.sinks {
            s.flush();
        }
    }

    /// Reopens file sinks (log rotation).
    pub fn reopen(&self) {
        for s in &self.sinks {
            s.reopen();
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

    #[test]
    fn a_disposition_reads_as_it_serializes() {
        use Disposition::*;
        for d in [Blocked, Logged, Learned, Rejected, FailedOpen, FailedClosed, Noted] {
            assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{}\"", d.as_str()));
        }
    }

    pub(crate) fn ev(id: &str) -> Event {
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
            mode: "prevention".into(),
            score: 8,
            threshold: 5,
            matches: vec![],
        }
    }

    #[test]
    fn events_reach_every_sink_and_read_back() {
        let dir = std::env::temp_dir().join(format!("haetae-ev-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ev.jsonl");
        let file: Arc<dyn Sink> = Arc::new(FileSink::open(path.clone()).unwrap());
        let events = Events::new(Arc::new(Ring::new(10)), vec![file]);
        events.record(ev("a"));
        events.record(ev("b"));
        events.flush();
        let text = std::fs::read_to_string(&path).unwrap();
        let back: Vec<Event> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(back.len(), 2);
        assert_eq!(back[1], Event { time: back[1].time.clone(), ..ev("b") }, "an event reads back as it was written");
        assert_eq!(events.ring().recent(10).len(), 2);
        assert_eq!(events.sinks()[0].stats().written, 2);
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
