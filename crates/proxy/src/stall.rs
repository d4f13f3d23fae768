//! Bounds on how long a transfer may stand still: a body that trickles, a
//! client that stops reading. Each is a timer armed when the transfer
//! waits and dropped when it moves, so a transfer that flows costs no
//! timer at all.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub struct Stall {
    limit: Duration,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Stall {
    pub fn new(limit: Duration) -> Self {
        Self { limit, timer: None }
    }

    /// Called when the transfer returned `Pending`: true once the wait has
    /// lasted `limit` (the timer then wakes the task).
    pub fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        let limit = self.limit;
        let t = self.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        t.as_mut().poll(cx).is_ready()
    }

    /// The transfer moved: the next wait starts a new timer.
    pub fn moved(&mut self) {
        self.timer = None;
    }
}

/// A client connection whose writes may not stand still longer than
/// `timeouts.client_send`: a client that never reads would otherwise hold
/// its connection, an upstream connection and the queued response for as
/// long as it likes. Reads are not timed here (hyper times the request
/// head; bodies are timed where they are read).
pub struct SendTimeout<I> {
    io: I,
    stall: Stall,
}

impl<I> SendTimeout<I> {
    pub fn new(io: I, limit: Duration) -> Self {
        Self { io, stall: Stall::new(limit) }
    }

    pub fn get_ref(&self) -> &I {
        &self.io
    }

    fn guard<T>(&mut self, cx: &mut Context<'_>, r: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if r.is_pending() {
            if self.stall.expired(cx) {
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "client did not read the response in time")));
            }
        } else {
            self.stall.moved();
        }
        r
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for SendTimeout<I> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for SendTimeout<I> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write(cx, buf);
        this.guard(cx, r)
    }

    fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.guard(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_flush(cx);
        this.guard(cx, r)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.io).poll_shutdown(cx);
        this.guard(cx, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn a_reader_that_stops_reading_times_the_writer_out() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            // A pipe of 1 KiB whose far end is never read.
            let (near, _far) = tokio::io::duplex(1024);
            let mut w = SendTimeout::new(near, Duration::from_millis(100));
            let t = std::time::Instant::now();
            let r = w.write_all(&vec![b'x'; 1 << 20]).await;
            assert_eq!(r.unwrap_err().kind(), io::ErrorKind::TimedOut);
            assert!(t.elapsed() < Duration::from_secs(2));
        });
    }

    #[test]
    fn a_reader_that_keeps_reading_is_never_cut() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            use tokio::io::AsyncReadExt;
            let (near, mut far) = tokio::io::duplex(1024);
            let reader = tokio::spawn(async move {
                let mut buf = [0u8; 512];
                let mut n = 0;
                // Slow but steady: each pause is shorter than the limit.
                while let Ok(k) = far.read(&mut buf).await {
                    if k == 0 {
                        break;
                    }
                    n += k;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                n
            });
            let mut w = SendTimeout::new(near, Duration::from_millis(200));
            w.write_all(&vec![b'x'; 64 * 1024]).await.unwrap();
            w.shutdown().await.unwrap();
            drop(w);
            assert_eq!(reader.await.unwrap(), 64 * 1024);
        });
    }
}
