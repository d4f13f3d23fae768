//! SQL fragments: pieces of a query an attacker splices in that carry no
//! tautology or UNION but still only make sense as SQL — a value that is a
//! call to a SQL function, PostgreSQL JSON operators between strings, a
//! string break with an operator and a trailing comment, `) AS x FROM`,
//! backtick-qualified names, system catalogs, `EXEC xp_…`. Used by
//! [`super::sqli`] when its main grammar finds nothing.

use haetae_model::Confidence::{self, High, Medium};

use super::sqli::{Tok, is_bool_op, is_cmp, tokenize, word};
use super::{find, is_ident};

/// SQL functions of MySQL, PostgreSQL, MSSQL, Oracle and SQLite that
/// injections call. A value that is nothing but a call to one is SQL.
const FUNC_LIST: &[&str] = &[
    "ascii",
    "bin",
    "bit_length",
    "char",
    "nchar",
    "char_length",
    "character_length",
    "chr",
    "concat",
    "concat_ws",
    "conv",
    "convert",
    "cast",
    "compress",
    "uncompress",
    "database",
    "schema",
    "user",
    "current_user",
    "session_user",
    "system_user",
    "version",
    "substring",
    "substr",
    "substring_index",
    "mid",
    "left",
    "right",
    "length",
    "len",
    "lower",
    "upper",
    "lcase",
    "ucase",
    "ltrim",
    "rtrim",
    "trim",
    "replace",
    "reverse",
    "repeat",
    "space",
    "instr",
    "locate",
    "position",
    "find_in_set",
    "field",
    "elt",
    "make_set",
    "export_set",
    "lpad",
    "rpad",
    "hex",
    "unhex",
    "ord",
    "soundex",
    "sleep",
    "benchmark",
    "pg_sleep",
    "md5",
    "sha1",
    "sha2",
    "password",
    "old_password",
    "encode",
    "decode",
    "aes_encrypt",
    "aes_decrypt",
    "des_encrypt",
    "des_decrypt",
    "encrypt",
    "load_file",
    "extractvalue",
    "updatexml",
    "json_extract",
    "json_keys",
    "json_object",
    "json_array",
    "json_value",
    "json_query",
    "group_concat",
    "string_agg",
    "listagg",
    "xmlagg",
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "abs",
    "ceil",
    "ceiling",
    "floor",
    "round",
    "rand",
    "random",
    "randomblob",
    "sin",
    "cos",
    "tan",
    "cot",
    "asin",
    "acos",
    "atan",
    "atan2",
    "pow",
    "power",
    "sqrt",
    "exp",
    "ln",
    "log",
    "log2",
    "log10",
    "mod",
    "pi",
    "sign",
    "degrees",
    "radians",
    "now",
    "sysdate",
    "curdate",
    "curtime",
    "date",
    "time",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "date_format",
    "from_unixtime",
    "unix_timestamp",
    "last_insert_id",
    "row_count",
    "found_rows",
    "connection_id",
    "coalesce",
    "ifnull",
    "nullif",
    "isnull",
    "nvl",
    "iif",
    "if",
    "values",
    "row",
    "exists",
    "db_name",
    "user_name",
    "host_name",
    "object_id",
    "object_name",
    "is_srvrolemember",
    "has_dbaccess",
    "serverproperty",
    "openrowset",
    "opendatasource",
    "openquery",
    "xp_cmdshell",
    "sp_executesql",
    "sp_oacreate",
    "utl_http.request",
    "utl_inaddr.get_host_address",
    "dbms_pipe.receive_message",
    "dbms_lock.sleep",
    "sys_eval",
    "sys_exec",
    "to_char",
    "to_number",
    "to_date",
    "generate_series",
    "current_database",
    "current_schema",
    "inet_server_addr",
    "pg_read_file",
    "pg_ls_dir",
    "lo_import",
    "lo_export",
    "query_to_xml",
    "database_to_xml",
    "xmltype",
    "ctxsys.drithsx.sn",
    "sqlite_version",
    "typeof",
    "zeroblob",
    "unicode",
    "glob",
    "likely",
    "printf",
    "quote",
    "char_length",
    "octet_length",
    "make_time",
    "makedate",
    "timediff",
    "datediff",
    "dateadd",
    "getdate",
    "current_timestamp",
    "collation",
    "charset",
    "coercibility",
    "uuid",
    "crc32",
    "inet_aton",
    "inet_ntoa",
    "format",
    "name_const",
    "strcmp",
    "starts_with",
    "json",
    "json_search",
    "json_valid",
    "json_contains",
    "json_type",
    "likelihood",
    "div",
    "lo_get",
    "gtid_subset",
    "gtid_subtract",
    "insert",
    "execute",
    "exec",
];

static FUNCS: super::Words = super::Words::new(FUNC_LIST);

/// Stored procedures and packages that only attacks call from a web form,
/// then system catalogs only schema discovery names: one automaton, since
/// both are looked for in every value.
static NAMES: super::Needles = super::Needles::new(&[
    b"xp_cmdshell",
    b"xp_regread",
    b"xp_regwrite",
    b"xp_dirtree",
    b"xp_fileexist",
    b"xp_servicecontrol",
    b"xp_availablemedia",
    b"xp_makecab",
    b"xp_ntsec_enumdomains",
    b"xp_terminate_process",
    b"sp_executesql",
    b"sp_oacreate",
    b"sp_oamethod",
    b"sp_password",
    b"sp_configure",
    b"sp_makewebtask",
    b"sp_addextendedproc",
    b"sp_addlogin",
    b"sp_addsrvrolemember",
    b"openrowset",
    b"opendatasource",
    b"utl_http",
    b"utl_inaddr",
    b"utl_file",
    b"dbms_pipe",
    b"dbms_lock",
    b"dbms_xmlgen",
    b"dbms_java",
    b"nvarchar",
    b"msdasql",
    b"sqloledb",
    // System catalogs.
    b"information_schema",
    b"pg_catalog",
    b"pg_shadow",
    b"pg_user",
    b"pg_database",
    b"pg_namespace",
    b"sqlite_master",
    b"sqlite_schema",
    b"sqlite_temp_master",
    b"sysobjects",
    b"syscolumns",
    b"sysdatabases",
    b"msysobjects",
    b"msysaccessobjects",
    b"msysqueries",
    b"mysql.user",
    b"mysql.db",
    b"all_tables",
    b"all_tab_columns",
    b"user_tables",
    b"user_tab_columns",
    b"dba_users",
    b"sys.tables",
    b"sys.columns",
    b"sys.databases",
    b"sys.objects",
    b"sys.sql_logins",
    b"master..",
    b"msdb.dbo",
    b"performance_schema",
    b"msdb",
    b"schema_name",
    b"msysaccessobjects",
    b"msysrelationships",
    b"tempdb",
    b"northwind",
]);
const PROCEDURE_COUNT: usize = 31;

/// SQL words that inline comments (`SELECT/**/x/**/FROM`) separate in an
/// evasion.
const KEYWORDS: &[&str] = &[
    "select",
    "union",
    "from",
    "where",
    "and",
    "or",
    "insert",
    "update",
    "delete",
    "drop",
    "order",
    "group",
    "by",
    "having",
    "limit",
    "into",
    "values",
    "table",
    "exec",
    "execute",
    "declare",
    "sleep",
    "benchmark",
];

/// Names only SQL uses: stored procedures and system catalogs. Checked on
/// every value, even one without punctuation (`msdb`, `xp_cmdshell`).
pub fn names(s: &[u8]) -> Option<(Confidence, &'static str, usize)> {
    let word_start = |_: usize, at: usize| at == 0 || !is_ident(s[at - 1]);
    let (p, at) = NAMES.find_where(s, word_start)?;
    Some((High, if p < PROCEDURE_COUNT { "database system procedure" } else { "system catalog" }, at))
}

/// `';`, `' = # '`, `'? # = --`, `"'`: a short value that opens with a
/// quote and goes straight on to SQL punctuation, or is nothing but quotes
/// of two kinds; what testers and scanners send to see whether a quote
/// breaks the query. A quoted word or phrase (`"exact phrase"`, `'70s`)
/// has a letter or digit after its quote.
fn quote_probe(s: &[u8]) -> Option<usize> {
    let v = s.trim_ascii();
    let is_quote = |b: &u8| matches!(b, b'\'' | b'"' | b'`');
    if !(2..=32).contains(&v.len()) || !is_quote(&v[0]) {
        return None;
    }
    // Probes are short or spaced out (`';print'`, `' ? # = #`); a long
    // unbroken run of punctuation and letters is a generated password.
    if v.len() > 8 && !v.contains(&b' ') {
        return None;
    }
    let rest = &v[1..];
    if rest.iter().all(is_quote) && rest.iter().any(|&b| b != v[0]) {
        return Some(0);
    }
    let lead = rest.trim_ascii_start();
    let sql_punct = |b: &u8| matches!(b, b';' | b'#' | b'=' | b'`' | b'\'' | b'"') || *b == b'-';
    match lead.first() {
        Some(b';') => Some(0),
        // Not `'#8000` (a colour, an anchor): the comment mark alone.
        Some(b'#') if lead.get(1).is_none_or(|b| !b.is_ascii_alphanumeric()) => Some(0),
        // ``` ``name`` ``` is reStructuredText's literal, not a probe.
        Some(b'`') if v[0] != b'`' => Some(0),
        Some(b'*' | b'?' | b'=') if lead[1..].iter().filter(|b| sql_punct(b)).count() >= 2 => Some(0),
        _ => None,
    }
}

/// `something LIKE '`, `name REGEXP "`: the value ends by opening a string as
/// the right side of a comparison, leaving the application's own quote to
/// close what the attacker continues in the next parameter.
fn comparison_opening_string(s: &[u8]) -> Option<usize> {
    let v = s.trim_ascii_end();
    let q = *v.last()?;
    if !matches!(q, b'\'' | b'"') || memchr::memchr_iter(q, v).count().is_multiple_of(2) || v.len() > 64 {
        return None;
    }
    let before = v[..v.len() - 1].trim_ascii_end();
    // Not `=`: `>>> uri = '` is a line of code cut short as often.
    let op = [&b" like"[..], b" rlike", b" ilike", b" regexp"].into_iter().find(|o| before.ends_with(o))?;
    let left = before[..before.len() - op.len()].trim_ascii_end();
    left.last().is_some_and(|&b| is_ident(b)).then(|| left.len() - left.iter().rev().take_while(|&&b| is_ident(b)).count())
}

pub fn judge(s: &[u8]) -> Option<(Confidence, &'static str, usize)> {
    if let Some(at) = quote_probe(s) {
        return Some((High, "a quote then SQL punctuation: an injection probe", at));
    }
    if let Some(at) = comparison_opening_string(s) {
        return Some((High, "comparison opening a string at the value's end", at));
    }
    // One pass for the punctuation every check below needs.
    let mut seen = [false; 128];
    for &b in s {
        if b < 128 {
            seen[b as usize] = true;
        }
    }
    let has = |c: u8| seen[c as usize];
    if (has(b'\'') || has(b':') || has(b')'))
        && let Some(at) = json_operator(s)
    {
        return Some((High, "PostgreSQL cast or JSON operator on a string", at));
    }
    if has(b'!')
        && let Some(at) = find(s, b"/*!")
    {
        return Some((High, "MySQL executable comment", at));
    }
    if has(b'`')
        && let Some(at) = qualified_backticks(s)
    {
        return Some((High, "backtick-quoted qualified name", at));
    }
    // Everything below reads tokens; prose without SQL punctuation (and
    // not short enough to be a bare `or 1`) has none of those shapes.
    let punct = [b'(', b')', b';', b'\'', b'"', b'`', b'#'].iter().any(|&c| has(c));
    let comment = has(b'/') && find(s, b"/*").is_some() || has(b'-') && find(s, b"--").is_some();
    let clause_start = {
        let w = s.trim_ascii_start();
        [&b"case "[..], b"from ", b"having ", b"declare ", b"when "].iter().any(|k| w.starts_with(k))
    };
    if s.len() >= 32 && !punct && !comment && !clause_start {
        return None;
    }
    // Words alone (no operator either) are SQL only when they open with a
    // clause or boolean word or hold one of a few statement words.
    if !punct && !comment && ![b'=', b'@', b'|', b'&', b'<', b'>', b'*', b'/', b'\\'].iter().any(|&c| has(c)) {
        let t = s.trim_ascii_start();
        let w = &t[..t.iter().take_while(|b| is_ident(**b)).count()];
        const LEAD: &[&[u8]] = &[
            b"or",
            b"and",
            b"xor",
            b"not",
            b"div",
            b"case",
            b"when",
            b"from",
            b"having",
            b"select",
            b"union",
            b"waitfor",
            b"load",
            b"execute",
            b"exec",
            b"procedure",
            b"into",
            b"order",
            b"group",
        ];
        static INSIDE: super::Needles = super::Needles::new(&[
            b"select",
            b"waitfor",
            b"outfile",
            b"dumpfile",
            b"infile",
            b"analyse",
            b"immediate",
            b".e.",
            b" like ",
            b" is ",
            b"regexp",
        ]);
        let inside = || INSIDE.iter(s).next().is_some();
        if !LEAD.contains(&w) && !inside() {
            return None;
        }
    }
    let mut best: Option<(Confidence, &'static str, usize)> = None;
    if has(b'\\')
        && let Some(h) = escaped_quote_break(s)
    {
        return Some(h);
    }
    let contexts: [(Option<u8>, bool); 4] = [(None, true), (Some(b'\''), has(b'\'')), (Some(b'"'), has(b'"')), (Some(b'`'), has(b'`'))];
    for (open, present) in contexts {
        if !present {
            continue;
        }
        let t = tokenize(s, open);
        let r = if open.is_some() { after_break(&t, s) } else { bare(&t, s) };
        if let Some(h) = r {
            if h.0 == High {
                return Some(h);
            }
            best.get_or_insert(h);
        }
    }
    best
}

/// `\'or'1`, `x\' and(likelihood(id,.0))`: a backslash before the quote,
/// for applications that escape quotes with one (the attacker's backslash
/// escapes theirs), then a boolean operator.
fn escaped_quote_break(s: &[u8]) -> Option<(Confidence, &'static str, usize)> {
    let mut best = None;
    for q in [&b"\\'"[..], b"\\\"", b"\\`"] {
        let Some(p) = find(s, q) else { continue };
        let t = tokenize(&s[p + 2..], None);
        let Some((op, _)) = t.first() else { continue };
        if !matches!(op, Tok::Word("or" | "and" | "xor") | Tok::Op("||" | "&&")) {
            continue;
        }
        let operand = t.iter().skip(1).take(3).any(|(tok, _)| matches!(tok, Tok::Word(_) | Tok::Num | Tok::Str | Tok::LParen));
        if operand {
            return Some((High, "escaped quote break then a boolean operator", p));
        }
        best = Some((Medium, "escaped quote break then a boolean operator", p));
    }
    best
}

/// `'…'::jsonb`, `'{"a":1}' @> '…'`, `x ->> 'a'`, `'…' #> '{a,b}'`.
fn json_operator(s: &[u8]) -> Option<usize> {
    if let Some(p) = find(s, b"::") {
        let before = s[..p].trim_ascii_end();
        let after = &s[p + 2..];
        let typ = after.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        if before.last().is_some_and(|&b| b == b'\'' || b == b')') && typ >= 3 {
            return Some(p);
        }
        // `password::int`: a PostgreSQL cast of a column.
        const TYPES: &[&[u8]] = &[
            b"int",
            b"integer",
            b"bigint",
            b"text",
            b"varchar",
            b"json",
            b"jsonb",
            b"numeric",
            b"bytea",
            b"regclass",
            b"oid",
            b"xml",
            b"bool",
            b"boolean",
            b"float",
            b"real",
            b"char",
            b"date",
            b"timestamp",
            b"inet",
        ];
        let ident = before.last().is_some_and(|&b| is_ident(b));
        if ident && TYPES.contains(&&after[..typ]) && after.get(typ).is_none_or(|&b| !is_ident(b)) {
            return Some(p);
        }
    }
    for op in [&b"@>"[..], b"<@", b"->>", b"#>>", b"#>", b"?|", b"?&", b"@?", b"@@", b"->", b" ? "] {
        for at in super::find_all(s, op) {
            let before = s[..at].trim_ascii_end();
            let after = s[at + op.len()..].trim_ascii_start();
            let quoted = |b: Option<&u8>| matches!(b, Some(b'\''));
            if quoted(before.last())
                && (quoted(after.first()) || after.first().is_some_and(u8::is_ascii_digit) || after.starts_with(b"array["))
            {
                return Some(at);
            }
        }
    }
    // `'{"a":2}' < '$.c[2].f'`: a JSON document compared with a JSON path.
    for op in [&b"< '$"[..], b"> '$", b"= '$", b"<'$", b">'$", b"='$"] {
        if let Some(p) = find(s, op)
            && s[..p].trim_ascii_end().ends_with(b"}'")
        {
            return Some(p);
        }
    }
    None
}

/// `` `db`.`table` `` or `` from `t` ``: identifiers only SQL quotes this way.
fn qualified_backticks(s: &[u8]) -> Option<usize> {
    for p in super::find_all(s, b"`.`") {
        // `` `db`.`t` ``, not reStructuredText's ``` ``a``.``b`` ```.
        let name_start = p - s[..p].iter().rev().take_while(|&&b| is_ident(b)).count();
        let single_open = name_start > 0 && s[name_start - 1] == b'`' && (name_start < 2 || s[name_start - 2] != b'`');
        if name_start < p && single_open && s.get(p + 3).is_some_and(|&b| is_ident(b)) {
            return Some(p);
        }
    }
    // `` from `users` where ``: a quoted identifier, then more SQL. Text
    // says "copied from `config.toml`" too, so the name must be a plain
    // identifier and a clause or statement end must follow.
    for p in super::find_all(s, b"from `") {
        let name = s[p + 6..].iter().take_while(|&&b| is_ident(b)).count();
        if (p > 0 && is_ident(s[p - 1])) || name == 0 || s.get(p + 6 + name) != Some(&b'`') {
            continue;
        }
        let after = s[p + 7 + name..].trim_ascii_start();
        const NEXT: &[&[u8]] =
            &[b"where", b"limit", b"order", b"group", b"join", b"union", b"inner", b"left", b"having", b";", b"--", b"#", b")"];
        if NEXT.iter().any(|k| after.starts_with(k)) {
            return Some(p);
        }
    }
    None
}

fn is_keyword_after_call(w: &str) -> bool {
    matches!(
        w,
        "from"
            | "where"
            | "and"
            | "or"
            | "as"
            | "union"
            | "select"
            | "order"
            | "group"
            | "limit"
            | "having"
            | "into"
            | "xor"
            | "like"
            | "is"
            | "not"
            | "null"
    )
}

/// The tokens from the value's start, read bare.
fn bare(t: &[(Tok<'_>, usize)], s: &[u8]) -> Option<(Confidence, &'static str, usize)> {
    let first = t.first()?;
    // `'admin', '1'='1'`, `x' or 'a'='a`: two equal short string literals
    // compared after a comma, a boolean operator or a parenthesis (or at
    // the start) — always true, and not how text quotes things.
    for k in 0..t.len().saturating_sub(2) {
        let (Tok::Str, a) = t[k] else { continue };
        let (Tok::Op("="), b) = t[k + 1] else { continue };
        let (Tok::Str, c) = t[k + 2] else { continue };
        let d = t.get(k + 3).map_or(s.len(), |x| x.1);
        let opened = k == 0 || matches!(t[k - 1].0, Tok::Comma | Tok::LParen | Tok::Str) || super::sqli::is_bool_op(&t[k - 1].0);
        let (l, r) = (s[a..b].trim_ascii(), s[c..d].trim_ascii());
        if opened && l == r && (3..=12).contains(&l.len()) {
            return Some((High, "tautology between string literals", a));
        }
    }
    // A value that is one SQL function call: `sin (`, `substring(`,
    // `FIND_IN_SET('22', Category )`, `convert(`.
    let mut i = 0;
    // Not a leading `/`: `/Date(1592913818283+0530)/` is how ASP.NET's
    // JSON writes a date, and a division with nothing to divide is no SQL.
    while matches!(t.get(i).map(|x| &x.0), Some(Tok::Comma | Tok::RParen | Tok::Op(_)))
        && t.get(i).map(|x| &x.0) != Some(&Tok::Op("/"))
        && i < 3
    {
        i += 1;
    }
    if let Some(w) = t.get(i).and_then(|x| word(&x.0))
        && FUNCS.contains(w.as_bytes())
        && matches!(t.get(i + 1).map(|x| &x.0), Some(Tok::LParen))
    {
        let mut depth = 0i32;
        let mut closed_at = None;
        for (k, (tok, _)) in t.iter().enumerate().skip(i + 1) {
            match tok {
                Tok::LParen => depth += 1,
                Tok::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        closed_at = Some(k);
                        break;
                    }
                }
                _ => {}
            }
        }
        // Documentation signatures (`time([hour[, minute]])`) use
        // brackets SQL has no use for; prose follows a comment mark.
        let end = closed_at.unwrap_or(t.len());
        let plain_args = !t[i..end].iter().any(|(tok, _)| matches!(tok, Tok::Other));
        let tail_ok = match closed_at {
            // Unclosed: the application's own query closes it.
            None => t.len() - i <= 12,
            Some(k) => t[k + 1..].iter().all(|(tok, at)| match tok {
                Tok::Word(w) => is_keyword_after_call(w) || FUNCS.contains(w.as_bytes()),
                Tok::Other => false,
                Tok::Comment => !super::sqli::comment_has_text(&s[*at..]),
                _ => true,
            }),
        };
        if tail_ok && plain_args {
            return Some((High, "the value is a SQL function call", t[i].1));
        }
    }
    // `date]=(`, `version=(`, `ln) (`: a short value, a function name, a
    // little punctuation, a parenthesis.
    if s.len() <= 16
        && let Some(w) = word(&first.0)
        && FUNCS.contains(w.as_bytes())
        && let Some(p) = t.iter().skip(1).take(4).position(|(tok, _)| matches!(tok, Tok::LParen))
        && t[1..=p].iter().all(|(tok, _)| matches!(tok, Tok::Op(_) | Tok::Other | Tok::RParen | Tok::Str))
    {
        return Some((High, "SQL function name before a parenthesis", first.1));
    }
    // A statement that ends in a comment or `;`: `DROP sampletable;--`.
    // Not in sentences: a `#` in text that opens with "Select" or "Create"
    // swallows the rest of it as a "comment".
    if let Some(w) = word(&first.0)
        && matches!(w, "select" | "insert" | "update" | "delete" | "drop" | "create" | "alter" | "truncate" | "shutdown" | "declare")
        && (3..=40).contains(&t.len())
        && !s.windows(3).any(|w| w[0] == b'.' && w[1] == b' ' && (w[2].is_ascii_alphabetic() || w[2] == b'_'))
        && matches!(t.last().map(|x| &x.0), Some(Tok::Comment | Tok::Semi))
        && matches!(t.get(1).map(|x| &x.0), Some(Tok::Word(_) | Tok::Op("*") | Tok::Comment))
    {
        return Some((High, "statement ending in a comment", first.1));
    }
    if let Some(h) = clause_fragment(t, s) {
        return Some(h);
    }
    for k in 0..t.len() {
        let next = t.get(k + 1).map(|x| &x.0);
        // `SELECT/**/password/**/FROM`: inline comments as blanks around keywords.
        if let Tok::Comment = &t[k].0
            && k > 0
            && s[t[k].1..].starts_with(b"/*")
            && let (Some(a), Some(b)) = (word(&t[k - 1].0), next.and_then(word))
            && (KEYWORDS.contains(&a) || KEYWORDS.contains(&b))
        {
            return Some((High, "inline comments between SQL words", t[k].1));
        }
        match &t[k].0 {
            // `(select count(*)`, `(select concat(`: a subquery.
            Tok::LParen
                if next.and_then(word) == Some("select")
                    && (t.get(k + 2).and_then(|x| word(&x.0)).is_some_and(|w| FUNCS.contains(w.as_bytes()))
                        || matches!(t.get(k + 2).map(|x| &x.0), Some(Tok::Op("*") | Tok::Var | Tok::LParen))
                        // `(select 1)`, `(select 1 from dual)`
                        || matches!(t.get(k + 2).map(|x| &x.0), Some(Tok::Num))
                            && matches!(t.get(k + 3).map(|x| &x.0), Some(Tok::RParen | Tok::Comma) | Some(Tok::Word("from")))) =>
            {
                return Some((High, "subquery", t[k].1));
            }
            // `) AS alias FROM`, `1234 AS "foobar" FROM table`
            // The thing aliased is code (`)`, a number, a quoted or dotted
            // name), not a word of a sentence ("such as them from").
            Tok::Word("as")
                if k > 0
                    && matches!(&t[k - 1].0, Tok::RParen | Tok::Num | Tok::Str | Tok::Semi | Tok::Op("*"))
                        | matches!(&t[k - 1].0, Tok::Word(w) if w.starts_with('`') || w.contains(['_', '.']))
                    && matches!(next, Some(Tok::Word(_) | Tok::Str))
                    && t.get(k + 2).and_then(|x| word(&x.0)) == Some("from") =>
            {
                return Some((High, "AS alias FROM", t[k].1));
            }
            // `except select.1,2`, `intersect values(1,2)`: a set operator
            // joining a second query of literals, as UNION does.
            Tok::Word("except" | "intersect" | "minus")
                if matches!(next.and_then(word), Some(w) if w == "values" || w == "select" || w.starts_with("select."))
                    && t[k + 2..].iter().take(3).any(|(tok, _)| matches!(tok, Tok::Num | Tok::LParen | Tok::Comma | Tok::Op("*"))) =>
            {
                return Some((High, "EXCEPT/INTERSECT of a second query", t[k].1));
            }
            // `exec xp_cmdshell`, `execute sp_executesql`
            Tok::Word("exec" | "execute") => {
                if let Some(n) = next.and_then(word)
                    && (n.starts_with("xp_") || n.starts_with("sp_") || n.starts_with("master.") || n.starts_with("("))
                {
                    return Some((High, "EXEC of a system procedure", t[k].1));
                }
            }
            // `select char(113)+char(122)`, `select @@version`
            Tok::Word("select") => {
                let n = next?;
                let call = word(n).is_some_and(|w| FUNCS.contains(w.as_bytes())) && matches!(t.get(k + 2).map(|x| &x.0), Some(Tok::LParen))
                    || matches!(n, Tok::LParen)
                        && t.get(k + 2).and_then(|x| word(&x.0)).is_some_and(|w| FUNCS.contains(w.as_bytes()))
                        && matches!(t.get(k + 3).map(|x| &x.0), Some(Tok::LParen));
                if call || matches!(n, Tok::Var) {
                    return Some((High, "SELECT of a function or variable", t[k].1));
                }
            }
            // `;drop`, `; shutdown` at the end
            Tok::Semi => {
                if let Some(n) = next.and_then(word)
                    && matches!(n, "drop" | "shutdown" | "truncate" | "delete" | "insert" | "update" | "exec" | "declare" | "select")
                {
                    return Some((Medium, "stacked statement", t[k].1));
                }
            }
            _ => {}
        }
    }
    if is_bool_op(&first.0)
        && let Some(w) = t.get(1).and_then(|x| word(&x.0))
        && FUNCS.contains(w.as_bytes())
        && matches!(t.get(2).map(|x| &x.0), Some(Tok::LParen))
    {
        return Some((High, "leading boolean operator and SQL function call", first.1));
    }
    for k in 0..t.len() {
        let (Some(a), Some(b)) = (word(&t[k].0), t.get(k + 1).and_then(|x| word(&x.0))) else { continue };
        let why = match (a, b) {
            ("waitfor", "delay" | "time") => "time-based WAITFOR",
            ("procedure", "analyse") => "PROCEDURE ANALYSE",
            ("execute", "immediate") => "EXECUTE IMMEDIATE",
            ("into", "outfile" | "dumpfile") => "INTO OUTFILE",
            ("load", "data") if t.get(k + 2).and_then(|x| word(&x.0)) == Some("infile") => "LOAD DATA INFILE",
            (
                "create" | "alter" | "drop" | "truncate",
                "table" | "database" | "procedure" | "function" | "view" | "trigger" | "user" | "schema",
            ) if t[k + 2..].iter().any(|(tok, _)| {
                matches!(tok, Tok::LParen | Tok::Semi | Tok::Comment) || matches!(tok, Tok::Word(w) if w.starts_with('`'))
            }) =>
            {
                "DDL statement"
            }
            _ => continue,
        };
        return Some((High, why, t[k].1));
    }
    // `or 88`, `xor 5-`: a bare boolean operator first, then a literal.
    if is_bool_op(&first.0) && matches!(first.0, Tok::Word(_)) && matches!(t.get(1).map(|x| &x.0), Some(Tok::Num)) && s.len() < 32 {
        // `OR 1#`: the rest of the query cut off.
        if t.len() == 3 && matches!(t[2].0, Tok::Comment) {
            return Some((High, "leading boolean operator, literal and comment", first.1));
        }
        // `or 88`, `xor 5-`: nothing but the operator and a number is a
        // condition appended to a numeric parameter, not a phrase.
        if t[2..].iter().all(|(tok, _)| matches!(tok, Tok::Op(_) | Tok::Other)) {
            return Some((High, "leading boolean operator and a number", first.1));
        }
        return Some((Medium, "leading boolean operator and literal", first.1));
    }
    None
}

/// Pieces of a WHERE clause or a statement, from the value's start, that
/// prose does not produce: `AND name = "`, `|| c == '`, `&&(e===`,
/// `case when … then`, `) like (`, `HAVING 1=`, `FROM t GROUP BY`,
/// `declare @x`, `; SET @OLD_SQL_MODE`, `(select`, `dr/**/op`, `1.e(`.
fn clause_fragment(t: &[(Tok<'_>, usize)], s: &[u8]) -> Option<(Confidence, &'static str, usize)> {
    let first = t.first()?;
    let w = |i: usize| t.get(i).and_then(|x| word(&x.0));
    let tok = |i: usize| t.get(i).map(|x| &x.0);
    // A condition: boolean operator, operand, comparison, then nothing or
    // what the application's query supplies (a quote, a parenthesis, a number).
    if is_bool_op(&first.0) && !matches!(first.0, Tok::Word("not" | "div")) && !matches!(first.0, Tok::Op("|" | "&" | "^")) {
        let mut j = 1;
        while matches!(tok(j), Some(Tok::LParen)) {
            j += 1;
        }
        if matches!(tok(j), Some(Tok::Word(_) | Tok::Num | Tok::Str | Tok::Var))
            && (matches!(first.0, Tok::Op(_)) || !w(j).is_some_and(|x| matches!(x, "the" | "a" | "an" | "i" | "you" | "we" | "it")))
            && tok(j + 1).is_some_and(|c| matches!(c, Tok::Op(_)) && is_cmp(c) || matches!(c, Tok::Op("===" | "!==" | "=!")))
            && matches!(tok(j + 2), None | Some(Tok::Str | Tok::LParen | Tok::Num | Tok::Op(_) | Tok::RParen))
        {
            return Some((High, "a boolean condition fragment", first.1));
        }
    }
    // `1=1`, `11!=1`, `42 like 42`, `b,1=1`: the whole value a comparison
    // of two literals, the probe that tests whether input reaches SQL.
    let mut i = 0;
    while matches!(tok(i), Some(Tok::Word(_))) && matches!(tok(i + 1), Some(Tok::Comma)) && i < 4 {
        i += 2;
    }
    let lit = |x: Option<&Tok<'_>>| matches!(x, Some(Tok::Num | Tok::Str));
    if lit(tok(i)) && t.len() <= i + 4 {
        let mut k = i + 1;
        let cmp = match tok(k) {
            Some(Tok::Op("=" | "==" | "!=" | "<>" | "<=>")) | Some(Tok::Word("like" | "rlike" | "regexp")) => true,
            Some(Tok::Word("is" | "not")) => {
                while matches!(tok(k + 1), Some(Tok::Word("not" | "is" | "regexp" | "like"))) {
                    k += 1;
                }
                true
            }
            _ => false,
        };
        if cmp && lit(tok(k + 1)) && k + 2 == t.len() {
            return Some((High, "comparison of two literals", t[i].1));
        }
    }
    // `case when … then`, `) when 234 then`
    let mut i = 0;
    while matches!(tok(i), Some(Tok::RParen)) {
        i += 1;
    }
    if (w(i) == Some("case") && w(i + 1) == Some("when") || i > 0 && w(i) == Some("when"))
        && t[i..t.len().min(i + 10)].iter().any(|(x, _)| word(x) == Some("then"))
    {
        return Some((High, "CASE WHEN … THEN", t[i].1));
    }
    // `) like (`
    if i > 0 && matches!(w(i), Some("like" | "rlike" | "regexp")) && matches!(tok(i + 1), Some(Tok::LParen)) {
        return Some((High, "comparison between parenthesized expressions", t[i].1));
    }
    match w(0) {
        // `HAVING 1=`, `having count(x) > 5`
        Some("having") if matches!(tok(1), Some(Tok::Num)) && tok(2).is_some_and(is_cmp) => {
            return Some((High, "HAVING condition", first.1));
        }
        // `FROM t WHERE name="x";`, `FROM t GROUP BY c`
        Some("from")
            if matches!(tok(1), Some(Tok::Word(_)))
                && !matches!(w(1), Some("the" | "a" | "an" | "my" | "our" | "your" | "his" | "her" | "their" | "this" | "that"))
                && (matches!((w(2), w(3)), (Some("group" | "order"), Some("by")))
                    || w(2) == Some("where") && matches!(tok(3), Some(Tok::Word(_))) && tok(4).is_some_and(is_cmp)) =>
        {
            return Some((High, "FROM … WHERE/GROUP BY clause", first.1));
        }
        // `declare @b`, `DECLARE/**/@x`
        Some("declare") if matches!(tok(1), Some(Tok::Var)) || matches!(tok(1), Some(Tok::Comment)) && matches!(tok(2), Some(Tok::Var)) => {
            return Some((High, "DECLARE of a variable", first.1));
        }
        _ => {}
    }
    for k in 0..t.len().min(64) {
        match &t[k].0 {
            // `having count(id) >= 9`
            Tok::Word("having") if w(k + 1).is_some_and(|f| FUNCS.contains(f.as_bytes())) && matches!(tok(k + 2), Some(Tok::LParen)) => {
                return Some((High, "HAVING on an aggregate", t[k].1));
            }
            // `; SET @OLD_SQL_MODE`, `>SET @x`
            Tok::Word("set") if matches!(tok(k + 1), Some(Tok::Var)) && (k == 0 || matches!(tok(k - 1), Some(Tok::Semi | Tok::Op(_)))) => {
                return Some((High, "SET of a SQL variable", t[k].1));
            }
            // `=(select` at the end; `(select x from y where`
            Tok::LParen if w(k + 1) == Some("select") => {
                let end = k + 2 >= t.len();
                let clause = matches!(tok(k + 2), Some(Tok::Word(_))) && w(k + 3) == Some("from") && matches!(w(k + 5), Some("where"));
                let nested = matches!(tok(k + 2), Some(Tok::LParen)) || matches!(w(k + 2), Some("case" | "select"));
                if end || clause || nested {
                    return Some((High, "subquery", t[k].1));
                }
            }
            // `select pg_sleep`, `select 0x616263`
            Tok::Word("select")
                if matches!(w(k + 1), Some("sleep" | "pg_sleep" | "benchmark" | "version" | "database" | "user" | "current_user"))
                    && tok(k + 2).is_none()
                    || matches!(tok(k + 1), Some(Tok::Num)) && s[t[k + 1].1..].starts_with(b"0x")
                    || matches!(tok(k + 1), Some(Tok::LParen)) && matches!(w(k + 2), Some("case" | "select")) =>
            {
                return Some((High, "SELECT of a function, subquery or hex literal", t[k].1));
            }
            // `) values (`
            Tok::RParen if w(k + 1) == Some("values") && matches!(tok(k + 2), Some(Tok::LParen)) => {
                return Some((High, "VALUES list", t[k].1));
            }
            // `DR/**/OP`: a keyword split by an inline comment.
            Tok::Comment if k > 0 && s[t[k].1..].starts_with(b"/*") => {
                if let (Some(a), Some(b)) = (w(k - 1), w(k + 1)) {
                    let joined = [a.as_bytes(), b.as_bytes()].concat();
                    if KEYWORDS.iter().any(|kw| kw.as_bytes() == joined.as_slice()) && a.len() >= 2 && b.len() >= 2 {
                        return Some((High, "SQL keyword split by a comment", t[k - 1].1));
                    }
                }
            }
            // `1.e(ascii`, `1.e.tables`: MySQL's scientific-notation bypass.
            Tok::Num => {
                let n = &s[t[k].1..];
                let len = n.iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'.').count();
                if n[..len].ends_with(b".e") && matches!(n.get(len), Some(b'(')) || n[..len].ends_with(b".e.") {
                    return Some((High, "number glued to an identifier (1.e bypass)", t[k].1));
                }
                if let Some(p) = find(&n[..len], b".e.")
                    && n[..p].iter().all(u8::is_ascii_digit)
                    && len - p - 3 >= 3
                {
                    return Some((High, "number glued to an identifier (1.e bypass)", t[k].1));
                }
            }
            _ => {}
        }
    }
    None
}

/// After a string break (`x'…`): an operator or SQL keyword and a
/// trailing comment — `x'&email--`, `'sounds like rowid--`, `id'is not-id--`.
fn after_break(t: &[(Tok<'_>, usize)], s: &[u8]) -> Option<(Confidence, &'static str, usize)> {
    let rest = &t[1..];
    let (op, at) = rest.first()?;
    // `admin@site';`, `x'/* c */;`: the string closed and the statement ended.
    if matches!(op, Tok::Semi | Tok::Comment)
        && rest.iter().all(|(tok, _)| matches!(tok, Tok::Semi | Tok::Comment))
        && rest.iter().any(|(tok, _)| matches!(tok, Tok::Semi))
        && s.len() < 96
    {
        return Some((High, "string break then end of statement", *at));
    }
    // `'alter a`, `" UNION A`, `'select H`: the value opens with a quote
    // that stays unbalanced, then a statement keyword.
    let q = s.first().copied().filter(|q| matches!(q, b'\'' | b'"' | b'`'));
    if let (Some(q), Tok::Word(w)) = (q, op)
        && matches!(*w, "union" | "alter" | "select" | "drop" | "insert" | "delete" | "update" | "truncate" | "declare" | "exec")
        && s.iter().filter(|&&b| b == q).count() % 2 == 1
        && *at <= 2
    {
        return Some((High, "quote then a statement keyword", *at));
    }
    // `` ` AS `alias` from ``: the application's column closed, then an alias.
    if matches!(op, Tok::Word("as"))
        && matches!(rest.get(1).map(|x| &x.0), Some(Tok::Word(_) | Tok::Str))
        && rest.get(2).and_then(|x| word(&x.0)) == Some("from")
    {
        return Some((High, "AS alias FROM", *at));
    }
    // `'-'`, `'&'`, `'^'`, `' '`: one operator between quotes, the probe
    // sqlmap and friends send first.
    if let (Some(q), Some(last)) = (s.first(), s.last())
        && s.len() == 3
        && matches!(q, b'\'' | b'"')
        && last == q
        && matches!(s[1], b'-' | b'&' | b'^' | b'*' | b'|' | b'+' | b' ' | b'%' | b'/')
    {
        return Some((High, "one operator between quotes", 0));
    }
    // `'=''or'`, `' or ''-'`, `' or '' '`: empty strings around boolean
    // operators.
    let empty_str = |k: usize| matches!(rest.get(k), Some((Tok::Str, p)) if s.get(*p + 1) == s.get(*p) && s.get(*p + 1).is_some());
    if is_bool_op(op) && empty_str(1) || matches!(op, Tok::Op("=")) && empty_str(1) && rest.get(2).is_some_and(|x| is_bool_op(&x.0)) {
        return Some((High, "empty string around a boolean operator", *at));
    }
    // `' notnull --`, `'isnull;`
    if matches!(op, Tok::Word("notnull" | "isnull")) && matches!(rest.get(1).map(|x| &x.0), None | Some(Tok::Comment | Tok::Semi)) {
        return Some((High, "string break then a NULL test", *at));
    }
    let opish = is_bool_op(op)
        || is_cmp(op)
        || matches!(op, Tok::Op(_))
        || matches!(op, Tok::Word(w) if matches!(*w, "mod" | "div" | "sounds" | "regexp" | "rlike" | "like" | "not" | "is" | "collate" | "escape"));
    if !opish {
        return None;
    }
    // A bare comment mark cuts the query; one with text is more often a
    // random token (`_"&zi=#BaC`).
    let ends_with_comment = matches!(rest.last(), Some((Tok::Comment, c)) if !super::sqli::comment_has_text(&s[*c..]))
        // `'glob 1;`: a word operator and a statement end (random
        // passwords end in `;` after punctuation, not after SQL words).
        || matches!(rest.last(), Some((Tok::Semi, _))) && rest.len() >= 3 && matches!(op, Tok::Word(_));
    let operand = rest.iter().skip(1).any(|(tok, _)| matches!(tok, Tok::Word(_) | Tok::Num | Tok::Str | Tok::Var));
    if ends_with_comment && operand && rest.len() <= 10 {
        return Some((High, "string break, operator and comment", *at));
    }
    if let Tok::Word("xor" | "or" | "and") | Tok::Op("||" | "&&") = op {
        let next = rest.get(1).map(|x| &x.0);
        // `1' and starts_with(password`, `'and json_search (`
        if let Some(w) = next.and_then(word)
            && FUNCS.contains(w.as_bytes())
            && matches!(rest.get(2).map(|x| &x.0), Some(Tok::LParen))
        {
            return Some((High, "string break, boolean operator and SQL function call", *at));
        }
        // `x' or name()='user' or 'x'='y`, `' or count(/*)=1 or 'a'='b`:
        // a call compared with a literal — XPath's and SQL's conditions
        // alike.
        if next.and_then(word).is_some()
            && matches!(rest.get(2).map(|x| &x.0), Some(Tok::LParen))
            && let Some(close) = rest[3..].iter().take(8).position(|(tok, _)| matches!(tok, Tok::RParen))
            && rest.get(4 + close).is_some_and(|x| is_cmp(&x.0))
            && matches!(rest.get(5 + close).map(|x| &x.0), Some(Tok::Str | Tok::Num))
        {
            return Some((High, "string break, boolean operator and a call compared with a literal", *at));
        }
        // `' OR '1`: the application's closing quote completes a truthy
        // string.
        if let Some((Tok::Str, p)) = rest.get(1)
            && rest.len() == 2
            && s.len() - *p <= 8
            && s[*p + 1..].iter().all(|&b| b != s[*p])
        {
            return Some((High, "string break, boolean operator and an open string", *at));
        }
        // `' or false;`, `' and null--`
        if matches!(next, Some(Tok::Word("true" | "false" | "null")))
            && matches!(rest.get(2).map(|x| &x.0), None | Some(Tok::Comment | Tok::Semi))
        {
            return Some((High, "string break, boolean operator and literal", *at));
        }
        // `'or 12356789<`, `' or 'x' <`, `test' or 1=`: a comparison begun.
        if matches!(next, Some(Tok::Word(_) | Tok::Num | Tok::Str))
            && rest.get(2).is_some_and(|x| is_cmp(&x.0) && matches!(x.0, Tok::Op(_)))
        {
            return Some((High, "string break, boolean operator and comparison", *at));
        }
        // `a'or'a`: the operator glued between two quotes.
        let p = *at;
        // Glued to the word before too (or at the value's start): "the
        // operation 'and' between" quotes a word in text.
        if p > 0
            && matches!(s[p - 1], b'\'' | b'"')
            && (p == 1 || s[p - 2].is_ascii_alphanumeric() || matches!(s[p - 2], b'\'' | b'"' | b')'))
            && matches!(rest.get(1), Some((Tok::Str, q)) if *q == p + 2 || *q == p + 3)
        {
            return Some((High, "boolean operator glued between quotes", *at));
        }
    }
    // `a'or--`, `a'or?--`, `x' and#`: a boolean operator, then the rest of
    // the application's query cut off.
    if matches!(op, Tok::Word("xor" | "or" | "and"))
        && rest.len() <= 3
        && matches!(rest.last(), Some((Tok::Comment, c)) if !super::sqli::comment_has_text(&s[*c..]))
        && rest[1..rest.len() - 1].iter().all(|(tok, _)| matches!(tok, Tok::Op(_) | Tok::Other))
    {
        return Some((High, "string break, boolean operator and comment", *at));
    }
    // `' xor abcdefg!`, `'xor 7<`: a string break into a boolean operator.
    if matches!(op, Tok::Word(w) if *w == "xor" || *w == "or" || *w == "and") && operand && rest.len() <= 4 {
        // The value opening with the quote (`' or abc!`) holds nothing
        // but the break: no sentence leads up to it.
        if matches!(s[..*at].trim_ascii(), b"'" | b"\"") {
            return Some((High, "value opens with a string break into a boolean operator", *at));
        }
        return Some((Medium, "string break into a boolean operator", *at));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(s: &str) -> Option<Confidence> {
        let s = s.to_ascii_lowercase();
        names(s.as_bytes()).or_else(|| judge(s.as_bytes())).map(|x| x.0)
    }

    #[test]
    fn finds_fragments() {
        for a in [
            "sin (",
            "substring(",
            ", find_in_set('22', category )",
            "select char(113)+char(122)",
            ") as col_0_0_ from",
            "1234 as \"foobar\" from tablevar2",
            "from `db_miwf`.`sys_refindex` limit",
            "'{\"b\":2}'::jsonb <@ '{\"a\":1}'::jsonb",
            "x'&email--",
            "id'is not-id--",
            "a'or?--",
            "x' and#",
            "'admin', '1'='1'",
            "\"a\"=\"a\"",
            " exec master..xp_cmdshell",
            "information_schema",
            "admin@juice-sh.op';",
            "password::int",
            "9999 or {if length((/*!5000select username",
            "q=testing-1 waitfor delay '0:0:15' --",
            "procedure analyse (",
            "alter table `mass_mails` change",
            "or json_extract('{}', '$.name') = 'a'",
            "and name = \"",
            "|| langcode == '",
            "&&(e===",
            "&&(l=!0)",
            "'-'",
            "'^'",
            "'=''or'",
            "' or ''-'",
            "' or '1",
            "1=1",
            "b,1=1",
            "42 like 42",
            "11!=1",
            "1 is not 2",
            "'1' not regexp '2'",
            "&&(a=\"",
            "or (7319=8742)",
            "case when condition1 then result1",
            ") like (",
            "having 1=",
            "from termine group by tag1",
            "declare @b",
            ";set @old_sql_mode",
            "name=(select",
            "in (select anfrage_id from erkenntnisse where id is not null)",
            "select pg_sleep",
            "select 0x616263",
            ";replace into t (id, name) values (1, 'test');",
            "dr/**/op/*x*/sampletable",
            "1.e(ascii",
            "1.e.tables",
            "\\'or'1",
            "x\\' and( likelihood (id,.0));'",
            "'alter a",
            "' union/",
            "user'collate nocase--",
            "' notnull --",
            "1' and starts_with(password",
            "' or false;",
            "test' or 1=",
            "a'or'a",
            "` as `edit_user_id` from",
            "or 1#",
            "'{\"a\":2}' < '$.c[2].f' = 7",
            "or '{\"name\":\"asd\"}' ?| array['a','name']",
            "' or abc!",
            "(select 1)",
            "x' or name()='username' or 'x'='y",
            "except \tselect.1,2",
            "except values(1,2)",
            "something like '",
            "name regexp \"",
            "'  xor  abcdefg!",
            "or 88",
            "xor 5-",
            "';",
            "'#",
            "' = # '",
            "'? # = --",
            "\"'",
            "\"` * 12344",
            "' * from = 1 or '9",
        ] {
            assert_eq!(conf(a), Some(High), "{a}");
        }
        for m in [
            "is this your parents' or yours?",
            "or 88 more",
            "all brands except select ones",
            "\"exact phrase\"",
            "'70s music",
            "\"\"",
            "\"- note\"",
            "``date``",
            "``$xdg_runtime``",
        ] {
            assert_ne!(conf(m), Some(High), "{m}");
        }
    }

    #[test]
    fn names_list_splits_where_catalogs_start() {
        assert_eq!(NAMES.pattern(PROCEDURE_COUNT), b"information_schema");
        assert_eq!(NAMES.pattern(PROCEDURE_COUNT - 1), b"sqloledb");
    }

    #[test]
    fn leaves_text_alone() {
        for b in [
            "options(section) return list of configuration options",
            "crc32(string[, start]) -- compute a crc-32 checksum",
            "date night ideas",
            "left (side) panel",
            "i'm not sure -- maybe",
            "it's this or --",
            "he said 'yes' = 'yes'? ok",
            "applies the logical operation 'and' between each operand's digits.",
            "create a message/* type mime document. _msg is a message object.",
            "## a. the waf (from `003_*.txt`, a proposal)",
            "copied from `config.toml`, then edited",
            "create a new, empty counter object. and if given, count elements from an input iterable. or, initialize the count from another mapping of elements to their counts. >>> c = counter() # a new, empty counter",
            "don't and -- no",
            "price: 5 (five) dollars",
            "it's like that",
            "select your size",
            "as seen from space",
            "drop table lamp, oak, 120cm",
            "it's;",
            "and the price = high",
            "case when you can",
            "having fun with friends",
            "from my group by the lake",
            "'alter ego' is a movie",
            "\"union\" station",
            "1.e.g. this one",
            "is this your parents' or yours?",
            "rock'n'roll or 'jazz'",
            "'tis the season or not",
            "i see you as friend from school",
            "such as them from there",
            "1+1=2",
            "3 < 5",
            "a = b",
        ] {
            assert!(conf(b).is_none_or(|c| c < High), "{b}: {:?}", conf(b));
        }
    }
}
