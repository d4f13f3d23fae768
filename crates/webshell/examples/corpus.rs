//! Detection rates on the development corpora in `../shared/webshells`:
//! `cargo run --release -p haetae-webshell --example corpus [-- --list shells|clean]`.
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let list = args.iter().position(|a| a == "--list").and_then(|i| args.get(i + 1)).cloned();
    if let Some(i) = args.iter().position(|a| a == "--file") {
        for f in &args[i + 1..] {
            let data = std::fs::read(f).unwrap_or_default();
            println!("== {f}");
            for x in haetae_webshell::scan_bytes(f, &data) {
                println!("  {} {} line {}: {}", x.score, x.rule, x.line, x.reason);
            }
        }
        return;
    }
    let root = PathBuf::from(std::env::var("WEBSHELLS").unwrap_or_else(|_| "../shared/webshells".into()));
    let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    let (mut shells, mut shells_found, mut clean, mut clean_flagged) = (0, 0, 0, 0);
    let mut by_lang: std::collections::BTreeMap<String, (u32, u32)> = Default::default();
    let t = std::time::Instant::now();
    let mut bytes = 0usize;
    for line in manifest.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 5 {
            continue;
        }
        let path = root.join(f[3]);
        let Ok(data) = std::fs::read(&path) else { continue };
        bytes += data.len();
        let found: Vec<_> =
            haetae_webshell::scan_bytes(f[3], &data).into_iter().filter(|x| x.score >= haetae_webshell::DEFAULT_MIN_SCORE).collect();
        let shell = f[3].starts_with("shells/");
        if shell {
            shells += 1;
            let e = by_lang.entry(f[4].to_string()).or_default();
            e.0 += 1;
            if !found.is_empty() {
                shells_found += 1;
                e.1 += 1;
            } else if list.as_deref() == Some("shells") {
                println!("MISS {}", f[3]);
            }
        } else {
            clean += 1;
            if !found.is_empty() {
                clean_flagged += 1;
                if list.as_deref() == Some("clean") {
                    println!("FP {} :: {} {} line {}", f[3], found[0].rule, found[0].reason, found[0].line);
                }
            }
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!("shells {shells_found}/{shells} = {:.1} %", 100.0 * shells_found as f64 / shells.max(1) as f64);
    for (l, (n, k)) in by_lang {
        println!("  {l}: {k}/{n}");
    }
    println!("clean flagged {clean_flagged}/{clean} = {:.2} %", 100.0 * clean_flagged as f64 / clean.max(1) as f64);
    println!("{:.1} MB in {secs:.2} s = {:.1} MB/s (one thread)", bytes as f64 / 1e6, bytes as f64 / 1e6 / secs);
}
