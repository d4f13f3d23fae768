//! XML external entities: a DOCTYPE that declares an entity with a
//! SYSTEM or PUBLIC identifier (or a parameter entity).

use haetae_model::Confidence::{High, Medium};
use haetae_model::Source;

use super::{Hit, Target, find};

pub fn check(t: &Target<'_>) -> Option<Hit> {
    let s = t.norm;
    let at = find(s, b"<!entity").or_else(|| (t.source == Source::Xml && t.key == "!DOCTYPE").then(|| find(s, b"entity")).flatten())?;
    let decl = &s[at..];
    if find(decl, b"system").is_some() || find(decl, b"public").is_some() || find(decl, b"% ").is_some() {
        return Some(Hit::new(2601, High, "XXE: external entity declaration", at));
    }
    Some(Hit::new(2602, Medium, "XML entity declaration", at))
}
