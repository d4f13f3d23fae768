//! The access-log line, written when the response body is finished so the
//! byte count and duration are real.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use haetae_events::{AccessRecord, time};

use crate::body::OnDone;
use crate::service::Meta;
use crate::state::AccessLog;

pub struct Done {
    log: (Arc<AccessLog>, AccessRecord, Instant),
}

impl Done {
    pub fn new(
        log: Arc<AccessLog>,
        site: Option<String>,
        meta: &Meta,
        status: u16,
        event_id: Option<String>,
        upstream: Option<SocketAddr>,
    ) -> Self {
        let up_addr = upstream.map(|a| a.to_string());
        let log = {
            let l = log;
            let rec = AccessRecord {
                time: time::rfc3339_now(),
                site: site.unwrap_or_else(|| "-".into()),
                client_ip: meta.client_ip.to_string(),
                method: meta.method.to_string(),
                host: meta.host.clone(),
                uri: meta.uri().to_owned(),
                version: meta.version,
                status,
                bytes: 0,
                duration_ms: 0.0,
                upstream: up_addr,
                referer: meta.referer.clone(),
                user_agent: meta.user_agent.clone(),
                event_id,
            };
            (l, rec, meta.started)
        };
        Self { log }
    }
}

impl OnDone for Done {
    fn done(self: Box<Self>, bytes: u64, _complete: bool) {
        let (log, mut rec, started) = self.log;
        rec.bytes = bytes;
        rec.duration_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
        log.write(&rec);
    }
}
