//! Limits that need no site: the request target's length, the number and
//! size of headers (each refused with an event; the connection closes).

use http::{Request, StatusCode};
use hyper::body::Incoming;

use super::{Ctx, Flow, Stage, refuse};

pub struct Limits;

impl Stage for Limits {
    fn name(&self) -> &'static str {
        "limits"
    }

    fn request_filter(&self, ctx: &mut Ctx<'_>, req: &Request<Incoming>) -> Flow {
        let l = &ctx.rt.config.limits;
        let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
        if target.len() as u64 > l.max_uri_bytes.0 {
            return refuse(ctx, StatusCode::URI_TOO_LONG, "request target longer than max_uri_bytes");
        }
        let count = req.headers().len();
        let bytes: usize = req.headers().iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
        if count > l.max_header_count || bytes as u64 > l.max_header_bytes.0 {
            return refuse(ctx, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "too many or too large request headers");
        }
        Flow::Next
    }
}
