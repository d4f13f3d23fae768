//! The detection numbers as a regression gate: the OWASP CRS attack stages
//! of families 930–944 and the benign development corpus from `../shared`,
//! through the engine in-process at the default (medium) sensitivity.
//! The floors sit just under what the engine reaches today (see
//! docs/DETECTION.md); a change that loses detections or adds false
//! positives fails here.

use std::path::PathBuf;

use haetae_eval::{Judge, benign, crs_rules, evaluate, ftw};

/// `../shared` next to the repository (found from any ancestor, so a
/// clone one level deeper works too).
fn shared(rel: &str) -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let base = here.ancestors().map(|a| a.join("shared")).find(|p| p.join("crs").is_dir()).unwrap_or_else(|| here.join("../../../shared"));
    base.join(rel)
}

#[test]
fn crs_attacks_and_benign_corpus_meet_the_floors() {
    let cases = ftw::load_dir(&shared("crs/tests/regression/tests")).expect("CRS regression tests in ../shared");
    let levels = crs_rules::paranoia_levels(&shared("crs/rules")).expect("CRS rules in ../shared");
    let samples = benign::load(&shared("corpus/benign-dev.jsonl")).expect("benign corpus in ../shared");
    let report = evaluate(&Judge::Engine(Box::default()), &cases, &levels, &samples);
    let pl12 = report.attacks_at(1..=2);
    let fp = report.false_positives();
    println!("{}", report.render(0));
    assert!(pl12.total > 3000, "expected the 930-944 attack stages, got {}", pl12.total);
    assert_eq!(fp.total, 3000);
    assert!(pl12.rate() >= 94.0, "PL 1-2 detection fell to {:.1}%", pl12.rate());
    assert!(fp.rate() <= 0.1, "false positives rose to {:.2}%", fp.rate());
}

/// Real traffic nobody here wrote (see ../shared/corpus/README.md): a
/// Spanish shop's forms in Latin-1, browsers on public sites, a real
/// access log. Each must stay at or under 0.3 % stopped.
#[test]
fn real_world_benign_traffic_stays_under_the_ceiling() {
    for file in ["corpus/real/csic2010.jsonl", "corpus/real/har-browser.jsonl", "corpus/real/elastic-apachelog.jsonl"] {
        let samples = benign::load(&shared(file)).unwrap_or_else(|e| panic!("{file} in ../shared: {e}"));
        let report = evaluate(&Judge::Engine(Box::default()), &[], &Default::default(), &samples);
        let fp = report.false_positives();
        assert!(fp.total > 1000, "{file}: expected its requests, got {}", fp.total);
        assert!(fp.rate() <= 0.3, "{file}: {:.2}% stopped\n{}", fp.rate(), report.render(20));
    }
}
