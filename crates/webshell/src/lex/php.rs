//! PHP as the Zend lexer reads it: code only between `<?php`/`<?=`/`<?`
//! and `?>`, `#`, `//` and `/* */` comments, `'…'`, `"…"`, heredoc and
//! nowdoc strings, backtick commands, `$variables` whose names may be any
//! byte ≥ 0x80 (Hangul, or the raw bytes obfuscators use).

use crate::token::{Kind, Quote, Tokens, is_name_byte};

const OPS3: &[&[u8]] = &[b"===", b"!==", b"**=", b"...", b"<=>", b"??=", b"?->", b"<<=", b">>="];
const OPS2: &[&[u8]] = &[
    b"->", b"::", b"=>", b"==", b"!=", b"<>", b".=", b"+=", b"-=", b"*=", b"/=", b"%=", b"&=", b"|=", b"^=", b"<=", b">=", b"&&", b"||",
    b"??", b"++", b"--", b"<<", b">>", b"**",
];

/// Tokens of a PHP file; `code` starts inside PHP (the text `eval` runs).
pub fn lex(src: &[u8], code: bool) -> Tokens<'_> {
    let mut t = Tokens::new(src);
    let mut l = Lexer { s: src, i: 0, line: 1 };
    if !code {
        l.skip_html();
    }
    while l.i < src.len() {
        l.step(&mut t);
    }
    t
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
    line: u32,
}

impl Lexer<'_> {
    fn at(&self, k: usize) -> u8 {
        self.s.get(self.i + k).copied().unwrap_or(0)
    }

    fn count_lines(&mut self, from: usize, to: usize) {
        self.line += memchr::memchr_iter(b'\n', &self.s[from..to.min(self.s.len())]).count() as u32;
    }

    /// Move past inline HTML to just after the next open tag.
    fn skip_html(&mut self) {
        let start = self.i;
        let mut p = self.i;
        loop {
            match memchr::memmem::find(&self.s[p..], b"<?") {
                None => {
                    self.count_lines(start, self.s.len());
                    self.i = self.s.len();
                    return;
                }
                Some(off) => {
                    let at = p + off;
                    let rest = &self.s[at + 2..];
                    let open = if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"php") {
                        Some(at + 5)
                    } else if rest.first() == Some(&b'=') {
                        Some(at + 3)
                    } else if !(rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"xml")) {
                        // Short tags (`<?eval(…)`): on by default in PHP 5,
                        // still honoured where short_open_tag is set, and
                        // shells rely on them.
                        Some(at + 2)
                    } else {
                        None
                    };
                    match open {
                        Some(o) => {
                            self.count_lines(start, o);
                            self.i = o;
                            return;
                        }
                        None => p = at + 2,
                    }
                }
            }
        }
    }

    fn step(&mut self, t: &mut Tokens) {
        let c = self.at(0);
        let start = self.i;
        match c {
            b'\n' => {
                self.line += 1;
                self.i += 1;
            }
            b' ' | b'\t' | b'\r' | 0x0b | 0x0c => self.i += 1,
            b'?' if self.at(1) == b'>' => {
                t.push(Kind::End, start, start + 2, self.line);
                self.i += 2;
                self.skip_html();
            }
            b'#' if self.at(1) != b'[' => self.line_comment(),
            b'/' if self.at(1) == b'/' => self.line_comment(),
            b'#' => self.line_comment(),
            b'/' if self.at(1) == b'*' => {
                let end = memchr::memmem::find(&self.s[self.i + 2..], b"*/").map_or(self.s.len(), |p| self.i + 2 + p + 2);
                self.count_lines(self.i, end);
                self.i = end;
            }
            b'$' if is_name_byte(self.at(1)) && !self.at(1).is_ascii_digit() => {
                self.i += 1;
                let s = self.i;
                self.name();
                t.push(Kind::Var, s, self.i, self.line);
            }
            b'\'' => self.quoted(t, b'\'', Kind::Str, Quote::PhpSingle),
            b'"' => self.quoted(t, b'"', Kind::Str, Quote::PhpDouble),
            b'`' => self.quoted(t, b'`', Kind::Exec, Quote::PhpDouble),
            b'<' if self.s[self.i..].starts_with(b"<<<") => self.heredoc(t),
            b'0'..=b'9' => {
                while self.i < self.s.len() && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_') {
                    self.i += 1;
                }
                if self.at(0) == b'.' && self.at(1).is_ascii_digit() {
                    self.i += 1;
                    while self.i < self.s.len() && self.s[self.i].is_ascii_alphanumeric() {
                        self.i += 1;
                    }
                }
                t.push(Kind::Num, start, self.i, self.line);
            }
            b';' => {
                t.push(Kind::End, start, start + 1, self.line);
                self.i += 1;
            }
            _ if is_name_byte(c) || c == b'\\' && is_name_byte(self.at(1)) => {
                while self.i < self.s.len() && (is_name_byte(self.s[self.i]) || self.s[self.i] == b'\\') {
                    self.i += 1;
                }
                t.push(Kind::Ident, start, self.i, self.line);
            }
            _ => {
                let rest = &self.s[self.i..];
                let len = if OPS3.iter().any(|o| rest.starts_with(o)) {
                    3
                } else if OPS2.iter().any(|o| rest.starts_with(o)) {
                    2
                } else {
                    1
                };
                t.push(Kind::Op, start, start + len, self.line);
                self.i += len;
            }
        }
    }

    fn name(&mut self) {
        while self.i < self.s.len() && is_name_byte(self.s[self.i]) {
            self.i += 1;
        }
    }

    /// `//` and `#` comments end at a line end or at `?>`.
    fn line_comment(&mut self) {
        while self.i < self.s.len() {
            match self.s[self.i] {
                b'\n' => return,
                b'?' if self.at(1) == b'>' => return,
                _ => self.i += 1,
            }
        }
    }

    fn quoted(&mut self, t: &mut Tokens, q: u8, kind: Kind, quote: Quote) {
        let line = self.line;
        let s = self.i + 1;
        let mut p = s;
        while p < self.s.len() && self.s[p] != q {
            if self.s[p] == b'\\' {
                p += 1;
            }
            p += 1;
        }
        let e = p.min(self.s.len());
        self.count_lines(s, e);
        t.push_str(kind, quote, s, e, line);
        self.i = (e + 1).min(self.s.len());
    }

    fn heredoc(&mut self, t: &mut Tokens) {
        let line = self.line;
        let mut p = self.i + 3;
        while matches!(self.s.get(p), Some(b' ' | b'\t')) {
            p += 1;
        }
        let (quote, q) = match self.s.get(p) {
            Some(b'\'') => (Quote::PhpSingle, 1),
            Some(b'"') => (Quote::PhpDouble, 1),
            _ => (Quote::PhpDouble, 0),
        };
        p += q;
        let id_start = p;
        while p < self.s.len() && is_name_byte(self.s[p]) {
            p += 1;
        }
        let id = &self.s[id_start..p];
        if id.is_empty() {
            t.push(Kind::Op, self.i, self.i + 2, self.line);
            self.i += 2;
            return;
        }
        p = (p + q).min(self.s.len());
        let body = match memchr::memchr(b'\n', &self.s[p..]) {
            Some(n) => p + n + 1,
            None => self.s.len(),
        };
        // The closing identifier: first on its line (after indentation)
        // and not followed by a name byte.
        let mut q_at = body;
        let end = loop {
            if q_at >= self.s.len() {
                break (self.s.len(), self.s.len());
            }
            let line_end = memchr::memchr(b'\n', &self.s[q_at..]).map_or(self.s.len(), |n| q_at + n);
            let mut k = q_at;
            while k < line_end && matches!(self.s[k], b' ' | b'\t') {
                k += 1;
            }
            if self.s[k..].starts_with(id) && !self.s.get(k + id.len()).is_some_and(|&b| is_name_byte(b)) {
                break (q_at.saturating_sub(1).max(body), k + id.len());
            }
            q_at = line_end + 1;
        };
        t.push_str(Kind::Str, quote, body, end.0, line);
        self.count_lines(self.i, end.1);
        self.i = end.1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &[u8]) -> Vec<(Kind, String)> {
        let t = lex(src, false);
        (0..t.len()).map(|i| (t.toks[i].kind, String::from_utf8_lossy(t.raw(i)).into_owned())).collect()
    }

    #[test]
    fn code_only_inside_tags() {
        let k = kinds(b"<b>eval(</b><?php eval($x); ?>system(<?= $y ?>");
        let names: Vec<&str> = k.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(names, ["eval", "(", "x", ")", ";", "?>", "y", "?>"]);
    }

    #[test]
    fn comments_strings_heredoc() {
        let src = b"<?php // system(\n# exec(\n/* passthru( */ $a = 'x\\'y' . \"z\" . <<<EOT\n  body $b\n  EOT;\n`ls`;";
        let k = kinds(src);
        assert!(!k.iter().any(|(_, s)| s == "system" || s == "exec" || s == "passthru"));
        assert!(k.contains(&(Kind::Str, "x\\'y".into())));
        assert!(k.contains(&(Kind::Str, "  body $b".into())), "{k:?}");
        assert!(k.contains(&(Kind::Exec, "ls".into())));
        let t = lex(src, false);
        let last = t.len() - 1;
        assert_eq!(t.line(last), 6);
    }

    #[test]
    fn hangul_and_high_bytes_are_names() {
        let k = kinds("<?php $변수 = 1; ${'a'}; $\u{00ff}x();".as_bytes());
        assert!(k.contains(&(Kind::Var, "변수".into())));
        assert!(k.contains(&(Kind::Var, "\u{00ff}x".into())));
    }

    #[test]
    fn unterminated_input_ends() {
        for src in [&b"<?php 'abc"[..], b"<?php <<<A\nxx", b"<?php /* x", b"<?php \"\\", b"<?php <<<", b"<?", b"<?php <<<'EOT"] {
            let _ = lex(src, false);
        }
    }
}
