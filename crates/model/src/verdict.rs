use serde::{Deserialize, Serialize};

/// How sure a detector is. Scores come from confidence, so a site's
/// threshold decides how much doubt it tolerates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Odd, but common in benign traffic too (e.g. a protocol anomaly).
    Low,
    /// Likely an attack.
    Medium,
    /// An attack: the input forms a working payload.
    High,
}

impl Confidence {
    pub fn score(self) -> u32 {
        match self {
            Confidence::Low => 2,
            Confidence::Medium => 4,
            Confidence::High => 8,
        }
    }
}

/// One thing a detector found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Detector family, e.g. `sqli`, `xss`, `protocol`.
    pub detector: &'static str,
    /// Stable rule id inside Haetae's numbering (for exceptions and logs).
    pub rule_id: u32,
    /// The shape's stable id (`cmdi.pipe-into-shell`; `seclang.rule` for
    /// SecLang rules, whose `rule_id` says which).
    pub shape: &'static str,
    /// Where it matched (shown as `ARGS:q`).
    pub location: crate::Location,
    /// The decoded text that matched, cut short (the proxy masks it further
    /// before logging).
    pub excerpt: String,
    /// One line a person can read.
    pub reason: String,
    pub confidence: Confidence,
    pub score: u32,
}

/// What the engine recommends. The proxy applies the site's mode on top
/// (prevention blocks, detection and learning only log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    #[default]
    Allow,
    Block,
}

/// The engine's answer for one request.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verdict {
    pub score: u32,
    pub action: Action,
    pub findings: Vec<Finding>,
}

impl Verdict {
    pub fn allow() -> Self {
        Self::default()
    }

    pub fn is_block(&self) -> bool {
        self.action == Action::Block
    }
}
