//! Per-site, per-minute request counters: every request adds to them (a
//! short lock and no allocation once the site is known), and a store
//! drains finished minutes into its `counts` table, so dashboards and
//! reports read aggregates instead of scanning events.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub requests: u64,
    pub blocked: u64,
    /// Responses by status class: 1xx … 5xx.
    pub status: [u64; 5],
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub upstream_errors: u64,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.requests += o.requests;
        self.blocked += o.blocked;
        for (a, b) in self.status.iter_mut().zip(o.status) {
            *a += b;
        }
        self.bytes_in += o.bytes_in;
        self.bytes_out += o.bytes_out;
        self.upstream_errors += o.upstream_errors;
    }
}

/// One finished request, as counted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    pub status: u16,
    pub blocked: bool,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub upstream_error: bool,
}

#[derive(Default)]
pub struct Tally {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The minute being counted, per site.
    open: HashMap<String, (i64, Counts)>,
    /// Minutes a newer request closed, waiting for the store.
    closed: Vec<(String, i64, Counts)>,
}

impl Tally {
    pub fn add(&self, site: &str, unix_secs: i64, s: Sample) {
        let minute = unix_secs.div_euclid(60) * 60;
        let Ok(mut g) = self.inner.lock() else { return };
        let inner = &mut *g;
        let slot = match inner.open.get_mut(site) {
            Some(slot) => slot,
            None => inner.open.entry(site.to_owned()).or_insert((minute, Counts::default())),
        };
        if slot.0 != minute {
            let done = std::mem::replace(slot, (minute, Counts::default()));
            inner.closed.push((site.to_owned(), done.0, done.1));
        }
        let c = &mut slot.1;
        c.requests += 1;
        c.blocked += u64::from(s.blocked);
        if let Some(n) = c.status.get_mut(usize::from(s.status / 100).wrapping_sub(1)) {
            *n += 1;
        }
        c.bytes_in += s.bytes_in;
        c.bytes_out += s.bytes_out;
        c.upstream_errors += u64::from(s.upstream_error);
    }

    /// Everything counted so far (the open minutes too: the store adds
    /// rows up, so a minute may arrive in parts).
    pub fn drain(&self) -> Vec<(String, i64, Counts)> {
        let Ok(mut g) = self.inner.lock() else { return Vec::new() };
        let mut out = std::mem::take(&mut g.closed);
        for (site, (minute, c)) in g.open.iter_mut() {
            if c.requests > 0 {
                out.push((site.clone(), *minute, std::mem::take(c)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_site_and_minute_and_drains_each_once() {
        let t = Tally::default();
        t.add("a", 120, Sample { status: 200, bytes_in: 10, bytes_out: 100, ..Default::default() });
        t.add("a", 150, Sample { status: 403, blocked: true, ..Default::default() });
        t.add("b", 150, Sample { status: 502, upstream_error: true, ..Default::default() });
        t.add("a", 181, Sample { status: 200, ..Default::default() });
        let mut d = t.drain();
        d.sort_by(|x, y| (&x.0, x.1).cmp(&(&y.0, y.1)));
        assert_eq!(d.len(), 3);
        assert_eq!((d[0].0.as_str(), d[0].1, d[0].2.requests, d[0].2.blocked, d[0].2.status), ("a", 120, 2, 1, [0, 1, 0, 1, 0]));
        assert_eq!(d[0].2.bytes_out, 100);
        assert_eq!((d[1].1, d[1].2.requests), (180, 1));
        assert_eq!((d[2].0.as_str(), d[2].2.upstream_errors, d[2].2.status[4]), ("b", 1, 1));
        assert!(t.drain().is_empty(), "drained once");
        t.add("a", 182, Sample { status: 999, ..Default::default() });
        assert_eq!(t.drain()[0].2.status, [0; 5], "an odd status is counted as a request only");
    }
}
