//! The analysis every language shares: follow request input and decoded
//! data through assignments and calls into the sinks of the language's
//! [`Vocab`], and fold constant string expressions (`'as'.'sert'`,
//! `strrev('metsys')`, `chr(101)&chr(118)`, `~"…"`) so a sink named at run
//! time is still a sink. Two passes over the tokens: the first learns the
//! variables and the functions that wrap a sink, the second reports.

use std::collections::HashMap;

use crate::lex::Lang;
use crate::token::{Kind, Quote, Tokens, match_brackets};
use crate::transform;
use crate::vocab::{Vocab, has};

/// One reason a file is a shell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub rule: &'static str,
    pub score: u8,
    pub line: u32,
    pub reason: String,
}

#[derive(Clone, Default, Debug)]
struct Val {
    /// Holds request input.
    req: bool,
    /// Holds a parameter of the function being read.
    param: bool,
    /// Came out of a decoder.
    decoded: bool,
    konst: Option<Vec<u8>>,
    /// The constant was assembled (pieces, transforms, character codes),
    /// not written whole.
    built: bool,
    /// The last piece of a concatenation is request input (a file name
    /// chosen by the client, whatever folder precedes it).
    tail: bool,
    /// The first piece is request input (a path the client chose).
    head: bool,
    /// Request input stands where a shell reads a command name (first,
    /// or after `;`, `|`, `&&`, `sh -c`), not as an argument of a fixed
    /// program.
    cmd: bool,
    /// The same for a parameter of the function being read.
    pcmd: bool,
    /// An array: an index picks an element, not a character.
    array: bool,
    /// An element under a constant key holds request input: the whole
    /// array does, not its other elements.
    elem_req: bool,
    /// Names an uploaded file's temporary copy (`$_FILES[…]['tmp_name']`).
    upload: bool,
}

/// Longest constant the folder builds (decoded payloads are read, not
/// collected).
impl Val {
    fn flags(&self) -> Val {
        Val {
            req: self.req,
            param: self.param,
            decoded: self.decoded,
            konst: None,
            built: self.built,
            tail: self.tail,
            head: self.head,
            cmd: self.cmd,
            pcmd: self.pcmd,
            array: self.array,
            elem_req: self.elem_req,
            upload: self.upload,
        }
    }
}

const MAX_KONST: usize = 4 << 20;
/// Layers of decoded code read inside each other.
pub const MAX_DEPTH: u8 = 5;
/// Nesting the constant folder follows before it gives up.
const MAX_FOLD: u32 = 48;

pub struct Flow<'t, 'a> {
    t: &'t Tokens<'a>,
    v: &'static Vocab,
    lang: Lang,
    /// A server page (not a library source): defining classes from bytes
    /// has no business there.
    page: bool,
    close: Vec<u32>,
    open: Vec<u32>,
    vars: HashMap<Vec<u8>, Val>,
    /// Functions of this file that pass a parameter into a sink.
    wrappers: HashMap<String, (&'static str, u8)>,
    /// The function being read (name, last token of its body).
    func: Vec<(String, usize)>,
    emit: bool,
    pub hits: Vec<Hit>,
    depth: u8,
    /// Tokens the expression reader may still visit: a bound on work for
    /// hostile nesting (`eval(eval(eval(…)))`).
    budget: usize,
    pub exhausted: bool,
    /// Reading the body of a function made at run time
    /// (`create_function`): a parameter reaching a sink is the finding.
    lambda: bool,
    /// ASP.NET server controls that take input (`<asp:TextBox id="cmd"
    /// runat="server">`): `cmd.Text` is what the client posted.
    controls: Vec<String>,
    /// Lowercased names of the identifier tokens, made once per file.
    names: Vec<std::rc::Rc<str>>,
}

impl<'t, 'a> Flow<'t, 'a> {
    pub fn new(t: &'t Tokens<'a>, lang: Lang, page: bool, depth: u8) -> Self {
        let close = match_brackets(t);
        let mut open = vec![u32::MAX; t.len()];
        for (o, &c) in close.iter().enumerate() {
            if (c as usize) < t.len() && t.toks[o].kind == Kind::Op {
                open[c as usize] = o as u32;
            }
        }
        Flow {
            t,
            v: crate::vocab::of(lang),
            lang,
            page,
            close,
            open,
            vars: HashMap::new(),
            wrappers: HashMap::new(),
            func: Vec::new(),
            emit: false,
            hits: Vec::new(),
            depth,
            budget: 64 * t.len() + 1_000_000,
            exhausted: false,
            lambda: false,
            controls: Vec::new(),
            names: {
                let empty: std::rc::Rc<str> = std::rc::Rc::from("");
                (0..t.len()).map(|i| if t.toks[i].kind == Kind::Ident { std::rc::Rc::from(t.name(i)) } else { empty.clone() }).collect()
            },
        }
    }

    pub fn run(&mut self) {
        for pass in 0..2 {
            self.emit = pass == 1;
            self.func.clear();
            self.walk();
        }
        self.hits.sort_by(|a, b| b.score.cmp(&a.score).then(a.line.cmp(&b.line)));
        let mut seen = std::collections::HashSet::new();
        self.hits.retain(|h| seen.insert((h.rule, h.line)));
    }

    fn hit(&mut self, rule: &'static str, score: u8, at: usize, reason: impl Into<String>) {
        if self.emit {
            self.hits.push(Hit { rule, score, line: self.t.line(at), reason: reason.into() });
        }
    }

    fn name(&self, i: usize) -> String {
        self.names.get(i).map_or_else(String::new, |n| n.to_string())
    }

    /// The lowercased name of token `i`, shared (no copy).
    fn name_rc(&self, i: usize) -> std::rc::Rc<str> {
        self.names.get(i).cloned().unwrap_or_else(|| std::rc::Rc::from(""))
    }

    fn php(&self) -> bool {
        self.lang == Lang::Php
    }

    fn close_of(&self, i: usize) -> usize {
        self.close.get(i).map_or(self.t.len(), |&c| c as usize)
    }

    fn open_of(&self, i: usize) -> Option<usize> {
        self.open.get(i).and_then(|&o| (o != u32::MAX).then_some(o as usize))
    }

    fn is_opener(&self, i: usize) -> bool {
        self.t.kind(i) == Some(Kind::Op) && matches!(self.t.raw(i), b"(" | b"[" | b"{")
    }

    fn is_closer(&self, i: usize) -> bool {
        self.t.kind(i) == Some(Kind::Op) && matches!(self.t.raw(i), b")" | b"]" | b"}")
    }

    fn var_key(&self, i: usize) -> Vec<u8> {
        match self.t.toks[i].kind {
            Kind::Var => self.t.raw(i).to_vec(),
            _ => self.name(i).into_bytes(),
        }
    }

    /// Top-level arguments between `(` at `i` and its `)`.
    fn args(&self, i: usize) -> Vec<(usize, usize)> {
        let end = self.close_of(i);
        // An unclosed `(` (a cut file, binary noise): its arguments run to
        // the statement's end, at most a few hundred tokens on; reading to
        // the end of the file from every one would be quadratic.
        if end >= self.t.len() {
            let cap = (i + 256).min(self.t.len());
            let stop = (i + 1..cap).find(|&k| self.t.toks[k].kind == Kind::End).unwrap_or(cap);
            return self.split_commas_flat(i + 1, stop);
        }
        self.split_commas(i + 1, end)
    }

    /// `[a, end)` split at every comma, ignoring brackets (for argument
    /// lists whose brackets do not close).
    fn split_commas_flat(&self, a: usize, end: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut s = a;
        for j in a..end {
            if self.t.is_op(j, ",") {
                out.push((s, j));
                s = j + 1;
            }
        }
        if s < end {
            out.push((s, end));
        }
        out
    }

    /// `[a, end)` split at its top-level commas.
    fn split_commas(&self, a: usize, end: usize) -> Vec<(usize, usize)> {
        self.split_top(a, end, |t, j| t.is_op(j, ","))
    }

    /// `[a, end)` split where `sep` holds outside brackets.
    fn split_top(&self, a: usize, end: usize, sep: impl Fn(&Tokens, usize) -> bool) -> Vec<(usize, usize)> {
        let end = end.min(self.t.len());
        let mut out = Vec::new();
        let mut s = a;
        let mut j = a;
        while j < end {
            if self.is_opener(j) {
                j = self.close_of(j) + 1;
                continue;
            }
            if sep(self.t, j) {
                out.push((s, j));
                s = j + 1;
            }
            j += 1;
        }
        if s < end {
            out.push((s, end));
        }
        out
    }

    /// End of the expression starting at `a`: a statement end, or a `,`
    /// or closer of the enclosing brackets.
    fn expr_end(&self, a: usize) -> usize {
        let mut j = a;
        while j < self.t.len() {
            match self.t.toks[j].kind {
                Kind::End => return j,
                Kind::Op if self.is_opener(j) => {
                    j = self.close_of(j) + 1;
                    continue;
                }
                Kind::Op if self.is_closer(j) || self.t.raw(j) == b"," => return j,
                _ => {}
            }
            j += 1;
        }
        self.t.len()
    }

    fn walk(&mut self) {
        let n = self.t.len();
        let mut j = 0;
        while j < n {
            while self.func.last().is_some_and(|&(_, end)| j > end) {
                self.func.pop();
            }
            let k = self.t.toks[j].kind;
            match k {
                Kind::Op => {
                    let r = self.t.raw(j);
                    if r == b"(" {
                        self.call(j);
                    } else if matches!(r, b"=" | b".=" | b"+=" | b"&=") {
                        self.assign(j);
                    }
                }
                Kind::Ident => self.word(j),
                Kind::Exec => {
                    let (c, pc) = self.cmd_pos(j, j + 1, true);
                    if c {
                        self.hit("command-exec-input", 100, j, "runs a shell command (backticks) built from request input");
                    } else if pc {
                        self.wrap("command-exec-input", 100);
                    } else if self.interp(j).req {
                        self.hit("command-arg-input", 65, j, "passes request input as an argument of a shell command (backticks)");
                    }
                }
                _ => {}
            }
            j += 1;
        }
    }

    /// Keywords: function definitions, and sinks called without
    /// parentheses (`include $_GET['p'];`, VBScript `Execute Request("x")`).
    fn word(&mut self, j: usize) {
        let name = self.name_rc(j);
        let relevant = if self.php() {
            matches!(&*name, "function" | "include" | "include_once" | "require" | "require_once")
        } else {
            self.lang == Lang::VbScript
        };
        if !relevant {
            return;
        }
        let name = name.to_string();
        let next_paren = self.t.is_op(j + 1, "(");
        if self.php() && name == "function" {
            let (fname, p) = if self.t.kind(j + 1) == Some(Kind::Ident) { (self.name(j + 1), j + 2) } else { (String::new(), j + 1) };
            if self.t.is_op(p, "(") {
                let pc = self.close_of(p);
                self.mark_params(p, pc);
                let mut b = pc + 1;
                while b < self.t.len() && !self.t.is_op(b, "{") && self.t.kind(b) != Some(Kind::End) {
                    b += 1;
                }
                if self.t.is_op(b, "{") {
                    let end = self.close_of(b);
                    self.func.push((fname, end));
                }
            }
            return;
        }
        if self.lang == Lang::VbScript && (name == "function" || name == "sub") && self.t.kind(j + 1) == Some(Kind::Ident) {
            let fname = self.name(j + 1);
            if self.t.is_op(j + 2, "(") {
                let pc = self.close_of(j + 2);
                self.mark_params(j + 2, pc);
            }
            let mut e = j + 2;
            while e + 1 < self.t.len() && !(self.t.is_word(e, "end") && (self.t.is_word(e + 1, "function") || self.t.is_word(e + 1, "sub")))
            {
                e += 1;
            }
            self.func.push((fname, e));
            return;
        }
        if next_paren || self.t.is_op(j + 1, "=") || self.t.is_op(j + 1, ".") {
            return;
        }
        let bare = if self.php() {
            matches!(name.as_str(), "include" | "include_once" | "require" | "require_once")
        } else {
            self.lang == Lang::VbScript && self.at_statement_start(j)
        };
        if !bare || matches!(self.t.kind(j + 1), Some(Kind::End) | None) {
            return;
        }
        let end = self.expr_end_stmt(j + 1);
        let args = self.split_commas(j + 1, end);
        let qual = self.qual_of(j);
        self.dispatch(j, &name, qual.as_deref(), &args);
    }

    /// Statement end from `a`, skipping brackets.
    fn expr_end_stmt(&self, a: usize) -> usize {
        let mut j = a;
        while j < self.t.len() {
            if self.t.toks[j].kind == Kind::End {
                return j;
            }
            if self.is_opener(j) {
                j = self.close_of(j) + 1;
                continue;
            }
            j += 1;
        }
        self.t.len()
    }

    /// A VBScript name (possibly `obj.Method`) first in its statement.
    fn at_statement_start(&self, j: usize) -> bool {
        let mut s = j;
        while s >= 2 && self.t.is_op(s - 1, ".") && self.t.kind(s - 2) == Some(Kind::Ident) {
            s -= 2;
        }
        s == 0 || self.t.kind(s - 1) == Some(Kind::End) || self.t.is_word(s - 1, "call") || self.t.is_word(s - 1, "then")
    }

    fn mark_params(&mut self, p: usize, pc: usize) {
        for q in p + 1..pc.min(self.t.len()) {
            let is_param = match self.t.toks[q].kind {
                Kind::Var => true,
                // Java/C#/VB: the name before `,` or `)` (after its type).
                Kind::Ident if !self.php() => self.t.is_op(q + 1, ",") || q + 1 == pc || self.t.is_word(q + 1, "as"),
                _ => false,
            };
            if is_param {
                let key = self.var_key(q);
                let e = self.vars.entry(key).or_default();
                e.param = true;
                e.pcmd = true;
            }
        }
    }

    /// The receiver name of a call of token `j` (`Process` in
    /// `Process.Start`, `()` when it is a call's result).
    fn qual_of(&self, j: usize) -> Option<String> {
        if j >= 2 && (self.t.is_op(j - 1, ".") || self.t.is_op(j - 1, "->") || self.t.is_op(j - 1, "::")) {
            return match self.t.kind(j - 2) {
                Some(Kind::Ident) => Some(self.name(j - 2)),
                Some(Kind::Var) => Some(String::from_utf8_lossy(self.t.raw(j - 2)).to_ascii_lowercase()),
                Some(Kind::Op) if self.t.raw(j - 2) == b")" => Some("()".into()),
                _ => Some(String::new()),
            };
        }
        None
    }

    fn is_method(&self, j: usize) -> bool {
        j >= 1
            && (self.t.is_op(j - 1, ".") && !self.php()
                || self.t.is_op(j - 1, "->")
                || self.t.is_op(j - 1, "?->")
                || self.t.is_op(j - 1, "::"))
    }

    /// `new` before the (dotted) name at `j`.
    fn is_new(&self, j: usize) -> bool {
        let mut s = j;
        while s >= 2 && self.t.is_op(s - 1, ".") && self.t.kind(s - 2) == Some(Kind::Ident) {
            s -= 2;
        }
        s >= 1 && self.t.is_word(s - 1, "new")
    }

    fn call(&mut self, i: usize) {
        if i == 0 {
            return;
        }
        let c = i - 1;
        let args = self.args(i);
        match self.t.toks[c].kind {
            Kind::Ident => {
                let name = self.name(c);
                if self.v.not_calls.contains(&name.as_str()) && !(name == "function" && self.is_new(c)) {
                    return;
                }
                if c >= 1 && self.t.is_word(c - 1, "function") {
                    return;
                }
                // Java/C# method definitions: `Type name(Type p) {`.
                if matches!(self.lang, Lang::Java | Lang::CSharp) && !self.is_method(c) && !self.is_new(c) {
                    let pc = self.close_of(i);
                    let body = pc + 1;
                    let typed = c >= 1 && (self.t.kind(c - 1) == Some(Kind::Ident) || self.t.is_op(c - 1, ">") || self.t.is_op(c - 1, "]"));
                    if typed && (self.t.is_op(body, "{") || self.t.is_word(body, "throws")) {
                        self.mark_params(i, pc);
                        let mut b = body;
                        while b < self.t.len() && !self.t.is_op(b, "{") {
                            b += 1;
                        }
                        let end = self.close_of(b);
                        self.func.push((name, end));
                        return;
                    }
                }
                let qual = self.qual_of(c);
                let name = if self.is_new(c) && name == "function" { "function".to_string() } else { name };
                self.dispatch(c, &name, qual.as_deref(), &args);
            }
            Kind::Var => {
                let cv = self.eval(c, i);
                self.dynamic(c, cv, &args);
            }
            Kind::Str if self.php() => {
                let cv = self.eval(c, i);
                self.dynamic(c, cv, &args);
            }
            Kind::Op if self.php() && matches!(self.t.raw(c), b"]" | b"}" | b")") => {
                let Some(mut o) = self.open_of(c) else { return };
                if self.t.raw(c) == b")" {
                    // `(expr)(…)` or `f(…)(…)`; not `if (…) (`.
                    if o >= 1 && self.t.kind(o - 1) == Some(Kind::Ident) {
                        let n = self.name(o - 1);
                        if self.v.not_calls.contains(&n.as_str()) {
                            return;
                        }
                        o -= 1;
                    }
                } else {
                    while o >= 1 && self.is_closer(o - 1) && matches!(self.t.raw(o - 1), b"]" | b"}") {
                        match self.open_of(o - 1) {
                            Some(p) => o = p,
                            None => break,
                        }
                    }
                    if o >= 2 && self.t.is_op(o - 1, "}") && self.open_of(o - 1).is_some_and(|p| p >= 1 && self.t.is_op(p - 1, "$")) {
                        o = self.open_of(o - 1).unwrap_or(1) - 1;
                    } else if o >= 2 && self.t.kind(o - 1) == Some(Kind::Var) && self.t.is_op(o - 2, "$") {
                        o -= 2;
                    } else if o == 0 || self.t.kind(o - 1) != Some(Kind::Var) {
                        return;
                    } else {
                        o -= 1;
                    }
                }
                let cv = self.eval(o, i);
                self.dynamic(o, cv, &args);
            }
            _ => {}
        }
    }

    /// A call whose function is chosen at run time.
    fn dynamic(&mut self, at: usize, cv: Val, args: &[(usize, usize)]) {
        if cv.req {
            self.hit("dynamic-call-input", 100, at, "calls a function whose name comes from the request");
            return;
        }
        let name = cv.konst.as_deref().map(|k| {
            let s = String::from_utf8_lossy(k).trim().trim_start_matches('\\').to_ascii_lowercase();
            s.rsplit("::").next().unwrap_or("").to_string()
        });
        match name {
            Some(n) if self.is_dangerous_fn(&n) => {
                let score = if cv.built { 95 } else { 90 };
                self.hit(
                    "hidden-function-name",
                    score,
                    at,
                    format!("calls `{n}` through a name {}", if cv.built { "assembled at run time" } else { "held in a variable" }),
                );
                self.dispatch(at, &n, None, args);
            }
            Some(n) if has(self.v.decoders, &n, None) => {
                if cv.built {
                    self.hit("hidden-function-name", 85, at, format!("calls `{n}` through a name assembled at run time"));
                }
                self.dispatch(at, &n, None, args);
            }
            Some(n) if !n.is_empty() => self.dispatch(at, &n, None, args),
            _ => {
                if args.iter().any(|&(a, b)| self.eval(a, b).req) {
                    self.hit("dynamic-call-with-input", 60, at, "passes request input to a function chosen at run time");
                }
            }
        }
    }

    fn is_dangerous_fn(&self, n: &str) -> bool {
        has(self.v.code_sinks, n, None)
            || has(self.v.cmd_sinks, n, None)
            || self.v.callback_runners.iter().any(|(r, _)| *r == n)
            || has(self.v.loaders, n, None)
    }

    pub fn set_controls(&mut self, c: Vec<String>) {
        self.controls = c;
    }

    /// Start with these variables as the parameters of a run-time function.
    pub fn lambda_params(&mut self, names: &[Vec<u8>]) {
        self.lambda = true;
        for n in names {
            self.vars.entry(n.clone()).or_default().param = true;
        }
    }

    fn wrap(&mut self, rule: &'static str, score: u8) {
        if self.lambda && self.func.is_empty() && self.emit {
            let line = self.t.line(0);
            self.hits.push(Hit {
                rule: "lambda-sink",
                score: 90,
                line,
                reason: format!("a function built at run time passes its argument to an execution sink ({rule})"),
            });
            return;
        }
        if let Some((f, _)) = self.func.last()
            && !f.is_empty()
        {
            let f = f.clone();
            self.wrappers.entry(f).or_insert((rule, score));
        }
    }

    /// What a call of `name` means, given its arguments.
    fn dispatch(&mut self, at: usize, name: &str, qual: Option<&str>, args: &[(usize, usize)]) {
        let v = self.v;
        let arg = |k: usize| args.get(k).copied();
        if has(v.code_sinks, name, qual) {
            self.code_sink(at, name, args);
        } else if has(v.cmd_sinks, name, qual) && (!self.is_new(at) || !self.php()) {
            let vals: Vec<Val> = args.iter().map(|&(a, b)| self.eval(a, b)).collect();
            let (cmd, pcmd) = match args.first() {
                Some(&(a, b)) if self.php() => self.cmd_pos(a, b, true),
                _ => (vals.iter().any(|x| x.req), vals.iter().any(|x| x.param)),
            };
            if self.depth > 0 && !self.lambda && !args.is_empty() && !cmd && !vals.iter().any(|x| x.req) {
                self.hit(
                    "command-in-evaluated-code",
                    85,
                    at,
                    format!("code run through eval starts an operating-system command (`{name}`)"),
                );
            }
            if cmd {
                self.hit("command-exec-input", 100, at, format!("runs an operating-system command (`{name}`) from request input"));
            } else if vals.iter().any(|x| x.req) {
                self.hit("command-arg-input", 65, at, format!("passes request input as an argument of a fixed command (`{name}`)"));
            } else if pcmd {
                self.wrap("command-exec-input", 100);
            } else if vals.iter().any(|x| x.decoded) {
                self.hit("command-exec-decoded", 85, at, format!("runs an operating-system command (`{name}`) from decoded data"));
            }
        } else if has(v.loaders, name, qual) {
            let vals: Vec<Val> = args.iter().map(|&(a, b)| self.eval(a, b)).collect();
            if vals.iter().any(|x| x.req || x.decoded) {
                self.hit("loads-code-input", 100, at, format!("loads runnable code (`{name}`) from request or decoded data"));
            } else if self.page && self.lang == Lang::Java {
                self.hit("defines-class", 90, at, format!("defines a class from bytes at run time (`{name}`) in a server page"));
            } else if vals.iter().any(|x| x.param) {
                self.wrap("loads-code-input", 100);
            }
        } else if let Some(&(_, pos)) = v.callback_runners.iter().find(|(r, _)| *r == name) {
            let cbs: Vec<(usize, usize)> = if pos == 255 { args.to_vec() } else { arg(pos as usize).into_iter().collect() };
            for (a, b) in cbs {
                // A closure written here is the application's own code.
                if self.t.is_word(a, "function") || self.t.is_word(a, "fn") || self.t.is_word(a, "static") {
                    continue;
                }
                let cv = self.eval(a, b);
                if cv.req {
                    self.hit("callback-input", 100, at, format!("`{name}` calls a function the request names"));
                    return;
                }
                if let Some(k) = &cv.konst {
                    let n = String::from_utf8_lossy(k).to_ascii_lowercase();
                    if has(v.code_sinks, &n, None) || has(v.cmd_sinks, &n, None) {
                        let input = args.iter().any(|&(x, y)| {
                            (x, y) != (a, b) && {
                                let w = self.eval(x, y);
                                w.req || w.decoded
                            }
                        });
                        let score = if input { 95 } else { 80 };
                        self.hit("callback-sink", score, at, format!("`{name}` is handed `{n}` as the function to call"));
                        return;
                    }
                }
            }
            self.generic_callback(at, name, args);
        } else if has(v.reflect, name, qual) {
            for &(a, b) in args {
                if let Some(k) = self.fold(a, b, 0).map(|(k, _)| String::from_utf8_lossy(&k).to_ascii_lowercase())
                    && (v.dangerous_names.iter().any(|d| k == *d || d.contains('.') && k.contains(d))
                        || self.php() && (has(v.code_sinks, &k, None) || has(v.cmd_sinks, &k, None)))
                {
                    self.hit("reflection-sink", 90, at, format!("reaches `{k}` by reflection (`{name}`)"));
                    return;
                }
            }
        } else if has(v.object_factories, name, qual) {
            if let Some((a, b)) = arg(0)
                && let Some((k, _)) = self.fold(a, b, 0)
            {
                let k = String::from_utf8_lossy(&k).to_ascii_lowercase();
                if v.dangerous_names.contains(&k.as_str()) {
                    self.hit("shell-object", 80, at, format!("creates a `{k}` object (runs programs)"));
                }
            }
        } else if has(v.file_writers, name, qual) {
            self.file_write(at, name, args);
        } else if has(v.file_stores, name, qual) {
            // `copy`/`rename` store an upload only when the source is one
            // (`$_FILES[…]['tmp_name']`); otherwise they move the
            // application's own files.
            let upload_src = !self.php() || name == "move_uploaded_file" || args.first().is_some_and(|&(a, b)| self.names_upload(a, b));
            if let Some(&(a, b)) = args.last()
                && args.len() >= 2
                && upload_src
            {
                if self.tail_req(a, b) {
                    self.hit(
                        "stores-file-as-requested",
                        85,
                        at,
                        format!("stores a received file (`{name}`) under the name the client chose"),
                    );
                } else if name == "move_uploaded_file"
                    && let Some((k, _)) = self.fold(a, b, 0)
                    && crate::risky::script_ext(&String::from_utf8_lossy(&k))
                {
                    self.hit("stores-upload-as-script", 85, at, "stores an uploaded file as a server script");
                }
            }
        } else if let Some(&(rule, score)) = self.wrappers.get(name) {
            let vals: Vec<Val> = args.iter().map(|&(a, b)| self.eval(a, b)).collect();
            if vals.iter().any(|x| x.req) {
                self.hit(rule, score, at, format!("passes request input to `{name}`, which hands it to an execution sink"));
            } else if vals.iter().any(|x| x.param) {
                self.wrap(rule, score);
            }
        } else {
            self.generic_callback(at, name, args);
        }
    }

    /// Any function handed a sink's name as a string while request input
    /// is in the same call (`filter_var($x, FILTER_CALLBACK,
    /// ['options' => 'assert'])`): callbacks the table does not list.
    fn generic_callback(&mut self, at: usize, name: &str, args: &[(usize, usize)]) {
        if args.len() < 2 || !self.php() {
            return;
        }
        let (Some(&(a0, _)), Some(&(_, b1))) = (args.first(), args.last()) else { return };
        let mut sink = None;
        for q in a0..b1 {
            if self.t.toks[q].kind == Kind::Str {
                let s = String::from_utf8_lossy(&self.t.str_value(q)).to_ascii_lowercase();
                if (has(self.v.code_sinks, &s, None) && !s.starts_with("include") && !s.starts_with("require"))
                    || has(self.v.cmd_sinks, &s, None)
                {
                    sink = Some(s);
                    break;
                }
            }
        }
        let Some(s) = sink else { return };
        if args.iter().any(|&(a, b)| self.eval(a, b).req) {
            self.hit("callback-sink", 90, at, format!("`{name}` is handed `{s}` as a callback with request input"));
        }
    }

    fn code_sink(&mut self, at: usize, name: &str, args: &[(usize, usize)]) {
        let include = name.starts_with("include") || name.starts_with("require");
        let code_args: Vec<(usize, usize)> = match name {
            "create_function" => args.get(1).copied().into_iter().collect(),
            "preg_replace" | "preg_filter" | "mb_ereg_replace" | "mb_eregi_replace" => {
                let e_mod = if name.starts_with("preg_") {
                    args.first().and_then(|&(a, b)| self.fold(a, b, 0)).is_some_and(|(p, _)| transform::preg_has_e(&p))
                } else {
                    args.get(3).and_then(|&(a, b)| self.fold(a, b, 0)).is_some_and(|(o, _)| o.contains(&b'e'))
                };
                if !e_mod {
                    return;
                }
                args.to_vec()
            }
            _ => args.first().copied().into_iter().collect(),
        };
        for (a, b) in code_args {
            let val = self.eval(a, b);
            if include {
                let head = match self.pieces(a, b).first().copied() {
                    Some((x, y)) => match self.lone_var(x, y) {
                        Some(info) => info.head,
                        None => self.eval(x, y).req,
                    },
                    None => false,
                };
                if head {
                    self.hit("include-input", 90, at, format!("`{name}` runs a file the request names"));
                } else if val.req {
                    self.hit("include-partial-input", 60, at, format!("`{name}` runs a file whose name holds request input"));
                }
                continue;
            }
            if val.req {
                self.hit("code-exec-input", 100, at, format!("runs request input as code (`{name}`)"));
            } else if val.decoded {
                self.hit("code-exec-decoded", 95, at, format!("runs decoded data as code (`{name}`)"));
            } else if val.param {
                self.wrap("code-exec-input", 100);
            }
            if let Some(code) = val.konst
                && self.emit
                && self.depth < MAX_DEPTH
                && code.len() > 4
            {
                let params: Vec<Vec<u8>> = if name == "create_function" {
                    args.first()
                        .and_then(|&(a, b)| self.fold(a, b, 0))
                        .map(|(p, _)| {
                            p.split(|&c| c == b',').map(|x| x.trim_ascii().strip_prefix(b"$").unwrap_or(x.trim_ascii()).to_vec()).collect()
                        })
                        .unwrap_or_default()
                } else {
                    Vec::new()
                };
                let inner = crate::analyze_code(self.lang, &code, self.page, self.depth + 1, &params);
                let line = self.t.line(at);
                for h in inner.hits {
                    self.hits.push(Hit { rule: h.rule, score: h.score, line, reason: format!("in the code `{name}` runs: {}", h.reason) });
                }
            }
        }
    }

    fn file_write(&mut self, at: usize, name: &str, args: &[(usize, usize)]) {
        let (path, data) = match (self.lang, name) {
            (Lang::Php, _) => (args.first().copied(), args.get(1).copied()),
            (Lang::Java, _) => (args.first().copied(), None),
            _ => (args.first().copied(), args.get(1).copied()),
        };
        let pv = path.map(|(a, b)| self.eval(a, b)).unwrap_or_default();
        if let Some((a, b)) = data {
            let dv = self.eval(a, b);
            if let Some(code) = &dv.konst
                && self.emit
                && self.depth < MAX_DEPTH
                && (memchr::memmem::find(code, b"<?").is_some() || memchr::memmem::find(code, b"<%").is_some())
            {
                let inner = crate::scan_bytes_depth("dropped.php", code, self.depth + 1);
                if let Some(h) = inner.first() {
                    let reason = format!("writes a web shell to a file: {}", h.reason);
                    self.hit("drops-shell", 95, at, reason);
                    return;
                }
            }
            if dv.req && pv.req {
                self.hit("writes-requested-file", 85, at, format!("writes request data to a file the request names (`{name}`)"));
            }
        } else if self.lang == Lang::Java && pv.req && self.page {
            self.hit("writes-requested-file", 80, at, format!("opens a file the request names for writing (`{name}`)"));
        }
        if !self.php() && self.lang != Lang::Java && pv.req && self.page {
            self.hit("writes-requested-file", 80, at, format!("writes a file the request names (`{name}`)"));
        }
    }

    fn assign(&mut self, j: usize) {
        if j == 0 {
            return;
        }
        let op = self.t.raw(j);
        let mut tt = j - 1;
        let mut indexed = false;
        while self.is_closer(tt) && matches!(self.t.raw(tt), b"]" | b"}" | b")") {
            let Some(o) = self.open_of(tt) else { return };
            if o == 0 {
                return;
            }
            // VBScript `x(1) = …` and PHP `$a['k'] = …`.
            indexed = true;
            tt = o - 1;
        }
        let target = match self.t.toks[tt].kind {
            Kind::Var => true,
            Kind::Ident if !self.php() => true,
            _ => false,
        };
        if !target {
            return;
        }
        if self.lang == Lang::VbScript {
            // `=` compares unless it starts a statement (`If a = b Then`).
            let mut s = tt;
            while s >= 2 && self.t.is_op(s - 1, ".") && self.t.kind(s - 2) == Some(Kind::Ident) {
                s -= 2;
            }
            let start = s == 0
                || self.t.kind(s - 1) == Some(Kind::End)
                || ["set", "let", "dim", "const", "then", "else"].iter().any(|w| self.t.is_word(s - 1, w));
            if !start {
                return;
            }
        }
        let end = self.expr_end(j + 1);
        let mut val = self.eval(j + 1, end);
        // A whole array copied (`$a = $b`, `$reg[$k] = $b`): the element
        // that held input stays an element, not the whole value.
        if end == j + 2
            && self.t.kind(j + 1) == Some(Kind::Var)
            && !self.is_source_var(j + 1)
            && let Some(src) = self.vars.get(self.t.raw(j + 1))
        {
            val.req = src.req;
            val.elem_req = src.elem_req;
        }
        let input = val.req || val.param;
        val.tail = input && self.tail_req(j + 1, end);
        val.array = self.t.is_word(j + 1, "array") || self.t.is_op(j + 1, "[") || self.lone_var(j + 1, end).is_some_and(|x| x.array);
        let compound = op != b"=";
        let (key, elem) = if indexed {
            let mut k = self.var_key(tt);
            let (_, ek) = self.index_chain(tt);
            let last_str = {
                let c = j - 1;
                self.open_of(c)
                    .filter(|&o| c == o + 2 && self.t.kind(o + 1) == Some(Kind::Str))
                    .map(|o| self.t.str_value(o + 1).into_owned())
            };
            let elem = last_str.map(|l| {
                k.push(b'[');
                k.extend_from_slice(&l);
                k.push(b']');
                k.clone()
            });
            let _ = ek;
            (self.var_key(tt), elem)
        } else {
            (self.var_key(tt), None)
        };
        let old_start =
            compound && self.vars.get(elem.as_ref().unwrap_or(&key)).and_then(|o| o.konst.as_deref()).is_some_and(|k| advance(true, k));
        if let Some((a, b)) = self.pieces(j + 1, end).first().copied().filter(|_| input) {
            val.head = match self.lone_var(a, b) {
                Some(info) => info.head,
                None => self.eval(a, b).req,
            };
        }
        let start = if compound { old_start } else { true };
        let (c, pc) = if input { self.cmd_pos(j + 1, end, start) } else { (false, false) };
        val.cmd = c;
        val.pcmd = pc;
        if !self.php() && self.t.kind(tt) == Some(Kind::Ident) {
            let member = self.name(tt);
            let qual = self.qual_of(tt);
            if has(self.v.assign_sinks, &member, None) && qual.is_some() {
                if val.req {
                    self.hit(
                        "command-exec-input",
                        100,
                        j,
                        format!("sets the program or arguments of a process (`{member}`) from request input"),
                    );
                } else if val.param {
                    self.wrap("command-exec-input", 100);
                }
            }
        }
        // `$x = own_filter($x)`: the variable is cleaned in place.
        let sanitized = !compound && !indexed && self.sanitizes_in_place(tt, j + 1, end);
        let upload = val.req && self.names_upload(j + 1, end);
        let has_elem = elem.is_some();
        for (n, k) in [Some(key), elem].into_iter().flatten().enumerate() {
            let e = self.vars.entry(k).or_default();
            if sanitized {
                *e = Val::default();
                continue;
            }
            e.upload |= upload;
            e.elem_req |= val.elem_req;
            if n == 0 && has_elem {
                e.elem_req |= val.req;
            } else {
                e.req |= val.req;
            }
            e.param |= val.param;
            e.decoded |= val.decoded;
            e.tail |= val.tail;
            if !compound {
                e.head |= val.head;
            }
            e.cmd |= val.cmd;
            e.pcmd |= val.pcmd;
            e.array |= indexed || val.array;
            match (compound, val.konst.clone()) {
                (false, Some(k)) => {
                    e.konst = Some(k);
                    e.built |= val.built || indexed;
                }
                (true, Some(k)) => {
                    if let Some(old) = &mut e.konst
                        && old.len() + k.len() <= MAX_KONST
                    {
                        old.extend_from_slice(&k);
                        e.built = true;
                    }
                }
                (_, None) => {}
            }
        }
    }

    /// `[a, b)` mentions an upload's temporary file, or is a variable
    /// that holds one.
    fn names_upload(&self, a: usize, b: usize) -> bool {
        (a..b).any(|q| self.t.kind(q) == Some(Kind::Str) && &*self.t.str_value(q) == b"tmp_name")
            || self.lone_var(a, b).is_some_and(|x| x.upload)
    }

    /// The right side is one call of an application function (not a
    /// pass-through, not a source) that takes the variable being assigned.
    fn sanitizes_in_place(&self, target: usize, a: usize, b: usize) -> bool {
        if !self.php()
            || self.t.kind(a) != Some(Kind::Ident)
            || !self.t.is_op(a + 1, "(")
            || self.close_of(a + 1) + 1 != b
            || self.is_new(a)
        {
            return false;
        }
        let n = self.name_rc(a);
        if has(self.v.passthrough, &n, None) || has(self.v.decoders, &n, None) || self.v.source_calls.contains(&&*n) || self.is_method(a) {
            return false;
        }
        let key = self.t.raw(target);
        (a + 2..b).any(|q| self.t.kind(q) == self.t.kind(target) && self.t.raw(q) == key)
    }

    /// Whether the last concatenated piece of `[a, b)` is request input
    /// (the file name part of `$dir . '/' . $_FILES['f']['name']`).
    fn tail_req(&mut self, a: usize, b: usize) -> bool {
        let Some((last, b)) = self.pieces(a, b).last().copied() else { return false };
        if last + 1 == b && matches!(self.t.kind(last), Some(Kind::Var | Kind::Ident)) && !self.is_source_var(last) {
            let key = self.var_key(last);
            return self.vars.get(&key).is_some_and(|x| x.tail);
        }
        self.eval(last, b).req
    }

    /// Top-level concatenation pieces of `[a, b)`.
    fn pieces(&self, a: usize, b: usize) -> Vec<(usize, usize)> {
        let concat = self.v.concat;
        self.split_top(a, b, |t, j| t.kind(j) == Some(Kind::Op) && concat.iter().any(|c| t.raw(j) == c.as_bytes()))
    }

    /// Flags of a lone variable piece (its element when indexed by a
    /// constant), if the piece is one.
    fn lone_var(&self, a: usize, b: usize) -> Option<Val> {
        let k = self.t.kind(a)?;
        let variable = k == Kind::Var || k == Kind::Ident && !self.php() && !self.t.is_op(a + 1, "(");
        if !variable || self.is_source_var(a) {
            return None;
        }
        let (end, key) = self.index_chain(a);
        if end != b {
            return None;
        }
        // Flags only: a constant value may be megabytes.
        Some(self.vars.get(&key).map(Val::flags).unwrap_or_default())
    }

    /// Where request input (or a parameter) stands in a command line
    /// built from `[a, b)`: first, or after a shell separator, is a
    /// command; anywhere else an argument. `start`: the text before it
    /// ends at a command position.
    fn cmd_pos(&mut self, a: usize, b: usize, mut start: bool) -> (bool, bool) {
        let (mut cmd, mut pcmd) = (false, false);
        // Inside `sudo …`, `env …`, `nohup …`: every word is a command line.
        let mut runner = false;
        for (pa, pb) in self.pieces(a, b) {
            if pb == pa + 1 && matches!(self.t.kind(pa), Some(Kind::Str | Kind::Exec)) {
                if self.t.toks[pa].quote == Quote::PhpDouble && self.has_interp(pa) {
                    let raw = self.t.raw(pa);
                    let mut text = Vec::new();
                    let mut k = 0;
                    while k < raw.len() {
                        if raw[k] == b'$' && (k == 0 || raw[k - 1] != b'\\') {
                            let name: Vec<u8> = raw[k + 1..].iter().copied().take_while(|&c| crate::token::is_name_byte(c)).collect();
                            if !name.is_empty() {
                                (start, runner) = shell_step(start, runner, &text);
                                text.clear();
                                let src = self.v.source_vars.iter().any(|s| s.as_bytes() == name.as_slice());
                                let info = self.vars.get(&name).cloned().unwrap_or_default();
                                if (start || runner) && (src || info.cmd || runner && info.req) {
                                    cmd = true;
                                }
                                if (start || runner) && (info.pcmd || runner && info.param) {
                                    pcmd = true;
                                }
                                (start, runner) = match &info.konst {
                                    Some(kv) if !src => shell_step(start, runner, kv),
                                    _ => (false, runner),
                                };
                                k += 1 + name.len();
                                // `$a['x']` / `$a[0]` inside the string.
                                if raw.get(k) == Some(&b'[') {
                                    k += raw[k..].iter().position(|&c| c == b']').map_or(raw.len() - k, |p| p + 1);
                                }
                                continue;
                            }
                        }
                        if raw[k] != b'{' || raw.get(k + 1) != Some(&b'$') {
                            text.push(raw[k]);
                        }
                        k += 1;
                    }
                    (start, runner) = shell_step(start, runner, &text);
                } else {
                    let v = self.t.str_value(pa).into_owned();
                    (start, runner) = shell_step(start, runner, &v);
                }
                continue;
            }
            let v = self.eval(pa, pb);
            let (r, p) = match self.lone_var(pa, pb) {
                Some(info) => (info.cmd, info.pcmd),
                None => (v.req, v.param),
            };
            if start && r || runner && v.req {
                cmd = true;
            }
            if start && p || runner && v.param {
                pcmd = true;
            }
            (start, runner) = match &v.konst {
                Some(k) => shell_step(start, runner, k),
                None => (false, runner),
            };
        }
        (cmd, pcmd)
    }

    /// The end of `$v[…][…]` from the variable at `j`, and the key its
    /// value is kept under: the variable, or its element when the last
    /// index is a constant name (`$upload[$i]['file']`).
    fn index_chain(&self, j: usize) -> (usize, Vec<u8>) {
        let mut key = self.var_key(j);
        let mut next = j + 1;
        let mut last: Option<Vec<u8>> = None;
        while next < self.t.len() && (self.t.is_op(next, "[") || self.php() && self.t.is_op(next, "{")) {
            let c = self.close_of(next);
            last = if c == next + 2 && self.t.kind(next + 1) == Some(Kind::Str) {
                Some(self.t.str_value(next + 1).into_owned())
            } else {
                None
            };
            next = c + 1;
        }
        if let Some(l) = last {
            key.push(b'[');
            key.extend_from_slice(&l);
            key.push(b']');
            if !self.vars.contains_key(&key) {
                key = self.var_key(j);
            }
        }
        (next.min(self.t.len()), key)
    }

    fn is_source_var(&self, i: usize) -> bool {
        self.t.kind(i) == Some(Kind::Var) && self.v.source_vars.iter().any(|s| s.as_bytes() == self.t.raw(i))
    }

    /// Taint of PHP `"…$x…"` and backtick strings.
    fn interp(&self, i: usize) -> Val {
        let mut v = Val::default();
        let t = self.t.toks[i];
        if t.quote != Quote::PhpDouble {
            return v;
        }
        let raw = self.t.raw(i);
        for p in memchr::memchr_iter(b'$', raw) {
            if p > 0 && raw[p - 1] == b'\\' {
                continue;
            }
            let name: Vec<u8> = raw[p + 1..].iter().copied().take_while(|&b| crate::token::is_name_byte(b)).collect();
            if name.is_empty() {
                continue;
            }
            if self.v.source_vars.iter().any(|s| s.as_bytes() == name.as_slice()) {
                v.req = true;
            } else if let Some(x) = self.vars.get(&name) {
                v.req |= x.req;
                v.param |= x.param;
                v.decoded |= x.decoded;
            }
        }
        v
    }

    /// Taint, decoding and constant value of the expression `[a, b)`.
    fn eval(&mut self, a: usize, b: usize) -> Val {
        let b = b.min(self.t.len());
        let mut v = Val::default();
        if b <= a {
            return v;
        }
        if self.budget < b - a {
            self.exhausted = true;
            return v;
        }
        self.budget -= b - a;
        let mut j = a;
        while j < b {
            let tok = self.t.toks[j];
            match tok.kind {
                Kind::Var => {
                    let raw = self.t.raw(j);
                    if self.v.source_vars.iter().any(|s| s.as_bytes() == raw) {
                        v.req |= self.superglobal_is_input(j);
                    } else if raw == b"GLOBALS" {
                        if self.t.is_op(j + 1, "[")
                            && let Some((k, _)) = self.fold(j + 2, self.close_of(j + 1), 0)
                            && self.v.source_vars.iter().any(|s| s.as_bytes() == k.as_slice())
                        {
                            v.req = true;
                        }
                    } else {
                        // An element of the application's own array is
                        // its data, whichever index the request picks.
                        let (end, key) = self.index_chain(j);
                        if let Some(x) = self.vars.get(&key) {
                            v.req |= x.req || end == j + 1 && x.elem_req;
                            v.param |= x.param;
                            v.decoded |= x.decoded;
                        }
                        j = end;
                        continue;
                    }
                }
                Kind::Op if self.php() && self.t.raw(j) == b"$" => {
                    // `${'_PO'.'ST'}`, `$$name`: a variable named at run time.
                    let (name, end) = self.var_var(j);
                    match name {
                        Some(n) if self.v.source_vars.iter().any(|s| s.as_bytes() == n.as_slice()) => v.req = true,
                        Some(n) => {
                            if let Some(x) = self.vars.get(&n) {
                                v.req |= x.req;
                                v.param |= x.param;
                                v.decoded |= x.decoded;
                            }
                        }
                        None => {}
                    }
                    j = end;
                    continue;
                }
                Kind::Op if self.php() && self.t.raw(j) == b"(" && self.is_cast(j) => {
                    j = self.skip_operand(j + 3);
                    continue;
                }
                Kind::Ident => {
                    let name_rc = self.name_rc(j);
                    let name: &str = &name_rc;
                    let after_dot = j > a && self.t.is_op(j - 1, ".") && !self.php();
                    if !after_dot
                        && !self.controls.is_empty()
                        && self.controls.iter().any(|c| c == name)
                        && self.t.is_op(j + 1, ".")
                        && matches!(self.name(j + 2).as_str(), "text" | "value" | "selectedvalue" | "innertext" | "innerhtml")
                    {
                        v.req = true;
                    }
                    if !after_dot && self.v.source_objects.contains(&name) {
                        let next = j + 1;
                        let member = self.t.is_op(next, ".")
                            && self.t.kind(next + 1) == Some(Kind::Ident)
                            && self.v.source_members.contains(&self.name(next + 1).as_str());
                        if self.t.is_op(next, "(") || self.t.is_op(next, "[") || member {
                            v.req = true;
                        }
                    }
                    if self.php() && name == "function" && self.t.is_op(j + 1, "(") {
                        // A closure: its body is read where it stands, and
                        // the value assigned is code, not the input it reads.
                        let mut k = self.close_of(j + 1) + 1;
                        if self.t.is_word(k, "use") && self.t.is_op(k + 1, "(") {
                            k = self.close_of(k + 1) + 1;
                        }
                        while k < b && !self.t.is_op(k, "{") && self.t.kind(k) != Some(Kind::End) {
                            k += 1;
                        }
                        j = if self.t.is_op(k, "{") { self.close_of(k) + 1 } else { k };
                        continue;
                    }
                    if self.t.is_op(j + 1, "(") {
                        let method = self.is_method(j);
                        if self.v.source_calls.contains(&name) && (method || self.php()) {
                            v.req = true;
                        } else if self.php() && matches!(name, "file_get_contents" | "fopen" | "file" | "stream_get_contents" | "getenv") {
                            let pc = self.close_of(j + 1);
                            for q in j + 2..pc.min(b) {
                                if self.t.toks[q].kind == Kind::Str {
                                    let s = self.t.str_value(q);
                                    if s.eq_ignore_ascii_case(b"php://input") || name == "getenv" && s.starts_with(b"HTTP_") {
                                        v.req = true;
                                    }
                                }
                            }
                        }
                        if self.php() && name == "preg_replace" && self.whitelist_filter(j + 1) {
                            j = self.close_of(j + 1) + 1;
                            continue;
                        }
                        if has(self.v.decoders, name, None) {
                            v.decoded = true;
                        }
                        let through = has(self.v.passthrough, name, None) || has(self.v.decoders, name, None) || self.v.chr.contains(&name);
                        if !through {
                            // A function of the application's own: input
                            // that goes in is its business.
                            j = self.close_of(j + 1) + 1;
                            continue;
                        }
                    } else if !self.php()
                        && !after_dot
                        && let Some(x) = self.vars.get(name.as_bytes())
                    {
                        v.req |= x.req;
                        v.param |= x.param;
                        v.decoded |= x.decoded;
                    }
                }
                Kind::Str | Kind::Exec => {
                    let x = self.interp(j);
                    v.req |= x.req;
                    v.param |= x.param;
                    v.decoded |= x.decoded;
                }
                _ => {}
            }
            j += 1;
        }
        if let Some((k, built)) = self.fold(a, b, 0) {
            v.konst = Some(k);
            v.built = built;
        }
        v
    }

    /// The name of `${expr}` / `$$var` at `j` (the `$`), if constant, and
    /// the token after it and its indexes.
    fn var_var(&mut self, j: usize) -> (Option<Vec<u8>>, usize) {
        let (name, after) = if self.t.is_op(j + 1, "{") {
            let c = self.close_of(j + 1);
            let inner = if c == j + 3 && self.t.kind(j + 2) == Some(Kind::Ident) {
                // `${c}`: PHP reads a bare word as its own name.
                Some(self.t.raw(j + 2).to_vec())
            } else {
                self.fold(j + 2, c, 0).map(|x| x.0)
            };
            (inner, c + 1)
        } else if self.t.kind(j + 1) == Some(Kind::Var) {
            (self.fold(j + 1, j + 2, 0).map(|x| x.0), j + 2)
        } else {
            (None, j + 1)
        };
        let mut next = after;
        while next < self.t.len() && (self.t.is_op(next, "[") || self.t.is_op(next, "{")) {
            next = self.close_of(next) + 1;
        }
        (name, next.min(self.t.len()))
    }

    /// `(int)`, `(bool)`, `(float)`: a number is not a command or code.
    fn is_cast(&self, j: usize) -> bool {
        self.t.is_op(j + 2, ")") && ["int", "integer", "float", "double", "bool", "boolean"].iter().any(|w| self.t.is_word(j + 1, w))
    }

    /// The token after the operand starting at `j`.
    fn skip_operand(&self, j: usize) -> usize {
        match self.t.kind(j) {
            Some(Kind::Var) => self.index_chain(j).0,
            Some(Kind::Ident) if self.t.is_op(j + 1, "(") => self.close_of(j + 1) + 1,
            Some(Kind::Op) if self.is_opener(j) => self.close_of(j) + 1,
            Some(_) => j + 1,
            None => j,
        }
    }

    /// `preg_replace('/[^a-z0-9_]/', '', $x)`: keeps only a character
    /// class, so what remains cannot name a path or a command.
    fn whitelist_filter(&mut self, p: usize) -> bool {
        let args = self.args(p);
        let (Some(&(a, b)), Some(&(c, d))) = (args.first(), args.get(1)) else { return false };
        let pat = self.fold(a, b, 0).map(|x| x.0);
        let rep = self.fold(c, d, 0).map(|x| x.0);
        match (pat, rep) {
            (Some(pat), Some(rep)) => {
                let body = pat.get(1..).unwrap_or(&[]);
                body.starts_with(b"[^") && rep.is_empty() && !body.contains(&b'.') && !body.windows(2).any(|w| w == b"\\s")
            }
            _ => false,
        }
    }

    /// `$_SERVER` is input only in its request fields.
    fn superglobal_is_input(&mut self, j: usize) -> bool {
        // The server's and the environment's variables: input only in
        // the request's fields (CGI passes headers as HTTP_*).
        if !matches!(self.t.raw(j), b"_SERVER" | b"_ENV" | b"HTTP_SERVER_VARS") {
            return true;
        }
        if !self.t.is_op(j + 1, "[") {
            return true;
        }
        match self.fold(j + 2, self.close_of(j + 1), 0) {
            Some((k, _)) => {
                k.starts_with(b"HTTP_")
                    || matches!(k.as_slice(), b"QUERY_STRING" | b"REQUEST_URI" | b"PATH_INFO" | b"ORIG_PATH_INFO" | b"PHP_SELF" | b"argv")
            }
            None => true,
        }
    }

    /// The constant value of `[a, b)`, if it has one: pieces joined by the
    /// language's concatenation (and PHP's `^`), each a literal, a
    /// variable with a known value, a character code or a decoder of a
    /// constant. The flag says whether it was assembled.
    fn fold(&mut self, a: usize, b: usize, depth: u32) -> Option<(Vec<u8>, bool)> {
        let b = b.min(self.t.len());
        if a >= b || depth > MAX_FOLD {
            return None;
        }
        let mut j = a;
        let mut acc: Vec<u8> = Vec::new();
        let mut built = false;
        let mut pieces = 0;
        // PHP's bitwise operators on strings (`'P62S' & 'Y1wg'`), byte by
        // byte: `&` and `^` to the shorter length, `|` to the longer.
        let mut bit: Option<u8> = None;
        loop {
            let (val, next, bt) = self.term(j, b, depth)?;
            built |= bt;
            if let Some(op) = bit.take() {
                let (short, long) = if acc.len() <= val.len() { (&acc, &val) } else { (&val, &acc) };
                let mut out: Vec<u8> = (0..short.len())
                    .map(|k| match op {
                        b'^' => acc[k] ^ val[k],
                        b'&' => acc[k] & val[k],
                        _ => acc[k] | val[k],
                    })
                    .collect();
                if op == b'|' {
                    out.extend_from_slice(&long[short.len()..]);
                }
                acc = out;
                built = true;
            } else {
                if acc.len() + val.len() > MAX_KONST {
                    return None;
                }
                acc.extend_from_slice(&val);
            }
            pieces += 1;
            j = next;
            if j >= b {
                break;
            }
            let r = self.t.raw(j);
            if self.t.kind(j) == Some(Kind::Op) && self.v.concat.iter().any(|c| c.as_bytes() == r) {
                j += 1;
            } else if self.php() && (self.t.is_op(j, "^") || self.t.is_op(j, "&") || self.t.is_op(j, "|")) {
                bit = Some(r[0]);
                j += 1;
            } else {
                return None;
            }
            if j >= b {
                return None;
            }
        }
        Some((acc, built || pieces > 1))
    }

    fn term(&mut self, mut j: usize, b: usize, depth: u32) -> Option<(Vec<u8>, usize, bool)> {
        // PHP's `@` silences errors; `(string)` casts.
        while j < b && (self.t.is_op(j, "@") || self.t.is_op(j, "(") && self.t.is_word(j + 1, "string") && self.t.is_op(j + 2, ")")) {
            j += if self.t.is_op(j, "@") { 1 } else { 3 };
        }
        if j >= b {
            return None;
        }
        let tok = self.t.toks[j];
        match tok.kind {
            Kind::Str => {
                if self.php() && tok.quote == Quote::PhpDouble && self.has_interp(j) {
                    return None;
                }
                Some((self.t.str_value(j).into_owned(), j + 1, false))
            }
            Kind::Num => {
                let raw = self.t.raw(j);
                if raw.iter().all(|c| c.is_ascii_digit()) { Some((raw.to_vec(), j + 1, false)) } else { None }
            }
            Kind::Op if self.t.raw(j) == b"~" && self.php() => {
                let (v, n, _) = self.term(j + 1, b, depth + 1)?;
                Some((v.iter().map(|c| !c).collect(), n, true))
            }
            Kind::Op if self.t.raw(j) == b"(" => {
                let c = self.close_of(j);
                let (v, bt) = self.fold(j + 1, c, depth + 1)?;
                Some((v, c + 1, bt))
            }
            Kind::Var => {
                let (_, key) = self.index_chain(j);
                let elem = key != self.t.raw(j);
                let x = self.vars.get(&key)?.clone();
                let k = x.konst?;
                if j + 1 < b && self.t.is_op(j + 1, "(") {
                    let fname = String::from_utf8_lossy(&k).to_ascii_lowercase();
                    let pc = self.close_of(j + 1);
                    let args = self.args(j + 1);
                    let vals: Vec<Option<Vec<u8>>> = args.iter().map(|&(a, e)| self.fold(a, e, depth + 1).map(|(v, _)| v)).collect();
                    let out = transform::apply(&fname, &vals, self.v.chr.contains(&fname.as_str()))?;
                    return Some((out, pc + 1, true));
                }
                let mut next = j + 1;
                if elem {
                    return Some((k, self.index_chain(j).0, x.built));
                }
                let mut out = k;
                let mut built = x.built;
                while next < b && (self.t.is_op(next, "[") || self.t.is_op(next, "{")) {
                    let c = self.close_of(next);
                    let idx = self.fold(next + 1, c, depth + 1).and_then(|(i, _)| std::str::from_utf8(&i).ok()?.parse::<usize>().ok());
                    match idx {
                        Some(i) if !x.array => {
                            out = vec![*out.get(i)?];
                        }
                        _ => {}
                    }
                    built = true;
                    next = c + 1;
                }
                Some((out, next, built))
            }
            Kind::Ident => {
                let name_rc = self.name_rc(j);
                let name: &str = &name_rc;
                if j + 1 >= b || !self.t.is_op(j + 1, "(") {
                    if self.php() {
                        // PHP before 8 reads an undefined constant as its
                        // name: `strrev(ecalper_gerp)`, `$_POST[cmd]`.
                        let bare = !self.is_method(j) && !self.t.is_op(j + 1, "::") && !["true", "false", "null"].contains(&name);
                        return bare.then(|| (self.t.raw(j).to_vec(), j + 1, true));
                    }
                    let x = self.vars.get(name.as_bytes())?.clone();
                    return Some((x.konst?, j + 1, x.built));
                }
                let pc = self.close_of(j + 1);
                let args = self.args(j + 1);
                let mut vals = Vec::with_capacity(args.len());
                for &(a, e) in &args {
                    vals.push(self.fold(a, e, depth + 1).map(|(v, _)| v));
                }
                let out = transform::apply(name, &vals, self.v.chr.contains(&name))?;
                if out.len() > MAX_KONST {
                    return None;
                }
                Some((out, pc + 1, true))
            }
            _ => None,
        }
    }

    fn has_interp(&self, i: usize) -> bool {
        let raw = self.t.raw(i);
        memchr::memchr_iter(b'$', raw)
            .any(|p| (p == 0 || raw[p - 1] != b'\\') && raw.get(p + 1).is_some_and(|&c| crate::token::is_name_byte(c) || c == b'{'))
            || memchr::memmem::find(raw, b"{$").is_some()
    }
}

/// Programs that run their arguments as a command line.
const RUNNERS: &[&[u8]] = &[
    b"sudo", b"su", b"doas", b"runuser", b"env", b"nohup", b"setsid", b"xargs", b"timeout", b"nice", b"ionice", b"time", b"exec",
    b"chroot", b"stdbuf", b"busybox", b"strace",
];

/// [`advance`], plus whether the current command is one of [`RUNNERS`].
fn shell_step(start: bool, runner: bool, text: &[u8]) -> (bool, bool) {
    let next = advance(start, text);
    let (seg, fresh) = match text.iter().rposition(|c| matches!(c, b';' | b'|' | b'&' | b'\n' | b'`')) {
        Some(p) => (&text[p + 1..], true),
        None => (text, start),
    };
    if !fresh {
        return (next, runner);
    }
    let mut words = seg.split(|c| c.is_ascii_whitespace()).filter(|w| !w.is_empty());
    let Some(word) = words.next() else { return (next, false) };
    let base = word.rsplit(|&c| c == b'/').next().unwrap_or(word);
    if !RUNNERS.contains(&base) {
        return (next, false);
    }
    // `sudo -u www -S …`: options (and a single-letter option's value)
    // keep the command word still to come; any other word is the command.
    let mut value_next = false;
    for w in words {
        if w.starts_with(b"-") {
            value_next = w.len() == 2;
        } else if value_next {
            value_next = false;
        } else {
            return (next, false);
        }
    }
    (next, true)
}

/// Whether a shell reading `text` after a position `start` ends where
/// a command name may follow. Only the end of the text decides, so this
/// reads backwards from its last byte that is not a blank.
fn advance(start: bool, text: &[u8]) -> bool {
    let t = text.trim_ascii_end();
    let Some(&last) = t.last() else { return start };
    if matches!(last, b';' | b'|' | b'&' | b'`') || last == b'(' && t.len() >= 2 && t[t.len() - 2] == b'$' {
        return true;
    }
    if text.len() > t.len() && text[t.len()..].contains(&b'\n') {
        return true;
    }
    // `sh -c '`, `cmd.exe /c `: what follows is a command line.
    let t = t.strip_suffix(b"'").or_else(|| t.strip_suffix(b"\"")).unwrap_or(t).trim_ascii_end();
    let n = t.len();
    if n >= 2 && (t[n - 2] == b'-' || t[n - 2] == b'/') && matches!(t[n - 1] | 0x20, b'c' | b'k') {
        return n == 2 || t[n - 3].is_ascii_whitespace();
    }
    false
}
