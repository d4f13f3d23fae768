use std::process::Command;

use crate::harness::*;

#[test]
fn check_reports_file_line_col_and_fails() {
    let dir = TempDir::new("check");
    let bad = dir.path("bad.toml");
    std::fs::write(&bad, "[server]\nlisten = [\"127.0.0.1:8080\"]\n\n[[site]]\nname = \"a\"\nhosts = [\"*\"]\nmode = \"blocking\"\n[site.upstream]\nservers = [\"127.0.0.1:1\"]\n").unwrap();
    let out = Command::new(bin()).args(["check", "--config", bad.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with(&format!("{}:7:8: unknown variant `blocking`", bad.display())), "{err}");

    std::fs::write(&bad, "[server]\nlistn = 1\n").unwrap();
    let out = Command::new(bin()).args(["check", "--config", bad.to_str().unwrap()]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains(":2:1: unknown field `listn`"));

    let good = dir.path("good.toml");
    std::fs::write(&good, "[[site]]\nname = \"a\"\nhosts = [\"*\"]\n[site.upstream]\nservers = [\"127.0.0.1:1\"]\n").unwrap();
    let out = Command::new(bin()).args(["check", "--config", good.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // `run` refuses a broken file the same way.
    let out = Command::new(bin()).args(["run", "--config", bad.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    let out = Command::new(bin()).args(["run", "--config", "/nonexistent/haetae.toml"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the file"));
}

#[test]
fn quick_proxy_command_protects_an_upstream() {
    let (_o, up) = origin();
    let (port, admin) = (free_port(), free_port());
    let _p = spawn(
        &[
            "proxy",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--upstream",
            &format!("127.0.0.1:{up}"),
            "--admin",
            &format!("127.0.0.1:{admin}"),
        ],
        &[port, admin],
    );
    assert_eq!(get(port, "/search?q=rust", &[]).status, 200);
    assert_eq!(get(port, "/search?q=%27%20union%20select%20password%20from%20users--", &[]).status, 403);
    let m = get(admin, "/metrics", &[]).body;
    assert!(m.contains("haetae_blocked_total{site=\"default\"} 1"), "{m}");
    assert!(m.contains("haetae_request_duration_seconds_bucket{site=\"default\""));
}

#[test]
fn quick_proxy_writes_events_and_a_json_access_log() {
    let (_o, up) = origin();
    let (port, admin) = (free_port(), free_port());
    let dir = TempDir::new("quicklogs");
    let (events, access) = (dir.path("events.jsonl"), dir.path("access.jsonl"));
    let p = spawn(
        &[
            "proxy",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--upstream",
            &format!("127.0.0.1:{up}"),
            "--admin",
            &format!("127.0.0.1:{admin}"),
            "--mode",
            "detection",
            "--events",
            events.to_str().unwrap(),
            "--access-log",
            access.to_str().unwrap(),
        ],
        &[port, admin],
    );
    assert_eq!(get(port, "/search?q=%3Cscript%3Ealert(1)%3C/script%3E", &[("User-Agent", "probe/1")]).status, 200, "detection mode passes");
    drop(p); // SIGTERM flushes both logs
    let ev: serde_json::Value = serde_json::from_str(std::fs::read_to_string(&events).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(ev["action"], "logged");
    assert_eq!(ev["matches"][0]["detector"], "xss");
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&access).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let rec = lines.iter().find(|r| r["uri"].as_str().is_some_and(|u| u.starts_with("/search"))).expect("access record");
    assert_eq!(rec["status"], 200);
    assert_eq!(rec["user_agent"], "probe/1");
    assert_eq!(rec["event_id"], ev["id"]);
    assert!(rec["bytes"].as_u64().unwrap() > 0);
}
