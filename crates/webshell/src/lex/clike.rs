//! Java (JSP), C# (ASP.NET) and JScript: `//` and `/* */` comments,
//! `"…"`/`'…'` with backslash escapes, C# `@"…"` verbatim strings, names,
//! numbers, operators. Java's `\uXXXX` escapes apply before lexing (the
//! compiler reads them anywhere, shells use them to spell `Runtime`); the
//! caller undoes them with [`java_unicode`].

use std::borrow::Cow;

use crate::token::{Kind, Quote, Tokens, is_name_byte};

const OPS2: &[&[u8]] = &[
    b"==", b"!=", b"+=", b"-=", b"*=", b"/=", b"&=", b"|=", b"^=", b"<=", b">=", b"&&", b"||", b"->", b"=>", b"::", b"++", b"--", b"??",
    b"<<", b">>",
];

/// Lex `src[from..to]` (one code region) onto `t`; the region ends with
/// a statement end.
pub fn lex_region(t: &mut Tokens, from: usize, to: usize, line: &mut u32) {
    let s = t.src;
    let mut i = from;
    while i < to {
        let c = s[i];
        let start = i;
        match c {
            b'\n' => {
                *line += 1;
                i += 1;
            }
            _ if c.is_ascii_whitespace() => i += 1,
            0xc2..=0xef if unicode_blank(&s[i..to]) > 0 => i += unicode_blank(&s[i..to]),
            b'/' if s.get(i + 1) == Some(&b'/') => {
                while i < to && s[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if s.get(i + 1) == Some(&b'*') => {
                let end = memchr::memmem::find(&s[i + 2..to], b"*/").map_or(to, |p| i + 2 + p + 2);
                *line += memchr::memchr_iter(b'\n', &s[i..end]).count() as u32;
                i = end;
            }
            b'@' if s.get(i + 1) == Some(&b'"') => {
                let b = i + 2;
                let mut p = b;
                while p < to {
                    if s[p] == b'"' {
                        if s.get(p + 1) == Some(&b'"') {
                            p += 2;
                            continue;
                        }
                        break;
                    }
                    p += 1;
                }
                t.push_str(Kind::Str, Quote::Doubled, b, p.min(to), *line);
                *line += memchr::memchr_iter(b'\n', &s[b..p.min(to)]).count() as u32;
                i = (p + 1).min(to);
            }
            b'"' | b'\'' => {
                let b = i + 1;
                let mut p = b;
                while p < to && s[p] != c && s[p] != b'\n' {
                    if s[p] == b'\\' {
                        p += 1;
                    }
                    p += 1;
                }
                let e = p.min(to);
                t.push_str(Kind::Str, Quote::CLike, b, e, *line);
                i = (e + 1).min(to);
            }
            b'0'..=b'9' => {
                while i < to && (s[i].is_ascii_alphanumeric() || s[i] == b'_' || s[i] == b'.') {
                    i += 1;
                }
                t.push(Kind::Num, start, i, *line);
            }
            b';' => {
                t.push(Kind::End, i, i + 1, *line);
                i += 1;
            }
            _ if is_name_byte(c) || c == b'$' || c == b'@' && s.get(i + 1).is_some_and(|&b| is_name_byte(b)) => {
                if c == b'@' {
                    i += 1;
                }
                let b = i;
                while i < to && (is_name_byte(s[i]) || s[i] == b'$') && (s[i] < 0xc2 || unicode_blank(&s[i..to]) == 0) {
                    i += 1;
                }
                t.push(Kind::Ident, b, i, *line);
            }
            _ => {
                let len = if OPS2.iter().any(|o| s[i..to].starts_with(o)) { 2 } else { 1 };
                t.push(Kind::Op, start, start + len, *line);
                i += len;
            }
        }
    }
    let end = to.min(s.len());
    t.push(Kind::End, end, end, *line);
}

/// Length of a Unicode blank (category Zs, line/paragraph separators, the
/// byte-order mark) at the start of `s`: Java, C# and JavaScript read
/// these as whitespace, and shells indent with them to split names for
/// byte-matching scanners.
fn unicode_blank(s: &[u8]) -> usize {
    match s {
        [0xc2, 0xa0, ..] => 2,
        [0xe1, 0x9a, 0x80, ..] => 3,
        [0xe2, 0x80, 0x80..=0x8a | 0xa8 | 0xa9 | 0xaf, ..] => 3,
        [0xe2, 0x81, 0x9f, ..] | [0xe3, 0x80, 0x80, ..] | [0xef, 0xbb, 0xbf, ..] => 3,
        _ => 0,
    }
}

/// Java's `\uXXXX` (and `\uuuuXXXX`) escapes, undone over the whole file.
pub fn java_unicode(src: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memmem::find(src, b"\\u").is_none() {
        return Cow::Borrowed(src);
    }
    let mut out = Vec::with_capacity(src.len());
    let mut i = 0;
    while i < src.len() {
        if src[i] == b'\\' && src.get(i + 1) == Some(&b'u') {
            let mut j = i + 1;
            while src.get(j) == Some(&b'u') {
                j += 1;
            }
            let hex = src.get(j..j + 4).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u32::from_str_radix(h, 16).ok());
            if let Some(c) = hex.and_then(char::from_u32) {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i = j + 4;
                continue;
            }
        }
        out.push(src[i]);
        i += 1;
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_comments_names() {
        let src = br#"String c = request.getParameter("c"); // exec(
/* Runtime */ Runtime.getRuntime().exec(c); s = @"a""b";"#;
        let mut t = Tokens::new(src);
        let mut line = 1;
        lex_region(&mut t, 0, src.len(), &mut line);
        let raw: Vec<String> = (0..t.len()).map(|i| String::from_utf8_lossy(t.raw(i)).into_owned()).collect();
        assert_eq!(raw.iter().filter(|s| *s == "exec").count(), 1);
        assert_eq!(raw.iter().filter(|s| *s == "Runtime").count(), 1);
        assert!(raw.contains(&"a\"\"b".to_string()));
        assert_eq!(line, 2);
    }

    #[test]
    fn unicode_blanks_separate_names() {
        let src = "\u{2003}Process.Start(x);\u{3000}exec\u{a0}(y);".as_bytes();
        let mut t = Tokens::new(src);
        let mut line = 1;
        lex_region(&mut t, 0, src.len(), &mut line);
        let raw: Vec<String> = (0..t.len()).map(|i| String::from_utf8_lossy(t.raw(i)).into_owned()).collect();
        assert_eq!(raw[0], "Process");
        assert!(raw.contains(&"exec".to_string()), "{raw:?}");
    }

    #[test]
    fn unicode_escapes() {
        assert_eq!(&*java_unicode(br"\u0052untime \uuu0065x \u00zz"), br"Runtime ex \u00zz");
    }
}
