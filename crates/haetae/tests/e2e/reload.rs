use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::harness::*;

/// Background clients that count every request that did not get a 200.
struct Load {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    fn start(port: u16, n: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let threads = (0..n)
            .map(|_| {
                let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let r = get(port, "/search?q=hello", &[]);
                        if r.status == 200 {
                            ok.fetch_add(1, Ordering::Relaxed);
                        } else {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        Self { stop, ok, failed, threads }
    }

    fn finish(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
        (self.ok.load(Ordering::Relaxed), self.failed.load(Ordering::Relaxed))
    }
}

const ATTACK: &str = "/search?q=%27%20or%201=1--";

#[test]
fn reload_under_load_drops_nothing_and_rejects_broken_configs() {
    let (_o, up) = origin();
    let upstream = format!("127.0.0.1:{up}");
    let h = Haetae::run("", SITE, &upstream);
    assert_eq!(get(h.port, ATTACK, &[]).status, 403);
    let load = Load::start(h.port, 3);
    std::thread::sleep(Duration::from_millis(300));

    // File change → picked up by the watcher.
    h.rewrite("", &SITE.replace("prevention", "detection"), &upstream);
    assert!(eventually(Duration::from_secs(5), || get(h.port, ATTACK, &[]).status == 200), "detection mode after reload");

    // A broken config is refused; the running one keeps serving.
    std::fs::write(h.config_path(), "[[site]]\nname = 1\n").unwrap();
    assert!(eventually(Duration::from_secs(5), || h.metrics().contains("haetae_config_reloads_total{result=\"failed\"} 1")));
    assert_eq!(get(h.port, ATTACK, &[]).status, 200, "still the previous (detection) config");
    assert!(h.proc.log_text().contains("haetae.toml:2:8:"), "the error names file:line:col:\n{}", h.proc.log_text());

    // SIGHUP with a good file.
    h.rewrite("watch_config = false", SITE, &upstream);
    h.proc.signal("HUP");
    assert!(eventually(Duration::from_secs(5), || get(h.port, ATTACK, &[]).status == 403), "prevention again after SIGHUP");
    std::thread::sleep(Duration::from_millis(300));
    let (ok, failed) = load.finish();
    assert!(ok > 50, "load ran ({ok} requests)");
    assert_eq!(failed, 0, "no request failed during reloads ({ok} ok)");
}

#[test]
fn binary_upgrade_hands_over_the_sockets() {
    let (_o, up) = origin();
    let mut h = Haetae::run("", SITE, &format!("127.0.0.1:{up}"));
    let old_pid = h.proc.pid();
    let load = Load::start(h.port, 2);
    std::thread::sleep(Duration::from_millis(300));
    h.proc.signal("USR2");
    assert!(eventually(Duration::from_secs(10), || !h.proc.alive()), "old process drained and exited:\n{}", h.proc.log_text());
    let health = get(h.admin, "/healthz", &[]).body;
    let new_pid: u32 = health.trim().strip_prefix("ok pid=").and_then(|p| p.parse().ok()).expect("new process answers /healthz");
    assert_ne!(new_pid, old_pid);
    std::thread::sleep(Duration::from_millis(300));
    let (ok, failed) = load.finish();
    let _ = std::process::Command::new("kill").args(["-TERM", &new_pid.to_string()]).status();
    assert!(ok > 20, "load ran ({ok})");
    assert_eq!(failed, 0, "no connection refused or dropped across the upgrade ({ok} ok)");
    assert!(
        eventually(Duration::from_secs(10), || std::net::TcpStream::connect(("127.0.0.1", h.port)).is_err()),
        "the new process was stopped at the end (alive: {}):\n{}",
        std::path::Path::new(&format!("/proc/{new_pid}")).exists(),
        h.proc.log_text()
    );
}

#[test]
fn reload_through_the_admin_api() {
    let (_o, up) = origin();
    let upstream = format!("127.0.0.1:{up}");
    let h = Haetae::run("watch_config = false", SITE, &upstream);
    assert_eq!(get(h.port, ATTACK, &[]).status, 403);
    h.rewrite("watch_config = false", &SITE.replace("prevention", "detection"), &upstream);
    let r = request(h.admin, "POST", "/reload", &[], b"");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(get(h.port, ATTACK, &[]).status, 200, "detection mode after POST /reload");
    std::fs::write(h.config_path(), "[[site]]\nname = 1\n").unwrap();
    let r = request(h.admin, "POST", "/reload", &[], b"");
    assert_eq!(r.status, 422);
    assert!(r.body.contains("haetae.toml:2:8:"), "the refusal names file:line:col: {}", r.body);
    assert_eq!(get(h.port, ATTACK, &[]).status, 200, "the previous config keeps serving");
}
