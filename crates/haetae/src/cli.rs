use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Haetae: a web application firewall for hosted sites.
#[derive(Parser)]
#[command(name = "haetae", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run from a TOML config file (reloads on SIGHUP and on change;
    /// SIGUSR2 upgrades to the binary on disk without dropping connections).
    Run {
        #[arg(short, long)]
        config: PathBuf,
    },
    /// Protect one upstream with the built-in rules, no config file.
    Proxy(ProxyArgs),
    /// Validate a config file; prints `file:line:col: problem` and exits
    /// non-zero if anything is wrong.
    Check {
        #[arg(short, long)]
        config: PathBuf,
    },
    /// Start the demo site on loopback with Haetae in front of it
    /// (prevention mode) and print requests to try.
    Demo(DemoArgs),
    /// Measure detection: CRS regression attacks and a benign corpus,
    /// in-process or through a running Haetae.
    Eval(EvalArgs),
    /// Run the CRS regression suite (go-ftw YAML) against SecLang rules
    /// evaluated in-process; ends with `N passed, M failed, K skipped`.
    Ftw(FtwArgs),
    /// Check ModSecurity rule files (SecLang): parse them, follow
    /// `Include`, report `file:line: problem` or what was loaded; or, with
    /// `--native`, list the shapes Haetae's own detectors report (the ids
    /// `disabled_shapes` and exceptions take).
    Rules {
        /// Rule files (e.g. crs-setup.conf rules/*.conf).
        #[arg(required_unless_present = "native")]
        files: Vec<PathBuf>,
        /// List the native engine's shapes instead.
        #[arg(long, conflicts_with = "files")]
        native: bool,
    },
    /// Administrator accounts and API tokens (in the `[store]`).
    Admin {
        #[command(subcommand)]
        cmd: AdminCmd,
    },
    /// Check the hash chains of the stored events and audit trail (or of a
    /// JSON-lines export): reports the first edited, inserted, deleted or
    /// truncated record and exits non-zero.
    VerifyLog {
        /// The config whose `[store]` to check.
        #[arg(short, long, required_unless_present = "file")]
        config: Option<PathBuf>,
        /// An export written by `haetae events export` instead.
        #[arg(long, conflicts_with = "config")]
        file: Option<PathBuf>,
        /// Shipped checkpoints (JSON lines, `[store] checkpoint_file`) to
        /// check the store against as well.
        #[arg(long)]
        checkpoints: Option<PathBuf>,
        /// The node's public key (hex) every checkpoint must be signed with;
        /// by default the key file's, when it can be read.
        #[arg(long)]
        key: Option<String>,
    },
    /// Stored events.
    Events {
        #[command(subcommand)]
        cmd: EventsCmd,
    },
    /// Scan document roots for web shells and risky files: prints each
    /// finding (a table, or JSON lines with `--format json`); exits 1 when
    /// anything is found, 0 when nothing is, 2 on a usage error.
    Scan(ScanArgs),
    /// Serve the demo site alone (an upstream for tests and benchmarks).
    Origin {
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: SocketAddr,
    },
}

#[derive(Subcommand)]
pub enum AdminCmd {
    /// Add an account: the password is read from stdin; prints the TOTP
    /// enrolment URI and QR code.
    Add {
        #[arg(short, long)]
        config: PathBuf,
        #[arg(long)]
        user: String,
        /// admin, operator or viewer.
        #[arg(long)]
        role: String,
        /// Sites in scope (comma-separated); every site when unset.
        #[arg(long, value_delimiter = ',')]
        sites: Vec<String>,
    },
    /// List accounts and tokens.
    List {
        #[arg(short, long)]
        config: PathBuf,
    },
    /// Set a new password (read from stdin).
    Passwd {
        #[arg(short, long)]
        config: PathBuf,
        #[arg(long)]
        user: String,
    },
    /// Disable an account (its sessions end at their next request).
    Disable {
        #[arg(short, long)]
        config: PathBuf,
        #[arg(long)]
        user: String,
    },
    /// Enable a disabled account.
    Enable {
        #[arg(short, long)]
        config: PathBuf,
        #[arg(long)]
        user: String,
    },
    /// Give an account a new TOTP secret (prints the new URI and QR code).
    ResetTotp {
        #[arg(short, long)]
        config: PathBuf,
        #[arg(long)]
        user: String,
    },
    /// Make an API token for an account (printed once), or revoke one.
    Token {
        #[arg(short, long)]
        config: PathBuf,
        #[arg(long, required_unless_present = "revoke")]
        user: Option<String>,
        /// What the token is for (shown in `admin list`).
        #[arg(long, default_value = "api")]
        name: String,
        /// Revoke the token with this id instead.
        #[arg(long)]
        revoke: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum EventsCmd {
    /// Write one site's events over a span as verifiable JSON lines
    /// (incident evidence; `haetae verify-log --file` checks it anywhere).
    Export {
        #[arg(short, long)]
        config: PathBuf,
        #[arg(long)]
        site: Option<String>,
        /// Start (2026-12-01, 2026-12-01T10:00:00Z or Unix seconds).
        #[arg(long)]
        from: String,
        /// End, exclusive; now when unset.
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Table,
    Json,
}

#[derive(Args)]
pub struct ScanArgs {
    /// Files or folders to scan (symbolic links are not followed; a link
    /// leading out of its root is reported).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ScanFormat,
    /// Report findings scored at least this (0–100).
    #[arg(long, default_value_t = haetae_webshell::DEFAULT_MIN_SCORE, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub min_score: u8,
    /// Move every file with a finding into this folder (mode 000, with a
    /// manifest.jsonl of where it was and its permissions).
    #[arg(long)]
    pub quarantine: Option<PathBuf>,
    /// Known-good files (`sha256sum` lines); repeat for several.
    #[arg(long)]
    pub allow: Vec<PathBuf>,
    /// Write the digest of every scanned file here (`sha256sum` format):
    /// run it on a fresh install to make an allow-list.
    #[arg(long)]
    pub record_allowlist: Option<PathBuf>,
    /// Worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Bytes of each file read at most (a larger file is scanned on its
    /// first bytes and reported).
    #[arg(long, default_value_t = 32 << 20)]
    pub max_file_bytes: u64,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ModeArg {
    Prevention,
    Detection,
    Learning,
}

#[derive(Args)]
pub struct ProxyArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Upstream server (host:port); repeat for several (round-robin).
    #[arg(long, required = true)]
    pub upstream: Vec<String>,
    #[arg(long, value_enum, default_value = "prevention")]
    pub mode: ModeArg,
    /// Admin listener (/metrics, /events); "off" to disable.
    #[arg(long, default_value = "127.0.0.1:9180")]
    pub admin: String,
    /// Worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub workers: usize,
    /// Write security events here (JSON lines).
    #[arg(long)]
    pub events: Option<PathBuf>,
    /// Write an access log here (JSON lines).
    #[arg(long)]
    pub access_log: Option<PathBuf>,
    /// ModSecurity rule file (SecLang) to run as well; repeat for several,
    /// in order; a `*` pattern is expanded (quote it).
    #[arg(long)]
    pub seclang: Vec<PathBuf>,
    /// Run only the SecLang rules, not Haetae's own engine.
    #[arg(long, requires = "seclang")]
    pub no_native: bool,
}

#[derive(Args)]
pub struct DemoArgs {
    /// Where Haetae listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where the demo site listens (behind Haetae).
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub origin: SocketAddr,
    /// Admin listener.
    #[arg(long, default_value = "127.0.0.1:9180")]
    pub admin: SocketAddr,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SensitivityArg {
    Low,
    Medium,
    High,
}

#[derive(Args)]
pub struct FtwArgs {
    /// Directory of rule files (`*.conf`, loaded in name order).
    #[arg(long)]
    pub rules: PathBuf,
    /// Directory of go-ftw YAML tests.
    #[arg(long)]
    pub tests: PathBuf,
    /// Loaded before the rules (default: `crs-setup.conf.example` beside
    /// the rules directory, if present).
    #[arg(long)]
    pub setup: Option<PathBuf>,
    /// Failures listed per rule (0 = counts only).
    #[arg(long, default_value_t = 3)]
    pub failures: usize,
    /// Exit non-zero if fewer than this % of the run tests pass.
    #[arg(long)]
    pub min_pass: Option<f64>,
    /// With each failure, list every rule id the stage logged.
    #[arg(long)]
    pub show_logged: bool,
}

#[derive(Args)]
pub struct EvalArgs {
    /// CRS regression tests (go-ftw YAML), e.g. crs/tests/regression/tests.
    #[arg(long)]
    pub crs_tests: Option<PathBuf>,
    /// CRS rule files, read for each rule's paranoia level.
    #[arg(long)]
    pub crs_rules: Option<PathBuf>,
    /// Benign requests, one JSON object a line (category, method, path,
    /// headers, body).
    #[arg(long)]
    pub benign: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "medium")]
    pub sensitivity: SensitivityArg,
    /// Send every request to a running Haetae (prevention mode) at this
    /// address instead of the in-process engine.
    #[arg(long)]
    pub proxy: Option<SocketAddr>,
    /// Misses listed per family (0 = none).
    #[arg(long, default_value_t = 10)]
    pub misses: usize,
    /// Exit non-zero if fewer than this % of PL 1-2 attacks are stopped.
    #[arg(long)]
    pub min_detection: Option<f64>,
    /// Exit non-zero if more than this % of benign requests are stopped.
    #[arg(long)]
    pub max_false_positives: Option<f64>,
}
