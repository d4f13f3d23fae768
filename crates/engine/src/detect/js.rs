//! Server-side JavaScript and friends: Node.js code injection
//! (`require('child_process')`, `process.env`, `new Function(…)`,
//! node-serialize's `_$$ND_FUNC$$_`), prototype pollution in parameter
//! names and values (`__proto__[x]`, `constructor[prototype]`), endless
//! loops sent to an `eval`, and the Ruby and Perl interpolation forms
//! (`Process.spawn`, `@{[ system 'id' ]}`) the same attacks use.

use haetae_model::Confidence::{self, High, Medium};

use super::{Hit, Kind, Target, find, is_ident};

/// Substrings with no reading outside server-side code, and what each is.
pub(super) static CODE: super::Needles = super::Needles::new(&[
    b"child_process",
    b"require(",
    b"process.env",
    b"process[",
    b"process.mainmodule",
    b"process.binding(",
    b"process.kill(",
    b"process.exit(",
    b"global.process",
    b"module.exports",
    b"module.constructor",
    b".constructor._load(",
    b"require.main",
    b"_$$nd_func$$_",
    b"new function(",
    b"new function (",
    b".constructor.constructor(",
    b"constructor.constructor(",
    b"console.log(",
    b"console.info(",
    b"console.error(",
    b"process.spawn(",
    b"kernel.exec(",
    b"kernel.system(",
    b"io.popen(",
    b"open3.",
    b"@{[",
    b"qx{",
    b"qx(",
    b"console[",
    b".call(this",
    b"__js_function",
    b"require[",
]);
pub(super) const CODE_WHY: &[&str] = &[
    "Node child_process",
    "Node require()",
    "Node process.env",
    "Node process object",
    "Node process.mainModule",
    "Node process.binding",
    "Node process.kill",
    "Node process.exit",
    "Node global.process",
    "Node module.exports",
    "Node module constructor",
    "Node module loader",
    "Node require.main",
    "node-serialize function",
    "new Function()",
    "new Function()",
    "Function constructor",
    "Function constructor",
    "console call",
    "console call",
    "console call",
    "Ruby Process.spawn",
    "Ruby Kernel.exec",
    "Ruby Kernel.system",
    "Ruby IO.popen",
    "Ruby Open3",
    "Perl interpolated code",
    "Perl qx{}",
    "Perl qx()",
    "console call",
    "call with this",
    "serialized JS function",
    "Node require",
];

/// `__proto__`, `constructor.prototype`, `constructor[prototype]`.
fn prototype(s: &[u8]) -> Option<usize> {
    // As a key or a property access, not a word in a sentence.
    if let Some(p) = find(s, b"__proto__")
        && (s.len() == p + 9 || matches!(s[p + 9], b'.' | b'[' | b']' | b'"' | b'\'' | b'=' | b':' | b')'))
    {
        return Some(p);
    }
    // React Flight references walking to the constructor or a prototype
    // (`"$3:constructor:constructor"`, `"$7:Module:prototype"`).
    for key in [&b":constructor"[..], b":prototype", b":__proto__"] {
        if let Some(p) = find(s, key) {
            let ref_start = s[..p].iter().rposition(|&b| b == b'$').filter(|&d| p - d <= 24);
            if let Some(d) = ref_start
                && s[d + 1..p].iter().all(|&b| b.is_ascii_alphanumeric() || b == b':' || b == b'_')
            {
                return Some(d);
            }
        }
    }
    let p = find(s, b"constructor")?;
    let rest = &s[p + 11..];
    let rest = rest.strip_prefix(b"]").unwrap_or(rest);
    // `{"constructor":{"prototype":{…}}}`: the same walk as JSON keys.
    let json_key = rest.starts_with(b"\"")
        && rest[1..].trim_ascii_start().strip_prefix(b":").is_some_and(|r| {
            let r = r.trim_ascii_start();
            r.strip_prefix(b"{").is_some_and(|r| r.trim_ascii_start().starts_with(b"\"prototype\""))
        });
    (rest.starts_with(b".prototype")
        || rest.starts_with(b"[prototype")
        || rest.starts_with(b"['prototype")
        || rest.starts_with(b"[\"prototype")
        || json_key)
        .then_some(p)
}

/// `while(true)`, `while(!0)`, `for(;;)`: an endless loop as a value.
fn endless_loop(s: &[u8]) -> Option<usize> {
    if let Some(p) = find(s, b"for(;;)").or_else(|| find(s, b"for (;;)")) {
        return Some(p);
    }
    let p = find(s, b"while")?;
    if p > 0 && is_ident(s[p - 1]) {
        return None;
    }
    let rest = s[p + 5..].trim_ascii_start();
    let inner = rest.strip_prefix(b"(")?;
    let close = memchr::memchr(b')', &inner[..inner.len().min(40)]).unwrap_or(inner.len().min(40));
    // A statement follows the condition, not the rest of a sentence.
    let after = inner.get(close + 1..).unwrap_or_default().trim_ascii_start();
    if after.first().is_some_and(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let cond: Vec<u8> = inner[..close].iter().copied().filter(|b| !b.is_ascii_whitespace() && *b != b'(').collect();
    // A literal condition: true, 1, !0, !false, !"", -Infinity, !undefined…
    // `!-0`, `!+0`, `+Infinity`, `!!""`: unary operators on a literal.
    let lit = &cond[cond.iter().take_while(|&&b| matches!(b, b'!' | b'-' | b'+')).count()..];
    let literal = matches!(lit, b"true" | b"false" | b"0" | b"1" | b"\"\"" | b"''" | b"``" | b"undefined" | b"null" | b"infinity" | b"[]" | b"{}")
            || lit.iter().all(u8::is_ascii_digit) && !lit.is_empty()
            // Objects are truthy: `while(new Date)`, `while(this)`, `while(!NaN)`.
            || lit.starts_with(b"new") && lit.len() > 3
            || matches!(lit, b"this" | b"string" | b"object" | b"nan" | b"window" | b"array" | b"number" | b"math" | b"json" | b"date");
    literal.then_some(p)
}

pub fn check(t: &Target<'_>) -> Option<Hit> {
    let s = t.norm;
    if s.len() < 4 {
        return None;
    }
    let mut best: Option<(Confidence, &'static str, usize, u32)> = None;
    if let Some(at) = prototype(s) {
        best = Some((High, "prototype pollution", at, 2711));
    }
    // A path is read for code only when it has a quote or a call.
    if t.kind == Kind::Path && !s.iter().any(|&b| matches!(b, b'"' | b'\'' | b'(')) {
        return best.map(|(c, why, at, id)| Hit::new(id, c, format!("JS: {why}"), at).why(why));
    }
    if best.is_none() {
        let ok = |p: usize, at: usize| {
            let k = CODE.pattern(p);
            let boundary = at == 0 || !is_ident(s[at - 1]) || k[0] == b'.' || k[0] == b'_';
            // `require(` needs a module name, not prose in parentheses.
            boundary && (k != b"require(" || matches!(s.get(at + 8), Some(b'\'' | b'"' | b'`' | b'a'..=b'z')))
        };
        if let Some((p, at)) = CODE.find_where(s, ok) {
            // Code samples in posts log to the console; only an injected
            // value with nothing else in it is a probe.
            let c = if CODE_WHY[p] == "console call" && s.len() > 40 { Medium } else { High };
            best = Some((c, CODE_WHY[p], at, 2712));
        }
    }
    // `@{ [ system "id" ] }`: Perl's interpolation of code, blanks allowed.
    if best.is_none()
        && let Some(p) = find(s, b"@{")
        && s[p + 2..].trim_ascii_start().starts_with(b"[")
    {
        best = Some((High, "Perl code interpolation", p, 2712));
    }
    if best.is_none()
        && let Some(at) = endless_loop(s)
    {
        best = Some((Medium, "endless loop", at, 2713));
        if s.len() < 40 {
            best = Some((High, "endless loop as the whole value", at, 2713));
        }
    }
    let (c, why, at, id) = best?;
    Some(Hit::new(id, c, format!("JS: {why}"), at).why(why))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(s: &str) -> Option<Confidence> {
        crate::testutil::confidence(check, s)
    }

    #[test]
    fn catches_server_side_js() {
        for a in [
            "require('child_process').exec('id')",
            "process.env",
            "__proto__[admin]=1",
            "constructor.prototype.x",
            "{\"constructor\": {\"prototype\": {\"isAdmin\": true}}}",
            "a[constructor][prototype]=image",
            "_$$ND_FUNC$$_function(){}",
            "new Function (",
            "while(!0);",
            "while(true)",
            "while(!-0);",
            "while(+Infinity);",
            "console[\"info\"](1)",
            "Process.spawn(\"id\")",
            "@{[system 'id']}",
            "@{   [   system   \"id\"   ]   }",
            "while(new Date);",
            "while(this);",
            "while(!NaN)",
            "{\"then\":\"$1:__proto__:then\",\"_formData\":{\"get\":\"$3:constructor:constructor\"}}",
            "{\"reason\":{\"0\":\"$7:Module:prototype\"}}",
            "#{require.main.constructor._load(child_process).spawn('foo')}",
        ] {
            assert_eq!(conf(a), Some(High), "{a}");
        }
    }

    #[test]
    fn leaves_prose_alone() {
        for b in [
            "while (true) I keep trying",
            "The __proto__ property is deprecated",
            "we require (at least) two",
            "the process environment",
            "while (you wait)",
            "constructor of the house",
            "console",
        ] {
            assert_eq!(conf(b), None, "{b}");
        }
    }
}
