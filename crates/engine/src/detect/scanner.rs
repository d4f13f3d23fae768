//! Attack tools and scanners that announce themselves in headers.

use aho_corasick::AhoCorasick;
use haetae_model::Confidence::High;
use std::sync::OnceLock;

use super::{Hit, Kind, Target};

const TOOLS: &[&str] = &[
    "sqlmap",
    "nikto",
    "nuclei",
    "nmap",
    "masscan",
    "acunetix",
    "wpscan",
    "dirbuster",
    "gobuster",
    "ffuf",
    "feroxbuster",
    "zgrab",
    "havij",
    "w3af",
    "netsparker",
    "appscan",
    "openvas",
    "arachni",
    "whatweb",
    "jaeles",
    "commix",
    "hydra",
    "zmeu",
    "morfeus",
    "paros",
    "webinspect",
    "nessus",
    "qualys",
    "wfuzz",
    "dirsearch",
    "skipfish",
    "grabber",
    "brutus",
    "xsser",
    "joomscan",
    "droopescan",
    "vega/",
    "burpcollaborator",
    "interactsh",
    "oast.",
    "fimap",
    "bsqlbf",
    "sqlninja",
    "pangolin",
    "absinthe",
    "blackwidow",
    "censys",
];

fn matcher() -> &'static AhoCorasick {
    static M: OnceLock<AhoCorasick> = OnceLock::new();
    M.get_or_init(|| AhoCorasick::new(TOOLS).expect("static patterns compile"))
}

pub fn check(t: &Target<'_>) -> Option<Hit> {
    let look = match t.kind {
        Kind::Header => matches!(t.key, "user-agent" | "x-scanner" | "x-scan-memo" | "from") || t.key.starts_with("x-"),
        _ => false,
    };
    if !look {
        return None;
    }
    let m = matcher().find(t.norm)?;
    Some(Hit::new(1201, High, format!("scanner: {}", TOOLS[m.pattern().as_usize()]), m.start()).shape("scanner.tool"))
}
