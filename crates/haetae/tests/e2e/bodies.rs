use crate::harness::*;

fn fnv(b: &[u8]) -> String {
    format!("{:016x}", b.iter().fold(0xcbf29ce484222325u64, |h, x| (h ^ u64::from(*x)).wrapping_mul(0x100000001b3)))
}

#[test]
fn chunked_bodies_both_ways() {
    let (_o, up) = origin();
    let h = Haetae::run("", SITE, &format!("127.0.0.1:{up}"));
    // Chunked request body reaches the upstream intact.
    let req = b"POST /echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    let r = parse(&raw(h.port, req));
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "hello world");
    // An attack split across chunks is still seen.
    let req = b"POST /echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nq=1' or \r\n6\r\n1=1-- \r\n0\r\n\r\n";
    assert_eq!(parse(&raw(h.port, req)).status, 403);
    // A streamed (chunked) response reaches the client whole.
    let r = get(h.port, "/_demo/stream?n=300", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.raw_body.len(), 300 * 1024);
    assert!(r.body.starts_with("chunk 000000") && r.body.contains("chunk 000299"));
}

#[test]
fn large_bodies_stream_past_the_inspection_limit() {
    let (_o, up) = origin();
    let body = format!("[limits]\ninspect_body_bytes = \"64KiB\"\nmax_body_bytes = \"8MiB\"\n{SITE}");
    let h = Haetae::run("", &body, &format!("127.0.0.1:{up}"));
    let big: Vec<u8> = (0..5 * 1024 * 1024u32).map(|i| b"abcdefghij"[(i % 10) as usize]).collect();
    let r = request(h.port, "POST", "/_demo/request", &[("Content-Type", "application/octet-stream")], &big);
    assert_eq!(r.status, 200, "{}", r.body);
    let seen: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(seen["body_len"], big.len());
    assert_eq!(seen["body_sha"], fnv(&big), "body reached the upstream byte for byte");
    // Over max_body_bytes: 413, whether declared or streamed.
    let huge = vec![b'a'; 9 * 1024 * 1024];
    assert_eq!(request(h.port, "POST", "/echo", &[], &huge).status, 413);
    let mut chunked = b"POST /echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..10 {
        chunked.extend_from_slice(format!("{:x}\r\n", 1024 * 1024).as_bytes());
        chunked.extend_from_slice(&vec![b'b'; 1024 * 1024]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let r = parse(&raw(h.port, &chunked));
    assert!(r.status == 413 || r.status == 0, "streamed overflow is refused or cut: {}", r.status);
    // A big response passes through (and the comment filter leaves bodies
    // above its buffer alone).
    let r = get(h.port, "/_demo/big?kb=2048", &[]);
    assert_eq!(r.status, 200);
    assert!(r.raw_body.len() > 2 * 1024 * 1024);
}

#[test]
fn body_overflow_reject_refuses_what_it_cannot_inspect() {
    let (_o, up) = origin();
    let body = format!(
        "[limits]\ninspect_body_bytes = \"16KiB\"\n{}",
        SITE.replace("mode = \"prevention\"", "mode = \"prevention\"\nbody_overflow = \"reject\"")
    );
    let h = Haetae::run("", &body, &format!("127.0.0.1:{up}"));
    assert_eq!(request(h.port, "POST", "/echo", &[], &vec![b'x'; 20 * 1024]).status, 413);
    assert_eq!(request(h.port, "POST", "/echo", &[], &vec![b'x'; 10 * 1024]).status, 200);
}

#[test]
fn multipart_json_and_xml_bodies_are_inspected() {
    let (_o, up) = origin();
    let h = Haetae::run("", SITE, &format!("127.0.0.1:{up}"));
    let mp = "--XB\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n--XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cat.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\u{ff}\u{d8}JFIF\r\n--XB--\r\n";
    let ct = [("Content-Type", "multipart/form-data; boundary=XB")];
    assert_eq!(request(h.port, "POST", "/upload", &ct, mp.as_bytes()).status, 200);
    let evil = mp.replace("cat.jpg", "cat.php");
    assert_eq!(request(h.port, "POST", "/upload", &ct, evil.as_bytes()).status, 403);
    let json = [("Content-Type", "application/json")];
    assert_eq!(request(h.port, "POST", "/api/items", &json, br#"{"items":[{"memo":"fine"}]}"#).status, 201);
    let r = request(h.port, "POST", "/api/items", &json, br#"{"items":[{"memo":"<svg onload=alert(1)>"}]}"#);
    assert_eq!(r.status, 403);
    assert_eq!(h.events()[0]["matches"][0]["location"], "JSON:items[0].memo");
    let xml = [("Content-Type", "application/xml")];
    let xxe = br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#;
    assert_eq!(request(h.port, "POST", "/echo", &xml, xxe).status, 403);
    assert_eq!(request(h.port, "POST", "/echo", &xml, b"<r><name>ok</name></r>").status, 200);
}
