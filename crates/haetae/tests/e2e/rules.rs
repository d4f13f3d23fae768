use std::process::Command;

use crate::harness::*;

/// `haetae rules` follows `Include` globs, counts what it loaded, and
/// reports a bad directive as `file:line: problem` with a failing status.
#[test]
fn rules_check_follows_includes_and_reports_file_and_line() {
    let dir = TempDir::new("rules");
    let rules = dir.path("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("a.conf"),
        "SecRule ARGS \"@rx (?i)union\\s+select\" \\\n    \"id:1001,phase:2,deny,t:none,t:lowercase,msg:'SQLi',chain\"\n    SecRule &TX:x \"@eq 0\" \"t:none\"\nSecMarker END-A\n",
    )
    .unwrap();
    std::fs::write(rules.join("b.conf"), "SecAction \"id:1002,phase:1,pass,nolog,setvar:'tx.x=1'\"\n").unwrap();
    let main = dir.path("main.conf");
    std::fs::write(&main, "SecRuleEngine On\nInclude rules/*.conf\n").unwrap();
    let out = Command::new(bin()).args(["rules", main.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("3 files: 1 rules (1 chained links), 1 SecAction, 1 markers, 1 other directives; operators compiled"), "{text}");

    std::fs::write(rules.join("c.conf"), "\n# two lines in\nSecRule ARGS \"@rx x\" \"id:1003,t:lowercse\"\n").unwrap();
    let out = Command::new(bin()).args(["rules", main.to_str().unwrap()]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("c.conf:3: unknown transformation t:lowercse"), "{err}");

    std::fs::write(rules.join("c.conf"), "SecRule ARGS \"@rx (unclosed\" \"id:1003\"\n").unwrap();
    let out = Command::new(bin()).args(["rules", main.to_str().unwrap()]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("c.conf:1: @rx does not compile"), "{err}");
    std::fs::write(rules.join("c.conf"), "SecRule ARGS \"@pmFromFile words.data\" \"id:1003\"\n").unwrap();
    let out = Command::new(bin()).args(["rules", main.to_str().unwrap()]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("c.conf:1: words.data"), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(rules.join("words.data"), "# phrases\nunion select\nsleep(\n").unwrap();
    let out = Command::new(bin()).args(["rules", main.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let missing = dir.path("missing.conf");
    std::fs::write(&missing, "Include nowhere/*.conf\n").unwrap();
    let out = Command::new(bin()).args(["rules", missing.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("missing.conf:1: Include nowhere/*.conf"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The whole of CRS v4.28 loads.
#[test]
fn rules_check_loads_all_of_crs() {
    let Some(crs) = shared_dir().map(|s| s.join("crs")) else { panic!("../shared/crs is needed") };
    let mut args = vec!["rules".to_owned(), crs.join("crs-setup.conf.example").to_string_lossy().into_owned()];
    let mut files: Vec<_> = std::fs::read_dir(crs.join("rules"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    files.sort();
    args.extend(files.iter().map(|p| p.to_string_lossy().into_owned()));
    let out = Command::new(bin()).args(&args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("622 rules (73 chained links)"), "{text}");
}
