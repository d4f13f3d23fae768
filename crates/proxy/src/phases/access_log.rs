//! The access-log line, written when the response body is done so the
//! byte count and duration are real.

use haetae_events::{AccessRecord, time};

use super::{LogLine, Stage};
use crate::state::Shared;

pub struct AccessLog;

impl Stage for AccessLog {
    fn name(&self) -> &'static str {
        "access_log"
    }

    fn logs(&self, shared: &Shared) -> bool {
        shared.access.load().is_some()
    }

    fn logging(&self, shared: &Shared, l: &LogLine) {
        let Some(log) = shared.access.load_full() else { return };
        let m = &l.meta;
        let rec = AccessRecord {
            time: time::rfc3339_now(),
            site: l.site.clone().unwrap_or_else(|| "-".into()),
            client_ip: m.client_ip.to_string(),
            method: m.method.to_string(),
            host: m.host.clone(),
            uri: m.uri().to_owned(),
            version: m.version,
            status: l.status,
            bytes: l.bytes,
            duration_ms: (l.duration.as_secs_f64() * 1e6).round() / 1e3,
            upstream: l.upstream.map(|a| a.to_string()),
            referer: m.referer.clone(),
            user_agent: m.user_agent.clone(),
            event_id: l.event_id.clone(),
        };
        log.write(&rec);
    }
}
