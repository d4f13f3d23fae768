//! `haetae rules`: load SecLang rule files the way a site will, following
//! `Include`, and say what was loaded or where the first problem is.

use std::path::PathBuf;
use std::process::ExitCode;

use haetae_seclang::Directive;
use haetae_seclang::files::{compile, load};

pub fn check(files: &[PathBuf]) -> ExitCode {
    let start = std::time::Instant::now();
    let (loaded, set) = match load(files).and_then(|l| compile(&l).map(|s| (l, s))) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let (mut rules, mut chained, mut actions, mut markers, mut other) = (0, 0, 0, 0, 0);
    for (_, directives) in &loaded {
        let mut chain_next = false;
        for d in directives {
            match d {
                Directive::Rule(r) => {
                    if chain_next {
                        chained += 1;
                    } else {
                        rules += 1;
                    }
                    chain_next = r.chains();
                }
                Directive::Action { .. } => actions += 1,
                Directive::Marker { .. } => markers += 1,
                Directive::Include { .. } => {}
                Directive::DefaultAction { .. } | Directive::Other { .. } => other += 1,
            }
        }
    }
    let n = loaded.len();
    println!(
        "{n} file{}: {rules} rules ({chained} chained links), {actions} SecAction, {markers} markers, {other} other directives; operators compiled, {} @rx rules prefiltered, {} ms",
        if n == 1 { "" } else { "s" },
        set.prefiltered(),
        start.elapsed().as_millis()
    );
    ExitCode::SUCCESS
}

/// `haetae rules --native`: every shape of the native detectors, by family.
pub fn native() -> ExitCode {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let mut family = "";
    // A closed pipe (`| head`) ends the listing quietly.
    let mut write = || -> std::io::Result<()> {
        for s in haetae_engine::detect::shapes::SHAPES {
            if s.family != family {
                family = s.family;
                writeln!(out, "{family}")?;
            }
            writeln!(out, "  {:<58} {}", s.id, s.about)?;
        }
        writeln!(out, "{} shapes", haetae_engine::detect::shapes::SHAPES.len())
    };
    let _ = write();
    ExitCode::SUCCESS
}
