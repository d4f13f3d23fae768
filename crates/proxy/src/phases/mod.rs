//! The request path as named phases, in the shape of Pingora's `ProxyHttp`:
//! each [`Stage`] implements the phases it works in, and `service.rs` walks
//! them in order with one per-request [`Ctx`]:
//!
//! | phase | what | stages today |
//! |---|---|---|
//! | `request_filter` | the request head, before the body is read | limits, route, framing |
//! | `inspect` | the request model (head and inspected body) | native engine, SecLang |
//! | decision | [`crate::decide::decide`] — a pure function, not a stage | |
//! | `upstream_request` | the head the upstream will get | (URL translation will) |
//! | `response_filter` | the response head (its body buffered when a stage asked) | SecLang phases 3–4, server masquerading, error masking |
//! | `body_filter` | the response body, streamed chunk by chunk | HTML comment stripping |
//! | `logging` | when the response body is done | access log |
//!
//! A new stage is one module here and one line in [`stages`]. Stages hold
//! nothing per request; what one must carry from a phase to a later one
//! goes in [`Ctx::slots`].

mod access_log;
mod cloak;
mod comments;
mod errors;
mod framing;
pub mod inspect;
mod limits;
mod route;
mod tally;

use std::any::Any;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;

use crate::body::RespBody;
use crate::runtime::{Runtime, SiteRt};
use crate::service::{ConnInfo, Meta};
use crate::state::Shared;

pub use cloak::cloak as cloak_headers;
pub use comments::CommentStripper;
pub use inspect::{Judged, Judging};

/// Everything one request's phases share.
pub struct Ctx<'a> {
    pub shared: &'a Arc<Shared>,
    pub rt: &'a Arc<Runtime>,
    pub conn: &'a ConnInfo,
    pub meta: Meta,
    /// Set by the route stage; every later phase has it.
    pub site: Option<Arc<SiteRt>>,
    /// The protocol an allowed `Upgrade` switches to (framing stage).
    pub upgrade_to: Option<String>,
    pub slots: Slots,
}

/// What a phase says: go on, or answer now with this response (boxed:
/// most phases go on).
pub enum Flow {
    Next,
    Answer(Box<Response<RespBody>>),
}

/// One stage of the request path. Every phase does nothing by default.
pub trait Stage: Send + Sync {
    /// For logs and docs.
    fn name(&self) -> &'static str;

    fn request_filter(&self, _ctx: &mut Ctx<'_>, _req: &Request<Incoming>) -> Flow {
        Flow::Next
    }

    /// Judges the request. Runs on the event loop, or on the blocking pool
    /// for large bodies: it gets no [`Ctx`], only what it judges, and adds
    /// to `out`.
    fn inspect(&self, _site: &SiteRt, _j: &Judging<'_>, _out: &mut Judged) {}

    fn upstream_request(&self, _ctx: &mut Ctx<'_>, _parts: &mut http::request::Parts) {}

    /// Whether the stage needs the response body buffered (within
    /// `response.max_buffer`) before `response_filter`.
    fn wants_response_body(&self, _site: &SiteRt, _headers: &http::HeaderMap) -> bool {
        false
    }

    fn response_filter(&self, _ctx: &mut Ctx<'_>, _resp: &mut Response<RespBody>) -> Flow {
        Flow::Next
    }

    /// A filter for this response's body, if the stage changes it.
    fn body_filter(&self, _ctx: &Ctx<'_>, _head: &http::response::Parts) -> Option<Box<dyn BodyFilter>> {
        None
    }

    /// Whether [`Stage::logging`] wants to run (a response costs the
    /// bookkeeping only when some stage does).
    fn logs(&self, _shared: &Shared) -> bool {
        false
    }

    /// When the response body has been sent (or the client left).
    fn logging(&self, _shared: &Shared, _line: &LogLine) {}
}

/// A response body filter: takes each piece in order and returns what to
/// send instead; `end` is set on the last call. It may hold back a few
/// bytes across pieces (a pattern split by a chunk boundary), never the
/// whole body.
pub trait BodyFilter: Send {
    fn filter(&mut self, chunk: Bytes, end: bool) -> Bytes;
}

/// What the logging phase knows of a finished response.
pub struct LogLine {
    pub site: Option<String>,
    pub meta: Meta,
    pub status: u16,
    pub bytes: u64,
    /// The body went to its end (false: cut by the client or the upstream).
    pub complete: bool,
    pub event_id: Option<String>,
    pub upstream: Option<std::net::SocketAddr>,
    pub duration: std::time::Duration,
}

/// Per-request values a stage hands to a later phase of itself, by type.
/// Empty for most requests (no allocation).
#[derive(Default)]
pub struct Slots(Vec<Box<dyn Any + Send>>);

impl Slots {
    pub fn put<T: Any + Send>(&mut self, v: T) {
        self.0.retain(|b| !b.is::<T>());
        self.0.push(Box::new(v));
    }

    pub fn take<T: Any + Send>(&mut self) -> Option<T> {
        let i = self.0.iter().position(|b| b.is::<T>())?;
        self.0.swap_remove(i).downcast::<T>().ok().map(|b| *b)
    }

    pub fn has<T: Any + Send>(&self) -> bool {
        self.0.iter().any(|b| b.is::<T>())
    }
}

/// Every stage, in the order each phase runs them. Registering a stage
/// is adding it here.
pub fn stages() -> Vec<Box<dyn Stage>> {
    vec![
        Box::new(limits::Limits),
        Box::new(route::Route),
        Box::new(framing::Framing),
        Box::new(inspect::NativeEngine),
        Box::new(inspect::SecLang),
        Box::new(cloak::Cloak),
        Box::new(errors::MaskErrors),
        Box::new(comments::StripComments),
        Box::new(access_log::AccessLog),
        Box::new(tally::Tally),
    ]
}

/// Why a body past the inspection limit is refused.
pub fn framing_overflow() -> &'static str {
    framing::OVERFLOW
}

/// Refuses the request: the neutral page, an event, the connection closed.
pub fn refuse(ctx: &Ctx<'_>, status: http::StatusCode, why: &str) -> Flow {
    Flow::Answer(Box::new(crate::service::refuse(ctx.shared, ctx.site.as_ref(), &ctx.meta, status, why)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_hold_one_value_per_type() {
        let mut s = Slots::default();
        assert!(s.take::<u32>().is_none());
        s.put(1u32);
        s.put(2u32);
        s.put("x");
        assert!(s.has::<&str>());
        assert_eq!(s.take::<u32>(), Some(2));
        assert_eq!(s.take::<u32>(), None);
    }

    #[test]
    fn every_stage_has_a_name() {
        let names: Vec<&str> = stages().iter().map(|s| s.name()).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }
}
#[cfg(test)]
mod sizes {
    /// What inspection returns is moved several times per request: the
    /// rare, large SecLang state stays behind a box.
    #[test]
    fn the_inspection_result_stays_small() {
        let n = std::mem::size_of::<super::inspect::Judged>();
        assert!(n <= 128, "Judged is {n} bytes");
    }
}
