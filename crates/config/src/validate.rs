//! Checks that need more than the TOML grammar: unique names and hosts,
//! resolvable upstreams, CIDRs that parse, names that exist. What needs the
//! files a config points to (certificates and keys, block pages, SecLang
//! rules) is checked when the runtime is built from it, with the same
//! `file:line:col` errors: the config itself stays data a program can read,
//! change and write back without touching those files.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use toml::Spanned;

use crate::model::Config;
use crate::{Diagnostic, line_col};

/// Detector names a user may switch off or name in an exception.
pub const DETECTORS: &[&str] = &[
    "sqli",
    "xss",
    "cmdi",
    "traversal",
    "code",
    "java",
    "js",
    "ssrf",
    "crlf",
    "ldap",
    "nosql",
    "graphql",
    "xxe",
    "scanner",
    "upload",
    "session",
    "protocol",
    "evasion",
];

struct Ctx<'a> {
    src: &'a str,
    diags: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn at<T>(&mut self, s: &Spanned<T>, msg: impl Into<String>) {
        let (line, col) = if s.span().end == 0 { (1, 1) } else { line_col(self.src, s.span().start) };
        self.diags.push(Diagnostic { line, col, message: msg.into() });
    }
    fn key(&mut self, key: &str, msg: impl Into<String>) {
        // Points at the first occurrence of `key =` (for values without spans).
        let off = self.src.find(&format!("{key} =")).or_else(|| self.src.find(&format!("{key}="))).unwrap_or(0);
        let (line, col) = line_col(self.src, off);
        self.diags.push(Diagnostic { line, col, message: msg.into() });
    }
}

fn resolve_path(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() { p.to_owned() } else { base.join(p) }
}

pub fn validate(cfg: &mut Config, src: &str, base: &Path) -> Vec<Diagnostic> {
    let mut c = Ctx { src, diags: Vec::new() };
    if cfg.sites.is_empty() {
        c.diags.push(Diagnostic {
            line: 1,
            col: 1,
            message: "no [[site]] is configured: Haetae needs at least one site to protect".into(),
        });
    }
    if cfg.server.listen.is_empty() && cfg.server.tls_listen.is_empty() {
        c.key("listen", "no listener: set server.listen or server.tls_listen");
    }
    for t in &cfg.server.trusted_proxies {
        let v = t.get_ref();
        let parsed = v.parse::<ipnet::IpNet>().or_else(|_| v.parse::<IpAddr>().map(ipnet::IpNet::from));
        match parsed {
            Ok(n) => cfg.server.trusted.push(n),
            Err(_) => c.at(t, format!("`{v}` is not an IP address or CIDR range")),
        }
    }
    if cfg.server.client_ip_header.trim().is_empty() {
        c.key("client_ip_header", "client_ip_header must name a header");
    }
    cfg.server.client_ip_header = cfg.server.client_ip_header.to_ascii_lowercase();
    if cfg.limits.inspect_body_bytes > cfg.limits.max_body_bytes {
        c.key("inspect_body_bytes", "inspect_body_bytes is larger than max_body_bytes");
    }
    for (key, v) in [
        ("max_params", cfg.limits.max_params),
        ("max_name_bytes", cfg.limits.max_name_bytes),
        ("max_depth", cfg.limits.max_depth),
        ("max_parts", cfg.limits.max_parts),
        ("max_cookies", cfg.limits.max_cookies),
    ] {
        if v == 0 {
            c.key(key, format!("{key} must be at least 1"));
        }
    }
    if cfg.limits.max_header_count == 0 {
        c.key("max_header_count", "max_header_count must be at least 1");
    }
    if cfg.events.ring_size == 0 {
        c.key("ring_size", "ring_size must be at least 1");
    }
    for f in [&mut cfg.events.file, &mut cfg.access_log.file].into_iter().flatten() {
        *f = resolve_path(base, f);
    }
    if let Some(st) = &mut cfg.store {
        match (&st.path, &st.url) {
            (None, None) => c.key("store", "[store] needs `path` (SQLite) or `url` (PostgreSQL)"),
            (Some(_), Some(_)) => c.key("url", "[store] takes `path` or `url`, not both"),
            (None, Some(u)) if !(u.starts_with("postgres://") || u.starts_with("postgresql://")) => {
                c.key("url", "store url must start with postgres://")
            }
            _ => {}
        }
        if st.checkpoint_every == 0 {
            c.key("checkpoint_every", "checkpoint_every must be at least 1");
        }
        if st.queue == 0 {
            c.key("queue", "queue must be at least 1");
        }
        for f in [&mut st.path, &mut st.key, &mut st.checkpoint_file].into_iter().flatten() {
            *f = resolve_path(base, f);
        }
        if st.key.is_none() {
            st.key = Some(match &st.path {
                Some(p) => p.with_extension("key"),
                None => base.join("haetae-node.key"),
            });
        }
    }
    if let Some(con) = &mut cfg.console {
        con.allowed.clear();
        for a in &con.allow {
            let v = a.get_ref();
            match v.parse::<ipnet::IpNet>().or_else(|_| v.parse::<IpAddr>().map(ipnet::IpNet::from)) {
                Ok(n) => con.allowed.push(n),
                Err(_) => c.at(a, format!("`{v}` is not an IP address or CIDR range")),
            }
        }
        if con.max_failures == 0 {
            c.key("max_failures", "max_failures must be at least 1");
        }
        if cfg.store.is_none() {
            c.key("console", "[console] needs a [store]: accounts, sessions' audit and events live there");
        }
    }

    let mut names: HashMap<String, ()> = HashMap::new();
    let mut hosts: HashMap<String, String> = HashMap::new();
    let any_tls_site = cfg.sites.iter().any(|s| s.tls.is_some());
    for site in &mut cfg.sites {
        let name = site.name.get_ref().clone();
        if name.trim().is_empty() {
            c.at(&site.name, "site name must not be empty");
        }
        if names.insert(name.clone(), ()).is_some() {
            c.at(&site.name, format!("site name `{name}` is used twice"));
        }
        if site.hosts.is_empty() {
            c.at(&site.name, format!("site `{name}` has no hosts (use \"*\" for the default site)"));
        }
        for h in &mut site.hosts {
            let host = h.get_ref().trim().to_ascii_lowercase();
            if host.is_empty() || host.contains('/') || host.contains(' ') {
                c.at(h, format!("`{}` is not a host name", h.get_ref()));
            }
            if let Some(other) = hosts.insert(host.clone(), name.clone()) {
                c.at(h, format!("host `{host}` is already served by site `{other}`"));
            }
            *h.get_mut() = host;
        }
        let up = &mut site.upstream;
        if up.servers.is_empty() {
            c.at(&site.name, format!("site `{name}` has no upstream servers"));
        }
        for s in &up.servers {
            let v = s.get_ref();
            match v.parse::<SocketAddr>() {
                Ok(a) => up.resolved.push(a),
                Err(_) => match v.to_socket_addrs().map(|mut a| a.next()) {
                    Ok(Some(a)) => up.resolved.push(a),
                    _ => c.at(s, format!("upstream `{v}` is not host:port that resolves")),
                },
            }
        }
        if let Some(hc) = &up.health {
            if !hc.path.starts_with('/') {
                c.key("path", format!("health check path `{}` must start with /", hc.path));
            }
            if hc.fails == 0 || hc.passes == 0 {
                c.key("fails", "health check fails and passes must be at least 1");
            }
        }
        if up.max_fails == 0 {
            c.key("max_fails", "max_fails must be at least 1");
        }
        for u in &mut site.upgrades {
            let v = u.get_ref().trim().to_ascii_lowercase();
            if v == "h2c" {
                c.at(u, "`h2c` cannot be allowed: after the switch the connection would carry HTTP/2 nothing inspects");
            } else if v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'/')) {
                c.at(u, format!("`{}` is not a protocol name for Upgrade", u.get_ref()));
            }
            *u.get_mut() = v;
        }
        for m in &mut site.allowed_methods {
            if m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-') {
                c.key("allowed_methods", format!("`{m}` is not an HTTP method"));
            }
            *m = m.to_ascii_uppercase();
        }
        for d in &site.disabled_detectors {
            if !DETECTORS.contains(&d.as_str()) {
                c.key("disabled_detectors", format!("unknown detector `{d}` (known: {})", DETECTORS.join(", ")));
            }
        }
        for e in &site.exceptions {
            for d in &e.detectors {
                if !DETECTORS.contains(&d.as_str()) {
                    c.key("detectors", format!("unknown detector `{d}` in exception (known: {})", DETECTORS.join(", ")));
                }
            }
            if e.path.is_none() && e.param.is_none() && e.detectors.is_empty() && e.rules.is_empty() && e.shapes.is_empty() {
                c.key("exceptions", "an exception needs at least one of path, param, detectors, rules, shapes");
            }
        }
        for d in &site.disabled_shapes {
            if d.trim().is_empty() || d.contains(char::is_whitespace) {
                c.key("disabled_shapes", format!("`{d}` is not a shape id (see `haetae rules --native`)"));
            }
        }
        if site.seclang.is_empty() && !site.native_engine {
            c.at(&site.name, format!("site `{name}` has native_engine = false and no seclang files: nothing would inspect its traffic"));
        }
        for p in &mut site.seclang {
            *p.get_mut() = resolve_path(base, p.get_ref());
        }
        for page in [&mut site.block_page, &mut site.error_page].into_iter().flatten() {
            *page.get_mut() = resolve_path(base, page.get_ref());
        }
        if let Some(tls) = &mut site.tls {
            *tls.cert.get_mut() = resolve_path(base, tls.cert.get_ref());
            *tls.key.get_mut() = resolve_path(base, tls.key.get_ref());
            if cfg.server.tls_listen.is_empty() {
                c.at(&site.name, format!("site `{name}` has tls but server.tls_listen is empty"));
            }
        }
    }
    if !cfg.server.tls_listen.is_empty() && !any_tls_site {
        let first = cfg.server.tls_listen[0].clone();
        c.at(&first, "tls_listen is set but no site has a [site.tls] certificate");
    }
    c.diags
}
