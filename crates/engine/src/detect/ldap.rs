//! LDAP filter injection: closing the application's filter and opening a
//! new one (`*)(uid=*))(|(uid=*`).

use haetae_model::Confidence::High;

use super::{Hit, Kind, Target};

pub fn check(t: &Target<'_>) -> Option<Hit> {
    if let Some((tail, off)) = t.path_tail(|b| b == b')') {
        return check(&tail).filter(|h| h.confidence == High).map(|h| h.shifted(off));
    }
    if !matches!(t.kind, Kind::Value | Kind::Cookie | Kind::Header)
        || t.kind == Kind::Header && (t.key == "referer" || memchr::memchr(b')', t.norm).is_none())
    {
        return None;
    }
    let s = t.norm;
    // `*)(&`, `*))` + NUL: the filter closed right after a wildcard, then
    // a new operator or a truncation.
    if let Some(rest) = s.strip_prefix(b"*)")
        && (rest.starts_with(b"(&") || rest.starts_with(b"(|") || rest.starts_with(b"(!") || rest.starts_with(b")") && t.evasion.nul)
    {
        return Some(Hit::new(2801, High, "LDAP filter closed after a wildcard", 0));
    }
    // `admin)(&)`, `x)(|)`: the filter closed, then LDAP's absolute true
    // (or false) filter.
    if let Some(at) = memchr::memmem::find(s, b")(&)").or_else(|| memchr::memmem::find(s, b")(|)")) {
        return Some(Hit::new(2801, High, "LDAP filter closed, then an absolute filter", at));
    }
    // One pass over the `)`: a memmem search restarted at each `)(` cost a
    // searcher per occurrence on a value of `)(|()(|(…`.
    for at in super::positions(s, b')').filter(|&at| s.get(at + 1) == Some(&b'(')) {
        let mut j = at + 2;
        while j < s.len() && matches!(s[j], b'|' | b'&' | b'!' | b'(' | b' ') {
            j += 1;
        }
        let attr = s[j..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b'.').count();
        let after = s.get(j + attr);
        let op = matches!(after, Some(b'=' | b'~' | b'<' | b'>'));
        let before_star = at > 0 && matches!(s[at - 1], b'*' | b')');
        if attr > 0 && op && (before_star || s[at + 2..j].iter().any(|b| matches!(b, b'|' | b'&' | b'!'))) {
            return Some(Hit::new(2801, High, "LDAP filter injection", at));
        }
        // `x)(userPassword=*)`: the filter closed, then a presence test
        // (RFC 4515's `(attr=*)`) of any attribute.
        if attr > 0 && s.get(j + attr) == Some(&b'=') && s[j + attr + 1..].starts_with(b"*)") {
            return Some(Hit::new(2801, High, "LDAP filter injection", at));
        }
    }
    // `*(|(objectclass=*))`: an AND/OR/NOT filter of attribute tests, the
    // syntax itself, with no text reading.
    for op in [&b"(|("[..], b"(&(", b"(!("] {
        if let Some(at) = memchr::memmem::find(s, op) {
            let rest = &s[at + 3..];
            let attr = rest.iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b'.').count();
            if attr > 0 && matches!(rest.get(attr), Some(b'=' | b'~' | b'<' | b'>')) && memchr::memchr(b')', &rest[attr..]).is_some() {
                return Some(Hit::new(2801, High, "LDAP filter injection", at));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(s: &str) -> bool {
        crate::testutil::confidence(check, s) == Some(High)
    }

    #[test]
    fn filter_breaks() {
        for a in [
            "*)(uid=*))(|(uid=*",
            "admin)(&)",
            "x)(|)",
            "*)(&(objectclass=*)",
            "admin)(|(password=*)",
            "x)(userPassword=*)",
            "*(|(objectclass=*))",
        ] {
            assert!(hit(a), "missed: {a}");
        }
        for b in ["smiley :)(", "(a)(b)", "call me (maybe)(or not)", "f(x)(y) = z", "r&d)(&", "(|(a|b)", "f(x)(y=2)", "x)(y=*z)"] {
            assert!(!hit(b), "false positive: {b}");
        }
    }

    #[test]
    fn reads_headers_but_not_the_referer() {
        let header = |key: &str, v: &str| crate::testutil::confidence_at(check, haetae_model::Source::Header, Kind::Header, key, v);
        assert_eq!(header("user-agent", "admin)(&)"), Some(haetae_model::Confidence::High));
        assert_eq!(header("referer", "admin)(&)"), None);
    }
}
