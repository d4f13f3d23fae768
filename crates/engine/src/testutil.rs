use haetae_model::Source;

use crate::detect::{Kind, Target};
use crate::normalize::Evasion;

pub fn target<'a>(raw: &'a [u8], norm: &'a [u8], ev: Evasion) -> Target<'a> {
    target_kind(raw, norm, ev, Kind::Value)
}

pub fn target_kind<'a>(raw: &'a [u8], norm: &'a [u8], ev: Evasion, kind: Kind) -> Target<'a> {
    Target { source: Source::Query, kind, key: "q", raw, norm, evasion: ev }
}
