//! Accepting connections and serving HTTP on them: HTTP/1.1 with
//! keep-alive and upgrades, HTTP/2 (by ALPN over TLS, by prior knowledge
//! in clear text), graceful drain on shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use haetae_events::Event;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::service::{ConnInfo, handle};
use crate::state::Shared;

/// Counts live connections so shutdown can wait for them.
#[derive(Default)]
pub struct Tracker {
    active: AtomicUsize,
    idle: tokio::sync::Notify,
}

impl Tracker {
    fn enter(self: &Arc<Self>) -> TrackGuard {
        self.active.fetch_add(1, Relaxed);
        TrackGuard(self.clone())
    }

    pub fn active(&self) -> usize {
        self.active.load(Relaxed)
    }

    /// Waits until no connection is left.
    pub async fn drained(&self) {
        loop {
            let n = self.idle.notified();
            if self.active() == 0 {
                return;
            }
            n.await;
        }
    }
}

struct TrackGuard(Arc<Tracker>);

impl Drop for TrackGuard {
    fn drop(&mut self) {
        if self.0.active.fetch_sub(1, Relaxed) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// A connection counted on the worker that accepted it, until it ends.
struct WorkerConn(Arc<Shared>, usize);

impl WorkerConn {
    fn enter(shared: &Arc<Shared>, w: usize) -> Option<Self> {
        let c = shared.metrics.worker_connections.get(w)?;
        c.fetch_add(1, Relaxed);
        Some(WorkerConn(shared.clone(), w))
    }
}

impl Drop for WorkerConn {
    fn drop(&mut self) {
        if let Some(c) = self.0.metrics.worker_connections.get(self.1) {
            c.fetch_sub(1, Relaxed);
        }
    }
}

/// Accepts on `listener` until `shutdown` turns true.
pub async fn accept_loop(
    shared: Arc<Shared>,
    listener: TcpListener,
    tls: bool,
    mut shutdown: watch::Receiver<bool>,
    tracker: Arc<Tracker>,
) {
    let me = crate::worker::current();
    let mut reserve = Reserve::open();
    loop {
        // All workers accept on the same socket and the first one awake
        // wins; a busier worker steps back for a few milliseconds so the
        // others take the next connections (nginx balances its workers
        // with an accept mutex for the same reason). A connection waits at
        // most that long when the others do not take it.
        for _ in 0..4 {
            if !shared.metrics.worker_crowded(me) {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_millis(1)) => {}
                _ = shutdown.changed() => return,
            }
        }
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                if out_of_fds(&e) {
                    make_room(&shared, &listener, &mut reserve).await;
                } else {
                    tracing::warn!("accept failed: {e}");
                }
                // Back off instead of spinning on the error.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        shared.metrics.connections_total.fetch_add(1, Relaxed);
        let shared = shared.clone();
        let shutdown = shutdown.clone();
        let guard = tracker.enter();
        let on_worker = WorkerConn::enter(&shared, me);
        tokio::spawn(async move {
            let _guard = (guard, on_worker);
            let (timeout, send_limit) = {
                let rt = shared.rt.load();
                (rt.config.timeouts.client_header.0, rt.config.timeouts.client_send.0)
            };
            // A connection that has sent nothing yet is the first to go
            // when descriptors run out.
            let mut shed = shared.shed.subscribe();
            if tls {
                let Some(cfg) = shared.rt.load().tls.clone() else { return };
                let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
                let handshake = tokio::select! {
                    r = tokio::time::timeout(timeout, Box::pin(acceptor.accept(stream))) => r,
                    _ = shed.changed() => return,
                };
                match handshake {
                    Ok(Ok(s)) => {
                        let proto = if s.get_ref().1.alpn_protocol() == Some(b"h2") { Proto::H2 } else { Proto::H1 };
                        let s = crate::stall::SendTimeout::new(s, send_limit);
                        Box::pin(serve(shared.clone(), s, peer, true, proto, shutdown)).await
                    }
                    Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                }
            } else {
                // hyper-util's protocol detection waits for bytes without a
                // timer: a client that connects and sends nothing would be
                // held forever. Wait for the first byte under the header
                // timeout, and only let a possible h2 preface ("PRI ...")
                // go through detection. POST, PUT and PATCH start with a
                // `P` too: the first bytes that arrived settle it when
                // they differ from the preface.
                let mut first = [0u8; 4];
                let peeked = tokio::select! {
                    r = tokio::time::timeout(timeout, stream.peek(&mut first)) => r,
                    _ = shed.changed() => return,
                };
                match peeked {
                    Ok(Ok(n)) if n > 0 => {
                        let proto = if b"PRI "[..n] == first[..n] { Proto::Detect } else { Proto::H1 };
                        let stream = crate::stall::SendTimeout::new(stream, send_limit);
                        Box::pin(serve(shared.clone(), stream, peer, false, proto, shutdown)).await;
                    }
                    _ => tracing::debug!(%peer, "connection closed: no request"),
                }
            }
        });
    }
}

/// The accept failed because this process (or the system) has no file
/// descriptor left.
pub fn out_of_fds(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// One file descriptor held back for when there are none: released to
/// accept (and answer) a connection that would otherwise wait in the
/// kernel's queue until its client gives up — nginx and libuv do the same.
pub struct Reserve(Option<std::fs::File>);

impl Reserve {
    pub fn open() -> Self {
        Reserve(std::fs::File::open("/dev/null").ok())
    }

    pub fn release(&mut self) -> bool {
        self.0.take().is_some()
    }

    pub fn refill(&mut self) {
        if self.0.is_none() {
            self.0 = std::fs::File::open("/dev/null").ok();
        }
    }
}

/// Out of file descriptors: close idle upstream connections, ask client
/// connections to close once their request is done, and answer the
/// client at the head of the queue with a 503 on the reserved descriptor
/// rather than leave it hanging.
async fn make_room(shared: &Arc<Shared>, listener: &TcpListener, reserve: &mut Reserve) {
    shared.metrics.accept_errors.fetch_add(1, Relaxed);
    let mut freed = 0;
    for site in &shared.rt.load().sites {
        for s in &site.pool.servers {
            freed += s.conns.drop_idle();
        }
    }
    shared.shed.send_modify(|g| *g += 1);
    tracing::warn!("out of file descriptors: closed {freed} idle upstream connection(s), closing idle client connections");
    if reserve.release() {
        if let Ok(Ok((stream, _))) = tokio::time::timeout(std::time::Duration::from_millis(5), listener.accept()).await {
            let _ =
                stream.try_write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\nRetry-After: 1\r\n\r\n");
        }
        reserve.refill();
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Proto {
    H1,
    H2,
    Detect,
}

/// Serves one connection until it ends or shutdown drains it. The
/// connection is boxed at its exact type: an async fn's state is as large
/// as its largest branch, and a plain HTTP/1 connection should not carry
/// the size of an HTTP/2 or TLS one while it idles.
macro_rules! drive {
    ($conn:expr, $shutdown:expr, $shed:expr) => {{
        let mut conn = Box::pin($conn);
        // Biased: the connection is what wakes us; no random branch order.
        tokio::select! {
            biased;
            r = conn.as_mut() => r.map_err(Box::<dyn std::error::Error + Send + Sync>::from),
            _ = $shutdown.changed() => {
                conn.as_mut().graceful_shutdown();
                conn.as_mut().await.map_err(Box::<dyn std::error::Error + Send + Sync>::from)
            }
            _ = $shed.changed() => {
                conn.as_mut().graceful_shutdown();
                conn.as_mut().await.map_err(Box::<dyn std::error::Error + Send + Sync>::from)
            }
        }
    }};
}

async fn serve<I>(shared: Arc<Shared>, io: I, peer: SocketAddr, tls: bool, proto: Proto, mut shutdown: watch::Receiver<bool>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (header_timeout, buf, max_headers, max_body) = {
        let rt = shared.rt.load();
        let c = &rt.config;
        let buf = (c.limits.max_header_bytes.0 + c.limits.max_uri_bytes.0 + 4096).max(16 * 1024) as usize;
        // One more header than our own limit, so the service sees the
        // excess and answers it with 431 and an event.
        (c.timeouts.client_header.0, buf, c.limits.max_header_count + 1, c.limits.max_body_bytes.0)
    };
    let ping = header_timeout.max(std::time::Duration::from_secs(1));
    let mut shed = shared.shed.subscribe();
    let alarm = Arc::new(crate::chunk_guard::Alarm::default());
    let info = Arc::new(ConnInfo::new(peer, tls, alarm.clone()));
    // HTTP/1 reads are followed for chunk sizes hyper would wait on.
    let guarded = |io: I| TokioIo::new(crate::chunk_guard::Guarded::new(io, crate::chunk_guard::Tracker::new(max_body, alarm.clone())));
    let sh = shared.clone();
    // Boxed: hyper keeps the service future in a slot that lives as long
    // as the connection; boxing frees the (large) request state when the
    // request ends instead of holding it on every idle keep-alive connection.
    let svc = service_fn(move |req| Box::pin(handle(sh.clone(), info.clone(), req)));
    // With the protocol known (first byte, or ALPN), hyper's own builders
    // are used: hyper-util's auto connection carries both protocols' state
    // and a rewind buffer on every connection.
    let result = match proto {
        Proto::H1 => {
            let mut b = hyper::server::conn::http1::Builder::new();
            b.timer(TokioTimer::new()).header_read_timeout(header_timeout).keep_alive(true).max_buf_size(buf).max_headers(max_headers);
            drive!(b.serve_connection(guarded(io), svc).with_upgrades(), shutdown, shed)
        }
        Proto::H2 => {
            let mut b = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
            // Idle h2 connections are pinged; a peer that stops answering
            // is dropped.
            b.timer(TokioTimer::new())
                .max_concurrent_streams(256)
                .max_header_list_size(buf as u32)
                .keep_alive_interval(Some(ping))
                .keep_alive_timeout(ping);
            drive!(b.serve_connection(TokioIo::new(io), svc), shutdown, shed)
        }
        Proto::Detect => {
            let mut b = auto::Builder::new(TokioExecutor::new());
            b.http1()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true)
                .max_buf_size(buf)
                .max_headers(max_headers);
            b.http2()
                .timer(TokioTimer::new())
                .max_concurrent_streams(256)
                .max_header_list_size(buf as u32)
                .keep_alive_interval(Some(ping))
                .keep_alive_timeout(ping);
            drive!(b.serve_connection_with_upgrades(guarded(io), svc), shutdown, shed)
        }
    };
    if let Err(e) = result {
        connection_error(&shared, peer, e.as_ref());
    }
}

/// Protocol errors hyper answered itself (malformed request line or
/// headers, oversized heads): they still deserve an event.
fn connection_error(shared: &Shared, peer: SocketAddr, e: &(dyn std::error::Error + 'static)) {
    let Some(h) = e.downcast_ref::<hyper::Error>() else {
        tracing::debug!(%peer, "connection error: {e}");
        return;
    };
    let status = if h.is_parse_too_large() {
        431
    } else if h.is_parse() || h.is_parse_status() {
        400
    } else {
        tracing::debug!(%peer, "connection ended: {h}");
        return;
    };
    shared.metrics.unrouted.status(status);
    let mut ev = Event::rejected(status, format!("malformed HTTP: {h}"));
    ev.client_ip = crate::client_ip::canonical(peer.ip()).to_string();
    shared.record(ev);
}
