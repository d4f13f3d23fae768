//! VBScript (classic ASP) and VB.NET: names without case, `'` and `Rem`
//! comments, `"…"` strings with doubled quotes, a statement per line (or
//! per `:`), ` _` continues a line, `&` joins strings, `&H41` is a number.

use crate::token::{Kind, Quote, Tokens, is_name_byte};

pub fn lex_region(t: &mut Tokens, from: usize, to: usize, line: &mut u32) {
    let s = t.src;
    let mut i = from;
    while i < to {
        let c = s[i];
        let start = i;
        match c {
            b'\n' => {
                t.push(Kind::End, i, i, *line);
                *line += 1;
                i += 1;
            }
            // Only blanks may follow ` _` on its line (checked up to the first
            // other byte, so long lines of `_` stay linear).
            b'_' if i > from
                && s[i - 1].is_ascii_whitespace()
                && s[i + 1..to].iter().find(|&&b| !matches!(b, b' ' | b'\t' | b'\r')).is_none_or(|&b| b == b'\n') =>
            {
                // Line continuation: skip to the next line without ending it.
                while i < to && s[i] != b'\n' {
                    i += 1;
                }
                if i < to {
                    *line += 1;
                    i += 1;
                }
            }
            _ if c.is_ascii_whitespace() => i += 1,
            b'\'' => {
                while i < to && s[i] != b'\n' {
                    i += 1;
                }
            }
            b':' => {
                t.push(Kind::End, i, i + 1, *line);
                i += 1;
            }
            b'"' => {
                let b = i + 1;
                let mut p = b;
                while p < to && s[p] != b'\n' {
                    if s[p] == b'"' {
                        if s.get(p + 1) == Some(&b'"') {
                            p += 2;
                            continue;
                        }
                        break;
                    }
                    p += 1;
                }
                let e = p.min(to);
                t.push_str(Kind::Str, Quote::Doubled, b, e, *line);
                i = (e + 1).min(to);
            }
            b'&' if matches!(s.get(i + 1), Some(b'h' | b'H')) && s.get(i + 2).is_some_and(|b| b.is_ascii_hexdigit()) => {
                i += 2;
                while i < to && s[i].is_ascii_hexdigit() {
                    i += 1;
                }
                t.push(Kind::Num, start, i, *line);
            }
            b'0'..=b'9' => {
                while i < to && (s[i].is_ascii_alphanumeric() || s[i] == b'.') {
                    i += 1;
                }
                t.push(Kind::Num, start, i, *line);
            }
            _ if is_name_byte(c) => {
                while i < to && is_name_byte(s[i]) {
                    i += 1;
                }
                if s[start..i].eq_ignore_ascii_case(b"rem") && s.get(i).is_none_or(|b| b.is_ascii_whitespace()) {
                    while i < to && s[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                // `Chr(`, `Request.Form(`: a trailing `$` (`Chr$`) is part of the name.
                if s.get(i) == Some(&b'$') {
                    i += 1;
                }
                t.push(Kind::Ident, start, i, *line);
            }
            _ => {
                let len = if matches!(&s[i..to.min(i + 2)], b"<>" | b"<=" | b">=" | b"&=" | b"+=") { 2 } else { 1 };
                t.push(Kind::Op, start, start + len, *line);
                i += len;
            }
        }
    }
    let end = to.min(s.len());
    t.push(Kind::End, end, end, *line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_and_comments() {
        let src = b"Set o = CreateObject(\"WScript.Shell\") ' Execute(\nRem eval(x)\nx = \"a\"\"b\" & _\n  Chr(&H41) : Execute x";
        let mut t = Tokens::new(src);
        let mut line = 1;
        lex_region(&mut t, 0, src.len(), &mut line);
        let raw: Vec<String> = (0..t.len()).map(|i| String::from_utf8_lossy(t.raw(i)).into_owned()).collect();
        assert_eq!(raw.iter().filter(|s| s.eq_ignore_ascii_case("execute")).count(), 1, "{raw:?}");
        assert!(!raw.iter().any(|s| s == "eval"));
        assert!(raw.contains(&"&H41".to_string()));
        // `& _` continues: no statement end between "a""b" and Chr.
        let a = raw.iter().position(|s| s == "a\"\"b").unwrap_or(0);
        assert_eq!(raw[a + 1], "&");
        assert_eq!(raw[a + 2], "Chr");
    }
}
