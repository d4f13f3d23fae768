//! Bodies on both sides of the proxy.
//!
//! Requests: the first `inspect_body_bytes` are buffered for inspection;
//! whatever follows streams to the upstream unseen ([`ReqBody::Chained`]),
//! counted against `max_body_bytes`.
//!
//! Responses: streamed as they come ([`RespBody`]); a filter may hold a
//! bounded prefix. The access-log line and the upstream's in-flight count
//! are settled when the body ends or is dropped, so they reflect what was
//! really sent.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::stall::Stall;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug)]
pub struct TooLarge;

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request body larger than max_body_bytes")
    }
}

impl std::error::Error for TooLarge {}

/// A streamed body made no progress for `timeouts.body_idle`.
#[derive(Debug)]
pub struct Idle;

impl std::fmt::Display for Idle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("body stalled longer than timeouts.body_idle")
    }
}

impl std::error::Error for Idle {}

/// What reading the inspected prefix produced.
pub struct Prefix {
    pub bytes: Bytes,
    /// The body goes on past `bytes`.
    pub rest: Option<Incoming>,
}

pub enum CollectError {
    TooLarge,
    /// The client declared a chunk larger than `max_total` (hyper would
    /// wait for all of it).
    ChunkTooLarge,
    Client(hyper::Error),
}

/// Reads up to `limit` bytes (a frame may carry it a little past); fails
/// once the body exceeds `max_total`, or at once when `alarm` says a chunk
/// declared more.
pub async fn collect_prefix(
    mut body: Incoming,
    limit: usize,
    max_total: u64,
    alarm: &crate::chunk_guard::Alarm,
) -> Result<Prefix, CollectError> {
    if body.is_end_stream() {
        return Ok(Prefix { bytes: Bytes::new(), rest: None });
    }
    let mut first: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    loop {
        if alarm.raised() {
            return Err(CollectError::ChunkTooLarge);
        }
        let frame = tokio::select! {
            biased;
            f = body.frame() => f,
            () = alarm.wait() => return Err(CollectError::ChunkTooLarge),
        };
        let Some(frame) = frame else { break };
        let frame = frame.map_err(CollectError::Client)?;
        let Ok(data) = frame.into_data() else { continue }; // trailers: dropped
        // Avoid a copy when the whole body arrives in one frame.
        match first.take() {
            None if buf.is_empty() => first = Some(data),
            Some(f) => {
                buf.extend_from_slice(&f);
                buf.extend_from_slice(&data);
            }
            None => buf.extend_from_slice(&data),
        }
        let len = first.as_ref().map_or(buf.len(), Bytes::len);
        if len as u64 > max_total {
            return Err(CollectError::TooLarge);
        }
        if body.is_end_stream() {
            break;
        }
        if len >= limit {
            let bytes = first.unwrap_or_else(|| buf.freeze());
            return Ok(Prefix { bytes, rest: Some(body) });
        }
    }
    let bytes = first.unwrap_or_else(|| buf.freeze());
    Ok(Prefix { bytes, rest: None })
}

/// A request body on its way to the upstream.
pub enum ReqBody {
    Full(Option<Bytes>),
    Chained { prefix: Option<Bytes>, rest: Incoming, budget: u64, stall: Stall },
}

impl ReqBody {
    pub fn empty() -> Self {
        ReqBody::Full(None)
    }

    /// The inspected prefix, then the rest as the client sends it, at
    /// most `budget` bytes in all and never stalled longer than `idle`.
    pub fn chained(prefix: Bytes, rest: Incoming, budget: u64, idle: std::time::Duration) -> Self {
        ReqBody::Chained { prefix: Some(prefix), rest, budget, stall: Stall::new(idle) }
    }

    /// The buffered part, if the whole body is buffered (replayable).
    pub fn replayable(&self) -> Option<Option<Bytes>> {
        match self {
            ReqBody::Full(b) => Some(b.clone()),
            ReqBody::Chained { .. } => None,
        }
    }
}

impl Body for ReqBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            ReqBody::Full(b) => Poll::Ready(b.take().filter(|b| !b.is_empty()).map(|b| Ok(Frame::data(b)))),
            ReqBody::Chained { prefix, rest, budget, stall } => {
                if let Some(p) = prefix.take() {
                    *budget = budget.saturating_sub(p.len() as u64);
                    return Poll::Ready(Some(Ok(Frame::data(p))));
                }
                let r = Pin::new(rest).poll_frame(cx);
                if r.is_pending() {
                    if stall.expired(cx) {
                        return Poll::Ready(Some(Err(Box::new(Idle))));
                    }
                    return Poll::Pending;
                }
                stall.moved();
                match r {
                    Poll::Ready(Some(Ok(f))) => {
                        if let Some(d) = f.data_ref() {
                            let n = d.len() as u64;
                            if n > *budget {
                                return Poll::Ready(Some(Err(Box::new(TooLarge))));
                            }
                            *budget -= n;
                        }
                        Poll::Ready(Some(Ok(f)))
                    }
                    Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Box::new(e)))),
                    Poll::Ready(None) => Poll::Ready(None),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ReqBody::Full(b) => b.as_ref().is_none_or(Bytes::is_empty),
            ReqBody::Chained { prefix, rest, .. } => prefix.is_none() && rest.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ReqBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            ReqBody::Chained { prefix, rest, .. } => {
                let p = prefix.as_ref().map_or(0, |b| b.len() as u64);
                let h = rest.size_hint();
                let mut s = SizeHint::new();
                s.set_lower(h.lower() + p);
                if let Some(u) = h.upper() {
                    s.set_upper(u + p);
                }
                s
            }
        }
    }
}

/// Runs when a response body is finished (or dropped): access log, and the
/// in-flight guard is released.
pub trait OnDone: Send + Sync {
    fn done(self: Box<Self>, bytes: u64, complete: bool);
}

pub enum RespInner {
    Full(Option<Bytes>),
    Stream(Incoming),
    Chained(Option<Bytes>, Incoming),
}

pub struct RespBody {
    inner: RespInner,
    sent: u64,
    on_done: Option<Box<dyn OnDone>>,
    /// Held until the body is done: the upstream's in-flight count.
    _guard: Option<crate::upstream::InflightGuard>,
    /// For a body read from the upstream: how long it may stall.
    stall: Option<Stall>,
    /// The site whose upstream errors a failed body counts in.
    errors_to: Option<std::sync::Arc<crate::metrics::SiteMetrics>>,
    /// Body filters (the response body phase), in order; boxed because
    /// most responses have none.
    filters: Option<Box<Filters>>,
}

struct Filters {
    chain: Vec<Box<dyn crate::phases::BodyFilter>>,
    /// The end was passed through the chain (its last bytes sent).
    flushed: bool,
    /// Trailers held back until the filters' last bytes are out.
    trailers: Option<Frame<Bytes>>,
}

impl Filters {
    fn run(&mut self, mut b: Bytes, end: bool) -> Bytes {
        for f in &mut self.chain {
            b = f.filter(b, end);
        }
        b
    }
}

/// The default for a streamed upstream body until the proxy sets the
/// configured one ([`RespBody::idle_after`]).
const DEFAULT_IDLE: std::time::Duration = std::time::Duration::from_secs(30);

impl RespBody {
    fn with_inner(inner: RespInner) -> Self {
        let stall = matches!(inner, RespInner::Stream(_) | RespInner::Chained(..)).then(|| Stall::new(DEFAULT_IDLE));
        Self { inner, sent: 0, on_done: None, _guard: None, stall, errors_to: None, filters: None }
    }

    pub fn full(b: impl Into<Bytes>) -> Self {
        Self::with_inner(RespInner::Full(Some(b.into())))
    }

    pub fn empty() -> Self {
        Self::with_inner(RespInner::Full(None))
    }

    pub fn stream(b: Incoming) -> Self {
        Self::with_inner(RespInner::Stream(b))
    }

    pub fn chained(prefix: Bytes, rest: Incoming) -> Self {
        Self::with_inner(RespInner::Chained(Some(prefix), rest))
    }

    /// A streamed body fails once the upstream sends nothing for `idle`.
    pub fn idle_after(mut self, idle: std::time::Duration) -> Self {
        if self.stall.is_some() {
            self.stall = Some(Stall::new(idle));
        }
        self
    }

    /// Runs `chain` over the body. A body held whole is filtered at once
    /// (and its new length returned); a streamed one piece by piece.
    pub fn filtered(mut self, chain: Vec<Box<dyn crate::phases::BodyFilter>>) -> (Self, Option<usize>) {
        if chain.is_empty() {
            return (self, None);
        }
        let mut f = Filters { chain, flushed: false, trailers: None };
        if let RespInner::Full(b) = &mut self.inner {
            let out = f.run(b.take().unwrap_or_default(), true);
            let n = out.len();
            self.inner = RespInner::Full(Some(out));
            return (self, Some(n));
        }
        self.filters = Some(Box::new(f));
        (self, None)
    }

    /// A body that fails (the upstream died mid-response, or stalled)
    /// counts as an upstream error of this site.
    pub fn with_errors_to(mut self, m: std::sync::Arc<crate::metrics::SiteMetrics>) -> Self {
        self.errors_to = Some(m);
        self
    }

    /// The bytes held in memory: the whole body when it was buffered, the
    /// buffered prefix when the rest still streams; `None` for a body
    /// that only streams.
    pub fn buffered(&self) -> Option<Bytes> {
        match &self.inner {
            RespInner::Full(b) => Some(b.clone().unwrap_or_default()),
            RespInner::Chained(Some(b), _) => Some(b.clone()),
            _ => None,
        }
    }

    pub fn with_guard(mut self, g: Option<crate::upstream::InflightGuard>) -> Self {
        self._guard = g;
        self
    }

    pub fn with_done(mut self, d: Option<Box<dyn OnDone>>) -> Self {
        self.on_done = d;
        self
    }

    fn finish(&mut self, complete: bool) {
        if let Some(d) = self.on_done.take() {
            d.done(self.sent, complete);
        }
    }
}

impl Drop for RespBody {
    fn drop(&mut self) {
        let complete = self.is_end_stream();
        self.finish(complete);
    }
}

impl Body for RespBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.filters.is_none() {
            let r = this.poll_raw(cx);
            return this.account(r);
        }
        let r = this.poll_filtered(cx);
        this.account(r)
    }

    fn is_end_stream(&self) -> bool {
        match &self.filters {
            Some(f) => f.flushed && f.trailers.is_none(),
            None => self.raw_end(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        // Filters change the length.
        if self.filters.is_some() {
            return SizeHint::default();
        }
        self.raw_size_hint()
    }
}

impl RespBody {
    fn poll_filtered(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self;
        loop {
            let Some(f) = this.filters.as_mut() else { return Poll::Ready(None) };
            if f.flushed {
                return Poll::Ready(f.trailers.take().map(Ok));
            }
            match this.poll_raw(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let Some(f) = this.filters.as_mut() else { return Poll::Ready(None) };
                    match frame.into_data() {
                        Ok(d) => {
                            let out = f.run(d, false);
                            // A filter may hold a piece back whole: read on.
                            if !out.is_empty() {
                                return Poll::Ready(Some(Ok(Frame::data(out))));
                            }
                        }
                        Err(trailers) => {
                            f.trailers = Some(trailers);
                            f.flushed = true;
                            let out = f.run(Bytes::new(), true);
                            if !out.is_empty() {
                                return Poll::Ready(Some(Ok(Frame::data(out))));
                            }
                        }
                    }
                }
                Poll::Ready(None) => {
                    let Some(f) = this.filters.as_mut() else { return Poll::Ready(None) };
                    f.flushed = true;
                    let out = f.run(Bytes::new(), true);
                    if !out.is_empty() {
                        return Poll::Ready(Some(Ok(Frame::data(out))));
                    }
                    return Poll::Ready(None);
                }
                other => return other,
            }
        }
    }

    /// The body as it comes (before filters).
    fn poll_raw(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self;
        let r: Poll<Option<Result<Frame<Bytes>, BoxError>>> = match &mut this.inner {
            RespInner::Full(b) => Poll::Ready(b.take().filter(|b| !b.is_empty()).map(|b| Ok(Frame::data(b)))),
            RespInner::Chained(p, rest) => match p.take() {
                Some(p) => Poll::Ready(Some(Ok(Frame::data(p)))),
                None => Pin::new(rest).poll_frame(cx).map_err(Into::into),
            },
            RespInner::Stream(s) => Pin::new(s).poll_frame(cx).map_err(Into::into),
        };
        let r = match this.stall.as_mut() {
            Some(stall) if r.is_pending() => {
                if stall.expired(cx) {
                    Poll::Ready(Some(Err(Box::new(Idle) as BoxError)))
                } else {
                    r
                }
            }
            Some(stall) => {
                stall.moved();
                r
            }
            None => r,
        };
        if let Poll::Ready(Some(Err(e))) = &r {
            // The client got a head and part of a body: the access log
            // says so, and the upstream's failure is counted.
            tracing::warn!("response body from the upstream failed after {} bytes: {e}", this.sent);
            if let Some(m) = &this.errors_to {
                m.upstream_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        r
    }

    /// Counts what goes to the client and settles the logging at the end.
    fn account(&mut self, r: Poll<Option<Result<Frame<Bytes>, BoxError>>>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &r {
            Poll::Ready(Some(Ok(f))) => {
                if let Some(d) = f.data_ref() {
                    self.sent += d.len() as u64;
                }
            }
            Poll::Ready(None) => self.finish(true),
            Poll::Ready(Some(Err(_))) => self.finish(false),
            Poll::Pending => {}
        }
        r
    }

    fn raw_end(&self) -> bool {
        match &self.inner {
            RespInner::Full(b) => b.as_ref().is_none_or(Bytes::is_empty),
            RespInner::Chained(p, rest) => p.is_none() && rest.is_end_stream(),
            RespInner::Stream(s) => s.is_end_stream(),
        }
    }

    fn raw_size_hint(&self) -> SizeHint {
        match &self.inner {
            RespInner::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            RespInner::Chained(p, rest) => {
                let pl = p.as_ref().map_or(0, |b| b.len() as u64);
                let h = rest.size_hint();
                let mut s = SizeHint::new();
                s.set_lower(h.lower() + pl);
                if let Some(u) = h.upper() {
                    s.set_upper(u + pl);
                }
                s
            }
            RespInner::Stream(s) => s.size_hint(),
        }
    }
}

/// Holds a response body whole for a stage that reads it, up to `max`
/// bytes (by Content-Length, or as it arrives): a larger one streams on
/// with what was read in front.
pub async fn hold(headers: &mut http::HeaderMap, mut body: Incoming, max: usize) -> Result<RespBody, hyper::Error> {
    if let Some(len) = headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok())
        && len > max
    {
        return Ok(RespBody::stream(body));
    }
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame?;
        if let Ok(d) = frame.into_data() {
            buf.extend_from_slice(&d);
        }
        if buf.len() > max {
            return Ok(RespBody::chained(buf.freeze(), body));
        }
    }
    Ok(RespBody::full(buf.freeze()))
}
