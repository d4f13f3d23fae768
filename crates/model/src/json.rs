//! JSON bodies flattened to `a.b[0].c` names, in document order, keeping
//! duplicate keys. Written by hand rather than through serde_json's `Value`
//! because a map there keeps only the last of duplicate keys — and
//! applications that take the first one let an attacker hide a payload the
//! WAF never saw. Iterative, so nesting cannot overflow the stack.

use crate::limits::{Limit, ParseLimits};
use crate::location::Source;
use crate::request::{Anomaly, Param, Request, Span};

enum Frame {
    Object { name_len: usize },
    Array { name_len: usize, index: usize },
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// A JSON string with escapes resolved (lone surrogates become U+FFFD),
    /// appended to `out`.
    fn string_into(&mut self, out: &mut Vec<u8>) -> Option<()> {
        if !self.eat(b'"') {
            return None;
        }
        loop {
            // The run up to the closing quote or an escape, copied whole.
            let run = memchr::memchr2(b'"', b'\\', self.s.get(self.i..)?)?;
            out.extend_from_slice(&self.s[self.i..self.i + run]);
            self.i += run;
            let closing = self.s[self.i] == b'"';
            self.i += 1;
            if closing {
                return Some(());
            }
            let e = *self.s.get(self.i)?;
            self.i += 1;
            match e {
                b'"' | b'\\' | b'/' => out.push(e),
                b'b' => out.push(8),
                b'f' => out.push(12),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'u' => {
                    let mut cp = self.hex4()?;
                    if (0xD800..0xDC00).contains(&cp) && self.s.get(self.i..self.i + 2) == Some(b"\\u") {
                        self.i += 2;
                        let lo = self.hex4()?;
                        if (0xDC00..0xE000).contains(&lo) {
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        }
                    }
                    let c = char::from_u32(cp).unwrap_or('\u{FFFD}');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                _ => return None,
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        self.i += 4;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    }

    /// A number, `true`, `false` or `null`, as its text.
    fn scalar(&mut self) -> Option<&[u8]> {
        self.ws();
        let start = self.i;
        while let Some(b) = self.s.get(self.i) {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.') {
                self.i += 1;
            } else {
                break;
            }
        }
        let t = &self.s[start..self.i];
        let ok = matches!(t, b"true" | b"false" | b"null")
            || (!t.is_empty() && t.iter().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')));
        ok.then_some(t)
    }
}

/// Returns false if the body is not JSON (the caller then inspects it raw).
/// Leaves found before a syntax error are kept.
pub fn parse_into(req: &mut Request, body: &[u8], limits: &ParseLimits) -> bool {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut p = Parser { s: body, i: 0 };
    let mut name: Vec<u8> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut too_deep = false;
    let ok = (|| -> Option<()> {
        // Parse one value at the current name; containers push a frame.
        'value: loop {
            match p.peek()? {
                b'{' => {
                    p.i += 1;
                    if stack.len() >= limits.max_depth {
                        too_deep = true;
                        return Some(());
                    }
                    stack.push(Frame::Object { name_len: name.len() });
                    if p.eat(b'}') {
                        stack.pop();
                    } else {
                        key(&mut p, &mut name)?;
                        continue 'value;
                    }
                }
                b'[' => {
                    p.i += 1;
                    if stack.len() >= limits.max_depth {
                        too_deep = true;
                        return Some(());
                    }
                    stack.push(Frame::Array { name_len: name.len(), index: 0 });
                    if p.eat(b']') {
                        stack.pop();
                    } else {
                        name.extend_from_slice(b"[0]");
                        continue 'value;
                    }
                }
                b'"' => {
                    let (value, ok) = req.append_with(|t| p.string_into(t));
                    ok?;
                    leaf(req, &name, value, limits);
                }
                _ => {
                    let value = req.append(p.scalar()?);
                    leaf(req, &name, value, limits);
                }
            }
            // After a value: close containers or move to the next member.
            loop {
                match stack.last_mut() {
                    None => {
                        p.ws();
                        return (p.i == p.s.len()).then_some(());
                    }
                    Some(Frame::Object { name_len }) => {
                        let nl = *name_len;
                        name.truncate(nl);
                        if p.eat(b',') {
                            key(&mut p, &mut name)?;
                            continue 'value;
                        }
                        if !p.eat(b'}') {
                            return None;
                        }
                        stack.pop();
                    }
                    Some(Frame::Array { name_len, index }) => {
                        let nl = *name_len;
                        name.truncate(nl);
                        if p.eat(b',') {
                            *index += 1;
                            push_index(&mut name, *index);
                            continue 'value;
                        }
                        if !p.eat(b']') {
                            return None;
                        }
                        stack.pop();
                    }
                }
            }
        }
    })();
    if too_deep {
        req.flag(Anomaly::Exceeded(Limit::Depth, Source::Json));
        return true;
    }
    if ok.is_none() {
        req.flag(Anomaly::JsonMalformed);
        return false;
    }
    true
}

fn key(p: &mut Parser<'_>, name: &mut Vec<u8>) -> Option<()> {
    if !name.is_empty() {
        name.push(b'.');
    }
    p.string_into(name)?;
    p.eat(b':').then_some(())
}

/// Appends `[index]` without formatting machinery.
fn push_index(name: &mut Vec<u8>, index: usize) {
    let mut digits = [0u8; 20];
    let mut n = index;
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    name.push(b'[');
    name.extend_from_slice(&digits[at..]);
    name.push(b']');
}

/// Makes the value just appended to the text buffer a parameter named
/// `name` (or drops it past `max_params`).
fn leaf(req: &mut Request, name: &[u8], value: Span, limits: &ParseLimits) {
    if !req.room_for_param(limits, Source::Json) {
        req.truncate_text(value.start());
        return;
    }
    let name = req.cut_name(name, Source::Json, limits);
    let name = req.append(name);
    req.commit_param(Source::Json, name, value, limits);
}

/// Parses into a fresh list; handy for tests and fuzzing.
pub fn parse(body: &[u8], limits: &ParseLimits) -> Vec<Param> {
    let mut r = Request::default();
    parse_into(&mut r, body, limits);
    r.params_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &[Param]) -> Vec<String> {
        p.iter().map(|p| String::from_utf8_lossy(&p.name).into_owned()).collect()
    }

    #[test]
    fn flattens_names_in_order_with_duplicates() {
        let p = parse(br#"{"a":{"b":[1,{"c":"x\u0041"}]},"$where":"1","n":null,"a":"dup","e":[],"o":{}}"#, &ParseLimits::default());
        assert_eq!(names(&p), ["a.b[0]", "a.b[1].c", "$where", "n", "a"]);
        assert_eq!(p[1].value, b"xA");
        assert_eq!(p[4].value, b"dup");
    }

    #[test]
    fn array_indexes_past_nine() {
        let p = parse(b"[0,1,2,3,4,5,6,7,8,9,10,11]", &ParseLimits::default());
        assert_eq!(names(&p)[10..], ["[10]", "[11]"]);
    }

    #[test]
    fn top_level_scalars_and_arrays() {
        assert_eq!(parse(b" \"s\" ", &ParseLimits::default())[0].value, b"s");
        assert_eq!(names(&parse(b"[1,[2,3]]", &ParseLimits::default())), ["[0]", "[1][0]", "[1][1]"]);
    }

    #[test]
    fn malformed_is_flagged() {
        for bad in [&b"{\"a\":}"[..], b"{\"a\" 1}", b"[1,", b"{} x", b"\"unterminated", b"tru"] {
            let mut r = Request::default();
            assert!(!parse_into(&mut r, bad, &ParseLimits::default()), "{}", String::from_utf8_lossy(bad));
            assert!(r.anomalies.contains(&Anomaly::JsonMalformed));
        }
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let l = ParseLimits { max_depth: 3, ..Default::default() };
        let mut r = Request::default();
        let evil = "[".repeat(100_000);
        assert!(parse_into(&mut r, evil.as_bytes(), &l));
        assert!(r.anomalies.contains(&Anomaly::Exceeded(Limit::Depth, Source::Json)));
    }
}
