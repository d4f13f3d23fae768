//! Directives from logical lines: `SecRule` and `SecAction` broken into
//! their parts, every name checked.

use crate::Error;
use crate::ast::{Action, Directive, Operator, Rule, Selector, Variable};
use crate::lexer::{self, Line};
use crate::vocab::{self, ACTIONS, COLLECTIONS, CTL_OPTIONS, DIRECTIVES, OPERATORS, TRANSFORMATIONS};

/// Parses one rule file's text. Stops at the first error: a rule set that
/// loads half-way would protect less than its author believes.
pub fn parse(text: &str) -> Result<Vec<Directive>, Error> {
    lexer::lines(text)?.into_iter().map(directive).collect()
}

fn err(line: usize, message: impl Into<String>) -> Error {
    Error { line, message: message.into() }
}

fn directive(l: Line) -> Result<Directive, Error> {
    let n = l.number;
    let first = l.args.first().ok_or_else(|| err(n, "empty directive"))?;
    let name = vocab::lookup(DIRECTIVES, first).ok_or_else(|| err(n, format!("unknown directive {first}")))?;
    let args = &l.args[1..];
    let want = |count: std::ops::RangeInclusive<usize>| {
        if count.contains(&args.len()) {
            Ok(())
        } else {
            Err(err(n, format!("{name} takes {}–{} arguments, got {}", count.start(), count.end(), args.len())))
        }
    };
    Ok(match name {
        "SecRule" => {
            want(2..=3)?;
            let variables = variables(&args[0], n)?;
            let operator = operator(&args[1], n)?;
            let actions = match args.get(2) {
                Some(a) => actions(a, n)?,
                None => Vec::new(),
            };
            Directive::Rule(Rule { line: n, variables, operator, actions })
        }
        "SecAction" => {
            want(1..=1)?;
            Directive::Action { line: n, actions: actions(&args[0], n)? }
        }
        "SecDefaultAction" => {
            want(1..=1)?;
            Directive::DefaultAction { line: n, actions: actions(&args[0], n)? }
        }
        "SecMarker" => {
            want(1..=1)?;
            Directive::Marker { line: n, name: args[0].clone() }
        }
        "Include" => {
            want(1..=1)?;
            Directive::Include { line: n, pattern: args[0].clone() }
        }
        "SecRuleUpdateTargetById" | "SecRuleUpdateTargetByTag" | "SecRuleUpdateTargetByMsg" => {
            want(2..=3)?;
            variables(&args[1], n)?;
            Directive::Other { line: n, name: name.into(), args: args.to_vec() }
        }
        "SecRuleUpdateActionById" => {
            want(2..=2)?;
            actions(&args[1], n)?;
            Directive::Other { line: n, name: name.into(), args: args.to_vec() }
        }
        "SecRuleEngine" => {
            want(1..=1)?;
            on_off(&args[0], &["On", "Off", "DetectionOnly"], n)?;
            Directive::Other { line: n, name: name.into(), args: args.to_vec() }
        }
        "SecRequestBodyAccess" | "SecResponseBodyAccess" => {
            want(1..=1)?;
            on_off(&args[0], &["On", "Off"], n)?;
            Directive::Other { line: n, name: name.into(), args: args.to_vec() }
        }
        _ => {
            want(1..=usize::MAX)?;
            Directive::Other { line: n, name: name.into(), args: args.to_vec() }
        }
    })
}

fn on_off(v: &str, allowed: &[&str], n: usize) -> Result<(), Error> {
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(v)) { Ok(()) } else { Err(err(n, format!("expected one of {allowed:?}, got {v}"))) }
}

/// `ARGS|!ARGS:foo|&TX:x|REQUEST_COOKIES:/^__utm/|XML:/*`
pub fn variables(s: &str, n: usize) -> Result<Vec<Variable>, Error> {
    let mut out = Vec::new();
    for part in split_top(s, '|') {
        let part = part.trim();
        if part.is_empty() {
            return Err(err(n, format!("empty variable in {s:?}")));
        }
        let (exclude, count, rest) = match part.as_bytes()[0] {
            b'!' => (true, false, &part[1..]),
            b'&' => (false, true, &part[1..]),
            _ => (false, false, part),
        };
        let (name, selector) = match rest.split_once(':') {
            Some((c, sel)) => (c, Some(sel)),
            None => (rest, None),
        };
        let collection = vocab::lookup(COLLECTIONS, name).ok_or_else(|| err(n, format!("unknown variable {name}")))?;
        let selector = match selector {
            None => None,
            Some("") => return Err(err(n, format!("empty selector after {collection}:"))),
            Some(sel) if sel.len() >= 2 && sel.starts_with('/') && sel.ends_with('/') && collection != "XML" => {
                Some(Selector::Regex(sel[1..sel.len() - 1].to_owned()))
            }
            Some(sel) => Some(Selector::Key(sel.trim_matches('\'').to_owned())),
        };
        if exclude && selector.is_none() {
            return Err(err(n, format!("!{collection} needs a selector (what to exclude)")));
        }
        out.push(Variable { collection: collection.into(), selector, exclude, count });
    }
    Ok(out)
}

/// Splits on `sep` outside `/…/` selectors and quotes. A `/` after `:`
/// opens a regex only if its closing `/` ends the variable (`ARGS:/a|b/`);
/// `XML:/*|XML://@*` holds XPath, not regexes.
fn split_top(s: &str, sep: char) -> Vec<&str> {
    let opens_regex = |at: usize| {
        let rest = &s[at + 1..];
        let mut prev = '\0';
        for (j, c) in rest.char_indices() {
            if c == '/' && prev != '\\' {
                return rest[j + 1..].is_empty() || rest[j + 1..].starts_with(sep);
            }
            prev = c;
        }
        false
    };
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_regex = false;
    let mut in_quote = false;
    let mut prev_colon = false;
    let mut prev = '\0';
    for (i, c) in s.char_indices() {
        match c {
            '\'' if !in_regex => in_quote = !in_quote,
            '/' if !in_quote && in_regex && prev != '\\' => in_regex = false,
            '/' if !in_quote && prev_colon && sep == '|' && opens_regex(i) => in_regex = true,
            c if c == sep && !in_regex && !in_quote => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
        prev_colon = c == ':';
        prev = c;
    }
    parts.push(&s[start..]);
    parts
}

/// `@rx …`, `!@eq 0`, or a bare regular expression.
pub fn operator(s: &str, n: usize) -> Result<Operator, Error> {
    let (negated, rest) = match s.strip_prefix('!') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let Some(op) = rest.strip_prefix('@') else {
        return Ok(Operator { name: "rx".into(), argument: rest.to_owned(), negated });
    };
    let (name, argument) = match op.find(char::is_whitespace) {
        Some(i) => (&op[..i], op[i..].trim_start()),
        None => (op, ""),
    };
    let name = vocab::lookup(OPERATORS, name).ok_or_else(|| err(n, format!("unknown operator @{name}")))?;
    let needs_argument =
        !matches!(name, "unconditionalMatch" | "noMatch" | "detectSQLi" | "detectXSS" | "validateUrlEncoding" | "validateUtf8Encoding");
    if needs_argument && argument.is_empty() {
        return Err(err(n, format!("@{name} needs an argument")));
    }
    Ok(Operator { name: name.into(), argument: argument.to_owned(), negated })
}

/// `id:1,phase:2,t:none,msg:'a, b',setvar:'tx.x=+1'`
pub fn actions(s: &str, n: usize) -> Result<Vec<Action>, Error> {
    let mut out = Vec::new();
    for part in split_top(s, ',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (name, value) = match part.split_once(':') {
            Some((a, v)) => (a.trim(), Some(v.trim())),
            None => (part, None),
        };
        let name = vocab::lookup(ACTIONS, name).ok_or_else(|| err(n, format!("unknown action {name}")))?;
        let value = value.map(|v| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).unwrap_or(v).to_owned());
        match (name, value.as_deref()) {
            ("t", Some(t)) => {
                vocab::lookup(TRANSFORMATIONS, t).ok_or_else(|| err(n, format!("unknown transformation t:{t}")))?;
            }
            ("id", Some(id)) => {
                id.parse::<u64>().map_err(|_| err(n, format!("id must be a number, got {id}")))?;
            }
            ("phase", Some(p)) if !matches!(p, "1" | "2" | "3" | "4" | "5" | "request" | "response" | "logging") => {
                return Err(err(n, format!("unknown phase {p}")));
            }
            ("ctl", Some(c)) => {
                let opt = c.split_once('=').map_or(c, |(o, _)| o);
                vocab::lookup(CTL_OPTIONS, opt).ok_or_else(|| err(n, format!("unknown ctl option {opt}")))?;
            }
            ("t" | "id" | "phase" | "ctl" | "msg" | "tag" | "setvar" | "skipAfter" | "severity" | "ver" | "logdata", None) => {
                return Err(err(n, format!("action {name} needs a value")));
            }
            _ => {}
        }
        out.push(Action { name: name.into(), value });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crs_style_rule() {
        let text = r#"SecRule REQUEST_COOKIES|!REQUEST_COOKIES:/__utm/|ARGS_NAMES|ARGS|XML:/* "@rx (?i)union\s+select" \
    "id:942100,\
    phase:2,\
    block,\
    t:none,t:urlDecodeUni,t:base64decode,\
    msg:'SQL Injection Attack: a, b',\
    setvar:'tx.sql_injection_score=+%{tx.critical_anomaly_score}'""#;
        let d = parse(text).unwrap();
        let Directive::Rule(r) = &d[0] else { panic!("{d:?}") };
        assert_eq!(r.id(), Some(942100));
        assert_eq!(r.variables.len(), 5);
        assert!(r.variables[1].exclude);
        assert_eq!(r.variables[1].selector, Some(Selector::Regex("__utm".into())));
        assert_eq!(r.variables[4].selector, Some(Selector::Key("/*".into())));
        let v = variables("XML:/*|XML://@*|ARGS:/a|b/|!REQUEST_COOKIES:/__utm/", 1).unwrap();
        assert_eq!(v.len(), 4);
        assert_eq!(v[1].selector, Some(Selector::Key("//@*".into())));
        assert_eq!(v[2].selector, Some(Selector::Regex("a|b".into())));
        assert_eq!(r.operator.name, "rx");
        assert_eq!(r.operator.argument, r"(?i)union\s+select");
        assert_eq!(r.action("msg"), Some("SQL Injection Attack: a, b"));
        assert_eq!(r.action("setvar"), Some("tx.sql_injection_score=+%{tx.critical_anomaly_score}"));
        assert_eq!(r.actions.iter().filter(|a| a.name == "t").count(), 3);
    }

    #[test]
    fn counts_negation_and_bare_patterns() {
        let d = parse("SecRule &TX:x \"!@eq 0\" \"id:1,pass\"\nSecRule ARGS \"foo|bar\" \"id:2\"").unwrap();
        let Directive::Rule(a) = &d[0] else { panic!() };
        assert!(a.variables[0].count);
        assert!(a.operator.negated);
        let Directive::Rule(b) = &d[1] else { panic!() };
        assert_eq!(b.operator.name, "rx");
        assert_eq!(b.operator.argument, "foo|bar");
    }

    #[test]
    fn errors_name_the_line_and_the_problem() {
        let cases = [
            ("SecRule ARGS \"@nope x\" \"id:1\"", "unknown operator @nope"),
            ("SecRule NOPE \"@rx x\" \"id:1\"", "unknown variable NOPE"),
            ("\n\nSecRule ARGS \"@rx x\" \"id:1,t:nope\"", "unknown transformation t:nope"),
            ("SecRule ARGS \"@rx x\" \"id:x1\"", "id must be a number"),
            ("SecRule ARGS \"@rx x\" \"id:1,frobnicate\"", "unknown action frobnicate"),
            ("SecFoo bar", "unknown directive SecFoo"),
            ("SecRule ARGS", "takes 2–3 arguments"),
            ("SecRuleEngine Maybe", "expected one of"),
            ("SecRule ARGS \"@rx x\" \"id:1,ctl:nope=1\"", "unknown ctl option nope"),
            ("SecRule !ARGS \"@rx x\" \"id:1\"", "needs a selector"),
            ("SecRule ARGS \"@pm\" \"id:1\"", "needs an argument"),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.message.contains(want), "{text}: {e}");
        }
        assert_eq!(parse("\n\nSecRule ARGS \"@rx x\" \"id:1,t:nope\"").unwrap_err().line, 3);
    }
}
