//! `haetae scan`: the web-shell scanner over files and folders.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use haetae_webshell::walk::{self, Options};

use crate::cli::{ScanArgs, ScanFormat};

pub fn run(a: &ScanArgs) -> ExitCode {
    for p in &a.paths {
        if std::fs::symlink_metadata(p).is_err() {
            eprintln!("haetae scan: {}: no such file or folder", p.display());
            return ExitCode::from(2);
        }
    }
    let mut allow = std::collections::HashSet::new();
    for f in &a.allow {
        match std::fs::read_to_string(f) {
            Ok(text) => {
                let (set, bad) = walk::load_allow(&text);
                for (n, line) in bad {
                    eprintln!("haetae scan: {}:{n}: not a SHA-256 line, skipped: {line}", f.display());
                }
                allow.extend(set);
            }
            Err(e) => {
                eprintln!("haetae scan: {}: {e}", f.display());
                return ExitCode::from(2);
            }
        }
    }
    let mut opts = Options {
        min_score: a.min_score,
        max_file_bytes: a.max_file_bytes.max(1),
        allow: Arc::new(allow),
        want_all: a.record_allowlist.is_some(),
        ..Options::default()
    };
    if a.threads > 0 {
        opts.threads = a.threads;
    }
    let started = std::time::Instant::now();
    let summary = walk::scan(&a.paths, &opts);
    let secs = started.elapsed().as_secs_f64();
    for n in &summary.notices {
        match a.format {
            ScanFormat::Json => eprintln!("{}", serde_json::json!({ "notice": n.to_string() })),
            ScanFormat::Table => eprintln!("haetae scan: {n}"),
        }
    }
    if let Some(path) = &a.record_allowlist {
        let mut text = String::new();
        for r in summary.reports.iter().filter(|r| !r.sha256.is_empty() && r.findings.is_empty()) {
            text.push_str(&format!("{}  {}\n", r.sha256, r.path.display()));
        }
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("haetae scan: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut found_files = 0;
    let mut found = 0;
    for r in summary.reports.iter().filter(|r| !r.findings.is_empty()) {
        found_files += 1;
        for f in &r.findings {
            found += 1;
            let line = match a.format {
                ScanFormat::Json => serde_json::json!({
                    "path": r.path.to_string_lossy(),
                    "sha256": r.sha256,
                    "size": r.size,
                    "rule": f.rule,
                    "reason": f.reason,
                    "score": f.score,
                    "line": f.line,
                })
                .to_string(),
                ScanFormat::Table => format!("{}:{}\t{}\t{}\t{}", r.path.display(), f.line, f.score, f.rule, f.reason),
            };
            if writeln!(out, "{line}").is_err() {
                return ExitCode::from(2);
            }
        }
        if let Some(dir) = &a.quarantine {
            match walk::quarantine(r, dir) {
                Ok(dest) => eprintln!("haetae scan: {} quarantined as {}", r.path.display(), dest.display()),
                Err(e) => eprintln!("haetae scan: {}: cannot quarantine: {e}", r.path.display()),
            }
        }
    }
    let _ = out.flush();
    eprintln!(
        "haetae scan: {} files ({:.1} MB) in {secs:.2} s; {} binaries skipped, {} known-good; {found} findings in {found_files} files",
        summary.files,
        summary.bytes as f64 / 1e6,
        summary.skipped_binary,
        summary.allowed,
    );
    if found > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
