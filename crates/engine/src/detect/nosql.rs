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
