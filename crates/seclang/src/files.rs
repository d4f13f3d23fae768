//! Reading rule files: `Include` (with `*`/`?` globs, in name order, as
//! Apache does) is followed where it stands, and data files named by
//! `@pmFromFile`/`@ipMatchFromFile` are read beside the rule file that
//! names them. The one module of this crate that touches the file system;
//! everything else works on text.

use std::path::{Path, PathBuf};

use crate::Directive;
use crate::eval::RuleSet;

/// Nested includes deeper than this are a loop.
const MAX_DEPTH: usize = 16;

/// Rule files parsed in load order (an `Include` is followed where it
/// stands), each with the path it came from.
pub type Loaded = Vec<(PathBuf, Vec<Directive>)>;

/// Reads and parses `paths` and what they include. A path may end in a
/// `*`/`?` pattern (`rules/*.conf`), expanded in name order; a pattern
/// that matches nothing is an error (a typo must not load zero rules).
pub fn load(paths: &[PathBuf]) -> Result<Loaded, String> {
    let mut out = Vec::new();
    for p in paths {
        let matches = expand(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if matches.is_empty() {
            return Err(format!("{}: no file matches", p.display()));
        }
        for m in matches {
            load_one(&m, 0, &mut out)?;
        }
    }
    Ok(out)
}

fn load_one(path: &Path, depth: usize, out: &mut Loaded) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("{}: Include nested more than {MAX_DEPTH} deep (a loop?)", path.display()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let directives = crate::parse(&text).map_err(|e| format!("{}:{e}", path.display()))?;
    let includes: Vec<(usize, String)> = directives
        .iter()
        .filter_map(|d| match d {
            Directive::Include { line, pattern } => Some((*line, pattern.clone())),
            _ => None,
        })
        .collect();
    out.push((path.to_path_buf(), directives));
    let base = path.parent().unwrap_or(Path::new("."));
    for (line, pattern) in includes {
        let matches = expand(&base.join(&pattern)).map_err(|e| format!("{}:{line}: Include {pattern}: {e}", path.display()))?;
        if matches.is_empty() {
            return Err(format!("{}:{line}: Include {pattern}: no file matches", path.display()));
        }
        for m in matches {
            load_one(&m, depth + 1, out)?;
        }
    }
    Ok(())
}

/// Compiles loaded files; data files (`@pmFromFile x.data`) are read
/// beside the rule file that names them.
pub fn compile(loaded: &Loaded) -> Result<RuleSet, String> {
    let directives: Vec<Vec<Directive>> = loaded.iter().map(|(_, d)| d.clone()).collect();
    let data = |fi: usize, name: &str| {
        let dir = loaded[fi].0.parent().unwrap_or(Path::new("."));
        std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{name}: {e}"))
    };
    RuleSet::compile(&directives, &data).map_err(|(fi, e)| format!("{}:{e}", loaded[fi].0.display()))
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
