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
    "insert",
    "execute",
    "exec",
];

static FUNCS: super::Words = super::Words::new(FUNC_LIST);

/// System catalogs: only schema discovery names them.
static CATALOGS: super::Needles = super::Needles::new(&[
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

/// Stored procedures and packages that only attacks call from a web form.
static PROCEDURES: super::Needles = super::Needles::new(&[
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
]);

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
    if let Some((_, at)) = PROCEDURES.find_where(s, word_start) {
        return Some((High, "database system procedure", at));
    }
    if let Some((_, at)) = CATALOGS.find_where(s, word_start) {
        return Some((High, "system catalog", at));
    }
    None
}

pub fn judge(s: &[u8]) -> Option<(Confidence, &'static str, usize)> {
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
    if s.len() >= 32 && !punct && !comment {
        return None;
    }
    let mut best: Option<(Confidence, &'static str, usize)> = None;
    let contexts: [(Option<u8>, bool); 3] = [(None, true), (Some(b'\''), s.contains(&b'\'')), (Some(b'"'), s.contains(&b'"'))];
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
        let mut from = 0;
        while let Some(q) = find(&s[from..], op) {
            let at = from + q;
            from = at + op.len();
            let before = s[..at].trim_ascii_end();
            let after = s[at + op.len()..].trim_ascii_start();
            let quoted = |b: Option<&u8>| matches!(b, Some(b'\''));
            if quoted(before.last()) && (quoted(after.first()) || after.first().is_some_and(u8::is_ascii_digit)) {
                return Some(at);
            }
        }
    }
    None
}

/// `` `db`.`table` `` or `` from `t` ``: identifiers only SQL quotes this way.
fn qualified_backticks(s: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(q) = find(&s[from..], b"`.`") {
        let p = from + q;
        from = p + 3;
        // `` `db`.`t` ``, not reStructuredText's ``` ``a``.``b`` ```.
        let name_start = p - s[..p].iter().rev().take_while(|&&b| is_ident(b)).count();
        let single_open = name_start > 0 && s[name_start - 1] == b'`' && (name_start < 2 || s[name_start - 2] != b'`');
        if name_start < p && single_open && s.get(p + 3).is_some_and(|&b| is_ident(b)) {
            return Some(p);
        }
    }
    let p = find(s, b"from `")?;
    let double = s.get(p + 6) == Some(&b'`');
    ((p == 0 || !is_ident(s[p - 1])) && !double).then_some(p)
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
    // A value that is one SQL function call: `sin (`, `substring(`,
    // `FIND_IN_SET('22', Category )`, `convert(`.
    let mut i = 0;
    while matches!(t.get(i).map(|x| &x.0), Some(Tok::Comma | Tok::RParen | Tok::Op(_))) && i < 3 {
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
    if let Some(w) = word(&first.0)
        && matches!(w, "select" | "insert" | "update" | "delete" | "drop" | "create" | "alter" | "truncate" | "shutdown" | "declare")
        && t.len() >= 3
        && matches!(t.last().map(|x| &x.0), Some(Tok::Comment | Tok::Semi))
        && matches!(t.get(1).map(|x| &x.0), Some(Tok::Word(_) | Tok::Op("*") | Tok::Comment))
    {
        return Some((High, "statement ending in a comment", first.1));
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
                        || matches!(t.get(k + 2).map(|x| &x.0), Some(Tok::Op("*") | Tok::Var | Tok::LParen))) =>
            {
                return Some((High, "subquery", t[k].1));
            }
            // `) AS alias FROM`, `1234 AS "foobar" FROM table`
            Tok::Word("as")
                if k > 0 && matches!(next, Some(Tok::Word(_) | Tok::Str)) && t.get(k + 2).and_then(|x| word(&x.0)) == Some("from") =>
            {
                return Some((High, "AS alias FROM", t[k].1));
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
        return Some((Medium, "leading boolean operator and literal", first.1));
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
    let opish = is_bool_op(op)
        || is_cmp(op)
        || matches!(op, Tok::Op(_))
        || matches!(op, Tok::Word(w) if matches!(*w, "mod" | "div" | "sounds" | "regexp" | "rlike" | "like" | "not" | "is"));
    if !opish {
        return None;
    }
    // A bare comment mark cuts the query; one with text is more often a
    // random token (`_"&zi=#BaC`).
    let ends_with_comment = matches!(rest.last(), Some((Tok::Comment, c)) if !super::sqli::comment_has_text(&s[*c..]));
    let operand = rest.iter().skip(1).any(|(tok, _)| matches!(tok, Tok::Word(_) | Tok::Num | Tok::Str | Tok::Var));
    if ends_with_comment && operand && rest.len() <= 10 {
        return Some((High, "string break, operator and comment", *at));
    }
    // `' xor abcdefg!`, `'xor 7<`: a string break into a boolean operator.
    if matches!(op, Tok::Word(w) if *w == "xor" || *w == "or" || *w == "and") && operand && rest.len() <= 4 {
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
            " exec master..xp_cmdshell",
            "information_schema",
            "admin@juice-sh.op';",
            "password::int",
            "9999 or {if length((/*!5000select username",
            "q=testing-1 waitfor delay '0:0:15' --",
            "procedure analyse (",
            "alter table `mass_mails` change",
            "or json_extract('{}', '$.name') = 'a'",
        ] {
            assert_eq!(conf(a), Some(High), "{a}");
        }
    }

    #[test]
    fn leaves_text_alone() {
        for b in [
            "options(section) return list of configuration options",
            "crc32(string[, start]) -- compute a crc-32 checksum",
            "date night ideas",
            "left (side) panel",
            "i'm not sure -- maybe",
            "price: 5 (five) dollars",
            "it's like that",
            "select your size",
            "as seen from space",
            "drop table lamp, oak, 120cm",
            "it's;",
        ] {
            assert!(conf(b).is_none_or(|c| c < High), "{b}: {:?}", conf(b));
        }
    }
}
