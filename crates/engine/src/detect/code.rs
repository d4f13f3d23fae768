//! Code injection: PHP (tags, dangerous functions, stream wrappers,
//! serialized objects), server-side templates, JNDI lookups (Log4Shell,
//! including nested obfuscation), Java/.NET deserialization markers, and
//! Spring class-loader manipulation.

use haetae_model::Confidence::{self, High, Medium};

use super::{Hit, Kind, Target, find, is_ident};

const PHP_FUNCS_HIGH: &[&[u8]] = &[
    b"system",
    b"exec",
    b"shell_exec",
    b"passthru",
    b"popen",
    b"proc_open",
    b"pcntl_exec",
    b"eval",
    b"assert",
    b"create_function",
    b"phpinfo",
    b"call_user_func",
    b"call_user_func_array",
    b"preg_replace",
    b"file_put_contents",
    b"fsockopen",
    b"show_source",
    b"highlight_file",
    b"move_uploaded_file",
];
const PHP_FUNCS_MED: &[&[u8]] = &[
    b"base64_decode",
    b"gzinflate",
    b"gzuncompress",
    b"str_rot13",
    b"file_get_contents",
    b"fopen",
    b"readfile",
    b"include",
    b"include_once",
    b"require",
    b"require_once",
    b"unserialize",
    b"ini_set",
    b"chr",
    b"getenv",
];

/// Every call `name(` in `s`, in one pass over the parentheses: the name
/// (blanks and `/* */` comments may stand before the `(`), where it
/// starts, and where its arguments start.
fn calls(s: &[u8]) -> impl Iterator<Item = (&[u8], usize, usize)> {
    super::positions(s, b'(').filter_map(move |paren| {
        let mut e = paren;
        for _ in 0..8 {
            while e > 0 && s[e - 1].is_ascii_whitespace() {
                e -= 1;
            }
            if e >= 2 && &s[e - 2..e] == b"*/" {
                let lo = e.saturating_sub(256);
                e = lo + find_last(&s[lo..e - 2], b"/*")?;
            } else {
                break;
            }
        }
        let start = e - s[..e].iter().rev().take(32).take_while(|&&b| is_ident(b)).count();
        if start == e {
            return None;
        }
        // Not a method (`os.system(`), but PHP's concatenation out of a
        // string (`".system('id')."`) is a call.
        let concatenated = start >= 2 && s[start - 1] == b'.' && matches!(s[start - 2], b'"' | b'\'');
        let before_ok = start == 0 || !is_ident(s[start - 1]) && s[start - 1] != b'.' && s[start - 1] != b'-' || concatenated;
        before_ok.then_some((&s[start..e], start, paren + 1))
    })
}

fn find_last(h: &[u8], n: &[u8]) -> Option<usize> {
    memchr::memmem::rfind(h, n)
}

/// Arguments that look like code, not prose: a string, a variable, a
/// nested call, or nothing (`phpinfo()`).
fn code_args(s: &[u8]) -> bool {
    let s = &s[s.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(s.len())..];
    match s.first() {
        None => true,
        Some(b'\'' | b'"' | b'$' | b'`' | b')' | b'_' | b'@') => true,
        Some(b) if b.is_ascii_alphabetic() => {
            let w = s.iter().take_while(|&&b| is_ident(b) || b == b'.').count();
            matches!(s.get(w), Some(b'(' | b'[')) || s[..w].starts_with(b"chr")
        }
        _ => false,
    }
}

/// Resolves Log4j lookups that only produce text (`${lower:j}`, `${::-n}`,
/// `${env:X:-d}`) until stable, so `${${lower:j}ndi:ldap://…}` reads as
/// `${jndi:ldap://…}`.
fn resolve_lookups(s: &[u8]) -> Vec<u8> {
    let mut cur = s.to_vec();
    for _ in 0..32 {
        // innermost `${...}` that holds no other `${`
        let mut changed = false;
        let mut i = 0;
        let mut out = Vec::with_capacity(cur.len());
        while i < cur.len() {
            if cur[i] == b'$' && cur.get(i + 1) == Some(&b'{') {
                let body_start = i + 2;
                // Lookup bodies are short; a bounded window keeps hostile
                // runs of `${` linear.
                let window = &cur[body_start..(body_start + 256).min(cur.len())];
                if let Some(rel_end) = memchr::memchr(b'}', window) {
                    let body = &cur[body_start..body_start + rel_end];
                    if find(body, b"${").is_none() && !body.starts_with(b"jndi:") {
                        let replacement: Option<Vec<u8>> = if let Some(p) = find(body, b":-") {
                            Some(body[p + 2..].to_vec())
                        } else {
                            body.strip_prefix(b"lower:").or_else(|| body.strip_prefix(b"upper:")).map(<[u8]>::to_vec)
                        };
                        if let Some(r) = replacement {
                            out.extend_from_slice(&r);
                            i = body_start + rel_end + 1;
                            changed = true;
                            continue;
                        }
                    }
                }
            }
            out.push(cur[i]);
            i += 1;
        }
        cur = out;
        if !changed {
            break;
        }
    }
    cur
}

fn php_serialized(s: &[u8]) -> Option<usize> {
    // O:8:"stdClass":1:{ ... } or C:…
    let mut i = 0;
    while let Some(p) = memchr::memchr2(b'o', b'c', &s[i..]) {
        let at = i + p;
        let rest = &s[at..];
        if rest.get(1) == Some(&b':') && (at == 0 || !is_ident(s[at - 1])) {
            // `O:+8:"…"`: PHP's unserialize reads a sign before the length.
            let mut j = if rest.get(2) == Some(&b'+') { 3 } else { 2 };
            let d0 = j;
            while rest.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            if j > d0 && rest.get(j) == Some(&b':') && rest.get(j + 1) == Some(&b'"') {
                return Some(at);
            }
        }
        i = at + 1;
    }
    None
}

/// `${class.getClassLoader()}`, `#{session.setAttribute("a","b")}`: an
/// EL expression (JSP, JSF, Spring) reaching reflection or servlet state.
/// Only inside `${…}`/`#{…}`: `obj.getClass()` in a post about Java is text.
fn el_reflection(s: &[u8]) -> Option<usize> {
    const WORDS: &[&[u8]] = &[
        b"getclass(",
        b"getclassloader(",
        b"classloader",
        b"forname(",
        b"getruntime(",
        b"session.setattribute(",
        b"application.setattribute(",
        b"getsession(",
        b"getmethod(",
        b".invoke(",
        b"newinstance(",
    ];
    for open in [&b"${"[..], b"#{"] {
        for at in memchr::memmem::find_iter(s, open).take(16) {
            let inner = &s[at + 2..];
            let inner = &inner[..memchr::memchr(b'}', inner).unwrap_or(inner.len()).min(256)];
            if WORDS.iter().any(|w| find(inner, w).is_some()) {
                return Some(at);
            }
        }
    }
    None
}

/// `${{<%[%'"}}%\.`: the polyglot template scanners send to learn which
/// engine renders — openers of three or more template languages together.
fn template_polyglot(s: &[u8]) -> Option<usize> {
    let openers: [&[u8]; 6] = [b"${", b"{{", b"<%", b"#{", b"{%", b"[["];
    let found: Vec<usize> = openers.iter().filter_map(|o| find(&s[..s.len().min(256)], o)).collect();
    (found.len() >= 3).then(|| found.into_iter().min().unwrap_or(0))
}

/// Expression-language and template constructs that run code.
pub(super) static EXPRESSIONS: super::Needles = super::Needles::new(&[
    b"${t(",
    b"#{t(",
    b"<#assign",
    b"?new()",
    b"freemarker.template.utility.execute",
    b"#set($",
    b"@java.lang.",
    b"#_memberaccess",
    b"(#context",
]);
pub(super) const EXPRESSION_WHY: &[&str] = &[
    "Spring EL type reference",
    "Spring EL type reference",
    "FreeMarker assign",
    "FreeMarker ?new()",
    "FreeMarker Execute",
    "Velocity directive",
    "OGNL static access",
    "OGNL member access",
    "OGNL context",
];

/// Python calls that run commands or import by name. Only calls given an
/// argument count: documentation names them bare (``__import__()``).
static PYTHON: super::Needles = super::Needles::new(&[
    b"__import__(",
    b"os.system(",
    b"os.popen(",
    b"subprocess.popen(",
    b"subprocess.check_output(",
    b"subprocess.call(",
    b"subprocess.run(",
    b"pty.spawn(",
]);

/// `<!--#exec cmd="id" -->`, `<!--#include virtual="/etc/passwd" -->`:
/// Apache/nginx SSI, run by the server when the value lands in a page.
fn ssi_directive(s: &[u8]) -> Option<usize> {
    const DIRECTIVES: &[&[u8]] =
        &[b"exec", b"include", b"echo", b"set", b"config", b"printenv", b"fsize", b"flastmod", b"if", b"elif", b"else", b"endif"];
    memchr::memmem::find_iter(s, b"<!--#").find(|&at| {
        let rest = s[at + 5..].trim_ascii_start();
        DIRECTIVES.iter().any(|d| rest.starts_with(d) && rest.get(d.len()).is_none_or(|b| !b.is_ascii_alphanumeric()))
    })
}

fn python_call(s: &[u8]) -> Option<usize> {
    PYTHON.iter(s).find_map(|(p, at)| {
        let arg = s[at + PYTHON.pattern(p).len()..].trim_ascii_start();
        matches!(arg.first(), Some(b'\'' | b'"' | b'[')).then_some(at)
    })
}

/// YAML tags that make PyYAML, Ruby's Psych or SnakeYAML build an object
/// of the sender's choosing (`!!python/object/apply:os.system ["id"]`).
static YAML_TAGS: super::Needles = super::Needles::new(&[
    b"!!python/object",
    b"!!python/name:",
    b"!!python/module:",
    b"!ruby/object:",
    b"!ruby/hash:",
    b"!!ruby/object:",
    b"!!javax.",
    b"!!java.",
    b"!!com.sun.",
    b"!!org.springframework.",
]);
const YAML_TAG_WHY: &[&str] = &[
    "a Python object",
    "a Python name",
    "a Python module",
    "a Ruby object",
    "a Ruby object",
    "a Ruby object",
    "a Java object",
    "a Java object",
    "a Java object",
    "a Java object",
];

/// `cos\nsystem\n(S'id'\ntR.`: a protocol-0 pickle whose GLOBAL opcode
/// names a function that runs commands, later REDUCEd (called).
fn pickle_global_call(s: &[u8]) -> Option<usize> {
    const GLOBALS: &[&[u8]] = &[
        b"cos\nsystem",
        b"cos\npopen",
        b"cposix\nsystem",
        b"cnt\nsystem",
        b"csubprocess\n",
        b"c__builtin__\neval",
        b"c__builtin__\nexec",
        b"cbuiltins\neval",
        b"cbuiltins\nexec",
        b"ccommands\n",
        b"cpty\nspawn",
    ];
    let at = GLOBALS.iter().filter_map(|g| find(s, g)).min()?;
    let tail = &s[at..];
    (find(tail, b"tr.").is_some() || find(tail, b"\nr").is_some() || tail.ends_with(b"r.")).then_some(at)
}

static SERIALIZED: super::Needles = super::Needles::new(&[b"rO0AB", b"KztAA", b"Cs7QAF", b"aced0005", b"ACED0005"]);

pub fn check(t: &Target<'_>) -> Option<Hit> {
    let s = t.norm;
    type Best = Option<(Confidence, std::borrow::Cow<'static, str>, usize, u32, Option<&'static str>)>;
    let mut best: Best = None;
    // `shape` for reasons built from the input; a fixed reason names its own.
    fn consider(
        best: &mut Best,
        c: Confidence,
        why: impl Into<std::borrow::Cow<'static, str>>,
        at: usize,
        id: u32,
        shape: Option<&'static str>,
    ) {
        if best.as_ref().is_none_or(|b| c > b.0) {
            *best = Some((c, why.into(), at, id, shape));
        }
    }
    if t.kind == Kind::Name {
        // Spring4Shell and friends: class.module.classLoader...
        if s.starts_with(b"class.") || find(s, b".classloader.").is_some() || s.starts_with(b"class[") {
            consider(&mut best, High, "Java: class loader manipulation in parameter name", 0, 2305, None);
        }
    }
    // `/item/${jndi:ldap://x/a}`, `/page/{{7*7}}`, `/x/<?php …`,
    // `/view/php://filter/…`, `/item/';system('id');'` (a call needs `(`).
    if let Some((tail, off)) = t.path_tail(|b| matches!(b, b'$' | b'{' | b'<' | b'%' | b'#' | b'!' | b':' | b'('))
        && let Some(h) = check(&tail).filter(|h| h.confidence == High)
    {
        return Some(h.shifted(off));
    }
    if t.kind == Kind::Path {
        // `/get/unpack()`, `/x/array_diff (`: a path segment that is a
        // PHP call, for routers that hand segments to `call_user_func`.
        let mut off = 0;
        for seg in s.split(|&b| b == b'/') {
            if memchr::memchr(b'(', seg).is_some()
                && let Some(f) = super::php::leading_call(seg)
            {
                return Some(Hit::new(2302, High, format!("code: a path segment is a call to {f}()"), off).shape("code.path-segment-call"));
            }
            off += seg.len() + 1;
        }
        return None;
    }
    // ThinkPHP's `\think\app/invokefunction` route (CVE-2018-20062).
    if let Some(at) = find(s, b"invokefunction")
        && find(s, b"think").is_some()
    {
        consider(&mut best, High, "code: ThinkPHP invokefunction route", at, 2302, None);
    }
    // `function=call_user_func_array`: a PHP function passed by name to a
    // parameter the application calls.
    if t.kind == Kind::Value && PHP_FUNCS_HIGH.contains(&s.trim_ascii()) {
        let k = t.key.to_ascii_lowercase();
        if ["func", "callback", "method", "handler", "vars["].iter().any(|w| k.contains(w)) {
            consider(&mut best, High, "code: PHP function name passed as a callback", 0, 2302, None);
        }
    }
    let has = |b: u8| memchr::memchr(b, s).is_some();
    if has(b'$') && has(b'{') {
        let r = resolve_lookups(s);
        if let Some(at) = find(&r, b"${jndi:") {
            consider(&mut best, High, "JNDI lookup (Log4Shell)", at.min(s.len().saturating_sub(1)), 2501, None);
        }
    }
    if (has(b'<') || has(b'[') || has(b'{'))
        && let Some(at) = super::php::open_tag(s)
    {
        consider(&mut best, High, "PHP opening tag", at, 2301, None);
    }
    if has(b'$') {
        if let Some(at) = super::php::superglobal(s) {
            consider(&mut best, High, "PHP superglobal", at, 2307, None);
        }
        if let Some(at) = super::php::variable_variable(s) {
            consider(&mut best, High, "PHP variable variable", at, 2308, None);
        }
        if has(b'(')
            && let Some(at) = super::php::variable_call(s)
        {
            consider(&mut best, High, "PHP: variable called as a function", at, 2308, None);
        }
    }
    if has(b'=')
        && t.kind == Kind::Value
        && let Some(at) = super::php::ini_directive(s)
    {
        consider(&mut best, High, "PHP configuration directive (PHP-CGI argument injection)", at, 2310, None);
    }
    if has(b'(') {
        if let Some(at) = super::php::concatenated_name(s) {
            consider(&mut best, High, "PHP: string pieces joined into a function name", at, 2309, None);
        }
        if let Some(at) = super::php::dynamic_call(s) {
            consider(&mut best, High, "PHP: string or expression called as a function", at, 2309, None);
        }
        if let Some(f) = super::php::leading_call(s) {
            let why = if !super::php::is_family_prefix(f) {
                format!("code: the value is a call to {f}()")
            } else {
                format!("code: the value is a call to a PHP {f}… function")
            };
            consider(&mut best, High, why, 0, 2302, Some("code.leading-call"));
        }
    }
    if has(b'(') {
        // `exec(`/`system(` need an argument that looks like code or a string.
        for (name, at, args) in calls(s) {
            let c = if PHP_FUNCS_HIGH.contains(&name) {
                High
            } else if PHP_FUNCS_MED.contains(&name) {
                Medium
            } else {
                continue;
            };
            // `exec()`, "the built-in eval() function": these run nothing
            // without an argument; prose about them writes them so.
            // `gzuncompress/*x*/()`: a comment between the name and its
            // parenthesis is there to slip past a filter; prose has none.
            let commented = find(&s[at + name.len()..args], b"*/").is_some();
            let empty = s[args..].trim_ascii_start().starts_with(b")");
            if empty && !commented && !matches!(name, b"phpinfo" | b"get_defined_vars" | b"getcwd" | b"posix_getpwuid" | b"phpversion") {
                continue;
            }
            let c = if commented { High } else { c };
            if code_args(&s[args..]) {
                consider(&mut best, c, format!("code: call to {}()", String::from_utf8_lossy(name)), at, 2302, Some("code.function-call"));
                if c == High {
                    break;
                }
            }
        }
    }
    if has(b':') {
        for (w, c) in [
            (&b"php://"[..], High),
            (b"phar://", High),
            (b"expect://", High),
            (b"zip://", Medium),
            (b"compress.zlib://", Medium),
            (b"data://", Medium),
            (b"glob://", Medium),
            (b"ssh2.sftp://", High),
            (b"ssh2.shell://", High),
            (b"ssh2.exec://", High),
            (b"ssh2.tunnel://", High),
            (b"ssh2.scp://", High),
            (b"rar://", Medium),
            (b"ogg://", Medium),
            (b"compress.bzip2://", Medium),
        ] {
            if let Some(at) = find(s, w) {
                // `compress.zlib://…` as the whole value: an include target.
                let c = if at == 0 { High } else { c };
                consider(
                    &mut best,
                    c,
                    format!("PHP stream wrapper {}", String::from_utf8_lossy(w)),
                    at,
                    2303,
                    Some("code.php-stream-wrapper"),
                );
            }
        }
        if let Some(at) = php_serialized(s) {
            consider(&mut best, High, "PHP serialized object", at, 2304, None);
        }
    }
    // Java / .NET serialized objects (raw magic, hex, base64).
    // The base64 magic shifts with its offset in the encoded stream.
    if let Some((_, at)) = SERIALIZED.iter(t.raw).next() {
        consider(&mut best, High, "Java serialized object", at.min(s.len().saturating_sub(1)), 2306, None);
    }
    if has(b'!')
        && let Some((p, at)) = YAML_TAGS.iter(s).next()
    {
        consider(&mut best, High, format!("code: YAML tag that constructs {}", YAML_TAG_WHY[p]), at, 2306, Some("code.yaml-object-tag"));
    }
    if has(b'\n')
        && let Some(at) = pickle_global_call(s)
    {
        consider(&mut best, High, "code: Python pickle calling a command function", at, 2306, None);
    }
    // Server-side template injection.
    // Both the first expression and the first statement are read.
    let openers = if has(b'{') { [find(s, b"{{"), find(s, b"{%")] } else { [None, None] };
    for p in openers.into_iter().flatten() {
        let inner = &s[p..];
        // Twig filters that call what they are given: `['id']|filter('system')`.
        let twig_call = [&b"|filter("[..], b"|map(", b"|reduce(", b"|sort("].iter().any(|f| {
            find(inner, f).is_some_and(|q| {
                let arg = inner[q + f.len()..].trim_ascii_start();
                let arg = arg.strip_prefix(b"'").or_else(|| arg.strip_prefix(b"\"")).unwrap_or(b"");
                PHP_FUNCS_HIGH.iter().any(|d| arg.starts_with(d))
            })
        });
        if twig_call {
            consider(&mut best, High, "template injection: Twig filter calling a PHP function", p, 2401, None);
        }
        if [
            &b"__class__"[..],
            b"__globals__",
            b"__builtins__",
            b"__import__",
            b"__subclasses__",
            b"__mro__",
            b"config.",
            b"self.__",
            b"request.application",
            b"lipsum",
            b"cycler",
            b"joiner",
            b"getattribute",
            b"_self.env",
            b"registerundefinedfiltercallback",
            b"os.system",
            b"os.popen",
            b"subprocess",
            b"popen(",
        ]
        .iter()
        .any(|k| find(inner, k).is_some())
        {
            consider(&mut best, High, "template injection: object traversal in template", p, 2401, None);
        } else if arithmetic_probe(&inner[2..])
            // `{{= 7*7}}`, `{{- 7*7}}`: doT/EJS-style output markers.
            || matches!(inner.get(2), Some(b'=' | b'-' | b'#')) && arithmetic_probe(&inner[3..])
        {
            consider(&mut best, High, "template injection: arithmetic probe", p, 2402, None);
        } else if let Some(tag) = inner.strip_prefix(b"{%")
            && [&b"if "[..], b"for ", b"set ", b"import ", b"include ", b"macro ", b"raw", b"debug"]
                .iter()
                .any(|k| tag.trim_ascii_start().starts_with(k))
            && (find(tag, b"%}").is_some())
        {
            consider(&mut best, High, "template injection: template statement", p, 2404, None);
        }
    }
    if (has(b'$') || has(b'#'))
        && let Some(at) = el_reflection(s)
    {
        consider(&mut best, High, "code: Java reflection or servlet state in an EL expression", at, 2403, None);
    }
    if has(b'{')
        && let Some(at) = template_polyglot(s)
    {
        consider(&mut best, High, "template injection: openers of several template languages at once", at, 2402, None);
    }
    if let Some((p, at)) = EXPRESSIONS.iter(s).next() {
        consider(&mut best, High, format!("code: {}", EXPRESSION_WHY[p]), at, 2403, Some("code.expression-language"));
    }
    if has(b'#')
        && let Some(at) = ssi_directive(s)
    {
        consider(&mut best, High, "code: server-side include directive", at, 2405, None);
    }
    if has(b'(')
        && let Some(at) = python_call(s)
    {
        consider(&mut best, High, "code: Python call that runs a command or imports by name", at, 2403, None);
    }
    // ERB/JSP/ASP statements: `<% if true %>`, `<%= 7*7 %>`.
    if has(b'%')
        && let Some(p) = find(s, b"<%")
        && let Some(close) = find(&s[p + 2..], b"%>")
    {
        // `close` counts from after `<%`, so `<%>` is an empty block.
        let body = s[p + 2..p + 2 + close].trim_ascii();
        let body = body.strip_prefix(b"=").or_else(|| body.strip_prefix(b"-")).unwrap_or(body).trim_ascii_start();
        if [
            &b"if "[..],
            b"for ",
            b"while ",
            b"each",
            b"end",
            b"require",
            b"system",
            b"exec",
            b"runtime",
            b"out.print",
            b"response.write",
            b"eval",
        ]
        .iter()
        .any(|k| body.starts_with(k))
        {
            consider(&mut best, High, "template injection: server-side script block", p, 2404, None);
        }
    }
    if (has(b'{') || has(b'%'))
        && let Some(p) = find(s, b"${").or_else(|| find(s, b"#{")).or_else(|| find(s, b"<%="))
    {
        let skip = if s[p..].starts_with(b"<%=") { 3 } else { 2 };
        if arithmetic_probe(&s[p + skip..]) {
            consider(&mut best, High, "template injection: arithmetic probe", p, 2402, None);
        }
    }
    let (c, why, at, id, shape) = best?;
    let h = Hit::new(id, c, why, at);
    Some(match shape {
        Some(s) => h.shape(s),
        None => h,
    })
}

/// `7*7}}`, ` 7 * '7' %>`: a template evaluating arithmetic.
fn arithmetic_probe(s: &[u8]) -> bool {
    let end = s.iter().position(|&b| b == b'}' || b == b'%').unwrap_or(s.len()).min(24);
    let e: Vec<u8> = s[..end].iter().copied().filter(|b| !b.is_ascii_whitespace() && *b != b'\'' && *b != b'"').collect();
    let Some(op) = e.iter().position(|&b| b == b'*' || b == b'+') else { return false };
    op > 0 && op + 1 < e.len() && e[..op].iter().all(u8::is_ascii_digit) && e[op + 1..].iter().all(u8::is_ascii_digit) && end < s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(s: &str) -> Option<Confidence> {
        crate::testutil::confidence(check, s)
    }

    #[test]
    fn catches_code_injection() {
        for a in [
            "<?php system($_GET['c']); ?>",
            "I don't like gzuncompress/*comment*/()",
            "{{= 7*7}}",
            "\".system('id').\"",
            "${class.getClassLoader()}",
            "#{session.setAttribute(\"a\",\"b\")}",
            "${{<%[%'\"}}%\\.",
            "O:+8:\"stdClass\":0:{}",
            "!!python/object/apply:os.system [\"id\"]",
            "--- !ruby/object:Gem::Installer\ni: x",
            "cos\nsystem\n(S'id'\ntR.",
            "${jndi:ldap://127.0.0.1/a}",
            "${${lower:j}${lower:n}di:ldap://x/a}",
            "${${::-j}${::-n}${::-d}${::-i}:rmi://x/a}",
            "${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap://x}",
            "php://filter/convert.base64-encode/resource=index.php",
            "O:8:\"stdClass\":1:{s:1:\"a\";s:1:\"b\";}",
            "{{''.__class__.__mro__[1].__subclasses__()}}",
            "${T(java.lang.Runtime).getRuntime().exec('id')}",
            "${@print(md5(31337))}",
            "system('id')",
            "eval(base64_decode('ZWNobyAx'))",
            "{% import os %}{{ os.system('id') }}",
            "{{['id']|filter('system')}}",
            "__import__('os').system('id')",
            "subprocess.check_output(['id'])",
            "<!--#exec cmd=\"ls\" -->",
            "<!--#include virtual=\"/etc/passwd\" -->",
            "x<!--# echo var=\"DOCUMENT_ROOT\" -->",
        ] {
            assert_eq!(conf(a), Some(High), "{a}");
        }
        assert_eq!(conf("{{7*7}}"), Some(High));
        assert_eq!(conf("{% if True %}49{% endif %}"), Some(High));
        // Found by the `code` fuzz target: `<%>` once sliced backwards.
        assert_eq!(conf("\"\"\"<%>=="), None);
        assert_eq!(conf("<% if true %>x<% end %>"), Some(High));
    }

    #[test]
    fn passes_benign() {
        for b in [
            "``setattr()`` / ``__import__()`` - writing to ``globals()``",
            "use os.system() sparingly",
            "the system (of record)",
            "My ${name}",
            "{{ user.name }}",
            "price: $5 (USD)",
            "execute the plan",
            "ecosystem(s)",
            "images (2)",
            "call obj.getClass() to see the type",
            "${name} and {{ title }}",
            "str_x",
        ] {
            assert_eq!(conf(b), None, "{b}");
        }
    }

    #[test]
    fn reads_php_library_calls_in_values_names_and_path_segments() {
        use crate::testutil::target_kind;
        for (s, kind) in [
            ("array_diff (", Kind::Value),
            ("sodium_crypto_aead_chacha20poly1305_ietf_keygen (", Kind::Value),
            ("date_add()", Kind::Name),
            ("gethostbyname(", Kind::Name),
            ("/get/unpack()", Kind::Path),
            ("/get/pg_enter_pipeline_mode (", Kind::Path),
        ] {
            let (norm, ev) = crate::normalize::normalize(s.as_bytes());
            assert_eq!(check(&target_kind(s.as_bytes(), &norm, ev, kind)).map(|h| h.confidence), Some(High), "{s}");
        }
        for s in ["/wiki/Mercury_(planet)", "/docs/array_diff", "/a/print (2)/b"] {
            let (norm, ev) = crate::normalize::normalize(s.as_bytes());
            assert!(check(&target_kind(s.as_bytes(), &norm, ev, Kind::Path)).is_none(), "{s}");
        }
    }
}
