//! Sends a request to a running Haetae and reads the status code.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::ftw::RawRequest;

/// Statuses that mean Haetae stopped the request: 403 is an engine block;
/// the others are its protocol refusals (the demo origin never sends them
/// for these requests).
pub fn is_stop(status: u16) -> bool {
    matches!(status, 400 | 403 | 405 | 411 | 413 | 414 | 431 | 501)
}

pub fn send(addr: SocketAddr, req: &RawRequest, timeout: Duration) -> Result<u16, String> {
    let mut r = req.clone();
    r.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("connection"));
    r.headers.push(("Connection".into(), b"close".to_vec()));
    let mut s = TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    // The server may answer and close before reading the whole body.
    let _ = s.write_all(&r.to_bytes());
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    while !buf.windows(2).any(|w| w == b"\r\n") && buf.len() < 4096 {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(format!("read: {e}")),
        }
    }
    status_of(&buf).ok_or_else(|| if buf.is_empty() { "connection closed without a response".into() } else { "no status line".into() })
}

fn status_of(buf: &[u8]) -> Option<u16> {
    let line = buf.split(|&b| b == b'\n').next()?;
    let mut parts = line.split(|&b| b == b' ');
    let version = parts.next()?;
    if !version.starts_with(b"HTTP/") {
        return None;
    }
    std::str::from_utf8(parts.next()?).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status() {
        assert_eq!(status_of(b"HTTP/1.1 403 Forbidden\r\n"), Some(403));
        assert_eq!(status_of(b"garbage"), None);
        assert!(is_stop(403) && !is_stop(200) && !is_stop(404));
    }
}
