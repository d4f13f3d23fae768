//! The compiled form of a config: what the request path reads. A reload
//! builds a new [`Runtime`] and swaps it in whole; requests in flight keep
//! the one they started with (they hold an `Arc`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::metrics::{Metrics, SiteMetrics, UpstreamGauge};
use crate::pages::Pages;
use crate::tls;
use crate::upstream::{Pool, ServerState};
use haetae_config::{BodyOverflow, Config, ConfigError, Mode, ResponseInspection};
use haetae_engine::{Engine, EngineConfig};
use haetae_model::ParseLimits;
use http::Method;

/// One protected site, compiled.
pub struct SiteRt {
    pub name: String,
    pub mode: Mode,
    pub fail_open: bool,
    pub on_timeout: haetae_config::OnTimeout,
    pub record_notes: bool,
    /// Protocols `Upgrade` may switch to (lower-case; never `h2c`).
    pub upgrades: Vec<String>,
    pub engine: Engine,
    /// Run the native engine (`native_engine`).
    pub native: bool,
    /// The site's SecLang rules (`seclang`), compiled when the config loaded.
    pub rules: Option<Arc<haetae_seclang::eval::RuleSet>>,
    /// Some of them read the response: the request's transaction is kept
    /// until it comes.
    pub seclang_response: bool,
    /// ... and its body (`SecResponseBodyAccess On`): textual bodies are
    /// buffered (up to `response.max_buffer`) for them.
    pub seclang_reads_body: bool,
    pub pages: Pages,
    pub pool: Arc<Pool>,
    pub metrics: Arc<SiteMetrics>,
    pub allowed_methods: Vec<Method>,
    pub hide_server_headers: bool,
    pub body_overflow: BodyOverflow,
    pub response: ResponseInspection,
}

impl SiteRt {
    /// What [`crate::decide::decide`] reads of the site.
    pub fn policy(&self) -> crate::decide::Policy {
        crate::decide::Policy { mode: self.mode, fail_open: self.fail_open, on_timeout: self.on_timeout, record_notes: self.record_notes }
    }

    pub fn method_allowed(&self, m: &Method) -> bool {
        if self.allowed_methods.is_empty() {
            // TRACE/TRACK echo requests back (cross-site tracing) and
            // CONNECT makes a tunnel: never wanted unless listed.
            return !matches!(m.as_str(), "TRACE" | "TRACK" | "CONNECT" | "DEBUG");
        }
        self.allowed_methods.contains(m)
    }
}

pub struct Runtime {
    pub config: Arc<Config>,
    /// The stages of the request path ([`crate::phases::stages`]).
    pub stages: Vec<Box<dyn crate::phases::Stage>>,
    pub sites: Vec<Arc<SiteRt>>,
    hosts: HashMap<String, usize>,
    default_site: Option<usize>,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub limits: ParseLimits,
}

impl Runtime {
    /// Compiles `cfg`. Server health state is carried over from `prev` for
    /// servers that stay, so a reload does not resurrect a dead server.
    /// Everything the config points to is read and compiled here: block
    /// and error pages, SecLang rule files, certificates with their keys.
    /// An error names its place in the config file (`file:line:col`).
    pub fn build(cfg: Config, prev: Option<&Runtime>, metrics: &Metrics) -> Result<Self, ConfigError> {
        let mut old_states: HashMap<(String, SocketAddr), Arc<ServerState>> = HashMap::new();
        if let Some(p) = prev {
            for s in &p.sites {
                for st in &s.pool.servers {
                    old_states.insert((s.name.clone(), st.addr), st.clone());
                }
            }
        }
        let mut sites = Vec::new();
        let mut hosts = HashMap::new();
        let mut default_site = None;
        let mut gauges = Vec::new();
        for (idx, s) in cfg.sites.iter().enumerate() {
            let name = s.name.get_ref().clone();
            let servers: Vec<Arc<ServerState>> = s
                .upstream
                .resolved
                .iter()
                .map(|a| old_states.get(&(name.clone(), *a)).cloned().unwrap_or_else(|| Arc::new(ServerState::new(*a))))
                .collect();
            for st in &servers {
                gauges.push(UpstreamGauge {
                    site: name.clone(),
                    server: st.addr.to_string(),
                    up: st.up.clone(),
                    inflight: st.inflight.clone(),
                });
            }
            let pool = Arc::new(Pool::new(
                servers,
                s.upstream.balance,
                s.upstream.max_fails,
                s.upstream.retry_after.0,
                s.upstream.health.is_some(),
            ));
            let read = |p: &Option<toml::Spanned<std::path::PathBuf>>| -> Result<Option<String>, ConfigError> {
                p.as_ref()
                    .map(|p| {
                        std::fs::read_to_string(p.get_ref())
                            .map_err(|e| cfg.error_at(p.span(), format!("cannot read `{}`: {e}", p.get_ref().display())))
                    })
                    .transpose()
            };
            let pages = Pages::new(read(&s.block_page)?, read(&s.error_page)?);
            let rules = if s.seclang.is_empty() {
                None
            } else {
                let paths: Vec<std::path::PathBuf> = s.seclang.iter().map(|p| p.get_ref().clone()).collect();
                let compiled = haetae_seclang::files::load(&paths)
                    .and_then(|l| haetae_seclang::files::compile(&l))
                    .map_err(|e| cfg.error_at(s.seclang[0].span(), format!("seclang: {e}")))?;
                Some(Arc::new(compiled))
            };
            let engine = Engine::new(engine_config(s));
            let allowed_methods = s.allowed_methods.iter().filter_map(|m| Method::from_bytes(m.as_bytes()).ok()).collect();
            let site = SiteRt {
                name: name.clone(),
                mode: s.mode,
                fail_open: s.fail_open,
                on_timeout: s.on_timeout,
                record_notes: cfg.events.record_notes,
                upgrades: s.upgrades.iter().map(|u| u.get_ref().clone()).collect(),
                engine,
                native: s.native_engine,
                seclang_response: rules.as_ref().is_some_and(|r| r.has_response_rules()),
                seclang_reads_body: rules.as_ref().is_some_and(|r| r.has_response_rules() && r.response_body_access),
                rules,
                pages,
                pool,
                metrics: metrics.site(&name),
                allowed_methods,
                hide_server_headers: s.hide_server_headers,
                body_overflow: s.body_overflow,
                response: s.response.clone(),
            };
            for h in &s.hosts {
                if h.get_ref() == "*" {
                    default_site = Some(idx);
                } else {
                    hosts.insert(h.get_ref().clone(), idx);
                }
            }
            sites.push(Arc::new(site));
        }
        let tls = if cfg.server.tls_listen.is_empty() { None } else { Some(tls::server_config(&cfg)?) };
        let limits = parse_limits(&cfg.limits);
        if let Ok(mut g) = metrics.upstreams.lock() {
            *g = gauges;
        }
        Ok(Self { config: Arc::new(cfg), stages: crate::phases::stages(), sites, hosts, default_site, tls, limits })
    }

    /// The site for a Host (or SNI) name: exact match, then the `"*"` site.
    pub fn site_for(&self, host: &str) -> Option<&Arc<SiteRt>> {
        let idx = self.hosts.get(host).copied().or(self.default_site)?;
        self.sites.get(idx)
    }

    /// Starts the active health checks of every site that has them.
    pub fn spawn_health_checks(&self) {
        for (s, cfg) in self.sites.iter().zip(&self.config.sites) {
            if let Some(hc) = &cfg.upstream.health {
                let host = cfg.hosts.iter().map(|h| h.get_ref().clone()).find(|h| h != "*").unwrap_or_else(|| "localhost".into());
                crate::health::spawn(Arc::downgrade(&s.pool), hc.clone(), host, s.name.clone());
            }
        }
    }
}

/// The engine's settings from a site's (the config holds its own types).
fn engine_config(s: &haetae_config::Site) -> EngineConfig {
    use haetae_config::Sensitivity as S;
    EngineConfig {
        sensitivity: match s.sensitivity {
            S::Low => haetae_engine::Sensitivity::Low,
            S::Medium => haetae_engine::Sensitivity::Medium,
            S::High => haetae_engine::Sensitivity::High,
        },
        threshold: s.threshold,
        exceptions: s
            .exceptions
            .iter()
            .map(|e| haetae_engine::Exception {
                path: e.path.clone(),
                param: e.param.clone(),
                detectors: e.detectors.clone(),
                rules: e.rules.clone(),
                shapes: e.shapes.clone(),
            })
            .collect(),
        disabled: s.disabled_detectors.clone(),
        disabled_shapes: s.disabled_shapes.clone(),
        decode_base64: s.decode_base64,
    }
}

/// Whether a body of this `Content-Type` larger than the inspection limit
/// is refused under `policy`: with `auto`, bodies an application reads as
/// parameters (form, JSON, XML, text, none declared) are; uploads
/// (multipart, binary media types) stream on after their inspected part.
pub fn refuses_overflow(policy: BodyOverflow, content_type: Option<&[u8]>) -> bool {
    match policy {
        BodyOverflow::Reject => true,
        BodyOverflow::InspectPrefix => false,
        BodyOverflow::Auto => {
            let Some(ct) = content_type else { return true };
            let (mt, _) = haetae_model::body::media_type(ct);
            let mt = mt.to_ascii_lowercase();
            let binary = ["image/", "audio/", "video/", "font/", "model/"].iter().any(|p| mt.starts_with(p.as_bytes()))
                || mt == b"multipart/form-data"
                || (mt.starts_with(b"application/")
                    && !mt.ends_with(b"json")
                    && !mt.ends_with(b"xml")
                    && !mt.ends_with(b"javascript")
                    && mt != b"application/x-www-form-urlencoded"
                    && mt != b"application/graphql");
            !binary
        }
    }
}

/// The bounds the request parsers work within, from `[limits]`.
pub fn parse_limits(l: &haetae_config::Limits) -> ParseLimits {
    ParseLimits {
        max_params: l.max_params,
        max_name_len: l.max_name_bytes,
        max_depth: l.max_depth,
        max_parts: l.max_parts,
        file_head_bytes: usize::try_from(l.file_head_bytes.0).unwrap_or(usize::MAX),
        max_cookies: l.max_cookies,
    }
}

#[cfg(test)]
mod tests {
    /// The config validator and the engine must agree on detector names,
    /// or a valid `disabled_detectors` entry would silently do nothing.
    #[test]
    fn config_knows_every_engine_family() {
        let mut engine = haetae_engine::families();
        let mut config: Vec<&str> = haetae_config::DETECTORS.to_vec();
        engine.sort_unstable();
        config.sort_unstable();
        assert_eq!(engine, config);
    }
}
