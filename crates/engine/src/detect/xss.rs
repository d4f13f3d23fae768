//! Cross-site scripting, judged with a small HTML tokenizer: what matters is
//! whether the input forms a tag or attribute that can run script, so
//! `<img src="/data/editor/1.jpg" alt="사진">` passes while
//! `<img src=x onerror=alert(1)>` does not.

use haetae_model::Confidence::{self, High, Low, Medium};

use super::{Hit, Kind, Target, find, is_ident};

const URL_ATTRS: &[&[u8]] = &[
    b"href",
    b"src",
    b"action",
    b"formaction",
    b"data",
    b"xlink:href",
    b"background",
    b"dynsrc",
    b"lowsrc",
    b"poster",
    b"codebase",
    b"cite",
    b"longdesc",
    b"usemap",
    b"profile",
    b"values",
    b"to",
    b"from",
    b"by",
    b"srcset",
    b"ping",
    b"content",
];

/// Strips what browsers ignore inside a URL scheme (`java\tscript:`).
fn scheme_of(v: &[u8]) -> Vec<u8> {
    v.iter()
        .copied()
        .skip_while(|b| b.is_ascii_whitespace() || *b < 0x20)
        .filter(|b| !b.is_ascii_whitespace() && *b >= 0x20)
        .take(16)
        .collect()
}

fn script_url(v: &[u8]) -> bool {
    let s = scheme_of(v);
    s.starts_with(b"javascript:")
        || s.starts_with(b"vbscript:")
        || s.starts_with(b"livescript:")
        || s.starts_with(b"data:text/html")
        || s.starts_with(b"data:image/svg")
        || s.starts_with(b"data:application/")
}

const MAX_ATTR: usize = 1024;

struct Tag<'a> {
    name: &'a [u8],
    attrs: Vec<(&'a [u8], &'a [u8])>,
}

/// Parses a start tag at `s[i] == b'<'`. Returns None if it is not one.
fn parse_tag<'a>(s: &'a [u8], i: usize, budget: &mut usize) -> Option<Tag<'a>> {
    let mut j = i + 1;
    let start = j;
    while j < s.len() && j - start < 64 && (s[j].is_ascii_alphanumeric() || matches!(s[j], b':' | b'-' | b'_')) {
        j += 1;
    }
    if j == start || !s[start].is_ascii_alphabetic() {
        return None;
    }
    let name = &s[start..j];
    let mut attrs = Vec::new();
    loop {
        while j < s.len() && (s[j].is_ascii_whitespace() || s[j] == b'/' || s[j] < 0x20) {
            j += 1;
        }
        if j >= s.len() || s[j] == b'>' || s[j] == b'<' {
            break;
        }
        let an = j;
        while j < s.len() && j - an < MAX_ATTR && !s[j].is_ascii_whitespace() && !matches!(s[j], b'/' | b'>' | b'=') {
            j += 1;
        }
        let aname = &s[an..j];
        while j < s.len() && s[j].is_ascii_whitespace() {
            j += 1;
        }
        let mut val: &[u8] = b"";
        if s.get(j) == Some(&b'=') {
            j += 1;
            while j < s.len() && s[j].is_ascii_whitespace() {
                j += 1;
            }
            match s.get(j) {
                Some(&q @ (b'"' | b'\'' | b'`')) => {
                    let vs = j + 1;
                    // Attribute values in attacks are short; an unclosed
                    // quote must not make every `<` scan to the end.
                    let lim = (vs + MAX_ATTR).min(s.len());
                    let ve = memchr::memchr(q, &s[vs..lim]).map_or(lim, |p| vs + p);
                    val = &s[vs..ve];
                    j = (ve + 1).min(s.len());
                }
                _ => {
                    let vs = j;
                    while j < s.len() && j - vs < MAX_ATTR && !s[j].is_ascii_whitespace() && s[j] != b'>' {
                        j += 1;
                    }
                    val = &s[vs..j];
                }
            }
        }
        if aname.is_empty() {
            j += 1;
            continue;
        }
        attrs.push((aname, val));
        if attrs.len() > 64 {
            break;
        }
    }
    *budget = budget.saturating_sub(j - i);
    Some(Tag { name, attrs })
}

fn is_event_attr(a: &[u8]) -> bool {
    a.len() > 4 && a.starts_with(b"on") && a[2..].iter().all(|b| b.is_ascii_alphabetic())
}

fn judge_tag(tag: &Tag<'_>, after: &[u8]) -> Option<(Confidence, &'static str)> {
    for (a, v) in &tag.attrs {
        if is_event_attr(a) {
            return Some((High, "event handler attribute"));
        }
        if URL_ATTRS.contains(a) && script_url(v) {
            return Some((High, "script URL in attribute"));
        }
        if *a == b"style"
            && (find(v, b"expression(").is_some()
                || find(v, b"javascript:").is_some()
                || find(v, b"-moz-binding").is_some()
                || find(v, b"behavior:").is_some())
        {
            return Some((High, "script in style attribute"));
        }
        if *a == b"srcdoc" {
            return Some((High, "srcdoc attribute"));
        }
    }
    let has = |n: &[u8]| tag.attrs.iter().any(|(a, _)| *a == n);
    // `x:script`, `v:vmlframe`: a namespace prefix does not change the element.
    let name = tag.name.rsplit(|&b| b == b':').next().unwrap_or(tag.name);
    match name {
        b"script" => Some((High, "script tag")),
        b"iframe" | b"frame" | b"frameset" => Some((Low, "frame tag")),
        b"base" | b"link" if has(b"href") => Some((High, "base or link tag with href")),
        b"object" | b"embed" | b"applet" if has(b"data") || has(b"src") || has(b"code") || has(b"classid") => {
            Some((High, "plugin tag with content"))
        }
        b"vmlframe" if has(b"src") => Some((High, "VML frame with src")),
        b"object" | b"embed" | b"applet" | b"base" | b"import" | b"vmlframe" | b"xss" | b"portal" => Some((Medium, "active content tag")),
        b"meta" if has(b"http-equiv") => Some((High, "meta http-equiv")),
        b"style" => {
            let body = &after[..after.len().min(512)];
            let active = [&b"@import"[..], b"expression(", b"-moz-binding", b"behavior:", b"javascript:", b"url("]
                .iter()
                .any(|k| find(body, k).is_some());
            Some(if active { (High, "style tag loading or running code") } else { (Low, "style tag") })
        }
        b"svg" | b"math" | b"xml" => Some((Low, "SVG/MathML/XML island")),
        b"link" => Some((Low, "link tag")),
        _ => None,
    }
}

/// DOM event names (after `on`) by prefix, so new events (`onwebkit…`,
/// `onpointer…`) are known too.
const EVENT_PREFIXES: &[&[u8]] = &[
    b"abort",
    b"activate",
    b"after",
    b"animation",
    b"auxclick",
    b"before",
    b"begin",
    b"blur",
    b"bounce",
    b"can",
    b"change",
    b"click",
    b"close",
    b"content",
    b"context",
    b"copy",
    b"cuechange",
    b"cut",
    b"dblclick",
    b"deactivate",
    b"drag",
    b"drop",
    b"durationchange",
    b"emptied",
    b"end",
    b"error",
    b"finish",
    b"focus",
    b"formdata",
    b"fullscreen",
    b"gotpointer",
    b"hashchange",
    b"help",
    b"input",
    b"invalid",
    b"key",
    b"load",
    b"lostpointer",
    b"message",
    b"mouse",
    b"move",
    b"offline",
    b"online",
    b"page",
    b"paste",
    b"pause",
    b"play",
    b"pointer",
    b"popstate",
    b"progress",
    b"propertychange",
    b"ratechange",
    b"readystatechange",
    b"repeat",
    b"reset",
    b"resize",
    b"scroll",
    b"search",
    b"security",
    b"seek",
    b"select",
    b"show",
    b"stalled",
    b"start",
    b"storage",
    b"submit",
    b"suspend",
    b"timeupdate",
    b"toggle",
    b"touch",
    b"transition",
    b"unload",
    b"volumechange",
    b"waiting",
    b"webkit",
    b"moz",
    b"wheel",
    b"zoom",
    b"beforeunload",
    b"hide",
    b"filterchange",
    b"layoutcomplete",
    b"losecapture",
    b"row",
    b"data",
    b"cell",
];

/// `onload=`, `" onzoom =`: an event handler written into an attribute
/// context, with no tag of its own.
fn bare_event(s: &[u8]) -> Option<(usize, bool)> {
    for at in super::find_all(s, b"on") {
        if at > 0 && s[at - 1].is_ascii_alphanumeric() {
            continue;
        }
        let name_end = at + 2 + s[at + 2..].iter().take(40).take_while(|b| b.is_ascii_alphabetic()).count();
        let ev = &s[at + 2..name_end];
        if ev.len() < 3 || !EVENT_PREFIXES.iter().any(|p| ev.starts_with(p)) {
            continue;
        }
        let mut j = name_end;
        while j < s.len() && s[j].is_ascii_whitespace() {
            j += 1;
        }
        if s.get(j) != Some(&b'=') || s.get(j + 1) == Some(&b'=') {
            continue;
        }
        // After a quote, a blank, `/` or at the start it is an attribute.
        let attr_ctx = at == 0 || matches!(s[at - 1], b'"' | b'\'' | b'`' | b' ' | b'\t' | b'\n' | b'\r' | b'/' | b';' | 0x0b | 0x0c);
        return Some((at, attr_ctx));
    }
    None
}

fn attribute_in_name(s: &[u8]) -> Option<usize> {
    for at in super::find_all(s, b"on") {
        if at == 0 || !matches!(s[at - 1], b' ' | b'\t' | b'\n' | b'/' | b'"' | b'\'') {
            continue;
        }
        let n = s[at + 2..].iter().take(40).take_while(|b| b.is_ascii_alphabetic()).count();
        let rest = s[at + 2 + n..].trim_ascii_start();
        if n >= 3 && rest.first() == Some(&b'=') {
            return Some(at);
        }
    }
    None
}

/// `<f o r m`, `<d i a l o g`: a tag name spelled with blanks between its
/// letters (an old IE parsing quirk).
fn spaced_tag(s: &[u8]) -> Option<usize> {
    const TAGS: &[&[u8]] = &[
        b"form", b"dialog", b"script", b"iframe", b"img", b"svg", b"object", b"embed", b"frame", b"body", b"style", b"input", b"video",
        b"audio", b"details", b"marquee", b"button", b"image", b"isindex",
    ];
    for at in super::positions(s, b'<') {
        let mut letters = Vec::new();
        let mut j = at + 1;
        while j < s.len() && letters.len() < 12 && s[j].is_ascii_alphabetic() && s.get(j + 1).is_none_or(|b| b.is_ascii_whitespace()) {
            letters.push(s[j]);
            j += 1;
            while j < s.len() && s[j].is_ascii_whitespace() {
                j += 1;
            }
        }
        if letters.len() >= 3 && TAGS.contains(&letters.as_slice()) {
            return Some(at);
        }
    }
    None
}

/// Script with no markup: `alert(1)`, ``alert`1` ``, `self["alert"](…)`,
/// `(document)["cookie"]`, `document.cookie`, ``[].sort.call`…` ``.
pub(super) static SCRIPT: super::Needles = super::Needles::new(&[
    b"document.cookie",
    b"document.domain",
    b"document.location",
    b"document.write(",
    b"window.location",
    b"location.href=",
    b".innerhtml=",
    b"(document)[",
    b"string.fromcharcode(",
    b".call`",
    b".apply`",
    b"document.queryselector",
    b"document.getelementby",
    b"document.createelement(",
    b"document.body",
    b"document.forms",
    b".appendchild(",
    b".textcontent=",
    b".outerhtml=",
    b"url(javascript",
    b"-moz-binding",
    b"behavior:url(",
    b"<?import",
    b"www.w3.org/2001/xinclude",
]);
/// Reasons the judgement weighs by their kind (reading the DOM runs
/// nothing; a JS string break in editor HTML breaks no string).
const DOM_READ: &str = "DOM access";
const JS_STRING_BREAK: &str = "script string break with call";

pub(super) const SCRIPT_WHY: &[&str] = &[
    "document.cookie",
    "document.domain",
    "document.location",
    "document.write",
    "window.location",
    "location assignment",
    "innerHTML assignment",
    "bracket access to document",
    "String.fromCharCode",
    "tagged template call",
    "tagged template call",
    DOM_READ,
    DOM_READ,
    DOM_READ,
    DOM_READ,
    DOM_READ,
    "DOM insertion",
    "DOM text assignment",
    "outerHTML assignment",
    "javascript: URL in CSS",
    "CSS binding",
    "CSS behavior",
    "IE import",
    "XInclude",
];

/// `(![]+[])[+!+[]]`: JavaScript written with six characters (JSFuck);
/// blanks may stand for the `+` a form decoder turned into spaces.
fn jsfuck(s: &[u8]) -> Option<usize> {
    let p = find(s, b"![]")?;
    let set = |b: u8| matches!(b, b'[' | b']' | b'(' | b')' | b'!' | b'+' | b' ');
    let run = s[p..].iter().take_while(|&&b| set(b)).count();
    let start = s[..p].iter().rev().take_while(|&&b| set(b)).count();
    let marks = s[p - start..p + run].iter().filter(|&&b| b != b' ').count();
    let pairs = memchr::memmem::find_iter(&s[p - start..p + run], b"[]").count();
    // `+!![]` alone: a shorter run when it is the whole value.
    let whole = s.trim_ascii().len() == s[p - start..p + run].trim_ascii().len();
    (marks >= 6 && pairs >= 2 || whole && marks >= 4).then_some(p - start)
}

/// The value without blanks around `.`, backticks, brackets, braces and
/// `$` (`[ ] . sort . call ` ${ alert } ``), when it has such blanks.
fn without_spaced_punctuation(s: &[u8]) -> Option<Vec<u8>> {
    let glue = |b: u8| matches!(b, b'.' | b'`' | b'[' | b']' | b'{' | b'}' | b'$');
    if s.len() > 4096 || !s.windows(2).any(|w| w[0] == b' ' && glue(w[1]) || glue(w[0]) && w[1] == b' ') {
        return None;
    }
    let mut out = Vec::with_capacity(s.len());
    // The first non-blank byte after the current run of blanks, found once
    // per run (once per blank made a value of blanks quadratic).
    let mut next_solid: Option<(usize, Option<u8>)> = None;
    for (i, &b) in s.iter().enumerate() {
        if b.is_ascii_whitespace() {
            let prev = out.last().copied();
            let next = match next_solid {
                Some((at, c)) if at > i => c,
                _ => {
                    let at = s[i + 1..].iter().position(|c| !c.is_ascii_whitespace()).map_or(s.len(), |k| i + 1 + k);
                    let c = s.get(at).copied();
                    next_solid = Some((at, c));
                    c
                }
            };
            if prev.is_some_and(glue) || next.is_some_and(glue) {
                continue;
            }
        }
        out.push(b);
    }
    Some(out)
}

/// The value with JavaScript comments and blanks removed, when it has
/// comments: `document /*x*/ . cookie` reads as `document.cookie`.
fn without_js_comments(s: &[u8]) -> Option<Vec<u8>> {
    find(s, b"/*")?;
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i..].starts_with(b"/*") {
            i = find(&s[i + 2..], b"*/").map_or(s.len(), |q| i + 4 + q);
            continue;
        }
        if !s[i].is_ascii_whitespace() {
            out.push(s[i]);
        }
        i += 1;
    }
    Some(out)
}

fn bare_script(s: &[u8]) -> Option<(usize, &'static str)> {
    if let Some(at) = jsfuck(s) {
        return Some((at, "JSFuck-encoded script"));
    }
    if let Some(c) = without_js_comments(s)
        && let Some((_, why)) = bare_script_plain(&c)
    {
        return Some((0, why));
    }
    if let Some(c) = without_spaced_punctuation(s)
        && let Some((_, why)) = bare_script_plain(&c)
    {
        return Some((0, why));
    }
    bare_script_plain(s)
}

fn bare_script_plain(s: &[u8]) -> Option<(usize, &'static str)> {
    if let Some((p, at)) = SCRIPT.iter(s).next() {
        return Some((at, SCRIPT_WHY[p]));
    }
    let has = |b: u8| memchr::memchr(b, s).is_some();
    for g in [&b"self["[..], b"window[", b"top[", b"parent[", b"this[", b"globalthis[", b"frames["].into_iter().filter(|_| has(b'[')) {
        if let Some(at) = find(s, g)
            && (at == 0 || !is_ident(s[at - 1]))
            && matches!(s.get(at + g.len()), Some(b'"' | b'\'' | b'`' | b'/'))
        {
            return Some((at, "bracket access to a global object"));
        }
    }
    for f in [&b"alert"[..], b"confirm", b"prompt", b"setinterval", b"settimeout", b"atob", b"btoa", b"eval"]
        .into_iter()
        .filter(|_| has(b'(') || has(b'`'))
    {
        for at in super::find_all(s, f) {
            if at > 0 && (is_ident(s[at - 1]) || s[at - 1] == b'.' && !s[..at].ends_with(b"window.")) {
                continue;
            }
            // `eval(s)` in a post about Python or JavaScript: eval is a
            // payload with a string, a decoder or a page-controlled source
            // to run, not with a plain variable or nothing.
            if f == b"eval" && s.get(at + 4) == Some(&b'(') {
                let arg = s[at + 5..].trim_ascii_start();
                const SOURCES: &[&[u8]] = &[
                    b"atob",
                    b"unescape",
                    b"decodeuri",
                    b"string.fromcharcode",
                    b"location",
                    b"name",
                    b"document",
                    b"window",
                    b"top.",
                    b"self.",
                    b"this.",
                    b"parent.",
                    b"/",
                ];
                if !matches!(arg.first(), Some(b'\'' | b'"' | b'`')) && !SOURCES.iter().any(|p| arg.starts_with(p)) {
                    continue;
                }
            }
            match s.get(at + f.len()) {
                Some(b'(') if memchr::memchr(b')', &s[at..(at + 128).min(s.len())]).is_some() => return Some((at, "dialog call")),
                Some(b'`') => return Some((at, "dialog call")),
                _ => {}
            }
        }
    }
    None
}

const SINKS: &[&[u8]] = &[
    b"alert",
    b"prompt",
    b"confirm",
    b"eval",
    b"settimeout",
    b"setinterval",
    b"fetch",
    b"import",
    b"function",
    b"constructor",
    b"document.",
    b"window.",
    b"top.",
    b"self.",
    b"parent.",
    b"location",
    b"atob",
    b"string.fromcharcode",
    b"globalthis",
];

fn sink_at(s: &[u8], i: usize) -> bool {
    let rest = &s[i..];
    SINKS.iter().any(|k| rest.starts_with(k) && (k.ends_with(b".") || !rest.get(k.len()).is_some_and(|&b| is_ident(b))))
}

pub fn check(t: &Target<'_>) -> Option<Hit> {
    // `/go/javascript:alert(1)`: a path-based redirect to a script URL.
    if let Some((tail, off)) = t.path_tail(|b| b == b':')
        && let Some(h) = check(&tail).filter(|h| h.confidence == High)
    {
        return Some(h.shifted(off));
    }
    let s = t.norm;
    // A path is read only when it has markup or quote characters.
    if t.kind == Kind::Path && !s.iter().any(|&b| matches!(b, b'<' | b'"' | b'\'' | b'`')) {
        return None;
    }
    let mut best: Option<(Confidence, &'static str, usize)> = None;
    let mut consider = |c: Confidence, why: &'static str, at: usize| {
        if best.as_ref().is_none_or(|b| c > b.0) {
            best = Some((c, why, at));
        }
    };
    // Tags. Tag parsing restarts at every `<` (a tag may hide inside an
    // attribute value), so the bytes it may revisit are budgeted to keep
    // the whole scan linear.
    let mut budget = 4 * s.len() + 4096;
    for at in super::positions(s, b'<') {
        if budget == 0 {
            break;
        }
        if s.get(at + 1) == Some(&b'/') && s[at + 2..].starts_with(b"script") {
            consider(High, "closing script tag", at);
        }
        if let Some(tag) = parse_tag(s, at, &mut budget)
            && let Some((c, why)) = judge_tag(&tag, &s[at..])
        {
            consider(c, why, at);
            if c == High {
                break;
            }
        }
    }
    // Attribute-context break: `" onmouseover=alert(1) x="`.
    for q in [b'"', b'\''] {
        for at in super::positions(s, q) {
            let (i, p) = (at, 0);
            let mut j = i + p + 1;
            let mut sep = false;
            while j < s.len() && (s[j].is_ascii_whitespace() || s[j] == b'/' || s[j] == b'>') {
                sep = true;
                j += 1;
            }
            let an = j;
            while j < s.len() && s[j].is_ascii_alphabetic() {
                j += 1;
            }
            let name = &s[an..j];
            while j < s.len() && s[j].is_ascii_whitespace() {
                j += 1;
            }
            if sep && is_event_attr(name) && s.get(j) == Some(&b'=') {
                consider(High, "attribute break with event handler", i + p);
            }
            // `'formaction=`, `" srcdoc=`: attributes that load or run content.
            if matches!(name, b"formaction" | b"srcdoc") && s.get(j) == Some(&b'=') {
                consider(High, "attribute break with formaction/srcdoc", i + p);
            }
            // JS string break: `';alert(1)//`, `"-alert(1)-"`
            let mut k = i + p + 1;
            let mut ops = 0;
            while k < s.len()
                && (matches!(s[k], b';' | b'-' | b'+' | b'*' | b'/' | b'|' | b'&' | b')' | b',' | b'}') || s[k].is_ascii_whitespace())
            {
                if !s[k].is_ascii_whitespace() {
                    ops += 1;
                }
                k += 1;
            }
            if ops > 0 && k < s.len() && sink_at(s, k) {
                let mut e = k;
                while e < s.len() && (is_ident(s[e]) || s[e] == b'.') {
                    e += 1;
                }
                if matches!(s.get(e), Some(b'(' | b'`' | b'[' | b'=')) || s[k..e].ends_with(b".") {
                    consider(High, JS_STRING_BREAK, i + p);
                }
            }
        }
    }
    // A value that is itself a script URL (`?next=javascript:alert(1)`).
    if t.kind != Kind::Header || t.key.eq_ignore_ascii_case("referer") {
        let lead = scheme_of(s);
        if (lead.starts_with(b"javascript:") || lead.starts_with(b"vbscript:")) && s.len() > 12 {
            consider(High, "javascript: URL", 0);
        } else if let Some(p) = find(s, b"javascript:")
            && (p == 0 || !is_ident(s[p - 1]))
        {
            // `url(javascript:alert(1))`: the scheme with a call after it.
            let rest = &s[p + 11..(p + 64).min(s.len())];
            let call = rest
                .iter()
                .position(|&b| b == b'(' || b == b'`')
                .is_some_and(|q| q > 0 && rest[..q].iter().all(|&b| is_ident(b) || b == b'.' || b == b' '));
            consider(if call { High } else { Medium }, "javascript: scheme", p);
        }
    }
    if let Some((at, attr_ctx)) = bare_event(s) {
        consider(if attr_ctx { High } else { Medium }, "event handler attribute outside a tag", at);
    }
    if let Some(at) = spaced_tag(s) {
        consider(High, "tag name spelled with blanks", at);
    }
    if let Some((at, why)) = bare_script(s) {
        // Reading the DOM (`document.querySelector("#cart")`) runs nothing
        // and fills real JS error reports and developer posts; writing to
        // it, cookies and navigation do.
        consider(if why == DOM_READ { Low } else { High }, why, at);
    }
    // Client-side template injection (AngularJS sandbox escapes).
    if let Some(p) = find(s, b"{{") {
        let inner = &s[p..];
        if find(inner, b"constructor").is_some() || find(inner, b"$eval").is_some() || find(inner, b"$on").is_some() {
            consider(High, "client-side template expression", p);
        }
    }
    // `  onabcdefgh=` as an argument name: a blank, then `on…=`, opens an
    // attribute (any name: browsers add events); no form names a field so.
    if t.kind == Kind::Name
        && let Some(at) = attribute_in_name(s)
    {
        consider(High, "event handler attribute in a parameter name", at);
    }
    let (mut c, why, at) = best?;
    // `<code>add_filter('x', function($l) {…})</code>` in an editor's post:
    // a JS string "break" in text between tags breaks no string.
    if why == JS_STRING_BREAK && t.rich_text() {
        c = c.min(Medium);
    }
    // Cookies are set by the server: markup in one was put there by hand.
    let c = if t.kind == Kind::Cookie { High } else { c };
    Some(Hit::new(3001, c, format!("XSS: {why}"), at).why(why))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(s: &str) -> Option<Confidence> {
        crate::testutil::confidence(check, s)
    }

    #[test]
    fn reads_an_attribute_in_a_parameter_name() {
        use crate::testutil::target_kind;
        let name = |s: &str| {
            let (norm, ev) = crate::normalize::normalize(s.as_bytes());
            check(&target_kind(s.as_bytes(), &norm, ev, Kind::Name)).map(|h| h.confidence)
        };
        assert_eq!(name("  onabcdefgh= "), Some(High));
        assert_eq!(conf("+!![]"), Some(High));
        assert_eq!(conf("(![]+[])[+[]]"), Some(High));
        assert_eq!(conf("[]"), None);
        assert_eq!(conf("print(\"{}\".format(fn(eval(s))))"), None);
        assert_eq!(conf("executed via the eval() function"), None);
        assert_eq!(conf("eval(atob('YWxlcnQoMSk='))"), Some(High));
        assert_eq!(conf("eval(location.hash.slice(1))"), Some(High));
        assert_eq!(conf("(+)"), None);
        assert_eq!(name("x\" onfoo="), Some(High));
        assert_eq!(name("online"), None);
        assert_eq!(name("button_on"), None);
        assert_eq!(name("turn on="), None);
    }

    #[test]
    fn catches_script_forms() {
        for a in [
            "<script>alert(1)</script>",
            "\" onzoom=alert(1)",
            "  onload= ",
            "<x:script xmlns:x=\"http://www.w3.org/1999/xhtml\" src=\"data:,alert(1)\" />",
            "<f o r m action=x>",
            "self[\"alert\"](1)",
            "(document)[\"cookie\"]",
            "confirm()",
            "[].sort.call`${alert}1337`",
            "<style>@import'http://x/x.css';</style>",
            "<link href=\"xss.js\" rel=stylesheet>",
            "style=x:url(javascript:alert(1))",
            "<img src=x onerror=alert(1)>",
            "<svg/onload=alert(1)>",
            "<a href=\"java\tscript:alert(1)\">x</a>",
            "\" onmouseover=\"alert(1)",
            "'><script>alert(1)</script>",
            "javascript:alert(document.cookie)",
            "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            "&lt;img src=x onerror=alert(1)&gt;",
            "<body onload=alert(1)>",
            "';alert(1)//",
            "\"-alert(1)-\"",
            "<iframe srcdoc=\"<script>alert(1)</script>\">",
            "<div style=\"width: expression(alert(1))\">",
            "{{constructor.constructor('alert(1)')()}}",
            "<details open ontoggle=alert(1)>",
            "[  ] . sort . call ` ${ alert } 1337 `",
            "(![] [])[ ! []]",
            "<v:vmlframe src=\"foo.com/sup.fml\"/>",
            "x'formaction=javascript:alert(1)",
        ] {
            assert_eq!(conf(a), Some(High), "{a}");
        }
    }

    #[test]
    fn editor_html_passes() {
        for b in [
            "<p>안녕하세요</p><img src=\"/data/editor/1.jpg\" alt=\"사진\">",
            "<a href=\"https://example.com/a?b=1\">link</a>",
            "<span style=\"color: rgb(255, 0, 0);\">red</span><br><strong>bold</strong>",
            "I <3 this, 2 < 3 and 5 > 4",
            "He said \"hello\" - then left",
            "<table><tr><td>cell</td></tr></table>",
            "turn the light on = save power",
            "we went on a long walk",
            "please confirm (yes/no)",
            "red alert level",
            "the document cookie policy",
            "see section [ 3 ] . then go on",
            "costs $ 5 . 00 { approx }",
            "wow! [] is empty",
        ] {
            assert_eq!(conf(b), None, "{b}");
        }
    }
}
