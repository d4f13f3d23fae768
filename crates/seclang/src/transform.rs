//! SecLang transformations (`t:…`), with ModSecurity's semantics: each
//! takes the bytes a variable holds and returns new bytes. Pure and
//! linear in the input.

use std::borrow::Cow;

/// One transformation, resolved from its name when a rule is compiled so
/// the hot path dispatches on an enum, not on strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transform {
    Lowercase,
    Uppercase,
    UrlDecode,
    UrlDecodeUni,
    UrlEncode,
    JsDecode,
    HtmlEntityDecode,
    CssDecode,
    CmdLine,
    CompressWhitespace,
    RemoveWhitespace,
    RemoveNulls,
    ReplaceNulls,
    RemoveComments,
    ReplaceComments,
    RemoveCommentsChar,
    NormalizePath,
    NormalizePathWin,
    EscapeSeqDecode,
    Utf8ToUnicode,
    Length,
    Base64Decode,
    Base64DecodeExt,
    Base64Encode,
    Sha1,
    Md5,
    HexEncode,
    HexDecode,
    Trim,
    TrimLeft,
    TrimRight,
    SqlHexDecode,
    ParityEven7bit,
    ParityOdd7bit,
    ParityZero7bit,
}

impl Transform {
    /// The transformation named `name` (as spelled in
    /// [`crate::vocab::TRANSFORMATIONS`], any case); `None` for `none`
    /// and unknown names.
    pub fn from_name(name: &str) -> Option<Transform> {
        use Transform::*;
        let canonical = crate::vocab::lookup(crate::vocab::TRANSFORMATIONS, name)?;
        Some(match canonical {
            "lowercase" => Lowercase,
            "uppercase" => Uppercase,
            "urlDecode" => UrlDecode,
            "urlDecodeUni" => UrlDecodeUni,
            "urlEncode" => UrlEncode,
            "jsDecode" => JsDecode,
            "htmlEntityDecode" => HtmlEntityDecode,
            "cssDecode" => CssDecode,
            "cmdLine" => CmdLine,
            "compressWhitespace" => CompressWhitespace,
            "removeWhitespace" => RemoveWhitespace,
            "removeNulls" => RemoveNulls,
            "replaceNulls" => ReplaceNulls,
            "removeComments" => RemoveComments,
            "replaceComments" => ReplaceComments,
            "removeCommentsChar" => RemoveCommentsChar,
            "normalizePath" | "normalisePath" => NormalizePath,
            "normalizePathWin" | "normalisePathWin" => NormalizePathWin,
            "escapeSeqDecode" => EscapeSeqDecode,
            "utf8toUnicode" => Utf8ToUnicode,
            "length" => Length,
            "base64Decode" => Base64Decode,
            "base64DecodeExt" => Base64DecodeExt,
            "base64Encode" => Base64Encode,
            "sha1" => Sha1,
            "md5" => Md5,
            "hexEncode" => HexEncode,
            "hexDecode" => HexDecode,
            "trim" => Trim,
            "trimLeft" => TrimLeft,
            "trimRight" => TrimRight,
            "sqlHexDecode" => SqlHexDecode,
            "parityEven7bit" => ParityEven7bit,
            "parityOdd7bit" => ParityOdd7bit,
            "parityZero7bit" => ParityZero7bit,
            _ => return None,
        })
    }

    /// Whether the transformation would return `v` unchanged — checked
    /// first so the common case (a value with nothing to decode) costs a
    /// scan, not a copy. Conservative: `false` means "maybe changes".
    fn leaves(self, v: &[u8]) -> bool {
        use Transform::*;
        let has = |set: &[u8]| v.iter().any(|b| set.contains(b));
        match self {
            Lowercase => !v.iter().any(u8::is_ascii_uppercase),
            Uppercase => !v.iter().any(u8::is_ascii_lowercase),
            UrlDecode | UrlDecodeUni => !has(b"%+"),
            JsDecode | EscapeSeqDecode | CssDecode => memchr::memchr(b'\\', v).is_none(),
            HtmlEntityDecode => memchr::memchr(b'&', v).is_none(),
            CmdLine => cmd_line_leaves(v),
            CompressWhitespace => !v.windows(2).any(|w| is_space(w[0]) && is_space(w[1])) && !v.iter().any(|&b| is_space(b) && b != b' '),
            RemoveWhitespace => !v.iter().any(|&b| is_space(b)),
            RemoveNulls | ReplaceNulls => memchr::memchr(0, v).is_none(),
            RemoveComments | ReplaceComments | RemoveCommentsChar => !has(b"/*-#<"),
            NormalizePath => path_is_normal(v),
            NormalizePathWin => memchr::memchr(b'\\', v).is_none() && path_is_normal(v),
            Utf8ToUnicode => v.is_ascii(),
            Trim => v.first().is_none_or(|&b| !is_space(b)) && v.last().is_none_or(|&b| !is_space(b)),
            ParityZero7bit => v.is_ascii(),
            _ => false,
        }
    }

    pub fn apply(self, v: &[u8]) -> Cow<'_, [u8]> {
        if self.leaves(v) { Cow::Borrowed(v) } else { self.compute(v) }
    }

    fn compute(self, v: &[u8]) -> Cow<'_, [u8]> {
        use Transform::*;
        match self {
            Lowercase => Cow::Owned(v.to_ascii_lowercase()),
            Uppercase => Cow::Owned(v.to_ascii_uppercase()),
            UrlDecode => Cow::Owned(url_decode(v, false)),
            UrlDecodeUni => Cow::Owned(url_decode(v, true)),
            UrlEncode => Cow::Owned(url_encode(v)),
            JsDecode => Cow::Owned(backslash_decode(v, true)),
            HtmlEntityDecode => Cow::Owned(html_entity_decode(v)),
            CssDecode => Cow::Owned(css_decode(v)),
            CmdLine => Cow::Owned(cmd_line(v)),
            CompressWhitespace => Cow::Owned(compress_whitespace(v)),
            RemoveWhitespace => Cow::Owned(v.iter().copied().filter(|&b| !is_space(b)).collect()),
            RemoveNulls => Cow::Owned(v.iter().copied().filter(|&b| b != 0).collect()),
            ReplaceNulls => Cow::Owned(v.iter().map(|&b| if b == 0 { b' ' } else { b }).collect()),
            RemoveComments => Cow::Owned(comments(v, false)),
            ReplaceComments => Cow::Owned(comments(v, true)),
            RemoveCommentsChar => Cow::Owned(remove_comment_chars(v)),
            NormalizePath => Cow::Owned(normalize_path(v, false)),
            NormalizePathWin => Cow::Owned(normalize_path(v, true)),
            EscapeSeqDecode => Cow::Owned(backslash_decode(v, false)),
            Utf8ToUnicode => Cow::Owned(utf8_to_unicode(v)),
            Length => Cow::Owned(v.len().to_string().into_bytes()),
            Base64Decode => Cow::Owned(base64_decode(v, false)),
            Base64DecodeExt => Cow::Owned(base64_decode(v, true)),
            Base64Encode => Cow::Owned(base64_encode(v)),
            Sha1 => {
                use sha1::Digest;
                Cow::Owned(sha1::Sha1::digest(v).to_vec())
            }
            Md5 => {
                use md5::Digest;
                Cow::Owned(md5::Md5::digest(v).to_vec())
            }
            HexEncode => Cow::Owned(v.iter().flat_map(|b| format!("{b:02x}").into_bytes()).collect()),
            HexDecode => Cow::Owned(hex_decode(v)),
            Trim => Cow::Borrowed(trim_end(trim_start(v))),
            TrimLeft => Cow::Borrowed(trim_start(v)),
            TrimRight => Cow::Borrowed(trim_end(v)),
            SqlHexDecode => Cow::Owned(sql_hex_decode(v)),
            ParityEven7bit => Cow::Owned(v.iter().map(|&b| parity(b, true)).collect()),
            ParityOdd7bit => Cow::Owned(v.iter().map(|&b| parity(b, false)).collect()),
            ParityZero7bit => Cow::Owned(v.iter().map(|&b| b & 0x7f).collect()),
        }
    }
}

/// cmdLine would change nothing: no upper case, nothing it deletes or
/// turns into a blank, and only single inner blanks not before `/` `(`.
fn cmd_line_leaves(v: &[u8]) -> bool {
    let last = v.len().saturating_sub(1);
    v.iter().enumerate().all(|(i, &b)| match b {
        b'\\' | b'"' | b'\'' | b'^' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | b',' | b';' => false,
        b' ' => i != 0 && i != last && !matches!(v.get(i + 1), Some(b' ' | b'/' | b'(')),
        _ => !b.is_ascii_uppercase(),
    })
}

/// No `.` or `..` segment and no empty inner segment (`//`).
fn path_is_normal(v: &[u8]) -> bool {
    if memchr::memchr(b'.', v).is_none() && !v.windows(2).any(|w| w == b"//") {
        return true;
    }
    let n = v.split(|&b| b == b'/').count();
    v.split(|&b| b == b'/').enumerate().all(|(i, seg)| seg != b"." && seg != b".." && (!seg.is_empty() || i == 0 || i + 1 == n))
}

/// Applies the transformation `name` (as spelled in
/// [`crate::vocab::TRANSFORMATIONS`]); `none` and unknown names return
/// the input unchanged (`none` is handled by the rule compiler: it clears
/// the list).
pub fn apply<'a>(name: &str, v: &'a [u8]) -> Cow<'a, [u8]> {
    match Transform::from_name(name) {
        Some(t) => t.apply(v),
        None => Cow::Borrowed(v),
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0xa0)
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn trim_start(v: &[u8]) -> &[u8] {
    let n = v.iter().take_while(|&&b| is_space(b)).count();
    &v[n..]
}

fn trim_end(v: &[u8]) -> &[u8] {
    let n = v.iter().rev().take_while(|&&b| is_space(b)).count();
    &v[..v.len() - n]
}

/// `%XX` and `+`; with `uni`, also `%uHHHH` (the low byte, full-width ASCII
/// mapped to ASCII, as ModSecurity does without a unicode map).
fn url_decode(v: &[u8], uni: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        match v[i] {
            b'%' if uni && matches!(v.get(i + 1), Some(b'u' | b'U')) => {
                let h: Option<Vec<u8>> = v.get(i + 2..i + 6).map(|x| x.iter().filter_map(|&b| hex(b)).collect());
                match h {
                    Some(d) if d.len() == 4 => {
                        let mut c = d[2] << 4 | d[3];
                        // `%uFF01`–`%uFF5E`: full-width forms of ASCII.
                        if d[0] == 0xf && d[1] == 0xf && c > 0 && c < 0x5f {
                            c += 0x20;
                        }
                        out.push(c);
                        i += 6;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'%' => match (v.get(i + 1).copied().and_then(hex), v.get(i + 2).copied().and_then(hex)) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn url_encode(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    for &b in v {
        if b == b' ' {
            out.push(b'+');
        } else if b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_') {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02x}").as_bytes());
        }
    }
    out
}

/// jsDecode / escapeSeqDecode: the engine's backslash decoder.
fn backslash_decode(v: &[u8], unicode: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    haetae_engine::normalize::backslash_decode_into(v, unicode, &mut out);
    out
}

/// `&#xHH;`, `&#DDD;` (semicolon optional) and `&quot; &nbsp; &lt; &gt; &amp;`.
fn html_entity_decode(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] != b'&' {
            out.push(v[i]);
            i += 1;
            continue;
        }
        let rest = &v[i + 1..];
        if rest.first() == Some(&b'#') {
            let (radix, start) = if matches!(rest.get(1), Some(b'x' | b'X')) { (16, 2) } else { (10, 1) };
            // Any number of digits (`&#0000000123;` is `{`), as ModSecurity.
            let k = rest[start..].iter().take_while(|&&b| (b as char).is_digit(radix)).count();
            if k > 0 {
                let val = rest[start..start + k].iter().fold(0u64, |a, &b| {
                    a.saturating_mul(u64::from(radix)).saturating_add(u64::from((b as char).to_digit(radix).unwrap_or(0)))
                });
                out.push(if val > u64::from(u32::MAX) { 0xff } else { val as u8 });
                i += 1 + start + k;
                if v.get(i) == Some(&b';') {
                    i += 1;
                }
                continue;
            }
        } else {
            let named: &[(&[u8], u8)] = &[(b"quot", b'"'), (b"amp", b'&'), (b"lt", b'<'), (b"gt", b'>'), (b"nbsp", 0xa0)];
            if let Some((name, c)) = named.iter().find(|(n, _)| rest.len() > n.len() && rest[..n.len()].eq_ignore_ascii_case(n)) {
                out.push(*c);
                i += 1 + name.len();
                if v.get(i) == Some(&b';') {
                    i += 1;
                }
                continue;
            }
        }
        out.push(b'&');
        i += 1;
    }
    out
}

/// CSS escapes: `\` + 1–6 hex digits (one following blank eaten), `\` +
/// newline removed, `\` + other character keeps the character.
fn css_decode(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] != b'\\' {
            out.push(v[i]);
            i += 1;
            continue;
        }
        let k = v[i + 1..].iter().take(6).take_while(|&&b| hex(b).is_some()).count();
        if k > 0 {
            let val = v[i + 1..i + 1 + k].iter().fold(0u32, |a, &b| a << 4 | u32::from(hex(b).unwrap_or(0)));
            // Full-width ASCII (`\ff0e`) to ASCII, else the low byte.
            let c = if (0xff01..=0xff5e).contains(&val) { val - 0xfee0 } else { val & 0xff };
            out.push(c as u8);
            i += 1 + k;
            if v.get(i).is_some_and(|&b| is_space(b)) {
                i += 1;
            }
        } else if v.get(i + 1) == Some(&b'\n') {
            i += 2;
        } else if let Some(&n) = v.get(i + 1) {
            out.push(n);
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

/// Windows and Unix command-line evasions undone: `\ " ' ^` deleted,
/// blanks before `/` and `(` deleted, `,` `;` and runs of blanks to one
/// space, lower case.
fn cmd_line(v: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(v.len());
    let mut space = false;
    for &b in v {
        match b {
            b'\\' | b'"' | b'\'' | b'^' => {}
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | b',' | b';' => space = true,
            b'/' | b'(' => {
                space = false;
                out.push(b);
            }
            _ => {
                if space && !out.is_empty() {
                    out.push(b' ');
                }
                space = false;
                out.push(b.to_ascii_lowercase());
            }
        }
    }
    out
}

fn compress_whitespace(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut prev_space = false;
    for &b in v {
        if is_space(b) {
            if !prev_space {
                out.push(b' ');
            }
            prev_space = true;
        } else {
            out.push(b);
            prev_space = false;
        }
    }
    out
}

/// `/* … */` (an unterminated one to the end) and `<!-- … -->` removed or
/// replaced by one blank; `--` and `#` end the value.
fn comments(v: &[u8], replace: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        let rest = &v[i..];
        if rest.starts_with(b"/*") {
            i = find(&v[i + 2..], b"*/").map_or(v.len(), |p| i + 4 + p);
            if replace {
                out.push(b' ');
            }
        } else if rest.starts_with(b"<!--") {
            i = find(&v[i + 4..], b"-->").map_or(v.len(), |p| i + 7 + p);
            if replace {
                out.push(b' ');
            }
        } else if !replace && (rest.starts_with(b"--") || rest[0] == b'#') {
            break;
        } else {
            out.push(v[i]);
            i += 1;
        }
    }
    out
}

fn remove_comment_chars(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        let rest = &v[i..];
        let skip = [&b"/*"[..], b"*/", b"<!--", b"-->", b"--"].iter().find(|m| rest.starts_with(m)).map(|m| m.len());
        match skip {
            Some(k) => i += k,
            None if v[i] == b'#' => i += 1,
            None => {
                out.push(v[i]);
                i += 1;
            }
        }
    }
    out
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// `./` and `//` removed, `x/../` resolved (never above the start).
fn normalize_path(v: &[u8], win: bool) -> Vec<u8> {
    let v: Cow<[u8]> = if win { Cow::Owned(v.iter().map(|&b| if b == b'\\' { b'/' } else { b }).collect()) } else { Cow::Borrowed(v) };
    let absolute = v.starts_with(b"/");
    let trailing = v.ends_with(b"/") || v.ends_with(b"/.") || v.ends_with(b"/..");
    let mut parts: Vec<&[u8]> = Vec::new();
    for seg in v.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => {
                if parts.last().is_some_and(|p| *p != b"..") {
                    parts.pop();
                } else if !absolute {
                    parts.push(seg);
                }
            }
            _ => parts.push(seg),
        }
    }
    let mut out = Vec::with_capacity(v.len());
    if absolute {
        out.push(b'/');
    }
    out.extend(parts.join(&b'/'));
    if trailing && !parts.is_empty() {
        out.push(b'/');
    }
    out
}

/// Multi-byte UTF-8 characters as `%uHHHH`.
fn utf8_to_unicode(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    for chunk in v.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_ascii() {
                out.push(c as u8);
            } else {
                out.extend_from_slice(format!("%u{:04x}", c as u32 & 0xffff).as_bytes());
            }
        }
        out.extend_from_slice(chunk.invalid());
    }
    out
}

fn b64_value(b: u8) -> Option<u32> {
    match b {
        b'A'..=b'Z' => Some(u32::from(b - b'A')),
        b'a'..=b'z' => Some(u32::from(b - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(b - b'0') + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Decodes until the first character outside the alphabet (`ext`: skips
/// such characters instead).
fn base64_decode(v: &[u8], ext: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for &b in v {
        let Some(d) = b64_value(b) else {
            if ext || b == b'=' {
                continue;
            }
            break;
        };
        acc = (acc << 6 | d) & 0xff_ffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn base64_encode(v: &[u8]) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(v.len().div_ceil(3) * 4);
    for c in v.chunks(3) {
        let n = (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        out.push(A[(n >> 18) as usize & 63]);
        out.push(A[(n >> 12) as usize & 63]);
        out.push(if c.len() > 1 { A[(n >> 6) as usize & 63] } else { b'=' });
        out.push(if c.len() > 2 { A[n as usize & 63] } else { b'=' });
    }
    out
}

fn hex_decode(v: &[u8]) -> Vec<u8> {
    v.chunks(2).filter_map(|p| Some(hex(p[0])? << 4 | hex(*p.get(1)?)?)).collect()
}

/// `0x414243` runs decoded to bytes, the rest kept.
fn sql_hex_decode(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'0' && matches!(v.get(i + 1), Some(b'x' | b'X')) {
            let k = v[i + 2..].iter().take_while(|&&b| hex(b).is_some()).count();
            if k >= 2 {
                out.extend(hex_decode(&v[i + 2..i + 2 + k - k % 2]));
                i += 2 + k - k % 2;
                continue;
            }
        }
        out.push(v[i]);
        i += 1;
    }
    out
}

fn parity(b: u8, even: bool) -> u8 {
    let b = b & 0x7f;
    let odd_ones = b.count_ones() % 2 == 1;
    if odd_ones == even { b | 0x80 } else { b }
}

#[cfg(test)]
mod tests {
    use super::{Transform, apply};

    /// The "nothing to do" shortcut must never change a result.
    #[test]
    fn shortcut_agrees_with_the_full_transformation() {
        let samples: &[&[u8]] = &[
            b"",
            b"plain words",
            b"Upper Case",
            b" lead",
            b"trail ",
            b"a  b",
            b"a /b",
            b"a (b",
            b"a\tb",
            b"x;y,z",
            b"%41+b",
            b"a&amp;b",
            b"\\x41",
            b"/a/./b",
            b"/a/../b",
            b"a//b",
            b"./a",
            b"a/.",
            b"..",
            b"/",
            b"//",
            b"a\\b",
            b"/* c */",
            b"a--b",
            b"#x",
            b"<!--",
            "\u{d55c}\u{ae00}".as_bytes(),
            b"\x00nul",
            b"file.txt",
            b"/etc/passwd",
            b"C:\\win\\..\\x",
        ];
        for name in crate::vocab::TRANSFORMATIONS {
            let Some(t) = Transform::from_name(name) else { continue };
            for v in samples {
                assert_eq!(t.apply(v), t.compute(v), "{name} on {:?}", String::from_utf8_lossy(v));
            }
        }
    }

    fn t(name: &str, v: &str) -> String {
        String::from_utf8_lossy(&apply(name, v.as_bytes())).into_owned()
    }

    #[test]
    fn decoders() {
        assert_eq!(t("urlDecode", "a%20b+c%zz"), "a b c%zz");
        assert_eq!(t("urlDecodeUni", "%u003cscript%uFF1E"), "<script>");
        assert_eq!(t("jsDecode", r"\x3c\u0041\101\n\q"), "<AA\nq");
        assert_eq!(t("htmlEntityDecode", "&lt;&#x41;&#66&quot;&amp;x&bogus;"), "<AB\"&x&bogus;");
        assert_eq!(t("cssDecode", r"\3c \2f x\:y"), "</x:y");
        assert_eq!(t("escapeSeqDecode", r"a\x41\101\t"), "aAA\t");
        assert_eq!(t("base64Decode", "PHNjcmlwdD4="), "<script>");
        assert_eq!(t("base64DecodeExt", "PHN.jcm lwdD4="), "<script>");
        assert_eq!(t("hexDecode", "414243"), "ABC");
        assert_eq!(t("sqlHexDecode", "select 0x414243 x"), "select ABC x");
    }

    #[test]
    fn cleaners() {
        assert_eq!(t("cmdLine", "C^at \"/etc/pas\"swd ;  x,y"), "cat/etc/passwd x y");
        assert_eq!(t("compressWhitespace", "a \t\n b"), "a b");
        assert_eq!(t("removeWhitespace", " a b\tc "), "abc");
        assert_eq!(t("replaceComments", "un/**/ion sel/*x"), "un ion sel ");
        assert_eq!(t("removeComments", "a/*x*/b--c"), "ab");
        assert_eq!(t("removeCommentsChar", "a/*b*/c--#"), "abc");
        assert_eq!(t("normalizePath", "/a/./b//../../../etc/passwd"), "/etc/passwd");
        assert_eq!(t("normalizePathWin", "a\\..\\..\\b"), "../b");
        assert_eq!(t("trim", "  x  "), "x");
        assert_eq!(t("lowercase", "AbC"), "abc");
        assert_eq!(t("length", "abcd"), "4");
        assert_eq!(t("utf8toUnicode", "a가"), "a%uac00");
    }

    #[test]
    fn encoders_and_digests() {
        assert_eq!(t("base64Encode", "ab"), "YWI=");
        assert_eq!(t("hexEncode", "AB"), "4142");
        assert_eq!(String::from_utf8_lossy(&apply("hexEncode", &apply("sha1", b"abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(String::from_utf8_lossy(&apply("hexEncode", &apply("md5", b"abc"))), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(t("urlEncode", "a b<"), "a+b%3c");
    }

    #[test]
    fn every_listed_transformation_is_implemented() {
        for name in crate::vocab::TRANSFORMATIONS {
            // Unknown names fall through unchanged; a listed one that is
            // not "none" or trim-like must change this input.
            let probe: &[u8] = b"  0x41A%41\\x41&#65;/*c*/./\x00\xea\xb0\x80 \t";
            let out = apply(name, probe);
            assert!(*name == "none" || out.as_ref() != probe, "t:{name} did nothing");
        }
    }
}
