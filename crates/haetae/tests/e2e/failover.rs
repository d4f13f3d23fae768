use std::time::Duration;

use crate::harness::*;

#[test]
fn dead_server_is_skipped_taken_out_and_put_back() {
    let (_a, up_a) = origin();
    let b_port = free_port();
    let site = format!(
        r#"
[[site]]
name = "lb"
hosts = ["*"]
[site.upstream]
servers = ["127.0.0.1:{up_a}", "127.0.0.1:{b_port}"]
balance = "round_robin"
[site.upstream.health]
path = "/"
interval = "200ms"
timeout = "500ms"
fails = 1
passes = 1
"#
    );
    let h = Haetae::run("", &site, "");
    for i in 0..20 {
        assert_eq!(get(h.port, "/", &[]).status, 200, "request {i} fails over to the live server");
    }
    let down = format!("haetae_upstream_up{{site=\"lb\",server=\"127.0.0.1:{b_port}\"}} 0");
    assert!(eventually(Duration::from_secs(5), || h.metrics().contains(&down)), "{}", h.metrics());
    // Bring B up; the health check puts it back.
    let _b = spawn(&["origin", "--listen", &format!("127.0.0.1:{b_port}")], &[b_port]);
    let up = format!("haetae_upstream_up{{site=\"lb\",server=\"127.0.0.1:{b_port}\"}} 1");
    assert!(eventually(Duration::from_secs(5), || h.metrics().contains(&up)), "{}", h.metrics());
    // Now kill A: traffic moves to B.
    drop(_a);
    for i in 0..10 {
        assert_eq!(get(h.port, "/", &[]).status, 200, "after A died, request {i}");
    }
}

#[test]
fn least_conn_and_ip_hash_configs_serve() {
    let (_a, up_a) = origin();
    let (_b, up_b) = origin();
    for balance in ["least_conn", "ip_hash"] {
        let site = format!(
            "[[site]]\nname = \"lb\"\nhosts = [\"*\"]\n[site.upstream]\nservers = [\"127.0.0.1:{up_a}\", \"127.0.0.1:{up_b}\"]\nbalance = \"{balance}\"\n"
        );
        let h = Haetae::run("", &site, "");
        for _ in 0..10 {
            assert_eq!(get(h.port, "/", &[]).status, 200, "{balance}");
        }
    }
}

#[test]
fn slow_upstream_times_out_with_504() {
    let (_o, up) = origin();
    let body = format!("[timeouts]\nupstream_response = \"300ms\"\n{SITE}");
    let h = Haetae::run("", &body, &format!("127.0.0.1:{up}"));
    assert_eq!(get(h.port, "/_demo/slow?ms=2000", &[]).status, 504);
    assert_eq!(get(h.port, "/_demo/slow?ms=10", &[]).status, 200);
}

/// An upstream that keeps each connection alive after its first answer,
/// then closes it when the next request arrives, unanswered: what a server
/// whose keep-alive timeout fires as a reused connection is written to
/// looks like. Counts the connections it accepted.
fn closing_upstream() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let n = accepted.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                if s.read(&mut buf).unwrap_or(0) == 0 {
                    return;
                }
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                // The next request on this connection is read and dropped.
                let _ = s.read(&mut buf);
            });
        }
    });
    (port, accepted)
}

#[test]
fn request_on_a_connection_the_upstream_closed_is_resent_once_when_idempotent() {
    let (up, accepted) = closing_upstream();
    let site = format!("[[site]]\nname = \"s\"\nhosts = [\"*\"]\n[site.upstream]\nservers = [\"127.0.0.1:{up}\"]\n");
    // One worker: idle upstream connections are kept per worker, and the
    // POST must meet the connection the GETs left.
    let h = Haetae::run("workers = 1", &site, "");
    for i in 0..4 {
        let r = get(h.port, "/", &[]);
        assert_eq!(r.status, 200, "GET {i}: the stale connection is replaced, the client never sees it");
        assert_eq!(r.body, "ok");
    }
    // Every GET after the first met a connection that was dropped and was
    // sent again on a new one.
    assert!(accepted.load(std::sync::atomic::Ordering::SeqCst) >= 4);
    let before = accepted.load(std::sync::atomic::Ordering::SeqCst);
    // A POST is not idempotent: met by the same drop, it is not sent
    // again (the application may have acted on it); the client gets 502.
    let r = request(h.port, "POST", "/", &[("Content-Type", "text/plain")], b"x");
    assert_eq!(r.status, 502);
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), before, "no new connection for a resend");
}

#[test]
fn idle_upstream_connections_are_closed_after_upstream_idle() {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let up = l.local_addr().expect("addr").port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut s, _)) = l.accept() else { return };
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf);
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        let t = std::time::Instant::now();
        // Haetae keeps the connection for reuse, then closes it: EOF.
        let n = s.read(&mut buf).unwrap_or(1);
        let _ = tx.send((n, t.elapsed()));
    });
    let site = format!(
        "[timeouts]\nupstream_idle = \"300ms\"\n[[site]]\nname = \"s\"\nhosts = [\"*\"]\n[site.upstream]\nservers = [\"127.0.0.1:{up}\"]\n"
    );
    let h = Haetae::run("", &site, "");
    assert_eq!(get(h.port, "/", &[]).status, 200);
    let (n, after) = rx.recv_timeout(Duration::from_secs(5)).expect("the idle connection is closed within 5 s");
    assert_eq!(n, 0, "closed, not reused");
    assert!(after >= Duration::from_millis(250), "kept for reuse first ({after:?})");
}
