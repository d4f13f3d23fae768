//! XML bodies flattened to `root/child/@attr` names. quick-xml is a pull
//! parser that never expands entities, so XXE payloads stay visible as
//! text (the DOCTYPE is kept as its own value for the engine).

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::limits::{Limit, ParseLimits};
use crate::location::Source;
use crate::request::{Anomaly, Param, Request};

/// Returns false if nothing could be parsed (the caller inspects it raw).
pub fn parse_into(req: &mut Request, body: &[u8], truncated: bool, limits: &ParseLimits) -> bool {
    let mut reader = Reader::from_reader(body);
    reader.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut any = false;
    let mut pending_text: Vec<u8> = Vec::new();
    loop {
        buf.clear();
        let ev = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(_) => {
                if !truncated {
                    req.flag(Anomaly::XmlMalformed);
                }
                return any;
            }
        };
        match ev {
            Event::Start(e) | Event::Empty(e) if path.len() >= limits.max_depth => {
                let _ = e;
                req.flag(Anomaly::Exceeded(Limit::Depth, Source::Xml));
                return true;
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                flush_text(req, &path, &mut pending_text, limits);
                any = true;
                path.push(e.name().as_ref().to_vec());
                for a in e.attributes().with_checks(false) {
                    let Ok(a) = a else {
                        req.flag(Anomaly::XmlMalformed);
                        continue;
                    };
                    let mut name = join(&path);
                    name.extend_from_slice(b"/@");
                    name.extend_from_slice(a.key.as_ref());
                    push(req, name, unescape(&a.value), limits);
                }
                if matches!(ev, Event::Empty(_)) {
                    path.pop();
                }
            }
            Event::End(_) => {
                flush_text(req, &path, &mut pending_text, limits);
                path.pop();
            }
            Event::Text(t) => pending_text.extend_from_slice(&unescape(t.as_ref())),
            Event::CData(t) => pending_text.extend_from_slice(t.as_ref()),
            Event::GeneralRef(r) => match reference(r.as_ref()) {
                Some(c) => pending_text.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                // An entity the document declares stays as written (it is
                // not expanded: that is how XXE works).
                None => {
                    pending_text.push(b'&');
                    pending_text.extend_from_slice(r.as_ref());
                    pending_text.push(b';');
                }
            },
            Event::DocType(t) => {
                any = true;
                push(req, b"!DOCTYPE".to_vec(), t.as_ref().to_vec(), limits);
            }
            Event::PI(t) => push(req, b"?PI".to_vec(), t.as_ref().to_vec(), limits),
            Event::Comment(_) | Event::Decl(_) => {}
            Event::Eof => {
                flush_text(req, &path, &mut pending_text, limits);
                if !path.is_empty() && !truncated {
                    req.flag(Anomaly::XmlMalformed);
                }
                return any;
            }
        }
    }
}

/// The character a reference names: `#123`, `#x7B`, or one of XML's five
/// predefined entities. `None` for anything else.
fn reference(name: &[u8]) -> Option<char> {
    match name {
        b"lt" => Some('<'),
        b"gt" => Some('>'),
        b"amp" => Some('&'),
        b"quot" => Some('"'),
        b"apos" => Some('\''),
        [b'#', b'x' | b'X', hex @ ..] if !hex.is_empty() && hex.len() <= 8 => {
            u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok().and_then(char::from_u32)
        }
        [b'#', dec @ ..] if !dec.is_empty() && dec.len() <= 10 => std::str::from_utf8(dec).ok()?.parse().ok().and_then(char::from_u32),
        _ => None,
    }
}

/// Character and predefined entity references decoded, as an XML parser
/// hands values to an application (and to ModSecurity's `XML:`).
fn unescape(v: &[u8]) -> Vec<u8> {
    if memchr::memchr(b'&', v).is_none() {
        return v.to_vec();
    }
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'&'
            && let Some(end) = v[i + 1..].iter().take(12).position(|&b| b == b';')
            && let Some(c) = reference(&v[i + 1..i + 1 + end])
        {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            i += end + 2;
            continue;
        }
        out.push(v[i]);
        i += 1;
    }
    out
}

fn flush_text(req: &mut Request, path: &[Vec<u8>], text: &mut Vec<u8>, limits: &ParseLimits) {
    if text.iter().all(|b| b.is_ascii_whitespace()) {
        text.clear();
        return;
    }
    let name = join(path);
    push(req, name, std::mem::take(text), limits);
}

fn push(req: &mut Request, name: Vec<u8>, value: Vec<u8>, limits: &ParseLimits) {
    req.push_param(Param { source: Source::Xml, name, value }, limits);
}

fn join(path: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, p) in path.iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(p);
    }
    out
}

/// Parses into a fresh list; handy for tests and fuzzing.
pub fn parse(body: &[u8], limits: &ParseLimits) -> Vec<Param> {
    let mut r = Request::default();
    parse_into(&mut r, body, false, limits);
    r.params_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_text_and_attributes() {
        let p = parse(
            br#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><a id="7"><b>hi &e;</b><c/></a>"#,
            &ParseLimits::default(),
        );
        let got: Vec<_> =
            p.iter().map(|p| (String::from_utf8_lossy(&p.name).into_owned(), String::from_utf8_lossy(&p.value).into_owned())).collect();
        assert_eq!(got[0].0, "!DOCTYPE");
        assert!(got[0].1.contains("file:///etc/passwd"));
        assert!(got.contains(&("a/@id".into(), "7".into())));
        let p = parse(br#"<r><a probe="&#x7B;l,-lh&#x7D;s &lt;b&gt;">x &#60;y&#62; &amp;</a></r>"#, &ParseLimits::default());
        assert_eq!(p[0].value, b"{l,-lh}s <b>");
        assert_eq!(p[1].value, b"x <y> &");
        assert!(got.contains(&("a/b".into(), "hi &e;".into())));
    }

    #[test]
    fn malformed_is_flagged() {
        let mut r = Request::default();
        parse_into(&mut r, b"<a><b></a", false, &ParseLimits::default());
        assert!(r.anomalies.contains(&Anomaly::XmlMalformed));
    }
}
