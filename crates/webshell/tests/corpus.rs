//! The scanner's numbers as a regression gate, on the development corpora
//! in `../shared/webshells` (shells and clean CMS trees; see its README).
//! The floors sit just under what the scanner reaches today (see
//! docs/HOSTING.md); a change that loses shells or flags clean files
//! fails here.

use std::path::PathBuf;

fn shared(rel: &str) -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let base =
        here.ancestors().map(|a| a.join("shared")).find(|p| p.join("webshells").is_dir()).unwrap_or_else(|| here.join("../../../shared"));
    base.join(rel)
}

#[test]
fn development_corpora_floors() {
    let root = shared("webshells");
    let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv")).expect("../shared/webshells/MANIFEST.tsv (the scanner corpora)");
    let (mut shells, mut found, mut clean, mut flagged, mut missing) = (0u32, 0u32, 0u32, Vec::new(), 0u32);
    for line in manifest.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 5 {
            continue;
        }
        // A handful of listed files are absent from the tree (config files
        // the collection left out); they are counted, not scanned.
        let Ok(data) = std::fs::read(root.join(f[3])) else {
            missing += 1;
            continue;
        };
        let hit = haetae_webshell::scan_bytes(f[3], &data).iter().any(|x| x.score >= haetae_webshell::DEFAULT_MIN_SCORE);
        if f[3].starts_with("shells/") {
            shells += 1;
            found += hit as u32;
        } else {
            clean += 1;
            if hit {
                flagged.push(f[3].to_string());
            }
        }
    }
    let rate = 100.0 * found as f64 / shells as f64;
    let fp = 100.0 * flagged.len() as f64 / clean as f64;
    eprintln!("shells {found}/{shells} = {rate:.1} %, clean flagged {}/{clean} = {fp:.2} %", flagged.len());
    assert!(missing < 20, "{missing} corpus files missing");
    assert!(shells > 1000 && clean > 9000, "corpus incomplete: {shells} shells, {clean} clean files");
    assert!(rate >= 71.0, "shells found fell to {rate:.1} %");
    assert!(fp <= 0.05, "clean files flagged rose to {fp:.2} %: {flagged:?}");
}
