//! Haetae's reverse proxy. [`serve`] runs a configuration until a
//! termination signal; see `docs/ARCHITECTURE.md` for the path a request
//! takes through the modules below.

pub mod access;
pub mod admin;
pub mod body;
pub mod chunk_guard;
pub mod client_ip;
pub mod decide;
pub mod forward;
pub mod handover;
pub mod health;
pub mod listener;
pub mod metrics;
pub mod pages;
pub mod phases;
pub mod reload;
pub mod runtime;
pub mod service;
pub mod stall;
pub mod state;
pub mod tls;
pub mod upstream;
pub mod upstream_conn;
pub mod worker;

use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::Arc;

use haetae_config::Config;
use tokio::sync::watch;

pub use state::Shared;

/// The number of workers `workers = N` asks for (0: one per core).
pub fn worker_count(configured: usize) -> usize {
    if configured == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { configured }
}

/// The runtime of the main thread: a single-threaded one. It serves
/// connections as the first worker and runs the control tasks (reload,
/// health checks, admin API); [`serve`] starts each further worker as a
/// thread with a runtime of its own, all accepting on the same sockets —
/// nginx's worker model. A connection stays on the worker that accepted
/// it: no work stealing and no cross-thread wakeups on the request path
/// (tokio's multi-threaded scheduler cost ~25 % more CPU per request here).
pub fn build_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}

pub struct Options {
    /// The file to reload from (None for `haetae proxy`).
    pub config_path: Option<PathBuf>,
    /// Told the bound addresses once listening.
    pub ready: Option<tokio::sync::oneshot::Sender<Vec<SocketAddr>>>,
    /// Ends the server when it turns true (besides SIGTERM/SIGINT).
    pub stop: Option<watch::Receiver<bool>>,
    /// More listeners started beside the proxy's (the console): given the
    /// shared state and the stop signal, they return the address bound.
    pub extra: Vec<Extra>,
}

pub type Extra = Box<dyn FnOnce(Arc<Shared>, watch::Receiver<bool>) -> Result<Option<SocketAddr>, String> + Send>;

/// Runs until SIGTERM/SIGINT (or `opts.stop`), then drains.
pub async fn serve(cfg: Config, opts: Options) -> Result<(), String> {
    let workers = worker_count(cfg.server.workers);
    worker::set_count(workers);
    let shared = Shared::new(cfg, opts.config_path)?;
    let rt = shared.rt.load_full();
    let c = rt.config.clone();
    let mut inherited = handover::inherited();
    let (stop_tx, stop_rx) = watch::channel(false);
    let tracker = Arc::new(listener::Tracker::default());
    let mut fds = Vec::new();
    let mut bound = Vec::new();
    let addrs: Vec<(SocketAddr, bool)> =
        c.server.listen.iter().map(|a| (*a.get_ref(), false)).chain(c.server.tls_listen.iter().map(|a| (*a.get_ref(), true))).collect();
    let mut listeners = Vec::new();
    for (addr, tls) in addrs {
        let l = handover::bind(addr, &mut inherited).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        fds.push((addr, l.as_raw_fd()));
        let local = l.local_addr().unwrap_or(addr);
        bound.push(local);
        tracing::info!("listening on {local}{}", if tls { " (TLS)" } else { "" });
        listeners.push((l, tls));
    }
    if let Some(addr) = c.server.admin {
        let l = handover::bind(addr, &mut inherited).map_err(|e| format!("cannot listen on admin {addr}: {e}"))?;
        fds.push((addr, l.as_raw_fd()));
        let l = tokio::net::TcpListener::from_std(l).map_err(|e| format!("admin {addr}: {e}"))?;
        if !addr.ip().is_loopback() {
            tracing::warn!("the admin listener {addr} is not on loopback: restrict it with a firewall");
        }
        tracing::info!("admin API on {}", l.local_addr().unwrap_or(addr));
        bound.push(l.local_addr().unwrap_or(addr));
        tokio::spawn(admin::serve(shared.clone(), l, stop_rx.clone()));
    }
    for start in opts.extra {
        if let Some(a) = start(shared.clone(), stop_rx.clone())? {
            bound.push(a);
        }
    }
    let grace = c.timeouts.shutdown_grace.0;
    // Worker threads left to the kernel were sometimes stacked on one CPU
    // for minutes while another sat idle (two workers on two cores: 39 k
    // instead of 61 k req/s, docs/BENCHMARKS.md).
    let cpus = match c.server.cpu_affinity {
        haetae_config::CpuAffinity::Auto => worker::plan(workers, &worker::allowed_cpus()),
        haetae_config::CpuAffinity::Off => None,
    };
    let mut threads = Vec::new();
    for id in 1..workers {
        let mine = listeners
            .iter()
            .map(|(l, tls)| l.try_clone().map(|l| (l, *tls)))
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| format!("cannot share the listening sockets with worker {id}: {e}"))?;
        let (shared, stop, tracker) = (shared.clone(), stop_rx.clone(), tracker.clone());
        let t = std::thread::Builder::new()
            .name(format!("haetae-worker-{id}"))
            .spawn({
                let cpu = cpus.as_ref().map(|c| c[id]);
                move || {
                    pin(id, cpu);
                    worker(id, shared, mine, stop, tracker, grace)
                }
            })
            .map_err(|e| format!("cannot start worker {id}: {e}"))?;
        threads.push(t);
    }
    // This thread is worker 0 (pinned after the others were started, so
    // they do not inherit its CPU).
    pin(0, cpus.as_ref().map(|c| c[0]));
    for (l, tls) in listeners {
        let addr = l.local_addr().map_or_else(|_| "?".to_owned(), |a| a.to_string());
        let l = tokio::net::TcpListener::from_std(l).map_err(|e| format!("{addr}: {e}"))?;
        tokio::spawn(listener::accept_loop(shared.clone(), l, tls, stop_rx.clone(), tracker.clone()));
    }
    rt.spawn_health_checks();
    drop(rt);
    reload::spawn(shared.clone());
    handover::notify_predecessor();
    if let Some(r) = opts.ready {
        let _ = r.send(bound);
    }
    wait_for_stop(opts.stop, &fds).await;
    tracing::info!("shutting down: no new connections; draining {} open", tracker.active());
    let _ = stop_tx.send(true);
    if tokio::time::timeout(grace, tracker.drained()).await.is_err() {
        tracing::warn!("{} connections still open after {grace:?}; closing", tracker.active());
    }
    // The other workers stop accepting with the same signal and give
    // their connections the same grace.
    for t in threads {
        let _ = t.join();
    }
    shared.events.load().flush();
    if let Some(a) = shared.access.load().as_ref() {
        a.writer.flush();
    }
    Ok(())
}

fn pin(id: usize, cpu: Option<usize>) {
    if let Some(cpu) = cpu {
        match worker::pin_to(cpu) {
            Ok(()) => tracing::debug!("worker {id} pinned to CPU {cpu}"),
            Err(e) => tracing::warn!("worker {id} cannot be pinned to CPU {cpu}: {e}"),
        }
    }
}

/// A worker thread: its own single-threaded runtime accepting on shared
/// copies of the listening sockets until shutdown, then draining.
fn worker(
    id: usize,
    shared: Arc<Shared>,
    listeners: Vec<(std::net::TcpListener, bool)>,
    stop: watch::Receiver<bool>,
    tracker: Arc<listener::Tracker>,
    grace: std::time::Duration,
) {
    worker::set_current(id);
    let rt = match build_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("worker {id} cannot start its runtime: {e}");
            return;
        }
    };
    rt.block_on(async move {
        let mut loops = Vec::new();
        for (l, tls) in listeners {
            match tokio::net::TcpListener::from_std(l) {
                Ok(l) => loops.push(tokio::spawn(listener::accept_loop(shared.clone(), l, tls, stop.clone(), tracker.clone()))),
                Err(e) => tracing::error!("worker {id}: {e}"),
            }
        }
        for l in loops {
            let _ = l.await;
        }
        // Connections accepted here are served here until they end.
        let _ = tokio::time::timeout(grace, tracker.drained()).await;
    });
}

async fn wait_for_stop(stop: Option<watch::Receiver<bool>>, fds: &[(SocketAddr, std::os::fd::RawFd)]) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int), Ok(mut usr2)) =
        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()), signal(SignalKind::user_defined2()))
    else {
        tracing::error!("cannot install signal handlers");
        return std::future::pending().await;
    };
    let mut stop = stop;
    loop {
        let external = async {
            match stop.as_mut() {
                Some(s) => {
                    while !*s.borrow() {
                        if s.changed().await.is_err() {
                            return std::future::pending().await;
                        }
                    }
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = term.recv() => return,
            _ = int.recv() => return,
            _ = external => return,
            _ = usr2.recv() => match handover::spawn_successor(fds) {
                // The successor sends SIGTERM once it serves.
                Ok(child) => tracing::info!("binary upgrade: started process {}", child.id()),
                Err(e) => tracing::error!("binary upgrade failed, still serving: {e}"),
            },
        }
    }
}

/// What `haetae run` would refuse that config validation cannot see: the
/// compiled runtime (certificates and their keys, block pages, SecLang),
/// listening addresses another process holds, log files that cannot be
/// opened. Returns the problems, one line each; an address held by the
/// running Haetae this config belongs to (its admin `/healthz` answers) is
/// not one.
pub fn preflight(cfg: &Config) -> Vec<String> {
    let mut problems = Vec::new();
    if let Err(e) = runtime::Runtime::build(cfg.clone(), None, &metrics::Metrics::default()) {
        problems.push(e.to_string());
    }
    let running = cfg.server.admin.is_some_and(haetae_answers);
    let addrs = cfg.server.listen.iter().chain(&cfg.server.tls_listen).map(|a| *a.get_ref()).chain(cfg.server.admin);
    for addr in addrs {
        if let Err(e) = handover::bind(addr, &mut std::collections::HashMap::new()) {
            if e.kind() == std::io::ErrorKind::AddrInUse && running {
                continue;
            }
            problems.push(format!("cannot listen on {addr}: {e}"));
        }
    }
    for (what, path) in [("events file", &cfg.events.file), ("access log", &cfg.access_log.file)] {
        let Some(p) = path else { continue };
        let existed = p.exists();
        let opened = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::OpenOptions::new().create(true).append(true).open(p).map(drop));
        match opened {
            Ok(()) if !existed => {
                let _ = std::fs::remove_file(p);
            }
            Ok(()) => {}
            Err(e) => problems.push(format!("{what} {}: {e}", p.display())),
        }
    }
    problems
}

/// A Haetae answers `/healthz` at `admin` (so its listeners are in use by
/// the server this config is checked for).
fn haetae_answers(admin: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&admin, std::time::Duration::from_secs(1)) else { return false };
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(1)));
    if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut out = Vec::new();
    let _ = s.take(4096).read_to_end(&mut out);
    memchr::memmem::find(&out, b"ok pid=").is_some()
}
