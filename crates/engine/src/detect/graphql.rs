//! GraphQL abuse: a value that is a GraphQL document (a JSON `query` leaf,
//! a `?query=` parameter) is tokenized by the language's lexical grammar
//! (names, punctuation, strings, comments) and its selection tree judged
//! against limits no application's own client comes near: schema
//! introspection, one field nested inside itself (`friends { friends { … } }`),
//! one field asked many times under aliases (a login brute-forced in one
//! request), directives or `__typename` repeated to multiply work.
//! Clients ship their schema and ask for `__typename`, not `__schema`.

use haetae_model::Confidence::{self, High, Medium};

use super::{Hit, Kind, Target};

/// Limits, each with the reason reported. A client's generated queries
/// stay far under them (the hosting corpus: depth ≤ 6, no field repeated
/// along a path, at most three aliases of one field).
const SELF_NESTING: usize = 4;
const ALIASES_OF_ONE_FIELD: usize = 10;
const REPEATS_IN_ONE_SET: usize = 10;
const DIRECTIVES_ON_ONE_FIELD: usize = 5;
const MAX_DEPTH: usize = 15;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok<'a> {
    Name(&'a [u8]),
    Punct(u8),
    Str,
    Other,
}

/// GraphQL's lexical grammar (October 2021 spec, §2.1): ignored tokens are
/// blanks, commas and `#` comments; strings and block strings are skipped
/// whole.
fn tokenize(s: &[u8]) -> Vec<(Tok<'_>, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => i = memchr::memchr(b'\n', &s[i..]).map_or(s.len(), |n| i + n),
            b'"' => {
                let start = i;
                if s[i..].starts_with(b"\"\"\"") {
                    i = memchr::memmem::find(&s[i + 3..], b"\"\"\"").map_or(s.len(), |n| i + 6 + n);
                } else {
                    i += 1;
                    while i < s.len() && s[i] != b'"' {
                        i += if s[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                out.push((Tok::Str, start));
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                let start = i;
                while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'_') {
                    i += 1;
                }
                out.push((Tok::Name(&s[start..i]), start));
            }
            b'{' | b'}' | b'(' | b')' | b':' | b'@' | b'$' | b'!' | b'=' | b'[' | b']' | b'|' | b'&' => {
                out.push((Tok::Punct(b), i));
                i += 1;
            }
            _ => {
                out.push((Tok::Other, i));
                i += 1;
            }
        }
    }
    out
}

/// Whether the value opens like a GraphQL executable document.
fn is_document(s: &[u8]) -> bool {
    let v = s.trim_ascii_start();
    v.first() == Some(&b'{') && v.get(1).is_some_and(|b| !matches!(b, b'"' | b'\''))
        || [&b"query"[..], b"mutation", b"subscription", b"fragment"]
            .iter()
            .any(|k| v.starts_with(k) && v.get(k.len()).is_some_and(|b| matches!(b, b' ' | b'{' | b'(' | b'\n' | b'\t')))
}

/// One open selection set: the field that opened it, and counts inside it.
struct Set<'a> {
    field: Option<&'a [u8]>,
    aliased: Vec<(&'a [u8], usize)>,
    names: Vec<(&'a [u8], usize)>,
}

fn bump<'a>(v: &mut Vec<(&'a [u8], usize)>, k: &'a [u8]) -> usize {
    match v.iter_mut().find(|(n, _)| *n == k) {
        Some((_, c)) => {
            *c += 1;
            *c
        }
        None => {
            v.push((k, 1));
            1
        }
    }
}

fn judge(s: &[u8]) -> Option<(Confidence, &'static str, usize)> {
    let t = tokenize(s);
    let mut stack: Vec<Set<'_>> = Vec::new();
    // The field whose selection set (or argument list) comes next.
    let mut last_field: Option<&[u8]> = None;
    let mut paren = 0usize;
    let mut directives = 0usize;
    let mut k = 0;
    while k < t.len() {
        let (tok, at) = t[k];
        match tok {
            Tok::Punct(b'(') => paren += 1,
            Tok::Punct(b')') => paren = paren.saturating_sub(1),
            _ if paren > 0 => {}
            Tok::Punct(b'{') => {
                if stack.len() + 1 > MAX_DEPTH {
                    return Some((High, "GraphQL query nested deeper than any client's", at));
                }
                if let Some(f) = last_field
                    && stack.iter().filter(|x| x.field == Some(f)).count() + 1 >= SELF_NESTING
                {
                    return Some((High, "GraphQL field nested inside itself", at));
                }
                stack.push(Set { field: last_field.take(), aliased: Vec::new(), names: Vec::new() });
                directives = 0;
            }
            Tok::Punct(b'}') => {
                stack.pop();
                last_field = None;
            }
            Tok::Punct(b'@') => {
                directives += 1;
                if directives >= DIRECTIVES_ON_ONE_FIELD {
                    return Some((High, "GraphQL directives repeated on one field", at));
                }
            }
            // A directive's or a variable's name.
            Tok::Name(_) if matches!(k.checked_sub(1).map(|p| t[p].0), Some(Tok::Punct(b'@' | b'$'))) => {}
            Tok::Name(n) if !stack.is_empty() => {
                // `alias: field`: the field is the name after the colon.
                let aliased = matches!(t.get(k + 1).map(|x| x.0), Some(Tok::Punct(b':')));
                let field = if aliased {
                    match t.get(k + 2).map(|x| x.0) {
                        Some(Tok::Name(f)) => {
                            k += 2;
                            f
                        }
                        _ => n,
                    }
                } else {
                    n
                };
                if field == b"on" || field == b"fragment" {
                    k += 1;
                    continue;
                }
                if field == b"__schema" {
                    return Some((High, "GraphQL schema introspection", at));
                }
                if field == b"__type" {
                    return Some((Medium, "GraphQL type introspection", at));
                }
                let top = stack.last_mut()?;
                if aliased && bump(&mut top.aliased, field) >= ALIASES_OF_ONE_FIELD {
                    return Some((High, "GraphQL field asked many times under aliases", at));
                }
                if bump(&mut top.names, field) >= REPEATS_IN_ONE_SET {
                    return Some((High, "GraphQL field repeated in one selection", at));
                }
                last_field = Some(field);
                directives = 0;
            }
            _ => {}
        }
        k += 1;
    }
    None
}

pub fn check(t: &Target<'_>) -> Option<Hit> {
    if !matches!(t.kind, Kind::Value) || !is_document(t.norm) {
        return None;
    }
    let (c, why, at) = judge(t.norm)?;
    Some(Hit::new(2551, c, format!("GraphQL: {why}"), at).why(why))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Option<Confidence> {
        crate::testutil::confidence(check, s)
    }

    #[test]
    fn reads_abuse_of_the_selection_tree() {
        assert_eq!(c("query { __schema { types { name } } }"), Some(High));
        assert_eq!(c("{ __type(name: \"User\") { fields { name } } }"), Some(Medium));
        assert_eq!(c("{ user(id: 1) { friends { friends { friends { friends { id } } } } } }"), Some(High));
        let aliases: Vec<String> = (0..12).map(|i| format!("a{i}: login(user: \"admin\", password: \"p{i}\") {{ token }}")).collect();
        assert_eq!(c(&format!("mutation {{ {} }}", aliases.join(" "))), Some(High));
        assert_eq!(c(&format!("query {{ me {{ id {} }} }}", "@include(if: true) ".repeat(6))), Some(High));
        assert_eq!(c(&format!("query {{ {} }}", "__typename ".repeat(12))), Some(High));
    }

    #[test]
    fn passes_what_clients_send() {
        for b in [
            "query Product($id: ID!) { product(id: $id) { id name __typename images(first: 5) { url alt __typename } \
             reviews(first: 10, orderBy: {field: CREATED_AT, direction: DESC}) { edges { node { rating body author { name } } } } } }",
            "mutation AddToCart($input: CartLineInput!) { cartLinesAdd(input: $input) { cart { id } userErrors { field message } } }",
            "query { a: product(id: 1) { id } b: product(id: 2) { id } c: product(id: 3) { id } }",
            "{ viewer { orders(last: 5) { edges { node { id status } } } } }",
            "query Search($q: String!) { search(query: $q) { nodes { ... on Product { id title } ... on Article { id title } } } }",
            "{\"query\": \"x\"}",
            "query results are empty",
        ] {
            assert_eq!(c(b), None, "{b}");
        }
    }

    #[test]
    fn random_documents_never_panic() {
        // A cheap stand-in for the `detectors` fuzz target, run by every
        // `cargo test`: documents drawn from the language's own bytes.
        const ALPHABET: &[u8] = b"{}()[]:@$!=|&,#\"\\\n query mutation __schema __type a b on ... fragment 1";
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut doc = b"query ".to_vec();
            for _ in 0..(x % 96) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                doc.push(ALPHABET[(x % ALPHABET.len() as u64) as usize]);
            }
            let _ = judge(&doc);
        }
    }

    #[test]
    fn unclosed_and_hostile_documents_end() {
        assert_eq!(c("{ a { b { c"), None);
        assert_eq!(c(&"{ x ".repeat(10_000)), Some(High));
        assert_eq!(c("query \"unterminated"), None);
        assert_eq!(c("{ a(\"\\"), None);
    }
}
