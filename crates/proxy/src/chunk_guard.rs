//! Watches the bytes an HTTP/1 client sends for one thing hyper does not
//! report: the size a chunk declares. hyper accepts any size up to 2⁶⁴−1
//! and then waits for the data, so a request declaring an impossible chunk
//! held its connection until the body timeout. The guard follows the
//! message framing alongside hyper (heads, Content-Length bodies, chunk
//! lines) and raises an [`Alarm`] when a chunk declares more than the
//! body limit; the request is then refused at once.
//!
//! It only ever raises the alarm on a chunk size it parsed for certain;
//! on anything it does not follow (an upgrade, CONNECT, HTTP/2, a head it
//! cannot read) it stops watching, and hyper's own parser decides.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Raised once a chunk declared more than the limit.
#[derive(Default)]
pub struct Alarm {
    raised: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Alarm {
    pub fn raised(&self) -> bool {
        self.raised.load(Ordering::Acquire)
    }

    fn raise(&self) {
        self.raised.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    /// Resolves when the alarm is raised (at once if it already is).
    pub async fn wait(&self) {
        loop {
            let n = self.notify.notified();
            if self.raised() {
                return;
            }
            n.await;
        }
    }
}

/// Longest head the guard follows (hyper's own limit is what the proxy
/// configures; past this the guard stops watching).
const MAX_HEAD: usize = 128 * 1024;

/// The end of a head, searched with one searcher built once.
fn head_end(b: &[u8]) -> Option<usize> {
    static END: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\r\n\r\n"));
    END.find(b)
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    /// Reading a message head (its bytes so far in `head`).
    Head,
    /// Skipping this many bytes of a Content-Length body.
    Fixed(u64),
    /// Reading a chunk-size line: the size so far and digits seen.
    Size(u64, u8),
    /// Skipping the rest of a chunk-size line (extensions) up to LF.
    SizeLine(u64),
    /// Skipping chunk data, then its CRLF.
    Data(u64),
    DataEnd,
    /// Trailer lines after the last chunk: bytes on the current line.
    Trailers(usize),
    /// Not following this connection any more.
    Off,
}

pub struct Tracker {
    state: State,
    head: Vec<u8>,
    limit: u64,
    alarm: Arc<Alarm>,
}

impl Tracker {
    pub fn new(limit: u64, alarm: Arc<Alarm>) -> Self {
        Self { state: State::Head, head: Vec::new(), limit, alarm }
    }

    /// Follows `bytes`, the next ones the client sent.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Off => return,
                State::Head if self.head.is_empty() => {
                    // The usual case, a whole head in one read: no copy
                    // (pipelined heads are read in place, one after another).
                    match head_end(bytes) {
                        Some(p) => {
                            self.state = body_framing(&bytes[..p + 4]);
                            bytes = &bytes[p + 4..];
                        }
                        None if bytes.len() > MAX_HEAD => {
                            self.off();
                            return;
                        }
                        None => {
                            self.head.extend_from_slice(bytes);
                            return;
                        }
                    }
                }
                State::Head => {
                    let before = self.head.len();
                    // The end of the head may straddle two reads: search
                    // from three bytes back.
                    self.head.extend_from_slice(bytes);
                    let from = before.saturating_sub(3);
                    match head_end(&self.head[from..]) {
                        Some(p) => {
                            let end = from + p + 4;
                            let used = end - before;
                            let next = body_framing(&self.head[..end]);
                            self.head.clear();
                            bytes = &bytes[used..];
                            self.state = next;
                        }
                        None => {
                            if self.head.len() > MAX_HEAD {
                                self.off();
                            }
                            return;
                        }
                    }
                }
                State::Fixed(n) => {
                    let take = (*n).min(bytes.len() as u64);
                    *n -= take;
                    bytes = &bytes[take as usize..];
                    if *n == 0 {
                        self.state = State::Head;
                    }
                }
                State::Size(size, digits) => {
                    let b = bytes[0];
                    if let Some(d) = (b as char).to_digit(16) {
                        *digits += 1;
                        match size.checked_mul(16).and_then(|s| s.checked_add(u64::from(d))) {
                            Some(s) if *digits <= 16 => *size = s,
                            _ => {
                                self.alarm.raise();
                                self.off();
                                return;
                            }
                        }
                        if *size > self.limit {
                            self.alarm.raise();
                            self.off();
                            return;
                        }
                        bytes = &bytes[1..];
                    } else if *digits == 0 {
                        // Not a chunk size: hyper will refuse it.
                        self.off();
                        return;
                    } else {
                        let s = *size;
                        self.state = State::SizeLine(s);
                    }
                }
                State::SizeLine(size) => match memchr::memchr(b'\n', bytes) {
                    Some(p) => {
                        bytes = &bytes[p + 1..];
                        self.state = if *size == 0 { State::Trailers(0) } else { State::Data(*size) };
                    }
                    None => return,
                },
                State::Data(n) => {
                    let take = (*n).min(bytes.len() as u64);
                    *n -= take;
                    bytes = &bytes[take as usize..];
                    if *n == 0 {
                        self.state = State::DataEnd;
                    }
                }
                State::DataEnd => match memchr::memchr(b'\n', bytes) {
                    Some(p) => {
                        bytes = &bytes[p + 1..];
                        self.state = State::Size(0, 0);
                    }
                    None => return,
                },
                State::Trailers(on_line) => match memchr::memchr(b'\n', bytes) {
                    Some(p) => {
                        let line = *on_line + p;
                        bytes = &bytes[p + 1..];
                        // An empty line (CRLF, or a bare LF) ends the message.
                        self.state = if line <= 1 { State::Head } else { State::Trailers(0) };
                    }
                    None => {
                        *on_line += bytes.len();
                        return;
                    }
                },
            }
        }
    }

    fn off(&mut self) {
        self.state = State::Off;
        self.head = Vec::new();
    }
}

/// What follows a request head: a chunked or fixed body, none, or
/// something the guard does not follow.
fn body_framing(head: &[u8]) -> State {
    let mut lines = head.split(|&b| b == b'\n');
    let Some(request_line) = lines.next() else { return State::Off };
    if request_line.starts_with(b"CONNECT ") || request_line.starts_with(b"PRI ") {
        return State::Off;
    }
    let mut chunked = false;
    let mut length: Option<u64> = None;
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = memchr::memchr(b':', line) else { continue };
        let name = &line[..colon];
        let value = line[colon + 1..].trim_ascii();
        if name.eq_ignore_ascii_case(b"transfer-encoding") {
            chunked = value.rsplit(|&b| b == b',').next().is_some_and(|c| c.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case(b"content-length") {
            match std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()) {
                Some(n) => length = Some(n),
                None => return State::Off,
            }
        } else if name.eq_ignore_ascii_case(b"upgrade") {
            // What follows may be another protocol.
            return State::Off;
        }
    }
    match (chunked, length) {
        (true, _) => State::Size(0, 0),
        (false, Some(0)) | (false, None) => State::Head,
        (false, Some(n)) => State::Fixed(n),
    }
}

/// A client connection with a [`Tracker`] on its read side.
pub struct Guarded<I> {
    io: I,
    tracker: Tracker,
}

impl<I> Guarded<I> {
    pub fn new(io: I, tracker: Tracker) -> Self {
        Self { io, tracker }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for Guarded<I> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.io).poll_read(cx, buf);
        if r.is_ready() && buf.filled().len() > before {
            this.tracker.feed(&buf.filled()[before..]);
        }
        r
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Guarded<I> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }
    fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8], split: usize) -> (bool, State) {
        let alarm = Arc::new(Alarm::default());
        let mut t = Tracker::new(1 << 20, alarm.clone());
        for piece in input.chunks(split.max(1)) {
            t.feed(piece);
        }
        (alarm.raised(), t.state)
    }

    #[test]
    fn an_impossible_chunk_raises_the_alarm_in_any_split() {
        let req = b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab";
        for split in [1, 2, 3, 7, 64, 4096] {
            assert!(run(req, split).0, "split {split}");
        }
        let over = b"POST /x HTTP/1.1\r\nHost: a\r\ntransfer-encoding: chunked\r\n\r\n200000\r\n";
        assert!(run(over, 5).0, "2 MiB against a 1 MiB limit");
    }

    #[test]
    fn ordinary_traffic_never_raises_it() {
        // Pipelined: a chunked POST with a trailer, a fixed-length POST,
        // a GET.
        let req = b"POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\
                    5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: 1\r\n\r\n\
                    POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\nffffffffffff\
                    GET /c HTTP/1.1\r\nHost: a\r\n\r\n";
        for split in [1, 3, 10, 4096] {
            let (raised, state) = run(req, split);
            assert!(!raised, "split {split}");
            assert_eq!(state, State::Head, "split {split}: followed to the end");
        }
    }

    #[test]
    fn what_it_cannot_follow_it_leaves_alone() {
        let ws = b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nffffffffffffffffffff\r\n";
        assert_eq!(run(ws, 4096), (false, State::Off));
        let h2 = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00";
        assert_eq!(run(h2, 4096), (false, State::Off));
    }
}
