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
    assert!(pl12.rate() >= 95.0, "PL 1-2 detection fell to {:.1}%", pl12.rate());
    assert!(fp.rate() <= 0.3, "false positives rose to {:.2}%", fp.rate());
}
