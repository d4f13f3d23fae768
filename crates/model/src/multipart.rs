//! `multipart/form-data` (RFC 7578) over a buffered body. Written by hand
//! because the crates that exist (multer) are async stream parsers, while
//! the engine wants a pure function over the inspected prefix that reports
//! every oddity instead of giving up.

use crate::limits::{Limit, ParseLimits};
use crate::location::Source;
use crate::request::{Anomaly, FilePart, Param, Request};

const MAX_PART_HEADER: usize = 8 * 1024;

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// Parses the parts into params (fields) and files.
pub fn parse_into(req: &mut Request, boundary: Option<&[u8]>, body: &[u8], truncated: bool, limits: &ParseLimits) {
    let Some(boundary) = boundary.filter(|b| !b.is_empty() && b.len() <= 200) else {
        req.flag(Anomaly::MultipartMalformed("missing or invalid boundary"));
        raw(req, body, limits);
        return;
    };
    let mut delim = Vec::with_capacity(boundary.len() + 4);
    delim.extend_from_slice(b"--");
    delim.extend_from_slice(boundary);

    let Some(first) = find(body, &delim) else {
        req.flag(Anomaly::MultipartMalformed("boundary not found in body"));
        raw(req, body, limits);
        return;
    };
    if first != 0 {
        // RFC 2046 allows a preamble, but applications never send one and
        // parsers disagree about it: worth a note.
        req.flag(Anomaly::MultipartMalformed("data before the first boundary"));
    }
    let mut pos = first + delim.len();
    let mut parts = 0usize;
    loop {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            return; // closing delimiter
        }
        let after = if rest.starts_with(b"\r\n") {
            2
        } else if rest.starts_with(b"\n") {
            req.flag(Anomaly::MultipartMalformed("bare LF after boundary"));
            1
        } else {
            if !(truncated && rest.len() < 2) {
                req.flag(Anomaly::MultipartMalformed("garbage after boundary"));
            }
            return;
        };
        pos += after;
        parts += 1;
        if parts > limits.max_parts {
            req.flag(Anomaly::Exceeded(Limit::Parts, Source::Multipart));
            return;
        }
        let rest = &body[pos..];
        // Part headers are small: search a bounded window, so a body of many
        // parts stays linear.
        let head_window = &rest[..rest.len().min(MAX_PART_HEADER + 4)];
        let (hdr_end, sep) = match (find(head_window, b"\r\n\r\n"), find(head_window, b"\n\n")) {
            (Some(a), Some(b)) if b < a => (b, 2),
            (Some(a), _) => (a, 4),
            (None, Some(b)) => (b, 2),
            (None, None) => {
                if rest.len() > MAX_PART_HEADER {
                    req.flag(Anomaly::MultipartMalformed("part headers too large"));
                } else if !truncated {
                    req.flag(Anomaly::MultipartMalformed("part headers not terminated"));
                }
                return;
            }
        };
        if hdr_end > MAX_PART_HEADER {
            req.flag(Anomaly::MultipartMalformed("part headers too large"));
            return;
        }
        let headers = PartHeaders::parse(&rest[..hdr_end], req);
        pos += hdr_end + sep;
        let content_area = &body[pos..];
        // Content ends at CRLF + delimiter.
        let mut marker = Vec::with_capacity(delim.len() + 2);
        marker.extend_from_slice(b"\r\n");
        marker.extend_from_slice(&delim);
        let (content, next, ended) = match find(content_area, &marker) {
            Some(i) => (&content_area[..i], pos + i + marker.len(), true),
            None => match find(content_area, &delim) {
                // Tolerate LF-only line ends, flagged.
                Some(i) => {
                    req.flag(Anomaly::MultipartMalformed("boundary not preceded by CRLF"));
                    let c = &content_area[..i];
                    let c = c.strip_suffix(b"\n").unwrap_or(c);
                    (c, pos + i + delim.len(), true)
                }
                None => (content_area, body.len(), false),
            },
        };
        if !ended && !truncated {
            req.flag(Anomaly::MultipartMalformed("missing closing boundary"));
        }
        emit(req, headers, content, limits);
        if !ended {
            return;
        }
        pos = next;
    }
}

fn raw(req: &mut Request, body: &[u8], limits: &ParseLimits) {
    req.push_param(Param { source: Source::RawBody, name: Vec::new(), value: body.to_vec() }, limits);
}

fn emit(req: &mut Request, h: PartHeaders, content: &[u8], limits: &ParseLimits) {
    let mut name = h.name.unwrap_or_default();
    let cut = req.cut_name(&name, Source::Multipart, limits).len();
    name.truncate(cut);
    for line in h.lines {
        if req.part_headers.len() >= limits.max_params {
            req.flag(Anomaly::Exceeded(Limit::Params, Source::Multipart));
            break;
        }
        req.part_headers.push((name.clone(), line));
    }
    match h.filename {
        Some(filename) => {
            let head = content[..content.len().min(limits.file_head_bytes)].to_vec();
            req.files.push(FilePart { field: name, filename, content_type: h.content_type.unwrap_or_default(), size: content.len(), head });
        }
        None => {
            req.push_param(Param { source: Source::Multipart, name, value: content.to_vec() }, limits);
        }
    }
}

#[derive(Default)]
struct PartHeaders {
    /// Every header line as sent (for rules that read them all).
    lines: Vec<Vec<u8>>,
    name: Option<Vec<u8>>,
    filename: Option<Vec<u8>>,
    content_type: Option<Vec<u8>>,
}

impl PartHeaders {
    fn parse(block: &[u8], req: &mut Request) -> Self {
        let mut h = PartHeaders::default();
        let mut saw_disposition = false;
        for line in block.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            h.lines.push(line.to_vec());
            let Some(colon) = memchr::memchr(b':', line) else {
                req.flag(Anomaly::MultipartMalformed("part header without colon"));
                continue;
            };
            let key = &line[..colon];
            let val = &line[colon + 1..];
            if key.eq_ignore_ascii_case(b"content-disposition") {
                if saw_disposition {
                    req.flag(Anomaly::MultipartMalformed("repeated Content-Disposition"));
                }
                saw_disposition = true;
                h.parse_disposition(val, req);
            } else if key.eq_ignore_ascii_case(b"content-type") {
                h.content_type = Some(trim(val).to_vec());
            }
        }
        if !saw_disposition {
            req.flag(Anomaly::MultipartMalformed("part without Content-Disposition"));
        }
        h
    }

    fn parse_disposition(&mut self, val: &[u8], req: &mut Request) {
        let mut it = split_params(val).into_iter();
        let kind = it.next().unwrap_or_default();
        if !trim(&kind).eq_ignore_ascii_case(b"form-data") {
            req.flag(Anomaly::MultipartMalformed("Content-Disposition is not form-data"));
        }
        for p in it {
            let p = trim(&p);
            let Some(eq) = memchr::memchr(b'=', p) else { continue };
            let k = trim(&p[..eq]);
            let v = unquote(trim(&p[eq + 1..]));
            if k.eq_ignore_ascii_case(b"name") {
                if self.name.is_some() {
                    req.flag(Anomaly::MultipartMalformed("repeated name parameter"));
                }
                self.name = Some(v);
            } else if k.eq_ignore_ascii_case(b"filename") {
                if self.filename.is_some() {
                    req.flag(Anomaly::MultipartMalformed("repeated filename parameter"));
                }
                self.filename = Some(v);
            } else if k.eq_ignore_ascii_case(b"filename*") {
                // RFC 5987: charset'lang'pct-encoded. Both forms are kept
                // visible: a mismatch is a classic upload-filter bypass.
                let enc = match v.iter().rposition(|&b| b == b'\'') {
                    Some(i) => &v[i + 1..],
                    None => &v[..],
                };
                let decoded = crate::pct::decode(enc, false).0;
                if self.filename.as_ref().is_some_and(|f| *f != decoded) {
                    req.flag(Anomaly::MultipartMalformed("filename and filename* differ"));
                }
                self.filename = Some(decoded);
            }
        }
    }
}

/// Splits on `;` outside double quotes.
fn split_params(v: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut quoted = false;
    let mut esc = false;
    for &b in v {
        if esc {
            esc = false;
            cur.push(b);
            continue;
        }
        match b {
            b'\\' if quoted => {
                esc = true;
                cur.push(b);
            }
            b'"' => {
                quoted = !quoted;
                cur.push(b);
            }
            b';' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(b),
        }
    }
    out.push(cur);
    out
}

fn unquote(v: &[u8]) -> Vec<u8> {
    match v {
        [b'"', inner @ .., b'"'] => {
            let mut out = Vec::with_capacity(inner.len());
            let mut esc = false;
            for &b in inner {
                if esc {
                    // Only `\"` and `\\` are escapes (as in browsers and
                    // ModSecurity); `..\x` keeps its backslash.
                    if b != b'"' && b != b'\\' {
                        out.push(b'\\');
                    }
                    out.push(b);
                    esc = false;
                } else if b == b'\\' {
                    esc = true;
                } else {
                    out.push(b);
                }
            }
            out
        }
        _ => v.to_vec(),
    }
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(boundary: &str, body: &str) -> Request {
        let mut r = Request::default();
        parse_into(&mut r, Some(boundary.as_bytes()), body.as_bytes(), false, &ParseLimits::default());
        r
    }

    #[test]
    fn fields_and_files() {
        let body = "--XX\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n\
                    --XX\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a;b.php\"\r\n\
                    Content-Type: image/png\r\n\r\n<?php system($_GET[1]); ?>\r\n--XX--\r\n";
        let r = parse("XX", body);
        let params = r.params_owned();
        assert_eq!(params.len(), 1);
        assert_eq!(params[0].name, b"title");
        assert_eq!(params[0].value, b"hello");
        assert_eq!(r.files.len(), 1);
        assert_eq!(r.files[0].filename, b"a;b.php");
        assert_eq!(r.files[0].content_type, b"image/png");
        assert!(r.files[0].head.starts_with(b"<?php"));
        assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    }

    #[test]
    fn flags_missing_close_and_bad_boundary() {
        let r = parse("XX", "--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv");
        assert!(r.anomalies.contains(&Anomaly::MultipartMalformed("missing closing boundary")));
        assert_eq!(r.params_owned()[0].value, b"v");
        let mut r = Request::default();
        parse_into(&mut r, None, b"abc", false, &ParseLimits::default());
        assert!(matches!(r.anomalies[0], Anomaly::MultipartMalformed(_)));
        assert_eq!(r.params_owned()[0].source, Source::RawBody);
    }

    #[test]
    fn filename_star_mismatch_is_flagged() {
        let body = "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.jpg\"; filename*=UTF-8''shell.php\r\n\r\nx\r\n--B--";
        let r = parse("B", body);
        assert_eq!(r.files[0].filename, b"shell.php");
        assert!(r.anomalies.contains(&Anomaly::MultipartMalformed("filename and filename* differ")));
    }
}
