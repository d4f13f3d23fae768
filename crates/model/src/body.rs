//! Chooses a body parser from the `Content-Type`.

use crate::limits::ParseLimits;
use crate::location::Source;
use crate::request::{Request, Span};
use crate::{json, multipart, query, xml};

/// What kind of body the request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyKind {
    #[default]
    None,
    UrlEncoded,
    Multipart,
    Json,
    Xml,
    /// Anything else; inspected as one raw value.
    Other,
}

/// The media type (parameters dropped, spaces trimmed, case kept) and the
/// `boundary` parameter if any.
pub fn media_type(ct: &[u8]) -> (&[u8], Option<Vec<u8>>) {
    let mut parts = ct.split(|&b| b == b';');
    let mt = parts.next().unwrap_or_default().trim_ascii();
    let mut boundary = None;
    for p in parts {
        let p = String::from_utf8_lossy(p);
        let p = p.trim();
        if let Some((k, v)) = p.split_once('=')
            && k.trim().eq_ignore_ascii_case("boundary")
        {
            let v = v.trim().trim_matches('"');
            boundary = Some(v.as_bytes().to_vec());
        }
    }
    (mt, boundary)
}

/// The body kind for a media type (any case).
pub fn kind_of(mt: &[u8]) -> BodyKind {
    let is = |s: &str| mt.eq_ignore_ascii_case(s.as_bytes());
    let ends = |s: &str| mt.len() >= s.len() && mt[mt.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes());
    if is("application/x-www-form-urlencoded") {
        BodyKind::UrlEncoded
    } else if is("multipart/form-data") {
        BodyKind::Multipart
    } else if is("application/json") || is("text/json") || is("application/csp-report") || ends("+json") {
        BodyKind::Json
    } else if is("application/xml") || is("text/xml") || is("application/soap+xml") || ends("+xml") {
        BodyKind::Xml
    } else {
        BodyKind::Other
    }
}

pub(crate) fn parse_into(req: &mut Request, content_type: Option<&[u8]>, body: &[u8], truncated: bool, limits: &ParseLimits) {
    let (mt, boundary) = content_type.map(media_type).unwrap_or_default();
    let kind = kind_of(mt);
    req.body_kind = kind;
    match kind {
        BodyKind::UrlEncoded => query::parse_into(req, body, Source::Form, limits),
        BodyKind::Multipart => multipart::parse_into(req, boundary.as_deref(), body, truncated, limits),
        BodyKind::Json => {
            if !json::parse_into(req, body, limits) {
                raw(req, body, limits);
            }
        }
        BodyKind::Xml => {
            if !xml::parse_into(req, body, truncated, limits) {
                raw(req, body, limits);
            }
        }
        BodyKind::Other | BodyKind::None => {
            req.body_kind = BodyKind::Other;
            raw(req, body, limits)
        }
    }
}

/// A body nobody parsed is still inspected, as one value.
fn raw(req: &mut Request, body: &[u8], limits: &ParseLimits) {
    if !req.room_for_param(limits, Source::RawBody) {
        return;
    }
    let value = req.append(body);
    req.commit_param(Source::RawBody, Span::default(), value, limits);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_and_boundary() {
        let (mt, b) = media_type(b" Multipart/Form-Data ; charset=utf-8; boundary=\"xyz\"");
        assert_eq!(mt, b"Multipart/Form-Data");
        assert_eq!(kind_of(mt), BodyKind::Multipart);
        assert_eq!(b.as_deref(), Some(&b"xyz"[..]));
        assert_eq!(kind_of(b"application/vnd.api+JSON"), BodyKind::Json);
        assert_eq!(kind_of(b"Text/XML"), BodyKind::Xml);
        assert_eq!(kind_of(b"json"), BodyKind::Other);
        assert_eq!(kind_of(b"text/plain"), BodyKind::Other);
    }
}
