use std::net::IpAddr;

use crate::body::{self, BodyKind};
use crate::limits::ParseLimits;
use crate::location::Source;
use crate::{cookie, query};

/// One named value: a query or form argument, a JSON or XML leaf, a
/// multipart field, or an unparsed body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub source: Source,
    /// Decoded once, as the application will see it.
    pub name: Vec<u8>,
    /// Decoded once, as the application will see it.
    pub value: Vec<u8>,
}

/// An uploaded file: what the engine needs to judge it without keeping it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilePart {
    pub field: Vec<u8>,
    pub filename: Vec<u8>,
    pub content_type: Vec<u8>,
    /// Bytes of content seen (may be less than the real size when the body
    /// was cut at the inspection limit).
    pub size: usize,
    /// The first bytes, for magic-number and script checks.
    pub head: Vec<u8>,
}

/// Something odd about the request's syntax that a parser noticed. The
/// engine turns these into protocol findings; on their own they are not
/// proof of an attack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anomaly {
    /// `%` not followed by two hex digits.
    InvalidPercentEncoding(Source),
    /// More parameters than [`ParseLimits::max_params`]; the rest were dropped.
    TooManyParams,
    /// Nesting deeper than [`ParseLimits::max_depth`].
    TooDeep(Source),
    /// The body was longer than the inspection limit; only a prefix was parsed.
    BodyTruncated,
    /// A multipart body that does not follow RFC 7578 (reason inside).
    MultipartMalformed(&'static str),
    /// The JSON body did not parse.
    JsonMalformed,
    /// The XML body did not parse.
    XmlMalformed,
    /// A header that must appear once appeared several times.
    DuplicateHeader(String),
    /// More cookies than [`ParseLimits::max_cookies`].
    TooManyCookies,
}

/// The request as the engine sees it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// The request target exactly as received (path and query).
    pub uri: String,
    /// The path as received, still percent-encoded.
    pub raw_path: Vec<u8>,
    /// The path percent-decoded once. Further normalization (dot segments,
    /// repeated decoding) is the engine's job, since each step is a signal.
    pub path: Vec<u8>,
    /// The raw query string (without `?`).
    pub query: Vec<u8>,
    /// Query arguments, then body parameters, in order; repeated keys kept.
    pub params: Vec<Param>,
    /// Headers in order; names lower-cased.
    pub headers: Vec<(String, Vec<u8>)>,
    pub cookies: Vec<(Vec<u8>, Vec<u8>)>,
    pub files: Vec<FilePart>,
    /// Multipart part headers: (part name, header line as sent).
    pub part_headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub body_kind: BodyKind,
    /// Body bytes received for inspection.
    pub body_len: usize,
    pub anomalies: Vec<Anomaly>,
    pub client_ip: Option<IpAddr>,
}

impl Request {
    /// Looks up a header (name lower-case).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
    }

    /// Pushes a parameter unless the limit is reached. Returns false when
    /// the parameter was dropped.
    pub(crate) fn push_param(&mut self, p: Param, limits: &ParseLimits) -> bool {
        if self.params.len() >= limits.max_params {
            if !self.anomalies.contains(&Anomaly::TooManyParams) {
                self.anomalies.push(Anomaly::TooManyParams);
            }
            return false;
        }
        self.params.push(p);
        true
    }

    pub(crate) fn flag(&mut self, a: Anomaly) {
        if !self.anomalies.contains(&a) {
            self.anomalies.push(a);
        }
    }
}

/// Fills a [`Request`] step by step as the proxy reads the HTTP message.
pub struct RequestBuilder<'l> {
    req: Request,
    limits: &'l ParseLimits,
    content_type: Option<Vec<u8>>,
}

impl<'l> RequestBuilder<'l> {
    /// Starts a request from its method and request target (`/path?query`).
    pub fn new(method: &str, target: &str, limits: &'l ParseLimits) -> Self {
        let mut req = Request { method: method.to_owned(), uri: target.to_owned(), ..Default::default() };
        let bytes = target.as_bytes();
        let (raw_path, q) = match memchr::memchr(b'?', bytes) {
            Some(i) => (&bytes[..i], Some(&bytes[i + 1..])),
            None => (bytes, None),
        };
        req.raw_path = raw_path.to_vec();
        let (path, bad) = crate::pct::decode_cow(raw_path, false);
        req.path = path.into_owned();
        if bad {
            req.flag(Anomaly::InvalidPercentEncoding(Source::Path));
        }
        if let Some(q) = q {
            req.query = q.to_vec();
            query::parse_into(&mut req, q, Source::Query, limits);
        }
        Self { req, limits, content_type: None }
    }

    pub fn client_ip(mut self, ip: IpAddr) -> Self {
        self.req.client_ip = Some(ip);
        self
    }

    /// Adds one header; `Cookie` headers are parsed as they come.
    pub fn header(&mut self, name: &str, value: &[u8]) {
        let lname = name.to_ascii_lowercase();
        match lname.as_str() {
            "cookie" => cookie::parse_into(&mut self.req, value, self.limits),
            "content-type" => {
                if self.content_type.is_some() {
                    self.req.flag(Anomaly::DuplicateHeader(lname.clone()));
                }
                self.content_type = Some(value.to_vec());
            }
            "host" | "content-length" | "transfer-encoding" if self.req.headers.iter().any(|(n, _)| *n == lname) => {
                self.req.flag(Anomaly::DuplicateHeader(lname.clone()));
            }
            _ => {}
        }
        self.req.headers.push((lname, value.to_vec()));
    }

    /// Parses the body (or its inspected prefix). `truncated` says the body
    /// went on past `body`.
    pub fn body(&mut self, body: &[u8], truncated: bool) {
        self.req.body_len = body.len();
        if truncated {
            self.req.flag(Anomaly::BodyTruncated);
        }
        if body.is_empty() {
            return;
        }
        let ct = self.content_type.take();
        body::parse_into(&mut self.req, ct.as_deref(), body, truncated, self.limits);
        self.content_type = ct;
    }

    pub fn build(self) -> Request {
        self.req
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_path_and_query_and_keeps_repeats() {
        let l = ParseLimits::default();
        let r = RequestBuilder::new("GET", "/a%20b/c?x=1&x=2&flag", &l).build();
        assert_eq!(r.raw_path, b"/a%20b/c");
        assert_eq!(r.path, b"/a b/c");
        let names: Vec<_> = r.params.iter().map(|p| (p.name.as_slice(), p.value.as_slice())).collect();
        assert_eq!(names, vec![(&b"x"[..], &b"1"[..]), (b"x", b"2"), (b"flag", b"")]);
    }

    #[test]
    fn flags_duplicate_host() {
        let l = ParseLimits::default();
        let mut b = RequestBuilder::new("GET", "/", &l);
        b.header("Host", b"a");
        b.header("host", b"b");
        assert!(b.build().anomalies.contains(&Anomaly::DuplicateHeader("host".into())));
    }
}
