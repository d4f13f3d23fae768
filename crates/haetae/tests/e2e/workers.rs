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

/// Each thread of the process and the CPUs it may run on
/// (`Cpus_allowed_list` from /proc).
fn thread_cpus(pid: u32) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).expect("tasks").flatten() {
        let name = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default().trim().to_owned();
        let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
        let cpus = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).unwrap_or("").trim().to_owned();
        out.push((name, cpus));
    }
    out
}

fn allowed_cpus_of_this_process() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    let list = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).unwrap_or("").trim().to_owned();
    list.split(',')
        .map(|r| match r.split_once('-') {
            Some((a, b)) => b.parse::<usize>().unwrap_or(0) + 1 - a.parse::<usize>().unwrap_or(0),
            None => 1,
        })
        .sum()
}

/// `cpu_affinity = "auto"` (the default) pins the two workers to a CPU
/// each; `"off"` leaves them to the kernel.
#[test]
fn workers_are_pinned_to_a_cpu_each_unless_turned_off() {
    if allowed_cpus_of_this_process() < 2 {
        eprintln!("skipped: fewer than two CPUs");
        return;
    }
    let (_o, up) = origin();
    let site = "[[site]]\nname = \"w\"\nhosts = [\"*\"]\n[site.upstream]\nservers = [\"{UP}\"]\n";
    let h = Haetae::run("", site, &format!("127.0.0.1:{up}"));
    // The listening ports open before the workers start: wait for them.
    let cpus_of = |pid: u32, name: &str| thread_cpus(pid).into_iter().find(|(n, _)| n == name).map(|(_, c)| c);
    let single = |c: &Option<String>| c.as_ref().is_some_and(|c| !c.contains([',', '-']));
    assert!(
        eventually(Duration::from_secs(5), || {
            let (main, w1) = (cpus_of(h.proc.pid(), "haetae"), cpus_of(h.proc.pid(), "haetae-worker-1"));
            single(&main) && single(&w1) && main != w1
        }),
        "one CPU each, not the same: {:?}",
        thread_cpus(h.proc.pid())
    );

    let off = Haetae::run("cpu_affinity = \"off\"", site, &format!("127.0.0.1:{up}"));
    assert!(eventually(Duration::from_secs(5), || cpus_of(off.proc.pid(), "haetae-worker-1").is_some()));
    std::thread::sleep(Duration::from_millis(200));
    let w1 = cpus_of(off.proc.pid(), "haetae-worker-1");
    assert!(w1.as_ref().is_some_and(|c| c.contains([',', '-'])), "not pinned: {w1:?}");
}
