//! Decoding to one normal form before detection. Each step that changes
//! the input is recorded, since evasion (double encoding, overlong UTF-8,
//! `%u` escapes, NULs) is itself a signal.

/// What normalization had to undo.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evasion {
    /// URL decoding changed the value more than once (double/triple encoding).
    pub multi_url_decode: bool,
    /// `%uXXXX` escapes.
    pub percent_u: bool,
    /// Overlong UTF-8 (a long form of an ASCII byte, which only an evasion
    /// sends). Other invalid bytes are not flagged: legacy sites send
    /// Latin-1 or EUC-KR percent-encoded (`Jam%F3n`), and those bytes decode
    /// to nothing a detector reads.
    pub overlong_utf8: bool,
    /// NUL bytes.
    pub nul: bool,
    /// Full-width forms folded to ASCII.
    pub fullwidth: bool,
    /// HTML character references decoded.
    pub html_entities: bool,
    /// JavaScript/JSON escapes (`\u007b`, `\x3c`) decoded.
    pub js_escapes: bool,
    /// UTF-7 runs (`+ADw-script+AD4-`) spelling markup characters.
    pub utf7: bool,
}

impl Evasion {
    pub fn any_strong(&self) -> bool {
        self.multi_url_decode || self.percent_u || self.overlong_utf8 || self.nul || self.utf7
    }
}

fn hex(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

/// `\xHH`, octal (`\101`) and the single-character escapes (`\n`); with
/// `unicode` (jsDecode) also `\uHHHH`. An unknown escape keeps its
/// character. Appends to `out`; true when a numeric escape spelled an
/// ASCII letter or digit (which only obfuscation does). Shared by the
/// shell detector (`$'\x63at'`) and SecLang's jsDecode/escapeSeqDecode.
pub fn backslash_decode_into(v: &[u8], unicode: bool, out: &mut Vec<u8>) -> bool {
    let mut spelled = false;
    let mut i = 0;
    while i < v.len() {
        if v[i] != b'\\' || i + 1 >= v.len() {
            out.push(v[i]);
            i += 1;
            continue;
        }
        let n = v[i + 1];
        let hexes = |from: usize, k: usize| -> Option<Vec<u8>> {
            let d: Vec<u8> = v.get(from..from + k)?.iter().filter_map(|&b| hex(b).map(|h| h as u8)).collect();
            (d.len() == k).then_some(d)
        };
        if unicode
            && n == b'u'
            && let Some(d) = hexes(i + 2, 4)
        {
            let mut c = d[2] << 4 | d[3];
            // `\uFF01`–`\uFF5E`: full-width forms of ASCII.
            if d[0] == 0xf && d[1] == 0xf && c > 0 && c < 0x5f {
                c += 0x20;
            }
            spelled |= c.is_ascii_alphanumeric();
            out.push(c);
            i += 6;
        } else if n == b'x'
            && let Some(d) = hexes(i + 2, 2)
        {
            let c = d[0] << 4 | d[1];
            spelled |= c.is_ascii_alphanumeric();
            out.push(c);
            i += 4;
        } else if (b'0'..=b'7').contains(&n) {
            let k = v[i + 1..].iter().take(3).take_while(|b| (b'0'..=b'7').contains(b)).count();
            let val = v[i + 1..i + 1 + k].iter().fold(0u32, |a, &b| a * 8 + u32::from(b - b'0'));
            spelled |= (val as u8).is_ascii_alphanumeric();
            out.push(val as u8);
            i += 1 + k;
        } else {
            out.push(single_escape(n));
            i += 2;
        }
    }
    spelled
}

fn single_escape(n: u8) -> u8 {
    match n {
        b'a' => 0x07,
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'v' => 0x0b,
        c => c,
    }
}

/// One round of `%XX` and `%uXXXX` decoding. Returns None when nothing changed.
fn url_decode_round(s: &[u8], ev: &mut Evasion) -> Option<Vec<u8>> {
    memchr::memchr(b'%', s)?;
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    let mut changed = false;
    while i < s.len() {
        if s[i] == b'%' {
            if let (Some(h), Some(l)) = (s.get(i + 1).and_then(|&b| hex(b)), s.get(i + 2).and_then(|&b| hex(b))) {
                out.push((h << 4 | l) as u8);
                i += 3;
                changed = true;
                continue;
            }
            if matches!(s.get(i + 1), Some(b'u' | b'U'))
                && let Some(cp) = s.get(i + 2..i + 6).and_then(|h| h.iter().try_fold(0u32, |acc, &b| hex(b).map(|d| acc << 4 | d)))
            {
                ev.percent_u = true;
                push_char(&mut out, cp);
                i += 6;
                changed = true;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    changed.then_some(out)
}

fn push_char(out: &mut Vec<u8>, cp: u32) {
    // Full-width ASCII (U+FF01..U+FF5E) folds to ASCII here too.
    let cp = if (0xFF01..=0xFF5E).contains(&cp) { cp - 0xFEE0 } else { cp };
    let c = char::from_u32(cp).unwrap_or('\u{FFFD}');
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// Decodes HTML character references (`&#60;`, `&#x3c;`, `&lt;` and the
/// few named ones that matter for markup and URLs), tolerating a missing `;`
/// as browsers do for numeric references.
fn html_decode(s: &[u8], ev: &mut Evasion) -> Option<Vec<u8>> {
    memchr::memchr(b'&', s)?;
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    let mut changed = false;
    while i < s.len() {
        if s[i] == b'&' {
            if s.get(i + 1) == Some(&b'#') {
                let (radix, start) = match s.get(i + 2) {
                    Some(b'x' | b'X') => (16, i + 3),
                    _ => (10, i + 2),
                };
                let mut j = start;
                // `&#0000000123;`: leading zeros do not count against the length.
                while j < s.len() && s[j] == b'0' && j - start < 256 {
                    j += 1;
                }
                let digits = j;
                let mut cp: u32 = 0;
                while j < s.len() && j - digits < 8 {
                    match (s[j] as char).to_digit(radix) {
                        Some(d) => cp = cp.saturating_mul(radix).saturating_add(d),
                        None => break,
                    }
                    j += 1;
                }
                if j > start {
                    if s.get(j) == Some(&b';') {
                        j += 1;
                    }
                    push_char(&mut out, cp);
                    i = j;
                    changed = true;
                    continue;
                }
            } else {
                const NAMED: &[(&[u8], u8)] = &[
                    (b"lt;", b'<'),
                    (b"gt;", b'>'),
                    (b"quot;", b'"'),
                    (b"apos;", b'\''),
                    (b"amp;", b'&'),
                    (b"colon;", b':'),
                    (b"lpar;", b'('),
                    (b"rpar;", b')'),
                    (b"sol;", b'/'),
                    (b"tab;", b'\t'),
                    (b"newline;", b'\n'),
                    (b"lbrace;", b'{'),
                    (b"rbrace;", b'}'),
                    (b"lcub;", b'{'),
                    (b"rcub;", b'}'),
                    (b"lsqb;", b'['),
                    (b"rsqb;", b']'),
                    (b"lbrack;", b'['),
                    (b"rbrack;", b']'),
                    (b"dollar;", b'$'),
                    (b"comma;", b','),
                    (b"period;", b'.'),
                    (b"excl;", b'!'),
                    (b"num;", b'#'),
                    (b"percnt;", b'%'),
                    (b"equals;", b'='),
                    (b"quest;", b'?'),
                    (b"bsol;", b'\\'),
                    (b"verbar;", b'|'),
                    (b"vert;", b'|'),
                    (b"semi;", b';'),
                    (b"grave;", b'`'),
                    (b"plus;", b'+'),
                    (b"ast;", b'*'),
                    (b"midast;", b'*'),
                    (b"commat;", b'@'),
                    (b"lowbar;", b'_'),
                    (b"nbsp;", b' '),
                ];
                let rest = &s[i + 1..];
                if let Some((name, c)) = NAMED.iter().find(|(n, _)| rest.len() >= n.len() && rest[..n.len()].eq_ignore_ascii_case(n)) {
                    out.push(*c);
                    i += 1 + name.len();
                    changed = true;
                    continue;
                }
                // `$&lbracejndi:`: lenient decoders (and Log4j's own
                // lookups) read these without the semicolon.
                const BARE: &[(&[u8], u8)] = &[(b"lbrace", b'{'), (b"rbrace", b'}'), (b"dollar", b'$'), (b"colon", b':')];
                if let Some((name, c)) = BARE.iter().find(|(n, _)| rest.len() >= n.len() && rest[..n.len()].eq_ignore_ascii_case(n)) {
                    out.push(*c);
                    i += 1 + name.len();
                    changed = true;
                    continue;
                }
            }
        }
        out.push(s[i]);
        i += 1;
    }
    if changed {
        ev.html_entities = true;
    }
    changed.then_some(out)
}

/// Decodes `\uXXXX`, `\u{X…}` and `\xHH`, the escapes JavaScript, JSON
/// and many template languages read; attackers use them to hide `${`, `<`
/// and quotes. Other backslashes stay (Windows paths, regexes).
fn js_unescape(s: &[u8], ev: &mut Evasion) -> Option<Vec<u8>> {
    memchr::memchr(b'\\', s)?;
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    let mut changed = false;
    let hexrun =
        |from: usize, n: usize| -> Option<u32> { s.get(from..from + n)?.iter().try_fold(0u32, |acc, &b| hex(b).map(|d| acc << 4 | d)) };
    while i < s.len() {
        if s[i] == b'\\' {
            match s.get(i + 1) {
                Some(b'u' | b'U') => {
                    if let Some(cp) = hexrun(i + 2, 4) {
                        push_char(&mut out, cp);
                        i += 6;
                        changed = true;
                        continue;
                    }
                    if s.get(i + 2) == Some(&b'{')
                        && let Some(close) = s[i + 3..(i + 10).min(s.len())].iter().position(|&b| b == b'}')
                        && close > 0
                        && let Some(cp) = hexrun(i + 3, close)
                    {
                        push_char(&mut out, cp);
                        i += 4 + close;
                        changed = true;
                        continue;
                    }
                }
                Some(b'x' | b'X') => {
                    if let Some(b) = hexrun(i + 2, 2) {
                        out.push(b as u8);
                        i += 4;
                        changed = true;
                        continue;
                    }
                }
                _ => {}
            }
        }
        out.push(s[i]);
        i += 1;
    }
    if changed {
        ev.js_escapes = true;
    }
    changed.then_some(out)
}

/// `\\uXXXX` and `\\xXX` escapes undone, case kept (base64 hidden behind
/// JavaScript escapes is still base64).
pub(crate) fn unescape_js(s: &[u8]) -> Option<Vec<u8>> {
    js_unescape(s, &mut Evasion::default())
}

fn ascii_quote(cp: u32) -> Option<u8> {
    match cp {
        0x2018 | 0x2019 | 0x201A | 0x201B | 0x2032 | 0x02BC | 0x00B4 => Some(b'\''),
        0x201C | 0x201D | 0x201E | 0x201F | 0x2033 => Some(b'"'),
        _ => None,
    }
}

/// The ASCII byte a code point is read as, by the platforms and
/// databases behind a site, when one is (the one table of such folds: the
/// engine's gate asks it too).
pub(crate) fn ascii_fold(cp: u32) -> Option<u8> {
    match cp {
        // Full-width forms of ASCII.
        0xFF01..=0xFF5E => Some((cp - 0xFEE0) as u8),
        // Circled digits (①②…, ⓪) and letters (Ⓛⓞⓒ…): IDNA maps them to
        // ASCII, so a host `①②⑦.⓪.⓪.①` resolves as 127.0.0.1.
        0x2460..=0x2468 => Some(b'1' + (cp - 0x2460) as u8),
        0x24EA => Some(b'0'),
        0x24B6..=0x24E9 => Some(b'a' + ((cp - 0x24B6) % 26) as u8),
        // Ideographic full stops: IDNA label separators.
        0x3002 | 0xFF61 => Some(b'.'),
        // Division and fraction slashes, which path APIs on some platforms
        // fold to `/` (`..%u2215..%u2215etc`).
        0x2215 | 0x2044 => Some(b'/'),
        0x2216 | 0xFE68 => Some(b'\\'),
        // Some databases and frameworks map typographic quotes to ASCII
        // ("best fit"), so `‘ or 1=1` works as `' or 1=1`.
        _ => ascii_quote(cp),
    }
}

/// Folds overlong 2-byte UTF-8 forms of ASCII (`C0 AE` = `.`) to ASCII,
/// full-width forms to ASCII, drops NULs, flags overlong sequences; other
/// invalid bytes are kept as they are.
fn fold_utf8(s: &[u8], ev: &mut Evasion) -> Option<Vec<u8>> {
    if s.is_ascii() && memchr::memchr(0, s).is_none() {
        return None;
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b == 0 {
            ev.nul = true;
            i += 1;
            continue;
        }
        if b < 0x80 {
            out.push(b);
            i += 1;
            continue;
        }
        // Overlong encodings of ASCII: C0/C1 lead bytes, or E0 80..9F.
        if (b == 0xC0 || b == 0xC1) && s.get(i + 1).is_some_and(|c| c & 0xC0 == 0x80) {
            ev.overlong_utf8 = true;
            out.push(((b & 0x1F) << 6) | (s[i + 1] & 0x3F));
            i += 2;
            continue;
        }
        if b == 0xE0 && s.get(i + 1).is_some_and(|c| (0x80..0xA0).contains(c)) && s.get(i + 2).is_some_and(|c| c & 0xC0 == 0x80) {
            ev.overlong_utf8 = true;
            out.push(((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F));
            i += 3;
            continue;
        }
        let len = match b {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => 0,
        };
        match s.get(i..i + len).and_then(|c| std::str::from_utf8(c).ok()) {
            Some(c) if len > 0 => {
                let ch = c.chars().next().unwrap_or('\u{FFFD}');
                let cp = ch as u32;
                if let Some(a) = ascii_fold(cp) {
                    ev.fullwidth |= (0xFF01..=0xFF5E).contains(&cp);
                    out.push(a);
                } else {
                    out.extend_from_slice(c.as_bytes());
                }
                i += len;
            }
            _ => {
                // F0 80..8F: a 4-byte form of a code point that fits in
                // three, the overlong form decoders that skip the check read.
                if b == 0xF0 && s.get(i + 1).is_some_and(|c| (0x80..0x90).contains(c)) {
                    ev.overlong_utf8 = true;
                }
                // `\xBCscript\xBE`: a page served as US-ASCII hands the
                // browser these bytes with the high bit dropped (`<script>`).
                // Only a lone byte between ASCII ones: EUC-KR and Latin-1
                // letters come in runs or stand next to other text.
                let lone = (i == 0 || s[i - 1] < 0x80) && s.get(i + 1).is_none_or(|&c| c < 0x80);
                if lone && matches!(b, 0xBC | 0xBE | 0xA2 | 0xA7) {
                    ev.overlong_utf8 = true;
                    out.push(b & 0x7F);
                    i += 1;
                    continue;
                }
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

/// The normal form of one value: decoded until stable (at most 4 URL
/// rounds), HTML references decoded, UTF-8 folded, ASCII lower-cased.
pub fn normalize(raw: &[u8]) -> (Vec<u8>, Evasion) {
    let mut ev = Evasion::default();
    let mut cur: Vec<u8> = raw.to_vec();
    let mut rounds = 0;
    while rounds < 4 {
        match url_decode_round(&cur, &mut ev) {
            Some(next) => {
                cur = next;
                rounds += 1;
            }
            None => break,
        }
    }
    // The model already decoded once; any decoding here is a second layer.
    if rounds >= 1 && crate::normalize::looks_encoded_twice(raw) {
        ev.multi_url_decode = true;
    }
    // Twice: markup inside XML arrives as `&amp;lt;` (`&amp;tab;`).
    for _ in 0..2 {
        match html_decode(&cur, &mut ev) {
            Some(next) => cur = next,
            None => break,
        }
    }
    if let Some(next) = js_unescape(&cur, &mut ev) {
        cur = next;
    }
    if let Some(next) = utf7_decode(&cur, &mut ev) {
        cur = next;
    }
    if let Some(next) = fold_utf8(&cur, &mut ev) {
        cur = next;
    }
    cur.make_ascii_lowercase();
    (cur, ev)
}

/// Decodes UTF-7 runs (`+` base64 of UTF-16, ended by `-`) when they spell
/// ASCII markup or quote characters: the old charset trick that hid `<` from
/// filters (`+ADw-script+AD4-`). Other `+…` text (`C++`, `+82-10`) stays.
fn utf7_decode(s: &[u8], ev: &mut Evasion) -> Option<Vec<u8>> {
    fn b64(b: u8) -> Option<u32> {
        match b {
            b'A'..=b'Z' => Some(u32::from(b - b'A')),
            b'a'..=b'z' => Some(u32::from(b - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(b - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    memchr::memmem::find(s, b"+AD").or_else(|| memchr::memmem::find(s, b"+AC"))?;
    let mut out = Vec::with_capacity(s.len());
    let mut changed = false;
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'+' {
            let run = s[i + 1..].iter().take(64).take_while(|&&b| b64(b).is_some() && b != b'+').count();
            // Bits to UTF-16 code units; keep only runs that are all ASCII
            // and hold a character markup needs.
            let (mut acc, mut bits, mut units) = (0u32, 0u32, Vec::new());
            for &b in &s[i + 1..i + 1 + run] {
                acc = (acc << 6 | b64(b).unwrap_or(0)) & 0xFF_FFFF;
                bits += 6;
                if bits >= 16 {
                    bits -= 16;
                    units.push((acc >> bits) & 0xFFFF);
                }
            }
            if run >= 3
                && !units.is_empty()
                && units.iter().all(|&u| u < 0x80)
                && units.iter().any(|&u| matches!(u, 0x3C | 0x3E | 0x22 | 0x27))
            {
                out.extend(units.iter().map(|&u| u as u8));
                i += 1 + run;
                if s.get(i) == Some(&b'-') {
                    i += 1;
                }
                changed = true;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    ev.utf7 |= changed;
    changed.then_some(out)
}

/// `%25XX` or a `%XX` that decodes to a character an attack needs: a sign the
/// value was encoded on purpose after the transport's own decoding.
fn looks_encoded_twice(raw: &[u8]) -> bool {
    crate::detect::positions(raw, b'%').any(|at| {
        if let (Some(h), Some(l)) = (raw.get(at + 1).and_then(|&b| hex(b)), raw.get(at + 2).and_then(|&b| hex(b))) {
            let c = (h << 4 | l) as u8;
            return matches!(c, b'%' | b'<' | b'>' | b'\'' | b'"' | b'.' | b'/' | b'\\' | b';' | b'|' | b'(' | b')');
        }
        false
    })
}

/// Path normalization: backslashes to slashes, `//` collapsed, `.` dropped,
/// `..` resolved. Returns the path and how far `..` tried to climb above
/// the root (0 when it stayed inside).
pub fn normalize_path(p: &[u8]) -> (Vec<u8>, usize) {
    let mut segs: Vec<&[u8]> = Vec::new();
    let mut escaped = 0usize;
    let unified: Vec<u8> = p.iter().map(|&b| if b == b'\\' { b'/' } else { b }).collect();
    for seg in unified.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => {
                if segs.pop().is_none() {
                    escaped += 1;
                }
            }
            s => segs.push(s),
        }
    }
    let mut out = Vec::with_capacity(p.len());
    for s in &segs {
        out.push(b'/');
        out.extend_from_slice(s);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    (out, escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> (String, Evasion) {
        let (v, e) = normalize(s.as_bytes());
        (String::from_utf8_lossy(&v).into_owned(), e)
    }

    #[test]
    fn repeated_url_decoding_is_flagged() {
        let (v, e) = n("%253Cscript%253E");
        assert_eq!(v, "<script>");
        assert!(e.multi_url_decode);
    }

    #[test]
    fn percent_u_entities_fullwidth_overlong() {
        assert_eq!(n("%u003Cimg").0, "<img");
        assert!(n("%u003Cimg").1.percent_u);
        assert_eq!(n("&#x3C;svg&#62;&lt;").0, "<svg><");
        assert_eq!(n("\u{FF1C}SCRIPT\u{FF1E}").0, "<script>");
        assert_eq!(n("ⓛⓞⓒⓐⓛⓗⓞⓢⓣ").0, "localhost");
        assert_eq!(n("ⓁⓄⒸⒶⓁ").0, "local");
        assert_eq!(n("169。254。169。254").0, "169.254.169.254");
        assert_eq!(n("..%u2215..%u2215etc%u2215passwd").0, "../../etc/passwd");
        assert_eq!(n("&#x24;&#00000000000000000000000000000000000000000000000123;jndi").0, "${jndi");
        assert_eq!(n("$&lbracejndi:").0, "${jndi:");
        assert_eq!(n("ja&amp;tab;vascript").0, "ja\tvascript");
        let (v, e) = n("+ADw-script+AD4-alert(1)+ADw-/script+AD4-");
        assert_eq!(v, "<script>alert(1)</script>");
        assert!(e.utf7);
        assert_eq!(n("C++ and +82-10-1234 +ADD-").0, "c++ and +82-10-1234 +add-");
        let (v, e) = normalize(b"\xC0\xAE\xC0\xAE/etc");
        assert_eq!(v, b"../etc");
        assert!(e.overlong_utf8);
        // Latin-1 and EUC-KR bytes are legacy text, not an evasion.
        let (v, e) = normalize(b"Jam\xF3n Ib\xE9rico \xC7\xD1\xB1\xDB");
        assert_eq!(v, b"jam\xF3n ib\xE9rico \xC7\xD1\xB1\xDB");
        assert_eq!(e, Evasion::default());
        assert!(normalize(b"\xF0\x80\x80\xAE").1.overlong_utf8);
        let (v, e) = normalize(b"\xBCimg src=x\xBE");
        assert_eq!((v.as_slice(), e.overlong_utf8), (&b"<img src=x>"[..], true));
        // EUC-KR's 서 is BC AD: a pair, left alone.
        assert_eq!(normalize(b"\xBC\xAD").1, Evasion::default());
        assert_eq!(normalize(b"a\xBCimg src=x\xBE").0, b"a<img src=x>");
        let (v, e) = normalize(b"a\0b");
        assert_eq!(v, b"ab");
        assert!(e.nul);
    }

    #[test]
    fn korean_text_is_left_alone() {
        let (v, e) = n("안녕하세요 사진");
        assert_eq!(v, "안녕하세요 사진");
        assert_eq!(e, Evasion::default());
    }

    #[test]
    fn path_normalization() {
        assert_eq!(normalize_path(b"/a/./b//c/../d"), (b"/a/b/d".to_vec(), 0));
        assert_eq!(normalize_path(b"/a/../../../etc/passwd"), (b"/etc/passwd".to_vec(), 2));
        assert_eq!(normalize_path(b"..\\..\\win.ini"), (b"/win.ini".to_vec(), 2));
    }
}
