#![no_main]
use libfuzzer_sys::fuzz_target;

// A whole request through the model builder and the engine: target,
// headers (one per line, `name: value`), then the body after a blank line.
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(2, "\n\n");
    let head = parts.next().unwrap_or("");
    let body = parts.next().unwrap_or("").as_bytes();
    let mut lines = head.lines();
    let target = lines.next().unwrap_or("/");
    let limits = haetae_model::ParseLimits::default();
    let build = |b: haetae_model::RequestBuilder<'_>| {
        let mut b = b;
        for l in lines.clone() {
            if let Some((n, v)) = l.split_once(':') {
                b.header(n, v.as_bytes());
            }
        }
        b.body(body, false);
        b.build()
    };
    let req = build(haetae_model::RequestBuilder::new("POST", target, &limits));
    let _ = haetae_engine::Engine::default().inspect(&req);
    // The proxy builds each request in the previous one's buffers: the
    // result must not depend on what they held.
    let reused = build(haetae_model::RequestBuilder::reuse(req.clone(), "POST", target, &limits));
    assert_eq!(format!("{reused:?}"), format!("{req:?}"));
});
