//! `bench/run.sh` measures "parsing only" by disabling every detector by
//! name; a family added later and missing there would silently run in
//! that measurement (it happened: java, js and session did).

#[test]
fn parse_only_benchmark_disables_every_detector() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/run.sh");
    let text = std::fs::read_to_string(&script).expect("bench/run.sh");
    let line = text.lines().find(|l| l.starts_with("ALL='")).expect("an ALL='[...]' line");
    let list = line.trim_start_matches("ALL='").trim_end_matches('\'');
    let mut names: Vec<String> = list.trim_matches(['[', ']']).split(',').map(|n| n.trim().trim_matches('"').to_string()).collect();
    let mut all: Vec<String> = haetae_config::DETECTORS.iter().map(|s| s.to_string()).collect();
    names.sort();
    all.sort();
    assert_eq!(names, all);
}
