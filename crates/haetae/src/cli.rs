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
    /// Serve the demo site alone (an upstream for tests and benchmarks).
    Origin {
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: SocketAddr,
    },
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
