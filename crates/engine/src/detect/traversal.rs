//! Path traversal and local file inclusion: after normalization, does the
//! value climb out of a directory, or name a file nobody should ask for?

use haetae_model::Confidence::{self, High, Low, Medium};

use super::{Hit, Kind, Target, find};
use crate::normalize::normalize_path;

/// Files whose names in a parameter mean someone is fishing.
static SENSITIVE: super::Needles = super::Needles::new(&[
    b"/etc/passwd",
    b"/etc/shadow",
    b"/etc/group",
    b"/etc/hosts",
    b"/etc/issue",
    b"/etc/crontab",
    b"/proc/self/",
    b"/proc/version",
    b"/proc/1/",
    b"/var/log/",
    b"win.ini",
    b"boot.ini",
    b"system.ini",
    b"/windows/system32",
    b".htpasswd",
    b".htaccess",
    b"wp-config.php",
    b"/.ssh/",
    b"id_rsa",
    b"/.bash_history",
    b"/.aws/credentials",
    b"web.config",
    b"/.env",
    b"/etc/mysql/",
    b"/usr/local/etc/",
    b"/apache2/",
    b"/httpd.conf",
    b"/.git/config",
    b"/root/",
    b"/proc/",
    b"/sys/class/",
    b"/sys/kernel/",
    b"/sys/devices/",
    b".docker/",
    b"/.kube/",
    b".git-credentials",
    b".npmrc",
    b".pgpass",
    b".my.cnf",
    b".netrc",
    b".ssh/",
    // A Java web application's private directories.
    b"web-inf/",
    b"meta-inf/",
]);

/// Request paths that are never meant to be served (forceful browsing).
const RESTRICTED_PATHS: &[(&[u8], bool)] = &[
    (b"/.git/", true),
    (b"/.git", true),
    (b"/.svn/", true),
    (b"/.hg/", true),
    (b"/.env", true),
    (b"/.htpasswd", true),
    (b"/.htaccess", true),
    (b"/.ds_store", false),
    (b"/.aws/", true),
    (b"/.ssh/", true),
    (b"/wp-config.php.", true),
    (b"/web.config", false),
    (b"/.bash_history", true),
    (b"/.idea/", false),
    (b"/.vscode/", false),
];

/// Logs servers, PHP and CMSs write into the document root by themselves
/// (`wp-content/debug.log`): nobody publishes them, scanners ask for them.
const WRITTEN_LOGS: &[&[u8]] =
    &[b"debug", b"error", b"errors", b"access", b"php_errors", b"php-errors", b"laravel", b"install", b"upgrade", b"ftp", b"sftp"];

const BACKUP_EXT: &[(&[u8], Confidence)] = &[
    // Leftovers of editing and copying no site publishes on purpose.
    (b".bak", High),
    (b".old", High),
    (b".orig", High),
    (b".swp", High),
    (b".sql", High),
    (b".sql.gz", High),
    (b".sql.zip", High),
    (b".sql.bz2", High),
    (b".sql.xz", High),
    (b".sql.tar", High),
    (b".zip~", High),
    (b"~", High),
    (b".save", High),
    (b".backup", High),
    (b".dump", High),
    (b".mdb", High),
    (b".sqlite", High),
    (b".sqlite3", High),
    (b".db", High),
    // Archives and logs: how software and sample logs are published, so
    // only with other evidence (the real-world access log has
    // `proxy-2.1.tar.gz` and `/misc/sample.log`).
    (b".tar.gz", Medium),
    (b".tgz", Medium),
    (b".log", Medium),
];

/// A hidden file or directory in the request path (`/.claude/settings.json`,
/// `/.n8n/config`): tool state and secrets, never site content. Only
/// `/.well-known/` is meant to be served.
fn hidden_segment(p: &[u8]) -> Option<usize> {
    let mut at = 0;
    for seg in p.split(|&b| b == b'/') {
        if seg.len() > 1 && seg[0] == b'.' && seg[1] != b'.' && seg != b".well-known" {
            return Some(at);
        }
        at += seg.len() + 1;
    }
    None
}

/// `..;/`, `..;jsessionid=x\`: a parent segment with a path parameter.
/// Servlet containers drop the parameter and climb; a proxy or WAF that
/// compares paths as text does not see `..`. Benign paths never have one.
fn dotdot_parameter(s: &[u8]) -> Option<usize> {
    memchr::memmem::find_iter(s, b"..;").find(|&at| at == 0 || matches!(s[at - 1], b'/' | b'\\'))
}

pub fn check(t: &Target<'_>) -> Option<Hit> {
    let s = t.norm;
    if let Some(at) = dotdot_parameter(s) {
        return Some(Hit::new(2004, High, "path traversal: `..;` (parent segment with a path parameter)", at));
    }
    if t.kind == Kind::Path {
        let (p, escaped) = normalize_path(s);
        if escaped > 0 {
            return Some(
                Hit::new(2001, High, format!("path traversal: path climbs {escaped} level(s) above the root"), 0)
                    .shape("traversal.climbs-above-root"),
            );
        }
        for (pat, strong) in RESTRICTED_PATHS {
            if let Some(at) = find(&p, pat) {
                let end_ok = pat.ends_with(b"/") || p.get(at + pat.len()).is_none_or(|&b| b == b'/' || b == b'.');
                if end_ok {
                    let c = if *strong { High } else { Medium };
                    return Some(
                        Hit::new(1301, c, format!("restricted file: {}", String::from_utf8_lossy(pat)), at)
                            .shape("traversal.restricted-file"),
                    );
                }
            }
        }
        if let Some(last) = p.rsplit(|&b| b == b'/').next()
            && let Some((_, c)) = BACKUP_EXT.iter().find(|(e, _)| last.ends_with(e) && last.len() > e.len())
        {
            // `/scripts/wrap.backup/`: a directory so named lists files; the
            // file itself is what leaks.
            let c = if s.ends_with(b"/") {
                Medium
            } else if last.ends_with(b".log") && WRITTEN_LOGS.contains(&&last[..last.len() - 4]) {
                High
            } else {
                *c
            };
            return Some(Hit::new(1302, c, "restricted file: backup, dump or log", 0));
        }
        if let Some(at) = hidden_segment(&p) {
            return Some(Hit::new(1303, High, "restricted file: hidden file or directory", at));
        }
        if let Some((_, at)) = SENSITIVE.iter(&p).next() {
            return Some(Hit::new(1304, High, "restricted file: system path in the URL", at));
        }
        return None;
    }
    if !s.iter().any(|&b| matches!(b, b'.' | b'/' | b'\\' | b':')) {
        return None;
    }
    // `0x2e0x2e0x2f`: dots and slashes spelled as hex literals.
    let dehexed: Vec<u8>;
    let hex_spelled = find(s, b"0x2e").is_some() || find(s, b"0x5c").is_some();
    let s = if hex_spelled {
        dehexed = undo_hex_literals(s);
        &dehexed[..]
    } else {
        s
    };
    let mut unified: Vec<u8> = s.iter().map(|&b| if b == b'\\' { b'/' } else { b }).collect();
    // `/etc/./passwd`: a `.` segment names the same directory.
    while let Some(p) = find(&unified, b"/./") {
        unified.drain(p..p + 2);
    }
    let has_slash = unified.contains(&b'/');
    let ups = memchr::memmem::find_iter(&unified, b"../").count() + usize::from(unified.ends_with(b"/.."));
    // A trailing slash lets `/sys/class` match the directory needle.
    unified.push(b'/');
    // Needles are written with `/`; the value is unified the same way.
    let sensitive = SENSITIVE.iter(&unified).next().map(|(p, at)| (SENSITIVE.pattern(p), at));
    let pathlike = unified.starts_with(b"/")
        || unified.starts_with(b".") && has_slash
        || unified.starts_with(b"file:")
        || unified.starts_with(b"~")
        || unified.starts_with(b"web-inf/")
        || unified.starts_with(b"meta-inf/")
        || (unified.len() > 2 && unified[1] == b':' && unified[2] == b'/')
        || ups > 0;
    if let Some((f, at)) = sensitive
        && pathlike
    {
        return Some(
            Hit::new(2002, High, format!("local file inclusion: {}", String::from_utf8_lossy(f)), at)
                .shape("traversal.local-file-inclusion"),
        );
    }
    if ups >= 2 {
        let at = find(&unified, b"../").unwrap_or(0);
        let c = if t.evasion.any_strong() || ups >= 3 { High } else { Medium };
        return Some(Hit::new(2003, c, format!("path traversal: {ups} `../` segments"), at).shape("traversal.parent-segments"));
    }
    if ups == 1 && t.evasion.any_strong() {
        return Some(Hit::new(2003, Medium, "path traversal: encoded `../`", 0));
    }
    // `../.env`, `../.git/config`: one level up, to a hidden file.
    if ups == 1 && unified.starts_with(b"../.") && unified.get(4).is_some_and(|b| b.is_ascii_alphanumeric()) && t.kind == Kind::Value {
        return Some(Hit::new(2003, High, "path traversal: parent directory's hidden file", 0));
    }
    if ups == 1 && unified.starts_with(b"../") && t.kind == Kind::Value {
        return Some(Hit::new(2003, Low, "path traversal: relative parent path", 0));
    }
    None
}

fn undo_hex_literals(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = match s.get(i..i + 4) {
            Some(b"0x2e") => b'.',
            Some(b"0x2f") => b'/',
            Some(b"0x5c") => b'\\',
            _ => {
                out.push(s[i]);
                i += 1;
                continue;
            }
        };
        out.push(b);
        i += 4;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{target, target_kind};
    use haetae_model::Confidence;

    fn conf(s: &[u8], kind: Kind) -> Option<Confidence> {
        let (norm, ev) = crate::normalize::normalize(s);
        check(&target_kind(s, &norm, ev, kind)).map(|h| h.confidence)
    }

    #[test]
    fn published_archives_and_logs_need_more_than_their_extension() {
        assert_eq!(conf(b"/files/xboxproxy/proxy-2.1.tar.gz", Kind::Path), Some(Medium));
        assert_eq!(conf(b"/misc/sample.log", Kind::Path), Some(Medium));
        assert_eq!(conf(b"/scripts/python/wrap.backup/", Kind::Path), Some(Medium));
        assert_eq!(conf(b"/wp-content/debug.log", Kind::Path), Some(High));
        assert_eq!(conf(b"/error.log", Kind::Path), Some(High));
        assert_eq!(conf(b"/index.php.bak", Kind::Path), Some(High));
        assert_eq!(conf(b"/db/site.sql.gz", Kind::Path), Some(High));
    }

    #[test]
    fn catches_traversal_and_lfi() {
        assert_eq!(conf(b"../../../../etc/passwd", Kind::Value), Some(High));
        assert_eq!(conf(b"..%252f..%252f..%252fwin.ini", Kind::Value), Some(High));
        assert_eq!(conf(b"/etc/passwd", Kind::Value), Some(High));
        assert_eq!(conf(b"/etc/./passwd", Kind::Value), Some(High));
        assert_eq!(conf(b"/./././etc/./shadow", Kind::Value), Some(High));
        assert_eq!(conf(b"WEB-INF/web.xml", Kind::Value), Some(High));
        assert_eq!(conf(b"/app/WEB-INF/classes/db.properties", Kind::Path), Some(High));
        assert_eq!(conf(b"put it in WEB-INF/web.xml", Kind::Value), None);
        assert_eq!(conf(b"\xC0\xAE\xC0\xAE/\xC0\xAE\xC0\xAE/\xC0\xAE\xC0\xAE/etc/hosts", Kind::Value), Some(High));
        assert_eq!(conf(b"....//....//....//etc/passwd", Kind::Value), Some(High));
        assert_eq!(conf(b"/a/../../etc/x", Kind::Path), Some(High));
        assert_eq!(conf(b"/.git/config", Kind::Path), Some(High));
        assert_eq!(conf(b"/backup/site.sql", Kind::Path), Some(High));
        assert_eq!(conf(b"/.claude/settings.json", Kind::Path), Some(High));
        assert_eq!(conf(b"/.well-known/acme-challenge/x", Kind::Path), None);
        assert_eq!(conf(b"0x2e.%000x2f0x2e.%00/WINDOWS/win.ini", Kind::Value), Some(High));
        assert_eq!(conf(b"/sys/class", Kind::Value), Some(High));
        assert_eq!(conf(b"/app/..;/manager/html", Kind::Path), Some(High));
        assert_eq!(conf(b"..;.\\.;\\.", Kind::Value), Some(High));
        assert_eq!(conf(b"../.history", Kind::Value), Some(High));
    }

    #[test]
    fn passes_ordinary_paths() {
        assert_eq!(conf(b"/images/logo.png", Kind::Value), None);
        assert_eq!(conf(b"https://example.com/a/b", Kind::Value), None);
        assert_eq!(conf(b"/board/list.php", Kind::Path), None);
        assert_eq!(conf(b"wait...; then more", Kind::Value), None);
        assert!(conf(b"../images/a.png", Kind::Value).is_none_or(|c| c < High));
        assert_eq!(conf(b"/.well-known/acme-challenge/x", Kind::Path), None);
        let (n, e) = crate::normalize::normalize(b"1.5");
        assert!(check(&target(b"1.5", &n, e)).is_none());
    }
}
