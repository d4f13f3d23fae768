//! SQL in an argument or cookie *name*. Forms and query builders make
//! names out of identifiers (`q`, `items[0][qty]`, `amp;page`); an
//! operator, a quote next to SQL punctuation, or a SQL phrase only gets
//! there when someone typed it, which is how attackers reach applications
//! that build column lists or `ORDER BY` clauses from parameter names.
//! A value needs a whole injected condition to be judged SQL; a name needs
//! much less. JSON and XML keys are not read here: they are free text in
//! translation tables (`{"Don't have an account?": "…"}`).

use haetae_model::Confidence::{self, High};

/// Operators of SQL dialects made of symbols.
const OPERATORS: &[&[u8]] = &[b"<>", b"!=", b"<=", b">=", b"==", b"||", b"&&", b">>", b"<<", b"->", b"->>", b"<=>", b"!<", b"!>"];

/// What `IS`, `LIKE`, `REGEXP`, `BETWEEN` test against in a name's phrase
/// (`is null`, `like not`).
fn is_null_like(w: &[u8]) -> bool {
    matches!(w, b"null" | b"not" | b"true" | b"false" | b"unknown")
}

pub fn judge(s: &[u8]) -> Option<(Confidence, &'static str, usize)> {
    let mut i = 0;
    while i < s.len() {
        if matches!(s[i], b'<' | b'>' | b'!' | b'=' | b'|' | b'&' | b'-') {
            let run = s[i..].iter().take_while(|b| matches!(b, b'<' | b'>' | b'!' | b'=' | b'|' | b'&' | b'-')).count();
            let op = &s[i..i + run];
            // `-` alone is in many names (`data-id`); it counts only as
            // part of `->`.
            let op = if op.starts_with(b"-") && !op.starts_with(b"->") { &op[1..] } else { op };
            if OPERATORS.contains(&op) {
                return Some((High, "SQL operator in a parameter name", i));
            }
            i += run;
        } else {
            i += 1;
        }
    }
    // `` `bla` ``: MySQL's quoting of an identifier, for a name that
    // becomes a column.
    if s.len() > 2 && s[0] == b'`' && s[s.len() - 1] == b'`' {
        return Some((High, "backtick-quoted identifier as a parameter name", 0));
    }
    // A quote beside SQL punctuation or a blank: `'admin', '1'`,
    // `"!"` and a newline, `! as' from`.
    if let Some(q) = s.iter().position(|&b| matches!(b, b'\'' | b'"' | b'`'))
        && s.iter().any(|&b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b',' | b'(' | b')' | b';' | b'=' | b'!' | b'#' | b'*'))
    {
        return Some((High, "quote and SQL punctuation in a parameter name", q));
    }
    phrase(s).map(|at| (High, "SQL phrase in a parameter name", at))
}

/// `is null`, `order by`, `execute php`, `in (0,1)`, `create table x`.
fn phrase(s: &[u8]) -> Option<usize> {
    if !s.iter().any(|&b| matches!(b, b' ' | b'\t' | b'\n' | b'(' | b'+')) {
        return None;
    }
    // Words with their offsets, and whether a `(` follows each.
    let mut words: Vec<(&[u8], usize, bool)> = Vec::new();
    let mut i = 0;
    while i < s.len() && words.len() < 32 {
        if s[i].is_ascii_alphabetic() || s[i] == b'_' {
            let st = i;
            while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'_') {
                i += 1;
            }
            let paren = s[i..].iter().find(|b| !matches!(b, b' ' | b'\t' | b'+')) == Some(&b'(');
            words.push((&s[st..i], st, paren));
        } else {
            i += 1;
        }
    }
    for (k, &(w, at, paren)) in words.iter().enumerate() {
        let next = words.get(k + 1).map(|n| n.0);
        let hit = match w {
            b"is" | b"like" | b"rlike" | b"regexp" | b"between" => next.is_some_and(is_null_like),
            b"in" | b"exists" | b"values" => paren,
            b"order" | b"group" => next == Some(b"by"),
            b"execute" | b"exec" => next.is_some(),
            b"create" | b"drop" | b"alter" | b"truncate" => {
                matches!(next, Some(b"table" | b"database" | b"procedure" | b"function" | b"user" | b"index" | b"view"))
            }
            b"insert" => next == Some(b"into"),
            b"delete" => next == Some(b"from"),
            b"union" => matches!(next, Some(b"select" | b"all" | b"distinct")),
            // `select * from`, `select*/ 1,2,3,user(`: a column list.
            b"select" => {
                words[k + 1..].iter().any(|n| n.0 == b"from")
                    || s[at + 6..].iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|&b| b == b'*' || b.is_ascii_digit())
            }
            _ => false,
        };
        if hit {
            return Some(at);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sql_in_names() {
        for n in [
            "<>",
            ">>",
            "!=",
            "||",
            "->",
            ">=",
            "is null",
            "like null",
            "in (0,1)",
            " in (815914, 815913)\n",
            "execute php",
            "order by",
            "'admin', '1'",
            ",varname\"",
            "\"!\"\n",
            "`!1\n",
            "! as' from",
            "and '5'orig_var_datavarname",
            "hash = 'abc', 0x1a",
            "create table persons",
            "select * from users",
            "`bla`",
            "select*/ 1,2,3,user(\n",
        ] {
            assert!(judge(n.as_bytes()).is_some(), "missed: {n}");
        }
    }

    #[test]
    fn leaves_names_alone() {
        for n in [
            "q",
            "items[0][qty]",
            "amp;page",
            "data-id",
            "utm_source",
            "$filter",
            "/controller/method",
            "first name",
            "sort by",
            "in",
            "order",
            "select all",
            "ns:field",
            "fields[]",
            "a.b.c",
            "_",
            "is_null",
            "login-form--submit",
        ] {
            assert!(judge(n.as_bytes()).is_none(), "false positive: {n}");
        }
    }
}
