use std::net::IpAddr;

use crate::body::{self, BodyKind};
use crate::limits::{Limit, ParseLimits};
use crate::location::Source;
use crate::{cookie, query};

/// One named value, owned: a query or form argument, a JSON or XML leaf, a
/// multipart field, or an unparsed body. What the `parse` helpers return;
/// a [`Request`] keeps its values in one buffer and lends [`ParamRef`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub source: Source,
    /// Decoded once, as the application will see it.
    pub name: Vec<u8>,
    /// Decoded once, as the application will see it.
    pub value: Vec<u8>,
}

/// One named value of a [`Request`], borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamRef<'a> {
    pub source: Source,
    pub name: &'a [u8],
    pub value: &'a [u8],
}

impl ParamRef<'_> {
    pub fn to_owned(&self) -> Param {
        Param { source: self.source, name: self.name.to_vec(), value: self.value.to_vec() }
    }
}

/// A range of [`Request`]'s text buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    start: usize,
    end: usize,
}

impl Span {
    pub(crate) fn start(self) -> usize {
        self.start
    }

    fn of(self, text: &[u8]) -> &[u8] {
        text.get(self.start..self.end).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    source: Source,
    name: Span,
    value: Span,
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
    /// A bound of [`ParseLimits`] was reached where the value came from:
    /// what lay past it was dropped (or a name was cut).
    Exceeded(Limit, Source),
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
}

/// The request as the engine sees it.
///
/// Parameter, header and cookie bytes live back to back in one buffer
/// (`text`) and the lists hold ranges into it: a request costs a handful of
/// allocations instead of two per value, which is most of what building the
/// model cost on the proxy's path.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// The request target exactly as received (path and query).
    pub uri: String,
    /// The path percent-decoded once. Further normalization (dot segments,
    /// repeated decoding) is the engine's job, since each step is a signal.
    pub path: Vec<u8>,
    text: Vec<u8>,
    /// Query arguments, then body parameters, in order; repeated keys kept.
    params: Vec<Slot>,
    /// Headers in order; names lower-cased.
    headers: Vec<(Span, Span)>,
    cookies: Vec<(Span, Span)>,
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
    /// The path as received, still percent-encoded.
    pub fn raw_path(&self) -> &[u8] {
        let u = self.uri.as_bytes();
        memchr::memchr(b'?', u).map_or(u, |i| &u[..i])
    }

    /// The raw query string (without `?`; empty when there is none).
    pub fn query(&self) -> &[u8] {
        let u = self.uri.as_bytes();
        memchr::memchr(b'?', u).map_or(&[], |i| &u[i + 1..])
    }

    /// Query arguments, then body parameters, in order; repeated keys kept.
    pub fn params(&self) -> impl ExactSizeIterator<Item = ParamRef<'_>> + Clone + '_ {
        self.params.iter().map(|s| ParamRef { source: s.source, name: s.name.of(&self.text), value: s.value.of(&self.text) })
    }

    pub fn param_count(&self) -> usize {
        self.params.len()
    }

    /// Headers in order, names lower-cased.
    pub fn headers(&self) -> impl ExactSizeIterator<Item = (&str, &[u8])> + Clone + '_ {
        // Names are stored from `&str` (lower-cased ASCII stays UTF-8).
        self.headers.iter().map(|(n, v)| (std::str::from_utf8(n.of(&self.text)).unwrap_or_default(), v.of(&self.text)))
    }

    /// Cookies in order: (name, value as sent).
    pub fn cookies(&self) -> impl ExactSizeIterator<Item = (&[u8], &[u8])> + Clone + '_ {
        self.cookies.iter().map(|(n, v)| (n.of(&self.text), v.of(&self.text)))
    }

    pub fn cookie_count(&self) -> usize {
        self.cookies.len()
    }

    /// Looks up a header (name lower-case).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Pushes a parameter unless the limit is reached. Returns false when
    /// the parameter was dropped.
    pub(crate) fn push_param(&mut self, p: Param, limits: &ParseLimits) -> bool {
        if !self.room_for_param(limits, p.source) {
            return false;
        }
        let name = self.append(&p.name);
        let value = self.append(&p.value);
        self.commit_param(p.source, name, value, limits);
        true
    }

    /// False (and the limit flagged) once `max_params` parameters are in;
    /// `source` is where the one that does not fit came from.
    pub(crate) fn room_for_param(&mut self, limits: &ParseLimits, source: Source) -> bool {
        if self.params.len() >= limits.max_params {
            self.flag(Anomaly::Exceeded(Limit::Params, source));
            return false;
        }
        true
    }

    /// The first bound of [`ParseLimits`] this request went past (the
    /// model then lacks what lay beyond it), with where.
    pub fn exceeded(&self) -> Option<(Limit, Source)> {
        self.anomalies.iter().find_map(|a| match a {
            Anomaly::Exceeded(l, s) => Some((*l, *s)),
            _ => None,
        })
    }

    /// `name` cut to `max_name_len`, flagging the limit when it was longer.
    pub(crate) fn cut_name<'n>(&mut self, name: &'n [u8], source: Source, limits: &ParseLimits) -> &'n [u8] {
        if name.len() > limits.max_name_len {
            self.flag(Anomaly::Exceeded(Limit::NameBytes, source));
            return &name[..limits.max_name_len];
        }
        name
    }

    /// Appends `bytes` to the text buffer and returns their range.
    pub(crate) fn append(&mut self, bytes: &[u8]) -> Span {
        self.append_with(|t| t.extend_from_slice(bytes)).0
    }

    /// Lets `write` append to the text buffer (a decoder writing straight
    /// into it) and returns the range it wrote with its result.
    pub(crate) fn append_with<R>(&mut self, write: impl FnOnce(&mut Vec<u8>) -> R) -> (Span, R) {
        let start = self.text.len();
        let r = write(&mut self.text);
        (Span { start, end: self.text.len() }, r)
    }

    /// Forgets the text from `start` on (a value parsed but not kept).
    pub(crate) fn truncate_text(&mut self, start: usize) {
        self.text.truncate(start);
    }

    /// Records a parameter whose name and value were appended with
    /// [`Request::append`] (names cut at `max_name_len`). The caller checked
    /// [`Request::room_for_param`].
    pub(crate) fn commit_param(&mut self, source: Source, mut name: Span, value: Span, limits: &ParseLimits) {
        if name.end - name.start > limits.max_name_len {
            self.flag(Anomaly::Exceeded(Limit::NameBytes, source));
            name.end = name.start + limits.max_name_len;
        }
        self.params.push(Slot { source, name, value });
    }

    pub(crate) fn push_cookie(&mut self, name: &[u8], value: &[u8]) {
        let n = self.append(name);
        let v = self.append(value);
        self.cookies.push((n, v));
    }

    /// Every parameter, owned (for tests and the `parse` helpers).
    pub fn params_owned(&self) -> Vec<Param> {
        self.params().map(|p| p.to_owned()).collect()
    }

    pub(crate) fn flag(&mut self, a: Anomaly) {
        if !self.anomalies.contains(&a) {
            self.anomalies.push(a);
        }
    }

    /// Bytes held by the request's buffers (what [`Request::clear`] keeps).
    pub fn capacity(&self) -> usize {
        use std::mem::size_of;
        self.text.capacity()
            + self.method.capacity()
            + self.uri.capacity()
            + self.path.capacity()
            + self.params.capacity() * size_of::<Slot>()
            + (self.headers.capacity() + self.cookies.capacity()) * size_of::<(Span, Span)>()
            + self.files.capacity() * size_of::<FilePart>()
            + self.part_headers.capacity() * size_of::<(Vec<u8>, Vec<u8>)>()
            + self.anomalies.capacity() * size_of::<Anomaly>()
    }

    /// Empties the request and keeps its buffers, for
    /// [`RequestBuilder::reuse`].
    pub fn clear(&mut self) {
        // Destructured so a new field cannot be forgotten here.
        let Request { method, uri, path, text, params, headers, cookies, files, part_headers, body_kind, body_len, anomalies, client_ip } =
            self;
        method.clear();
        uri.clear();
        path.clear();
        text.clear();
        params.clear();
        headers.clear();
        cookies.clear();
        files.clear();
        part_headers.clear();
        *body_kind = BodyKind::default();
        *body_len = 0;
        anomalies.clear();
        *client_ip = None;
    }
}

/// Fills a [`Request`] step by step as the proxy reads the HTTP message.
pub struct RequestBuilder<'l> {
    req: Request,
    limits: &'l ParseLimits,
    /// The Content-Type header's value, in `req.text`.
    content_type: Option<Span>,
    /// Headers that must appear once, seen so far (bits: Host,
    /// Content-Length, Transfer-Encoding).
    once: u8,
}

impl<'l> RequestBuilder<'l> {
    /// Starts a request from its method and request target (`/path?query`).
    pub fn new(method: &str, target: &str, limits: &'l ParseLimits) -> Self {
        Self::reuse(Request::default(), method, target, limits)
    }

    /// As [`RequestBuilder::new`], building in the buffers of `spare`, a
    /// request the caller is done with: a proxy worker that hands each
    /// model back saves their allocations on the next request.
    pub fn reuse(spare: Request, method: &str, target: &str, limits: &'l ParseLimits) -> Self {
        let mut req = spare;
        req.clear();
        req.method.push_str(method);
        req.uri.push_str(target);
        // Headers and the query fit in these for most requests.
        req.text.reserve(1024 + target.len());
        req.headers.reserve(16);
        req.params.reserve(16);
        let bytes = target.as_bytes();
        let (raw_path, q) = match memchr::memchr(b'?', bytes) {
            Some(i) => (&bytes[..i], Some(&bytes[i + 1..])),
            None => (bytes, None),
        };
        let (path, bad) = crate::pct::decode_cow(raw_path, false);
        req.path.extend_from_slice(&path);
        if bad {
            req.flag(Anomaly::InvalidPercentEncoding(Source::Path));
        }
        if let Some(q) = q {
            query::parse_into(&mut req, q, Source::Query, limits);
        }
        Self { req, limits, content_type: None, once: 0 }
    }

    pub fn client_ip(mut self, ip: IpAddr) -> Self {
        self.req.client_ip = Some(ip);
        self
    }

    /// Adds one header; `Cookie` headers are parsed as they come.
    pub fn header(&mut self, name: &str, value: &[u8]) {
        let (n, ()) = self.req.append_with(|t| t.extend(name.bytes().map(|b| b.to_ascii_lowercase())));
        match n.of(&self.req.text) {
            b"cookie" => cookie::parse_into(&mut self.req, value, self.limits),
            b"content-type" => {
                if self.content_type.is_some() {
                    self.req.flag(Anomaly::DuplicateHeader("content-type".into()));
                }
                let v = self.req.append(value);
                self.content_type = Some(v);
                self.req.headers.push((n, v));
                return;
            }
            b"host" => self.flag_repeated(0, "host"),
            b"content-length" => self.flag_repeated(1, "content-length"),
            b"transfer-encoding" => self.flag_repeated(2, "transfer-encoding"),
            _ => {}
        }
        let v = self.req.append(value);
        self.req.headers.push((n, v));
    }

    /// A header that must appear once, seen again.
    fn flag_repeated(&mut self, bit: u8, name: &'static str) {
        if self.once & (1 << bit) != 0 {
            self.req.flag(Anomaly::DuplicateHeader(name.to_owned()));
        }
        self.once |= 1 << bit;
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
        self.req.text.reserve(body.len() + body.len() / 2);
        // Copied out of the buffer the body parser appends to; on the
        // stack unless it is unusually long.
        let mut short = [0u8; 256];
        let long: Vec<u8>;
        let ct = match self.content_type.map(|s| s.of(&self.req.text)) {
            Some(v) if v.len() <= short.len() => {
                short[..v.len()].copy_from_slice(v);
                Some(&short[..v.len()])
            }
            Some(v) => {
                long = v.to_vec();
                Some(&long[..])
            }
            None => None,
        };
        body::parse_into(&mut self.req, ct, body, truncated, self.limits);
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
        assert_eq!(r.raw_path(), b"/a%20b/c");
        assert_eq!(r.path, b"/a b/c");
        let names: Vec<_> = r.params().map(|p| (p.name, p.value)).collect();
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

    fn sample<'l>(b: RequestBuilder<'l>, ct: &str, body: &[u8]) -> Request {
        let mut b = b;
        b.header("Host", b"shop.example");
        b.header("Cookie", b"sid=abc; theme=dark");
        b.header("Content-Type", ct.as_bytes());
        b.body(body, false);
        b.build()
    }

    #[test]
    fn a_reused_model_equals_a_fresh_one() {
        let l = ParseLimits::default();
        let first = sample(RequestBuilder::new("POST", "/a/b?x=1&y=%27", &l), "multipart/form-data; boundary=XX", b"--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.php\"\r\nContent-Type: text/plain\r\n\r\n<?php ?>\r\n--XX--\r\n");
        assert_eq!(first.files.len(), 1);
        let fresh = sample(RequestBuilder::new("PUT", "/c?q=%zz", &l), "application/json", br#"{"a":{"b":[1,"x"]}}"#);
        let reused = sample(RequestBuilder::reuse(first, "PUT", "/c?q=%zz", &l), "application/json", br#"{"a":{"b":[1,"x"]}}"#);
        assert_eq!(format!("{reused:?}"), format!("{fresh:?}"));
        assert!(reused.files.is_empty() && reused.query() == b"q=%zz" && reused.raw_path() == b"/c");
    }
}
