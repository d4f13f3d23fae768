//! Every finding names a shape of the table in `haetae_engine::detect::
//! shapes`: the ids `haetae rules --native` lists and `disabled_shapes`
//! and exceptions use. Runs every CRS regression stage and every payload
//! of `bench/attack_payloads.txt` (as a query, form, JSON and cookie value)
//! through the engine; a finding that falls back to `<family>.other` means
//! a reason with no entry in the table.

use std::collections::BTreeSet;
use std::path::PathBuf;

use haetae_engine::Engine;
use haetae_model::{ParseLimits, RequestBuilder};

fn shared(rel: &str) -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let base = here.ancestors().map(|a| a.join("shared")).find(|p| p.join("crs").is_dir()).unwrap_or_else(|| here.join("../../../shared"));
    base.join(rel)
}

fn pct(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[test]
fn every_finding_names_a_shape_in_the_table() {
    let engine = Engine::default();
    let limits = ParseLimits::default();
    let mut missing = BTreeSet::new();
    let mut shapes = BTreeSet::new();
    let mut note = |v: haetae_model::Verdict| {
        for f in v.findings {
            if f.detector != "seclang" {
                shapes.insert(f.shape);
                if f.shape.ends_with(".other") {
                    missing.insert(format!("{}: {}", f.detector, f.reason));
                }
            }
        }
    };
    for case in haetae_eval::ftw::load_dir(&shared("crs/tests/regression/tests")).expect("CRS tests in ../shared") {
        if let Ok(r) = case.stage_def.input.to_request() {
            note(haetae_eval::inspect(&engine, &r));
        }
    }
    let payloads =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/attack_payloads.txt")).expect("payloads");
    for p in payloads.lines().filter(|l| !l.trim().is_empty()) {
        let mut b = RequestBuilder::new("GET", &format!("/x?q={}", pct(p)), &limits);
        b.header("Cookie", format!("c={}", pct(p)).as_bytes());
        note(engine.inspect(&b.build()));
        let mut b = RequestBuilder::new("POST", "/x", &limits);
        b.header("Content-Type", b"application/json");
        b.body(serde_json::json!({ "v": p }).to_string().as_bytes(), false);
        note(engine.inspect(&b.build()));
    }
    assert!(missing.is_empty(), "reasons with no shape in the table:\n{}", missing.into_iter().collect::<Vec<_>>().join("\n"));
    assert!(shapes.len() > 100, "only {} shapes seen", shapes.len());
}
