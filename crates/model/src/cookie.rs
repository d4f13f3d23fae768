//! `Cookie:` header parsing (RFC 6265 syntax, lenient as browsers are).

use crate::limits::{Limit, ParseLimits};
use crate::location::Source;
use crate::request::{Anomaly, Request};

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Splits on `;`, trims, keeps names without `=` as empty-valued cookies.
/// Values are not percent-decoded here (cookies have no standard encoding);
/// the engine's normalization decodes where it matters.
pub fn parse_into(req: &mut Request, header: &[u8], limits: &ParseLimits) {
    for part in header.split(|&b| b == b';') {
        let part = trim(part);
        if part.is_empty() {
            continue;
        }
        if req.cookie_count() >= limits.max_cookies {
            req.flag(Anomaly::Exceeded(Limit::Cookies, Source::Cookie));
            return;
        }
        let (name, value) = match memchr::memchr(b'=', part) {
            Some(i) => (trim(&part[..i]), trim(&part[i + 1..])),
            None => (part, &b""[..]),
        };
        let value = match value {
            [b'"', inner @ .., b'"'] => inner,
            v => v,
        };
        let name = req.cut_name(name, Source::Cookie, limits);
        req.push_cookie(name, value);
    }
}

/// Parses into a fresh list; handy for tests and fuzzing.
pub fn parse(header: &[u8], limits: &ParseLimits) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut r = Request::default();
    parse_into(&mut r, header, limits);
    r.cookies().map(|(n, v)| (n.to_vec(), v.to_vec())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_trims() {
        let c = parse(b"a=1; b = \"two\" ;flag;; c=x=y", &ParseLimits::default());
        assert_eq!(
            c,
            vec![
                (b"a".to_vec(), b"1".to_vec()),
                (b"b".to_vec(), b"two".to_vec()),
                (b"flag".to_vec(), b"".to_vec()),
                (b"c".to_vec(), b"x=y".to_vec()),
            ]
        );
    }
}
