//! Regression tests for the bypasses and faults found by trying Haetae as
//! an attacker and as an unlucky operator would (docs/SECURITY.md): each
//! failed before its fix.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::harness::*;

const SQLI: &str = "q=1%27%20UNION%20SELECT%20password%20FROM%20users--";

fn last_event(h: &Haetae) -> serde_json::Value {
    h.events().as_array().and_then(|a| a.first().cloned()).unwrap_or_default()
}

fn reason(ev: &serde_json::Value) -> String {
    ev["matches"][0]["reason"].as_str().unwrap_or_default().to_owned()
}

/// Past the model's bounds the rest of a request used to be dropped and
/// passed uninspected: 1,024 empty arguments, then an injection, got 200.
#[test]
fn requests_past_the_models_bounds_are_refused_naming_the_limit() {
    let (_o, up) = origin();
    let up = format!("127.0.0.1:{up}");
    let h = Haetae::run("", SITE, &up);
    let query = format!("/search?{}{SQLI}", "a=&".repeat(1024));
    let r = get(h.port, &query, &[]);
    assert_eq!(r.status, 414, "{}", r.head);
    let ev = last_event(&h);
    assert_eq!(ev["action"], "rejected");
    assert!(reason(&ev).contains("limits.max_params = 1024"), "{ev}");

    let form = format!("{}{SQLI}", "a=&".repeat(1024));
    assert_eq!(post_form(h.port, "/echo", &form).status, 413);

    let deep = format!("{}\"1' UNION SELECT password FROM users--\"{}", "[".repeat(65), "]".repeat(65));
    let r = request(h.port, "POST", "/api/items", &[("Content-Type", "application/json")], deep.as_bytes());
    assert_eq!(r.status, 400);
    assert!(reason(&last_event(&h)).contains("limits.max_depth = 64"));

    let cookies: String = (0..257).map(|i| format!("c{i}=1; ")).collect();
    assert_eq!(get(h.port, "/", &[("Cookie", &cookies)]).status, 431);

    let long_name = format!("/search?{}%27%20or%201=1--=1", "x".repeat(1100));
    assert_eq!(get(h.port, &long_name, &[]).status, 400);
    assert!(reason(&last_event(&h)).contains("limits.max_name_bytes"));
    drop(h);

    // A site that needs more raises the limit: the request is then read
    // whole, and the injection at its end is found.
    let h = Haetae::run("", &format!("[limits]\nmax_params = 4096\n{SITE}"), &up);
    assert_eq!(get(h.port, &query, &[]).status, 403);
}

/// A megabyte of padding that makes inspection slow used to exceed the
/// budget and pass with `fail_open = true`; a timeout now blocks, and the
/// big body is inspected off the event loop.
#[test]
fn a_padded_body_that_outlasts_the_budget_is_blocked() {
    let (_o, up) = origin();
    // Just under the 1 MiB inspected by default.
    let mut pad = String::from("pad=");
    while pad.len() < 1_000_000 {
        pad.push_str(")(|(");
    }
    let body = format!("{pad}&{SQLI}");
    let site = format!("[timeouts]\ninspection = \"1ms\"\n{SITE}");
    let h = Haetae::run("", &site, &format!("127.0.0.1:{up}"));
    let r = post_form(h.port, "/echo", &body);
    assert_eq!(r.status, 503, "fail_open = true (the default) must not pass a timeout");
    let ev = last_event(&h);
    assert_eq!(ev["action"], "failed_closed");
    assert_eq!(ev["status"], 503);
    assert!(h.metric("haetae_offloaded_inspections_total") >= 1.0);
    drop(h);
    // Within the default budget the engine reads it all and finds the
    // injection.
    let h = Haetae::run("", SITE, &format!("127.0.0.1:{up}"));
    assert_eq!(post_form(h.port, "/echo", &body).status, 403);
    // Past the inspected prefix a form would reach the application unseen:
    // refused. An upload streams on.
    let big = format!("{pad}{pad}&{SQLI}");
    assert_eq!(post_form(h.port, "/echo", &big).status, 413);
    let upload = format!(
        "--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n{}\r\n--XX--\r\n",
        "0".repeat(2 << 20)
    );
    let r = request(h.port, "POST", "/upload", &[("Content-Type", "multipart/form-data; boundary=XX")], upload.as_bytes());
    assert_eq!(r.status, 200, "{}", r.body);
}

/// An upstream answering with Content-Length and Transfer-Encoding was
/// decoded as chunked but forwarded with its length, and the bytes after
/// it became the next response on the client's connection.
#[test]
fn a_response_with_two_framings_is_refused_and_its_connection_dropped() {
    let (up, _) = scripted(|n| {
        if n == 0 {
            let smuggled = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nINJECTED";
            (smuggled.to_vec(), false)
        } else {
            (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec(), false)
        }
    });
    let h = Haetae::run("", &SITE.replace("[site.upstream]", "[site.upstream]\nmax_fails = 100"), &format!("127.0.0.1:{up}"));
    let mut c = TcpStream::connect(("127.0.0.1", h.port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(b"GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let first = read_response(&mut c).expect("a response");
    assert_eq!(first.status, 502, "{first:?}");
    c.write_all(b"GET /b HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let second = read_response(&mut c).expect("a second response");
    assert_eq!(second.status, 200);
    assert_eq!(second.body, "ok", "the injected response must never reach a client");
}

/// `Upgrade: h2c` reached the upstream, and after a 101 the socket was
/// spliced uninspected.
#[test]
fn only_allowed_upgrades_are_passed_on() {
    let (_o, up) = origin();
    let h = Haetae::run("", SITE, &format!("127.0.0.1:{up}"));
    for proto in ["h2c", "foo"] {
        let r =
            get(h.port, "/_demo/request", &[("Upgrade", proto), ("HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA"), ("Connection", "Upgrade")]);
        assert_eq!(r.status, 200, "{proto}");
        let seen: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        let headers = seen["headers"].as_object().unwrap();
        assert!(!headers.contains_key("upgrade") && !headers.contains_key("http2-settings"), "{proto}: {seen}");
    }
    assert!(h.metric("haetae_upgrades_refused_total") >= 2.0);
    drop(h);
    // An upstream that switches protocols for a request that asked for
    // nothing (or for something else) is refused.
    let (up, _) = scripted(|_| (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n".to_vec(), false));
    let h = Haetae::run("", SITE, &format!("127.0.0.1:{up}"));
    assert_eq!(get(h.port, "/", &[]).status, 502);
    let r = get(h.port, "/", &[("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13")]);
    assert_eq!(r.status, 502, "101 to h2c for a websocket upgrade");
}

/// A client that never read its response held its connection and an
/// upstream connection forever; so did a body trickled past the
/// inspected prefix.
#[test]
fn stalled_transfers_are_cut_off() {
    let (_o, up) = origin();
    let site = format!("[timeouts]\nclient_send = \"1s\"\nbody_idle = \"1s\"\n{SITE}");
    let h = Haetae::run("", &site, &format!("127.0.0.1:{up}"));
    let inflight = |h: &Haetae| h.metric("haetae_upstream_inflight");
    // 100 MB asked for, none of it read.
    let mut c = TcpStream::connect(("127.0.0.1", h.port)).unwrap();
    c.write_all(b"GET /_demo/stream?n=100000 HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    assert!(eventually(Duration::from_secs(3), || inflight(&h) >= 1.0), "the response is streaming");
    assert!(eventually(Duration::from_secs(10), || inflight(&h) == 0.0), "the upstream is released once the client stalls");
    drop(c);

    // 1.5 MiB of a 4 MiB body, then silence.
    let mut c = TcpStream::connect(("127.0.0.1", h.port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: 4194304\r\n\r\n")
        .unwrap();
    c.write_all(&vec![b'a'; 1536 * 1024]).unwrap();
    let t = Instant::now();
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    assert!(t.elapsed() < Duration::from_secs(8), "the trickled body was given up on ({:?})", t.elapsed());
    assert!(eventually(Duration::from_secs(5), || inflight(&h) == 0.0));
}

fn pem_pair() -> (String, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    (ck.cert.pem(), ck.signing_key.serialize_pem())
}

/// A key that does not belong to its certificate loaded fine and failed
/// every handshake, silently; `check`, `run` and reload now refuse it.
#[test]
fn a_mismatched_tls_key_is_refused_everywhere() {
    let (_o, up) = origin();
    let dir = TempDir::new("tls-mismatch");
    let (cert_a, key_a) = pem_pair();
    let (_, key_b) = pem_pair();
    std::fs::write(dir.path("a.crt"), &cert_a).unwrap();
    std::fs::write(dir.path("a.key"), &key_a).unwrap();
    std::fs::write(dir.path("b.key"), &key_b).unwrap();
    let tls_port = free_port();
    let cfg = |key: &str| {
        format!(
            "[server]\nlisten = [\"127.0.0.1:{}\"]\ntls_listen = [\"127.0.0.1:{tls_port}\"]\nadmin = \"127.0.0.1:{}\"\n\n[[site]]\nname = \"s\"\nhosts = [\"*\"]\n[site.tls]\ncert = \"a.crt\"\nkey = \"{key}\"\n[site.upstream]\nservers = [\"127.0.0.1:{up}\"]\n",
            free_port(),
            free_port()
        )
    };
    let path = dir.path("haetae.toml");
    std::fs::write(&path, cfg("b.key")).unwrap();
    let out = std::process::Command::new(bin()).args(["check", "--config", path.to_str().unwrap()]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "check must fail: {err}");
    assert!(err.contains("haetae.toml:11:7") && err.contains("does not belong"), "{err}");
    let out = std::process::Command::new(bin()).args(["run", "--config", path.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not belong"));

    // Running with the right key, a reload to the wrong one is refused.
    let cfg_ok = cfg("a.key");
    let admin: u16 = cfg_ok.split("admin = \"127.0.0.1:").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    std::fs::write(&path, &cfg_ok).unwrap();
    let _p = spawn(&["run", "--config", path.to_str().unwrap()], &[tls_port, admin]);
    let wrong = cfg_ok.replace("key = \"a.key\"", "key = \"b.key\"");
    let tmp = dir.path("tmp.toml");
    std::fs::write(&tmp, wrong).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    let r = request(admin, "POST", "/reload", &[], b"");
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("does not belong"), "{}", r.body);
}

/// With the disk full, log lines ended half-written and the next record
/// was glued to them; lost records were not counted.
#[test]
fn a_full_disk_never_leaves_a_partial_log_line_and_counts_each_lost_event() {
    let (_o, up) = origin();
    let site = format!("[events]\nfile = \"{{DIR}}/events.jsonl\"\n{SITE}");
    // RLIMIT_FSIZE makes writes past 48 KiB fail the way a full disk does
    // (a short write, then an error).
    let h = Haetae::run_limited("", &site, &format!("127.0.0.1:{up}"), &[(libc::RLIMIT_FSIZE, 48 * 1024)]);
    let file = h.dir.path("events.jsonl");
    let check = |h: &Haetae| -> (usize, f64, f64) {
        let text = std::fs::read(&file).unwrap_or_default();
        assert!(text.is_empty() || text.ends_with(b"\n"), "the file ends on a whole line");
        let lines = text.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect::<Vec<_>>();
        for l in &lines {
            serde_json::from_slice::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(l)));
        }
        (lines.len(), h.metric("haetae_events_recorded_total"), h.metric("haetae_events_dropped_total"))
    };
    for i in 0..300 {
        let r = get(h.port, &format!("/search?q=%27%20or%20{i}=1--"), &[]);
        assert_eq!(r.status, 403, "{i}: {r:?}\n{}", h.proc.log_text());
    }
    let balanced = |h: &Haetae| {
        let (lines, recorded, dropped) = check(h);
        lines as f64 + dropped == recorded && recorded > 0.0
    };
    assert!(eventually(Duration::from_secs(5), || balanced(&h)), "{:?}", check(&h));
    let (lines, _, dropped) = check(&h);
    assert!(dropped > 0.0 && lines > 0, "the limit was reached: {lines} lines, {dropped} dropped");
    assert!(h.metric("haetae_events_write_errors_total") > 0.0);
    // Space returns.
    let unlimited = libc::rlimit { rlim_cur: libc::RLIM_INFINITY, rlim_max: libc::RLIM_INFINITY };
    // SAFETY: prlimit on the child we started, with a valid struct.
    let rc = unsafe { libc::prlimit(h.proc.pid() as libc::pid_t, libc::RLIMIT_FSIZE, &unlimited, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
    for i in 0..20 {
        assert_eq!(get(h.port, &format!("/search?q=%27%20or%20{i}=2--"), &[]).status, 403);
    }
    assert!(eventually(Duration::from_secs(5), || balanced(&h) && check(&h).0 == lines + 20), "{:?}", check(&h));
}

/// Out of file descriptors, accept errors turned into upstream connect
/// errors: clients got 502, the upstream was marked down, the admin API
/// stopped answering.
#[test]
fn running_out_of_file_descriptors_is_not_an_upstream_failure() {
    let (_o, up) = origin();
    let site = format!("[timeouts]\nclient_header = \"30s\"\n{SITE}");
    let h = Haetae::run_limited("", &site, &format!("127.0.0.1:{up}"), &[(libc::RLIMIT_NOFILE, 64)]);
    assert_eq!(get(h.port, "/", &[]).status, 200);
    // Idle connections until the process has no descriptor left.
    let mut held = Vec::new();
    let t = Instant::now();
    while h.metric("haetae_accept_errors_total") == 0.0 && t.elapsed() < Duration::from_secs(15) {
        for _ in 0..8 {
            if let Ok(c) = TcpStream::connect(("127.0.0.1", h.port)) {
                held.push(c);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        h.metric("haetae_accept_errors_total") > 0.0,
        "the limit was reached with {} connections: {}\n{}",
        held.len(),
        h.metrics(),
        h.proc.log_text()
    );
    // The admin API still answers (its reserved descriptor).
    let m = h.metrics();
    assert!(m.contains("haetae_upstream_up{site=\"demo\""), "{m}");
    assert!(m.contains("haetae_upstream_up{site=\"demo\",server=\"127.0.0.1:") && m.contains("\"} 1\n"), "still up: {m}");
    assert_eq!(h.metric("haetae_upstream_errors_total{site=\"demo\"}"), 0.0);
    drop(held);
    // Room is made (idle connections shed): requests are served again.
    assert!(eventually(Duration::from_secs(10), || get(h.port, "/", &[]).status == 200));
    assert_eq!(h.metric("haetae_upstream_errors_total{site=\"demo\"}"), 0.0);
}

#[test]
fn ambiguous_framing_and_targets_are_refused_and_the_connection_closed() {
    let (_o, up) = origin();
    let h = Haetae::run("", SITE, &format!("127.0.0.1:{up}"));
    let next = "GET /search?q=pipelined HTTP/1.1\r\nHost: localhost\r\n\r\n";
    for (what, head, want) in [
        ("chunked twice in one header", "Transfer-Encoding: chunked, chunked\r\n", 400),
        ("chunked in two headers", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 400),
        ("a coding before chunked", "Transfer-Encoding: gzip, chunked\r\n", 501),
    ] {
        let req = format!("POST /echo HTTP/1.1\r\nHost: localhost\r\n{head}\r\n3\r\nabc\r\n0\r\n\r\n{next}");
        let out = String::from_utf8_lossy(&raw(h.port, req.as_bytes())).into_owned();
        assert_eq!(parse(out.as_bytes()).status, want, "{what}: {out}");
        assert_eq!(out.matches("HTTP/1.1 ").count(), 1, "{what}: nothing after the refusal is served: {out}");
    }
    let out = raw(h.port, b"GET abc HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(parse(&out).status, 400, "a target that is not a path");
    // A chunk declaring 2^64-1 bytes is refused at once, not after the
    // body timeout.
    let mut c = TcpStream::connect(("127.0.0.1", h.port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc").unwrap();
    let t = Instant::now();
    let r = read_response(&mut c).expect("a response");
    assert_eq!(r.status, 400);
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

/// An upstream that died mid-response was logged as a 200 with no
/// upstream error counted.
#[test]
fn an_upstream_dying_mid_response_is_counted() {
    let (up, _) = scripted(|_| {
        let mut b = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".to_vec();
        b.extend_from_slice(&[b'x'; 40_000]);
        (b, true)
    });
    let site = format!("[access_log]\nfile = \"{{DIR}}/access.jsonl\"\n{SITE}");
    let h = Haetae::run("", &site, &format!("127.0.0.1:{up}"));
    let out = raw(h.port, b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert!(out.len() < 100_000, "the body was cut");
    assert!(eventually(Duration::from_secs(5), || h.metric("haetae_upstream_errors_total{site=\"demo\"}") >= 1.0));
}

#[test]
fn check_refuses_what_run_would_refuse() {
    let (_o, up) = origin();
    let dir = TempDir::new("check");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let run_check = |cfg: String| {
        let path = dir.path("haetae.toml");
        std::fs::write(&path, cfg).unwrap();
        let out = std::process::Command::new(bin()).args(["check", "--config", path.to_str().unwrap()]).output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let body = SITE.replace("{UP}", &format!("127.0.0.1:{up}"));
    let admin = free_port();
    let (ok, err) = run_check(format!("[server]\nlisten = [\"127.0.0.1:{port}\"]\nadmin = \"127.0.0.1:{admin}\"\n{body}"));
    assert!(!ok && err.contains(&format!("cannot listen on 127.0.0.1:{port}")), "{err}");
    let (ok, err) = run_check(format!(
        "[server]\nlisten = [\"127.0.0.1:{}\"]\nadmin = \"127.0.0.1:{admin}\"\n[events]\nfile = \"/proc/haetae-nowhere/events.jsonl\"\n{body}",
        free_port()
    ));
    assert!(!ok && err.contains("events file /proc/haetae-nowhere/events.jsonl"), "{err}");
    let (ok, err) = run_check(format!("[server]\nlisten = [\"127.0.0.1:{}\"]\nadmin = \"127.0.0.1:{admin}\"\n{body}", free_port()));
    assert!(ok, "{err}");
    drop(taken);
}
