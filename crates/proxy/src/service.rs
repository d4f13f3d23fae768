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
use haetae_events::{Disposition, Event, Match, new_event_id, time};
use haetae_model::{Confidence, Finding, Limit, RequestBuilder, Source, Verdict};
use haetae_seclang::eval::{Disruption, Interruption, RuleMatch, Suspended};
use http::{HeaderMap, Request, Response, StatusCode, header};
use hyper::body::Incoming;

use crate::body::{CollectError, ReqBody, RespBody, collect_prefix};
use crate::client_ip::client_ip;
use crate::decide::{Answer, Inspection, Rules, decide};
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

/// Why a body past the inspection limit is refused.
const OVERFLOW: &str =
    "body larger than limits.inspect_body_bytes (a form, JSON, XML or text body is inspected whole; see site.body_overflow)";

/// Bodies at least this large are inspected on the blocking pool, not on
/// the worker's event loop: a megabyte of hostile padding costs the
/// engine milliseconds, and every other connection of the worker would
/// wait that long.
const OFFLOAD_FROM: usize = 64 * 1024;

/// Framing a proxy must not guess at (RFC 9112 6): refused before anything
/// is read, with the status and why. The connection is closed after the
/// refusal, so nothing that follows on it is read as a request.
fn framing(req: &Request<Incoming>) -> Result<(), (StatusCode, String)> {
    let h = req.headers();
    let bad = |why: &str| Err((StatusCode::BAD_REQUEST, why.to_owned()));
    if h.contains_key(header::TRANSFER_ENCODING) && h.contains_key(header::CONTENT_LENGTH) {
        return bad("both Content-Length and Transfer-Encoding (request smuggling)");
    }
    if h.get_all(header::CONTENT_LENGTH).iter().count() > 1 {
        return bad("several Content-Length headers");
    }
    if h.contains_key(header::TRANSFER_ENCODING) {
        let mut chunked = 0;
        let mut codings = 0;
        for v in h.get_all(header::TRANSFER_ENCODING) {
            let Ok(v) = v.to_str() else { return bad("Transfer-Encoding is not ASCII") };
            for c in v.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                codings += 1;
                if c.eq_ignore_ascii_case("chunked") {
                    chunked += 1;
                } else {
                    // The upstream would have to undo a coding the proxy
                    // never inspected under.
                    return Err((StatusCode::NOT_IMPLEMENTED, format!("transfer coding `{c}` is not supported")));
                }
            }
        }
        if codings == 0 {
            return bad("empty Transfer-Encoding");
        }
        if chunked > 1 {
            return bad("chunked applied more than once");
        }
    }
    // Origin-form (`/path`), absolute-form (`http://host/path`), or `*` for
    // OPTIONS; `GET abc` is none of them (it was forwarded as `GET /`).
    let t = req.uri().path_and_query().map(|p| p.as_str());
    match t {
        Some(t) if t.starts_with('/') => {}
        Some("*") if req.method() == http::Method::OPTIONS => {}
        _ if req.method() == http::Method::CONNECT => {}
        _ => return bad("request target is not a path"),
    }
    Ok(())
}

/// The first protocol an `Upgrade` header asks for, lower-cased, without
/// a version (`websocket`, `h2c`).
fn upgrade_protocol(h: &HeaderMap) -> Option<String> {
    let v = h.get(header::UPGRADE)?.to_str().ok()?;
    let first = v.split(',').next()?.trim();
    let name = first.split('/').next().unwrap_or(first).trim();
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
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
    // 3. Framing, method, declared size.
    if let Err((status, why)) = framing(&req) {
        return refuse(shared, Some(&site), &meta, status, &why);
    }
    if !site.method_allowed(req.method()) {
        return refuse(shared, Some(&site), &meta, StatusCode::METHOD_NOT_ALLOWED, "method not allowed for this site");
    }
    let h = req.headers();
    let declared = h.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    let inspect_limit = cfg.limits.inspect_body_bytes.0;
    if let Some(n) = declared {
        if n > cfg.limits.max_body_bytes.0 {
            return refuse(shared, Some(&site), &meta, StatusCode::PAYLOAD_TOO_LARGE, "body larger than max_body_bytes");
        }
        if n > inspect_limit && crate::runtime::refuses_overflow(site.body_overflow, h.get(header::CONTENT_TYPE).map(|v| v.as_bytes())) {
            return refuse(shared, Some(&site), &meta, StatusCode::PAYLOAD_TOO_LARGE, OVERFLOW);
        }
    }

    // 4. The inspected prefix of the body.
    let (mut parts, body) = req.into_parts();
    let upgrade = parts.extensions.remove::<hyper::upgrade::OnUpgrade>();
    // Only an upgrade the site allows is passed on (and spliced after a
    // 101); any other `Upgrade` is dropped and the request goes on as
    // plain HTTP. `h2c` never: after the switch nothing is inspected.
    let upgrade_to = if forward::is_upgrade_request(&parts.headers) { upgrade_protocol(&parts.headers) } else { None };
    let allowed_upgrade = upgrade_to.filter(|p| site.upgrades.iter().any(|u| u == p));
    if allowed_upgrade.is_none() && parts.headers.contains_key(header::UPGRADE) {
        shared.metrics.upgrades_refused.fetch_add(1, Relaxed);
    }
    let upgrade = if allowed_upgrade.is_some() { upgrade } else { None };
    // A request without a body (most GETs) needs no timer, and its
    // inspection starts as it arrived (one clock read fewer; the
    // difference is the routing above, well under the histogram's
    // smallest bucket).
    let bodiless = http_body::Body::is_end_stream(&body);
    let read = if bodiless {
        Ok(Ok(crate::body::Prefix { bytes: Bytes::new(), rest: None }))
    } else {
        tokio::time::timeout(
            cfg.timeouts.client_body.0,
            collect_prefix(body, inspect_limit as usize, cfg.limits.max_body_bytes.0, &conn.alarm),
        )
        .await
    };
    let prefix = match read {
        Ok(Ok(p)) => p,
        Ok(Err(CollectError::TooLarge)) => {
            return refuse(shared, Some(&site), &meta, StatusCode::PAYLOAD_TOO_LARGE, "body larger than max_body_bytes");
        }
        Ok(Err(CollectError::ChunkTooLarge)) => {
            return refuse(shared, Some(&site), &meta, StatusCode::BAD_REQUEST, "a chunk declared larger than max_body_bytes");
        }
        Ok(Err(CollectError::Client(e))) => {
            let why = format!("unreadable request body: {e}");
            return refuse(shared, Some(&site), &meta, StatusCode::BAD_REQUEST, &why);
        }
        Err(_) => {
            return refuse(shared, Some(&site), &meta, StatusCode::REQUEST_TIMEOUT, "request body not received in time");
        }
    };
    if prefix.rest.is_some()
        && crate::runtime::refuses_overflow(site.body_overflow, parts.headers.get(header::CONTENT_TYPE).map(|v| v.as_bytes()))
    {
        return refuse(shared, Some(&site), &meta, StatusCode::PAYLOAD_TOO_LARGE, OVERFLOW);
    }

    // 5. Inspection.
    let inspect_start = if bodiless { started } else { Instant::now() };
    let deadline = inspect_start + cfg.timeouts.inspection.0;
    let truncated = prefix.rest.is_some();
    let outcome = if prefix.bytes.len() >= OFFLOAD_FROM {
        let (rt2, site2, body2) = (rt.clone(), site.clone(), prefix.bytes.clone());
        let ip = meta.client_ip;
        // Bounded: a flood of large bodies queues here (its wait counts
        // against its own deadline) instead of taking every core.
        let permit = shared.offload.clone().acquire_owned().await;
        shared.metrics.offloaded_inspections.fetch_add(1, Relaxed);
        let joined = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let r = inspect(&rt2, &site2, &parts, &body2, truncated, ip, inspect_limit as usize, deadline);
            (r, parts)
        })
        .await;
        match joined {
            Ok((r, p)) => {
                parts = p;
                r
            }
            Err(e) => {
                // The task itself failed: the request's parts are gone
                // with it, so it cannot be forwarded whatever fail_open says.
                tracing::error!(site = %site.name, "inspection task failed: {e}");
                site.metrics.inspection_failures.fetch_add(1, Relaxed);
                let id = new_event_id();
                record(
                    shared,
                    &site,
                    &meta,
                    &id,
                    503,
                    Disposition::FailedClosed,
                    0,
                    site.engine.threshold(),
                    failure("inspection task failed"),
                );
                let body = site.pages.error(503, &id, &site.name);
                return finish(shared, Some(&site), &meta, html(StatusCode::SERVICE_UNAVAILABLE, body), Some(id), None, None);
            }
        }
    } else {
        inspect(rt, &site, &parts, &prefix.bytes, truncated, meta.client_ip, inspect_limit as usize, deadline)
    };
    site.metrics.inspection.observe(inspect_start.elapsed());
    // A detector that panicked lost its finding on one value; say so once.
    for (detector, at) in haetae_engine::panics::take_first() {
        tracing::error!(site = %site.name, "detector {detector} panicked (at {at}); the other detectors went on; haetae_detector_panics_total counts them");
    }
    let threshold = site.engine.threshold();
    let (inspection, verdict, rules, pending) = match outcome {
        Ok((v, r, p)) => {
            let said = match &r {
                None => Rules::Quiet,
                Some(r) if r.enforce => Rules::Interrupt(r.interruption.status),
                Some(_) => Rules::WouldInterrupt,
            };
            (Inspection::Done { native_over: v.score >= threshold, rules: said }, Some(v), r, p)
        }
        Err(Fail::OverLimit(l, source)) => {
            let (status, why) = over_limit(l, source, &rt.limits);
            return refuse(shared, Some(&site), &meta, status, &why);
        }
        Err(Fail::Timeout) => (Inspection::Timeout, None, None, None),
        Err(Fail::Engine(why)) => {
            tracing::error!(site = %site.name, "inspection failed: {why}");
            (Inspection::Failed, None, None, None)
        }
    };

    // 6. The decision.
    let d = decide(site.policy(), inspection);
    if matches!(inspection, Inspection::Done { .. }) && d.record.is_some() {
        site.metrics.detected.fetch_add(1, Relaxed);
    }
    if matches!(inspection, Inspection::Timeout | Inspection::Failed) {
        site.metrics.inspection_failures.fetch_add(1, Relaxed);
    }
    let matches = match (&verdict, inspection) {
        (Some(v), _) => Event::matches_from(&v.findings, cfg.events.excerpt_chars),
        (None, Inspection::Timeout) => failure(&format!(
            "inspection exceeded its time budget (timeouts.inspection = {:?}); on_timeout = {}",
            cfg.timeouts.inspection.0,
            if site.on_timeout == haetae_config::OnTimeout::Block { "block" } else { "pass" }
        )),
        (None, _) => failure("inspection engine failed"),
    };
    let score = verdict.as_ref().map_or(0, |v| v.score);
    let mut noted: Option<Event> = None;
    match (d.answer, d.record) {
        (_, None) => {}
        (Answer::Block(status), Some(disp)) => {
            let id = new_event_id();
            record(shared, &site, &meta, &id, status, disp, score, threshold, matches);
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
            return finish(shared, Some(&site), &meta, resp, Some(id), None, None);
        }
        (Answer::Unavailable, Some(disp)) => {
            let id = new_event_id();
            record(shared, &site, &meta, &id, 503, disp, score, threshold, matches);
            let body = site.pages.error(503, &id, &site.name);
            return finish(shared, Some(&site), &meta, html(StatusCode::SERVICE_UNAVAILABLE, body), Some(id), None, None);
        }
        (Answer::Pass, Some(disp)) => {
            // Recorded once the response is known, with the status the
            // client got.
            noted = Some(event(&site, &meta, &new_event_id(), 0, disp, score, threshold, matches));
        }
    }

    // 7. Forward.
    let inspected_body = pending.as_ref().map(|_| prefix.bytes.clone());
    let body = match prefix.rest {
        None => ReqBody::Full(Some(prefix.bytes)),
        Some(rest) => ReqBody::chained(prefix.bytes, rest, cfg.limits.max_body_bytes.0, cfg.timeouts.body_idle.0),
    };
    let fwd = forward::forward(rt, &site, parts, body, &meta, conn, upgrade.zip(allowed_upgrade)).await;
    let event_id = noted.as_ref().map(|e| e.id.clone());
    match fwd {
        Ok((resp, upstream, guard)) => {
            let resp = match pending {
                Some(p) => match response_rules(shared, rt, &site, &meta, p, resp, inspected_body.unwrap_or_default()) {
                    AfterRules::Pass(resp) => resp,
                    AfterRules::Blocked(page, id) => return finish(shared, Some(&site), &meta, page, Some(id), None, noted),
                },
                None => resp,
            };
            finish(shared, Some(&site), &meta, resp, event_id, Some((upstream, guard)), noted)
        }
        Err(fail) => {
            let status = fail.status();
            match &fail {
                forward::Failure::Timeout => site.metrics.upstream_timeouts.fetch_add(1, Relaxed),
                // Out of file descriptors or memory here: not the upstream's fault.
                forward::Failure::Local(_) => shared.metrics.local_resource_errors.fetch_add(1, Relaxed),
                _ => site.metrics.upstream_errors.fetch_add(1, Relaxed),
            };
            let id = event_id.clone().unwrap_or_else(new_event_id);
            tracing::warn!(site = %site.name, event = %id, "upstream failure: {}", fail.detail());
            let body = site.pages.error(status.as_u16(), &id, &site.name);
            finish(shared, Some(&site), &meta, html(status, body), Some(id), None, noted)
        }
    }
}

/// Why inspection gave no verdict.
enum Fail {
    /// The request holds more than the model does: refused, never judged
    /// on a part of it.
    OverLimit(Limit, Source),
    Timeout,
    /// The engine failed (a panic).
    Engine(String),
}

/// The verdict, what the SecLang rules said, and the transaction waiting
/// for the response (when response phases run).
type Inspected = (Verdict, Option<RulesSay>, Option<Box<Pending>>);

/// Builds the model and runs the native engine and the site's SecLang
/// rules, turning a timeout or a panic into a [`Fail`] (the caller
/// decides). SecLang matches join the verdict's findings; an interruption
/// (`deny`, `drop`, `redirect`) is returned beside it.
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
) -> Result<Inspected, Fail> {
    let run = || -> Result<Inspected, Fail> {
        let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let spare = SPARE_MODEL.take().unwrap_or_default();
        let mut b = RequestBuilder::reuse(spare, parts.method.as_str(), target, &rt.limits).client_ip(ip);
        for (n, v) in &parts.headers {
            b.header(n.as_str(), v.as_bytes());
        }
        let inspected = &body[..body.len().min(limit)];
        b.body(inspected, truncated || body.len() > limit);
        let model = b.build();
        if let Some((l, s)) = model.exceeded() {
            give_back(model);
            return Err(Fail::OverLimit(l, s));
        }
        let verdict = if site.native { site.engine.inspect_until(&model, Some(deadline)) } else { Ok(Verdict::allow()) };
        let Some(rules) = &site.rules else {
            give_back(model);
            return Ok((verdict.map_err(|_| Fail::Timeout)?, None, None));
        };
        let mut verdict = verdict.map_err(|_| Fail::Timeout)?;
        let mut t = rules.transaction(&model, inspected);
        t.protocol(version_str(parts.version));
        t.deadline(Some(deadline));
        t.request();
        if t.timed_out() {
            return Err(Fail::Timeout);
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
        Ok(r) => r,
        Err(_) => Err(Fail::Engine("inspection engine panicked".into())),
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
        shape: "seclang.rule",
        location: haetae_model::Location::parse(&m.var),
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
/// buffered body, when the rules read bodies), and decides with the same
/// function as the request side.
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
    let (inspection, outcome) = match std::panic::catch_unwind(AssertUnwindSafe(run)) {
        Ok((true, o)) => (Inspection::Timeout, o),
        Ok((false, o)) => {
            let said = match RulesSay::of(o.interruption.clone(), o.would_interrupt.clone()) {
                None => Rules::Quiet,
                Some(r) if r.enforce => Rules::Interrupt(r.interruption.status),
                Some(_) => Rules::WouldInterrupt,
            };
            (Inspection::Done { native_over: false, rules: said }, o)
        }
        Err(_) => (Inspection::Failed, haetae_seclang::eval::Outcome::default()),
    };
    let d = decide(site.policy(), inspection);
    let Some(disp) = d.record else { return AfterRules::Pass(resp) };
    let threshold = site.engine.threshold();
    let matches = match inspection {
        Inspection::Done { .. } => {
            site.metrics.detected.fetch_add(1, Relaxed);
            Event::matches_from(&outcome.matched.into_iter().map(seclang_finding).collect::<Vec<_>>(), rt.config.events.excerpt_chars)
        }
        Inspection::Timeout => {
            site.metrics.inspection_failures.fetch_add(1, Relaxed);
            failure("SecLang response phases exceeded the inspection budget")
        }
        Inspection::Failed => {
            site.metrics.inspection_failures.fetch_add(1, Relaxed);
            failure("SecLang response phases failed")
        }
    };
    let id = new_event_id();
    match d.answer {
        Answer::Pass => {
            record(shared, site, meta, &id, status, disp, 0, threshold, matches);
            AfterRules::Pass(resp)
        }
        Answer::Block(s) => {
            record(shared, site, meta, &id, s, disp, 0, threshold, matches);
            site.metrics.blocked.fetch_add(1, Relaxed);
            drop(resp);
            let page = site.pages.block(&id, &site.name);
            AfterRules::Blocked(html(StatusCode::from_u16(s).unwrap_or(StatusCode::FORBIDDEN), page), id)
        }
        Answer::Unavailable => {
            record(shared, site, meta, &id, 503, disp, 0, threshold, matches);
            drop(resp);
            let page = site.pages.error(503, &id, &site.name);
            AfterRules::Blocked(html(StatusCode::SERVICE_UNAVAILABLE, page), id)
        }
    }
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
fn event(site: &SiteRt, meta: &Meta, id: &str, status: u16, action: Disposition, score: u32, threshold: u32, matches: Vec<Match>) -> Event {
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
    shared.record(event(site, meta, id, status, action, score, threshold, matches));
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
    finish(shared, site, meta, r, Some(id), None, None)
}

/// Counts the response, records the event that waited for its status, and
/// arranges the access-log line for when its body has been sent.
pub fn finish(
    shared: &Shared,
    site: Option<&Arc<SiteRt>>,
    meta: &Meta,
    resp: Response<RespBody>,
    event_id: Option<String>,
    upstream: Option<(SocketAddr, crate::upstream::InflightGuard)>,
    noted: Option<Event>,
) -> Response<RespBody> {
    let status = resp.status().as_u16();
    if let Some(mut ev) = noted {
        ev.status = status;
        shared.record(ev);
    }
    let m = site.map_or(&shared.metrics.unrouted, |s| &s.metrics);
    m.status(status);
    m.latency.observe(meta.started.elapsed());
    let (addr, guard) = match upstream {
        Some((a, g)) => (Some(a), Some(g)),
        None => (None, None),
    };
    // A body from the upstream counts its own failure (an upstream that
    // dies mid-response) against the site.
    let resp = if addr.is_some() { resp.map(|b| b.with_errors_to(m.clone())) } else { resp };
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
