//! The pages Haetae answers with itself: block, error and refusal pages.
//! Neutral by design: they name no product, version or upstream detail,
//! only an event id the site's operator can look up.

use std::sync::Arc;

use bytes::Bytes;

const DEFAULT_BLOCK: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Request blocked</title>
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;color:#222}code{background:#eee;padding:.1em .3em}</style>
</head><body><h1>Request blocked</h1>
<p>This request was blocked for security reasons. 보안 정책에 따라 요청이 차단되었습니다.</p>
<p>If you believe this is a mistake, contact the site's administrator and quote this event id: <code>{{event_id}}</code></p>
<p><small>{{time}}</small></p></body></html>
"#;

const DEFAULT_ERROR: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{status}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;color:#222}</style>
</head><body><h1>{{status}}</h1>
<p>The service is temporarily unavailable. Please try again later. 잠시 후 다시 시도해 주세요.</p>
<p><small>{{event_id}}</small></p></body></html>
"#;

/// Templates for one site.
#[derive(Clone)]
pub struct Pages {
    block: Arc<str>,
    error: Arc<str>,
}

impl Default for Pages {
    fn default() -> Self {
        Self { block: DEFAULT_BLOCK.into(), error: DEFAULT_ERROR.into() }
    }
}

fn render(t: &str, status: u16, event_id: &str, site: &str) -> Bytes {
    let reason = http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
    let status_text = format!("{status} {reason}");
    // The event id is hex and the site name comes from the config, but
    // escape anyway: a template must never become an injection point.
    let out = t
        .replace("{{event_id}}", &html_escape(event_id))
        .replace("{{site}}", &html_escape(site))
        .replace("{{time}}", &haetae_events::time::rfc3339_now())
        .replace("{{status}}", &status_text);
    Bytes::from(out)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl Pages {
    pub fn new(block: Option<String>, error: Option<String>) -> Self {
        let d = Self::default();
        Self { block: block.map(Into::into).unwrap_or(d.block), error: error.map(Into::into).unwrap_or(d.error) }
    }

    pub fn block(&self, event_id: &str, site: &str) -> Bytes {
        render(&self.block, 403, event_id, site)
    }

    pub fn error(&self, status: u16, event_id: &str, site: &str) -> Bytes {
        render(&self.error, status, event_id, site)
    }
}

const DEFAULT_REFUSAL: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{status}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;color:#222}</style>
</head><body><h1>{{status}}</h1>
<p>The request could not be processed. 요청을 처리할 수 없습니다.</p>
</body></html>
"#;

/// A minimal page for refusals before a site is known (400, 413, 414, 431).
pub fn plain(status: u16) -> Bytes {
    render(DEFAULT_REFUSAL, status, "", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_page_carries_the_event_id() {
        let p = Pages::default();
        let b = p.block("00ff", "shop");
        let s = std::str::from_utf8(&b).unwrap();
        assert!(s.contains("<code>00ff</code>"));
        assert!(!s.to_lowercase().contains("haetae"));
        let custom = Pages::new(Some("id={{event_id}} site={{site}}".into()), None);
        assert_eq!(&custom.block("1<2", "s")[..], b"id=1&lt;2 site=s");
        assert!(std::str::from_utf8(&p.error(502, "x", "s")).unwrap().contains("502 Bad Gateway"));
    }
}
