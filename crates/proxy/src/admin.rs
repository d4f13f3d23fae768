//! The admin listener (loopback by default): `/metrics` (Prometheus),
//! `/healthz`, `/events` (the in-memory ring, newest first), `/events/ID`,
//! and `POST /reload`.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::state::Shared;

fn reply(status: StatusCode, ctype: &'static str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, http::HeaderValue::from_static(ctype));
    r
}

/// The Prometheus text: the proxy's metrics, the event sinks', the
/// detectors' panics.
pub fn metrics_text(shared: &Shared) -> String {
    let ev = shared.events.load();
    let mut extra: Vec<(&str, &str, u64)> = vec![("haetae_events_recorded_total", "counter", shared.events_recorded.load(Relaxed))];
    // The file sink's counts keep their names from before sinks.
    if let Some(f) = ev.sinks().iter().find(|s| s.name() == "file") {
        let st = f.stats();
        extra.push(("haetae_events_dropped_total", "counter", st.dropped));
        extra.push(("haetae_events_write_errors_total", "counter", st.errors));
    }
    let access = shared.access.load_full();
    if let Some(a) = &access {
        extra.push(("haetae_access_log_dropped_total", "counter", a.writer.stats.dropped.load(Relaxed)));
        extra.push(("haetae_access_log_write_errors_total", "counter", a.writer.stats.errors.load(Relaxed)));
    }
    let mut text = shared.metrics.render(&extra);
    crate::metrics::render_sinks(&mut text, ev.sinks());
    crate::metrics::render_panics(&mut text);
    text
}

async fn route(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path();
    let query = req.uri().query().unwrap_or("");
    Ok(match (req.method(), path) {
        (&Method::GET, "/metrics") => reply(StatusCode::OK, "text/plain; version=0.0.4", metrics_text(&shared)),
        (&Method::GET, "/healthz") => reply(StatusCode::OK, "text/plain", format!("ok pid={}\n", std::process::id())),
        (&Method::GET, "/events") => {
            let limit =
                query.split('&').find_map(|kv| kv.strip_prefix("limit=")).and_then(|v| v.parse::<usize>().ok()).unwrap_or(100).min(10_000);
            let evs = shared.ring().recent(limit);
            let list: Vec<&haetae_events::Event> = evs.iter().map(|e| e.as_ref()).collect();
            reply(StatusCode::OK, "application/json", serde_json::to_vec(&list).unwrap_or_default())
        }
        (&Method::GET, p) if p.starts_with("/events/") => match shared.ring().get(&p["/events/".len()..]) {
            Some(e) => reply(StatusCode::OK, "application/json", serde_json::to_vec(&*e).unwrap_or_default()),
            None => reply(StatusCode::NOT_FOUND, "text/plain", "no such event in memory\n"),
        },
        (&Method::POST, "/reload") => match crate::reload::reload(&shared) {
            Ok(()) => reply(StatusCode::OK, "text/plain", "reloaded\n"),
            Err(e) => reply(StatusCode::UNPROCESSABLE_ENTITY, "text/plain", format!("{e}\n")),
        },
        _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
    })
}

pub async fn serve(shared: Arc<Shared>, listener: TcpListener, mut shutdown: watch::Receiver<bool>) {
    // Its own reserved descriptor: with the process out of them, the admin
    // API is what the operator needs most (metrics, events).
    let mut reserve = crate::listener::Reserve::open();
    loop {
        // Taken back as soon as a descriptor is free again.
        reserve.refill();
        let (stream, _) = tokio::select! {
            a = listener.accept() => match a {
                Ok(x) => x,
                Err(e) if crate::listener::out_of_fds(&e) && reserve.release() => continue,
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let sh = shared.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| route(sh.clone(), req));
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(stream), svc).await;
        });
    }
}
