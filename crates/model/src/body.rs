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

/// The media type (lower-cased, parameters dropped) and the `boundary`
/// parameter if any.
pub fn media_type(ct: &[u8]) -> (String, Option<Vec<u8>>) {
    let mut parts = ct.split(|&b| b == b';');
    let mt = parts.next().unwrap_or_default();
    let mt = String::from_utf8_lossy(mt).trim().to_ascii_lowercase();
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

pub fn kind_of(mt: &str) -> BodyKind {
    match mt {
        "application/x-www-form-urlencoded" => BodyKind::UrlEncoded,
        "multipart/form-data" => BodyKind::Multipart,
        "application/json" | "text/json" | "application/csp-report" => BodyKind::Json,
        "application/xml" | "text/xml" | "application/soap+xml" => BodyKind::Xml,
        m if m.ends_with("+json") => BodyKind::Json,
        m if m.ends_with("+xml") => BodyKind::Xml,
        _ => BodyKind::Other,
    }
}

pub(crate) fn parse_into(req: &mut Request, content_type: Option<&[u8]>, body: &[u8], truncated: bool, limits: &ParseLimits) {
    let (mt, boundary) = content_type.map(media_type).unwrap_or_default();
    let kind = kind_of(&mt);
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
    if !req.room_for_param(limits) {
        return;
    }
    let text = req.text_mut();
    let start = text.len();
    text.extend_from_slice(body);
    let value = Span::since(start, text);
    let no_name = Span::since(start, &text[..start]);
    req.commit_param(Source::RawBody, no_name, value, limits);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_and_boundary() {
        let (mt, b) = media_type(b"Multipart/Form-Data; charset=utf-8; boundary=\"xyz\"");
        assert_eq!(mt, "multipart/form-data");
        assert_eq!(b.as_deref(), Some(&b"xyz"[..]));
        assert_eq!(kind_of("application/vnd.api+json"), BodyKind::Json);
    }
}
