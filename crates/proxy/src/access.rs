//! The access-log line, written when the response body is finished so the
//! byte count and duration are real.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use haetae_events::{AccessRecord, time};

use crate::body::OnDone;
use crate::service::Meta;
use crate::state::AccessLog;
use crate::upstream::InflightGuard;

pub struct Done {
    log: Option<(Arc<AccessLog>, AccessRecord, Instant)>,
    _guard: Option<InflightGuard>,
}

impl Done {
    pub fn new(
        log: Option<Arc<AccessLog>>,
        site: Option<String>,
        meta: &Meta,
        status: u16,
        event_id: Option<String>,
        upstream: Option<(SocketAddr, InflightGuard)>,
    ) -> Self {
        let (up_addr, guard) = match upstream {
            Some((a, g)) => (Some(a.to_string()), Some(g)),
            None => (None, None),
        };
        let log = log.map(|l| {
            let rec = AccessRecord {
                time: time::rfc3339_now(),
                site: site.unwrap_or_else(|| "-".into()),
                client_ip: meta.client_ip.to_string(),
                method: meta.method.clone(),
                host: meta.host.clone(),
                uri: meta.uri.clone(),
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
        });
        Self { log, _guard: guard }
    }
}

impl OnDone for Done {
    fn done(self: Box<Self>, bytes: u64, _complete: bool) {
        if let Some((log, mut rec, started)) = self.log {
            rec.bytes = bytes;
            rec.duration_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
            log.write(&rec);
        }
    }
}
