//! Every config example in the documentation is a valid config, and
//! survives being written back: parse, serialize, parse again gives the
//! same value. An example that is a fragment (`[[site.exceptions]]`) is
//! read inside a minimal site.

use std::path::{Path, PathBuf};

const SITE: &str = "[[site]]\nname = \"doc\"\nhosts = [\"*\"]\n[site.upstream]\nservers = [\"127.0.0.1:9000\"]\n";

fn examples() -> Vec<(String, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = vec![root.join("README.md")];
    for e in std::fs::read_dir(root.join("docs")).expect("docs/") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "md") {
            files.push(p);
        }
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let mut lines = text.lines().enumerate();
        while let Some((n, l)) = lines.next() {
            if l.trim() == "```toml" {
                let block: Vec<&str> = lines.by_ref().map(|(_, l)| l).take_while(|l| l.trim() != "```").collect();
                out.push((format!("{}:{}", f.file_name().unwrap_or_default().to_string_lossy(), n + 1), block.join("\n") + "\n"));
            }
        }
    }
    out
}

#[test]
fn every_documented_example_parses_and_round_trips() {
    let ex = examples();
    assert!(ex.len() >= 4, "found only {} examples", ex.len());
    for (place, text) in ex {
        let text = if text.contains("[[site]]") { text } else { format!("{SITE}{text}") };
        let a = haetae_config::parse(&text, Path::new("doc.toml")).unwrap_or_else(|e| panic!("{place}: {e}"));
        let written = haetae_config::to_toml(&a).unwrap_or_else(|e| panic!("{place}: {e}"));
        let b = haetae_config::parse(&written, Path::new("doc.toml")).unwrap_or_else(|e| panic!("{place}: written back:\n{written}\n{e}"));
        assert_eq!(a, b, "{place}: written back as\n{written}");
    }
}

#[test]
fn a_config_with_every_section_round_trips() {
    let text = "[server]\nlisten = [\"127.0.0.1:8080\"]\nworkers = 2\ntrusted_proxies = [\"10.0.0.0/8\"]\n[limits]\nmax_body_bytes = \"8MiB\"\nmax_params = 2000\n\
         [timeouts]\ninspection = \"150ms\"\nclient_send = \"90s\"\n[events]\nfile = \"/var/log/haetae/events.jsonl\"\n\
         [access_log]\nfile = \"/var/log/haetae/access.log\"\nformat = \"combined\"\n\
         [[site]]\nname = \"doc\"\nhosts = [\"*\"]\nmode = \"learning\"\nsensitivity = \"high\"\nthreshold = 6\non_timeout = \"pass\"\nupgrades = [\"websocket\"]\n\
         disabled_shapes = [\"cmdi.lone-command\"]\n[site.upstream]\nservers = [\"127.0.0.1:9000\"]\n[[site.exceptions]]\npath = \"/a\"\nshapes = [\"xss.script-tag\"]\n\
         [site.upstream.health]\npath = \"/healthz\"\ninterval = \"2s\"\n[site.response]\nstrip_html_comments = true\n";
    let a = haetae_config::parse(text, Path::new("all.toml")).unwrap();
    let b = haetae_config::parse(&haetae_config::to_toml(&a).unwrap(), Path::new("all.toml")).unwrap();
    assert_eq!(a, b);
    assert_eq!(b.sites[0].disabled_shapes, ["cmdi.lone-command"]);
}
