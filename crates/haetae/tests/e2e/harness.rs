//! Starts the real `haetae` binary on loopback ports and talks to it with
//! plain sockets, so tests see exactly what a client would.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The binary under test; `HAETAE_BIN` runs the suite against another
/// build (e.g. an older one, to see a regression test fail before its fix).
pub fn bin() -> String {
    std::env::var("HAETAE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_haetae").to_owned())
}

/// A port nobody listens on right now, and never handed out before in this
/// test run: the kernel may give the same ephemeral port to two `bind(0)`
/// calls once the first socket is closed, and a test that asks for a
/// listener port and an admin port would then get one port twice.
pub fn free_port() -> u16 {
    use std::collections::HashSet;
    use std::sync::Mutex;
    static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    loop {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("bind an ephemeral port");
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if given.get_or_insert_with(HashSet::new).insert(port) {
            return port;
        }
    }
}

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!("haetae-e2e-{tag}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        std::fs::create_dir_all(&p).expect("temp dir");
        Self(p)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Proc {
    pub child: Child,
    pub log: PathBuf,
    _dir: Option<TempDir>,
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill").args([&format!("-{sig}"), &self.pid().to_string()]).status();
    }
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.signal("TERM");
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(5) {
            if !self.alive() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn spawn(args: &[&str], wait_for: &[u16]) -> Proc {
    spawn_limited(args, wait_for, &[])
}

/// As [`spawn`], with resource limits (`RLIMIT_*`, soft value; the hard
/// limit is left) set for the child, and `SIGXFSZ` ignored so a file
/// limit fails writes instead of killing the process — the way a full
/// disk does.
pub fn spawn_limited(args: &[&str], wait_for: &[u16], limits: &[(libc::__rlimit_resource_t, u64)]) -> Proc {
    use std::os::unix::process::CommandExt;
    let dir = TempDir::new("log");
    let log = dir.path("stderr.log");
    let f = std::fs::File::create(&log).expect("log file");
    let mut cmd = Command::new(bin());
    cmd.args(args).env("HAETAE_LOG", "info").stdin(Stdio::null()).stdout(f.try_clone().expect("dup")).stderr(f);
    let limits = limits.to_vec();
    if !limits.is_empty() {
        // SAFETY: only async-signal-safe calls (getrlimit, setrlimit,
        // signal) between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                for (res, soft) in &limits {
                    let mut cur = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
                    if libc::getrlimit(*res, &mut cur) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    cur.rlim_cur = *soft;
                    if libc::setrlimit(*res, &cur) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                Ok(())
            });
        }
    }
    let child = cmd.spawn().expect("start haetae");
    let mut p = Proc { child, log, _dir: Some(dir) };
    for port in wait_for {
        if !wait_port(*port, Duration::from_secs(15)) {
            let alive = p.alive();
            panic!("haetae {args:?} did not listen on {port} (alive: {alive}):\n{}", p.log_text());
        }
    }
    p
}

pub fn wait_port(port: u16, max: Duration) -> bool {
    let t = Instant::now();
    while t.elapsed() < max {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// The demo site alone, as an upstream.
pub fn origin() -> (Proc, u16) {
    let port = free_port();
    let p = spawn(&["origin", "--listen", &format!("127.0.0.1:{port}")], &[port]);
    (p, port)
}

pub struct Haetae {
    pub proc: Proc,
    pub port: u16,
    pub admin: u16,
    pub dir: TempDir,
}

impl Haetae {
    /// Runs `haetae run` with `body` (the config after its [server] table;
    /// `{UP}` is replaced by `upstream`).
    pub fn run(server_extra: &str, body: &str, upstream: &str) -> Self {
        Self::run_limited(server_extra, body, upstream, &[])
    }

    /// As [`Haetae::run`], under resource limits (see [`spawn_limited`]).
    pub fn run_limited(server_extra: &str, body: &str, upstream: &str, limits: &[(libc::__rlimit_resource_t, u64)]) -> Self {
        let port = free_port();
        let admin = free_port();
        let dir = TempDir::new("cfg");
        let cfg = config_text(port, admin, server_extra, body, upstream, &dir.0);
        let path = dir.path("haetae.toml");
        std::fs::write(&path, cfg).expect("write config");
        let proc = spawn_limited(&["run", "--config", path.to_str().expect("utf-8 path")], &[port, admin], limits);
        Self { proc, port, admin, dir }
    }

    /// A metric's value (the first line starting with `name`).
    pub fn metric(&self, name: &str) -> f64 {
        let m = self.metrics();
        m.lines().find(|l| l.starts_with(name)).and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse().ok()).unwrap_or(0.0)
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path("haetae.toml")
    }

    pub fn rewrite(&self, server_extra: &str, body: &str, upstream: &str) {
        let cfg = config_text(self.port, self.admin, server_extra, body, upstream, &self.dir.0);
        let tmp = self.dir.path("haetae.toml.tmp");
        std::fs::write(&tmp, cfg).expect("write");
        std::fs::rename(&tmp, self.config_path()).expect("rename");
    }

    pub fn events(&self) -> serde_json::Value {
        let r = get(self.admin, "/events?limit=1000", &[]);
        serde_json::from_str(&r.body).expect("events JSON")
    }

    pub fn metrics(&self) -> String {
        get(self.admin, "/metrics", &[]).body
    }
}

fn config_text(port: u16, admin: u16, server_extra: &str, body: &str, upstream: &str, dir: &Path) -> String {
    // Two workers unless the test says otherwise.
    let workers = if server_extra.contains("workers") { "" } else { "workers = 2\n" };
    format!(
        "[server]\nlisten = [\"127.0.0.1:{port}\"]\nadmin = \"127.0.0.1:{admin}\"\n{workers}{server_extra}\n{}",
        body.replace("{UP}", upstream).replace("{DIR}", &dir.to_string_lossy())
    )
}

pub const SITE: &str = r#"
[[site]]
name = "demo"
hosts = ["*"]
mode = "prevention"
[site.upstream]
servers = ["{UP}"]
"#;

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub head: String,
    pub body: String,
    pub raw_body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

/// Sends raw bytes, reads until the server closes (or 10 s).
pub fn raw(port: u16, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

pub fn parse(raw: &[u8]) -> Resp {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = if split + 4 <= raw.len() { raw[split + 4..].to_vec() } else { Vec::new() };
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    Resp { status, head, body: String::from_utf8_lossy(&body).into_owned(), raw_body: body }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else { return out };
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        if start + size > b.len() {
            out.extend_from_slice(&b[start..]);
            return out;
        }
        out.extend_from_slice(&b[start..start + size]);
        b = &b[(start + size + 2).min(b.len())..];
    }
}

pub fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    parse(&raw(port, &bytes))
}

pub fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> Resp {
    request(port, "GET", path, headers, b"")
}

pub fn post_form(port: u16, path: &str, body: &str) -> Resp {
    request(port, "POST", path, &[("Content-Type", "application/x-www-form-urlencoded")], body.as_bytes())
}

/// Polls `f` until it returns true or `max` passes.
pub fn eventually(max: Duration, mut f: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < max {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// `../shared` (data shared with CI), found from the crate upwards.
pub fn shared_dir() -> Option<PathBuf> {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let s = dir.join("shared");
        if s.join("crs").is_dir() {
            return Some(s);
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// A scripted upstream on loopback: for each request it reads (head, and a
/// Content-Length body), it writes `reply(n)` for the n-th request seen
/// (counted across connections), and closes when `reply` says so.
pub fn scripted(reply: impl Fn(usize) -> (Vec<u8>, bool) + Send + Sync + 'static) -> (u16, std::sync::Arc<AtomicU32>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let seen = std::sync::Arc::new(AtomicU32::new(0));
    let count = seen.clone();
    let reply = std::sync::Arc::new(reply);
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let (count, reply) = (count.clone(), reply.clone());
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
                let mut buf = Vec::new();
                loop {
                    let Some(end) = read_head(&mut s, &mut buf) else { return };
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let len: usize =
                        head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
                    while buf.len() < end + len {
                        let mut chunk = [0u8; 8192];
                        match s.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buf.drain(..end + len);
                    let n = count.fetch_add(1, Ordering::SeqCst) as usize;
                    let (bytes, close) = reply(n);
                    if s.write_all(&bytes).is_err() || close {
                        return;
                    }
                }
            });
        }
    });
    (port, seen)
}

fn read_head(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<usize> {
    loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Some(p + 4);
        }
        let mut chunk = [0u8; 8192];
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Reads one response from a keep-alive connection (Content-Length or
/// chunked framing), or what arrived before the peer closed.
pub fn read_response(s: &mut TcpStream) -> Option<Resp> {
    let mut buf = Vec::new();
    let end = read_head(s, &mut buf)?;
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    if let Some(len) = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse::<usize>().ok()) {
        while buf.len() < end + len {
            let mut chunk = [0u8; 8192];
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.truncate(end + len);
    } else if head.contains("transfer-encoding: chunked") {
        while !buf[end..].windows(5).any(|w| w == b"0\r\n\r\n") {
            let mut chunk = [0u8; 8192];
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }
    Some(parse(&buf))
}
