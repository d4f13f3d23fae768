//! The `haetae` command. A thin shell: each subcommand calls into the
//! library crates.

#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod admin;
mod cli;
mod demo;
mod eval;
mod ftw;
mod quick;
mod rules;
mod scan;

use std::process::ExitCode;

use clap::Parser;

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("HAETAE_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // No internal-error reports: tracing-subscriber prints them with
    // `eprintln!`, which panics when stderr cannot be written (a full disk
    // under a redirected log), and every request task logging then died.
    tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr).log_internal_errors(false).init();
}

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match args.command {
        cli::Command::Check { config } => match haetae_config::load(&config) {
            Ok(c) => {
                let problems = haetae_proxy::preflight(&c);
                if !problems.is_empty() {
                    for p in problems {
                        eprintln!("{p}");
                    }
                    return ExitCode::FAILURE;
                }
                println!("{}: OK ({} site{})", config.display(), c.sites.len(), if c.sites.len() == 1 { "" } else { "s" });
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        cli::Command::Run { config } => {
            init_logging();
            let cfg = match haetae_config::load(&config) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            };
            // The same absolute path `load` resolved relative paths
            // against: a reload (from any working folder) means the same files.
            let path = std::path::absolute(&config).unwrap_or(config);
            run(cfg, Some(path))
        }
        cli::Command::Proxy(p) => {
            init_logging();
            match quick::config(&p) {
                Ok(cfg) => run(cfg, None),
                Err(e) => {
                    eprintln!("haetae proxy: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        cli::Command::Demo(d) => {
            init_logging();
            demo::run(&d)
        }
        cli::Command::Eval(e) => eval::run(&e),
        cli::Command::Rules { native: true, .. } => rules::native(),
        cli::Command::Rules { files, .. } => rules::check(&files),
        cli::Command::Ftw(a) => ftw::run(&a),
        cli::Command::Admin { cmd } => admin::run(&cmd),
        cli::Command::VerifyLog { config, file, checkpoints, key } => {
            admin::verify(config.as_deref(), file.as_deref(), checkpoints.as_deref(), key.as_deref())
        }
        cli::Command::Events { cmd } => admin::events(&cmd),
        cli::Command::Scan(a) => scan::run(&a),
        cli::Command::Origin { listen } => {
            init_logging();
            demo::origin(listen)
        }
    }
}

fn run(cfg: haetae_config::Config, path: Option<std::path::PathBuf>) -> ExitCode {
    let rt = match haetae_proxy::build_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("haetae: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let opts = haetae_proxy::Options { config_path: path, ready: None, stop: None, extra: vec![Box::new(haetae_console::start)] };
    match rt.block_on(haetae_proxy::serve(cfg, opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("haetae: {e}");
            ExitCode::FAILURE
        }
    }
}
