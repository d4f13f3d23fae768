//! Active health checks: a GET to each server of a pool every interval;
//! `fails` consecutive failures take it out, `passes` consecutive
//! successes put it back. The task holds only a weak reference to the
//! pool, so it ends by itself when a reload drops the pool.

use std::sync::Weak;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use bytes::Bytes;
use haetae_config::HealthCheck;
use http_body_util::Empty;
use hyper_util::rt::TokioIo;

use crate::upstream::{Pool, ServerState};

pub fn spawn(pool: Weak<Pool>, hc: HealthCheck, host: String, site: String) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(hc.interval.0);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(pool) = pool.upgrade() else { return };
            let servers = pool.servers.clone();
            drop(pool);
            for s in servers {
                let ok = probe(&s, &hc, &host).await;
                record(&s, ok, &hc, &site);
            }
        }
    });
}

fn record(s: &ServerState, ok: bool, hc: &HealthCheck, site: &str) {
    if ok {
        s.hc_fails.store(0, Relaxed);
        let p = s.hc_passes.fetch_add(1, Relaxed) + 1;
        if !s.up.load(Relaxed) && p >= hc.passes {
            s.up.store(true, Relaxed);
            tracing::info!(site, server = %s.addr, "upstream server is healthy again");
        }
    } else {
        s.hc_passes.store(0, Relaxed);
        let f = s.hc_fails.fetch_add(1, Relaxed) + 1;
        if s.up.load(Relaxed) && f >= hc.fails {
            s.up.store(false, Relaxed);
            tracing::warn!(site, server = %s.addr, "upstream server failed its health check; taken out");
        }
    }
}

async fn probe(s: &ServerState, hc: &HealthCheck, host: &str) -> bool {
    let fut = async {
        let stream = tokio::net::TcpStream::connect(s.addr).await.ok()?;
        let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.ok()?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let req = http::Request::get(hc.path.as_str())
            .header(http::header::HOST, host)
            .header(http::header::USER_AGENT, "haetae-health-check")
            .body(Empty::<Bytes>::new())
            .ok()?;
        let resp = send.send_request(req).await.ok()?;
        Some(resp.status().as_u16() < 500)
    };
    matches!(tokio::time::timeout(hc.timeout.0.max(Duration::from_millis(10)), fut).await, Ok(Some(true)))
}
