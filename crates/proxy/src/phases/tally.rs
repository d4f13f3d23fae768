//! Per-site, per-minute request counters for the store (what dashboards
//! and reports read), counted when the response is done.

use super::{LogLine, Stage};
use crate::state::Shared;

pub struct Tally;

impl Stage for Tally {
    fn name(&self) -> &'static str {
        "tally"
    }

    fn logs(&self, shared: &Shared) -> bool {
        shared.store.is_some()
    }

    fn logging(&self, shared: &Shared, l: &LogLine) {
        if shared.store.is_none() {
            return;
        }
        let site = l.site.as_deref().unwrap_or("-");
        let secs = haetae_events::time::unix_millis() as i64 / 1000;
        shared.tally.add(
            site,
            secs,
            haetae_events::tally::Sample {
                status: l.status,
                // An answer of our own that came with an event: a refusal.
                blocked: l.event_id.is_some() && l.upstream.is_none(),
                bytes_in: l.meta.bytes_in,
                bytes_out: l.bytes,
                // Ours, not the upstream's: 502 and 504 mean it failed us.
                upstream_error: matches!(l.status, 502 | 504) && l.upstream.is_some(),
            },
        );
    }
}
