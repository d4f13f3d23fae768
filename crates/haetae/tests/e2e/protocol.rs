use crate::harness::*;

fn status_of(port: u16, bytes: &[u8]) -> u16 {
    parse(&raw(port, bytes)).status
}

#[test]
fn malformed_and_oversized_requests_get_the_right_4xx() {
    let (_o, up) = origin();
    let site = format!(
        "[limits]\nmax_uri_bytes = 1024\nmax_header_count = 20\nmax_body_bytes = \"64KiB\"\ninspect_body_bytes = \"16KiB\"\n{SITE}"
    );
    let h = Haetae::run("", &site, &format!("127.0.0.1:{up}"));
    let p = h.port;
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("garbage request line", b"HELLO\r\n\r\n".to_vec(), 400),
        ("bad header syntax", b"GET / HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n".to_vec(), 400),
        ("no Host", b"GET / HTTP/1.1\r\n\r\n".to_vec(), 400),
        ("two Hosts", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".to_vec(), 400),
        ("TE that is not chunked", b"POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\nabc".to_vec(), 400),
        ("TE in HTTP/1.0", b"POST /echo HTTP/1.0\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(), 400),
        (
            "two different Content-Lengths",
            b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".to_vec(),
            400,
        ),
        (
            "invalid chunk size",
            b"POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n".to_vec(),
            400,
        ),
        ("URI too long", format!("GET /{} HTTP/1.1\r\nHost: localhost\r\n\r\n", "a".repeat(2000)).into_bytes(), 414),
        (
            "too many headers",
            format!("GET / HTTP/1.1\r\nHost: localhost\r\n{}\r\n", (0..30).map(|i| format!("X-H{i}: v\r\n")).collect::<String>())
                .into_bytes(),
            431,
        ),
        ("body too large", format!("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n", 100_000).into_bytes(), 413),
        ("TRACE", b"TRACE / HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec(), 405),
        ("bad Host", b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n".to_vec(), 400),
    ];
    for (what, bytes, want) in cases {
        assert_eq!(status_of(p, &bytes), want, "{what}");
    }
    // Each refusal is an event, and the proxy is still alive and serving.
    let ev = h.events();
    assert!(ev.as_array().unwrap().len() >= 10, "{ev}");
    assert!(ev.as_array().unwrap().iter().all(|e| e["action"] == "rejected"));
    assert_eq!(get(p, "/", &[]).status, 200);
}

#[test]
fn content_length_with_transfer_encoding_cannot_desync_the_upstream() {
    // RFC 9112 6.3: Transfer-Encoding wins and Content-Length is dropped
    // (hyper does this before the service sees the request). Haetae then
    // frames the request itself toward the upstream, so front and back can
    // never disagree about where a request ends: the CL.TE smuggling shape
    // reaches the upstream as one request with an empty body, and the
    // connection is closed after it, so the "smuggled" bytes are never
    // read as a request at all.
    let (_o, up) = origin();
    let h = Haetae::run("", SITE, &format!("127.0.0.1:{up}"));
    let req = b"POST /_demo/request HTTP/1.1\r\nHost: localhost\r\nContent-Length: 30\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nXPOST /admin HTTP/1.1\r\n\r\n";
    let out = String::from_utf8_lossy(&raw(h.port, req)).into_owned();
    let first = parse(out.as_bytes());
    assert_eq!(first.status, 200, "{out}");
    let json_start = first.body.find('{').unwrap();
    let json_end = first.body.find("}}").map(|e| e + 2).unwrap_or(first.body.len());
    let seen: serde_json::Value = serde_json::from_str(&first.body[json_start..json_end.min(first.body.len())])
        .or_else(|_| serde_json::from_str(&first.body[json_start..]))
        .unwrap_or_default();
    assert_eq!(seen["body_len"], 0, "{out}");
    assert!(!(seen["headers"].get("content-length").is_some() && seen["headers"].get("transfer-encoding").is_some()), "{out}");
    assert_eq!(out.matches("HTTP/1.1 ").count(), 1, "the smuggled tail is not served: {out}");
    assert_eq!(first.header("connection").as_deref(), Some("close"), "{out}");
}

#[test]
fn a_slow_client_is_cut_off() {
    let (_o, up) = origin();
    let body = format!("[timeouts]\nclient_header = \"500ms\"\n{SITE}");
    let h = Haetae::run("", &body, &format!("127.0.0.1:{up}"));
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", h.port)).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: local").unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    let t = std::time::Instant::now();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(t.elapsed() < std::time::Duration::from_secs(3), "slow-loris connection must be closed");
    // A connection that sends nothing at all is closed too.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", h.port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    let t = std::time::Instant::now();
    let _ = s.read_to_end(&mut buf);
    assert!(t.elapsed() < std::time::Duration::from_secs(3), "silent connection must be closed");
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    use std::io::{BufRead, BufReader, Read, Write};
    let (_o, up) = origin();
    let h = Haetae::run("", SITE, &format!("127.0.0.1:{up}"));
    let mut s = std::net::TcpStream::connect(("127.0.0.1", h.port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    for i in 0..20 {
        // Benign and attack requests alternate on the same connection.
        let path = if i % 2 == 0 { "/search?q=ok".to_owned() } else { "/search?q=%27%20or%201=1--".to_owned() };
        write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
        let mut status = String::new();
        r.read_line(&mut status).unwrap();
        let mut len = 0usize;
        loop {
            let mut l = String::new();
            r.read_line(&mut l).unwrap();
            if l == "\r\n" {
                break;
            }
            if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        r.read_exact(&mut body).unwrap();
        let want = if i % 2 == 0 { "200" } else { "403" };
        assert!(status.contains(want), "request {i}: {status}");
    }
    assert!(h.metrics().contains("haetae_connections_total 1\n") || h.metrics().contains("haetae_connections_total 2\n"));
}
