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
    let mut b = haetae_model::RequestBuilder::new("POST", target, &limits);
    for l in lines {
        if let Some((n, v)) = l.split_once(':') {
            b.header(n, v.as_bytes());
        }
    }
    b.body(body, false);
    let req = b.build();
    let _ = haetae_engine::Engine::default().inspect(&req);
});
