//! The response path: header cloaking, neutral error pages, and the
//! bounded-buffer hook where body filters run. Filters see at most
//! `response.max_buffer` bytes; a larger body streams through unfiltered
//! (counted in the logs), so a huge download never sits in memory.

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::body::RespBody;
use crate::runtime::SiteRt;

/// Headers that tell an attacker what runs behind the proxy.
const REVEALING: &[&str] = &[
    "server",
    "x-powered-by",
    "x-aspnet-version",
    "x-aspnetmvc-version",
    "x-runtime",
    "x-generator",
    "x-drupal-cache",
    "x-drupal-dynamic-cache",
    "x-backend-server",
    "x-varnish",
    "via",
    "x-php-version",
];

pub fn cloak(site: &SiteRt, headers: &mut HeaderMap) {
    // One pass over the names the response has, rather than a lookup for
    // each of the names it might have.
    if !site.hide_server_headers {
        return;
    }
    let mut present = [false; REVEALING.len()];
    for n in headers.keys() {
        if let Some(i) = REVEALING.iter().position(|r| *r == n.as_str()) {
            present[i] = true;
        }
    }
    for (h, _) in REVEALING.iter().zip(present).filter(|(_, p)| *p) {
        headers.remove(*h);
    }
}

/// True when some filter wants to see this response's body.
pub fn wants_body(site: &SiteRt, headers: &HeaderMap) -> bool {
    if !site.response.strip_html_comments && !site.seclang_reads_body {
        return false;
    }
    let ct =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(|v| v.trim_start().to_ascii_lowercase()).unwrap_or_default();
    let encoded = headers.get(header::CONTENT_ENCODING).is_some_and(|v| v.as_bytes() != b"identity");
    // Text the SecLang response rules can read (CRS's data-leakage rules
    // look for SQL errors, stack traces, source code in pages and APIs).
    let textual = ct.starts_with("text/") || ct.contains("json") || ct.contains("xml") || ct.contains("javascript");
    let html = ct.starts_with("text/html");
    !encoded && ((site.response.strip_html_comments && html) || (site.seclang_reads_body && textual))
}

pub async fn filter(site: &SiteRt, headers: &mut HeaderMap, mut body: Incoming) -> Result<RespBody, hyper::Error> {
    let max = site.response.max_buffer.0 as usize;
    if let Some(len) = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok())
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
    let mut out = buf.freeze();
    if site.response.strip_html_comments {
        out = strip_html_comments(&out);
    }
    headers.remove(header::CONTENT_LENGTH);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(out.len()));
    Ok(RespBody::full(out))
}

/// Removes `<!-- ... -->` (but keeps IE conditional comments, which are
/// markup, not notes).
pub fn strip_html_comments(b: &Bytes) -> Bytes {
    let Some(_) = memchr::memmem::find(b, b"<!--") else { return b.clone() };
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(p) = memchr::memmem::find(&b[i..], b"<!--") {
        let at = i + p;
        out.extend_from_slice(&b[i..at]);
        let body_start = at + 4;
        let end = memchr::memmem::find(&b[body_start..], b"-->").map(|q| body_start + q + 3);
        let conditional = b[body_start..].starts_with(b"[if") || b[body_start..].starts_with(b"<![endif]");
        match end {
            Some(e) if !conditional => i = e,
            Some(e) => {
                out.extend_from_slice(&b[at..e]);
                i = e;
            }
            None => {
                out.extend_from_slice(&b[at..]);
                i = b.len();
            }
        }
    }
    out.extend_from_slice(&b[i..]);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_comments_keeps_conditionals() {
        let b = Bytes::from_static(b"<p>a</p><!-- db: 10.0.0.5 pw=x --><p>b</p><!--[if IE]><p>ie</p><![endif]--><!-- unterminated");
        assert_eq!(&strip_html_comments(&b)[..], &b"<p>a</p><p>b</p><!--[if IE]><p>ie</p><![endif]--><!-- unterminated"[..]);
    }
}
