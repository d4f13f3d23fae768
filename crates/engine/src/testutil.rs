use haetae_model::{Confidence, Source};

use crate::detect::{Hit, Kind, Target};
use crate::normalize::Evasion;

pub fn target<'a>(raw: &'a [u8], norm: &'a [u8], ev: Evasion) -> Target<'a> {
    target_kind(raw, norm, ev, Kind::Value)
}

pub fn target_kind<'a>(raw: &'a [u8], norm: &'a [u8], ev: Evasion, kind: Kind) -> Target<'a> {
    Target { source: Source::Query, kind, key: "q", raw, norm, evasion: ev }
}

/// Normalizes `s` and runs one detector's `check` on it as a query value.
pub fn confidence(check: fn(&Target<'_>) -> Option<Hit>, s: &str) -> Option<Confidence> {
    let (norm, ev) = crate::normalize::normalize(s.as_bytes());
    check(&target(s.as_bytes(), &norm, ev)).map(|h| h.confidence)
}

/// Normalizes `v` and runs one detector's `check` on it as a `kind`
/// target from `source` under `key` (a header name, a password field).
pub fn confidence_at(check: fn(&Target<'_>) -> Option<Hit>, source: Source, kind: Kind, key: &str, v: &str) -> Option<Confidence> {
    let (norm, ev) = crate::normalize::normalize(v.as_bytes());
    check(&Target { source, kind, key, raw: v.as_bytes(), norm: &norm, evasion: ev }).map(|h| h.confidence)
}
