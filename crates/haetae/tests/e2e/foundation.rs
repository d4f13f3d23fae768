//! The foundation's user-visible parts: shape ids in events, switching one
//! shape off, exceptions by shape, the shape list, a reload from a
//! relative config path.

use std::time::Duration;

use crate::harness::*;

const XSS: &str = "/search?q=%3Cscript%3Ealert(1)%3C/script%3E";

#[test]
fn events_name_shapes_and_a_site_can_switch_one_off() {
    let (_o, up) = origin();
    let up = format!("127.0.0.1:{up}");
    let h = Haetae::run("", SITE, &up);
    assert_eq!(get(h.port, XSS, &[]).status, 403);
    let ev = h.events();
    assert_eq!(ev[0]["matches"][0]["shape"], "xss.script-tag", "{ev}");
    assert_eq!(ev[0]["matches"][0]["location"], "ARGS:q");
    drop(h);
    let site = SITE.replace("mode = \"prevention\"", "mode = \"prevention\"\ndisabled_shapes = [\"xss.script-tag\"]");
    let h = Haetae::run("", &site, &up);
    assert_eq!(get(h.port, XSS, &[]).status, 200, "that shape is off");
    assert_eq!(get(h.port, "/search?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", &[]).status, 403, "the rest of xss is on");
    drop(h);
    let site = format!("{SITE}[[site.exceptions]]\npath = \"/search\"\nshapes = [\"xss.script-tag\"]\n");
    let h = Haetae::run("", &site, &up);
    assert_eq!(get(h.port, XSS, &[]).status, 200, "excepted on /search");
    assert_eq!(get(h.port, &XSS.replace("/search", "/board"), &[]).status, 403, "not elsewhere");
}

#[test]
fn rules_native_lists_the_shapes() {
    let out = std::process::Command::new(bin()).args(["rules", "--native"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for id in ["cmdi.pipe-into-shell", "xss.script-tag", "sqli.union-select", "protocol.too-many-params"] {
        assert!(text.contains(id), "{id} missing");
    }
    let help = std::process::Command::new(bin()).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(!help.lines().any(|l| l.trim() == "rules"), "every subcommand has its line of help:\n{help}");
}

/// Started with a relative `--config`, the first reload used to resolve the
/// events file against another folder, replace the sink, and so empty the
/// events ring and reset `haetae_events_recorded_total`.
#[test]
fn a_reload_from_a_relative_config_path_keeps_the_events() {
    let (_o, up) = origin();
    let dir = TempDir::new("relative");
    let port = free_port();
    let admin = free_port();
    let cfg = format!(
        "[server]\nlisten = [\"127.0.0.1:{port}\"]\nadmin = \"127.0.0.1:{admin}\"\n[events]\nfile = \"events.jsonl\"\n{}",
        SITE.replace("{UP}", &format!("127.0.0.1:{up}"))
    );
    std::fs::write(dir.path("haetae.toml"), cfg).unwrap();
    let log = dir.path("stderr.log");
    let mut child = std::process::Command::new(bin())
        .args(["run", "--config", "haetae.toml"])
        .current_dir(&dir.0)
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(dir.path("stderr2.log")).unwrap())
        .spawn()
        .unwrap();
    assert!(wait_port(port, Duration::from_secs(10)) && wait_port(admin, Duration::from_secs(10)));
    assert_eq!(get(port, XSS, &[]).status, 403);
    let recorded = |s: &str| s.lines().find(|l| l.starts_with("haetae_events_recorded_total")).map(str::to_owned);
    let before = recorded(&get(admin, "/metrics", &[]).body);
    assert_eq!(before.as_deref(), Some("haetae_events_recorded_total 1"));
    assert_eq!(request(admin, "POST", "/reload", &[], b"").status, 200);
    let events: serde_json::Value = serde_json::from_str(&get(admin, "/events", &[]).body).unwrap();
    assert_eq!(events.as_array().map(Vec::len), Some(1), "the ring survives the reload");
    assert_eq!(recorded(&get(admin, "/metrics", &[]).body), before, "the count survives the reload");
    assert_eq!(get(port, XSS, &[]).status, 403);
    assert!(
        eventually(Duration::from_secs(3), || std::fs::read_to_string(dir.path("events.jsonl")).unwrap_or_default().lines().count() == 2)
    );
    let _ = child.kill();
    let _ = child.wait();
}
