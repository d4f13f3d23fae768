#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

use haetae_model::{ParseLimits, Request, RequestBuilder};

/// A request with something in every collection the rules read.
fn request() -> &'static Request {
    static REQ: OnceLock<Request> = OnceLock::new();
    REQ.get_or_init(|| {
        let limits = ParseLimits::default();
        let mut b = RequestBuilder::new("POST", "/a/b.php?q=1%27%20or%201=1&x=%3Cscript%3E", &limits);
        b.header("Host", b"localhost");
        b.header("Cookie", b"sid=abc; t=../../etc/passwd");
        b.header("Content-Type", b"application/x-www-form-urlencoded");
        b.body(b"name=a%00b&cmd=;cat+/etc/passwd", false);
        b.build()
    })
}

// Rule files are read from disk, but a hostile or broken one must give an
// error, never a panic or a hang; every transformation takes any bytes;
// operators compile within their size limits or fail; a rule set that
// compiles evaluates any request to an end (chains, skips, setvar macros,
// ctl, the prefilter).
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(directives) = haetae_seclang::parse(&text) {
        for d in &directives {
            if let haetae_seclang::Directive::Rule(r) = d
                && let Ok(op) = haetae_seclang::operator::compile(&r.operator, &|f| Err(f.to_owned()))
            {
                let _ = op.matches(data, &|a| a.to_owned(), None);
            }
        }
        if let Ok(rules) = haetae_seclang::eval::RuleSet::compile(&[directives], &|_, f| Err(f.to_owned())) {
            let req = request();
            let headers = vec![("Content-Type".to_owned(), b"text/html".to_vec())];
            let mut t = rules.transaction(req, b"name=a%00b&cmd=;cat+/etc/passwd");
            t.request();
            t.response(haetae_seclang::eval::Response { status: 200, protocol: "HTTP/1.1", headers: &headers, body: data });
            t.logging();
            let _ = t.finish();
        }
    }
    for t in haetae_seclang::vocab::TRANSFORMATIONS {
        let _ = haetae_seclang::transform::apply(t, data);
    }
});
