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

pub fn check(t: &Target<'_>) -> Option<Hit> {
    if matches!(t.kind, Kind::Path | Kind::Name | Kind::FileName) || (t.kind == Kind::Header && !t.key.starts_with("x-")) {
        return None;
    }
    let s = t.norm;
    let trimmed: &[u8] = {
        let st = s.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(s.len());
        &s[st..]
    };
    let colon = memchr::memchr(b':', trimmed)?;
    let scheme = &trimmed[..colon];
    if scheme.is_empty() || scheme.len() > 12 || !scheme.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-')) {
        return None;
    }
    let rest = &trimmed[colon + 1..];
    match scheme {
        b"file" | b"gopher" | b"dict" | b"netdoc" | b"jar" | b"tftp" | b"ldap" | b"ldaps" | b"sftp" if rest.starts_with(b"/") => {
            let c = if matches!(scheme, b"ldap" | b"sftp" | b"ldaps") { Medium } else { High };
            return Some(Hit::new(2101, c, format!("SSRF: {} URL", String::from_utf8_lossy(scheme)), 0));
        }
        b"http" | b"https" | b"ftp" | b"ws" | b"wss" => {}
        _ => return None,
    }
    let rest = rest.strip_prefix(b"//")?;
    let auth_end = rest.iter().position(|&b| matches!(b, b'/' | b'?' | b'#' | b'\\')).unwrap_or(rest.len());
    let authority = &rest[..auth_end];
    // userinfo@host:port — the host is after the last '@'.
    let host_port = authority.rsplit(|&b| b == b'@').next().unwrap_or(authority);
    let host = if host_port.starts_with(b"[") {
        host_port.split(|&b| b == b']').next().map(|h| &h[1..]).unwrap_or(b"")
    } else {
        host_port.split(|&b| b == b':').next().unwrap_or(host_port)
    };
    let host = std::str::from_utf8(host).ok()?.trim_end_matches('.');
    if METADATA_HOSTS.contains(&host) {
        return Some(Hit::new(2102, High, format!("SSRF: cloud metadata address {host}"), 0));
    }
    if host == "localhost" || host.ends_with(".localhost") || host == "::1" || host == "::" || host.starts_with("::ffff:") || host == "0" {
        return Some(Hit::new(2103, High, format!("SSRF: loopback host {host}"), 0));
    }
    if let Some(ip) = parse_ipv4_loose(host) {
        let dotted = host.split('.').count() == 4 && host.split('.').all(|p| p.parse::<u8>().is_ok() && (p == "0" || !p.starts_with('0')));
        if internal(ip) {
            return Some(Hit::new(2103, High, format!("SSRF: internal address {}", ip.map(|b| b.to_string()).join(".")), 0));
        }
        if !dotted {
            return Some(Hit::new(2104, Medium, "SSRF: IP address in numeric disguise", 0));
        }
    }
    // Classic RFI: a remote URL whose query ends in `?` or carries a NUL.
    if (rest.ends_with(b"?") || t.evasion.nul) && t.kind == Kind::Value {
        return Some(Hit::new(2105, Medium, "remote file inclusion: URL ending in ?", 0));
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
    fn catches_ssrf() {
        for a in [
            "http://169.254.169.254/latest/meta-data/",
            "http://127.0.0.1:22/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://[::1]/admin",
            "gopher://127.0.0.1:6379/_x",
            "file:///etc/passwd",
            "http://user@localhost/",
            "http://10.0.0.5/internal",
        ] {
            assert_eq!(conf(a), Some(High), "{a}");
        }
    }

    #[test]
    fn passes_public_urls() {
        for b in ["https://www.example.com/a?b=c", "http://8.8.8.8/", "mailto:a@b.c", "https://naver.com"] {
            assert_eq!(conf(b), None, "{b}");
        }
    }
}
