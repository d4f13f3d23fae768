//! PHP shapes that only code has: calling a variable (`$f(…)`,
//! `$a['x'](…)`), calling a string or an expression (`("sys"."tem")(…)`),
//! superglobals, opening tags, and a value that is nothing but a call to a
//! PHP function. Used by [`super::code`].

use super::{find, is_ident};

/// Functions a PHP payload calls, beyond the ones `code` always flags.
/// A value consisting of a call to one of these is code.
const FUNC_LIST: &[&str] = &[
    "strip_tags",
    "intval",
    "gethostbyname",
    "gethostbynamel",
    "gethostbyaddr",
    "bzdecompress",
    "zlib_decode",
    "assert_options",
    "system",
    "exec",
    "shell_exec",
    "passthru",
    "popen",
    "proc_open",
    "pcntl_exec",
    "eval",
    "assert",
    "create_function",
    "phpinfo",
    "call_user_func",
    "call_user_func_array",
    "preg_replace",
    "file_put_contents",
    "fsockopen",
    "pfsockopen",
    "show_source",
    "highlight_file",
    "move_uploaded_file",
    "base64_decode",
    "base64_encode",
    "gzinflate",
    "gzuncompress",
    "gzdecode",
    "str_rot13",
    "file_get_contents",
    "fopen",
    "readfile",
    "unserialize",
    "serialize",
    "ini_set",
    "ini_get",
    "ini_restore",
    "chr",
    "ord",
    "getenv",
    "putenv",
    "curl_init",
    "curl_exec",
    "stream_socket_client",
    "posix_getpwuid",
    "posix_kill",
    "posix_setuid",
    "posix_getegid",
    "posix_geteuid",
    "posix_getuid",
    "posix_uname",
    "posix_mkfifo",
    "proc_nice",
    "proc_terminate",
    "dl",
    "apache_setenv",
    "imap_open",
    "set_time_limit",
    "ignore_user_abort",
    "error_reporting",
    "symlink",
    "chmod",
    "chown",
    "unlink",
    "rmdir",
    "mkdir",
    "rename",
    "tempnam",
    "tmpfile",
    "fwrite",
    "fputs",
    "fread",
    "fgets",
    "scandir",
    "opendir",
    "readdir",
    "realpath",
    "parse_ini_file",
    "is_writable",
    "is_writeable",
    "is_readable",
    "file_exists",
    "filegroup",
    "fileowner",
    "fileperms",
    "lstat",
    "get_current_user",
    "getmypid",
    "getmyuid",
    "php_uname",
    "phpversion",
    "sys_get_temp_dir",
    "var_dump",
    "print_r",
    "var_export",
    "unpack",
    "pack",
    "hex2bin",
    "bin2hex",
    "strrev",
    "substr",
    "str_replace",
    "array_map",
    "array_filter",
    "array_walk",
    "usort",
    "uasort",
    "uksort",
    "register_shutdown_function",
    "register_tick_function",
    "ob_start",
    "extract",
    "parse_str",
    "constant",
    "function_exists",
    "is_callable",
    "get_defined_vars",
    "get_defined_functions",
    "debug_zval_dump",
    "mb_ereg_replace",
    "iconv",
    "gzopen",
    "bzopen",
    "zip_open",
    "ftp_connect",
    "mysql_query",
    "mysqli_query",
    "pg_query",
    "ldap_connect",
    "ldap_search",
    "ldap_get_entries",
    "escapeshellarg",
    "escapeshellcmd",
    "glob",
    "is_dir",
    "is_file",
    "fsockopen",
    "socket_create",
    "socket_connect",
    "ob_get_contents",
    "get_cfg_var",
    "getcwd",
    "chdir",
    "chroot",
    "mail",
    "mb_send_mail",
    "header",
    "setcookie",
    "include",
    "require",
    "include_once",
    "require_once",
    "print",
    "printf",
    "sprintf",
    "vsprintf",
    "die",
    "exit",
    "sleep",
    "usleep",
    "array_reduce",
    "preg_replace_callback",
    "forward_static_call",
    "func_get_args",
    "str_repeat",
    "implode",
    "explode",
    "strtolower",
    "strtoupper",
    "ucfirst",
    "urldecode",
    "rawurldecode",
    "htmlspecialchars_decode",
    "html_entity_decode",
    "md5",
    "sha1",
    "crc32",
    "crypt",
    "is_array",
    "count",
    "strlen",
    "file",
    "copy",
    "link",
    "touch",
    "stat",
];

static FUNCS: super::Words = super::Words::new(FUNC_LIST);

/// The names [`dynamic_call`] looks for once quotes and concatenation are
/// removed.
const DANGEROUS: &[&[u8]] =
    &[b"system", b"exec", b"passthru", b"shell_exec", b"popen", b"proc_open", b"assert", b"eval", b"phpinfo", b"create_function"];

fn skip_space_and_comments(s: &[u8], mut j: usize) -> usize {
    let lim = (j + 256).min(s.len());
    while j < lim {
        if s[j].is_ascii_whitespace() {
            j += 1;
        } else if s[j..].starts_with(b"/*") {
            j = find(&s[j..lim], b"*/").map_or(lim, |q| j + q + 2);
        } else if s[j] == b'#' || s[j..].starts_with(b"//") {
            j = memchr::memchr(b'\n', &s[j..lim]).map_or(lim, |q| j + q + 1);
        } else {
            break;
        }
    }
    j
}

/// `$f(…)`, `$a['x'][0](…)`, `$o->f(…)`, `${'x'}(…)`: a variable called as
/// a function.
pub fn variable_call(s: &[u8]) -> Option<usize> {
    for at in super::positions(s, b'$') {
        // `M$mj_(` inside a random token is no PHP variable.
        if at > 0 && s[at - 1].is_ascii_alphanumeric() {
            continue;
        }
        let mut j = at + 1;
        // `$ {@_.__}(31)`: PHP allows blanks before the brace.
        while j < s.len() && j - at <= 8 && s[j] == b' ' {
            j += 1;
        }
        match s.get(j) {
            Some(b'{') => {
                let close = memchr::memchr(b'}', &s[j..(j + 128).min(s.len())])?;
                j += close + 1;
            }
            Some(&b) if b.is_ascii_alphabetic() || b == b'_' => {
                while j < s.len() && is_ident(s[j]) {
                    j += 1;
                }
            }
            _ => continue,
        }
        // Indexes, braces and properties, each bounded.
        for _ in 0..8 {
            let k = skip_space_and_comments(s, j);
            match s.get(k) {
                Some(b'[') | Some(b'{') => {
                    // Matched with nesting: `$__[$_[1]](7)`.
                    let (open, close) = if s[k] == b'[' { (b'[', b']') } else { (b'{', b'}') };
                    let mut depth = 0usize;
                    let mut end = None;
                    for (q, &b) in s[k..(k + 64).min(s.len())].iter().enumerate() {
                        if b == open {
                            depth += 1;
                        } else if b == close {
                            depth -= 1;
                            if depth == 0 {
                                end = Some(q);
                                break;
                            }
                        }
                    }
                    match end {
                        Some(c) => j = k + c + 1,
                        None => break,
                    }
                }
                Some(b'-') if s.get(k + 1) == Some(&b'>') => {
                    j = k + 2;
                    if s.get(j) == Some(&b'$') {
                        j += 1;
                    }
                    while j < s.len() && is_ident(s[j]) {
                        j += 1;
                    }
                }
                _ => break,
            }
        }
        let k = skip_space_and_comments(s, j);
        // A call has its closing parenthesis.
        if s.get(k) == Some(&b'(') && memchr::memchr(b')', &s[k..(k + 256).min(s.len())]).is_some() {
            return Some(at);
        }
    }
    None
}

/// `("system")("id")`, `(sy.(st).em)(ls)`, `"sys"."tem"(…)`,
/// `([system][0])(ls)`: a string or an expression called as a function
/// whose text spells a dangerous function.
pub fn dynamic_call(s: &[u8]) -> Option<usize> {
    const WINDOW: usize = 96;
    // The callee is the letters of the `WINDOW` bytes before the `(`. A
    // sliding window keeps their count and the positions of the last 24,
    // so a value of thousands of `)(` costs the same per byte as one
    // without (a fresh copy of the window per `(` was quadratic-ish).
    let is_letter = |b: u8| b.is_ascii_alphabetic() || b == b'_';
    let (mut lo, mut hi, mut count) = (0usize, 0usize, 0usize);
    let mut last: std::collections::VecDeque<usize> = std::collections::VecDeque::with_capacity(24);
    for open in super::positions(s, b'(') {
        if open == 0 {
            continue;
        }
        // What stands right before this `(`, skipping blanks and comments
        // backwards is costly; accept only blanks.
        let mut e = open;
        while e > 0 && s[e - 1].is_ascii_whitespace() {
            e -= 1;
        }
        if e == 0 || !matches!(s[e - 1], b')' | b'"' | b'\'' | b']' | b'}') {
            continue;
        }
        let start = e.saturating_sub(WINDOW);
        // `e` and `start` only grow from one `(` to the next.
        while hi < e {
            if is_letter(s[hi]) {
                count += 1;
                if last.len() == 24 {
                    last.pop_front();
                }
                last.push_back(hi);
            }
            hi += 1;
        }
        while lo < start {
            if is_letter(s[lo]) {
                count -= 1;
            }
            lo += 1;
        }
        while last.front().is_some_and(|&q| q < start) {
            last.pop_front();
        }
        if count == 0 {
            continue;
        }
        let mut callee = [0u8; 24];
        let n = last.len();
        for (k, &q) in last.iter().enumerate() {
            callee[k] = s[q];
        }
        let tail = &callee[..n];
        // Whole callee only when short (then `last` holds all of it).
        let whole = count <= 24;
        if DANGEROUS.iter().any(|d| tail.ends_with(d) || whole && find(tail, d).is_some()) {
            return Some(start);
        }
    }
    None
}

/// `'sys' . 'tem'`: quoted pieces joined with `.` that spell a function
/// only an attack calls.
pub fn concatenated_name(s: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = memchr::memchr2(b'\'', b'"', &s[from..]) {
        let start = from + p;
        let mut i = start;
        let mut name = Vec::new();
        let mut pieces = 0;
        // Read `'a' . "b" . 'c'` as long as it continues.
        while let Some(&q) = s.get(i).filter(|&&q| q == b'\'' || q == b'"') {
            let Some(close) = memchr::memchr(q, &s[i + 1..(i + 33).min(s.len())]) else { break };
            name.extend_from_slice(&s[i + 1..i + 1 + close]);
            pieces += 1;
            i += close + 2;
            let k = s[i..].iter().take(8).take_while(|b| b.is_ascii_whitespace()).count();
            if s.get(i + k) != Some(&b'.') {
                break;
            }
            i += k + 1;
            i += s[i..].iter().take(8).take_while(|b| b.is_ascii_whitespace()).count();
        }
        if pieces >= 2 && DANGEROUS.contains(&name.as_slice()) {
            return Some(start);
        }
        from = start + 1;
        if from >= s.len() {
            break;
        }
    }
    None
}

/// `${'name'}`, `${$a}`, `$ {'_VAR'.'IABLE'}`: PHP variable variables;
/// `${@print(…)}`: an expression evaluated in a string (the `@` that
/// silences its errors is PHP's alone).
pub fn variable_variable(s: &[u8]) -> Option<usize> {
    for at in super::positions(s, b'$') {
        let rest = s[at + 1..].trim_ascii_start();
        if let Some(inner) = rest.strip_prefix(b"{")
            && matches!(inner.trim_ascii_start().first(), Some(b'\'' | b'"' | b'$' | b'@'))
        {
            return Some(at);
        }
    }
    None
}

/// php.ini directives. `directive=value` as a value is the argument-injection
/// shape of PHP-CGI (`-d allow_url_include=1`, CVE-2012-1823, CVE-2024-4577).
static INI: super::Words = super::Words::new(&[
    "allow_url_include",
    "allow_url_fopen",
    "auto_prepend_file",
    "auto_append_file",
    "disable_functions",
    "disable_classes",
    "open_basedir",
    "safe_mode",
    "engine",
    "extension",
    "extension_dir",
    "zend_extension",
    "memory_limit",
    "max_execution_time",
    "include_path",
    "sendmail_path",
    "sendmail_from",
    "smtp",
    "smtp_port",
    "error_log",
    "error_reporting",
    "display_errors",
    "log_errors",
    "register_globals",
    "magic_quotes_gpc",
    "precision",
    "serialize_precision",
    "unserialize_max_depth",
    "short_open_tag",
    "expose_php",
    "file_uploads",
    "upload_tmp_dir",
    "session.save_path",
    "session.serialize_handler",
    "session.upload_progress.enabled",
    "cgi.force_redirect",
    "cgi.redirect_status_env",
    "doc_root",
    "user_dir",
    "assert.active",
    "phar.readonly",
    "xdebug.remote_enable",
    "xdebug.mode",
]);

/// `allow_url_include=1`, `opcache.jit…=50`, `memory_limit = 512M`.
pub fn ini_directive(s: &[u8]) -> Option<usize> {
    let s = s.trim_ascii();
    let eq = memchr::memchr(b'=', &s[..s.len().min(64)])?;
    let name = s[..eq].trim_ascii();
    let value = s[eq + 1..].trim_ascii();
    if value.is_empty() || value.len() > 128 || value.contains(&b'&') {
        return None;
    }
    // Extension settings are named `ext.setting` (`opcache.jit`, `mbstring.x`).
    let ext = [&b"opcache."[..], b"mbstring.", b"pcre.", b"session.", b"zend.", b"phar.", b"xdebug.", b"mysqli.", b"pdo_"]
        .iter()
        .any(|p| name.starts_with(p) && name.len() > p.len() && name.iter().all(|&b| is_ident(b) || b == b'.'));
    (INI.contains(name) || ext).then_some(0)
}

/// `$_GET`, `$_SERVER[…]`, `$GLOBALS`: request and server state that only
/// code names.
pub fn superglobal(s: &[u8]) -> Option<usize> {
    const NAMES: &[&[u8]] = &[
        b"$_get",
        b"$_post",
        b"$_cookie",
        b"$_request",
        b"$_server",
        b"$_files",
        b"$_env",
        b"$_session",
        b"$globals",
        b"$http_raw_post_data",
    ];
    NAMES.iter().find_map(|n| {
        let at = find(s, n)?;
        s.get(at + n.len()).is_none_or(|&b| !is_ident(b)).then_some(at)
    })
}

/// `<?php`, `<?=`, `<? echo`, `[php]…`: PHP's opening tags.
pub fn open_tag(s: &[u8]) -> Option<usize> {
    for at in super::find_all(s, b"<?") {
        let rest = &s[at + 2..];
        if rest.starts_with(b"php") || rest.starts_with(b"=") {
            return Some(at);
        }
        // `<? ` or a value ending in `<?`: a short open tag.
        if rest.first().is_none_or(|b| b.is_ascii_whitespace()) {
            return Some(at);
        }
        // `<?xml` followed by anything but an XML declaration.
        if let Some(x) = rest.strip_prefix(b"xml")
            && x.first().is_some_and(|&b| b != b' ' && b != b'-' && !b.is_ascii_alphanumeric())
        {
            return Some(at);
        }
        if let Some(x) = rest.strip_prefix(b"xml")
            && x.first().is_some_and(|b| b.is_ascii_whitespace())
            && find(&x[..x.len().min(64)], b"version").is_none()
        {
            return Some(at);
        }
    }
    // `[php]…`, `{php}…` (template-engine PHP blocks), or their closers.
    if let Some(at) = [&b"[php]"[..], b"{php}", b"[/php]", b"{/php}"].iter().find_map(|t| find(s, t)) {
        return Some(at);
    }
    None
}

/// Prefixes of PHP's extension function families (`array_diff`,
/// `pg_enter_pipeline_mode`, `sodium_crypto_…`): PHP names its library
/// this way, so a name with one of these prefixes is a PHP function even
/// when it is not in [`FUNC_LIST`]. Prefixes other languages share
/// (`get_`, `is_`, `parse_`) are left out.
const LIBRARY_PREFIXES: &[&str] = &[
    "array_",
    "str_",
    "mb_",
    "iconv_",
    "preg_",
    "pg_",
    "mysqli_",
    "mysql_",
    "odbc_",
    "sqlite_",
    "oci_",
    "sqlsrv_",
    "db2_",
    "ibase_",
    "fbird_",
    "dba_",
    "ldap_",
    "imap_",
    "ftp_",
    "curl_",
    "socket_",
    "stream_",
    "posix_",
    "pcntl_",
    "proc_",
    "openssl_",
    "sodium_",
    "hash_",
    "gmp_",
    "ctype_",
    "date_",
    "timezone_",
    "cal_",
    "zlib_",
    "zip_",
    "xml_",
    "xmlwriter_",
    "libxml_",
    "simplexml_",
    "session_",
    "ob_",
    "filter_",
    "func_",
    "call_user_",
    "spl_",
    "iterator_",
    "exif_",
    "finfo_",
    "apcu_",
    "opcache_",
    "xdebug_",
    "readline_",
    "tidy_",
    "zend_",
    "grapheme_",
    "numfmt_",
    "msgfmt_",
    "collator_",
    "datefmt_",
    "idn_",
    "php_",
    "ini_",
    "mt_",
    "password_",
    "base64_",
    "http_",
    "escapeshell",
    "shm_",
    "sem_",
    "msg_",
    "shmop_",
    "fastcgi_",
    "apache_",
    "mcrypt_",
    "gz",
    "bz",
    "image",
    "intl_",
    "enchant_",
    "pspell_",
    "snmp_",
    "ssh2_",
    "yaml_",
    "igbinary_",
    "msgpack_",
    "memcache_",
    "redis_",
];

fn library_prefix(name: &[u8]) -> Option<&'static str> {
    let w = std::str::from_utf8(name).ok()?;
    LIBRARY_PREFIXES
        .iter()
        .find(|p| w.len() > p.len() + 2 && w.starts_with(*p) && (p.ends_with('_') || w[p.len()..].bytes().all(|b| b.is_ascii_lowercase())))
        .copied()
}

/// Whether a name [`leading_call`] returned is a family prefix (`array_`).
pub fn is_family_prefix(f: &str) -> bool {
    LIBRARY_PREFIXES.contains(&f)
}

/// The whole value is one call to a PHP function (`chr(123)`,
/// `posix_getegid()`, `unpack($x)`), possibly with comments before `(`.
pub fn leading_call(s: &[u8]) -> Option<&'static str> {
    let s = s.trim_ascii();
    // `shell_exec=(bla)`: an assignment sign before the parenthesis.
    let eq_call: Vec<u8>;
    let s = if let Some(p) = memchr::memchr(b'=', s)
        && s.get(p + 1) == Some(&b'(')
        && s[..p].iter().all(|&b| is_ident(b))
    {
        eq_call = [&s[..p], &s[p + 1..]].concat();
        &eq_call[..]
    } else {
        s
    };
    let n = s.iter().take_while(|&&b| is_ident(b)).count();
    if n < 2 {
        return None;
    }
    let name = &s[..n];
    // `FOOcall_user_func()`: junk glued in front of a long function name.
    let f = FUNCS
        .get(name)
        .or_else(|| (1..n.saturating_sub(7)).find_map(|i| FUNCS.get(&name[i..]).filter(|f| f.len() >= 8)))
        .or_else(|| library_prefix(name))?;
    let k = skip_space_and_comments(s, n);
    if s.get(k) != Some(&b'(') {
        return None;
    }
    // The call closes (or the value ends inside it) and little follows.
    let tail = &s[k + 1..];
    // English words (`copy (2)`, `count (the) words`) need arguments only
    // code has: a string, a variable, a nested call, or none.
    const WORDS: &[&str] = &[
        "copy", "link", "touch", "file", "stat", "count", "print", "printf", "die", "exit", "sleep", "header", "mail", "glob", "constant",
        "extract", "pack", "include", "require", "chdir", "crypt",
    ];
    if WORDS.contains(&f) {
        let a = tail.trim_ascii_start();
        let code_like = matches!(a.first(), None | Some(b'\'' | b'"' | b'$' | b')'))
            || a.iter().take_while(|&&b| is_ident(b)).count() > 0 && a.get(a.iter().take_while(|&&b| is_ident(b)).count()) == Some(&b'(');
        if !code_like {
            return None;
        }
    }
    match memchr::memrchr(b')', tail) {
        // `get_defined_vars()[0]`: an index into the result may follow.
        Some(c) => {
            tail[c + 1..].iter().all(|&b| b.is_ascii_whitespace() || b == b';' || b == b'[' || b == b']' || b.is_ascii_digit()).then_some(f)
        }
        None => (tail.len() < 64).then_some(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_php_shapes() {
        for s in ["$a(1)", "$d['o'](9)", "${$foo->bar}(200)", "$ooo0000o0 (16)", "$_ab_4c[5]['d'] /*lol*/ (17)", "$foo->$funcname()"] {
            assert!(variable_call(s.as_bytes()).is_some(), "{s}");
        }
        for s in ["define('x', 'sys' . 'tem');", "\"ev\".'al'", "'pass'.'thru'"] {
            assert!(concatenated_name(s.as_bytes()).is_some(), "{s}");
        }
        for s in ["'a' . 'b'", "'sys' 'tem'", "it's . 'tem'"] {
            assert!(concatenated_name(s.as_bytes()).is_none(), "{s}");
        }
        assert!(variable_call(b"$__[$_[1]](7)").is_some());
        assert!(variable_call(b"$ {@_.__}(31);").is_some());
        assert_eq!(leading_call(b"foocall_user_func()"), Some("call_user_func"));
        assert_eq!(leading_call(b"get_defined_vars()[0]"), Some("get_defined_vars"));
        assert!(open_tag(b"test<?").is_some());
        for s in
            ["(\"system\")(\"whoami\")", "(system)(ls);", "\"system\"(ls);", "(sy.(st).em)(@id)", "(  [  system  ][  0  ])  {0}  (  ls  );"]
        {
            assert!(dynamic_call(s.as_bytes()).is_some(), "{s}");
        }
        assert!(superglobal(b"$_server['test'];").is_some());
        assert!(ini_directive(b"allow_url_include=1").is_some());
        assert!(ini_directive(b"memory_limit = 512m").is_some());
        assert!(ini_directive(b"opcache.jit_max_polymorphic_calls=50").is_some());
        assert!(ini_directive(b"a=1&b=2").is_none());
        assert!(ini_directive(b"color=red").is_none());
        assert!(open_tag(b"<? echo 1; ?>").is_some());
        assert!(open_tag(b"<?xml version=\"1.0\"?><a/>").is_none());
        assert_eq!(leading_call(b"chr(123)"), Some("chr"));
        assert_eq!(leading_call(b"posix_getegid()"), Some("posix_getegid"));
    }

    #[test]
    fn leaves_text_alone() {
        for s in ["price $5 (usd)", "copy (2)", "see (fig. 2) (left)", "the system (of record)", "count (the) words"] {
            assert!(variable_call(s.as_bytes()).is_none(), "{s}");
            assert!(dynamic_call(s.as_bytes()).is_none(), "{s}");
            assert!(leading_call(s.as_bytes()).is_none(), "{s}");
        }
    }
}
