#![no_main]
//! Arbitrary upstream response bytes through the real forwarding path (a
//! Haetae proxy in this process, a loopback upstream that answers with the
//! input and closes): whatever the upstream sends, the client must get one
//! well-framed response and nothing after it — no response of the
//! upstream's smuggled into the client's stream.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;

static REPLY: Mutex<Vec<u8>> = Mutex::new(Vec::new());

fn proxy() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let up = TcpListener::bind("127.0.0.1:0").expect("bind upstream");
        let up_addr = up.local_addr().expect("addr");
        std::thread::spawn(move || {
            for s in up.incoming().flatten() {
                let mut s = s;
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut head = Vec::new();
                let mut b = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut b) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&b[..n]),
                    }
                }
                let reply = REPLY.lock().map(|r| r.clone()).unwrap_or_default();
                let _ = s.write_all(&reply);
            }
        });
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
        let text = format!(
            "[server]\nlisten = [\"127.0.0.1:{port}\"]\nadmin = \"127.0.0.1:0\"\nworkers = 1\nwatch_config = false\n\
             [timeouts]\nupstream_response = \"1s\"\nbody_idle = \"1s\"\n\
             [[site]]\nname = \"f\"\nhosts = [\"*\"]\n[site.upstream]\nservers = [\"{up_addr}\"]\nmax_fails = 1000000\n"
        );
        let cfg = haetae_config::parse(&text, std::path::Path::new("fuzz.toml")).expect("config");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = haetae_proxy::build_runtime().expect("runtime");
            let (ready, bound) = tokio::sync::oneshot::channel();
            rt.block_on(async move {
                tokio::spawn(async move {
                    if let Ok(addrs) = bound.await {
                        let _ = tx.send(addrs);
                    }
                });
                let opts = haetae_proxy::Options { config_path: None, ready: Some(ready), stop: None };
                let _ = haetae_proxy::serve(cfg, opts).await;
            });
        });
        rx.recv().expect("proxy started")[0]
    })
}

/// Checks `out` is exactly one HTTP/1.1 response, framed by its headers.
fn well_framed(out: &[u8]) -> Result<(), String> {
    let end = out.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no head")? + 4;
    // Header values may carry opaque bytes (RFC 9110 obs-text); framing
    // headers are ASCII.
    let head = String::from_utf8_lossy(&out[..end]);
    let mut lines = head.split("\r\n");
    let status = lines.next().ok_or("no status line")?;
    if !status.starts_with("HTTP/1.1 ") {
        return Err(format!("status line {status:?}"));
    }
    let code: u16 = status.get(9..12).and_then(|c| c.parse().ok()).ok_or("no status code")?;
    let mut cl = Vec::new();
    let mut te = Vec::new();
    for l in lines.filter(|l| !l.is_empty()) {
        let (n, v) = l.split_once(':').ok_or_else(|| format!("header line {l:?}"))?;
        match n.trim().to_ascii_lowercase().as_str() {
            "content-length" => cl.push(v.trim().to_owned()),
            "transfer-encoding" => te.push(v.trim().to_ascii_lowercase()),
            _ => {}
        }
    }
    if !cl.is_empty() && !te.is_empty() {
        return Err("both Content-Length and Transfer-Encoding".into());
    }
    if cl.len() > 1 {
        return Err("several Content-Length".into());
    }
    let body = &out[end..];
    if code == 101 || code == 204 || code == 304 || (100..200).contains(&code) {
        return if body.is_empty() { Ok(()) } else { Err(format!("{} bytes after a bodiless {code}", body.len())) };
    }
    if let Some(n) = cl.first() {
        let n: usize = n.parse().map_err(|_| format!("Content-Length {n:?}"))?;
        // The body may be cut short (the upstream died); never longer.
        return if body.len() <= n { Ok(()) } else { Err(format!("{} bytes after a {n}-byte body", body.len() - n)) };
    }
    if te.iter().any(|t| t == "chunked") {
        let mut rest = body;
        loop {
            let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else { return Ok(()) }; // cut short
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..eol]).map_err(|_| "chunk size")?.trim(), 16)
                .map_err(|_| "chunk size not hex")?;
            rest = &rest[eol + 2..];
            if size == 0 {
                // Trailers (none expected) then the end.
                return if rest == b"\r\n" || rest.is_empty() { Ok(()) } else { Err(format!("{} bytes after the last chunk", rest.len())) };
            }
            if rest.len() < size + 2 {
                return Ok(()); // cut short
            }
            rest = &rest[size + 2..];
        }
    }
    Ok(()) // close-delimited
}

fuzz_target!(|data: &[u8]| {
    let addr = proxy();
    if let Ok(mut r) = REPLY.lock() {
        *r = data.to_vec();
    }
    let Ok(mut c) = TcpStream::connect(addr) else { return };
    let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = c.write_all(b"GET /x HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n");
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    if out.is_empty() {
        return; // the proxy cut the connection (allowed: no bytes, no desync)
    }
    if let Err(e) = well_framed(&out) {
        panic!("{e}\n--- upstream sent ---\n{}\n--- client got ---\n{}", String::from_utf8_lossy(data), String::from_utf8_lossy(&out));
    }
});
