//! Keep-alive HTTP/1.1 connections to one upstream server: a stack of
//! idle connections (the most recently used is reused first, so few stay
//! warm and the rest age out), each driven by hyper's connection API.
//!
//! Why not hyper-util's pooled `Client`: it keys its pool by scheme and
//! authority, runs a connector service, and races a checkout against a
//! new connection on every request; a proxy that already knows which
//! server it wants needs none of that. Measured against it in the same run
//! (`bench/run.sh`, targets `bare-legacy` and `bare`), see
//! docs/BENCHMARKS.md.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;

/// At most this many idle connections are kept per server.
const MAX_IDLE: usize = 1024;

pub enum SendError {
    /// No connection could be made (nothing was sent).
    Connect(String),
    /// No connection could be made for lack of local resources (file
    /// descriptors, memory): says nothing about the server.
    Local(String),
    /// A reused keep-alive connection ended before any response came:
    /// the server closed it while the request was on its way. Safe to
    /// send again when the request is idempotent.
    Stale(hyper::Error),
    /// The exchange failed after the request started to go out.
    Http(hyper::Error),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Connect(e) => write!(f, "connect: {e}"),
            SendError::Local(e) => write!(f, "local resources: {e}"),
            SendError::Stale(e) | SendError::Http(e) => write!(f, "{e}"),
        }
    }
}

/// A response that carries both `Content-Length` and `Transfer-Encoding`
/// (or several differing lengths): its framing is ambiguous, so the
/// connection it came on cannot be trusted for another exchange.
pub fn framing_is_ambiguous(h: &http::HeaderMap) -> bool {
    let mut lengths = h.get_all(http::header::CONTENT_LENGTH).iter();
    let first = lengths.next();
    (first.is_some() && h.contains_key(http::header::TRANSFER_ENCODING)) || lengths.any(|v| Some(v) != first)
}

/// Errors of `connect(2)` that come from this process or host running out
/// of something, not from the server.
fn is_local_exhaustion(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM | libc::EADDRNOTAVAIL))
}

/// How long to wait for a new connection, and how long an idle one is
/// trusted to still be open (taken from the config on each request, so a
/// reload changes them without dropping warm connections).
#[derive(Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub idle: Duration,
}

/// Idle connections are kept per worker: a connection is driven by a task
/// on the worker that opened it, and handing it to another thread would
/// cost two cross-thread wakeups per request.
pub struct Conns<B = Incoming> {
    addr: SocketAddr,
    idle: Box<[Mutex<Idle<B>>]>,
}

struct Idle<B> {
    /// Oldest first; reused from the back.
    stack: VecDeque<(SendRequest<B>, Instant)>,
    /// Handed back while their response body was still being read; moved
    /// to `stack` once hyper is ready for the next request on them. Kept
    /// here rather than awaited by a task of their own: a task spawned per
    /// request cost more than the whole connection reuse.
    busy: Vec<(SendRequest<B>, Instant)>,
    /// A task is closing connections idle for longer than allowed.
    reaping: bool,
}

impl<B> Idle<B> {
    fn expire(&mut self, now: Instant, max_idle: Duration) {
        while self.stack.front().is_some_and(|(_, since)| now.duration_since(*since) >= max_idle) {
            self.stack.pop_front();
        }
    }

    /// Moves the busy connections that finished their exchange onto the
    /// stack (in the order they were handed back, which keeps it oldest
    /// first) and drops the closed ones.
    fn settle(&mut self) {
        for (s, since) in std::mem::take(&mut self.busy) {
            if s.is_ready() {
                self.stack.push_back((s, since));
            } else if !s.is_closed() {
                self.busy.push((s, since));
            }
        }
    }

    /// The most recently used ready connection still trusted to be open.
    fn pop_ready(&mut self, now: Instant, max_idle: Duration) -> Option<SendRequest<B>> {
        while let Some((s, since)) = self.stack.pop_back() {
            if s.is_ready() && now.duration_since(since) < max_idle {
                return Some(s);
            }
        }
        None
    }
}

impl<B> Conns<B>
where
    B: Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    pub fn new(addr: SocketAddr) -> Self {
        let idle =
            (0..crate::worker::count()).map(|_| Mutex::new(Idle { stack: VecDeque::new(), busy: Vec::new(), reaping: false })).collect();
        Self { addr, idle }
    }

    fn slot(&self) -> usize {
        crate::worker::current() % self.idle.len()
    }

    /// Sends `req` (origin-form target) and returns the response head; the
    /// connection goes back to the stack once its response body is read.
    /// A reused connection the server had already closed is replaced by a
    /// new one and the request resent, as long as none of it went out.
    pub async fn send(self: &Arc<Self>, req: Request<B>, t: Timeouts) -> Result<Response<Incoming>, SendError> {
        let mut req = req;
        // One clock read serves the checkout and the hand-back: a
        // connection's idle time then counts from before its exchange,
        // which errs on the safe side.
        let now = Instant::now();
        while let Some(mut s) = self.checkout(t.idle, now) {
            match s.try_send_request(req).await {
                Ok(resp) => {
                    if !framing_is_ambiguous(resp.headers()) {
                        self.push(s, t.idle, now);
                    }
                    return Ok(resp);
                }
                Err(mut e) => match e.take_message() {
                    Some(back) => req = back,
                    None => {
                        let e = e.into_error();
                        return Err(if e.is_incomplete_message() { SendError::Stale(e) } else { SendError::Http(e) });
                    }
                },
            }
        }
        // Boxed: a new connection is the rare path, and its futures inline
        // would enlarge every request's state.
        Box::pin(async move {
            let mut s = self.connect(t.connect).await?;
            let resp = s.send_request(req).await.map_err(SendError::Http)?;
            if !framing_is_ambiguous(resp.headers()) {
                self.push(s, t.idle, now);
            }
            Ok(resp)
        })
        .await
    }

    /// Closes every idle connection (out of file descriptors: they are the
    /// ones nobody is using).
    pub fn drop_idle(&self) -> usize {
        let mut n = 0;
        for slot in self.idle.iter() {
            if let Ok(mut idle) = slot.lock() {
                n += idle.stack.len();
                idle.stack.clear();
            }
        }
        n
    }

    fn checkout(&self, max_idle: Duration, now: Instant) -> Option<SendRequest<B>> {
        let mut idle = self.idle[self.slot()].lock().ok()?;
        if let Some(s) = idle.pop_ready(now, max_idle) {
            return Some(s);
        }
        if idle.busy.is_empty() {
            return None;
        }
        idle.settle();
        idle.pop_ready(now, max_idle)
    }

    async fn connect(&self, timeout: Duration) -> Result<SendRequest<B>, SendError> {
        let stream = match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(self.addr)).await {
            Err(_) => return Err(SendError::Connect("timed out".into())),
            Ok(Err(e)) if is_local_exhaustion(&e) => return Err(SendError::Local(e.to_string())),
            Ok(Err(e)) => return Err(SendError::Connect(e.to_string())),
            Ok(Ok(s)) => s,
        };
        let _ = stream.set_nodelay(true);
        let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&socket2::TcpKeepalive::new().with_time(Duration::from_secs(60)));
        let (send, conn) = http1::Builder::new().handshake(TokioIo::new(stream)).await.map_err(|e| SendError::Connect(e.to_string()))?;
        let addr = self.addr;
        tokio::spawn(async move {
            if let Err(e) = conn.with_upgrades().await {
                tracing::debug!(server = %addr, "upstream connection ended: {e}");
            }
        });
        Ok(send)
    }

    /// Hands a connection back after its response head arrived. It is
    /// busy until the response body has been read (or dropped) and is
    /// reused after that; one that closes instead (upgrade,
    /// `Connection: close`, error) is dropped when next looked at.
    fn push(self: &Arc<Self>, s: SendRequest<B>, max_idle: Duration, now: Instant) {
        let slot = self.slot();
        let Ok(mut idle) = self.idle[slot].lock() else { return };
        idle.expire(now, max_idle);
        if idle.stack.len() + idle.busy.len() < MAX_IDLE {
            if s.is_ready() {
                idle.stack.push_back((s, now));
            } else {
                idle.busy.push((s, now));
            }
        }
        if !idle.reaping {
            idle.reaping = true;
            self.reap(slot, max_idle);
        }
    }

    /// While connections idle here, closes those idle past `max_idle`
    /// (`upstream_idle`) even when no request comes to do it; ends when
    /// none is left or the stack itself is dropped (a reload).
    fn reap(self: &Arc<Self>, slot: usize, max_idle: Duration) {
        let home = Arc::downgrade(self);
        let every = (max_idle / 2).max(Duration::from_millis(100));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(home) = home.upgrade() else { return };
                let Ok(mut idle) = home.idle[slot].lock() else { return };
                idle.settle();
                idle.expire(Instant::now(), max_idle);
                idle.stack.retain(|(s, _)| !s.is_closed());
                if idle.stack.is_empty() && idle.busy.is_empty() {
                    idle.reaping = false;
                    return;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Empty};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// An HTTP/1.1 keep-alive server on loopback that counts connections.
    async fn origin() -> (SocketAddr, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(|_req| async {
                        Ok::<_, std::convert::Infallible>(Response::new(http_body_util::Full::new(bytes::Bytes::from_static(b"hello"))))
                    });
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(s), svc).await;
                });
            }
        });
        (addr, accepted)
    }

    #[test]
    fn one_connection_serves_requests_in_turn() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (addr, accepted) = origin().await;
            let conns: Arc<Conns<Empty<bytes::Bytes>>> = Arc::new(Conns::new(addr));
            let t = Timeouts { connect: Duration::from_secs(2), idle: Duration::from_secs(30) };
            for _ in 0..5 {
                let req = Request::builder().uri("/").header("host", "x").body(Empty::new()).unwrap();
                let resp = conns.send(req, t).await.map_err(|e| e.to_string()).unwrap();
                // The connection was handed back before its body was read.
                let body = resp.into_body().collect().await.unwrap().to_bytes();
                assert_eq!(&body[..], b"hello");
            }
            assert_eq!(accepted.load(Ordering::SeqCst), 1, "the connection was reused");
            // Two exchanges at once need two connections; both are kept.
            let a = conns.send(Request::builder().uri("/").header("host", "x").body(Empty::new()).unwrap(), t);
            let b = conns.send(Request::builder().uri("/").header("host", "x").body(Empty::new()).unwrap(), t);
            let (a, b) = tokio::join!(a, b);
            let (a, b) = (a.map_err(|e| e.to_string()).unwrap(), b.map_err(|e| e.to_string()).unwrap());
            assert_eq!(accepted.load(Ordering::SeqCst), 2);
            drop((a, b));
            tokio::task::yield_now().await;
            let idle = conns.idle[conns.slot()].lock().unwrap();
            assert_eq!(idle.stack.len() + idle.busy.len(), 2);
        });
    }
}
