use crate::harness::*;

#[test]
fn demo_blocks_attacks_and_passes_benign_traffic() {
    let (port, origin, admin) = (free_port(), free_port(), free_port());
    let _p = spawn(
        &[
            "demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--origin",
            &format!("127.0.0.1:{origin}"),
            "--admin",
            &format!("127.0.0.1:{admin}"),
        ],
        &[port, admin],
    );
    assert_eq!(get(port, "/search?q=hello+world", &[]).status, 200);
    let post = post_form(
        port,
        "/board",
        "title=Hi&content=%3Cp%3EHi+%3Cimg+src%3D%22%2Fdata%2Feditor%2F1.jpg%22+alt%3D%22%EC%82%AC%EC%A7%84%22%3E%3C%2Fp%3E",
    );
    assert_eq!(post.status, 303, "editor HTML must pass: {}", post.body);
    let api = request(port, "POST", "/api/items", &[("Content-Type", "application/json")], "{\"name\":\"해태\"}".as_bytes());
    assert_eq!(api.status, 201);

    let blocked = get(port, "/search?q=1'%20OR%20'1'='1", &[]);
    assert_eq!(blocked.status, 403);
    // The block page names the event, and the event is in the admin API.
    let id = blocked.body.split("<code>").nth(1).and_then(|s| s.split("</code>").next()).expect("event id on the block page").to_owned();
    let ev: serde_json::Value = serde_json::from_str(&get(admin, &format!("/events/{id}"), &[]).body).expect("event JSON");
    assert_eq!(ev["action"], "blocked");
    assert_eq!(ev["matches"][0]["location"], "ARGS:q");
    assert_eq!(ev["matches"][0]["detector"], "sqli");
    for attack in [
        "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
        "/download?file=../../../../etc/passwd",
        "/search?q=%3Bcat%20/etc/passwd",
        "/x?u=http://169.254.169.254/latest/meta-data/",
        "/x?a=$%7Bjndi:ldap://127.0.0.1/a%7D",
    ] {
        assert_eq!(get(port, attack, &[]).status, 403, "{attack}");
    }
    assert_eq!(post_form(port, "/login", "username=admin'--&password=x").status, 403);
    assert_eq!(get(port, "/", &[("User-Agent", "sqlmap/1.7.2#stable")]).status, 403);
}

#[test]
fn upstream_sees_forwarding_headers_and_client_sees_cloaked_response() {
    let (_o, up) = origin();
    let h = Haetae::run("", SITE, &format!("127.0.0.1:{up}"));
    let r = get(h.port, "/_demo/request", &[("X-Forwarded-For", "6.6.6.6"), ("Connection", "close, X-Secret"), ("X-Secret", "hop")]);
    assert_eq!(r.status, 200, "{}", r.body);
    let seen: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let hdr = &seen["headers"];
    // The peer is not a trusted proxy: its X-Forwarded-For claim is replaced.
    assert_eq!(hdr["x-forwarded-for"], "127.0.0.1");
    assert_eq!(hdr["x-real-ip"], "127.0.0.1");
    assert_eq!(hdr["x-forwarded-proto"], "http");
    assert_eq!(hdr["host"], "localhost");
    assert!(hdr["forwarded"].as_str().unwrap().starts_with("for=127.0.0.1;proto=http"));
    assert!(hdr.get("x-secret").is_none(), "hop-by-hop header named in Connection must not be forwarded");
    // Server masquerading.
    let page = get(h.port, "/", &[]);
    assert!(page.header("server").is_none() && page.header("x-powered-by").is_none(), "{}", page.head);

    // A trusted proxy's chain is kept and the client IP read from it.
    drop(h);
    let h = Haetae::run("trusted_proxies = [\"127.0.0.0/8\"]", SITE, &format!("127.0.0.1:{up}"));
    let r = get(h.port, "/_demo/request", &[("X-Forwarded-For", "203.0.113.9")]);
    let seen: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(seen["headers"]["x-forwarded-for"], "203.0.113.9, 127.0.0.1");
    assert_eq!(seen["headers"]["x-real-ip"], "203.0.113.9");
    let blocked = get(h.port, "/?q=%27%20or%201=1--", &[("X-Forwarded-For", "203.0.113.9")]);
    assert_eq!(blocked.status, 403);
    let ev = h.events();
    assert_eq!(ev[0]["client_ip"], "203.0.113.9");
}

#[test]
fn upstream_errors_get_neutral_pages() {
    let (_o, up) = origin();
    let h = Haetae::run("", SITE, &format!("127.0.0.1:{up}"));
    let r = get(h.port, "/_demo/error", &[]);
    assert_eq!(r.status, 500);
    assert!(!r.body.contains("PDOException") && !r.body.contains("/var/www"), "{}", r.body);
    drop(h);
    let dead = free_port();
    let h = Haetae::run("", SITE, &format!("127.0.0.1:{dead}"));
    let r = get(h.port, "/", &[]);
    assert_eq!(r.status, 502);
    assert!(!r.body.contains(&dead.to_string()), "the 502 page must not name the upstream: {}", r.body);
    assert!(h.metrics().contains("haetae_upstream_errors_total{site=\"demo\"} 1"));
}

#[test]
fn detection_mode_logs_and_passes_and_files_are_written() {
    let (_o, up) = origin();
    let body = SITE.replace("prevention", "detection")
        + "[events]\nfile = \"{DIR}/events.jsonl\"\n[access_log]\nfile = \"{DIR}/access.log\"\nformat = \"combined\"\n";
    // [events] must come before [[site]] in TOML terms only for readability;
    // tables may appear in any order.
    let h = Haetae::run("", &body, &format!("127.0.0.1:{up}"));
    let r = get(h.port, "/search?password=%27%20or%201=1--&q=x", &[]);
    assert_eq!(r.status, 200, "detection mode passes");
    assert!(eventually(std::time::Duration::from_secs(5), || std::fs::read_to_string(h.dir.path("events.jsonl"))
        .is_ok_and(|t| t.lines().count() >= 1)));
    let line = std::fs::read_to_string(h.dir.path("events.jsonl")).unwrap();
    let ev: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert_eq!(ev["action"], "logged");
    assert_eq!(ev["matches"][0]["location"], "ARGS:password");
    assert_eq!(ev["matches"][0]["excerpt"], "[masked]", "credentials are masked in events");
    assert!(eventually(std::time::Duration::from_secs(5), || std::fs::read_to_string(h.dir.path("access.log"))
        .is_ok_and(|t| t.contains("\"GET /search?"))));
    let access = std::fs::read_to_string(h.dir.path("access.log")).unwrap();
    assert!(access.starts_with("127.0.0.1 - - ["), "{access}");
    assert!(access.contains("\" 200 "), "{access}");
}

#[test]
fn learning_mode_records_without_blocking() {
    let (_o, up) = origin();
    let h = Haetae::run("", &SITE.replace("prevention", "learning"), &format!("127.0.0.1:{up}"));
    assert_eq!(get(h.port, "/search?q=%27%20or%201=1--", &[]).status, 200);
    assert_eq!(h.events()[0]["action"], "learned");
}

/// A timeout is the client's doing (it chose what to send), so by default
/// it blocks even with `fail_open = true`; `on_timeout = "pass"` passes,
/// and detection mode never blocks. Each is an event with the status the
/// client got.
#[test]
fn inspection_timeout_blocks_unless_configured_to_pass() {
    let (_o, up) = origin();
    let up = format!("127.0.0.1:{up}");
    for (extra, status, action) in [
        ("fail_open = true", 503, "failed_closed"),
        ("on_timeout = \"pass\"", 200, "failed_open"),
        ("on_timeout = \"block\"\nmode = \"detection\"", 200, "failed_open"),
    ] {
        let site = SITE.replace("mode = \"prevention\"\n", "").replace("hosts = [\"*\"]", &format!("hosts = [\"*\"]\n{extra}"));
        let site = if site.contains("mode =") { site } else { site.replace("hosts = [\"*\"]", "hosts = [\"*\"]\nmode = \"prevention\"") };
        let h = Haetae::run("", &format!("[timeouts]\ninspection = \"0ms\"\n{site}"), &up);
        let r = get(h.port, "/search?q=x", &[]);
        assert_eq!(r.status, status, "{extra}");
        let ev = h.events();
        assert_eq!(ev[0]["action"], action, "{extra}: {ev}");
        assert_eq!(ev[0]["status"], status, "{extra}: the event has the status the client got");
        assert!(ev[0]["matches"][0]["reason"].as_str().unwrap().contains("time budget"), "{ev}");
    }
}

#[test]
fn custom_block_page_and_method_policy() {
    let (_o, up) = origin();
    let dir = TempDir::new("page");
    let page = dir.path("block.html");
    std::fs::write(&page, "<h1>Stopped</h1><p>ref {{event_id}} at {{site}}</p>").unwrap();
    let site = SITE.replace(
        "mode = \"prevention\"",
        &format!("mode = \"prevention\"\nblock_page = \"{}\"\nallowed_methods = [\"GET\", \"POST\"]", page.display()),
    );
    let h = Haetae::run("", &site, &format!("127.0.0.1:{up}"));
    let r = get(h.port, "/?q=%3Cscript%3Ealert(1)%3C/script%3E", &[]);
    assert_eq!(r.status, 403);
    assert!(r.body.starts_with("<h1>Stopped</h1><p>ref ") && r.body.ends_with(" at demo</p>"), "{}", r.body);
    assert_eq!(request(h.port, "DELETE", "/", &[], b"").status, 405);
    assert_eq!(request(h.port, "PUT", "/", &[], b"x").status, 405);
}

#[test]
fn sites_are_chosen_by_host_and_unknown_hosts_are_refused() {
    let (_a, up_a) = origin();
    let dead = free_port();
    let sites = format!(
        r#"
[[site]]
name = "shop"
hosts = ["shop.test", "www.shop.test"]
mode = "prevention"
[site.upstream]
servers = ["127.0.0.1:{up_a}"]

[[site]]
name = "blog"
hosts = ["blog.test"]
mode = "detection"
[site.upstream]
servers = ["127.0.0.1:{dead}"]
"#
    );
    let h = Haetae::run("", &sites, "");
    let req = |host: &str, path: &str| {
        parse(&raw(h.port, format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes()))
    };
    assert_eq!(req("shop.test", "/").status, 200);
    assert_eq!(req("WWW.Shop.Test:8080", "/").status, 200, "host match ignores case and port");
    assert_eq!(req("blog.test", "/").status, 502, "blog goes to its own (dead) upstream");
    assert_eq!(req("shop.test", "/?q=%27%20or%201=1--").status, 403, "shop is in prevention");
    assert_eq!(req("blog.test", "/?q=%27%20or%201=1--").status, 502, "blog only logs, then forwards");
    assert_eq!(req("other.test", "/").status, 421, "no default site: misdirected");
    let m = h.metrics();
    assert!(m.contains("haetae_requests_total{site=\"shop\",status=\"200\"} 2"), "{m}");
    assert!(m.contains("haetae_detections_total{site=\"blog\"} 1"), "{m}");
}

#[test]
fn html_comments_are_stripped_from_pages_of_any_size() {
    let (_o, up) = origin();
    let site = SITE.replace("[site.upstream]", "[site.response]\nstrip_html_comments = true\nmax_buffer = \"64KiB\"\n[site.upstream]");
    let h = Haetae::run("", &site, &format!("127.0.0.1:{up}"));
    let small = get(h.port, "/", &[]);
    assert!(!small.body.contains("<!--") && small.body.contains("Haetae demo site"), "{}", small.body);
    assert_eq!(small.header("content-length").and_then(|v| v.parse::<usize>().ok()), Some(small.raw_body.len()));
    // Larger than any buffer: stripped as it streams (it used to pass
    // untouched past `max_buffer`).
    let big = get(h.port, "/_demo/big?kb=2000", &[]);
    assert_eq!(big.status, 200);
    assert!(!big.body.contains("<!--") && big.body.matches("filler row").count() > 30_000, "{} bytes", big.raw_body.len());
}
