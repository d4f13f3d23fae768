//! One request (and, when the caller has it, its response) going through
//! a [`RuleSet`], phase by phase.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::Instant;

use haetae_model::Request;
use rustc_hash::FxHashMap;

use super::compile::{AllowScope, Compiled, Disruptive, Effect, Flow};
use super::prefilter::Scan;
use super::vars::{Coll, Sel, VarSpec};
use super::{Disruption, EngineMode, Interruption, Outcome, RuleMatch, RuleSet};
use crate::transform::Transform;

/// The response a transaction's phases 3 and 4 read.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    pub status: u16,
    pub protocol: &'a str,
    /// Names as received (compared without case).
    pub headers: &'a [(String, Vec<u8>)],
    pub body: &'a [u8],
}

pub struct Transaction<'r> {
    pub(super) set: &'r RuleSet,
    pub(super) req: &'r Request,
    pub(super) body: &'r [u8],
    pub(super) response: Option<Response<'r>>,
    /// Everything that outlives a suspension.
    pub(super) st: Suspended,
    /// (name, value) of the variables the last operator matched.
    pub(super) matched: Vec<(String, Vec<u8>)>,
    /// Transformed long values by (address, length) of a value borrowed
    /// from the request and the rule's transformation list.
    transformed: RefCell<FxHashMap<(usize, usize, u32), Rc<Transformed>>>,
    /// Prefilter results by (address, length) of a value borrowed from
    /// the request and, when the value was reshaped, the transformation
    /// list.
    scanned: RefCell<FxHashMap<(usize, usize, u32), Rc<Scan>>>,
}

/// A value after a transformation list (`None`: unchanged), and whether
/// more than its letter case changed.
type Transformed = (Option<Vec<u8>>, bool);

/// A value after a rule's transformations: computed for this rule, or
/// shared from the transaction's cache.
enum Shaped {
    Fresh(Transformed),
    Cached(Rc<Transformed>),
}

impl Shaped {
    fn get(&self) -> &Transformed {
        match self {
            Shaped::Fresh(t) => t,
            Shaped::Cached(t) => t,
        }
    }
}

/// Values at least this long have their transformations cached.
const CACHE_FROM: usize = 256;

/// `t` applied to `v`, when that changes it.
fn changed(t: Transform, v: &[u8]) -> Option<Vec<u8>> {
    match t.apply(v) {
        Cow::Owned(o) => (o != v).then_some(o),
        Cow::Borrowed(b) if b.len() != v.len() => Some(b.to_vec()),
        Cow::Borrowed(_) => None,
    }
}

/// `v` through a transformation list: the result (`None`: unchanged) and
/// whether more than its letter case changed.
fn transform(list: &[Transform], v: &[u8]) -> Transformed {
    let mut cur: Option<Vec<u8>> = None;
    let mut reshaped = false;
    for &t in list {
        if let Some(next) = changed(t, cur.as_deref().unwrap_or(v)) {
            reshaped |= !matches!(t, Transform::Lowercase | Transform::Uppercase);
            cur = Some(next);
        }
    }
    (cur, reshaped)
}

/// A variable that matched: its display name and transformed value.
type Hit = (String, Vec<u8>);

/// A variable that matched, with the operator's captures (`capture`).
type Match = (String, Vec<u8>, Option<Vec<Vec<u8>>>);

/// A transaction's state between its request and response phases, owned
/// and `Send`, so a proxy can hold it while it waits for the upstream and
/// resume over the same request model ([`RuleSet::resume`]).
#[derive(Debug)]
pub struct Suspended {
    pub(super) protocol: String,
    pub(super) unique_id: String,
    pub(super) tx: HashMap<String, String>,
    pub(super) matches: Vec<RuleMatch>,
    pub(super) force_body: bool,
    /// `ctl:requestBodyProcessor`.
    pub(super) body_processor: Option<String>,
    mode: EngineMode,
    removed: HashSet<u64>,
    removed_tags: Vec<String>,
    /// (rule id or tag, collection, key lower-cased; empty = all) removed
    /// at run time.
    removed_targets: Vec<(String, &'static str, Vec<u8>)>,
    interruption: Option<Interruption>,
    /// Under `DetectionOnly`, the first interruption that did not happen.
    would_interrupt: Option<Interruption>,
    /// No rule runs any more (interrupted, `allow`, `ctl:ruleEngine=Off`).
    done: bool,
    /// `allow:request`: phases 1 and 2 are over.
    request_allowed: bool,
    /// Stop evaluating past this instant (the proxy's inspection budget).
    deadline: Option<Instant>,
    /// The deadline passed before every rule ran.
    timed_out: bool,
}

impl<'r> Transaction<'r> {
    /// Ends this borrow of the request, keeping the state.
    pub fn suspend(self) -> Suspended {
        self.st
    }

    /// Picks a suspended transaction up again over the same request.
    pub(super) fn resume(set: &'r RuleSet, st: Suspended, req: &'r Request, body: &'r [u8]) -> Self {
        Transaction { st, ..Transaction::new(set, req, body) }
    }

    pub(super) fn new(set: &'r RuleSet, req: &'r Request, body: &'r [u8]) -> Self {
        Transaction {
            set,
            req,
            body: if set.request_body_access { body } else { &[] },
            response: None,
            st: Suspended {
                protocol: String::from("HTTP/1.1"),
                unique_id: String::from("haetae"),
                tx: HashMap::new(),
                matches: Vec::new(),
                force_body: false,
                body_processor: None,
                mode: set.engine,
                removed: HashSet::new(),
                removed_tags: Vec::new(),
                removed_targets: Vec::new(),
                interruption: None,
                would_interrupt: None,
                done: set.engine == EngineMode::Off,
                request_allowed: false,
                deadline: None,
                timed_out: false,
            },
            matched: Vec::new(),
            scanned: RefCell::new(FxHashMap::default()),
            transformed: RefCell::new(FxHashMap::default()),
        }
    }

    /// Log matches but never interrupt (`SecRuleEngine DetectionOnly`).
    pub fn detection_only(&mut self) {
        if self.st.mode == EngineMode::On {
            self.st.mode = EngineMode::DetectionOnly;
        }
    }

    /// Stop at `deadline`: the rules not yet run are skipped and
    /// [`Transaction::timed_out`] says so (a caller that must bound its
    /// inspection time, like the proxy, then applies its fail-open rule).
    pub fn deadline(&mut self, deadline: Option<Instant>) {
        self.st.deadline = deadline;
    }

    pub fn timed_out(&self) -> bool {
        self.st.timed_out
    }

    /// `REQUEST_PROTOCOL` (`HTTP/1.1` unless set).
    pub fn protocol(&mut self, p: &str) {
        p.clone_into(&mut self.st.protocol);
    }

    /// `UNIQUE_ID` (the proxy's event id).
    pub fn unique_id(&mut self, id: &str) {
        self.st.unique_id = id.to_owned();
    }

    /// Runs phases 1 and 2; returns the interruption, if any.
    pub fn request(&mut self) -> Option<&Interruption> {
        for phase in [1, 2] {
            if !self.st.request_allowed {
                self.phase(phase);
            }
        }
        self.st.interruption.as_ref()
    }

    /// Runs phases 3 and 4 over `resp`; returns the interruption, if any.
    pub fn response(&mut self, resp: Response<'r>) -> Option<&Interruption> {
        self.response = Some(resp);
        for phase in [3, 4] {
            self.phase(phase);
        }
        self.st.interruption.as_ref()
    }

    /// Runs phase 5 (logging: rules that correlate what happened).
    pub fn logging(&mut self) {
        // Logging rules run even after an interruption, as ModSecurity's do.
        let done = std::mem::replace(&mut self.st.done, self.st.mode == EngineMode::Off);
        self.phase(5);
        self.st.done = done;
    }

    /// Under `DetectionOnly`, the interruption that would have happened.
    pub fn would_interrupt(&self) -> Option<&Interruption> {
        self.st.would_interrupt.as_ref()
    }

    pub fn interruption(&self) -> Option<&Interruption> {
        self.st.interruption.as_ref()
    }

    pub fn finish(self) -> Outcome {
        Outcome { matched: self.st.matches, interruption: self.st.interruption, would_interrupt: self.st.would_interrupt }
    }

    fn phase(&mut self, phase: u8) {
        let rules = &self.set.rules;
        let mut i = 0;
        while i < rules.len() && !self.st.done {
            // The clock is read every 16 rules: cheap, and no rule runs long.
            if i % 16 == 0 && self.st.deadline.is_some_and(|d| Instant::now() >= d) {
                self.st.timed_out = true;
                self.st.done = true;
                return;
            }
            let r = &rules[i];
            i += 1;
            if r.phase != phase || r.removed || self.st.removed.contains(&r.id) {
                continue;
            }
            if !self.st.removed_tags.is_empty() && r.tags.iter().any(|t| self.st.removed_tags.contains(t)) {
                continue;
            }
            let Some(first) = self.run(r, r) else { continue };
            if r.log {
                self.log(r, first);
            }
            // Flow control from any link of the chain.
            let mut link = Some(r);
            while let Some(l) = link {
                for f in &l.flow {
                    match f {
                        Flow::SkipAfter(m) => {
                            if let Some(&to) = self.set.markers.get(m) {
                                i = i.max(to);
                            }
                        }
                        Flow::Skip(n) => i += n,
                    }
                }
                link = l.chain.as_deref();
            }
            match &r.disruptive {
                Disruptive::Pass => {}
                Disruptive::Allow(scope) => match scope {
                    AllowScope::All => self.st.done = true,
                    AllowScope::Phase => return,
                    AllowScope::Request => {
                        if phase <= 2 {
                            self.st.request_allowed = true;
                            return;
                        }
                    }
                },
                d => {
                    let action = match d {
                        Disruptive::Drop => Disruption::Drop,
                        Disruptive::Redirect(u) => Disruption::Redirect(self.expand(u)),
                        _ => Disruption::Deny,
                    };
                    let i = Interruption { rule: r.id, phase, status: r.status, action };
                    if self.st.mode == EngineMode::On {
                        self.st.interruption = Some(i);
                        self.st.done = true;
                    } else if self.st.would_interrupt.is_none() {
                        // DetectionOnly: the rules go on, and the caller
                        // still learns what would have been blocked.
                        self.st.would_interrupt = Some(i);
                    }
                }
            }
        }
    }

    fn log(&mut self, r: &Compiled, first: Hit) {
        let msg = r.msg.as_deref().map(|m| self.expand(m)).unwrap_or_default();
        let data = r.logdata.as_deref().map(|m| self.expand(m)).unwrap_or_default();
        let (var, value) = first;
        let cut = value.len().min(200);
        self.st.matches.push(RuleMatch {
            id: r.id,
            phase: r.phase,
            msg,
            data,
            severity: r.severity,
            var,
            value: String::from_utf8_lossy(&value[..cut]).into_owned(),
        });
    }

    /// Whether `r` (and its chain) matches: the first variable the head
    /// matched, or `None`. Runs each matching link's `setvar`/`ctl`.
    fn run(&mut self, r: &Compiled, head: &Compiled) -> Option<Hit> {
        let hits = if r.vars.is_empty() { vec![(String::new(), Vec::new(), None)] } else { self.test(r, head) };
        let first = hits.first().map(|(n, v, _)| (n.clone(), v.clone()))?;
        // As ModSecurity v3: a link's `setvar`/`ctl` run once per matched
        // variable, with that match's captures and `MATCHED_VAR` (CRS
        // 922150 collects every part's Content-Type this way), and before
        // the next link is tried (CRS 931130 reads in link 2 what link 1
        // set).
        let mut all = Vec::with_capacity(hits.len());
        for (name, value, caps) in hits {
            if let Some(caps) = caps {
                for (k, c) in caps.iter().enumerate() {
                    self.st.tx.insert(k.to_string(), String::from_utf8_lossy(c).into_owned());
                }
            }
            self.matched = vec![(name, value)];
            self.effects(r);
            all.append(&mut self.matched);
        }
        self.matched = all;
        match &r.chain {
            Some(next) => self.run(next, head).map(|_| first),
            None => Some(first),
        }
    }

    /// Runs the operator over every selected, transformed value.
    fn test(&self, r: &Compiled, head: &Compiled) -> Vec<Match> {
        let mut hits = Vec::new();
        let mut caps: Vec<Vec<u8>> = Vec::new();
        let expand = |s: &str| self.expand(s);
        let removed: Vec<(&'static str, &[u8])> = if self.st.removed_targets.is_empty() {
            Vec::new()
        } else {
            let id = head.id.to_string();
            self.st
                .removed_targets
                .iter()
                .filter(|(who, _, _)| *who == id || head.tags.iter().any(|t| t == who))
                .map(|(_, c, k)| (*c, k.as_slice()))
                .collect()
        };
        for spec in &r.vars {
            let stable = spec.coll.stable();
            // What is excluded from this variable, sorted out once rather
            // than per member.
            let excludes: Vec<&VarSpec> = r.excludes.iter().filter(|x| x.coll == spec.coll).collect();
            let removed_keys: Vec<&[u8]> = removed.iter().filter(|(c, _)| *c == spec.name).map(|(_, k)| *k).collect();
            if removed_keys.iter().any(|k| k.is_empty()) {
                continue;
            }
            let keep = |key: &[u8]| {
                spec.sel.selects(key)
                    && !excludes.iter().any(|x| x.sel.selects(key))
                    && !removed_keys.iter().any(|k| key.eq_ignore_ascii_case(k))
            };
            let mut check = |key: &[u8], value: &[u8], counted: bool| {
                let mut hit = false;
                let cur: Cow<[u8]> = if r.multi {
                    let mut cur: Cow<[u8]> = Cow::Borrowed(value);
                    let want = if r.capture { Some(&mut caps) } else { None };
                    hit = r.op.matches(&cur, &expand, want) != r.negated;
                    for t in &r.transforms {
                        if hit {
                            break;
                        }
                        if let Some(next) = changed(*t, &cur) {
                            cur = Cow::Owned(next);
                            let want = if r.capture { Some(&mut caps) } else { None };
                            hit = r.op.matches(&cur, &expand, want) != r.negated;
                        }
                    }
                    cur
                } else {
                    let shaped = self.shape(r, value, stable && !counted);
                    let (out, reshaped) = shaped.get();
                    let cur: &[u8] = out.as_deref().unwrap_or(value);
                    if self.may_match(r, cur, (stable && !counted).then_some(value), *reshaped) {
                        let want = if r.capture { Some(&mut caps) } else { None };
                        hit = r.op.matches(cur, &expand, want) != r.negated;
                    }
                    if hit { Cow::Owned(cur.to_vec()) } else { Cow::Borrowed(value) }
                };
                if hit {
                    let captured = (r.capture && !caps.is_empty()).then(|| std::mem::take(&mut caps));
                    let name = if counted { format!("&{}", spec.name) } else { spec.display(key) };
                    hits.push((name, cur.into_owned(), captured));
                }
            };
            if spec.count {
                let mut n = 0usize;
                self.walk(spec.coll, &mut |k, _| n += usize::from(keep(k)));
                check(b"", n.to_string().as_bytes(), true);
            } else if let (Coll::Tx, Sel::Key(k)) = (spec.coll, &spec.sel) {
                // `TX:name` (CRS gates every file on a few): a lookup, not
                // a walk over every variable (keys are stored lower-cased).
                if let Ok(name) = std::str::from_utf8(k)
                    && let Some((key, v)) = self.st.tx.get_key_value(name)
                    && keep(key.as_bytes())
                {
                    check(key.as_bytes(), v.as_bytes(), false)
                }
            } else {
                self.walk(spec.coll, &mut |k, v| {
                    if keep(k) {
                        check(k, v, false)
                    }
                });
            }
        }
        hits
    }

    /// `value` through `r`'s transformations. A long value borrowed from
    /// the request (`cacheable`) is transformed once per transformation
    /// list, whichever rules share it; for short ones the lookup costs
    /// more than it saves.
    fn shape(&self, r: &Compiled, value: &[u8], cacheable: bool) -> Shaped {
        if !cacheable || value.len() < CACHE_FROM {
            return Shaped::Fresh(transform(&r.transforms, value));
        }
        let key = (value.as_ptr() as usize, value.len(), r.chain_id);
        let cached = self.transformed.borrow().get(&key).cloned();
        Shaped::Cached(cached.unwrap_or_else(|| {
            let t = Rc::new(transform(&r.transforms, value));
            self.transformed.borrow_mut().insert(key, t.clone());
            t
        }))
    }

    /// False when the prefilter shows `r` cannot match `cur`, the value
    /// after `r`'s transformations. For a value borrowed from the request
    /// (`raw`, stable for the transaction) the scan is cached: under the
    /// value's address when the transformations changed nothing but case
    /// (the scan ignores case), else under the address and the
    /// transformation list, which determine the result.
    fn may_match(&self, r: &Compiled, cur: &[u8], raw: Option<&[u8]>, reshaped: bool) -> bool {
        let (Some(slot), Some(pf)) = (r.prefilter, &self.set.prefilter) else { return true };
        let Some(raw) = raw else { return pf.may_match(&pf.scan(cur), slot) };
        let key = (raw.as_ptr() as usize, raw.len(), if reshaped { r.chain_id + 1 } else { 0 });
        let cached = self.scanned.borrow().get(&key).cloned();
        let scan = match cached {
            Some(s) => s,
            None => {
                let s = Rc::new(pf.scan(cur));
                self.scanned.borrow_mut().insert(key, s.clone());
                s
            }
        };
        pf.may_match(&scan, slot)
    }

    fn effects(&mut self, r: &Compiled) {
        for e in &r.effects {
            match e {
                Effect::SetVar(v) => self.setvar(v),
                Effect::Ctl(c) => self.ctl(c),
            }
        }
    }

    /// `%{tx.name}`, `%{MATCHED_VAR}`, `%{REQUEST_HEADERS.host}`,
    /// `%{REMOTE_ADDR}`…; unknown ones expand to nothing, as ModSecurity
    /// does.
    pub(super) fn expand(&self, s: &str) -> String {
        if !s.contains("%{") {
            return s.to_owned();
        }
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(p) = rest.find("%{") {
            out.push_str(&rest[..p]);
            let Some(end) = rest[p..].find('}') else {
                out.push_str(&rest[p..]);
                return out;
            };
            let name = &rest[p + 2..p + end];
            let (coll, key) = match name.split_once('.') {
                Some((c, k)) => (c, Some(k)),
                None => (name, None),
            };
            if coll.eq_ignore_ascii_case("tx") {
                if let Some(v) = key.and_then(|k| self.st.tx.get(&k.to_ascii_lowercase())) {
                    out.push_str(v);
                }
            } else {
                let c = super::vars::Coll::from_name(coll);
                let mut found: Option<String> = None;
                self.walk(c, &mut |k, v| {
                    if found.is_none() && key.is_none_or(|key| k.eq_ignore_ascii_case(key.as_bytes())) {
                        found = Some(String::from_utf8_lossy(v).into_owned());
                    }
                });
                out.push_str(&found.unwrap_or_default());
            }
            rest = &rest[p + end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn setvar(&mut self, spec: &str) {
        let spec = self.expand(spec);
        if let Some(name) = spec.strip_prefix('!') {
            if let Some(k) = tx_key(name) {
                self.st.tx.remove(&k);
            }
            return;
        }
        let (name, value) = spec.split_once('=').unwrap_or((&spec, "1"));
        let Some(key) = tx_key(name) else { return };
        let cur = self.st.tx.get(&key).and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or(0);
        let new = if let Some(n) = value.strip_prefix('+') {
            cur.saturating_add(n.trim().parse::<i64>().unwrap_or(0)).to_string()
        } else if let Some(n) = value.strip_prefix('-') {
            cur.saturating_sub(n.trim().parse::<i64>().unwrap_or(0)).to_string()
        } else {
            value.to_owned()
        };
        self.st.tx.insert(key, new);
    }

    fn ctl(&mut self, c: &str) {
        let Some((opt, arg)) = c.split_once('=') else { return };
        match opt {
            "ruleRemoveById" => {
                for part in arg.split([',', ' ']).filter(|p| !p.is_empty()) {
                    match part.split_once('-') {
                        Some((a, b)) => {
                            if let (Ok(a), Ok(b)) = (a.parse::<u64>(), b.parse::<u64>()) {
                                self.st.removed.extend(a..=b.min(a.saturating_add(100_000)));
                            }
                        }
                        None => {
                            if let Ok(id) = part.parse() {
                                self.st.removed.insert(id);
                            }
                        }
                    }
                }
            }
            "ruleRemoveByTag" => self.st.removed_tags.push(arg.to_owned()),
            "ruleRemoveTargetById" | "ruleRemoveTargetByTag" => {
                if let Some((who, target)) = arg.split_once(';') {
                    let (coll, key) = target.split_once(':').unwrap_or((target, ""));
                    let coll = crate::vocab::lookup(crate::vocab::COLLECTIONS, coll).unwrap_or("UNKNOWN");
                    self.st.removed_targets.push((who.to_owned(), coll, key.to_ascii_lowercase().into_bytes()));
                }
            }
            "ruleEngine" => match arg.to_ascii_lowercase().as_str() {
                "off" => self.st.done = true,
                "detectiononly" => self.st.mode = EngineMode::DetectionOnly,
                _ => {}
            },
            "forceRequestBodyVariable" => self.st.force_body = arg.eq_ignore_ascii_case("on"),
            "requestBodyProcessor" => self.st.body_processor = Some(arg.trim().to_ascii_uppercase()),
            _ => {}
        }
    }
}

/// `tx.name` → `name` (lower-cased); other collections are not kept.
fn tx_key(name: &str) -> Option<String> {
    let name = name.trim();
    let (coll, key) = name.split_once('.')?;
    coll.eq_ignore_ascii_case("tx").then(|| key.to_ascii_lowercase())
}
