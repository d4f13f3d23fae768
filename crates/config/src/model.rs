//! The shape of the config file. Defaults are chosen so that a file with
//! one `[[site]]` and its upstream is a safe, complete configuration.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::units::{ByteSize, Dur};

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: Server,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub timeouts: Timeouts,
    #[serde(default)]
    pub events: Events,
    #[serde(default)]
    pub access_log: AccessLog,
    /// The event store (none when unset: events stay in memory and files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<Store>,
    /// The authenticated console and API listener (none when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console: Option<Console>,
    #[serde(default, rename = "site")]
    pub sites: Vec<Site>,
    /// The file this came from and its text (set after loading): places
    /// in it (`file:line:col`) for errors found later, when the runtime is
    /// built from the config.
    #[serde(skip)]
    pub origin: Origin,
}

/// Where a config was read from. Two configs with the same settings are
/// equal whatever file they came from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub file: Option<PathBuf>,
    pub text: Option<std::sync::Arc<str>>,
}

impl PartialEq for Origin {
    fn eq(&self, _: &Origin) -> bool {
        true
    }
}

impl Config {
    /// The file this config came from, if any.
    pub fn source(&self) -> Option<&std::path::Path> {
        self.origin.file.as_deref()
    }

    /// A [`crate::ConfigError`] at the place `span` points to (line 1 when
    /// the text is not known, as for a config built in code).
    pub fn error_at(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> crate::ConfigError {
        let (line, col) = match &self.origin.text {
            Some(t) if span.end > 0 => crate::line_col(t, span.start),
            _ => (1, 1),
        };
        crate::ConfigError {
            file: self.origin.file.clone().unwrap_or_else(|| PathBuf::from("(config)")),
            diagnostics: vec![crate::Diagnostic { line, col, message: message.into() }],
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// Plain HTTP listeners (HTTP/1.1, and HTTP/2 with prior knowledge).
    #[serde(default = "default_listen")]
    pub listen: Vec<Spanned<SocketAddr>>,
    /// TLS listeners (HTTP/1.1 and HTTP/2 by ALPN); certificates per site.
    #[serde(default)]
    pub tls_listen: Vec<Spanned<SocketAddr>>,
    /// Admin listener: `/metrics`, `/healthz`, `/events`. Keep it on loopback.
    #[serde(default = "default_admin")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin: Option<SocketAddr>,
    /// Worker threads; 0 means one per core.
    #[serde(default)]
    pub workers: usize,
    /// `auto`: with several workers, each is pinned to a CPU of its own
    /// (as nginx's `worker_cpu_affinity auto`); `off`: the kernel places
    /// them.
    #[serde(default)]
    pub cpu_affinity: CpuAffinity,
    /// Peers (CIDR) whose forwarding headers are believed for the client IP.
    #[serde(default)]
    pub trusted_proxies: Vec<Spanned<String>>,
    /// Header the client IP is read from when the peer is trusted.
    #[serde(default = "default_ip_header")]
    pub client_ip_header: String,
    /// Re-read the config file when it changes (also on SIGHUP).
    #[serde(default = "yes")]
    pub watch_config: bool,
    /// `trusted_proxies`, parsed.
    #[serde(skip)]
    pub trusted: Vec<ipnet::IpNet>,
}

impl Default for Server {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            tls_listen: Vec::new(),
            admin: default_admin(),
            workers: 0,
            cpu_affinity: CpuAffinity::default(),
            trusted_proxies: Vec::new(),
            client_ip_header: default_ip_header(),
            watch_config: true,
            trusted: Vec::new(),
        }
    }
}

fn default_listen() -> Vec<Spanned<SocketAddr>> {
    vec![Spanned::new(0..0, SocketAddr::from(([127, 0, 0, 1], 8080)))]
}
fn default_admin() -> Option<SocketAddr> {
    Some(SocketAddr::from(([127, 0, 0, 1], 9180)))
}
fn default_ip_header() -> String {
    "x-forwarded-for".into()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Longest request target; longer gets 414.
    #[serde(default = "d_uri")]
    pub max_uri_bytes: ByteSize,
    /// Most request headers; more gets 431.
    #[serde(default = "d_hcount")]
    pub max_header_count: usize,
    /// Largest header section; larger gets 431.
    #[serde(default = "d_hbytes")]
    pub max_header_bytes: ByteSize,
    /// Largest request body; larger gets 413.
    #[serde(default = "d_body")]
    pub max_body_bytes: ByteSize,
    /// Body bytes buffered and inspected; see `site.body_overflow`.
    #[serde(default = "d_inspect")]
    pub inspect_body_bytes: ByteSize,
    /// Most parameters the request model holds (query arguments, body
    /// fields, JSON/XML leaves, multipart part headers). A request with
    /// more is refused (413; 414 when the query alone has more): what lay
    /// past the limit would otherwise pass uninspected.
    #[serde(default = "d_params")]
    pub max_params: usize,
    /// Longest parameter, cookie or JSON/XML key name; longer is refused (400).
    #[serde(default = "d_name")]
    pub max_name_bytes: usize,
    /// Deepest JSON/XML nesting; deeper is refused (400).
    #[serde(default = "d_depth")]
    pub max_depth: usize,
    /// Most multipart parts; more is refused (413).
    #[serde(default = "d_parts")]
    pub max_parts: usize,
    /// Most cookies; more is refused (431).
    #[serde(default = "d_cookies")]
    pub max_cookies: usize,
    /// Bytes of each uploaded file the engine reads (magic bytes, scripts).
    #[serde(default = "d_file_head")]
    pub file_head_bytes: ByteSize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_uri_bytes: d_uri(),
            max_header_count: d_hcount(),
            max_header_bytes: d_hbytes(),
            max_body_bytes: d_body(),
            inspect_body_bytes: d_inspect(),
            max_params: d_params(),
            max_name_bytes: d_name(),
            max_depth: d_depth(),
            max_parts: d_parts(),
            max_cookies: d_cookies(),
            file_head_bytes: d_file_head(),
        }
    }
}

fn d_params() -> usize {
    1024
}
fn d_name() -> usize {
    1024
}
fn d_depth() -> usize {
    64
}
fn d_parts() -> usize {
    256
}
fn d_cookies() -> usize {
    256
}
fn d_file_head() -> ByteSize {
    ByteSize(4096)
}
// Real-user-monitoring beacons put 17 KB in a query string (har-browser's
// rum.gif); 32 KiB is what large CDNs accept, past nginx's 8 KiB.
fn d_uri() -> ByteSize {
    ByteSize(32 * 1024)
}
fn d_hcount() -> usize {
    100
}
fn d_hbytes() -> ByteSize {
    ByteSize(32 * 1024)
}
fn d_body() -> ByteSize {
    ByteSize(64 << 20)
}
fn d_inspect() -> ByteSize {
    ByteSize(1 << 20)
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// Time to receive a request's headers (slow-loris defence).
    #[serde(default = "d_header_to")]
    pub client_header: Dur,
    /// Time to receive the inspected part of a body.
    #[serde(default = "d_body_to")]
    pub client_body: Dur,
    /// Time to connect to an upstream server.
    #[serde(default = "d_connect_to")]
    pub upstream_connect: Dur,
    /// Time for an upstream to start its response.
    #[serde(default = "d_resp_to")]
    pub upstream_response: Dur,
    /// Inspection budget per request; past it, the site's `on_timeout`
    /// decides (block by default: the client chooses how long inspection
    /// takes, so passing on timeout would be a bypass).
    #[serde(default = "d_inspect_to")]
    pub inspection: Dur,
    /// Longest a client may leave a response unread (a write that makes no
    /// progress) before the connection is closed.
    #[serde(default = "d_send_to")]
    pub client_send: Dur,
    /// Longest gap between two pieces of a streamed body, either way: the
    /// rest of a request body after the inspected prefix, and a response
    /// body from the upstream.
    #[serde(default = "d_body_idle")]
    pub body_idle: Dur,
    /// Idle time before an upstream keep-alive connection is closed.
    #[serde(default = "d_pool_idle")]
    pub upstream_idle: Dur,
    /// How long a graceful shutdown waits for requests in flight.
    #[serde(default = "d_drain")]
    pub shutdown_grace: Dur,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            client_header: d_header_to(),
            client_body: d_body_to(),
            upstream_connect: d_connect_to(),
            upstream_response: d_resp_to(),
            inspection: d_inspect_to(),
            client_send: d_send_to(),
            body_idle: d_body_idle(),
            upstream_idle: d_pool_idle(),
            shutdown_grace: d_drain(),
        }
    }
}
fn d_header_to() -> Dur {
    Dur(Duration::from_secs(10))
}
fn d_body_to() -> Dur {
    Dur(Duration::from_secs(30))
}
fn d_connect_to() -> Dur {
    Dur(Duration::from_secs(3))
}
fn d_resp_to() -> Dur {
    Dur(Duration::from_secs(60))
}
fn d_inspect_to() -> Dur {
    Dur(Duration::from_millis(100))
}
fn d_send_to() -> Dur {
    Dur(Duration::from_secs(60))
}
fn d_body_idle() -> Dur {
    Dur(Duration::from_secs(30))
}
fn d_pool_idle() -> Dur {
    Dur(Duration::from_secs(60))
}
fn d_drain() -> Dur {
    Dur(Duration::from_secs(30))
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Events {
    /// JSON-lines file of security events (none when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// Events kept in memory for the admin API.
    #[serde(default = "d_ring")]
    pub ring_size: usize,
    /// Longest excerpt of matched input kept in an event (then masked).
    #[serde(default = "d_excerpt")]
    pub excerpt_chars: usize,
    /// Record findings below the blocking threshold as `noted` events
    /// (a lone NUL byte, 1,200 parameters…): what was scored but let
    /// through.
    #[serde(default = "yes")]
    pub record_notes: bool,
}

impl Default for Events {
    fn default() -> Self {
        Self { file: None, ring_size: d_ring(), excerpt_chars: d_excerpt(), record_notes: true }
    }
}

/// `[store]`: SQLite (`path`, the default) or PostgreSQL (`url`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Store {
    /// The SQLite file (created 0600).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// `postgres://user:password@host:port/db`, for several nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// This node's name in the hash chains (the host name when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The node's Ed25519 checkpoint key (made on first start; beside the
    /// SQLite file, or beside the config for PostgreSQL, when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
    /// A signed checkpoint every this many events…
    #[serde(default = "d_cp_every")]
    pub checkpoint_every: u64,
    /// …or this often, whichever comes first.
    #[serde(default = "d_cp_interval")]
    pub checkpoint_interval: Dur,
    /// Checkpoints are also appended here (JSON lines) to ship off the box.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_file: Option<PathBuf>,
    /// Events and counters older than this are deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age: Option<Dur>,
    /// The oldest events are deleted while the SQLite data is larger.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_size: Option<ByteSize>,
    /// Events waiting for the writer before new ones are dropped (counted).
    #[serde(default = "d_store_queue")]
    pub queue: usize,
}

fn d_cp_every() -> u64 {
    1000
}
fn d_cp_interval() -> Dur {
    Dur(Duration::from_secs(60))
}
fn d_store_queue() -> usize {
    65_536
}

/// `[console]`: the authenticated listener for the console and its API.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Console {
    pub listen: SocketAddr,
    /// Addresses (CIDR) allowed to connect; others are refused before a
    /// byte of HTTP is read. Loopback only when unset.
    #[serde(default = "d_console_allow")]
    pub allow: Vec<Spanned<String>>,
    /// A session ends after this long without a request…
    #[serde(default = "d_idle")]
    pub session_idle: Dur,
    /// …and this long after login in any case.
    #[serde(default = "d_session_max")]
    pub session_max: Dur,
    /// Failed logins (per account and per address) before a lockout.
    #[serde(default = "d_max_failures")]
    pub max_failures: u32,
    /// The first lockout; each further one doubles, up to an hour.
    #[serde(default = "d_lockout")]
    pub lockout: Dur,
    /// Serve `/metrics` and `/healthz` without a login to loopback peers.
    #[serde(default = "yes")]
    pub open_metrics: bool,
    /// `allow`, parsed.
    #[serde(skip)]
    pub allowed: Vec<ipnet::IpNet>,
}

fn d_console_allow() -> Vec<Spanned<String>> {
    vec![Spanned::new(0..0, "127.0.0.0/8".into()), Spanned::new(0..0, "::1/128".into())]
}
fn d_idle() -> Dur {
    Dur(Duration::from_secs(30 * 60))
}
fn d_session_max() -> Dur {
    Dur(Duration::from_secs(12 * 3600))
}
fn d_max_failures() -> u32 {
    5
}
fn d_lockout() -> Dur {
    Dur(Duration::from_secs(60))
}
fn d_ring() -> usize {
    1000
}
fn d_excerpt() -> usize {
    64
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum AccessLogFormat {
    #[default]
    Json,
    Combined,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct AccessLog {
    /// Access log file (none when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    #[serde(default)]
    pub format: AccessLogFormat,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Block requests the engine judges attacks.
    #[default]
    Prevention,
    /// Log them, let them through.
    Detection,
    /// Record traffic to build the site's profile; never block.
    Learning,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Prevention => "prevention",
            Mode::Detection => "detection",
            Mode::Learning => "learning",
        }
    }
}

fn d_upgrades() -> Vec<Spanned<String>> {
    vec![Spanned::new(0..0, "websocket".to_owned())]
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum OnTimeout {
    /// Answer 503 (prevention mode only).
    #[default]
    Block,
    /// Pass the request uninspected (an event says so).
    Pass,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum BodyOverflow {
    /// Bodies the application parses into parameters (forms, JSON, XML,
    /// text, or no Content-Type) must fit in `inspect_body_bytes` (else
    /// 413): what lay past the limit would reach the application unseen.
    /// Uploads (multipart, binary media types) are inspected for their
    /// first `inspect_body_bytes` and stream on.
    #[default]
    Auto,
    /// Inspect the first `inspect_body_bytes` of any body, stream the rest
    /// unseen.
    InspectPrefix,
    /// Refuse any body larger than `inspect_body_bytes` with 413.
    Reject,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum CpuAffinity {
    #[default]
    Auto,
    Off,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Balance {
    #[default]
    RoundRobin,
    LeastConn,
    IpHash,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub name: Spanned<String>,
    /// Host names (and SNI names) this site answers; `"*"` makes it the
    /// default for unknown hosts.
    pub hosts: Vec<Spanned<String>>,
    #[serde(default)]
    pub mode: Mode,
    /// When the inspection engine fails (a panic, an internal error): pass
    /// the request (true) or answer 503 (false). Not for timeouts: see
    /// `on_timeout`.
    #[serde(default = "yes")]
    pub fail_open: bool,
    /// When inspection runs past `timeouts.inspection` in prevention mode:
    /// `block` (503 and an event) or `pass` (an event). Detection and
    /// learning modes always pass.
    #[serde(default)]
    pub on_timeout: OnTimeout,
    /// Protocols a client may switch to with `Upgrade` (and the upstream
    /// answer 101 for). Others are removed from the request, which goes on
    /// as plain HTTP; `h2c` is never allowed (after the switch nothing
    /// would be inspected).
    #[serde(default = "d_upgrades")]
    pub upgrades: Vec<Spanned<String>>,
    #[serde(default)]
    pub sensitivity: Sensitivity,
    /// Score at or above which a request is blocked (overrides sensitivity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u32>,
    #[serde(default)]
    pub body_overflow: BodyOverflow,
    /// HTML template for the block page; `{{event_id}}`, `{{site}}`,
    /// `{{time}}` and `{{status}}` are replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_page: Option<Spanned<PathBuf>>,
    /// HTML template for 502/503/504 pages (same placeholders).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_page: Option<Spanned<PathBuf>>,
    /// Remove `Server`, `X-Powered-By` and similar headers from responses.
    #[serde(default = "yes")]
    pub hide_server_headers: bool,
    /// Methods this site accepts (others get 405); empty means any.
    #[serde(default)]
    pub allowed_methods: Vec<String>,
    /// Detector families switched off for this site.
    #[serde(default)]
    pub disabled_detectors: Vec<String>,
    /// Single shapes of a detector switched off (`haetae rules --native`
    /// lists their ids), the rest of the family still on.
    #[serde(default)]
    pub disabled_shapes: Vec<String>,
    /// Also inspect values that are entirely base64, decoded.
    #[serde(default = "yes")]
    pub decode_base64: bool,
    #[serde(default)]
    pub exceptions: Vec<Exception>,
    /// ModSecurity rule files (SecLang) this site also runs, in order;
    /// a path may end in a `*` pattern (`/usr/share/crs/rules/*.conf`).
    /// Relative paths are read from the config file's folder.
    #[serde(default)]
    pub seclang: Vec<Spanned<PathBuf>>,
    /// Run Haetae's own detection engine (set false to run SecLang rules
    /// alone).
    #[serde(default = "yes")]
    pub native_engine: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<SiteTls>,
    pub upstream: Upstream,
    #[serde(default)]
    pub response: ResponseInspection,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SiteTls {
    pub cert: Spanned<PathBuf>,
    pub key: Spanned<PathBuf>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    pub servers: Vec<Spanned<String>>,
    #[serde(default)]
    pub balance: Balance,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthCheck>,
    /// Passive check: consecutive connection failures before a server is
    /// taken out until the next successful health check (or `retry_after`).
    #[serde(default = "d_max_fails")]
    pub max_fails: u32,
    /// How long a server taken out by passive failures stays out when no
    /// active health check is configured.
    #[serde(default = "d_retry_after")]
    pub retry_after: Dur,
    /// `servers`, resolved (one entry per configured server).
    #[serde(skip)]
    pub resolved: Vec<SocketAddr>,
}

fn d_max_fails() -> u32 {
    1
}
fn d_retry_after() -> Dur {
    Dur(Duration::from_secs(10))
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    #[serde(default = "d_hc_path")]
    pub path: String,
    #[serde(default = "d_hc_interval")]
    pub interval: Dur,
    #[serde(default = "d_hc_timeout")]
    pub timeout: Dur,
    /// Consecutive failures before a server is taken out.
    #[serde(default = "d_hc_fails")]
    pub fails: u32,
    /// Consecutive successes before it is put back.
    #[serde(default = "d_hc_passes")]
    pub passes: u32,
}

fn d_hc_path() -> String {
    "/".into()
}
fn d_hc_interval() -> Dur {
    Dur(Duration::from_secs(5))
}
fn d_hc_timeout() -> Dur {
    Dur(Duration::from_secs(2))
}
fn d_hc_fails() -> u32 {
    2
}
fn d_hc_passes() -> u32 {
    2
}

/// The response path. Bodies are streamed unless a filter needs them;
/// then at most `max_buffer` bytes are held, and larger bodies stream
/// through unfiltered.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ResponseInspection {
    #[serde(default = "d_resp_buf")]
    pub max_buffer: ByteSize,
    /// Remove HTML comments from `text/html` responses (source leakage).
    #[serde(default)]
    pub strip_html_comments: bool,
    /// Replace upstream 5xx pages with the neutral error page.
    #[serde(default = "yes")]
    pub mask_errors: bool,
}

impl Default for ResponseInspection {
    fn default() -> Self {
        Self { max_buffer: d_resp_buf(), strip_html_comments: false, mask_errors: true }
    }
}
fn d_resp_buf() -> ByteSize {
    ByteSize(256 * 1024)
}

/// How eager a site's engine is to block (the engine's own type is built
/// from this one).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Sensitivity {
    /// Block only on findings the engine is sure of (threshold 8).
    Low,
    /// Threshold 5.
    #[default]
    Medium,
    /// Block on any likely attack (threshold 3).
    High,
}

/// An exception: findings it covers are dropped before scoring. Every
/// field that is set must match; empty lists mean any.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// Path prefix (after normalization); `"/x*"` is a plain prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A key (`content`) or a collection and key (`ARGS:content`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detectors: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<u32>,
    /// Shape ids (`haetae rules --native` lists them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shapes: Vec<String>,
}
