//! The string functions the constant folder can run: decoders and the
//! transforms obfuscators chain (`strrev`, `str_rot13`, `gzinflate`,
//! `chr`, `substr` …). Every output is bounded; a function not here makes
//! the expression non-constant.

use std::io::Read;

const MAX_OUT: u64 = 4 << 20;

fn num(v: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(v).ok()?.trim();
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).or_else(|| s.strip_prefix("&H")).or_else(|| s.strip_prefix("&h"))
    {
        return i64::from_str_radix(h, 16).ok();
    }
    if let Some(n) = s.strip_prefix('-') {
        return n.parse::<i64>().ok().map(|x| -x);
    }
    s.parse().ok()
}

/// `name(args…)` with constant arguments, or None.
pub fn apply(name: &str, args: &[Option<Vec<u8>>], is_chr: bool) -> Option<Vec<u8>> {
    let a0 = || args.first().cloned().flatten();
    if is_chr {
        let mut out = Vec::new();
        for a in args {
            let n = num(a.as_deref()?)?;
            if name == "chr" || name == "chrb" || n < 0x80 {
                out.push((n.rem_euclid(256)) as u8);
            } else {
                let c = char::from_u32(u32::try_from(n).ok()?)?;
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
        return Some(out);
    }
    Some(match name {
        "base64_decode" | "frombase64string" | "decodebuffer" | "parsebase64binary" | "decodebase64" | "decode" => base64(&a0()?),
        "gzinflate" => inflate(&a0()?, 0)?,
        "gzuncompress" => inflate(&a0()?, 1)?,
        "gzdecode" => inflate(&a0()?, 2)?,
        "str_rot13" => a0()?.iter().map(|&c| rot13(c)).collect(),
        "strrev" | "strreverse" => a0()?.into_iter().rev().collect(),
        "hex2bin" => hex(&a0()?)?,
        "pack" if args.first().cloned().flatten().as_deref() == Some(b"H*") => hex(args.get(1).cloned().flatten().as_deref()?)?,
        "urldecode" | "rawurldecode" | "unescape" | "decodeuricomponent" => pct(&a0()?, name == "urldecode"),
        "strtolower" | "lcase" | "tolowercase" | "tolower" => a0()?.to_ascii_lowercase(),
        "strtoupper" | "ucase" | "touppercase" | "toupper" => a0()?.to_ascii_uppercase(),
        "trim" => a0()?.trim_ascii().to_vec(),
        "strval" | "cstr" | "tostring" | "string" | "valueof" => a0()?,
        "ucfirst" => {
            let mut v = a0()?;
            if let Some(c) = v.first_mut() {
                c.make_ascii_uppercase();
            }
            v
        }
        "str_replace" | "replace" => {
            // PHP str_replace(search, replace, subject); VBScript and the
            // string methods take (subject, search, replace).
            let (s, f, r) = if name == "str_replace" { (2, 0, 1) } else { (0, 1, 2) };
            let subject = args.get(s).cloned().flatten()?;
            let find = args.get(f).cloned().flatten()?;
            let rep = args.get(r).cloned().flatten()?;
            replace(&subject, &find, &rep)
        }
        "substr" | "mid" | "substring" => {
            let s = a0()?;
            let mut start = num(args.get(1).cloned().flatten().as_deref()?)?;
            if name == "mid" {
                start -= 1;
            }
            let len = s.len() as i64;
            let st = if start < 0 { (len + start).max(0) } else { start.min(len) };
            let en = match args.get(2) {
                None => len,
                Some(l) => {
                    let l = num(l.as_deref()?)?;
                    if name == "substring" {
                        l.min(len)
                    } else if l < 0 {
                        (len + l).max(st)
                    } else {
                        (st + l).min(len)
                    }
                }
            };
            if en < st {
                return Some(Vec::new());
            }
            s[st as usize..en as usize].to_vec()
        }
        _ => return None,
    })
}

fn rot13(c: u8) -> u8 {
    match c {
        b'a'..=b'z' => (c - b'a' + 13) % 26 + b'a',
        b'A'..=b'Z' => (c - b'A' + 13) % 26 + b'A',
        _ => c,
    }
}

fn replace(s: &[u8], find: &[u8], rep: &[u8]) -> Vec<u8> {
    if find.is_empty() {
        return s.to_vec();
    }
    let mut out = Vec::with_capacity(s.len());
    let mut last = 0;
    for p in memchr::memmem::find_iter(s, find) {
        if p < last {
            continue;
        }
        out.extend_from_slice(&s[last..p]);
        out.extend_from_slice(rep);
        last = p + find.len();
    }
    out.extend_from_slice(&s[last..]);
    out
}

/// PHP's lenient base64_decode: characters outside the alphabet are
/// skipped, `-_` read as `+/`.
pub fn base64(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in s {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn hex(s: &[u8]) -> Option<Vec<u8>> {
    let s: Vec<u8> = s.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks(2)
        .map(|p| {
            let h = (p[0] as char).to_digit(16)?;
            let l = (p[1] as char).to_digit(16)?;
            Some((h * 16 + l) as u8)
        })
        .collect()
}

fn pct(s: &[u8], plus: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' if i + 2 < s.len() => {
                match (s.get(i + 1).and_then(|c| (*c as char).to_digit(16)), s.get(i + 2).and_then(|c| (*c as char).to_digit(16))) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// kind 0: raw deflate (gzinflate), 1: zlib (gzuncompress), 2: gzip.
fn inflate(data: &[u8], kind: u8) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let r = match kind {
        0 => flate2::read::DeflateDecoder::new(data).take(MAX_OUT).read_to_end(&mut out),
        1 => flate2::read::ZlibDecoder::new(data).take(MAX_OUT).read_to_end(&mut out),
        _ => flate2::read::GzDecoder::new(data).take(MAX_OUT).read_to_end(&mut out),
    };
    // A truncated stream still yields what it decoded; PHP would fail,
    // but the readable part says what the author meant.
    if r.is_err() && out.is_empty() {
        return None;
    }
    Some(out)
}

/// Whether a `preg_replace` pattern carries the `e` (evaluate) modifier.
pub fn preg_has_e(p: &[u8]) -> bool {
    let p = p.trim_ascii_start();
    let Some(&d) = p.first() else { return false };
    if d.is_ascii_alphanumeric() || d == b'\\' {
        return false;
    }
    let closer = match d {
        b'(' => b')',
        b'{' => b'}',
        b'[' => b']',
        b'<' => b'>',
        c => c,
    };
    match memchr::memrchr(closer, &p[1..]) {
        Some(e) => p[e + 2..].iter().take_while(|c| c.is_ascii_alphabetic()).any(|&c| c == b'e'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<Vec<u8>> {
        Some(v.as_bytes().to_vec())
    }

    #[test]
    fn transforms() {
        assert_eq!(apply("strrev", &[s("tressa")], false), s("assert"));
        assert_eq!(apply("str_rot13", &[s("nffreg")], false), s("assert"));
        assert_eq!(apply("base64_decode", &[s("ZXZhbA==")], false), s("eval"));
        assert_eq!(apply("chr", &[s("101"),], true), s("e"));
        assert_eq!(apply("chrw", &[s("&H41")], true), s("A"));
        assert_eq!(apply("str_replace", &[s("x"), s(""), s("axsxsxexrt")], false), s("assert"));
        assert_eq!(apply("substr", &[s("xxsystemyy"), s("2"), s("6")], false), s("system"));
        assert_eq!(apply("substr", &[s("abcdef"), s("-3"), s("-1")], false), s("de"));
        assert_eq!(apply("mid", &[s("abcdef"), s("2"), s("3")], false), s("bcd"));
        assert_eq!(apply("hex2bin", &[s("6576616c")], false), s("eval"));
        assert_eq!(apply("urldecode", &[s("a%73s+e")], false), s("ass e"));
        assert_eq!(apply("pct_unknown", &[s("x")], false), None);
        assert_eq!(apply("substr", &[s("ab"), s("9")], false), s(""));
    }

    #[test]
    fn inflate_layers() {
        use std::io::Write;
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b"eval($_POST[1]);").unwrap_or(());
        let z = e.finish().unwrap_or_default();
        assert_eq!(apply("gzinflate", &[Some(z)], false), s("eval($_POST[1]);"));
        assert_eq!(apply("gzinflate", &[s("not deflate")], false), None);
    }

    #[test]
    fn preg_e_modifier() {
        assert!(preg_has_e(b"/.*/e"));
        assert!(preg_has_e(b" #x#ie"));
        assert!(preg_has_e(b"{a}e"));
        assert!(!preg_has_e(b"/e/i"));
        assert!(!preg_has_e(b"abc"));
    }
}
