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

pub fn check(t: &Target<'_>) -> Option<Hit> {
    let s = t.norm;
    match t.kind {
        Kind::Name => op_after_dollar(s).map(|at| Hit::new(2701, High, "NoSQL operator in parameter name", at)),
        Kind::Value | Kind::Cookie => {
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
                return Some(Hit::new(2703, Medium, "NoSQL operator in JSON-looking value", at));
            }
            None
        }
        _ => None,
    }
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
        assert_eq!(confidence(check, "u_id[$ne]"), Some(High));
        assert_eq!(confidence(check, "[$lte]asdfsd"), Some(High));
        assert_eq!(confidence(check, "{\"$where\": \"sleep(100)\"}"), Some(High));
        assert_eq!(confidence(check, "price in [$5, $10]"), None);
        assert_eq!(confidence(check, "costs $ne"), None);
    }
}
