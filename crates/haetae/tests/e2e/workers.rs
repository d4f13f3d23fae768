use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::harness::*;

fn worker_connections(metrics: &str, w: usize) -> u64 {
    let key = format!("haetae_worker_connections{{worker=\"{w}\"}} ");
    metrics.lines().find_map(|l| l.strip_prefix(&key)).and_then(|v| v.trim().parse().ok()).unwrap_or(u64::MAX)
}

/// Two workers (the harness config): keep-alive connections are served by
/// both, `/metrics` counts them per worker, and a closed connection leaves
/// its worker's count. (Which worker steps back from accepting is unit
/// tested in metrics.rs.)
#[test]
fn workers_share_connections() {
    let (_o, up) = origin();
    let site = "[[site]]\nname = \"w\"\nhosts = [\"*\"]\n[site.upstream]\nservers = [\"{UP}\"]\n";
    let h = Haetae::run("", site, &format!("127.0.0.1:{up}"));
    let mut conns = Vec::new();
    for i in 0..8 {
        let mut s = TcpStream::connect(("127.0.0.1", h.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
        s.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").expect("write");
        let mut buf = [0u8; 12];
        s.read_exact(&mut buf).expect("read");
        assert_eq!(&buf, b"HTTP/1.1 200", "connection {i}");
        conns.push(s);
    }
    let m = h.metrics();
    let (a, b) = (worker_connections(&m, 0), worker_connections(&m, 1));
    assert_eq!(a + b, 8, "{m}");
    assert!(a >= 2 && b >= 2, "connections spread over both workers: {a} and {b}");
    drop(conns);
    assert!(eventually(Duration::from_secs(5), || {
        let m = h.metrics();
        worker_connections(&m, 0) == 0 && worker_connections(&m, 1) == 0
    }));
}
