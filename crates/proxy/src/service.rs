//! One request's path through Haetae:
//!
//! 1. protocol limits (URI, headers, framing) — refused with 4xx and an event;
//! 2. the site, by Host (or the h2 authority);
//! 3. the client IP, through the trusted-proxy list;
//! 4. the inspected body prefix is read;
//! 5. the request model is built and the site's engine judges it, inside
//!    the inspection time budget (a panic or timeout falls to `fail_open`);
//! 6. the site's mode decides: prevention blocks (403 + event id),
//!    detection logs, learning records;
//! 7. the request is forwarded ([`crate::forward`]).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use bytes::Bytes;
use haetae_config::{BodyOverflow, Mode};
use haetae_events::{Disposition, Event, Match, new_event_id, time};
use haetae_model::{Confidence, Finding, RequestBuilder, Verdict};
use haetae_seclang::eval::{Disruption, Interruption, RuleMatch, Suspended};
use http::{HeaderMap, Request, Response, StatusCode, header};
use hyper::body::Incoming;

use crate::body::{CollectError, ReqBody, RespBody, collect_prefix};
use crate::client_ip::client_ip;
use crate::forward;
use crate::pages;
use crate::runtime::{Runtime, SiteRt};
use crate::state::Shared;

/// What the connection knows about its peer.
pub struct ConnInfo {
    pub peer: SocketAddr,
    pub tls: bool,
    /// The peer's address (IPv4-mapped IPv6 as IPv4) as forwarding headers
    /// write it: formatted once per connection, not per request.
    pub peer_text: http::HeaderValue,
}

impl ConnInfo {
    pub fn new(peer: SocketAddr, tls: bool) -> Self {
        let text = crate::client_ip::canonical(peer.ip()).to_string();
        // An address's text is always a valid header value.
        let peer_text = http::HeaderValue::from_str(&text).unwrap_or_else(|_| http::HeaderValue::from_static("unknown"));
        Self { peer, tls, peer_text }
    }
}

/// Request facts kept for events and the access log.
pub struct Meta {
    pub started: Instant,
    pub method: http::Method,
    /// The request target as received (shared with the request, not copied).
    pub target: Option<http::uri::PathAndQuery>,
    pub host: String,
    pub client_ip: IpAddr,
    pub version: &'static str,
    pub user_agent: Option<String>,
    pub referer: Option<String>,
    pub tls: bool,
}

impl Meta {
    /// The request target for logs and events, cut at 4 KiB.
    pub fn uri(&self) -> &str {
        let t = self.target.as_ref().map_or("/", |p| p.as_str());
        &t[..t.floor_char_boundary(4096)]
    }
}

pub async fn handle(shared: Arc<Shared>, conn: Arc<ConnInfo>, req: Request<Incoming>) -> Result<Response<RespBody>, Infallible> {
    let rt = shared.rt.load_full();
    let started = Instant::now();
    let resp = route(&shared, &rt, &conn, req, started).await;
    Ok(resp)
}

fn version_str(v: http::Version) -> &'static str {
    match v {
        http::Version::HTTP_09 => "HTTP/0.9",
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2.0",
        http::Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).chars().take(512).collect())
}

/// The host name the client asked for, lower-cased, without port.
/// Err(reason) when it is missing, repeated or malformed.
fn host_of(req: &Request<Incoming>) -> Result<String, &'static str> {
    let mut hosts = req.headers().get_all(header::HOST).iter();
    let from_header = hosts.next();
    if hosts.next().is_some() {
        return Err("several Host headers");
    }
    let raw = match (from_header, req.uri().authority()) {
        (Some(h), _) => h.to_str().map_err(|_| "Host header is not ASCII")?,
        (None, Some(a)) => a.as_str(),
        (None, None) if req.version() == http::Version::HTTP_10 => "",
        (None, None) => return Err("missing Host header"),
    };
    let raw = raw.rsplit_once('@').map_or(raw, |(_, h)| h);
    let host = if let Some(rest) = raw.strip_prefix('[') {
        match rest.split_once(']') {
            Some((h, port)) if port.is_empty() || port.strip_prefix(':').is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit())) => h,
            _ => return Err("malformed Host header"),
        }
    } else {
        match raw.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
            Some(_) => return Err("malformed Host header"),
            None => raw,
        }
    };
    if !host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':')) {
        return Err("malformed Host header");
    }
    Ok(host.trim_end_matches('.').to_ascii_lowercase())
}

async fn route(shared: &Arc<Shared>, rt: &Arc<Runtime>, conn: &ConnInfo, req: Request<Incoming>, started: Instant) -> Response<RespBody> {
    let cfg = &rt.config;
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
    // User-Agent and Referer are only kept for the access log.
    let logging = shared.access.load().is_some();
    let mut meta = Meta {
        started,
        method: req.method().clone(),
        target: req.uri().path_and_query().cloned(),
        host: String::new(),
        client_ip: conn.peer.ip(),
        version: version_str(req.version()),
        user_agent: if logging { header_str(req.headers(), header::USER_AGENT) } else { None },
        referer: if logging { header_str(req.headers(), header::REFERER) } else { None },
        tls: conn.tls,
    };
    meta.client_ip = client_ip(conn.peer.ip(), req.headers(), &cfg.server.client_ip_header, &cfg.server.trusted);

    // 1. Limits that need no site.
    if target.len() as u64 > cfg.limits.max_uri_bytes.0 {
        return refuse(shared, None, &meta, StatusCode::URI_TOO_LONG, "request target longer than max_uri_bytes");
    }
    let hcount = req.headers().len();
    let hbytes: usize = req.headers().iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
    if hcount > cfg.limits.max_header_count || hbytes as u64 > cfg.limits.max_header_bytes.0 {
        return refuse(shared, None, &meta, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "too many or too large request headers");
    }
    // 2. The site.
    let host = match host_of(&req) {
        Ok(h) => h,
        Err(why) => return refuse(shared, None, &meta, StatusCode::BAD_REQUEST, why),
    };
    meta.host = host;
    let Some(site) = rt.site_for(&meta.host).cloned() else {
        return refuse(shared, None, &meta, StatusCode::MISDIRECTED_REQUEST, "no site is configured for this host");
    };
    // 3. Framing: a request carrying both Content-Length and
    // Transfer-Encoding is the shape of request smuggling.
    let h = req.headers();
    if h.contains_key(header::TRANSFER_ENCODING) && h.contains_key(header::CONTENT_LENGTH) {
        return refuse(
            shared,
            Some(&site),
            &meta,
            StatusCode::BAD_REQUEST,
            "both Content-Length and Transfer-Encoding (request smuggling)",
        );
    }
    if h.get_all(header::CONTENT_LENGTH).iter().count() > 1 {
        return refuse(shared, Some(&site), &meta, StatusCode::BAD_REQUEST, "several Content-Length headers");
    }
    if !site.method_allowed(req.method()) {
        return refuse(shared, Some(&site), &meta, StatusCode::METHOD_NOT_ALLOWED, "method not allowed for this site");
    }
    let declared = h.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    let inspect_limit = cfg.limits.inspect_body_bytes.0;
    if let Some(n) = declared {
        if n > cfg.limits.max_body_bytes.0 {
            return refuse(shared, Some(&site), &meta, StatusCode::PAYLOAD_TOO_LARGE, "body larger than max_body_bytes");
        }
        if n > inspect_limit && site.body_overflow == BodyOverflow::Reject {
            return refuse(shared, Some(&site), &meta, StatusCode::PAYLOAD_TOO_LARGE, "body larger than the inspection limit");
        }
    }

    // 4. The inspected prefix of the body.
    let (mut parts, body) = req.into_parts();
    let upgrade = parts.extensions.remove::<hyper::upgrade::OnUpgrade>();
    let is_upgrade = upgrade.is_some() && forward::is_upgrade_request(&parts.headers);
    // A request without a body (most GETs) needs no timer, and its
    // inspection starts as it arrived (one clock read fewer; the
    // difference is the routing above, well under the histogram's
    // smallest bucket).
    let bodiless = http_body::Body::is_end_stream(&body);
    let read = if bodiless {
        Ok(Ok(crate::body::Prefix { bytes: Bytes::new(), rest: None }))
    } else {
        tokio::time::timeout(cfg.timeouts.client_body.0, collect_prefix(body, inspect_limit as usize, cfg.limits.max_body_bytes.0)).await
    };
    let prefix = match read {
        Ok(Ok(p)) => p,
        Ok(Err(CollectError::TooLarge)) => {
            return refuse(shared, Some(&site), &meta, StatusCode::PAYLOAD_TOO_LARGE, "body larger than max_body_bytes");
        }
        Ok(Err(CollectError::Client(e))) => {
            let why = format!("unreadable request body: {e}");
            return refuse(shared, Some(&site), &meta, StatusCode::BAD_REQUEST, &why);
        }
        Err(_) => {
            return refuse(shared, Some(&site), &meta, StatusCode::REQUEST_TIMEOUT, "request body not received in time");
        }
    };
    if prefix.rest.is_some() && site.body_overflow == BodyOverflow::Reject {
        return refuse(shared, Some(&site), &meta, StatusCode::PAYLOAD_TOO_LARGE, "body larger than the inspection limit");
    }

    // 5. Inspection.
    let inspect_start = if bodiless { started } else { Instant::now() };
    let deadline = inspect_start + cfg.timeouts.inspection.0;
    let outcome = inspect(rt, &site, &parts, &prefix.bytes, prefix.rest.is_some(), meta.client_ip, inspect_limit as usize, deadline);
    let (outcome, pending) = match outcome {
        Ok((v, i, p)) => (Ok((v, i)), p),
        Err(e) => (Err(e), None),
    };
    site.metrics.inspection.observe(inspect_start.elapsed());

    // 6. The decision.
    let threshold = site.engine.threshold();
    let mut event_id = None;
    match outcome {
        Ok((v, rules)) if v.score >= threshold || rules.is_some() => {
            site.metrics.detected.fetch_add(1, Relaxed);
            // Rules under `SecRuleEngine DetectionOnly` only log.
            let enforce = v.score >= threshold || rules.as_ref().is_some_and(|r| r.enforce);
            let deny = rules.as_ref().filter(|r| r.enforce).map_or(403, |r| r.interruption.status);
            let (disp, status) = match site.mode {
                Mode::Prevention if enforce => (Disposition::Blocked, deny),
                Mode::Prevention | Mode::Detection => (Disposition::Logged, 0),
                Mode::Learning => (Disposition::Learned, 0),
            };
            let id = new_event_id();
            let excerpt = cfg.events.excerpt_chars;
            record(shared, &site, &meta, &id, status, disp, v.score, threshold, Event::matches_from(&v.findings, excerpt));
            if disp == Disposition::Blocked {
                site.metrics.blocked.fetch_add(1, Relaxed);
                let body = site.pages.block(&id, &site.name);
                let mut resp = html(StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN), body);
                match rules.filter(|r| r.enforce).map(|r| r.interruption.action) {
                    Some(Disruption::Redirect(to)) => {
                        if let Ok(v) = http::HeaderValue::from_str(&to) {
                            resp.headers_mut().insert(header::LOCATION, v);
                        }
                    }
                    Some(Disruption::Drop) => {
                        resp.headers_mut().insert(header::CONNECTION, http::HeaderValue::from_static("close"));
                    }
                    _ => {}
                }
                return finish(shared, Some(&site), &meta, resp, Some(id), None);
            }
            event_id = Some(id);
        }
        Ok(_) => {}
        Err(why) => {
            site.metrics.inspection_failures.fetch_add(1, Relaxed);
            let id = new_event_id();
            let m = failure(&why);
            if site.fail_open {
                record(shared, &site, &meta, &id, 0, Disposition::FailedOpen, 0, threshold, m);
                event_id = Some(id);
            } else {
                record(shared, &site, &meta, &id, 503, Disposition::FailedClosed, 0, threshold, m);
                let body = site.pages.error(503, &id, &site.name);
                return finish(shared, Some(&site), &meta, html(StatusCode::SERVICE_UNAVAILABLE, body), Some(id), None);
            }
        }
    }

    // 7. Forward.
    let inspected_body = pending.as_ref().map(|_| prefix.bytes.clone());
    let body = match prefix.rest {
        None => ReqBody::Full(Some(prefix.bytes)),
        Some(rest) => ReqBody::Chained { prefix: Some(prefix.bytes), rest, budget: cfg.limits.max_body_bytes.0 },
    };
    let fwd = forward::forward(rt, &site, parts, body, &meta, conn, if is_upgrade { upgrade } else { None }).await;
    match fwd {
        Ok((resp, upstream, guard)) => {
            let resp = match pending {
                Some(p) => match response_rules(shared, rt, &site, &meta, p, resp, inspected_body.unwrap_or_default()) {
                    AfterRules::Pass(resp) => resp,
                    AfterRules::Blocked(page, id) => return finish(shared, Some(&site), &meta, page, Some(id), None),
                },
                None => resp,
            };
            finish(shared, Some(&site), &meta, resp, event_id, Some((upstream, guard)))
        }
        Err(fail) => {
            let id = event_id.unwrap_or_else(new_event_id);
            let status = fail.status();
            if status == StatusCode::GATEWAY_TIMEOUT {
                site.metrics.upstream_timeouts.fetch_add(1, Relaxed);
            } else {
                site.metrics.upstream_errors.fetch_add(1, Relaxed);
            }
            tracing::warn!(site = %site.name, event = %id, "upstream failure: {}", fail.detail());
            let body = site.pages.error(status.as_u16(), &id, &site.name);
            finish(shared, Some(&site), &meta, html(status, body), Some(id), None)
        }
    }
}

/// The verdict, what the SecLang rules said, and the transaction waiting
/// for the response (when response phases run).
type Inspected = (Verdict, Option<RulesSay>, Option<Box<Pending>>);

/// Builds the model and runs the native engine and the site's SecLang
/// rules, turning a timeout or a panic into an error string (the caller
/// applies `fail_open`). SecLang matches join the verdict's findings; an
/// interruption (`deny`, `drop`, `redirect`) is returned beside it.
#[allow(clippy::too_many_arguments)]
fn inspect(
    rt: &Runtime,
    site: &SiteRt,
    parts: &http::request::Parts,
    body: &Bytes,
    truncated: bool,
    ip: IpAddr,
    limit: usize,
    deadline: Instant,
) -> Result<Inspected, String> {
    let run = || -> Result<Inspected, haetae_engine::Timeout> {
        let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let spare = SPARE_MODEL.take().unwrap_or_default();
        let mut b = RequestBuilder::reuse(spare, parts.method.as_str(), target, &rt.limits).client_ip(ip);
        for (n, v) in &parts.headers {
            b.header(n.as_str(), v.as_bytes());
        }
        let inspected = &body[..body.len().min(limit)];
        b.body(inspected, truncated || body.len() > limit);
        let model = b.build();
        let verdict = if site.native { site.engine.inspect_until(&model, Some(deadline)) } else { Ok(Verdict::allow()) };
        let Some(rules) = &site.rules else {
            give_back(model);
            return Ok((verdict?, None, None));
        };
        let mut verdict = verdict?;
        let mut t = rules.transaction(&model, inspected);
        t.protocol(version_str(parts.version));
        t.deadline(Some(deadline));
        t.request();
        if t.timed_out() {
            return Err(haetae_engine::Timeout);
        }
        if site.seclang_response && t.interruption().is_none() && t.would_interrupt().is_none() {
            // Phases 3-4 come with the response: keep the transaction.
            let state = t.suspend();
            // Boxed: it waits across the upstream exchange, and inline it
            // would enlarge every request's future.
            return Ok((verdict, None, Some(Box::new(Pending { model, state }))));
        }
        let outcome = t.finish();
        give_back(model);
        verdict.findings.extend(outcome.matched.into_iter().map(seclang_finding));
        Ok((verdict, RulesSay::of(outcome.interruption, outcome.would_interrupt), None))
    };
    match std::panic::catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(t)) => Err(t.to_string()),
        Err(_) => Err("inspection engine panicked".into()),
    }
}

thread_local! {
    /// The last request model this worker thread built, kept so the next
    /// one is built in its buffers instead of fresh allocations.
    static SPARE_MODEL: std::cell::Cell<Option<haetae_model::Request>> = const { std::cell::Cell::new(None) };
}

/// Keeps `model` for the thread's next request, unless its buffers grew
/// large (a big body): those are freed rather than held while idle.
fn give_back(model: haetae_model::Request) {
    const KEEP: usize = 64 * 1024;
    if model.capacity() <= KEEP {
        SPARE_MODEL.set(Some(model));
    }
}

fn seclang_finding(m: RuleMatch) -> Finding {
    Finding {
        detector: "seclang",
        rule_id: u32::try_from(m.id).unwrap_or(u32::MAX),
        location: m.var,
        excerpt: m.value,
        reason: if m.msg.is_empty() { format!("SecLang rule {}", m.id) } else { m.msg },
        confidence: if m.severity.is_some_and(|s| s <= 2) { Confidence::High } else { Confidence::Medium },
        score: 0,
    }
}

/// A SecLang transaction waiting for the response: the request model it
/// reads and its state after phases 1-2.
pub struct Pending {
    model: haetae_model::Request,
    state: Suspended,
}

/// Runs the site's SecLang phases 3-4 over the upstream's response (its
/// buffered body, when the rules read bodies). An interruption in
/// prevention mode replaces the response with the block page. Any other outcome passes the response on
/// (detection and learning modes record the event).
fn response_rules(
    shared: &Shared,
    rt: &Runtime,
    site: &SiteRt,
    meta: &Meta,
    p: Box<Pending>,
    resp: Response<RespBody>,
    req_body: Bytes,
) -> AfterRules {
    let Some(rules) = &site.rules else { return AfterRules::Pass(resp) };
    let headers: Vec<(String, Vec<u8>)> = resp.headers().iter().map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec())).collect();
    let body = resp.body().buffered().unwrap_or_default();
    let status = resp.status().as_u16();
    let deadline = Instant::now() + rt.config.timeouts.inspection.0;
    let run = || {
        let mut t = rules.resume(p.state, &p.model, &req_body);
        t.deadline(Some(deadline));
        t.response(haetae_seclang::eval::Response { status, protocol: meta.version, headers: &headers, body: &body });
        (t.timed_out(), t.finish())
    };
    let (timed_out, outcome) = match std::panic::catch_unwind(AssertUnwindSafe(run)) {
        Ok(o) => o,
        Err(_) => (true, haetae_seclang::eval::Outcome::default()),
    };
    if timed_out {
        // As for the request: `fail_open` decides.
        site.metrics.inspection_failures.fetch_add(1, Relaxed);
        let id = new_event_id();
        let threshold = site.engine.threshold();
        let m = failure("SecLang response phases failed or exceeded the inspection budget");
        if site.fail_open {
            record(shared, site, meta, &id, 0, Disposition::FailedOpen, 0, threshold, m);
            return AfterRules::Pass(resp);
        }
        record(shared, site, meta, &id, 503, Disposition::FailedClosed, 0, threshold, m);
        let page = site.pages.error(503, &id, &site.name);
        return AfterRules::Blocked(html(StatusCode::SERVICE_UNAVAILABLE, page), id);
    }
    let Some(say) = RulesSay::of(outcome.interruption, outcome.would_interrupt) else { return AfterRules::Pass(resp) };
    let i = say.interruption;
    site.metrics.detected.fetch_add(1, Relaxed);
    let id = new_event_id();
    let matches =
        Event::matches_from(&outcome.matched.into_iter().map(seclang_finding).collect::<Vec<_>>(), rt.config.events.excerpt_chars);
    let threshold = site.engine.threshold();
    if site.mode != Mode::Prevention || !say.enforce {
        let disp = if site.mode == Mode::Detection { Disposition::Logged } else { Disposition::Learned };
        record(shared, site, meta, &id, 0, disp, 0, threshold, matches);
        return AfterRules::Pass(resp);
    }
    record(shared, site, meta, &id, i.status, Disposition::Blocked, 0, threshold, matches);
    site.metrics.blocked.fetch_add(1, Relaxed);
    drop(resp);
    let page = site.pages.block(&id, &site.name);
    AfterRules::Blocked(html(StatusCode::from_u16(i.status).unwrap_or(StatusCode::FORBIDDEN), page), id)
}

/// What a site's SecLang rules decided: an interruption, enforced
/// (`SecRuleEngine On`) or only reported (`DetectionOnly`).
pub struct RulesSay {
    interruption: Interruption,
    enforce: bool,
}

impl RulesSay {
    fn of(done: Option<Interruption>, would: Option<Interruption>) -> Option<RulesSay> {
        match (done, would) {
            (Some(i), _) => Some(RulesSay { interruption: i, enforce: true }),
            (None, Some(i)) => Some(RulesSay { interruption: i, enforce: false }),
            (None, None) => None,
        }
    }
}

/// The event match for an inspection that failed (panic or time budget).
fn failure(why: &str) -> Vec<Match> {
    vec![Match {
        detector: "engine",
        rule_id: 0,
        location: String::new(),
        reason: why.to_owned(),
        confidence: Confidence::Low,
        score: 0,
        excerpt: String::new(),
    }]
}

/// The response, or the block page that replaces it (with its event id).
enum AfterRules {
    Pass(Response<RespBody>),
    Blocked(Response<RespBody>, String),
}

fn html(status: StatusCode, body: Bytes) -> Response<RespBody> {
    let mut r = Response::new(RespBody::full(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, http::HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    r
}

#[allow(clippy::too_many_arguments)]
fn record(
    shared: &Shared,
    site: &SiteRt,
    meta: &Meta,
    id: &str,
    status: u16,
    action: Disposition,
    score: u32,
    threshold: u32,
    matches: Vec<Match>,
) {
    shared.events.load().record(Event {
        id: id.to_owned(),
        time: time::rfc3339_now(),
        site: site.name.clone(),
        client_ip: meta.client_ip.to_string(),
        method: meta.method.to_string(),
        host: meta.host.clone(),
        url: meta.uri().to_owned(),
        status,
        action,
        mode: site.mode.as_str(),
        score,
        threshold,
        matches,
    });
}

/// Refuses a request with a protocol error: neutral page, event, metrics.
pub fn refuse(shared: &Shared, site: Option<&Arc<SiteRt>>, meta: &Meta, status: StatusCode, why: &str) -> Response<RespBody> {
    let mut ev = Event::rejected(status.as_u16(), why.to_owned());
    let id = ev.id.clone();
    if let Some(s) = site {
        ev.site = s.name.clone();
        ev.mode = s.mode.as_str();
    }
    ev.client_ip = meta.client_ip.to_string();
    ev.method = meta.method.to_string();
    ev.host = meta.host.clone();
    ev.url = meta.uri().to_owned();
    shared.events.load().record(ev);
    let body = match site {
        Some(s) => s.pages.error(status.as_u16(), &id, &s.name),
        None => pages::plain(status.as_u16()),
    };
    let mut r = html(status, body);
    // A client refused for its framing or size cannot be trusted to frame
    // its next request either (and an unread body may follow): close.
    r.headers_mut().insert(header::CONNECTION, http::HeaderValue::from_static("close"));
    finish(shared, site, meta, r, Some(id), None)
}

/// Counts the response and arranges the access-log line for when its body
/// has been sent.
pub fn finish(
    shared: &Shared,
    site: Option<&Arc<SiteRt>>,
    meta: &Meta,
    resp: Response<RespBody>,
    event_id: Option<String>,
    upstream: Option<(SocketAddr, crate::upstream::InflightGuard)>,
) -> Response<RespBody> {
    let status = resp.status().as_u16();
    let m = site.map_or(&shared.metrics.unrouted, |s| &s.metrics);
    m.status(status);
    m.latency.observe(meta.started.elapsed());
    let (addr, guard) = match upstream {
        Some((a, g)) => (Some(a), Some(g)),
        None => (None, None),
    };
    // Borrowed first: most setups log no access lines.
    let Some(access) = shared.access.load().as_ref().map(Arc::clone) else {
        if guard.is_none() {
            return resp;
        }
        return resp.map(|b| b.with_guard(guard));
    };
    let (parts, body) = resp.into_parts();
    let done = crate::access::Done::new(access, site.map(|s| s.name.clone()), meta, status, event_id, addr);
    Response::from_parts(parts, body.with_guard(guard).with_done(Some(Box::new(done))))
}
