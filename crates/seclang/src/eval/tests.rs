//! The evaluator through rule text, as a user writes it.
use super::*;
use haetae_model::Request;
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

/// The `@rx` prefilter only skips regexes that cannot match: literals are
/// looked for in the transformed value (here only decoding reveals them),
/// case aside, and one-byte classes count too.
#[test]
fn prefilter_never_hides_a_match() {
    let rules = set(r#"
SecRule ARGS "@rx (?i)union\s+select" "id:30,phase:2,pass,t:none,t:urlDecodeUni"
SecRule ARGS "@rx [\n\r]" "id:31,phase:2,pass,t:none,t:urlDecodeUni"
SecRule ARGS "@rx <script" "id:32,phase:2,pass,t:none,t:lowercase"
"#);
    assert!(rules.prefiltered() >= 3);
    assert_eq!(rules.evaluate(&req("/?q=1%2520%2555NION%2520select%25201"), b""), vec![30]);
    assert_eq!(rules.evaluate(&req("/?q=a%250Db"), b""), vec![31]);
    assert_eq!(rules.evaluate(&req("/?q=%3CSCRIPT%3E"), b""), vec![32]);
    assert_eq!(rules.evaluate(&req("/?q=harmless+words&r=more"), b""), Vec::<u64>::new());
    // The same value seen by several rules, the scan cached.
    let long = format!("/?q={}%2555nion%2520select", "x".repeat(400));
    assert_eq!(rules.evaluate(&req(&long), b""), vec![30]);
}

/// Configuration-time changes to rules (wherever they stand), `block`
/// through `SecDefaultAction`, `allow`, and interruptions.
#[test]
fn rule_updates_defaults_and_disruptive_actions() {
    let rules = set(r#"
SecDefaultAction "phase:2,log,deny,status:418"
SecRuleUpdateTargetById 40 "!ARGS:safe"
SecRuleUpdateActionById 41 "msg:'changed',pass"
SecRuleRemoveByTag "legacy"
SecRuleRemoveByMsg "^old "
SecRule ARGS "@contains x" "id:40,phase:2,block,msg:'x seen'"
SecRule ARGS "@contains y" "id:41,phase:2,deny,msg:'y seen'"
SecRule ARGS "@contains z" "id:42,phase:2,deny,tag:'legacy'"
SecRule ARGS "@contains w" "id:43,phase:2,deny,msg:'old rule'"
SecRule ARGS:ok "@streq 1" "id:44,phase:1,allow,nolog"
"#);
    let run = |target: &str| {
        let r = req(target);
        let mut t = rules.transaction(&r, b"");
        t.request();
        t.finish()
    };
    let o = run("/?a=x");
    assert_eq!(o.ids(), vec![40]);
    let i = o.interruption.expect("block is deny here");
    assert_eq!((i.rule, i.status, i.action), (40, 418, Disruption::Deny));
    assert!(run("/?safe=x").interruption.is_none());
    let o = run("/?a=y");
    assert_eq!(o.matched[0].msg, "changed");
    assert!(o.interruption.is_none(), "updated to pass");
    assert!(run("/?a=z&b=w").matched.is_empty(), "removed by tag and by msg");
    assert!(run("/?ok=1&a=x").matched.is_empty(), "allow ends the transaction");
    // A change naming a rule that does not exist is a load error.
    let bad = crate::parse("SecRuleUpdateTargetById 99 \"!ARGS:a\"\n").unwrap();
    let err = RuleSet::compile(&[bad], &|_, f| Err(f.to_owned())).unwrap_err();
    assert!(err.1.message.contains("no rule has id 99"), "{}", err.1.message);
}

/// Past its deadline a transaction stops and says so.
#[test]
fn deadline_stops_evaluation() {
    let rules = set(r#"
SecRule ARGS "@contains x" "id:50,phase:2,pass"
"#);
    let r = req("/?a=x");
    let mut t = rules.transaction(&r, b"");
    t.deadline(Some(std::time::Instant::now()));
    t.request();
    assert!(t.timed_out());
    assert!(t.finish().matched.is_empty());
    let mut t = rules.transaction(&r, b"");
    t.deadline(Some(std::time::Instant::now() + std::time::Duration::from_secs(60)));
    t.request();
    assert!(!t.timed_out());
    assert_eq!(t.finish().ids(), vec![50]);
}
