//! Server masquerading: headers that tell an attacker what runs behind
//! the proxy are removed from responses.

use http::{HeaderMap, Response};

use super::{Ctx, Flow, Stage};
use crate::body::RespBody;
use crate::runtime::SiteRt;

/// Headers that tell an attacker what runs behind the proxy.
const REVEALING: &[&str] = &[
    "server",
    "x-powered-by",
    "x-aspnet-version",
    "x-aspnetmvc-version",
    "x-runtime",
    "x-generator",
    "x-drupal-cache",
    "x-drupal-dynamic-cache",
    "x-backend-server",
    "x-varnish",
    "via",
    "x-php-version",
];

pub struct Cloak;

impl Stage for Cloak {
    fn name(&self) -> &'static str {
        "cloak"
    }

    fn response_filter(&self, ctx: &mut Ctx<'_>, resp: &mut Response<RespBody>) -> Flow {
        if let Some(site) = &ctx.site {
            cloak(site, resp.headers_mut());
        }
        Flow::Next
    }
}

pub fn cloak(site: &SiteRt, headers: &mut HeaderMap) {
    if !site.hide_server_headers {
        return;
    }
    // One pass over the names the response has, rather than a lookup for
    // each of the names it might have.
    let mut present = [false; REVEALING.len()];
    for n in headers.keys() {
        if let Some(i) = REVEALING.iter().position(|r| *r == n.as_str()) {
            present[i] = true;
        }
    }
    for (h, _) in REVEALING.iter().zip(present).filter(|(_, p)| *p) {
        headers.remove(*h);
    }
}
