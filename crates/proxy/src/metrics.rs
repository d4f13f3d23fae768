//! Prometheus metrics, kept in atomics so the request path never takes a
//! lock to count. Written by hand (not the `metrics` crate): the set is
//! small and fixed, and per-site status counters indexed by code are both
//! cheaper and simpler than a label map.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// A latency histogram with fixed buckets.
#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; 15],
    sum_us: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        let i = BUCKETS.iter().position(|b| s <= *b).unwrap_or(BUCKETS.len());
        self.counts[i].fetch_add(1, Relaxed);
        self.sum_us.fetch_add(d.as_micros() as u64, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cum = 0;
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, b) in BUCKETS.iter().enumerate() {
            cum += self.counts[i].load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {cum}");
        }
        cum += self.counts[BUCKETS.len()].load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {cum}");
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum_us.load(Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count{{{labels}}} {cum}");
    }
}

/// Counters for one site; kept across reloads (looked up by name).
pub struct SiteMetrics {
    by_status: Box<[AtomicU64; 600]>,
    pub blocked: AtomicU64,
    pub detected: AtomicU64,
    pub inspection_failures: AtomicU64,
    pub latency: Histogram,
    pub inspection: Histogram,
    pub upstream_errors: AtomicU64,
    pub upstream_timeouts: AtomicU64,
}

impl Default for SiteMetrics {
    fn default() -> Self {
        Self {
            by_status: Box::new(std::array::from_fn(|_| AtomicU64::new(0))),
            blocked: AtomicU64::new(0),
            detected: AtomicU64::new(0),
            inspection_failures: AtomicU64::new(0),
            latency: Histogram::default(),
            inspection: Histogram::default(),
            upstream_errors: AtomicU64::new(0),
            upstream_timeouts: AtomicU64::new(0),
        }
    }
}

impl SiteMetrics {
    pub fn status(&self, code: u16) {
        if let Some(c) = self.by_status.get(code as usize) {
            c.fetch_add(1, Relaxed);
        }
    }
}

/// Upstream server state for the `haetae_upstream_up` gauge.
pub struct UpstreamGauge {
    pub site: String,
    pub server: String,
    pub up: Arc<std::sync::atomic::AtomicBool>,
    pub inflight: Arc<std::sync::atomic::AtomicUsize>,
}

pub struct Metrics {
    sites: Mutex<BTreeMap<String, Arc<SiteMetrics>>>,
    /// Requests refused before a site was known (bad Host, protocol errors).
    pub unrouted: Arc<SiteMetrics>,
    pub connections_total: AtomicU64,
    /// Open client connections per worker (sized by `worker::count()`);
    /// their sum is `haetae_connections_active`.
    pub worker_connections: Box<[AtomicU64]>,
    pub reloads_ok: AtomicU64,
    pub reloads_failed: AtomicU64,
    /// Local resources that ran out (file descriptors, memory) where an
    /// upstream connection was wanted: not counted against the upstream.
    pub local_resource_errors: AtomicU64,
    /// Accepts that failed for lack of file descriptors.
    pub accept_errors: AtomicU64,
    /// `Upgrade` requests for a protocol the site does not allow (the
    /// header was dropped and the request served as plain HTTP).
    pub upgrades_refused: AtomicU64,
    /// Inspections of large bodies run on the blocking pool.
    pub offloaded_inspections: AtomicU64,
    pub upstreams: Mutex<Vec<UpstreamGauge>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            sites: Mutex::default(),
            unrouted: Arc::default(),
            connections_total: AtomicU64::new(0),
            worker_connections: (0..crate::worker::count()).map(|_| AtomicU64::new(0)).collect(),
            reloads_ok: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
            local_resource_errors: AtomicU64::new(0),
            accept_errors: AtomicU64::new(0),
            upgrades_refused: AtomicU64::new(0),
            offloaded_inspections: AtomicU64::new(0),
            upstreams: Mutex::default(),
        }
    }
}

impl Metrics {
    /// True when worker `w` serves more than one connection above the
    /// least busy worker.
    pub fn worker_crowded(&self, w: usize) -> bool {
        let Some(mine) = self.worker_connections.get(w) else { return false };
        let least = self.worker_connections.iter().map(|c| c.load(Relaxed)).min().unwrap_or(0);
        mine.load(Relaxed) > least + 1
    }

    pub fn site(&self, name: &str) -> Arc<SiteMetrics> {
        let mut m = self.sites.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(name.to_owned()).or_default().clone()
    }

    /// The Prometheus text exposition.
    pub fn render(&self, extra: &[(&str, &str, u64)]) -> String {
        let mut out = String::with_capacity(8192);
        let sites: Vec<(String, Arc<SiteMetrics>)> = {
            let m = self.sites.lock().unwrap_or_else(|e| e.into_inner());
            let mut v: Vec<_> = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            v.push(("-".into(), self.unrouted.clone()));
            v
        };
        out.push_str("# HELP haetae_requests_total Requests answered, by site and status.\n# TYPE haetae_requests_total counter\n");
        for (name, s) in &sites {
            for (code, c) in s.by_status.iter().enumerate() {
                let n = c.load(Relaxed);
                if n > 0 {
                    let _ = writeln!(out, "haetae_requests_total{{site=\"{}\",status=\"{code}\"}} {n}", esc(name));
                }
            }
        }
        let counter = |out: &mut String, name: &str, help: &str, f: &dyn Fn(&SiteMetrics) -> u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (site, s) in &sites {
                let _ = writeln!(out, "{name}{{site=\"{}\"}} {}", esc(site), f(s));
            }
        };
        counter(&mut out, "haetae_blocked_total", "Requests blocked by inspection.", &|s| s.blocked.load(Relaxed));
        counter(&mut out, "haetae_detections_total", "Requests whose score reached the threshold (any mode).", &|s| {
            s.detected.load(Relaxed)
        });
        counter(&mut out, "haetae_inspection_failures_total", "Inspections that failed or ran out of time.", &|s| {
            s.inspection_failures.load(Relaxed)
        });
        counter(&mut out, "haetae_upstream_errors_total", "Upstream connection or protocol errors.", &|s| s.upstream_errors.load(Relaxed));
        counter(&mut out, "haetae_upstream_timeouts_total", "Upstream responses that timed out.", &|s| s.upstream_timeouts.load(Relaxed));
        out.push_str(
            "# HELP haetae_request_duration_seconds Time to response headers.\n# TYPE haetae_request_duration_seconds histogram\n",
        );
        for (site, s) in &sites {
            s.latency.render(&mut out, "haetae_request_duration_seconds", &format!("site=\"{}\"", esc(site)));
        }
        out.push_str(
            "# HELP haetae_inspection_duration_seconds Engine time per request.\n# TYPE haetae_inspection_duration_seconds histogram\n",
        );
        for (site, s) in &sites {
            s.inspection.render(&mut out, "haetae_inspection_duration_seconds", &format!("site=\"{}\"", esc(site)));
        }
        out.push_str("# HELP haetae_upstream_up Upstream server health (1 up, 0 down).\n# TYPE haetae_upstream_up gauge\n");
        let ups = self.upstreams.lock().unwrap_or_else(|e| e.into_inner());
        for u in ups.iter() {
            let _ = writeln!(
                out,
                "haetae_upstream_up{{site=\"{}\",server=\"{}\"}} {}",
                esc(&u.site),
                esc(&u.server),
                u8::from(u.up.load(Relaxed))
            );
        }
        out.push_str("# HELP haetae_upstream_inflight Requests in flight per upstream server.\n# TYPE haetae_upstream_inflight gauge\n");
        for u in ups.iter() {
            let _ = writeln!(
                out,
                "haetae_upstream_inflight{{site=\"{}\",server=\"{}\"}} {}",
                esc(&u.site),
                esc(&u.server),
                u.inflight.load(Relaxed)
            );
        }
        drop(ups);
        let _ = writeln!(out, "# TYPE haetae_connections_total counter\nhaetae_connections_total {}", self.connections_total.load(Relaxed));
        let _ = writeln!(
            out,
            "# TYPE haetae_connections_active gauge\nhaetae_connections_active {}",
            self.worker_connections.iter().map(|c| c.load(Relaxed)).sum::<u64>()
        );
        let _ = writeln!(out, "# TYPE haetae_worker_connections gauge");
        for (i, c) in self.worker_connections.iter().enumerate() {
            let _ = writeln!(out, "haetae_worker_connections{{worker=\"{i}\"}} {}", c.load(Relaxed));
        }
        let _ = writeln!(
            out,
            "# TYPE haetae_config_reloads_total counter\nhaetae_config_reloads_total{{result=\"ok\"}} {}",
            self.reloads_ok.load(Relaxed)
        );
        let _ = writeln!(out, "haetae_config_reloads_total{{result=\"failed\"}} {}", self.reloads_failed.load(Relaxed));
        for (name, help, v) in [
            (
                "haetae_local_resource_errors_total",
                "Upstream connections not made for lack of local file descriptors or memory.",
                &self.local_resource_errors,
            ),
            ("haetae_accept_errors_total", "Connections not accepted for lack of file descriptors.", &self.accept_errors),
            ("haetae_upgrades_refused_total", "Upgrade requests for a protocol the site does not allow.", &self.upgrades_refused),
            ("haetae_offloaded_inspections_total", "Large bodies inspected off the event loop.", &self.offloaded_inspections),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", v.load(Relaxed));
        }
        for (name, kind, v) in extra {
            let _ = writeln!(out, "# TYPE {name} {kind}\n{name} {v}");
        }
        out
    }
}

/// Per sink: events written, dropped, failed writes.
pub fn render_sinks(out: &mut String, sinks: &[std::sync::Arc<dyn haetae_events::Sink>]) {
    for (name, what, help) in [
        ("haetae_event_sink_written_total", 0, "Events a sink wrote."),
        ("haetae_event_sink_dropped_total", 1, "Events a sink dropped (queue full or write failed)."),
        ("haetae_event_sink_errors_total", 2, "Failed writes of a sink."),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for s in sinks {
            let st = s.stats();
            let v = [st.written, st.dropped, st.errors][what];
            let _ = writeln!(out, "{name}{{sink=\"{}\"}} {v}", esc(s.name()));
        }
    }
}

/// Panics of each detector (each one cost its finding on one value, not
/// the request's inspection).
pub fn render_panics(out: &mut String) {
    let _ = writeln!(
        out,
        "# HELP haetae_detector_panics_total Detector panics (caught; the other detectors went on).\n# TYPE haetae_detector_panics_total counter"
    );
    for (d, n) in haetae_engine::panics::counts() {
        let _ = writeln!(out, "haetae_detector_panics_total{{detector=\"{d}\"}} {n}");
    }
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_two_connections_above_the_least_busy_is_crowded() {
        let m = Metrics { worker_connections: (0..3).map(|_| AtomicU64::new(0)).collect(), ..Metrics::default() };
        let set = |v: [u64; 3]| v.iter().zip(m.worker_connections.iter()).for_each(|(v, c)| c.store(*v, Relaxed));
        set([1, 0, 0]);
        assert!(!m.worker_crowded(0));
        set([2, 1, 0]);
        assert!(m.worker_crowded(0), "2 against 0");
        assert!(!m.worker_crowded(1));
        set([5, 4, 4]);
        assert!(!m.worker_crowded(0));
        assert!(!m.worker_crowded(7), "no such worker");
        assert!(m.render(&[]).contains("haetae_worker_connections{worker=\"2\"} 4"));
    }

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        let s = m.site("shop");
        s.status(200);
        s.status(200);
        s.status(403);
        s.blocked.fetch_add(1, Relaxed);
        s.latency.observe(Duration::from_millis(3));
        let t = m.render(&[]);
        assert!(t.contains("haetae_requests_total{site=\"shop\",status=\"200\"} 2"), "{t}");
        assert!(t.contains("haetae_blocked_total{site=\"shop\"} 1"));
        assert!(t.contains("haetae_request_duration_seconds_bucket{site=\"shop\",le=\"0.005\"} 1"));
        assert!(t.contains("haetae_request_duration_seconds_count{site=\"shop\"} 1"));
    }
}
