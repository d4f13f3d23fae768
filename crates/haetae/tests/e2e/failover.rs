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
