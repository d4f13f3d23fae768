//! The token stream every language's lexer produces, so one analysis reads
//! PHP, Java, C# and VBScript alike. Tokens are spans into the source; a
//! string is decoded only when the analysis asks for its value.

use std::borrow::Cow;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// A name: function, class, keyword, or (outside PHP) a variable.
    Ident,
    /// A PHP variable (`$name`; the span excludes the `$`).
    Var,
    /// A string literal (the span is its raw content, without quotes).
    Str,
    Num,
    /// Punctuation or an operator (`(`, `.`, `->`, `=`, `.=` …).
    Op,
    /// A PHP backtick string: a shell command.
    Exec,
    /// The end of a statement (`;`, `?>`, a VBScript line end).
    End,
}

/// How a string literal's raw content is decoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Quote {
    None,
    /// PHP `'…'` and nowdoc: only `\\` and `\'`.
    PhpSingle,
    /// PHP `"…"`, heredoc and backticks: C-like escapes, interpolation.
    PhpDouble,
    /// Java, C#, JavaScript `"…"`/`'…'`: C-like escapes.
    CLike,
    /// C# `@"…"` and VBScript `"…"`: a doubled quote is a quote.
    Doubled,
}

#[derive(Clone, Copy, Debug)]
pub struct Tok {
    pub kind: Kind,
    pub quote: Quote,
    pub start: u32,
    pub end: u32,
    pub line: u32,
}

pub struct Tokens<'a> {
    pub src: &'a [u8],
    pub toks: Vec<Tok>,
    /// Names compare without case (PHP functions, VBScript, C# and Java
    /// vocabulary are all matched lowercased).
    pub fold_case: bool,
}

impl<'a> Tokens<'a> {
    pub fn new(src: &'a [u8]) -> Self {
        Tokens { src, toks: Vec::with_capacity(src.len() / 6), fold_case: true }
    }

    pub fn push(&mut self, kind: Kind, start: usize, end: usize, line: u32) {
        self.toks.push(Tok { kind, quote: Quote::None, start: start as u32, end: end as u32, line });
    }

    pub fn push_str(&mut self, kind: Kind, quote: Quote, start: usize, end: usize, line: u32) {
        self.toks.push(Tok { kind, quote, start: start as u32, end: end as u32, line });
    }

    pub fn len(&self) -> usize {
        self.toks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.toks.is_empty()
    }

    pub fn raw(&self, i: usize) -> &'a [u8] {
        let t = &self.toks[i];
        &self.src[t.start as usize..t.end as usize]
    }

    pub fn kind(&self, i: usize) -> Option<Kind> {
        self.toks.get(i).map(|t| t.kind)
    }

    /// True when token `i` is the operator `op`.
    pub fn is_op(&self, i: usize, op: &str) -> bool {
        // Length first: this runs for nearly every token, and most
        // comparisons end there without a memcmp.
        match self.toks.get(i) {
            Some(t) if t.kind == Kind::Op && (t.end - t.start) as usize == op.len() => {
                let r = &self.src[t.start as usize..t.end as usize];
                r[0] == op.as_bytes()[0] && r == op.as_bytes()
            }
            _ => false,
        }
    }

    /// True when token `i` is a name equal to `word` (lowercase).
    pub fn is_word(&self, i: usize, word: &str) -> bool {
        match self.toks.get(i) {
            Some(t) if t.kind == Kind::Ident && (t.end - t.start) as usize >= word.len() => {
                let raw = &self.src[t.start as usize..t.end as usize];
                let last = match memchr::memrchr(b'\\', raw) {
                    Some(p) => &raw[p + 1..],
                    None => raw,
                };
                last.eq_ignore_ascii_case(word.as_bytes())
            }
            _ => false,
        }
    }

    /// A name lowercased, without a PHP namespace prefix (`\system` is
    /// the global `system`).
    pub fn name(&self, i: usize) -> String {
        let raw = self.raw(i);
        let last = match memchr::memrchr(b'\\', raw) {
            Some(p) => &raw[p + 1..],
            None => raw,
        };
        let s = String::from_utf8_lossy(last);
        if self.fold_case { s.to_ascii_lowercase() } else { s.into_owned() }
    }

    /// The value of string token `i` with its escapes undone.
    pub fn str_value(&self, i: usize) -> Cow<'a, [u8]> {
        let t = self.toks[i];
        unescape(self.raw(i), t.quote)
    }

    pub fn line(&self, i: usize) -> u32 {
        self.toks.get(i).or(self.toks.last()).map_or(1, |t| t.line)
    }
}

pub fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Undo a literal's escapes the way its language reads them.
pub fn unescape(raw: &[u8], quote: Quote) -> Cow<'_, [u8]> {
    let needle = match quote {
        Quote::None => return Cow::Borrowed(raw),
        Quote::Doubled => b'"',
        _ => b'\\',
    };
    if memchr::memchr(needle, raw).is_none() {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if quote == Quote::Doubled {
            out.push(b);
            i += if b == b'"' && raw.get(i + 1) == Some(&b'"') { 2 } else { 1 };
            continue;
        }
        if b != b'\\' || i + 1 >= raw.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let n = raw[i + 1];
        if quote == Quote::PhpSingle {
            if n == b'\\' || n == b'\'' {
                out.push(n);
                i += 2;
            } else {
                out.push(b);
                i += 1;
            }
            continue;
        }
        i += 2;
        match n {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'v' => out.push(0x0b),
            b'f' => out.push(0x0c),
            b'e' if quote == Quote::PhpDouble => out.push(0x1b),
            b'0'..=b'7' => {
                let mut v: u32 = (n - b'0') as u32;
                let mut k = 0;
                while k < 2 && i < raw.len() && (b'0'..=b'7').contains(&raw[i]) {
                    v = v * 8 + (raw[i] - b'0') as u32;
                    i += 1;
                    k += 1;
                }
                out.push(v as u8);
            }
            b'x' => {
                let mut v = 0u8;
                let mut k = 0;
                while k < 2 && i < raw.len() {
                    match hex_val(raw[i]) {
                        Some(d) => v = v.wrapping_mul(16).wrapping_add(d),
                        None => break,
                    }
                    i += 1;
                    k += 1;
                }
                if k == 0 {
                    out.extend_from_slice(b"\\x");
                } else {
                    out.push(v);
                }
            }
            b'u' => {
                // PHP `\u{41}`, Java/C#/JS `\u0041`.
                let (digits, skip_close) = if raw.get(i) == Some(&b'{') {
                    let end = raw[i..].iter().position(|&c| c == b'}').map(|p| i + p);
                    match end {
                        Some(e) => (&raw[i + 1..e], true),
                        None => (&raw[i..i], false),
                    }
                } else {
                    (&raw[i..(i + 4).min(raw.len())], false)
                };
                let cp = std::str::from_utf8(digits).ok().and_then(|d| u32::from_str_radix(d, 16).ok()).and_then(char::from_u32);
                match cp {
                    Some(c) if !digits.is_empty() => {
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        i += digits.len() + if skip_close { 2 } else { 0 };
                    }
                    _ => out.extend_from_slice(b"\\u"),
                }
            }
            b'\\' | b'"' | b'\'' | b'$' | b'`' | b'/' => out.push(n),
            _ => {
                out.push(b'\\');
                out.push(n);
            }
        }
    }
    Cow::Owned(out)
}

/// For every `(`, `[` and `{`, the index of its closing token (or the end
/// of the stream when it is never closed); computed once with a stack so
/// 100,000 nested parentheses cost no recursion.
pub fn match_brackets(t: &Tokens) -> Vec<u32> {
    let n = t.len();
    let mut close = vec![n as u32; n];
    let mut stack: Vec<(usize, u8)> = Vec::new();
    for i in 0..n {
        if t.toks[i].kind != Kind::Op {
            continue;
        }
        let r = t.raw(i);
        if r.len() != 1 {
            continue;
        }
        match r[0] {
            b'(' | b'[' | b'{' => stack.push((i, r[0])),
            c @ (b')' | b']' | b'}') => {
                let want = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                // A stray closer pops until its opener: unbalanced input
                // (code in HTML attributes, broken files) stays bounded.
                if let Some(pos) = stack.iter().rposition(|&(_, o)| o == want) {
                    while stack.len() > pos + 1 {
                        stack.pop();
                    }
                    if let Some((o, _)) = stack.pop() {
                        close[o] = i as u32;
                    }
                }
            }
            _ => {}
        }
    }
    close
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_decode_per_language() {
        assert_eq!(&*unescape(br"\x61\163s\u{65}rt", Quote::PhpDouble), b"assert");
        assert_eq!(&*unescape(br"a\'b\n", Quote::PhpSingle), br"a'b\n");
        assert_eq!(&*unescape(br"\u0065x", Quote::CLike), b"ex");
        assert_eq!(&*unescape(br#"a""b"#, Quote::Doubled), b"a\"b");
        assert_eq!(&*unescape(br"\x", Quote::PhpDouble), br"\x");
        assert_eq!(&*unescape(br"\u{zz}", Quote::PhpDouble), br"\u{zz}");
    }
}
