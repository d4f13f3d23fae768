//! The site, by Host (or the HTTP/2 authority).

use http::{Request, StatusCode, header};
use hyper::body::Incoming;

use super::{Ctx, Flow, Stage, refuse};

pub struct Route;

impl Stage for Route {
    fn name(&self) -> &'static str {
        "route"
    }

    fn request_filter(&self, ctx: &mut Ctx<'_>, req: &Request<Incoming>) -> Flow {
        let host = match host_of(req) {
            Ok(h) => h,
            Err(why) => return refuse(ctx, StatusCode::BAD_REQUEST, why),
        };
        ctx.meta.host = host;
        match ctx.rt.site_for(&ctx.meta.host) {
            Some(site) => {
                ctx.site = Some(site.clone());
                Flow::Next
            }
            None => refuse(ctx, StatusCode::MISDIRECTED_REQUEST, "no site is configured for this host"),
        }
    }
}

/// The host name the client asked for, lower-cased, without port.
/// Err(reason) when it is missing, repeated or malformed.
fn host_of(req: &Request<Incoming>) -> Result<String, &'static str> {
    let mut hosts = req.headers().get_all(header::HOST).iter();
    let from_header = hosts.next();
    if hosts.next().is_some() {
        return Err("several Host headers");
    }
    let raw = match (from_header, req.uri().authority()) {
        (Some(h), _) => h.to_str().map_err(|_| "Host header is not ASCII")?,
        (None, Some(a)) => a.as_str(),
        (None, None) if req.version() == http::Version::HTTP_10 => "",
        (None, None) => return Err("missing Host header"),
    };
    let raw = raw.rsplit_once('@').map_or(raw, |(_, h)| h);
    let host = if let Some(rest) = raw.strip_prefix('[') {
        match rest.split_once(']') {
            Some((h, port)) if port.is_empty() || port.strip_prefix(':').is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit())) => h,
            _ => return Err("malformed Host header"),
        }
    } else {
        match raw.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
            Some(_) => return Err("malformed Host header"),
            None => raw,
        }
    };
    if !host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':')) {
        return Err("malformed Host header");
    }
    Ok(host.trim_end_matches('.').to_ascii_lowercase())
}
