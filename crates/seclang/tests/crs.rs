//! Every CRS v4 rule file (and its setup template) parses, with the rule
//! count and the names CRS uses all recognized.

use std::path::PathBuf;

use haetae_seclang::{Directive, parse};

/// `../shared/crs`, found from the crate upwards.
fn crs_dir() -> Option<PathBuf> {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let c = dir.join("shared/crs");
        if c.join("rules").is_dir() {
            return Some(c);
        }
        if !dir.pop() {
            return None;
        }
    }
}

#[test]
fn all_of_crs_parses() {
    let Some(crs) = crs_dir() else {
        panic!("../shared/crs not found: the CRS rules are needed for this test");
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(crs.join("rules"))
        .expect("rules dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf" || e == "example"))
        .collect();
    files.push(crs.join("crs-setup.conf.example"));
    files.sort();
    let (mut rules, mut ids) = (0, std::collections::HashSet::new());
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable");
        let d = parse(&text).unwrap_or_else(|e| panic!("{}:{e}", f.display()));
        for x in &d {
            if let Directive::Rule(r) = x {
                rules += 1;
                if let Some(id) = r.id() {
                    assert!(ids.insert(id), "{}: duplicate id {id}", f.display());
                }
            }
        }
    }
    // CRS v4.28: 700-odd SecRule directives (chained links included).
    assert!(rules > 650, "only {rules} rules parsed");
    assert!(ids.contains(&942100) && ids.contains(&949110), "well-known ids missing");
}

/// Every CRS operator compiles (every `@rx` with the `regex` crate, every
/// `@pmFromFile` list), and the whole set within the startup budget.
#[test]
fn every_crs_operator_compiles() {
    let Some(crs) = crs_dir() else {
        panic!("../shared/crs not found: the CRS rules are needed for this test");
    };
    let rules_dir = crs.join("rules");
    let loader = |f: &str| std::fs::read_to_string(rules_dir.join(f)).map_err(|e| format!("{f}: {e}"));
    let mut failures = Vec::new();
    let mut compiled = 0;
    let start = std::time::Instant::now();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&rules_dir)
        .expect("rules dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    files.sort();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable");
        for d in parse(&text).expect("parses") {
            if let Directive::Rule(r) = d {
                match haetae_seclang::operator::compile(&r.operator, &loader) {
                    Ok(_) => compiled += 1,
                    Err(e) => failures.push(format!("{}:{}: {e}", f.display(), r.line)),
                }
            }
        }
    }
    let took = start.elapsed();
    assert!(failures.is_empty(), "{} operators failed:\n{}", failures.len(), failures.join("\n"));
    assert!(compiled > 650, "{compiled}");
    // Debug builds are slower; the 1 s startup target is for release.
    assert!(took.as_secs() < 30, "compiling CRS took {took:?}");
}
