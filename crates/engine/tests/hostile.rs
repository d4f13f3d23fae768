//! Hostile input through the whole model + engine path: nothing panics,
//! and cost grows linearly with size (pathological patterns at 256 KiB and
//! 1 MiB; quadratic behaviour would show as a 16x ratio).

use std::time::{Duration, Instant};

use haetae_engine::Engine;
use haetae_model::{ParseLimits, RequestBuilder};

const CONTENT_TYPES: &[&str] =
    &["application/x-www-form-urlencoded", "application/json", "application/xml", "multipart/form-data; boundary=B", "text/plain"];

const PATTERNS: &[&str] = &[
    "<a x='",
    "${",
    "${${lower:j}",
    "'",
    "\"",
    "<",
    "<svg/onload=",
    "%25",
    "%u00",
    "&#x",
    "../",
    "..\\",
    "/*",
    "system/*",
    ";cat ",
    "$(",
    "`",
    "a `ls` b ",
    "{{",
    "[",
    "{\"a\":",
    "<a>",
    "--B\r\n",
    "\r\n",
    "*)(",
    "o:1:\"",
    "select ",
    "union ",
    "(",
    "\\'",
    "a=b&",
    "\u{FF1C}",
    "\u{c0}\u{ae}",
];

fn run(ct: &str, body: &[u8]) -> Duration {
    let limits = ParseLimits::default();
    let engine = Engine::default();
    let t = Instant::now();
    let mut b = RequestBuilder::new("POST", "/x?q=1", &limits);
    b.header("Content-Type", ct.as_bytes());
    b.body(body, false);
    let req = b.build();
    let _ = engine.inspect(&req);
    t.elapsed()
}

fn best_of(ct: &str, body: &[u8]) -> Duration {
    (0..3).map(|_| run(ct, body)).min().unwrap_or_default()
}

#[test]
fn pathological_bodies_cost_linear_time() {
    let mut worst = (0.0f64, String::new());
    for pat in PATTERNS {
        for ct in CONTENT_TYPES {
            let big: Vec<u8> = pat.as_bytes().iter().copied().cycle().take(1 << 20).collect();
            let small = &big[..1 << 18];
            // Below a millisecond, page faults of the 1 MiB buffers and
            // scheduling dominate; the ratio means nothing there.
            let mut ts = run(ct, small).as_secs_f64().max(1e-3);
            let mut tb = run(ct, &big).as_secs_f64();
            if tb / ts > 6.0 {
                // Noise or real: measure again, best of three.
                ts = best_of(ct, small).as_secs_f64().max(1e-3);
                tb = best_of(ct, &big).as_secs_f64();
            }
            let ratio = tb / ts;
            if ratio > worst.0 && tb > 0.005 {
                worst = (ratio, format!("{pat:?} as {ct}: 256KiB {ts:.4}s, 1MiB {tb:.4}s"));
            }
            assert!(tb < 5.0, "{pat:?} as {ct}: 1 MiB took {tb:.2}s");
        }
    }
    // Linear is 4x; allow noise on a shared machine, but not 16x.
    assert!(worst.0 < 10.0, "super-linear: {}", worst.1);
}

/// xorshift: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_requests_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let limits = ParseLimits { max_params: 64, ..Default::default() };
    let engine = Engine::default();
    for _ in 0..3000 {
        fn piece(rng: &mut Rng) -> Vec<u8> {
            let mut v = Vec::new();
            for _ in 0..rng.below(12) {
                if rng.below(3) == 0 {
                    v.extend((0..rng.below(6)).map(|_| rng.next() as u8));
                } else {
                    v.extend_from_slice(PATTERNS[rng.below(PATTERNS.len())].as_bytes());
                }
            }
            v
        }
        let target = format!("/{}?{}", String::from_utf8_lossy(&piece(&mut rng)), String::from_utf8_lossy(&piece(&mut rng)));
        let body = piece(&mut rng);
        let ct = CONTENT_TYPES[rng.below(CONTENT_TYPES.len())];
        let mut b = RequestBuilder::new("POST", &target, &limits);
        b.header("Content-Type", ct.as_bytes());
        b.header("Cookie", &piece(&mut rng));
        b.header("User-Agent", &piece(&mut rng));
        b.header("X-Custom", &piece(&mut rng));
        b.body(&body, rng.below(2) == 0);
        let v = engine.inspect(&b.build());
        assert!(v.findings.iter().all(|f| f.excerpt.chars().count() <= 80));
    }
}
