//! SQL injection, judged the way libinjection does: tokenize the input as
//! SQL in each context an application may put it (inside a single-quoted
//! string, a double-quoted string, or bare as a number), and look at the
//! token sequence, not at keywords alone. `' or 1=1--` is a string break, a
//! boolean operator and a tautology; "Tom's or Jerry's" is not.

use haetae_model::Confidence::{High, Low, Medium};

use haetae_model::Source;

use super::{Hit, Kind, Target, find};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok<'a> {
    Str,
    Num,
    Word(&'a str),
    Var,
    Op(&'a str),
    LParen,
    RParen,
    Comma,
    Semi,
    Comment,
    Other,
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'.') || b >= 0x80
}

/// Tokenizes `s`; `open` is the quote the input starts inside (if any).
pub(super) fn tokenize(s: &[u8], open: Option<u8>) -> Vec<(Tok<'_>, usize)> {
    let mut t = Vec::new();
    let mut i = 0;
    if let Some(q) = open {
        // The value's prefix up to the first unescaped quote is string data.
        let end = string_end(s, 0, q);
        t.push((Tok::Str, 0));
        i = end;
    }
    while i < s.len() && t.len() < 256 {
        let b = s[i];
        let start = i;
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0xa0 => {
                i += 1;
                continue;
            }
            b'\'' | b'"' => {
                i = string_end(s, i + 1, b);
                t.push((Tok::Str, start));
            }
            b'`' => {
                i = memchr::memchr(b'`', &s[i + 1..]).map_or(s.len(), |p| i + 2 + p);
                t.push((Tok::Word("`ident`"), start));
            }
            b'-' if s.get(i + 1) == Some(&b'-') => {
                i = memchr::memchr(b'\n', &s[i..]).map_or(s.len(), |p| i + p + 1);
                t.push((Tok::Comment, start));
            }
            b'#' => {
                i = memchr::memchr(b'\n', &s[i..]).map_or(s.len(), |p| i + p + 1);
                t.push((Tok::Comment, start));
            }
            b'/' if s.get(i + 1) == Some(&b'*') => {
                if s.get(i + 2) == Some(&b'!') {
                    // MySQL executes `/*!50000 ... */`: keep tokenizing inside.
                    i += 3;
                    while i < s.len() && s[i].is_ascii_digit() {
                        i += 1;
                    }
                    continue;
                }
                i = super::find(&s[i + 2..], b"*/").map_or(s.len(), |p| i + 4 + p);
                // A comment between two words joins nothing: `un/**/ion` is not
                // `union` in SQL, but `union/**/select` separates fine.
                t.push((Tok::Comment, start));
            }
            b'*' if s.get(i + 1) == Some(&b'/') => {
                i += 2;
            }
            b'0'..=b'9' => {
                i += 1;
                while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'.') {
                    i += 1;
                }
                t.push((Tok::Num, start));
            }
            b'.' if s.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i += 1;
                while i < s.len() && s[i].is_ascii_digit() {
                    i += 1;
                }
                t.push((Tok::Num, start));
            }
            b'@' => {
                i += 1;
                while i < s.len() && (is_word(s[i]) || s[i] == b'@') {
                    i += 1;
                }
                t.push((Tok::Var, start));
            }
            b'(' => {
                i += 1;
                t.push((Tok::LParen, start));
            }
            b')' => {
                i += 1;
                t.push((Tok::RParen, start));
            }
            b',' => {
                i += 1;
                t.push((Tok::Comma, start));
            }
            b';' => {
                i += 1;
                t.push((Tok::Semi, start));
            }
            b'=' | b'<' | b'>' | b'!' | b'|' | b'&' | b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'~' | b':' => {
                i += 1;
                while i < s.len() && matches!(s[i], b'=' | b'<' | b'>' | b'|' | b'&' | b'!') && i - start < 3 {
                    i += 1;
                }
                let op = std::str::from_utf8(&s[start..i]).unwrap_or("?");
                t.push((Tok::Op(op), start));
            }
            b if is_word_start(b) => {
                i += 1;
                while i < s.len() && is_word(s[i]) {
                    i += 1;
                }
                // Non-UTF-8 bytes make a word no keyword can equal.
                let w = std::str::from_utf8(&s[start..i]).unwrap_or("\u{fffd}");
                t.push((Tok::Word(w), start));
            }
            _ => {
                i += 1;
                t.push((Tok::Other, start));
            }
        }
    }
    t
}

/// Index just past the closing quote (doubled quotes and backslashes escape).
fn string_end(s: &[u8], mut i: usize, q: u8) -> usize {
    while i < s.len() {
        if s[i] == b'\\' {
            i += 2;
            continue;
        }
        if s[i] == q {
            if s.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    s.len()
}

pub(super) fn word<'a>(t: &Tok<'a>) -> Option<&'a str> {
    match t {
        Tok::Word(w) => Some(w),
        _ => None,
    }
}

pub(super) fn is_bool_op(t: &Tok) -> bool {
    match t {
        Tok::Word(w) => matches!(*w, "or" | "and" | "xor" | "div" | "not"),
        Tok::Op(o) => matches!(*o, "||" | "&&" | "|" | "&" | "^"),
        _ => false,
    }
}

pub(super) fn is_cmp(t: &Tok) -> bool {
    match t {
        // `~`: PostgreSQL's regular-expression match.
        Tok::Op(o) => matches!(*o, "=" | "==" | "<" | ">" | "<=" | ">=" | "<>" | "!=" | "<=>" | "!<" | "!>" | "~"),
        Tok::Word(w) => matches!(*w, "like" | "rlike" | "regexp" | "is" | "in" | "between" | "sounds" | "glob"),
        _ => false,
    }
}

fn is_operand(t: &Tok) -> bool {
    matches!(t, Tok::Str | Tok::Num | Tok::Var | Tok::Word(_))
}

const SQL_FUNCS: &[&str] = &[
    "sleep",
    "benchmark",
    "pg_sleep",
    "waitfor",
    "extractvalue",
    "updatexml",
    "load_file",
    "char",
    "chr",
    "concat",
    "concat_ws",
    "group_concat",
    "substring",
    "substr",
    "ascii",
    "ord",
    "hex",
    "unhex",
    "version",
    "database",
    "user",
    "current_user",
    "system_user",
    "schema",
    "md5",
    "if",
    "iif",
    "case",
    "count",
    "cast",
    "convert",
    "elt",
    "make_set",
    "json_extract",
    "json_keys",
    "utl_inaddr.get_host_address",
    "dbms_pipe.receive_message",
    "randomblob",
    "exp",
    "floor",
    "rand",
    "mid",
    "length",
    "len",
    "isnull",
    "coalesce",
    "xp_cmdshell",
    "sys_eval",
    "dbms_lock.sleep",
    "string_agg",
    "to_char",
    "generate_series",
    "gtid_subset",
    "gtid_subtract",
];

const STATEMENTS: &[&str] = &[
    "select", "insert", "update", "delete", "drop", "create", "alter", "exec", "execute", "declare", "shutdown", "truncate", "grant",
    "revoke", "waitfor", "merge", "call", "set", "replace", "load", "copy", "handler", "begin", "union", "if",
];

/// True when the tokens from `i` form a boolean tail that is always true or
/// otherwise meaningful: `or 1=1`, `or 'a'='a`, `and sleep(5)`, `or true--`.
/// `bare` (no string was broken, the value starts with a number): only a
/// comparison whose sides are both literals, or the same name, is true
/// whatever the row; `1|t=14408|et=730` in a cookie compares a column.
fn boolean_tail(t: &[(Tok<'_>, usize)], i: usize, bare: bool) -> Option<&'static str> {
    let op = &t.get(i)?.0;
    if !is_bool_op(op) {
        return None;
    }
    let mut j = i + 1;
    loop {
        match t.get(j).map(|x| &x.0) {
            Some(Tok::LParen) => j += 1,
            Some(Tok::Op(o)) if *o == "!" || *o == "-" || *o == "~" => j += 1,
            _ => break,
        }
    }
    let a = &t.get(j)?.0;
    if let Some(w) = word(a)
        && SQL_FUNCS.contains(&w)
        && matches!(t.get(j + 1).map(|x| &x.0), Some(Tok::LParen))
    {
        return Some("boolean condition with a SQL function call");
    }
    if matches!(a, Tok::Word(w) if *w == "exists" || *w == "select") {
        return Some("boolean condition with a subquery");
    }
    if !is_operand(a) {
        return None;
    }
    // `&`, `|`, `^` are bitwise in SQL and common in random strings:
    // only literal comparisons (`'&1=1`) count after them.
    let bitwise = matches!(op, Tok::Op(o) if o.len() == 1);
    if bitwise && !matches!(a, Tok::Num | Tok::Str) {
        return None;
    }
    let mut k = j + 1;
    while matches!(t.get(k).map(|x| &x.0), Some(Tok::RParen)) {
        k += 1;
    }
    // `or 2+2=4`: arithmetic on the left of the comparison.
    let mut hops = 0;
    while hops < 4
        && matches!(t.get(k).map(|x| &x.0), Some(Tok::Op("+" | "-" | "*" | "/")))
        && t.get(k + 1).is_some_and(|x| matches!(x.0, Tok::Num))
    {
        k += 2;
        hops += 1;
    }
    match t.get(k).map(|x| &x.0) {
        Some(c) if is_cmp(c) => {
            let mut m = k + 1;
            loop {
                match t.get(m).map(|x| &x.0) {
                    Some(Tok::LParen) => m += 1,
                    Some(Tok::Word(w)) if *w == "not" || *w == "binary" => m += 1,
                    Some(Tok::Word(w)) if *w == "null" => return Some("tautology"),
                    _ => break,
                }
            }
            let b = &t.get(m)?.0;
            if !is_operand(b) {
                return None;
            }
            let literal = |x: &Tok| matches!(x, Tok::Num | Tok::Str);
            (!bare || literal(a) && literal(b) || matches!((a, b), (Tok::Word(x), Tok::Word(y)) if x == y)).then_some("tautology")
        }
        // `1200|799`: a bitwise operator over numbers is arithmetic; only a
        // query ended after it (`'|1--`) makes it a condition.
        None if bitwise => None,
        // `or 1--`, `or true#`, `or 1` at the end: true by itself.
        None | Some(Tok::Comment) | Some(Tok::Semi) if matches!(a, Tok::Num | Tok::Str | Tok::Word(_)) => match a {
            Tok::Num => Some("always-true literal"),
            Tok::Word(w) if *w == "true" || *w == "null" => Some("always-true literal"),
            _ => None,
        },
        _ => None,
    }
}

/// Looks at the token stream from `i` (just after a string break, a number,
/// or the start) and says why it is an attack.
fn judge_tail(t: &[(Tok<'_>, usize)], mut i: usize, after_break: bool, s_len: usize) -> Option<(&'static str, usize)> {
    // Closing parentheses of the application's own query: `') or ('a'='a`.
    while matches!(t.get(i).map(|x| &x.0), Some(Tok::RParen)) {
        i += 1;
    }
    let at = t.get(i).map_or(0, |x| x.1);
    let cur = &t.get(i)?.0;
    if let Some(why) = boolean_tail(t, i, !after_break) {
        return Some((why, at));
    }
    // `1='1' or 1-- -`, `1='1' or-- -`: a number compared with a literal,
    // then a boolean tail or a boolean operator and a comment ending the
    // query.
    if !after_break && is_cmp(cur) && matches!(t.get(i + 1).map(|x| &x.0), Some(Tok::Str | Tok::Num)) {
        if let Some(why) = boolean_tail(t, i + 2, !after_break) {
            return Some((why, at));
        }
        if t.get(i + 2).is_some_and(|x| is_bool_op(&x.0)) && matches!(t.get(i + 3).map(|x| &x.0), Some(Tok::Comment)) {
            return Some(("comparison, boolean operator and comment", at));
        }
    }
    match cur {
        Tok::Comment if after_break => return Some(("string break then comment", at)),
        Tok::Semi => {
            let next = t.get(i + 1).and_then(|x| word(&x.0))?;
            if STATEMENTS.contains(&next) && next != "if" && next != "set" || next == "declare" {
                return Some(("stacked query", at));
            }
        }
        Tok::Word(w) => {
            let w = *w;
            let next = t.get(i + 1).and_then(|x| word(&x.0));
            match (w, next) {
                ("union", Some("select" | "all" | "distinct")) => return Some(("UNION SELECT", at)),
                ("order" | "group", Some("by")) if after_break || matches!(t.get(i + 2).map(|x| &x.0), Some(Tok::Num)) => {
                    return Some(("ORDER/GROUP BY injected", at));
                }
                // Not a word quoted in text: "print up to 'limit' entries".
                ("having" | "limit" | "procedure" | "into", _) if after_break && !matches!(t.get(i + 1).map(|x| &x.0), Some(Tok::Str)) => {
                    return Some(("clause injected", at));
                }
                ("waitfor", Some("delay" | "time")) => return Some(("time-based WAITFOR", at)),
                _ => {}
            }
        }
        Tok::Op(o) if after_break && matches!(*o, "||" | "+" | "-" | "*" | "/" | "=" | "<>" | "!=") => {
            // `'||pg_sleep(5)--`, `'+(select ...)+'`, `'='`, `'-sleep(5)-'`
            let mut j = i + 1;
            while matches!(t.get(j).map(|x| &x.0), Some(Tok::LParen)) {
                j += 1;
            }
            match t.get(j).map(|x| &x.0) {
                Some(Tok::Word(w)) if SQL_FUNCS.contains(w) || *w == "select" => {
                    return Some(("string break then expression", at));
                }
                // `'='` (the whole condition is `'x'=''`): the second string
                // is empty or tiny and nothing but a comment follows.
                Some(Tok::Str)
                    if *o == "="
                        && t.get(j + 1).map_or(s_len, |x| x.1) - t[j].1 <= 4
                        && matches!(t.get(j + 1).map(|x| &x.0), None | Some(Tok::Comment) | Some(Tok::Semi)) =>
                {
                    return Some(("string break then comparison", at));
                }
                _ => {}
            }
        }
        _ => {}
    }
    None
}

/// Prefixes of the `@@` names MySQL and SQL Server answer (`@@version`,
/// `@@datadir`, `@@global.secure_file_priv`, `@@servername`): a random
/// string's `@@vwEGa` names none.
const SERVER_VARIABLES: &[&[u8]] = &[
    b"version",
    b"datadir",
    b"basedir",
    b"hostname",
    b"servername",
    b"servicename",
    b"tmpdir",
    b"plugin_dir",
    b"secure_file",
    b"global.",
    b"session.",
    b"local.",
    b"innodb",
    b"log",
    b"sql_mode",
    b"character_set",
    b"collation",
    b"max_",
    b"identity",
    b"rowcount",
    b"error",
    b"spid",
    b"language",
    b"microsoftversion",
    b"trancount",
    b"fetch_status",
    b"port",
    b"socket",
    b"have_",
    b"general_log",
    b"user",
    b"lc_",
    b"time_zone",
    b"system_time_zone",
    b"sql_",
    b"autocommit",
    b"dbts",
    b"connections",
];

fn scan(s: &[u8]) -> Option<(&'static str, usize, bool)> {
    let has_sq = memchr::memchr(b'\'', s).is_some();
    let has_dq = memchr::memchr(b'"', s).is_some();
    for (open, present) in [(Some(b'\''), has_sq), (Some(b'"'), has_dq), (None, true)] {
        if !present {
            continue;
        }
        let t = tokenize(s, open);
        if open.is_some() {
            if let Some((why, at)) = judge_tail(&t, 1, true, s.len()) {
                return Some((why, at, true));
            }
        } else {
            // Bare: a number (possibly negative/parenthesized) then a tail.
            let mut i = 0;
            while matches!(t.get(i).map(|x| &x.0), Some(Tok::Op(o)) if *o == "-") {
                i += 1;
            }
            if matches!(t.get(i).map(|x| &x.0), Some(Tok::Num))
                && let Some((why, at)) = judge_tail(&t, i + 1, false, s.len())
            {
                return Some((why, at, false));
            }
        }
        // Anywhere in the value: constructs with no benign reading.
        for (k, (tok, at)) in t.iter().enumerate() {
            let next = t.get(k + 1).map(|x| &x.0);
            match tok {
                Tok::Word(w) => {
                    let w = *w;
                    if w == "union" && matches!(next, Some(Tok::Word(n)) if *n == "select" || *n == "all" || *n == "distinct") {
                        return Some(("UNION SELECT", *at, false));
                    }
                    if matches!(next, Some(Tok::LParen))
                        && matches!(
                            w,
                            "sleep"
                                | "benchmark"
                                | "pg_sleep"
                                | "extractvalue"
                                | "updatexml"
                                | "load_file"
                                | "dbms_pipe.receive_message"
                                | "utl_inaddr.get_host_address"
                                | "xp_cmdshell"
                                | "sys_eval"
                                | "dbms_lock.sleep"
                        )
                    {
                        return Some(("SQL function used for injection", *at, false));
                    }
                    if w == "information_schema.tables" || w == "information_schema.columns" || w.starts_with("information_schema") {
                        return Some(("information_schema access", *at, false));
                    }
                    if w == "select" && k + 3 < t.len() {
                        // select <expr> from <table>
                        let from = t[k + 1..t.len().min(k + 12)].iter().position(|x| word(&x.0) == Some("from"));
                        if let Some(f) = from
                            && matches!(t.get(k + 1 + f + 1).map(|x| &x.0), Some(Tok::Word(_)) | Some(Tok::Str))
                            && t[k + 1..k + 1 + f].iter().any(|x| {
                                matches!(x.0, Tok::Comma | Tok::LParen | Tok::Var | Tok::Op(_)) || matches!(&x.0, Tok::Word(w) if *w == "*")
                            })
                        {
                            return Some(("SELECT ... FROM", *at, false));
                        }
                    }
                }
                Tok::Var => {
                    // @@version and friends: a name must follow.
                    let v = &s[*at..];
                    if let Some(name) = v.strip_prefix(b"@@")
                        && SERVER_VARIABLES.iter().any(|p| name.len() >= p.len() && name[..p.len()].eq_ignore_ascii_case(p))
                    {
                        return Some(("server variable", *at, false));
                    }
                }
                Tok::Semi => {
                    if let Some(n) = next.and_then(word)
                        && matches!(n, "drop" | "insert" | "delete" | "shutdown" | "truncate" | "declare" | "exec" | "execute" | "waitfor")
                        && k + 2 < t.len()
                    {
                        return Some(("stacked query", *at, false));
                    }
                }
                _ => {}
            }
        }
    }
    None
}

/// `s` with every `/* … */` replaced by one blank.
fn blank_block_comments(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i..].starts_with(b"/*") {
            i = find(&s[i + 2..], b"*/").map_or(s.len(), |q| i + 4 + q);
            out.push(b' ');
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

pub(super) fn comment_has_text(c: &[u8]) -> bool {
    let body = c.strip_prefix(b"--").or_else(|| c.strip_prefix(b"#")).or_else(|| c.strip_prefix(b"/*")).unwrap_or(c);
    // `-- -` and `--+` are how the comment mark is written to survive
    // trimming; anything else after it (`'#^`, `'#x`) reads like the tail
    // of a generated password.
    body.iter().any(|b| !b.is_ascii_whitespace() && !matches!(b, b'-' | b'+' | b'#' | b'/' | b'*' | b';'))
}

pub fn check(t: &Target<'_>) -> Option<Hit> {
    if t.kind == Kind::FileName {
        return None;
    }
    let mut h = check_any(t)?;
    // Statement shapes with no string broken, in an editor's post (`<pre>SELECT
    // DATE_FORMAT(…) FROM orders</pre>`): a question about SQL, not a number
    // context; a quote break there stays certain.
    if t.rich_text() && BARE_STATEMENT_SHAPES.contains(&h.why.unwrap_or("")) && h.confidence == High {
        h.confidence = Medium;
    }
    Some(h)
}

/// Shapes that read a whole statement where a number was expected.
const BARE_STATEMENT_SHAPES: &[&str] =
    &["SELECT of a function or variable", "SELECT ... FROM", "statement ending in a comment", "UNION SELECT", "stacked query"];

/// A name no form builder makes: a JSON object or array, a URL, or words
/// between blanks.
fn free_text_name(s: &[u8]) -> bool {
    let v = s.trim_ascii();
    matches!(v.first(), Some(b'{' | b'[')) && matches!(v.last(), Some(b'}' | b']'))
        || find(v, b"://").is_some()
        || v.iter().filter(|&&b| b == b' ').count() >= 3
}

fn check_any(t: &Target<'_>) -> Option<Hit> {
    let s = t.norm;
    if let Some((c, why, at)) = super::sqli_frag::names(s) {
        return Some(Hit::new(4002, c, format!("SQL: {why}"), at).why(why));
    }
    // A "name" that is a JSON document, a URL or a sentence (a body posted
    // without `=`, a JS error message as a form key) is a value that lost
    // its key, and is read as one.
    if t.kind == Kind::Name && matches!(t.source, Source::Query | Source::Form | Source::Multipart | Source::Cookie) && !free_text_name(s) {
        if let Some((c, why, at)) = super::sqli_name::judge(s) {
            return Some(Hit::new(4003, c, format!("SQL: {why}"), at).why(why));
        }
        // What reads as likely SQL in a value is more than likely in a
        // name, which is an identifier in every benign request.
        return check_value(s).map(|h| Hit { confidence: High, ..h });
    }
    // A path is inspected only when it has what SQL needs and a path
    // rarely has: a quote, a blank or a parenthesis; each segment is read
    // as a value, with `+` as a blank (`/24'union+all+select+1`).
    if t.kind == Kind::Path {
        if !s.iter().any(|&b| matches!(b, b'\'' | b'"' | b' ' | b'(' | b'+')) {
            return None;
        }
        // `/item/1'/**/union/**/select/**/1--`: a block comment stands for a
        // blank, not for segment boundaries.
        let commented = find(s, b"/*").is_some_and(|a| find(&s[a + 2..], b"*/").is_some());
        let uncommented = if commented { std::borrow::Cow::Owned(blank_block_comments(s)) } else { std::borrow::Cow::Borrowed(s) };
        let spaced: Vec<u8> = uncommented.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
        let mut off = 0;
        for seg in spaced.split(|&b| b == b'/') {
            if seg.iter().any(|&b| matches!(b, b'\'' | b'"' | b' ' | b'('))
                && let Some(mut h) = check_value(seg)
            {
                h.at += off;
                return Some(h);
            }
            off += seg.len() + 1;
        }
        return None;
    }
    check_value(s)
}

fn check_value(s: &[u8]) -> Option<Hit> {
    // Cheap gate: every form above needs a quote, an operator, a
    // parenthesis, a comment, a semicolon, or a space between words
    // (or MySQL's `1.e.tables`).
    if s.len() < 2
        || !s.iter().any(|&b| {
            matches!(
                b,
                b'\''
                    | b'"'
                    | b'('
                    | b';'
                    | b'='
                    | b'#'
                    | b'-'
                    | b' '
                    | b'@'
                    | b'/'
                    | b'|'
                    | b'&'
                    | b'`'
                    | b'<'
                    | b'>'
                    | b'+'
                    | b'\t'
                    | b'\n'
                    | b':'
            )
        }) && find(s, b".e.").is_none()
    {
        return None;
    }
    let frag = || super::sqli_frag::judge(s).map(|(c, why, at)| Hit::new(4002, c, format!("SQL: {why}"), at).why(why));
    // Prose (words, blanks, commas, periods) can only be `union select`,
    // `select … from` or a number and a boolean tail: skip tokenizing the
    // rest.
    let plain =
        !s.iter().any(|&b| !(b.is_ascii_alphanumeric() || b >= 0x80 || matches!(b, b' ' | b',' | b'.' | b'\n' | b'\r' | b'!' | b'?')));
    if plain && !s.trim_ascii_start().first().is_some_and(u8::is_ascii_digit) && find(s, b"union").is_none() && find(s, b"select").is_none()
    {
        return frag();
    }
    // `1'/**/OR/**/1=1--`: block comments standing for blanks.
    let uncommented: Vec<u8>;
    let found = match scan(s) {
        None if find(s, b"/*").is_some() && find(s, b"/*!").is_none() => {
            uncommented = blank_block_comments(s);
            scan(&uncommented)
        }
        // `1'/**/or/**/1/**/like/**/1--`: the first `/**/` read as the
        // comment ending the query hid the condition behind it.
        Some((why, _, _)) if why == "string break then comment" && find(s, b"/*").is_some() && find(s, b"/*!").is_none() => {
            uncommented = blank_block_comments(s);
            scan(&uncommented).filter(|r| r.0 != "string break then comment").or_else(|| scan(s))
        }
        r => r,
    };
    let Some((why, at, _)) = found else {
        return frag();
    };
    let conf = match why {
        "SELECT ... FROM" => Medium,
        // `admin'--` / `admin'#` discard the rest of the query; text after
        // the comment mark (as in a random password) makes that less sure.
        // Quotes after the mark (`"#cart-count").innerText'`, a selector in
        // a JS error report) are text that goes on quoting, not a query cut.
        "string break then comment" if comment_has_text(&s[at..]) && memchr::memchr2(b'\'', b'"', &s[at + 1..]).is_some() => Low,
        "string break then comment" if comment_has_text(&s[at..]) => Medium,
        _ => High,
    };
    if conf < High
        && let Some(h) = frag().filter(|h| h.confidence == High)
    {
        return Some(h);
    }
    Some(Hit::new(4001, conf, format!("SQL: {why}"), at).why(why))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::target;

    fn hit(s: &str) -> bool {
        let (norm, ev) = crate::normalize::normalize(s.as_bytes());
        check(&target(s.as_bytes(), &norm, ev)).is_some()
    }

    #[test]
    fn catches_classic_forms() {
        for a in [
            "' or 1=1--",
            "') or ('a'='a",
            "admin'--",
            "\" or \"\"=\"",
            "1 or 1=1",
            "1) or (1=1",
            "-1 union select 1,2,3",
            "1' union all select null,version()--",
            "1; drop table users",
            "x'; waitfor delay '0:0:5'--",
            "1 and sleep(5)",
            "'||pg_sleep(5)--",
            "1' and extractvalue(1,concat(0x7e,version()))--",
            "' or true--",
            "1/*!50000union*/ select 1",
            "' OR 'x'='x",
            "1 order by 3--",
            "select * from users where id=1",
            "' having 1=1--",
            "x' and 1=(select count(*) from tabname); --",
            "admin'#",
            "admin' -- -",
            "x'='",
            "1 union select @@version",
            "'&1=1--",
            "1´ OR ´1´=´1",
            "1'/**/OR/**/1=1--",
            "-1 OR 2+2=4",
            "1' AND GTID_SUBSET(CONCAT(0x7e,(SELECT database()),0x7e),1)--",
            "1'/**/oR/**/1/**/like/**/1--",
            "x' or email~all(array[email]);analyze--",
            "1='1' or 1-- -",
            "1='1' or-- -",
        ] {
            assert!(hit(a), "missed: {a}");
        }
    }

    #[test]
    fn reads_password_fields_as_any_value() {
        let pw = |v: &str| crate::testutil::confidence_at(check, Source::Form, Kind::Value, "mb_password", v) == Some(High);
        for a in ["' or '1'='1", "'or''='", "' or 1=1--", "x'/**/or/**/1=1#", "1' union select 1,2--", "admin'#", "Ab'||sleep(5)||'"] {
            assert!(pw(a), "missed: {a}");
        }
        // `@@vwEGa` names no server variable.
        for b in ["PQTuc&@@vwEGa", "}%^Yc@@BMwgbew44", "Hunter2!"] {
            assert!(!pw(b), "false positive: {b}");
        }
    }

    #[test]
    fn a_name_that_is_a_document_is_read_as_a_value() {
        assert!(free_text_name(br#"{"tm":0.01,"output":"js","domain_name":"http://x.example/"}"#));
        assert!(free_text_name(b"TypeError: x is not a function"));
        assert!(!free_text_name(b"items[0][qty]"));
        let name = |v: &str| crate::testutil::confidence_at(check, Source::Form, Kind::Name, v, v) == Some(High);
        assert!(!name(r#"{"tm":0.011694,"output":"js","domain_name":"http://x.example/","hl":"en"}"#));
        assert!(name("a' or 1=1--"));
        assert!(name("id<>1"));
    }

    #[test]
    fn sql_quoted_in_an_editor_post_is_text_but_a_break_there_is_not() {
        let c = |v: &str| crate::testutil::confidence(check, v);
        assert_eq!(
            c("<p>월별 합계</p><pre>SELECT DATE_FORMAT(created_at, '%Y-%m') AS ym, SUM(amount)\nFROM orders GROUP BY ym;</pre>"),
            Some(Medium)
        );
        assert_eq!(c("SELECT DATE_FORMAT(created_at, '%Y-%m') AS ym"), Some(High));
        assert_eq!(c("<p>x</p>' or 1=1--"), Some(High));
    }

    #[test]
    fn the_statement_shapes_softened_in_editor_posts_are_shapes() {
        for why in BARE_STATEMENT_SHAPES {
            assert!(crate::detect::shapes::by_reason("sqli", why).is_some(), "{why} names no sqli shape");
        }
    }

    #[test]
    fn a_bare_number_needs_a_real_tautology() {
        // Cookie and beacon values that start with a number: a comparison
        // of a column is no tautology, a bitwise `|` no condition.
        for b in ["2294e5bb33040034||t=1440877500|et=730|cs=002213fd48cdc1a2dfa7ef369a", "1200|799", "/Date(1592913818283+0530)/"] {
            assert!(!hit(b), "false positive: {b}");
        }
        for a in ["1 or 1=1", "1 || 'a'='a'", "1 and x=x", "1 or true--", "1'|1--"] {
            assert!(hit(a), "missed: {a}");
        }
    }

    #[test]
    fn passes_prose_and_data() {
        for b in [
            "Tom's and Jerry's",
            "I can't select a date from the calendar",
            "Print up to 'limit' stack trace entries from the traceback 'tb'.",
            "rock & roll",
            "O'Reilly",
            "hello world",
            "2024-01-01",
            "price >= 100 and <= 200",
            "let's meet at 10 or 11",
            "Please select one option from the menu",
            "a-b-c -- d",
            "you're \"the best\" -- really",
            "사진을 올렸습니다. 확인 부탁드려요!",
            "union station",
            "1-2-3",
            "@@}x9!Lq",
            "zz:'&aB=cD&q",
            "he wrote ='). and then the rest of a sentence",
        ] {
            assert!(!hit(b), "false positive: {b}");
        }
    }

    #[test]
    fn random_passwords_do_not_reach_high_confidence() {
        for b in ["k7'#Wq9zP", "Xy'--Q3rt", "p'/*z9"] {
            let (norm, ev) = crate::normalize::normalize(b.as_bytes());
            let c = check(&target(b.as_bytes(), &norm, ev)).map(|h| h.confidence);
            assert_ne!(c, Some(High), "{b}");
        }
    }
}
