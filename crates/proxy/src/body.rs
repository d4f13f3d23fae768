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

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug)]
pub struct TooLarge;

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request body larger than max_body_bytes")
    }
}

impl std::error::Error for TooLarge {}

/// What reading the inspected prefix produced.
pub struct Prefix {
    pub bytes: Bytes,
    /// The body goes on past `bytes`.
    pub rest: Option<Incoming>,
}

pub enum CollectError {
    TooLarge,
    Client(hyper::Error),
}

/// Reads up to `limit` bytes (a frame may carry it a little past); fails
/// once the body exceeds `max_total`.
pub async fn collect_prefix(mut body: Incoming, limit: usize, max_total: u64) -> Result<Prefix, CollectError> {
    if body.is_end_stream() {
        return Ok(Prefix { bytes: Bytes::new(), rest: None });
    }
    let mut first: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    loop {
        let Some(frame) = body.frame().await else { break };
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
    Chained { prefix: Option<Bytes>, rest: Incoming, budget: u64 },
}

impl ReqBody {
    pub fn empty() -> Self {
        ReqBody::Full(None)
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
            ReqBody::Chained { prefix, rest, budget } => {
                if let Some(p) = prefix.take() {
                    *budget = budget.saturating_sub(p.len() as u64);
                    return Poll::Ready(Some(Ok(Frame::data(p))));
                }
                match Pin::new(rest).poll_frame(cx) {
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
}

impl RespBody {
    pub fn full(b: impl Into<Bytes>) -> Self {
        Self { inner: RespInner::Full(Some(b.into())), sent: 0, on_done: None, _guard: None }
    }

    pub fn empty() -> Self {
        Self { inner: RespInner::Full(None), sent: 0, on_done: None, _guard: None }
    }

    pub fn stream(b: Incoming) -> Self {
        Self { inner: RespInner::Stream(b), sent: 0, on_done: None, _guard: None }
    }

    pub fn chained(prefix: Bytes, rest: Incoming) -> Self {
        Self { inner: RespInner::Chained(Some(prefix), rest), sent: 0, on_done: None, _guard: None }
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
    type Error = hyper::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let r = match &mut this.inner {
            RespInner::Full(b) => Poll::Ready(b.take().filter(|b| !b.is_empty()).map(|b| Ok(Frame::data(b)))),
            RespInner::Chained(p, rest) => match p.take() {
                Some(p) => Poll::Ready(Some(Ok(Frame::data(p)))),
                None => Pin::new(rest).poll_frame(cx),
            },
            RespInner::Stream(s) => Pin::new(s).poll_frame(cx),
        };
        match &r {
            Poll::Ready(Some(Ok(f))) => {
                if let Some(d) = f.data_ref() {
                    this.sent += d.len() as u64;
                }
            }
            Poll::Ready(None) => this.finish(true),
            Poll::Ready(Some(Err(_))) => this.finish(false),
            Poll::Pending => {}
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            RespInner::Full(b) => b.as_ref().is_none_or(Bytes::is_empty),
            RespInner::Chained(p, rest) => p.is_none() && rest.is_end_stream(),
            RespInner::Stream(s) => s.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
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
