//! Framing a proxy must not guess at (RFC 9112 6), the site's methods, a
//! declared body size, and which `Upgrade` may pass.

use http::{HeaderMap, Request, StatusCode, header};
use hyper::body::Incoming;

use super::{Ctx, Flow, Stage, refuse};

pub struct Framing;

/// Why a body past the inspection limit is refused.
pub const OVERFLOW: &str =
    "body larger than limits.inspect_body_bytes (a form, JSON, XML or text body is inspected whole; see site.body_overflow)";

impl Stage for Framing {
    fn name(&self) -> &'static str {
        "framing"
    }

    fn request_filter(&self, ctx: &mut Ctx<'_>, req: &Request<Incoming>) -> Flow {
        let Some(site) = ctx.site.as_ref() else { return Flow::Next };
        if let Err((status, why)) = framing(req) {
            return refuse(ctx, status, &why);
        }
        if !site.method_allowed(req.method()) {
            return refuse(ctx, StatusCode::METHOD_NOT_ALLOWED, "method not allowed for this site");
        }
        let h = req.headers();
        let l = &ctx.rt.config.limits;
        if let Some(n) = h.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok()) {
            ctx.meta.bytes_in = n;
            if n > l.max_body_bytes.0 {
                return refuse(ctx, StatusCode::PAYLOAD_TOO_LARGE, "body larger than max_body_bytes");
            }
            if n > l.inspect_body_bytes.0
                && crate::runtime::refuses_overflow(site.body_overflow, h.get(header::CONTENT_TYPE).map(|v| v.as_bytes()))
            {
                return refuse(ctx, StatusCode::PAYLOAD_TOO_LARGE, OVERFLOW);
            }
        }
        // Only an upgrade the site allows is passed on (and spliced after a
        // 101); any other `Upgrade` is dropped and the request goes on as
        // plain HTTP. `h2c` never: after the switch nothing is inspected.
        if h.contains_key(header::UPGRADE) {
            let asked = if crate::forward::is_upgrade_request(h) { upgrade_protocol(h) } else { None };
            let allowed = asked.filter(|p| site.upgrades.iter().any(|u| u == p));
            ctx.upgrade_to = allowed;
            if ctx.upgrade_to.is_none() {
                ctx.shared.metrics.upgrades_refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        Flow::Next
    }
}

fn framing(req: &Request<Incoming>) -> Result<(), (StatusCode, String)> {
    let h = req.headers();
    let bad = |why: &str| Err((StatusCode::BAD_REQUEST, why.to_owned()));
    if h.contains_key(header::TRANSFER_ENCODING) && h.contains_key(header::CONTENT_LENGTH) {
        return bad("both Content-Length and Transfer-Encoding (request smuggling)");
    }
    if h.get_all(header::CONTENT_LENGTH).iter().count() > 1 {
        return bad("several Content-Length headers");
    }
    if h.contains_key(header::TRANSFER_ENCODING) {
        let mut chunked = 0;
        let mut codings = 0;
        for v in h.get_all(header::TRANSFER_ENCODING) {
            let Ok(v) = v.to_str() else { return bad("Transfer-Encoding is not ASCII") };
            for c in v.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                codings += 1;
                if c.eq_ignore_ascii_case("chunked") {
                    chunked += 1;
                } else {
                    // The upstream would have to undo a coding the proxy
                    // never inspected under.
                    return Err((StatusCode::NOT_IMPLEMENTED, format!("transfer coding `{c}` is not supported")));
                }
            }
        }
        if codings == 0 {
            return bad("empty Transfer-Encoding");
        }
        if chunked > 1 {
            return bad("chunked applied more than once");
        }
    }
    // Origin-form (`/path`), absolute-form (`http://host/path`), or `*` for
    // OPTIONS; `GET abc` is none of them (it was forwarded as `GET /`).
    match req.uri().path_and_query().map(|p| p.as_str()) {
        Some(t) if t.starts_with('/') => {}
        Some("*") if req.method() == http::Method::OPTIONS => {}
        _ if req.method() == http::Method::CONNECT => {}
        _ => return bad("request target is not a path"),
    }
    Ok(())
}

/// The first protocol an `Upgrade` header asks for, lower-cased, without
/// a version (`websocket`, `h2c`).
pub fn upgrade_protocol(h: &HeaderMap) -> Option<String> {
    let v = h.get(header::UPGRADE)?.to_str().ok()?;
    let first = v.split(',').next()?.trim();
    let name = first.split('/').next().unwrap_or(first).trim();
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
}
