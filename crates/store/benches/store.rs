//! Store throughput and query latency (a bench binary, not criterion:
//! the numbers are rates and percentiles over a large generated store).
//!
//!   cargo bench -p haetae-store --bench store                 # 1 M events
//!   EVENTS=10000000 cargo bench -p haetae-store --bench store # the 10 M of the issue
//!
//! Prints events/s into SQLite through the sink (batched transactions,
//! every index), then p50/p95 of the console's searches and of a one-day
//! per-site summary.

use std::sync::Arc;
use std::time::Instant;

use haetae_events::sink::Sink;
use haetae_events::{Disposition, Event, Match};
use haetae_store::{Filter, Store, StoreConfig};

const DAY: i64 = 86_400_000;

fn event(i: u64, t0: u64, span_ms: u64, n: u64) -> Event {
    let ms = t0 + i * span_ms / n;
    let site = format!("site{}", i % 50);
    Event {
        id: format!("{:016x}", (ms << 20) | (i & 0xF_FFFF)),
        time: haetae_events::time::rfc3339(ms),
        host: format!("{site}.example"),
        site,
        client_ip: format!("10.{}.{}.{}", (i >> 16) % 4, (i >> 8) % 256, i % 256),
        method: if i.is_multiple_of(5) { "POST" } else { "GET" }.into(),
        url: format!("/board/{}/view?id={}&q=%27%20or%201%3D1--", i % 300, i % 10_000),
        status: 403,
        action: if i.is_multiple_of(4) { Disposition::Logged } else { Disposition::Blocked },
        mode: "prevention".into(),
        score: 8,
        threshold: 5,
        matches: vec![Match {
            detector: "sqli".into(),
            rule_id: [4001, 4002, 2202, 3001, 942_100][(i % 5) as usize],
            shape: "sqli.tautology".into(),
            location: "ARGS:q".into(),
            reason: "SQL: tautology after a quote".into(),
            confidence: haetae_model::Confidence::High,
            score: 8,
            excerpt: "' or 1=1--".into(),
        }],
    }
}

fn pct(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let n: u64 = std::env::var("EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("haetae-store-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cfg = StoreConfig::sqlite(dir.join("bench.db"));
    cfg.queue = 1 << 20;
    let store = Store::open(cfg).expect("open");
    let sink = store.sink(None).expect("sink");
    // 30 days of events, newest at the end.
    let t0 = haetae_events::time::unix_millis() - 30 * DAY as u64;
    let evs: Vec<Arc<Event>> = (0..n.min(200_000)).map(|i| Arc::new(event(i, t0, 30 * DAY as u64, n))).collect();
    let start = Instant::now();
    let mut given = 0u64;
    for i in 0..n {
        let e = if i < evs.len() as u64 { evs[i as usize].clone() } else { Arc::new(event(i, t0, 30 * DAY as u64, n)) };
        sink.record(&e);
        given += 1;
        // Keep the queue from overflowing: pace the producer on it.
        if given.is_multiple_of(100_000) {
            sink.flush();
        }
    }
    sink.flush();
    let secs = start.elapsed().as_secs_f64();
    let st = sink.stats();
    println!("ingest: {} events in {secs:.1} s = {:.0} events/s (written {}, dropped {})", n, n as f64 / secs, st.written, st.dropped);
    let size = std::fs::metadata(dir.join("bench.db")).map(|m| m.len()).unwrap_or(0);
    println!("database: {:.0} MiB", size as f64 / 1_048_576.0);

    let now = haetae_events::time::unix_millis() as i64;
    let queries: Vec<(&str, Filter)> = vec![
        ("newest 100", Filter { limit: 100, ..Default::default() }),
        ("one site, last day", Filter { site: Some("site7".into()), from: Some(now - DAY), limit: 100, ..Default::default() }),
        ("one client IP", Filter { ip: Some("10.1.2.3".into()), limit: 100, ..Default::default() }),
        (
            "rule + action, a week",
            Filter { rule: Some(2202), action: Some("logged".into()), from: Some(now - 7 * DAY), limit: 100, ..Default::default() },
        ),
        ("path prefix, one site", Filter { site: Some("site3".into()), path: Some("/board/42/".into()), limit: 100, ..Default::default() }),
        (
            "free text, one site, a day",
            Filter { site: Some("site9".into()), from: Some(now - DAY), q: Some("id=77".into()), limit: 100, ..Default::default() },
        ),
        (
            "scoped account, 3 sites",
            Filter { scope: Some(vec!["site1".into(), "site2".into(), "site3".into()]), limit: 100, ..Default::default() },
        ),
    ];
    for (name, f) in &queries {
        let mut t = Vec::new();
        for _ in 0..20 {
            let s = Instant::now();
            let p = store.search(f).expect("search");
            std::hint::black_box(p.events.len());
            t.push(s.elapsed().as_secs_f64() * 1e3);
        }
        println!("search {name:<28} p50 {:7.2} ms  p95 {:7.2} ms", pct(t.clone(), 0.5), pct(t, 0.95));
    }
    let mut t = Vec::new();
    for i in 0..20 {
        let s = Instant::now();
        let site = format!("site{}", i % 50);
        let sum = store.summary(&None, Some(&site), now - DAY, now, 3600).expect("summary");
        std::hint::black_box(sum.buckets.len());
        t.push(s.elapsed().as_secs_f64() * 1e3);
    }
    println!("summary one site, one day, hourly  p50 {:7.2} ms  p95 {:7.2} ms", pct(t.clone(), 0.5), pct(t, 0.95));
    let _ = std::fs::remove_dir_all(&dir);
}
