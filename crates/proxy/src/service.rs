//! One request's walk over the phases of [`crate::phases`]: the request
//! head's filters, the inspected body, the inspect phase, the decision
//! ([`crate::decide`]), the upstream request, the response's filters, its
//! body's filters, and the logging phase when the body is done.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use bytes::Bytes;
use haetae_events::{Disposition, Event, Match, new_event_id, time};
use haetae_model::{Confidence, Limit, Source};
use haetae_seclang::eval::Disruption;
use http::{HeaderMap, Request, Response, StatusCode, header};
use hyper::body::Incoming;

use crate::body::{CollectError, ReqBody, RespBody, collect_prefix};
use crate::client_ip::client_ip;
use crate::decide::{Answer, Inspection, decide};
use crate::forward;
use crate::pages;
use crate::phases::inspect::{self, Fail, RulesSay};
use crate::phases::{Ctx, Flow, LogLine, Slots};
use crate::runtime::{Runtime, SiteRt};
use crate::state::Shared;

/// What the connection knows about its peer.
pub struct ConnInfo {
    pub peer: SocketAddr,
    pub tls: bool,
    /// The peer's address (IPv4-mapped IPv6 as IPv4) as forwarding headers
    /// write it: formatted once per connection, not per request.
    pub peer_text: http::HeaderValue,
    /// Raised when the client declared a chunk larger than the body limit.
    pub alarm: Arc<crate::chunk_guard::Alarm>,
}

impl ConnInfo {
    pub fn new(peer: SocketAddr, tls: bool, alarm: Arc<crate::chunk_guard::Alarm>) -> Self {
        let text = crate::client_ip::canonical(peer.ip()).to_string();
        // An address's text is always a valid header value.
        let peer_text = http::HeaderValue::from_str(&text).unwrap_or_else(|_| http::HeaderValue::from_static("unknown"));
        Self { peer, tls, peer_text, alarm }
    }
}

/// Request facts kept for events and the access log.
#[derive(Clone)]
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
    /// The request's declared body size (for the per-site counters; set
    /// by the framing stage).
    pub bytes_in: u64,
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
    // User-Agent and Referer are only kept for the access log.
    let logging = shared.access.load().is_some();
    let cfg = &rt.config;
    let meta = Meta {
        started,
        method: req.method().clone(),
        target: req.uri().path_and_query().cloned(),
        host: String::new(),
        client_ip: client_ip(conn.peer.ip(), req.headers(), &cfg.server.client_ip_header, &cfg.server.trusted),
        version: version_str(req.version()),
        user_agent: if logging { header_str(req.headers(), header::USER_AGENT) } else { None },
        referer: if logging { header_str(req.headers(), header::REFERER) } else { None },
        tls: conn.tls,
        bytes_in: req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok()).unwrap_or(0),
    };
    let mut ctx = Ctx { shared: &shared, rt: &rt, conn: &conn, meta, site: None, upgrade_to: None, slots: Slots::default() };
    Ok(walk(&mut ctx, req).await)
}

pub fn version_str(v: http::Version) -> &'static str {
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

/// The status and the event's reason for a request past one of the model's
/// bounds.
fn over_limit(l: Limit, source: Source, limits: &haetae_model::ParseLimits) -> (StatusCode, String) {
    let status = match (l, source) {
        (Limit::Cookies, _) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        (Limit::Params, Source::Query) => StatusCode::URI_TOO_LONG,
        (Limit::Params | Limit::Parts, _) => StatusCode::PAYLOAD_TOO_LARGE,
        (Limit::Depth | Limit::NameBytes, _) => StatusCode::BAD_REQUEST,
    };
    let why = format!(
        "{} {} in {}: limits.{} = {} (what lay past it would not be inspected)",
        l.what(),
        l.value(limits),
        source.collection(),
        l.key(),
        l.value(limits)
    );
    (status, why)
}

/// The id of the event a response answers (block pages carry it, for the
/// access log).
#[derive(Clone)]
pub struct EventId(pub String);

async fn walk(ctx: &mut Ctx<'_>, req: Request<Incoming>) -> Response<RespBody> {
    let rt = ctx.rt.clone();
    // 1. The request head.
    for stage in rt.stages.iter() {
        if let Flow::Answer(r) = stage.request_filter(ctx, &req) {
            return finish(ctx, *r, None, None);
        }
    }
    let Some(site) = ctx.site.clone() else {
        // The route stage always sets it or answers; never here.
        let r = refuse(ctx.shared, None, &ctx.meta, StatusCode::MISDIRECTED_REQUEST, "no site");
        return finish(ctx, r, None, None);
    };
    let cfg = &rt.config;

    // 2. The inspected part of the body.
    let (mut parts, body) = req.into_parts();
    let upgrade = parts.extensions.remove::<hyper::upgrade::OnUpgrade>();
    let upgrade = upgrade.zip(ctx.upgrade_to.clone());
    let inspect_limit = cfg.limits.inspect_body_bytes.0;
    // A request without a body (most GETs) needs no timer, and its
    // inspection starts as it arrived (one clock read fewer).
    let bodiless = http_body::Body::is_end_stream(&body);
    let read = if bodiless {
        Ok(Ok(crate::body::Prefix { bytes: Bytes::new(), rest: None }))
    } else {
        tokio::time::timeout(
            cfg.timeouts.client_body.0,
            collect_prefix(body, inspect_limit as usize, cfg.limits.max_body_bytes.0, &ctx.conn.alarm),
        )
        .await
    };
    let refused = |ctx: &mut Ctx<'_>, status, why: &str| {
        let r = refuse(ctx.shared, Some(&site), &ctx.meta, status, why);
        finish(ctx, r, None, None)
    };
    let prefix = match read {
        Ok(Ok(p)) => p,
        Ok(Err(CollectError::TooLarge)) => return refused(ctx, StatusCode::PAYLOAD_TOO_LARGE, "body larger than max_body_bytes"),
        Ok(Err(CollectError::ChunkTooLarge)) => {
            return refused(ctx, StatusCode::BAD_REQUEST, "a chunk declared larger than max_body_bytes");
        }
        Ok(Err(CollectError::Client(e))) => return refused(ctx, StatusCode::BAD_REQUEST, &format!("unreadable request body: {e}")),
        Err(_) => return refused(ctx, StatusCode::REQUEST_TIMEOUT, "request body not received in time"),
    };
    if prefix.rest.is_some()
        && crate::runtime::refuses_overflow(site.body_overflow, parts.headers.get(header::CONTENT_TYPE).map(|v| v.as_bytes()))
    {
        return refused(ctx, StatusCode::PAYLOAD_TOO_LARGE, crate::phases::framing_overflow());
    }

    // 3. Inspection.
    let inspect_start = if bodiless { ctx.meta.started } else { Instant::now() };
    let deadline = inspect_start + cfg.timeouts.inspection.0;
    let truncated = prefix.rest.is_some();
    let outcome = if inspect::offloads(&prefix.bytes) {
        let (o, p) = inspect::offloaded(ctx, &site, parts, &prefix.bytes, truncated, deadline).await;
        parts = p;
        o
    } else {
        inspect::here(ctx, &site, &parts, &prefix.bytes, truncated, deadline)
    };
    site.metrics.inspection.observe(inspect_start.elapsed());
    // A detector that panicked lost its finding on one value; say so once.
    for (detector, at) in haetae_engine::panics::take_first() {
        tracing::error!(site = %site.name, "detector {detector} panicked (at {at}); the other detectors went on; haetae_detector_panics_total counts them");
    }
    let threshold = site.engine.threshold();
    let (inspection, judged) = match outcome {
        Ok(j) => (
            Inspection::Done {
                native_over: j.verdict.score >= threshold,
                rules: RulesSay::said(j.rules.as_ref()),
                noted: !j.verdict.findings.is_empty(),
            },
            Some(j),
        ),
        Err(Fail::OverLimit(l, source)) => {
            let (status, why) = over_limit(l, source, &rt.limits);
            return refused(ctx, status, &why);
        }
        Err(Fail::Timeout) => (Inspection::Timeout, None),
        Err(Fail::Engine(why)) => {
            tracing::error!(site = %site.name, "inspection failed: {why}");
            (Inspection::Failed, None)
        }
    };

    // 4. The decision.
    let d = decide(site.policy(), inspection);
    if matches!(inspection, Inspection::Done { .. }) && d.record.is_some_and(|r| r != haetae_events::Disposition::Noted) {
        site.metrics.detected.fetch_add(1, Relaxed);
    }
    if matches!(inspection, Inspection::Timeout | Inspection::Failed) {
        site.metrics.inspection_failures.fetch_add(1, Relaxed);
    }
    let matches = match (&judged, inspection) {
        (Some(j), _) => Event::matches_from(&j.verdict.findings, cfg.events.excerpt_chars),
        (None, Inspection::Timeout) => failure(&format!(
            "inspection exceeded its time budget (timeouts.inspection = {:?}); on_timeout = {}",
            cfg.timeouts.inspection.0,
            if site.on_timeout == haetae_config::OnTimeout::Block { "block" } else { "pass" }
        )),
        (None, _) => failure("inspection engine failed"),
    };
    let found = Found { score: judged.as_ref().map_or(0, |j| j.verdict.score), threshold, matches };
    // A passed request's event waits for the status the client gets.
    let mut pending: Option<Event> = None;
    if let Some(disp) = d.record {
        let id = new_event_id();
        match page(&site, d.answer, &id) {
            Some((status, mut resp)) => {
                ctx.shared.record(event(&site, &ctx.meta, &id, status, disp, found));
                // A block by the rules does what their disruptive action says.
                let blocked = matches!(d.answer, Answer::Block(_));
                match judged.and_then(|j| j.rules).filter(|r| r.enforce && blocked).map(|r| r.interruption.action) {
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
                return finish(ctx, resp, Some(id), None);
            }
            None => pending = Some(event(&site, &ctx.meta, &id, 0, disp, found)),
        }
    }
    let event_id = pending.as_ref().map(|e| e.id.clone());

    // 5. The upstream request.
    for stage in rt.stages.iter() {
        stage.upstream_request(ctx, &mut parts);
    }
    let body = match prefix.rest {
        None => ReqBody::Full(Some(prefix.bytes)),
        Some(rest) => ReqBody::chained(prefix.bytes, rest, cfg.limits.max_body_bytes.0, cfg.timeouts.body_idle.0),
    };
    let wants_body = |h: &HeaderMap| rt.stages.iter().any(|s| s.wants_response_body(&site, h));
    let via = forward::Via { meta: &ctx.meta, conn: ctx.conn, upgrade, wants_body: &wants_body };
    let fwd = forward::forward(&rt, &site, parts, body, via).await;
    let (mut resp, upstream, guard) = match fwd {
        Ok(x) => x,
        Err(fail) => {
            let status = fail.status();
            match &fail {
                forward::Failure::Timeout => site.metrics.upstream_timeouts.fetch_add(1, Relaxed),
                // Out of file descriptors or memory here: not the upstream's fault.
                forward::Failure::Local(_) => ctx.shared.metrics.local_resource_errors.fetch_add(1, Relaxed),
                _ => site.metrics.upstream_errors.fetch_add(1, Relaxed),
            };
            let id = event_id.clone().unwrap_or_else(new_event_id);
            tracing::warn!(site = %site.name, event = %id, "upstream failure: {}", fail.detail());
            let page = site.pages.error(status.as_u16(), &id, &site.name);
            record_pending(ctx, pending, status.as_u16());
            return finish(ctx, html(status, page), Some(id), None);
        }
    };
    // A switch of protocols was spliced: nothing of it to filter.
    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
        record_pending(ctx, pending, 101);
        return finish(ctx, resp, event_id, Some((upstream, guard)));
    }

    // 6. The response head.
    for stage in rt.stages.iter() {
        if let Flow::Answer(r) = stage.response_filter(ctx, &mut resp) {
            let r = *r;
            let id = r.extensions().get::<EventId>().map(|e| e.0.clone()).or(event_id);
            record_pending(ctx, pending, r.status().as_u16());
            return finish(ctx, r, id, Some((upstream, guard)));
        }
    }

    // 7. The response body.
    let (head, body) = resp.into_parts();
    let chain: Vec<_> = rt.stages.iter().filter_map(|s| s.body_filter(ctx, &head)).collect();
    let mut resp = if chain.is_empty() {
        Response::from_parts(head, body)
    } else {
        let (body, len) = body.filtered(chain);
        let mut head = head;
        head.headers.remove(header::CONTENT_LENGTH);
        if let Some(n) = len {
            head.headers.insert(header::CONTENT_LENGTH, http::HeaderValue::from(n));
        }
        Response::from_parts(head, body)
    };
    resp.extensions_mut().remove::<EventId>();
    record_pending(ctx, pending, resp.status().as_u16());
    finish(ctx, resp, event_id, Some((upstream, guard)))
}

/// Records the event that waited for the status the client got.
fn record_pending(ctx: &Ctx<'_>, pending: Option<Event>, status: u16) {
    if let Some(mut ev) = pending {
        ev.status = status;
        ctx.shared.record(ev);
    }
}

/// The event match for an inspection that failed (panic or time budget).
pub(crate) fn failure(why: &str) -> Vec<Match> {
    vec![Match {
        detector: "engine".into(),
        shape: "engine.failure".into(),
        rule_id: 0,
        location: String::new(),
        reason: why.to_owned(),
        confidence: Confidence::Low,
        score: 0,
        excerpt: String::new(),
    }]
}

pub(crate) fn html(status: StatusCode, body: Bytes) -> Response<RespBody> {
    let mut r = Response::new(RespBody::full(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, http::HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    r
}

/// What inspection found, for an event.
pub(crate) struct Found {
    pub score: u32,
    pub threshold: u32,
    pub matches: Vec<Match>,
}

/// The page a decision answers with, and its status: the block page
/// (counted as blocked) or the neutral 503; `None` to pass.
pub(crate) fn page(site: &SiteRt, answer: Answer, id: &str) -> Option<(u16, Response<RespBody>)> {
    let (status, body) = match answer {
        Answer::Pass => return None,
        Answer::Block(s) => {
            site.metrics.blocked.fetch_add(1, Relaxed);
            (s, site.pages.block(id, &site.name))
        }
        Answer::Unavailable => (503, site.pages.error(503, id, &site.name)),
    };
    Some((status, html(StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN), body)))
}

pub(crate) fn event(site: &SiteRt, meta: &Meta, id: &str, status: u16, action: Disposition, found: Found) -> Event {
    let Found { score, threshold, matches } = found;
    Event {
        id: id.to_owned(),
        time: time::rfc3339_now(),
        site: site.name.clone(),
        client_ip: meta.client_ip.to_string(),
        method: meta.method.to_string(),
        host: meta.host.clone(),
        url: meta.uri().to_owned(),
        status,
        action,
        mode: site.mode.as_str().into(),
        score,
        threshold,
        matches,
    }
}

/// Refuses a request with a protocol error: neutral page, event, metrics.
pub fn refuse(shared: &Shared, site: Option<&Arc<SiteRt>>, meta: &Meta, status: StatusCode, why: &str) -> Response<RespBody> {
    let mut ev = Event::rejected(status.as_u16(), why.to_owned());
    let id = ev.id.clone();
    if let Some(s) = site {
        ev.site = s.name.clone();
        ev.mode = s.mode.as_str().into();
    }
    ev.client_ip = meta.client_ip.to_string();
    ev.method = meta.method.to_string();
    ev.host = meta.host.clone();
    ev.url = meta.uri().to_owned();
    shared.record(ev);
    let body = match site {
        Some(s) => s.pages.error(status.as_u16(), &id, &s.name),
        None => pages::plain(status.as_u16()),
    };
    let mut r = html(status, body);
    // A client refused for its framing or size cannot be trusted to frame
    // its next request either (and an unread body may follow): close.
    r.headers_mut().insert(header::CONNECTION, http::HeaderValue::from_static("close"));
    r.extensions_mut().insert(EventId(id));
    r
}

/// Counts the response and arranges the logging phase for when its body
/// has been sent.
fn finish(
    ctx: &Ctx<'_>,
    mut resp: Response<RespBody>,
    event_id: Option<String>,
    upstream: Option<(SocketAddr, crate::upstream::InflightGuard)>,
) -> Response<RespBody> {
    let event_id = resp.extensions_mut().remove::<EventId>().map(|e| e.0).or(event_id);
    let status = resp.status().as_u16();
    let shared = ctx.shared;
    let m = ctx.site.as_ref().map_or(&shared.metrics.unrouted, |s| &s.metrics);
    m.status(status);
    m.latency.observe(ctx.meta.started.elapsed());
    let (addr, guard) = match upstream {
        Some((a, g)) => (Some(a), Some(g)),
        None => (None, None),
    };
    // A body from the upstream counts its own failure (an upstream that
    // dies mid-response) against the site.
    let resp = if addr.is_some() { resp.map(|b| b.with_errors_to(m.clone())) } else { resp };
    let logs = ctx.rt.stages.iter().any(|s| s.logs(shared));
    if !logs {
        if guard.is_none() {
            return resp;
        }
        return resp.map(|b| b.with_guard(guard));
    }
    let (parts, body) = resp.into_parts();
    let done = Logging {
        shared: shared.clone(),
        rt: ctx.rt.clone(),
        line: Some(LogLine {
            site: ctx.site.as_ref().map(|s| s.name.clone()),
            meta: ctx.meta.clone(),
            status,
            bytes: 0,
            complete: false,
            event_id,
            upstream: addr,
            duration: std::time::Duration::ZERO,
        }),
    };
    Response::from_parts(parts, body.with_guard(guard).with_done(Some(Box::new(done))))
}

/// The logging phase, run when the response body is done.
struct Logging {
    shared: Arc<Shared>,
    rt: Arc<Runtime>,
    line: Option<LogLine>,
}

impl crate::body::OnDone for Logging {
    fn done(mut self: Box<Self>, bytes: u64, complete: bool) {
        let Some(mut line) = self.line.take() else { return };
        line.bytes = bytes;
        line.complete = complete;
        line.duration = line.meta.started.elapsed();
        for stage in self.rt.stages.iter() {
            stage.logging(&self.shared, &line);
        }
    }
}
