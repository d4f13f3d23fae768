//! The event store, the console listener and its accounts, the hash
//! chains: through the real binary, as an operator uses them.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::*;

const PASSWORD: &str = "Corr3ct-Horse!";

/// `haetae ARGS` with `stdin` piped in: (exit ok, stdout, stderr).
fn cli(args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut c =
        Command::new(bin()).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run haetae");
    c.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    let o = c.wait_with_output().expect("haetae ends");
    (o.status.success(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn body(console: u16, extra: &str) -> String {
    format!(
        "[store]\npath = \"{{DIR}}/data/haetae.db\"\ncheckpoint_every = 5\n[console]\nlisten = \"127.0.0.1:{console}\"\nallow = [\"127.0.0.1/32\"]\n{extra}\n{SITE}\n[[site]]\nname = \"other\"\nhosts = [\"other.test\"]\n[site.upstream]\nservers = [\"{{UP}}\"]\n"
    )
}

/// Adds an account; returns its TOTP secret.
fn add(cfg: &str, user: &str, role: &str, sites: &str) -> String {
    let mut args = vec!["admin", "add", "--config", cfg, "--user", user, "--role", role];
    if !sites.is_empty() {
        args.extend(["--sites", sites]);
    }
    let (ok, out, err) = cli(&args, &format!("{PASSWORD}\n"));
    assert!(ok, "{out}{err}");
    let uri = out.lines().find(|l| l.starts_with("otpauth://totp/")).unwrap_or_else(|| panic!("no otpauth URI in {out}"));
    uri.split("secret=").nth(1).and_then(|s| s.split('&').next()).expect("secret").to_owned()
}

fn code(secret: &str, shift: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    haetae_console::accounts::totp_code(secret, (now + shift * 30) as u64).expect("code")
}

fn login(port: u16, user: &str, password: &str, totp: &str) -> Resp {
    let b = serde_json::json!({ "user": user, "password": password, "totp": totp }).to_string();
    request(port, "POST", "/api/login", &[("Content-Type", "application/json")], b.as_bytes())
}

/// The cookie header a browser would send back after `r`.
fn cookies(r: &Resp) -> String {
    r.head
        .lines()
        .filter_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie")).map(|(_, v)| v.trim()))
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

fn json(r: &Resp) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

#[test]
fn events_are_stored_and_served_to_a_logged_in_admin_only() {
    let (_o, up) = origin();
    let console = free_port();
    let h = Haetae::run("", &body(console, ""), &format!("127.0.0.1:{up}"));
    let cfg = h.config_path();
    let cfg = cfg.to_str().expect("utf-8");

    // Weak passwords are refused, saying which rule failed.
    for (pw, rule) in [("Sh0rt!", "10 characters"), ("no-digits-Here!", "digit"), ("NoSymbols1234", "symbol")] {
        let (ok, _, err) = cli(&["admin", "add", "--config", cfg, "--user", "weak", "--role", "admin"], &format!("{pw}\n"));
        assert!(!ok && err.contains(rule), "{pw}: {err}");
    }
    let secret = add(cfg, "alice", "admin", "");
    assert!(wait_port(console, Duration::from_secs(5)));

    // Blocked requests reach the store.
    for i in 0..7 {
        assert_eq!(get(h.port, &format!("/?q=1%27%20union%20select%20password%20from%20users--{i}"), &[]).status, 403);
    }

    assert_eq!(get(console, "/api/events?limit=5", &[]).status, 401, "no session, no events");
    assert_eq!(login(console, "alice", "Wrong-passw0rd!", &code(&secret, 0)).status, 401);
    assert_eq!(login(console, "alice", PASSWORD, "000000").status, 401, "a wrong code");
    let c = code(&secret, 0);
    let ok = login(console, "alice", PASSWORD, &c);
    assert_eq!(ok.status, 200, "{}", ok.body);
    let set = ok.head.to_ascii_lowercase();
    assert!(
        set.contains("haetae_session=") && set.contains("httponly") && set.contains("secure") && set.contains("samesite=strict"),
        "{}",
        ok.head
    );
    assert_eq!(login(console, "alice", PASSWORD, &c).status, 401, "a replayed code is refused");
    let jar = cookies(&ok);
    let csrf = json(&ok)["csrf"].as_str().expect("csrf").to_owned();

    let mut stored = 0;
    assert!(
        eventually(Duration::from_secs(5), || {
            let r = get(console, "/api/events?limit=5", &[("Cookie", &jar)]);
            stored = json(&r)["events"].as_array().map_or(0, |a| a.len());
            stored == 5
        }),
        "the stored events: {stored}"
    );
    let page = json(&get(console, "/api/events?limit=5", &[("Cookie", &jar)]));
    let first = page["events"][0].clone();
    assert_eq!(first["action"], "blocked");
    assert!(page["next"].is_string(), "a cursor to the next page");
    let next = json(&get(console, &format!("/api/events?limit=5&cursor={}", page["next"].as_str().unwrap_or("")), &[("Cookie", &jar)]));
    assert_eq!(next["events"].as_array().map(|a| a.len()), Some(2));
    let id = first["id"].as_str().expect("id");
    assert_eq!(json(&get(console, &format!("/api/events/{id}"), &[("Cookie", &jar)]))["id"], id);
    let hostile = get(console, "/api/events?site=%27%20OR%201%3D1%20--&q=%25", &[("Cookie", &jar)]);
    assert_eq!(json(&hostile)["events"].as_array().map(|a| a.len()), Some(0), "a filter is a value, never SQL");
    assert_eq!(get(console, "/api/events?from=yesterday", &[("Cookie", &jar)]).status, 400);
    let stats = json(&get(console, "/api/stats?site=demo&step=1h", &[("Cookie", &jar)]));
    let blocked: i64 = stats["buckets"].as_array().expect("buckets").iter().filter_map(|b| b["events"]["blocked"].as_i64()).sum();
    assert_eq!(blocked, 7);

    // State changes need the CSRF token.
    assert_eq!(request(console, "POST", "/api/reload", &[("Cookie", &jar)], b"").status, 403);
    let r = request(console, "POST", "/api/reload", &[("Cookie", &jar), ("X-CSRF-Token", &csrf)], b"");
    assert_eq!(r.status, 200, "{}", r.body);
    let audit = json(&get(console, "/api/audit", &[("Cookie", &jar)]));
    let actions: Vec<&str> = audit["audit"].as_array().expect("audit").iter().filter_map(|a| a["action"].as_str()).collect();
    for want in ["account_add", "login_failed", "login", "reload"] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }

    // A scoped viewer's token sees its site only, and cannot reload.
    add(cfg, "vera", "viewer", "other");
    let (ok, token, err) = cli(&["admin", "token", "--config", cfg, "--user", "vera", "--name", "grafana"], "");
    assert!(ok, "{err}");
    let bearer = format!("Bearer {}", token.trim());
    let r = get(console, "/api/events?limit=50", &[("Authorization", &bearer)]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["events"].as_array().map(|a| a.len()), Some(0), "demo's events are not in vera's scope");
    assert_eq!(get(console, &format!("/api/events/{id}"), &[("Authorization", &bearer)]).status, 404);
    assert!(!get(console, "/api/events?site=demo", &[("Authorization", &bearer)]).body.contains("union"));
    assert_eq!(request(console, "POST", "/api/reload", &[("Authorization", &bearer)], b"").status, 403);
    assert_eq!(get(console, "/api/audit", &[("Authorization", &bearer)]).status, 403);
    let token_id = cli(&["admin", "list", "--config", cfg], "")
        .1
        .lines()
        .find(|l| l.contains("grafana"))
        .and_then(|l| l.split_whitespace().nth(1))
        .expect("token id")
        .to_owned();
    assert!(cli(&["admin", "token", "--config", cfg, "--revoke", &token_id], "").0);
    assert_eq!(get(console, "/api/events", &[("Authorization", &bearer)]).status, 401, "a revoked token");

    // A disabled account's session ends.
    assert!(cli(&["admin", "disable", "--config", cfg, "--user", "alice"], "").0);
    assert_eq!(get(console, "/api/events", &[("Cookie", &jar)]).status, 401);

    // The chains verify; an edited or deleted stored event is found.
    let (ok, out, err) = cli(&["verify-log", "--config", cfg], "");
    assert!(ok, "{out}{err}");
    let db = h.dir.path("data/haetae.db");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&db).expect("db").permissions().mode() & 0o777, 0o600);
    }
    // Evidence export, checked on its own.
    let out_file = h.dir.path("evidence.jsonl");
    let (ok, out, err) = cli(
        &["events", "export", "--config", cfg, "--site", "demo", "--from", "2020-01-01", "--out", out_file.to_str().expect("utf-8")],
        "",
    );
    assert!(ok && out.contains("7 event(s)"), "{out}{err}");
    assert!(cli(&["verify-log", "--file", out_file.to_str().expect("utf-8")], "").0);
    let text = std::fs::read_to_string(&out_file).expect("export");
    std::fs::write(&out_file, text.replacen("union select", "UNION SELECT", 1)).expect("edit");
    assert!(!cli(&["verify-log", "--file", out_file.to_str().expect("utf-8")], "").0, "an edited export fails");

    let mut c = haetae_store::db::Sqlite::open(&db).expect("open db");
    use haetae_store::db::Conn;
    c.exec("UPDATE events SET body = replace(body, '127.0.0.1', '127.0.0.9') WHERE seq = 3", &[]).expect("edit");
    let (ok, out, _) = cli(&["verify-log", "--config", cfg], "");
    assert!(!ok && out.contains("#3"), "an edited event: {out}");
    c.exec("UPDATE events SET body = replace(body, '127.0.0.9', '127.0.0.1') WHERE seq = 3", &[]).expect("restore");
    assert!(cli(&["verify-log", "--config", cfg], "").0, "restored");
    c.exec("DELETE FROM events WHERE seq = 4", &[]).expect("delete");
    let (ok, out, _) = cli(&["verify-log", "--config", cfg], "");
    assert!(!ok && out.contains("missing"), "a deleted event: {out}");
}

#[test]
fn logins_lock_out_sessions_expire_and_strangers_are_refused_before_http() {
    let (_o, up) = origin();
    let console = free_port();
    let h = Haetae::run("", &body(console, "session_idle = \"1s\"\nmax_failures = 3\nlockout = \"30s\""), &format!("127.0.0.1:{up}"));
    let cfg = h.config_path();
    let secret = add(cfg.to_str().expect("utf-8"), "bob", "operator", "");
    assert!(wait_port(console, Duration::from_secs(5)));

    let ok = login(console, "bob", PASSWORD, &code(&secret, 0));
    assert_eq!(ok.status, 200, "{}", ok.body);
    let jar = cookies(&ok);
    assert_eq!(get(console, "/api/me", &[("Cookie", &jar)]).status, 200);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(get(console, "/api/me", &[("Cookie", &jar)]).status, 401, "an idle session expires");

    for _ in 0..3 {
        assert_eq!(login(console, "bob", "Wrong-passw0rd!", "123456").status, 401);
    }
    let locked = login(console, "bob", PASSWORD, &code(&secret, 1));
    assert_eq!(locked.status, 429, "locked even with the right password: {}", locked.body);
    assert!(locked.header("retry-after").is_some());

    // From an address outside `allow` (127.0.0.3): closed unanswered.
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    s.bind(&"127.0.0.3:0".parse::<std::net::SocketAddr>().expect("addr").into()).expect("bind 127.0.0.3");
    s.connect(&format!("127.0.0.1:{console}").parse::<std::net::SocketAddr>().expect("addr").into()).expect("connect");
    let mut t: std::net::TcpStream = s.into();
    t.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let _ = t.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut buf = Vec::new();
    let _ = std::io::Read::read_to_end(&mut t, &mut buf);
    assert!(buf.is_empty(), "no HTTP answer: {}", String::from_utf8_lossy(&buf));
    // The refusal is audited (read back with an admin's token).
    add(cfg.to_str().expect("utf-8"), "root", "admin", "");
    let (_, token, _) = cli(&["admin", "token", "--config", cfg.to_str().expect("utf-8"), "--user", "root"], "");
    let bearer = format!("Bearer {}", token.trim());
    assert!(eventually(Duration::from_secs(5), || get(console, "/api/audit", &[("Authorization", &bearer)])
        .body
        .contains("address_refused")));
    // Prometheus on loopback needs no login.
    assert_eq!(get(console, "/metrics", &[]).status, 200);
}

#[test]
fn a_corrupt_store_is_reported_and_the_proxy_serves() {
    let (_o, up) = origin();
    let console = free_port();
    let dir = TempDir::new("corrupt-store");
    std::fs::create_dir_all(dir.path("data")).expect("dir");
    let db = dir.path("data/haetae.db");
    std::fs::write(&db, vec![0x42u8; 16384]).expect("garbage");
    let b = body(console, "").replace("{DIR}", &dir.0.to_string_lossy());
    let h = Haetae::run("", &b, &format!("127.0.0.1:{up}"));
    assert_eq!(get(h.port, "/", &[]).status, 200);
    assert_eq!(get(h.port, "/?q=1%27%20union%20select%20password%20from%20users--", &[]).status, 403);
    assert!(eventually(Duration::from_secs(3), || h.proc.log_text().contains(&db.display().to_string())), "{}", h.proc.log_text());
    assert_eq!(h.events().as_array().map(|a| a.len()), Some(1), "events still reach the ring");
}

/// The ordinary upkeep an operator does: passwords, TOTP resets,
/// re-enabling, logging out; a site's mode and exceptions changed from
/// the API (the file keeps its comments); what is noted and counted.
#[test]
fn account_upkeep_site_changes_notes_and_counters() {
    let (_o, up) = origin();
    let console = free_port();
    let h = Haetae::run("", &format!("# the operator's own comment\n{}", body(console, "")), &format!("127.0.0.1:{up}"));
    let cfg = h.config_path();
    let cfg = cfg.to_str().expect("utf-8");
    assert!(wait_port(console, Duration::from_secs(5)));

    // Passwords and TOTP secrets change; the old ones stop working.
    let old = add(cfg, "carol", "operator", "");
    let (ok, _, err) = cli(&["admin", "passwd", "--config", cfg, "--user", "carol"], "Sh0rt!\n");
    assert!(!ok && err.contains("10 characters"), "a weak new password is refused: {err}");
    assert!(cli(&["admin", "passwd", "--config", cfg, "--user", "carol"], "N3w-passw0rd!!\n").0);
    assert_eq!(login(console, "carol", PASSWORD, &code(&old, -1)).status, 401, "the old password");
    let (ok, out, err) = cli(&["admin", "reset-totp", "--config", cfg, "--user", "carol"], "");
    assert!(ok, "{err}");
    let new = out.split("secret=").nth(1).and_then(|s| s.split('&').next()).expect("new secret").to_owned();
    assert_eq!(login(console, "carol", "N3w-passw0rd!!", &code(&old, 0)).status, 401, "the old TOTP secret");
    let r = login(console, "carol", "N3w-passw0rd!!", &code(&new, 0));
    assert_eq!(r.status, 200, "{}", r.body);
    let jar = cookies(&r);
    let csrf = json(&r)["csrf"].as_str().expect("csrf").to_owned();

    // A disabled account comes back when enabled.
    assert!(cli(&["admin", "disable", "--config", cfg, "--user", "carol"], "").0);
    assert_eq!(get(console, "/api/me", &[("Cookie", &jar)]).status, 401);
    assert!(cli(&["admin", "enable", "--config", cfg, "--user", "carol"], "").0);
    let r = login(console, "carol", "N3w-passw0rd!!", &code(&new, 1));
    assert_eq!(r.status, 200, "{}", r.body);
    let jar = cookies(&r);
    let csrf2 = json(&r)["csrf"].as_str().expect("csrf").to_owned();
    assert_ne!(csrf, csrf2);

    // The site's mode, changed from the API, reaches the file and the proxy.
    let sites = json(&get(console, "/api/sites", &[("Cookie", &jar)]));
    assert_eq!(sites["sites"][0]["mode"], "prevention");
    let attack = "/?q=1%27%20union%20select%20password%20from%20users--";
    assert_eq!(get(h.port, attack, &[]).status, 403);
    let put = |path: &str, body: &str, csrf: &str| {
        request(console, "PUT", path, &[("Cookie", &jar), ("X-CSRF-Token", csrf), ("Content-Type", "application/json")], body.as_bytes())
    };
    assert_eq!(put("/api/sites/demo/mode", r#"{"mode":"detection"}"#, "wrong").status, 403, "CSRF");
    assert_eq!(put("/api/sites/demo/mode", r#"{"mode":"sideways"}"#, &csrf2).status, 400);
    let r = put("/api/sites/demo/mode", r#"{"mode":"detection"}"#, &csrf2);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(get(h.port, attack, &[]).status, 200, "detection mode passes it");
    let text = std::fs::read_to_string(h.config_path()).expect("config");
    assert!(text.contains("# the operator's own comment") && text.contains("mode = \"detection\""), "{text}");
    assert_eq!(put("/api/sites/demo/mode", r#"{"mode":"prevention"}"#, &csrf2).status, 200);
    let post = |path: &str, body: &str| {
        request(console, "POST", path, &[("Cookie", &jar), ("X-CSRF-Token", &csrf2), ("Content-Type", "application/json")], body.as_bytes())
    };
    assert_eq!(post("/api/sites/demo/exceptions", "{}").status, 400, "an exception for everything");
    let r = post("/api/sites/demo/exceptions", r#"{"path":"/","param":"q","detectors":["sqli"]}"#);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(get(h.port, attack, &[]).status, 200, "the exception covers it");
    assert_eq!(get(h.port, "/?id=1%27%20union%20select%20password%20from%20users--", &[]).status, 403, "only it");

    // A viewer can read the sites but change none.
    let v = add(cfg, "val", "viewer", "");
    let r = login(console, "val", PASSWORD, &code(&v, 0));
    let (vjar, vcsrf) = (cookies(&r), json(&r)["csrf"].as_str().expect("csrf").to_owned());
    let r = request(console, "PUT", "/api/sites/demo/mode", &[("Cookie", &vjar), ("X-CSRF-Token", &vcsrf)], br#"{"mode":"learning"}"#);
    assert_eq!(r.status, 403);

    // Logging out ends the session.
    assert_eq!(request(console, "POST", "/api/logout", &[("Cookie", &jar), ("X-CSRF-Token", &csrf2)], b"").status, 200);
    assert_eq!(get(console, "/api/me", &[("Cookie", &jar)]).status, 401);

    // Every change is in the audit trail, with before and after.
    add(cfg, "root", "admin", "");
    let (_, token, _) = cli(&["admin", "token", "--config", cfg, "--user", "root"], "");
    let bearer = format!("Bearer {}", token.trim());
    let audit = json(&get(console, "/api/audit?limit=200", &[("Authorization", &bearer)]));
    let rows = audit["audit"].as_array().expect("audit").clone();
    let has = |action: &str| rows.iter().any(|a| a["action"] == action);
    for want in ["account_passwd", "account_reset_totp", "account_disable", "account_enable", "logout", "exception_add", "token_add"] {
        assert!(has(want), "{want}: {rows:?}");
    }
    assert!(
        rows.iter()
            .any(|a| a["action"] == "mode_change" && a["before"] == "prevention" && a["after"] == "detection" && a["actor"] == "carol"),
        "{rows:?}"
    );

    // Below the threshold: noted, stored, and let through.
    assert_eq!(get(h.port, "/?q=a%00b", &[]).status, 200);
    assert!(
        eventually(Duration::from_secs(5), || {
            let r = json(&get(console, "/api/events?action=noted", &[("Authorization", &bearer)]));
            r["events"].as_array().is_some_and(|a| a.iter().any(|e| e["url"] == "/?q=a%00b"))
        }),
        "a noted event"
    );
    // Every request is counted per site and minute (flushed every 5 s).
    assert!(
        eventually(Duration::from_secs(10), || {
            let s = json(&get(console, "/api/stats?site=demo&step=1h", &[("Authorization", &bearer)]));
            let sum = |k: &str| s["buckets"].as_array().map_or(0, |b| b.iter().filter_map(|x| x[k].as_i64()).sum::<i64>());
            // Five requests went to the site, two were refused.
            sum("requests") == 5 && sum("blocked") == 2
        }),
        "the counters"
    );
    assert!(get(console, "/metrics", &[]).body.contains("sink=\"store\""), "the store sink's counters");
}

#[test]
fn record_notes_off_records_nothing_below_the_threshold() {
    let (_o, up) = origin();
    let h = Haetae::run("", &format!("[events]\nrecord_notes = false\n{SITE}"), &format!("127.0.0.1:{up}"));
    assert_eq!(get(h.port, "/?q=a%00b", &[]).status, 200);
    assert_eq!(get(h.port, "/?q=1%27%20union%20select%20password%20from%20users--", &[]).status, 403);
    let ev = h.events();
    let actions: Vec<&str> = ev.as_array().expect("events").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["blocked"]);
}

#[test]
fn shipped_checkpoints_catch_a_truncated_store() {
    let (_o, up) = origin();
    let console = free_port();
    let h = Haetae::run(
        "",
        &body(console, "").replace("checkpoint_every = 5", "checkpoint_every = 5\ncheckpoint_file = \"{DIR}/checkpoints.jsonl\""),
        &format!("127.0.0.1:{up}"),
    );
    let cfg = h.config_path();
    let cfg = cfg.to_str().expect("utf-8");
    for i in 0..12 {
        assert_eq!(get(h.port, &format!("/?q=1%27%20union%20select%20password%20from%20users--{i}"), &[]).status, 403);
    }
    let shipped = h.dir.path("checkpoints.jsonl");
    assert!(eventually(Duration::from_secs(5), || std::fs::read_to_string(&shipped).is_ok_and(|t| t.lines().count() >= 2)));
    assert!(cli(&["verify-log", "--config", cfg], "").0);
    // The tail and the stored checkpoints are gone; the shipped ones remain.
    let mut c = haetae_store::db::Sqlite::open(&h.dir.path("data/haetae.db")).expect("open db");
    use haetae_store::db::Conn;
    c.exec("DELETE FROM events WHERE seq > 3", &[]).expect("truncate");
    c.exec("DELETE FROM checkpoints", &[]).expect("drop checkpoints");
    let (ok, out, _) = cli(&["verify-log", "--config", cfg], "");
    assert!(!ok && out.contains("truncated"), "{out}");
    // An explicit file, and a key that is not the node's.
    let (ok, out, _) = cli(&["verify-log", "--config", cfg, "--checkpoints", shipped.to_str().expect("utf-8")], "");
    assert!(!ok && out.contains("truncated"), "{out}");
    let (ok, out, _) = cli(&["verify-log", "--config", cfg, "--key", &"ab".repeat(32)], "");
    assert!(!ok && out.contains("another key"), "{out}");
}

#[test]
fn metrics_can_require_a_token_and_a_login_must_be_json() {
    let (_o, up) = origin();
    let console = free_port();
    let h = Haetae::run("", &body(console, "open_metrics = false"), &format!("127.0.0.1:{up}"));
    let cfg = h.config_path();
    let cfg = cfg.to_str().expect("utf-8");
    add(cfg, "prom", "viewer", "");
    assert!(wait_port(console, Duration::from_secs(5)));
    assert_eq!(get(console, "/metrics", &[]).status, 401, "open_metrics = false: even loopback logs in");
    let (_, token, _) = cli(&["admin", "token", "--config", cfg, "--user", "prom", "--name", "prometheus"], "");
    let r = get(console, "/metrics", &[("Authorization", &format!("Bearer {}", token.trim()))]);
    assert_eq!(r.status, 200);
    assert!(r.body.contains("haetae_events_recorded_total"), "{}", r.body);
    let b = serde_json::json!({ "user": "prom", "password": PASSWORD, "totp": "000000" }).to_string();
    assert_eq!(request(console, "POST", "/api/login", &[("Content-Type", "text/plain")], b.as_bytes()).status, 415);
    assert_eq!(request(console, "POST", "/api/login", &[("Content-Type", "application/json")], b"{not json").status, 400);
}
