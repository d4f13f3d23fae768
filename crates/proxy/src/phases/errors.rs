//! Improper error handling: the application's own 5xx page may hold a
//! stack trace or an SQL error, so the client gets the neutral page.

use http::{HeaderValue, Response, header};

use super::{Ctx, Flow, Stage};
use crate::body::RespBody;

pub struct MaskErrors;

impl Stage for MaskErrors {
    fn name(&self) -> &'static str {
        "mask_errors"
    }

    fn response_filter(&self, ctx: &mut Ctx<'_>, resp: &mut Response<RespBody>) -> Flow {
        let Some(site) = &ctx.site else { return Flow::Next };
        let status = resp.status();
        if !status.is_server_error() || !site.response.mask_errors {
            return Flow::Next;
        }
        let page = site.pages.error(status.as_u16(), "", &site.name);
        let mut r = Response::new(RespBody::full(page));
        *r.status_mut() = status;
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        Flow::Answer(Box::new(r))
    }
}
