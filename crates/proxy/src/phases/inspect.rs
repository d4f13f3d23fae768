//! The inspect phase: the request model is built once (in the buffers of
//! the worker's last one) and every stage judges it — the native engine,
//! then the site's SecLang rules. Bodies of 64 KiB or more are judged on
//! the blocking pool, so a slow inspection never stalls the other
//! connections of a worker.

use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use bytes::Bytes;
use haetae_events::Event;
use haetae_model::{Confidence, Finding, Limit, RequestBuilder, Source, Verdict};
use haetae_seclang::eval::{Interruption, RuleMatch, Suspended};
use http::{Response, header};

use super::{Ctx, Flow, Stage};
use crate::body::RespBody;
use crate::decide::{Inspection, Rules, decide};
use crate::runtime::{Runtime, SiteRt};

/// What the stages judge.
pub struct Judging<'a> {
    pub model: &'a haetae_model::Request,
    /// The inspected part of the body, as received.
    pub body: &'a [u8],
    pub version: &'static str,
    pub deadline: Instant,
}

/// What they found.
#[derive(Default)]
pub struct Judged {
    /// Findings of every stage (SecLang's join the native engine's); the
    /// score is the native engine's.
    pub verdict: Verdict,
    /// What the SecLang rules decided.
    pub rules: Option<RulesSay>,
    /// A SecLang transaction to resume with the response.
    /// Boxed: rare, and large enough that every move of a `Judged` on
    /// the request path would copy it.
    pub suspended: Option<Box<Suspended>>,
    pub timed_out: bool,
}

/// A SecLang transaction waiting for the response: the request model it
/// reads, its state after phases 1-2, and the inspected request body.
pub struct Pending {
    model: haetae_model::Request,
    state: Box<Suspended>,
    body: Bytes,
}

/// What a site's SecLang rules decided: an interruption, enforced
/// (`SecRuleEngine On`) or only reported (`DetectionOnly`).
pub struct RulesSay {
    pub interruption: Interruption,
    pub enforce: bool,
}

impl RulesSay {
    fn of(done: Option<Interruption>, would: Option<Interruption>) -> Option<RulesSay> {
        match (done, would) {
            (Some(i), _) => Some(RulesSay { interruption: i, enforce: true }),
            (None, Some(i)) => Some(RulesSay { interruption: i, enforce: false }),
            (None, None) => None,
        }
    }

    /// As the decision reads it.
    pub fn said(r: Option<&RulesSay>) -> Rules {
        match r {
            None => Rules::Quiet,
            Some(r) if r.enforce => Rules::Interrupt(r.interruption.status),
            Some(_) => Rules::WouldInterrupt,
        }
    }
}

/// Why inspection gave no verdict.
pub enum Fail {
    /// The request holds more than the model does: refused, never judged
    /// on a part of it.
    OverLimit(Limit, Source),
    Timeout,
    /// A stage failed (a panic).
    Engine(String),
}

/// Bodies at least this large are inspected on the blocking pool.
const OFFLOAD_FROM: usize = 64 * 1024;

/// Whether a body this size is inspected on the blocking pool
/// ([`offloaded`]) rather than on the event loop ([`here`]).
pub fn offloads(body: &Bytes) -> bool {
    body.len() >= OFFLOAD_FROM
}

/// Runs the inspect phase over the request's head and the inspected part
/// of its body, on the event loop (a small body: no task, no moves).
pub fn here(
    ctx: &mut Ctx<'_>,
    site: &SiteRt,
    parts: &http::request::Parts,
    body: &Bytes,
    truncated: bool,
    deadline: Instant,
) -> Result<Judged, Fail> {
    let limit = ctx.rt.config.limits.inspect_body_bytes.0 as usize;
    let (r, pending) = judge(ctx.rt, site, parts, body, truncated, ctx.meta.client_ip, limit, deadline);
    if let Some(p) = pending {
        ctx.slots.put(p);
    }
    r
}

/// As [`here`], on the blocking pool (a large body); the head travels
/// with the task and comes back.
pub async fn offloaded(
    ctx: &mut Ctx<'_>,
    site: &Arc<SiteRt>,
    parts: http::request::Parts,
    body: &Bytes,
    truncated: bool,
    deadline: Instant,
) -> (Result<Judged, Fail>, http::request::Parts) {
    let ip = ctx.meta.client_ip;
    let limit = ctx.rt.config.limits.inspect_body_bytes.0 as usize;
    let (rt, site2, body) = (ctx.rt.clone(), site.clone(), body.clone());
    // Bounded: a flood of large bodies queues here (its wait counts
    // against its own deadline) instead of taking every core.
    let permit = ctx.shared.offload.clone().acquire_owned().await;
    ctx.shared.metrics.offloaded_inspections.fetch_add(1, Relaxed);
    let joined = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let r = judge(&rt, &site2, &parts, &body, truncated, ip, limit, deadline);
        (r, parts)
    })
    .await;
    match joined {
        Ok(((r, pending), parts)) => {
            if let Some(p) = pending {
                ctx.slots.put(p);
            }
            (r, parts)
        }
        // The task itself failed and took the request's head with it.
        Err(e) => {
            let mut empty = Request::new(()).into_parts().0;
            empty.method = ctx.meta.method.clone();
            (Err(Fail::Engine(format!("inspection task failed: {e}"))), empty)
        }
    }
}

use http::Request;

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

/// Builds the model and runs every stage's `inspect`, each inside its own
/// panic guard.
#[allow(clippy::too_many_arguments)]
fn judge(
    rt: &Runtime,
    site: &SiteRt,
    parts: &http::request::Parts,
    body: &Bytes,
    truncated: bool,
    ip: IpAddr,
    limit: usize,
    deadline: Instant,
) -> (Result<Judged, Fail>, Option<Pending>) {
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
        return (Err(Fail::OverLimit(l, s)), None);
    }
    let j = Judging { model: &model, body: inspected, version: crate::service::version_str(parts.version), deadline };
    let mut out = Judged::default();
    for stage in rt.stages.iter() {
        if std::panic::catch_unwind(AssertUnwindSafe(|| stage.inspect(site, &j, &mut out))).is_err() {
            give_back(model);
            return (Err(Fail::Engine(format!("the {} stage panicked", stage.name()))), None);
        }
        if out.timed_out {
            give_back(model);
            return (Err(Fail::Timeout), None);
        }
    }
    let suspended = out.suspended.take();
    let pending = match suspended {
        Some(state) => Some(Pending { model, state, body: body.slice(..inspected.len()) }),
        None => {
            give_back(model);
            None
        }
    };
    (Ok(out), pending)
}

/// Haetae's own detection engine.
pub struct NativeEngine;

impl Stage for NativeEngine {
    fn name(&self) -> &'static str {
        "native"
    }

    fn inspect(&self, site: &SiteRt, j: &Judging<'_>, out: &mut Judged) {
        if !site.native {
            return;
        }
        match site.engine.inspect_until(j.model, Some(j.deadline)) {
            Ok(v) => out.verdict = v,
            Err(_) => out.timed_out = true,
        }
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

/// The site's ModSecurity rules: phases 1–2 with the request, 3–4 with the
/// response when some rule reads it.
pub struct SecLang;

impl Stage for SecLang {
    fn name(&self) -> &'static str {
        "seclang"
    }

    fn inspect(&self, site: &SiteRt, j: &Judging<'_>, out: &mut Judged) {
        let Some(rules) = &site.rules else { return };
        let mut t = rules.transaction(j.model, j.body);
        t.protocol(j.version);
        t.deadline(Some(j.deadline));
        t.request();
        if t.timed_out() {
            out.timed_out = true;
            return;
        }
        if site.seclang_response && t.interruption().is_none() && t.would_interrupt().is_none() {
            // Phases 3-4 come with the response: keep the transaction.
            out.suspended = Some(Box::new(t.suspend()));
            return;
        }
        let outcome = t.finish();
        out.verdict.findings.extend(outcome.matched.into_iter().map(seclang_finding));
        out.rules = RulesSay::of(outcome.interruption, outcome.would_interrupt);
    }

    fn wants_response_body(&self, site: &SiteRt, headers: &http::HeaderMap) -> bool {
        if !site.seclang_reads_body {
            return false;
        }
        let ct = headers.get(header::CONTENT_TYPE).map(|v| v.as_bytes().to_ascii_lowercase()).unwrap_or_default();
        let ct = ct.trim_ascii_start();
        // Text the response rules can read (CRS's data-leakage rules look
        // for SQL errors, stack traces, source code in pages and APIs).
        ct.starts_with(b"text/")
            || ct.windows(4).any(|w| w == b"json")
            || ct.windows(3).any(|w| w == b"xml")
            || ct.windows(10).any(|w| w == b"javascript")
    }

    /// Phases 3-4 over the upstream's response (its buffered body when the
    /// rules read bodies), decided by the same function as the request.
    fn response_filter(&self, ctx: &mut Ctx<'_>, resp: &mut Response<RespBody>) -> Flow {
        let Some(p) = ctx.slots.take::<Pending>() else { return Flow::Next };
        let Some(site) = ctx.site.clone() else { return Flow::Next };
        let Some(rules) = &site.rules else { return Flow::Next };
        let headers: Vec<(String, Vec<u8>)> = resp.headers().iter().map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec())).collect();
        let body = resp.body().buffered().unwrap_or_default();
        let status = resp.status().as_u16();
        let deadline = Instant::now() + ctx.rt.config.timeouts.inspection.0;
        let version = ctx.meta.version;
        let run = || {
            let mut t = rules.resume(*p.state, &p.model, &p.body);
            t.deadline(Some(deadline));
            t.response(haetae_seclang::eval::Response { status, protocol: version, headers: &headers, body: &body });
            (t.timed_out(), t.finish())
        };
        let (inspection, outcome) = match std::panic::catch_unwind(AssertUnwindSafe(run)) {
            Ok((true, o)) => (Inspection::Timeout, o),
            Ok((false, o)) => {
                let say = RulesSay::of(o.interruption.clone(), o.would_interrupt.clone());
                (Inspection::Done { native_over: false, rules: RulesSay::said(say.as_ref()), noted: false }, o)
            }
            Err(_) => (Inspection::Failed, haetae_seclang::eval::Outcome::default()),
        };
        give_back(p.model);
        let d = decide(site.policy(), inspection);
        let Some(disp) = d.record else { return Flow::Next };
        let matches = match inspection {
            Inspection::Done { .. } => {
                site.metrics.detected.fetch_add(1, Relaxed);
                let findings: Vec<Finding> = outcome.matched.into_iter().map(seclang_finding).collect();
                Event::matches_from(&findings, ctx.rt.config.events.excerpt_chars)
            }
            Inspection::Timeout => {
                site.metrics.inspection_failures.fetch_add(1, Relaxed);
                crate::service::failure("SecLang response phases exceeded the inspection budget")
            }
            Inspection::Failed => {
                site.metrics.inspection_failures.fetch_add(1, Relaxed);
                crate::service::failure("SecLang response phases failed")
            }
        };
        let found = crate::service::Found { score: 0, threshold: site.engine.threshold(), matches };
        let id = haetae_events::new_event_id();
        let Some((status, mut r)) = crate::service::page(&site, d.answer, &id) else {
            ctx.shared.record(crate::service::event(&site, &ctx.meta, &id, status, disp, found));
            return Flow::Next;
        };
        ctx.shared.record(crate::service::event(&site, &ctx.meta, &id, status, disp, found));
        r.extensions_mut().insert(crate::service::EventId(id));
        Flow::Answer(Box::new(r))
    }
}
