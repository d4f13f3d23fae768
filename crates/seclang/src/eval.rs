//! A first evaluator: compiled rules run over the request model in phase
//! order (1, then 2), with transformations, operators, chains,
//! `skipAfter`/`skip`, `setvar` with macros, `capture`, and the `ctl:`
//! rule removals CRS uses. It reports which logged rules matched — what
//! the CRS regression suite checks. Response phases and persistent
//! collections are not evaluated yet.

use std::collections::{HashMap, HashSet};

use haetae_model::{Request, Source, body::BodyKind};
use regex::bytes::Regex;

use crate::Error;
use crate::ast::{Action, Directive, Selector, Variable};
use crate::operator::{self, Op};

/// One compiled rule (a chain is the head plus its links).
#[derive(Debug)]
struct Compiled {
    id: u64,
    phase: u8,
    vars: Vec<(Variable, Option<Regex>)>,
    transforms: Vec<&'static str>,
    op: Op,
    negated: bool,
    actions: Vec<Action>,
    tags: Vec<String>,
    log: bool,
    capture: bool,
    /// `multiMatch`: the operator also sees the value before and after
    /// each transformation, not only at the end.
    multi: bool,
    chain: Option<Box<Compiled>>,
}

/// A loaded rule set.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Compiled>,
    /// Marker name → index of the first rule after it.
    markers: HashMap<String, usize>,
}

/// The phase a rule runs in (`phase:2` when none is given, as CRS's
/// `SecDefaultAction` sets for the request).
fn phase_of(actions: &[Action]) -> u8 {
    match actions.iter().find(|a| a.name == "phase").and_then(|a| a.value.as_deref()) {
        Some("1") => 1,
        Some("3") => 3,
        Some("4" | "response") => 4,
        Some("5" | "logging") => 5,
        _ => 2,
    }
}

impl RuleSet {
    /// Compiles files' directives in order. `data(file_index, name)`
    /// reads a data file beside the rule file it is named in. An error
    /// names the index of the file it is in.
    pub fn compile(files: &[Vec<Directive>], data: &dyn Fn(usize, &str) -> Result<String, String>) -> Result<RuleSet, (usize, Error)> {
        let mut set = RuleSet::default();
        // Rules whose `chain` is still open, innermost last.
        let mut open: Vec<Compiled> = Vec::new();
        for (fi, directives) in files.iter().enumerate() {
            for d in directives {
                let (rule, chains) = match d {
                    Directive::Rule(r) => {
                        let loader = |name: &str| data(fi, name);
                        let err = |message: String| (fi, Error { line: r.line, message });
                        let op = operator::compile(&r.operator, &loader).map_err(err)?;
                        let mut vars = Vec::new();
                        for v in &r.variables {
                            let re = match &v.selector {
                                Some(Selector::Regex(p)) => Some(
                                    regex::bytes::RegexBuilder::new(&format!("(?i){p}"))
                                        .unicode(false)
                                        .build()
                                        .map_err(|e| err(format!("selector /{p}/: {e}")))?,
                                ),
                                _ => None,
                            };
                            vars.push((v.clone(), re));
                        }
                        (compiled(r.actions.clone(), op, r.operator.negated, vars), r.chains())
                    }
                    Directive::Action { actions, .. } => (compiled(actions.clone(), Op::Unconditional, false, Vec::new()), false),
                    Directive::Marker { name, .. } => {
                        set.markers.insert(name.clone(), set.rules.len());
                        continue;
                    }
                    _ => continue,
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
        Ok(set)
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Runs phases 1 and 2 over `req` (with its raw `body`); returns the
    /// ids of the logged rules that matched, in order.
    pub fn evaluate(&self, req: &Request, body: &[u8]) -> Vec<u64> {
        let mut st = State {
            req,
            body,
            tx: HashMap::new(),
            matched: Vec::new(),
            removed: HashSet::new(),
            removed_targets: Vec::new(),
            hits: Vec::new(),
        };
        for phase in [1u8, 2] {
            let mut i = 0;
            while i < self.rules.len() {
                let r = &self.rules[i];
                i += 1;
                if r.phase != phase || st.removed.contains(&r.id) {
                    continue;
                }
                if st.run(r, r.id) {
                    if r.log {
                        st.hits.push(r.id);
                    }
                    // Flow control from any link of the chain.
                    let mut link = Some(r);
                    while let Some(l) = link {
                        for a in &l.actions {
                            match (a.name.as_str(), a.value.as_deref()) {
                                ("skipAfter", Some(m)) => {
                                    if let Some(&to) = self.markers.get(m) {
                                        i = i.max(to);
                                    }
                                }
                                ("skip", Some(n)) => i += n.parse::<usize>().unwrap_or(0),
                                _ => {}
                            }
                        }
                        link = l.chain.as_deref();
                    }
                }
            }
        }
        st.hits
    }
}

fn compiled(actions: Vec<Action>, op: Op, negated: bool, vars: Vec<(Variable, Option<Regex>)>) -> Compiled {
    let mut transforms = Vec::new();
    for a in actions.iter().filter(|a| a.name == "t") {
        let t = a.value.as_deref().and_then(|t| crate::vocab::lookup(crate::vocab::TRANSFORMATIONS, t)).unwrap_or("none");
        if t == "none" {
            transforms.clear();
        } else {
            transforms.push(t);
        }
    }
    let id = actions.iter().find(|a| a.name == "id").and_then(|a| a.value.as_deref()?.parse().ok()).unwrap_or(0);
    let tags = actions.iter().filter(|a| a.name == "tag").filter_map(|a| a.value.clone()).collect();
    let log = !actions.iter().any(|a| a.name == "nolog");
    let capture = actions.iter().any(|a| a.name == "capture");
    let multi = actions.iter().any(|a| a.name == "multiMatch");
    Compiled { id, phase: phase_of(&actions), vars, transforms, op, negated, actions, tags, log, capture, multi, chain: None }
}

struct State<'r> {
    req: &'r Request,
    body: &'r [u8],
    tx: HashMap<String, String>,
    /// (name, value) of the variables the last operator matched.
    matched: Vec<(String, Vec<u8>)>,
    removed: HashSet<u64>,
    /// (rule id or tag, collection, key) targets removed at run time.
    removed_targets: Vec<(String, String, String)>,
    hits: Vec<u64>,
}

impl State<'_> {
    /// Whether `r` (and its chain) matches; runs its non-flow actions.
    fn run(&mut self, r: &Compiled, head: u64) -> bool {
        // `SecAction` has no variables: it always runs.
        let values = if r.vars.is_empty() { vec![(String::new(), Vec::new())] } else { self.values(r, head) };
        let mut matched = Vec::new();
        let mut caps = Vec::new();
        let expand = |s: &str| self.expand(s);
        let mut captured: Vec<Vec<u8>> = Vec::new();
        for (name, v) in values {
            let mut cur: Vec<u8> = v;
            let mut hit = false;
            if r.multi {
                hit = r.op.matches(&cur, &expand, &mut caps) != r.negated;
            }
            for t in &r.transforms {
                let next = crate::transform::apply(t, &cur).into_owned();
                let changed = next != cur;
                cur = next;
                if r.multi && changed && !hit {
                    hit = r.op.matches(&cur, &expand, &mut caps) != r.negated;
                }
            }
            if !r.multi {
                hit = r.op.matches(&cur, &expand, &mut caps) != r.negated;
            }
            if hit {
                if r.capture && !caps.is_empty() && captured.is_empty() {
                    captured = caps.clone();
                }
                matched.push((name, cur));
            }
        }
        for (k, c) in captured.iter().enumerate() {
            self.tx.insert(k.to_string(), String::from_utf8_lossy(c).into_owned());
        }
        if matched.is_empty() {
            return false;
        }
        self.matched = matched;
        // A link's own actions run when it matches, before the next link
        // is tried (CRS 931130 reads in link 2 what link 1 set), once per
        // matched variable for `setvar` with `MATCHED_VAR` macros.
        let per_var = r.actions.iter().any(|a| a.name == "setvar" && a.value.as_deref().is_some_and(|v| v.contains("%{MATCHED_VAR")));
        let rounds: Vec<(String, Vec<u8>)> = if per_var { self.matched.clone() } else { Vec::new() };
        if rounds.is_empty() {
            self.actions(r);
        } else {
            let all = std::mem::take(&mut self.matched);
            for m in rounds {
                self.matched = vec![m];
                self.actions(r);
            }
            self.matched = all;
        }
        match &r.chain {
            Some(next) => self.run(next, head),
            None => true,
        }
    }

    fn actions(&mut self, r: &Compiled) {
        for a in &r.actions {
            match (a.name.as_str(), a.value.as_deref()) {
                ("setvar", Some(v)) => self.setvar(v),
                ("ctl", Some(c)) => self.ctl(c),
                _ => {}
            }
        }
    }

    /// `%{tx.name}`, `%{MATCHED_VAR}`, `%{MATCHED_VAR_NAME}`,
    /// `%{REQUEST_HEADERS.host}`, `%{REMOTE_ADDR}`…; unknown ones expand to
    /// nothing, as ModSecurity does.
    fn expand(&self, s: &str) -> String {
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
            let name = rest[p + 2..p + end].to_ascii_lowercase();
            let value = match name.split_once('.') {
                Some(("tx", k)) => self.tx.get(k).cloned().unwrap_or_default(),
                Some((coll, k)) => {
                    let coll = coll.to_ascii_uppercase();
                    self.collection(&coll)
                        .into_iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(k))
                        .map(|(_, v)| String::from_utf8_lossy(&v).into_owned())
                        .unwrap_or_default()
                }
                None => {
                    let coll = name.to_ascii_uppercase();
                    self.collection(&coll).into_iter().next().map(|(_, v)| String::from_utf8_lossy(&v).into_owned()).unwrap_or_default()
                }
            };
            out.push_str(&value);
            rest = &rest[p + end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn setvar(&mut self, spec: &str) {
        let spec = self.expand(spec);
        if let Some(name) = spec.strip_prefix('!') {
            self.tx.remove(&name.trim().trim_start_matches("tx.").trim_start_matches("TX.").to_ascii_lowercase());
            return;
        }
        let (name, value) = spec.split_once('=').unwrap_or((&spec, "1"));
        let Some(key) = name.trim().strip_prefix("tx.").or_else(|| name.trim().strip_prefix("TX.")) else { return };
        let key = key.to_ascii_lowercase();
        let cur = self.tx.get(&key).and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or(0);
        let new = if let Some(n) = value.strip_prefix('+') {
            (cur + n.trim().parse::<i64>().unwrap_or(0)).to_string()
        } else if let Some(n) = value.strip_prefix('-') {
            (cur - n.trim().parse::<i64>().unwrap_or(0)).to_string()
        } else {
            value.to_owned()
        };
        self.tx.insert(key, new);
    }

    fn ctl(&mut self, c: &str) {
        let Some((opt, arg)) = c.split_once('=') else { return };
        match opt {
            "ruleRemoveById" => {
                for part in arg.split([',', ' ']).filter(|p| !p.is_empty()) {
                    match part.split_once('-') {
                        Some((a, b)) => {
                            if let (Ok(a), Ok(b)) = (a.parse::<u64>(), b.parse::<u64>()) {
                                self.removed.extend(a..=b.min(a + 100_000));
                            }
                        }
                        None => {
                            if let Ok(id) = part.parse() {
                                self.removed.insert(id);
                            }
                        }
                    }
                }
            }
            "ruleRemoveTargetById" | "ruleRemoveTargetByTag" => {
                if let Some((who, target)) = arg.split_once(';') {
                    let (coll, key) = target.split_once(':').unwrap_or((target, ""));
                    self.removed_targets.push((who.to_owned(), coll.to_ascii_uppercase(), key.to_ascii_lowercase()));
                }
            }
            _ => {}
        }
    }

    /// The (name, value) pairs a rule's variables select.
    fn values(&self, r: &Compiled, head: u64) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = Vec::new();
        let removed_here: Vec<(&str, &str)> = self
            .removed_targets
            .iter()
            .filter(|(who, _, _)| who.parse::<u64>().ok() == Some(head) || r.tags.iter().any(|t| t == who))
            .map(|(_, c, k)| (c.as_str(), k.as_str()))
            .collect();
        for (v, re) in r.vars.iter().filter(|(v, _)| !v.exclude) {
            let all = self.collection(&v.collection);
            let selected: Vec<(String, Vec<u8>)> = all
                .into_iter()
                .filter(|(k, _)| match (&v.selector, re) {
                    (None, _) => true,
                    (Some(_), Some(re)) => re.is_match(k.as_bytes()),
                    // `XML:/*` is element text, `XML://@*` attribute values
                    // (the model names attributes `a/b/@name`).
                    (Some(Selector::Key(s)), None) if v.collection == "XML" => k.contains("/@") == s.contains('@') && k != "!DOCTYPE",
                    (Some(Selector::Key(s)), None) => k.eq_ignore_ascii_case(s),
                    (Some(Selector::Regex(_)), None) => false,
                })
                .filter(|(k, _)| {
                    !r.vars.iter().any(|(x, xre)| {
                        x.exclude
                            && x.collection == v.collection
                            && match (&x.selector, xre) {
                                (Some(_), Some(re)) => re.is_match(k.as_bytes()),
                                (Some(Selector::Key(s)), None) => k.eq_ignore_ascii_case(s),
                                _ => false,
                            }
                    }) && !removed_here.iter().any(|(c, key)| *c == v.collection && (key.is_empty() || k.eq_ignore_ascii_case(key)))
                })
                .collect();
            if v.count {
                out.push((format!("&{}", v.collection), selected.len().to_string().into_bytes()));
            } else {
                out.extend(selected.into_iter().map(|(k, val)| (format!("{}:{k}", v.collection), val)));
            }
        }
        out
    }

    /// A collection's members as (key, value); scalars have an empty key.
    fn collection(&self, name: &str) -> Vec<(String, Vec<u8>)> {
        let req = self.req;
        let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let one = |v: &[u8]| vec![(String::new(), v.to_vec())];
        let params = |f: &dyn Fn(Source) -> bool, names: bool| -> Vec<(String, Vec<u8>)> {
            req.params
                .iter()
                .filter(|p| f(p.source) && !p.name.is_empty())
                .map(|p| (lossy(&p.name), if names { p.name.clone() } else { p.value.clone() }))
                .collect()
        };
        // XML leaves are `XML:`, not arguments (as in ModSecurity).
        let get = |s: Source| s == Source::Query;
        let post = |s: Source| s != Source::Query && s != Source::Xml;
        let any = |s: Source| s != Source::Xml;
        match name {
            "ARGS" => params(&any, false),
            "ARGS_NAMES" => params(&any, true),
            "ARGS_GET" => params(&get, false),
            "ARGS_GET_NAMES" => params(&get, true),
            "ARGS_POST" => params(&post, false),
            "ARGS_POST_NAMES" => params(&post, true),
            "ARGS_COMBINED_SIZE" => one(req.params.iter().map(|p| p.name.len() + p.value.len()).sum::<usize>().to_string().as_bytes()),
            "XML" => req.params.iter().filter(|p| p.source == Source::Xml).map(|p| (lossy(&p.name), p.value.clone())).collect(),
            "REQUEST_HEADERS" => req.headers.iter().map(|(n, v)| (n.clone(), v.clone())).collect(),
            "REQUEST_HEADERS_NAMES" => req.headers.iter().map(|(n, _)| (n.clone(), n.clone().into_bytes())).collect(),
            "REQUEST_COOKIES" => req.cookies.iter().map(|(n, v)| (lossy(n), v.clone())).collect(),
            "REQUEST_COOKIES_NAMES" => req.cookies.iter().map(|(n, _)| (lossy(n), n.clone())).collect(),
            "REQUEST_URI" | "REQUEST_URI_RAW" => one(req.uri.as_bytes()),
            "REQUEST_FILENAME" => one(&req.raw_path),
            "REQUEST_BASENAME" => one(req.raw_path.rsplit(|&b| b == b'/').next().unwrap_or(&[])),
            "QUERY_STRING" => one(&req.query),
            "REQUEST_METHOD" => one(req.method.as_bytes()),
            "REQUEST_PROTOCOL" => one(b"HTTP/1.1"),
            "REQUEST_LINE" => one(format!("{} {} HTTP/1.1", req.method, req.uri).as_bytes()),
            // As ModSecurity: the raw body is a variable only where no
            // structured body processor (multipart, JSON, XML) took it.
            "REQUEST_BODY" => match req.body_kind {
                BodyKind::Multipart | BodyKind::Json | BodyKind::Xml => Vec::new(),
                _ => one(self.body),
            },
            "REQUEST_BODY_LENGTH" => one(self.body.len().to_string().as_bytes()),
            "FILES" => req.files.iter().map(|f| (lossy(&f.field), f.filename.clone())).collect(),
            "FILES_NAMES" => req.files.iter().map(|f| (lossy(&f.field), f.field.clone())).collect(),
            "FILES_COMBINED_SIZE" => one(req.files.iter().map(|f| f.size).sum::<usize>().to_string().as_bytes()),
            "REMOTE_ADDR" => one(req.client_ip.map_or_else(|| "127.0.0.1".to_owned(), |ip| ip.to_string()).as_bytes()),
            "UNIQUE_ID" => one(b"haetae"),
            "REQBODY_PROCESSOR" => one(match req.body_kind {
                BodyKind::UrlEncoded => b"URLENCODED".as_slice(),
                BodyKind::Multipart => b"MULTIPART",
                BodyKind::Json => b"JSON",
                BodyKind::Xml => b"XML",
                _ => b"",
            }),
            "REQBODY_ERROR" | "REQBODY_PROCESSOR_ERROR" => one(if req.anomalies.is_empty() { b"0" } else { b"1" }),
            "TX" => self.tx.iter().map(|(k, v)| (k.clone(), v.clone().into_bytes())).collect(),
            "MATCHED_VAR" => self.matched.last().map(|(_, v)| one(v)).unwrap_or_default(),
            "MATCHED_VAR_NAME" => self.matched.last().map(|(n, _)| one(n.as_bytes())).unwrap_or_default(),
            "MATCHED_VARS" => self.matched.iter().map(|(n, v)| (n.clone(), v.clone())).collect(),
            "MATCHED_VARS_NAMES" => self.matched.iter().map(|(n, _)| (n.clone(), n.clone().into_bytes())).collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use haetae_model::{ParseLimits, RequestBuilder};

    fn set(text: &str) -> RuleSet {
        RuleSet::compile(&[crate::parse(text).unwrap()], &|_, f| Err(format!("no {f}"))).unwrap()
    }

    fn req(target: &str) -> Request {
        let l = ParseLimits::default();
        let mut b = RequestBuilder::new("GET", target, &l);
        b.header("Host", b"localhost");
        b.build()
    }

    #[test]
    fn chains_setvar_skip_and_scoring() {
        let rules = set(r#"
SecAction "id:1,phase:1,pass,nolog,setvar:tx.score=0,setvar:tx.threshold=5"
SecRule ARGS "@rx (?i)union\s+select" "id:10,phase:2,pass,t:none,t:urlDecodeUni,setvar:tx.score=+5"
SecRule ARGS:q "@contains <" "id:11,phase:2,pass,chain"
    SecRule ARGS:q "@contains >" "setvar:tx.score=+1"
SecRule &ARGS:skipme "@eq 1" "id:12,phase:2,pass,nolog,skipAfter:END"
SecRule ARGS "@rx ." "id:13,phase:2,pass"
SecMarker END
SecRule TX:score "@ge %{tx.threshold}" "id:949,phase:2,deny"
"#);
        assert_eq!(rules.evaluate(&req("/?q=1%20union%20select%201"), b""), vec![10, 13, 949]);
        assert_eq!(rules.evaluate(&req("/?q=%3Cb%3E"), b""), vec![11, 13]);
        assert_eq!(rules.evaluate(&req("/?q=a&skipme=1"), b""), Vec::<u64>::new());
    }

    #[test]
    fn exclusions_counts_and_runtime_removal() {
        let rules = set(r#"
SecRule REQUEST_FILENAME "@endsWith /safe" "id:2,phase:1,pass,nolog,ctl:ruleRemoveTargetById=20;ARGS:token"
SecRule ARGS|!ARGS:csrf "@rx ^x" "id:20,phase:2,pass"
SecRule &REQUEST_HEADERS:Host "@eq 0" "id:21,phase:1,pass"
"#);
        assert_eq!(rules.evaluate(&req("/a?csrf=x1"), b""), Vec::<u64>::new());
        assert_eq!(rules.evaluate(&req("/a?token=x1"), b""), vec![20]);
        assert_eq!(rules.evaluate(&req("/safe?token=x1"), b""), Vec::<u64>::new());
    }
}
