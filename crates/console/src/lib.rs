//! The console listener and its JSON API (docs/API.md).
//!
//! A connection from outside `[console] allow` is closed before a byte of
//! HTTP is read (and audited, once a minute per address). Everything else
//! needs a session (user + password + TOTP at `POST /api/login`) or an API
//! token; a session's state-changing requests carry its CSRF token.

pub mod accounts;
mod api;
mod guard;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::sync::watch;

use haetae_proxy::Shared;
use haetae_store::{Audit, Store};

pub use accounts::Role;

/// A logged-in browser.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub user: String,
    pub role: Role,
    pub sites: Vec<String>,
    pub csrf: String,
    pub created: Instant,
    pub last: Instant,
}

impl Session {
    /// Used within `session_idle`, and younger than `session_max`.
    pub fn live(&self, now: Instant, cfg: &haetae_config::Console) -> bool {
        now.duration_since(self.last) < cfg.session_idle.0 && now.duration_since(self.created) < cfg.session_max.0
    }
}

pub(crate) struct Console {
    pub cfg: haetae_config::Console,
    pub store: Arc<Store>,
    pub shared: Arc<Shared>,
    pub sessions: Mutex<HashMap<String, Session>>,
    pub guard: guard::Guard,
    /// When a refused address was last audited.
    refused: Mutex<HashMap<IpAddr, Instant>>,
}

impl Console {
    fn allowed(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.cfg.allowed.iter().any(|n| n.contains(&ip))
    }

    /// Audits on the blocking pool (the store may be slow); never fails
    /// the request.
    pub(crate) fn audit(self: &Arc<Self>, a: Audit) {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            if let Err(e) = store.audit(&a) {
                tracing::error!("audit record lost ({} {}): {e}", a.action, a.target);
            }
        });
    }

    fn refused_audit(self: &Arc<Self>, peer: SocketAddr) {
        let now = Instant::now();
        let due = self.refused.lock().is_ok_and(|mut m| {
            if m.len() > 10_000 {
                m.retain(|_, t| now.duration_since(*t) < Duration::from_secs(60));
            }
            match m.get(&peer.ip()) {
                Some(t) if now.duration_since(*t) < Duration::from_secs(60) => false,
                _ => {
                    m.insert(peer.ip(), now);
                    true
                }
            }
        });
        if due {
            tracing::warn!("console: refused {peer} (not in [console] allow)");
            self.audit(Audit::new("-", &peer.ip().to_string(), "address_refused", "console"));
        }
    }
}

/// Binds `[console] listen` and serves until `stop`; returns the bound
/// address. Without `[console]`, or without a store, nothing is started.
pub fn start(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) -> Result<Option<SocketAddr>, String> {
    let rt = shared.rt.load_full();
    let Some(cfg) = rt.config.console.clone() else { return Ok(None) };
    let Some(store) = shared.store.clone() else {
        tracing::error!("console: the event store is not open, so there are no accounts to log in with; the console is off");
        return Ok(None);
    };
    let std_l = std::net::TcpListener::bind(cfg.listen).map_err(|e| format!("cannot listen on console {}: {e}", cfg.listen))?;
    std_l.set_nonblocking(true).map_err(|e| e.to_string())?;
    let l = tokio::net::TcpListener::from_std(std_l).map_err(|e| e.to_string())?;
    let addr = l.local_addr().unwrap_or(cfg.listen);
    if !addr.ip().is_loopback() {
        tracing::warn!("console on {addr} without TLS: put it behind a TLS terminator or keep it on loopback");
    }
    tracing::info!("console and API on http://{addr}");
    let c = Arc::new(Console {
        guard: guard::Guard::new(cfg.max_failures, cfg.lockout.0),
        cfg,
        store,
        shared,
        sessions: Mutex::new(HashMap::new()),
        refused: Mutex::new(HashMap::new()),
    });
    tokio::spawn(async move {
        loop {
            let (stream, peer) = tokio::select! {
                a = l.accept() => match a {
                    Ok(x) => x,
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                },
                _ = stop.changed() => return,
            };
            if !c.allowed(peer.ip()) {
                // Closed unread: no HTTP parser ever sees its bytes.
                drop(stream);
                c.refused_audit(peer);
                continue;
            }
            let c = c.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let c = c.clone();
                    async move { Ok::<_, Infallible>(api::route(c, peer, req).await) }
                });
                let _ =
                    hyper_util::server::conn::auto::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(stream), svc).await;
            });
        }
    });
    Ok(Some(addr))
}
