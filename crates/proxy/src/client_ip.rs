//! Where the client's address comes from. The TCP peer is the client
//! unless the peer is a trusted proxy; then the configured header
//! (`X-Forwarded-For` by default) is read right to left, skipping trusted
//! hops, and the first untrusted address is the client. Reading it left to
//! right would let any client forge its own address.

use std::net::IpAddr;

use http::HeaderMap;
use ipnet::IpNet;

pub fn trusted(nets: &[IpNet], ip: IpAddr) -> bool {
    let ip = canonical(ip);
    nets.iter().any(|n| n.contains(&ip))
}

/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn parse_hop(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    // `[v6]:port`, `v4:port`
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    s.rsplit_once(':').and_then(|(h, _)| h.parse().ok())
}

/// The client IP for a request from `peer`.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, header: &str, nets: &[IpNet]) -> IpAddr {
    let peer = canonical(peer);
    if nets.is_empty() || !trusted(nets, peer) {
        return peer;
    }
    let mut client = peer;
    for value in headers.get_all(header).iter().rev() {
        let Ok(v) = value.to_str() else { return client };
        for hop in v.rsplit(',') {
            let hop = if header == "forwarded" {
                hop.split(';').find_map(|kv| kv.trim().strip_prefix("for=").map(str::to_owned)).unwrap_or_default()
            } else {
                hop.to_owned()
            };
            match parse_hop(&hop) {
                Some(ip) => {
                    let ip = canonical(ip);
                    client = ip;
                    if !trusted(nets, ip) {
                        return ip;
                    }
                }
                None => return client,
            }
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert("x-forwarded-for", v.parse().unwrap());
        m
    }

    #[test]
    fn untrusted_peer_is_the_client() {
        let ip = client_ip("127.0.0.9".parse().unwrap(), &h("1.2.3.4"), "x-forwarded-for", &[]);
        assert_eq!(ip, "127.0.0.9".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn trusted_chain_is_read_right_to_left() {
        let nets: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
        let ip = client_ip("127.0.0.1".parse().unwrap(), &h("6.6.6.6, 1.2.3.4, 10.0.0.2"), "x-forwarded-for", &nets);
        assert_eq!(ip, "1.2.3.4".parse::<IpAddr>().unwrap());
        let ip = client_ip("::ffff:127.0.0.1".parse().unwrap(), &h("garbage"), "x-forwarded-for", &nets);
        assert_eq!(ip, "127.0.0.1".parse::<IpAddr>().unwrap());
        let mut m = HeaderMap::new();
        m.insert("forwarded", "for=\"[2001:db8::1]:4711\";proto=https".parse().unwrap());
        let ip = client_ip("127.0.0.1".parse().unwrap(), &m, "forwarded", &nets);
        assert_eq!(ip, "2001:db8::1".parse::<IpAddr>().unwrap());
    }
}
