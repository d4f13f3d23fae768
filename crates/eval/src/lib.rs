//! Measures how well Haetae tells attacks from benign traffic.
//!
//! Attacks are the OWASP CRS regression test stages whose `expect_ids` name a
//! rule of the attack families 930–944 (split by the rule's paranoia level);
//! benign traffic is a JSON-lines corpus. Each request goes either through the
//! engine in-process or, over TCP, through a running Haetae.

pub mod benign;
pub mod crs_rules;
pub mod ftw;
mod remote;
mod report;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use haetae_engine::Engine;
use haetae_model::{ParseLimits, RequestBuilder, Verdict};

pub use report::{AttackResult, BenignResult, Report};

/// The attack families measured, with their names.
pub const FAMILIES: &[(u32, &str)] = &[
    (930, "LFI / path traversal"),
    (931, "RFI"),
    (932, "RCE / command injection"),
    (933, "PHP injection"),
    (934, "generic (Node, Perl, Ruby, SSRF)"),
    (941, "XSS"),
    (942, "SQL injection"),
    (943, "session fixation"),
    (944, "Java / deserialization"),
];

/// Where requests are judged.
pub enum Judge {
    /// The engine, in this process (no protocol layer).
    Engine(Box<Engine>),
    /// A running Haetae (prevention mode) at this address.
    Proxy { addr: SocketAddr, timeout: Duration },
}

/// What happened to one request.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub stopped: bool,
    /// HTTP status when judged through the proxy.
    pub status: Option<u16>,
    /// The findings in one line (in-process only).
    pub why: String,
}

impl Judge {
    pub fn judge(&self, req: &ftw::RawRequest) -> Outcome {
        match self {
            Judge::Engine(e) => {
                let v = inspect(e, req);
                Outcome { stopped: v.is_block(), status: None, why: summarize(&v) }
            }
            Judge::Proxy { addr, timeout } => match remote::send(*addr, req, *timeout) {
                Ok(status) => Outcome { stopped: remote::is_stop(status), status: Some(status), why: String::new() },
                Err(e) => Outcome { stopped: false, status: None, why: format!("error: {e}") },
            },
        }
    }
}

/// Builds the engine's request model the way the proxy does and inspects it.
pub fn inspect(engine: &Engine, req: &ftw::RawRequest) -> Verdict {
    engine.inspect(&model(req))
}

/// The request model the proxy would build for `req`.
pub fn model(req: &ftw::RawRequest) -> haetae_model::Request {
    let limits = ParseLimits::default();
    let mut b = RequestBuilder::new(&req.method, &req.target, &limits).client_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
    for (n, v) in &req.headers {
        b.header(n, v);
    }
    b.body(&req.body, false);
    b.build()
}

fn summarize(v: &Verdict) -> String {
    let parts: Vec<String> =
        v.findings.iter().map(|f| format!("{}#{} {} ({}): {}", f.detector, f.rule_id, f.location, f.score, f.reason)).collect();
    format!("score {}: {}", v.score, parts.join("; "))
}

/// The family (930…944) a stage attacks, and the lowest paranoia level of
/// the rules it expects, or `None` if it is not an attack stage.
pub fn attack_class(case: &ftw::Case, levels: &HashMap<u32, u8>) -> Option<(u32, u8)> {
    let ids: Vec<u32> = case.stage_def.output.expect_ids().into_iter().filter(|id| (930_000..945_000).contains(id)).collect();
    let first = *ids.first()?;
    let pl = ids.iter().map(|id| levels.get(id).copied().unwrap_or(1)).min().unwrap_or(1);
    Some((first / 1000, pl))
}

/// Runs every attack stage and benign sample through `judge`.
pub fn evaluate(judge: &Judge, cases: &[ftw::Case], levels: &HashMap<u32, u8>, benign: &[benign::Sample]) -> Report {
    let mut rep = Report::default();
    for case in cases {
        let Some((family, pl)) = attack_class(case, levels) else { continue };
        let req = match case.stage_def.input.to_request() {
            Ok(r) => r,
            Err(e) => {
                rep.unreadable.push(format!("{}: {e}", case.name()));
                continue;
            }
        };
        let o = judge.judge(&req);
        rep.attacks.push(AttackResult {
            name: case.name(),
            family,
            pl,
            desc: case.desc.clone(),
            request: excerpt_request(&req),
            outcome: o,
        });
    }
    for s in benign {
        let o = judge.judge(&s.request);
        rep.benign.push(BenignResult { line: s.line, category: s.category.clone(), request: excerpt_request(&s.request), outcome: o });
    }
    rep
}

/// `METHOD target` plus the body's start, for listing misses.
fn excerpt_request(r: &ftw::RawRequest) -> String {
    let mut s = format!("{} {}", r.method, r.target);
    // Headers every test sends are noise in a list of misses.
    const USUAL: &[&str] = &["host", "accept", "accept-encoding", "accept-language", "content-length", "content-type", "connection"];
    for (n, v) in &r.headers {
        let lower = n.to_ascii_lowercase();
        if USUAL.contains(&lower.as_str()) || (lower == "user-agent" && v.starts_with(b"OWASP CRS test agent")) {
            continue;
        }
        s.push_str(&format!(" [{n}: {}]", String::from_utf8_lossy(&v[..v.len().min(100)])));
    }
    if !r.body.is_empty() {
        let b = String::from_utf8_lossy(&r.body[..r.body.len().min(160)]).replace(['\r', '\n'], " ");
        s.push_str(" | ");
        s.push_str(&b);
    }
    let mut out: String = s.chars().take(240).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}
