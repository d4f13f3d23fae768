//! `haetae proxy`: a config built from flags, through the same TOML path
//! (so it is validated exactly like a file).

use crate::cli::{ModeArg, ProxyArgs};

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub fn config(p: &ProxyArgs) -> Result<haetae_config::Config, String> {
    let mode = match p.mode {
        ModeArg::Prevention => "prevention",
        ModeArg::Detection => "detection",
        ModeArg::Learning => "learning",
    };
    let admin = if p.admin == "off" { String::new() } else { format!("admin = {}\n", quote(&p.admin)) };
    let mut toml = format!("[server]\nlisten = [{}]\n{admin}workers = {}\nwatch_config = false\n", quote(&p.listen.to_string()), p.workers);
    if let Some(e) = &p.events {
        toml.push_str(&format!("[events]\nfile = {}\n", quote(&e.to_string_lossy())));
    }
    if let Some(a) = &p.access_log {
        toml.push_str(&format!("[access_log]\nfile = {}\n", quote(&a.to_string_lossy())));
    }
    let servers: Vec<String> = p.upstream.iter().map(|u| quote(u)).collect();
    let seclang: Vec<String> = p.seclang.iter().map(|f| quote(&f.to_string_lossy())).collect();
    toml.push_str(&format!(
        "[[site]]\nname = \"default\"\nhosts = [\"*\"]\nmode = \"{mode}\"\nseclang = [{}]\nnative_engine = {}\n[site.upstream]\nservers = [{}]\n",
        seclang.join(", "),
        !p.no_native,
        servers.join(", ")
    ));
    let mut cfg = haetae_config::parse(&toml, std::path::Path::new("<command line>")).map_err(|e| e.to_string())?;
    if p.admin == "off" {
        cfg.server.admin = None;
    }
    Ok(cfg)
}
