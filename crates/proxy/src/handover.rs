//! Binary upgrade without refusing a connection. On SIGUSR2 the running
//! process starts the binary at its own path (the new one, after an
//! install) with the listening sockets inherited: their fd numbers are
//! passed in `HAETAE_LISTEN_FDS`. The new process serves on the same
//! sockets — the kernel's accept queue is shared, so nothing is refused —
//! and, once it is up, sends SIGTERM to the old one, which stops accepting
//! and drains its requests. This is nginx's scheme; `SO_REUSEPORT` was not
//! used because closing one of several reuseport sockets drops the
//! connections queued on it.

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{FromRawFd, RawFd};

const ENV_FDS: &str = "HAETAE_LISTEN_FDS";
const ENV_PARENT: &str = "HAETAE_UPGRADE_FROM";

/// Sockets handed over by a previous process, by address.
pub fn inherited() -> HashMap<SocketAddr, RawFd> {
    let mut out = HashMap::new();
    if let Ok(v) = std::env::var(ENV_FDS) {
        for item in v.split(',') {
            if let Some((addr, fd)) = item.rsplit_once('=')
                && let (Ok(a), Ok(f)) = (addr.parse::<SocketAddr>(), fd.parse::<RawFd>())
            {
                out.insert(a, f);
            }
        }
    }
    // SAFETY: called once at startup, before any thread reads the environment.
    unsafe { std::env::remove_var(ENV_FDS) };
    out
}

/// Binds `addr`, or adopts the inherited socket for it.
pub fn bind(addr: SocketAddr, inherited: &mut HashMap<SocketAddr, RawFd>) -> io::Result<TcpListener> {
    if let Some(fd) = inherited.remove(&addr) {
        // SAFETY: the fd was passed to us by the previous process for this
        // address and nothing else in this process owns it.
        let l = unsafe { TcpListener::from_raw_fd(fd) };
        l.set_nonblocking(true)?;
        return Ok(l);
    }
    let domain = if addr.is_ipv6() { socket2::Domain::IPV6 } else { socket2::Domain::IPV4 };
    let s = socket2::Socket::new(domain, socket2::Type::STREAM, Some(socket2::Protocol::TCP))?;
    s.set_reuse_address(true)?;
    s.bind(&addr.into())?;
    s.listen(4096)?;
    s.set_nonblocking(true)?;
    Ok(s.into())
}

/// The path of the binary on disk, even if it was replaced while running.
fn exe_path() -> io::Result<std::path::PathBuf> {
    let p = std::fs::read_link("/proc/self/exe").or_else(|_| std::env::current_exe())?;
    let s = p.to_string_lossy();
    Ok(s.strip_suffix(" (deleted)").map(Into::into).unwrap_or(p))
}

/// Starts the new binary with our listening sockets.
pub fn spawn_successor(listeners: &[(SocketAddr, RawFd)]) -> io::Result<std::process::Child> {
    use std::os::unix::process::CommandExt;
    let list: Vec<String> = listeners.iter().map(|(a, f)| format!("{a}={f}")).collect();
    let fds: Vec<RawFd> = listeners.iter().map(|(_, f)| *f).collect();
    let mut cmd = std::process::Command::new(exe_path()?);
    cmd.args(std::env::args_os().skip(1)).env(ENV_FDS, list.join(",")).env(ENV_PARENT, std::process::id().to_string());
    // SAFETY: only async-signal-safe calls (fcntl) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            for fd in &fds {
                let flags = libc::fcntl(*fd, libc::F_GETFD);
                if flags < 0 || libc::fcntl(*fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    cmd.spawn()
}

/// Tells the process we took over from that it may drain and exit.
pub fn notify_predecessor() {
    if let Ok(pid) = std::env::var(ENV_PARENT)
        && let Ok(pid) = pid.parse::<i32>()
    {
        // SAFETY: plain kill(2) on a pid we were given.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        unsafe { std::env::remove_var(ENV_PARENT) };
        tracing::info!("took over the listening sockets of process {pid}");
    }
}
