//! Session fixation (A1 cookie integrity): a session identifier planted
//! through the URL or a form — worst when the request comes from another
//! site's link — or a value that sets a cookie in script.

use haetae_model::Confidence::{High, Medium};
use haetae_model::{Finding, Request, Source};

use crate::detect::{Hit, find};
use crate::make_finding;

/// Names frameworks give their session cookie. Carried as a *parameter*,
/// they fix the victim's session to one the attacker knows.
const SESSION_NAMES: &[&str] = &[
    "phpsessid",
    "jsessionid",
    "asp.net_sessionid",
    "aspsessionid",
    "laravel_session",
    "connect.sid",
    "_flask_session",
    "next-auth.session-token",
    "__host-next-auth.session-token",
    "__secure-next-auth.session-token",
    "meteor_login_token",
    "rack.session",
    "play_session",
    "sails.sid",
    "cakephp",
    "ci_session",
    "koa.sess",
    "koa:sess",
    "cfid",
    "cftoken",
    "cfsid",
    "zend_session_id",
    "shiny-token",
    "weblogicsession",
    "sessionid",
    "session-id",
    "session_id",
    "_session_id",
    "_rails_session",
    "jservsession",
    "jwsession",
    "phpsession",
];

/// Names applications also give their own fields: analytics beacons and
/// chat widgets post `sessionid` from their own domain, so these never
/// block alone, wherever the request was linked from. The rest are names
/// only a framework's session layer uses.
const AMBIGUOUS: &[&str] = &["sessionid", "session-id", "session_id", "_session_id"];

fn host_of(url: &[u8]) -> Option<&[u8]> {
    let rest = url.splitn(2, |&b| b == b':').nth(1)?.strip_prefix(b"//")?;
    let end = rest.iter().position(|&b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len());
    let auth = &rest[..end];
    let host = auth.rsplit(|&b| b == b'@').next().unwrap_or(auth);
    Some(host.split(|&b| b == b':').next().unwrap_or(host))
}

pub fn check(req: &Request, out: &mut Vec<Finding>) {
    // Compared case-insensitively below, so no lower-cased copy.
    let host = req.header("host").map(|h| h.split(|&b| b == b':').next().unwrap_or(h));
    let referer = req.header("referer");
    let offsite = match (referer.and_then(host_of), &host) {
        (Some(r), Some(h)) => !r.eq_ignore_ascii_case(h),
        (Some(_), None) => true,
        _ => false,
    };
    for p in req.params() {
        // A link or a cross-site form can plant a query or form parameter;
        // a JSON or XML body needs a script the browser lets run only on
        // the site itself, and its keys are the application's own data.
        if !matches!(p.source, Source::Query | Source::Form | Source::Multipart) {
            continue;
        }
        // Every parameter of every request passes here: match without
        // allocating; `ASPSESSIONIDxxxx` carries a per-site suffix.
        let asp = p.name.len() >= 12 && p.name[..12].eq_ignore_ascii_case(b"aspsessionid");
        let Some(base) =
            (if asp { Some("aspsessionid") } else { SESSION_NAMES.iter().copied().find(|n| n.as_bytes().eq_ignore_ascii_case(p.name)) })
        else {
            continue;
        };
        let name = String::from_utf8_lossy(p.name).to_ascii_lowercase();
        let c = if AMBIGUOUS.contains(&base) { Medium } else { High };
        let why = if offsite {
            "session fixation: session id in a parameter, linked from another site"
        } else {
            "session fixation: session id in a parameter"
        };
        let loc = format!("{}:{}", p.source.collection(), name);
        out.push(make_finding("session", loc.as_str(), p.value, Hit::new(2951, c, why, 0)));
        return;
    }
    // `.cookie;expires=`, `document.cookie=`: script setting a cookie.
    for p in req.params() {
        // Setting a cookie needs `.cookie` and `=`: most values have neither.
        if memchr::memchr(b'=', p.value).is_none() || memchr::memchr(b'.', p.value).is_none() {
            continue;
        }
        let v = p.value.to_ascii_lowercase();
        if let Some(at) = find(&v, b".cookie")
            && (find(&v[at..], b"expires=").is_some() || find(&v[at..], b"path=").is_some() || find(&v[at..], b"domain=").is_some())
        {
            let loc = format!("{}:{}", p.source.collection(), String::from_utf8_lossy(p.name));
            out.push(make_finding("session", loc.as_str(), &v[at..], Hit::new(2952, High, "session fixation: cookie set in script", 0)));
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use haetae_model::{ParseLimits, RequestBuilder};

    fn findings(target: &str, referer: Option<&str>) -> Vec<Finding> {
        let l = ParseLimits::default();
        let mut b = RequestBuilder::new("GET", target, &l);
        b.header("Host", b"shop.example");
        if let Some(r) = referer {
            b.header("Referer", r.as_bytes());
        }
        let mut out = Vec::new();
        check(&b.build(), &mut out);
        out
    }

    #[test]
    fn flags_planted_session_ids() {
        assert_eq!(findings("/login?phpsessid=abc", None)[0].confidence, High);
        assert_eq!(findings("/login?jsessionid=abc", Some("https://evil.example/"))[0].confidence, High);
        assert_eq!(findings("/login?laravel_session=abc", None)[0].confidence, High);
        // A widget's own `sessionid`, posted from its own domain, is no fixation.
        assert_eq!(findings("/login?sessionid=abc", Some("https://evil.example/"))[0].confidence, Medium);
        assert_eq!(findings("/login?sessionid=abc", None)[0].confidence, Medium);
        assert!(findings("/login?sessionid=abc", Some("https://shop.example/cart")).iter().all(|f| f.confidence == Medium));
        assert_eq!(findings("/x?t=.cookie;expires=", None)[0].confidence, High);
        assert!(findings("/login?user=a", Some("https://evil.example/")).is_empty());
    }
}
