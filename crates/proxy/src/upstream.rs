//! Upstream servers of a site: balancing (round-robin, least-connections,
//! client-IP hash), health state from active checks and passive failures.
//! Written here rather than taken from `pingora-load-balancing` because
//! that crate pulls in Pingora's runtime types; this is ~200 lines.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use haetae_config::Balance;

use crate::body::ReqBody;
use crate::upstream_conn::Conns;

/// Health and load of one upstream server. Shared across config reloads
/// (matched by site and address) so a reload neither forgets a dead server
/// nor resets in-flight counts.
pub struct ServerState {
    pub addr: SocketAddr,
    /// `addr` as a URI authority, parsed once.
    pub authority: http::uri::Authority,
    pub up: Arc<AtomicBool>,
    pub inflight: Arc<AtomicUsize>,
    passive_fails: AtomicU32,
    /// Milliseconds after `EPOCH` until which the server is out (passive).
    down_until_ms: AtomicU64,
    pub hc_fails: AtomicU32,
    pub hc_passes: AtomicU32,
    /// Idle keep-alive connections to it (kept across reloads too).
    pub conns: Arc<Conns<ReqBody>>,
}

fn epoch() -> Instant {
    static E: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *E.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    epoch().elapsed().as_millis() as u64
}

impl ServerState {
    pub fn new(addr: SocketAddr) -> Self {
        let authority = addr.to_string().parse().unwrap_or_else(|_| http::uri::Authority::from_static("127.0.0.1"));
        Self {
            addr,
            authority,
            up: Arc::new(AtomicBool::new(true)),
            inflight: Arc::new(AtomicUsize::new(0)),
            passive_fails: AtomicU32::new(0),
            down_until_ms: AtomicU64::new(0),
            hc_fails: AtomicU32::new(0),
            hc_passes: AtomicU32::new(0),
            conns: Arc::new(Conns::new(addr)),
        }
    }

    pub fn available(&self) -> bool {
        // 0 = never taken out: no clock read on the common path.
        self.up.load(Relaxed) && {
            let until = self.down_until_ms.load(Relaxed);
            until == 0 || until <= now_ms()
        }
    }
}

/// Decrements a server's in-flight count when dropped.
pub struct InflightGuard(Arc<AtomicUsize>);

impl Drop for InflightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

pub struct Pool {
    pub servers: Vec<Arc<ServerState>>,
    balance: Balance,
    rr: AtomicUsize,
    max_fails: u32,
    retry_after: Duration,
    active_checks: bool,
}

impl Pool {
    pub fn new(servers: Vec<Arc<ServerState>>, balance: Balance, max_fails: u32, retry_after: Duration, active_checks: bool) -> Self {
        Self { servers, balance, rr: AtomicUsize::new(0), max_fails: max_fails.max(1), retry_after, active_checks }
    }

    /// Chooses a server, skipping `tried`. When every server is out, the
    /// one that went out first is tried anyway: a single-server site keeps
    /// probing instead of refusing everything until a timer runs out.
    pub fn pick(&self, client: IpAddr, tried: &[usize]) -> Option<usize> {
        let n = self.servers.len();
        if n == 0 || tried.len() >= n {
            return None;
        }
        let ok = |i: usize| !tried.contains(&i) && self.servers[i].available();
        let chosen = match self.balance {
            Balance::RoundRobin => {
                let start = self.rr.fetch_add(1, Relaxed);
                (0..n).map(|k| (start + k) % n).find(|&i| ok(i))
            }
            Balance::LeastConn => {
                let start = self.rr.fetch_add(1, Relaxed);
                (0..n).map(|k| (start + k) % n).filter(|&i| ok(i)).min_by_key(|&i| self.servers[i].inflight.load(Relaxed))
            }
            Balance::IpHash => {
                let h = hash_ip(client) as usize;
                (0..n).map(|k| (h + k) % n).find(|&i| ok(i))
            }
        };
        chosen.or_else(|| (0..n).filter(|i| !tried.contains(i)).min_by_key(|&i| self.servers[i].down_until_ms.load(Relaxed)))
    }

    pub fn start(&self, i: usize) -> InflightGuard {
        let c = self.servers[i].inflight.clone();
        c.fetch_add(1, Relaxed);
        InflightGuard(c)
    }

    /// A connection to server `i` failed.
    pub fn failed(&self, i: usize) {
        let s = &self.servers[i];
        let f = s.passive_fails.fetch_add(1, Relaxed) + 1;
        if f >= self.max_fails {
            s.passive_fails.store(0, Relaxed);
            s.down_until_ms.store(now_ms() + self.retry_after.as_millis() as u64, Relaxed);
            if self.active_checks {
                // The active check puts it back once it answers again.
                s.up.store(false, Relaxed);
                s.hc_passes.store(0, Relaxed);
            }
            tracing::warn!(server = %s.addr, "upstream server taken out after connection failures");
        }
    }

    pub fn succeeded(&self, i: usize) {
        let s = &self.servers[i];
        if s.passive_fails.load(Relaxed) != 0 {
            s.passive_fails.store(0, Relaxed);
        }
    }
}

/// FNV-1a over the address bytes: stable across restarts, which is what
/// session affinity needs.
fn hash_ip(ip: IpAddr) -> u64 {
    let bytes: Vec<u8> = match ip {
        IpAddr::V4(v) => v.octets().to_vec(),
        IpAddr::V6(v) => v.octets().to_vec(),
    };
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100000001b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: usize, b: Balance) -> Pool {
        let servers = (0..n).map(|i| Arc::new(ServerState::new(SocketAddr::from(([127, 0, 0, 1], 9000 + i as u16))))).collect();
        Pool::new(servers, b, 1, Duration::from_secs(60), false)
    }

    #[test]
    fn round_robin_skips_dead_servers() {
        let p = pool(3, Balance::RoundRobin);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let picks: Vec<_> = (0..3).map(|_| p.pick(ip, &[]).unwrap()).collect();
        assert_eq!(picks, [0, 1, 2]);
        p.failed(1);
        let picks: Vec<_> = (0..4).map(|_| p.pick(ip, &[]).unwrap()).collect();
        assert!(!picks.contains(&1), "{picks:?}");
        assert_eq!(p.pick(ip, &[0, 2]), Some(1), "all others tried: the dead one is still tried");
        assert_eq!(p.pick(ip, &[0, 1, 2]), None);
    }

    #[test]
    fn least_conn_and_ip_hash() {
        let p = pool(2, Balance::LeastConn);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let _g = p.start(0);
        assert_eq!(p.pick(ip, &[]), Some(1));
        assert_eq!(p.pick(ip, &[]), Some(1));
        let h = pool(4, Balance::IpHash);
        let a = h.pick("127.0.0.7".parse().unwrap(), &[]);
        assert_eq!(a, h.pick("127.0.0.7".parse().unwrap(), &[]));
    }
}
