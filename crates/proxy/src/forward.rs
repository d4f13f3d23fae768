//! Forwarding to an upstream server: the request as the upstream should
//! see it (hop-by-hop headers removed, forwarding headers set), server
//! choice with failover on connection errors, the response cloaked and
//! optionally filtered, and WebSocket upgrades spliced.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, Uri};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::time::Sleep;

use crate::body::{ReqBody, RespBody};
use crate::client_ip::trusted;
use crate::runtime::{Runtime, SiteRt};
use crate::service::{ConnInfo, Meta};
use crate::upstream::InflightGuard;
use crate::upstream_conn::{SendError, Timeouts};

pub enum Failure {
    NoServer,
    Connect(String),
    /// Not the upstream's fault: this process ran out of file descriptors
    /// or memory making the connection (503, the server is not marked down).
    Local(String),
    Timeout,
    Upstream(String),
    RequestTooLarge,
}

impl Failure {
    pub fn status(&self) -> StatusCode {
        match self {
            Failure::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Failure::RequestTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Failure::Local(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_GATEWAY,
        }
    }

    pub fn detail(&self) -> String {
        match self {
            Failure::NoServer => "no upstream server".into(),
            Failure::Connect(e) => format!("connect: {e}"),
            Failure::Local(e) => format!("no local resources for an upstream connection: {e}"),
            Failure::Timeout => "upstream response timed out".into(),
            Failure::Upstream(e) => format!("upstream: {e}"),
            Failure::RequestTooLarge => "request body exceeded max_body_bytes while streaming".into(),
        }
    }
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");

const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
const PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");
/// The settings of an h2c upgrade: meaningless once the upgrade is
/// dropped, and never passed on.
const HTTP2_SETTINGS: HeaderName = HeaderName::from_static("http2-settings");

/// The hop-by-hop headers (RFC 9110 7.6.1, and the legacy `Keep-Alive`
/// and `Proxy-Connection`).
fn is_hop_by_hop(n: &HeaderName) -> bool {
    // Compared as names (a known header is a one-byte tag, so most
    // comparisons are one instruction): cheaper than turning each name
    // into its text first.
    *n == header::CONNECTION
        || *n == header::TE
        || *n == header::TRAILER
        || *n == header::TRANSFER_ENCODING
        || *n == header::UPGRADE
        || *n == header::PROXY_AUTHORIZATION
        || *n == header::PROXY_AUTHENTICATE
        || *n == KEEP_ALIVE
        || *n == PROXY_CONNECTION
        || *n == HTTP2_SETTINGS
}

fn strip_hop_by_hop(h: &mut HeaderMap) {
    // Most messages carry none: one pass over the names (each compared as
    // a known header, no hashing) instead of a lookup per hop-by-hop name.
    if !h.keys().any(is_hop_by_hop) {
        return;
    }
    if h.contains_key(header::CONNECTION) {
        strip_connection_named(h);
    }
    let present: Vec<HeaderName> = h.keys().filter(|n| is_hop_by_hop(n)).cloned().collect();
    for n in present {
        h.remove(n);
    }
}

/// Headers named in Connection are hop-by-hop too.
fn strip_connection_named(h: &mut HeaderMap) {
    let named: Vec<HeaderName> = h
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for n in named {
        h.remove(n);
    }
}

pub fn is_upgrade_request(h: &HeaderMap) -> bool {
    h.contains_key(header::UPGRADE)
        && h.get_all(header::CONNECTION)
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("upgrade"))))
}

/// The headers the upstream gets (the client's, rewritten in place).
fn upstream_headers(rt: &Runtime, parts: &mut http::request::Parts, meta: &Meta, conn: &ConnInfo, upgrade: bool) -> HeaderMap {
    let mut h = std::mem::take(&mut parts.headers);
    // Room for the forwarding headers, so the map grows once at most.
    h.reserve(6);
    let up_value = if upgrade { h.get(header::UPGRADE).cloned() } else { None };
    strip_hop_by_hop(&mut h);
    if upgrade && let Some(u) = up_value {
        h.insert(header::UPGRADE, u);
        h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
    if !h.contains_key(header::HOST)
        && let Some(a) = parts.uri.authority()
        && let Ok(v) = HeaderValue::from_str(a.as_str())
    {
        h.insert(header::HOST, v);
    }
    let cfg = &rt.config;
    let peer_trusted = !cfg.server.trusted.is_empty() && trusted(&cfg.server.trusted, conn.peer.ip());
    let peer = crate::client_ip::canonical(conn.peer.ip());
    let proto = if meta.tls { "https" } else { "http" };
    // The peer's address was formatted once for the connection.
    let peer_text = conn.peer_text.to_str().unwrap_or("unknown");
    // From an untrusted peer, forwarding headers are the client's own
    // claims: replace them rather than pass a forged chain on.
    let xff = match (peer_trusted, h.get(&X_FORWARDED_FOR).and_then(|v| v.to_str().ok())) {
        (true, Some(prev)) => HeaderValue::try_from(format!("{prev}, {peer_text}")).ok(),
        _ => Some(conn.peer_text.clone()),
    };
    let mut fwd = String::with_capacity(64 + meta.host.len());
    match (peer_trusted, h.get(header::FORWARDED).and_then(|v| v.to_str().ok())) {
        (true, Some(prev)) => {
            fwd.push_str(prev);
            fwd.push_str(", ");
            push_node(&mut fwd, peer, peer_text, proto);
        }
        _ => {
            push_node(&mut fwd, peer, peer_text, proto);
            fwd.push_str(";host=\"");
            fwd.push_str(&meta.host);
            fwd.push('"');
        }
    }
    let real_ip =
        if meta.client_ip == peer { Some(conn.peer_text.clone()) } else { HeaderValue::try_from(meta.client_ip.to_string()).ok() };
    if let Some(v) = xff {
        h.insert(X_FORWARDED_FOR, v);
    }
    if let Ok(v) = HeaderValue::try_from(fwd) {
        h.insert(header::FORWARDED, v);
    }
    if let Some(v) = real_ip {
        h.insert(X_REAL_IP, v);
    }
    if !peer_trusted || !h.contains_key(&X_FORWARDED_PROTO) {
        h.insert(X_FORWARDED_PROTO, HeaderValue::from_static(proto));
    }
    if (!peer_trusted || !h.contains_key(&X_FORWARDED_HOST))
        && let Ok(v) = HeaderValue::try_from(meta.host.as_str())
    {
        h.insert(X_FORWARDED_HOST, v);
    }
    h
}

/// `for=<node>;proto=<proto>` of a Forwarded element (RFC 7239: an IPv6
/// node is bracketed and quoted).
fn push_node(out: &mut String, peer: std::net::IpAddr, peer_text: &str, proto: &str) {
    out.push_str("for=");
    if peer.is_ipv6() {
        out.push_str("\"[");
        out.push_str(peer_text);
        out.push_str("]\"");
    } else {
        out.push_str(peer_text);
    }
    out.push_str(";proto=");
    out.push_str(proto);
}

/// How a request goes out: who asked, over which connection, the
/// upgrade it may make, and whether a stage reads the response body.
pub struct Via<'a> {
    pub meta: &'a Meta,
    pub conn: &'a ConnInfo,
    /// The client's pending upgrade and the protocol it may switch to.
    pub upgrade: Option<(OnUpgrade, String)>,
    pub wants_body: &'a (dyn Fn(&HeaderMap) -> bool + Sync),
}

pub async fn forward(
    rt: &Arc<Runtime>,
    site: &Arc<SiteRt>,
    mut parts: http::request::Parts,
    body: ReqBody,
    via: Via<'_>,
) -> Result<(Response<RespBody>, SocketAddr, InflightGuard), Failure> {
    let Via { meta, conn, upgrade: client_upgrade, wants_body } = via;
    let headers = upstream_headers(rt, &mut parts, meta, conn, client_upgrade.is_some());
    let pq = parts.uri.path_and_query().cloned().unwrap_or_else(|| http::uri::PathAndQuery::from_static("/"));
    let replay = body.replayable();
    // Keep a copy of the headers only when a retry is possible.
    let retry_headers = (replay.is_some() && site.pool.servers.len() > 1).then(|| headers.clone());
    let mut headers = Some(headers);
    let mut body = Some(body);
    let mut tried: Vec<usize> = Vec::new();
    let mut resent_stale = false;
    loop {
        let Some(i) = site.pool.pick(meta.client_ip, &tried) else {
            return Err(Failure::NoServer);
        };
        tried.push(i);
        let server = &site.pool.servers[i];
        let addr = server.addr;
        let b = match body.take() {
            Some(b) => b,
            None => match &replay {
                Some(r) => ReqBody::Full(r.clone()),
                None => return Err(Failure::NoServer),
            },
        };
        let mut req = Request::new(b);
        *req.method_mut() = parts.method.clone();
        *req.uri_mut() = Uri::from(pq.clone());
        let mut h = match headers.take() {
            Some(h) => h,
            None => retry_headers.clone().unwrap_or_default(),
        };
        // HTTP/1.0 clients may send no Host; HTTP/1.1 upstreams need one.
        if !h.contains_key(header::HOST)
            && let Ok(v) = HeaderValue::from_str(server.authority.as_str())
        {
            h.insert(header::HOST, v);
        }
        *req.headers_mut() = h;
        let guard = site.pool.start(i);
        let t = &rt.config.timeouts;
        let limits = Timeouts { connect: t.upstream_connect.0, idle: t.upstream_idle.0 };
        // One timer for the response head and a body read whole: each
        // timer costs a registration in the wheel and its removal.
        let budget = tokio::time::sleep(t.upstream_response.0);
        tokio::pin!(budget);
        let sent = tokio::select! {
            biased;
            r = server.conns.send(req, limits) => Ok(r),
            () = &mut budget => Err(()),
        };
        let resp = match sent {
            Err(()) => return Err(Failure::Timeout),
            Ok(Err(SendError::Local(e))) => return Err(Failure::Local(format!("{addr}: {e}"))),
            Ok(Err(SendError::Connect(e))) => {
                site.pool.failed(i);
                drop(guard);
                let more = tried.len() < site.pool.servers.len();
                if more && replay.is_some() {
                    tracing::debug!(server = %addr, "connect failed, trying the next server: {e}");
                    continue;
                }
                return Err(Failure::Connect(format!("{addr}: {e}")));
            }
            Ok(Err(SendError::Stale(e))) if !resent_stale && replay.is_some() && parts.method.is_idempotent() => {
                // The server closed an idle connection as we reused it; the
                // request never reached the application, so send it again
                // (once) on a fresh one.
                tracing::debug!(server = %addr, "reused connection was closed, resending: {e}");
                resent_stale = true;
                drop(guard);
                tried.pop();
                continue;
            }
            Ok(Err(SendError::Stale(e) | SendError::Http(e))) => {
                let too_large = caused_by_too_large(&e);
                if too_large {
                    return Err(Failure::RequestTooLarge);
                }
                return Err(Failure::Upstream(format!("{addr}: {e}")));
            }
            Ok(Ok(r)) => r,
        };
        site.pool.succeeded(i);
        let resp = respond(site, resp, client_upgrade, budget, t.body_idle.0, wants_body).await?;
        return Ok((resp, addr, guard));
    }
}

fn caused_by_too_large(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = e.source();
    while let Some(s) = cur {
        if s.is::<crate::body::TooLarge>() {
            return true;
        }
        cur = s.source();
    }
    false
}

/// Responses up to this size (by Content-Length) are read whole before the
/// head is sent, so head and body leave in one write, as nginx's proxy
/// buffering does; upstreams often send them in separate segments.
const COALESCE: u64 = 32 * 1024;

fn is_event_stream(h: &HeaderMap) -> bool {
    h.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"))
}

/// For a body of unknown length: waits for the first frame, then takes
/// what is already there without waiting. If that reaches the end, the
/// response goes out whole (one write, with a Content-Length) instead of
/// chunk by chunk; otherwise it streams on from where it is.
async fn gather_available(mut body: hyper::body::Incoming, budget: Pin<&mut Sleep>) -> Result<RespBody, Failure> {
    use futures_util::FutureExt;
    use http_body_util::BodyExt;
    let mut buf = bytes::BytesMut::new();
    let first = tokio::select! {
        biased;
        f = body.frame() => f,
        () = budget => return Err(Failure::Timeout),
    };
    let first = match first {
        None => return Ok(RespBody::empty()),
        Some(Err(e)) => return Err(Failure::Upstream(e.to_string())),
        Some(Ok(f)) => f,
    };
    if let Ok(d) = first.into_data() {
        buf.extend_from_slice(&d);
    }
    // Let the upstream connection task hand over what it has already read.
    tokio::task::yield_now().await;
    while buf.len() as u64 <= COALESCE {
        if http_body::Body::is_end_stream(&body) {
            return Ok(RespBody::full(buf.freeze()));
        }
        match body.frame().now_or_never() {
            Some(None) => return Ok(RespBody::full(buf.freeze())),
            Some(Some(Ok(f))) => {
                if let Ok(d) = f.into_data() {
                    buf.extend_from_slice(&d);
                }
            }
            Some(Some(Err(e))) => return Err(Failure::Upstream(e.to_string())),
            None => break,
        }
    }
    Ok(RespBody::chained(buf.freeze(), body))
}

async fn respond(
    site: &SiteRt,
    mut resp: Response<hyper::body::Incoming>,
    client_upgrade: Option<(OnUpgrade, String)>,
    budget: Pin<&mut Sleep>,
    idle: std::time::Duration,
    wants_body: &(dyn Fn(&HeaderMap) -> bool + Sync),
) -> Result<Response<RespBody>, Failure> {
    let status = resp.status();
    // RFC 9112 6.3: both framings at once is an error, and forwarding the
    // Content-Length of a chunked body lets the upstream write the next
    // response into the client's stream. The connection is not reused
    // (`upstream_conn` drops it).
    if crate::upstream_conn::framing_is_ambiguous(resp.headers()) {
        return Err(Failure::Upstream("response has both Content-Length and Transfer-Encoding".into()));
    }
    if status == StatusCode::SWITCHING_PROTOCOLS {
        let Some((client, asked)) = client_upgrade else {
            return Err(Failure::Upstream("upstream switched protocols without an upgrade request".into()));
        };
        // Only to the protocol the client asked for (and the site allows).
        let to = resp.headers().get(header::UPGRADE).and_then(|v| v.to_str().ok()).map(|v| {
            let first = v.split(',').next().unwrap_or(v).trim();
            first.split('/').next().unwrap_or(first).trim().to_ascii_lowercase()
        });
        if to.as_deref() != Some(asked.as_str()) {
            return Err(Failure::Upstream(format!("upstream switched to {to:?}, not the requested `{asked}`")));
        }
        let upstream = resp.extensions_mut().remove::<OnUpgrade>();
        let (mut parts, _) = resp.into_parts();
        crate::phases::cloak_headers(site, &mut parts.headers);
        if let Some(upstream) = upstream {
            tokio::spawn(async move {
                match tokio::join!(client, upstream) {
                    (Ok(c), Ok(u)) => {
                        let mut c = TokioIo::new(c);
                        let mut u = TokioIo::new(u);
                        if let Err(e) = tokio::io::copy_bidirectional(&mut c, &mut u).await {
                            tracing::debug!("upgraded connection ended: {e}");
                        }
                    }
                    (c, u) => tracing::debug!("upgrade failed: client {:?}, upstream {:?}", c.err(), u.err()),
                }
            });
        }
        return Ok(Response::from_parts(parts, RespBody::empty()));
    }
    let (mut parts, body) = resp.into_parts();
    // The client's connection speaks Haetae's HTTP, not the upstream's
    // (an HTTP/1.0 upstream would otherwise turn the client's keep-alive
    // connection into a 1.0 one).
    parts.version = http::Version::HTTP_11;
    strip_hop_by_hop(&mut parts.headers);
    // A stage reads the body (SecLang's response rules): held within
    // `response.max_buffer`, inside the upstream time budget.
    let encoded = parts.headers.get(header::CONTENT_ENCODING).is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
    let body = if !encoded && wants_body(&parts.headers) {
        let held = tokio::select! {
            biased;
            r = crate::body::hold(&mut parts.headers, body, site.response.max_buffer.0 as usize) => r,
            () = budget => return Err(Failure::Timeout),
        };
        held.map_err(|e| Failure::Upstream(e.to_string()))?
    } else if http_body::Body::size_hint(&body).exact().is_some_and(|n| n > 0 && n <= COALESCE) {
        use http_body_util::BodyExt;
        let collected = tokio::select! {
            biased;
            b = body.collect() => b,
            () = budget => return Err(Failure::Timeout),
        };
        match collected {
            Ok(b) => RespBody::full(b.to_bytes()),
            Err(e) => return Err(Failure::Upstream(e.to_string())),
        }
    } else if http_body::Body::size_hint(&body).exact().is_none() && !is_event_stream(&parts.headers) {
        gather_available(body, budget).await?
    } else {
        RespBody::stream(body)
    };
    Ok(Response::from_parts(parts, body.idle_after(idle)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_are_removed_and_the_rest_kept() {
        let mut h = HeaderMap::new();
        for (n, v) in [
            ("connection", "keep-alive, x-secret"),
            ("keep-alive", "timeout=5"),
            ("proxy-connection", "keep-alive"),
            ("te", "trailers"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "h2c"),
            ("proxy-authorization", "Basic eA=="),
            ("x-secret", "named in Connection"),
            ("accept", "*/*"),
            ("x-custom", "1"),
        ] {
            h.append(HeaderName::from_static(n), HeaderValue::from_static(v));
        }
        strip_hop_by_hop(&mut h);
        let left: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
        assert_eq!(left, ["accept", "x-custom"]);
        assert!(!is_hop_by_hop(&header::HOST));
        assert!(is_hop_by_hop(&HeaderName::from_static("proxy-authenticate")));
    }
}
