//! From directives to [`Compiled`] rules: variables resolved to
//! collections, transformations to enums, operators compiled, actions
//! sorted by what they do, `SecDefaultAction` folded in, and the
//! `SecRuleRemove*`/`SecRuleUpdate*` directives applied once every rule
//! is known (wherever they stand, as ModSecurity v3 does).

use regex::bytes::{Regex, RegexBuilder};

use super::vars::{Coll, Sel, VarSpec};
use super::{EngineMode, RuleSet};
use crate::Error;
use crate::ast::{Action, Directive, Selector, Variable};
use crate::operator::{self, Op};
use crate::transform::Transform;

/// One compiled rule (a chain is the head plus its links).
#[derive(Debug)]
pub struct Compiled {
    pub(super) id: u64,
    pub(super) phase: u8,
    pub(super) vars: Vec<VarSpec>,
    pub(super) excludes: Vec<VarSpec>,
    pub(super) transforms: Vec<Transform>,
    pub(super) op: Op,
    pub(super) negated: bool,
    /// The actions as written (kept for `SecRuleUpdateActionById`).
    pub(super) actions: Vec<Action>,
    /// `setvar` and `ctl`, in order.
    pub(super) effects: Vec<Effect>,
    pub(super) flow: Vec<Flow>,
    pub(super) tags: Vec<String>,
    pub(super) msg: Option<String>,
    pub(super) logdata: Option<String>,
    pub(super) severity: Option<u8>,
    pub(super) log: bool,
    pub(super) capture: bool,
    /// `multiMatch`: the operator also sees the value before and after
    /// each transformation.
    pub(super) multi: bool,
    pub(super) disruptive: Disruptive,
    pub(super) status: u16,
    /// Removed by `SecRuleRemove*` (kept in place so marker indexes hold).
    pub(super) removed: bool,
    /// Rules with the same transformation list share this id.
    pub(super) chain_id: u32,
    /// This rule's slot in the `@rx` prefilter.
    pub(super) prefilter: Option<u32>,
    pub(super) chain: Option<Box<Compiled>>,
}

#[derive(Debug, Clone)]
pub(super) enum Effect {
    SetVar(String),
    Ctl(String),
}

#[derive(Debug, Clone)]
pub(super) enum Flow {
    SkipAfter(String),
    Skip(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Disruptive {
    Pass,
    Deny,
    Drop,
    Redirect(String),
    /// `allow` (all phases), `allow:phase`, `allow:request`.
    Allow(AllowScope),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AllowScope {
    All,
    Phase,
    Request,
}

/// The phase a rule runs in.
fn phase_of(actions: &[Action]) -> Option<u8> {
    actions.iter().rev().find(|a| a.name == "phase").and_then(|a| a.value.as_deref()).map(|p| match p {
        "1" => 1,
        "3" => 3,
        "4" | "response" => 4,
        "5" | "logging" => 5,
        _ => 2,
    })
}

/// Per phase: the disruptive action `block` stands for, whether rules log
/// by default, and the transformations every rule starts with.
#[derive(Debug, Clone)]
struct Defaults {
    disruptive: Disruptive,
    status: u16,
    log: bool,
    transforms: Vec<Transform>,
}

impl Default for Defaults {
    fn default() -> Self {
        Self { disruptive: Disruptive::Pass, status: 403, log: true, transforms: Vec::new() }
    }
}

/// Changes applied after every rule is compiled.
enum Update {
    RemoveIds(Vec<(u64, u64)>),
    RemoveTag(Regex),
    RemoveMsg(Regex),
    Targets { by: Who, vars: Vec<Variable>, replaces: Option<Variable>, file: usize, line: usize },
    Actions { id: u64, actions: Vec<Action>, file: usize, line: usize },
}

enum Who {
    Id(u64),
    Tag(Regex),
    Msg(Regex),
}

fn matching(p: &str, what: &str) -> Result<Regex, String> {
    RegexBuilder::new(p).build().map_err(|e| format!("{what} {p:?} is not a valid pattern: {e}"))
}

impl RuleSet {
    /// Compiles files' directives in order. `data(file_index, name)`
    /// reads a data file beside the rule file it is named in. An error
    /// names the index of the file it is in.
    pub fn compile(files: &[Vec<Directive>], data: &dyn Fn(usize, &str) -> Result<String, String>) -> Result<RuleSet, (usize, Error)> {
        let mut set = RuleSet { request_body_access: true, ..RuleSet::default() };
        let mut defaults: [Defaults; 6] = Default::default();
        let mut updates: Vec<Update> = Vec::new();
        // Rules whose `chain` is still open, innermost last.
        let mut open: Vec<Compiled> = Vec::new();
        for (fi, directives) in files.iter().enumerate() {
            for d in directives {
                let line = d.line();
                let err = |message: String| (fi, Error { line, message });
                let (rule, chains) = match d {
                    Directive::Rule(r) => {
                        let loader = |name: &str| data(fi, name);
                        let op = operator::compile(&r.operator, &loader).map_err(err)?;
                        // A link takes its phase and defaults from the head.
                        let phase = match open.first() {
                            Some(head) => head.phase,
                            None => phase_of(&r.actions).unwrap_or(2),
                        };
                        let mut c = Compiled::new(r.actions.clone(), op, r.operator.negated, phase, &defaults[phase as usize]);
                        for v in &r.variables {
                            c.add_var(v).map_err(err)?;
                        }
                        (c, r.chains())
                    }
                    Directive::Action { actions, .. } => {
                        let phase = phase_of(actions).unwrap_or(2);
                        (Compiled::new(actions.clone(), Op::Unconditional, false, phase, &defaults[phase as usize]), false)
                    }
                    Directive::Marker { name, .. } => {
                        set.markers.insert(name.clone(), set.rules.len());
                        continue;
                    }
                    Directive::DefaultAction { actions, .. } => {
                        let phase = phase_of(actions).unwrap_or(2);
                        let probe = Compiled::new(actions.clone(), Op::Unconditional, false, phase, &Defaults::default());
                        defaults[phase as usize] =
                            Defaults { disruptive: probe.disruptive, status: probe.status, log: probe.log, transforms: probe.transforms };
                        continue;
                    }
                    Directive::Include { .. } => continue,
                    Directive::Other { name, args, .. } => {
                        set.directive(name, args, fi, line, &mut updates).map_err(err)?;
                        continue;
                    }
                };
                open.push(rule);
                if !chains {
                    // Fold the open chain into its head.
                    let mut link = open.pop().expect("just pushed");
                    while let Some(mut parent) = open.pop() {
                        parent.chain = Some(Box::new(link));
                        link = parent;
                    }
                    set.rules.push(link);
                }
            }
        }
        if !open.is_empty() {
            let last = files.len().saturating_sub(1);
            return Err((last, Error { line: 0, message: "the last rule ends with `chain` but nothing follows".into() }));
        }
        for u in updates {
            set.update(u)?;
        }
        set.build_prefilter();
        set.number_transform_lists();
        Ok(set)
    }

    /// A configuration directive other than a rule.
    fn directive(&mut self, name: &str, args: &[String], fi: usize, line: usize, updates: &mut Vec<Update>) -> Result<(), String> {
        let on = |v: &str| v.eq_ignore_ascii_case("on");
        match name {
            "SecRuleEngine" => {
                self.engine = match args[0].to_ascii_lowercase().as_str() {
                    "on" => EngineMode::On,
                    "off" => EngineMode::Off,
                    _ => EngineMode::DetectionOnly,
                }
            }
            "SecRequestBodyAccess" => self.request_body_access = on(&args[0]),
            "SecResponseBodyAccess" => self.response_body_access = on(&args[0]),
            "SecRuleRemoveById" => {
                let mut ranges = Vec::new();
                for a in args.iter().flat_map(|a| a.split([' ', ','])).filter(|a| !a.is_empty()) {
                    let (lo, hi) = a.split_once('-').unwrap_or((a, a));
                    match (lo.trim().parse::<u64>(), hi.trim().parse::<u64>()) {
                        (Ok(lo), Ok(hi)) if lo <= hi => ranges.push((lo, hi)),
                        _ => return Err(format!("SecRuleRemoveById: {a:?} is not a rule id or an id range")),
                    }
                }
                updates.push(Update::RemoveIds(ranges));
            }
            "SecRuleRemoveByTag" => updates.push(Update::RemoveTag(matching(&args[0], "SecRuleRemoveByTag")?)),
            "SecRuleRemoveByMsg" => updates.push(Update::RemoveMsg(matching(&args[0], "SecRuleRemoveByMsg")?)),
            "SecRuleUpdateTargetById" | "SecRuleUpdateTargetByTag" | "SecRuleUpdateTargetByMsg" => {
                let by = match name {
                    "SecRuleUpdateTargetById" => {
                        Who::Id(args[0].trim().parse().map_err(|_| format!("{name}: {:?} is not a rule id", args[0]))?)
                    }
                    "SecRuleUpdateTargetByTag" => Who::Tag(matching(&args[0], name)?),
                    _ => Who::Msg(matching(&args[0], name)?),
                };
                let vars = crate::parse::variables(&args[1], line).map_err(|e| e.message)?;
                let replaces = match args.get(2) {
                    Some(r) => crate::parse::variables(r, line).map_err(|e| e.message)?.into_iter().next(),
                    None => None,
                };
                updates.push(Update::Targets { by, vars, replaces, file: fi, line });
            }
            "SecRuleUpdateActionById" => {
                let id = args[0].split(':').next().unwrap_or("").trim();
                let id = id.parse().map_err(|_| format!("SecRuleUpdateActionById: {:?} is not a rule id", args[0]))?;
                let actions = crate::parse::actions(&args[1], line).map_err(|e| e.message)?;
                if let Some(bad) = actions.iter().find(|a| matches!(a.name.as_str(), "id" | "phase" | "chain")) {
                    return Err(format!("SecRuleUpdateActionById cannot change `{}`", bad.name));
                }
                updates.push(Update::Actions { id, actions, file: fi, line });
            }
            // Limits and logging settings: the proxy's own configuration
            // governs these (body and argument limits, audit log).
            _ => {}
        }
        Ok(())
    }

    fn update(&mut self, u: Update) -> Result<(), (usize, Error)> {
        match u {
            Update::RemoveIds(ranges) => {
                for r in &mut self.rules {
                    if ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&r.id)) {
                        r.removed = true;
                    }
                }
            }
            Update::RemoveTag(re) => {
                self.rules.iter_mut().filter(|r| r.tags.iter().any(|t| re.is_match(t.as_bytes()))).for_each(|r| r.removed = true)
            }
            Update::RemoveMsg(re) => {
                self.rules.iter_mut().filter(|r| r.msg.as_deref().is_some_and(|m| re.is_match(m.as_bytes()))).for_each(|r| r.removed = true)
            }
            Update::Targets { by, vars, replaces, file, line } => {
                let err = |message: String| (file, Error { line, message });
                let mut found = false;
                for r in &mut self.rules {
                    let hit = match &by {
                        Who::Id(id) => r.id == *id,
                        Who::Tag(re) => r.tags.iter().any(|t| re.is_match(t.as_bytes())),
                        Who::Msg(re) => r.msg.as_deref().is_some_and(|m| re.is_match(m.as_bytes())),
                    };
                    if !hit {
                        continue;
                    }
                    found = true;
                    if let Some(old) = &replaces {
                        let spec = VarSpec::new(old).map_err(err)?;
                        r.vars.retain(|v| !v.same_target(&spec));
                    }
                    for v in &vars {
                        r.add_var(v).map_err(err)?;
                    }
                }
                if let (false, Who::Id(id)) = (found, &by) {
                    return Err(err(format!("SecRuleUpdateTargetById: no rule has id {id}")));
                }
            }
            Update::Actions { id, actions, file, line } => {
                let Some(r) = self.rules.iter_mut().find(|r| r.id == id) else {
                    return Err((file, Error { line, message: format!("SecRuleUpdateActionById: no rule has id {id}") }));
                };
                let mut merged = r.actions.clone();
                for a in actions {
                    let listed = matches!(a.name.as_str(), "t" | "setvar" | "tag" | "ctl");
                    let disruptive = is_disruptive(&a.name);
                    if !listed {
                        merged.retain(|x| x.name != a.name && !(disruptive && is_disruptive(&x.name)));
                    }
                    merged.push(a);
                }
                // Everything the actions decide is rebuilt; what the rule's
                // variables and operator are stays.
                let rebuilt = Compiled::new(merged, Op::Unconditional, false, r.phase, &Defaults::default());
                let old = std::mem::replace(r, rebuilt);
                r.id = old.id;
                r.vars = old.vars;
                r.excludes = old.excludes;
                r.op = old.op;
                r.negated = old.negated;
                r.removed = old.removed;
                r.chain = old.chain;
            }
        }
        Ok(())
    }
}

impl RuleSet {
    fn number_transform_lists(&mut self) {
        let mut ids: std::collections::HashMap<Vec<Transform>, u32> = std::collections::HashMap::new();
        for head in &mut self.rules {
            let mut link = Some(head);
            while let Some(r) = link {
                let next = ids.len() as u32;
                r.chain_id = *ids.entry(r.transforms.clone()).or_insert(next);
                link = r.chain.as_deref_mut();
            }
        }
    }
}

fn is_disruptive(name: &str) -> bool {
    matches!(name, "pass" | "deny" | "drop" | "block" | "redirect" | "allow" | "proxy" | "pause")
}

fn severity(v: &str) -> Option<u8> {
    const NAMES: [&str; 8] = ["EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG"];
    v.parse().ok().filter(|n| *n < 8).or_else(|| NAMES.iter().position(|n| n.eq_ignore_ascii_case(v)).map(|p| p as u8))
}

impl Compiled {
    fn new(actions: Vec<Action>, op: Op, negated: bool, phase: u8, d: &Defaults) -> Compiled {
        let mut transforms = d.transforms.clone();
        let (mut effects, mut flow, mut tags) = (Vec::new(), Vec::new(), Vec::new());
        let (mut msg, mut logdata, mut sev) = (None, None, None);
        let mut log = d.log;
        let mut disruptive = None;
        let mut status = None;
        for a in &actions {
            let v = a.value.as_deref();
            match (a.name.as_str(), v) {
                ("t", Some(t)) => match Transform::from_name(t) {
                    Some(t) => transforms.push(t),
                    None => transforms.clear(),
                },
                ("setvar", Some(s)) => effects.push(Effect::SetVar(s.to_owned())),
                ("ctl", Some(c)) => effects.push(Effect::Ctl(c.to_owned())),
                ("skipAfter", Some(m)) => flow.push(Flow::SkipAfter(m.to_owned())),
                ("skip", Some(n)) => flow.push(Flow::Skip(n.trim().parse().unwrap_or(0))),
                ("tag", Some(t)) => tags.push(t.to_owned()),
                ("msg", Some(m)) => msg = Some(m.to_owned()),
                ("logdata", Some(m)) => logdata = Some(m.to_owned()),
                ("severity", Some(s)) => sev = severity(s),
                ("log", _) => log = true,
                ("nolog", _) => log = false,
                ("status", Some(s)) => status = s.trim().parse().ok(),
                ("pass", _) => disruptive = Some(Disruptive::Pass),
                ("deny", _) => disruptive = Some(Disruptive::Deny),
                ("drop", _) => disruptive = Some(Disruptive::Drop),
                ("redirect", Some(u)) => disruptive = Some(Disruptive::Redirect(u.to_owned())),
                ("block", _) => {
                    disruptive = Some(d.disruptive.clone());
                    status = status.or(Some(d.status));
                }
                ("allow", v) => {
                    disruptive = Some(Disruptive::Allow(match v {
                        Some("phase") => AllowScope::Phase,
                        Some("request") => AllowScope::Request,
                        _ => AllowScope::All,
                    }))
                }
                _ => {}
            }
        }
        let id = actions.iter().find(|a| a.name == "id").and_then(|a| a.value.as_deref()?.trim().parse().ok()).unwrap_or(0);
        let capture = actions.iter().any(|a| a.name == "capture");
        let multi = actions.iter().any(|a| a.name == "multiMatch");
        let disruptive = disruptive.unwrap_or(Disruptive::Pass);
        let status = status.unwrap_or(if matches!(disruptive, Disruptive::Redirect(_)) { 302 } else { 403 });
        Compiled {
            id,
            phase,
            vars: Vec::new(),
            excludes: Vec::new(),
            transforms,
            op,
            negated,
            actions,
            effects,
            flow,
            tags,
            msg,
            logdata,
            severity: sev,
            log,
            capture,
            multi,
            disruptive,
            status,
            removed: false,
            prefilter: None,
            chain_id: 0,
            chain: None,
        }
    }

    fn add_var(&mut self, v: &Variable) -> Result<(), String> {
        let spec = VarSpec::new(v)?;
        if v.exclude {
            self.excludes.push(spec)
        } else {
            self.vars.push(spec)
        }
        Ok(())
    }
}

impl VarSpec {
    pub(super) fn new(v: &Variable) -> Result<VarSpec, String> {
        let coll = Coll::from_name(&v.collection);
        let sel = match &v.selector {
            None => Sel::All,
            Some(Selector::Regex(p)) => {
                Sel::Regex(RegexBuilder::new(&format!("(?i){p}")).unicode(false).build().map_err(|e| format!("selector /{p}/: {e}"))?)
            }
            // `XML:/*` is element text, `XML://@*` attribute values (the
            // model names attributes `a/b/@name`).
            Some(Selector::Key(s)) if coll == Coll::Xml => {
                if s.contains('@') {
                    Sel::XmlAttr
                } else {
                    Sel::XmlText
                }
            }
            Some(Selector::Key(s)) => Sel::Key(s.to_ascii_lowercase().into_bytes()),
        };
        Ok(VarSpec { coll, name: coll_name(&v.collection), sel, count: v.count })
    }
}

/// The collection's canonical name as a `'static` string (the vocabulary
/// holds every name the parser accepts).
fn coll_name(name: &str) -> &'static str {
    crate::vocab::lookup(crate::vocab::COLLECTIONS, name).unwrap_or("UNKNOWN")
}
