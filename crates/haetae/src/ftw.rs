//! `haetae ftw`: the CRS regression suite (go-ftw YAML) against SecLang
//! rules evaluated in-process, configured as CRS's own CI configures its
//! engines (paranoia level 4, detection only: every stage is judged by
//! the rule ids it logs).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::FtwArgs;

/// What CRS's CI sets before its rules (its `crs-setup` overrides).
const TEST_CONFIG: &str = r#"SecResponseBodyAccess On
SecAction "id:900005,phase:1,pass,nolog,\
    setvar:tx.blocking_paranoia_level=4,\
    setvar:tx.detection_paranoia_level=4,\
    setvar:tx.crs_validate_utf8_encoding=1,\
    setvar:tx.arg_name_length=100,\
    setvar:tx.arg_length=400,\
    setvar:tx.total_arg_length=64000,\
    setvar:tx.max_num_args=255,\
    setvar:tx.max_file_size=64100,\
    setvar:tx.combined_file_sizes=65535"
"#;

pub fn run(a: &FtwArgs) -> ExitCode {
    match run_inner(a) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("haetae ftw: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(a: &FtwArgs) -> Result<ExitCode, String> {
    let setup = a.setup.clone().or_else(|| {
        let p = a.rules.parent().map(|d| d.join("crs-setup.conf.example"))?;
        p.exists().then_some(p)
    });
    let mut files: Vec<PathBuf> = std::fs::read_dir(&a.rules)
        .map_err(|e| format!("{}: {e}", a.rules.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    files.sort();
    let start = std::time::Instant::now();
    // The setup file, then the test configuration, then the rules.
    let mut loaded = haetae_seclang::files::load(&setup.into_iter().collect::<Vec<_>>())?;
    let config = haetae_seclang::parse(TEST_CONFIG).map_err(|e| format!("test configuration:{e}"))?;
    loaded.push((PathBuf::from("(ftw test configuration)"), config));
    loaded.extend(haetae_seclang::files::load(&files)?);
    let rules = haetae_seclang::files::compile(&loaded)?;
    let load_ms = start.elapsed().as_millis();
    let cases = haetae_eval::ftw::load_dir(&a.tests)?;
    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    let mut by_rule: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let run_start = std::time::Instant::now();
    for case in &cases {
        let out = &case.stage_def.output;
        let expect: Vec<u64> = out.expect_ids().into_iter().map(u64::from).collect();
        let reject: Vec<u64> = out.no_expect_ids().into_iter().map(u64::from).collect();
        // go-ftw's patterns are Go (RE2) syntax, which `regex` reads.
        let pattern = |p: Option<&str>| p.and_then(|p| regex::Regex::new(p).ok());
        let (want_log, reject_log) = (pattern(out.log_regex()), pattern(out.no_log_regex()));
        if expect.is_empty() && reject.is_empty() && want_log.is_none() && reject_log.is_none() {
            skipped += 1;
            continue;
        }
        let Ok(req) = case.stage_def.input.to_request() else {
            skipped += 1;
            continue;
        };
        let model = haetae_eval::model(&req);
        let reflected = Reflected::of(&req);
        let mut t = rules.transaction(&model, &req.body);
        t.detection_only();
        t.protocol(&req.version);
        t.request();
        t.response(reflected.response());
        t.logging();
        let outcome = t.finish();
        let hits = outcome.ids();
        let log = error_log(&outcome);
        let missing: Vec<u64> = expect.iter().copied().filter(|id| !hits.contains(id)).collect();
        let unwanted: Vec<u64> = reject.iter().copied().filter(|id| hits.contains(id)).collect();
        let log_missing = want_log.as_ref().filter(|re| !re.is_match(&log));
        let log_unwanted = reject_log.as_ref().filter(|re| re.is_match(&log));
        if missing.is_empty() && unwanted.is_empty() && log_missing.is_none() && log_unwanted.is_none() {
            passed += 1;
        } else {
            failed += 1;
            let mut why = Vec::new();
            if !missing.is_empty() {
                why.push(format!("did not log {missing:?}"));
            }
            if !unwanted.is_empty() {
                why.push(format!("logged {unwanted:?}"));
            }
            if let Some(re) = log_missing {
                why.push(format!("log does not match /{re}/"));
            }
            if let Some(re) = log_unwanted {
                why.push(format!("log matches /{re}/"));
            }
            if a.show_logged {
                why.push(format!("all logged: {hits:?}"));
            }
            by_rule.entry(case.rule_id).or_default().push(format!("{} ({})", case.name(), why.join(", ")));
        }
    }
    if a.failures > 0 && !by_rule.is_empty() {
        println!("Failures by rule:");
        for (rule, fails) in &by_rule {
            println!("  {rule}: {} failed", fails.len());
            for f in fails.iter().take(a.failures) {
                println!("    {f}");
            }
        }
    }
    println!("{} rules loaded in {load_ms} ms; {} stages in {:.1} s", rules.len(), cases.len(), run_start.elapsed().as_secs_f64());
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    let rate = if passed + failed == 0 { 0.0 } else { 100.0 * passed as f64 / (passed + failed) as f64 };
    if a.min_pass.is_some_and(|m| rate < m) {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The response CRS's test backend (albedo) sends: `POST /reflect` with a
/// JSON body `{"status", "headers", "body" | "encodedBody"}` answers with
/// exactly that; anything else gets an empty 200.
struct Reflected {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Reflected {
    fn of(req: &haetae_eval::ftw::RawRequest) -> Reflected {
        let mut r =
            Reflected { status: 200, headers: vec![("Content-Type".into(), b"text/plain; charset=utf-8".to_vec())], body: Vec::new() };
        if !req.target.starts_with("/reflect") {
            return r;
        }
        let Ok(spec) = serde_json::from_slice::<serde_json::Value>(&req.body) else { return r };
        if let Some(s) = spec.get("status").and_then(|s| s.as_u64()).and_then(|s| u16::try_from(s).ok()) {
            r.status = s;
        }
        if let Some(h) = spec.get("headers").and_then(|h| h.as_object()) {
            r.headers = h.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().as_bytes().to_vec())).collect();
        }
        if let Some(b) = spec.get("body").and_then(|b| b.as_str()) {
            r.body = b.as_bytes().to_vec();
        } else if let Some(b) = spec.get("encodedBody").and_then(|b| b.as_str()) {
            r.body = haetae_seclang::transform::apply("base64Decode", b.as_bytes()).into_owned();
        }
        r
    }

    fn response(&self) -> haetae_seclang::eval::Response<'_> {
        haetae_seclang::eval::Response { status: self.status, protocol: "HTTP/1.1", headers: &self.headers, body: &self.body }
    }
}

/// The log lines ModSecurity writes for a transaction's matches, in the
/// shape go-ftw's `match_regex` patterns are written against.
fn error_log(o: &haetae_seclang::eval::Outcome) -> String {
    o.matched
        .iter()
        .map(|m| {
            let sev = m.severity.map(|s| s.to_string()).unwrap_or_default();
            format!("ModSecurity: Warning. [id \"{}\"] [msg \"{}\"] [data \"{}\"] [severity \"{sev}\"]\n", m.id, m.msg, m.data)
        })
        .collect()
}
