//! `a=1&b=2` parsing for query strings and urlencoded bodies.

use crate::limits::ParseLimits;
use crate::location::Source;
use crate::request::{Anomaly, Param, Request};

/// Splits on `&`, decodes names and values once (`+` is a space), keeps
/// repeated keys and keys without `=` (an empty value: such arguments were a
/// known bypass in engines that dropped them).
pub fn parse_into(req: &mut Request, input: &[u8], source: Source, limits: &ParseLimits) {
    let mut start = 0;
    let ends = memchr::memchr_iter(b'&', input).chain(std::iter::once(input.len()));
    for end in ends {
        let pair = &input[start..end];
        start = end + 1;
        if pair.is_empty() {
            continue;
        }
        let (name, value) = match memchr::memchr(b'=', pair) {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        if !req.room_for_param(limits, source) {
            return;
        }
        let (name, bad_n) = req.append_with(|t| crate::pct::decode_into(name, true, t));
        let (value, bad_v) = req.append_with(|t| crate::pct::decode_into(value, true, t));
        if bad_n || bad_v {
            req.flag(Anomaly::InvalidPercentEncoding(source));
        }
        req.commit_param(source, name, value, limits);
    }
}

/// Parses into a fresh list; handy for tests and fuzzing.
pub fn parse(input: &[u8], limits: &ParseLimits) -> Vec<Param> {
    let mut r = Request::default();
    parse_into(&mut r, input, Source::Query, limits);
    r.params_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_percent() {
        let p = parse(b"q=hello+world%21&empty=&=novalue", &ParseLimits::default());
        assert_eq!(p[0].value, b"hello world!");
        assert_eq!(p[1].value, b"");
        assert_eq!(p[2].name, b"");
        assert_eq!(p[2].value, b"novalue");
    }

    #[test]
    fn respects_param_limit() {
        let l = ParseLimits { max_params: 2, ..Default::default() };
        let mut r = Request::default();
        parse_into(&mut r, b"a=1&b=2&c=3", Source::Query, &l);
        assert_eq!(r.param_count(), 2);
        assert!(r.anomalies.contains(&Anomaly::Exceeded(crate::Limit::Params, Source::Query)));
    }
}
