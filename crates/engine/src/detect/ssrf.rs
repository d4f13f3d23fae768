//! Server-side request forgery and remote file inclusion: a parameter that
//! is a URL pointing at loopback, private ranges or cloud metadata, in any
//! of the numeric disguises, or using a scheme that reaches local files and
//! raw sockets.

use haetae_model::Confidence::{High, Medium};

use super::{Hit, Kind, Target};

const METADATA_HOSTS: &[&str] =
    &["169.254.169.254", "metadata.google.internal", "metadata", "100.100.100.200", "fd00:ec2::254", "169.254.170.2", "metadata.azure.com"];

/// Parses dotted, decimal, hex and octal IPv4 forms (`2130706433`,
/// `0x7f.1`, `0177.0.0.1`) the way `inet_aton` does.
fn parse_ipv4_loose(h: &str) -> Option<[u8; 4]> {
    let parts: Vec<&str> = h.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut nums = Vec::with_capacity(4);
    for p in &parts {
        let v = if let Some(x) = p.strip_prefix("0x") {
            u64::from_str_radix(x, 16).ok()?
        } else if p.len() > 1 && p.starts_with('0') {
            u64::from_str_radix(&p[1..], 8).ok()?
        } else {
            p.parse::<u64>().ok()?
        };
        nums.push(v);
    }
    let mut out: u64 = 0;
    let last = nums.len() - 1;
    for (i, n) in nums.iter().enumerate() {
        if i < last {
            if *n > 255 {
                return None;
            }
            out |= n << (8 * (3 - i));
        } else {
            let bits = 8 * (4 - last);
            if bits < 64 && *n >= 1u64 << bits {
                return None;
            }
            out |= n;
        }
    }
    let o = (out as u32).to_be_bytes();
    Some(o)
}

fn internal(ip: [u8; 4]) -> bool {
    matches!(ip, [127, ..] | [10, ..] | [0, ..] | [169, 254, ..] | [192, 168, ..])
        || (ip[0] == 172 && (16..32).contains(&ip[1]))
        || (ip[0] == 100 && (64..128).contains(&ip[1]))
}

/// Names that resolve to the machine itself or its private network in
/// common setups (containers, Kubernetes, wildcard loopback DNS).
const INTERNAL_NAMES: &[&str] = &[
    "localhost",
    "localhost4",
    "localhost6",
    "localhost.localdomain",
    "localhost4.localdomain4",
    "localhost6.localdomain6",
    "ip6-localhost",
    "ip6-loopback",
    "ipv6-localhost",
    "ipv6-loopback",
    "host.docker.internal",
    "gateway.docker.internal",
    "host.containers.internal",
    "kubernetes.default",
    "kubernetes.default.svc",
    "metadata.packet.net",
    "instance-data",
    "lvh.me",
    "localtest.me",
];

const INTERNAL_SUFFIXES: &[&str] = &[".localhost", ".svc.cluster.local", ".internal", ".nip.io", ".sslip.io", ".local"];

/// Why `host` is an internal target, if it is.
fn judge_host(host: &str) -> Option<(u32, haetae_model::Confidence, String)> {
    let host = host.trim_end_matches('.');
    if host.is_empty() {
        return None;
    }
    if METADATA_HOSTS.contains(&host) || host == "192.0.0.192" {
        return Some((2102, High, format!("SSRF: cloud metadata address {host}")));
    }
    // `169.254.169.254.nip.io`, `app-10-0-0-1.sslip.io`: wildcard DNS
    // that answers with the address spelled in the name.
    let wildcard_loopback = [".nip.io", ".sslip.io", ".xip.io"].iter().find_map(|sfx| host.strip_suffix(sfx)).is_some_and(|name| {
        let dotted: Vec<&str> = name.rsplit(['.', '-']).take(4).collect();
        dotted.len() == 4 && {
            let ip: Vec<u8> = dotted.iter().rev().filter_map(|p| p.parse().ok()).collect();
            ip.len() == 4 && internal([ip[0], ip[1], ip[2], ip[3]])
        }
    });
    if INTERNAL_NAMES.contains(&host)
        || INTERNAL_SUFFIXES.iter().any(|x| host.ends_with(x) && !x.ends_with(".io"))
        || wildcard_loopback
        || host == "::1"
        || host == "::"
        || host.starts_with("::ffff:")
        || host.starts_with("0:0:0:0:0:ffff:")
        || host == "0"
    {
        return Some((2103, High, format!("SSRF: loopback or internal host {host}")));
    }
    if let Some(v6) = host.split('%').next().and_then(|h| h.parse::<std::net::Ipv6Addr>().ok()) {
        let seg = v6.segments();
        let v4 = v6.to_ipv4().map(|a| a.octets());
        if v6.is_loopback() || v6.is_unspecified() || seg[0] & 0xffc0 == 0xfe80 || seg[0] & 0xfe00 == 0xfc00 || v4.is_some_and(internal) {
            return Some((2103, High, format!("SSRF: internal IPv6 address {host}")));
        }
        return None;
    }
    // `7147006462`, `0x41414141A9FEA9FE`: a number past 32 bits that
    // parsers wrap around.
    let wide = host.strip_prefix("0x").map_or_else(|| host.parse::<u64>().ok(), |x| u64::from_str_radix(x, 16).ok());
    if let Some(v) = wide.filter(|&v| v > u64::from(u32::MAX)) {
        let ip = (v as u32).to_be_bytes();
        if internal(ip) || METADATA_HOSTS.contains(&ip.map(|b| b.to_string()).join(".").as_str()) {
            return Some((2104, High, "SSRF: internal address as a wrapped-around number".into()));
        }
    }
    if let Some(ip) = parse_ipv4_loose(host) {
        let dotted = host.split('.').count() == 4 && host.split('.').all(|p| p.parse::<u8>().is_ok() && (p == "0" || !p.starts_with('0')));
        if internal(ip) {
            return Some((2103, High, format!("SSRF: internal address {}", ip.map(|b| b.to_string()).join("."))));
        }
        if !dotted {
            return Some((2104, Medium, "SSRF: IP address in numeric disguise".into()));
        }
    }
    None
}

/// The hosts a URL's authority may mean to different parsers: the part
/// after each `@` and the part before the first one.
fn hosts_of(authority: &[u8]) -> impl Iterator<Item = &str> {
    authority.split(|&b| b == b'@').filter_map(|part| {
        let part = part.trim_ascii();
        let part = part.split(|&b| matches!(b, b'#' | b' ' | b'&')).next().unwrap_or(part);
        let host = if part.starts_with(b"[") {
            part.split(|&b| b == b']').next().map(|h| &h[1..]).unwrap_or(b"")
        } else {
            part.split(|&b| b == b':').next().unwrap_or(part)
        };
        std::str::from_utf8(host).ok()
    })
}

pub fn check(t: &Target<'_>) -> Option<Hit> {
    // Referer, Origin and WebDAV's Destination name the site itself, which
    // is `localhost` on a developer's machine.
    // `/fetch/http://169.254.169.254/…`: a URL to an internal target as
    // the rest of the path.
    if let Some((tail, off)) = t.path_tail(|b| b == b':') {
        return judge_url(&tail, tail.norm, 0).filter(|h| h.confidence == High).map(|h| h.shifted(off));
    }
    if matches!(t.kind, Kind::Path | Kind::FileName) || t.kind == Kind::Header && matches!(t.key, "referer" | "origin" | "destination") {
        return None;
    }
    // A name (`?http://2852039166/`) or a header other than `X-*` (a
    // User-Agent of `http://169.254.169.254/…`) counts only when the
    // target is surely internal.
    let strict = t.kind == Kind::Name || t.kind == Kind::Header && !t.key.starts_with("x-");
    // Such a header is read only when it opens with a scheme (most are
    // `Mozilla/5.0 (…)`): the judgement below is not free.
    if t.kind == Kind::Header && strict {
        let v = t.norm.trim_ascii_start();
        let n = v.iter().take(12).take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')).count();
        if n == 0 || v.get(n) != Some(&b':') {
            return None;
        }
    }
    let h = judge_url(t, t.norm.trim_ascii_start(), 0)?;
    (!strict || h.confidence == High).then_some(h)
}

/// Parameter names of include paths (`_CONF[path]`, `mosConfig_absolute_path`).
fn include_param(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["include", "require", "absolute_path", "abspath", "basepath", "base_path", "root_path", "[path]", "mosconfig", "_conf["]
        .iter()
        .any(|w| k.contains(w))
}

/// Where a URL's authority ends: at `/`, `?`, or a run of backslashes not
/// followed by a letter or digit. A run before one is an escape some
/// clients drop (`\\l\\o\\c…`), not the end. One pass: each run is
/// measured once.
fn authority_end(after: &[u8]) -> usize {
    let mut i = 0;
    while i < after.len() {
        match after[i] {
            b'/' | b'?' => return i,
            b'\\' => {
                let run = after[i..].iter().take_while(|&&b| b == b'\\').count();
                if !after.get(i + run).is_some_and(u8::is_ascii_alphanumeric) {
                    return i;
                }
                i += run;
            }
            _ => i += 1,
        }
    }
    after.len()
}

fn judge_url(t: &Target<'_>, trimmed: &[u8], depth: u8) -> Option<Hit> {
    // `localhost/`, `kubernetes.default.svc/`: an internal name with no scheme.
    let bare_end = trimmed.iter().position(|&b| matches!(b, b'/' | b':' | b'?')).unwrap_or(trimmed.len());
    if let Ok(h) = std::str::from_utf8(&trimmed[..bare_end])
        && (INTERNAL_NAMES.contains(&h) || h.ends_with(".svc.cluster.local") || h.ends_with(".docker.internal"))
    {
        return Some(Hit::new(2103, High, format!("SSRF: internal host {h}"), 0).shape("ssrf.internal-host"));
    }
    let colon = memchr::memchr(b':', trimmed)?;
    let scheme = &trimmed[..colon];
    if scheme.is_empty() || scheme.len() > 16 || !scheme.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-' | b'_'))
    {
        return None;
    }
    let rest = &trimmed[colon + 1..];
    // `url:file:///etc/passwd` (Java), `jar:http://evil/x.zip!/a`: a URL
    // inside another scheme.
    if depth == 0 && scheme == b"url" {
        return judge_url(t, rest, 1);
    }
    if scheme == b"jar" && [&b"http:"[..], b"https:", b"file:", b"ftp:"].iter().any(|p| rest.starts_with(p)) {
        return Some(Hit::new(2101, High, "SSRF: jar: URL fetching an archive", 0));
    }
    // ldap/sftp URLs have honest uses; one naming an internal host is
    // judged by the host below, and stays Medium otherwise.
    let mut scheme_hit = None;
    match scheme {
        b"file" | b"gopher" | b"dict" | b"netdoc" | b"jar" | b"tftp" | b"ldap" | b"ldaps" | b"sftp" | b"local_file"
            if rest.starts_with(b"/") =>
        {
            let hit =
                |c| Some(Hit::new(2101, c, format!("SSRF: {} URL", String::from_utf8_lossy(scheme)), 0).shape("ssrf.dangerous-scheme"));
            if !matches!(scheme, b"ldap" | b"sftp" | b"ldaps") {
                return hit(High);
            }
            if !rest.starts_with(b"//") {
                return hit(Medium);
            }
            scheme_hit = hit(Medium);
        }
        _ => {}
    }
    // `http:127.0.0.1` (no slashes) is still fetched by lenient clients.
    let after = rest.strip_prefix(b"//").or_else(|| rest.strip_prefix(b"\\\\")).or_else(|| {
        // `http:/2852039166`: one slash or none.
        let r = rest.strip_prefix(b"/").unwrap_or(rest);
        (matches!(scheme, b"http" | b"https") && r.first().is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'[')).then_some(r)
    })?;
    let auth_end = authority_end(after);
    let authority = &after[..auth_end];
    // `\\l\\o\\c…`: backslashes some clients drop.
    let cleaned: Vec<u8>;
    let authority = if authority.contains(&b'\\') {
        cleaned = authority.iter().copied().filter(|&b| b != b'\\').collect();
        &cleaned[..]
    } else {
        authority
    };
    for host in hosts_of(authority) {
        if let Some((id, c, why)) = judge_host(host) {
            return Some(Hit::new(id, c, why, 0).shape("ssrf.internal-address"));
        }
    }
    if scheme_hit.is_some() {
        return scheme_hit;
    }
    // Classic RFI: a remote URL whose query ends in `?` or carries a NUL.
    // Only when that `?` is the URL's first: a tracking URL whose query
    // already runs (`…;tag=?`, `…&x=?`) appends nothing to a path.
    if (after.ends_with(b"?") && memchr::memchr(b'?', after) == Some(after.len() - 1) || t.evasion.nul) && t.kind == Kind::Value {
        // The `?` makes whatever the application appends (`.php`) a query
        // string of the attacker's URL; a link someone pastes ends in a
        // path or a query with parameters.
        return Some(Hit::new(2105, High, "remote file inclusion: URL ending in ?", 0));
    }
    let remote = matches!(scheme, b"http" | b"https" | b"ftp" | b"ftps");
    if remote && t.kind == Kind::Value && include_param(t.key) {
        return Some(Hit::new(2105, High, "remote file inclusion: URL in an include-path parameter", 0));
    }
    // `http://66.240.183.75/crash.php`: a script fetched from a bare IP.
    let ipv6 = hosts_of(authority).any(|h| h.parse::<std::net::Ipv6Addr>().is_ok());
    let ip_literal = ipv6 || hosts_of(authority).any(|h| h.split('.').count() == 4 && h.split('.').all(|p| p.parse::<u8>().is_ok()));
    if remote && ip_literal && t.kind == Kind::Value {
        let path = &after[auth_end..];
        let path = path.split(|&b| b == b'?' || b == b'#').next().unwrap_or(path);
        const SCRIPTS: &[&[u8]] =
            &[b".php", b".phtml", b".txt", b".inc", b".sh", b".pl", b".py", b".cgi", b".asp", b".aspx", b".jsp", b".exe", b".ps1"];
        let script = SCRIPTS.iter().any(|e| path.ends_with(e));
        let (c, why) = if script || scheme.starts_with(b"ftp") {
            (High, "remote file inclusion: script on a bare IP address")
        } else if ipv6 {
            // Links people share name hosts; a bracketed IPv6 literal is
            // how requests are steered around host allow-lists.
            (High, "SSRF: URL on a bare IPv6 address")
        } else {
            (Medium, "remote file inclusion: URL on a bare IP address")
        };
        return Some(Hit::new(2105, c, why, 0));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use haetae_model::Confidence;

    fn conf(s: &str) -> Option<Confidence> {
        crate::testutil::confidence(check, s)
    }

    #[test]
    fn authority_end_is_linear_in_backslash_runs() {
        // Measured once per run: a long run before a letter must not be
        // rescanned from every backslash in it (that was quadratic).
        let mut v = b"http://".to_vec();
        v.extend(std::iter::repeat_n(b'\\', 1 << 20));
        v.push(b'a');
        let t = std::time::Instant::now();
        assert_eq!(authority_end(&v[7..]), (1 << 20) + 1);
        assert!(t.elapsed() < std::time::Duration::from_secs(1), "{:?}", t.elapsed());
        assert_eq!(authority_end(b"a\\\\/x"), 1);
        assert_eq!(authority_end(b"\\l\\o/x"), 4);
    }

    #[test]
    fn a_question_mark_ends_an_inclusion_only_as_the_first_one() {
        assert_eq!(conf("http://evil.example/shell.txt?"), Some(Confidence::High));
        assert_eq!(conf("https://adclick.example/aclk?sa=L&num=1&adurl=;ord=995287;dc_rdid=;tag=?"), None);
    }

    #[test]
    fn catches_ssrf() {
        for a in [
            "http://169.254.169.254/latest/meta-data/",
            "http://127.0.0.1:22/",
            "ldap://127.0.0.1:389/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://[::1]/admin",
            "gopher://127.0.0.1:6379/_x",
            "file:///etc/passwd",
            "http://user@localhost/",
            "http://10.0.0.5/internal",
            "http:127.0.0.1",
            "ssh://0177.00.00.01",
            "rsync://[0:0:0:0:0:ffff:169.254.169.254]",
            "http://google.com:80 &@google.com:80# @127.88.23.245:22/",
            "kubernetes.default.svc.cluster.local/",
            "http://host.docker.internal:2375/",
            "http://[fe80::1%zone1]/",
            "http://[0:0:0:0:0:0:169.254.169.254]",
            "http://7147006462/",
            "http://0x41414141A9FEA9FE/",
            "http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/",
            "http://169。254。169。254/",
            "http:/2130706433",
            "url:file:///etc/passwd",
            "jar:http://evil.co/b.zip!/a",
            "http://66.240.183.75/crash.php",
            "ftp://1.1.1.1",
            "ipv6-localhost/",
            "http://169.254.169.254.nip.io/",
            "http://app-10-0-0-1.sslip.io/",
            "http://\\l\\o\\c\\a\\l\\h\\o\\s\\t/",
            "http://\\\\l\\\\o\\\\c\\\\a\\\\l\\\\h\\\\o\\\\s\\\\t/",
            "http://[a::b]",
            "https://foo.bar?",
        ] {
            assert_eq!(conf(a), Some(High), "{a}");
        }
    }

    #[test]
    fn reads_headers_only_for_internal_targets_and_not_the_referer() {
        let header = |key: &str, v: &str| crate::testutil::confidence_at(check, haetae_model::Source::Header, Kind::Header, key, v);
        assert_eq!(header("user-agent", "http://169.254.169.254/latest/meta-data/"), Some(High));
        assert_eq!(header("user-agent", "http://8.8.8.8/"), None);
        assert_eq!(header("user-agent", "WordPress/6.4.2; http://localhost:8080"), None);
        assert_eq!(header("referer", "http://localhost:3000/cart"), None);
        assert_eq!(header("x-callback", "http://10.0.0.5/"), Some(High));
    }

    #[test]
    fn passes_public_urls() {
        for b in ["https://www.example.com/a?b=c", "mailto:a@b.c", "https://naver.com", "note: localhost is fine", "time: 10:30"] {
            assert_eq!(conf(b), None, "{b}");
        }
        // A bare public IPv4 address is worth noting, not blocking; links
        // to a bracketed IPv6 literal are not something people share.
        for b in ["http://8.8.8.8/", "http://93.184.216.34/index.html"] {
            assert_eq!(conf(b), Some(Medium), "{b}");
        }
        assert_eq!(conf("http://[2001:db8::1]/"), Some(High));
    }
}
