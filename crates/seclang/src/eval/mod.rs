//! The SecLang evaluator: compiled rules ([`RuleSet`]) run over the
//! request model in a [`Transaction`], phase by phase, the way ModSecurity
//! runs them — transformations, operators, chains, `skipAfter`/`skip`,
//! `setvar` with macros, `capture`, `ctl:` (rule and target removal,
//! engine switch), disruptive actions resolved through
//! `SecDefaultAction`, and `SecRuleRemove*`/`SecRuleUpdate*` applied at
//! load. Phases 3 and 4 run over a response when the caller has one.
//! Persistent collections (`IP`, `SESSION`, `GLOBAL`…) are not kept: they
//! read as empty.
//!
//! The hot path works on borrowed bytes: collections are walked in place,
//! a transformation that would change nothing returns its input, and a
//! variable's name is only formatted when its value matched.

mod compile;
mod prefilter;
mod transaction;
mod vars;

use std::collections::HashMap;

use haetae_model::Request;

use crate::operator::Op;

pub use compile::Compiled;
pub use transaction::{Response, Suspended, Transaction};

/// `SecRuleEngine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineMode {
    /// Rules run and disruptive actions interrupt the transaction.
    #[default]
    On,
    /// Rules run and log; nothing is interrupted.
    DetectionOnly,
    /// Rules do not run.
    Off,
}

/// A loaded, compiled rule set.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Compiled>,
    /// Marker name → index of the first rule after it.
    markers: HashMap<String, usize>,
    /// `SecRuleEngine` (last one wins; `On` when none is given).
    pub engine: EngineMode,
    /// `SecRequestBodyAccess` (`On` when none is given: a WAF that does
    /// not read bodies misses most attacks).
    pub request_body_access: bool,
    /// `SecResponseBodyAccess`.
    pub response_body_access: bool,
    /// Literals of the `@rx` rules, scanned once per value.
    prefilter: Option<prefilter::Prefilter>,
}

/// A logged rule that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMatch {
    pub id: u64,
    pub phase: u8,
    /// `msg`, macros expanded.
    pub msg: String,
    /// `logdata`, macros expanded.
    pub data: String,
    /// `severity` as a number (0 emergency … 7 debug).
    pub severity: Option<u8>,
    /// Where the rule (its first link) matched, e.g. `ARGS:q`.
    pub var: String,
    /// The transformed value that matched, cut to 200 bytes.
    pub value: String,
}

/// What a disruptive action asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disruption {
    /// `deny` (and `block` resolved to it): answer with `status`.
    Deny,
    /// `drop`: close the connection.
    Drop,
    /// `redirect:URL`.
    Redirect(String),
}

/// The transaction was interrupted by rule `rule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interruption {
    pub rule: u64,
    pub phase: u8,
    pub status: u16,
    pub action: Disruption,
}

/// Everything a transaction produced.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub matched: Vec<RuleMatch>,
    pub interruption: Option<Interruption>,
    /// Under `SecRuleEngine DetectionOnly`: the first disruptive action
    /// that would have interrupted the transaction.
    pub would_interrupt: Option<Interruption>,
}

impl Outcome {
    pub fn ids(&self) -> Vec<u64> {
        self.matched.iter().map(|m| m.id).collect()
    }
}

impl RuleSet {
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Gives every `@rx` rule (and chain link) whose pattern has a finite
    /// set of necessary literals a prefilter slot.
    fn build_prefilter(&mut self) {
        let mut sets: Vec<Vec<Vec<u8>>> = Vec::new();
        for head in &mut self.rules {
            let mut link = Some(head);
            while let Some(r) = link {
                if let (Op::Rx(re), false, false) = (&r.op, r.negated, r.multi)
                    && let Some(lits) = prefilter::literals(re.as_str())
                {
                    r.prefilter = Some(sets.len() as u32);
                    sets.push(lits);
                }
                link = r.chain.as_deref_mut();
            }
        }
        self.prefilter = prefilter::Prefilter::build(&sets);
    }

    /// How many `@rx` rules the prefilter covers (for `haetae rules`).
    pub fn prefiltered(&self) -> usize {
        self.prefilter.as_ref().map_or(0, |p| p.slots)
    }

    /// A transaction over `req` and its raw `body`.
    pub fn transaction<'r>(&'r self, req: &'r Request, body: &'r [u8]) -> Transaction<'r> {
        Transaction::new(self, req, body)
    }

    /// Resumes a transaction suspended after its request phases.
    pub fn resume<'r>(&'r self, s: Suspended, req: &'r Request, body: &'r [u8]) -> Transaction<'r> {
        Transaction::resume(self, s, req, body)
    }

    /// Whether any rule reads the response (phases 3 and 4): only then
    /// does a proxy need to keep a transaction until the response comes.
    pub fn has_response_rules(&self) -> bool {
        self.engine != EngineMode::Off && self.rules.iter().any(|r| !r.removed && (r.phase == 3 || r.phase == 4))
    }

    /// Runs the request phases (1 and 2) without interrupting — every
    /// rule runs, as with `SecRuleEngine DetectionOnly` — and returns the
    /// ids of the logged rules that matched, in order.
    pub fn evaluate(&self, req: &Request, body: &[u8]) -> Vec<u64> {
        let mut t = self.transaction(req, body);
        t.detection_only();
        t.request();
        t.finish().ids()
    }
}

#[cfg(test)]
mod tests;
