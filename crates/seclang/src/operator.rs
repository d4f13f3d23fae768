//! SecLang operators compiled once at load time and matched against the
//! transformed value of a variable. `@rx` uses the `regex` crate in byte
//! mode (linear time: no pattern can backtrack on attacker input), `@pm`
//! Aho-Corasick.

use std::borrow::Cow;
use std::net::IpAddr;

use aho_corasick::AhoCorasick;
use ipnet::IpNet;
use regex::bytes::{Regex, RegexBuilder};

use crate::ast::Operator;

/// A compiled operator.
#[derive(Debug)]
pub enum Op {
    Rx(Box<Regex>),
    Pm(Box<AhoCorasick>),
    /// Numeric comparison with the argument (which may hold a macro such as
    /// `%{tx.inbound_anomaly_score_threshold}`, expanded at match time).
    Num(NumCmp, String),
    StrEq(String),
    Contains(String),
    ContainsWord(String),
    BeginsWith(String),
    EndsWith(String),
    Within(String),
    /// Allowed byte ranges (`@validateByteRange 1-255`).
    ByteRange(Vec<(u8, u8)>),
    ValidateUrlEncoding,
    ValidateUtf8,
    Unconditional,
    NoMatch,
    /// `@ipMatch 127.0.0.1,10.0.0.0/8`
    IpMatch(Vec<IpNet>),
    /// `@detectSQLi`, `@detectXSS`: judged by the native engine.
    DetectSqli,
    DetectXss,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumCmp {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

/// Reads a data file named by `@pmFromFile`/`@ipMatchFromFile`, relative
/// to the rule file (the caller's I/O).
pub type DataLoader<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// CRS writes `\x{hh}`; the `regex` crate in byte mode wants `\xhh`.
pub fn rewrite_pattern(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            if b[i + 1] == b'x'
                && b.get(i + 2) == Some(&b'{')
                && let Some(close) = p[i + 3..].find('}')
                && close <= 2
                && close > 0
                && p[i + 3..i + 3 + close].bytes().all(|c| c.is_ascii_hexdigit())
            {
                out.push_str("\\x");
                if close == 1 {
                    out.push('0');
                }
                out.push_str(&p[i + 3..i + 3 + close]);
                i += 4 + close;
                continue;
            }
            // The escaped character may be more than one byte.
            let next = p[i + 1..].chars().next().unwrap_or('\0');
            out.push('\\');
            out.push(next);
            i += 1 + next.len_utf8();
            continue;
        }
        let ch = p[i..].chars().next().unwrap_or('\0');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

pub fn compile(op: &Operator, data: DataLoader<'_>) -> Result<Op, String> {
    let a = op.argument.as_str();
    Ok(match op.name.as_str() {
        "rx" => {
            let re = RegexBuilder::new(&rewrite_pattern(a))
                .unicode(false)
                .size_limit(64 << 20)
                .dfa_size_limit(16 << 20)
                .build()
                .map_err(|e| format!("@rx does not compile: {}", first_line(&e.to_string())))?;
            Op::Rx(Box::new(re))
        }
        "pm" => Op::Pm(Box::new(phrases(a.split_whitespace())?)),
        "pmFromFile" | "pmf" => {
            let mut words = Vec::new();
            for file in a.split_whitespace() {
                let text = data(file)?;
                words.extend(text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned));
            }
            Op::Pm(Box::new(phrases(words.iter().map(String::as_str))?))
        }
        "eq" => Op::Num(NumCmp::Eq, a.into()),
        "ge" => Op::Num(NumCmp::Ge, a.into()),
        "gt" => Op::Num(NumCmp::Gt, a.into()),
        "le" => Op::Num(NumCmp::Le, a.into()),
        "lt" => Op::Num(NumCmp::Lt, a.into()),
        "streq" => Op::StrEq(a.into()),
        "contains" => Op::Contains(a.into()),
        "containsWord" => Op::ContainsWord(a.into()),
        "beginsWith" => Op::BeginsWith(a.into()),
        "endsWith" => Op::EndsWith(a.into()),
        "within" => Op::Within(a.into()),
        "validateByteRange" => Op::ByteRange(byte_ranges(a)?),
        "validateUrlEncoding" => Op::ValidateUrlEncoding,
        "validateUtf8Encoding" => Op::ValidateUtf8,
        "unconditionalMatch" => Op::Unconditional,
        "noMatch" => Op::NoMatch,
        "ipMatch" => Op::IpMatch(a.split(',').map(|x| net(x.trim())).collect::<Result<_, _>>()?),
        "ipMatchFromFile" | "ipMatchF" => {
            let text = data(a)?;
            Op::IpMatch(text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(net).collect::<Result<_, _>>()?)
        }
        "detectSQLi" => Op::DetectSqli,
        "detectXSS" => Op::DetectXss,
        other => return Err(format!("@{other} is recognized but not supported yet")),
    })
}

fn first_line(s: &str) -> &str {
    s.lines().find(|l| l.contains("error")).unwrap_or_else(|| s.lines().next().unwrap_or(s))
}

fn phrases<'a>(words: impl Iterator<Item = &'a str>) -> Result<AhoCorasick, String> {
    let words: Vec<&str> = words.collect();
    if words.is_empty() {
        return Err("@pm needs at least one phrase".into());
    }
    AhoCorasick::builder().ascii_case_insensitive(true).build(words).map_err(|e| e.to_string())
}

fn byte_ranges(a: &str) -> Result<Vec<(u8, u8)>, String> {
    a.split(',')
        .map(|r| {
            let r = r.trim();
            let (lo, hi) = r.split_once('-').unwrap_or((r, r));
            let p = |x: &str| x.trim().parse::<u8>().map_err(|_| format!("@validateByteRange: bad range {r}"));
            Ok((p(lo)?, p(hi)?))
        })
        .collect()
}

/// `10.0.0.0/8`, or one address (`127.0.0.1` as a /32).
fn net(s: &str) -> Result<IpNet, String> {
    s.parse::<IpNet>().or_else(|_| s.parse::<IpAddr>().map(IpNet::from)).map_err(|_| format!("@ipMatch: bad address {s}"))
}

impl Op {
    /// Whether `v` matches; for `@rx`, the captures `TX:0`–`TX:9` get.
    /// `expand` resolves macros in string arguments (`%{tx.allowed_methods}`).
    /// Whether the operator matches `v`. `expand` resolves macros in the
    /// argument; `captures` (when the rule wants them) receives `TX:0`…
    /// `TX:9`.
    pub fn matches<'a>(&'a self, v: &[u8], expand: &dyn Fn(&str) -> String, captures: Option<&mut Vec<Vec<u8>>>) -> bool {
        let arg = |s: &'a str| -> Cow<'a, str> { if s.contains("%{") { expand(s).into() } else { s.into() } };
        match self {
            // Most values do not match: `is_match` first, because
            // `captures` allocates its slots on every call.
            Op::Rx(re) => match captures {
                Some(_) if !re.is_match(v) => false,
                Some(caps) => match re.captures(v) {
                    Some(c) => {
                        caps.clear();
                        caps.extend(c.iter().take(10).map(|m| m.map(|m| m.as_bytes().to_vec()).unwrap_or_default()));
                        true
                    }
                    None => false,
                },
                None => re.is_match(v),
            },
            Op::Pm(ac) => match ac.find(v) {
                Some(m) => {
                    if let Some(caps) = captures {
                        caps.clear();
                        caps.push(v[m.start()..m.end()].to_vec());
                    }
                    true
                }
                None => false,
            },
            Op::Num(cmp, a) => {
                let x = std::str::from_utf8(v).ok().and_then(|s| s.trim().parse::<i64>().ok()).unwrap_or(0);
                let y = arg(a).trim().parse::<i64>().unwrap_or(0);
                match cmp {
                    NumCmp::Eq => x == y,
                    NumCmp::Ge => x >= y,
                    NumCmp::Gt => x > y,
                    NumCmp::Le => x <= y,
                    NumCmp::Lt => x < y,
                }
            }
            Op::StrEq(s) => v == arg(s).as_bytes(),
            Op::Contains(s) => {
                let s = arg(s);
                s.is_empty() || memchr::memmem::find(v, s.as_bytes()).is_some()
            }
            Op::ContainsWord(s) => {
                let s = arg(s);
                let s = s.as_bytes();
                !s.is_empty()
                    && v.windows(s.len()).enumerate().any(|(i, w)| {
                        w == s
                            && (i == 0 || !v[i - 1].is_ascii_alphanumeric() && v[i - 1] != b'_')
                            && v.get(i + s.len()).is_none_or(|b| !b.is_ascii_alphanumeric() && *b != b'_')
                    })
            }
            Op::BeginsWith(s) => v.starts_with(arg(s).as_bytes()),
            Op::EndsWith(s) => v.ends_with(arg(s).as_bytes()),
            // `@within`: the value occurs in the argument (CRS lists
            // `|GET| |POST|`); a case-sensitive substring test, as
            // ModSecurity does.
            Op::Within(s) => {
                let hay = arg(s);
                !v.is_empty() && memchr::memmem::find(hay.as_bytes(), v).is_some()
            }
            Op::ByteRange(r) => v.iter().any(|&b| !r.iter().any(|&(lo, hi)| (lo..=hi).contains(&b))),
            Op::ValidateUrlEncoding => invalid_url_encoding(v),
            Op::ValidateUtf8 => std::str::from_utf8(v).is_err(),
            Op::Unconditional => true,
            Op::NoMatch => false,
            Op::IpMatch(nets) => std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.trim().parse::<IpAddr>().ok())
                .is_some_and(|ip| nets.iter().any(|n| n.contains(&ip))),
            // The native detectors, at medium confidence or above (where
            // libinjection would fingerprint an injection).
            Op::DetectSqli => haetae_engine::detect::family_reports("sqli", v, haetae_model::Confidence::Medium),
            Op::DetectXss => haetae_engine::detect::family_reports("xss", v, haetae_model::Confidence::Medium),
        }
    }
}

fn invalid_url_encoding(v: &[u8]) -> bool {
    let mut i = 0;
    while let Some(p) = v[i..].iter().position(|&b| b == b'%') {
        let at = i + p;
        if !(v.get(at + 1).is_some_and(u8::is_ascii_hexdigit) && v.get(at + 2).is_some_and(u8::is_ascii_hexdigit)) {
            return true;
        }
        i = at + 3;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &str, arg: &str) -> Op {
        compile(&Operator { name: name.into(), argument: arg.into(), negated: false }, &|f| Err(format!("no file {f}"))).unwrap()
    }

    fn m(o: &Op, v: &str) -> bool {
        o.matches(v.as_bytes(), &|a| a.replace("%{tx.allowed}", "GET POST"), None)
    }

    #[test]
    fn operators_match_as_modsecurity_does() {
        assert!(m(&op("rx", r"(?i)union\s+select"), "1 UNION  select"));
        assert!(m(&op("rx", r"\x{5c}\x{2e}"), "a\\."));
        // An escaped multi-byte character (found by fuzzing).
        assert_eq!(rewrite_pattern("a\\\u{e9}b\\x{41}"), "a\\\u{e9}b\\x41");
        assert!(m(&op("pm", "union select"), "UNION"));
        assert!(m(&op("eq", "0"), "0"));
        assert!(m(&op("lt", "5"), "3"));
        assert!(!m(&op("ge", "5"), "3"));
        assert!(m(&op("within", "|GET| |POST| |HEAD|"), "POST"));
        assert!(!m(&op("within", "|GET| |POST|"), "PUT"));
        assert!(!m(&op("within", "|GET| |POST|"), "get"));
        assert!(m(&op("within", "%{tx.allowed}"), "POST"));
        assert!(m(&op("validateByteRange", "32-126"), "a\x01"));
        assert!(!m(&op("validateByteRange", "32-126"), "abc"));
        assert!(m(&op("validateUrlEncoding", ""), "%zz"));
        assert!(m(&op("ipMatch", "127.0.0.1,10.0.0.0/8"), "10.1.2.3"));
        assert!(!m(&op("ipMatch", "127.0.0.1,10.0.0.0/8"), "192.168.0.1"));
        assert!(m(&op("containsWord", "select"), "a select b"));
        assert!(!m(&op("containsWord", "select"), "selection"));
        let mut caps = Vec::new();
        assert!(op("rx", "a(b+)").matches(b"xabbb", &|a| a.to_owned(), Some(&mut caps)));
        assert_eq!(caps[1], b"bbb");
    }

    #[test]
    fn bad_arguments_are_errors() {
        let c =
            |n: &str, a: &str| compile(&Operator { name: n.into(), argument: a.into(), negated: false }, &|f| Err(format!("no file {f}")));
        assert!(c("rx", "(unclosed").unwrap_err().contains("does not compile"));
        assert!(c("ipMatch", "300.1.1.1").is_err());
        assert!(c("validateByteRange", "1-300").is_err());
        assert!(c("pmFromFile", "missing.data").unwrap_err().contains("no file"));
    }
}
