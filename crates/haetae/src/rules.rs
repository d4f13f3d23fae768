//! `haetae rules`: load SecLang rule files the way a site will, following
//! `Include`, and say what was loaded or where the first problem is.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use haetae_seclang::Directive;

/// What a set of files held.
#[derive(Default)]
struct Tally {
    files: usize,
    rules: usize,
    chained: usize,
    actions: usize,
    markers: usize,
    other: usize,
}

/// Nested includes deeper than this are a loop.
const MAX_DEPTH: usize = 16;

pub fn check(files: &[PathBuf]) -> ExitCode {
    let start = std::time::Instant::now();
    let mut t = Tally::default();
    for f in files {
        if let Err(e) = load(f, 0, &mut t) {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    }
    println!(
        "{} file{}: {} rules ({} chained links), {} SecAction, {} markers, {} other directives; operators compiled, {} ms",
        t.files,
        if t.files == 1 { "" } else { "s" },
        t.rules,
        t.chained,
        t.actions,
        t.markers,
        t.other,
        start.elapsed().as_millis()
    );
    ExitCode::SUCCESS
}

fn load(path: &Path, depth: usize, t: &mut Tally) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("{}: Include nested more than {MAX_DEPTH} deep (a loop?)", path.display()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let directives = haetae_seclang::parse(&text).map_err(|e| format!("{}:{e}", path.display()))?;
    t.files += 1;
    let mut chain_next = false;
    for d in &directives {
        match d {
            Directive::Rule(r) => {
                // Data files (`@pmFromFile x.data`) sit beside the rule file.
                let dir = path.parent().unwrap_or(Path::new("."));
                let loader = |f: &str| std::fs::read_to_string(dir.join(f)).map_err(|e| format!("{f}: {e}"));
                haetae_seclang::operator::compile(&r.operator, &loader).map_err(|e| format!("{}:{}: {e}", path.display(), r.line))?;
                if chain_next {
                    t.chained += 1;
                } else {
                    t.rules += 1;
                }
                chain_next = r.chains();
            }
            Directive::Action { .. } => t.actions += 1,
            Directive::Marker { .. } => t.markers += 1,
            Directive::Include { line, pattern } => {
                let base = path.parent().unwrap_or(Path::new("."));
                let matches = expand(&base.join(pattern)).map_err(|e| format!("{}:{line}: Include {pattern}: {e}", path.display()))?;
                if matches.is_empty() {
                    return Err(format!("{}:{line}: Include {pattern}: no file matches", path.display()));
                }
                for m in matches {
                    load(&m, depth + 1, t)?;
                }
            }
            Directive::DefaultAction { .. } | Directive::Other { .. } => t.other += 1,
        }
    }
    Ok(())
}

/// The files a pattern names: `*` and `?` in its last component.
fn expand(pattern: &Path) -> std::io::Result<Vec<PathBuf>> {
    let name = pattern.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if !name.contains(['*', '?']) {
        return Ok(if pattern.exists() { vec![pattern.to_path_buf()] } else { Vec::new() });
    }
    let dir = pattern.parent().unwrap_or(Path::new("."));
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| wildcard(name.as_bytes(), e.file_name().to_string_lossy().as_bytes()))
        .map(|e| e.path())
        .collect();
    // Apache includes in name order; CRS depends on it.
    out.sort();
    Ok(out)
}

/// `*` and `?` matching, linear (one backtrack point).
fn wildcard(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i, mut star, mut mark) = (0, 0, None, 0);
    while i < s.len() {
        if p < pat.len() && (pat[p] == b'?' || pat[p] == s[i]) {
            p += 1;
            i += 1;
        } else if p < pat.len() && pat[p] == b'*' {
            star = Some(p);
            mark = i;
            p += 1;
        } else if let Some(sp) = star {
            p = sp + 1;
            mark += 1;
            i = mark;
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcards() {
        assert!(wildcard(b"*.conf", b"REQUEST-942.conf"));
        assert!(wildcard(b"REQUEST-9??-*.conf", b"REQUEST-942-SQLI.conf"));
        assert!(!wildcard(b"*.conf", b"x.conf.example"));
        assert!(wildcard(b"*", b""));
    }
}
