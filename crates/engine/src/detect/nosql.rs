//! NoSQL operator injection: MongoDB query operators smuggled in as
//! parameter names (`user[$ne]=x`) or JSON keys (`{"$where": ...}`).

use haetae_model::Confidence::{High, Medium};

use super::{Hit, Kind, Target, find};

const OPS: &[&[u8]] = &[
    b"ne",
    b"eq",
    b"gt",
    b"gte",
    b"lt",
    b"lte",
    b"in",
    b"nin",
    b"regex",
    b"where",
    b"exists",
    b"expr",
    b"or",
    b"and",
    b"not",
    b"nor",
    b"elemmatch",
    b"function",
    b"accumulator",
    b"lookup",
    b"type",
    b"size",
    b"all",
    b"text",
    b"mod",
    b"jsonschema",
];

fn op_after_dollar(s: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'$', &s[i..]) {
        let at = i + p;
        let prev = if at > 0 { s[at - 1] } else { b'.' };
        if matches!(prev, b'[' | b'.' | b'"' | b'{') || at == 0 {
            let w: Vec<u8> = s[at + 1..].iter().take_while(|b| b.is_ascii_alphabetic()).copied().collect();
            let end = s.get(at + 1 + w.len());
            if OPS.contains(&w.as_slice()) && matches!(end, None | Some(b']' | b'.' | b'"' | b'[' | b':')) {
                return Some(at);
            }
        }
        i = at + 1;
    }
    None
}

/// `user__password__startswith`: a Django-style filter name that walks
/// relations to a secret and matches it piecewise (ORM leak).
fn orm_lookup(name: &[u8]) -> bool {
    const LOOKUPS: &[&[u8]] = &[
        b"startswith",
        b"istartswith",
        b"endswith",
        b"iendswith",
        b"contains",
        b"icontains",
        b"regex",
        b"iregex",
        b"has_key",
        b"has_keys",
        b"has_any_keys",
        b"exact",
        b"iexact",
    ];
    const SECRETS: &[&[u8]] = &[
        b"user",
        b"users",
        b"password",
        b"username",
        b"email",
        b"token",
        b"secret",
        b"is_staff",
        b"is_superuser",
        b"profile",
        b"metadata",
        b"key",
        b"hash",
        b"salt",
        b"otp",
    ];
    // The last dotted segment (JSON names are flattened `a.b`), split on `__`.
    let last = name.rsplit(|&b| b == b'.').next().unwrap_or(name);
    let mut parts = Vec::new();
    let mut from = 0;
    while let Some(p) = find(&last[from..], b"__") {
        parts.push(&last[from..from + p]);
        from += p + 2;
    }
    parts.push(&last[from..]);
    parts.len() >= 3 && parts.last().is_some_and(|l| LOOKUPS.contains(l)) && parts.iter().any(|p| SECRETS.contains(p))
}

pub fn check(t: &Target<'_>) -> Option<Hit> {
    if let Some((tail, off)) = t.path_tail(|b| b == b'$') {
        return check(&tail).filter(|h| h.confidence == High).map(|h| h.shifted(off));
    }
    let s = t.norm;
    match t.kind {
        Kind::Name if orm_lookup(s) => Some(Hit::new(2704, High, "ORM filter walking to a secret field", 0)),
        Kind::Name => op_after_dollar(s).map(|at| Hit::new(2701, High, "NoSQL operator in parameter name", at)),
        // A Referer's query was the site's own page (inspected when asked).
        Kind::Header if t.key == "referer" || memchr::memchr(b'$', s).is_none() => None,
        Kind::Value | Kind::Cookie | Kind::Header => {
            if let Some(at) = find(s, b"$where").or_else(|| find(s, b"this.constructor")) {
                return Some(Hit::new(2702, High, "NoSQL $where / server-side JavaScript", at));
            }
            // `u_id[$ne]`, `[$lte]x`: the bracket syntax of a parameter
            // name, carried in a value (a name the application builds).
            if let Some(p) = find(s, b"[$")
                && let Some(at) = op_after_dollar(&s[p..])
                && at == 1
            {
                return Some(Hit::new(2701, High, "NoSQL operator in bracket syntax", p));
            }
            if s.first() == Some(&b'{')
                && let Some(at) = op_after_dollar(s)
            {
                // `{"$ne": null}`, `{"user": {"$ne": null}}`: the operator
                // is an object key, at any depth.
                let before = s[..at].trim_ascii_end();
                let before = before.strip_suffix(b"\"").or_else(|| before.strip_suffix(b"'")).unwrap_or(before).trim_ascii_end();
                let key = matches!(before.last(), Some(b'{' | b',')) && s[at..].iter().take(24).any(|&b| b == b':');
                let c = if key { High } else { Medium };
                return Some(Hit::new(2703, c, "NoSQL operator in JSON-looking value", at));
            }
            if let Some(at) = js_string_break(s) {
                return Some(Hit::new(2702, High, "server-side JavaScript after a string break (NoSQL $where)", at));
            }
            None
        }
        _ => None,
    }
}

/// `';return true;var a='`, `'; sleep(5000); '`, `' && this.password.match(/.*/)//`:
/// the value closes a JavaScript string of a `$where` clause and runs code.
fn js_string_break(s: &[u8]) -> Option<usize> {
    let v = s.trim_ascii_start();
    let rest = v.strip_prefix(b"'").or_else(|| v.strip_prefix(b"\""))?.trim_ascii_start();
    let rest = [&b";"[..], b"||", b"&&"].iter().find_map(|op| rest.strip_prefix(*op))?.trim_ascii_start();
    let code =
        [&b"return "[..], b"return(", b"sleep(", b"this.", b"while(", b"while (", b"var ", b"db."].iter().any(|w| rest.starts_with(w));
    code.then_some(s.len() - v.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{confidence, target_kind};

    #[test]
    fn operators_in_names_and_values() {
        let name = |s: &str| {
            let (norm, ev) = crate::normalize::normalize(s.as_bytes());
            check(&target_kind(s.as_bytes(), &norm, ev, Kind::Name)).map(|h| h.confidence)
        };
        assert_eq!(name("user[$ne]"), Some(High));
        assert_eq!(name("$text"), Some(High));
        assert_eq!(name("user[name]"), None);
        assert_eq!(name("created_by__user__username__startswith"), Some(High));
        assert_eq!(name("user__profile__icontains"), Some(High));
        assert_eq!(name("price__gte"), None);
        assert_eq!(name("category__name__icontains"), None);
        assert_eq!(confidence(check, "u_id[$ne]"), Some(High));
        assert_eq!(confidence(check, r#"{"username": {"$ne": null}}"#), Some(High));
        assert_eq!(confidence(check, "';return true;var a='"), Some(High));
        assert_eq!(confidence(check, "' && this.password.match(/.*/)//"), Some(High));
        assert_eq!(confidence(check, "'; it's fine, return it"), None);
        assert_eq!(confidence(check, "[$lte]asdfsd"), Some(High));
        assert_eq!(confidence(check, "{\"$where\": \"sleep(100)\"}"), Some(High));
        assert_eq!(confidence(check, "price in [$5, $10]"), None);
        assert_eq!(confidence(check, "costs $ne"), None);
        assert_eq!(confidence(check, "{\"$ne\": null}"), Some(High));
        assert_eq!(confidence(check, "{ \"$gt\": \"\" }"), Some(High));
        assert!(confidence(check, "{\"price\": \"$ne\"}").is_none_or(|c| c < High));
    }

    #[test]
    fn reads_headers_but_not_the_referer() {
        let header = |key: &str, v: &str| crate::testutil::confidence_at(check, haetae_model::Source::Header, Kind::Header, key, v);
        assert_eq!(header("user-agent", "{\"$ne\": null}"), Some(haetae_model::Confidence::High));
        assert_eq!(header("referer", "{\"$ne\": null}"), None);
    }
}
