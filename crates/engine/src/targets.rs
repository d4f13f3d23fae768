//! Which values of a request are inspected, and as what.

use std::borrow::Cow;

use haetae_model::{Reading, Request, Source};

use crate::detect::{Kind, Target};
use crate::normalize::{Evasion, normalize};

/// Where a target sits, borrowed; made into a [`haetae_model::Location`]
/// only when a finding needs it: most values produce none.
pub struct Location<'a> {
    /// `ARGS`, `REQUEST_COOKIES_NAMES`, `REQUEST_PATH`…
    pub collection: Cow<'static, str>,
    /// The key inside the collection, if any.
    pub key: Option<Cow<'a, str>>,
    pub reading: Reading,
}

impl Location<'_> {
    pub fn to_model(&self) -> haetae_model::Location {
        haetae_model::Location::new(self.collection.clone(), self.key.as_ref().map(|k| k.to_string()), self.reading)
    }
}

impl std::fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.to_model().fmt(f)
    }
}

/// A target with its normalized bytes owned (built once, seen by every
/// detector).
pub struct Owned<'a> {
    pub source: Source,
    pub kind: Kind,
    pub key: Cow<'a, str>,
    pub location: Location<'a>,
    pub raw: Cow<'a, [u8]>,
    pub norm: Vec<u8>,
    pub evasion: Evasion,
}

impl Owned<'_> {
    pub fn as_target(&self) -> Target<'_> {
        Target { source: self.source, kind: self.kind, key: &self.key, raw: &self.raw, norm: &self.norm, evasion: self.evasion }
    }
}

/// Headers with fixed, browser-generated syntax: checked by the protocol
/// rules, not by the injection detectors.
const STRUCTURED_HEADERS: &[&str] = &[
    "host",
    "accept",
    "accept-language",
    "accept-encoding",
    "accept-charset",
    "connection",
    "content-length",
    "content-type",
    "cookie",
    "cache-control",
    "pragma",
    "upgrade-insecure-requests",
    "dnt",
    "te",
    "if-modified-since",
    "if-none-match",
    "if-match",
    "if-unmodified-since",
    "if-range",
    "range",
    "origin",
    "authorization",
    "priority",
    "keep-alive",
    "upgrade",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
    "sec-websocket-protocol",
    "transfer-encoding",
    "expect",
    "via",
    "x-request-id",
    "x-requested-with",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-forwarded-port",
    "x-real-ip",
    "forwarded",
    "traceparent",
    "tracestate",
    "baggage",
];

/// Characters no fixed-syntax header (`Host`, `Accept`, `Content-Type`,
/// `Cookie` is handled apart) carries.
/// Also what would decode to one of them (`%3C`, `&lt;`, `\u003c`, `＜`):
/// the gate judges the value as normalization will read it. Baggage and
/// tracestate percent-encode by design.
fn foreign_in_structured(name: &str, v: &[u8]) -> bool {
    memchr::memchr3(b'{', b'<', b'\'', v).is_some()
        || memchr::memchr3(b'`', b'$', b'|', v).is_some()
        || memchr::memmem::find(v, b"..").is_some()
        || !v.is_ascii()
        || memchr::memchr2(b'&', b'\\', v).is_some()
        || memchr::memchr(b'%', v).is_some() && !matches!(name, "baggage" | "tracestate")
}

/// Headers that carry a host, an address, a port or an id: anything but
/// those characters is foreign.
fn foreign_in_hostlike(name: &str, v: &[u8]) -> bool {
    // `;` separates `Forwarded` pairs; in a host name it is foreign.
    let semicolon = match name {
        "host" | "x-forwarded-host" | "x-real-ip" => false,
        "x-forwarded-port" | "x-forwarded-proto" | "x-request-id" | "origin" | "forwarded" => true,
        _ => return false,
    };
    v.iter().any(|&b| {
        !(b.is_ascii_alphanumeric()
            || matches!(b, b'.' | b':' | b'-' | b'_' | b'[' | b']' | b',' | b' ' | b'/' | b'=' | b'"')
            || b == b';' && semicolon)
    })
}

/// Values with nothing but letters, digits and a few inert punctuation
/// marks cannot carry any payload the detectors look for — except the few
/// payloads made of such characters alone: Java class names
/// (`java.lang.Runtime`), a base64 Java serialization stream (`rO0AB…`),
/// a database procedure (`xp_cmdshell`).
///
/// The gate judges what normalization will make of the value: a character
/// the normalizer folds to ASCII (`＜`, `‘`, `①`) counts as that ASCII byte,
/// and bytes that are not UTF-8 (an overlong `C0 BC`, a lone `BC`) are
/// never inert — otherwise `＜ｓｃｒｉｐｔ＞` would pass as Korean text does.
fn inert(v: &[u8]) -> bool {
    let ascii_inert = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b',' | b'-' | b'@' | b'.');
    let chars_inert = if v.is_ascii() {
        v.iter().all(|&b| ascii_inert(b))
    } else {
        std::str::from_utf8(v).is_ok_and(|s| {
            s.chars()
                .all(|c| if c.is_ascii() { ascii_inert(c as u8) } else { crate::normalize::ascii_fold(c as u32).is_none_or(ascii_inert) })
        })
    };
    chars_inert && !alnum_payload(v)
}

pub(crate) fn alnum_payload(v: &[u8]) -> bool {
    use std::sync::OnceLock;
    static AC: OnceLock<Option<aho_corasick::AhoCorasick>> = OnceLock::new();
    const WORDS: &[&str] = &[
        "rO0AB",
        "KztAA",
        "Cs7QAF",
        "xp_",
        "sp_",
        "openrowset",
        "opendatasource",
        "utl_",
        "dbms_",
        "nvarchar",
        "information_schema",
        "pg_catalog",
        "sqlite_master",
        "sysobjects",
        "syscolumns",
        "msysobjects",
        "mysql.",
        "sys.",
        "master..",
        "processbuilder",
        "getruntime",
        "templatesimpl",
        "opensymphony",
        "xwork2",
        "classloader",
        "declaredclass",
        "java.",
        "javax.",
        "jdk.",
        "sun.",
        "com.",
        "org.",
        "weblogic.",
        "freemarker.",
        "ognl",
        "javassist",
        "runtime",
        "transformer",
        "__proto__",
        "constructor",
        "..",
        "/",
        "sess_",
        "document.",
        "window.",
        "self.",
        "top.",
        "location",
        "cookie",
        "javascript",
        "alert",
        "process.",
        "require",
        "module.",
        "global.",
        "msdb",
        "tempdb",
        "northwind",
        "schema_name",
        "msys",
        "2.225073858507201",
        "__startswith",
        "__istartswith",
        "__endswith",
        "__iendswith",
        "__contains",
        "__icontains",
        "__regex",
        "__iregex",
        "__has_key",
        "__exact",
        "__iexact",
        "call_user_func",
        "invokefunction",
        "shell_exec",
        "passthru",
        "phpinfo",
        "localhost",
        ".svc",
        ".internal",
        "metadata",
    ];
    let ac = AC.get_or_init(|| aho_corasick::AhoCorasick::builder().ascii_case_insensitive(true).build(WORDS).ok());
    ac.as_ref().is_none_or(|ac| ac.is_match(v))
}

fn lossy(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// Calls `f` for every inspectable value. Inert values are skipped here so
/// the common case costs one pass over the bytes and no allocation.
pub fn for_each<'r>(req: &'r Request, any_detector: bool, base64: bool, mut f: impl FnMut(Owned<'r>)) {
    if !any_detector {
        return;
    }
    let loc = |collection: Cow<'static, str>, key: Option<&'r [u8]>| Location { collection, key: key.map(lossy), reading: Reading::Raw };
    let mut emit = |source: Source, kind: Kind, key: &'r [u8], raw: &'r [u8], location: Location<'r>| {
        if raw.is_empty() {
            return;
        }
        // A value that is all base64 is inspected again, decoded.
        // ... also behind JavaScript escapes (`\u0058\u0079QkTk…`).
        if base64
            && kind != Kind::Path
            && let Some(decoded) = crate::base64::decode_text(raw).or_else(|| {
                memchr::memchr(b'\\', raw).and_then(|_| crate::normalize::unescape_js(raw)).and_then(|u| crate::base64::decode_text(&u))
            })
        {
            let (norm, evasion) = normalize(&decoded);
            let location = Location { collection: location.collection.clone(), key: location.key.clone(), reading: Reading::Base64 };
            f(Owned { source, kind, key: lossy(key), location, raw: Cow::Owned(decoded), norm, evasion });
        }
        if kind != Kind::Path && kind != Kind::Header && inert(raw) {
            return;
        }
        let (norm, evasion) = normalize(raw);
        f(Owned { source, kind, key: lossy(key), location, raw: Cow::Borrowed(raw), norm, evasion });
    };
    emit(Source::Path, Kind::Path, b"", &req.path, loc(Cow::Borrowed("REQUEST_PATH"), None));
    for p in req.params() {
        let collection = p.source.collection();
        let key = (!p.name.is_empty()).then_some(p.name);
        // A JSON/XML name is a path the flattener built (`items[0].sku`):
        // its dots and brackets are structure, not payload.
        let structural = matches!(p.source, Source::Json | Source::Xml)
            && p.name.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']' | b'/' | b'@' | b':'))
            && !alnum_payload(p.name);
        if !p.name.is_empty() && !structural && !inert(p.name) {
            let names: Cow<'static, str> = Cow::Owned(format!("{collection}_NAMES"));
            emit(p.source, Kind::Name, p.name, p.name, loc(names.clone(), key));
            // `pay%3DAND+1%3D1`: a body encoded twice reaches the parser as
            // one name holding `name=value`; its value is read as one.
            if let Some(eq) = memchr::memchr(b'=', p.name)
                && eq > 0
                && eq + 1 < p.name.len()
                && p.value.is_empty()
            {
                let location = Location { reading: Reading::NameAsValue, ..loc(names, key) };
                emit(p.source, Kind::Value, &p.name[..eq], &p.name[eq + 1..], location);
            }
        }
        emit(p.source, Kind::Value, p.name, p.value, loc(Cow::Borrowed(collection), key));
    }
    for (name, value) in req.cookies() {
        if !inert(name) {
            emit(Source::Cookie, Kind::Name, name, name, loc(Cow::Borrowed("REQUEST_COOKIES_NAMES"), Some(name)));
        }
        emit(Source::Cookie, Kind::Cookie, name, value, loc(Cow::Borrowed("REQUEST_COOKIES"), Some(name)));
    }
    for (name, value) in req.headers() {
        // Fixed-syntax headers are read only when they hold what their
        // syntax never does (Struts' OGNL in Content-Type, a quote in Host).
        let structured = STRUCTURED_HEADERS.contains(&name) || name.starts_with("sec-");
        if structured && (name == "cookie" || !foreign_in_structured(name, value) && !foreign_in_hostlike(name, value)) {
            continue;
        }
        emit(Source::Header, Kind::Header, name.as_bytes(), value, loc(Cow::Borrowed("REQUEST_HEADERS"), Some(name.as_bytes())));
    }
    for file in &req.files {
        emit(Source::File, Kind::FileName, &file.field, &file.filename, loc(Cow::Borrowed("FILES"), Some(&file.field)));
    }
}

#[cfg(test)]
mod tests {
    use haetae_model::{ParseLimits, RequestBuilder};
    use std::ops::Not;

    #[test]
    fn the_gate_judges_what_normalization_makes_of_a_value() {
        assert!(super::inert("안녕하세요".as_bytes()));
        assert!(super::inert(b"Jam\xF3n").not());
        assert!(!super::inert("＜ｓｃｒｉｐｔ＞".as_bytes()));
        assert!(!super::inert("ａ‘ｏｒ‘１".as_bytes()));
        assert!(super::inert("ＡＢＣ１２３".as_bytes()));
        assert!(super::foreign_in_structured("accept", "text/html,＜x＞".as_bytes()));
        assert!(super::foreign_in_structured("accept", b"text/html%3Cx"));
        assert!(!super::foreign_in_structured("baggage", b"userId=alice%20b"));
        assert!(!super::foreign_in_structured("accept", b"text/html,application/xhtml+xml;q=0.9"));
    }

    #[test]
    fn a_twice_encoded_body_is_read_as_its_value_too() {
        let l = ParseLimits::default();
        let mut b = RequestBuilder::new("POST", "/post", &l);
        b.header("Content-Type", b"application/x-www-form-urlencoded");
        b.body(b"pay%3DAND+2771%3D1709%29", false);
        let req = b.build();
        let mut seen = Vec::new();
        super::for_each(&req, true, false, |t| seen.push((t.location.to_string(), t.raw.to_vec())));
        assert!(seen.iter().any(|(loc, raw)| loc.ends_with("(value)") && raw == b"AND 2771=1709)"), "{seen:?}");
    }
}
